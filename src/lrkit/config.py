"""Schedules in config files (YAML or JSON), with the run length filled in by the trainer.

A schedule section of a config reads::

    schedule: "warmup(cosine('rest', end=0.01), '5%')"   # text form, or a config mapping
    total: auto                                          # or a number of optimizer steps
    param: lr                                            # optional: the optimizer key driven
    relative: true                                       # optional: true / false (absolute); left out: a checked factor

``schedule`` is the text form (``repr`` of a schedule) or its config mapping
(``{type: cosine, steps: 90%}``).  Durations may be fractions of the run
(``'5%'``, ``{frac: 0.05}``) or ``'rest'``; they are resolved with ``total``,
or, when ``total`` is ``auto`` (or left out), with the number of optimizer
steps the trainer reports: ``ScheduleConfig.build(total_steps=...)``.

Only known keys are accepted; an unknown key, a bad value or a malformed file
is a ``ValueError`` naming the file, the line and the key.  YAML is read with
``yaml.safe_load`` (and, for line numbers of errors, composed with
``yaml.SafeLoader``): nothing in a config is ever executed.
"""

from __future__ import annotations

import numbers
import os
import re
from dataclasses import dataclass
from typing import Any

from .schedule import REGISTRY, Schedule
from .spec import DocumentError, from_config, read_document, read_file

__all__ = ["ScheduleConfig", "from_dict", "load_config", "loads_config", "schedule_from_config", "KEYS"]

#: the keys a schedule section may hold
KEYS = ("schedule", "total", "param", "relative")


@dataclass(frozen=True)
class ScheduleConfig:
    """A schedule read from a config, with its run length (``total=None``: auto)."""

    schedule: Schedule
    total: int | None = None
    param: str = "lr"
    relative: bool | None = None
    where: str = "<config>"

    def build(self, total_steps: int | None = None) -> Schedule:
        """The concrete schedule.

        ``total_steps`` is the number of optimizer updates the trainer will run
        (after epochs, gradient accumulation and devices are accounted for);
        it resolves ``total: auto``.  A config with a number for ``total``
        that disagrees with ``total_steps`` is an error, not a silent choice.
        """
        if total_steps is not None:
            if isinstance(total_steps, bool) or not isinstance(total_steps, numbers.Integral) \
                    or total_steps <= 0:
                raise ValueError(f"total_steps must be an integer > 0, got {total_steps!r}")
            total_steps = int(total_steps)
        total = self.total
        if total is not None and total_steps is not None and total != total_steps:
            raise ValueError(
                f"{self.where}: total is {total} but the trainer runs {total_steps} optimizer "
                "steps; write 'total: auto' to follow the trainer, or make them agree"
            )
        total = total if total is not None else total_steps
        if self.schedule.resolved:
            return self.schedule
        if total is None:
            raise ValueError(
                f"{self.where}: the schedule {self.schedule!r} has durations that are fractions of "
                "the run, and 'total' is auto: pass total_steps=<number of optimizer steps> "
                "(e.g. Lightning's trainer.estimated_stepping_batches, HF Trainer's max_steps)"
            )
        return self.schedule.resolve(total)


def schedule_from_config(config: Any, total_steps: int | None = None) -> Schedule:
    """The concrete schedule of a config: a mapping (as :func:`from_dict` takes), a
    :class:`ScheduleConfig`, a path to a ``.json``/``.yaml``/``.yml`` file, or a text spec."""
    if isinstance(config, ScheduleConfig):
        return config.build(total_steps)
    if isinstance(config, os.PathLike) or (
            isinstance(config, str) and config.endswith((".json", ".yaml", ".yml"))):
        return load_config(config).build(total_steps)
    if isinstance(config, (str, Schedule)):
        return from_dict({"schedule": config}).build(total_steps)
    return from_dict(config).build(total_steps)


def load_config(path: str | os.PathLike[str]) -> ScheduleConfig:
    """Read a schedule section from a ``.json``, ``.yaml`` or ``.yml`` file."""
    name = os.fspath(path)
    if not name.endswith((".json", ".yaml", ".yml")):
        raise ValueError(f"{name}: a schedule config file must end in .json, .yaml or .yml")
    text = read_file(name)
    return loads_config(text, yaml=not name.endswith(".json"), where=name)


