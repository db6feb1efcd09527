# cython: language_level=3, boundscheck=False, wraparound=False
# cython_src/uthread/_cy_prims.pyx: the blocking objects - semaphore, staged queue, channel,
# Lock, RLock, Event, Condition - all on the scheduler's one ParkingLot primitive.
#
# Every method here is compiled and calls no Python code between its checks
# and its state changes, so no tick (hence no preemption) can land inside
# one: each operation is atomic with respect to other microthreads.
# Waking is by hand-off: the woken microthread already owns what it waited
# for (a permit, an item, the lock), so nothing can overtake it and a
# timeout or kill while parked leaves the wait queue with nothing taken.

cimport cython
from uthread._cy_core cimport Microthread, ParkingLot, Scheduler, current_microthread

import time as _time
from collections import deque

from uthread._cy_core import TIMED_OUT
from uthread._errors import OutsideMicrothreadError, Timeout, UthreadError


cdef double _timeout_arg(object timeout) except -2.0:
    """None -> -1.0 (wait forever); else non-negative seconds."""
    cdef double t
    if timeout is None:
        return -1.0
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(f"timeout must be a number or None, not {type(timeout).__name__}")
    t = timeout
    if not (t >= 0.0):
        raise ValueError(f"timeout must be >= 0 or None, not {timeout!r}")
    return t


cdef double _threading_timeout(bint blocking, object timeout) except -2.0:
    """threading's acquire(blocking, timeout=-1) convention -> seconds, -1 forever, 0 no wait."""
    cdef double t
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(f"timeout must be a number, not {type(timeout).__name__}")
    t = timeout
    if not blocking:
        if t != -1.0:
            raise ValueError("can't specify a timeout for a non-blocking call")
        return 0.0
    if t == -1.0:
        return -1.0
    if not (t >= 0.0):
        raise ValueError("timeout value must be a non-negative number or -1")
    return t


cdef object _wait_outside(object what, double timeout):
    """A wait in host code that cannot be satisfied now."""
    if timeout == 0.0:
        return TIMED_OUT
    raise OutsideMicrothreadError(
        f"{what} would block outside a microthread, and nothing would wake it")


cdef inline object _park(ParkingLot lot, object why, double timeout):
    if timeout == 0.0:
        return TIMED_OUT
    if current_microthread() is None:
        return _wait_outside(why, timeout)
    return lot.park(why, timeout)


cdef void _check_unpark_thread(ParkingLot lot) except *:
    """Waking another microthread must happen on its OS thread."""
    if lot._head is not None:
        lot._head.scheduler._check_thread()


# ---------------------------------------------------------------- semaphore

@cython.final
cdef class semaphore:
    """Will Ware's semaphore: ``n`` interchangeable instances of a resource.

    ``claim()`` parks until an instance is free (waiters are served in FIFO
    order), ``qclaim()`` takes one only if one is free now, ``release()``
    frees one.  Also a context manager, and ``acquire``/``release`` like
    :class:`threading.Semaphore`.
    """
    cdef Py_ssize_t _value
    cdef ParkingLot _lot

    def __init__(self, n=1):
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(f"semaphore count must be an int, not {type(n).__name__}")
        if n < 0:
            raise ValueError(f"semaphore count must be >= 0, not {n}")
        self._value = n
        self._lot = ParkingLot()

    def __repr__(self):
        return f"<uthread.semaphore value={self._value} waiters={len(self._lot)}>"

    @property
    def value(self):
        """Instances free now."""
        return self._value

    @property
    def waiters(self):
        """Microthreads parked in claim()/acquire()."""
        return len(self._lot)

    cdef bint _take(self, double timeout) except -1:
        if self._value > 0:
            self._value -= 1
            return True
        return _park(self._lot, self, timeout) is not TIMED_OUT

    def claim(self, timeout=None):
        """Take an instance, parking until one is free; return True.

        Raises :class:`uthread.Timeout` if ``timeout`` seconds pass first,
        and :class:`OutsideMicrothreadError` in host code when none is free.
        """
        if not self._take(_timeout_arg(timeout)):
            raise Timeout(f"semaphore not claimed within {timeout} s")
        return True

    def qclaim(self):
        """Take an instance if one is free now: True, else False.  Never blocks."""
        if self._value > 0:
            self._value -= 1
            return True
        return False

    def release(self):
        """Free an instance: the first waiter gets it, else the count goes up."""
        _check_unpark_thread(self._lot)
        if self._lot.unpark(None) is None:
            self._value += 1

    def acquire(self, blocking=True, timeout=-1):
        """threading.Semaphore.acquire: True when taken, False on timeout or non-blocking miss."""
        return self._take(_threading_timeout(blocking, timeout))

    def __enter__(self):
        self.claim()
        return self

    def __exit__(self, *exc_info):
        self.release()
        return False


