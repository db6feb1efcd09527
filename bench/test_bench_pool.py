# bench/test_bench_pool.py: the cost of call_in_thread against a direct call and
# asyncio.to_thread, and many concurrent blocking calls against as many OS threads.
import asyncio
import os
import threading
import time

import pytest

import uthread

from uthread.bench import SIZES

_TINY = os.environ.get("UTHREAD_BENCH_SIZE") == "tiny"
N = 100 if _TINY else 2000           # sequential round trips
CONC = 20 if _TINY else 100          # concurrent blocking calls
SLEEP = 0.01


def noop(x):
    return x


@pytest.mark.benchmark(group="blocking call round trip (N calls in a row)")
def test_roundtrip_direct_call(benchmark):
    def run():
        for i in range(N):
            noop(i)
    benchmark(run)


@pytest.mark.benchmark(group="blocking call round trip (N calls in a row)")
def test_roundtrip_call_in_thread(benchmark):
    def run():
        s = uthread.Scheduler(pool_size=1)

        def caller():
            for i in range(N):
                uthread.call_in_thread(noop, i)

        s.spawn(caller)
        s.run()
        s.close()
    benchmark.pedantic(run, rounds=5)


@pytest.mark.benchmark(group="blocking call round trip (N calls in a row)")
def test_roundtrip_asyncio_to_thread(benchmark):
    async def main():
        for i in range(N):
            await asyncio.to_thread(noop, i)

    benchmark.pedantic(lambda: asyncio.run(main()), rounds=5)


@pytest.mark.benchmark(group="concurrent blocking calls (CONC x sleep 10 ms)")
def test_concurrent_call_in_thread(benchmark):
    def run():
        s = uthread.Scheduler(pool_size=CONC)
        for _ in range(CONC):
            s.spawn(uthread.call_in_thread, time.sleep, SLEEP)
        s.run()
        s.close()
    benchmark.pedantic(run, rounds=5)


@pytest.mark.benchmark(group="concurrent blocking calls (CONC x sleep 10 ms)")
def test_concurrent_os_threads(benchmark):
    def run():
        ts = [threading.Thread(target=time.sleep, args=(SLEEP,)) for _ in range(CONC)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
    benchmark.pedantic(run, rounds=5)


@pytest.mark.benchmark(group="concurrent blocking calls (CONC x sleep 10 ms)")
def test_concurrent_asyncio_to_thread(benchmark):
    async def main():
        loop = asyncio.get_running_loop()
        from concurrent.futures import ThreadPoolExecutor
        loop.set_default_executor(ThreadPoolExecutor(CONC))
        await asyncio.gather(*(asyncio.to_thread(time.sleep, SLEEP) for _ in range(CONC)))

    benchmark.pedantic(lambda: asyncio.run(main()), rounds=5)
