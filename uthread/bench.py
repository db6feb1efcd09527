# uthread/bench.py: python -m uthread.bench - the side-by-side report against OS threads,
# greenlet, asyncio (and gevent if installed): a ratio table, JSON numbers and a PNG chart.
"""Benchmark uthread against OS threads and its peers; print ratios, write JSON and PNG.

Sizes: --tiny (CI smoke test, seconds), the default (quick, about a minute),
--full (the issue's sizes: 100k spawns, 1M parked microthreads, the OS
thread limit up to a cap; several minutes).  Every number is a median of
repeated runs in this one process (memory and scale in fresh subprocesses),
so only the ratios mean anything on a shared machine.
"""
import argparse
import asyncio
import datetime
import json
import os
import platform
import queue as stdqueue
import statistics
import subprocess
import sys
import threading
import time
from collections import deque

import greenlet

import uthread

SIZES = {
    "tiny":  dict(spawn=2000, threads=200, handoff=2000, agents=500, steps=20, thr_agents=50,
                  mem=[2000], mem_thr=200, scale=5000, thr_cap=200, loop=50_000, reps=2),
    "quick": dict(spawn=20_000, threads=2000, handoff=20_000, agents=10_000, steps=100,
                  thr_agents=1000, mem=[100_000], mem_thr=2000, scale=100_000, thr_cap=2000,
                  loop=300_000, reps=3),
    "full":  dict(spawn=100_000, threads=10_000, handoff=100_000, agents=10_000, steps=100,
                  thr_agents=1000, mem=[100_000, 1_000_000], mem_thr=5000, scale=1_000_000,
                  thr_cap=30_000, loop=1_000_000, reps=5),
}


def median_time(fn, reps):
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


# ---------------------------------------------------------------- spawn + join

def spawn_uthread(n):
    def nop():
        pass
    s = uthread.Scheduler()
    spawn = s.spawn
    for _ in range(n):
        spawn(nop)
    s.run()


