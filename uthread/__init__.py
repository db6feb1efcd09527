# uthread/__init__.py: the public API.  Everything users import lives here;
# the compiled modules (uthread._cy_*) are private.
"""Cheap, preemptive, deterministic microthreads for CPython 3.10-3.13.

Microthreads run on greenlets; a Cython core counts interpreter ticks
(function entries and loop back-edges) and switches away from a microthread
whose budget is spent, so code that never yields still shares the CPU.
"""

try:
    from uthread import _cy_core
except ImportError as _exc:  # no pure-Python fallback, by design
    raise ImportError(
        "uthread's compiled core (uthread._cy_core) is missing or was built for "
        "another Python.  Build it from the source tree with:\n"
        "    pip install -e .        (or: pip install .)\n"
        "which needs a C compiler, Cython >= 3.0 and greenlet (fetched by pip)."
    ) from _exc

from uthread._errors import (
    DeadlockError,
    FinishedError,
    InvalidStateError,
    Killed,
    MicrothreadExit,
    OutsideMicrothreadError,
    Timeout,
    UthreadError,
    WrongThreadError,
    working,
)
from uthread._cy_core import (
    DEFAULT_POOL_SIZE,
    DEFAULT_QUANTUM,
    DEFAULT_SEED,
    TICK_SOURCE,
    Microthread,
    Scheduler,
    blocking,
    call_in_thread,
    current,
    current_scheduler,
    default_scheduler,
    rng,
    run,
    schedule,
    sleep,
    spawn,
    thread,
)
from uthread._cy_core import ATOMIC as _ATOMIC
from uthread._cy_prims import (
    ChannelClosed,
    Condition,
    Event,
    Lock,
    RLock,
    channel,
    queue,
    semaphore,
)
from uthread._cy_rng import Random
from uthread._introspect import RunStats, SchedulerStats, format_run_info
from uthread._patch import patch, patched, unpatch

__version__ = "0.1.0"

__all__ = [
    # classic API
    "thread",
    "working",
    "semaphore",
    "queue",
    # channels and threading-shaped objects
    "channel",
    "ChannelClosed",
    "Lock",
    "RLock",
    "Event",
    "Condition",
    "Random",
    # modern API
    "spawn",
    "run",
    "schedule",
    "sleep",
    "current",
    "atomic",
    "Scheduler",
    "Microthread",
    "default_scheduler",
    "current_scheduler",
    "rng",
    # blocking calls
    "call_in_thread",
    "blocking",
    "patch",
    "unpatch",
    "patched",
    # introspection
    "stats",
    "format_run_info",
    "SchedulerStats",
    "RunStats",
    # constants
    "DEFAULT_QUANTUM",
    "DEFAULT_SEED",
    "DEFAULT_POOL_SIZE",
    "TICK_SOURCE",
    # errors
    "UthreadError",
    "InvalidStateError",
    "FinishedError",
    "WrongThreadError",
    "OutsideMicrothreadError",
    "DeadlockError",
    "Timeout",
    "Killed",
    "MicrothreadExit",
]


def atomic(fn=None):
    """No preemption inside: ``with uthread.atomic():`` or ``@uthread.atomic``.

    The current microthread is not preempted (by its slice or by a run
    budget) until the block ends; it may still switch cooperatively.  Outside
    a microthread it does nothing.  Used as a decorator, with or without
    parentheses, each call of the function runs atomically.
    """
    if fn is None:
        return _ATOMIC
    return _ATOMIC(fn)


def stats(scheduler=None):
    """A :class:`SchedulerStats` snapshot of the current (or given) scheduler."""
    if scheduler is None:
        scheduler = current_scheduler()
    return scheduler.stats()
