"""The fast scalar path, derived from a schedule's one formula.

Every class writes its mathematics once, as ``_eval(t, m)``.  On Python numbers that
formula runs with ``m = SCALAR``: a method call per node of the tree and a namespace call
per operation.  :func:`derive` runs the same ``_eval`` once on a symbolic step instead,
with a namespace that records every operation, and turns the record into one
straight-line Python function of ``t``: the same operations on the same values, in the
same order, calling the same ``SCALAR`` functions (so the same bits and the same errors),
with the constants bound once and the tree's nodes fused.  Nothing is written twice: the
function is generated from ``_eval``, never by hand.

A formula that looks at a value in Python (``if t < b``, ``float(t)``), asks
``m.is_scalar`` (``join``, ``custom``, plateau state), or fails in any other way while
traced is not derived: :func:`derive` returns None and the caller uses ``_eval`` itself.
"""

from __future__ import annotations

import functools

from ._ops import SCALAR

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

__all__ = ["derive"]

#: the most operations a derived function holds (beyond: the plain formula is as fast)
MAX_OPS = 2000


class _NotTraceable(Exception):
    """The formula needs a value, not a symbol, here."""


class _Tape:
    """The operations recorded so far, as lines of Python, and the constants they use."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.consts: dict[str, Any] = {}

    def ref(self, x: Any) -> str:
        if isinstance(x, _Sym):
            return x.name
        if type(x) not in (int, float, bool) and not callable(x):
            raise _NotTraceable  # an array, a string...: not a formula of Python numbers
        name = f"c{len(self.consts)}"
        self.consts[name] = x
        return name

    def emit(self, expr: str) -> _Sym:
        if len(self.lines) >= MAX_OPS:
            raise _NotTraceable
        name = f"v{len(self.lines)}"
        self.lines.append(f"    {name} = {expr}")
        return _Sym(self, name)

    def call(self, fn: Any, *args: Any) -> _Sym:
        return self.emit(f"{self.ref(fn)}({', '.join(self.ref(a) for a in args)})")


def _binary(op: str) -> tuple[Callable[..., Any], Callable[..., Any]]:
    def fwd(self: _Sym, other: Any) -> _Sym:
        return self.tape.emit(f"{self.name} {op} {self.tape.ref(other)}")

    def rev(self: _Sym, other: Any) -> _Sym:
        return self.tape.emit(f"{self.tape.ref(other)} {op} {self.name}")

    return fwd, rev


def _refuse(self: Any, *args: Any) -> Any:
    raise _NotTraceable


class _Sym:
    """A value known only when the function runs: operations on it are recorded."""

    __slots__ = ("tape", "name")

    def __init__(self, tape: _Tape, name: str) -> None:
        self.tape = tape
        self.name = name

    __add__, __radd__ = _binary("+")
    __sub__, __rsub__ = _binary("-")
    __mul__, __rmul__ = _binary("*")
    __truediv__, __rtruediv__ = _binary("/")
    __floordiv__, __rfloordiv__ = _binary("//")
    __mod__, __rmod__ = _binary("%")
    __pow__, __rpow__ = _binary("**")
    # a reflected comparison (3 < x) arrives as x > 3: the same result on Python numbers
    __lt__ = _binary("<")[0]
    __le__ = _binary("<=")[0]
    __gt__ = _binary(">")[0]
    __ge__ = _binary(">=")[0]
    __eq__ = _binary("==")[0]  # type: ignore[assignment]
    __ne__ = _binary("!=")[0]  # type: ignore[assignment]
    __hash__ = None  # type: ignore[assignment]

    def __neg__(self) -> _Sym:
        return self.tape.emit(f"-{self.name}")

    # anything that needs the value now: not traceable
    __bool__ = __float__ = __int__ = __index__ = __abs__ = _refuse
    __floor__ = __ceil__ = __trunc__ = __round__ = __iter__ = __len__ = _refuse


def _any_sym(args: tuple[Any, ...]) -> bool:
    return any(isinstance(a, _Sym) for a in args)


class _TraceOps:
    """The scalar namespace, recording: each function is SCALAR's own, called on the values
    when the derived function runs (or right away, on constants)."""

    def __init__(self, tape: _Tape) -> None:
        self.tape = tape

    @property
    def is_scalar(self) -> bool:
        raise _NotTraceable  # the formula branches on the kind of step: leave it to _eval

    def __getattr__(self, name: str) -> Any:
        fn = getattr(SCALAR, name)  # cos, sin, sqrt, exp, log, floor, fmod, pow, require_finite...
        tape = self.tape

        def op(*args: Any) -> Any:
            return tape.call(fn, *args) if _any_sym(args) else fn(*args)

        return op

    # the few that are plain Python expressions, written out (exactly what SCALAR's do)
    def minimum(self, a: Any, b: Any) -> Any:
        if not _any_sym((a, b)):
            return SCALAR.minimum(a, b)
        ra, rb = self.tape.ref(a), self.tape.ref(b)
        return self.tape.emit(f"{rb} if {rb} < {ra} else {ra}")  # = min(a, b)

    def maximum(self, a: Any, b: Any) -> Any:
        if not _any_sym((a, b)):
            return SCALAR.maximum(a, b)
        ra, rb = self.tape.ref(a), self.tape.ref(b)
        return self.tape.emit(f"{rb} if {rb} > {ra} else {ra}")  # = max(a, b)

    def where(self, cond: Any, a: Any, b: Any) -> Any:
        if not isinstance(cond, _Sym):
            return SCALAR.where(cond, a, b)
        t = self.tape
        return t.emit(f"{t.ref(a)} if {cond.name} else {t.ref(b)}")

    def clip(self, x: Any, low: float, high: float) -> Any:
        return self.minimum(self.maximum(x, low), high)

    def full(self, t: Any, value: float) -> float:
        return SCALAR.full(t, value)

    def lookup(self, t: Any, boundaries: Any, values: Any) -> Any:
        if not isinstance(t, _Sym):
            return SCALAR.lookup(t, boundaries, values)
        # the tables bound into one constant function of t: SCALAR's own lookup
        return self.tape.call(functools.partial(SCALAR.lookup, boundaries=tuple(boundaries),
                                                values=tuple(values)), t)


def derive(schedule: Any) -> Callable[[Any], Any] | None:
    """One Python function of the step computing ``schedule._eval(t, SCALAR)``, or None."""
    tape = _Tape()
    try:
        out = schedule._eval(_Sym(tape, "t"), _TraceOps(tape))
        result = tape.ref(out)
    except Exception:  # noqa: BLE001 - any failure while tracing: use the formula itself
        return None
    src = "def derived(t):\n" + "\n".join(tape.lines) + f"\n    return {result}\n"
    namespace = dict(tape.consts)
    exec(compile(src, f"<lrkit: {type(schedule).__name__}>", "exec"), namespace)  # noqa: S102
    fn: Callable[[Any], Any] = namespace["derived"]
    return fn
