"""Closed-form shapes.

Conventions: the duration comes first, values by keyword; ``t`` is the step
(t >= 0); a shape with a duration holds its ``end`` value from then on.
Each docstring gives the exact formula that is evaluated.
"""

from __future__ import annotations

import math

from . import _validate as v
from ._ops import SCALAR
from .schedule import Schedule, register

#: the smallest normal float: a smaller ratio is subnormal, which JAX and some GPUs flush to 0
_NORMAL = 2.2250738585072014e-308

TYPE_CHECKING = False  # typing is not imported at run time: `import lrkit` stays fast
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any


__all__ = [
    "constant", "linear", "cosine", "polynomial", "exponential", "step", "multistep",
    "piecewise", "interpolate", "inverse_sqrt", "inverse_time", "onecycle", "cyclic",
    "wsd", "rex", "tanh",
]

_HALF_PI = math.pi / 2


def _progress(t: Any, steps: Any, m: Any) -> Any:
    """min(t, steps) / steps."""
    return m.minimum(t, steps) / steps


def _remaining(t: Any, steps: Any, m: Any) -> Any:
    """(steps - min(t, steps)) / steps: 1 at t = 0, exactly 0 from t = steps on."""
    return (steps - m.minimum(t, steps)) / steps


def _bent_remaining(t: Any, steps: Any, k: float, m: Any) -> Any:
    """1 − (min(t, steps)/steps)^k, in [0, 1] and exactly 0 from t = steps on.  Under XLA the
    division may become a multiplication by 1/steps, which rounds q past 1 (a negative base
    for the power, NaN) or just below it at the end (a power < 1 then lifts the rounding)."""
    q = m.where(t >= steps, 1.0, m.minimum(_progress(t, steps, m), 1.0))
    return 1 - q**k


def _scaled(end: float, d: float, f: Any) -> Any:
    """end + d·f for a factor f >= 0, without the operations that cannot change it
    (d = 1, end = +0 with d·f >= 0): the same bits, fewer passes over an array."""
    if end == 0.0 and math.copysign(1.0, end) > 0 and math.copysign(1.0, d) > 0:
        return f if d == 1.0 else d * f
    return end + d * f


def _k_decay(k: Any) -> float:
    """timm's progress exponent: a real in (0, 1000] (beyond, q^k is 0 before the last step)."""
    return v.real("k_decay", k, low=0.0, high=1000.0, low_open=True)


def _between(x: Any, a: float, b: float, m: Any) -> Any:
    """Clamp x to the closed interval spanned by a and b (guards rounding overshoot)."""
    return m.minimum(m.maximum(x, min(a, b)), max(a, b))


@register
class constant(Schedule):
    """value(t) = value."""

    name = "constant"

    def __init__(self, value: float = 1.0) -> None:
        self._store(value=v.real("value", value))

    def _eval(self, t: Any, m: Any) -> Any:
        return m.full(t, self.value)

    def _duration(self) -> Any:
        return 0

    def _bound(self) -> Any:
        return abs(self.value)


@register
class linear(Schedule):
    """value(t) = start + (end − start)·min(t, steps)/steps.

    Evaluated from the end of smaller magnitude, so that no cancellation occurs as
    the value approaches it: end + (start − end)·r with r = (steps − min(t, steps))/steps
    when |end| < |start| (a decay), else as written (a warmup).
    """

    name = "linear"

    def __init__(self, steps: Any, start: float = 1.0, end: float = 0.0) -> None:
        start, end = v.real("start", start), v.real("end", end)
        v.difference("end − start", start, end)
        self._store(steps=v.duration("steps", steps), start=start, end=end)

    def _eval(self, t: Any, m: Any) -> Any:
        a, b = self.start, self.end
        if abs(b) < abs(a):
            x = b + (a - b) * _remaining(t, self.steps, m)
        else:
            x = a + (b - a) * (m.minimum(t, self.steps) / self.steps)
        return m.where(t >= self.steps, b, _between(x, a, b, m))

    def _duration(self) -> Any:
        return self.steps

    def _bound(self) -> Any:
        return max(abs(self.start), abs(self.end))


