# examples/_common.py: what the three game-loop examples share - command line, the
# lockstep world clock, the host loop (one scheduler budget per frame) and rendering.
import argparse
import hashlib
import os
import sys

import uthread


def parser(description, agents, frames, frame_ticks=20_000):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--seed", type=int, default=uthread.DEFAULT_SEED, help="world seed")
    p.add_argument("--agents", type=int, default=agents, help="number of agents")
    p.add_argument("--frames", type=int, default=frames,
                   help="world steps to simulate (the game may end sooner)")
    p.add_argument("--frame-ticks", type=int, default=frame_ticks,
                   help="tick budget of one host frame (tick mode: the world does not depend on it)")
    p.add_argument("--frame-seconds", type=float, default=None,
                   help="time budget of one host frame instead of ticks (e.g. 0.004)")
    p.add_argument("--quantum", type=int, default=uthread.DEFAULT_QUANTUM)
    p.add_argument("--headless", action="store_true", help="no window: render PNG files")
    p.add_argument("--window", action="store_true",
                   help="a pygame window even without a detected display (any SDL video driver)")
    p.add_argument("--out", default=None, help="folder for PNG files (default: out/<example>)")
    p.add_argument("--png-every", type=int, default=0,
                   help="also write every Nth world step as a PNG (0: first and last only)")
    p.add_argument("--quiet", action="store_true")
    return p


