# tests/test_hazards.py: what preemption at any tick must not break: recursion, generators,
# contextvars, atomic sections, imports in progress, and child greenlets of a microthread.
import contextvars
import sys
import textwrap

import greenlet
import pytest

import uthread
from uthread import _cy_core
from conftest import runs


def test_recursion_near_the_limit_in_several_microthreads():
    limit = sys.getrecursionlimit()
    depth_reached = {}

    def recurse(k, n):
        if n == 0:
            depth_reached[k] = len_stack()
            return 0
        return 1 + recurse(k, n - 1)

    def len_stack():
        f, n = sys._getframe(), 0
        while f is not None:
            n += 1
            f = f.f_back
        return n

    s = uthread.Scheduler(quantum=7)
    target = limit - 80
    ts = [s.spawn(recurse, k, target) for k in range(3)]
    s.run()
    assert [t.result() for t in ts] == [target] * 3
    assert s.preemptions > 10      # they really were interleaved mid-recursion
    # and each one, beyond the limit, gets its own RecursionError
    over = [s.spawn(recurse, k, limit + 10) for k in range(3)]
    s.run()
    for t in over:
        with pytest.raises(RecursionError):
            t.result()


def test_generators_inside_microthreads():
    def numbers(k):
        for i in range(200):
            yield (k, i)

    def consume(k):
        out = []
        for item in numbers(k):
            out.append(item)
        return out

    s = uthread.Scheduler(quantum=5)
    ts = [s.spawn(consume, k) for k in range(4)]
    s.run()
    for k, t in enumerate(ts):
        assert t.result() == [(k, i) for i in range(200)]
    assert s.preemptions > 50


def test_shared_generator_hazard_is_a_clean_error():
    # Documented hazard: two microthreads advancing one generator.
    def slow_gen():
        for i in range(10):
            x = 0
            for _ in range(100):
                x += 1
            yield i

    g = slow_gen()

    def pull():
        return list(g)

    s = uthread.Scheduler(quantum=10)
    a, b = s.spawn(pull), s.spawn(pull)
    s.run()
    errors = [t for t in (a, b) if t.killed is False and _raised(t)]
    assert errors and all(isinstance(_exc(t), ValueError) for t in errors)


def _raised(t):
    try:
        t.result()
        return False
    except Exception:
        return True


def _exc(t):
    try:
        t.result()
    except Exception as e:
        return e


VAR = contextvars.ContextVar("VAR", default="unset")


def test_contextvars_are_isolated_per_microthread():
    seen = {}

    def worker(k):
        VAR.set(k)
        total = 0
        for i in range(300):
            total += i
            if VAR.get() != k:
                seen.setdefault(k, []).append(VAR.get())
        seen.setdefault("final", {})[k] = VAR.get()

    s = uthread.Scheduler(quantum=3)
    VAR.set("host")
    for k in range(4):
        s.spawn(worker, k)
    s.run()
    assert [k for k in seen if k != "final"] == []
    assert seen["final"] == {0: 0, 1: 1, 2: 2, 3: 3}
    assert VAR.get() == "host"


def test_microthreads_inherit_the_spawners_context():
    seen = []

    def child():
        seen.append(VAR.get())

    def parent():
        VAR.set("from parent")
        uthread.spawn(child)

    s = uthread.Scheduler()
    VAR.set("host value")
    s.spawn(child)
    s.spawn(parent)
    s.run()
    assert seen == ["host value", "from parent"]


def test_atomic_section_is_not_preempted():
    log = []

    def critical(k):
        with uthread.atomic():
            for i in range(100):
                log.append(k)
        for i in range(100):
            log.append(k)

    s = uthread.Scheduler(quantum=5)
    for k in "ab":
        s.spawn(critical, k)
    s.run()
    r = runs(log)
    # a's atomic 100 run whole, then it is preempted at the first tick after
    # the section: the second loop's first back-edge, after one more append
    assert r[0] == ("a", 101)
    assert r[1] == ("b", 101)
    assert all(n <= 5 for _, n in r[2:])


