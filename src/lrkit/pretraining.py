"""Schedules of LLM pretraining by name: WSD branches and continued pretraining.

* :func:`wsd_branches`: several decays off one stable phase (one run, checkpointed
  during its stable phase, decayed at D1, D2, ...: one schedule per branch).
* :class:`rewarm`, :class:`infinite`, :class:`wsds`, :class:`constant_cooldown`:
  the schedules of continued pretraining, each a registered schedule (text form,
  config, ``repr`` round-trip) whose formula is written once, as a composition of
  lrkit's shapes and combinators (``join`` gives each phase its own local step).

Durations count the clock of the run (steps, tokens or samples: ``lrkit.Scheduler(unit=...)``)
and may be fractions of the run (``'5%'``) where noted.
"""

from __future__ import annotations

import numbers

from . import _validate as v
from .combinators import join, warmup
from .durations import Frac, Rest
from .schedule import Schedule, register
from .shapes import constant, cosine, linear, wsd

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

__all__ = ["wsd_branches", "rewarm", "infinite", "wsds", "constant_cooldown"]

_DECAYS = ("linear", "cosine", "1-sqrt", "square", "exponential")


def _known(*xs: Any) -> bool:
    """All numbers (no fraction of the run left to resolve)."""
    return all(isinstance(x, numbers.Real) and not isinstance(x, (Frac, Rest)) for x in xs)


def _durations(name: str, values: Any, *, allow_zero: bool = False) -> list[Any]:
    if isinstance(values, (str, bytes)) or not isinstance(values, (list, tuple)):
        raise TypeError(f"{name} must be a list of durations, got {values!r}")
    return [v.duration(f"{name}[{i}]", x, allow_zero=allow_zero) for i, x in enumerate(values)]


def _increasing(name: str, xs: Sequence[Any], low: Any = None) -> None:
    nums = [x for x in xs if _known(x)]
    if len(nums) == len(xs):
        for i in range(1, len(nums)):
            if nums[i] <= nums[i - 1]:
                raise ValueError(f"{name} must be strictly increasing, got {list(xs)!r}")
        if low is not None and _known(low) and nums and nums[0] < low:
            raise ValueError(f"{name}[0] ({nums[0]}) must be >= {low}")


def wsd_branches(warmup: Any, decay_starts: Sequence[Any], decay: Any, *, peak: float = 1.0,
                 end: float = 0.0, shape: str = "1-sqrt", warmup_shape: str = "linear") -> tuple[wsd, ...]:
    """Decays branched off one stable phase: one :class:`lrkit.wsd` per decay start.

    Branch i is ``wsd(D_i + decay, warmup, decay, peak=..., end=..., shape=...)``: the
    shared warmup and stable phase up to D_i, then a decay of ``decay`` units to ``end``.
    Every branch has the same value as every other up to its own D_i, bit for bit (the
    same formula on the same numbers), so a checkpoint of the shared run at D_i (its
    ``lrkit.Scheduler`` state) resumes exactly into branch i:
    ``Scheduler(opt, branches[i]).load_state_dict(state, on_change="continue")``.
    The shared run is the branch with the latest start, ``branches[-1]``, up to its D.
    """
    starts = _durations("decay_starts", decay_starts)
    if not starts:
        raise ValueError("decay_starts must hold at least one step")
    w = v.duration("warmup", warmup, allow_zero=True)
    _increasing("decay_starts", starts, low=w)
    d = v.duration("decay", decay)
    return tuple(wsd(s + d if _known(s, d) else s, w, d, peak=peak, end=end, shape=shape,
                     warmup_shape=warmup_shape, decay_from=None if _known(s, d) else s)
                 for s in starts)


class _Composed(Schedule):
    """A named schedule whose one formula is a composition of other schedules (``_compose``)."""

    def _finish(self) -> None:
        """Build the composition once the durations are numbers (else at ``resolve``)."""
        if self.resolved:
            object.__setattr__(self, "_impl", self._compose())

    def _compose(self) -> Schedule:  # pragma: no cover - abstract
        raise NotImplementedError

    def _eval(self, t: Any, m: Any) -> Any:
        return self._impl._eval(t, m)

    def _duration(self) -> Any:
        return self._impl._duration()

    def _bound(self) -> Any:
        impl = self.__dict__.get("_impl")
        return None if impl is None else impl._bound()

    @property
    def composition(self) -> Schedule:
        """The same schedule written with lrkit's shapes and combinators."""
        self._require_resolved()
        impl: Schedule = self._impl
        return impl


def _decay(n: Any, peak: float, end: float, shape: str) -> Schedule:
    """A decay from ``peak`` to ``end`` over ``n`` units, by a wsd shape."""
    if shape == "cosine":
        return cosine(n, start=peak, end=end)
    if shape == "linear":
        return linear(n, start=peak, end=end)
    return wsd(n, 0, n, peak=peak, end=end, shape=shape)


