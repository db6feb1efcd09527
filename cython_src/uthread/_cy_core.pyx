# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython_src/uthread/_cy_core.pyx: the scheduler.  Microthreads on greenlets,
# tick preemption from C hooks, and the park/unpark primitive under every blocking object.
#
# Design, in order of importance:
#  1. One OS thread per scheduler; everything here runs with the GIL, on that thread.
#  2. Every switch goes through ut_switch() (_ut_hooks.h), which carries the
#     tracing state across greenlets; preemption happens only in _on_tick().
#  3. Microthreads switch directly to the next runnable one; the host (the
#     greenlet that called run()) gets control back only when nothing is
#     runnable, a budget is spent, or a joined microthread finished.
#  4. A finished microthread's greenlet runs the next fresh microthread
#     itself, or waits in the idle pool: greenlets are reused, not remade.
#  5. Ticks are counted per scheduler; the same program, seed and interpreter
#     give the same ticks, hence the same switches.  Wall-clock time enters
#     only through sleep(), seconds= budgets and the thread pool.

cimport cython
from cpython.ref cimport PyObject, Py_DECREF
from cpython.contextvars cimport PyContext_New, PyContext_Enter, PyContext_Exit

import functools
import heapq
import sys
import threading
import time
import weakref

# Imported eagerly: a first import inside a microthread would cost it ticks.
from uthread._cy_rng import _make_rng
from uthread._errors import (
    DeadlockError, FinishedError, InvalidStateError, Killed, MicrothreadExit,
    OutsideMicrothreadError, Timeout, UthreadError, WrongThreadError, working,
)

cdef extern from "_ut_hooks.h":
    int UT_USE_MONITORING
    int (*ut_slow_path)(ut_counter *) except -1
    ut_counter *ut_get_active()
    void ut_set_active(ut_counter *c)
    double ut_now()
    object ut_monitor_callback(int which)
    int (*ut_instr_slow_path)(ut_counter *, PyObject *) except -1
    int ut_get_event_kind()
    PyObject *ut_get_event_code()
    int UT_EV_JUMP
    object ut_getcurrent()
    object ut_greenlet_new(object run, object parent)
    int ut_set_parent(object g, object parent) except -1
    object ut_switch(object target, int in_hook)
    object ut_throw(object target, object exc_type)
    void ut_prepare_exit()
    PyObject *ut_greenlet_exit_type()
    int ut_greenlet_import() except -1
    unsigned long ut_thread_ident()
    PyObject *ut_nonempty_context_copy()
    void ut_trace_install(ut_saved_trace *saved)
    void ut_trace_restore(ut_saved_trace *saved)
    object PyObject_Call_kw "PyObject_Call"(object fn, object args, PyObject *kwargs)
    PyObject *PyEval_GetFrame()


# ---------------------------------------------------------------- constants

#: Ticks per slice when a Scheduler is made without quantum=.
DEFAULT_QUANTUM = 1000
#: The seed of a Scheduler made without seed=: runs are reproducible by default.
DEFAULT_SEED = 1999
#: Threads in a scheduler's blocking-call pool when made without pool_size=.
DEFAULT_POOL_SIZE = 20
# Idle greenlets kept for reuse per scheduler; beyond this they are let go.
cdef Py_ssize_t IDLE_MAX = 4096

cdef long long INF_TICKS = 1LL << 62

cdef enum:
    ST_RUNNABLE = 1
    ST_RUNNING = 2
    ST_BLOCKED = 3
    ST_DONE = 4

cdef enum:
    OUT_NONE = 0
    OUT_RETURNED = 1
    OUT_RAISED = 2
    OUT_KILLED = 3

cdef enum:
    WAKE_NONE = 0
    WAKE_VALUE = 1
    WAKE_TIMEOUT = 2
    WAKE_KILL = 3

_STATE_NAMES = {ST_RUNNABLE: "runnable", ST_RUNNING: "running",
                ST_BLOCKED: "blocked", ST_DONE: "done"}


@cython.final
cdef class _TimedOut:
    """What park() returns when its timeout ran out."""
    def __repr__(self):
        return "<uthread timed out>"

TIMED_OUT = _TimedOut()

# ---------------------------------------------------------------- validation

cdef long long _check_ticks(object ticks, str what="ticks") except -1:
    if isinstance(ticks, bool) or not isinstance(ticks, int):
        raise TypeError(f"{what} must be an int, not {type(ticks).__name__}")
    if ticks < 0:
        raise ValueError(f"{what} must be >= 0, not {ticks}")
    if ticks >= INF_TICKS:
        return INF_TICKS - 1
    return ticks


cdef double _check_seconds(object seconds, str what="seconds") except -1.0:
    cdef double s
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError(f"{what} must be a number, not {type(seconds).__name__}")
    s = seconds
    if not (s >= 0.0):   # also catches NaN
        raise ValueError(f"{what} must be >= 0, not {seconds!r}")
    return s


cdef double _check_timeout(object timeout) except -2.0:
    """None -> -1.0 (no timeout); else validated seconds."""
    if timeout is None:
        return -1.0
    return _check_seconds(timeout, "timeout")


# ---------------------------------------------------------------- seeds

cdef inline unsigned long long _splitmix64(unsigned long long x) noexcept:
    x += 0x9E3779B97F4A7C15ULL
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL
    return x ^ (x >> 31)


cdef inline unsigned long long _child_seed(unsigned long long parent,
                                           unsigned long long index) noexcept:
    """The seed of the index-th microthread spawned under parent's seed."""
    return _splitmix64(parent ^ _splitmix64(index * 0xD1B54A32D192ED03ULL + 1))


cdef unsigned long long _seed_from(object seed) except? 0:
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, not {type(seed).__name__}")
    cdef unsigned long long acc = _splitmix64(0x75746872656164ULL)   # "uthread"
    cdef object s = abs(seed)
    acc = _splitmix64(acc ^ (1 if seed < 0 else 0))
    while True:
        acc = _splitmix64(acc ^ <unsigned long long>(s & 0xFFFFFFFFFFFFFFFF))
        s >>= 64
        if not s:
            break
    return acc


# ---------------------------------------------------------------- hooks

# Schedulers inside run() on all threads, and microthreads alive anywhere.
# sys.monitoring (3.12+) is interpreter-wide: its events stay on while any
# microthread is alive, because a suspended frame is not re-instrumented when
# its greenlet resumes (toggling them would lose the ticks of a running loop).
cdef int _running_count = 0
cdef long long _global_alive = 0
cdef bint _events_on = False
cdef int _TOOL_ID = -1
cdef object _monitoring = None
cdef int _EVENTS = 0


cdef void _hooks_acquire(Scheduler s) except *:
    global _running_count, _events_on
    if UT_USE_MONITORING:
        if not _events_on:
            _monitoring.set_events(_TOOL_ID, _EVENTS)
            _events_on = True
    else:
        ut_trace_install(&s._saved_trace)
    _running_count += 1


cdef void _hooks_release(Scheduler s) except *:
    global _running_count, _events_on
    _running_count -= 1
    if UT_USE_MONITORING:
        if _events_on and _running_count == 0 and _global_alive == 0:
            _monitoring.set_events(_TOOL_ID, 0)
            _events_on = False
    else:
        ut_trace_restore(&s._saved_trace)


