# tests/test_classic.py: Will Ware's classic API: uthread.thread(f, *args), t.step(), uthread.working.
import pytest

import uthread


def count_to(n):
    total = 0
    for i in range(n):
        total += i
    return total


def test_step_loop_runs_to_completion():
    t = uthread.thread(count_to, 1000)
    steps = 0
    while True:
        r = t.step(50)
        steps += 1
        if r is not uthread.working:
            break
    assert r == sum(range(1000))
    # 1000 back-edges + 1 function entry, 50 ticks per step
    assert steps == 21
    assert not t.alive


def test_step_positional_and_keyword_and_default():
    t = uthread.thread(count_to, 10_000)
    assert t.step(5) is uthread.working
    assert t.step(ticks=5) is uthread.working
    assert t.ticks == 10
    assert t.step() is uthread.working          # default: the quantum
    assert t.ticks == 10 + uthread.DEFAULT_QUANTUM


def test_kwargs_are_passed():
    def f(a, b=0, *, c):
        return (a, b, c)

    t = uthread.thread(f, 1, c=3)
    assert t.step() == (1, 0, 3)


def test_infinite_loop_keeps_returning_working():
    def forever():
        x = 0
        while True:
            x += 1

    t = uthread.thread(forever)
    for _ in range(200):
        assert t.step(100) is uthread.working
    assert t.alive
    assert t.ticks == 200 * 100
    t.kill()
    with pytest.raises(uthread.Killed):
        t.step()


def test_step_zero_runs_nothing():
    t = uthread.thread(count_to, 10)
    assert t.step(0) is uthread.working
    assert t.ticks == 0


def test_step_raises_the_functions_exception():
    def boom():
        raise KeyError("x")

    t = uthread.thread(boom)
    with pytest.raises(KeyError):
        t.step()
    assert not t.alive


def test_stepping_a_finished_thread_raises_finished_error():
    t = uthread.thread(count_to, 3)
    assert t.step() == 3
    with pytest.raises(uthread.FinishedError):
        t.step()
    assert isinstance(uthread.FinishedError("x"), uthread.InvalidStateError)


def test_classic_threads_interleave_when_stepped_round_robin():
    log = []

    def worker(k):
        for _ in range(30):
            log.append(k)

    ts = [uthread.thread(worker, k) for k in range(3)]
    alive = list(ts)
    while alive:
        for t in list(alive):
            if t.step(10) is not uthread.working:
                alive.remove(t)
    # each step: 10 ticks = 1 entry + 9 back-edges, then 10 back-edges
    assert log[:9] == [0] * 9 and log[9:18] == [1] * 9 and log[18:27] == [2] * 9
    assert sorted(log) == sorted([0, 1, 2] * 30)


def test_step_on_a_spawned_microthread_is_refused(sched):
    t = sched.spawn(count_to, 3)
    with pytest.raises(uthread.InvalidStateError):
        t.step()


def test_bad_ticks():
    t = uthread.thread(count_to, 3)
    for bad in (-1, -100):
        with pytest.raises(ValueError):
            t.step(bad)
    for bad in (1.5, "3", None.__class__, True):
        with pytest.raises(TypeError):
            t.step(bad)
    assert t.step() == 3


def test_non_callable_is_a_type_error():
    with pytest.raises(TypeError):
        uthread.thread(42)


def test_schedule_inside_a_classic_thread_ends_the_step():
    seen = []

    def f():
        seen.append(1)
        uthread.schedule()
        seen.append(2)
        return "done"

    t = uthread.thread(f)
    assert t.step(1000) is uthread.working
    assert seen == [1]
    assert t.step(1000) == "done"
    assert seen == [1, 2]


def test_working_is_a_singleton():
    from uthread._errors import _Working

    assert _Working() is uthread.working
    assert repr(uthread.working) == "uthread.working"
