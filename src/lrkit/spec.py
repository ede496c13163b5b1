"""The text form and the config form of a schedule.

``parse(text)`` reads the canonical text form (``repr`` of a schedule) through
a whitelist over Python's ``ast``: calls of registered names only, keyword
arguments, number/string/bool/None literals, lists and tuples, unary minus
and ``*``.  Nothing is ever executed or looked up outside the registry; the
text length and nesting depth are bounded.

``from_config(dict)`` reads the config form (``Schedule.to_config()``): a dict
with a ``"type"`` and the constructor's arguments by name; nested schedules
are nested dicts.  Unknown types and keys are errors.
"""

from __future__ import annotations

import ast
import json
import math
import os
from typing import Any

from .durations import Frac
from .schedule import REGISTRY, Product, Schedule

__all__ = ["parse", "from_config", "load", "MAX_TEXT", "MAX_DEPTH"]

#: longest text ``parse`` accepts, in characters
MAX_TEXT = 20_000
#: deepest nesting of calls, lists and operators ``parse``/``from_config`` accept
MAX_DEPTH = 48
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
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            left = self.read(node.left, depth + 1)
            right = self.read(node.right, depth + 1)
            if not (isinstance(left, Schedule) or isinstance(right, Schedule)):
                raise self.fail(node, "'*' needs a schedule on at least one side")
            try:
                return Product([left, right])
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


def parse(text: str) -> Schedule:
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


def from_config(config: Any) -> Schedule:
    """Build a schedule from its config form (a dict as ``to_config()`` gives), or text."""
    if isinstance(config, str):
        return parse(config)
    if isinstance(config, Schedule):
        return config
    if not isinstance(config, dict):
        raise TypeError(f"a schedule config must be a dict with a 'type' key, not {type(config).__name__}")
    result = _from_config(config, "config", 0)
    if not isinstance(result, Schedule):
        raise ValueError("a schedule config must describe a schedule")
    return result


def _from_config(value: Any, path: str, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise ValueError(f"{path}: nesting deeper than {MAX_DEPTH} levels")
    if isinstance(value, dict):
        if set(value) == {"frac"}:
            return Frac(value["frac"])
        if "type" not in value:
            raise ValueError(f"{path}: a schedule config needs a 'type' key (one of {', '.join(sorted(REGISTRY))})")
        kind = value["type"]
        if not isinstance(kind, str) or kind not in REGISTRY:
            raise ValueError(f"{path}: unknown schedule type {kind!r}; known: {', '.join(sorted(REGISTRY))}")
        cls = REGISTRY[kind]
        allowed = [n for n, _ in cls._signature]
        kwargs = {}
        for key, item in value.items():
            if key == "type":
                continue
            if key not in allowed:
                raise ValueError(f"{path}: unknown key {key!r} for {kind}; allowed: {', '.join(allowed)}")
            kwargs[key] = _from_config(item, f"{path}.{key}", depth + 1)
        try:
            return cls(**kwargs)
        except TypeError as e:
            raise TypeError(f"{path} ({kind}): {e}") from None
        except ValueError as e:
            raise ValueError(f"{path} ({kind}): {e}") from None
    if isinstance(value, list):
        return [_from_config(x, f"{path}[{i}]", depth + 1) for i, x in enumerate(value)]
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{path}: numbers must be finite, got {value}")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"{path}: {type(value).__name__} is not allowed in a schedule config")


def load(source: str | os.PathLike[str]) -> Any:
    """Read a schedule config file (``.json``, ``.yaml``/``.yml``; YAML through
    ``yaml.safe_load``, ``pip install lrkit[yaml]``) and return its schedule.

    The file holds one schedule config, a text spec string, or a mapping
    ``{"schedule": <config>, ...}``; a mapping of several named schedules
    ``{"name": <config>, ...}`` gives a dict of schedules.
    """
    path = os.fspath(source)
    with open(path, encoding="utf-8") as f:
        raw = f.read()
    data = loads(raw, yaml=path.endswith((".yaml", ".yml")), where=path)
    return data


def loads(raw: str, *, yaml: bool = False, where: str = "<config>") -> Any:
    """Like :func:`load`, on the file's contents."""
    if yaml:
        try:
            import yaml as _yaml
        except ImportError:
            raise ImportError("reading YAML needs PyYAML: pip install 'lrkit[yaml]'") from None
        try:
            data = _yaml.safe_load(raw)
        except _yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            line = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            raise ValueError(f"{where}: malformed YAML{line}: {getattr(e, 'problem', e)}") from None
    else:
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as e:
            raise ValueError(f"{where}: malformed JSON at line {e.lineno}, column {e.colno}: {e.msg}") from None
    return _document(data, where)


def _document(data: Any, where: str) -> Any:
    if isinstance(data, str):
        return parse(data)
    if not isinstance(data, dict):
        raise ValueError(f"{where}: expected a schedule config (a mapping with 'type'), got {type(data).__name__}")
    if "type" in data:
        return from_config(data)
    if set(data) == {"schedule"}:
        return _document(data["schedule"], where)
    out = {}
    for name, cfg in data.items():
        try:
            out[str(name)] = from_config(cfg)
        except (TypeError, ValueError) as e:
            raise ValueError(f"{where}: schedule {name!r}: {e}") from None
    return out
