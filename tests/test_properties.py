# tests/test_properties.py: hypothesis property tests of semaphore, staged queue and channel
# against simple reference models, under random operations and random quanta.
#
# Each microthread logs what it does inside uthread.atomic(), so the log is the
# true order of the operations (a park inside an atomic section still lets
# others run); the log is then replayed against a plain-Python model.
from collections import deque

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import uthread

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

quanta = st.integers(min_value=1, max_value=40)
spin = st.tuples(st.just("spin"), st.integers(min_value=0, max_value=30))


def burn(k):
    x = 0
    for _ in range(k):
        x += 1


# ---------------------------------------------------------------- semaphore

sem_op = st.one_of(st.just(("claim",)), st.just(("qclaim",)), spin)


@SETTINGS
@given(n=st.integers(min_value=1, max_value=3),
       programs=st.lists(st.lists(sem_op, max_size=12), min_size=1, max_size=6),
       quantum=quanta)
def test_semaphore_matches_model(n, programs, quantum):
    sched = uthread.Scheduler(quantum=quantum)
    sem = uthread.semaphore(n)
    log = []
    holders = [0, 0]   # now, max

    def agent(i, ops):
        holding = False
        for op in ops:
            if op[0] == "spin":
                burn(op[1])
                continue
            if holding:
                with uthread.atomic():
                    holders[0] -= 1
                    sem.release()
                    log.append(("rel", i))
                holding = False
            if op[0] == "claim":
                with uthread.atomic():
                    blocked = sem.value == 0
                    log.append(("req", i, blocked))
                    sem.claim()
                    log.append(("got", i, blocked))
                    holders[0] += 1
                    holders[1] = max(holders)
                holding = True
            else:
                with uthread.atomic():
                    ok = sem.qclaim()
                    log.append(("q", i, ok))
                    if ok:
                        holders[0] += 1
                        holders[1] = max(holders)
                holding = ok
        if holding:
            with uthread.atomic():
                holders[0] -= 1
                sem.release()
                log.append(("rel", i))

    for i, ops in enumerate(programs):
        sched.spawn(agent, i, ops)
    sched.run()

    # replay against the model
    free, waiting, granted = n, deque(), deque()
    for entry in log:
        kind, i = entry[0], entry[1]
        if kind == "req":
            assert entry[2] == (free == 0)
            if free:
                free -= 1
            else:
                waiting.append(i)
        elif kind == "got":
            if entry[2]:
                assert granted and granted.popleft() == i      # FIFO hand-off
        elif kind == "rel":
            if waiting:
                granted.append(waiting.popleft())
            else:
                free += 1
        elif kind == "q":
            assert entry[2] == (free > 0)
            if entry[2]:
                free -= 1
    assert free == n == sem.value
    assert not waiting and not granted and sem.waiters == 0
    assert holders[1] <= n and holders[0] == 0


# ---------------------------------------------------------------- staged queue

class StagedQueueModel:
    def __init__(self, stages):
        self.stages = [[] for _ in range(stages)]

    def put(self, x):
        self.stages[-1].append(x)

    def get(self):
        return self.stages[0].pop(0) if self.stages[0] else None

    def step(self):
        if len(self.stages) > 1:
            self.stages = [self.stages[0] + self.stages[1]] + self.stages[2:] + [[]]


q_op = st.one_of(st.just(("put",)), st.just(("get",)), spin)


@SETTINGS
@given(stages=st.integers(min_value=1, max_value=4),
       programs=st.lists(st.lists(q_op, max_size=12), min_size=1, max_size=5),
       budgets=st.lists(st.integers(min_value=1, max_value=60), min_size=1, max_size=20),
       quantum=quanta)
def test_staged_queue_matches_model(stages, programs, budgets, quantum):
    sched = uthread.Scheduler(quantum=quantum)
    q = uthread.queue(stages)
    log = []

    def agent(i, ops):
        for j, op in enumerate(ops):
            if op[0] == "spin":
                burn(op[1])
            elif op[0] == "put":
                with uthread.atomic():
                    q.put((i, j))
                    log.append(("put", (i, j)))
            else:
                with uthread.atomic():
                    log.append(("get", q.get()))

    for i, ops in enumerate(programs):
        sched.spawn(agent, i, ops)
    k = 0
    while sched.run(ticks=budgets[k % len(budgets)]):   # the host steps between frames
        q.step()
        log.append(("step",))
        k += 1
    model = StagedQueueModel(stages)
    for entry in log:
        if entry[0] == "put":
            model.put(entry[1])
        elif entry[0] == "get":
            assert model.get() == entry[1]
        else:
            model.step()
    assert q.stages == tuple(tuple(s) for s in model.stages)
    assert len(q) == sum(len(s) for s in model.stages)


