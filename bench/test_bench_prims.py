# bench/test_bench_prims.py: handoffs and throughput of the primitives against OS threads,
# raw greenlets and the standard library; RNG against random.random().
import os
import queue as stdqueue
import random
import threading

import greenlet
import pytest

import uthread

from uthread.bench import SIZES

N = SIZES[os.environ.get("UTHREAD_BENCH_SIZE", "quick")]["handoff"]   # handoffs per round


# ---------------------------------------------------------------- handoff ping-pong

@pytest.mark.benchmark(group="handoff ping-pong (N one-way handoffs x2)")
def test_pingpong_uthread_semaphore(benchmark):
    def run():
        s = uthread.Scheduler()
        a, b = uthread.semaphore(0), uthread.semaphore(0)

        def ping():
            for _ in range(N):
                b.release()
                a.claim()

        def pong():
            for _ in range(N):
                b.claim()
                a.release()

        s.spawn(ping)
        s.spawn(pong)
        s.run()
    benchmark(run)


@pytest.mark.benchmark(group="handoff ping-pong (N one-way handoffs x2)")
def test_pingpong_uthread_channel(benchmark):
    def run():
        s = uthread.Scheduler()
        ab, ba = uthread.channel(), uthread.channel()

        def ping():
            for i in range(N):
                ab.send(i)
                ba.receive()

        def pong():
            for _ in range(N):
                ba.send(ab.receive())

        s.spawn(ping)
        s.spawn(pong)
        s.run()
    benchmark(run)


@pytest.mark.benchmark(group="handoff ping-pong (N one-way handoffs x2)")
def test_pingpong_raw_greenlet(benchmark):
    def run():
        def pong():
            main = greenlet.getcurrent().parent
            while True:
                main.switch()

        g = greenlet.greenlet(pong)
        sw = g.switch
        for _ in range(N):
            sw()
    benchmark(run)


def _threads_pingpong(make, n):
    a, b = make(), make()
    acq_a, rel_a, acq_b, rel_b = a.acquire, a.release, b.acquire, b.release
    acq_a()
    acq_b()

    def pong():
        for _ in range(n):
            acq_b()
            rel_a()

    t = threading.Thread(target=pong)
    t.start()
    for _ in range(n):
        rel_b()
        acq_a()
    t.join()


@pytest.mark.benchmark(group="handoff ping-pong (N one-way handoffs x2)")
def test_pingpong_threads_lock(benchmark):
    benchmark.pedantic(_threads_pingpong, args=(threading.Lock, N), rounds=3)


@pytest.mark.benchmark(group="handoff ping-pong (N one-way handoffs x2)")
def test_pingpong_threads_semaphore(benchmark):
    def make():
        return threading.Semaphore(1)
    benchmark.pedantic(_threads_pingpong, args=(make, N), rounds=3)


@pytest.mark.benchmark(group="handoff ping-pong (N one-way handoffs x2)")
def test_pingpong_threads_simplequeue(benchmark):
    def run(n):
        ab, ba = stdqueue.SimpleQueue(), stdqueue.SimpleQueue()

        def pong():
            for _ in range(n):
                ba.put(ab.get())

        t = threading.Thread(target=pong)
        t.start()
        for i in range(n):
            ab.put(i)
            ba.get()
        t.join()
    benchmark.pedantic(run, args=(N,), rounds=3)


# ---------------------------------------------------------------- throughput

@pytest.mark.benchmark(group="throughput (N items producer -> consumer)")
def test_throughput_uthread_staged_queue(benchmark):
    def run():
        s = uthread.Scheduler()
        q = uthread.queue(2)

        def consumer():
            for _ in range(N):
                q.get_wait()

        def producer():
            for i in range(N):
                q.put(i)
                if i % 100 == 99:
                    q.step()
                    uthread.schedule()
            q.step()

        s.spawn(consumer)
        s.spawn(producer)
        s.run()
    benchmark(run)


@pytest.mark.benchmark(group="throughput (N items producer -> consumer)")
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


@pytest.mark.benchmark(group="throughput (N items producer -> consumer)")
def test_throughput_threads_simplequeue(benchmark):
    def run():
        q = stdqueue.SimpleQueue()

        def consumer():
            for _ in range(N):
                q.get()

        t = threading.Thread(target=consumer)
        t.start()
        for i in range(N):
            q.put(i)
        t.join()
    benchmark.pedantic(run, rounds=5)


# ---------------------------------------------------------------- RNG

@pytest.mark.benchmark(group="rng: N calls of random()")
def test_rng_uthread(benchmark):
    r = uthread.Random(1)

    def run():
        f = r.random
        for _ in range(N):
            f()
    benchmark(run)


@pytest.mark.benchmark(group="rng: N calls of random()")
def test_rng_uthread_via_rng(benchmark):
    r = uthread.Random(1)

    def run():
        for _ in range(N):
            r.random()
    benchmark(run)


@pytest.mark.benchmark(group="rng: N calls of random()")
def test_rng_stdlib_random_random(benchmark):
    def run():
        for _ in range(N):
            random.random()
    benchmark(run)


@pytest.mark.benchmark(group="rng: N calls of random()")
def test_rng_stdlib_Random_instance(benchmark):
    r = random.Random(1)

    def run():
        for _ in range(N):
            r.random()
    benchmark(run)
