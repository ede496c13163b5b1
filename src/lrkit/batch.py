"""Batch-size ramps, and scaling the learning rate with the batch size.

Large runs grow the batch size in stages (Megatron's ``--rampup-batch-size``,
GPT-3's ramp over the first tokens) and scale the lr with it.  The batch size is
itself a schedule on the same clock as the lr (steps, tokens or samples: see
``lrkit.Scheduler(unit=...)``), so both stay pure functions of the position and
a resume inside a stage is exact:

    scale_by_batch(s, batch, reference, rule)(t) = s(t) · (batch(t) / reference)^p

with p = ½ (``rule="sqrt"``, the square-root rule for Adam-type optimizers) or
p = 1 (``rule="linear"``, the linear scaling rule for SGD).
"""

from __future__ import annotations

import math

from . import _validate as v
from .schedule import Schedule, register
from .shapes import constant, piecewise

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["scale_by_batch", "batch_ramp", "batch_curves"]

_RULES = {"sqrt": 0.5, "linear": 1.0}


@register
class scale_by_batch(Schedule):
    """value(t) = schedule(t) · (batch(t) / reference)^p, p = ½ (``sqrt``) or 1 (``linear``).

    ``batch`` is the batch size as a schedule of the same clock (e.g. ``piecewise``
    stages or :func:`batch_ramp`) or a number; ``reference`` is the batch size the
    schedule's values were tuned for.
    """

    name = "scale_by_batch"

    def __init__(self, schedule: Schedule, batch: Any, reference: float, rule: str = "sqrt") -> None:
        if not isinstance(schedule, Schedule):
            raise TypeError(f"schedule must be a Schedule, got {type(schedule).__name__}")
        if not isinstance(batch, Schedule):
            batch = constant(v.real("batch", batch, low=0.0, low_open=True))
        reference = v.real("reference", reference, low=0.0, low_open=True)
        rule = v.choice("rule", rule, tuple(_RULES))
        bound_s, bound_b = schedule._bound(), batch._bound()
        if bound_s is not None and bound_b is not None:
            top = bound_s * (bound_b / reference) ** _RULES[rule]
            if not math.isfinite(top):
                raise ValueError(f"scale_by_batch: {schedule!r} times ({batch!r} / {reference!r})^"
                                 f"{_RULES[rule]} overflows float64")
        self._store(schedule=schedule, batch=batch, reference=reference, rule=rule)
        # not bounded at construction: evaluation checks that the product stays finite
        object.__setattr__(self, "_unbounded", bound_s is None or bound_b is None)

    def _eval(self, t: Any, m: Any) -> Any:
        ratio = self.batch._eval(t, m) / self.reference
        value = self.schedule._eval(t, m) * (m.sqrt(ratio) if self.rule == "sqrt" else ratio)
        if self._unbounded:
            value = m.require_finite(value, self._overflow)
        return value

    def _overflow(self) -> str:
        return f"{self!r} overflows float64"

    def _duration(self) -> Any:
        ds = [d for d in (self.schedule._duration(), self.batch._duration()) if d is not None]
        return max(ds) if ds else None

    def _bound(self) -> Any:
        bs, bb = self.schedule._bound(), self.batch._bound()
        if bs is None or bb is None:
            return None
        return bs * (bb / self.reference) ** _RULES[self.rule]


def batch_ramp(start: int, increment: int, final: int, over: Any) -> Schedule:
    """Megatron's batch-size ramp-up: from ``start``, ``increment`` more every
    over/((final − start)/increment) units, up to ``final`` after ``over`` units
    (samples, tokens or steps: the clock of the run).  A ``piecewise`` schedule:

        batch(t) = min(start + increment·⌊t / u⌋, final),  u = over·increment/(final − start)

    exactly (Megatron's float division can put the step at a stage's exact start one stage late).
    """
    start = v.integer("start", start, low=1)
    increment = v.integer("increment", increment, low=1)
    final = v.integer("final", final, low=start)
    over = v.duration("over", over)
    if (final - start) % increment:
        raise ValueError(f"final − start ({final - start}) must be a multiple of increment ({increment}), "
                         "as in Megatron's --rampup-batch-size")
    stages = (final - start) // increment
    if stages == 0:
        return constant(float(start))
    if stages > 10_000:
        raise ValueError(f"a ramp of {stages} stages is too fine: at most 10,000 (use a larger increment)")
    # stage k starts at k·over/stages, rounded once (an integer step is never misplaced)
    return piecewise([over * k // stages if (over * k) % stages == 0 else over * k / stages
                      for k in range(1, stages + 1)],
                     [float(start + increment * k) for k in range(stages + 1)])


def batch_curves(schedule: Schedule) -> list[Schedule]:
    """The batch-size schedules of every :class:`scale_by_batch` inside ``schedule`` (in text
    order, each once): what ``lrkit describe`` and ``lrkit plot`` show next to the lr."""
    found: list[Schedule] = []

    def walk(x: Any) -> None:
        if isinstance(x, scale_by_batch) and x.batch not in found:
            found.append(x.batch)
        if isinstance(x, Schedule):
            for _, value in x._args:
                walk(value)
        elif isinstance(x, tuple):
            for item in x:
                walk(item)

    walk(schedule)
    return found
