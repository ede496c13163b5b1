"""The whitelist reader behind :func:`lrkit.parse` (see ``spec.py``).

It walks Python's ``ast`` of the text and builds schedules from registered
names only; no node is ever compiled or evaluated.
"""

from __future__ import annotations

import ast
import math

from ._validate import MAX_DEPTH, MAX_TEXT
from .durations import Frac
from .schedule import REGISTRY, Product, Schedule, Sum, negated
from .signatures import bind, check_keyword, unknown_name

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_MAX_INT = 2**63


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text

    def fail(self, node: ast.AST | None, message: str) -> ValueError:
        if node is None or not hasattr(node, "col_offset"):
            return ValueError(message)
        line = getattr(node, "lineno", 1)
        col = getattr(node, "col_offset", 0)
        src = self.text.splitlines()[line - 1] if self.text.splitlines() else self.text
        where = f"line {line}, column {col + 1}" if "\n" in self.text.strip() else f"column {col + 1}"
        snippet = ""
        if len(src) <= 200:
            snippet = f"\n  {src}\n  {' ' * col}^"
        return ValueError(f"{message} (at {where}){snippet}")

    def read(self, node: ast.AST, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise self.fail(node, f"nesting deeper than {MAX_DEPTH} levels")
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            inner = self.read(node.operand, depth + 1)
            if isinstance(inner, Schedule):
                return negated(inner) if isinstance(node.op, ast.USub) else inner
            if isinstance(inner, bool) or not isinstance(inner, (int, float)):
                raise self.fail(node, "a sign can only stand before a number or a schedule")
            return -inner if isinstance(node.op, ast.USub) else inner
        if isinstance(node, (ast.List, ast.Tuple)):
            if len(node.elts) > 10_000:
                raise self.fail(node, "list too long")
            return [self.read(e, depth + 1) for e in node.elts]
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
            return self.terms(node, depth)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            return self.factors(node, depth)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            return self.quotient(node, depth)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        if isinstance(node, ast.Name):
            if node.id in REGISTRY:
                raise self.fail(node, f"name {node.id!r} is not allowed here; did you mean {node.id}(...)?")
            raise self.fail(node, f"name {node.id!r} is not allowed here (only numbers, strings, lists "
                                  "and schedule calls): write its value")
        if isinstance(node, ast.Attribute):
            raise self.fail(node, "attribute access is not allowed")
        kind = type(node).__name__
        raise self.fail(node, f"{kind} is not allowed in a schedule spec")

    def chain(self, node: ast.BinOp, ops: tuple[type, ...]) -> list[tuple[ast.AST, type]]:
        """The operands of a left-nested chain ``a op b op c`` with the op before each (the
        first one's is ops[0]), as its repr writes it: one product (sum) of all its operands."""
        chain: list[tuple[ast.AST, type]] = []
        left: ast.AST = node
        while isinstance(left, ast.BinOp) and isinstance(left.op, ops) and len(chain) < 10_000:
            chain.append((left.right, type(left.op)))
            left = left.left
        chain.append((left, ops[0]))
        return chain[::-1]

    def number(self, node: ast.AST, value: Any) -> Any:
        """A folded constant, checked finite (``1e308 * 10`` is an error, not inf)."""
        if isinstance(value, float) and not math.isfinite(value):
            raise self.fail(node, "the arithmetic overflows float64 (numbers must be finite)")
        if isinstance(value, int) and abs(value) > _MAX_INT:
            raise self.fail(node, "integer too large")
        return value

    def terms(self, node: ast.BinOp, depth: int) -> Any:
        """``a + b - c``: numbers alone are folded as Python computes them; with a schedule
        among them, one Sum whose subtracted terms are negated (−b is −1.0 · b, or −x for a
        number: a + (−b) is exactly a − b)."""
        items = [(self.read(x, depth + 1), op) for x, op in self.chain(node, (ast.Add, ast.Sub))]
        if not any(isinstance(x, Schedule) for x, _ in items):
            value = self.arith(node, items[0][0])
            for x, op in items[1:]:
                x = self.arith(node, x)
                value = value + x if op is ast.Add else value - x
            return self.number(node, value)
        terms = [x if op is ast.Add else negated(x) for x, op in items]
        try:
            return Sum(terms)
        except (TypeError, ValueError) as e:
            raise self.fail(node, str(e)) from None

    def factors(self, node: ast.BinOp, depth: int) -> Any:
        items = [self.read(x, depth + 1) for x, _ in self.chain(node, (ast.Mult,))]
        if not any(isinstance(x, Schedule) for x in items):
            value = self.arith(node, items[0])
            for x in items[1:]:
                value = value * self.arith(node, x)
            return self.number(node, value)
        try:
            return Product(items)
        except (TypeError, ValueError) as e:
            raise self.fail(node, str(e)) from None

    def quotient(self, node: ast.BinOp, depth: int) -> Any:
        left, right = self.read(node.left, depth + 1), self.read(node.right, depth + 1)
        if isinstance(left, Schedule) or isinstance(right, Schedule):
            raise self.fail(node, "'/' divides numbers only (as in lr/(w+1)), not schedules: "
                                  "multiply a schedule by a number instead (0.5 * cosine(100))")
        a, b = self.arith(node.left, left), self.arith(node.right, right)
        if b == 0:
            raise self.fail(node.right, "division by zero")
        return self.number(node, a / b)

    def arith(self, node: ast.AST, x: Any) -> Any:
        if isinstance(x, bool) or not isinstance(x, (int, float)):
            raise self.fail(node, f"arithmetic (+ - * /) needs numbers or schedules, got {x!r}")
        return x

    def constant(self, node: ast.Constant) -> Any:
        value = node.value
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, int):
            if abs(value) > _MAX_INT:
                raise self.fail(node, "integer too large")
            return value
        if isinstance(value, float):
            if not math.isfinite(value):
                raise self.fail(node, "numbers must be finite")
            return value
        raise self.fail(node, f"{type(value).__name__} literals are not allowed")

    def call(self, node: ast.Call, depth: int) -> Any:
        if not isinstance(node.func, ast.Name):
            raise self.fail(node.func, "only calls of schedule names are allowed")
        fname = node.func.id
        if fname != "frac" and fname not in REGISTRY:
            raise self.fail(node.func, unknown_name(fname))
        args = []
        for a in node.args:
            if isinstance(a, ast.Starred):
                raise self.fail(a, "*args is not allowed")
            args.append(self.read(a, depth + 1))
        kwargs: dict[str, Any] = {}
        for kw in node.keywords:
            if kw.arg is None:
                raise self.fail(kw.value, "**kwargs is not allowed")
            if kw.arg in kwargs:
                raise self.fail(kw, f"argument {kw.arg!r} given twice")
            if fname in REGISTRY:
                try:
                    check_keyword(fname, kw.arg)
                except ValueError as e:
                    raise self.fail(kw, str(e)) from None
            kwargs[kw.arg] = self.read(kw.value, depth + 1)
        try:
            if fname == "frac":
                if kwargs or len(args) != 1:
                    raise ValueError("frac(x) takes one number, the fraction of the run")
                return Frac(*args)
            if fname == "custom" and args:
                raise ValueError("custom() in text takes only name='...' of a registered schedule")
            bound = bind(fname, args, kwargs)
        except (TypeError, ValueError) as e:
            raise self.fail(node, str(e)) from None
        try:
            return REGISTRY[fname](**bound)
        except (TypeError, ValueError) as e:
            raise self.fail(node, f"{fname}: {e}") from None


