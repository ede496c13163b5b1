"""restarts has one cycle-index function (``cycle_index``), used by every path: exact on
integers, bounded in cost at any step, the same on Python numbers and arrays."""

from __future__ import annotations

import time

import numpy as np
import pytest

import lrkit
from lrkit.combinators import cycle_index, cycle_start


def _numpy_ops(steps):
    from lrkit._ops import prepare_steps

    return prepare_steps(np.array(steps, dtype=np.float64))[1]


def _brute(t: int, p: int, mult: int) -> int:
    i, start = 0, 0
    while start + p * mult**i <= t:
        start += p * mult**i
        i += 1
    return i


@pytest.mark.parametrize(("p", "mult"), [(1, 1), (7, 1), (1, 2), (1, 3), (10, 2), (3, 5), (2, 10)])
def test_exact_on_integers(p, mult):
    starts = [cycle_start(p, mult, i) for i in range(12)]
    steps = sorted({0, 1, 2, *range(0, 400, 7), *starts, *(s - 1 for s in starts if s), *(s + 1 for s in starts)})
    for t in steps:
        i = cycle_index(t, p, mult)
        assert isinstance(i, int)
        assert i == _brute(t, p, mult), (t, p, mult)
        assert cycle_start(p, mult, i) <= t < cycle_start(p, mult, i + 1)
    got = cycle_index(np.array(steps, dtype=np.float64), p, mult, _numpy_ops(steps))
    assert got.tolist() == [_brute(t, p, mult) for t in steps]


@pytest.mark.parametrize("t", [2.0**53, 2.0**53 + 2, 1e300, 1.7e308])
@pytest.mark.parametrize(("p", "mult"), [(1, 2), (10, 3), (1, 1), (3.5, 1.5), (1, 1.0001)])
def test_bounded_at_any_step(t, p, mult):
    start = time.perf_counter()
    i = cycle_index(t, p, mult)
    assert time.perf_counter() - start < 0.05
    if mult != 1 and i < 10**6:
        assert cycle_start(p, mult, i) <= t
    s = lrkit.restarts(lrkit.cosine(10), 10, mult=mult if mult != 1.0001 else 2)
    try:
        assert 0.0 <= s(t) <= 1.0
    except ValueError as e:  # a cycle longer than float64 can hold: said, not hung
        assert "overflows float64" in str(e)


def test_scalar_and_array_paths_agree_bit_for_bit():
    for s in (lrkit.restarts(lrkit.cosine(10, end=0.1), 10, mult=2),
              lrkit.restarts(lrkit.linear(4), 6, mult=3, decay=0.5, limit=5),
              lrkit.restarts(lrkit.cosine(5), 5, decay=0.9, limit=7),
              lrkit.restarts(lrkit.cosine(10), 2.5, mult=1.5, decay=0.8)):
        steps = np.arange(0, 3000, dtype=np.float64)
        assert s(steps).tolist() == [s(int(t)) for t in steps], repr(s)


def test_compat_cycle_positions():
    class Opt:
        param_groups = [{"lr": 1.0}]

    sch = lrkit.CosineAnnealingWarmRestarts(Opt(), T_0=1, T_mult=3)
    sch.step(121)  # torch's float log puts this one cycle off; the integer cycle starts do not
    assert (sch.T_cur, sch.T_i) == (0, 243)
    assert Opt.param_groups[0]["lr"] == 1.0
