"""The Schedule base class: a pure, immutable function of the optimizer step.

A schedule is evaluated by calling it: ``s(step)``.

* ``int``/``float`` -> ``float`` (float64, closed form);
* NumPy array -> NumPy array; JAX array or tracer -> JAX array (traceable under
  ``jax.jit``, no Python branching on values); torch tensor -> tensor on the
  same device (no host synchronisation).

Every schedule has a canonical text form (``repr``), which :func:`lrkit.parse`
reads back, and a JSON-able config (:meth:`Schedule.to_config`), which
:func:`lrkit.from_config` reads back.  Equality and hashing are by value.

Subclasses declare their constructor arguments by calling ``self._store(...)``
and implement ``_eval(t, m)``, where ``t`` is a validated non-negative step
(a number or a float array) and ``m`` the math namespace for it (see ``_ops``).
"""

from __future__ import annotations

import math
import numbers

from ._ops import SCALAR, prepare_steps
from ._validate import MAX_STEPS as _MAX_STEPS
from ._validate import real as _real
from .durations import Frac, Rest

TYPE_CHECKING = False  # typing is not imported at run time: `import lrkit` stays fast
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any, ClassVar


__all__ = ["Schedule", "Product", "Sum", "REGISTRY", "register", "negated", "REQUIRED"]

#: name -> Schedule subclass, for the text form and configs.  Only what is in
#: here can be built by ``parse`` or ``from_config``.
REGISTRY: dict[str, type[Schedule]] = {}

class _Required:
    """Marks a constructor parameter without a default."""

    def __repr__(self) -> str:
        return "<required>"


_EMPTY = _Required()
#: the default recorded in ``Schedule._signature`` for a parameter that has none
REQUIRED = _EMPTY


def register(cls: type[Schedule]) -> type[Schedule]:
    """Class decorator: make ``cls`` buildable from text and configs under ``cls.name``."""
    REGISTRY[cls.name] = cls
    return cls


