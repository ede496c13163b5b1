"""Combinators: build schedules out of schedules.

Each is a pure function of the step like the shapes, so composing them has no
order-of-call pitfalls: ``warmup(join([...]), ...)`` is evaluated, not stepped.
"""

from __future__ import annotations

import math
import numbers

from . import _validate as v
from ._ops import SCALAR
from .durations import Frac, Rest
from .schedule import Schedule, register
from .shapes import _scaled, constant

TYPE_CHECKING = False  # typing is not imported at run time: `import lrkit` stays fast
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any


__all__ = ["warmup", "join", "restarts", "clip", "shift", "per_epoch", "noise", "pingpong",
           "custom", "register_custom"]


def _schedule(name: str, s: Any) -> Schedule:
    if not isinstance(s, Schedule):
        raise TypeError(f"{name} must be an lrkit Schedule, not {v.shown(s)}")
    return s


def _num(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _steps_of(x: Any, total: int, span: float) -> Any:
    """A duration as a number of steps: fractions of ``total``, 'rest' = ``span``."""
    if _num(x):
        return x
    return span if isinstance(x, Rest) else x.steps(total)


_RAMPS = ("linear", "cosine", "exponential")


@register
class warmup(Schedule):
    """A ramp of ``steps`` steps from ``start`` to s(0), then s shifted by ``steps``.

    With q = t/steps, for t < steps:
    ``linear`` start + (s(0) − start)·q; ``cosine`` start + (s(0) − start)·½(1 − cos πq);
    ``exponential`` start·(s(0)/start)^q (start and s(0) > 0).
    For t >= steps: s(t − steps).
    """

    name = "warmup"

    def __new__(cls, schedule: Any = None, steps: Any = None, *args: Any, **kwargs: Any) -> Any:
        """``warmup(s, 0)`` is ``s`` itself (no ramp), as Optax's ``warmup_steps=0``."""
        if isinstance(steps, (int, float)) and not isinstance(steps, bool) and steps == 0 \
                and isinstance(schedule, Schedule):
            return schedule
        return super().__new__(cls)

    def __init__(self, schedule: Schedule, steps: Any, start: float = 0.0,
                 kind: str = "linear") -> None:
        schedule = _schedule("schedule", schedule)
        kind = v.choice("kind", kind, _RAMPS)
        start = v.real("start", start)
        if kind == "exponential" and start <= 0:
            raise ValueError(f"start must be > 0 for kind='exponential', got {start}")
        self._store(schedule=schedule, steps=v.duration("steps", steps), start=start, kind=kind)
        if schedule.resolved:
            # the ramp's end s(0), checked valid for this kind, and the ramp finite: bound once
            object.__setattr__(self, "_end", self._target())

    def _resolve(self, total: int, span: float) -> Schedule:
        """As every schedule's, but a warmup whose fraction of the run rounds to 0 steps is an
        error (a given 0 means no warmup; a fraction that vanishes is a config mistake)."""
        if isinstance(self.steps, Frac) and self.steps.steps(total) == 0:
            raise ValueError(f"resolving {self!r} for total_steps={total}: steps={self.steps!r} "
                             "is 0 steps of this run")
        return super()._resolve(total, span)

    def _child_spans(self, total: int, span: float) -> dict[str, Any]:
        return {"schedule": span - _steps_of(self.steps, total, span)}

    def _target(self) -> float:
        s0 = float(self.schedule._eval(0, SCALAR))
        if self.kind == "exponential":
            if s0 <= 0:
                raise ValueError(f"warmup kind='exponential' needs schedule(0) > 0, got {s0}")
            if not 2.2250738585072014e-308 <= s0 / self.start < math.inf:
                raise ValueError(f"warmup kind='exponential': schedule(0) / start = {s0!r} / "
                                 f"{self.start!r} is outside the float64 range")
        else:
            v.difference("schedule(0) − start", self.start, s0)
        return s0

    def _eval(self, t: Any, m: Any) -> Any:
        n, a, b = self.steps, self.start, self._end
        q = m.minimum(t, n) / n  # = t/n where the ramp is used (t < n); finite everywhere
        if self.kind == "linear":
            ramp = _scaled(a, b - a, q)
        elif self.kind == "cosine":
            s = m.sin(math.pi / 2 * q)
            ramp = _scaled(a, b - a, s * s)
        else:
            ramp = a * m.pow(b / a, q)
        inner = self.schedule
        # a constant body is its value: m.where broadcasts it (no array of copies, same values)
        body = inner.value if type(inner) is constant else inner._eval(m.maximum(t - n, 0), m)
        return m.where(t < n, ramp, body)

    def _duration(self) -> Any:
        d = self.schedule._duration()
        return None if d is None else self.steps + d


@register
class join(Schedule):
    """Pieces one after another: piece i runs from boundaries[i−1] (0 for the
    first) and sees its own local step t − boundaries[i−1].

    value(t) = s_i(t − b[i−1]) for b[i−1] <= t < b[i], s_i = schedules[i].
    One piece's own duration may be 'rest' (what is left of its span).
    """

    name = "join"

    def __init__(self, schedules: Sequence[Schedule], boundaries: Sequence[Any]) -> None:
        if isinstance(schedules, Schedule) or not isinstance(schedules, (list, tuple)):
            raise TypeError("schedules must be a list of schedules")
        pieces = [_schedule(f"schedules[{i}]", s) for i, s in enumerate(schedules)]
        if not pieces:
            raise ValueError("schedules must hold at least one schedule")
        if isinstance(boundaries, (str, bytes)) or not isinstance(boundaries, (list, tuple)):
            raise TypeError(f"boundaries must be a list of steps, got {boundaries!r}")
        bs = [v.duration(f"boundaries[{i}]", b) for i, b in enumerate(boundaries)]
        if len(bs) != len(pieces) - 1:
            raise ValueError(
                f"boundaries must have one entry fewer than schedules: got {len(bs)} "
                f"boundaries for {len(pieces)} schedules"
            )
        if any(isinstance(b, Rest) for b in bs):
            raise ValueError("boundaries cannot be 'rest'; give a piece's duration as 'rest' instead")
        if all(_num(b) for b in bs):
            nums = [b for b in bs if isinstance(b, (int, float))]  # = bs, typed as numbers
            for i in range(1, len(nums)):
                if nums[i] <= nums[i - 1]:
                    raise ValueError(f"boundaries must be strictly increasing, got {list(boundaries)!r}")
        self._store(schedules=pieces, boundaries=bs)

    def _child_spans(self, total: int, span: float) -> dict[str, Any]:
        bs = [b if _num(b) else b.steps(total) for b in self.boundaries]
        edges = [0, *bs, span]
        return {"schedules": tuple(edges[i + 1] - edges[i] for i in range(len(self.schedules)))}

    def _eval(self, t: Any, m: Any) -> Any:
        if m.is_scalar:  # evaluate only the piece in force (another one might overflow)
            start, piece = 0, self.schedules[0]
            for b, s in zip(self.boundaries, self.schedules[1:]):
                if t < b:
                    break
                start, piece = b, s
            return (piece._fn or piece._build())(t - start)  # = piece._eval(t - start, m), derived
        out = self.schedules[0]._eval(t, m)
        for b, s in zip(self.boundaries, self.schedules[1:]):
            # a constant piece is its value: m.where broadcasts it (same values, one pass fewer)
            piece = s.value if type(s) is constant else s._eval(m.maximum(t - b, 0), m)
            out = m.where(t >= b, piece, out)
        return out

    def _duration(self) -> Any:
        d = self.schedules[-1]._duration()
        last = self.boundaries[-1] if self.boundaries else 0
        return None if d is None else last + d


def cycle_start(p: Any, mult: Any, i: Any, m: Any = SCALAR) -> Any:
    """S_i = p·(mult^i − 1)/(mult − 1) (p·i when mult = 1), the step where cycle i starts;
    exact integers when p, mult and i are, inf (never an OverflowError) where a float one overflows."""
    if mult == 1:
        return p * i
    if isinstance(p, int) and isinstance(mult, int):  # exact: big ints on Python numbers
        return p * (mult**i - 1) // (mult - 1)
    return p * (m.pow(mult, i) - 1) / (mult - 1)


def cycle_index(t: Any, p: Any, mult: Any, m: Any = SCALAR) -> Any:
    """The cycle i with S_i <= t < S_(i+1), on every path (an int for Python numbers, exact
    there for integer p and mult at any step).  mult = 1: (t − t mod p)/p, rounded (exact
    below 2**53 cycles; beyond, only decay^i, 0 or an overflow, depends on it).  mult > 1:
    the closed form i = ⌊log(1 + t(mult − 1)/p)/log(mult)⌋, off by at most one through
    rounding, then a bounded correction against S_i and S_(i+1) (no loop that steps by one)."""
    if mult == 1:
        return m.floor((t - m.fmod(t, p)) / p + 0.5)
    # log(1 + t(mult − 1)/p) written as log(t + p/(mult − 1)) + log((mult − 1)/p): no overflow
    i = m.floor((m.log(t + p / (mult - 1)) + math.log((mult - 1) / p)) / math.log(mult))
    i = m.maximum(i, 0)
    for _ in range(2):
        i = m.where(t < cycle_start(p, mult, i, m), m.maximum(i - 1, 0), i)
        i = m.where(t >= cycle_start(p, mult, i + 1, m), i + 1, i)
    return i


@register
class restarts(Schedule):
    """SGDR-style cycles of any schedule.

    Cycle i (i = 0, 1, ...) lasts L_i = period·mult^i steps and starts at
    S_i = period·(mult^i − 1)/(mult − 1) (period·i when mult = 1).  Inside it,
    with local step τ = t − S_i, value = decay^i · s(τ·D/L_i), where D is s's
    own duration (s is stretched to span the cycle; D = period when s never
    settles).  After ``limit`` cycles the value holds the last cycle's final value.
    With mult = 1, τ = t mod period exactly (fmod), at any step.
    ``restarts(cosine(T0, end=e), T0, mult=m)`` is torch's
    ``CosineAnnealingWarmRestarts(T_0=T0, T_mult=m, eta_min=e)``.
    With decay > 1 the value grows without bound; a step where it overflows float64 raises
    ``ValueError``.
    """

    name = "restarts"

    def __init__(self, schedule: Schedule, period: Any, mult: float = 1,
                 decay: float = 1.0, limit: int | None = None) -> None:
        schedule = _schedule("schedule", schedule)
        mult_v = v.real("mult", mult, low=1.0)
        if mult_v == int(mult_v):
            mult_v = int(mult_v)
        period = v.duration("period", period)
        limit = None if limit is None else v.integer("limit", limit, low=1, high=2**53)
        if limit is not None and _num(period):
            # the cycles must end within 2**53 steps: bounded work, with no exact mult**limit
            # of a huge limit ever computed
            log_end = math.log2(period) + (limit * math.log2(mult_v) if mult_v != 1 else math.log2(limit))
            if log_end > 54 or cycle_start(period, mult_v, limit) > v.MAX_STEPS:
                raise ValueError(
                    f"limit ({limit if limit < 10**30 else f'{float(limit):g}'}) is too large: "
                    f"{limit} cycles of period {period} (mult={mult_v}) would end after 2**53 = "
                    f"{v.MAX_STEPS} steps; use limit=None for cycles without end"
                )
        decay = v.real("decay", decay, low=0.0, low_open=True)
        if limit is not None and decay > 1 and SCALAR.pow(decay, limit - 1) == math.inf:
            raise ValueError(f"decay ({decay}) ** (limit - 1) overflows float64; use a smaller decay or limit")
        self._store(schedule=schedule, period=period, mult=mult_v, decay=decay, limit=limit)
        if self.resolved:  # constants, bound once
            d = schedule._duration()
            object.__setattr__(self, "_D", period if d is None else d)
            if limit is not None:  # the value held after the last cycle
                object.__setattr__(self, "_tail", SCALAR.pow(decay, limit - 1) * schedule(self._D))

    def _child_spans(self, total: int, span: float) -> dict[str, Any]:
        return {"schedule": _steps_of(self.period, total, span)}

    def cycle(self, t: Any) -> Any:
        """The index i of the cycle that step t is in (without ``limit``): S_i <= t < S_(i+1)."""
        return cycle_index(t, self.period, self.mult)

    def cycle_start(self, i: int) -> float:
        """S_i, the step where cycle i starts."""
        return cycle_start(self.period, self.mult, i)

    def _overflow(self) -> str:
        return f"{self!r} overflows float64 (decay={self.decay} > 1)"

    def _eval(self, t: Any, m: Any) -> Any:
        p, mult, D, limit, decay = self.period, self.mult, self._D, self.limit, self.decay
        if mult == 1:
            tau = m.fmod(t, p)  # t mod p, exact at any step
            if p == D and limit is None and decay == 1.0:
                return self.schedule._eval(tau, m)  # SGDR: the cycle index is not needed
            local = tau if p == D else m.minimum(tau * D / p, D)
        if mult != 1 or decay != 1.0:
            i = cycle_index(t, p, mult, m)
            if limit is not None:
                i = m.minimum(i, limit - 1)
        if mult != 1:
            length = p * mult**i if isinstance(p, int) and isinstance(mult, int) else p * m.pow(mult, i)
            local = m.minimum((t - cycle_start(p, mult, i, m)) * D / length, D)
        value = self.schedule._eval(local, m)
        if decay != 1.0:
            value = value * m.pow(decay, i)
            if decay > 1:
                value = m.require_finite(value, self._overflow)
        if limit is not None:  # after the last cycle: its final value, held
            value = m.where(t >= cycle_start(p, mult, limit), self._tail, value)
        return value

    def _affine(self) -> Any:
        a = self.schedule._affine() if self.decay == 1.0 else None  # 1.0·x = x
        if a is None:
            return None
        return a[0], a[1], restarts(a[2], self.period, self.mult, 1.0, self.limit)

    def _duration(self) -> Any:
        if self.limit is None:
            return None
        return self.cycle_start(self.limit)


@register
class clip(Schedule):
    """value(t) = min(max(s(t), low), high); either bound may be None."""

    name = "clip"

    def __init__(self, schedule: Schedule, low: float | None = None,
                 high: float | None = None) -> None:
        schedule = _schedule("schedule", schedule)
        lo = None if low is None else v.real("low", low)
        hi = None if high is None else v.real("high", high)
        if lo is None and hi is None:
            raise ValueError("clip needs low, high or both")
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"low ({lo}) must be <= high ({hi})")
        self._store(schedule=schedule, low=lo, high=hi)

    def _eval(self, t: Any, m: Any) -> Any:
        x = self.schedule._eval(t, m)
        if self.low is not None:
            x = m.maximum(x, self.low)
        if self.high is not None:
            x = m.minimum(x, self.high)
        return x

    def _duration(self) -> Any:
        return self.schedule._duration()


