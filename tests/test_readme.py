# tests/test_readme.py: the README's Python examples run as written (kept true as code changes).
import os
import re

import pytest

import uthread

README = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "README.md")


def python_blocks():
    text = open(README, encoding="utf-8").read()
    return re.findall(r"```python\n(.*?)```", text, re.S)


@pytest.mark.parametrize("index", range(len(python_blocks())))
def test_readme_example_runs(index, capsys):
    code = python_blocks()[index]
    namespace = {"uthread": uthread, "__name__": "readme_example"}
    if "count" in code and "def count" not in code:
        exec(python_blocks()[0], namespace)        # later blocks reuse the first's function
    exec(compile(code, f"README.md example {index}", "exec"), namespace)
    uthread.default_scheduler().close()