@register
class cosine(Schedule):
    """Half-cosine annealing from ``start`` to ``end``.

    value(t) = end + (start − end)·(½(1 + cos(π·q)))^exponent with the progress
    q = min(t, steps)/steps, evaluated as (sin(π/2·r))² with r = 1 − q =
    (steps − min(t, steps))/steps, which is the same quantity without the
    cancellation of 1 + cos near the end.  ``k_decay`` = k ≠ 1 bends the progress:
    q = (min(t, steps)/steps)^k (timm's ``k_decay``, t^k/T^k), r = 1 − q.
    Equals Optax ``cosine_decay_schedule`` (alpha = end/start).
    """

    name = "cosine"

    def __init__(self, steps: Any, start: float = 1.0, end: float = 0.0,
                 exponent: float = 1.0, k_decay: float = 1.0) -> None:
        start, end = v.real("start", start), v.real("end", end)
        v.difference("end − start", start, end)
        self._store(steps=v.duration("steps", steps), start=start, end=end,
                    exponent=v.real("exponent", exponent, low=0.0, low_open=True),
                    k_decay=_k_decay(k_decay))

    def _eval(self, t: Any, m: Any) -> Any:
        steps = self.steps
        if self.k_decay == 1.0:
            r = (steps - m.minimum(t, steps)) / steps  # _remaining, inlined
        else:
            r = _bent_remaining(t, steps, self.k_decay, m)
        s = m.sin(_HALF_PI * r)
        f = s * s if self.exponent == 1.0 else (s * s) ** self.exponent
        return _scaled(self.end, self.start - self.end, f)

    def _affine(self) -> Any:
        # end + (start − end)·f with f the unit cosine's value 0 + 1·f (exactly f, f >= 0)
        if self.start == 1.0 and self.end == 0.0:
            return None
        return self.end, self.start - self.end, cosine(self.steps, exponent=self.exponent,
                                                       k_decay=self.k_decay)

    def _duration(self) -> Any:
        return self.steps

    def _bound(self) -> Any:
        return max(abs(self.start), abs(self.end))


@register
class polynomial(Schedule):
    """value(t) = end + (start − end)·(1 − min(t, steps)/steps)^power.

    ``k_decay`` = k ≠ 1 bends the progress (timm's ``k_decay``, t^k/T^k):
    value(t) = end + (start − end)·(1 − (min(t, steps)/steps)^k)^power.
    Equals Optax ``polynomial_schedule`` and Keras ``PolynomialDecay`` (cycle=False).
    """

    name = "polynomial"

    def __init__(self, steps: Any, start: float = 1.0, end: float = 0.0,
                 power: float = 1.0, k_decay: float = 1.0) -> None:
        start, end = v.real("start", start), v.real("end", end)
        v.difference("end − start", start, end)
        self._store(steps=v.duration("steps", steps), start=start, end=end,
                    power=v.real("power", power, low=0.0, low_open=True),
                    k_decay=_k_decay(k_decay))

    def _eval(self, t: Any, m: Any) -> Any:
        if self.k_decay == 1.0:
            r = _remaining(t, self.steps, m)
        else:
            r = _bent_remaining(t, self.steps, self.k_decay, m)
        return _scaled(self.end, self.start - self.end, r**self.power)

    def _duration(self) -> Any:
        return self.steps

    def _bound(self) -> Any:
        return max(abs(self.start), abs(self.end))


@register
class exponential(Schedule):
    """value(t) = start·gamma^(t/every), clipped below at ``floor`` only when one is given;
    t/every floored when ``staircase``.

    Equals Optax ``exponential_decay`` and Keras ``ExponentialDecay`` (negative starts included).  With
    gamma > 1 the value grows without bound; a step where it would overflow
    float64 raises ``ValueError``.
    """

    name = "exponential"

    def __init__(self, gamma: float, start: float = 1.0, every: Any = 1,
                 staircase: bool = False, floor: float | None = None) -> None:
        self._store(gamma=v.real("gamma", gamma, low=_NORMAL),
                    start=v.real("start", start), every=v.duration("every", every),
                    staircase=v.boolean("staircase", staircase),
                    floor=None if floor is None else v.real("floor", floor))

    def _overflow(self) -> str:
        return f"{self!r} overflows float64 (gamma={self.gamma} > 1)"

    def _eval(self, t: Any, m: Any) -> Any:
        if self.start == 0.0:  # 0·gamma^e is 0 even where gamma^e overflows
            value: Any = m.full(t, 0.0)
        else:
            e = t // self.every if self.staircase else t / self.every
            value = self.start * m.pow(self.gamma, e)
            if self.gamma > 1:
                value = m.require_finite(value, self._overflow)
        return value if self.floor is None else m.maximum(value, self.floor)