def parse_text(text: str) -> Schedule:
    """Read a schedule from its text form, e.g. ``"warmup(cosine(1000), 100)"``.

    Raises ``ValueError`` (with the position) for anything that is not a
    well-formed schedule; never executes code.
    """
    if not isinstance(text, str):
        raise TypeError(f"parse() takes a str, not {type(text).__name__}")
    if len(text) > MAX_TEXT:
        raise ValueError(f"schedule text longer than {MAX_TEXT} characters")
    if not text.strip():
        raise ValueError("empty schedule text")
    reader = _Reader(text.strip())
    try:
        tree = ast.parse(reader.text, mode="eval")
    except SyntaxError as e:
        col = (e.offset or 1)
        raise ValueError(f"malformed schedule text: {e.msg} (at column {col})\n  "
                         f"{reader.text if len(reader.text) <= 200 else ''}\n  {' ' * (col - 1)}^"
                         ) from None
    except (RecursionError, MemoryError, ValueError):
        raise ValueError("malformed schedule text: too deeply nested or too large") from None
    try:
        result = reader.read(tree.body, 0)
    except RecursionError:
        raise ValueError("schedule text too deeply nested") from None
    if not isinstance(result, Schedule):
        if isinstance(result, (int, float)) and not isinstance(result, bool):
            raise reader.fail(tree.body, f"expected a schedule, got the number {result!r}: write "
                                         f"constant({result!r}) for a constant schedule")
        raise reader.fail(tree.body, f"expected a schedule, got {type(result).__name__} {result!r}")
    return result
