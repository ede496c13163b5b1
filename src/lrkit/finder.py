"""The learning-rate range test ("LR finder"), framework-agnostic.

:func:`lr_range_test` raises the learning rate step by step, from ``start`` to
``end``, calling the user's ``train_step(lr) -> loss`` once per lr, and watches
the loss.  The lr sweep is an lrkit schedule
(``interpolate([(0, start), (steps - 1, end)], kind="exponential" or "linear")``),
so step ``i`` trains at

* ``mode="exp"``:    lr_i = start·(end/start)^(i/(steps − 1))   (evenly spaced in log lr)
* ``mode="linear"``: lr_i = start + (end − start)·i/(steps − 1)

The raw losses are smoothed without lag (:func:`smooth_losses`): a running median of
:data:`MEDIAN_WINDOW` raw losses, then the mean of a forward and a backward debiased
exponential moving average (``smooth`` = β, as in Adam's first moment)::

    m_i = β·m_(i−1) + (1 − β)·x_i,   m_(−1) = 0,   forward_i = m_i / (1 − β^(i+1))

(the backward average is the same run from the last point to the first): a symmetric
kernel, so the smoothed bottom sits where the raw loss bottoms out.

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
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import _validate as v
from .shapes import interpolate

__all__ = ["lr_range_test", "RangeTestResult", "RangeTestWarning", "suggest", "smooth_losses", "RULES"]

#: the suggestion rules, in the order :func:`lr_range_test` tries them for ``suggestion``:
#: ``valley`` is the default (on ``bench/bench_finder.py``'s ten tasks a warmup + cosine run
#: at it trained to 1.13× the best loss on average, worst 1.34×; ``halfway`` 1.17×, 1.37×)
RULES = ("valley", "halfway", "steepest", "min/10")

#: the ``halfway`` rule picks the lr where the loss has come down this fraction of its fall
#: (from its plateau at the start to its bottom): 0.5, halfway
HALFWAY = 0.5
#: the running median over this many raw losses, before the moving averages (odd)
MEDIAN_WINDOW = 5
#: the divergence stop also reads the median of the last RAW_WINDOW raw losses
RAW_WINDOW = 3
#: fewer steps than this draw a RangeTestWarning; so do fewer than MIN_PER_DECADE steps per decade (exp mode)
MIN_STEPS = 30
MIN_PER_DECADE = 5.0
#: a bottom within the first MIN_DESCENT steps draws a warning (no plateau seen)
MIN_DESCENT = 3

#: where the valley rule picks its point along the descending stretch (0 = its top, 1 = its bottom)
VALLEY_FRACTION = 0.5
#: the valley starts where the loss has come down by (1 − VALLEY_TOP) of its drop from the plateau
VALLEY_TOP = 0.9

_MODES = ("exp", "linear")
_TOL = 1e-9  # relative: falls smaller than this are rounding, not a fall


class RangeTestWarning(UserWarning):
    """The sweep cannot support a confident suggestion (too short, too coarse, no valley, ...)."""
_INTERP_KIND = {"exp": "exponential", "linear": "linear"}


@dataclass(frozen=True)
class RangeTestResult:
    """What :func:`lr_range_test` saw, and what it suggests.

    Attributes:
        lrs: the learning rate of every completed step (increasing).
        losses: the raw loss returned by ``train_step`` at each of them.
        smoothed: ``losses`` smoothed without lag (:func:`smooth_losses`).
        suggestions: rule name -> suggested lr (or None where the rule has no
            answer): ``"valley"``, ``"halfway"``, ``"steepest"``, ``"min/10"`` (see :func:`suggest`).
        suggestion: the recommended lr: the first rule of :data:`RULES` that has an
            answer (valley, else halfway, else steepest, else min/10); None only if
            nothing was recorded.
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
    warnings: tuple[str, ...] = ()

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
        the curves up to moderate divergence, so a final blow-up does not flatten the
        interesting part; a suggestion whose point on the smoothed curve lies outside
        that range is marked at its edge, so every marker is inside the chart.
        Needs matplotlib (``pip install 'lrkit[plot]'``).
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
            ax.plot(self.lrs, self.losses, color="0.6", lw=0.8, alpha=0.8, label="raw loss")
        ax.plot(self.lrs, self.smoothed, color="C0", lw=1.8, label="smoothed loss (zero lag)")
        ax.set_xscale("log")
        lo, hi = _y_range(self.smoothed, self.losses if raw else [])
        if hi > lo:
            ax.set_ylim(lo, hi)
        else:
            lo, hi = ax.get_ylim()
        styles = {"valley": ("C3", "o"), "halfway": ("C4", "D"), "steepest": ("C2", "^"),
                  "min/10": ("C1", "s")}
        recommended = next((k for k in RULES if self.suggestions.get(k) is not None), None)
        pad = 0.02 * (hi - lo)
        for rule, lr in self.suggestions.items():
            if lr is None:
                continue
            color, marker = styles.get(rule, ("k", "x"))
            top = rule == recommended  # drawn larger and on top: suggestions may coincide
            # on the smoothed curve, kept inside the chart where the curve leaves it (a blow-up)
            y = min(max(_interp_log(self.lrs, self.smoothed, lr), lo + pad), hi - pad)
            ax.axvline(lr, color=color, lw=1.2 if top else 0.8, ls="--")
            ax.plot([lr], [y], marker=marker, color=color, ms=10 if top else 7, mec="k" if top else color,
                    zorder=4 if top else 3, ls="none", label=f"{rule}: {lr:.3g}{' (suggestion)' if top else ''}")
        ax.set_xlim(min(self.lrs[0], *(x for x in self.suggestions.values() if x is not None)) / 1.5,
                    self.lrs[-1] * 1.5)
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
    smooth: float = 0.5,
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
            # the stop reads a causal (online) debiased EMA, and the raw losses: the median of
            # the last RAW_WINDOW of them, so that a blow-up the EMA still hides stops the test
            avg = smooth * avg + (1.0 - smooth) * loss
            s = avg / (1.0 - smooth ** (i + 1))
            lrs.append(lr)
            losses.append(loss)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(lr=f"{lr:.3g}", loss=f"{s:.4g}", refresh=False)
            limit = best + (diverge - 1.0) * abs(best)
            recent = _median(losses[-RAW_WINDOW:]) if len(losses) >= RAW_WINDOW else -math.inf
            if s > limit or recent > limit:
                reason, stop_lr = "diverged", lr
                break
            best = min(best, s)
    finally:
        if bar is not None:
            bar.close()
    smoothed = smooth_losses(losses, smooth)
    sugg = suggest(lrs, smoothed)
    rec = next((sugg[r] for r in RULES if sugg[r] is not None), None)
    notes = _check(lrs, smoothed, sugg, steps=steps, start=start, end=end, mode=mode, reason=reason)
    for note in notes:
        warnings.warn(note, RangeTestWarning, stacklevel=2)
    return RangeTestResult(
        lrs=lrs, losses=losses, smoothed=smoothed, suggestions=sugg, suggestion=rec,
        stopped_early=len(lrs) + (reason == "non-finite loss") < steps, reason=reason, stop_lr=stop_lr,
        settings={"start": start, "end": end, "steps": steps, "mode": mode, "smooth": smooth,
                  "diverge": diverge},
        warnings=notes,
    )