@register
class step(Schedule):
    """value(t) = start·gamma^⌊t/every⌋ (torch ``StepLR``)."""

    name = "step"

    def __init__(self, every: Any, gamma: float = 0.1, start: float = 1.0) -> None:
        self._store(every=v.duration("every", every),
                    gamma=v.real("gamma", gamma, low=_NORMAL),
                    start=v.real("start", start))

    def _overflow(self) -> str:
        return f"{self!r} overflows float64 (gamma={self.gamma} > 1)"

    def _eval(self, t: Any, m: Any) -> Any:
        if self.start == 0.0:  # 0·gamma^k is 0 even where gamma^k overflows
            return m.full(t, 0.0)
        k = t // self.every
        value = self.start * m.pow(self.gamma, k)
        if self.gamma > 1:
            value = m.require_finite(value, self._overflow)
        return value

    def _affine(self) -> Any:
        # start·gamma^k = start·(1.0·gamma^k); overflow raises on both paths
        return None if self.start == 1.0 else (None, self.start, step(self.every, self.gamma))

def _sorted_steps(name: str, values: Any, *, strict: bool) -> list[Any]:
    if isinstance(values, (str, bytes)) or not isinstance(values, (list, tuple)):
        raise TypeError(f"{name} must be a list of steps, got {values!r}")
    out = [v.duration(f"{name}[{i}]", x, allow_zero=True) for i, x in enumerate(values)]
    nums = [x for x in out if isinstance(x, (int, float))]
    if len(nums) == len(out):  # all numbers: nums is out, typed as numbers
        for i in range(1, len(nums)):
            if nums[i] < nums[i - 1] or (strict and nums[i] == nums[i - 1]):
                order = "strictly increasing" if strict else "sorted (non-decreasing)"
                raise ValueError(f"{name} must be {order}, got {list(values)!r}")
    return out


@register
class multistep(Schedule):
    """value(t) = start·gamma^(number of milestones m with m <= t) (torch ``MultiStepLR``).

    The value changes *at* a milestone.  A repeated milestone multiplies by gamma twice.
    """

    name = "multistep"

    def __init__(self, milestones: Sequence[Any], gamma: float = 0.1, start: float = 1.0) -> None:
        ms = _sorted_steps("milestones", milestones, strict=False)
        gamma, start = v.real("gamma", gamma, low=_NORMAL), v.real("start", start)
        if start * SCALAR.pow(gamma, len(ms)) - start * SCALAR.pow(gamma, len(ms)) != 0.0:
            raise ValueError(f"gamma ({gamma}) ** {len(ms)} milestones overflows float64 "
                             f"(start={start}); use a smaller gamma")
        self._store(milestones=ms, gamma=gamma, start=start)

    def _eval(self, t: Any, m: Any) -> Any:
        k: Any = t * 0
        for ms in self.milestones:
            k = k + m.where(t >= ms, 1.0, 0.0)  # a float count (TF adds no bools to floats)
        return self.start * m.pow(self.gamma, k)

    def _affine(self) -> Any:
        if self.start == 1.0:
            return None
        return None, self.start, multistep(list(self.milestones), self.gamma)

    def _duration(self) -> Any:
        return self.milestones[-1] if self.milestones else None


@register
class piecewise(Schedule):
    """Piecewise constant: values[0] before boundaries[0], values[i] from boundaries[i−1] on.

    The value changes *at* the boundary (like torch ``MultiStepLR`` and Optax;
    Keras ``PiecewiseConstantDecay`` changes one step later: use boundaries + 1).
    """

    name = "piecewise"

    def __init__(self, boundaries: Sequence[Any], values: Sequence[float]) -> None:
        b = _sorted_steps("boundaries", boundaries, strict=True)
        if isinstance(values, (str, bytes)) or not isinstance(values, (list, tuple)):
            raise TypeError(f"values must be a list of numbers, got {values!r}")
        vals = [v.real(f"values[{i}]", x) for i, x in enumerate(values)]
        if len(vals) != len(b) + 1:
            raise ValueError(
                f"values must have one more entry than boundaries: got {len(vals)} values "
                f"for {len(b)} boundaries"
            )
        self._store(boundaries=b, values=vals)

    def _eval(self, t: Any, m: Any) -> Any:
        # values[#{i: boundaries[i] <= t}]: a binary search (m.lookup), or for a few boundaries
        # one selection per boundary
        if len(self.boundaries) >= 3:
            return m.lookup(t, self.boundaries, self._values)
        out: Any = m.full(t, self._values[0])
        for b, value in zip(self.boundaries, self._values[1:]):
            out = m.where(t >= b, value, out)
        return out

    def _duration(self) -> Any:
        return self.boundaries[-1] if self.boundaries else None


    def _bound(self) -> Any:
        return max(abs(x) for x in self._values)


_INTERP_KINDS = ("linear", "cosine", "exponential")


