"""Using a fitted law before training: compare schedules, find the best one.

- :func:`compare`: the predicted final loss (and its uncertainty) of a list of schedules, as a
  table and a plot of the predicted curves;
- :func:`optimize`: the schedule with the lowest predicted final loss among all schedules that
  warm up linearly and then never increase (the multi-power paper's search space: it derives that
  the optimum decays, and finds a WSD-like shape), returned as an lrkit schedule with a readable
  text form, ``warmup(interpolate([[step, lr], ...]), W)``;
- :func:`best_wsd`, :func:`best_cosine`: the best member of a family (WSD's decay fraction and
  shape; cosine's end value), a grid of candidates ranked by predicted final loss.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..combinators import warmup as warmup_ramp
from ..schedule import Schedule
from ..shapes import cosine, interpolate, wsd
from .fitting import FittedLaw

__all__ = ["Comparison", "compare", "optimize", "best_wsd", "best_cosine", "plot_curves"]


@dataclass(frozen=True)
class Row:
    label: str
    schedule: Schedule
    final_loss: float
    std: float


@dataclass(frozen=True)
class Comparison:
    """Schedules ranked by predicted final loss (``rows``, best first) over ``steps`` steps."""

    law: FittedLaw
    steps: int
    rows: tuple[Row, ...]

    @property
    def best(self) -> Schedule:
        return self.rows[0].schedule

    def table(self) -> str:
        """A text table: rank, predicted final loss ± std, difference to the best, schedule."""
        w = max(8, *(len(r.label) for r in self.rows))
        lines = [f"{'#':>2}  {'schedule':<{w}}  {'final loss':>10}  {'± std':>8}  {'vs best':>8}"]
        for i, r in enumerate(self.rows):
            lines.append(f"{i + 1:>2}  {r.label:<{w}}  {r.final_loss:>10.4f}  {r.std:>8.4f}  "
                         f"{r.final_loss - self.rows[0].final_loss:>+8.4f}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def plot(self, path: str, *, every: int | None = None) -> None:
        """Write a picture of the predicted loss curves (and the lrs below them) to ``path``."""
        plot_curves(self.law, [(r.label, r.schedule) for r in self.rows], self.steps, path, every=every)


def _positive_int(v: Any, name: str, low: int = 1) -> int:
    if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < low:
        raise ValueError(f"{name} must be an int >= {low}, got {v!r}")
    return int(v)


def _positive(v: Any, name: str) -> float:
    if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v) or not float(v) > 0:
        raise ValueError(f"{name} must be a finite number > 0, got {v!r}")
    return float(v)


def _labelled(schedules: Any) -> list[tuple[str, Schedule]]:
    items = list(schedules.items()) if isinstance(schedules, Mapping) else [
        (repr(s), s) if isinstance(s, Schedule) else s for s in schedules]
    out = []
    for i, item in enumerate(items):
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], Schedule)):
            raise TypeError(f"schedules[{i}] must be an lrkit Schedule or a (label, Schedule) pair, got {item!r}")
        out.append((str(item[0]), item[1]))
    if not out:
        raise ValueError("schedules must not be empty")
    return out


def compare(law: FittedLaw, schedules: Mapping[str, Schedule] | Sequence[Any], steps: int) -> Comparison:
    """Predicted final loss (at step ``steps − 1``) of each schedule of *absolute* lrs, best first."""
    if not isinstance(law, FittedLaw):
        raise TypeError(f"law must be a fitted law (lrkit.laws.fit or from_config), got {type(law).__name__}")
    steps = _positive_int(steps, "steps", 2)
    rows = []
    for label, s in _labelled(schedules):
        value, std = law.predict(s, [steps - 1], return_std=True)
        rows.append(Row(label, s, float(value[0]), float(std[0])))
    rows.sort(key=lambda r: r.final_loss)
    return Comparison(law, steps, tuple(rows))


def _family_args(steps: Any, peak: Any, warmup: Any) -> tuple[int, float, int]:
    """``steps`` >= 2, ``peak`` > 0 and 0 <= ``warmup`` < steps − 1, checked (a family's run)."""
    steps = _positive_int(steps, "steps", 2)
    peak = _positive(peak, "peak")
    warmup = _positive_int(warmup, "warmup", 0)
    if warmup >= steps - 1:
        raise ValueError(f"warmup must be < steps - 1 = {steps - 1}, got {warmup}")
    return steps, peak, warmup


def best_wsd(law: FittedLaw, steps: int, peak: float, warmup: int = 0, *,
             fractions: Sequence[float] = (0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0),
             shapes: Sequence[str] = ("linear", "1-sqrt", "cosine"), end: float = 0.0) -> Comparison:
    """WSD schedules ``wsd(steps, warmup, fraction·(steps − warmup), peak=peak, end=end, shape=...)``
    over a grid of decay fractions and shapes, ranked by predicted final loss."""
    steps, peak, warmup = _family_args(steps, peak, warmup)
    cands: dict[str, Schedule] = {}
    for shape in shapes:
        for f in fractions:
            if isinstance(f, bool) or not isinstance(f, numbers.Real) or not 0 < f <= 1:
                raise ValueError(f"fractions must be in (0, 1], got {f!r}")
            decay = max(1, round(f * (steps - warmup)))
            cands[f"wsd {shape} {f:g}"] = wsd(steps, warmup, decay, peak=peak, end=end, shape=shape)
    return compare(law, cands, steps)


def best_cosine(law: FittedLaw, steps: int, peak: float, warmup: int = 0, *,
                ends: Sequence[float] = (0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5)) -> Comparison:
    """Cosine decays from ``peak`` to ``end·peak`` after a linear warmup, over a grid of ``ends``."""
    steps, peak, warmup = _family_args(steps, peak, warmup)
    cands: dict[str, Schedule] = {}
    for e in ends:
        if isinstance(e, bool) or not isinstance(e, numbers.Real) or not 0 <= e <= 1:
            raise ValueError(f"ends must be fractions of the peak in [0, 1], got {e!r}")
        body = cosine(steps - warmup - 1, start=peak, end=e * peak)
        cands[f"cosine end {e:g}"] = warmup_ramp(body, warmup) if warmup else body
    return compare(law, cands, steps)


def _knot_steps(span: int, knots: int) -> np.ndarray:
    """Knot positions over ``0..span``, denser towards the end (where a decay happens):
    ``span·(1 − (1 − j/K)²)``, rounded and deduplicated."""
    u = np.linspace(0.0, 1.0, knots + 1)
    return np.unique(np.round(span * (1.0 - (1.0 - u) ** 2)).astype(np.int64))


def optimize(law: FittedLaw, steps: int, peak: float, warmup: int = 0, *, knots: int = 16,
             floor: float = 0.0, digits: int = 4) -> Schedule:
    """The schedule of ``steps`` steps with the lowest final loss predicted by ``law`` among those
    that warm up linearly from 0 to ``peak`` over ``warmup`` steps, then never increase, never go
    below ``floor``, and are piecewise linear between ``knots`` knots (denser near the end).

    Found with L-BFGS-B over the knots' ratios ``r_j = v_j / v_{j−1}`` in [0, 1] (so every
    candidate is non-increasing), started from a cosine; values rounded to ``digits``
    significant digits in the returned ``warmup(interpolate([[step, lr], ...]), warmup)``.
    """
    from scipy.optimize import minimize

    if not isinstance(law, FittedLaw):
        raise TypeError(f"law must be a fitted law (lrkit.laws.fit or from_config), got {type(law).__name__}")
    steps = _positive_int(steps, "steps", 3)
    peak = _positive(peak, "peak")
    warmup = _positive_int(warmup, "warmup", 0)
    knots = _positive_int(knots, "knots", 1)
    digits = _positive_int(digits, "digits", 1)
    if warmup >= steps - 2:
        raise ValueError(f"warmup must be < steps - 2 = {steps - 2}, got {warmup}")
    if isinstance(floor, bool) or not isinstance(floor, numbers.Real) or not 0 <= floor < peak:
        raise ValueError(f"floor must be a number in [0, peak) = [0, {peak!r}), got {floor!r}")
    span = steps - 1 - warmup
    pos = _knot_steps(span, min(knots, span))
    ramp = peak * np.arange(warmup) / max(warmup, 1)
    local = np.arange(span + 1)
    last = np.array([steps - 1])
    low = floor / peak

    def values(r: np.ndarray) -> np.ndarray:
        v = np.concatenate([[1.0], np.cumprod(r)])
        return peak * (low + (1.0 - low) * v)

    def final(r: np.ndarray) -> float:
        eta = np.concatenate([ramp, np.interp(local, pos, values(r))])
        return float(law.predict(eta, last, warmup=warmup)[0])

    u = pos[1:] / span
    start = np.clip((1 + np.cos(np.pi * u)) / (1 + np.cos(np.pi * np.concatenate([[0.0], u[:-1]]))), 0.0, 1.0)
    start = np.nan_to_num(start, nan=0.0)
    sol = minimize(final, start, method="L-BFGS-B", bounds=[(0.0, 1.0)] * start.size,
                   options={"maxiter": 300})
    best = sol.x if sol.fun <= final(start) else start
    v = values(best)
    pts = [[int(p), float(f"{x:.{digits}g}")] for p, x in zip(pos.tolist(), v.tolist())]
    body = interpolate(pts)
    return warmup_ramp(body, warmup) if warmup else body


def plot_curves(law: FittedLaw, curves: Sequence[tuple[str, Schedule]], steps: int, path: str, *,
                every: int | None = None, observed: Sequence[tuple[str, Any, Any]] = ()) -> None:
    """Predicted loss curves of ``(label, schedule)`` over ``steps`` steps, with the lrs below,
    written to ``path``; ``observed``: ``(label, steps, losses)`` drawn as dots beside them."""
    from ..plot import require_matplotlib

    require_matplotlib()
    from matplotlib.figure import Figure

    every = every or max(1, steps // 400)
    xs = np.arange(every, steps, every)
    fig = Figure(figsize=(8.0, 6.0), dpi=100, layout="constrained")
    ax, ax_lr = fig.subplots(2, 1, sharex=True, height_ratios=(3, 1))
    for i, (label, s) in enumerate(curves):
        color = f"C{i % 10}"
        ax.plot(xs, law.predict(s, xs), color=color, label=label, linewidth=1.6)
        ax_lr.plot(xs, np.asarray(s(xs), dtype=float), color=color, linewidth=1.2)
    for i, (label, st, ls) in enumerate(observed):
        ax.plot(st, ls, ".", color=f"C{i % 10}", markersize=2, alpha=0.5, label=f"{label} (real)")
    ax.set_ylabel(f"predicted loss ({law.law} law)")
    ax_lr.set_ylabel("lr")
    ax_lr.set_xlabel("step")
    ax.legend(fontsize="small")
    fig.savefig(path)