@register
class shift(Schedule):
    """value(t) = s(max(t − steps, 0)): delay s by ``steps`` (holding s(0));
    a negative ``steps`` advances it: s(t + |steps|)."""

    name = "shift"

    def __init__(self, schedule: Schedule, steps: Any) -> None:
        schedule = _schedule("schedule", schedule)
        if _num(steps):
            n = v.real("steps", steps, low=-v.MAX_STEPS, high=v.MAX_STEPS)
            steps = int(n) if n == int(n) else n
        else:
            steps = v.duration("steps", steps)
        self._store(schedule=schedule, steps=steps)

    def _child_spans(self, total: int, span: float) -> dict[str, Any]:
        return {"schedule": span - _steps_of(self.steps, total, span)}

    def _eval(self, t: Any, m: Any) -> Any:
        return self.schedule._eval(m.maximum(t - self.steps, 0), m)

    def _duration(self) -> Any:
        d = self.schedule._duration()
        return None if d is None else max(d + self.steps, 0)


@register
class per_epoch(Schedule):
    """A schedule written in epochs, evaluated on optimizer steps.

    value(t) = s(⌊t / steps_per_epoch⌋) (held through each epoch, like a torch
    scheduler stepped once an epoch), or s(t / steps_per_epoch) with ``smooth``.
    ``steps_per_epoch`` counts optimizer updates, i.e. batches / gradient
    accumulation.  Fractions of the run inside s are of the run in epochs.
    """

    name = "per_epoch"

    def __init__(self, schedule: Schedule, steps_per_epoch: Any, smooth: bool = False) -> None:
        self._store(schedule=_schedule("schedule", schedule),
                    steps_per_epoch=v.duration("steps_per_epoch", steps_per_epoch),
                    smooth=v.boolean("smooth", smooth))

    def _resolve(self, total: int, span: float) -> Schedule:
        spe = self.steps_per_epoch
        if not _num(spe):
            raise ValueError("steps_per_epoch must be a number of steps, not a fraction of the run")
        epochs_total = max(1, math.floor(total / spe + 0.5))
        inner = self.schedule._resolve(epochs_total, span / spe)
        return per_epoch(inner, spe, self.smooth)

    def _eval(self, t: Any, m: Any) -> Any:
        e = t / self.steps_per_epoch if self.smooth else t // self.steps_per_epoch
        return self.schedule._eval(e, m)

    def _affine(self) -> Any:
        a = self.schedule._affine()
        return None if a is None else (a[0], a[1], per_epoch(a[2], self.steps_per_epoch, self.smooth))

    def _duration(self) -> Any:
        d = self.schedule._duration()
        return None if d is None else d * self.steps_per_epoch


