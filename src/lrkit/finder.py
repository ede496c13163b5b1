"""The learning-rate range test ("LR finder"), framework-agnostic.

:func:`lr_range_test` raises the learning rate step by step, from ``start`` to
``end``, calling the user's ``train_step(lr) -> loss`` once per lr, and watches
the loss.  The lr sweep is an lrkit schedule
(``interpolate([(0, start), (steps - 1, end)], kind="exponential" or "linear")``),
so step ``i`` trains at

* ``mode="exp"``:    lr_i = start·(end/start)^(i/(steps − 1))   (evenly spaced in log lr)
* ``mode="linear"``: lr_i = start + (end − start)·i/(steps − 1)

The raw losses are smoothed with a debiased exponential moving average
(``smooth`` = β, as in Adam's first moment)::

    m_i = β·m_(i−1) + (1 − β)·loss_i,   m_(−1) = 0,   smoothed_i = m_i / (1 − β^(i+1))

The test stops early, cleanly, when the smoothed loss diverges (see
:func:`lr_range_test`) or a loss is NaN/inf, and returns a
:class:`RangeTestResult` with the whole history and the suggested learning
rates (see :func:`suggest`).  No NumPy needed; ``.plot()`` imports matplotlib
lazily.  The PyTorch front end is ``lrkit.torch.find_lr``.
"""

from __future__ import annotations

import bisect
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import _validate as v
from .shapes import interpolate

__all__ = ["lr_range_test", "RangeTestResult", "suggest", "RULES"]

#: the suggestion rules, in the order :func:`lr_range_test` tries them for ``suggestion``
RULES = ("valley", "steepest", "min/10")

#: where the valley rule picks its point along the descending stretch (0 = its top, 1 = its bottom)
VALLEY_FRACTION = 0.5
#: the valley starts where the loss has come down by (1 − VALLEY_TOP) of its drop from the plateau
VALLEY_TOP = 0.9

_MODES = ("exp", "linear")
_INTERP_KIND = {"exp": "exponential", "linear": "linear"}


@dataclass(frozen=True)
class RangeTestResult:
    """What :func:`lr_range_test` saw, and what it suggests.

    Attributes:
        lrs: the learning rate of every completed step (increasing).
        losses: the raw loss returned by ``train_step`` at each of them.
        smoothed: the debiased exponential moving average of ``losses``.
        suggestions: rule name -> suggested lr (or None where the rule has no
            answer): ``"valley"``, ``"steepest"``, ``"min/10"`` (see :func:`suggest`).
        suggestion: the recommended lr: the first rule of :data:`RULES` that has an
            answer (valley, else steepest, else min/10); None only if nothing was recorded.
        stopped_early: True when the test ended before its last step.
        reason: ``"completed"``, ``"diverged"`` or ``"non-finite loss"`` (the last two
            also when that happened at the last step).
        stop_lr: the lr at which it stopped early (for ``"non-finite loss"`` that
            step is not part of the history), else None.
        settings: the arguments of the test (start, end, steps, mode, smooth, diverge).
    """

    lrs: list[float]
    losses: list[float]
    smoothed: list[float]
    suggestions: dict[str, float | None]
    suggestion: float | None
    stopped_early: bool
    reason: str
    stop_lr: float | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def best_lr(self) -> float | None:
        """The lr where the smoothed loss was lowest (usually too high to train at)."""
        if not self.smoothed:
            return None
        return self.lrs[min(range(len(self.smoothed)), key=self.smoothed.__getitem__)]

    def __repr__(self) -> str:
        sugg = ", ".join(f"{k}={_fmt(x)}" for k, x in self.suggestions.items())
        return (f"RangeTestResult(suggestion={_fmt(self.suggestion)}, {len(self.lrs)} steps "
                f"from {_fmt(self.lrs[0] if self.lrs else None)} to "
                f"{_fmt(self.lrs[-1] if self.lrs else None)}, {self.reason}; {sugg})")

    def plot(self, ax: Any = None, *, raw: bool = True, title: str | None = None) -> Any:
        """Plot loss against lr (log axis) and mark every suggestion; returns the Axes.

        ``raw`` also draws the unsmoothed losses, faintly.  The y range is fitted to
        the smoothed curve up to moderate divergence, so a final blow-up does not
        flatten the interesting part.  Needs matplotlib (``pip install 'lrkit[plot]'``).
        """
        try:
            import matplotlib.pyplot as plt
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise ImportError("RangeTestResult.plot needs matplotlib: pip install 'lrkit[plot]'") from e
        if ax is None:
            _, ax = plt.subplots(figsize=(6.4, 4.0))
        if not self.lrs:
            ax.set_title("LR range test: no finite loss recorded")
            return ax
        if raw:
            ax.plot(self.lrs, self.losses, color="0.75", lw=0.8, label="loss")
        ax.plot(self.lrs, self.smoothed, color="C0", lw=1.8, label="smoothed loss")
        styles = {"valley": ("C3", "o"), "steepest": ("C2", "^"), "min/10": ("C1", "s")}
        recommended = next((k for k in RULES if self.suggestions.get(k) is not None), None)
        for rule, lr in self.suggestions.items():
            if lr is None:
                continue
            color, marker = styles.get(rule, ("k", "x"))
            top = rule == recommended  # drawn larger and on top: suggestions may coincide
            ax.axvline(lr, color=color, lw=1.2 if top else 0.8, ls="--")
            ax.plot([lr], [_interp_log(self.lrs, self.smoothed, lr)], marker=marker, color=color,
                    ms=10 if top else 7, mec="k" if top else color, zorder=4 if top else 3, ls="none",
                    label=f"{rule}: {lr:.3g}{' (suggestion)' if top else ''}")
        ax.set_xscale("log")
        lo, hi = _y_range(self.smoothed, self.losses if raw else [])
        if hi > lo:
            ax.set_ylim(lo, hi)
        ax.set_xlabel("learning rate")
        ax.set_ylabel("loss")
        ax.set_title(title if title is not None else "LR range test")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize="small")
        return ax