# ---------------------------------------------------------------- staged queue

@cython.final
cdef class queue:
    """Will Ware's staged queue: items move one stage toward the front per step().

    ``put(x)`` appends to the rear stage; ``get()`` removes and returns the
    first item of the front stage, or None if the front stage is empty;
    ``step()`` concatenates the front two stages into the new front stage and
    adds an empty rear stage.  With one stage ``put`` goes straight to the
    front and ``step()`` changes nothing.
    """
    # _front is stage 0 (a deque, for O(1) get); _rear holds stages 1..n-1.
    # Invariant: while microthreads wait in get_wait, _front is empty.
    cdef object _front
    cdef list _rear
    cdef Py_ssize_t _count
    cdef ParkingLot _lot

    def __init__(self, stages):
        if isinstance(stages, bool) or not isinstance(stages, int):
            raise TypeError(f"stages must be an int, not {type(stages).__name__}")
        if stages < 1:
            raise ValueError(f"stages must be >= 1, not {stages}")
        self._front = deque()
        self._rear = [[] for _ in range(stages - 1)]
        self._count = 0
        self._lot = ParkingLot()

    def __repr__(self):
        return f"<uthread.queue stages={[len(s) for s in self.stages]}>"

    def __len__(self):
        """Items in all stages."""
        return self._count

    @property
    def stages(self):
        """A read-only snapshot: a tuple of tuples, front stage first."""
        return (tuple(self._front),) + tuple(tuple(s) for s in self._rear)

    @property
    def waiters(self):
        """Microthreads parked in get_wait()."""
        return len(self._lot)

    cdef void _feed_waiters(self) except *:
        if self._lot._n == 0 or not self._front:
            return
        _check_unpark_thread(self._lot)
        while self._lot._n > 0 and self._front:
            self._count -= 1
            self._lot.unpark(self._front.popleft())

    def put(self, x):
        """Append x to the rear stage (the front one if there is only one)."""
        if self._rear:
            (<list>self._rear[len(self._rear) - 1]).append(x)
            self._count += 1
        else:
            self._front.append(x)
            self._count += 1
            self._feed_waiters()

    def get(self):
        """Remove and return the first item of the front stage, or None if it is empty."""
        if not self._front:
            return None
        self._count -= 1
        return self._front.popleft()

    def step(self):
        """Advance every stage one step toward the front."""
        if not self._rear:
            return
        self._front.extend(<list>self._rear.pop(0))
        self._rear.append([])
        self._feed_waiters()

    def get_wait(self, timeout=None):
        """Like get(), but park until an item is at the front; return it.

        Raises :class:`uthread.Timeout` if ``timeout`` seconds pass first.
        """
        cdef double t = _timeout_arg(timeout)
        cdef object r
        if self._front:
            self._count -= 1
            return self._front.popleft()
        r = _park(self._lot, self, t)
        if r is TIMED_OUT:
            raise Timeout(f"no item reached the front within {timeout} s")
        return r


# ---------------------------------------------------------------- channel

class ChannelClosed(UthreadError):
    """send() on a closed channel, or receive() on one that is closed and empty."""


cdef object _SEND = object()
cdef object _SEND_EXC = object()