cdef int _raise_from_hook(Microthread cur, object exc, int kind, PyObject *code) except -1:
    """Raise exc in the code the tick hook interrupted.

    On 3.12/3.13 an exception raised by a sys.monitoring JUMP callback skips
    the handlers of the frame that jumped (its finally blocks would not run),
    so there it stays pending and the INSTRUCTION event is armed on that code
    object: the exception is raised at the frame's next instruction, handlers
    included.  From PY_START, or a trace function (3.10/3.11), it is raised
    at once.
    """
    if UT_USE_MONITORING and kind == UT_EV_JUMP:
        if code != NULL and cur is not None:
            cur._pending = exc
            _arm_instruction(cur, <object>code)
            return 0
    raise exc


# Code objects whose INSTRUCTION events are armed, with how many microthreads
# wait for a delivery there.  Invariant: a code object is here exactly while
# uthread's local INSTRUCTION events are set on it.
cdef dict _armed_codes = {}


cdef void _arm_instruction(Microthread mt, object code) except *:
    if mt._armed_code is not None:
        return
    mt._armed_code = code
    n = _armed_codes.get(code, 0)
    _armed_codes[code] = n + 1
    if n == 0:
        _monitoring.set_local_events(_TOOL_ID, code, _monitoring.events.INSTRUCTION)


cdef void _disarm_instruction(Microthread mt) except *:
    cdef object code = mt._armed_code
    if code is None:
        return
    mt._armed_code = None
    n = _armed_codes.get(code, 0) - 1
    if n <= 0:
        _armed_codes.pop(code, None)
        _monitoring.set_local_events(_TOOL_ID, code, 0)
    else:
        _armed_codes[code] = n


cdef int _instruction_slow(ut_counter *c, PyObject *code) except -1:
    """An armed INSTRUCTION event: deliver the pending kill if this is its microthread."""
    cdef Microthread cur = (<Scheduler>c.owner)._current
    cdef object exc
    if cur is None or cur._armed_code is None or cur._pending is None:
        return 0
    if ut_getcurrent() is not cur._greenlet:
        return 0
    _disarm_instruction(cur)
    exc = cur._pending
    cur._pending = None
    (<Scheduler>c.owner)._update_limit()
    raise exc


cdef int _tick_slow(ut_counter *c) except -1:
    return (<Scheduler>c.owner)._on_tick()


# An import is in progress somewhere when importlib holds a module lock; only
# then is the stack walked for importlib's frames (only when a slice ends).
cdef object _module_locks = getattr(sys.modules.get("_frozen_importlib"), "_module_locks", None)
cdef frozenset _IMPORTLIB_FILES = frozenset(
    ["<frozen importlib._bootstrap>", "<frozen importlib._bootstrap_external>"])


cdef bint _import_guard_on = True


cdef bint _import_in_progress() except -1:
    if _module_locks is not None and not _module_locks:
        return False
    cdef PyObject *fp = PyEval_GetFrame()
    if fp == NULL:
        return False
    f = <object>fp
    while f is not None:
        if f.f_code.co_filename in _IMPORTLIB_FILES:
            return True
        f = f.f_back
    return False


# ---------------------------------------------------------------- thread pool helpers

from _thread import allocate_lock as _allocate_lock
from collections import deque as _deque
from concurrent.futures import ThreadPoolExecutor as _ThreadPoolExecutor


cdef str _name_of(object fn):
    return getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn)


@cython.final
cdef class _CallDescription:
    """What a microthread parked on a pool call waits on (for deadlock and dump messages)."""
    cdef object fn

    def __cinit__(self, fn):
        self.fn = fn

    def __repr__(self):
        return f"call_in_thread({_name_of(self.fn)})"


@cython.final
cdef class _Wakeup:
    """A binary semaphore on a raw lock: set() from any thread, wait() on the
    scheduler's.  Cheaper to wake than threading.Event (no Condition)."""
    cdef object _lock

    def __cinit__(self):
        self._lock = _allocate_lock()
        self._lock.acquire()            # held: no signal pending

    def set(self):
        try:
            self._lock.release()
        except RuntimeError:
            pass                         # already signalled

    def wait(self, double timeout):
        """Block until set() (consuming the signal) or timeout seconds (< 0: forever)."""
        if timeout < 0:
            self._lock.acquire()
        elif timeout > 0:
            self._lock.acquire(True, timeout)
        else:
            self._lock.acquire(False)


@cython.final
cdef class _PoolDone:
    """Done-callback of a pool future: runs in a pool thread; only appends and signals."""
    cdef object completions, wakeup, mt
    cdef unsigned long long token

    def __cinit__(self, completions, wakeup, mt, unsigned long long token):
        self.completions = completions
        self.wakeup = wakeup
        self.mt = mt
        self.token = token

    def __call__(self, fut):
        try:
            value = fut.result()
            ok = True
        except BaseException as e:
            value = e
            ok = False
        self.completions.append((self.mt, self.token, ok, value))
        self.mt = None
        self.wakeup.set()


# ---------------------------------------------------------------- ParkingLot

@cython.final
cdef class ParkingLot:
    """A FIFO of parked microthreads: what every blocking object waits on."""

    def __len__(self):
        return self._n

    cdef void _append(self, Microthread mt):
        mt._lot_prev = self._tail
        mt._lot_next = None
        if self._tail is None:
            self._head = mt
        else:
            self._tail._lot_next = mt
        self._tail = mt
        mt._lot = self
        self._n += 1

    cdef void _remove(self, Microthread mt):
        # None-safe: runs while a garbage cycle is being torn down, too.
        if mt is None or mt._lot is not self:
            return
        cdef Microthread p = mt._lot_prev
        cdef Microthread n = mt._lot_next
        if p is None:
            self._head = n
        else:
            p._lot_next = n
        if n is None:
            self._tail = p
        else:
            n._lot_prev = p
        mt._lot_prev = None
        mt._lot_next = None
        mt._lot = None
        self._n -= 1

    cdef object park(self, object why, double timeout):
        """Park the calling microthread here until unpark() or the timeout.

        Returns the value given to unpark(), or TIMED_OUT.  Raises
        OutsideMicrothreadError from host code, and a kill's exception.
        """
        cdef Microthread mt = current_microthread()
        cdef object exc
        if mt is None:
            raise OutsideMicrothreadError(
                f"cannot wait on {why!r} outside a microthread: nothing would wake it")
        if ut_getcurrent() is not mt._greenlet:
            raise UthreadError("cannot block inside a child greenlet of a microthread")
        _raise_pending(mt)
        self._append(mt)
        return mt.scheduler._park(mt, self, why, timeout)

    cdef Microthread unpark(self, object value):
        """Wake the first parked microthread with value; return it (or None)."""
        cdef Microthread mt = self._head
        if mt is None:
            return None
        self._remove(mt)
        mt.scheduler._unpark(mt, value)
        return mt

    cdef Py_ssize_t unpark_all(self, object value):
        cdef Py_ssize_t n = 0
        while self._head is not None:
            self.unpark(value)
            n += 1
        return n


# ---------------------------------------------------------------- Microthread

