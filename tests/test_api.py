# tests/test_api.py: spawn/run/join/result/kill/sleep/current, stats and the run-info dump.
import gc
import sys
import time

import pytest

import uthread


def test_spawn_and_run_on_the_default_scheduler():
    out = []
    t = uthread.spawn(out.append, 1)
    assert isinstance(t, uthread.Microthread)
    assert uthread.run() is False
    assert out == [1] and not t.alive


def test_spawn_inside_a_microthread_joins_its_scheduler(sched):
    seen = []

    def child():
        seen.append(uthread.current_scheduler())

    def parent():
        uthread.spawn(child)

    sched.spawn(parent)
    sched.run()
    assert seen == [sched]


def test_scheduler_defaults():
    s = uthread.Scheduler()
    assert s.quantum == uthread.DEFAULT_QUANTUM == 1000
    assert s.seed == uthread.DEFAULT_SEED == 1999
    s2 = uthread.Scheduler(50, 7)
    assert (s2.quantum, s2.seed) == (50, 7)


@pytest.mark.parametrize("bad", [0, -1])
def test_bad_quantum_value(bad):
    with pytest.raises(ValueError):
        uthread.Scheduler(quantum=bad)


@pytest.mark.parametrize("bad", [1.5, "10", True])
def test_bad_quantum_type(bad):
    with pytest.raises(TypeError):
        uthread.Scheduler(quantum=bad)


def test_bad_seed_type():
    with pytest.raises(TypeError):
        uthread.Scheduler(seed=1.5)


def test_result_and_join_from_host(sched):
    t = sched.spawn(lambda a, b: a + b, 2, 3)
    with pytest.raises(uthread.InvalidStateError):
        t.result()
    assert t.join() == 5
    assert t.result() == 5


def test_join_from_host_runs_only_until_done(sched):
    log = []

    def forever():
        while True:
            log.append(1)
            uthread.schedule()

    def short():
        return "ok"

    sched.spawn(forever)
    t = sched.spawn(short)
    assert t.join() == "ok"
    assert sched.running is False


def test_join_inside_parks_the_caller(sched):
    order = []

    def child():
        order.append("child start")
        uthread.sleep(0.01)
        order.append("child end")
        return 42

    def parent():
        c = uthread.spawn(child)
        order.append("parent waits")
        v = c.join()
        order.append(("parent got", v))

    sched.spawn(parent)
    sched.run()
    assert order == ["parent waits", "child start", "child end", ("parent got", 42)]


def test_join_timeout_inside(sched):
    def child():
        uthread.sleep(5)

    def parent():
        c = uthread.spawn(child)
        with pytest.raises(uthread.Timeout):
            c.join(timeout=0.01)
        assert isinstance(uthread.Timeout(), TimeoutError)
        c.kill()
        with pytest.raises(uthread.Killed):
            c.join()
        return "done"

    p = sched.spawn(parent)
    sched.run()
    assert p.result() == "done"


def test_join_timeout_from_host(sched):
    t = sched.spawn(uthread.sleep, 5)
    with pytest.raises(uthread.Timeout):
        t.join(timeout=0.01)
    t.kill()
    with pytest.raises(uthread.Killed):
        t.join()


def test_join_self_is_refused(sched):
    def f():
        with pytest.raises(uthread.InvalidStateError):
            uthread.current().join()
        return 1

    assert sched.spawn(f).join() == 1


def test_current_and_name(sched):
    seen = []

    def f():
        seen.append(uthread.current())

    t = sched.spawn(f)
    assert uthread.current() is None
    sched.run()
    assert seen == [t]
    assert t.name == f"Microthread-{t.seq}"
    t.name = "tank-1"
    assert t.name == "tank-1" and "tank-1" in repr(t)


