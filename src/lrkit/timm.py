"""timm's schedulers as lrkit schedules: :func:`from_timm`.

``from_timm(lr=..., **kwargs)`` takes the keyword arguments of
``timm.scheduler.create_scheduler_v2`` and returns ``(schedule, num_epochs)`` as timm returns
``(scheduler, num_epochs)``: ``schedule(n)`` is the absolute learning rate timm's scheduler
gives optimizer update n (``step_on_epochs=False``) or epoch n (``step_on_epochs=True``), where
n = 0 is the value timm sets when it is built and n >= 1 what ``step_update(n)`` (``step(n)``)
sets; ``num_epochs`` counts warmup prefix, cycles and cooldown as timm's does.  timm need not be
installed: nothing is imported but lrkit.

Drive an optimizer with it through ``lrkit.Scheduler(optimizer, schedule, relative=False)``
(``step()`` after every update, or every epoch); groups' ``lr_scale`` (layer decay) multiply in
as in timm.  Per-update values of a per-epoch schedule: ``lrkit.per_epoch(schedule, n)``.

The building blocks, with T = num_epochs, W = warmup_epochs (both times updates_per_epoch when
stepping per update) and t' = t − W with ``warmup_prefix`` (t itself without):

* warmup (t < W): ``linear(W, start=warmup_lr, end=target)``, target = lr (tanh without prefix:
  the tanh value at W, as timm's);
* ``cosine`` / ``tanh`` / ``poly``: ``cosine(T, start=lr, end=min_lr, k_decay=k)``,
  ``tanh(T, start=lr, end=min_lr)`` or ``polynomial(T, ..., power=decay_rate, k_decay=k)``
  for one cycle; with ``cycle_limit`` > 1, cycle i of length T·cycle_mul^i starts at
  T·(cycle_mul^i − 1)/(cycle_mul − 1) and runs min_lr + (lr·cycle_decay^i − min_lr)·f
  (``restarts``); after the last cycle: min_lr (``join``);
* ``step``: ``step(decay_epochs, gamma=decay_rate, start=lr)``; ``multistep``: timm applies
  milestone m at t' = m − 1: ``multistep([m − 1, ...], gamma=decay_rate, start=lr)``;
  ``constant``: ``constant(lr)``;
* ``plateau``: ``join([linear(W, warmup_lr, lr), constant(lr)], [W]) * plateau(mode=plateau_mode,
  factor=decay_rate, patience=patience_epochs, min_scale=min_lr/lr, eps=1e-8/lr)`` (torch's
  ``ReduceLROnPlateau`` as timm builds it); report metrics (``Scheduler.report``) only after the
  warmup, as timm ignores them there;
* noise (``noise``, ``noise_pct``, ``noise_std``, ``noise_seed``): ``noise(..., rng="torch")``
  over timm's range (fractions of T).
"""

from __future__ import annotations

import math
import numbers

from . import _validate as v
from .combinators import join, noise, restarts, shift
from .plateau import plateau
from .schedule import Schedule
from .shapes import constant, cosine, linear, multistep, polynomial, step, tanh

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["from_timm", "TIMM_KEYWORDS", "TIMM_SCHEDS"]

#: create_scheduler_v2's keywords and defaults (timm 1.0), all that from_timm accepts
TIMM_KEYWORDS: dict[str, Any] = {
    "sched": "cosine", "num_epochs": 300, "decay_epochs": None, "decay_milestones": (90, 180, 270),
    "cooldown_epochs": 0, "patience_epochs": 10, "decay_rate": 0.1, "min_lr": 0.0,
    "warmup_lr": 1e-5, "warmup_epochs": 0, "warmup_prefix": False, "noise": None,
    "noise_pct": 0.67, "noise_std": 1.0, "noise_seed": 42, "cycle_mul": 1.0, "cycle_decay": 0.1,
    "cycle_limit": 1, "k_decay": 1.0, "decay_fn": None, "stable_timescale": None,
    "plateau_mode": "max", "step_on_epochs": True, "updates_per_epoch": 0,
}
#: the values of ``sched`` from_timm builds (timm's wsd / rsqrt / none are not among them)
TIMM_SCHEDS = ("cosine", "tanh", "poly", "step", "multistep", "constant", "plateau")
_CYCLIC = ("cosine", "tanh", "poly")
#: torch ReduceLROnPlateau's defaults, as timm builds it
_PLATEAU_THRESHOLD = 1e-4
_PLATEAU_EPS = 1e-8


