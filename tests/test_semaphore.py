# tests/test_semaphore.py: uthread.semaphore (claim/qclaim/release, acquire, with) and its guarantees.
import pytest

import uthread
from uthread import _cy_core


def test_bad_arguments():
    for bad in (-1, -5):
        with pytest.raises(ValueError):
            uthread.semaphore(bad)
    for bad in (1.0, "2", None, True):
        with pytest.raises(TypeError):
            uthread.semaphore(bad)
    s = uthread.semaphore()
    with pytest.raises(ValueError):
        s.claim(timeout=-1)
    with pytest.raises(TypeError):
        s.claim(timeout="1")
    with pytest.raises(ValueError):
        s.acquire(False, 1.0)      # like threading: no timeout when non-blocking


def test_defaults_and_qclaim():
    s = uthread.semaphore()
    assert s.value == 1
    assert s.qclaim() is True and s.qclaim() is False
    s.release()
    assert s.value == 1
    z = uthread.semaphore(0)
    assert z.qclaim() is False


def test_shared_counter_loses_no_update_with_the_semaphore():
    """Read-modify-write under quantum=2: proof that preemption lands mid-update."""

    def run(use_semaphore):
        sched = uthread.Scheduler(quantum=2)
        sem = uthread.semaphore()
        shared = {"n": 0}

        def incrementer():
            for _ in range(200):
                if use_semaphore:
                    sem.claim()
                v = shared["n"]
                for _ in range(2):     # a few ticks between read and write
                    pass
                shared["n"] = v + 1
                if use_semaphore:
                    sem.release()

        for _ in range(8):
            sched.spawn(incrementer)
        sched.run()
        return shared["n"]

    assert run(True) == 8 * 200
    assert run(False) < 8 * 200 / 2          # demonstrably loses updates


def test_waiters_wake_in_fifo_order():
    sched = uthread.Scheduler()
    sem = uthread.semaphore(0)
    order = []

    def waiter(k):
        sem.claim()
        order.append(k)

    for k in range(5):
        sched.spawn(waiter, k)
    sched.run(ticks=100)
    assert sem.waiters == 5
    for _ in range(5):
        sem.release()                   # from host code
    sched.run()
    assert order == [0, 1, 2, 3, 4]
    assert sem.value == 0


def test_release_hands_off_no_overtaking():
    sched = uthread.Scheduler()
    sem = uthread.semaphore(0)
    got = []

    def waiter():
        sem.claim()
        got.append("waiter")

    def latecomer():
        got.append(("qclaim", sem.qclaim()))

    sched.spawn(waiter)
    sched.run(ticks=10)
    sem.release()                       # the waiter owns it now
    sched.spawn(latecomer)
    sched.run()
    assert got == ["waiter", ("qclaim", False)]


def test_with_and_acquire():
    sched = uthread.Scheduler()
    sem = uthread.semaphore(2)
    inside = []

    def user(k):
        with sem:
            inside.append(sem.value)
            uthread.schedule()

    for k in range(3):
        sched.spawn(user, k)
    sched.run()
    # u2 gets u0's instance by hand-off; u1 has released by the time u2 runs
    assert inside == [1, 0, 1] and sem.value == 2
    assert sem.acquire() is True and sem.acquire(blocking=False) is True
    assert sem.acquire(blocking=False) is False
    sem.release(), sem.release()


def test_claim_timeout():
    sched = uthread.Scheduler()
    sem = uthread.semaphore(0)

    def f():
        with pytest.raises(uthread.Timeout):
            sem.claim(timeout=0.01)
        assert sem.acquire(timeout=0.01) is False
        assert sem.acquire(True, 0) is False
        return sem.waiters

    t = sched.spawn(f)
    sched.run()
    assert t.result() == 0


def test_claim_timeout_zero_is_a_try():
    sem = uthread.semaphore(0)
    with pytest.raises(uthread.Timeout):
        sem.claim(timeout=0)          # works in host code too: no wait


def test_kill_while_parked_leaves_the_wait_queue():
    sched = uthread.Scheduler()
    sem = uthread.semaphore(0)
    log = []

    def waiter(k):
        try:
            sem.claim()
            log.append(("got", k))
        finally:
            log.append(("finally", k))

    a = sched.spawn(waiter, "a")
    b = sched.spawn(waiter, "b")
    sched.run(ticks=100)
    assert sem.waiters == 2
    a.kill()
    assert sem.waiters == 1            # left at once
    sched.run(ticks=100)
    assert a.killed and log == [("finally", "a")]
    sem.release()
    sched.run()
    assert log[1:] == [("got", "b"), ("finally", "b")]
    assert sem.value == 0 and sem.waiters == 0


def test_claim_outside_a_microthread():
    sem = uthread.semaphore(1)
    assert sem.claim() is True           # free: fine in host code
    with pytest.raises(uthread.OutsideMicrothreadError):
        sem.claim()                       # would block forever
    assert sem.qclaim() is False
    sem.release()
    assert sem.value == 1


def test_release_from_another_os_thread_to_a_waiter_is_refused():
    import threading

    sched = uthread.Scheduler()
    sem = uthread.semaphore(0)
    sched.spawn(sem.claim)
    sched.run(ticks=10)
    errors = []

    def other():
        try:
            sem.release()
        except uthread.WrongThreadError as e:
            errors.append(e)

    th = threading.Thread(target=other)
    th.start()
    th.join()
    assert len(errors) == 1
    sem.release()
    sched.run()
