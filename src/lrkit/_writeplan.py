"""What a Scheduler writes, and where: its tracks and the compiled write plan.

A :class:`Track` is one scheduled hyperparameter (``"lr"``, ``"momentum"``,
``"betas[0]"``...) with a schedule and a base per param group::

    value(group i, t) = bases[i] · schedules[i](t)     (relative track)
    value(group i, t) = schedules[i](t)                (absolute track)

:func:`build` turns the tracks into the plan a step runs: each distinct compiled
closure once, its value written into every group that follows it.  Torch's
per-group schedules differ only by an affine map (value = offset + scale·unit(t)
with the same arithmetic), so groups that share ``unit`` evaluate it once a step.
"""

from __future__ import annotations

import math
import numbers
import sys

from .plateau import PlateauState, bind

TYPE_CHECKING = False  # typing is not imported at run time: `import lrkit` stays fast
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from .schedule import Schedule

__all__ = ["Track", "parse_param", "is_tensor", "as_float", "build", "write_item", "range_text",
           "PLAIN", "TENSOR", "ITEM", "ITEM_TENSOR"]

MAX_VALUE = sys.float_info.max
BELOW_ONE = math.nextafter(1.0, 0.0)
#: (low, high) allowed for a parameter's values (closed bounds)
RANGES: dict[str, tuple[float, float]] = {
    "lr": (0.0, MAX_VALUE),
    "initial_lr": (0.0, MAX_VALUE),
    "momentum": (0.0, 1.0),
    "dampening": (0.0, 1.0),
    "weight_decay": (0.0, MAX_VALUE),
    "betas": (0.0, BELOW_ONE),
    "alpha": (0.0, 1.0),
    "rho": (0.0, 1.0),
    "eps": (0.0, MAX_VALUE),
    "lr_decay": (0.0, MAX_VALUE),
}

#: kinds of slot: how a value is written into a group
PLAIN, TENSOR, ITEM, ITEM_TENSOR = 0, 1, 2, 3


def parse_param(param: Any) -> tuple[str, int | None]:
    """``"lr"`` -> ("lr", None); ``"betas[0]"`` -> ("betas", 0)."""
    if not isinstance(param, str):
        raise TypeError(f"param must be a string such as 'lr', 'momentum' or 'betas[0]', got {param!r}")
    name, index = param, None
    if param.endswith("]") and "[" in param:
        name, _, rest = param[:-1].partition("[")
        index = int(rest) if rest.isdigit() and rest.isascii() else -1
    if not name.isidentifier() or index == -1:
        raise ValueError(f"param must be a name or name[index] such as 'betas[0]', got {param!r}")
    return name, index


def is_tensor(x: Any) -> bool:
    """A torch tensor (written in place with ``fill_``), without importing torch."""
    return hasattr(x, "fill_") and hasattr(x, "dim")


def as_float(x: Any, what: str) -> float:
    """A group's number (a tensor read once, at construction) as a float."""
    if is_tensor(x):
        x = x.item()
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{what} must be a number, got {type(x).__name__} ({x!r})")
    return float(x)


def range_text(low: float, high: float) -> str:
    """[0, 1), >= 0, [0, 1] or finite: the allowed range of a parameter, for messages."""
    if high == BELOW_ONE:
        return f"[{low:g}, 1)"
    if high == MAX_VALUE:
        return f">= {low:g}" if low > -MAX_VALUE else "finite"
    return f"[{low:g}, {high:g}]"