def _number(name: str, x: Any, *, low: float | None = None, low_open: bool = False) -> int | float:
    """A finite real (validated as lrkit's own arguments are), kept an int when given one."""
    f = v.real(name, x, low=low, low_open=low_open)
    return int(x) if isinstance(x, numbers.Integral) else f


def _options(given: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(given) - set(TIMM_KEYWORDS))
    if unknown:
        raise TypeError(f"from_timm() got unexpected keyword argument(s) {', '.join(map(repr, unknown))}; "
                        f"it takes lr and create_scheduler_v2's keywords: {', '.join(TIMM_KEYWORDS)}")
    kw = {**TIMM_KEYWORDS, **given}
    for name in ("decay_fn", "stable_timescale"):
        if kw[name] is not None:
            raise ValueError(f"{name}={kw[name]!r} is for timm's wsd / rsqrt schedules, which from_timm "
                             f"does not build; leave it None (sched must be one of {', '.join(TIMM_SCHEDS)})")
    if kw["sched"] not in TIMM_SCHEDS:
        raise ValueError(f"sched must be one of {', '.join(map(repr, TIMM_SCHEDS))}, got {kw['sched']!r}"
                         + (" (timm's wsd, rsqrt and none are not built by from_timm)"
                            if kw["sched"] in ("wsd", "rsqrt", "none") else ""))
    return kw


def from_timm(*, lr: float, **kwargs: Any) -> tuple[Schedule, int | float]:
    """``(schedule, num_epochs)`` for ``timm.scheduler.create_scheduler_v2(optimizer, **kwargs)``
    on an optimizer whose learning rate is ``lr`` (see the module docstring)."""
    kw = _options(kwargs)
    base = _number("lr", lr, low=0.0, low_open=True)
    sched = kw["sched"]
    per_epoch = v.boolean("step_on_epochs", kw["step_on_epochs"])
    prefix = v.boolean("warmup_prefix", kw["warmup_prefix"])
    upe = 1
    if not per_epoch:
        upe = v.integer("updates_per_epoch", kw["updates_per_epoch"], low=1)
        if sched == "plateau":
            raise ValueError("sched='plateau' steps per epoch only (timm asserts step_on_epochs=True)")
    T = _number("num_epochs", kw["num_epochs"], low=0.0, low_open=sched in _CYCLIC) * upe
    W = _number("warmup_epochs", kw["warmup_epochs"], low=0.0) * upe
    min_lr = _number("min_lr", kw["min_lr"], low=0.0)
    warmup_lr = _number("warmup_lr", kw["warmup_lr"], low=0.0)
    rate = _number("decay_rate", kw["decay_rate"])

    if sched in _CYCLIC:
        body = _cycles(sched, base, T, min_lr, rate, kw)
    elif sched == "step":
        every = kw["decay_epochs"] if kw["decay_epochs"] is not None else 90
        body = step(_number("decay_epochs", every, low=0.0, low_open=True) * upe,
                    gamma=_number("decay_rate", rate, low=0.0, low_open=True), start=base)
    elif sched == "multistep":
        body = _milestones(kw["decay_milestones"], upe, rate, base)
    elif sched == "constant":
        body = constant(base)
    else:
        body = constant(base) * _plateau(kw, rate, base, min_lr)

    if sched == "plateau":  # timm's plateau warms up through t <= W and never shifts the body
        s = body if not W else join([linear(W, start=warmup_lr, end=base), body], [W])
    elif W:
        target = float(body(W)) if sched == "tanh" and not prefix else base
        s = join([linear(W, start=warmup_lr, end=target), body if prefix else shift(body, -W)], [W])
    else:
        s = body
    s = _noise(s, kw, T, W if sched == "plateau" else None)
    initial = warmup_lr if W else base  # what timm writes when built, before any step
    if not math.isclose(float(s(0)), initial, rel_tol=1e-13, abs_tol=0.0):
        s = join([constant(initial), shift(s, -1)], [1])
    return s, _num_epochs(sched, kw, T, W, upe, per_epoch, prefix)