def lr_range_test(
    train_step: Callable[[float], Any],
    *,
    start: float = 1e-7,
    end: float = 10.0,
    steps: int = 100,
    mode: str = "exp",
    smooth: float = 0.98,
    diverge: float = 4.0,
    progress: bool | None = None,
) -> RangeTestResult:
    """Run an LR range test: ``train_step(lr)`` once per lr from ``start`` to ``end``.

    Args:
        train_step: one optimisation step at learning rate ``lr``; returns the loss
            (anything ``float()`` accepts: a number, a 0-d tensor or array).
        start, end: the first and the last lr (0 < start < end).
        steps: number of lrs (>= 2); the sweep is ``lrkit.interpolate`` of
            (0, start), (steps − 1, end) with kind ``exponential`` or ``linear``.
        mode: ``"exp"`` (even in log lr; the usual choice) or ``"linear"``.
        smooth: β of the debiased moving average, in [0, 1); 0 = no smoothing.
        diverge: stop once smoothed_i > best + (diverge − 1)·|best|, best = the lowest
            smoothed loss so far (i.e. smoothed_i > diverge·best for positive losses); > 1.
        progress: a tqdm progress bar on stderr: None = only when stderr is a terminal
            and tqdm is installed; True = always (needs ``lrkit[progress]``); False = never.

    The step that triggers the divergence stop is kept in the history; a step whose
    loss is NaN/inf is not (its lr is ``result.stop_lr``).  Exceptions raised by
    ``train_step`` propagate.
    """
    if not callable(train_step):
        raise TypeError(f"train_step must be callable (lr -> loss), got {train_step!r}")
    start = v.real("start", start, low=0.0, low_open=True)
    end = v.real("end", end)
    if end <= start:
        raise ValueError(f"end must be > start ({start!r}), got {end!r}")
    steps = v.integer("steps", steps, low=2)
    mode = v.choice("mode", mode, _MODES)
    smooth = v.real("smooth", smooth, low=0.0, high=1.0, high_open=True)
    diverge = v.real("diverge", diverge, low=1.0, low_open=True)
    if progress is not None:
        progress = v.boolean("progress", progress)

    sweep = interpolate([(0, start), (steps - 1, end)], kind=_INTERP_KIND[mode])
    fn = sweep._fn or sweep._build()
    lrs: list[float] = []
    losses: list[float] = []
    smoothed: list[float] = []
    avg, best = 0.0, math.inf
    reason, stop_lr = "completed", None
    bar = _progress_bar(steps, progress)
    try:
        for i in range(steps):
            lr = fn(i)
            loss = _as_float(train_step(lr))
            if not math.isfinite(loss):
                reason, stop_lr = "non-finite loss", lr
                break
            avg = smooth * avg + (1.0 - smooth) * loss
            s = avg / (1.0 - smooth ** (i + 1))
            lrs.append(lr)
            losses.append(loss)
            smoothed.append(s)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(lr=f"{lr:.3g}", loss=f"{s:.4g}", refresh=False)
            if s > best + (diverge - 1.0) * abs(best):
                reason, stop_lr = "diverged", lr
                break
            best = min(best, s)
    finally:
        if bar is not None:
            bar.close()
    sugg = suggest(lrs, smoothed)
    rec = next((sugg[r] for r in RULES if sugg[r] is not None), None)
    return RangeTestResult(
        lrs=lrs, losses=losses, smoothed=smoothed, suggestions=sugg, suggestion=rec,
        stopped_early=len(lrs) + (reason == "non-finite loss") < steps, reason=reason, stop_lr=stop_lr,
        settings={"start": start, "end": end, "steps": steps, "mode": mode, "smooth": smooth,
                  "diverge": diverge},
    )


