# examples/pacman.py: PacMan-style monsters, each a microthread with its own chase strategy,
# talking through staged queues (news arrives steps later) and sharing a tunnel by semaphore.
"""PacMan monsters: several monsters chase PacMan through a maze.

Each monster (and PacMan) is a microthread that plans with a breadth-first
search written in plain Python (CPU-bound, preempted, never yielding).
Monsters that see PacMan radio his position to the others through staged
queues, so the news arrives a fixed number of world steps later; the
wrap-around tunnel admits one monster at a time (a semaphore).

    python examples/pacman.py                 # a window with pygame-ce, else PNGs
    python examples/pacman.py --headless --agents 4 --frames 400
"""
import os
import sys
from collections import deque

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import uthread  # noqa: E402
from _common import Lockstep, parser, play, world_hash  # noqa: E402

MAZE = [
    "#####################",
    "#.........#.........#",
    "#.###.###.#.###.###.#",
    "#...................#",
    "#.###.#.#####.#.###.#",
    "#.....#...#...#.....#",
    "#####.###.#.###.#####",
    "    #.#.......#.#    ",
    "#####.#.##.##.#.#####",
    "TTTT.....#.#.....TTTT",
    "#####.#.#####.#.#####",
    "    #.#.......#.#    ",
    "#####.#.#####.#.#####",
    "#.........#.........#",
    "#.###.###.#.###.###.#",
    "#...#...........#...#",
    "###.#.#.#####.#.#.###",
    "#.....#...#...#.....#",
    "#.#######.#.#######.#",
    "#...................#",
    "#####################",
]
ROWS, COLS = len(MAZE), len(MAZE[0])
CELL = 24
RADIO_DELAY = 3            # stages of every monster's inbox: news is 2 steps old
DIRS = [(0, -1), (1, 0), (0, 1), (-1, 0)]
MONSTER_COLORS = [(239, 83, 80), (244, 143, 177), (77, 208, 225), (255, 183, 77),
                  (129, 199, 132), (149, 117, 205)]
STRATEGIES = ["chaser", "ambusher", "flanker", "wanderer"]


def passable(x, y):
    return MAZE[y][x] != "#" and MAZE[y][x] != " "


def neighbours(x, y):
    for dx, dy in DIRS:
        nx, ny = (x + dx) % COLS, y + dy
        if 0 <= ny < ROWS and passable(nx, ny):
            yield nx, ny


def in_tunnel(x, y):
    return MAZE[y][x] == "T"


def bfs_first_step(start, goal, blocked=()):
    """Breadth-first search in pure Python: the first step toward goal (or None)."""
    if start == goal:
        return None
    prev = {start: None}
    q = deque([start])
    while q:
        cur = q.popleft()
        if cur == goal:
            break
        for nb in neighbours(*cur):
            if nb not in prev and nb not in blocked:
                prev[nb] = cur
                q.append(nb)
    if goal not in prev:
        return None
    step = goal
    while prev[step] != start:
        step = prev[step]
    return step


def line_of_sight(a, b):
    (ax, ay), (bx, by) = a, b
    if ax == bx:
        return all(passable(ax, y) for y in range(min(ay, by), max(ay, by) + 1))
    if ay == by:
        return all(passable(x, ay) for x in range(min(ax, bx), max(ax, bx) + 1))
    return False


class Mover:
    def __init__(self, world, mid, pos):
        self.world, self.id, self.pos = world, mid, pos
        self.want = None
        self.arrived_step = -1
        self.mt = None

    def move(self, target):
        """Ask to move to an adjacent cell (or stay), then wait for the world step."""
        self.want = target
        self.arrived_step = self.world.clock.step
        self.world.clock.arrive()


class Monster(Mover):
    def __init__(self, world, mid, pos, strategy):
        super().__init__(world, mid, pos)
        self.strategy = strategy
        self.inbox = uthread.queue(RADIO_DELAY)
        self.last_news = None
        self.in_tunnel = False
        self.heard = 0
        self.wander_goal = None


