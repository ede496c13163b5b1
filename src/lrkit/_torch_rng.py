"""torch's CPU random numbers, in plain Python: timm's learning-rate noise without torch.

timm draws its lr noise from ``torch.Generator().manual_seed(seed + t)`` at every step t.
This module computes the same numbers bit for bit (held against torch in tests/test_timm.py):

* the generator is MT19937 seeded with ``init_genrand(seed mod 2**32)``; its 32-bit
  outputs are those of Python's own Mersenne Twister (``random.Random``) given that state;
* ``random64()`` = (first output << 32) | second output;
* ``torch.rand(1)`` (float32) = float32((x mod 2**24)·2**-24), x one 32-bit output;
* ``torch.randn(1)`` (float32) = float32 of the next sample of torch's Box–Muller in double:
  u1, u2 = (random64() mod 2**53)·2**-53 each, r = √(−2·log1p(−u2)), θ = 2π·u1, the sample
  r·cos θ, with r·sin θ kept for the next call on the same generator.
"""

from __future__ import annotations

import functools
import math
import random
import struct

__all__ = ["timm_noise"]

_M32 = 0xFFFFFFFF
#: the most draws timm's "resample until |n| < pct" may take before lrkit gives up
MAX_DRAWS = 100_000


def _generator(seed: int) -> random.Random:
    """MT19937 in the state ``torch.Generator().manual_seed(seed)`` leaves it."""
    state = [seed & _M32]
    for j in range(1, 624):
        prev = state[-1]
        state.append((1812433253 * (prev ^ (prev >> 30)) + j) & _M32)
    rng = random.Random()
    rng.setstate((3, (*state, 624), None))
    return rng


def _float32(x: float) -> float:
    return float(struct.unpack("f", struct.pack("f", x))[0])


def _uniform53(rng: random.Random) -> float:
    hi = rng.getrandbits(32)
    lo = rng.getrandbits(32)
    return (((hi << 32) | lo) & ((1 << 53) - 1)) * 2.0**-53


@functools.lru_cache(maxsize=65536)
def timm_noise(seed: int, kind: str, pct: float, std: float) -> float:
    """timm ``Scheduler._calculate_noise`` for the generator seed ``seed`` (timm's noise_seed + t):
    ``normal``: n = randn·std, drawn again until |n| < pct; ``uniform``: n = 2·(rand − ½)·pct."""
    rng = _generator(seed)
    if kind == "uniform":
        u = _float32((rng.getrandbits(32) & ((1 << 24) - 1)) * 2.0**-24)
        return 2 * (u - 0.5) * pct
    cached: float | None = None
    for _ in range(MAX_DRAWS):
        if cached is not None:
            z, cached = cached, None
        else:
            u1 = _uniform53(rng)
            u2 = _uniform53(rng)
            r = math.sqrt(-2.0 * math.log1p(-u2))
            theta = 2.0 * math.pi * u1
            z, cached = r * math.cos(theta), r * math.sin(theta)
        n = _float32(z) * std
        if abs(n) < pct:
            return n
    raise ValueError(f"timm's noise found no draw with |n| < pct = {pct} in {MAX_DRAWS} draws "
                     f"(std = {std}); use a larger pct or a smaller std")