class Track:
    """One scheduled parameter: per-group schedules, bases, compiled closures.

    ``shared``: the one schedule given for every group (a group added to the
    optimizer later gets it too), None when schedules were given per group.
    ``units``: for an absolute track whose values are a base times a factor
    (torch's classes: their ``base_lrs``), the base of each group; the factor,
    value / unit, is what compounds with other schedulers on the optimizer.
    ``gains``: set by the Scheduler from the groups' ``lr_scale`` (layer decay), multiplied
    into the written values.  ``scale``: the Scheduler's ``scale`` (PBT's multiplier, 1 by
    default), multiplied into every group's gain and factor.
    """

    __slots__ = ("param", "key", "index", "relative", "low", "high", "schedules", "bases", "fns",
                 "shared", "units", "gains", "scale")
    fns: list[Callable[[Any], float] | None]  # per group, set by build()

    def __init__(self, param: str, relative: bool, schedules: list[Schedule | None],
                 bases: list[float], shared: Schedule | None = None,
                 units: list[float] | None = None) -> None:
        self.param = param
        self.key, self.index = parse_param(param)
        self.relative = relative
        self.low, self.high = RANGES.get(self.key, (-MAX_VALUE, MAX_VALUE))
        self.schedules = schedules
        self.bases = bases
        self.shared = shared
        self.units = units
        #: per group, a multiplier of the written value (timm's ``param_group["lr_scale"]``), or None
        self.gains: list[float] | None = None
        #: a multiplier of every written value (``Scheduler.scale``)
        self.scale = 1.0
        self.fns = []

    @property
    def compounds(self) -> bool:
        """Whether its values are a base times a factor (and so multiply with other schedulers')."""
        return self.relative or self.units is not None

    def gain(self, i: int) -> float:
        g = 1.0 if self.gains is None or i >= len(self.gains) else self.gains[i]
        return g if self.scale == 1.0 else g * self.scale

    def value(self, i: int, t: Any) -> float:
        """Group i's value at step t, with the plan's arithmetic: (base·gain)·schedule(t)."""
        fn = self.fns[i]
        assert fn is not None  # only for groups this track schedules
        return self.bases[i] * self.gain(i) * fn(t)

    def factor(self, i: int, t: Any) -> float:
        """Group i's factor at step t (1 for a group it leaves alone)."""
        fn = self.fns[i] if i < len(self.fns) else None
        if fn is None:
            return 1.0
        if self.relative:
            f = fn(t)
        else:
            unit = self.units[i] if self.units is not None and i < len(self.units) else 0.0
            f = fn(t) / unit if unit else 1.0
        return f if self.scale == 1.0 else f * self.scale


def build(groups: list[dict[str, Any]], tracks: list[Track],
          states: list[PlateauState]) -> list[tuple[Any, Any, Any, Any]]:
    """Bind plateau nodes to live states (appended to ``states``), compile each track's
    closures (``track.fns``) and return the step plan: for each distinct closure,
    ``(fn, scaled, shifted, other)``, lists of the plain-float groups written
    base·f, the plain-float groups written offset + base·f, and the tensor or item
    entries (None when empty, so a step skips them with one test)."""
    memo: dict[int, Schedule] = {}
    shared: dict[Schedule, Schedule] = {}  # equal schedules (no plateau state) share a closure
    plan: dict[int, tuple[Any, list[Any], list[Any], list[Any]]] = {}
    for track in tracks:
        fns: list[Callable[[Any], float] | None] = [None] * len(track.schedules)
        track.fns = fns
        for i, s in enumerate(track.schedules):
            if s is None:
                continue
            n_states = len(states)
            bound = bind(s, states, memo)
            fn = bound._fn or bound._build()
            base = track.bases[i] * track.gain(i)  # as Track.value
            offset, unit = None, fn
            if len(states) == n_states:
                affine = bound._affine() if base == 1.0 else None
                u = bound
                if affine is not None:
                    offset, base, u = affine
                u = shared.setdefault(u, u)
                unit = u._fn or u._build()
            fns[i] = fn
            g = groups[i]
            kind = _kind(g, track, i)
            _, scaled, shifted, other = plan.setdefault(id(unit), (unit, [], [], []))
            if kind != PLAIN:
                other.append((g, track.key, base, kind, i, track.low, track.high, offset, track.index))
            elif offset is None:
                scaled.append((g, track.key, base, i, track.low, track.high))
            else:
                shifted.append((g, track.key, offset, base, i, track.low, track.high))
    return [(u, a or None, b or None, c or None) for u, a, b, c in plan.values()]


def _kind(g: dict[str, Any], track: Track, i: int) -> int:
    if track.key not in g:
        raise KeyError(f"param_groups[{i}] has no {track.key!r} to schedule")
    cur = g[track.key]
    if track.index is None:
        return TENSOR if is_tensor(cur) else PLAIN
    if not isinstance(cur, (list, tuple)) or len(cur) <= track.index:
        raise ValueError(f"param_groups[{i}][{track.key!r}] has no index {track.index}")
    return ITEM_TENSOR if is_tensor(cur[track.index]) else ITEM


def write(g: dict[str, Any], track: Track, v: float) -> None:
    """Write v into group g's entry for ``track``, whatever it holds now (the slow path)."""
    cur = g[track.key]
    if track.index is None:
        if is_tensor(cur):
            cur.fill_(v)
        else:
            g[track.key] = v
    else:
        write_item(g, track.key, track.index, ITEM_TENSOR if is_tensor(cur[track.index]) else ITEM, v)


def write_item(g: dict[str, Any], key: str, index: int, kind: int, v: float) -> None:
    """Write one item of a tuple/list entry such as ``betas`` (a tensor item in place)."""
    if kind == ITEM_TENSOR:
        g[key][index].fill_(v)
        return
    seq = g[key]
    items = [*seq[:index], v, *seq[index + 1:]]
    g[key] = tuple(items) if isinstance(seq, tuple) else items
