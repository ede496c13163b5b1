"""Durations known only at fit time: a fraction of the run, or the rest of it.

``frac(0.05)`` (text form ``'5%'``) is 5% of the total number of optimizer
steps; ``'rest'`` is whatever is left of the enclosing span (for example the
last piece of a ``join``).  A schedule holding either is *unresolved* until
``schedule.resolve(total_steps)`` turns them into step counts, rounding
fractions to the nearest step (halves round up).
"""

from __future__ import annotations

import math
import numbers

TYPE_CHECKING = False  # typing is not imported at run time: `import lrkit` stays fast
if TYPE_CHECKING:
    from typing import Any


__all__ = ["Frac", "Rest", "frac", "REST", "as_duration"]


class Frac:
    """A fraction of the whole run, 0 < value <= 1."""

    __slots__ = ("value",)
    value: float

    def __init__(self, value: float) -> None:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"frac() takes a number in (0, 1], not {'None' if value is None else type(value).__name__}")
        v = float(value)
        if not (0.0 < v <= 1.0):
            raise ValueError(f"frac() value must be in (0, 1], got {value!r}")
        object.__setattr__(self, "value", v)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Frac is immutable")

    def __repr__(self) -> str:
        return f"frac({self.value!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Frac) and other.value == self.value

    def __hash__(self) -> int:
        return hash(("frac", self.value))

    def steps(self, total: int | float) -> int:
        """The number of steps this fraction is of ``total`` (nearest, halves up)."""
        return math.floor(self.value * total + 0.5)

    def to_text(self) -> str:
        """``'5%'`` when that reads back to the same float, else ``'frac(...)'``."""
        pct = repr(self.value * 100)
        if pct.endswith(".0"):
            pct = pct[:-2]
        if _percent(pct) == self.value:
            return pct + "%"
        return repr(self)


class Rest:
    """What is left of the enclosing span (a join piece, a warmup's body, the run)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "'rest'"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Rest)

    def __hash__(self) -> int:
        return hash("rest")


REST = Rest()


def frac(value: float) -> Frac:
    """A duration that is ``value`` (0 < value <= 1) of the whole run: ``frac(0.05)`` == ``'5%'``."""
    return Frac(value)


def _percent(text: str) -> float:
    """A decimal percentage ('12.5') as the float nearest to it divided by 100 (one rounding)."""
    whole, dot, frac_digits = text.partition(".")
    digits = whole + frac_digits
    if not digits or not digits.isdigit() or not digits.isascii() or len(digits) > 30:
        raise ValueError(text)
    return int(digits) / 10 ** (len(frac_digits) + 2)  # int / int is correctly rounded


def as_duration(name: str, value: Any) -> Any:
    """Turn ``'5%'``/``'rest'`` strings into Frac/Rest; anything else passes through."""
    if isinstance(value, str):
        s = value.strip()
        if s == "rest":
            return REST
        if s.endswith("%"):
            try:
                v = _percent(s[:-1].strip())
            except (ValueError, ZeroDivisionError):
                raise ValueError(f"{name}: cannot read {value!r} as a percentage") from None
            if not (0.0 < v <= 1.0):
                raise ValueError(f"{name} as a fraction of the run must be in (0%, 100%], got {value!r}")
            return Frac(v)
        raise ValueError(
            f"{name} must be a number of steps, a percentage such as '5%', or 'rest'; got {value!r}"
        )
    return value