@cython.final
cdef class Microthread:
    """A microthread: a function running on its own greenlet, preemptible at any tick.

    Made by :func:`uthread.spawn`, :meth:`Scheduler.spawn` or the classic
    :func:`uthread.thread`; never constructed directly.
    """

    def __init__(self, *args, **kwargs):
        raise TypeError("Microthread objects are made by uthread.spawn(), "
                        "Scheduler.spawn() or uthread.thread()")

    def __del__(self):
        if self._outcome == OUT_RAISED and not self._retrieved:
            _report_unretrieved(self)

    def __dealloc__(self):
        global _global_alive
        if self._state != ST_DONE and self._state != 0:
            _global_alive -= 1

    def __repr__(self):
        return f"<Microthread {self.name!r} {_STATE_NAMES.get(self._state, '?')}>"

    # --- properties ---

    @property
    def name(self):
        """The microthread's name; ``Microthread-<n>`` in spawn order unless set."""
        if self._name is None:
            self._name = f"Microthread-{self.seq}"
        return self._name

    @name.setter
    def name(self, value):
        self._name = str(value)

    @property
    def alive(self):
        """True until the microthread has finished (returned, raised or been killed)."""
        return self._state != ST_DONE

    @property
    def state(self):
        """One of ``"runnable"``, ``"running"``, ``"blocked"``, ``"done"``."""
        return _STATE_NAMES[self._state]

    @property
    def killed(self):
        """True once it has ended by :meth:`kill`."""
        return self._outcome == OUT_KILLED

    @property
    def waiting_on(self):
        """What a blocked microthread waits on (None unless blocked)."""
        return self._why if self._state == ST_BLOCKED else None

    @property
    def ticks(self):
        """Ticks this microthread has consumed so far."""
        cdef long long t = self._ticks
        if self._state == ST_RUNNING and self.scheduler._current is self:
            t += self.scheduler.counter.ticks - self.scheduler._slice_start
        return t

    @property
    def slices(self):
        """How many times it has been given the CPU."""
        return self._slices

    @property
    def quantum(self):
        """Ticks per slice for this microthread (its scheduler's unless set).

        Set it to a positive int to override, or to None for the default.
        """
        return self._quantum if self._quantum > 0 else self.scheduler.quantum

    @quantum.setter
    def quantum(self, value):
        if value is None:
            self._quantum = 0
            return
        cdef long long q = _check_ticks(value, "quantum")
        if q == 0:
            raise ValueError("quantum must be >= 1")
        self._quantum = q

    @property
    def random(self):
        """This microthread's own random number generator (see uthread.rng())."""
        return _microthread_rng(self)

    # --- results ---

    cdef object _get_result(self):
        self._retrieved = True
        if self._outcome == OUT_RETURNED:
            return self._value
        if self._outcome == OUT_KILLED:
            raise Killed(f"{self.name} was killed") from self._value
        raise self._value

    def result(self):
        """Return what the function returned, or re-raise what it raised.

        Raises :class:`InvalidStateError` if it has not finished, and
        :class:`Killed` if it was killed.
        """
        if self._state != ST_DONE:
            raise InvalidStateError(f"{self.name} has not finished")
        return self._get_result()

    def join(self, timeout=None):
        """Wait until it finishes; return its result or re-raise its exception.

        Inside a microthread this parks the caller.  From host code it runs
        the microthread's scheduler until this one is done.  Raises
        :class:`Timeout` if ``timeout`` seconds pass first, and
        :class:`DeadlockError` if it can never finish.
        """
        cdef double t = _check_timeout(timeout)
        cdef Scheduler sched = self.scheduler
        cdef Microthread cur
        cdef object r
        sched._check_thread()
        if self._state == ST_DONE:
            return self._get_result()
        cur = current_microthread()
        if cur is not None:
            if cur is self:
                raise InvalidStateError("a microthread cannot join itself")
            if self._joiners is None:
                self._joiners = ParkingLot()
            r = self._joiners.park(self, t)
            if r is TIMED_OUT:
                raise Timeout(f"{self.name} did not finish within {timeout} s")
            return self._get_result()
        if sched._running:
            raise InvalidStateError("join() from host code while its scheduler runs")
        sched._run(None, None, self, ut_now() + t if t >= 0 else -1.0)
        if self._state != ST_DONE:
            raise Timeout(f"{self.name} did not finish within {timeout} s")
        return self._get_result()

    def kill(self):
        """End the microthread by raising :class:`MicrothreadExit` inside it.

        Its ``finally`` blocks and context managers run.  Killing the calling
        microthread raises at once; a parked one is woken; another one gets
        the exception when it next runs (it is moved to the front of the run
        queue).  A microthread that never started just ends.  Killing a
        finished one does nothing.  ``result()`` then raises :class:`Killed`.
        """
        cdef Scheduler sched = self.scheduler
        sched._check_thread()
        if self._state == ST_DONE:
            return
        exc = MicrothreadExit()
        if current_microthread() is self:
            raise exc
        if self._greenlet is None:
            self._outcome = OUT_KILLED
            self._value = exc
            sched._finish(self)
            return
        self._pending = exc
        if self._state == ST_BLOCKED:
            if self._lot is not None:
                self._lot._remove(self)
            self._why = None
            self._wake = WAKE_KILL
            self._park_token += 1
            self._state = ST_RUNNABLE
            sched._rq_push_front(self)
        elif self._state == ST_RUNNING:
            # running as the host of a nested scheduler: raise at its next slice end
            pass

    def step(self, ticks=None):
        """Run a classic microthread for at most ``ticks`` ticks (default: the quantum).

        Returns the function's return value once it has finished, otherwise
        :data:`uthread.working`.  If the function raised, raises that.
        Raises :class:`FinishedError` once it has finished, and
        :class:`InvalidStateError` for a microthread that belongs to a run loop.
        """
        cdef Scheduler sched = self.scheduler
        cdef long long n
        if not self._detached:
            raise InvalidStateError(
                "step() is for microthreads made by uthread.thread(); this one "
                "belongs to a scheduler's run loop: use join() or run()")
        sched._check_thread()
        if self._state == ST_DONE:
            raise FinishedError(f"{self.name} has already finished")
        n = sched.quantum if ticks is None else _check_ticks(ticks)
        sched._run(n, None, None, -1.0)
        if self._state == ST_DONE:
            return self._get_result()
        return working


cdef object _unraisable_args_type = None


cdef void _report_unretrieved(Microthread mt) except *:
    """Report a microthread's exception nobody retrieved, once, through sys.unraisablehook."""
    global _unraisable_args_type
    if mt._retrieved or mt._outcome != OUT_RAISED:
        return
    mt._retrieved = True
    exc = mt._value
    if _unraisable_args_type is None:
        seen = []
        saved = sys.unraisablehook
        sys.unraisablehook = seen.append
        try:
            _write_unraisable_probe()
        finally:
            sys.unraisablehook = saved
        _unraisable_args_type = type(seen[0])
    args = _unraisable_args_type((
        type(exc), exc, exc.__traceback__,
        f"uthread: exception in microthread {mt.name!r} was never retrieved", mt))
    sys.unraisablehook(args)


cdef extern from "Python.h":
    void PyErr_SetString(PyObject *typ, const char *msg)
    void PyErr_WriteUnraisable(PyObject *obj)
    PyObject *PyExc_RuntimeError


cdef void _write_unraisable_probe() noexcept:
    PyErr_SetString(PyExc_RuntimeError, b"probe")
    PyErr_WriteUnraisable(NULL)


# ---------------------------------------------------------------- Scheduler

