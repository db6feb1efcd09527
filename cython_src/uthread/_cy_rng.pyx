# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython_src/uthread/_cy_rng.pyx: per-microthread random generators, random.Random's
# interface on a compiled xoshiro256** core, created and seeded without running Python code.
#
# xoshiro256** (Blackman and Vigna, 2018): 256 bits of state, period 2**256 - 1,
# passes BigCrush and PractRand; seeded through splitmix64 as its authors advise.
# random() takes the top 53 bits of each 64-bit output, as CPython's does.

cimport cython
from libc.stdint cimport uint64_t, uint32_t

import os as _os
import random as _stdlib_random


cdef inline uint64_t _rotl(uint64_t x, int k) noexcept:
    return (x << k) | (x >> (64 - k))


cdef inline uint64_t _splitmix64_next(uint64_t *x) noexcept:
    x[0] += 0x9E3779B97F4A7C15ULL
    cdef uint64_t z = x[0]
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL
    return z ^ (z >> 31)


@cython.final
cdef class Xoshiro256:
    """The xoshiro256** core: 64-bit outputs from 256 bits of state."""
    cdef uint64_t s0, s1, s2, s3

    cdef void seed64(self, uint64_t seed) noexcept:
        cdef uint64_t x = seed
        self.s0 = _splitmix64_next(&x)
        self.s1 = _splitmix64_next(&x)
        self.s2 = _splitmix64_next(&x)
        self.s3 = _splitmix64_next(&x)
        if (self.s0 | self.s1 | self.s2 | self.s3) == 0:
            self.s0 = 1

    cdef inline uint64_t next64(self) noexcept:
        cdef uint64_t result = _rotl(self.s1 * 5, 7) * 9
        cdef uint64_t t = self.s1 << 17
        self.s2 ^= self.s0
        self.s3 ^= self.s1
        self.s1 ^= self.s2
        self.s0 ^= self.s3
        self.s2 ^= t
        self.s3 = _rotl(self.s3, 45)
        return result

    def random(self):
        """A float in [0.0, 1.0) with 53 random bits."""
        return <double>(self.next64() >> 11) * (1.0 / 9007199254740992.0)

    def getrandbits(self, k):
        """An int with k random bits (k >= 0)."""
        cdef long long n = k
        cdef object out
        cdef int shift
        if n < 0:
            raise ValueError("number of bits must be non-negative")
        if n <= 64:
            if n == 0:
                return 0
            return self.next64() >> (64 - n)
        out = 0
        shift = 0
        while n > 0:
            if n >= 64:
                out |= (<object>self.next64()) << shift
                n -= 64
                shift += 64
            else:
                out |= (<object>(self.next64() >> (64 - n))) << shift
                n = 0
        return out

    def getstate(self):
        return (self.s0, self.s1, self.s2, self.s3)

    def setstate(self, state):
        a, b, c, d = state
        self.s0, self.s1, self.s2, self.s3 = a, b, c, d
        if (self.s0 | self.s1 | self.s2 | self.s3) == 0:
            raise ValueError("xoshiro256** state must not be all zero")


cdef uint64_t _hash_bytes(bytes data) noexcept:
    """A 64-bit digest of bytes (splitmix64 over 8-byte words): no imports, no Python."""
    cdef uint64_t acc = 0x243F6A8885A308D3ULL ^ <uint64_t>len(data)
    cdef uint64_t word, x
    cdef Py_ssize_t i, n = len(data)
    cdef const unsigned char *p = data
    i = 0
    while i < n:
        word = 0
        for j in range(8):
            if i + j < n:
                word |= (<uint64_t>p[i + j]) << (8 * j)
        x = acc ^ word
        acc = _splitmix64_next(&x)
        i += 8
    return acc


cdef uint64_t _seed_to_u64(object a) except? 0:
    cdef uint64_t acc, x
    cdef object s
    if a is None:
        return <uint64_t>int.from_bytes(_os.urandom(8), "little")
    if isinstance(a, bool) or isinstance(a, float):
        a = hash(a)
    if isinstance(a, int):
        acc = 0x6A09E667F3BCC909ULL ^ (1 if a < 0 else 0)
        s = abs(a)
        while True:
            x = acc ^ <uint64_t>(s & 0xFFFFFFFFFFFFFFFF)
            acc = _splitmix64_next(&x)
            s >>= 64
            if not s:
                break
        return acc
    if isinstance(a, str):
        return _hash_bytes((<str>a).encode("utf-8", "surrogatepass")) ^ 0x5A5A5A5A5A5A5A5AULL
    if isinstance(a, (bytes, bytearray)):
        return _hash_bytes(bytes(a))
    raise TypeError("The only supported seed types are: None, int, float, str, bytes, and bytearray.")


class Random(_stdlib_random.Random):
    """random.Random's interface on xoshiro256**: each microthread has its own.

    All of random.Random's distribution methods (uniform, randint,
    randrange, choice, choices, shuffle, sample, gauss, ...) work unchanged;
    random() and getrandbits() come from the compiled core.  Seeds: None,
    int, float, str, bytes or bytearray.  Creating and seeding it runs no
    Python code, so preemption cannot land inside.
    """

    VERSION = "uthread-xoshiro256**-1"

    def __init__(self, x=None):
        core = Xoshiro256()
        self._core = core
        # Instance attributes win over the class's methods: calls go
        # straight to the compiled core.
        self.random = core.random
        self.getrandbits = core.getrandbits
        (<Xoshiro256>core).seed64(_seed_to_u64(x))
        self.gauss_next = None

    def seed(self, a=None, version=2):
        """Re-seed from None (OS entropy), int, float, str, bytes or bytearray."""
        (<Xoshiro256>self._core).seed64(_seed_to_u64(a))
        self.gauss_next = None

    def random(self):
        """A float in [0.0, 1.0)."""
        return self._core.random()

    def getrandbits(self, k):
        """An int with k random bits."""
        return self._core.getrandbits(k)

    def getstate(self):
        """The generator's state, for setstate()."""
        return (self.VERSION, self._core.getstate(), self.gauss_next)

    def setstate(self, state):
        """Restore a state returned by getstate()."""
        version, core_state, gauss_next = state
        if version != self.VERSION:
            raise ValueError(f"state with version {version!r} passed to uthread.Random "
                             f"of version {self.VERSION!r}")
        self._core.setstate(core_state)
        self.gauss_next = gauss_next

    def __reduce__(self):
        return (self.__class__, (), self.getstate())


def _make_rng(seed64):
    """A generator seeded directly with a 64-bit seed (no hashing, no Python code)."""
    r = Random.__new__(Random)
    core = Xoshiro256()
    r._core = core
    r.random = core.random
    r.getrandbits = core.getrandbits
    (<Xoshiro256>core).seed64(<uint64_t>seed64)
    r.gauss_next = None
    return r