@register
class interpolate(Schedule):
    """Through ``points`` [(step, value), ...]: before the first and after the last
    point the value is held; between two points (s0, v0), (s1, v1) with
    q = (t − s0)/(s1 − s0):

    * ``linear``: v0 + (v1 − v0)·q
    * ``cosine``: v1 + (v0 − v1)·½(1 + cos πq)
    * ``exponential``: v0·(v1/v0)^q (values must be > 0)
    """

    name = "interpolate"

    def __init__(self, points: Sequence[Sequence[float]], kind: str = "linear") -> None:
        kind = v.choice("kind", kind, _INTERP_KINDS)
        if isinstance(points, (str, bytes)) or not isinstance(points, (list, tuple)) or not points:
            raise TypeError(f"points must be a non-empty list of (step, value) pairs, got {points!r}")
        pts = []
        for i, p in enumerate(points):
            if isinstance(p, (str, bytes)) or not isinstance(p, (list, tuple)) or len(p) != 2:
                raise TypeError(f"points[{i}] must be a (step, value) pair, got {p!r}")
            s = v.duration(f"points[{i}] step", p[0], allow_zero=True)
            val = v.real(f"points[{i}] value", p[1])
            if kind == "exponential" and val <= 0:
                raise ValueError(f"points[{i}] value must be > 0 for kind='exponential', got {val}")
            pts.append((s, val))
        for i in range(1, len(pts)):
            (_, v0), (_, v1) = pts[i - 1], pts[i]
            if kind == "exponential":
                r = v1 / v0
                if not 2.2250738585072014e-308 <= r < math.inf:  # a normal float: v0·r^q is exact enough
                    raise ValueError(f"points[{i}] value / points[{i - 1}] value = {v1!r} / {v0!r} is "
                                     "outside the float64 range; kind='exponential' needs a finite ratio")
            else:
                v.difference(f"points[{i}] value − points[{i - 1}] value", v0, v1)
        steps = [s for s, _ in pts]
        if all(isinstance(s, (int, float)) for s in steps):
            nums = [s for s in steps if isinstance(s, (int, float))]  # = steps, typed as numbers
            for i in range(1, len(nums)):
                if nums[i] <= nums[i - 1]:
                    raise ValueError(f"points steps must be strictly increasing, got {steps}")
        self._store(points=pts, kind=kind)

    def _eval(self, t: Any, m: Any) -> Any:
        pts = self.points
        out: Any = m.full(t, pts[0][1])
        for (s0, v0), (s1, v1) in zip(pts, pts[1:]):
            x = m.minimum(m.maximum(t, s0), s1)
            q = (x - s0) / (s1 - s0)
            if self.kind == "exponential":
                seg = v0 * m.pow(v1 / v0, q)
            elif abs(v1) < abs(v0):  # from the end of smaller magnitude, r = 1 − q directly
                r = (s1 - x) / (s1 - s0)
                if self.kind == "linear":
                    seg = _between(v1 + (v0 - v1) * r, v0, v1, m)
                else:
                    c = m.sin(_HALF_PI * r)  # ½(1 + cos πq) = sin²(π/2·(1 − q))
                    seg = v1 + (v0 - v1) * (c * c)
            elif self.kind == "linear":
                seg = _between(v0 + (v1 - v0) * q, v0, v1, m)
            else:
                c = m.sin(_HALF_PI * q)  # ½(1 − cos πq) = sin²(π/2·q)
                seg = v0 + (v1 - v0) * (c * c)
            out = m.where(t >= s0, seg, out)
        return m.where(t >= pts[-1][0], pts[-1][1], out)

    def _duration(self) -> Any:
        return self.points[-1][0]

    def _bound(self) -> Any:
        return max(abs(x) for _, x in self.points)


@register
class inverse_sqrt(Schedule):
    """Noam-style: value(t) = start·t/warmup for t < warmup, then
    start/√((t + timescale − warmup)/timescale) (timescale defaults to warmup,
    giving start·√(warmup/t)).  Equals transformers ``get_inverse_sqrt_schedule``.
    """

    name = "inverse_sqrt"

    def __init__(self, warmup: Any, start: float = 1.0, timescale: Any = None) -> None:
        warmup = v.duration("warmup", warmup)
        timescale = None if timescale is None else v.duration("timescale", timescale)
        if isinstance(warmup, (int, float)) and isinstance(timescale, (int, float)) \
                and not warmup + (timescale - warmup) > 0:
            raise ValueError(f"timescale ({timescale!r}) is lost next to warmup ({warmup!r}) in "
                             "float64: t + (timescale − warmup) must stay > 0 from t = warmup on")
        self._store(warmup=warmup, start=v.real("start", start), timescale=timescale)

    def _eval(self, t: Any, m: Any) -> Any:
        w = self.warmup
        ts = w if self.timescale is None else self.timescale
        rise = self.start * (m.minimum(t, w) / w)
        decay = self.start / m.sqrt((m.maximum(t, w) + (ts - w)) / ts)
        return m.where(t < w, rise, decay)

    def _bound(self) -> Any:
        return abs(self.start)