# id -> weak reference (no callback) of every Scheduler.  Plain weakrefs
# rather than a WeakSet: a WeakSet runs Python code (its removal callback)
# whenever an object dies, which can happen inside a microthread - ticks in
# a callback, where an exception (a kill) would be swallowed.
cdef dict _all_schedulers = {}


cdef list _live(object refs):
    out = []
    for r in refs:
        o = r()
        if o is not None:
            out.append(o)
    return out


@cython.final
cdef class Scheduler:
    """A run loop of microthreads on the OS thread that made it.

    ``quantum``: ticks per slice (default :data:`DEFAULT_QUANTUM`).
    ``seed``: an int from which every microthread's random stream derives
    (default :data:`DEFAULT_SEED`).  ``pool_size``: OS threads for blocking
    calls (default :data:`DEFAULT_POOL_SIZE`, made on first use).
    """

    def __cinit__(self):
        self.counter.ticks = 0
        self.counter.limit = INF_TICKS
        self.counter.last_frame = NULL
        self.counter.last_lasti = -1
        self.counter.owner = <void *>self
        self._run_end = INF_TICKS
        self._sleepers = []
        self._idle = []

    def __init__(self, quantum=None, seed=None, *, pool_size=None):
        if quantum is None:
            self.quantum = DEFAULT_QUANTUM
        else:
            self.quantum = _check_ticks(quantum, "quantum")
            if self.quantum == 0:
                raise ValueError("quantum must be >= 1")
        if seed is None:
            seed = DEFAULT_SEED
        self._seed64 = _seed_from(seed)
        self.seed = seed
        if pool_size is None:
            self.pool_size = DEFAULT_POOL_SIZE
        else:
            self.pool_size = _check_ticks(pool_size, "pool_size")
            if self.pool_size == 0:
                raise ValueError("pool_size must be >= 1")
        self._tid = ut_thread_ident()
        self._worker_main_bound = self._worker_main
        self._unretrieved = []          # weakrefs (no callbacks) of failed microthreads
        _all_schedulers[id(self)] = weakref.ref(self)

    def __dealloc__(self):
        _all_schedulers.pop(id(self), None)

    def __repr__(self):
        return (f"<uthread.Scheduler quantum={self.quantum} alive={self.alive_count}"
                f"{' running' if self._running else ''}{' closed' if self._closed else ''}>")

    cdef void _check_thread(self) except *:
        if ut_thread_ident() != self._tid:
            raise WrongThreadError(
                "this scheduler belongs to another OS thread; each thread has its own")

    # --- run queue ---

    cdef void _rq_push(self, Microthread mt):
        mt._rq_next = None
        if self._rq_tail is None:
            self._rq_head = mt
        else:
            self._rq_tail._rq_next = mt
        self._rq_tail = mt
        self._rq_len += 1

    cdef void _rq_push_front(self, Microthread mt):
        mt._rq_next = self._rq_head
        self._rq_head = mt
        if self._rq_tail is None:
            self._rq_tail = mt
        self._rq_len += 1

    cdef Microthread _rq_pop(self):
        cdef Microthread mt
        while self._rq_head is not None:
            mt = self._rq_head
            self._rq_head = mt._rq_next
            if self._rq_head is None:
                self._rq_tail = None
            mt._rq_next = None
            self._rq_len -= 1
            if mt._state == ST_RUNNABLE:
                return mt
        return None

    # --- spawning ---

    def spawn(self, fn, *args, **kwargs):
        """Schedule ``fn(*args, **kwargs)`` as a new microthread; return it.

        It runs when this scheduler runs, after those already runnable.
        Raises TypeError if fn is not callable.
        """
        return self._spawn(fn, args, kwargs)

    cdef Microthread _spawn(self, object fn, tuple args, dict kwargs):
        global _global_alive
        cdef Microthread mt, parent
        cdef PyObject *ctx
        self._check_thread()
        if self._closed:
            raise InvalidStateError("this scheduler is closed")
        if not callable(fn):
            raise TypeError(f"fn must be callable, not {type(fn).__name__}")
        mt = Microthread.__new__(Microthread)
        mt.scheduler = self
        mt._fn = fn
        mt._args = args
        mt._kwargs = kwargs if kwargs else None
        ctx = ut_nonempty_context_copy()      # new reference or NULL
        if ctx != NULL:
            mt._context = <object>ctx
            Py_DECREF(<object>ctx)
        mt.seq = self._spawned
        self._spawned += 1
        mt._slice_left = -1
        # Seeds follow the spawn tree, never the interleaving.
        parent = current_microthread()
        if parent is not None:
            mt._seed64 = _child_seed(parent._seed64, parent._nchildren)
            parent._nchildren += 1
        else:
            mt._seed64 = _child_seed(self._seed64, self._nroot)
            self._nroot += 1
        mt._all_prev = self._all_tail
        if self._all_tail is None:
            self._all_head = mt
        else:
            self._all_tail._all_next = mt
        self._all_tail = mt
        self.alive_count += 1
        _global_alive += 1
        mt._state = ST_RUNNABLE
        self._rq_push(mt)
        return mt

    # --- park / unpark: the one blocking primitive ---

    cdef object _park(self, Microthread mt, ParkingLot lot, object why, double timeout):
        # Precondition: mt is _current, on its own greenlet; lot (if any) holds it.
        cdef object exc
        cdef object v
        mt._state = ST_BLOCKED
        mt._why = why
        mt._wake = WAKE_NONE
        mt._park_token += 1
        if timeout >= 0:
            self._add_sleeper(mt, ut_now() + timeout)
        try:
            self._switch_away(mt, 0)
        except BaseException:
            # thrown in by greenlet teardown: leave the lot tidy and unwind
            if lot is not None:
                lot._remove(mt)
            raise
        if mt._wake == WAKE_VALUE:
            v = mt._wake_value
            mt._wake_value = None
            if mt._pending is not None:
                # Woken and then killed before it ran: the wake stands (it owns
                # what it was handed) and the kill lands right after this call
                # returns, in the caller's frame.
                self._kill_after_return(mt)
            return v
        _raise_pending(mt)
        if mt._wake == WAKE_TIMEOUT:
            return TIMED_OUT
        raise AssertionError("uthread: microthread resumed without a wake-up")

    cdef void _unpark(self, Microthread mt, object value):
        mt._wake = WAKE_VALUE
        mt._wake_value = value
        mt._lot = None
        mt._why = None
        mt._park_token += 1
        mt._state = ST_RUNNABLE
        self._rq_push(mt)

    cdef void _timeout_wake(self, Microthread mt):
        if mt._lot is not None:
            mt._lot._remove(mt)
        mt._wake = WAKE_TIMEOUT
        mt._why = None
        mt._park_token += 1
        mt._state = ST_RUNNABLE
        self._rq_push(mt)

    cdef void _add_sleeper(self, Microthread mt, double deadline):
        heapq.heappush(self._sleepers, (deadline, mt._park_token, mt.seq, mt))

    cdef void _wake_due(self, double now):
        cdef Microthread mt
        cdef list heap = self._sleepers
        while heap and heap[0][0] <= now:
            entry = heapq.heappop(heap)
            mt = entry[3]
            if mt._state == ST_BLOCKED and mt._park_token == entry[1]:
                self._timeout_wake(mt)

    cdef void _process_completions(self):
        # Results of thread-pool calls, queued by pool threads (deque appends
        # are atomic); a stale token means the caller timed out or was killed.
        cdef Microthread mt
        cdef object item
        while self._completions:
            item = self._completions.popleft()
            self._pool_pending -= 1
            mt = item[0]
            if mt._state == ST_BLOCKED and mt._park_token == item[1]:
                self._unpark(mt, item)

    cdef object _ensure_pool(self):
        if self._pool is None:
            if self._closed:
                raise InvalidStateError("this scheduler is closed")
            self._pool = _ThreadPoolExecutor(max_workers=self.pool_size,
                                             thread_name_prefix="uthread-pool")
            if self._completions is None:
                self._completions = _deque()
                self._wakeup = _Wakeup()
        return self._pool

    cdef object _call_in_thread(self, Microthread mt, object fn, tuple args, dict kwargs,
                                double timeout):
        """Run fn in the pool; park mt until it is done; return or raise its outcome."""
        cdef object pool = self._ensure_pool()
        cdef object r, exc
        cdef unsigned long long token
        if ut_getcurrent() is not mt._greenlet:
            raise UthreadError("cannot block inside a child greenlet of a microthread")
        _raise_pending(mt)
        token = mt._park_token + 1          # the token _park() is about to give it
        fut = pool.submit(fn, *args, **kwargs)
        self._pool_pending += 1
        fut.add_done_callback(_PoolDone(self._completions, self._wakeup, mt, token))
        r = self._park(mt, None, _CallDescription(fn), timeout)
        if r is TIMED_OUT:
            raise Timeout(f"call_in_thread({_name_of(fn)}) did not finish within {timeout} s")
        if r[2]:
            return r[3]
        raise r[3]

    # --- switching ---

    cdef Microthread _pick_next(self):
        """The next microthread to run, or None for the host."""
        cdef double now
        if self._stop or self._fatal is not None:
            return None
        if self.counter.ticks >= self._run_end:
            return None
        if self._deadline_on or self._sleepers:
            now = ut_now()
            if self._deadline_on and now >= self._deadline:
                return None
            if self._sleepers and self._sleepers[0][0] <= now:
                self._wake_due(now)
        if self._completions:
            self._process_completions()
        return self._rq_pop()

    cdef void _leave(self, Microthread cur):
        cur._ticks += self.counter.ticks - self._slice_start
        cur._last_frame = self.counter.last_frame
        cur._last_lasti = self.counter.last_lasti

    cdef object _enter(self, Microthread nxt):
        """Make nxt current (None: the host); return the greenlet to switch to."""
        cdef object g
        if nxt is None:
            self._current = None
            ut_set_active(NULL)
            return self._host
        nxt._state = ST_RUNNING
        self._slice_start = self.counter.ticks
        if nxt._slice_left >= 0:
            nxt._slice_end = self.counter.ticks + nxt._slice_left
            nxt._slice_left = -1
        else:
            nxt._slice_end = self.counter.ticks + (nxt._quantum if nxt._quantum > 0 else self.quantum)
        nxt._slices += 1
        if nxt._epoch != self._epoch:
            nxt._epoch = self._epoch
            self._ran += 1
        if nxt is not self._current:
            self.switches += 1
        self._current = nxt
        self.counter.last_frame = nxt._last_frame
        self.counter.last_lasti = nxt._last_lasti
        self.counter.urgent = nxt._kill_next
        self._update_limit()
        ut_set_active(&self.counter)
        g = nxt._greenlet
        if g is None:
            if self._idle:
                g = self._idle.pop()
            else:
                g = ut_greenlet_new(self._worker_main_bound, self._host)
            nxt._greenlet = g
        return g

    cdef void _kill_after_return(self, Microthread mt) except *:
        """Deliver mt's pending kill as soon as the blocking call it is in returns.

        On 3.12+ by arming INSTRUCTION events on the calling frame's code (the
        next instruction there raises it); on 3.10/3.11 at the next tick (the
        trace function may raise).  Deterministic: the same instruction or
        tick whatever run budgets cut the run.
        """
        cdef PyObject *fp
        if UT_USE_MONITORING:
            fp = PyEval_GetFrame()
            if fp != NULL:
                _arm_instruction(mt, (<object>fp).f_code)
                return
        mt._kill_next = True
        self.counter.urgent = 1

    cdef void _update_limit(self):
        cdef Microthread cur = self._current
        cdef long long lim = cur._slice_end
        if self._run_end < lim:
            lim = self._run_end
        if self._deadline_on:
            if self.counter.ticks + 1 < lim:
                lim = self.counter.ticks + 1
        self.counter.limit = lim

    cdef int _switch_away(self, Microthread cur, int in_hook) except -1:
        """cur gives up the CPU (already queued or parked); returns when it resumes.

        Returns 1 if another microthread or the host ran meanwhile, 0 if cur
        simply starts a new slice.
        """
        cdef Microthread nxt = self._pick_next()
        self._leave(cur)
        if nxt is cur:
            self._enter(cur)
            return 0
        ut_switch(self._enter(self._via_host_if_new(nxt)), in_hook)
        return 1

    cdef Microthread _via_host_if_new(self, Microthread nxt):
        """A brand-new greenlet starts on the stack of whoever first switches
        to it, and inherits its depth: started from a worker, each new one
        would nest deeper (1000 of them overflowed).  So new greenlets are
        started by the host only: give it the CPU, nxt first in line."""
        if nxt is not None and nxt._greenlet is None and not self._idle:
            self._rq_push_front(nxt)
            return None
        return nxt

    cdef int _on_tick(self) except -1:
        """The slow path of the tick hook: end slices and budgets, deliver kills."""
        cdef Microthread cur = self._current
        cdef long long t = self.counter.ticks
        cdef bint budget_over, slice_over
        # Which event this is, read now: other microthreads' hooks run while
        # this one is switched away and overwrite the thread-local copies.
        cdef int kind = ut_get_event_kind()
        cdef PyObject *code = ut_get_event_code()
        cdef int switched
        cdef object exc
        if cur is None or cur._state != ST_RUNNING:
            self.counter.limit = INF_TICKS
            return 0
        # Fix 3: act only on the microthread's own greenlet, never a child's.
        if ut_getcurrent() is not cur._greenlet:
            self.counter.limit = t + 1
            return 0
        if cur._kill_next:
            cur._kill_next = False
            self.counter.urgent = 0
            if cur._pending is not None:
                return self._pending_from_hook(cur, kind, code)
        budget_over = t >= self._run_end or (self._deadline_on and ut_now() >= self._deadline)
        slice_over = t >= cur._slice_end
        if not (budget_over or slice_over):
            self._update_limit()
            return 0
        if cur._atomic > 0:
            cur._preempt_pending = True
            self.counter.limit = INF_TICKS
            return 0
        if ut_thread_ident() != self._tid:
            self.counter.limit = INF_TICKS
            return 0
        if _import_guard_on and _import_in_progress():
            self.counter.limit = t + 1
            return 0
        cur._state = ST_RUNNABLE
        if slice_over:
            cur._slice_left = -1
            self._rq_push(cur)
        else:
            cur._slice_left = cur._slice_end - t
            self._rq_push_front(cur)
        if slice_over:
            self.preemptions += 1      # counted now: cur may not resume in this run
        had_pending = cur._pending is not None
        try:
            switched = self._switch_away(cur, 1)
        except BaseException as e:
            # thrown in while preempted (greenlet teardown): unwind from here
            raise
        if not switched and slice_over:
            self.preemptions -= 1      # nobody else was runnable: a new slice, no switch
        # A kill is delivered here, at the end of a slice, and at park and
        # yield points - never at an arbitrary tick, which might fall inside
        # a weakref callback or a finalizer that would swallow it.  A kill
        # that was already pending is not delivered where a run budget cut
        # (a cut must not change what happens); one that arrived while this
        # microthread was away (killed by host code between runs) is.
        if cur._pending is not None and (slice_over or not had_pending):
            return self._pending_from_hook(cur, kind, code)
        return 0

    cdef int _pending_from_hook(self, Microthread cur, int kind, PyObject *code) except -1:
        cdef object exc = cur._pending
        if cur._armed_code is not None:
            return 0                   # armed already: the next instruction raises it
        cur._pending = None
        self._update_limit()
        return _raise_from_hook(cur, exc, kind, code)

    # --- the worker greenlets ---

    def _worker_main(self, *ignored):
        # The run function of every worker greenlet: runs microthreads one
        # after another, then waits in the idle pool or ends.
        cdef Microthread mt, nxt
        cdef object me = ut_getcurrent()
        cdef object target
        while True:
            mt = self._current
            _run_body(mt)
            if self._current is not mt:
                # Not resumed by the scheduler: the greenlet is being torn down.
                ut_prepare_exit()
                return None
            ut_set_active(NULL)
            self._leave(mt)
            self._finish(mt)
            nxt = self._pick_next()
            if nxt is not None and nxt._greenlet is None:
                nxt._greenlet = me
                self._enter(nxt)
                continue
            target = self._enter(self._via_host_if_new(nxt))
            mt = None       # an idle greenlet must not keep its last microthread alive
            nxt = None
            # Wait in the idle pool until reassigned.  Workers never end on
            # their own: one that ended with another worker as its parent
            # left chains of dead greenlets whose deallocation recursed until
            # the C stack overflowed.  The host retires surplus idle ones.
            self._idle.append(me)
            ut_switch(target, 0)

    cdef void _finish(self, Microthread mt):
        global _global_alive
        cdef Microthread p, n
        mt._state = ST_DONE
        if mt._armed_code is not None:
            _disarm_instruction(mt)
        mt._greenlet = None
        mt._fn = None
        mt._args = None
        mt._kwargs = None
        mt._context = None
        mt._pending = None
        mt._why = None
        p = mt._all_prev
        n = mt._all_next
        if p is None:
            self._all_head = n
        else:
            p._all_next = n
        if n is None:
            self._all_tail = p
        else:
            n._all_prev = p
        mt._all_prev = None
        mt._all_next = None
        self.alive_count -= 1
        _global_alive -= 1
        if mt._joiners is not None:
            mt._joiners.unpark_all(None)
        if mt._outcome == OUT_RAISED:
            if isinstance(mt._value, (KeyboardInterrupt, SystemExit)):
                mt._retrieved = True
                self._fatal = mt._value
            else:
                # prune dead weakrefs whenever the list reaches a power of two
                # (>= 64): amortized O(1), and the list stays within 2x its live part
                if len(self._unretrieved) >= 64 and len(self._unretrieved) & (len(self._unretrieved) - 1) == 0:
                    self._unretrieved = [r for r in self._unretrieved if r() is not None]
                self._unretrieved.append(weakref.ref(mt))
        if mt is self._until:
            self._stop = True

    # --- running ---

    def run(self, *, ticks=None, seconds=None):
        """Run microthreads; return True if any is still alive afterwards.

        With no budget: until every microthread has finished (raising
        :class:`DeadlockError` if the rest can never wake).  With ``ticks=``
        (a total across all microthreads) or ``seconds=``: until that budget
        is spent or nothing is runnable now.  A later call resumes exactly
        where a budget stopped this one.  A microthread's exception is not
        raised here (see :meth:`Microthread.result`), except
        KeyboardInterrupt and SystemExit, which are re-raised.
        """
        return self._run(ticks, seconds, None, -1.0)

    cdef object _run(self, object ticks, object seconds, Microthread until, double until_deadline):
        cdef bint budgeted = ticks is not None or seconds is not None
        cdef ut_counter *prev
        cdef Microthread nxt
        cdef double wake_at, now, t0
        cdef long long tick0, sw0, pre0
        cdef str why
        cdef object deadline
        cdef object f
        self._check_thread()
        if self._closed:
            raise InvalidStateError("this scheduler is closed")
        if self._running:
            raise InvalidStateError(
                "this scheduler is already running (run() cannot be called from its own microthreads)")
        if ticks is not None:
            self._run_end = self.counter.ticks + _check_ticks(ticks)
        else:
            self._run_end = INF_TICKS
        if seconds is not None:
            self._deadline = ut_now() + _check_seconds(seconds)
            self._deadline_on = True
        else:
            self._deadline_on = False
        self._until = until
        self._stop = False
        self._host = ut_getcurrent()
        prev = ut_get_active()
        ut_set_active(NULL)
        self._running = True
        self._epoch += 1
        self._ran = 0
        t0 = ut_now()
        deadline = self._deadline if self._deadline_on else None
        tick0, sw0, pre0 = self.counter.ticks, self.switches, self.preemptions
        why = "done"
        _hooks_acquire(self)
        try:
            while True:
                if self._fatal is not None:
                    f = self._fatal
                    self._fatal = None
                    raise f
                if until is not None and until._state == ST_DONE:
                    break
                nxt = self._pick_next()
                if nxt is not None:
                    ut_switch(self._enter(nxt), 0)
                    continue
                if self._fatal is not None:
                    continue
                if self._stop:
                    why = "stopped"
                    break
                if self.counter.ticks >= self._run_end:
                    why = "ticks"
                    break
                if self._deadline_on and ut_now() >= self._deadline:
                    why = "seconds"
                    break
                if self.alive_count == 0:
                    break
                if budgeted and until is None:
                    why = "idle"
                    break
                now = ut_now()
                if until is not None and until_deadline >= 0 and now >= until_deadline:
                    break
                if self._sleepers or self._pool_pending:
                    wake_at = self._sleepers[0][0] if self._sleepers else -1.0
                    if until_deadline >= 0 and (wake_at < 0 or until_deadline < wake_at):
                        wake_at = until_deadline
                    self._idle_wait(wake_at)
                    continue
                raise DeadlockError(self._blocked())
        finally:
            self.last_run = _make_run_stats(
                self.counter.ticks - tick0, self._ran, self.switches - sw0,
                self.preemptions - pre0, ut_now() - t0, t0, deadline, why)
            self._running = False
            self._host = None
            self._until = None
            self._stop = False
            self._deadline_on = False
            self._run_end = INF_TICKS
            self._current = None
            _hooks_release(self)
            ut_set_active(prev)
        # An idle greenlet's saved C stack holds references to this scheduler
        # that the cyclic GC cannot see: with no microthread left, let them
        # all go, or a dropped scheduler (a finished uthread.thread(), say)
        # would never be freed.  Otherwise keep at most IDLE_MAX for reuse.
        if self.alive_count == 0:
            self._retire_idle(len(self._idle))
        elif len(self._idle) > IDLE_MAX:
            self._retire_idle(len(self._idle) - IDLE_MAX)
        return self.alive_count > 0

    cdef void _retire_idle(self, Py_ssize_t n) except *:
        """End n idle greenlets from the host: each gets GreenletExit, with the
        host as its parent, so no dead greenlet ever points at another."""
        cdef object me = ut_getcurrent()
        cdef object g
        while n > 0 and self._idle:
            g = self._idle.pop()
            ut_set_parent(g, me)
            ut_throw(g, <object>ut_greenlet_exit_type())
            n -= 1

    cdef object _idle_wait(self, double until):
        cdef double delay = until - ut_now() if until >= 0 else -1.0
        if self._wakeup is not None:
            self._wakeup.wait(delay)
        elif delay > 0:
            time.sleep(delay)

    def _blocked(self):
        cdef Microthread mt = self._all_head
        out = []
        while mt is not None:
            if mt._state == ST_BLOCKED:
                out.append((mt, _describe(mt._why)))
            mt = mt._all_next
        return out

    def microthreads(self):
        """A list of this scheduler's live microthreads, in spawn order."""
        cdef Microthread mt = self._all_head
        out = []
        while mt is not None:
            out.append(mt)
            mt = mt._all_next
        return out

    @property
    def running(self):
        """True while run(), join() or step() is running this scheduler."""
        return self._running

    @property
    def closed(self):
        """True once close() has been called."""
        return self._closed

    @property
    def ticks(self):
        """Ticks counted on this scheduler since it was made."""
        return self.counter.ticks

    def stats(self):
        """A snapshot of counters: see :class:`uthread.SchedulerStats`."""
        cdef Microthread mt = self._all_head
        cdef Py_ssize_t runnable = 0, blocked = 0
        per = {}
        while mt is not None:
            if mt._state == ST_RUNNABLE or mt._state == ST_RUNNING:
                runnable += 1
            elif mt._state == ST_BLOCKED:
                blocked += 1
            per[mt] = mt.ticks
            mt = mt._all_next
        from uthread import _introspect
        return _introspect.SchedulerStats(
            alive=self.alive_count, runnable=runnable, blocked=blocked,
            switches=self.switches, preemptions=self.preemptions,
            ticks=self.counter.ticks, per_microthread=per)

    def close(self):
        """Kill every live microthread, let them unwind, and release resources.

        Reports exceptions nobody retrieved, shuts the thread pool down and
        lets the idle greenlets go.  Calling it again does nothing.
        """
        cdef object me
        self._check_thread()
        if self._closed:
            return
        if self._running:
            raise InvalidStateError("cannot close a running scheduler")
        for mt in self.microthreads():
            mt.kill()
        try:
            self._run(None, None, None, -1.0)
        except DeadlockError:
            pass   # stuck in a finally block; their greenlets go with them
        self._closed = True
        self._retire_idle(len(self._idle))
        self._report_unretrieved()
        if self._pool is not None:
            pool = self._pool
            self._pool = None
            pool.shutdown(wait=True, cancel_futures=True)

    def _report_unretrieved(self):
        refs, self._unretrieved = self._unretrieved, []
        for mt in _live(refs):
            _report_unretrieved(mt)


