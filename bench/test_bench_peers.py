# bench/test_bench_peers.py: uthread side by side with OS threads, greenlet, asyncio (and
# gevent if installed): spawn+join, the swarm, memory per parked unit and scale.
import pytest

from uthread import bench as B


def _gevent():
    try:
        import gevent  # noqa: F401
        return True
    except ImportError:
        return False


# ---------------------------------------------------------------- spawn + join (per unit: divide by N)

@pytest.mark.benchmark(group="spawn+join")
def test_spawn_join_uthread(benchmark, size):
    benchmark.extra_info["n"] = size["spawn"]
    benchmark.pedantic(B.spawn_uthread, args=(size["spawn"],), rounds=size["reps"])


@pytest.mark.benchmark(group="spawn+join")
def test_spawn_join_os_threads(benchmark, size):
    benchmark.extra_info["n"] = size["threads"]
    benchmark.pedantic(B.spawn_threads, args=(size["threads"],), rounds=size["reps"])


@pytest.mark.benchmark(group="spawn+join")
def test_spawn_join_raw_greenlet(benchmark, size):
    benchmark.extra_info["n"] = size["spawn"]
    benchmark.pedantic(B.spawn_greenlet, args=(size["spawn"],), rounds=size["reps"])


@pytest.mark.benchmark(group="spawn+join")
def test_spawn_join_asyncio(benchmark, size):
    benchmark.extra_info["n"] = size["spawn"]
    benchmark.pedantic(B.spawn_asyncio, args=(size["spawn"],), rounds=size["reps"])


if _gevent():      # an optional benchmark extra (pip install 'uthread[bench]'), never a dependency
    @pytest.mark.benchmark(group="spawn+join")
    def test_spawn_join_gevent(benchmark, size):
        benchmark.extra_info["n"] = size["spawn"]
        benchmark.pedantic(B.spawn_gevent, args=(size["spawn"],), rounds=size["reps"])


# ---------------------------------------------------------------- handoff (asyncio; the rest in test_bench_prims)

@pytest.mark.benchmark(group="handoff ping-pong (N one-way handoffs x2)")
def test_pingpong_asyncio_queue(benchmark, size):
    benchmark.pedantic(B.handoff_asyncio, args=(size["handoff"],), rounds=size["reps"])


# ---------------------------------------------------------------- swarm

@pytest.mark.benchmark(group="swarm (a): agents x steps, yield every step")
def test_swarm_uthread_yielding(benchmark, size):
    benchmark.pedantic(B.swarm_uthread, args=(size["agents"], size["steps"], True), rounds=size["reps"])


@pytest.mark.benchmark(group="swarm (a): agents x steps, yield every step")
def test_swarm_generators(benchmark, size):
    benchmark.pedantic(B.swarm_generators, args=(size["agents"], size["steps"]), rounds=size["reps"])


@pytest.mark.benchmark(group="swarm (a): agents x steps, yield every step")
def test_swarm_asyncio(benchmark, size):
    benchmark.pedantic(B.swarm_asyncio, args=(size["agents"], size["steps"]), rounds=size["reps"])


@pytest.mark.benchmark(group="swarm (a'): OS threads token ring (thr_agents x steps/10)")
def test_swarm_os_threads(benchmark, size):
    steps = max(size["steps"] // 10, 5)
    benchmark.extra_info["agent_steps"] = size["thr_agents"] * steps
    benchmark.pedantic(B.swarm_threads, args=(size["thr_agents"], steps), rounds=size["reps"])


@pytest.mark.benchmark(group="swarm (a'): OS threads token ring (thr_agents x steps/10)")
def test_swarm_uthread_same_size_as_threads(benchmark, size):
    steps = max(size["steps"] // 10, 5)
    benchmark.pedantic(B.swarm_uthread, args=(size["thr_agents"], steps, True), rounds=size["reps"])


@pytest.mark.benchmark(group="swarm (b): never yielding, preemption only")
def test_swarm_uthread_never_yielding(benchmark, size):
    benchmark.pedantic(B.swarm_uthread, args=(size["agents"], size["steps"], False), rounds=size["reps"])


@pytest.mark.benchmark(group="swarm (b): never yielding, preemption only")
def test_swarm_inline_reference(benchmark, size):
    benchmark.pedantic(B.swarm_inline, args=(size["agents"], size["steps"]), rounds=size["reps"])


# ---------------------------------------------------------------- memory and scale (subprocesses; see extra_info)

@pytest.mark.benchmark(group="memory per parked unit (extra_info: bytes_per_unit)")
@pytest.mark.parametrize("kind", ["uthread", "greenlet", "asyncio", "threads"])
def test_memory_per_parked_unit(benchmark, size, kind):
    n = size["mem_thr"] if kind == "threads" else size["mem"][-1]
    if kind in ("greenlet", "asyncio"):
        n = size["mem"][0]
    out = {}

    def measure():
        out.update(B.subprocess_json(B.MEMORY_CODE, kind, n))
    benchmark.pedantic(measure, rounds=1)
    benchmark.extra_info.update(out)


@pytest.mark.benchmark(group="scale")
def test_scale_concurrent_microthreads(benchmark, size):
    out = {}

    def measure():
        out.update(B.subprocess_json(B.MEMORY_CODE, "uthread", size["scale"]))
    benchmark.pedantic(measure, rounds=1)
    benchmark.extra_info.update(out)


@pytest.mark.benchmark(group="scale")
def test_scale_os_thread_limit(benchmark, size):
    out = {}

    def measure():
        out.update(B.subprocess_json(B.THREAD_LIMIT_CODE, size["thr_cap"]))
    benchmark.pedantic(measure, rounds=1)
    benchmark.extra_info.update(out)