def monster_brain(me):
    world = me.world
    rng = uthread.rng()
    try:
        while True:
            pac = world.pacman.pos
            news = me.inbox.get()
            while news is not None:               # read the radio: old news
                me.last_news, me.heard = news, me.heard + 1
                news = me.inbox.get()
            if line_of_sight(me.pos, pac):
                target = pac
                for other in world.monsters:       # tell the others: they hear it later
                    if other is not me:
                        other.inbox.put(("pacman", pac, world.clock.step, me.id))
            elif me.last_news is not None:
                target = me.last_news[1]
            else:
                target = world.corners[me.id % 4]
            if me.strategy == "ambusher" and target == pac:
                d = world.pacman_dir
                ahead = (pac[0] + 4 * d[0], pac[1] + 4 * d[1])
                if 0 <= ahead[0] < COLS and 0 <= ahead[1] < ROWS and passable(*ahead):
                    target = ahead
            elif me.strategy == "flanker":
                chaser = world.monsters[0].pos
                fx, fy = 2 * target[0] - chaser[0], 2 * target[1] - chaser[1]
                if 0 <= fx < COLS and 0 <= fy < ROWS and passable(fx, fy):
                    target = (fx, fy)
            elif me.strategy == "wanderer" and rng.random() < 0.5:
                if me.wander_goal is None or me.pos == me.wander_goal:
                    me.wander_goal = rng.choice(world.tunnel_ends + world.corners)
                target = me.wander_goal
            nxt = bfs_first_step(me.pos, target) or me.pos
            # the tunnel admits one monster at a time
            if in_tunnel(*nxt) and not me.in_tunnel:
                if world.tunnel.qclaim():
                    me.in_tunnel = True
                else:
                    nxt = me.pos
            elif me.in_tunnel and not in_tunnel(*nxt):
                me.in_tunnel = False
                world.tunnel.release()
            me.move(nxt)
    finally:
        if me.in_tunnel:
            world.tunnel.release()
        world.clock.leave(me.arrived_step == world.clock.step)


def pacman_brain(me):
    world = me.world
    try:
        while True:
            danger = set()
            for m in world.monsters:
                danger.add(m.pos)
                danger.update(neighbours(*m.pos))
            dots = world.dots
            best = None
            # nearest dot by BFS, avoiding cells next to monsters
            prev = {me.pos: None}
            q = deque([me.pos])
            while q:
                cur = q.popleft()
                if cur in dots and cur != me.pos:
                    best = cur
                    break
                for nb in neighbours(*cur):
                    if nb not in prev and nb not in danger:
                        prev[nb] = cur
                        q.append(nb)
            if best is None:
                nxt = me.pos
                for nb in neighbours(*me.pos):     # flee: the farthest neighbour
                    if min(abs(nb[0] - m.pos[0]) + abs(nb[1] - m.pos[1]) for m in world.monsters) > \
                       min(abs(nxt[0] - m.pos[0]) + abs(nxt[1] - m.pos[1]) for m in world.monsters):
                        nxt = nb
            else:
                nxt = best
                while prev[nxt] != me.pos:
                    nxt = prev[nxt]
            me.move(nxt)
    finally:
        world.clock.leave(me.arrived_step == world.clock.step)


