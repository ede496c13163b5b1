"""Evaluating a schedule over a whole run, for plots and descriptions.

A run is shown as the steps ``0, 1, ..., stop`` (``stop`` included, so the
value a schedule settles on is visible).  ``stop`` is the ``steps`` the caller
gives, else the schedule's own ``duration``; a schedule that is unresolved
(durations as fractions of the run) is resolved with ``steps``.

Values are computed in chunks: with NumPy, one array call per chunk of
:data:`CHUNK` steps (tens of millions of steps per second); without NumPy,
step by step through the compiled scalar function (about a million steps per
second).  Nothing here holds more than one chunk of values at a time, so a
long run costs time, not memory.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from .schedule import Schedule

__all__ = ["MAX_STEPS", "CHUNK", "prepare", "chunks", "Envelope", "envelope"]

#: the longest run evaluated step by step
MAX_STEPS = 10**9
#: steps per chunk
CHUNK = 1 << 18


def _numpy() -> Any:
    try:
        import numpy
    except ImportError:  # pragma: no cover - numpy is installed in the test environment
        return None
    return numpy


def prepare(schedule: Schedule, steps: int | None = None) -> tuple[Schedule, int]:
    """``(concrete schedule, stop)``: resolve with ``steps`` and choose the last step shown.

    Raises ``ValueError`` with a message that says what to pass when the
    length cannot be known (unresolved without ``steps``, or never settles).
    """
    if not isinstance(schedule, Schedule):
        raise TypeError(f"expected a lrkit.Schedule, got {type(schedule).__name__}")
    if steps is not None:
        if isinstance(steps, bool) or not isinstance(steps, numbers.Integral):
            raise TypeError(f"steps must be an int, got {steps!r}")
        if not 0 < steps <= MAX_STEPS:
            raise ValueError(f"steps must be in 1..{MAX_STEPS}, got {steps}")
        steps = int(steps)
    if not schedule.resolved:
        if steps is None:
            raise ValueError(f"{_short(schedule)} has durations given as fractions of the run "
                             "('5%', 'rest'); give the run length: --steps N (steps=N in Python)")
        schedule = schedule.resolve(steps)
    if steps is not None:
        return schedule, steps
    d = schedule.duration
    if d is None or d <= 0:
        what = "never settles" if d is None else "is constant"
        raise ValueError(f"{_short(schedule)} {what}, so it has no length of its own; "
                         "give the steps to show: --steps N (steps=N in Python)")
    stop = math.ceil(d)
    if stop > MAX_STEPS:
        raise ValueError(f"{_short(schedule)} lasts {stop} steps, more than the {MAX_STEPS} "
                         "evaluated step by step; give fewer: --steps N (steps=N in Python)")
    return schedule, stop


def _short(schedule: Schedule, limit: int = 60) -> str:
    text = repr(schedule)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def chunks(schedule: Schedule, stop: int, size: int | None = None,
           use_numpy: bool = True) -> Iterator[tuple[int, Sequence[float]]]:
    """``(first step, values)`` for consecutive chunks covering steps ``0..stop``.

    Values are a float64 NumPy array when NumPy is available (and
    ``use_numpy``), else a list of floats.
    """
    size = size or CHUNK
    np: Any = _numpy() if use_numpy else None
    fn = schedule._fn or schedule._build()
    vectorized = np is not None
    for a in range(0, stop + 1, size):
        b = min(stop + 1, a + size)
        if vectorized:
            try:
                with np.errstate(all="ignore"):  # no RuntimeWarning reaches a tool's output
                    out = schedule(np.arange(a, b, dtype=np.float64))
                    vals = np.broadcast_to(np.asarray(out, dtype=np.float64), (b - a,))
            except (TypeError, ValueError, AttributeError):
                # e.g. a custom schedule whose function only takes numbers
                vectorized = False
            else:
                if bool(np.isfinite(vals).all()):
                    yield a, vals
                    continue
                # an overflow on the array path: the scalar one names the step (ValueError)
        yield a, [_finite(schedule, fn, i) for i in range(a, b)]


def _finite(schedule: Schedule, fn: Any, step: int) -> float:
    try:
        value = fn(step)
    except OverflowError:
        value = schedule(step)  # raises the ValueError that names the step
    if not math.isfinite(value):
        raise ValueError(f"{_short(schedule)} is {value} at step {step}")
    return value


@dataclass(frozen=True)
class Envelope:
    """A run reduced to bins of consecutive steps (one bin per step when short enough).

    Bin ``i`` covers steps ``x[i]..x_end[i]``; ``first``/``last`` are the
    values at those steps, ``lo``/``hi`` the extremes inside the bin.  Drawing
    a vertical line lo..hi per bin and joining ``last[i]`` to ``first[i + 1]``
    shows every jump and spike however many steps share a pixel.
    """

    stop: int
    x: list[int]
    x_end: list[int]
    first: list[float]
    last: list[float]
    lo: list[float]
    hi: list[float]


def envelope(schedule: Schedule, stop: int, bins: int, use_numpy: bool = True) -> Envelope:
    """The :class:`Envelope` of steps ``0..stop`` in at most ``bins`` bins."""
    n = stop + 1
    bins = max(1, min(int(bins), n))
    edges = [-((-j * n) // bins) for j in range(bins + 1)]  # ceil(j·n/bins)
    lo = [math.inf] * bins
    hi = [-math.inf] * bins
    first: list[float | None] = [None] * bins
    last = [0.0] * bins
    np = _numpy() if use_numpy else None
    for a, vals in chunks(schedule, stop, use_numpy=use_numpy):
        if np is not None and not isinstance(vals, list):
            steps = np.arange(a, a + len(vals), dtype=np.int64)
            idx = (steps * bins) // n
            starts = np.flatnonzero(np.r_[True, idx[1:] != idx[:-1]])
            ends = np.r_[starts[1:], len(vals)] - 1
            seg_lo = np.minimum.reduceat(vals, starts)
            seg_hi = np.maximum.reduceat(vals, starts)
            for j, s, e, low, high in zip(idx[starts].tolist(), starts.tolist(), ends.tolist(),
                                          seg_lo.tolist(), seg_hi.tolist(), strict=True):
                _merge(j, float(vals[s]), float(vals[e]), low, high, first, last, lo, hi)
        else:
            for k, value in enumerate(vals):
                j = ((a + k) * bins) // n
                _merge(j, value, value, value, value, first, last, lo, hi)
    return Envelope(stop, edges[:-1], [e - 1 for e in edges[1:]],
                    [float(f) for f in first], last, lo, hi)  # type: ignore[arg-type]


def _merge(j: int, f: float, la: float, low: float, high: float, first: list[Any], last: list[float],
           lo: list[float], hi: list[float]) -> None:
    if first[j] is None:
        first[j] = f
    last[j] = la
    if low < lo[j]:
        lo[j] = low
    if high > hi[j]:
        hi[j] = high