_NOISE_KINDS = ("normal", "uniform")
_NOISE_RNGS = ("hash", "torch")


@register
class noise(Schedule):
    """Deterministic multiplicative noise: value(t) = s(t)·(1 + n(t)) for
    ``begin`` <= t < ``until`` (all t from ``begin`` on when until is None), s(t) elsewhere.

    n is a pure function of (seed, ⌊t⌋), so resuming at any step gives the same values.

    * ``rng="hash"``: |n| <= pct; ``uniform``: n = pct·(2u − 1); ``normal``:
      n = clip(z·pct/2, −pct, pct) with z a standard normal (Box–Muller on two hashed uniforms).
    * ``rng="torch"``: timm's noise (``noise_range_t``, ``noise_pct``, ``noise_std``,
      ``noise_type``, ``noise_seed``), the same numbers as timm's ``torch.Generator`` draws,
      computed without torch: the generator seeded with seed + ⌊t⌋ at every step; ``normal``:
      n = z·std with z torch's float32 ``randn``, drawn again until |n| < pct; ``uniform``:
      n = 2·(u − ½)·pct with u torch's float32 ``rand``; value = s(t) + s(t)·n as timm adds
      it.  Computed on the host: it cannot be traced (``jax.jit``, ``tf.function``).
    """

    name = "noise"

    def __init__(self, schedule: Schedule, pct: float, seed: int = 0,
                 kind: str = "normal", rng: str = "hash", std: float = 1.0,
                 begin: float = 0, until: float | None = None) -> None:
        rng = v.choice("rng", rng, _NOISE_RNGS)
        kind = v.choice("kind", kind, _NOISE_KINDS)
        low_open = rng == "torch" and kind == "normal"  # |n| < 0 has no draw
        std = v.real("std", std, low=0.0, low_open=True)
        if rng == "hash" and std != 1.0:
            raise ValueError(f"std ({std}) is timm's noise_std: it needs rng='torch'")
        begin_v = v.real("begin", begin, low=0.0, high=v.MAX_STEPS)
        until_v = None if until is None else v.real("until", until, low=0.0, high=v.MAX_STEPS)
        if until_v is not None and until_v < begin_v:
            raise ValueError(f"until ({until}) must be >= begin ({begin})")
        self._store(schedule=_schedule("schedule", schedule),
                    pct=v.real("pct", pct, low=0.0, high=1.0, low_open=low_open),
                    seed=v.integer("seed", seed, low=0, high=2**63), kind=kind, rng=rng,
                    std=std, begin=_whole(begin_v), until=None if until_v is None else _whole(until_v))

    def _eval(self, t: Any, m: Any) -> Any:
        base = self.schedule._eval(t, m)
        if self.rng == "torch":
            noisy = base + base * m.host_map(self._torch_draw, t)
        else:
            noisy = base * (1 + self._hash_draw(t, m))
        out = noisy
        if self.until is not None:
            out = m.where(t < self.until, out, base)
        if self.begin != 0:
            out = m.where(t < self.begin, base, out)
        return out

    def _hash_draw(self, t: Any, m: Any) -> Any:
        u1 = m.hash_uniform(t, self.seed, 1)
        if self.kind == "uniform":
            return self.pct * (2 * u1 - 1)
        u2 = m.hash_uniform(t, self.seed, 2)
        z = m.sqrt(-2 * m.log(1 - u1)) * m.cos(2 * math.pi * u2)
        return m.minimum(m.maximum(z * (self.pct / 2), -self.pct), self.pct)

    def _torch_draw(self, t: float) -> float:
        from ._torch_rng import timm_noise

        return timm_noise(self.seed + int(t), self.kind, self.pct, self.std)

    def _duration(self) -> Any:
        return self.schedule._duration()


