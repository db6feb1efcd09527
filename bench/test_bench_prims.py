# bench/test_bench_prims.py: handoffs and throughput of the primitives against OS threads,
# raw greenlets and the standard library; RNG against random.random().
# The workloads live in uthread.bench, shared with `python -m uthread.bench`.
import os
import random

import pytest

import uthread
from uthread import bench as B

N = B.SIZES[os.environ.get("UTHREAD_BENCH_SIZE", "quick")]["handoff"]   # handoffs per round
HANDOFF = "handoff ping-pong (N one-way handoffs x2)"
THROUGHPUT = "throughput (N items producer -> consumer)"


@pytest.mark.benchmark(group=HANDOFF)
def test_pingpong_uthread_semaphore(benchmark):
    benchmark(B.handoff_semaphore, N)


@pytest.mark.benchmark(group=HANDOFF)
def test_pingpong_uthread_channel(benchmark):
    benchmark(B.handoff_channel, N)


@pytest.mark.benchmark(group=HANDOFF)
def test_pingpong_raw_greenlet(benchmark):
    benchmark(B.handoff_greenlet, N)


@pytest.mark.benchmark(group=HANDOFF)
def test_pingpong_threads_lock(benchmark):
    benchmark.pedantic(B.handoff_threads_lock, args=(N,), rounds=3)


@pytest.mark.benchmark(group=HANDOFF)
def test_pingpong_threads_semaphore(benchmark):
    benchmark.pedantic(B.handoff_threads_semaphore, args=(N,), rounds=3)


@pytest.mark.benchmark(group=HANDOFF)
def test_pingpong_threads_simplequeue(benchmark):
    benchmark.pedantic(B.handoff_threads_simplequeue, args=(N,), rounds=3)


@pytest.mark.benchmark(group=THROUGHPUT)
def test_throughput_uthread_staged_queue(benchmark):
    benchmark(B.staged_queue, N)


@pytest.mark.benchmark(group=THROUGHPUT)
def test_throughput_uthread_channel(benchmark):
    def run():
        s = uthread.Scheduler()
        ch = uthread.channel()

        def consumer():
            for _ in range(N):
                ch.receive()

        def producer():
            for i in range(N):
                ch.send(i)

        s.spawn(consumer)
        s.spawn(producer)
        s.run()
    benchmark(run)


@pytest.mark.benchmark(group=THROUGHPUT)
def test_throughput_threads_simplequeue(benchmark):
    benchmark.pedantic(B.simplequeue_threads, args=(N,), rounds=5)


def _draws(f):
    for _ in range(N):
        f()


@pytest.mark.benchmark(group="rng: N calls of random()")
def test_rng_uthread(benchmark):
    benchmark(_draws, uthread.Random(1).random)


@pytest.mark.benchmark(group="rng: N calls of random()")
def test_rng_stdlib_random_random(benchmark):
    benchmark(_draws, random.random)


@pytest.mark.benchmark(group="rng: N calls of random()")
def test_rng_stdlib_Random_instance(benchmark):
    benchmark(_draws, random.Random(1).random)