def _cycles(sched: str, base: float, T: float, min_lr: float, rate: float, kw: dict[str, Any]) -> Schedule:
    """Cycle i: min_lr + (base·decay^i − min_lr)·f(τ), then min_lr after cycle_limit cycles."""
    mult = _number("cycle_mul", kw["cycle_mul"], low=0.0, low_open=True)
    if mult < 1:
        raise ValueError(f"cycle_mul must be >= 1 for from_timm (cycles that shrink end in a math domain "
                         f"error in timm), got {mult!r}")
    decay = _number("cycle_decay", kw["cycle_decay"], low=0.0, low_open=True)
    limit = v.integer("cycle_limit", kw["cycle_limit"], low=0)
    k = _number("k_decay", kw["k_decay"], low=0.0, low_open=True)
    if sched == "poly" and rate <= 0:
        raise ValueError(f"decay_rate is the polynomial's power for sched='poly': it must be > 0, got {rate!r}")
    if limit == 0:
        return constant(min_lr)

    def shape(start: float, end: float) -> Schedule:
        if sched == "cosine":
            return cosine(T, start=start, end=end, k_decay=k)
        if sched == "tanh":
            return tanh(T, start=start, end=end)
        return polynomial(T, start=start, end=end, power=rate, k_decay=k)

    if limit == 1:  # one cycle: the shape itself (cosine and poly hold min_lr from T on)
        one = shape(base, min_lr)
        return one if sched != "tanh" else join([one, constant(min_lr)], [T])
    if decay == 1.0 or min_lr == 0.0:  # (base − min_lr)·decay^i or base·decay^i: one restarts
        cycles: Schedule = restarts(shape(base, min_lr), T, mult=mult, decay=decay)
    else:  # min_lr·(1 − f) + base·decay^i·f
        cycles = restarts(shape(0.0, min_lr), T, mult=mult) + restarts(shape(base, 0.0), T, mult=mult,
                                                                        decay=decay)
    end = T * limit if mult == 1 else T * (mult**limit - 1) / (mult - 1)
    if end > 2**53:
        return cycles
    return join([cycles, constant(min_lr)], [end])


def _milestones(ms: Any, upe: int, rate: float, base: float) -> Schedule:
    if isinstance(ms, (str, bytes)) or not isinstance(ms, (list, tuple)):
        raise TypeError(f"decay_milestones must be a list of epochs, got {ms!r}")
    steps = [_number(f"decay_milestones[{i}]", m) * upe for i, m in enumerate(ms)]
    if steps != sorted(steps):
        raise ValueError(f"decay_milestones must be sorted (timm bisects them), got {list(ms)!r}")
    # timm counts the milestones m <= t' + 1: m applies from t' = m − 1 on
    return multistep([max(m - 1, 0) for m in steps], gamma=_number("decay_rate", rate, low=0.0,
                                                                    low_open=True), start=base)


def _plateau(kw: dict[str, Any], rate: float, base: float, min_lr: float) -> Schedule:
    return plateau(mode=kw["plateau_mode"], factor=rate,
                   patience=v.integer("patience_epochs", kw["patience_epochs"], low=0),
                   threshold=_PLATEAU_THRESHOLD, min_scale=min_lr / base, eps=_PLATEAU_EPS / base)


def _noise(s: Schedule, kw: dict[str, Any], T: float, plateau_warmup: float | None) -> Schedule:
    """timm's noise range: fractions of T, [lo, hi) for two, from lo on for one."""
    n = kw["noise"]
    if n is None:
        return s
    fractions = list(n) if isinstance(n, (list, tuple)) else [n]
    if not 1 <= len(fractions) <= 2:
        raise ValueError(f"noise must be a fraction or a list of one or two fractions, got {n!r}")
    bounds = [_number(f"noise[{i}]", f, low=0.0) * T for i, f in enumerate(fractions)]
    begin = bounds[0]
    if plateau_warmup is not None:  # timm's plateau adds noise only after its warmup (t > W)
        begin = max(begin, math.floor(plateau_warmup) + 1)
    until = bounds[1] if len(bounds) == 2 else None
    if until is not None and until < begin:
        return s  # an empty range: timm adds no noise
    seed = v.integer("noise_seed", kw["noise_seed"], low=0)
    return noise(s, _number("noise_pct", kw["noise_pct"]), seed=seed, rng="torch",
                 std=_number("noise_std", kw["noise_std"]), begin=begin, until=until)


def _num_epochs(sched: str, kw: dict[str, Any], T: float, W: float, upe: int, per_epoch: bool,
                prefix: bool) -> int | float:
    """timm's second return value: the epochs to train, with cycles, cooldown and warmup prefix."""
    if sched in _CYCLIC:
        cycles = max(1, kw["cycle_limit"])
        mult = kw["cycle_mul"]
        t = T * cycles if mult == 1.0 else int(math.floor(-T * (mult**cycles - 1) / (1 - mult)))
        if prefix:
            t = t + W
        t = t + _number("cooldown_epochs", kw["cooldown_epochs"], low=0.0) * upe
        return t if per_epoch else t // upe
    epochs = kw["num_epochs"]
    return epochs + kw["warmup_epochs"] if prefix else epochs