@cython.final
cdef class channel:
    """A Stackless-style rendezvous: ``send`` parks until a receiver takes the value.

    ``balance``: negative when receivers wait, positive when senders wait.
    Iterating receives until the channel is closed.
    """
    cdef ParkingLot _senders, _receivers
    cdef bint _closing

    def __init__(self):
        self._senders = ParkingLot()
        self._receivers = ParkingLot()

    def __repr__(self):
        return f"<uthread.channel balance={self.balance}{' closing' if self._closing else ''}>"

    @property
    def balance(self):
        """Senders waiting (positive) or receivers waiting (negative)."""
        return self._senders._n - self._receivers._n

    @property
    def closing(self):
        """True once close() was called."""
        return self._closing

    @property
    def closed(self):
        """True once close() was called and no sender is left waiting."""
        return self._closing and self._senders._n == 0

    cdef object _send(self, object kind, object payload, double t):
        cdef Microthread me
        cdef object r
        if self._closing:
            raise ChannelClosed("send on a closed channel")
        if self._receivers._n > 0:
            _check_unpark_thread(self._receivers)
            self._receivers.unpark((kind, payload))
            return None
        me = current_microthread()
        if me is None:
            _wait_outside(self, t if t == 0.0 else -1.0)
            raise Timeout("no receiver was waiting")
        if t == 0.0:
            raise Timeout("no receiver was waiting")
        me._park_data = (kind, payload)
        try:
            r = self._senders.park(self, t)
        finally:
            me._park_data = None
        if r is TIMED_OUT:
            raise Timeout(f"no receiver took the value within {t} s")
        if r is not None:
            raise ChannelClosed("the channel was closed before a receiver came")
        return None

    def send(self, value, timeout=None):
        """Hand value to a receiver, parking until one takes it."""
        return self._send(_SEND, value, _timeout_arg(timeout))

    def send_exception(self, exc_type, *args):
        """Make the receiver raise ``exc_type(*args)``, parking until one does."""
        if not (isinstance(exc_type, type) and issubclass(exc_type, BaseException)):
            raise TypeError("send_exception() needs an exception class")
        return self._send(_SEND_EXC, (exc_type, args), -1.0)

    def receive(self, timeout=None):
        """Take a value from a sender, parking until one comes."""
        cdef double t = _timeout_arg(timeout)
        cdef Microthread sender
        cdef object item
        if self._senders._n > 0:
            _check_unpark_thread(self._senders)
            sender = self._senders._head
            item = sender._park_data
            self._senders.unpark(None)
        else:
            if self._closing:
                raise ChannelClosed("receive on a closed, empty channel")
            item = _park(self._receivers, self, t)
            if item is TIMED_OUT:
                raise Timeout(f"no sender came within {timeout} s")
        kind, payload = item
        if kind is _SEND_EXC:
            raise payload[0](*payload[1])
        if kind is not _SEND:   # woken by close()
            raise ChannelClosed("the channel was closed")
        return payload

    def close(self):
        """No more sends.  Waiting senders are still received; waiting receivers
        (nothing left for them) get :class:`ChannelClosed`."""
        self._closing = True
        if self._receivers._n > 0:
            _check_unpark_thread(self._receivers)
            self._receivers.unpark_all((None, None))

    def __iter__(self):
        return self

    def __next__(self):
        try:
            return self.receive()
        except ChannelClosed:
            raise StopIteration from None


# ---------------------------------------------------------------- threading-shaped

@cython.final
cdef class Lock:
    """threading.Lock for microthreads: acquire(blocking=True, timeout=-1), release(), locked()."""
    cdef bint _locked
    cdef ParkingLot _lot

    def __cinit__(self):
        self._lot = ParkingLot()

    def __repr__(self):
        return f"<uthread.Lock {'locked' if self._locked else 'unlocked'} waiters={len(self._lot)}>"

    cdef bint _acquire(self, double t) except -1:
        if not self._locked:
            self._locked = True
            return True
        return _park(self._lot, self, t) is not TIMED_OUT

    def acquire(self, blocking=True, timeout=-1):
        """Take the lock; True if taken, False on timeout or a non-blocking miss."""
        return self._acquire(_threading_timeout(blocking, timeout))

    def release(self):
        """Release the lock (any microthread may); the first waiter gets it."""
        if not self._locked:
            raise RuntimeError("release unlocked lock")
        _check_unpark_thread(self._lot)
        if self._lot.unpark(None) is None:
            self._locked = False

    def locked(self):
        """True while held."""
        return self._locked

    def acquire_lock(self, blocking=True, timeout=-1):
        """Old alias of acquire(), as on threading.Lock."""
        return self.acquire(blocking, timeout)

    def release_lock(self):
        """Old alias of release(), as on threading.Lock."""
        return self.release()

    def locked_lock(self):
        """Old alias of locked(), as on threading.Lock."""
        return self._locked

    def __enter__(self):
        self._acquire(-1.0)
        return True

    def __exit__(self, *exc_info):
        self.release()
        return False

    # for Condition
    def _release_save(self):
        self.release()
        return None

    def _acquire_restore(self, state):
        self._acquire(-1.0)

    def _is_owned(self):
        return self._locked


cdef object _HOST = object()   # the owner of an RLock taken by host code


cdef inline object _me():
    cdef Microthread mt = current_microthread()
    return _HOST if mt is None else mt