@register
class inverse_time(Schedule):
    """value(t) = start / (1 + rate·t/every); t/every floored when ``staircase``
    (Keras ``InverseTimeDecay``)."""

    name = "inverse_time"

    def __init__(self, rate: float, every: Any = 1, start: float = 1.0,
                 staircase: bool = False) -> None:
        self._store(rate=v.real("rate", rate, low=0.0), every=v.duration("every", every),
                    start=v.real("start", start), staircase=v.boolean("staircase", staircase))

    def _eval(self, t: Any, m: Any) -> Any:
        e = t // self.every if self.staircase else t / self.every
        return self.start / (1 + self.rate * e)

    def _bound(self) -> Any:
        return abs(self.start)


_ANNEAL = ("cos", "linear")


@register
class onecycle(Schedule):
    """The 1cycle policy, exactly as torch's ``OneCycleLR``.

    initial = peak/div_factor, minimum = initial/final_div_factor.  Phases
    (step where each ends): initial→peak until pct_start·steps − 1, then
    peak→minimum until steps − 1; with ``three_phase``: initial→peak until
    pct_start·steps − 1, peak→initial until 2·pct_start·steps − 2,
    initial→minimum until steps − 1.  Within a phase from s0 to s1,
    q = (t − s0)/(s1 − s0) and the value anneals from a to b by
    ``cos``: b + (a − b)·½(1 + cos πq) or ``linear``: a + (b − a)·q
    (evaluated from the end of smaller magnitude, with 1 − q = (s1 − t)/(s1 − s0),
    so that a value near 0 is not the difference of two large ones).
    The minimum is held from step steps − 1 on.
    """

    name = "onecycle"

    def __init__(self, steps: Any, peak: float = 1.0, pct_start: float = 0.3,
                 div_factor: float = 25.0, final_div_factor: float = 1e4,
                 anneal: str = "cos", three_phase: bool = False) -> None:
        steps = v.duration("steps", steps)
        pct = v.real("pct_start", pct_start, low=0.0, high=1.0, low_open=True, high_open=True)
        self._store(steps=steps, peak=v.real("peak", peak), pct_start=pct,
                    div_factor=v.real("div_factor", div_factor, low=0.0, low_open=True),
                    final_div_factor=v.real("final_div_factor", final_div_factor, low=0.0,
                                            low_open=True),
                    anneal=v.choice("anneal", anneal, _ANNEAL),
                    three_phase=v.boolean("three_phase", three_phase))
        initial = self.peak / self.div_factor
        low = initial / self.final_div_factor
        if not math.isfinite(initial) or not math.isfinite(low):
            raise ValueError(f"peak / div_factor / final_div_factor = {self.peak!r} / {self.div_factor!r} "
                             f"/ {self.final_div_factor!r} overflows float64; div_factor and "
                             "final_div_factor must keep the values finite")
        v.difference("peak − peak/div_factor", initial, self.peak)
        v.difference("peak/div_factor − minimum", low, initial)
        v.difference("peak − minimum", low, self.peak)
        if isinstance(steps, (int, float)):
            object.__setattr__(self, "_phases", self.phases())  # constants, bound once
            self._check_phases()

    def _check_phases(self) -> None:
        ends = [e for e, _, _ in self.phases()]
        starts = [0.0] + ends[:-1]
        for i, (s0, s1) in enumerate(zip(starts, ends)):
            if s1 <= s0:
                raise ValueError(
                    f"onecycle(steps={self.steps}, pct_start={self.pct_start}) leaves phase {i + 1} "
                    f"empty (it would end at step {s1} <= {s0}); use more steps or another pct_start"
                )

    def phases(self, values: tuple[float, float, float] | None = None
               ) -> list[tuple[float, float, float]]:
        """[(end_step, from, to), ...] as torch computes them."""
        initial = self.peak / self.div_factor
        low = initial / self.final_div_factor
        a, b, c = values if values is not None else (initial, self.peak, low)
        return onecycle_phases(self.steps, self.pct_start, self.three_phase, (a, b, c))

    def _eval(self, t: Any, m: Any) -> Any:
        return _phases_eval(t, m, self._phases, self.anneal)

    def _duration(self) -> Any:
        return self.steps


