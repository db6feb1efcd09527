# uthread/demo.py: the Quickstart demo (python -m uthread.demo).
# A swarm of CPU-bound agents that never yield shares the CPU by preemption alone.
"""Run a swarm of CPU-bound agents that never yield and print their tick shares.

Every agent is a plain Python function with no cooperative yield: it loops,
recurses and calls, and the scheduler preempts it every ``--quantum`` ticks.
The run is cut into frames of ``--frame-ticks`` ticks, as a game loop would,
and done twice to show that the interleaving replays exactly.
"""
import argparse
import hashlib
import os
import sys
import time

import uthread


def walker(log):
    """A random walk: loop-heavy, never yields."""
    rng = uthread.rng()
    x = y = 0
    while True:
        x += rng.choice((-1, 1))
        y += rng.choice((-1, 1))
        log.append((x, y))


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def thinker(log):
    """Recursion-heavy: almost all its ticks are function entries."""
    n = 10
    while True:
        log.append(fib(n))
        n = 10 + (n + 1) % 8


def sorter(log):
    """Mixed: insertion-sorts random lists in pure Python, forever."""
    rng = uthread.rng()
    while True:
        data = [rng.random() for _ in range(60)]
        for i in range(1, len(data)):
            key = data[i]
            j = i - 1
            while j >= 0 and data[j] > key:
                data[j + 1] = data[j]
                j -= 1
            data[j + 1] = key
        log.append(data[0])


KINDS = [walker, thinker, sorter]


def simulate(agents, quantum, frame_ticks, frames, seed):
    """Run the swarm for a number of frames; return its numbers and a world hash."""
    sched = uthread.Scheduler(quantum=quantum, seed=seed)
    logs = []
    mts = []
    for i in range(agents):
        fn = KINDS[i % len(KINDS)]
        log = []
        logs.append(log)
        mt = sched.spawn(fn, log)
        mt.name = f"{fn.__name__}-{i}"
        mts.append(mt)
    for _ in range(frames):          # the host loop: one budget per frame
        sched.run(ticks=frame_ticks)
    st = sched.stats()
    ticks = {mt.name: mt.ticks for mt in mts}
    slices = {mt.name: mt.slices for mt in mts}
    digest = hashlib.sha256(repr(logs).encode()).hexdigest()[:16]
    sched.close()                    # kills the agents (they never end by themselves)
    return ticks, slices, digest, st


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m uthread.demo", description=__doc__.splitlines()[0])
    p.add_argument("--agents", type=int, default=9)
    p.add_argument("--quantum", type=int, default=uthread.DEFAULT_QUANTUM)
    p.add_argument("--frame-ticks", type=int, default=20_000)
    p.add_argument("--frames", type=int, default=30)
    p.add_argument("--seed", type=int, default=uthread.DEFAULT_SEED)
    p.add_argument("--out", default="out", help="folder for the games' PNG files")
    p.add_argument("--no-games", action="store_true", help="only the tick-share swarm")
    args = p.parse_args(argv)

    print(f"uthread demo: {args.agents} CPU-bound agents that never yield, "
          f"quantum {args.quantum} ticks, frames of {args.frame_ticks} ticks")
    print(f"Python {sys.version.split()[0]}, ticks counted by {uthread.TICK_SOURCE}\n")
    ticks, slices, digest, st = simulate(args.agents, args.quantum, args.frame_ticks,
                                         args.frames, args.seed)
    total = sum(ticks.values())
    width = 40
    print(f"{'agent':<12} {'ticks':>9} {'share':>7} {'slices':>7}")
    for name, t in ticks.items():
        bar = "#" * max(1, round(width * t / total))
        print(f"{name:<12} {t:>9} {t / total:>6.1%} {slices[name]:>7}  {bar}")
    print(f"\n{total} ticks in {args.frames} frames, {st.switches} switches, "
          f"{st.preemptions} preemptions; world hash {digest}")
    again = simulate(args.agents, args.quantum, args.frame_ticks, args.frames, args.seed)
    same = again[0] == ticks and again[2] == digest
    print(f"replayed with the same seed: {'identical' if same else 'DIFFERENT'} "
          f"(hash {again[2]})")
    if not args.no_games:
        games(args.out)
    return 0 if same else 1


def games(out):
    """Run the three game-loop examples headless, small, and say where their pictures are."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    examples = os.path.join(here, "examples")
    if not os.path.isdir(examples):
        print("\n(the game examples live in the source tree's examples/ folder)")
        return
    try:
        import PIL  # noqa: F401
    except ImportError:
        print("\n(no pictures: pip install 'uthread[demo]' for Pillow and matplotlib)")
        return
    sys.path.insert(0, examples)
    import pacman
    import population
    import tanks
    runs = [
        ("robot tanks", tanks, ["--agents", "8", "--frames", "1500", "--png-every", "100"]),
        ("PacMan monsters", pacman, ["--agents", "4", "--frames", "600", "--png-every", "40"]),
        ("population, 10,000 animals", population, ["--agents", "10000", "--frames", "60"]),
    ]
    print()
    for title, mod, argv in runs:
        folder = os.path.join(out, mod.__name__)
        t0 = time.perf_counter()
        print(f"== {title} (headless) ==", flush=True)
        mod.main(argv + ["--headless", "--out", folder])
        print(f"   ({time.perf_counter() - t0:.1f} s)")
    print(f"\npictures written under {os.path.abspath(out)}/")


if __name__ == "__main__":
    sys.exit(main())
