# bench/test_bench_core.py: the core's costs: preemption overhead on a CPU-bound loop,
# and the preemptive switch round trip against a raw greenlet round trip.
import os

import greenlet
import pytest

import uthread
from uthread.bench import SIZES

_SIZE = SIZES[os.environ.get("UTHREAD_BENCH_SIZE", "quick")]
N_LOOP = _SIZE["loop"]
N_SWITCH = _SIZE["handoff"]


def cpu_loop(n=N_LOOP):
    total = 0
    for i in range(n):
        total += i
    return total


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


@pytest.mark.benchmark(group="preemption-overhead: loop")
def test_loop_plain(benchmark):
    benchmark(lambda: (cpu_loop(), cpu_loop()))


@pytest.mark.benchmark(group="preemption-overhead: loop")
def test_loop_preempted(benchmark):
    def run():
        s = uthread.Scheduler()          # default quantum
        s.spawn(cpu_loop)
        s.spawn(cpu_loop)
        s.run()
    benchmark(run)


@pytest.mark.benchmark(group="preemption-overhead: fib")
def test_fib_plain(benchmark):
    benchmark(lambda: (fib(20), fib(20)))


@pytest.mark.benchmark(group="preemption-overhead: fib")
def test_fib_preempted(benchmark):
    def run():
        s = uthread.Scheduler()
        s.spawn(fib, 20)
        s.spawn(fib, 20)
        s.run()
    benchmark(run)


def spin(n):
    for _ in range(n):
        pass


@pytest.mark.benchmark(group="switch round trip")
def test_preemptive_round_trip(benchmark):
    # quantum=1: every tick preempts; N_SWITCH round trips between two
    # microthreads.  The loop's own cost is measured by test_spin_alone.
    def run():
        s = uthread.Scheduler(quantum=1)
        s.spawn(spin, N_SWITCH)
        s.spawn(spin, N_SWITCH)
        s.run()
    benchmark(run)


@pytest.mark.benchmark(group="switch round trip")
def test_spin_alone_in_a_microthread(benchmark):
    # the same ticks without any switch (quantum larger than the work)
    def run():
        s = uthread.Scheduler(quantum=10 * N_SWITCH)
        s.spawn(spin, 2 * N_SWITCH)
        s.run()
    benchmark(run)


@pytest.mark.benchmark(group="switch round trip")
def test_raw_greenlet_round_trip(benchmark):
    def partner():
        main = greenlet.getcurrent().parent
        while True:
            main.switch()

    def run():
        g = greenlet.greenlet(partner)
        sw = g.switch
        for _ in range(N_SWITCH):
            sw()
    benchmark(run)