def onecycle_phases(n: Any, p: float, three_phase: bool, values: tuple[float, float, float]
                    ) -> list[tuple[float, float, float]]:
    """torch OneCycleLR's phases [(end_step, from, to)] for values (initial, peak, last)
    (any steps and pct_start, also those that leave a phase empty)."""
    a, b, c = values
    if three_phase:
        return [(float(p * n) - 1, a, b), (float(2 * p * n) - 2, b, a), (n - 1, a, c)]
    return [(float(p * n) - 1, a, b), (n - 1, b, c)]


def _phases_eval(t: Any, m: Any, phases: list[tuple[float, float, float]], anneal: str) -> Any:
    """Piecewise annealing through phases [(end_step, from, to)], torch OneCycleLR style."""
    out: Any = None
    start = 0.0
    for end, a, b in phases:
        # evaluated from the end of smaller magnitude (no cancellation as the value nears it),
        # with q and r = 1 − q each computed directly
        x = m.minimum(t, end)
        if abs(b) < abs(a):
            r = (end - x) / (end - start)
            if anneal == "cos":
                c = m.sin(_HALF_PI * r)  # ½(1 + cos πq)
                val = b + (a - b) * (c * c)
            else:
                val = _between(b + (a - b) * r, a, b, m)
        else:
            q = (x - start) / (end - start)
            if anneal == "cos":
                c = m.sin(_HALF_PI * q)  # ½(1 − cos πq)
                val = a + (b - a) * (c * c)
            else:
                val = _between(a + (b - a) * q, a, b, m)
        out = val if out is None else m.where(t > start, val, out)
        start = end
    return out


_CYCLIC_MODES = ("triangular", "triangular2", "exp_range")


@register
class cyclic(Schedule):
    """Cyclical values, exactly as torch's ``CyclicLR`` (for one group).

    size = up + down; cycle = ⌊1 + t/size⌋; x = 1 + t/size − cycle (computed as
    (t mod size)/size, which torch's float arithmetic approximates);
    h = x/(up/size) if x <= up/size else (x − 1)/(up/size − 1);
    value = low + (high − low)·h·scale, scale = 1 (``triangular``),
    1/2^(cycle−1) (``triangular2``) or gamma^t (``exp_range``).
    ``low > high`` is allowed (an inverted cycle, as torch's momentum cycling).
    """

    name = "cyclic"

    def __init__(self, low: float, high: float, up: Any, down: Any = None,
                 mode: str = "triangular", gamma: float = 1.0) -> None:
        low, high = v.real("low", low), v.real("high", high)
        v.difference("high − low", low, high)
        up = v.duration("up", up)
        down = None if down is None else v.duration("down", down, allow_zero=True)
        if isinstance(up, (int, float)) and isinstance(down, (int, float)) and down != 0:
            ratio = up / (up + down)
            if not 0.0 < ratio < 1.0:
                raise ValueError(f"up ({up!r}) and down ({down!r}) are too far apart: up/(up + down) "
                                 "must be a float strictly between 0 and 1, not rounded to either")
        self._store(low=low, high=high, up=up, down=down, mode=v.choice("mode", mode, _CYCLIC_MODES),
                    gamma=v.real("gamma", gamma, low=_NORMAL))

    def _overflow(self) -> str:
        return f"{self!r} overflows float64 (gamma={self.gamma} > 1)"

    def _eval(self, t: Any, m: Any) -> Any:
        up = float(self.up)
        down = up if self.down is None else float(self.down)
        size = up + down
        ratio = up / size
        r = m.fmod(t, size)  # t mod size, exact at any step
        cycle = (t - r) / size + 1
        x = r / size  # = 1 + t/size − cycle, without the cancellation
        # with down = 0 (a sawtooth) x < 1 = ratio: the falling branch is never taken
        h = m.where(x <= ratio, x / ratio, (x - 1) / ((ratio - 1) or 1.0))
        scale = self.scale(t if self.mode == "exp_range" else cycle, m)
        return self.low + (self.high - self.low) * h * scale

    def scale(self, x: Any, m: Any = SCALAR) -> Any:
        """The mode's amplitude factor: 1 (``triangular``), 1/2^(x−1) (``triangular2``, x
        the cycle number) or gamma^x (``exp_range``, x the step)."""
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / m.pow(2.0, x - 1)
        scale = m.pow(self.gamma, x)
        if self.gamma > 1:
            scale = m.require_finite(scale, self._overflow)
        return scale

_WSD_SHAPES = ("linear", "cosine", "1-sqrt", "square", "exponential")
_WARMUP_SHAPES = ("linear", "cosine", "1-sqrt")