cdef object _RunStats = None


cdef object _make_run_stats(long long ticks, long long ran, long long switches,
                            long long preemptions, double seconds, double started,
                            object deadline, str ended_by):
    global _RunStats
    if _RunStats is None:
        from uthread._introspect import RunStats
        _RunStats = RunStats
    return _RunStats(ticks, ran, switches, preemptions, seconds, started, deadline, ended_by)


cdef inline int _raise_pending(Microthread mt) except -1:
    """Raise the exception kill() left for mt, if any (clearing it)."""
    cdef object exc = mt._pending
    if exc is not None:
        mt._pending = None
        if mt._kill_next:
            mt._kill_next = False
            if mt.scheduler._current is mt:
                mt.scheduler.counter.urgent = 0
        if mt._armed_code is not None:
            _disarm_instruction(mt)
        raise exc
    return 0


cdef str _describe(object why):
    if isinstance(why, str):
        return why
    return repr(why)


cdef int _run_body(Microthread mt) except -1:
    """Run mt's function on this greenlet; record how it ended.  Never raises."""
    cdef object ctx = mt._context
    cdef object value
    if ctx is None:
        ctx = PyContext_New()               # spawned from an empty context
    PyContext_Enter(ctx)
    try:
        if mt._kwargs is None:
            value = PyObject_Call_kw(mt._fn, mt._args, NULL)
        else:
            value = PyObject_Call_kw(mt._fn, mt._args, <PyObject *>mt._kwargs)
        mt._outcome = OUT_RETURNED
        mt._value = value
    except MicrothreadExit as e:
        mt._outcome = OUT_KILLED
        mt._value = e
    except BaseException as e:
        mt._outcome = OUT_RAISED
        mt._value = e
    PyContext_Exit(ctx)
    return 0


