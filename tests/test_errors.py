# tests/test_errors.py: exceptions in microthreads are isolated, re-raised, or reported once;
# misuse gets a clear exception (deadlock, wrong OS thread, non-callables).
import gc
import threading

import pytest

import uthread


def test_exception_does_not_stop_scheduler_or_others(sched):
    log = []

    def bad():
        log.append("bad")
        raise ValueError("boom")

    def good(k):
        for _ in range(3):
            log.append(k)
            uthread.schedule()
        return k

    b = sched.spawn(bad)
    gs = [sched.spawn(good, k) for k in range(2)]
    assert sched.run() is False         # run() does not raise it
    assert [g.result() for g in gs] == [0, 1]
    with pytest.raises(ValueError, match="boom"):
        b.result()
    with pytest.raises(ValueError):
        b.join()


def test_traceback_is_kept(sched):
    def inner():
        raise KeyError("deep")

    def outer():
        inner()

    t = sched.spawn(outer)
    sched.run()
    with pytest.raises(KeyError) as ei:
        t.result()
    names = [e.name for e in ei.traceback]
    assert "inner" in names and "outer" in names


def test_unretrieved_exception_reported_once_when_collected(unraisable):
    s = uthread.Scheduler()
    t = s.spawn(lambda: 1 / 0)
    s.run()
    assert unraisable == []
    del t
    gc.collect()
    assert len(unraisable) == 1
    u = unraisable[0]
    assert isinstance(u.exc_value, ZeroDivisionError)
    assert "never retrieved" in u.err_msg
    s.close()
    gc.collect()
    assert len(unraisable) == 1


def test_unretrieved_exception_reported_at_close(unraisable):
    s = uthread.Scheduler()
    t = s.spawn(lambda: {}["missing"])
    s.run()
    s.close()
    assert len(unraisable) == 1 and unraisable[0].object is t
    del t
    gc.collect()
    assert len(unraisable) == 1


def test_retrieved_exception_is_not_reported(unraisable):
    s = uthread.Scheduler()
    t = s.spawn(lambda: 1 / 0)
    s.run()
    with pytest.raises(ZeroDivisionError):
        t.result()
    del t
    s.close()
    gc.collect()
    assert unraisable == []


def test_kill_is_not_reported(unraisable):
    s = uthread.Scheduler()
    t = s.spawn(uthread.sleep, 10)
    s.run(ticks=5)
    t.kill()
    s.run()
    del t
    s.close()
    gc.collect()
    assert unraisable == []


def test_keyboard_interrupt_in_a_microthread_stops_run(sched):
    def ctrl_c():
        raise KeyboardInterrupt

    t = sched.spawn(ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        sched.run()
    with pytest.raises(KeyboardInterrupt):
        t.result()


def test_deadlock_is_reported_with_names(sched):
    holder = []

    def b_fn():
        return holder[0].join()

    def c_fn():
        return holder[1].join()

    b = sched.spawn(b_fn)
    c = sched.spawn(c_fn)
    holder[:] = [c, b]
    b.name, c.name = "left", "right"
    with pytest.raises(uthread.DeadlockError) as ei:
        sched.run()
    msg = str(ei.value)
    assert "left waits on" in msg and "right waits on" in msg
    assert {mt for mt, _ in ei.value.blocked} == {b, c}
    assert b.alive and c.alive
    sched.close()
    assert b.killed and c.killed


def test_join_from_host_of_a_stuck_microthread_raises_deadlock(sched):
    def stuck():
        me = uthread.current()
        waiter = uthread.spawn(lambda: me.join())
        waiter.join()

    t = sched.spawn(stuck)
    with pytest.raises(uthread.DeadlockError):
        t.join()


def test_wrong_os_thread_is_refused():
    s = uthread.Scheduler()
    t = s.spawn(lambda: 1)
    errors = []

    def other():
        for call in (lambda: s.spawn(print), s.run, t.join, t.kill, s.close):
            try:
                call()
            except uthread.WrongThreadError as e:
                errors.append(e)

    th = threading.Thread(target=other)
    th.start()
    th.join()
    assert len(errors) == 5
    assert t.join() == 1


def test_each_os_thread_has_its_own_default_scheduler():
    seen = {}

    def body(k):
        out = []
        uthread.spawn(out.append, k)
        uthread.run()
        seen[k] = (out, uthread.default_scheduler())

    ths = [threading.Thread(target=body, args=(k,)) for k in range(3)]
    for th in ths:
        th.start()
    for th in ths:
        th.join()
    assert [seen[k][0] for k in range(3)] == [[0], [1], [2]]
    assert len({id(seen[k][1]) for k in range(3)}) == 3
    assert uthread.default_scheduler() not in [seen[k][1] for k in range(3)]


@pytest.mark.parametrize("bad", [None, 42, "f", object()])
def test_spawn_non_callable(bad, sched):
    with pytest.raises(TypeError):
        sched.spawn(bad)
    with pytest.raises(TypeError):
        uthread.spawn(bad)
    with pytest.raises(TypeError):
        uthread.thread(bad)


def test_run_inside_own_microthread_is_refused(sched):
    def f():
        with pytest.raises(uthread.InvalidStateError):
            sched.run()
        return "ok"

    assert sched.spawn(f).join() == "ok"


def test_nested_scheduler_runs_inside_a_microthread():
    outer = uthread.Scheduler(quantum=20)
    log = []

    def inner_worker(k):
        for _ in range(50):
            log.append(k)

    def host_of_inner():
        inner = uthread.Scheduler(quantum=10)
        for k in ("x", "y"):
            inner.spawn(inner_worker, k)
        inner.run()
        return "inner done"

    def outer_worker():
        for _ in range(100):
            log.append("o")

    a = outer.spawn(host_of_inner)
    outer.spawn(outer_worker)
    outer.run()
    assert a.result() == "inner done"
    assert log.count("x") == log.count("y") == 50 and log.count("o") == 100


def test_dropped_schedulers_leave_no_registry_entries():
    from uthread import _cy_core

    gc.collect()
    before = len(_cy_core.all_schedulers())
    for _ in range(200):
        uthread.thread(lambda: None).step()       # a private scheduler each
    gc.collect()
    assert len(_cy_core.all_schedulers()) <= before + 1
    assert _cy_core._registry_size() <= before + 1   # entries removed on dealloc