def suggest(lrs: Sequence[float], smoothed: Sequence[float], *, skip_start: int | None = None,
            skip_end: int | None = None) -> dict[str, float | None]:
    """Suggested peak learning rates from a (smoothed) loss curve, by three rules.

    With x_i = log10(lrs[i]) and y_i = smoothed[i] (n points):

    * ``"steepest"``: the lr where y falls fastest against log lr: the argmin of the
      slope g_i = (y_(i+h) − y_(i−h)) / (x_(i+h) − x_(i−h)) with h = max(1, n // 16)
      (a window of about ±1/16 of the sweep, ±0.5 decade by default: one-point
      differences of the young, still noisy moving average are mostly noise), over
      h <= i < n − h and i in [skip_start, n − skip_end); defaults skip_start = n // 10,
      skip_end = n // 20.  None if no such slope is negative.
    * ``"valley"``: the stretch where the loss comes down from its plateau into its
      valley.  b = the first index of the lowest y; plateau = the median of
      y_0 … y_b (the flat start dominates it, and unlike a maximum its noise does
      not move it); the stretch starts at a = the last index before b where y is
      still within 10% of the drop from the plateau, y_a >= y_b + 0.9·(plateau − y_b)
      (:data:`VALLEY_TOP`).  The rule picks index a + ⌊(b − a)/2⌋
      (:data:`VALLEY_FRACTION`; in exp mode that is halfway in log lr): well down the
      slope and short of the bottom, where the lr is already too high.  None if y
      never falls.
    * ``"min/10"``: the lr at the lowest y, divided by 10.

    ``lr_range_test`` recommends the first available rule of :data:`RULES`.
    """
    lrs = [float(x) for x in lrs]
    ys = [float(x) for x in smoothed]
    if len(lrs) != len(ys):
        raise ValueError(f"lrs and smoothed must have the same length, got {len(lrs)} and {len(ys)}")
    n = len(ys)
    out: dict[str, float | None] = dict.fromkeys(("valley", "steepest", "min/10"))
    if n == 0:
        return out
    if any(x <= 0 or not math.isfinite(x) for x in lrs):
        raise ValueError("lrs must be finite and > 0")
    if any(b <= a for a, b in zip(lrs, lrs[1:], strict=False)):
        raise ValueError("lrs must be strictly increasing")
    if not all(math.isfinite(y) for y in ys):
        raise ValueError("smoothed must be finite")
    skip_start = n // 10 if skip_start is None else v.integer("skip_start", skip_start, low=0)
    skip_end = n // 20 if skip_end is None else v.integer("skip_end", skip_end, low=0)

    out["min/10"] = lrs[min(range(n), key=ys.__getitem__)] / 10.0

    xs = [math.log10(x) for x in lrs]
    h = max(1, n // 16)
    best_i, best_g = None, 0.0
    for i in range(max(h, skip_start), min(n - h, n - skip_end)):
        g = (ys[i + h] - ys[i - h]) / (xs[i + h] - xs[i - h])
        if g < best_g:
            best_i, best_g = i, g
    if best_i is not None:
        out["steepest"] = lrs[best_i]

    b = min(range(n), key=ys.__getitem__)
    plateau = _median(ys[: b + 1])
    if plateau > ys[b]:
        level = ys[b] + VALLEY_TOP * (plateau - ys[b])
        a = max(i for i in range(b) if ys[i] >= level)
        out["valley"] = lrs[a + math.floor((b - a) * VALLEY_FRACTION)]
    return out


def _median(xs: list[float]) -> float:
    s = sorted(xs)
    k = len(s) // 2
    return s[k] if len(s) % 2 else (s[k - 1] + s[k]) / 2


def _as_float(loss: Any) -> float:
    try:
        return float(loss)
    except (TypeError, ValueError) as e:
        raise TypeError(f"train_step must return a number (the loss), got {type(loss).__name__}: "
                        f"{loss!r}") from e


def _progress_bar(total: int, progress: bool | None) -> Any:
    if progress is False:
        return None
    if progress is None:
        stream = sys.stderr
        if stream is None or not hasattr(stream, "isatty") or not stream.isatty():
            return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        if progress:
            raise ImportError("progress=True needs tqdm: pip install 'lrkit[progress]'") from None
        return None
    return tqdm(total=total, desc="lr range test", unit="step", leave=False, file=sys.stderr)


def _interp_log(xs: list[float], ys: list[float], x: float) -> float:
    """ys interpolated at x, linear in log x (held beyond the ends)."""
    if x <= xs[0]:
        return ys[0]
    if x >= xs[-1]:
        return ys[-1]
    j = bisect.bisect_right(xs, x)
    x0, x1 = math.log(xs[j - 1]), math.log(xs[j])
    q = (math.log(x) - x0) / (x1 - x0) if x1 > x0 else 0.0
    return ys[j - 1] + (ys[j] - ys[j - 1]) * q


def _y_range(ys: list[float], raw: list[float]) -> tuple[float, float]:
    """From a little below the lowest loss to a little above the start (moderate divergence)."""
    low = min(ys + raw)
    first = ys[0]
    span = max(first - low, abs(low) * 0.05, 1e-12)
    high = min(max(ys), first + 0.5 * span)
    return low - 0.1 * span, max(high, first) + 0.05 * span


def _fmt(x: float | None) -> str:
    return "None" if x is None else f"{x:.3g}"
