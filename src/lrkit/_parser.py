"""The whitelist reader behind :func:`lrkit.parse` (see ``spec.py``).

It walks Python's ``ast`` of the text and builds schedules from registered
names only; no node is ever compiled or evaluated.
"""

from __future__ import annotations

import ast
import math

from .durations import Frac
from .schedule import REGISTRY, Product, Schedule, Sum
from .spec import MAX_DEPTH, MAX_TEXT

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
            if isinstance(inner, bool) or not isinstance(inner, (int, float)):
                raise self.fail(node, "a sign can only stand before a number")
            return -inner if isinstance(node.op, ast.USub) else inner
        if isinstance(node, (ast.List, ast.Tuple)):
            if len(node.elts) > 10_000:
                raise self.fail(node, "list too long")
            return [self.read(e, depth + 1) for e in node.elts]
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Add)):
            # a chain a * b * c (or a + b + c) is one product (sum) of all its operands, as its
            # repr writes it: numbers may stand side by side (0.5 * 2.0 * cosine(10))
            op = type(node.op)
            chain: list[ast.AST] = [node.right]
            left = node.left
            while isinstance(left, ast.BinOp) and type(left.op) is op and len(chain) < 10_000:
                chain.append(left.right)
                left = left.left
            chain.append(left)
            operands = [self.read(x, depth + 1) for x in reversed(chain)]
            sign = "*" if op is ast.Mult else "+"
            if not any(isinstance(x, Schedule) for x in operands):
                raise self.fail(node, f"'{sign}' needs a schedule on at least one side")
            try:
                return Product(operands) if sign == "*" else Sum(operands)
            except (TypeError, ValueError) as e:
                raise self.fail(node, str(e)) from None
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        if isinstance(node, ast.Name):
            hint = f"; did you mean {node.id}(...)?" if node.id in REGISTRY else ""
            raise self.fail(node, f"name {node.id!r} is not allowed here{hint}")
        if isinstance(node, ast.Attribute):
            raise self.fail(node, "attribute access is not allowed")
        kind = type(node).__name__
        raise self.fail(node, f"{kind} is not allowed in a schedule spec")

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
            raise self.fail(node.func, f"unknown schedule {fname!r}; known: {', '.join(sorted(REGISTRY))}")
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
                raise self.fail(kw.value, f"argument {kw.arg!r} given twice")
            kwargs[kw.arg] = self.read(kw.value, depth + 1)
        try:
            if fname == "frac":
                return Frac(*args, **kwargs)
            cls = REGISTRY[fname]
            if fname == "custom" and args:
                raise ValueError("custom() in text takes only name='...' of a registered schedule")
            return cls(*args, **kwargs)
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
        raise reader.fail(tree.body, f"expected a schedule, got {type(result).__name__} {result!r}")
    return result