def test_atomic_decorator_with_and_without_parentheses():
    log = []

    @uthread.atomic
    def f(k):
        for _ in range(50):
            log.append(k)
        return k

    @uthread.atomic()
    def g(k):
        for _ in range(50):
            log.append(k)
        return k

    s = uthread.Scheduler(quantum=3)
    a, b = s.spawn(f, "f"), s.spawn(g, "g")
    s.run()
    assert (a.result(), b.result()) == ("f", "g")
    assert runs(log) == [("f", 50), ("g", 50)]
    assert f.__name__ == "f"


def test_atomic_defers_run_budget_cuts_too():
    log = []

    def f():
        with uthread.atomic():
            for _ in range(100):
                log.append(1)
        for _ in range(1000):
            log.append(2)

    s = uthread.Scheduler(quantum=1000)
    s.spawn(f)
    s.run(ticks=10)
    assert log.count(1) == 100 and log.count(2) <= 1
    s.close()


def test_atomic_still_allows_cooperative_switches():
    log = []

    def a():
        with uthread.atomic():
            log.append("a1")
            uthread.schedule()
            log.append("a2")

    def b():
        log.append("b")

    s = uthread.Scheduler()
    s.spawn(a)
    s.spawn(b)
    s.run()
    assert log == ["a1", "b", "a2"]


def test_atomic_outside_microthreads_is_harmless():
    with uthread.atomic():
        pass


SLOW_MODULE = textwrap.dedent("""
    import sys
    sys.uthread_test_execs.append(__name__)
    PARTIAL = True
    total = 0
    for i in range(3000):
        total += i
    def helper():
        return total
    VALUE = helper()
    PARTIAL = False
""")


def _import_storm(tmp_path, name, guard):
    """Six microthreads import one slow module under quantum=3.

    Returns (module executions, what each importer saw right after import).
    """
    (tmp_path / f"{name}.py").write_text(SLOW_MODULE)
    sys.path.insert(0, str(tmp_path))
    sys.uthread_test_execs = []
    old = _cy_core._import_guard(guard)
    try:
        seen = []

        def importer():
            mod = __import__(name)
            seen.append((id(mod), mod.PARTIAL, getattr(mod, "VALUE", None)))

        s = uthread.Scheduler(quantum=3)
        ts = [s.spawn(importer) for _ in range(6)]
        s.run()
        for t in ts:
            t.result()
        return len(sys.uthread_test_execs), seen
    finally:
        _cy_core._import_guard(old)
        sys.path.remove(str(tmp_path))
        sys.modules.pop(name, None)
        del sys.uthread_test_execs


def test_microthreads_importing_the_same_slow_module_all_get_it_finished(tmp_path):
    execs, seen = _import_storm(tmp_path, "uthread_slow_mod_a", True)
    assert execs == 1
    assert len(seen) == 6 and len({m for m, _, _ in seen}) == 1
    assert all(s[1:] == (False, sum(range(3000))) for s in seen)


def test_without_the_import_guard_imports_interleave(tmp_path):
    # Proof that the guard matters: preemption does land inside the import
    # system, and the importers then run the module several times or see
    # it half-finished.
    execs, seen = _import_storm(tmp_path, "uthread_slow_mod_b", False)
    assert execs > 1 or any(s[1] for s in seen)


def test_child_greenlets_of_a_microthread_are_not_corrupted():
    log = []

    def child_body(k):
        total = 0
        for i in range(500):
            total += i
            if i % 100 == 99:
                greenlet.getcurrent().parent.switch(("progress", k, i))
        return ("done", k, total)

    def microthread(k):
        g = greenlet.greenlet(child_body)
        msgs = []
        msg = g.switch(k)
        while True:
            msgs.append(msg)
            if msg[0] == "done":
                break
            x = 0
            for _ in range(20):
                x += 1
            msg = g.switch()
        log.append(k)
        return msgs

    s = uthread.Scheduler(quantum=7)
    ts = [s.spawn(microthread, k) for k in range(3)]
    s.run()
    for k, t in enumerate(ts):
        msgs = t.result()
        assert msgs[-1] == ("done", k, sum(range(500)))
        assert [m[2] for m in msgs[:-1]] == [99, 199, 299, 399, 499]
    assert s.preemptions > 10


def test_yield_from_a_child_greenlet_is_refused():
    def child():
        uthread.schedule()

    def microthread():
        return greenlet.greenlet(child).switch()

    s = uthread.Scheduler()
    t = s.spawn(microthread)
    s.run()
    with pytest.raises(uthread.UthreadError):
        t.result()