@SETTINGS
@given(stages=st.integers(min_value=1, max_value=4),
       per_producer=st.lists(st.integers(min_value=0, max_value=8), min_size=1, max_size=4),
       consumers=st.integers(min_value=1, max_value=4),
       quantum=quanta, data=st.data())
def test_staged_queue_get_wait_loses_and_duplicates_nothing(stages, per_producer, consumers,
                                                            quantum, data):
    total = sum(per_producer)
    wants = [total // consumers] * consumers
    wants[0] += total - sum(wants)
    sched = uthread.Scheduler(quantum=quantum)
    q = uthread.queue(stages)
    received = {c: [] for c in range(consumers)}

    def producer(p, n):
        for j in range(n):
            q.put((p, j))
            burn(data.draw(st.integers(0, 10)) if False else j % 7)

    def consumer(c, n):
        for _ in range(n):
            received[c].append(q.get_wait())

    for p, n in enumerate(per_producer):
        sched.spawn(producer, p, n)
    for c, n in enumerate(wants):
        sched.spawn(consumer, c, n)
    for _ in range(10_000):
        if not sched.run(ticks=data.draw(st.integers(1, 50))):
            break
        q.step()
    assert sched.alive_count == 0
    everything = [x for xs in received.values() for x in xs]
    assert sorted(everything) == sorted((p, j) for p, n in enumerate(per_producer) for j in range(n))
    for xs in received.values():                      # each consumer sees each producer in order
        for p in range(len(per_producer)):
            mine = [j for (pp, j) in xs if pp == p]
            assert mine == sorted(mine)
    assert len(q) == 0 and q.waiters == 0


# ---------------------------------------------------------------- channel

@SETTINGS
@given(per_producer=st.lists(st.integers(min_value=0, max_value=8), min_size=1, max_size=4),
       consumers=st.integers(min_value=1, max_value=4),
       spins=st.lists(st.integers(min_value=0, max_value=25), min_size=1, max_size=10),
       quantum=quanta)
def test_channel_matches_rendezvous_model(per_producer, consumers, spins, quantum):
    total = sum(per_producer)
    wants = [total // consumers] * consumers
    wants[0] += total - sum(wants)
    sched = uthread.Scheduler(quantum=quantum)
    ch = uthread.channel()
    log = []

    def producer(p, n):
        for j in range(n):
            burn(spins[(p + j) % len(spins)])
            with uthread.atomic():
                blocked = ch.balance >= 0
                log.append(("send", p, (p, j), blocked))
                ch.send((p, j))
                log.append(("sent", p, (p, j), blocked))

    def consumer(c, n):
        for j in range(n):
            burn(spins[(c * 3 + j) % len(spins)])
            with uthread.atomic():
                blocked = ch.balance <= 0
                log.append(("recv", c, blocked))
                v = ch.receive()
                log.append(("got", c, v, blocked))

    for p, n in enumerate(per_producer):
        sched.spawn(producer, p, n)
    for c, n in enumerate(wants):
        sched.spawn(consumer, c, n)
    sched.run()

    senders, receivers = deque(), deque()    # the model's waiting queues
    expected = {}                            # blocked receiver -> value handed to it
    last_from = {}
    got = []
    pending_immediate = None
    for entry in log:
        kind = entry[0]
        if kind == "send":
            _, p, v, blocked = entry
            if receivers:
                assert not blocked
                expected.setdefault(receivers.popleft(), deque()).append(v)
            else:
                assert blocked
                senders.append(v)
        elif kind == "recv":
            _, c, blocked = entry
            if senders:
                assert not blocked
                pending_immediate = (c, senders.popleft())
            else:
                assert blocked
                receivers.append(c)
        elif kind == "got":
            _, c, v, blocked = entry
            if blocked:
                assert expected[c].popleft() == v            # FIFO among receivers
            else:
                assert pending_immediate == (c, v)          # FIFO among senders
                pending_immediate = None
            got.append(v)
            p, j = v
            assert last_from.get((p, c), -1) < j            # per-pair order
            last_from[(p, c)] = j
    assert not senders and not receivers and all(not d for d in expected.values())
    assert sorted(got) == sorted((p, j) for p, n in enumerate(per_producer) for j in range(n))
    assert ch.balance == 0