@register
class wsd(Schedule):
    """Warmup-stable-decay, exactly as transformers' ``get_wsd_schedule``, and the other decay shapes in use.

    Over ``steps`` steps: warmup for ``warmup`` steps, stable at ``peak``, decay
    over the last ``decay`` steps (or from ``decay_from`` on, to extend or end
    a run early), then ``end``.  With q the progress in a phase, a factor f:
    warmup f = q (``warmup_shape`` linear), ½(1 − cos πq) (cosine) or
    1 − √(1 − q) (1-sqrt); decay f = 1 − q (linear), ½(1 + cos πq) (cosine),
    1 − √q (1-sqrt) or 1 − q² (square); value = end + (peak − end)·f.  The warmup
    starts from ``end``, as transformers' ``min_lr_ratio`` does.  ``cycles`` (cosine decay
    only, transformers' ``num_cycles``): f = ½(1 + cos 2π·cycles·q).
    ``exponential`` (geometric, the WSD runs of the multi-power-law paper, Luo et al. 2025):
    value = peak^(1 − q)·end^q, computed as end·(peak/end)^(1 − q) (exactly ``end`` at q = 1,
    ``peak`` up to the decay's start); it needs ``peak > 0`` and ``end > 0``.
    A decay to a floor ("lowered linear", cosine-to-floor) is ``end=floor`` with the
    linear or cosine shape.  (1 − q is computed as the part of the phase still to go,
    1 − √q as (1 − q)/(1 + √q) and 1 − q² as (1 − q)(1 + q): no cancellation near the end.)
    """

    name = "wsd"

    def __init__(self, steps: Any, warmup: Any, decay: Any, peak: float = 1.0,
                 end: float = 0.0, shape: str = "1-sqrt", decay_from: Any = None,
                 warmup_shape: str = "linear", cycles: float = 0.5) -> None:
        steps = v.duration("steps", steps)
        warmup = v.duration("warmup", warmup, allow_zero=True)
        decay = v.duration("decay", decay, allow_zero=True)
        decay_from = None if decay_from is None else v.duration("decay_from", decay_from,
                                                                allow_zero=True)
        peak, end = v.real("peak", peak), v.real("end", end)
        v.difference("peak − end", end, peak)
        # 2π·cycles·q must stay finite (cos of inf is a domain error)
        cycles = v.real("cycles", cycles, low=0.0, high=1e300, low_open=True)
        self._store(steps=steps, warmup=warmup, decay=decay, peak=peak,
                    end=end, shape=v.choice("shape", shape, _WSD_SHAPES),
                    decay_from=decay_from,
                    warmup_shape=v.choice("warmup_shape", warmup_shape, _WARMUP_SHAPES),
                    cycles=cycles)
        if self.shape == "exponential" and not (peak > 0 and end > 0):
            raise ValueError(f"shape='exponential' needs peak > 0 and end > 0 (a geometric decay "
                             f"peak^(1 − q)·end^q), got peak={peak!r}, end={end!r}")
        if self.shape == "exponential" and not _NORMAL <= peak / end < math.inf:
            raise ValueError(f"shape='exponential': peak / end = {peak!r} / {end!r} is outside the "
                             "float64 range")
        if all(isinstance(x, (int, float)) for x in (steps, warmup, decay)):
            if decay_from is None and warmup + decay > steps:
                raise ValueError(
                    f"warmup ({warmup}) + decay ({decay}) must be <= steps ({steps}): "
                    "the warmup and decay phases overlap"
                )
            if isinstance(decay_from, (int, float)) and decay_from < warmup:
                raise ValueError(f"decay_from ({decay_from}) must be >= warmup ({warmup})")

    @property
    def decay_start(self) -> Any:
        """The step where the decay starts."""
        return self.steps - self.decay if self.decay_from is None else self.decay_from

    def _eval(self, t: Any, m: Any) -> Any:
        w, d, s0 = self.warmup, self.decay, self.decay_start
        peak, end = self.peak, self.end
        if w > 0:
            if self.warmup_shape == "1-sqrt":
                x = m.minimum(t, w)
                fw = (x / w) / (1 + m.sqrt((w - x) / w))  # 1 − √(1 − q), without cancellation
            else:
                q = m.minimum(t, w) / w  # rise is only used where t < w (= t/w there)
                if self.warmup_shape == "linear":
                    fw = q
                else:
                    sw = m.sin(_HALF_PI * q)  # ½(1 − cos πq)
                    fw = sw * sw
            rise = _scaled(end, peak - end, fw)
        if d > 0:
            s1 = s0 + d
            x = m.clip(t, s0, s1)
            r = (s1 - x) / d  # 1 − q: what is left of the decay, exactly 0 from s1 on
            if self.shape == "exponential":
                # end·(peak/end)^(1 − q) = peak^(1 − q)·end^q: exactly end from s1 on
                fall = end * m.pow(peak / end, r)
                out = m.where(t <= s0, peak, fall)
                return m.where(t < w, rise, out) if w > 0 else out
            if self.shape == "linear":
                fd = r
            elif self.shape == "cosine" and self.cycles == 0.5:
                cd = m.sin(_HALF_PI * r)  # ½(1 + cos πq)
                fd = cd * cd
            elif self.shape == "cosine":
                fd = 0.5 * (1 + m.cos(2 * math.pi * self.cycles * ((x - s0) / d)))
            elif self.shape == "square":
                fd = r * (1 + (x - s0) / d)  # 1 − q² = (1 − q)(1 + q)
            else:
                fd = r / (1 + m.sqrt((x - s0) / d))  # 1 − √q, without cancellation
            fall = _scaled(end, peak - end, fd)
            ends_at_zero = self.shape != "cosine" or self.cycles == 0.5
            if ends_at_zero and (end != 0.0 or math.copysign(1.0, end) > 0):
                # from s1 on fd = 0, so fall = end + (±0) = end: no separate branch needed
                top = _scaled(end, peak - end, 1.0)
                if (float(s1) - float(s0) == d and top == peak and math.copysign(1.0, top) == math.copysign(1.0, peak)
                        and (self.shape != "cosine" or math.sin(_HALF_PI) == 1.0)):
                    # up to s0, x = s0 gives fd = 1 exactly, so fall is already peak (in float64:
                    # s0 + d may round to s0 near 2**53, and then it does not)
                    out = fall
                else:
                    out = m.where(t < s0, peak, fall)
            else:
                out = m.where(t < s0, peak, m.where(t < s0 + d, fall, end))
        else:
            out = m.where(t < s0, peak, end)
        if w > 0:
            out = m.where(t < w, rise, out)
        return out

    def _duration(self) -> Any:
        return self.decay_start + self.decay

    def _bound(self) -> Any:
        return max(abs(self.peak), abs(self.end))