def spawn_threads(n):
    def nop():
        pass
    ts = [threading.Thread(target=nop) for _ in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


def spawn_greenlet(n):
    def nop():
        pass
    for _ in range(n):
        greenlet.greenlet(nop).switch()


def spawn_asyncio(n):
    async def nop():
        pass

    async def main():
        await asyncio.gather(*[asyncio.create_task(nop()) for _ in range(n)])
    asyncio.run(main())


def spawn_gevent(n):
    import gevent

    def nop():
        pass
    gevent.joinall([gevent.spawn(nop) for _ in range(n)])


# ---------------------------------------------------------------- handoff ping-pong

def handoff_semaphore(n):
    s = uthread.Scheduler()
    a, b = uthread.semaphore(0), uthread.semaphore(0)

    def ping():
        for _ in range(n):
            b.release()
            a.claim()

    def pong():
        for _ in range(n):
            b.claim()
            a.release()
    s.spawn(ping)
    s.spawn(pong)
    s.run()


def handoff_channel(n):
    s = uthread.Scheduler()
    ab, ba = uthread.channel(), uthread.channel()

    def ping():
        for i in range(n):
            ab.send(i)
            ba.receive()

    def pong():
        for _ in range(n):
            ba.send(ab.receive())
    s.spawn(ping)
    s.spawn(pong)
    s.run()


def handoff_greenlet(n):
    def pong():
        main = greenlet.getcurrent().parent
        while True:
            main.switch()
    g = greenlet.greenlet(pong)
    sw = g.switch
    for _ in range(n):
        sw()


def handoff_threads_lock(n, make=threading.Lock):
    a, b = make(), make()
    a.acquire()
    b.acquire()

    def pong():
        for _ in range(n):
            b.acquire()
            a.release()
    t = threading.Thread(target=pong)
    t.start()
    for _ in range(n):
        b.release()
        a.acquire()
    t.join()


def handoff_threads_semaphore(n):
    handoff_threads_lock(n, threading.Semaphore)


def handoff_threads_simplequeue(n):
    ab, ba = stdqueue.SimpleQueue(), stdqueue.SimpleQueue()

    def pong():
        for _ in range(n):
            ba.put(ab.get())
    t = threading.Thread(target=pong)
    t.start()
    for i in range(n):
        ab.put(i)
        ba.get()
    t.join()


def handoff_asyncio(n):
    async def main():
        ab, ba = asyncio.Queue(), asyncio.Queue()

        async def pong():
            for _ in range(n):
                await ba.put(await ab.get())
        task = asyncio.create_task(pong())
        for i in range(n):
            await ab.put(i)
            await ba.get()
        await task
    asyncio.run(main())


# ---------------------------------------------------------------- staged queue throughput

def staged_queue(n):
    s = uthread.Scheduler()
    q = uthread.queue(2)

    def consumer():
        for _ in range(n):
            q.get_wait()

    def producer():
        for i in range(n):
            q.put(i)
            if i % 100 == 99:
                q.step()
                uthread.schedule()
        q.step()
    s.spawn(consumer)
    s.spawn(producer)
    s.run()


def simplequeue_threads(n):
    q = stdqueue.SimpleQueue()

    def consumer():
        for _ in range(n):
            q.get()
    t = threading.Thread(target=consumer)
    t.start()
    for i in range(n):
        q.put(i)
    t.join()


# ---------------------------------------------------------------- swarm

def _update(i, x, v):
    v = v * 0.99 + 0.01 * (i % 7)
    return x + v, v


def swarm_inline(agents, steps):
    xs = [i * 0.5 for i in range(agents)]
    vs = [1.0] * agents
    for _ in range(steps):
        for i in range(agents):
            xs[i], vs[i] = _update(i, xs[i], vs[i])
    return sum(xs)


def swarm_uthread(agents, steps, yielding=True):
    s = uthread.Scheduler()
    out = [0.0] * agents
    schedule = uthread.schedule

    def agent(i):
        x, v = i * 0.5, 1.0
        for _ in range(steps):
            x, v = _update(i, x, v)
            if yielding:
                schedule()
        out[i] = x
    for i in range(agents):
        s.spawn(agent, i)
    s.run()
    return sum(out)


def swarm_generators(agents, steps):
    out = [0.0] * agents

    def agent(i):
        x, v = i * 0.5, 1.0
        for _ in range(steps):
            x, v = _update(i, x, v)
            yield
        out[i] = x
    q = deque(agent(i) for i in range(agents))
    while q:
        g = q.popleft()
        try:
            next(g)
            q.append(g)
        except StopIteration:
            pass
    return sum(out)


def swarm_asyncio(agents, steps):
    out = [0.0] * agents

    async def agent(i):
        x, v = i * 0.5, 1.0
        for _ in range(steps):
            x, v = _update(i, x, v)
            await asyncio.sleep(0)
        out[i] = x

    async def main():
        await asyncio.gather(*(agent(i) for i in range(agents)))
    asyncio.run(main())
    return sum(out)


def swarm_threads(agents, steps):
    """OS threads in a token ring: each step, the token passes to the next thread."""
    out = [0.0] * agents
    locks = [threading.Lock() for _ in range(agents)]
    for lk in locks:
        lk.acquire()

    def agent(i):
        x, v = i * 0.5, 1.0
        nxt = locks[(i + 1) % agents]
        for _ in range(steps):
            locks[i].acquire()
            x, v = _update(i, x, v)
            nxt.release()
        out[i] = x
    ts = [threading.Thread(target=agent, args=(i,)) for i in range(agents)]
    for t in ts:
        t.start()
    locks[0].release()
    for t in ts:
        t.join()
    return sum(out)


# ---------------------------------------------------------------- preemption overhead

def cpu_loop(n):
    total = 0
    for i in range(n):
        total += i
    return total


def preempted_loop(n):
    s = uthread.Scheduler()
    s.spawn(cpu_loop, n // 2)
    s.spawn(cpu_loop, n // 2)
    s.run()


# ---------------------------------------------------------------- memory and scale (subprocesses)

MEMORY_CODE = r"""
import sys, time, gc, json
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096
kind, n = sys.argv[1], int(sys.argv[2])
gc.collect()
keep = []
if kind == "uthread":
    import uthread
    s = uthread.Scheduler()
    ev = uthread.Event()
    for _ in range(10): s.spawn(ev.wait)
    s.run(ticks=10**9)                   # warm up: the core's own first allocations
    gc.collect(); r0 = rss(); t0 = time.perf_counter()
    for _ in range(n): s.spawn(ev.wait)
    s.run(ticks=10**12)                  # every one parks on the event
    t1 = time.perf_counter(); r1 = rss()
    assert s.stats().blocked == n + 10
    ev.set(); t2 = time.perf_counter(); s.run(); t3 = time.perf_counter()
    assert s.alive_count == 0
    extra = {"finish_s": t3 - t2}
elif kind == "greenlet":
    import greenlet
    def park(): greenlet.getcurrent().parent.switch()
    r0 = rss(); t0 = time.perf_counter()
    for _ in range(n):
        g = greenlet.greenlet(park); g.switch(); keep.append(g)
    t1 = time.perf_counter(); r1 = rss(); extra = {}
elif kind == "asyncio":
    import asyncio
    async def main():
        global r0, r1, t0, t1
        ev = asyncio.Event()
        async def park(): await ev.wait()
        r0 = rss(); t0 = time.perf_counter()
        ts = [asyncio.create_task(park()) for _ in range(n)]
        await asyncio.sleep(0)
        t1 = time.perf_counter(); r1 = rss()
        ev.set(); await asyncio.gather(*ts)
    asyncio.run(main()); extra = {}
elif kind == "threads":
    import threading
    ev = threading.Event()
    r0 = rss(); t0 = time.perf_counter()
    ts = [threading.Thread(target=ev.wait) for _ in range(n)]
    for t in ts: t.start()
    t1 = time.perf_counter(); r1 = rss()
    ev.set()
    for t in ts: t.join()
    extra = {}
print(json.dumps(dict(kind=kind, n=n, bytes_per_unit=(r1 - r0) / n,
                      create_s=t1 - t0, rss_after_mib=r1 / 2**20, **extra)))
"""

THREAD_LIMIT_CODE = r"""
import sys, threading, time, json
cap = int(sys.argv[1])
ev = threading.Event(); ts = []; err = None
t0 = time.perf_counter()
try:
    for _ in range(cap):
        t = threading.Thread(target=ev.wait); t.start(); ts.append(t)
except Exception as e:
    err = repr(e)
t1 = time.perf_counter()
ev.set()
for t in ts: t.join()
print(json.dumps(dict(started=len(ts), cap=cap, error=err, start_s=t1 - t0)))
"""


def subprocess_json(code, *args, timeout=1800):
    out = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True,
                         text=True, timeout=timeout)
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "failed"}
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- the report

def have_gevent():
    try:
        import gevent  # noqa: F401
        return True
    except ImportError:
        return False


def run_suite(size, progress=print):
    z = SIZES[size]
    reps = z["reps"]
    res = {"meta": {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "python": sys.version.split()[0], "implementation": platform.python_implementation(),
        "machine": platform.machine(), "cpus": os.cpu_count(), "size": size,
        "greenlet": greenlet.__version__, "uthread": uthread.__version__,
        "tick_source": uthread.TICK_SOURCE}}

    def per_unit(fn, n, *a):
        return median_time(lambda: fn(n, *a), reps) / n * 1e6

    progress("spawn + join ...")
    sp = {"uthread": per_unit(spawn_uthread, z["spawn"]),
          "os threads": per_unit(spawn_threads, z["threads"]),
          "raw greenlet": per_unit(spawn_greenlet, z["spawn"]),
          "asyncio": per_unit(spawn_asyncio, z["spawn"])}
    if have_gevent():
        sp["gevent"] = per_unit(spawn_gevent, z["spawn"])
    res["spawn_join_us"] = sp

    progress("handoff ping-pong ...")
    n = z["handoff"]
    # two one-way handoffs per round trip
    ho = {"uthread semaphore": per_unit(handoff_semaphore, n) / 2,
          "uthread channel": per_unit(handoff_channel, n) / 2,
          "raw greenlet": per_unit(handoff_greenlet, n) / 2,
          "threads Lock": per_unit(handoff_threads_lock, max(n // 10, 100)) / 2,
          "threads Semaphore": per_unit(handoff_threads_semaphore, max(n // 10, 100)) / 2,
          "threads SimpleQueue": per_unit(handoff_threads_simplequeue, max(n // 10, 100)) / 2,
          "asyncio Queue": per_unit(handoff_asyncio, max(n // 4, 100)) / 2}
    res["handoff_us"] = ho

    progress("staged queue throughput ...")
    res["throughput_items_per_s"] = {
        "uthread staged queue": 1e6 / per_unit(staged_queue, n),
        "threads SimpleQueue": 1e6 / per_unit(simplequeue_threads, n)}

    progress("swarm ...")
    ag, st = z["agents"], z["steps"]
    steps_total = ag * st

    def rate(fn, *a, total=steps_total):
        return total / median_time(lambda: fn(*a), reps)
    tag = z["thr_agents"]
    res["swarm_steps_per_s"] = {
        "inline loop (no scheduler)": rate(swarm_inline, ag, st),
        "uthread, yield every step": rate(swarm_uthread, ag, st, True),
        "generators round-robin": rate(swarm_generators, ag, st),
        "asyncio sleep(0)": rate(swarm_asyncio, ag, st),
        f"{tag} OS threads token ring": rate(swarm_threads, tag, max(st // 10, 5),
                                            total=tag * max(st // 10, 5)),
        "uthread, never yields (preemption)": rate(swarm_uthread, ag, st, False)}

    progress("preemption overhead ...")
    loop = z["loop"]
    plain = median_time(lambda: (cpu_loop(loop // 2), cpu_loop(loop // 2)), reps)
    pre = median_time(lambda: preempted_loop(loop), reps)
    res["preemption_overhead"] = {"plain_s": plain, "preempted_s": pre, "ratio": pre / plain}

    progress("memory per parked unit (subprocesses) ...")
    mem = {}
    for m in z["mem"]:
        mem[f"uthread N={m}"] = subprocess_json(MEMORY_CODE, "uthread", m)
    m0 = z["mem"][0]
    mem[f"raw greenlet N={m0}"] = subprocess_json(MEMORY_CODE, "greenlet", m0)
    mem[f"asyncio N={m0}"] = subprocess_json(MEMORY_CODE, "asyncio", m0)
    mem[f"os threads N={z['mem_thr']}"] = subprocess_json(MEMORY_CODE, "threads", z["mem_thr"])
    res["memory"] = mem

    progress("scale (subprocesses) ...")
    res["scale"] = {
        "uthread": subprocess_json(MEMORY_CODE, "uthread", z["scale"]),
        "os thread limit": subprocess_json(THREAD_LIMIT_CODE, z["thr_cap"])}
    return res


def ratio_rows(res):
    """(measure, uthread, baseline, ratio, target, met) rows."""
    rows = []
    sp = res["spawn_join_us"]
    u = sp["uthread"]
    for base, target in (("os threads", 100), ("raw greenlet", 3), ("asyncio", 3), ("gevent", None)):
        if base in sp:
            r = sp[base] / u
            rows.append(("spawn+join us/unit", f"{u:.2f}", f"{base} {sp[base]:.2f}", r,
                         f">= {target}x faster" if target else "-", None if target is None else r >= target))
    ho = res["handoff_us"]
    u = ho["uthread semaphore"]
    fastest_thr = min(ho["threads Lock"], ho["threads Semaphore"], ho["threads SimpleQueue"])
    rows.append(("handoff us (semaphore)", f"{u:.3f}", f"fastest OS thread {fastest_thr:.2f}",
                 fastest_thr / u, ">= 20x faster", fastest_thr / u >= 20))
    rows.append(("handoff us (semaphore)", f"{u:.3f}", f"raw greenlet {ho['raw greenlet']:.3f}",
                 ho["raw greenlet"] / u, "within 2x (>= 0.5)", ho["raw greenlet"] / u >= 0.5))
    rows.append(("handoff us (channel)", f"{ho['uthread channel']:.3f}",
                 f"asyncio Queue {ho['asyncio Queue']:.2f}", ho["asyncio Queue"] / ho["uthread channel"],
                 "-", None))
    tp = res["throughput_items_per_s"]
    rows.append(("staged queue items/s", f"{tp['uthread staged queue']:.0f}",
                 f"threads SimpleQueue {tp['threads SimpleQueue']:.0f}",
                 tp["uthread staged queue"] / tp["threads SimpleQueue"], "-", None))
    sw = res["swarm_steps_per_s"]
    u = sw["uthread, yield every step"]
    for base, target in (("generators round-robin", 0.5), ("asyncio sleep(0)", 3)):
        r = u / sw[base]
        rows.append(("swarm steps/s, yielding", f"{u:.0f}", f"{base} {sw[base]:.0f}", r,
                     f">= {target}x", r >= target))
    thr = [k for k in sw if "OS threads" in k][0]
    rows.append(("swarm steps/s, yielding", f"{u:.0f}", f"{thr} {sw[thr]:.0f}", u / sw[thr], "-", None))
    np_ = sw["uthread, never yields (preemption)"]
    rows.append(("swarm steps/s, never yielding", f"{np_:.0f}",
                 f"inline loop {sw['inline loop (no scheduler)']:.0f}",
                 np_ / sw["inline loop (no scheduler)"], "-", None))
    po = res["preemption_overhead"]
    limit = 1.5 if sys.version_info >= (3, 12) else 4.0
    rows.append(("preemption overhead (loop)", f"{po['preempted_s']*1e3:.1f} ms",
                 f"plain {po['plain_s']*1e3:.1f} ms", po["ratio"], f"<= {limit}x slower",
                 po["ratio"] <= limit))
    for k, v in res["memory"].items():
        if "bytes_per_unit" in v:
            target = "<= 5 KB" if k.startswith("uthread") else "-"
            met = (v["bytes_per_unit"] <= 5000) if k.startswith("uthread") else None
            rows.append(("RSS bytes per parked unit", f"{v['bytes_per_unit']:.0f}" if k.startswith("uthread") else "",
                         f"{k}: {v['bytes_per_unit']:.0f}", None, target, met))
    sc = res["scale"]["uthread"]
    if "n" in sc:
        rows.append((f"{sc['n']} concurrent microthreads", f"spawn+park {sc['create_s']:.1f} s",
                     f"finish {sc.get('finish_s', 0):.1f} s, RSS {sc['rss_after_mib']:.0f} MiB",
                     None, "complete", True))
    else:
        rows.append(("concurrent microthreads", "failed", sc.get("error", ""), None, "complete", False))
    tl = res["scale"]["os thread limit"]
    rows.append(("OS threads this machine allows", "", f"{tl.get('started')} of cap {tl.get('cap')}"
                 + (f" ({tl['error']})" if tl.get("error") else ""), None, "-", None))
    return rows


def format_table(res):
    m = res["meta"]
    lines = [f"uthread {m['uthread']} on CPython {m['python']} ({m['tick_source']}), greenlet "
             f"{m['greenlet']}, {m['cpus']} CPUs, size {m['size']}, {m['date']}", "",
             "| measure | uthread | baseline | ratio | target | met |",
             "|---|---|---|---|---|---|"]
    for measure, u, base, ratio, target, met in ratio_rows(res):
        r = "" if ratio is None else f"{ratio:.2f}"
        ok = "" if met is None else ("yes" if met else "**no**")
        lines.append(f"| {measure} | {u} | {base} | {r} | {target} | {ok} |")
    return "\n".join(lines)


def draw_png(res, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib is not installed (pip install 'uthread[plot]'): no PNG drawn"
    rows = [r for r in ratio_rows(res) if r[3] is not None]
    labels = [f"{r[0]}\nvs {r[2].rsplit(' ', 1)[0]}" for r in rows]
    ratios = [r[3] for r in rows]
    colors = ["tab:green" if r[5] else ("tab:red" if r[5] is False else "tab:gray") for r in rows]
    fig, ax = plt.subplots(figsize=(10, 0.45 * len(rows) + 1.5))
    ax.barh(range(len(rows)), ratios, color=colors)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(labels, fontsize=7)
    ax.set_xscale("log")
    ax.axvline(1.0, color="black", linewidth=0.8)
    for i, v in enumerate(ratios):
        ax.text(v, i, f" {v:.2f}", va="center", fontsize=7)
    ax.invert_yaxis()
    m = res["meta"]
    ax.set_title(f"uthread vs baselines (ratio; green: target met, red: missed) - "
                 f"CPython {m['python']}, {m['date'][:10]}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return None


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m uthread.bench", description=__doc__.splitlines()[0])
    g = p.add_mutually_exclusive_group()
    g.add_argument("--tiny", action="store_const", const="tiny", dest="size")
    g.add_argument("--full", action="store_const", const="full", dest="size")
    p.add_argument("--out", default="bench-results", help="folder for the JSON and PNG")
    args = p.parse_args(argv)
    size = args.size or "quick"
    os.makedirs(args.out, exist_ok=True)
    res = run_suite(size, progress=lambda s: print(s, file=sys.stderr, flush=True))
    table = format_table(res)
    print(table)
    stem = os.path.join(args.out, f"uthread-bench-{res['meta']['python']}-{size}")
    with open(stem + ".json", "w") as f:
        json.dump(res, f, indent=2)
    with open(stem + ".md", "w") as f:
        f.write(table + "\n")
    note = draw_png(res, stem + ".png")
    print(f"\nwrote {stem}.json, {stem}.md" + ("" if note else f" and {stem}.png"))
    if note:
        print(note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