class Schedule:
    """Base class of every lrkit schedule (see the module docstring)."""

    #: the name used by the text and config forms
    name: ClassVar[str] = "schedule"
    #: constructor parameters in order: (name, default or _EMPTY when required)
    _signature: ClassVar[tuple[tuple[str, Any], ...]] = ()

    _args: tuple[tuple[str, Any], ...]
    _fn: Callable[[Any], float] | None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is not None:  # read the signature off the code object (no `inspect` import)
            code = init.__code__
            n_pos = code.co_argcount - 1  # without self
            names = code.co_varnames[1:1 + n_pos + code.co_kwonlyargcount]
            given = list(init.__defaults__ or ())
            kwdefaults = init.__kwdefaults__ or {}
            defaults = [_EMPTY] * (n_pos - len(given)) + given
            defaults += [kwdefaults.get(n, _EMPTY) for n in names[n_pos:]]
            cls._signature = tuple(zip(names, defaults))

    # -- construction ---------------------------------------------------------
    def _store(self, **kwargs: Any) -> None:
        """Record the (validated, normalised) constructor arguments, in signature order."""
        names = [n for n, _ in self._signature]
        args = tuple((n, _freeze(kwargs[n])) for n in names)
        object.__setattr__(self, "_args", args)
        for n, v in args:
            # an argument named like a Schedule method (piecewise's `values`) lives at `_values`
            object.__setattr__(self, "_" + n if hasattr(Schedule, n) else n, v)
        object.__setattr__(self, "_fn", None)
        object.__setattr__(self, "_hash", None)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; build a new schedule instead")

    if TYPE_CHECKING:  # constructor arguments become attributes through _store()
        def __getattr__(self, name: str) -> Any: ...

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __reduce__(self) -> Any:
        return (_rebuild, (type(self), self._args))

    # -- evaluation -----------------------------------------------------------
    def __call__(self, step: Any) -> Any:
        """The value at ``step`` (see the module docstring for the accepted types)."""
        tp = type(step)
        if tp is int or tp is float:
            if step >= 0 and step != 1e999:  # False for NaN and inf (1e999 is the constant inf)
                fn = self._fn or self._build()
                try:
                    return fn(step)
                except OverflowError:  # free until raised: no cost on the way through
                    _overflow(self, step)
            _bad_step(step)
        if isinstance(step, numbers.Real) and not isinstance(step, bool):
            # numpy/other scalar types: treat as a Python number
            value = float(step) if not isinstance(step, numbers.Integral) else int(step)
            return self(value)
        if isinstance(step, bool):
            raise TypeError("step must be an int, a float or an array, not bool")
        t, ops = prepare_steps(step)
        self._require_resolved()
        return self._eval(t, ops)

    def _build(self) -> Callable[[Any], float]:
        self._require_resolved()
        fn = self._compile()
        object.__setattr__(self, "_fn", fn)
        return fn

    def _compile(self) -> Callable[[Any], float]:
        """The scalar function of a validated Python step, derived from the one formula
        ``_eval``: traced once into straight-line Python (``_derive``), or, where the formula
        cannot be traced, ``_eval`` itself with the scalar namespace bound.  Never a second
        formula.  (Cached on self, it may hold self: a reference cycle among immutable
        schedules, freed by the cycle collector.)"""
        from ._derive import derive

        derived = derive(self)
        if derived is not None:
            return derived
        ev = self._eval

        def fn(t: Any, m: Any = SCALAR) -> Any:
            return ev(t, m)

        return fn

    def _eval(self, t: Any, m: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def _affine(self) -> tuple[float | None, float, Schedule] | None:
        """``(offset, scale, unit)`` when value(t) is computed as offset + scale·unit(t)
        (or scale·unit(t) when offset is None) with exactly the same arithmetic, else None.

        Lets a Scheduler evaluate ``unit`` once per step for groups whose schedules
        differ only by such constants (torch's per-group base learning rates).
        """
        return None

    def values(self, n: int, start: int = 0) -> list[float]:
        """The values at steps ``start, start + 1, ..., start + n - 1``."""
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
            raise ValueError(f"n must be an integer >= 0, got {n!r}")
        if isinstance(start, bool) or not isinstance(start, numbers.Integral) or start < 0:
            raise ValueError(f"start must be an integer >= 0, got {start!r}")
        fn = self._fn or self._build()
        return [fn(i) for i in range(int(start), int(start) + int(n))]

    # -- durations known at fit time -----------------------------------------
    @property
    def resolved(self) -> bool:
        """False while a duration is a fraction of the run or 'rest'."""
        return all(_is_resolved(v) for _, v in self._args)

    def _require_resolved(self) -> None:
        if not self.resolved:
            raise ValueError(
                f"{self!r} is unresolved: it has durations given as fractions of the run "
                "('5%', frac(...)) or 'rest'. Call .resolve(total_steps) first."
            )

    def resolve(self, total_steps: int) -> Schedule:
        """A concrete copy, with fractions of the run and 'rest' turned into step counts."""
        if isinstance(total_steps, bool) or not isinstance(total_steps, numbers.Integral):
            raise TypeError(f"total_steps must be an int, got {total_steps!r}")
        if total_steps <= 0 or total_steps > _MAX_STEPS:
            raise ValueError(f"total_steps must be in 1..2**53 = {_MAX_STEPS}, got "
                             f"{total_steps if total_steps < 10**30 else f'{float(total_steps):g}'}")
        if self.resolved:
            return self
        return self._resolve(int(total_steps), int(total_steps))

    def _resolve(self, total: int, span: float) -> Schedule:
        """Resolve with ``total`` (the whole run) and ``span`` (what 'rest' means here)."""
        spans = self._child_spans(total, span)
        kwargs = {n: _resolve_value(v, total, span, spans.get(n, span)) for n, v in self._args}
        try:
            return _rebuild(type(self), tuple(kwargs.items()))
        except ValueError as e:
            raise ValueError(f"resolving {self!r} for total_steps={total}: {e}") from None

    def _child_spans(self, total: int, span: float) -> dict[str, Any]:
        """The span each child schedule argument sees; by default the same as ours."""
        return {}

    def _bound(self) -> float | None:
        """An upper bound of |value| over all steps, where one is known without evaluating
        (None: unknown or unbounded).  Products and sums refuse, at construction, operands
        whose bounds already overflow float64 together."""
        return None

    @property
    def duration(self) -> int | float | None:
        """Steps until the schedule holds its final value (None: it never settles)."""
        self._require_resolved()
        return self._duration()

    def _duration(self) -> int | float | None:
        return None

    # -- value semantics ------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if type(other) is not type(self):
            return NotImplemented
        return self._args == other._args

    def __hash__(self) -> int:
        h = self._hash
        if h is None:
            h = hash((type(self).__name__, self._args))
            object.__setattr__(self, "_hash", h)
        return h

    def __repr__(self) -> str:
        parts = []
        positional = True
        for name, default in self._signature:
            value = dict(self._args)[name]
            if default is _EMPTY and positional:
                parts.append(format_value(value))
            elif default is _EMPTY or not _same(value, default):
                positional = False
                parts.append(f"{name}={format_value(value)}")
            else:
                positional = False
        return f"{type(self).name}({', '.join(parts)})"

    __str__ = __repr__

    def to_config(self) -> dict[str, Any]:
        """A plain JSON-able dict; :func:`lrkit.from_config` reads it back."""
        cfg: dict[str, Any] = {"type": type(self).name}
        for name, default in self._signature:
            value = dict(self._args)[name]
            if default is _EMPTY or not _same(value, default):
                cfg[name] = config_value(value)
        return cfg

    # -- operators ------------------------------------------------------------
    def __mul__(self, other: Any) -> Schedule:
        if isinstance(other, Schedule) or _is_number(other):
            return Product([self, other])
        return NotImplemented

    def __rmul__(self, other: Any) -> Schedule:
        if _is_number(other):
            return Product([other, self])
        return NotImplemented

    def __add__(self, other: Any) -> Schedule:
        if isinstance(other, Schedule) or _is_number(other):
            return Sum([self, other])
        return NotImplemented

    def __radd__(self, other: Any) -> Schedule:
        if _is_number(other):
            return Sum([other, self])
        return NotImplemented

    def __neg__(self) -> Schedule:
        return negated(self)

    def __sub__(self, other: Any) -> Schedule:
        if isinstance(other, Schedule) or _is_number(other):
            return Sum([self, negated(other)])
        return NotImplemented

    def __rsub__(self, other: Any) -> Schedule:
        if _is_number(other):
            return Sum([other, negated(self)])
        return NotImplemented

    # -- looking at it --------------------------------------------------------
    def plot(self, ax: Any = None, steps: int | None = None, **kwargs: Any) -> Any:
        """Plot with matplotlib (``pip install lrkit[plot]``); returns the Axes."""
        from .plot import plot_schedule

        return plot_schedule(self, ax=ax, steps=steps, **kwargs)


def _is_number(x: Any) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _bad_step(step: Any) -> None:
    if isinstance(step, float) and not math.isfinite(step):
        raise ValueError(f"step must be a finite number >= 0, got {step!r}")
    raise ValueError(f"step must be >= 0, got {step!r}")


def _overflow(schedule: Schedule, step: Any) -> None:
    text = repr(step) if not isinstance(step, int) or step < 10**30 else f"(an integer of {len(str(step))} digits)"
    raise ValueError(f"{schedule!r} cannot be evaluated at step {text}: the value or a step "
                     "count overflows float64 (steps must be finite floats)") from None


def _freeze(v: Any) -> Any:
    if isinstance(v, (list, tuple)):
        return tuple(_freeze(x) for x in v)
    return v


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b or (
        _is_number(a) and _is_number(b) and a == b and not isinstance(a, Schedule)
    )


def _is_resolved(v: Any) -> bool:
    if isinstance(v, (Frac, Rest)):
        return False
    if isinstance(v, Schedule):
        return v.resolved
    if isinstance(v, tuple):
        return all(_is_resolved(x) for x in v)
    return True


def _resolve_value(v: Any, total: int, span: float, child_span: Any) -> Any:
    if isinstance(v, Frac):
        return v.steps(total)
    if isinstance(v, Rest):
        return span
    if isinstance(v, Schedule):
        return v if v.resolved else v._resolve(total, child_span)
    if isinstance(v, tuple):
        if isinstance(child_span, tuple):  # one span per element (join pieces)
            return tuple(_resolve_value(x, total, span, s) for x, s in zip(v, child_span))
        return tuple(_resolve_value(x, total, span, child_span) for x in v)
    return v


def _rebuild(cls: type[Schedule], args: tuple[tuple[str, Any], ...]) -> Schedule:
    return cls(**{k: (list(v) if isinstance(v, tuple) else v) for k, v in args})


def format_value(v: Any) -> str:
    """The canonical text of one argument value."""
    if isinstance(v, bool) or v is None:
        return repr(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, tuple):
        return "[" + ", ".join(format_value(x) for x in v) + "]"
    return repr(v)


def config_value(v: Any) -> Any:
    """The JSON-able form of one argument value."""
    if isinstance(v, Schedule):
        return v.to_config()
    if isinstance(v, tuple):
        return [config_value(x) for x in v]
    if isinstance(v, Frac):
        text = v.to_text()
        return text if text.endswith("%") else {"frac": v.value}
    if isinstance(v, Rest):
        return "rest"
    return v


def _operands(cls: type[Schedule], items: Any, arg: str, noun: str, kind: str) -> list[Any]:
    """The operands of a product or sum, validated, with nested ones of the same ``cls`` flattened."""
    if isinstance(items, (str, bytes)) or not isinstance(items, (list, tuple)):
        raise TypeError(f"{arg} must be a list of schedules and numbers")
    flat: list[Any] = []
    for f in items:
        if isinstance(f, cls):
            flat.extend(dict(f._args)[arg])
        elif isinstance(f, Schedule):
            flat.append(f)
        elif _is_number(f):
            flat.append(_real(f"a {noun} of a {kind}", f))
        else:
            raise TypeError(f"{arg} must be schedules or numbers, not {type(f).__name__}")
    if len(flat) < 2:
        raise ValueError(f"a {kind} needs at least two {arg}")
    if not any(isinstance(f, Schedule) for f in flat):
        raise ValueError(f"a {kind} needs at least one schedule among its {arg}")
    bounds = [abs(f) if isinstance(f, float) else f._bound() for f in flat]
    known = [b for b in bounds if b is not None]
    total = 1.0 if cls is Product else 0.0
    for b in known if cls is Product or len(known) == len(bounds) else ():
        total = total * b if cls is Product else total + b
    if not math.isfinite(total) and (cls is Product or len(known) == len(bounds)):
        raise ValueError(f"the {kind} of {', '.join(format_value(f) for f in flat)} can reach "
                         f"{'±inf'}: its {arg} overflow float64 together")
    return flat


def _longest(operands: tuple[Any, ...]) -> int | float | None:
    """The longest duration among the schedules of a product or sum (None if none settles)."""
    known = [d for f in operands if isinstance(f, Schedule) and (d := f._duration()) is not None]
    return max(known) if known else None


@register
class Product(Schedule):
    """The pointwise product of schedules and numbers: ``a * b``, ``0.5 * a``.

    value(t) = Π factor(t), numbers acting as constants.  Written ``a * b * 2.0``.
    """

    name = "product"

    def __init__(self, factors: Sequence[Schedule | float]) -> None:
        flat = _operands(Product, factors, "factors", "factor", "product")
        self._store(factors=flat)

    factors: tuple[Any, ...]

    def _eval(self, t: Any, m: Any) -> Any:
        out: Any = None  # the first value itself: no 1.0· in front (the same bits either way)
        for f in self.factors:
            x = f._eval(t, m) if isinstance(f, Schedule) else f
            out = x if out is None else out * x
        return out

    def _duration(self) -> int | float | None:
        return _longest(self.factors)

    def _bound(self) -> float | None:
        bounds = [abs(f) if isinstance(f, float) else f._bound() for f in self.factors]
        return None if None in bounds else math.prod(b for b in bounds if b is not None)

    def __repr__(self) -> str:
        return " * ".join(f"({f!r})" if isinstance(f, Sum) else format_value(f) for f in self.factors)


@register
class Sum(Schedule):
    """The pointwise sum of schedules and numbers: ``a + b``, ``0.1 + 0.9 * a``.

    value(t) = Σ term(t), numbers acting as constants.  Written ``a + b + 0.1``.
    """

    name = "sum"

    def __init__(self, terms: Sequence[Schedule | float]) -> None:
        flat = _operands(Sum, terms, "terms", "term", "sum")
        self._store(terms=flat)

    terms: tuple[Any, ...]

    def _eval(self, t: Any, m: Any) -> Any:
        out: Any = None  # the first value itself: 0.0 + (−0.0) would lose the sign of zero
        for f in self.terms:
            x = f._eval(t, m) if isinstance(f, Schedule) else f
            out = x if out is None else out + x
        return out

    def _duration(self) -> int | float | None:
        return _longest(self.terms)

    def _bound(self) -> float | None:
        bounds = [abs(f) if isinstance(f, float) else f._bound() for f in self.terms]
        return None if None in bounds else math.fsum(b for b in bounds if b is not None)

    def __repr__(self) -> str:
        """``a + b``; a negated term after the first is written ``a - b`` (see :func:`negated`)."""
        out = format_value(self.terms[0])
        for f in self.terms[1:]:
            sub = _subtrahend(f)
            out += f" + {format_value(f)}" if sub is None else f" - {sub}"
        return out


def negated(x: Any) -> Any:
    """−x, exactly: a number's negation; a product's first number negated; else −1.0 · x.

    ``a - b`` is the sum ``a + negated(b)`` (a + (−b) is exactly a − b in float64), and a sum
    prints such a term as ``- b`` again, so the text reads back to the same schedule.
    """
    if isinstance(x, Product) and _is_number(x.factors[0]):
        return Product([-x.factors[0], *x.factors[1:]])
    if isinstance(x, Schedule):
        return Product([-1.0, x])
    return -x


def _subtrahend(f: Any) -> str | None:
    """The text t of a sum's term f written ``- t`` (``negated(parse(t)) == f``), or None."""
    if _is_number(f) and not isinstance(f, Schedule):
        return format_value(-f) if math.copysign(1.0, f) < 0 else None
    if isinstance(f, Product) and _is_number(f.factors[0]) and math.copysign(1.0, f.factors[0]) < 0:
        first, rest = -f.factors[0], list(f.factors[1:])
        if first == 1.0 and isinstance(first, float) and isinstance(rest[0], Schedule):
            if len(rest) > 1:
                return repr(Product(rest))
            return f"({rest[0]!r})" if isinstance(rest[0], Sum) else repr(rest[0])
        return repr(Product([first, *rest]))
    return None