def test_schedule_round_robin(sched):
    log = []

    def f(k):
        for i in range(3):
            log.append((k, i))
            uthread.schedule()

    for k in "ab":
        sched.spawn(f, k)
    sched.run()
    assert log == [("a", 0), ("b", 0), ("a", 1), ("b", 1), ("a", 2), ("b", 2)]


def test_schedule_outside_is_a_noop():
    assert uthread.schedule() is None


def test_sleep_orders_by_deadline(sched):
    log = []

    def f(k, d):
        uthread.sleep(d)
        log.append(k)

    sched.spawn(f, "slow", 0.03)
    sched.spawn(f, "fast", 0.01)
    sched.spawn(f, "zero", 0)
    sched.run()
    assert log == ["zero", "fast", "slow"]


def test_sleep_lets_others_run(sched):
    counter = [0]

    def counting():
        while counter[0] < 10**9 and not done:
            counter[0] += 1

    done = []

    def sleeper():
        uthread.sleep(0.02)
        done.append(1)

    sched.spawn(counting)
    s = sched.spawn(sleeper)
    sched.run()
    assert done and counter[0] > 0 and not s.alive


def test_sleep_outside_sleeps():
    t0 = time.monotonic()
    uthread.sleep(0.001)
    assert time.monotonic() >= t0


@pytest.mark.parametrize("bad", [-1, -0.5, float("nan")])
def test_bad_seconds_value(bad, sched):
    with pytest.raises(ValueError):
        uthread.sleep(bad)
    with pytest.raises(ValueError):
        sched.run(seconds=bad)


@pytest.mark.parametrize("bad", ["1", None.__class__, True])
def test_bad_seconds_type(bad, sched):
    with pytest.raises(TypeError):
        uthread.sleep(bad)
    with pytest.raises(TypeError):
        sched.run(seconds=bad)


@pytest.mark.parametrize("bad,exc", [(-1, ValueError), (2.0, TypeError), ("3", TypeError), (False, TypeError)])
def test_bad_run_ticks(bad, exc, sched):
    with pytest.raises(exc):
        sched.run(ticks=bad)


def test_kill_runs_finally_blocks(sched):
    log = []

    def victim():
        try:
            while True:
                uthread.sleep(1)
        finally:
            log.append("finally")

    def cpu_victim():
        try:
            while True:
                pass
        finally:
            log.append("cpu finally")

    v = sched.spawn(victim)
    c = sched.spawn(cpu_victim)
    sched.run(ticks=500)
    assert v.alive and c.alive
    v.kill()
    c.kill()
    sched.run()
    assert sorted(log) == ["cpu finally", "finally"]
    assert v.killed and c.killed
    with pytest.raises(uthread.Killed):
        v.result()


def test_kill_is_a_base_exception_not_swallowed_by_except_exception(sched):
    log = []

    def victim():
        while True:
            try:
                uthread.sleep(1)
            except Exception:
                log.append("swallowed")

    v = sched.spawn(victim)
    sched.run(ticks=100)
    v.kill()
    sched.run()
    assert log == [] and v.killed


def test_kill_before_start_and_after_finish(sched):
    t = sched.spawn(lambda: 1 / 0)
    t.kill()
    assert not t.alive and t.killed
    sched.run()
    done = sched.spawn(lambda: 5)
    sched.run()
    done.kill()
    assert done.result() == 5


def test_kill_self_raises_at_once(sched):
    log = []

    def f():
        try:
            uthread.current().kill()
        finally:
            log.append("unwound")
        log.append("not reached")

    t = sched.spawn(f)
    sched.run()
    assert log == ["unwound"] and t.killed


def test_killed_microthread_can_catch_and_return(sched):
    def f():
        try:
            uthread.sleep(10)
        except uthread.MicrothreadExit:
            return "caught"

    t = sched.spawn(f)
    sched.run(ticks=10)
    t.kill()
    assert t.join() == "caught"


