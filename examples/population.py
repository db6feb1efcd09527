# examples/population.py: predators and prey, one microthread per animal (100,000 by default);
# births spawn microthreads, deaths end them (a predator kills the prey it eats).
"""Population simulation: predators and prey on a grass-covered torus.

Every animal is a microthread running its own life as plain straight-line
Python: look around, move, eat, maybe give birth (spawning a microthread),
grow old and die (its microthread ends; a predator kills the microthread of
the prey it eats).  World steps are lockstep; preemption shares the CPU.
Writes a plot of the populations over time and a picture of the world.

    python examples/population.py                     # 100,000 animals
    python examples/population.py --agents 20000 --frames 60
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import uthread  # noqa: E402
from _common import Lockstep, host_loop, out_dir, parser, world_hash  # noqa: E402

MOVES = ((0, 0), (1, 0), (-1, 0), (0, 1), (0, -1))
CELLS_PER_AGENT = 1.0        # the torus has about as many cells as animals at the start
GRASS_MAX, GRASS_GROW = 3, 0.5
PREY_FOOD, PREY_BIRTH, PREY_AGE = 4, 10, 40
PRED_FOOD, PRED_BIRTH, PRED_AGE = 6, 20, 40
PRED_FRACTION = 10           # one animal in ten starts as a predator
HUNT = 0.5                   # chance a predator catches prey in its cell
PRED_BIRTH_P = 0.3
PRED_VISION = 1              # cells a predator looks at: its own (up to 5 with neighbours)


class Animal:
    __slots__ = ("world", "id", "x", "y", "energy", "age", "mt", "arrived_step", "alive")

    def __init__(self, world, x, y, energy):
        self.world = world
        self.id = world.next_id
        world.next_id += 1
        self.x, self.y, self.energy, self.age = x, y, energy, 0
        self.mt = None
        self.arrived_step = -1
        self.alive = True


class Prey(Animal):
    __slots__ = ()


class Predator(Animal):
    __slots__ = ()


def prey_life(me):
    w = me.world
    rng = uthread.rng()
    try:
        w.clock_arrive(me)                       # born during a step: start with the next
        while True:
            dx, dy = MOVES[rng.randrange(5)]
            with uthread.atomic():
                w.move_prey(me, (me.x + dx) % w.size, (me.y + dy) % w.size)
                cell = me.y * w.size + me.x
                if w.grass[cell] > 0:
                    w.grass[cell] -= 1
                    me.energy += PREY_FOOD
            me.energy -= 1
            me.age += 1
            if me.energy <= 0 or me.age > PREY_AGE:
                return "starved" if me.energy <= 0 else "old age"
            if me.energy >= PREY_BIRTH and rng.random() < 0.5:
                me.energy //= 2
                w.birth(Prey, prey_life, me.x, me.y, me.energy)
            w.clock_arrive(me)
    finally:
        w.death(me)


def predator_life(me):
    w = me.world
    rng = uthread.rng()
    size = w.size
    try:
        w.clock_arrive(me)
        while True:
            # look around: the neighbouring cell with the most prey (pure Python, ticks)
            best, best_n = None, 0
            for dx, dy in MOVES[:PRED_VISION]:
                x, y = (me.x + dx) % size, (me.y + dy) % size
                n = len(w.prey_at.get((x, y), ()))
                if n > best_n:
                    best, best_n = (x, y), n
            if best is None:
                dx, dy = MOVES[rng.randrange(5)]
                best = ((me.x + dx) % size, (me.y + dy) % size)
            me.x, me.y = best
            with uthread.atomic():
                here = w.prey_at.get(best)
                if here and rng.random() < HUNT:
                    victim = next(iter(here.values()))
                    w.death(victim)              # its bookkeeping, even if it never ran
                    victim.mt.kill()             # eaten: its microthread ends
                    w.eaten += 1
                    me.energy += PRED_FOOD
            me.energy -= 1
            me.age += 1
            if me.energy <= 0 or me.age > PRED_AGE:
                return "starved" if me.energy <= 0 else "old age"
            if me.energy >= PRED_BIRTH and rng.random() < PRED_BIRTH_P:
                me.energy //= 2
                w.birth(Predator, predator_life, me.x, me.y, me.energy)
            w.clock_arrive(me)
    finally:
        w.death(me)


class World:
    def __init__(self, sched, agents, frames, seed):
        self.sched = sched
        self.clock = Lockstep()
        self.frames = frames
        self.size = max(20, int((agents * CELLS_PER_AGENT) ** 0.5))
        self.grass = [GRASS_MAX] * (self.size * self.size)
        self.prey_at = {}                        # (x, y) -> {id: prey}, insertion-ordered
        self.predators = {}                      # id -> predator
        self.next_id = 0
        self.counts = {"prey": 0, "predators": 0}
        self.history = []                        # (step, prey, predators, grass)
        self.births = self.deaths = self.eaten = 0
        self.rng = uthread.Random(seed)
        self.snapshot = None

    # -- called by animals, inside or outside atomic sections --

    def clock_arrive(self, me):
        me.arrived_step = self.clock.step
        self.clock.arrive()

    def move_prey(self, me, x, y):
        cell = self.prey_at.get((me.x, me.y))
        if cell is not None:
            cell.pop(me.id, None)
            if not cell:
                del self.prey_at[(me.x, me.y)]
        me.x, me.y = x, y
        self.prey_at.setdefault((x, y), {})[me.id] = me

    def remove_prey(self, me):
        cell = self.prey_at.get((me.x, me.y))
        if cell is not None and cell.pop(me.id, None) is not None and not cell:
            del self.prey_at[(me.x, me.y)]

    def birth(self, kind, life, x, y, energy):
        with uthread.atomic():
            a = kind(self, x, y, energy)
            if kind is Prey:
                self.prey_at.setdefault((x, y), {})[a.id] = a
                self.counts["prey"] += 1
            else:
                self.predators[a.id] = a
                self.counts["predators"] += 1
            self.births += 1
            self.clock.join()
        a.mt = uthread.spawn(life, a)

    def death(self, me):
        """Once per animal: by its own finally block, or by the predator that ate it."""
        with uthread.atomic():
            if not me.alive:
                return
            if isinstance(me, Prey):
                self.remove_prey(me)
                self.counts["prey"] -= 1
            else:
                self.predators.pop(me.id, None)
                self.counts["predators"] -= 1
            self.deaths += 1
            me.alive = False
            self.clock.leave(me.arrived_step == self.clock.step)

    # -- the referee: grass grows, history is kept, the next step starts --

    def referee(self):
        clock = self.clock
        self.history.append((0, self.counts["prey"], self.counts["predators"], sum(self.grass)))
        while clock.wait_all():
            grass, rnd = self.grass, self.rng.random
            for i in range(len(grass)):
                if grass[i] < GRASS_MAX and rnd() < GRASS_GROW:
                    grass[i] += 1
            last = clock.step + 1 >= self.frames
            if last:
                clock.finish()
            else:
                clock.advance()
            self.history.append((clock.step, self.counts["prey"], self.counts["predators"], sum(grass)))
            if last:
                break
        if not clock.over:
            clock.finish()

    def state(self):
        return (self.clock.step, tuple(self.history), self.births, self.deaths, self.eaten,
                tuple(sorted((k, tuple(v)) for k, v in self.prey_at.items())))


def build(args):
    sched = uthread.Scheduler(quantum=args.quantum, seed=args.seed)
    world = World(sched, args.agents, args.frames, args.seed)
    rng = world.rng
    n_pred = max(1, args.agents // PRED_FRACTION)
    for i in range(args.agents):
        kind, life, energy = (Predator, predator_life, 10) if i < n_pred else (Prey, prey_life, 6)
        a = kind(world, rng.randrange(world.size), rng.randrange(world.size), energy)
        if kind is Prey:
            world.prey_at.setdefault((a.x, a.y), {})[a.id] = a
            world.counts["prey"] += 1
        else:
            world.predators[a.id] = a
            world.counts["predators"] += 1
        world.clock.join()
        a.mt = sched.spawn(life, a)
    sched.spawn(world.referee).name = "referee"
    return sched, world


def draw_world(world, path):
    try:
        from PIL import Image
    except ImportError:
        return None
    n, scale = world.size, max(1, 600 // world.size)
    img = Image.new("RGB", (n, n))
    px = img.load()
    for y in range(n):
        for x in range(n):
            g = world.grass[y * n + x]
            px[x, y] = (20, 30 + 40 * g, 20)
    for (x, y), cell in world.prey_at.items():
        px[x, y] = (200, 230, 120) if len(cell) == 1 else (255, 255, 160)
    for a in world.predators.values():
        px[a.x, a.y] = (230, 60, 60)
    img = img.resize((n * scale, n * scale), Image.NEAREST)
    img.save(path)
    return path


def plot_history(world, path, title):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("  (no plot: pip install 'uthread[plot]' for matplotlib)")
        return None
    steps = [h[0] for h in world.history]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.plot(steps, [h[1] for h in world.history], label="prey", color="tab:green")
    ax.plot(steps, [h[2] for h in world.history], label="predators", color="tab:red")
    ax.set_xlabel("world step")
    ax.set_ylabel("animals (one microthread each)")
    ax.set_title(title, fontsize=10)
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def progress_bar(total, quiet):
    if quiet:
        return None
    try:
        from tqdm import tqdm
        return tqdm(total=total, unit="step", desc="population", leave=True)
    except ImportError:
        return None


def main(argv=None):
    args = parser(__doc__.splitlines()[0], agents=100_000, frames=40, frame_ticks=200_000).parse_args(argv)
    if args.agents < 10:
        raise SystemExit("--agents must be >= 10")
    sched, world = build(args)
    bar = progress_bar(args.frames, args.quiet)
    seen = [0]
    peak = [0]

    def on_frame(stats):
        peak[0] = max(peak[0], sched.alive_count)
        step = world.clock.step
        if bar is not None and step > seen[0]:
            bar.update(step - seen[0])
            bar.set_postfix(prey=world.counts["prey"], predators=world.counts["predators"],
                            refresh=False)
        elif bar is None and not args.quiet and step // 10 > seen[0] // 10:
            print(f"  step {step}: {world.counts['prey']} prey, {world.counts['predators']} predators",
                  flush=True)
        seen[0] = step

    frames = host_loop(sched, world, args, on_frame)
    if bar is not None:
        bar.close()
    folder = out_dir(args, "population")
    pictures = []
    title = (f"uthread population: {args.agents} animals at start, seed {args.seed}, "
             f"{world.births} births, {world.deaths} deaths")
    for p in (plot_history(world, os.path.join(folder, "population_plot.png"), title),
              draw_world(world, os.path.join(folder, "population_world.png"))):
        if p:
            pictures.append(p)
    digest = world_hash(world.state())
    left = dict(world.counts)
    births, deaths, eaten = world.births, world.deaths, world.eaten
    sched.close()                        # kills the animals still alive
    if not args.quiet:
        print(f"population: {world.clock.step} world steps in {frames} host frames; "
              f"{left['prey']} prey and {left['predators']} predators left; "
              f"{births} births, {deaths} deaths ({eaten} eaten); "
              f"peak {peak[0]} live microthreads")
        if pictures:
            print(f"  pictures: {', '.join(pictures)}")
    print(f"world hash {digest}")
    return digest, pictures


if __name__ == "__main__":
    main()