def _check(lrs: list[float], ys: list[float], sugg: dict[str, float | None], *, steps: int, start: float,
           end: float, mode: str, reason: str) -> tuple[str, ...]:
    """Why the suggestion may not be supported by the sweep: the warnings of :func:`lr_range_test`."""
    notes = []
    decades = math.log10(end / start)
    per_decade = (steps - 1) / decades if decades > 0 else math.inf
    if steps < MIN_STEPS:
        notes.append(f"steps={steps} is too short a sweep to support a suggestion: the loss after a "
                     f"handful of steps at each lr says little; use steps >= {MIN_STEPS} (100 is usual)")
    elif mode == "exp" and per_decade < MIN_PER_DECADE:
        notes.append(f"the sweep is too coarse: {per_decade:.1f} steps per decade of lr "
                     f"(steps={steps} from {start:.3g} to {end:.3g}); use >= {MIN_PER_DECADE} per decade")
    if not lrs:
        return tuple(notes)
    n = len(lrs)
    b = min(range(n), key=ys.__getitem__)
    if sugg.get(RULES[0]) is None:
        notes.append("the loss never fell during the sweep: no valley to suggest a peak from (start too "
                     "high, end too low, or the model does not learn); the suggestion is a fallback")
    elif b >= n - 2 and reason == "completed":
        notes.append(f"the loss was still falling at the end of the sweep (lr {lrs[-1]:.3g}): the bottom "
                     "may lie beyond it; raise end")
    elif b < MIN_DESCENT:
        notes.append(f"the loss bottomed out within the first {b + 1} steps (lr {lrs[b]:.3g}): start "
                     "lower to see the plateau before the descent")
    return tuple(notes)


