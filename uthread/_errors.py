# uthread/_errors.py: the exceptions uthread raises, and the `working` sentinel.
# Pure Python on purpose: the compiled core imports these, users catch them.

__all__ = [
    "UthreadError",
    "InvalidStateError",
    "FinishedError",
    "WrongThreadError",
    "OutsideMicrothreadError",
    "DeadlockError",
    "Timeout",
    "Killed",
    "MicrothreadExit",
    "working",
]


class UthreadError(RuntimeError):
    """Base class of the errors uthread raises for misuse or failed waits."""


class InvalidStateError(UthreadError):
    """The object is not in a state that allows the call.

    For example ``result()`` of a microthread that has not finished, ``run()``
    of a scheduler that is already running or closed, or ``step()`` of a
    microthread that belongs to a run loop.
    """


class FinishedError(InvalidStateError):
    """``step()`` was called on a classic microthread that has already finished."""


class WrongThreadError(UthreadError):
    """A scheduler or microthread was used from an OS thread other than its own.

    Each OS thread has its own schedulers; their microthreads, run queues and
    blocking objects may only be touched from that thread.
    """


class OutsideMicrothreadError(UthreadError):
    """A blocking call was made outside any microthread and would block forever.

    Host code (code not running inside a microthread) cannot park: nothing
    would ever resume it.  Non-blocking variants (``qclaim()``,
    ``acquire(blocking=False)``) work from host code.
    """


class DeadlockError(UthreadError):
    """``run()`` found microthreads blocked with nothing left that could wake them.

    Nothing was runnable, no microthread was sleeping and no blocking call
    was pending in the thread pool.  ``blocked`` lists ``(microthread, what it
    waits on)`` pairs; the microthreads stay parked (kill them or close the
    scheduler).
    """

    def __init__(self, blocked):
        self.blocked = list(blocked)
        shown = "; ".join(f"{mt.name} waits on {why}" for mt, why in self.blocked[:20])
        more = len(self.blocked) - 20
        if more > 0:
            shown += f"; and {more} more"
        super().__init__(
            f"deadlock: {len(self.blocked)} microthread(s) blocked and nothing can "
            f"wake them: {shown}"
        )


class Timeout(UthreadError, TimeoutError):
    """A blocking call with ``timeout=`` ran out of time.

    Subclasses the built-in :class:`TimeoutError` too.
    """


class Killed(UthreadError):
    """Raised by ``result()``, ``join()`` and ``step()`` of a microthread ended by ``kill()``."""


class MicrothreadExit(BaseException):
    """Raised inside a microthread by ``kill()`` so its ``finally`` blocks run.

    A ``BaseException``, so ``except Exception`` does not swallow it.  Letting
    it propagate ends the microthread as killed.
    """


class _Working:
    """The type of :data:`working`: what ``step()`` returns while unfinished."""

    __slots__ = ()
    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self):
        return "uthread.working"

    def __reduce__(self):
        return (_Working, ())


#: Returned by ``Microthread.step()`` while the microthread has not finished.
working = _Working()
