# bench/conftest.py: shared settings for the pytest-benchmark suite.
# Benchmarks measure; they never assert times.  Compare ratios within one run.
# UTHREAD_BENCH_SIZE=tiny|quick|full picks the sizes (uthread.bench.SIZES); CI uses tiny.
import os

import pytest

from uthread.bench import SIZES

SIZE = SIZES[os.environ.get("UTHREAD_BENCH_SIZE", "quick")]


@pytest.fixture
def size():
    return SIZE


def pytest_collection_modifyitems(items):
    for item in items:
        item.add_marker(pytest.mark.benchmark)
