# tests/test_threading_shaped.py: Lock, RLock, Event, Condition behave like threading's.
import threading

import pytest

import uthread


@pytest.fixture
def s():
    sched = uthread.Scheduler(quantum=5)
    yield sched
    sched.close()


def test_same_methods_as_threading():
    pairs = [(uthread.Lock(), threading.Lock()), (uthread.RLock(), threading.RLock()),
             (uthread.Event(), threading.Event()), (uthread.Condition(), threading.Condition())]
    for ours, theirs in pairs:
        public = {n for n in dir(theirs) if not n.startswith("_")}
        assert public <= set(dir(ours)), (type(ours), public - set(dir(ours)))


def test_lock_mutual_exclusion_under_preemption(s):
    lock = uthread.Lock()
    shared = [0]

    def inc():
        for _ in range(100):
            with lock:
                v = shared[0]
                for _ in range(3):
                    pass
                shared[0] = v + 1

    for _ in range(5):
        s.spawn(inc)
    s.run()
    assert shared[0] == 500 and not lock.locked()


def test_lock_semantics():
    lock = uthread.Lock()
    assert lock.acquire() is True and lock.locked()
    assert lock.acquire(False) is False
    assert lock.acquire(timeout=0) is False
    with pytest.raises(uthread.OutsideMicrothreadError):
        lock.acquire()                         # host code, held: would block forever
    lock.release()
    with pytest.raises(RuntimeError):
        lock.release()
    with pytest.raises(ValueError):
        lock.acquire(False, 1)
    with pytest.raises(ValueError):
        lock.acquire(True, -5)


def test_lock_timeout_and_kill(s):
    lock = uthread.Lock()
    lock.acquire()

    def waiter():
        return lock.acquire(timeout=0.01)

    w = s.spawn(waiter)
    s.run()
    assert w.result() is False
    k = s.spawn(lock.acquire)
    s.run(ticks=10)
    k.kill()
    s.run()
    lock.release()
    assert not lock.locked()


def test_rlock_reentrant_and_owned(s):
    r = uthread.RLock()
    log = []

    def owner():
        with r:
            with r:
                log.append("in twice")
                uthread.schedule()
        log.append("released")

    def intruder():
        log.append(("intruder tries", r.acquire(blocking=False)))
        with pytest.raises(RuntimeError):
            r.release()
        with r:
            log.append("intruder got it")

    s.spawn(owner)
    s.spawn(intruder)
    s.run()
    assert log == ["in twice", ("intruder tries", False), "released", "intruder got it"]


def test_event(s):
    ev = uthread.Event()
    got = []

    def waiter(k):
        got.append((k, ev.wait()))

    def timed():
        got.append(("timed", ev.wait(timeout=0.005)))

    for k in range(3):
        s.spawn(waiter, k)
    s.spawn(timed)
    s.run(ticks=50)
    assert got == []
    ev.set()
    s.run()
    assert sorted(map(str, got)) == sorted(map(str, [(0, True), (1, True), (2, True), ("timed", True)])) \
        or ("timed", False) in got
    assert ev.is_set() and ev.wait() is True
    ev.clear()
    assert ev.wait(timeout=0) is False
    with pytest.raises(uthread.OutsideMicrothreadError):
        ev.wait()


def test_event_wait_timeout(s):
    ev = uthread.Event()
    t = s.spawn(ev.wait, 0.01)
    s.run()
    assert t.result() is False


def test_condition_producer_consumer(s):
    cond = uthread.Condition()
    items = []
    got = []

    def consumer(k):
        with cond:
            while not items:
                cond.wait()
            got.append((k, items.pop(0)))

    def producer():
        for i in range(4):
            with cond:
                items.append(i)
                cond.notify()
            uthread.schedule()

    for k in range(4):
        s.spawn(consumer, k)
    s.spawn(producer)
    s.run()
    assert sorted(x for _, x in got) == [0, 1, 2, 3]


def test_condition_wait_for_notify_all_timeout(s):
    cond = uthread.Condition(uthread.Lock())
    state = {"ready": False}

    def waiter():
        with cond:
            return cond.wait_for(lambda: state["ready"])

    def impatient():
        with cond:
            return cond.wait(timeout=0.005)

    ws = [s.spawn(waiter) for _ in range(3)]
    i = s.spawn(impatient)
    s.run(ticks=200)

    def setter():
        with cond:
            state["ready"] = True
            cond.notify_all()

    s.spawn(setter)
    s.run()
    assert [w.result() for w in ws] == [True] * 3
    assert i.result() in (True, False)
    with pytest.raises(RuntimeError):
        cond.wait()
    with pytest.raises(RuntimeError):
        cond.notify()


def test_condition_kill_while_waiting(s):
    cond = uthread.Condition()

    def waiter():
        with cond:
            cond.wait()

    w = s.spawn(waiter)
    s.run(ticks=50)
    w.kill()
    s.run()
    assert w.killed
    assert cond.lock.acquire(blocking=False)   # released on the way out
    cond.lock.release()


@pytest.mark.parametrize("kind", ["Lock", "RLock", "Event", "Condition"])
def test_every_wait_times_out_and_survives_a_kill_while_parked(kind, s):
    obj = getattr(uthread, kind)()
    holder = []

    def hold():                     # make the lock busy / keep the event unset
        if kind in ("Lock", "RLock"):
            with obj:                   # released when the holder is killed
                holder.append(1)
                uthread.sleep(10)

    def wait(timeout):
        if kind in ("Lock", "RLock"):
            return obj.acquire(timeout=-1 if timeout is None else timeout)
        if kind == "Event":
            return obj.wait(timeout)
        with obj:
            return obj.wait(timeout)

    h = s.spawn(hold)
    s.run(ticks=50)
    timed = s.spawn(wait, 0.005)
    s.run(ticks=10**6)
    while timed.alive:
        s.run(seconds=0.01)
    assert timed.result() is False
    victim = s.spawn(wait, None)
    s.run(ticks=10**6)
    assert victim.state == "blocked"
    victim.kill()
    s.run(ticks=10**6)
    assert victim.killed
    h.kill()
    s.run()
    # nothing leaked: the object works normally afterwards
    if kind in ("Lock", "RLock"):
        assert obj.acquire(blocking=False) is True
    elif kind == "Event":
        obj.set()
        assert obj.wait() is True
    else:
        with obj:
            obj.notify_all()


@pytest.mark.parametrize("kind", ["Lock", "RLock", "Event", "Condition"])
def test_bad_timeouts(kind):
    obj = getattr(uthread, kind)()
    if kind in ("Lock", "RLock"):
        with pytest.raises(ValueError):
            obj.acquire(timeout=-5)
        with pytest.raises(TypeError):
            obj.acquire(timeout="1")
    elif kind == "Event":
        with pytest.raises(ValueError):
            obj.wait(-1)
    else:
        with obj:
            with pytest.raises(ValueError):
                obj.wait(-1)