class World:
    def __init__(self, frames):
        self.clock = Lockstep()
        self.frames = frames
        self.tunnel = uthread.semaphore(1)
        self.open_cells = [(x, y) for y in range(ROWS) for x in range(COLS) if passable(x, y)]
        self.dots = {(x, y) for (x, y) in self.open_cells if MAZE[y][x] == "."}
        self.corners = [(1, 1), (COLS - 2, 1), (1, ROWS - 2), (COLS - 2, ROWS - 2)]
        self.tunnel_ends = [(0, 9), (COLS - 1, 9)]
        self.monsters = []
        self.pacman = None
        self.pacman_dir = (0, 0)
        self.score = 0
        self.result = "time up"
        self.tunnel_uses = 0

    def referee(self):
        clock = self.clock
        while clock.wait_all():
            if self.physics() or clock.step + 1 >= self.frames:
                break
            clock.advance()
        clock.finish()

    def physics(self):
        p = self.pacman
        if p.want is not None:
            self.pacman_dir = (p.want[0] - p.pos[0], p.want[1] - p.pos[1])
            p.pos, p.want = p.want, None
        if p.pos in self.dots:
            self.dots.discard(p.pos)
            self.score += 10
        for m in self.monsters:                  # in id order
            if m.want is not None:
                if in_tunnel(*m.want) and not in_tunnel(*m.pos):
                    self.tunnel_uses += 1
                m.pos, m.want = m.want, None
        for m in self.monsters:
            if m.pos == p.pos:
                self.result = f"caught by monster {m.id} ({m.strategy})"
                return True
        for q in (m.inbox for m in self.monsters):
            q.step()                             # radio messages move one stage closer
        if not self.dots:
            self.result = "all dots eaten"
            return True
        return False

    def state(self):
        return (self.clock.step, self.pacman.pos, self.score, self.result, self.tunnel_uses,
                tuple((m.id, m.pos, m.heard) for m in self.monsters), tuple(sorted(self.dots)))

    def render(self, canvas, hud=""):
        canvas.begin((10, 10, 30))
        for y in range(ROWS):
            for x in range(COLS):
                c = MAZE[y][x]
                if c == "#":
                    canvas.rect(x * CELL, y * CELL + 20, CELL, CELL, (33, 33, 160))
                elif c == "T":
                    canvas.rect(x * CELL, y * CELL + 20, CELL, CELL, (40, 40, 60))
        for (x, y) in self.dots:
            canvas.circle(x * CELL + CELL / 2, y * CELL + 20 + CELL / 2, 2.5, (255, 224, 178))
        px, py = self.pacman.pos
        canvas.circle(px * CELL + CELL / 2, py * CELL + 20 + CELL / 2, CELL * 0.42, (255, 235, 59))
        for m in self.monsters:
            x, y = m.pos
            cx, cy = x * CELL + CELL / 2, y * CELL + 20 + CELL / 2
            color = MONSTER_COLORS[m.id % len(MONSTER_COLORS)]
            canvas.circle(cx, cy - 2, CELL * 0.4, color)
            canvas.rect(cx - CELL * 0.4, cy - 2, CELL * 0.8, CELL * 0.42, color)
            canvas.circle(cx - 4, cy - 4, 3, (255, 255, 255))
            canvas.circle(cx + 4, cy - 4, 3, (255, 255, 255))
        canvas.text(6, 4, f"step {self.clock.step}  score {self.score}  dots left {len(self.dots)}  {hud}")


def build(args):
    sched = uthread.Scheduler(quantum=args.quantum, seed=args.seed)
    world = World(args.frames)
    rng = uthread.Random(args.seed)
    world.pacman = Mover(world, -1, (10, 15))
    world.clock.join()
    starts = [(9, 9), (11, 9), (10, 7), (10, 11), (5, 5), (15, 5)]
    for i in range(args.agents):
        start = starts[i] if i < len(starts) else rng.choice(world.open_cells)
        m = Monster(world, i, start, STRATEGIES[i % len(STRATEGIES)])
        world.monsters.append(m)
        world.clock.join()
    world.pacman.mt = sched.spawn(pacman_brain, world.pacman)
    world.pacman.mt.name = "pacman"
    for m in world.monsters:
        m.mt = sched.spawn(monster_brain, m)
        m.mt.name = f"monster-{m.id}-{m.strategy}"
    sched.spawn(world.referee).name = "referee"
    return sched, world


def main(argv=None):
    args = parser(__doc__.splitlines()[0], agents=4, frames=600, frame_ticks=5000).parse_args(argv)
    if args.agents < 1:
        raise SystemExit("--agents must be >= 1")
    sched, world = build(args)
    frames, written = play(args, sched, world, "pacman", (COLS * CELL, ROWS * CELL + 20),
                           "uthread PacMan monsters", fps=30)
    digest = world_hash(world.state())
    sched.close()
    if not args.quiet:
        print(f"pacman: {world.clock.step} world steps in {frames} host frames: {world.result}; "
              f"score {world.score}, tunnel entered {world.tunnel_uses} times, "
              f"radio messages heard {sum(m.heard for m in world.monsters)}")
        if written:
            print(f"  pictures: {', '.join(written[-3:])}")
    print(f"world hash {digest}")
    return digest, written


if __name__ == "__main__":
    main()