def _whole(x: float) -> int | float:
    return int(x) if x == int(x) else x


@register
class pingpong(Schedule):
    """Play s forward over its duration D, then backward, and again:
    value(t) = s(D − |((t mod 2D) − D)|).  ``pingpong(cosine(T, start, end))`` is the
    periodic cosine that torch's ``CosineAnnealingLR`` follows past ``T_max``."""

    name = "pingpong"

    def __init__(self, schedule: Schedule) -> None:
        schedule = _schedule("schedule", schedule)
        if schedule.resolved and not schedule._duration():
            raise ValueError(f"pingpong needs a schedule with a duration > 0, got {schedule!r}")
        self._store(schedule=schedule)
        if schedule.resolved:
            object.__setattr__(self, "_D", schedule._duration())  # a constant, bound once

    def _eval(self, t: Any, m: Any) -> Any:
        D = self._D
        D2 = 2 * D
        r = t - (t // D2) * D2  # t mod 2D, in [0, 2D)
        local = m.where(r <= D, r, D2 - r)
        return self.schedule._eval(local, m)

    def _affine(self) -> Any:
        a = self.schedule._affine()
        return None if a is None else (a[0], a[1], pingpong(a[2]))

#: name -> callable, for custom schedules that may be saved and parsed back
CUSTOM: dict[str, Callable[[Any], Any]] = {}


def register_custom(name: str, fn: Callable[[Any], Any]) -> None:
    """Make ``custom(name=name)`` buildable from text and configs (it calls ``fn(step)``)."""
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"name must be an identifier, got {name!r}")
    if not callable(fn):
        raise TypeError("fn must be callable")
    CUSTOM[name] = fn


