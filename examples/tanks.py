# examples/tanks.py: robot tanks.  Each tank is a microthread running straight-line AI
# (scan, think, turn, drive, fire) that never yields; preemption shares the CPU.
"""Robot tanks: an arena of tanks, each driven by its own microthread.

The AI is plain straight-line Python: scan for the nearest enemy, think
(some tanks think hard: they simulate candidate moves in a loop), turn,
drive, fire.  Nothing in it yields.  Actions take effect in lockstep world
steps; the CPU between tanks is shared by tick preemption.  The final world
hash does not depend on --frame-ticks.

    python examples/tanks.py                 # a window with pygame-ce, else PNGs
    python examples/tanks.py --headless --agents 8 --frames 600
"""
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import uthread  # noqa: E402
from _common import Lockstep, parser, play, world_hash  # noqa: E402

W, H = 800, 600
RADIUS = 14
SPEED = 4.0            # per world step
TURN_RATE = 12.0       # degrees per world step
BULLET_SPEED = 11.0
BULLET_TTL = 70
COOLDOWN = 12
HP = 5
COLORS = [(239, 83, 80), (66, 165, 245), (102, 187, 106), (255, 202, 40), (171, 71, 188),
          (38, 198, 218), (255, 112, 67), (236, 64, 122), (141, 110, 99), (189, 189, 189)]


def norm_angle(a):
    return (a + 180.0) % 360.0 - 180.0


class Tank:
    """A tank's body (owned by the world) and its AI's blocking API."""

    def __init__(self, world, tid, x, y, heading, personality):
        self.world, self.id = world, tid
        self.x, self.y, self.heading = x, y, heading
        self.hp = HP
        self.cooldown = 0
        self.personality = personality
        self.action = None
        self.arrived_step = -1
        self.mt = None
        self.shots = self.hits = 0

    @property
    def alive(self):
        return self.hp > 0

    # -- the AI's API: each call submits actions and blocks for world steps --

    def _act(self, action):
        self.action = action
        self.arrived_step = self.world.clock.step
        self.world.clock.arrive()

    def scan(self):
        """The nearest living enemy, or None: a pure-Python search (ticks)."""
        best, best_d = None, 1e18
        for other in self.world.tanks:
            if other is self or not other.alive:
                continue
            d = (other.x - self.x) ** 2 + (other.y - self.y) ** 2
            if d < best_d:
                best, best_d = other, d
        return best

    def bearing(self, other):
        return math.degrees(math.atan2(other.y - self.y, other.x - self.x))

    def turn(self, degrees):
        left = norm_angle(degrees)
        while abs(left) > 1e-9:
            step = max(-TURN_RATE, min(TURN_RATE, left))
            self._act(("turn", step))
            left -= step

    def turn_to(self, heading):
        self.turn(norm_angle(heading - self.heading))

    def drive(self, distance):
        left = distance
        while left > 1e-9:
            step = min(SPEED, left)
            self._act(("drive", step))
            left -= step

    def fire(self):
        self._act(("fire", None))

    def wait(self):
        self._act(("wait", None))


# ---------------------------------------------------------------- personalities (never yield)

def brain_hunter(me):
    """Straight at the nearest enemy, firing when roughly aligned."""
    while True:
        target = me.scan()
        if target is None:
            me.wait()
            continue
        me.turn_to(me.bearing(target))
        me.fire()
        me.drive(SPEED * 6)


def brain_sniper(me):
    """Keeps its distance; thinks hard: predicts where the target will be."""
    rng = uthread.rng()
    while True:
        target = me.scan()
        if target is None:
            me.wait()
            continue
        # CPU-heavy thinking: simulate the target's motion for candidate lead times
        best_t, best_err = 0, 1e18
        tx, ty = target.x, target.y
        vx = math.cos(math.radians(target.heading)) * SPEED
        vy = math.sin(math.radians(target.heading)) * SPEED
        for t in range(0, 60):
            px, py = tx + vx * t, ty + vy * t
            dist = math.hypot(px - me.x, py - me.y)
            err = abs(dist / BULLET_SPEED - t)
            for _ in range(8):                   # deliberately expensive
                err = err * 0.999 + 0.0001
            if err < best_err:
                best_t, best_err = t, err
        aim = math.degrees(math.atan2(ty + vy * best_t - me.y, tx + vx * best_t - me.x))
        me.turn_to(aim)
        me.fire()
        d = math.hypot(tx - me.x, ty - me.y)
        if d < 220:
            me.turn(180 + rng.uniform(-30, 30))
            me.drive(SPEED * 8)


def brain_wanderer(me):
    """Random walk, firing at anything close."""
    rng = uthread.rng()
    while True:
        target = me.scan()
        if target is not None and math.hypot(target.x - me.x, target.y - me.y) < 250:
            me.turn_to(me.bearing(target))
            me.fire()
        me.turn(rng.uniform(-100, 100))
        me.drive(rng.uniform(SPEED * 3, SPEED * 12))


def brain_spinner(me):
    """Spins and fires, circling the arena center."""
    rng = uthread.rng()
    while True:
        cx, cy = W / 2 - me.x, H / 2 - me.y
        if math.hypot(cx, cy) > 180:
            me.turn_to(math.degrees(math.atan2(cy, cx)))
            me.drive(SPEED * 5)
        me.turn(rng.choice((45, 90, -45)))
        if me.scan() is not None:
            me.fire()


BRAINS = [brain_hunter, brain_sniper, brain_wanderer, brain_spinner]


def tank_main(me):
    try:
        BRAINS[me.personality](me)
    finally:
        me.world.clock.leave(me.arrived_step == me.world.clock.step)


