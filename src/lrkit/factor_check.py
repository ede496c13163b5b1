"""The relative/absolute check: a schedule handed to a Scheduler as a *factor* that holds lrs.

``Scheduler(opt, schedule)`` multiplies the schedule by each group's base value::

    value(group, t) = base(group) · schedule(t)

so ``cosine(100, start=0.1)`` on an optimizer built with ``lr=0.1`` gives 0.01, not 0.1.
With ``relative=None`` (the default: "a factor, checked") the Scheduler first looks at the
schedule's value at step 0 and its peak (:func:`start_and_peak`) against each group's base b:

* ``peak == b`` (to a relative 1e-9) and ``b != 1``: the schedule holds the absolute lr (a
  decay from the lr, or a warmup to it); :func:`check` raises ``ValueError`` with the lr it
  would give and the two fixes.  (Only the peak: a factor warmup may well *start* at the base,
  ``linear(10, start=0.1, end=1.0)`` at lr 0.1, as torch's ``LinearLR(start_factor=0.1)``.)
* ``0 < peak < SMALL_PEAK``: a factor that small is almost always an absolute lr: an
  :class:`AbsoluteLrWarning` naming both readings.

``relative=True`` (asserted by the caller) skips the check; ``relative=False`` is absolute.

The peak is estimated from a bounded sample (at most about ``2 · SAMPLE`` evaluations): every
step up to ``SAMPLE``, ``SAMPLE`` evenly spaced steps over the schedule's length, and the steps
its own arguments name (warmup lengths, boundaries, milestones, periods) and their neighbours,
where the extremes of the shapes lie.
"""

from __future__ import annotations

import math

from .schedule import Product, Schedule, Sum, format_value

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from typing import Any

__all__ = ["AbsoluteLrWarning", "check", "start_and_peak", "SMALL_PEAK", "SAMPLE", "REL_TOL"]

#: a factor whose peak is below this is almost always an absolute learning rate
SMALL_PEAK = 0.01
#: steps sampled densely from 0, and evenly over the run
SAMPLE = 512
#: "equals the base": to this relative tolerance
REL_TOL = 1e-9
#: the horizon sampled for a schedule that never settles (without a longer named step)
_OPEN_HORIZON = 100_000
#: argument names that hold values (not steps): divided by the base in the suggested factor form
_VALUE_ARGS = ("start", "end", "peak", "value", "low", "high", "values", "points")


class AbsoluteLrWarning(UserWarning):
    """A schedule given as a factor (relative) whose values look like absolute learning rates."""


def start_and_peak(schedule: Schedule) -> tuple[float, float] | None:
    """(value at step 0, the largest value found by the bounded sample), or None when the
    schedule cannot be evaluated outside a run (a plateau node, a failing custom function)."""
    try:
        fn = schedule._fn or schedule._build()
        v0 = float(fn(0))
    except Exception:  # noqa: BLE001 - the check never stands in the way of a schedule it cannot read
        return None
    peak = v0
    for t in _sample_steps(schedule):
        try:
            v = float(fn(t))
        except Exception:  # noqa: BLE001 - an overflow far out is not a peak to compare with
            continue
        if v > peak:
            peak = v
    return v0, peak


def _sample_steps(schedule: Schedule) -> Iterator[int | float]:
    try:
        d = schedule.duration
    except ValueError:
        d = None
    named = sorted({x for x in _numbers(schedule) if 0 < x <= 2**53})
    if d is None or not math.isfinite(d):
        horizon = max([_OPEN_HORIZON, *(2 * x for x in named if x <= 2**40)])
    else:
        horizon = d
    yield from range(1, int(min(horizon, SAMPLE)) + 1)
    if horizon > SAMPLE:
        for k in range(1, SAMPLE + 1):
            yield math.floor(horizon * k / SAMPLE)
    for x in named:
        if x <= horizon:
            yield x
            for n in (math.floor(x) - 1, math.floor(x), math.floor(x) + 1):
                if n >= 0:
                    yield n