def world_hash(*parts):
    """A short stable digest of the world's state (reprs of plain data)."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


class Lockstep:
    """The world clock: every member submits one action per step, then the
    referee applies them all and starts the next step.

    Agents never yield explicitly; they block in arrive() once their action
    for this step is chosen.  Invariants (all bookkeeping runs inside
    uthread.atomic(), since preemption can land anywhere): ``arrived`` counts
    members that have arrived in the current step, ``arrived <= members``,
    and ``all_in`` is set exactly when they are equal.
    """

    def __init__(self):
        self.step = 0
        self.members = 0
        self.arrived = 0
        self.over = False
        self.all_in = uthread.Event()
        self.next_step = uthread.Event()

    def join(self):
        with uthread.atomic():
            self.members += 1

    def _check(self):
        if self.arrived >= self.members:          # also when the last member left
            self.all_in.set()

    def arrive(self):
        """Done with this step: wait for the next one (or raise if the world ended)."""
        with uthread.atomic():
            ev = self.next_step
            self.arrived += 1
            self._check()
        ev.wait()

    def leave(self, arrived_this_step):
        with uthread.atomic():
            self.members -= 1
            if arrived_this_step:
                self.arrived -= 1
            self._check()

    def wait_all(self):
        """Referee: wait until every member has arrived (True), or none is left (False)."""
        with uthread.atomic():
            if self.members == 0:
                return False
        self.all_in.wait()
        return self.members > 0

    def finish(self):
        """Referee: the last step is done; nobody is released, so nothing acts
        after it and the final world cannot depend on where a frame ended."""
        with uthread.atomic():
            self.step += 1
            self.over = True

    def advance(self):
        """Referee: open the next step and release everyone waiting in arrive()."""
        with uthread.atomic():
            self.step += 1
            self.arrived = 0
            self.all_in.clear()
            ev, self.next_step = self.next_step, uthread.Event()
        ev.set()


def host_loop(sched, world, args, on_frame=None):
    """Run the scheduler one budget per host frame until the world is over.

    In tick mode (--frame-ticks) the world's evolution does not depend on the
    budget: cutting a run into frames never changes the interleaving.
    Returns the number of host frames.
    """
    frames = 0
    while not world.clock.over:
        if args.frame_seconds is not None:
            more = sched.run(seconds=args.frame_seconds)
        else:
            more = sched.run(ticks=args.frame_ticks)
        frames += 1
        stats = sched.last_run
        if on_frame is not None:
            on_frame(stats)
        if not more:
            break
        if stats.ticks == 0 and stats.ended_by == "idle" and not world.clock.over:
            raise RuntimeError("the world stalled: every microthread is blocked")
    return frames


def play(args, sched, world, name, size, title, fps=60):
    """Run a game: a pygame window (one frame per budget) or PNG files.

    ``world`` has ``clock`` (a Lockstep) and ``render(canvas, hud)``.
    Returns (host frames, PNG paths written).
    """
    window = window_available(args)
    canvas = Canvas(size[0], size[1], window=window, title=title)
    folder = None if window else out_dir(args, name)
    written = []
    last = [0]

    def save(tag, hud):
        world.render(canvas, hud)
        written.append(canvas.save(os.path.join(folder, f"{name}_{tag}.png")))

    def on_frame(stats):
        step = world.clock.step
        if window:
            world.render(canvas, f"frame ticks {stats.ticks}  preemptions {stats.preemptions}")
            if not canvas.show(fps):
                world.clock.over = True
        elif args.png_every and step // args.png_every != last[0] // args.png_every:
            save(f"{step:05d}", f"frame ticks {stats.ticks}")
        last[0] = step

    if not window:
        save("00000", "start")
    frames = host_loop(sched, world, args, on_frame)
    if not window:
        save("final", "final")
    canvas.close()
    return frames, written


def out_dir(args, name):
    path = args.out or os.path.join("out", name)
    os.makedirs(path, exist_ok=True)
    return path


# ---------------------------------------------------------------- rendering

def window_available(args):
    if args.headless:
        return False
    try:
        import pygame  # noqa: F401
    except ImportError:
        if args.window:
            raise SystemExit("--window needs pygame-ce: pip install 'uthread[games]'")
        return False
    if args.window:
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
                or sys.platform in ("win32", "darwin"))


class Canvas:
    """Draws with Pillow (PNG files) or into a pygame window: circles, lines, rects, text."""

    def __init__(self, width, height, window=False, title="uthread"):
        self.width, self.height = width, height
        self.window = window
        if window:
            import pygame
            pygame.init()
            self.pg = pygame
            self.screen = pygame.display.set_mode((width, height))
            pygame.display.set_caption(title)
            self.font = pygame.font.Font(None, 20)
            self.clock = pygame.time.Clock()
        else:
            try:
                from PIL import Image, ImageDraw
            except ImportError:
                raise SystemExit("rendering PNG files needs Pillow: pip install 'uthread[games]'")
            self.Image, self.ImageDraw = Image, ImageDraw
        self.begin()

    def begin(self, bg=(18, 18, 24)):
        if self.window:
            self.screen.fill(bg)
        else:
            self.img = self.Image.new("RGB", (self.width, self.height), bg)
            self.draw = self.ImageDraw.Draw(self.img)

    def circle(self, x, y, r, color):
        if self.window:
            self.pg.draw.circle(self.screen, color, (int(x), int(y)), max(1, int(r)))
        else:
            self.draw.ellipse([x - r, y - r, x + r, y + r], fill=color)

    def line(self, x0, y0, x1, y1, color, width=2):
        if self.window:
            self.pg.draw.line(self.screen, color, (int(x0), int(y0)), (int(x1), int(y1)), width)
        else:
            self.draw.line([x0, y0, x1, y1], fill=color, width=width)

    def rect(self, x, y, w, h, color):
        if self.window:
            self.pg.draw.rect(self.screen, color, (int(x), int(y), int(w), int(h)))
        else:
            self.draw.rectangle([x, y, x + w - 1, y + h - 1], fill=color)

    def text(self, x, y, s, color=(230, 230, 230)):
        if self.window:
            self.screen.blit(self.font.render(s, True, color), (x, y))
        else:
            self.draw.text((x, y), s, fill=color)

    def show(self, fps=60):
        """Window mode: flip and keep ~fps; returns False when the window was closed."""
        if not self.window:
            return True
        self.pg.display.flip()
        for event in self.pg.event.get():
            if event.type == self.pg.QUIT:
                return False
        self.clock.tick(fps)
        return True

    def save(self, path):
        if self.window:
            self.pg.image.save(self.screen, path)
        else:
            self.img.save(path)
        return path

    def close(self):
        if self.window:
            self.pg.quit()
