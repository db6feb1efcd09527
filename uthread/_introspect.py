# uthread/_introspect.py: statistics snapshots and the run-info dump.
# Read-only views of schedulers; nothing here changes scheduling.
import sys
import traceback
from dataclasses import dataclass, field

__all__ = ["SchedulerStats", "RunStats", "format_run_info"]


@dataclass(frozen=True)
class SchedulerStats:
    """A snapshot of a scheduler's counters, from :func:`uthread.stats`.

    ``alive``: microthreads not yet finished; ``runnable``: of those, ready to
    run (or running); ``blocked``: parked on something; ``switches``: times a
    microthread was given the CPU; ``preemptions``: slices ended by the tick
    budget with another microthread taking over; ``ticks``: ticks counted on
    the scheduler so far; ``per_microthread``: ticks consumed by each live
    microthread.
    """

    alive: int
    runnable: int
    blocked: int
    switches: int
    preemptions: int
    ticks: int
    per_microthread: dict = field(default_factory=dict)


@dataclass(frozen=True)
class RunStats:
    """What the last ``run()`` (or ``step()``/``join()``) did: ``Scheduler.last_run``.

    For a game's HUD or log, one per frame: ``ticks`` used, ``microthreads``
    given the CPU, ``switches``, ``preemptions``, wall ``seconds``;
    ``started`` and ``deadline`` are ``time.monotonic()`` values (deadline:
    None without ``seconds=``); ``ended_by`` is ``"ticks"`` or ``"seconds"``
    (budget spent), ``"idle"`` (nothing runnable), ``"done"`` (nothing
    alive), or ``"stopped"`` (a joined or stepped microthread finished or
    yielded).
    """

    ticks: int
    microthreads: int
    switches: int
    preemptions: int
    seconds: float
    started: float
    deadline: object
    ended_by: str


def format_run_info(scheduler=None):
    """Lines describing every live microthread and its stack, like gevent's run-info dump.

    With no argument: every scheduler in the process.  Returns a list of
    strings (join them with newlines to print).
    """
    from uthread import _cy_core

    schedulers = [scheduler] if scheduler is not None else _cy_core.all_schedulers()
    lines = []
    current = _cy_core.current()
    for sched in schedulers:
        mts = sched.microthreads()
        lines.append(f"{sched!r}: {len(mts)} live microthread(s)")
        for mt in mts:
            head = f"  {mt.name} [{mt.state}] ticks={mt.ticks} slices={mt.slices}"
            if mt.waiting_on is not None:
                w = mt.waiting_on
                head += f" waiting on {w if isinstance(w, str) else repr(w)}"
            lines.append(head)
            if mt is current:
                frame = sys._getframe(1)
            else:
                frame = _cy_core._frame_of(mt)
            if frame is None:
                lines.append("    (not started)" if mt.state == "runnable" else "    (no Python frame)")
                continue
            for entry in traceback.format_stack(frame):
                for sub in entry.rstrip("\n").split("\n"):
                    lines.append("    " + sub)
    return lines