def _numbers(value: Any, depth: int = 0) -> Iterator[float]:
    """The numbers among a schedule's arguments, recursively (candidate steps of its extremes)."""
    if depth > 64:
        return
    if isinstance(value, Schedule):
        for _, v in value._args:
            yield from _numbers(v, depth + 1)
    elif isinstance(value, (tuple, list)):
        for v in value[:1000]:
            yield from _numbers(v, depth + 1)
    elif isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        yield value


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= REL_TOL * max(abs(a), abs(b))


def check(schedules: Sequence[Schedule | None], bases: Sequence[float], texts: Sequence[str | None],
          param: str) -> None:
    """Raise or warn (see the module docstring) for group i's schedule ``schedules[i]``
    and base ``bases[i]``; ``texts[i]`` is the schedule as the caller wrote it."""
    seen: dict[int, tuple[float, float] | None] = {}
    warned = False
    for i, (s, base) in enumerate(zip(schedules, bases, strict=True)):
        if s is None:
            continue
        key = id(s)
        if key not in seen:
            seen[key] = start_and_peak(s)
        found = seen[key]
        if found is None:
            continue
        v0, peak = found
        text = texts[i] if texts[i] is not None else repr(s)
        where = f"param_groups[{i}][{param!r}]"
        if base != 1.0 and base != 0.0 and _close(peak, base):
            at = "at step 0 and at its peak" if _close(v0, base) else "at its peak"
            factor = _factor_form(s, base)
            raise ValueError(
                f"the schedule {text!r} holds absolute {param} values: {at} it is {format_value(base)}, "
                f"the optimizer's {where}, and as a factor (relative, the default) it would give "
                f"{param} = {format_value(base)} × {format_value(base)} = {base * base:.6g} instead of "
                f"{format_value(base)}. Either pass relative=False (the schedule is the {param} itself), "
                f"or write it as a factor of the base {param}"
                + (f": {factor}" if factor else " (its values divided by the base)")
                + ". (relative=True multiplies anyway.)")
        if param == "lr" and 0.0 < peak < SMALL_PEAK and not warned:
            import warnings

            warned = True
            warnings.warn(
                f"the schedule {text!r} peaks at {peak:.6g}, a very small factor: with the default "
                f"relative=None it multiplies the optimizer's lr ({where} = {format_value(base)}), "
                f"giving at most {base * peak:.6g}. If {peak:.6g} is the lr itself, pass "
                "relative=False; if the small factor is meant, pass relative=True to silence this.",
                AbsoluteLrWarning, stacklevel=4)


def _factor_form(s: Schedule, base: float) -> str | None:
    """``s`` with its value arguments divided by ``base`` (a suggestion, to rounding), or None."""
    try:
        return repr(_divided(s, base))
    except Exception:  # noqa: BLE001 - only a hint in a message
        return None


def _divided(value: Any, base: float, name: str = "") -> Any:
    if isinstance(value, (Product, Sum)):
        items = value.factors if isinstance(value, Product) else value.terms
        if isinstance(value, Product):  # one factor carries the base: divide the first schedule
            out, done = [], False
            for f in items:
                if not done and isinstance(f, Schedule):
                    out.append(_divided(f, base))
                    done = True
                else:
                    out.append(f)
            return Product(out)
        return Sum([_divided(f, base, "value") for f in items])
    if isinstance(value, Schedule):
        kwargs = {n: _divided(v, base, n) for n, v in value._args}
        return type(value)(**{n: list(v) if isinstance(v, tuple) else v for n, v in kwargs.items()})
    if name in _VALUE_ARGS or name == "value":
        if isinstance(value, tuple):
            if name == "points":
                return tuple((p[0], p[1] / base) if isinstance(p, tuple) else p for p in value)
            return tuple(_divided(v, base, name) for v in value)
        if isinstance(value, float) or (isinstance(value, int) and not isinstance(value, bool)):
            return value / base
    return value