def test_stats(sched):
    def spin():
        for _ in range(200):
            pass

    a = sched.spawn(spin)
    b = sched.spawn(uthread.sleep, 10)
    sched.run(ticks=150)
    st = uthread.stats(sched)
    assert isinstance(st, uthread.SchedulerStats)
    assert st.alive == 2 and st.blocked == 1 and st.runnable == 1
    assert st.ticks == 150 == sum(st.per_microthread.values())
    assert st.per_microthread[a] == a.ticks
    assert b.ticks == 0           # uthread.sleep is compiled: no Python ticks
    assert st.switches == 3       # a, b, a: a's later slices need no switch
    # a's first slice ends and b takes over; a's third ends as the budget
    # does and the host takes over; its second needed no switch
    assert st.preemptions == 2
    b.kill()
    sched.run()
    st = sched.stats()
    assert st.alive == 0 and st.per_microthread == {}


def test_stats_default_is_current_scheduler(sched):
    seen = []
    sched.spawn(lambda: seen.append(uthread.stats()))
    sched.run()
    assert seen[0].alive == 1


def test_format_run_info_shows_every_stack(sched):
    def deep_sleeper():
        def inner_wait():
            uthread.sleep(10)
        inner_wait()

    def spinner():
        while True:
            pass

    a = sched.spawn(deep_sleeper)
    a.name = "sleepy"
    sched.spawn(spinner)
    sched.run(ticks=300)
    sched.spawn(lambda: None)
    text = "\n".join(uthread.format_run_info(sched))
    assert "sleepy [blocked]" in text and "waiting on sleep" in text
    assert "inner_wait" in text and "deep_sleeper" in text
    assert "spinner" in text
    assert "(not started)" in text
    sched.close()
    assert "sleepy" not in "\n".join(uthread.format_run_info(sched))


def test_close_kills_and_refuses_more_work():
    s = uthread.Scheduler()
    log = []

    def f():
        try:
            uthread.sleep(10)
        finally:
            log.append("closed")

    s.spawn(f)
    s.run(ticks=10)
    s.close()
    assert log == ["closed"]
    with pytest.raises(uthread.InvalidStateError):
        s.spawn(f)
    with pytest.raises(uthread.InvalidStateError):
        s.run()
    s.close()   # idempotent


def test_many_microthreads_reuse_greenlets(sched):
    results = []
    for i in range(5000):
        sched.spawn(results.append, i)
    sched.run()
    assert results == list(range(5000))
    assert sched.alive_count == 0


def test_microthread_not_constructible():
    with pytest.raises(TypeError):
        uthread.Microthread()


def test_public_names_resolve_and_are_documented():
    for name in uthread.__all__:
        obj = getattr(uthread, name)
        if callable(obj) and not isinstance(obj, type(uthread.working)):
            assert obj.__doc__, name


def test_thousands_of_fresh_microthreads_do_not_nest_their_stacks():
    # Each new greenlet starts on the stack of whoever switches to it first;
    # started from one another they nested deeper and deeper (a crash at
    # ~1000).  The host starts them all, so every saved stack stays small.
    import gc

    import greenlet

    sched = uthread.Scheduler()
    done = []

    def agent(i):
        for _ in range(3):
            uthread.schedule()
        done.append(i)

    for i in range(3000):
        sched.spawn(agent, i)
    sched.run(ticks=3000 * 4)
    saved = [g._stack_saved for g in gc.get_objects()
             if isinstance(g, greenlet.greenlet) and not g.dead]
    assert saved and max(saved) < 16384
    sched.run()
    assert len(done) == 3000


def test_last_run_per_frame_statistics():
    s = uthread.Scheduler(quantum=10)

    def spin():
        while True:
            pass

    s.spawn(spin)
    s.spawn(spin)
    s.spawn(uthread.sleep, 10)
    assert s.last_run is None
    s.run(ticks=100)
    lr = s.last_run
    assert isinstance(lr, uthread.RunStats)
    assert (lr.ticks, lr.microthreads, lr.ended_by, lr.deadline) == (100, 3, "ticks", None)
    assert lr.switches == 11 and lr.preemptions == 10
    s.run(seconds=0.001)
    lr = s.last_run
    assert lr.ended_by == "seconds" and lr.deadline is not None and lr.microthreads == 2
    s.close()
    assert s.last_run.ended_by == "done"