# ---------------------------------------------------------------- module API

cdef Microthread current_microthread():
    cdef ut_counter *c = ut_get_active()
    if c == NULL:
        return None
    return (<Scheduler>c.owner)._current


cdef object yield_now():
    cdef Microthread mt = current_microthread()
    cdef Scheduler sched
    cdef object exc
    if mt is None:
        return None
    if ut_getcurrent() is not mt._greenlet:
        raise UthreadError("cannot yield inside a child greenlet of a microthread")
    _raise_pending(mt)
    sched = mt.scheduler
    mt._slice_left = -1
    mt._state = ST_RUNNABLE
    sched._rq_push(mt)
    if mt._detached:
        sched._stop = True      # a classic thread's yield ends its step()
    sched._switch_away(mt, 0)
    _raise_pending(mt)
    return None


cdef object _tls = threading.local()


def default_scheduler():
    """This OS thread's default scheduler (made on first use, remade if closed)."""
    s = getattr(_tls, "scheduler", None)
    if s is None or (<Scheduler>s)._closed:
        s = Scheduler()
        _tls.scheduler = s
    return s


def current_scheduler():
    """The scheduler of the calling microthread, or this thread's default one."""
    cdef Microthread mt = current_microthread()
    if mt is not None:
        return mt.scheduler
    return default_scheduler()