@cython.final
cdef class RLock:
    """threading.RLock for microthreads: re-entrant, owned by the microthread that took it."""
    cdef object _owner
    cdef Py_ssize_t _count
    cdef ParkingLot _lot

    def __cinit__(self):
        self._lot = ParkingLot()

    def __repr__(self):
        return f"<uthread.RLock owner={self._owner!r} count={self._count} waiters={len(self._lot)}>"

    cdef bint _acquire(self, double t) except -1:
        cdef object me = _me()
        if self._owner is None:
            self._owner = me
            self._count = 1
            return True
        if self._owner is me:
            self._count += 1
            return True
        if _park(self._lot, self, t) is TIMED_OUT:
            return False
        # handed over by release(): we own it now
        return True

    def acquire(self, blocking=True, timeout=-1):
        """Take (or re-enter) the lock; True if taken, False on timeout."""
        return self._acquire(_threading_timeout(blocking, timeout))

    cdef void _hand_over(self) except *:
        cdef Microthread nxt
        _check_unpark_thread(self._lot)
        nxt = self._lot.unpark(None)
        if nxt is None:
            self._owner = None
            self._count = 0
        else:
            self._owner = nxt
            self._count = 1

    def release(self):
        """Release one level; the lock passes to the first waiter at the last level."""
        if self._owner is not _me():
            raise RuntimeError("cannot release un-acquired lock")
        self._count -= 1
        if self._count == 0:
            self._hand_over()

    def __enter__(self):
        self._acquire(-1.0)
        return True

    def __exit__(self, *exc_info):
        self.release()
        return False

    def _is_owned(self):
        return self._owner is _me()

    def _release_save(self):
        if self._owner is not _me():
            raise RuntimeError("cannot release un-acquired lock")
        count = self._count
        self._count = 0
        self._hand_over()
        return count

    def _acquire_restore(self, count):
        self._acquire(-1.0)
        self._count = count


@cython.final
cdef class Event:
    """threading.Event for microthreads: set(), clear(), is_set(), wait(timeout=None)."""
    cdef bint _flag
    cdef ParkingLot _lot

    def __cinit__(self):
        self._lot = ParkingLot()

    def __repr__(self):
        return f"<uthread.Event {'set' if self._flag else 'unset'} waiters={len(self._lot)}>"

    def is_set(self):
        """True once set() and until clear()."""
        return self._flag

    def set(self):
        """Set the flag and wake every waiter."""
        self._flag = True
        if self._lot._n:
            _check_unpark_thread(self._lot)
            self._lot.unpark_all(True)

    def clear(self):
        """Reset the flag."""
        self._flag = False

    def isSet(self):
        """Old alias of is_set(), as on threading.Event."""
        return self._flag

    def wait(self, timeout=None):
        """Park until the flag is set; True, or False if ``timeout`` seconds passed first."""
        cdef double t = _timeout_arg(timeout)
        if self._flag:
            return True
        return _park(self._lot, self, t) is not TIMED_OUT


@cython.final
cdef class Condition:
    """threading.Condition for microthreads (default lock: a uthread.RLock)."""
    cdef readonly object lock
    cdef ParkingLot _lot

    def __init__(self, lock=None):
        self.lock = RLock() if lock is None else lock
        self._lot = ParkingLot()

    def __repr__(self):
        return f"<uthread.Condition {self.lock!r} waiters={len(self._lot)}>"

    def __enter__(self):
        return self.lock.__enter__()

    def __exit__(self, *exc_info):
        return self.lock.__exit__(*exc_info)

    def acquire(self, *args, **kwargs):
        return self.lock.acquire(*args, **kwargs)

    def release(self):
        return self.lock.release()

    def wait(self, timeout=None):
        """Release the lock, park until notified, re-take the lock.

        Returns True, or False if ``timeout`` seconds passed first.
        """
        cdef double t = _timeout_arg(timeout)
        cdef object r
        if not self.lock._is_owned():
            raise RuntimeError("cannot wait on un-acquired lock")
        if current_microthread() is None:
            _wait_outside(self, -1.0 if t != 0.0 else 0.0)
            return False
        saved = self.lock._release_save()
        try:
            r = self._lot.park(self, t)
        finally:
            self.lock._acquire_restore(saved)
        return r is not TIMED_OUT

    def wait_for(self, predicate, timeout=None):
        """Wait until predicate() is true; return its last value."""
        _timeout_arg(timeout)
        endtime = None
        waittime = timeout
        result = predicate()
        while not result:
            if waittime is not None:
                if endtime is None:
                    endtime = _time.monotonic() + waittime
                else:
                    waittime = endtime - _time.monotonic()
                    if waittime <= 0:
                        break
            self.wait(waittime)
            result = predicate()
        return result

    def notify(self, n=1):
        """Wake up to n waiters."""
        if not self.lock._is_owned():
            raise RuntimeError("cannot notify on un-acquired lock")
        if self._lot._n:
            _check_unpark_thread(self._lot)
        while n > 0 and self._lot._n > 0:
            self._lot.unpark(True)
            n -= 1

    def notify_all(self):
        """Wake every waiter."""
        self.notify(self._lot._n)

    def notifyAll(self):
        """Old alias of notify_all(), as on threading.Condition."""
        self.notify(self._lot._n)