def _custom_value(fn: Callable[[Any], Any], t: Any) -> float:
    out = fn(t)
    if isinstance(out, bool) or not isinstance(out, numbers.Real):
        raise TypeError(f"custom fn must return a number, got {type(out).__name__}")
    out = float(out)
    if not math.isfinite(out):
        raise ValueError(f"custom fn returned {out} at step {t}")
    return out


@register
class custom(Schedule):
    """value(t) = fn(t) for any Python callable.

    It cannot be written to text or a config unless registered with
    ``lrkit.register_custom(name, fn)`` and built as ``custom(name=name)`` or
    ``custom(fn, name=name)``; then ``repr`` is ``custom(name='...')``.
    ``steps`` (optional) is its duration, for plots and ``restarts``.
    ``fn`` gets the same kinds of step as the schedule (numbers or arrays).
    """

    name = "custom"

    def __init__(self, fn: Callable[[Any], Any] | None = None, name: str | None = None,
                 steps: Any = None) -> None:
        if fn is None:
            if name is None:
                raise TypeError("custom needs fn, or the name of a registered custom schedule")
            if name not in CUSTOM:
                raise ValueError(
                    f"custom schedule {name!r} is not registered; call "
                    f"lrkit.register_custom({name!r}, fn) first (known: {sorted(CUSTOM) or 'none'})"
                )
            fn = CUSTOM[name]
        elif not callable(fn):
            raise TypeError(f"fn must be callable, not {type(fn).__name__}")
        if name is not None and (not isinstance(name, str) or not name.isidentifier()):
            raise ValueError(f"name must be an identifier, got {name!r}")
        object.__setattr__(self, "fn", fn)
        self._store(name=name, steps=None if steps is None else v.duration("steps", steps))
        object.__setattr__(self, "fn", fn)

    @property
    def serializable(self) -> bool:
        return self.label is not None and CUSTOM.get(self.label) is self.fn

    @property
    def label(self) -> str | None:
        return dict(self._args)["name"]

    def _eval(self, t: Any, m: Any) -> Any:
        if m.is_scalar:
            return _custom_value(self.fn, t)
        return self.fn(t)

    def _duration(self) -> Any:
        return dict(self._args)["steps"]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, custom):
            return NotImplemented
        return self.fn is other.fn and self._args == other._args

    def __hash__(self) -> int:
        return hash(("custom", id(self.fn), self._args))

    def __repr__(self) -> str:
        if self.serializable:
            return super().__repr__()
        fn_name = getattr(self.fn, "__qualname__", type(self.fn).__name__)
        return f"<custom {fn_name} (not serializable: register it with lrkit.register_custom)>"

    def to_config(self) -> dict[str, Any]:
        if not self.serializable:
            raise TypeError(
                "a custom schedule cannot be saved unless registered: "
                "lrkit.register_custom('name', fn) and custom(fn, name='name')"
            )
        return super().to_config()

    def _resolve(self, total: int, span: float) -> Schedule:
        d = dict(self._args)["steps"]
        return custom(self.fn, self.label, d.steps(total) if hasattr(d, "steps") else span)

    def __reduce__(self) -> Any:
        return (custom, (self.fn, self.label, dict(self._args)["steps"]))


# The callable is not part of the text/config form: only a registered name is.
custom._signature = (("name", None), ("steps", None))
