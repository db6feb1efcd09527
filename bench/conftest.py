# bench/conftest.py: shared settings for the pytest-benchmark suite.
# Benchmarks measure; they never assert times.  Compare ratios within one run.
import pytest


def pytest_collection_modifyitems(items):
    for item in items:
        item.add_marker(pytest.mark.benchmark)
