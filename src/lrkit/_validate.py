"""Argument checks shared by every constructor.

Each check names the argument and the allowed range, so a bad config fails
at construction with a ``ValueError``/``TypeError`` instead of a
ZeroDivisionError or a silent NaN much later.
"""

from __future__ import annotations

import math
import numbers

from .durations import Frac, Rest, as_duration

TYPE_CHECKING = False  # typing is not imported at run time: `import lrkit` stays fast
if TYPE_CHECKING:
    from typing import Any

#: the longest duration (and largest run length) accepted, in steps: 2**53, where float64 stops
#: counting every step exactly.  Every duration then has one value on the scalar and the array
#: paths, and its text form reads back.
MAX_STEPS = 2**53
#: longest text ``parse`` accepts, in characters
MAX_TEXT = 20_000
#: deepest nesting of calls, lists and operators ``parse``/``from_config`` accept
MAX_DEPTH = 48


def shown(value: Any) -> str:
    """A value as error messages show it: ``None``, or its type and repr (``str ('0.1')``)."""
    return "None" if value is None else f"{type(value).__name__} ({value!r})"


def _float(name: str, value: Any) -> float:
    """float(value), with an integer too large for a float as a ValueError naming ``name``."""
    try:
        return float(value)
    except OverflowError:
        raise ValueError(f"{name} must be a finite number (within ±1.8e308), got an integer of "
                         f"{len(str(abs(int(value))))} digits") from None

def real(name: str, value: Any, *, low: float | None = None, high: float | None = None,
         low_open: bool = False, high_open: bool = False) -> float:
    """A finite real number within [low, high] (bounds optional, optionally open)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, not {shown(value)}")
    v = _float(name, value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if low is not None and (v < low or (low_open and v == low)):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low}, got {value!r}")
    if high is not None and (v > high or (high_open and v == high)):
        raise ValueError(f"{name} must be {'<' if high_open else '<='} {high}, got {value!r}")
    return v


def integer(name: str, value: Any, *, low: int | None = None, high: int | None = None) -> int:
    """An int (or integral float) >= low."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be an integer, not {shown(value)}")
    if isinstance(value, numbers.Integral):
        v = int(value)
    else:
        f = float(value)
        if not math.isfinite(f) or f != int(f):
            raise ValueError(f"{name} must be an integer, got {value!r}")
        v = int(f)
    if low is not None and v < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    if high is not None and v > high:
        raise ValueError(f"{name} must be an integer <= {high}, got {_short_int(value)}")
    return v


def _short_int(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 30 else f"an integer of {len(text)} digits"


def difference(name: str, a: float, b: float) -> float:
    """b − a for two validated finite values, refused when it overflows float64 (both near ±1.8e308):
    ``name`` says which arguments, e.g. ``"end − start"``."""
    d = b - a
    if not math.isfinite(d):
        raise ValueError(f"{name} must be finite (within ±1.8e308), got {b!r} − {a!r}")
    return d


#: the shortest non-zero duration: steps / duration stays finite up to 2**53
MIN_STEPS = 2.0**-20


def duration(name: str, value: Any, *, allow_zero: bool = False) -> int | float | Frac | Rest:
    """A positive number of steps, or a fraction of the run (``'5%'``, ``frac(0.05)``, ``'rest'``)."""
    d = as_duration(name, value)
    if isinstance(d, (Frac, Rest)):
        return d
    if isinstance(d, bool) or not isinstance(d, numbers.Real):
        raise TypeError(
            f"{name} must be a number of steps, a fraction of the run such as '5%', or 'rest'; "
            f"got {shown(value)}"
        )
    f = _float(name, d)
    if not math.isfinite(f):
        raise ValueError(f"{name} must be a finite number of steps, got {value!r}")
    if f < 0 or (f == 0 and not allow_zero):
        raise ValueError(f"{name} must be a number of steps {'>= 0' if allow_zero else '> 0'}, got {value!r}")
    if (d if isinstance(d, int) else f) > MAX_STEPS:
        raise ValueError(f"{name} must be at most 2**53 = {MAX_STEPS} steps, got {value!r}")
    if 0 < f < MIN_STEPS:  # t / duration must stay finite for every step up to 2**53
        raise ValueError(f"{name} must be at least 2**-20 steps (or 0 where allowed), got {value!r}")
    if isinstance(d, numbers.Integral) or f == int(f):
        return int(f)
    return f


def choice(name: str, value: Any, options: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {', '.join(repr(o) for o in options)}; got {value!r}")
    return value


def boolean(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return value
