# tests/conftest.py: shared fixtures; every test gets fresh schedulers.
import gc
import sys

import pytest

import uthread


@pytest.fixture
def sched():
    s = uthread.Scheduler(quantum=50)
    yield s
    if not s.closed and not s.running:
        s.close()


@pytest.fixture
def unraisable():
    """Collect what reaches sys.unraisablehook during the test."""
    seen = []
    old = sys.unraisablehook
    sys.unraisablehook = seen.append
    try:
        yield seen
    finally:
        gc.collect()
        sys.unraisablehook = old


def runs(log):
    """Compress [a, a, b, b, b, a] into [(a, 2), (b, 3), (a, 1)]."""
    out = []
    for k in log:
        if out and out[-1][0] == k:
            out[-1][1] += 1
        else:
            out.append([k, 1])
    return [tuple(r) for r in out]