def spawn(fn, *args, **kwargs):
    """Schedule ``fn(*args, **kwargs)`` as a microthread; return it.

    Inside a microthread it joins that microthread's scheduler; in host code,
    this OS thread's default scheduler (run it with :func:`uthread.run`).
    """
    cdef Microthread mt = current_microthread()
    if mt is not None:
        return mt.scheduler._spawn(fn, args, kwargs)
    return (<Scheduler>default_scheduler())._spawn(fn, args, kwargs)


def run(*, ticks=None, seconds=None):
    """Run this OS thread's default scheduler: see :meth:`Scheduler.run`."""
    return (<Scheduler>default_scheduler())._run(ticks, seconds, None, -1.0)


def thread(fn, *args, **kwargs):
    """Classic API: make a microthread attached to no run loop; drive it with ``step()``.

    Microthreads it spawns run only while it is being stepped.
    """
    if not callable(fn):
        raise TypeError(f"fn must be callable, not {type(fn).__name__}")
    cdef Microthread parent = current_microthread()
    cdef Scheduler home = parent.scheduler if parent is not None else default_scheduler()
    cdef Scheduler s = Scheduler(home.quantum)
    cdef Microthread mt = s._spawn(fn, args, kwargs)
    # Its seed is that of a microthread spawned here, so classic threads
    # made in the same order get the same streams.
    if parent is not None:
        mt._seed64 = _child_seed(parent._seed64, parent._nchildren)
        parent._nchildren += 1
    else:
        mt._seed64 = _child_seed(home._seed64, home._nroot)
        home._nroot += 1
    mt._detached = True
    return mt


