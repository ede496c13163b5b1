"""The distributions a search space may hold in place of a number (or of a whole value).

- ``uniform(low, high)``: a float x with low <= x <= high, density 1/(high − low);
- ``loguniform(low, high)``: x = exp(u), u uniform in [ln low, ln high] (0 < low < high);
- ``randint(low, high)``: an integer with low <= x <= high, both ends included (as Optuna's
  ``suggest_int`` and Python's ``random.randint``);
- ``choice(a, b, ...)``: one of the options, each with probability 1/n; an option may be a
  number, a string or a whole schedule template (with distributions of its own).

Each may be given ``name="..."`` to override the parameter name derived from its place.
Draws use a ``random.Random`` only (no NumPy): the same seed gives the same draw.
"""

from __future__ import annotations

import math
import numbers

TYPE_CHECKING = False
if TYPE_CHECKING:
    import random
    from typing import Any

__all__ = ["Distribution", "Uniform", "LogUniform", "RandInt", "Choice", "KINDS", "MAX_OPTIONS"]

#: most options one choice may hold
MAX_OPTIONS = 1000


def _finite(kind: str, what: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{kind}: {what} must be a number, got {value!r}")
    x = float(value)
    if not math.isfinite(x):
        raise ValueError(f"{kind}: {what} must be finite, got {value!r}")
    return x


def _name(kind: str, name: Any) -> str | None:
    if name is None:
        return None
    if not isinstance(name, str) or not name or len(name) > 200 or not name.isprintable() or "=" in name:
        raise ValueError(f"{kind}: name must be a non-empty printable string without '=', got {name!r}")
    return name


class Distribution:
    """A distribution over one parameter's values; ``name`` overrides the derived name."""

    kind = ""
    name: str | None

    def draw(self, rng: random.Random) -> Any:
        raise NotImplementedError

    def contains(self, value: Any) -> bool:
        raise NotImplementedError

    def text(self) -> str:
        """Its text form, e.g. ``uniform(0.0, 0.1)`` (a choice's is written by its space,
        which knows its options' templates)."""
        raise NotImplementedError

    def _named(self, body: str) -> str:
        return f"{self.kind}({body}{'' if self.name is None else f', name={self.name!r}'})"


class Uniform(Distribution):
    """``uniform(low, high)``: a float in [low, high], density 1/(high − low)."""

    kind = "uniform"

    def __init__(self, low: Any, high: Any, *, name: Any = None) -> None:
        self.low = _finite(self.kind, "low", low)
        self.high = _finite(self.kind, "high", high)
        if not self.low < self.high:
            raise ValueError(f"{self.kind}: low must be < high, got low={low!r}, high={high!r}")
        self.name = _name(self.kind, name)

    def draw(self, rng: random.Random) -> float:
        return rng.uniform(self.low, self.high)

    def contains(self, value: Any) -> bool:
        return (not isinstance(value, bool) and isinstance(value, numbers.Real)
                and self.low <= float(value) <= self.high)

    def text(self) -> str:
        return self._named(f"{self.low!r}, {self.high!r}")


class LogUniform(Uniform):
    """``loguniform(low, high)``: x = exp(u), u uniform in [ln low, ln high], 0 < low < high."""

    kind = "loguniform"

    def __init__(self, low: Any, high: Any, *, name: Any = None) -> None:
        super().__init__(low, high, name=name)
        if self.low <= 0:
            raise ValueError(f"{self.kind}: low must be > 0, got {low!r}")

    def draw(self, rng: random.Random) -> float:
        x = math.exp(rng.uniform(math.log(self.low), math.log(self.high)))
        return min(max(x, self.low), self.high)  # exp(log(x)) may miss an end by an ulp


class RandInt(Distribution):
    """``randint(low, high)``: an integer in [low, high], both ends included, each 1/(high − low + 1)."""

    kind = "randint"

    def __init__(self, low: Any, high: Any, *, name: Any = None) -> None:
        for what, v in (("low", low), ("high", high)):
            if isinstance(v, bool) or not isinstance(v, numbers.Integral):
                raise TypeError(f"randint: {what} must be an integer, got {v!r}")
            if abs(int(v)) > 2**53:
                raise ValueError(f"randint: {what} must be within ±2**53, got {v!r}")
        self.low, self.high = int(low), int(high)
        if not self.low <= self.high:
            raise ValueError(f"randint: low must be <= high, got low={low!r}, high={high!r}")
        self.name = _name(self.kind, name)

    def draw(self, rng: random.Random) -> int:
        return rng.randint(self.low, self.high)

    def contains(self, value: Any) -> bool:
        return (not isinstance(value, bool) and isinstance(value, numbers.Integral)
                and self.low <= int(value) <= self.high)

    def text(self) -> str:
        return self._named(f"{self.low}, {self.high}")


class Choice(Distribution):
    """``choice(a, b, ...)``: one option, each with probability 1/n.

    ``options`` are the space's template nodes; ``labels`` name them (a number, bool, None or
    string option is its own label, a schedule option its template text) and are the values a
    sampler sees (Optuna categorical, Ray ``tune.choice``, W&B ``values``)."""

    kind = "choice"

    def __init__(self, options: list[Any], labels: list[Any], *, name: Any = None) -> None:
        if not options:
            raise ValueError("choice: needs at least one option")
        if len(options) > MAX_OPTIONS:
            raise ValueError(f"choice: at most {MAX_OPTIONS} options, got {len(options)}")
        keys = [_key(x) for x in labels]
        dup = next((lab for k, lab in zip(keys, labels, strict=True) if keys.count(k) > 1), None)
        if dup is not None:
            raise ValueError(f"choice: the option {dup!r} is given twice")
        self.options, self.labels = list(options), list(labels)
        self.name = _name(self.kind, name)

    def index(self, label: Any) -> int:
        """The option a label (or a value equal to it) names; ValueError if none."""
        key = _key(label)
        for i, lab in enumerate(self.labels):
            if _key(lab) == key:
                return i
        raise ValueError(f"is not one of the options {self.labels!r}")

    def draw(self, rng: random.Random) -> Any:
        return self.labels[rng.randrange(len(self.labels))]

    def contains(self, value: Any) -> bool:
        try:
            self.index(value)
        except ValueError:
            return False
        return True

def _key(label: Any) -> tuple[str, Any]:
    """Labels compared by kind and value: 1 and 1.0 name the same number, True is not 1."""
    if isinstance(label, bool) or label is None:
        return ("const", label)
    if isinstance(label, numbers.Real):
        return ("number", float(label))
    return (type(label).__name__, label)


KINDS = {"uniform": Uniform, "loguniform": LogUniform, "randint": RandInt, "choice": Choice}