def test_seconds_budget_overruns_by_at_most_one_tick():
    # The clock is read at every tick while a seconds= budget runs, so no
    # tick starts after the deadline but the one that notices it.
    import time as _time

    s = uthread.Scheduler(quantum=10**9)
    stamps = []

    def agent():
        while True:                       # one tick per iteration
            stamps.append(_time.monotonic())

    s.spawn(agent)
    for _ in range(5):
        s.run(seconds=0.002)
        deadline = s.last_run.deadline
        late = [t for t in stamps if t >= deadline]
        assert len(late) <= 1
        stamps.clear()
    s.close()


def test_greenlet_churn_leaves_no_chains_of_dead_greenlets():
    # Surplus idle greenlets are retired by the host, with the host as their
    # parent.  When workers ended themselves with another worker as parent,
    # dead greenlets formed chains whose deallocation overflowed the C stack.
    import gc

    import greenlet

    from uthread import _cy_core

    old = _cy_core._set_idle_max(1)
    try:
        s = uthread.Scheduler(quantum=3)
        for _ in range(5):
            ev = uthread.Event()

            def agent(i, ev=ev):
                for _ in range(2):
                    uthread.schedule()
                if i % 2:
                    ev.wait()

            for i in range(600):
                s.spawn(agent, i)
            s.run(ticks=10**9)
            deepest = 0
            for g in gc.get_objects():
                if isinstance(g, greenlet.greenlet):
                    d, p = 0, g.parent
                    while p is not None and p.dead:
                        d, p = d + 1, p.parent
                    deepest = max(deepest, d)
            assert deepest <= 1
            ev.set()
            s.run()
        s.close()
        del s
        gc.collect()
    finally:
        _cy_core._set_idle_max(old)


def test_kill_lands_in_the_right_microthread_and_frame():
    # Four microthreads run the same loop; one is killed mid-loop.  Its own
    # except clause (in the frame that was preempted) sees the kill; the
    # others, running the same code, are untouched.
    s = uthread.Scheduler(quantum=7)
    log = []

    def worker(k):
        total = 0
        try:
            for i in range(3000):
                total += i
        except uthread.MicrothreadExit:
            log.append(("killed", k))
            raise
        log.append(("done", k))
        return total

    ts = [s.spawn(worker, k) for k in range(4)]
    s.run(ticks=100)
    ts[2].kill()
    s.run()
    assert ts[2].killed
    assert sorted(log) == [("done", 0), ("done", 1), ("done", 3), ("killed", 2)]
    assert [ts[k].result() for k in (0, 1, 3)] == [sum(range(3000))] * 3


def test_a_microthread_handed_a_lock_then_killed_releases_it():
    # Woken by a hand-off and killed before it ran: the wake stands (it owns
    # the lock) and the kill lands right after acquire() returns (3.12+) or
    # at its next tick (3.10/3.11), inside the with block, so __exit__
    # releases the lock.
    s = uthread.Scheduler(quantum=50)
    lock = uthread.Lock()
    log = []

    def waiter():
        try:
            with lock:
                log.append("inside")
        finally:
            log.append("unwound")

    lock.acquire()
    t = s.spawn(waiter)
    s.run(ticks=10)
    assert t.state == "blocked"

    def releaser_and_killer():
        lock.release()                 # hands the lock to the waiter
        t.kill()

    s.spawn(releaser_and_killer)
    s.run()
    assert log[-1] == "unwound" and t.killed
    if sys.version_info >= (3, 12):
        assert log == ["unwound"]
    assert not lock.locked()
