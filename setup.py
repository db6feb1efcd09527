# setup.py: builds uthread's Cython extensions (uthread._cy_*) from cython_src/.
# Build requirements (pyproject.toml): setuptools, Cython 3.x, greenlet (for greenlet.h).
import os

from setuptools import Extension, setup

try:
    from Cython.Build import cythonize
except ImportError as exc:  # no silent fallback: the core is compiled or absent
    raise SystemExit("uthread needs Cython >= 3.0 to build: pip install 'cython>=3.0'") from exc

try:
    import greenlet
except ImportError as exc:
    raise SystemExit("uthread needs greenlet (for greenlet/greenlet.h) to build: pip install greenlet") from exc

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join("cython_src", "uthread")
GREENLET_INCLUDE = os.path.dirname(os.path.dirname(os.path.abspath(greenlet.__file__)))
DEBUG = os.environ.get("UTHREAD_DEBUG_BUILD") == "1"  # line tracing + annotated HTML


def ext(name, depends=()):
    return Extension(
        f"uthread.{name}",
        [os.path.join(SRC, f"{name}.pyx")],
        include_dirs=[SRC, GREENLET_INCLUDE],
        depends=[os.path.join(SRC, d) for d in depends if os.path.exists(os.path.join(HERE, SRC, d))],
        define_macros=[("CYTHON_TRACE", "1")] if DEBUG else [],
        extra_compile_args=["-O2"],
    )


extensions = [
    ext("_cy_core", depends=["_cy_core.pxd", "_ut_hooks.h"]),
    ext("_cy_prims", depends=["_cy_core.pxd", "_cy_prims.pxd"]),
    ext("_cy_rng"),
]
extensions = [e for e in extensions if os.path.exists(os.path.join(HERE, e.sources[0]))]

setup(
    ext_modules=cythonize(
        extensions,
        include_path=["cython_src"],
        language_level=3,
        annotate=DEBUG,
        compiler_directives={"linetrace": DEBUG, "embedsignature": True},
    ),
)
