# tests/test_rng.py: per-microthread random generators: random.Random's interface on
# xoshiro256**, streams fixed by seed and spawn order, never by the interleaving.
import pickle
import random

import pytest

import uthread


def streams(quantum, seed=1999, agents=5, draws=50):
    sched = uthread.Scheduler(quantum=quantum, seed=seed)
    out = {}

    def agent(k):
        r = uthread.rng()
        vals = []
        for _ in range(draws):
            vals.append(r.random())
            x = 0
            for _ in range(k * 3):
                x += 1
        child = uthread.spawn(child_agent, k, out)
        out[k] = vals

    def child_agent(k, out):
        out[("child", k)] = [uthread.rng().randint(0, 10**9) for _ in range(5)]

    for k in range(agents):
        sched.spawn(agent, k)
    sched.run()
    return out


def test_same_seed_same_streams_under_different_quanta():
    a = streams(quantum=1)
    b = streams(quantum=37)
    c = streams(quantum=1000)
    assert a == b == c


def test_each_microthread_has_its_own_stream():
    s = streams(quantum=5)
    firsts = [tuple(v[:5]) for v in s.values()]
    assert len(set(firsts)) == len(firsts)


def test_different_seed_different_streams():
    assert streams(5, seed=1) != streams(5, seed=2)


def test_t_random_is_rng_inside():
    sched = uthread.Scheduler()
    seen = []
    t = sched.spawn(lambda: seen.append(uthread.rng()))
    sched.run()
    # the microthread is gone, but its generator was the same object
    sched2 = uthread.Scheduler()
    t2 = sched2.spawn(lambda: seen.append(uthread.rng() is uthread.current().random))
    sched2.run()
    assert seen[1] is True
    assert isinstance(seen[0], random.Random)


def test_rng_outside_is_the_schedulers_own():
    r1 = uthread.rng()
    assert r1 is uthread.rng()
    assert isinstance(r1, uthread.Random)


def test_random_interface():
    r = uthread.Random(42)
    assert 0.0 <= r.random() < 1.0
    assert 1 <= r.randint(1, 6) <= 6
    assert r.randrange(0, 100, 5) % 5 == 0
    assert r.choice("abc") in "abc"
    assert len(r.choices(range(10), k=20)) == 20
    seq = list(range(20))
    r.shuffle(seq)
    assert sorted(seq) == list(range(20))
    assert len(set(r.sample(range(100), 10))) == 10
    assert isinstance(r.gauss(0, 1), float)
    assert 2.0 <= r.uniform(2, 3) <= 3.0
    assert 0 <= r.getrandbits(200) < 2 ** 200
    assert r.getrandbits(0) == 0
    with pytest.raises(ValueError):
        r.getrandbits(-1)
    state = r.getstate()
    a = [r.random() for _ in range(5)]
    r.setstate(state)
    assert [r.random() for _ in range(5)] == a
    r.seed(7)
    b = [r.random() for _ in range(3)]
    r.seed(7)
    assert [r.random() for _ in range(3)] == b
    r.seed("text"), r.seed(b"bytes"), r.seed(1.5), r.seed(None), r.seed(-3)
    with pytest.raises(TypeError):
        r.seed([1, 2])
    with pytest.raises(ValueError):
        r.setstate(("other", (1, 2, 3, 4), None))
    c = pickle.loads(pickle.dumps(r))
    assert c.random() == r.random()


def test_statistically_sane():
    r = uthread.Random(123)
    n = 200_000
    xs = [r.random() for _ in range(n)]
    mean = sum(xs) / n
    assert abs(mean - 0.5) < 0.005
    buckets = [0] * 10
    for x in xs:
        buckets[int(x * 10)] += 1
    chi2 = sum((b - n / 10) ** 2 / (n / 10) for b in buckets)
    assert chi2 < 30          # 9 degrees of freedom: p < 0.001 beyond ~27.9
    bits = [r.getrandbits(1) for _ in range(20_000)]
    assert abs(sum(bits) - 10_000) < 400


def test_seeding_runs_no_python_code():
    # Creating and seeding a generator inside a microthread emits no ticks.
    sched = uthread.Scheduler(quantum=1000)
    ticks = []

    def f():
        before = uthread.current().ticks
        uthread.Random(5)
        r = uthread.Random()
        r.seed(12345)
        r.seed("abc")
        uthread.rng()
        ticks.append(uthread.current().ticks - before)

    sched.spawn(f)
    sched.run()
    assert ticks == [0]


def test_classic_threads_get_distinct_deterministic_streams():
    def draw():
        return [uthread.rng().random() for _ in range(3)]

    def make():
        s = uthread.Scheduler(seed=5)
        outs = []

        def host():
            ts = [uthread.thread(draw) for _ in range(3)]
            for t in ts:
                outs.append(t.step())
        s.spawn(host)
        s.run()
        return outs

    a, b = make(), make()
    assert a == b and len({tuple(x) for x in a}) == 3