@register
class rewarm(_Composed):
    """Re-warming for continued pretraining (Ibrahim et al. 2024, "Simple and Scalable
    Strategies to Continually Pre-train Large Language Models", §5: warm up again, then decay).

    With W = ``warmup``, N = ``steps``:
    t < W: start + (peak − start)·t/W (from the lr the previous run ended on);
    W <= t < N: a decay from peak to end over N − W by ``shape``: cosine
    end + (peak − end)·½(1 + cos(π(t − W)/(N − W))) (the paper's), linear, 1-sqrt, square
    or exponential as in :class:`lrkit.wsd`; t >= N: end.
    """

    name = "rewarm"

    def __init__(self, steps: Any, warmup: Any, peak: float = 1.0, start: float = 0.0,
                 end: float = 0.0, shape: str = "cosine") -> None:
        steps = v.duration("steps", steps)
        w = v.duration("warmup", warmup, allow_zero=True)
        if _known(steps, w) and w >= steps:
            raise ValueError(f"warmup ({w}) must be < steps ({steps})")
        self._store(steps=steps, warmup=w, peak=v.real("peak", peak), start=v.real("start", start),
                    end=v.real("end", end), shape=v.choice("shape", shape, _DECAYS))
        self._finish()

    def _compose(self) -> Schedule:
        body = _decay(self.steps - self.warmup, self.peak, self.end, self.shape)
        return warmup(body, self.warmup, start=self.start)


@register
class infinite(_Composed):
    """The "infinite" schedule (Ibrahim et al. 2024, §7.2; Singh et al. 2025, "Beyond Cosine Decay"):
    warmup → cooldown → long constant → final anneal.

    With W = ``warmup``, C = ``cooldown``, A = ``anneal``, N = ``steps``, c = ``const``:
    t < W: peak·t/W; W <= t < W + C: c + (peak − c)·½(1 + cos(π(t − W)/C)) (cosine cooldown);
    W + C <= t < N − A: c; N − A <= t < N: c·(end/c)^((t − (N − A))/A) (exponential anneal,
    computed as end·(c/end)^(1 − q)); t >= N: end.  ``const`` and ``end`` must be > 0.
    A run that is still going (no anneal yet) is the same with a larger N: the values
    before N − A do not depend on N.
    """

    name = "infinite"

    def __init__(self, steps: Any, warmup: Any, cooldown: Any, anneal: Any, peak: float = 1.0,
                 const: float = 0.25, end: float = 0.01) -> None:
        steps = v.duration("steps", steps)
        w: Any = v.duration("warmup", warmup, allow_zero=True)
        c: Any = v.duration("cooldown", cooldown)
        a: Any = v.duration("anneal", anneal)
        const = v.real("const", const, low=0.0, low_open=True)
        end = v.real("end", end, low=0.0, low_open=True)
        if _known(steps, w, c, a) and w + c + a > steps:
            raise ValueError(f"warmup ({w}) + cooldown ({c}) + anneal ({a}) must be <= steps ({steps})")
        self._store(steps=steps, warmup=w, cooldown=c, anneal=a, peak=v.real("peak", peak),
                    const=const, end=end)
        self._finish()

    def _compose(self) -> Schedule:
        w, c, a, n = self.warmup, self.cooldown, self.anneal, self.steps
        head = warmup(cosine(c, start=self.peak, end=self.const), w)
        tail = wsd(a, 0, a, peak=self.const, end=self.end, shape="exponential")
        if w + c == n - a:
            return join([head, tail], [w + c])
        return join([head, constant(self.const), tail], [w + c, n - a])


