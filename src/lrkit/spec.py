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

import math
import os

from ._validate import MAX_DEPTH, MAX_TEXT
from .durations import Frac
from .schedule import REGISTRY, Schedule
from .signatures import bind, check_keyword, unknown_name

TYPE_CHECKING = False  # typing is not imported at run time: `import lrkit` stays fast
if TYPE_CHECKING:
    from typing import Any


__all__ = ["parse", "from_config", "as_schedule", "load", "loads", "read_document", "DocumentError",
           "MAX_TEXT", "MAX_DEPTH"]



def parse(text: str) -> Schedule:
    """Read a schedule from its text form, e.g. ``"warmup(cosine(1000), 100)"``.

    Raises ``ValueError`` (with the position) for anything that is not a
    well-formed schedule; never executes code.
    """
    from ._parser import parse_text  # `ast` is imported only when text is parsed

    return parse_text(text)


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


def as_schedule(obj: Any, *, total_steps: int | None = None, where: str = "schedule") -> Schedule:
    """A concrete Schedule from a Schedule, its text form or its config dict.

    Durations given as fractions of the run are resolved with ``total_steps``;
    without it such a schedule is a ``ValueError`` naming ``where``.  This is
    the one place the adapters and the Scheduler turn user input into a schedule.
    """
    text = obj.strip() if isinstance(obj, str) else None  # errors quote the caller's own text
    if isinstance(obj, str):
        obj = parse(obj)
    elif isinstance(obj, dict):
        obj = from_config(obj)
    if not isinstance(obj, Schedule):
        raise TypeError(
            f"{where} must be an lrkit Schedule, its text form or its config dict, "
            f"not {type(obj).__name__} ({obj!r})"
        )
    if obj.resolved:
        return obj
    if total_steps is None:
        raise ValueError(
            f"{where} = {text or repr(obj)!r} has durations given as fractions of the run ('5%', "
            "'rest'); pass total_steps= (the number of optimizer updates) to resolve it"
        )
    try:
        return obj.resolve(total_steps)
    except ValueError as e:
        if text is None:
            raise
        raise ValueError(str(e).replace(repr(obj), text)) from None


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
            if not isinstance(kind, str):
                raise ValueError(f"{path}: the schedule type must be a name, got {kind!r}; "
                                 f"known: {', '.join(sorted(REGISTRY))}")
            raise ValueError(f"{path}: {unknown_name(kind, what='schedule type')}")
        kwargs = {}
        for key, item in value.items():
            if key == "type":
                continue
            try:
                check_keyword(kind, key, what="key")
            except ValueError as e:
                raise ValueError(f"{path}: {e}") from None
            kwargs[key] = _from_config(item, f"{path}.{key}", depth + 1)
        try:
            bound = bind(kind, (), kwargs)
        except ValueError as e:
            raise ValueError(f"{path}: {e}") from None
        try:
            return REGISTRY[kind](**bound)
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
    ``{"schedule": <config>}``; a mapping of several named schedules
    ``{"name": <config>, ...}`` or a list of them (text specs, configs with an
    optional ``"name"`` key, or one-key mappings ``{name: config}``) gives a
    dict of schedules by name.
    """
    path = os.fspath(source)
    raw = read_file(path)
    data = loads(raw, yaml=path.endswith((".yaml", ".yml")), where=path)
    return data


def read_file(path: str) -> str:
    """The text of a config file; a missing file, a directory or an unreadable one is a
    ``ValueError`` naming the path (as for bad content)."""
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except FileNotFoundError:
        raise ValueError(f"cannot read {path}: no such file") from None
    except IsADirectoryError:
        raise ValueError(f"cannot read {path}: it is a directory, not a config file") from None
    except UnicodeDecodeError as e:
        raise ValueError(f"cannot read {path}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    except OSError as e:
        raise ValueError(f"cannot read {path}: {e.strerror or e}") from None


class DocumentError(ValueError):
    """A file that is not well-formed YAML/JSON: its ``kind`` ("YAML"/"JSON"), the
    1-based ``line`` and ``column`` where known (else None), and the ``problem``."""

    def __init__(self, kind: str, line: int | None, column: int | None, problem: str,
                 duplicate: bool = False) -> None:
        super().__init__(f"malformed {kind}: {problem}")
        self.kind, self.line, self.column, self.problem = kind, line, column, problem
        #: well-formed, but a key is given twice in one mapping (``problem`` says which)
        self.duplicate = duplicate

    def describe(self, where: str) -> str:
        """The message for a file or text named ``where``."""
        if self.duplicate:
            return f"{where}, line {self.line}: {self.problem}" if self.line else f"{where}: {self.problem}"
        if self.line is None:
            return f"{where}: {'malformed' if self.kind == 'YAML' else 'unreadable'} {self.kind}: {self.problem}"
        return f"{where}, line {self.line}, column {self.column}: malformed {self.kind}: {self.problem}"


def read_document(text: str, *, yaml: bool) -> Any:
    """Parse YAML (``yaml.safe_load`` only: nothing is constructed) or JSON text into plain
    data; a malformed text raises :class:`DocumentError`.  Callers word the message."""
    if yaml:
        try:
            import yaml as _yaml
        except ImportError:
            raise ImportError("reading YAML needs PyYAML: pip install 'lrkit[yaml]'") from None
        try:
            _yaml_depth(text, _yaml)
            return _yaml.load(text, Loader=_unique_key_loader(_yaml))  # a SafeLoader
        except _yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
            problem = str(getattr(e, "problem", None) or e)
            raise DocumentError("YAML", line, column, problem,
                                duplicate=problem.startswith("duplicate key")) from None
        except RecursionError:  # pragma: no cover - the depth is checked first
            raise DocumentError("YAML", None, None, f"nested deeper than {MAX_DEPTH} levels") from None
    import json

    depth = _bracket_depth(text)
    if depth > _MAX_DOCUMENT_DEPTH:
        raise DocumentError("JSON", None, None, f"nested deeper than {MAX_DEPTH} levels")
    try:
        return json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as e:
        raise DocumentError("JSON", e.lineno, e.colno, e.msg) from None
    except _DuplicateKey as e:
        raise DocumentError("JSON", None, None, str(e), duplicate=True) from None
    except RecursionError:  # pragma: no cover - the depth is checked first
        raise DocumentError("JSON", None, None, f"nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as e:  # e.g. an integer literal beyond Python's digit limit
        raise DocumentError("JSON", None, None, str(e)) from None


#: documents may nest a little deeper than schedules (a mapping of named configs, "schedule:")
_MAX_DOCUMENT_DEPTH = MAX_DEPTH + 8


class _DuplicateKey(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(f"duplicate key {key!r} in one object")
        out[key] = value
    return out


def _bracket_depth(text: str) -> int:
    """The deepest nesting of [ and { outside strings, in one pass (a JSON text's depth)."""
    import re

    depth = deepest = 0
    for tok in re.finditer(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', text):
        c = tok.group()
        if c in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > _MAX_DOCUMENT_DEPTH:
                    break
        elif c in "]}":
            depth -= 1
    return deepest


def _yaml_depth(text: str, _yaml: Any) -> None:
    """Refuse a YAML text nested deeper than a schedule can be, or using aliases, from its event
    stream, before anything is composed: PyYAML would recurse (and take quadratic time) on deep
    nesting, and aliases of aliases expand exponentially when the config is read ("billion laughs")."""
    depth = 0
    starts = (_yaml.MappingStartEvent, _yaml.SequenceStartEvent)
    ends = (_yaml.MappingEndEvent, _yaml.SequenceEndEvent)
    for event in _yaml.parse(text, Loader=_yaml.SafeLoader):
        if isinstance(event, starts):
            depth += 1
            if depth > _MAX_DOCUMENT_DEPTH:
                mark = event.start_mark
                raise DocumentError("YAML", mark.line + 1, mark.column + 1,
                                    f"nested deeper than {MAX_DEPTH} levels")
        elif isinstance(event, ends):
            depth -= 1
        elif isinstance(event, _yaml.AliasEvent):
            mark = event.start_mark
            raise DocumentError("YAML", mark.line + 1, mark.column + 1,
                                "aliases (*name) are not allowed in a schedule config")


_LOADER: Any = None


def _unique_key_loader(_yaml: Any) -> Any:
    """A ``yaml.SafeLoader`` that refuses a key given twice in one mapping, and keys that differ
    only in type but read the same as names (``1`` and ``"1"``), so no schedule silently disappears."""
    global _LOADER
    if _LOADER is None:
        class UniqueKeyLoader(_yaml.SafeLoader):  # type: ignore[misc,name-defined]
            def construct_mapping(self, node: Any, deep: bool = False) -> Any:
                seen: dict[str, Any] = {}
                for key_node, _ in node.value:
                    key = self.construct_object(key_node, deep=True)
                    name = str(key)
                    if name in seen:
                        raise _yaml.constructor.ConstructorError(
                            None, None, f"duplicate key {key!r} (first at line {seen[name]})",
                            key_node.start_mark)
                    seen[name] = key_node.start_mark.line + 1
                return super().construct_mapping(node, deep=deep)

        _LOADER = UniqueKeyLoader
    return _LOADER


def loads(raw: str, *, yaml: bool = False, where: str = "<config>") -> Any:
    """Like :func:`load`, on the file's contents."""
    try:
        data = read_document(raw, yaml=yaml)
    except DocumentError as e:
        if e.line is None or e.duplicate:
            raise ValueError(e.describe(where)) from None
        raise ValueError(f"{where}: malformed {e.kind} at line {e.line}, column {e.column}: "
                         f"{e.problem}") from None
    return _document(data, where)


def _document(data: Any, where: str) -> Any:
    if isinstance(data, str):
        return parse(data)
    if isinstance(data, list):
        return _named_list(data, where)
    if not isinstance(data, dict):
        raise ValueError(f"{where}: expected a schedule config (a mapping with 'type'), got {type(data).__name__}")
    if "type" in data:
        return from_config(data)
    if set(data) == {"schedule"}:
        return _document(data["schedule"], where)
    out = {}
    for name, cfg in data.items():
        if str(name) in out:
            raise ValueError(f"{where}: the name {str(name)!r} is used twice")
        try:
            out[str(name)] = from_config(cfg)
        except (TypeError, ValueError) as e:
            raise ValueError(f"{where}: schedule {name!r}: {e}") from None
    return out


def _named_list(items: list[Any], where: str) -> dict[str, Schedule]:
    out: dict[str, Schedule] = {}
    for i, item in enumerate(items):
        try:
            if isinstance(item, str):
                name, s = item, parse(item)
            elif isinstance(item, dict) and "type" in item:
                cfg = dict(item)
                name = str(cfg.pop("name", i))
                s = from_config(cfg)
            elif isinstance(item, dict) and len(item) == 1:
                (name, cfg), = item.items()
                name, s = str(name), from_config(cfg)
            else:
                raise ValueError("expected a text spec, a config with 'type', or {name: config}")
        except (TypeError, ValueError) as e:
            raise ValueError(f"{where}: item {i}: {e}") from None
        if name in out:
            raise ValueError(f"{where}: item {i}: the name {name!r} is used twice")
        out[name] = s
    return out
