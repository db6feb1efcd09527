# tests/test_pool.py: blocking calls in the scheduler's OS thread pool; only the caller waits.
import socket
import socketserver
import threading
import time

import pytest

import uthread


def test_many_blocking_calls_overlap_while_cpu_work_goes_on():
    sched = uthread.Scheduler(pool_size=50)
    in_flight = [0, 0]                 # now, max
    guard = threading.Lock()
    counter = [0]
    counts_seen = []
    done = []

    def blocking_sleep(i):
        with guard:
            in_flight[0] += 1
            in_flight[1] = max(in_flight)
        time.sleep(0.05)
        with guard:
            in_flight[0] -= 1
        return i * 2

    def caller(i):
        counts_seen.append(counter[0])
        r = uthread.call_in_thread(blocking_sleep, i)
        counts_seen.append(counter[0])
        done.append((i, r))

    def cpu_bound():
        while len(done) < 200:          # never yields: preemption only
            counter[0] += 1

    sched.spawn(cpu_bound)
    for i in range(200):
        sched.spawn(caller, i)
    t0 = time.monotonic()
    sched.run()
    elapsed = time.monotonic() - t0
    assert sorted(done) == [(i, 2 * i) for i in range(200)]
    assert 25 <= in_flight[1] <= 50                 # the pool ran many at once, never more
    assert max(counts_seen) > min(counts_seen)      # the counter advanced meanwhile
    assert elapsed < 200 * 0.05 / 4                 # not serialized (ideal: 4 x 0.05 s)
    sched.close()


def test_results_and_exceptions_reach_the_right_microthread():
    sched = uthread.Scheduler(pool_size=8)

    def work(i):
        time.sleep(0.001 * (i % 5))
        if i % 3 == 0:
            raise ValueError(i)
        return threading.current_thread().name, i

    def caller(i):
        try:
            name, j = uthread.call_in_thread(work, i)
            assert j == i and name.startswith("uthread-pool")
            return ("ok", i)
        except ValueError as e:
            return ("err", e.args[0])

    ts = [sched.spawn(caller, i) for i in range(30)]
    sched.run()
    assert [t.result() for t in ts] == [("err", i) if i % 3 == 0 else ("ok", i) for i in range(30)]
    sched.close()


def test_cpu_stays_near_zero_while_everything_waits():
    sched = uthread.Scheduler(pool_size=4)
    for _ in range(4):
        sched.spawn(uthread.call_in_thread, time.sleep, 0.2)
    for _ in range(4):
        sched.spawn(uthread.sleep, 0.2)
    wall0, cpu0 = time.monotonic(), time.process_time()
    sched.run()
    wall, cpu = time.monotonic() - wall0, time.process_time() - cpu0
    assert cpu < 0.25 * wall, (cpu, wall)
    sched.close()


def test_kill_during_a_pool_call_resumes_at_once_and_discards_the_result():
    sched = uthread.Scheduler()
    release = threading.Event()
    log = []

    def slow():
        release.wait(5)
        log.append("pool call finished")
        return "late"

    def caller():
        try:
            return uthread.call_in_thread(slow)
        finally:
            log.append("caller unwound")

    c = sched.spawn(caller)
    sched.run(ticks=100)
    assert c.waiting_on is not None and "call_in_thread" in repr(c.waiting_on)
    c.kill()
    sched.run()                                   # does not wait for the pool call
    assert c.killed and log == ["caller unwound"]
    release.set()
    sched.close()                                 # waits for the pool thread
    assert log == ["caller unwound", "pool call finished"]


def test_timeout():
    sched = uthread.Scheduler()

    def caller():
        with pytest.raises(uthread.Timeout):
            uthread.call_in_thread(time.sleep, 0.5, timeout=0.01)
        return "timed out"

    t = sched.spawn(caller)
    sched.run()
    assert t.result() == "timed out"
    sched.close()
    with pytest.raises(ValueError):
        uthread.call_in_thread(time.sleep, 0, timeout=-1)


def test_budgeted_run_returns_while_calls_are_pending():
    sched = uthread.Scheduler()
    gate = threading.Event()
    t = sched.spawn(uthread.call_in_thread, gate.wait, 5)
    assert sched.run(ticks=1000) is True          # returns at once: nothing runnable
    assert t.alive
    gate.set()
    while sched.run(seconds=0.01):
        pass
    assert t.result() is True
    sched.close()


def test_pending_calls_are_not_a_deadlock():
    sched = uthread.Scheduler()
    ev = uthread.Event()

    def setter():
        uthread.call_in_thread(time.sleep, 0.02)
        ev.set()

    def waiter():
        return ev.wait()

    w = sched.spawn(waiter)
    sched.spawn(setter)
    sched.run()                                    # no DeadlockError
    assert w.result() is True
    sched.close()


def test_outside_a_microthread_it_just_calls():
    assert uthread.call_in_thread(lambda a, b=1: a + b, 1, b=2) == 3
    with pytest.raises(TypeError):
        uthread.call_in_thread(42)