def schedule():
    """Yield the CPU: the caller goes to the back of the run queue.

    Outside a microthread it does nothing.
    """
    return yield_now()


def sleep(seconds):
    """Park the calling microthread for ``seconds`` (monotonic clock).

    ``sleep(0)`` is :func:`schedule`.  Outside a microthread it is
    :func:`time.sleep`.  Raises ValueError for negative seconds.
    """
    cdef double s = _check_seconds(seconds)
    cdef Microthread mt = current_microthread()
    cdef object exc
    if mt is None:
        time.sleep(s)
        return None
    if s == 0.0:
        return yield_now()
    if ut_getcurrent() is not mt._greenlet:
        raise UthreadError("cannot sleep inside a child greenlet of a microthread")
    _raise_pending(mt)
    mt.scheduler._park(mt, None, "sleep", s)
    return None


def current():
    """The calling microthread, or None in host code."""
    return current_microthread()


def call_in_thread(fn, *args, timeout=None, **kwargs):
    """Run a blocking ``fn(*args, **kwargs)`` in an OS thread; only the caller waits.

    The calling microthread parks while ``fn`` runs in its scheduler's
    thread pool (a ``concurrent.futures.ThreadPoolExecutor`` of
    ``Scheduler(pool_size=...)`` threads, made on first use); other
    microthreads keep running.  Returns ``fn``'s result or re-raises its
    exception.  ``timeout``: seconds before :class:`uthread.Timeout` (the call
    itself runs on; its late result is discarded).  Killing the caller
    resumes it at once.  In host code it simply calls ``fn``.  (To pass ``fn``
    a keyword named ``timeout``, use :func:`functools.partial`.)
    """
    cdef double t = _check_timeout(timeout)
    cdef Microthread mt = current_microthread()
    if not callable(fn):
        raise TypeError(f"fn must be callable, not {type(fn).__name__}")
    if mt is None:
        return fn(*args, **kwargs)
    return mt.scheduler._call_in_thread(mt, fn, args, kwargs, t)


def _call_in_thread_kw(fn, tuple args, dict kwargs):
    """call_in_thread without taking ``timeout`` from fn's keywords (for @blocking)."""
    cdef Microthread mt = current_microthread()
    if mt is None:
        return fn(*args, **kwargs)
    return mt.scheduler._call_in_thread(mt, fn, args, kwargs, -1.0)


def blocking(fn):
    """Decorator: the function always runs through :func:`call_in_thread` in microthreads."""
    if not callable(fn):
        raise TypeError(f"blocking() decorates a callable, not {type(fn).__name__}")

    @functools.wraps(fn)
    def blocking_wrapper(*args, **kwargs):
        return _call_in_thread_kw(fn, args, kwargs)
    blocking_wrapper.__uthread_blocking__ = True
    return blocking_wrapper


@cython.final
cdef class _Atomic:
    """Context manager and decorator: no preemption inside (cooperative switches still happen)."""

    def __enter__(self):
        cdef Microthread mt = current_microthread()
        if mt is not None:
            mt._atomic += 1
        return self

    def __exit__(self, *exc_info):
        cdef Microthread mt = current_microthread()
        cdef Scheduler s
        if mt is not None and mt._atomic > 0:
            mt._atomic -= 1
            if mt._atomic == 0 and mt._preempt_pending:
                mt._preempt_pending = False
                s = mt.scheduler
                if s._current is mt:
                    s.counter.limit = s.counter.ticks + 1
        return False

    def __call__(self, fn):
        if not callable(fn):
            raise TypeError(f"atomic() decorates a callable, not {type(fn).__name__}")
        atomic_cm = self

        @functools.wraps(fn)
        def atomic_wrapper(*args, **kwargs):
            with atomic_cm:
                return fn(*args, **kwargs)
        return atomic_wrapper

    def __repr__(self):
        return "uthread.atomic()"


ATOMIC = _Atomic()


def all_schedulers():
    """Every live Scheduler in the process (any thread)."""
    for k, r in list(_all_schedulers.items()):
        if r() is None:
            del _all_schedulers[k]
    return _live(_all_schedulers.values())


cdef object _microthread_rng(Microthread mt):
    if mt._random is None:
        mt._random = _make_rng(mt._seed64)
    return mt._random


def rng():
    """The calling microthread's random generator; in host code, the current scheduler's."""
    cdef Microthread mt = current_microthread()
    cdef Scheduler s
    if mt is not None:
        return _microthread_rng(mt)
    return _scheduler_rng(default_scheduler())


def _scheduler_rng(Scheduler s):
    if s._root_random is None:
        s._root_random = _make_rng(_splitmix64(s._seed64 ^ 0x686F7374ULL))
    return s._root_random


def _at_exit():
    for s in _live(list(_all_schedulers.values())):
        sch = <Scheduler>s
        try:
            sch._report_unretrieved()
            if sch._pool is not None:
                sch._pool.shutdown(wait=False, cancel_futures=True)
        except BaseException:
            pass


# ---------------------------------------------------------------- module init

ut_greenlet_import()
ut_slow_path = _tick_slow
ut_instr_slow_path = _instruction_slow

if UT_USE_MONITORING:
    _monitoring = sys.monitoring
    for _tid in (4, 3, 2, 1, 0, 5):
        if _monitoring.get_tool(_tid) is None:
            _monitoring.use_tool_id(_tid, "uthread")
            _TOOL_ID = _tid
            break
    else:
        raise ImportError("uthread: every sys.monitoring tool id is taken")
    _monitoring.register_callback(_TOOL_ID, _monitoring.events.PY_START, ut_monitor_callback(0))
    _monitoring.register_callback(_TOOL_ID, _monitoring.events.JUMP, ut_monitor_callback(1))
    _monitoring.register_callback(_TOOL_ID, _monitoring.events.INSTRUCTION, ut_monitor_callback(2))
    _EVENTS = _monitoring.events.PY_START | _monitoring.events.JUMP

#: How ticks are counted on this interpreter.
TICK_SOURCE = ("sys.monitoring PY_START+JUMP" if UT_USE_MONITORING
               else "PyEval_SetTrace call+backward-line")

import atexit
atexit.register(_at_exit)


def _frame_of(Microthread mt):
    """The top Python frame of a suspended microthread, or None."""
    if mt._greenlet is None:
        return None
    return mt._greenlet.gr_frame


def _import_guard(bint on):
    """Testing only: turn the import-in-progress deferral on or off; return the old value."""
    global _import_guard_on
    old = _import_guard_on
    _import_guard_on = on
    return old


def _set_idle_max(Py_ssize_t n):
    """Testing only: how many idle greenlets a scheduler keeps; returns the old value."""
    global IDLE_MAX
    old = IDLE_MAX
    IDLE_MAX = n
    return old


def _registry_size():
    """Testing only: entries in the scheduler registry, dead ones included."""
    return len(_all_schedulers)
