# tests/test_preemption.py: tick preemption of code that never yields, and its determinism.
import os
import subprocess
import sys
import textwrap

import pytest

import uthread
from conftest import runs


def spin(log, k, n):
    # one tick per iteration (the loop back-edge), plus one on entry
    for _ in range(n):
        log.append(k)


@pytest.mark.parametrize("quantum", [1, 7, 50, 333])
def test_three_cpu_bound_loops_interleave_in_exact_slices(quantum):
    log = []
    s = uthread.Scheduler(quantum=quantum)
    n = 1000
    for k in range(3):
        s.spawn(spin, log, k, n)
    s.run()
    r = runs(log)
    # First slice: the function entry is a tick, so quantum - 1 iterations;
    # then every slice is exactly quantum iterations, round robin.
    if quantum > 1:
        assert r[:3] == [(0, quantum - 1), (1, quantum - 1), (2, quantum - 1)]
    expected = []
    left = {k: n - (quantum - 1) for k in range(3)}
    while any(left.values()):
        for k in range(3):
            if left[k]:
                take = min(quantum, left[k])
                expected.append((k, take))
                left[k] -= take
    if quantum > 1:
        assert r[3:] == expected
    assert len(log) == 3 * n
    # slices per microthread match the quantum: ceil(ticks / quantum)
    ticks = n + 1
    assert s.preemptions >= 3 * (ticks // quantum) - 3


def test_slices_counted_per_microthread():
    log = []
    s = uthread.Scheduler(quantum=100)
    ts = [s.spawn(spin, log, k, 1000) for k in range(3)]
    s.run()
    for t in ts:
        # 1001 ticks in slices of 100 (the last slice ends with the function)
        assert t.slices == 11
        assert t.ticks == 1001


def test_per_microthread_quantum_override():
    log = []
    s = uthread.Scheduler(quantum=10)
    a = s.spawn(spin, log, "a", 200)
    b = s.spawn(spin, log, "b", 200)
    b.quantum = 30
    assert a.quantum == 10 and b.quantum == 30
    s.run()
    r = runs(log)
    assert r[0] == ("a", 9) and r[1] == ("b", 29)
    assert r[2] == ("a", 10) and r[3] == ("b", 30)


def test_two_runs_give_the_identical_interleaving():
    def go():
        log = []
        s = uthread.Scheduler(quantum=13)

        def worker(k):
            total = 0
            for i in range(300):
                if i % (k + 2) == 0:
                    total += sum(range(k))      # calls, branches
                log.append(k)
            return total

        for k in range(5):
            s.spawn(worker, k)
        s.run()
        return log

    assert go() == go()


def test_interleaving_is_identical_across_processes(tmp_path):
    code = textwrap.dedent("""
        import uthread
        log = []
        def worker(k):
            d = {}
            for i in range(400):
                d[str(i)] = i          # str hashing: randomized per process
                if len(d) % (k + 3) == 0:
                    log.append(k)
        s = uthread.Scheduler(quantum=17)
        for k in range(4):
            s.spawn(worker, k)
        s.run()
        print(log)
    """)
    outs = set()
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, check=True, cwd=str(tmp_path))   # the installed uthread
        outs.add(out.stdout)
    assert len(outs) == 1


def test_recursion_is_counted_and_preempted():
    log = []

    def fib(n, k):
        if n < 2:
            log.append(k)
            return n
        return fib(n - 1, k) + fib(n - 2, k)

    s = uthread.Scheduler(quantum=20)
    a = s.spawn(fib, 12, "a")
    b = s.spawn(fib, 12, "b")
    s.run()
    assert a.result() == b.result() == 144
    # no loops at all: only function entries are ticks, and they preempt
    assert len(runs(log)) > 10


def test_budget_cuts_never_change_the_interleaving():
    def workload(log):
        def worker(k):
            for i in range(200):
                if i % 50 == 49:
                    uthread.schedule()
                log.append(k)

        s = uthread.Scheduler(quantum=11)
        for k in range(3):
            s.spawn(worker, k)
        return s

    whole = []
    workload(whole).run()
    for budget in (1, 3, 10, 97):
        cut = []
        s = workload(cut)
        frames = 0
        while s.run(ticks=budget):
            frames += 1
        assert cut == whole, budget
        assert frames > 0


def test_run_ticks_budget_is_total_across_microthreads():
    def forever():
        while True:
            pass

    s = uthread.Scheduler(quantum=10)
    ts = [s.spawn(forever) for _ in range(3)]
    assert s.run(ticks=95) is True
    assert sum(t.ticks for t in ts) == 95
    assert s.ticks == 95
    assert s.run(ticks=5) is True
    assert s.ticks == 100
    s.close()
    assert all(t.killed for t in ts)


def test_run_seconds_budget_returns_with_work_remaining():
    def forever():
        while True:
            pass

    s = uthread.Scheduler()
    t = s.spawn(forever)
    for _ in range(3):
        assert s.run(seconds=0.002) is True
    assert t.alive and t.ticks > 0
    s.close()


def test_run_returns_false_when_all_done(sched):
    sched.spawn(lambda: None)
    assert sched.run(ticks=10_000) is False
    assert sched.run() is False


def test_budgeted_run_returns_when_nothing_is_runnable(sched):
    t = sched.spawn(uthread.sleep, 10)
    assert sched.run(ticks=1000) is True      # does not wait for the sleeper
    assert t.alive
    t.kill()
    sched.run()


def test_host_code_is_not_counted(sched):
    def short():
        return 1

    sched.spawn(short)
    sched.run()
    before = sched.ticks
    total = 0
    for i in range(1000):   # host loop between runs
        total += i
    assert sched.ticks == before


def test_other_os_threads_are_not_counted():
    import threading

    s = uthread.Scheduler(quantum=10)
    stop = []

    def busy_thread():
        x = 0
        while not stop:
            x += 1

    th = threading.Thread(target=busy_thread)
    th.start()
    try:
        t = s.spawn(spin, [], 0, 500)
        s.run()
    finally:
        stop.append(1)
        th.join()
    assert t.ticks == 501 and s.ticks == 501