@register
class wsds(_Composed):
    """Multi-period warmup-stable-decay, WSD-S (Wen et al. 2024, "Understanding Warmup-Stable-Decay
    Learning Rates: A River Valley Loss Landscape Perspective").

    ``periods`` = [T_1, ..., T_k], the units where each period ends (one checkpoint each);
    ``decay`` = D (one length for all, or one per period).  Period i runs on [T_(i−1), T_i)
    (T_0 = 0) at ``peak`` and decays over its last D_i units to ``end`` by ``shape`` (as in
    :class:`lrkit.wsd`); the next period goes on from the decayed model at ``peak`` again
    (no second warmup; the first period starts with ``warmup``).  t >= T_k: end.
    """

    name = "wsds"

    def __init__(self, periods: Sequence[Any], decay: Any, warmup: Any = 0, peak: float = 1.0,
                 end: float = 0.0, shape: str = "1-sqrt") -> None:
        ts = _durations("periods", periods)
        if not ts:
            raise ValueError("periods must hold at least one period end")
        if isinstance(decay, (list, tuple)):
            ds = _durations("decay", decay)
            if len(ds) != len(ts):
                raise ValueError(f"decay must be one length or one per period: got {len(ds)} "
                                 f"lengths for {len(ts)} periods")
            stored: Any = ds
        else:
            stored = v.duration("decay", decay)
            ds = [stored] * len(ts)
        w = v.duration("warmup", warmup, allow_zero=True)
        _increasing("periods", ts)
        if _known(w, *ts, *ds):
            starts = [0, *ts[:-1]]
            for i, (a, b, d) in enumerate(zip(starts, ts, ds)):
                if (w if i == 0 else 0) + d > b - a:
                    raise ValueError(f"period {i + 1} ({a}..{b}) is shorter than its "
                                     f"{'warmup + ' if i == 0 and w else ''}decay ({d})")
        self._store(periods=ts, decay=stored, warmup=w, peak=v.real("peak", peak),
                    end=v.real("end", end), shape=v.choice("shape", shape, _DECAYS))
        self._finish()

    def _compose(self) -> Schedule:
        ts = list(self.periods)
        ds = list(self.decay) if isinstance(self.decay, tuple) else [self.decay] * len(ts)
        starts = [0, *ts[:-1]]
        pieces = [wsd(b - a, self.warmup if i == 0 else 0, d, peak=self.peak, end=self.end,
                      shape=self.shape) for i, (a, b, d) in enumerate(zip(starts, ts, ds))]
        return pieces[0] if len(pieces) == 1 else join(pieces, ts[:-1])


@register
class constant_cooldown(_Composed):
    """Constant learning rate with a cooldown, DeepSeek-V3 style (DeepSeek-AI 2024, "DeepSeek-V3
    Technical Report", §4.2; the constant + cooldown of Hägele et al. 2024, "Scaling Laws and
    Compute-Optimal Training Beyond Fixed Training Durations").

    With W = ``warmup``, S = ``stable`` (where the cooldown starts), C = ``cooldown``:
    t < W: peak·t/W; W <= t < S: peak; S <= t < S + C: a decay from peak to end by ``shape``
    (cosine end + (peak − end)·½(1 + cos(π(t − S)/C)), DeepSeek-V3's; linear or 1-sqrt, Hägele
    et al.'s; square, exponential); then the constant stages of ``tail`` = [L_1, L_2, ...] at
    ``tail_values`` = [v_1, v_2, ...]: v_j from S + C + L_1 + ... + L_(j−1) on, and v_last held.
    Without a tail, end from S + C on.  DeepSeek-V3 (tokens): ``constant_cooldown(10e12, 4.3e12,
    warmup=W, peak=2.2e-4, end=2.2e-5, tail=[333e9, 167e9], tail_values=[2.2e-5, 7.3e-6])``
    (its warmup is 2K steps: W in tokens is those steps' tokens).
    """

    name = "constant_cooldown"

    def __init__(self, stable: Any, cooldown: Any, warmup: Any = 0, peak: float = 1.0,
                 end: float = 0.0, shape: str = "cosine", tail: Sequence[Any] = (),
                 tail_values: Sequence[float] = ()) -> None:
        s: Any = v.duration("stable", stable)
        c: Any = v.duration("cooldown", cooldown)
        w: Any = v.duration("warmup", warmup, allow_zero=True)
        if _known(s, w) and w > s:
            raise ValueError(f"warmup ({w}) must be <= stable ({s}), where the cooldown starts")
        ls = _durations("tail", tail)
        if isinstance(tail_values, (str, bytes)) or not isinstance(tail_values, (list, tuple)):
            raise TypeError(f"tail_values must be a list of values, got {tail_values!r}")
        vals = [v.real(f"tail_values[{i}]", x) for i, x in enumerate(tail_values)]
        if len(vals) != len(ls):
            raise ValueError(f"tail and tail_values must have the same length: got {len(ls)} "
                             f"durations and {len(vals)} values")
        self._store(stable=s, cooldown=c, warmup=w, peak=v.real("peak", peak), end=v.real("end", end),
                    shape=v.choice("shape", shape, _DECAYS), tail=ls, tail_values=vals)
        self._finish()

    def _compose(self) -> Schedule:
        s, c = self.stable, self.cooldown
        head = warmup(constant(self.peak), self.warmup)
        pieces: list[Schedule] = [head, _decay(c, self.peak, self.end, self.shape)]
        bounds = [s, s + c]
        at = s + c
        for j, value in enumerate(self.tail_values):
            pieces.append(constant(value))
            if j:  # stage j starts after the first j tail lengths
                at += self.tail[j - 1]
                bounds.append(at)
        return join(pieces, bounds[:len(pieces) - 1])
