"""The optimizer-aware view of a schedule: what AdamW's decoupled weight decay makes of it.

AdamW (decoupled, as ``torch.optim.AdamW``) updates θ ← (1 − η_t·λ)·θ − η_t·u_t at update
t = 0, 1, ..., n − 1 (η_t = lr·schedule(t), λ the weight decay, u_t Adam's normalised step).
Unrolled, the parameters after n updates are

    θ_n = P_0·θ_0 − Σ_t w_t·u_t,   w_t = η_t · Π_{s=t+1}^{n−1} (1 − η_s·λ),   P_0 = Π_{s=0}^{n−1} (1 − η_s·λ)

an exponential moving average of the updates whose memory at update t is the timescale

    τ_t = 1 / (η_t·λ)   (in updates; Wang & Aitchison 2024, "How to set AdamW's weight decay
                         as you scale model and dataset size")

``w_t`` is the weight update t still has in the final parameters; P_0 what is left of the
initial ones.  This is the view behind "decay to zero" linear schedules: the decay phase
sets how many of the last updates the final model averages.

Needs NumPy (``pip install numpy``); imported on use.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from . import _validate as v
from ._evaluate import chunks, prepare
from .schedule import Schedule

__all__ = ["timescales", "update_weights", "weight_decay_view", "WeightDecayView", "weight_curve",
           "SHARES", "CURVE_POINTS"]

#: the most points a plotted update-weight curve is drawn through
CURVE_POINTS = 4001

#: the final fractions of the run whose share of the update weight is reported
SHARES = (0.01, 0.1, 0.5)


def _numpy() -> Any:
    try:
        import numpy
    except ImportError:
        raise ImportError("the weight-decay view needs NumPy: pip install numpy") from None
    return numpy


def _lrs(schedule: Schedule, weight_decay: float, steps: int | None, lr: float) -> tuple[Any, float]:
    """(η_t for t = 0..n − 1, λ), checked: 0 <= η_t·λ <= 1."""
    np = _numpy()
    lam = v.real("weight_decay", weight_decay, low=0.0, low_open=True)
    lr = v.real("lr", lr, low=0.0, low_open=True)
    concrete, stop = prepare(schedule, steps)
    parts = [np.asarray(vals, dtype=np.float64) for _, vals in chunks(concrete, stop - 1)]
    eta = np.concatenate(parts) * lr if lr != 1.0 else np.concatenate(parts)
    decay = eta * lam
    bad = np.flatnonzero(~((decay >= 0) & (decay <= 1)))
    if bad.size:
        t = int(bad[0])
        raise ValueError(f"lr·weight_decay = {float(eta[t])!r}·{lam!r} = {float(decay[t])!r} at step {t}: "
                         "AdamW's decay factor 1 − η·λ must stay in [0, 1] (η >= 0, η·λ <= 1)")
    return eta, lam


def timescales(schedule: Schedule, weight_decay: float, steps: int | None = None, *,
               lr: float = 1.0) -> Any:
    """τ_t = 1/(η_t·λ) for the updates t = 0..n − 1 (inf where η_t = 0), a NumPy array.

    ``n`` = ``steps`` or the schedule's duration; η_t = ``lr``·schedule(t).
    """
    np = _numpy()
    eta, lam = _lrs(schedule, weight_decay, steps, lr)
    with np.errstate(divide="ignore"):
        return 1.0 / (eta * lam)


def _weights(eta: Any, lam: float) -> tuple[Any, float]:
    """(w_t, P_0): the suffix products Π_{s>t}(1 − η_s·λ), multiplied from the last update back."""
    np = _numpy()
    keep = 1.0 - eta * lam
    # suffix[t] = Π_{s=t+1}^{n−1} keep[s]: a running product from the end, one multiply per update
    suffix = np.empty_like(keep)
    suffix[-1] = 1.0
    if len(keep) > 1:
        suffix[-2::-1] = np.cumprod(keep[:0:-1])
    return eta * suffix, float(suffix[0] * keep[0])


def update_weights(schedule: Schedule, weight_decay: float, steps: int | None = None, *,
                   lr: float = 1.0) -> Any:
    """w_t = η_t·Π_{s=t+1}^{n−1}(1 − η_s·λ) for t = 0..n − 1, a NumPy array (see the module docstring)."""
    eta, lam = _lrs(schedule, weight_decay, steps, lr)
    return _weights(eta, lam)[0]


@dataclass(frozen=True)
class WeightDecayView:
    """The weight-decay view of a run of ``updates`` updates (see :func:`weight_decay_view`)."""

    weight_decay: float
    lr: float
    updates: int
    #: τ = 1/(η·λ) at the first update, its smallest value (at the peak lr) and at the last update
    timescale_start: float
    timescale_min: float
    timescale_min_step: int
    timescale_final: float
    #: Σ_t w_t, and P_0: what is left of the initial parameters
    total_weight: float
    initial_weight: float
    #: (fraction of the run, share of Σ w_t held by its last updates) for each of SHARES
    last_shares: tuple[tuple[float, float], ...]
    #: the fewest last updates that hold half of Σ w_t
    half_weight_updates: int

    def __str__(self) -> str:
        n = self.updates
        scale = "" if self.lr == 1.0 else f", lr = {_g(self.lr)} × the schedule"
        shares = ", ".join(f"last {_g(100 * f)}% {_g(100 * s)}%" for f, s in self.last_shares)
        return "\n".join([
            f"  weight decay λ = {_g(self.weight_decay)} (AdamW, decoupled: θ ← (1 − η·λ)·θ − η·u{scale})",
            f"    timescale τ = 1/(η·λ)  start {_steps(self.timescale_start)}, "
            f"min {_steps(self.timescale_min)} at step {self.timescale_min_step}, "
            f"final {_steps(self.timescale_final)}  (run: {n} updates)",
            f"    τ_min / run  {_g(self.timescale_min / n)}",
            f"    weight of the updates in the final parameters: {shares}",
            f"    half of it from the last {self.half_weight_updates} updates; "
            f"initial parameters keep {_g(self.initial_weight)}",
        ])


def _g(x: float) -> str:
    return format(x, ".4g")


def _steps(x: float) -> str:
    return "inf" if math.isinf(x) else format(x, ".4g")


def weight_decay_view(schedule: Schedule, weight_decay: float, steps: int | None = None, *,
                      lr: float = 1.0) -> WeightDecayView:
    """Timescales and update weights of a run under AdamW with weight decay λ = ``weight_decay``.

    The run has n = ``steps`` (default: the schedule's duration) updates t = 0..n − 1 with
    η_t = ``lr``·schedule(t).  Formulas: the module docstring.
    """
    np = _numpy()
    eta, lam = _lrs(schedule, weight_decay, steps, lr)
    w, p0 = _weights(eta, lam)
    n = len(eta)
    with np.errstate(divide="ignore"):
        tau = 1.0 / (eta * lam)
    i_min = int(np.argmin(tau))
    total = float(w.sum())
    tail = np.cumsum(w[::-1])  # tail[k − 1] = weight of the last k updates
    shares = tuple((f, float(tail[max(1, math.ceil(f * n)) - 1] / total) if total else 0.0)
                   for f in SHARES)
    half = int(np.searchsorted(tail, 0.5 * total)) + 1 if total else n
    return WeightDecayView(weight_decay=lam, lr=float(lr), updates=n,
                           timescale_start=float(tau[0]), timescale_min=float(tau[i_min]),
                           timescale_min_step=i_min, timescale_final=float(tau[-1]),
                           total_weight=total, initial_weight=p0, last_shares=shares,
                           half_weight_updates=min(half, n))


def weight_curve(schedule: Schedule, weight_decay: float, steps: int | None = None, *,
                 lr: float = 1.0) -> Schedule:
    """The update weights w_t as a schedule to plot: ``interpolate`` through w_t at every
    update for runs of up to :data:`CURVE_POINTS` updates (exact there), else at
    CURVE_POINTS evenly spaced updates (a picture, not the values: use :func:`update_weights`)."""
    from .shapes import interpolate

    np = _numpy()
    w = update_weights(schedule, weight_decay, steps, lr=lr)
    n = len(w)
    idx = np.arange(n) if n <= CURVE_POINTS else np.unique(np.linspace(0, n - 1, CURVE_POINTS).round())
    return interpolate([(int(i), float(w[int(i)])) for i in idx])