def smooth_losses(losses: Sequence[float], beta: float, *, window: int = MEDIAN_WINDOW) -> list[float]:
    """The zero-lag smoothing of a loss curve that the rules read.

    First a running median over ``window`` points centred on each point (shrinking at
    the ends): a robust statistic of the raw losses, which a single spike or a lone
    blow-up does not move.  Then the mean of a forward and a backward debiased
    exponential moving average (β = ``beta``), a symmetric kernel: no lag, so the
    minimum of the smoothed curve sits where the raw loss bottoms out, not to its right
    as with a one-sided moving average.  ``beta=0`` keeps the running median only.
    """
    ys = [float(x) for x in losses]
    n = len(ys)
    if n == 0:
        return []
    k = max(0, window // 2)
    med = [_median(ys[max(0, i - k): i + k + 1]) for i in range(n)]
    if beta == 0:
        return med
    fwd = _debiased_ema(med, beta)
    bwd = _debiased_ema(med[::-1], beta)[::-1]
    return [(a + b) / 2 for a, b in zip(fwd, bwd, strict=True)]


def _debiased_ema(xs: list[float], beta: float) -> list[float]:
    out, m = [], 0.0
    for i, x in enumerate(xs):
        m = beta * m + (1.0 - beta) * x
        out.append(m / (1.0 - beta ** (i + 1)))
    return out


def suggest(lrs: Sequence[float], smoothed: Sequence[float], *, skip_start: int | None = None,
            skip_end: int | None = None) -> dict[str, float | None]:
    """Suggested peak learning rates from a (smoothed) loss curve, by four rules.

    With x_i = log10(lrs[i]) and y_i = smoothed[i] (n points), b = the first index of
    the lowest y (the bottom of the curve):

    * ``"valley"`` (the default): the stretch where the loss comes down from its plateau
      into its valley.  plateau = the median of y_0 … y_b; the stretch starts at a = the
      last index before b where y is still within 10% of the drop from the plateau,
      y_a >= y_b + 0.9·(plateau − y_b) (:data:`VALLEY_TOP`).  The rule picks index
      a + ⌊(b − a)/2⌋ (:data:`VALLEY_FRACTION`; in exp mode halfway in log lr).  On ten
      small tasks (``bench/bench_finder.py``) a warmup + cosine run peaking there trained
      to 1.13× the best loss of a fine grid on average (worst 1.34×), where the bottom of
      the curve was a poor guide: the bottom of a one-step-per-lr sweep sits up to 100×
      above the best peak when the loss keeps falling (logistic regression), or below it.
      None if y never falls.
    * ``"halfway"``: the lr where the loss, on its way down from its plateau (the median
      of y_0 … y_b) to its bottom y_b, first gets halfway down (:data:`HALFWAY`): the
      first index j with y_j <= y_b + 0.5·(plateau − y_b), interpolated between j − 1 and
      j (linearly in y, in log lr).  Read in loss, not in lr; on the same tasks 1.17×
      the best on average (worst 1.37×).  None if y never falls.
    * ``"steepest"``: the lr where y falls fastest against log lr: the argmin of the
      slope g_i = (y_(i+h) − y_(i−h)) / (x_(i+h) − x_(i−h)) with h = max(1, n // 16),
      over h <= i < n − h and i in [skip_start, n − skip_end); defaults skip_start =
      n // 10, skip_end = n // 20.  None if no such slope is negative.
    * ``"min/10"``: the lr at the lowest y, divided by 10.

    ``lr_range_test`` recommends the first available rule of :data:`RULES`.
    """
    lrs = [float(x) for x in lrs]
    ys = [float(x) for x in smoothed]
    if len(lrs) != len(ys):
        raise ValueError(f"lrs and smoothed must have the same length, got {len(lrs)} and {len(ys)}")
    n = len(ys)
    out: dict[str, float | None] = dict.fromkeys(RULES)
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

    b = min(range(n), key=ys.__getitem__)
    out["min/10"] = lrs[b] / 10.0

    xs = [math.log10(x) for x in lrs]
    h = max(1, n // 16)
    best_i, best_g = None, 0.0
    for i in range(max(h, skip_start), min(n - h, n - skip_end)):
        g = (ys[i + h] - ys[i - h]) / (xs[i + h] - xs[i - h])
        if g < best_g and -g * (xs[i + h] - xs[i - h]) > _TOL * max(abs(ys[i + h]), abs(ys[i - h])):
            best_i, best_g = i, g
    if best_i is not None:
        out["steepest"] = lrs[best_i]

    plateau = _median(ys[: b + 1])
    if plateau - ys[b] > _TOL * max(abs(plateau), abs(ys[b])):  # a real fall, not rounding
        drop = plateau - ys[b]
        level = ys[b] + VALLEY_TOP * drop
        a = max(i for i in range(b) if ys[i] >= level)
        out["valley"] = lrs[a + math.floor((b - a) * VALLEY_FRACTION)]
        half = ys[b] + HALFWAY * drop
        j = next(i for i in range(b + 1) if ys[i] <= half)
        if j == 0:
            out["halfway"] = lrs[0]
        else:  # between the two points around the level, linearly in y (and in log lr in exp mode)
            q = (ys[j - 1] - half) / (ys[j - 1] - ys[j])
            out["halfway"] = min(lrs[j], math.exp(math.log(lrs[j - 1]) + q * (math.log(lrs[j]) - math.log(lrs[j - 1]))))
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