@register
class rex(Schedule):
    """REX (Chen et al., 2022): with p = min(t, steps)/steps,
    value(t) = end + (start − end)·(1 − p)/(½ + ½(1 − p))."""

    name = "rex"

    def __init__(self, steps: Any, start: float = 1.0, end: float = 0.0) -> None:
        start, end = v.real("start", start), v.real("end", end)
        v.difference("end − start", start, end)
        self._store(steps=v.duration("steps", steps), start=start, end=end)

    def _eval(self, t: Any, m: Any) -> Any:
        r = _remaining(t, self.steps, m)
        return self.end + (self.start - self.end) * (r / (0.5 + 0.5 * r))

    def _duration(self) -> Any:
        return self.steps

    def _bound(self) -> Any:
        return max(abs(self.start), abs(self.end))




@register
class tanh(Schedule):
    """Hyperbolic-tangent decay (timm's ``TanhLRScheduler``, one cycle).

    value(t) = end + (start − end)·½(1 − tanh(lb·(1 − p) + ub·p)), p = min(t, steps)/steps
    (1 − p computed as (steps − min(t, steps))/steps).  The value starts just below
    ``start`` (½(1 − tanh(lb)) = 0.99999917 for lb = −7) and settles just above ``end``
    (½(1 − tanh(ub)) = 0.00247 for ub = 3), as timm's does; it is held from ``steps`` on.
    """

    name = "tanh"

    def __init__(self, steps: Any, start: float = 1.0, end: float = 0.0,
                 lb: float = -7.0, ub: float = 3.0) -> None:
        start, end = v.real("start", start), v.real("end", end)
        v.difference("end − start", start, end)
        lb = v.real("lb", lb, low=-1e300, high=1e300)
        ub = v.real("ub", ub, low=-1e300, high=1e300)
        if not lb < ub:
            raise ValueError(f"lb ({lb}) must be < ub ({ub})")
        self._store(steps=v.duration("steps", steps), start=start, end=end, lb=lb, ub=ub)

    def _eval(self, t: Any, m: Any) -> Any:
        r = _remaining(t, self.steps, m)
        p = _progress(t, self.steps, m)
        f = 0.5 * (1 - m.tanh(self.lb * r + self.ub * p))
        return _scaled(self.end, self.start - self.end, f)

    def _duration(self) -> Any:
        return self.steps

    def _bound(self) -> Any:
        return max(abs(self.start), abs(self.end))