# ---------------------------------------------------------------- the world

class Arena:
    def __init__(self, agents, frames):
        self.clock = Lockstep()
        self.tanks = []
        self.bullets = []          # [x, y, vx, vy, owner, ttl]
        self.frames = frames
        self.winner = None
        self.log = []

    def referee(self):
        clock = self.clock
        while clock.wait_all():
            self.physics()
            if sum(t.alive for t in self.tanks) <= 1 or clock.step + 1 >= self.frames:
                break
            clock.advance()
        clock.finish()
        alive = [t for t in self.tanks if t.alive]
        if alive:
            self.winner = max(alive, key=lambda t: (t.hp, t.hits, -t.id))

    def physics(self):
        for t in self.tanks:                       # in id order: deterministic
            if not t.alive or t.action is None:
                continue
            kind, arg = t.action
            t.action = None
            if kind == "turn":
                t.heading = norm_angle(t.heading + arg)
            elif kind == "drive":
                r = math.radians(t.heading)
                t.x = min(W - RADIUS, max(RADIUS, t.x + math.cos(r) * arg))
                t.y = min(H - RADIUS, max(RADIUS, t.y + math.sin(r) * arg))
            elif kind == "fire" and t.cooldown == 0:
                r = math.radians(t.heading)
                self.bullets.append([t.x + math.cos(r) * (RADIUS + 4), t.y + math.sin(r) * (RADIUS + 4),
                                     math.cos(r) * BULLET_SPEED, math.sin(r) * BULLET_SPEED, t.id,
                                     BULLET_TTL])
                t.cooldown = COOLDOWN
                t.shots += 1
            if t.cooldown:
                t.cooldown -= 1
        survivors = []
        for b in self.bullets:
            b[0] += b[2]
            b[1] += b[3]
            b[5] -= 1
            hit = None
            for t in self.tanks:
                if t.alive and t.id != b[4] and (t.x - b[0]) ** 2 + (t.y - b[1]) ** 2 < RADIUS ** 2:
                    hit = t
                    break
            if hit is not None:
                hit.hp -= 1
                self.tanks[b[4]].hits += 1
                if not hit.alive:
                    self.log.append((self.clock.step, "destroyed", hit.id, "by", b[4]))
                    hit.mt.kill()                  # its microthread ends; finally blocks run
            elif b[5] > 0 and 0 <= b[0] <= W and 0 <= b[1] <= H:
                survivors.append(b)
        self.bullets = survivors

    def state(self):
        return (self.clock.step,
                tuple((t.id, round(t.x, 6), round(t.y, 6), round(t.heading, 6), t.hp, t.shots, t.hits)
                      for t in self.tanks),
                tuple(tuple(round(v, 6) if isinstance(v, float) else v for v in b) for b in self.bullets))

    def render(self, canvas, hud=""):
        canvas.begin()
        for x in range(0, W, 50):
            canvas.line(x, 0, x, H, (30, 30, 40), 1)
        for y in range(0, H, 50):
            canvas.line(0, y, W, y, (30, 30, 40), 1)
        for b in self.bullets:
            canvas.circle(b[0], b[1], 2.5, (255, 255, 200))
        for t in self.tanks:
            color = COLORS[t.id % len(COLORS)] if t.alive else (70, 70, 70)
            canvas.circle(t.x, t.y, RADIUS, color)
            r = math.radians(t.heading)
            canvas.line(t.x, t.y, t.x + math.cos(r) * (RADIUS + 9), t.y + math.sin(r) * (RADIUS + 9),
                        (240, 240, 240), 3)
            if t.alive:
                canvas.rect(t.x - RADIUS, t.y - RADIUS - 8, 2 * RADIUS * t.hp / HP, 4, (120, 220, 120))
            canvas.text(t.x - 6, t.y - 6, str(t.id), (0, 0, 0))
        alive = sum(t.alive for t in self.tanks)
        canvas.text(8, 6, f"step {self.clock.step}  tanks alive {alive}  {hud}")


def build(args):
    sched = uthread.Scheduler(quantum=args.quantum, seed=args.seed)
    arena = Arena(args.agents, args.frames)
    rng = uthread.Random(args.seed)
    for i in range(args.agents):
        t = Tank(arena, i, rng.uniform(60, W - 60), rng.uniform(60, H - 60), rng.uniform(-180, 180),
                 i % len(BRAINS))
        arena.tanks.append(t)
        arena.clock.join()
    for t in arena.tanks:
        t.mt = sched.spawn(tank_main, t)
        t.mt.name = f"tank-{t.id}-{BRAINS[t.personality].__name__[6:]}"
    sched.spawn(arena.referee).name = "referee"
    return sched, arena


def main(argv=None):
    args = parser(__doc__.splitlines()[0], agents=8, frames=1500).parse_args(argv)
    if args.agents < 2:
        raise SystemExit("--agents must be >= 2")
    sched, arena = build(args)
    frames, written = play(args, sched, arena, "tanks", (W, H), "uthread robot tanks")
    digest = world_hash(arena.state(), arena.log)
    sched.close()
    if not args.quiet:
        w = arena.winner
        print(f"tanks: {arena.clock.step} world steps in {frames} host frames; "
              f"winner: {'tank %d (%s, %d hp)' % (w.id, BRAINS[w.personality].__name__[6:], w.hp) if w else 'none'}")
        for entry in arena.log:
            print("  step %d: tank %d destroyed by tank %d" % (entry[0], entry[2], entry[4]))
        if written:
            print(f"  pictures: {', '.join(written[-3:])}")
    print(f"world hash {digest}")
    return digest, written


if __name__ == "__main__":
    main()