def loads_config(text: str, *, yaml: bool = False, where: str = "<config>") -> ScheduleConfig:
    """Like :func:`load_config`, on a file's contents."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}")
    locate = _YamlLines(text, where) if yaml else _JsonLines(text)
    data = _read(text, yaml, where)
    if isinstance(locate, _YamlLines):  # i.e. yaml
        locate.check_duplicates()
    return _from_dict(data, where, locate)


def from_dict(data: Any, *, where: str = "<config>") -> ScheduleConfig:
    """Read a schedule section already loaded into a mapping (for example
    ``OmegaConf.to_container(cfg.lr_schedule, resolve=True)`` under Hydra)."""
    return _from_dict(data, where, _NoLines())


def _from_dict(data: Any, where: str, locate: Any) -> ScheduleConfig:
    def fail(path: tuple[Any, ...], message: str) -> ValueError:
        return ValueError(f"{_at(where, locate.line(path))}{_dotted(path)}: {message}")

    if not isinstance(data, dict):
        raise ValueError(f"{_at(where, locate.line(()))}expected a mapping with a 'schedule' key, "
                         f"got {type(data).__name__}")
    for key in data:
        if key not in KEYS:
            raise fail((key,), f"unknown key {key!r}; a schedule section takes {', '.join(KEYS)}")
    if "schedule" not in data:
        raise fail((), "missing the 'schedule' key")
    schedule = _schedule(data["schedule"], fail, locate)
    total = _total(data.get("total", "auto"), fail)
    param = data.get("param", "lr")
    if not isinstance(param, str) or not param:
        raise fail(("param",), f"param must be an optimizer key such as 'lr' or 'momentum', got {param!r}")
    relative = data.get("relative")
    if relative is not None and not isinstance(relative, bool):
        raise fail(("relative",), f"relative must be true or false (left out: a factor, checked), "
                                  f"got {relative!r}")
    if total is not None and not schedule.resolved:
        try:
            schedule.resolve(total)
        except (TypeError, ValueError) as e:
            raise fail(("total",), f"cannot resolve the schedule with total {total}: {e}") from None
    return ScheduleConfig(schedule=schedule, total=total, param=param, relative=relative, where=where)


# -- pieces ------------------------------------------------------------------------

def _total(value: Any, fail: Any) -> int | None:
    if value is None or value == "auto":
        return None
    num: Any = value  # numbers.Real is too loosely typed for comparisons and int()
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or num != int(num) \
            or num <= 0:
        raise fail(("total",), f"total must be 'auto' or a number of optimizer steps > 0, got {value!r}")
    return int(num)


def _schedule(value: Any, fail: Any, locate: Any) -> Schedule:
    if isinstance(value, Schedule):
        return value
    if isinstance(value, str):
        try:
            return from_config(value)
        except (TypeError, ValueError) as e:
            raise fail(("schedule",), str(e)) from None
    if not isinstance(value, dict):
        raise fail(("schedule",), "schedule must be a text spec such as \"cosine(1000)\" or a mapping "
                   f"with a 'type' key, got {type(value).__name__}")
    _check_keys(value, ("schedule",), fail)
    try:
        return from_config(value)
    except (TypeError, ValueError) as e:
        # spec errors name the path as config.a.b[2]: point at that node's line
        message = str(e)
        m = re.match(r"config((?:\.\w+|\[\d+\])*)(?: \(\w+\))?: (.*)", message, re.S)
        if m is None:
            raise fail(("schedule",), message) from None
        path = ["schedule", *_split(m.group(1))]
        node: Any = {"schedule": value}
        for p in path:
            try:
                node = node[p]
            except (KeyError, IndexError, TypeError):
                node = None
        # a constructor's message starts with the argument's name: point at that key
        arg = re.match(r"(\w+)", m.group(2))
        if isinstance(node, dict) and arg and arg.group(1) in node and arg.group(1) != "type":
            path.append(arg.group(1))
        raise fail(tuple(path), m.group(2)) from None


def _check_keys(value: Any, path: tuple[Any, ...], fail: Any) -> None:
    """Unknown types and keys, with the path (and so the line) of the offending key."""
    if isinstance(value, list):
        for i, item in enumerate(value):
            _check_keys(item, (*path, i), fail)
        return
    if not isinstance(value, dict) or set(value) == {"frac"}:
        return
    kind = value.get("type")
    if kind is None:
        raise fail(path, f"a schedule mapping needs a 'type' key (one of {', '.join(sorted(REGISTRY))})")
    if not isinstance(kind, str) or kind not in REGISTRY:
        raise fail((*path, "type"), f"unknown schedule type {kind!r}; known: {', '.join(sorted(REGISTRY))}")
    allowed = [n for n, _ in REGISTRY[kind]._signature]
    for key, item in value.items():
        if key == "type":
            continue
        if key not in allowed:
            raise fail((*path, key), f"unknown key {key!r} for {kind}; allowed: {', '.join(allowed)}")
        _check_keys(item, (*path, key), fail)


def _split(dotted: str) -> list[Any]:
    out: list[Any] = []
    for name, index in re.findall(r"\.(\w+)|\[(\d+)\]", dotted):
        out.append(name if name else int(index))
    return out


def _dotted(path: tuple[Any, ...]) -> str:
    text = ""
    for p in path:
        text += f"[{p}]" if isinstance(p, int) else (f".{p}" if text else str(p))
    return text or "(top)"


def _at(where: str, line: int | None) -> str:
    return f"{where}, line {line}: " if line else f"{where}: "


def _read(text: str, yaml: bool, where: str) -> Any:
    try:
        return read_document(text, yaml=yaml)
    except DocumentError as e:
        raise ValueError(e.describe(where)) from None


class _NoLines:
    def line(self, path: tuple[Any, ...]) -> int | None:
        return None


class _YamlLines:
    """Line numbers of keys, from the node tree ``yaml.SafeLoader`` composes (nothing is constructed)."""

    def __init__(self, text: str, where: str) -> None:
        self.text, self.where = text, where
        self._root: Any = False

    def root(self) -> Any:
        if self._root is False:
            import yaml as _yaml

            try:
                self._root = _yaml.compose(self.text, Loader=_yaml.SafeLoader)
            except _yaml.YAMLError:
                self._root = None
        return self._root

    def line(self, path: tuple[Any, ...]) -> int | None:
        import yaml as _yaml

        node = self.root()
        line = None if node is None else node.start_mark.line + 1
        for p in path:
            if isinstance(node, _yaml.MappingNode):
                for k, v in node.value:
                    if k.value == p or (isinstance(p, str) and str(k.value) == p):
                        line, node = k.start_mark.line + 1, v
                        break
                else:
                    return line
            elif isinstance(node, _yaml.SequenceNode) and isinstance(p, int) and p < len(node.value):
                node = node.value[p]
                line = node.start_mark.line + 1
            else:
                return line
        return line

    def check_duplicates(self) -> None:
        import yaml as _yaml

        def walk(node: Any) -> None:
            if isinstance(node, _yaml.MappingNode):
                seen: dict[Any, int] = {}
                for k, v in node.value:
                    if k.value in seen:
                        raise ValueError(
                            f"{self.where}, line {k.start_mark.line + 1}: duplicate key {k.value!r} "
                            f"(first at line {seen[k.value]})"
                        )
                    seen[k.value] = k.start_mark.line + 1
                    walk(v)
            elif isinstance(node, _yaml.SequenceNode):
                for v in node.value:
                    walk(v)

        walk(self.root())


class _JsonLines:
    """Line numbers of keys in JSON text: each key of the path is searched for after the previous one."""

    def __init__(self, text: str) -> None:
        self.text = text

    def line(self, path: tuple[Any, ...]) -> int | None:
        pos, found = 0, None
        for p in path:
            if isinstance(p, int):
                continue
            m = re.compile(r'"' + re.escape(str(p)) + r'"\s*:').search(self.text, pos)
            if m is None:
                break
            pos, found = m.end(), m.start()
        if found is None:
            return None
        return self.text.count("\n", 0, found) + 1


def _driver_args(schedule: Any, total_steps: Any) -> tuple[Schedule, dict[str, Any]]:
    """(concrete schedule, Scheduler options) for an adapter that learns the run length late.

    ``total_steps`` is a function returning the number of optimizer steps; it is
    called only when the schedule needs it (fractions of the run, ``total: auto``)
    or to check a config's explicit ``total`` against the trainer.
    """
    if isinstance(schedule, ScheduleConfig):
        options = {"param": schedule.param, "relative": schedule.relative}
        if schedule.schedule.resolved and schedule.total is None:
            return schedule.schedule, options
        return schedule.build(total_steps()), options
    if isinstance(schedule, dict) and "schedule" in schedule and "type" not in schedule:
        return _driver_args(from_dict(schedule), total_steps)
    if isinstance(schedule, str):
        schedule = from_config(schedule)
    elif isinstance(schedule, dict):
        schedule = from_config(schedule)
    if not isinstance(schedule, Schedule):
        raise TypeError(f"schedule must be an lrkit Schedule, its text or config, or a ScheduleConfig; "
                        f"got {type(schedule).__name__}")
    return (schedule if schedule.resolved else schedule.resolve(total_steps())), {}