def test_blocking_decorator():
    @uthread.blocking
    def fetch(x, timeout=None):                    # its own timeout keyword is passed through
        time.sleep(0.01)
        return (threading.current_thread().name, x, timeout)

    sched = uthread.Scheduler()
    t = sched.spawn(fetch, 1, timeout=7)
    sched.run()
    name, x, timeout = t.result()
    assert name.startswith("uthread-pool") and (x, timeout) == (1, 7)
    assert fetch(2)[0] == threading.current_thread().name      # host code: direct
    assert fetch.__name__ == "fetch"
    sched.close()


def test_pool_is_lazy_and_shuts_down_on_close():
    def pool_threads():
        return [t for t in threading.enumerate() if t.name.startswith("uthread-pool")]

    before = len(pool_threads())
    sched = uthread.Scheduler(pool_size=3)
    sched.spawn(lambda: None)
    sched.run()
    assert len(pool_threads()) == before            # nothing made yet
    for _ in range(3):
        sched.spawn(uthread.call_in_thread, time.sleep, 0.01)
    sched.run()
    assert len(pool_threads()) > before
    sched.close()
    assert len(pool_threads()) == before


def test_pool_size_validation():
    with pytest.raises(ValueError):
        uthread.Scheduler(pool_size=0)
    with pytest.raises(TypeError):
        uthread.Scheduler(pool_size=2.5)
    assert uthread.Scheduler().pool_size == uthread.DEFAULT_POOL_SIZE >= 10


# ---------------------------------------------------------------- a real TCP server

class SlowEcho(socketserver.BaseRequestHandler):
    delay = 0.1

    def handle(self):
        srv = self.server
        with srv.guard:
            srv.active += 1
            srv.max_active = max(srv.max_active, srv.active)
        try:
            data = self.request.recv(1024)
            time.sleep(self.delay)                     # answers slowly
            self.request.sendall(b"echo:" + data)
        finally:
            with srv.guard:
                srv.active -= 1


class Server(socketserver.ThreadingTCPServer):
    request_queue_size = 128            # the default backlog (5) delays connects by 1 s


@pytest.fixture
def slow_server():
    srv = Server(("127.0.0.1", 0), SlowEcho)
    srv.daemon_threads = True
    srv.guard = threading.Lock()
    srv.active = srv.max_active = 0
    th = threading.Thread(target=srv.serve_forever, daemon=True)
    th.start()
    yield srv
    srv.shutdown()
    srv.server_close()


CLIENTS = 30


def _run_clients(client, pool_size=CLIENTS):
    sched = uthread.Scheduler(pool_size=pool_size)
    beats = [0]

    def heartbeat():                     # other microthreads keep running meanwhile
        while any(t.alive for t in ts):
            beats[0] += 1
            uthread.sleep(0.005)

    ts = [sched.spawn(client, i) for i in range(CLIENTS)]
    sched.spawn(heartbeat)
    t0 = time.monotonic()
    sched.run()
    elapsed = time.monotonic() - t0
    sched.close()
    return [t.result() for t in ts], elapsed, beats[0]


def test_tcp_clients_with_explicit_call_in_thread(slow_server):
    addr = slow_server.server_address

    def client(i):
        s = uthread.call_in_thread(socket.create_connection, addr)
        try:
            uthread.call_in_thread(s.sendall, b"%d" % i)
            return uthread.call_in_thread(s.recv, 1024)
        finally:
            s.close()

    replies, elapsed, beats = _run_clients(client)
    assert replies == [b"echo:%d" % i for i in range(CLIENTS)]
    assert slow_server.max_active > 1                      # served concurrently
    assert elapsed < CLIENTS * SlowEcho.delay / 2          # not one after another
    assert beats > 1


def test_tcp_clients_with_patch(slow_server):
    addr = slow_server.server_address

    def client(i):
        s = socket.create_connection(addr)                 # plain blocking socket code
        try:
            s.sendall(b"%d" % i)
            time.sleep(0.001)
            return s.recv(1024)
        finally:
            s.close()

    uthread.patch()
    try:
        assert uthread.patched()
        replies, elapsed, beats = _run_clients(client)
    finally:
        uthread.unpatch()
    assert not uthread.patched()
    assert replies == [b"echo:%d" % i for i in range(CLIENTS)]
    assert slow_server.max_active > 1
    assert elapsed < CLIENTS * SlowEcho.delay / 2
    assert beats > 1


def test_patch_routes_time_sleep_only_inside_microthreads():
    orig = time.sleep
    uthread.patch()
    try:
        uthread.patch()                                     # idempotent
        assert time.sleep is not orig
        sched = uthread.Scheduler()
        order = []

        def sleeper():
            time.sleep(0.02)                                # cooperative now
            order.append("sleeper")

        def other():
            order.append("other")

        sched.spawn(sleeper)
        sched.spawn(other)
        sched.run()
        assert order == ["other", "sleeper"]
        time.sleep(0.001)                                   # host code: the real one
        results = []
        th = threading.Thread(target=lambda: results.append(time.sleep(0.001)))
        th.start()
        th.join()
        assert results == [None]
    finally:
        uthread.unpatch()
    assert time.sleep is orig
    assert socket.socket.recv is not None and not hasattr(socket.socket.recv, "__uthread_original__")
