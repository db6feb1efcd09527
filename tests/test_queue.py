# tests/test_queue.py: Will Ware's staged queue (put/get/step), len, the stages view and get_wait.
import pytest

import uthread


def test_bad_arguments():
    for bad in (0, -1):
        with pytest.raises(ValueError):
            uthread.queue(bad)
    for bad in (1.5, "2", None, True):
        with pytest.raises(TypeError):
            uthread.queue(bad)
    q = uthread.queue(1)
    with pytest.raises(ValueError):
        q.get_wait(timeout=-1)


def test_staging_exactly_as_specified():
    q = uthread.queue(3)
    q.put("a")
    q.put("b")
    assert q.stages == ((), (), ("a", "b"))
    assert q.get() is None                  # front stage empty
    q.step()
    assert q.stages == ((), ("a", "b"), ())
    q.put("c")
    q.step()
    assert q.stages == (("a", "b"), ("c",), ())
    assert len(q) == 3
    assert q.get() == "a"
    q.step()                                # front two stages concatenate
    assert q.stages == (("b", "c"), (), ())
    assert [q.get(), q.get(), q.get()] == ["b", "c", None]
    assert len(q) == 0


def test_one_stage_puts_to_the_front_and_step_changes_nothing():
    q = uthread.queue(1)
    q.put(1)
    assert q.stages == ((1,),)
    q.step()
    assert q.stages == ((1,),)
    assert q.get() == 1 and q.get() is None


def test_stages_view_is_read_only():
    q = uthread.queue(2)
    q.put(1)
    view = q.stages
    assert isinstance(view, tuple) and all(isinstance(s, tuple) for s in view)
    with pytest.raises(AttributeError):
        q.stages = ()


def test_get_wait_parks_until_an_item_reaches_the_front():
    sched = uthread.Scheduler()
    q = uthread.queue(3)
    got = []

    def consumer():
        for _ in range(3):
            got.append(q.get_wait())

    c = sched.spawn(consumer)
    for x in (1, 2, 3):
        q.put(x)
    sched.run(ticks=100)
    assert got == [] and q.waiters == 1
    q.step()
    sched.run(ticks=100)
    assert got == []
    q.step()                                   # now at the front: handed over
    sched.run()
    assert got == [1, 2, 3] and not c.alive and len(q) == 0


def test_get_wait_fifo_among_waiters_and_timeout():
    sched = uthread.Scheduler()
    q = uthread.queue(1)
    got = []

    def consumer(k):
        got.append((k, q.get_wait()))

    def impatient():
        with pytest.raises(uthread.Timeout):
            q.get_wait(timeout=0.01)
        return "timed out"

    for k in range(3):
        sched.spawn(consumer, k)
    i = sched.spawn(impatient)
    sched.run(ticks=100)
    q.put("x")
    q.put("y")
    sched.run(ticks=100)
    assert got == [(0, "x"), (1, "y")]
    q.put("z")
    sched.run()
    assert got[2] == (2, "z") and i.result() == "timed out"


def test_kill_while_parked_in_get_wait():
    sched = uthread.Scheduler()
    q = uthread.queue(1)
    a = sched.spawn(q.get_wait)
    b = sched.spawn(q.get_wait)
    sched.run(ticks=10)
    assert q.waiters == 2
    a.kill()
    assert q.waiters == 1
    q.put("item")
    sched.run()
    assert b.result() == "item" and a.killed and len(q) == 0


def test_get_wait_outside():
    q = uthread.queue(1)
    q.put(5)
    assert q.get_wait() == 5
    with pytest.raises(uthread.OutsideMicrothreadError):
        q.get_wait()
    with pytest.raises(uthread.Timeout):
        q.get_wait(timeout=0)
