"""Plateau: a metric-driven multiplier that composes with any schedule.

``plateau(...)`` is an immutable :class:`~lrkit.Schedule` node holding only the
*configuration* of a reduce-on-plateau rule, so it can stand in a product,
the text form and configs::

    warmup(cosine(9000, end=0.05), 1000) * plateau(patience=3, factor=0.5)

Evaluated on its own (``s(t)``, ``s.values(n)``, plots) it is the constant 1:
the value before any metric was seen.  A :class:`lrkit.Scheduler` driving such
a schedule keeps, for every plateau node, an explicit mutable
:class:`PlateauState` (in its ``state_dict``) fed by ``scheduler.report(metric)``;
while it drives the optimizer the node's value is that state's ``scale``.

The rule is torch's ``ReduceLROnPlateau``, on a scale instead of a learning rate
(reports are counted by ``n``):

* ``better(a, best)``: mode ``min``/``rel``: a < best·(1 − threshold);
  ``min``/``abs``: a < best − threshold; ``max``/``rel``: a > best·(1 + threshold);
  ``max``/``abs``: a > best + threshold.  The first report is always better.
* a better report resets the count of bad reports, any other adds one; while
  cooling down (``cooldown`` reports after a reduction) bad reports are not counted;
* when the count exceeds ``patience``: one reduction, scale_k = max(factor^k, min_scale)
  for k >= 1 (scale_0 = 1), skipped when it would lower the scale by ``eps`` or less.
"""

from __future__ import annotations

import math

from . import _validate as v
from .schedule import Schedule, register

TYPE_CHECKING = False  # typing is not imported at run time: `import lrkit` stays fast
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

__all__ = ["plateau", "PlateauState"]

_MODES = ("min", "max")
_THRESHOLD_MODES = ("rel", "abs")


@register
class plateau(Schedule):
    """Reduce-on-plateau multiplier (see the module docstring); 1.0 as a pure function."""

    name = "plateau"

    def __init__(self, mode: str = "min", factor: float = 0.1, patience: int = 10,
                 threshold: float = 1e-4, threshold_mode: str = "rel", cooldown: int = 0,
                 min_scale: float = 0.0, eps: float = 0.0) -> None:
        self._store(mode=v.choice("mode", mode, _MODES),
                    factor=v.real("factor", factor, low=0.0, high=1.0, high_open=True),
                    patience=v.integer("patience", patience, low=0, high=2**53),
                    threshold=v.real("threshold", threshold, low=0.0),
                    threshold_mode=v.choice("threshold_mode", threshold_mode, _THRESHOLD_MODES),
                    cooldown=v.integer("cooldown", cooldown, low=0, high=2**53),
                    min_scale=v.real("min_scale", min_scale, low=0.0),
                    eps=v.real("eps", eps, low=0.0))

    def _eval(self, t: Any, m: Any) -> Any:
        return m.full(t, 1.0)

class PlateauState:
    """The mutable state of one plateau node inside a Scheduler.

    Attributes: ``best`` (best metric so far, ±inf before the first report),
    ``num_bad_epochs``, ``cooldown_counter``, ``reductions`` (k), ``reports``
    (number of metrics seen) and ``scale`` (the node's current value).
    """

    __slots__ = ("node", "best", "num_bad_epochs", "cooldown_counter", "reductions", "reports",
                 "scale")

    def __init__(self, node: plateau) -> None:
        self.node = node
        self.reset()

    def reset(self) -> None:
        self.best = math.inf if self.node.mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.reductions = 0
        self.reports = 0
        self.scale = 1.0

    def _better(self, a: float) -> bool:
        p, best = self.node, self.best
        if p.mode == "min":
            return a < (best * (1.0 - p.threshold) if p.threshold_mode == "rel" else best - p.threshold)
        return a > (best * (p.threshold + 1.0) if p.threshold_mode == "rel" else best + p.threshold)

    def scale_at(self, k: int) -> float:
        """scale_k = 1 for k = 0, else max(factor^k, min_scale)."""
        if k == 0:
            return 1.0
        return max(self.node.factor**k, self.node.min_scale)

    def report(self, metric: float, reduce: Callable[[], bool] | None = None) -> bool:
        """Feed one metric; True when the scale was reduced.

        ``reduce`` (internal) decides whether a due reduction happens instead of
        the scale rule (``ReduceLROnPlateau`` decides on the group's actual lr).
        """
        p = self.node
        current = float(metric)
        self.reports += 1
        if self._better(current):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        reduced = False
        if self.num_bad_epochs > p.patience:
            new = self.scale_at(self.reductions + 1)
            if (self.scale - new > p.eps) if reduce is None else reduce():
                self.reductions += 1
                self.scale = new
                reduced = True
            self.cooldown_counter = p.cooldown
            self.num_bad_epochs = 0
        return reduced

    def state_dict(self) -> dict[str, Any]:
        best = self.best
        return {"best": best if math.isfinite(best) else None,
                "num_bad_epochs": self.num_bad_epochs, "cooldown_counter": self.cooldown_counter,
                "reductions": self.reductions, "reports": self.reports}

    def load_state_dict(self, state: Any, where: str = "plateau") -> None:
        if not isinstance(state, dict):
            raise TypeError(f"{where} must be a dict, got {type(state).__name__}")
        missing = {"best", "num_bad_epochs", "cooldown_counter", "reductions", "reports"} - set(state)
        if missing:
            raise ValueError(f"{where} lacks {sorted(missing)}")
        best = state["best"]
        if best is None:
            best = math.inf if self.node.mode == "min" else -math.inf
        self.best = v.real(f"{where}.best", best) if not math.isinf(best) else best
        self.num_bad_epochs = v.integer(f"{where}.num_bad_epochs", state["num_bad_epochs"], low=0)
        self.cooldown_counter = v.integer(f"{where}.cooldown_counter", state["cooldown_counter"], low=0)
        self.reductions = v.integer(f"{where}.reductions", state["reductions"], low=0)
        self.reports = v.integer(f"{where}.reports", state["reports"], low=0)
        self.scale = self.scale_at(self.reductions)


class BoundPlateau(Schedule):
    """Internal: a plateau node bound to a live :class:`PlateauState` (never serialized)."""

    name = "plateau"

    def __init__(self, state: PlateauState) -> None:
        object.__setattr__(self, "state", state)
        object.__setattr__(self, "_args", ())
        object.__setattr__(self, "_fn", None)
        object.__setattr__(self, "_hash", None)

    def _eval(self, t: Any, m: Any) -> Any:
        scale = self.state.scale  # live: read at every evaluation (so never traced into a constant)
        return scale if m.is_scalar else m.full(t, scale)

    def __repr__(self) -> str:
        return repr(self.state.node)

    def __eq__(self, other: object) -> bool:
        return self is other

    def __hash__(self) -> int:
        return id(self)


def bind(schedule: Schedule, states: list[PlateauState], memo: dict[int, Schedule]) -> Schedule:
    """``schedule`` with each plateau node replaced by a node reading a live state.

    New states are appended to ``states``; ``memo`` (id of node -> bound node)
    makes a node shared between groups share its state.
    """
    key = id(schedule)
    if key in memo:
        return memo[key]
    if isinstance(schedule, plateau):
        st = PlateauState(schedule)
        states.append(st)
        out: Schedule = BoundPlateau(st)
    elif not _has_plateau(schedule):
        out = schedule
    else:
        from .schedule import _rebuild

        args = tuple((n, _bind_value(x, states, memo)) for n, x in schedule._args)
        out = _rebuild(type(schedule), args)
    memo[key] = out
    return out


def _bind_value(x: Any, states: list[PlateauState], memo: dict[int, Schedule]) -> Any:
    if isinstance(x, Schedule):
        return bind(x, states, memo)
    if isinstance(x, tuple):
        return tuple(_bind_value(y, states, memo) for y in x)
    return x


def _has_plateau(x: Any) -> bool:
    if isinstance(x, plateau):
        return True
    if isinstance(x, Schedule):
        return any(_has_plateau(a) for _, a in x._args)
    if isinstance(x, tuple):
        return any(_has_plateau(y) for y in x)
    return False


def has_plateau(schedule: Schedule) -> bool:
    """True when a plateau node is somewhere in ``schedule``."""
    return _has_plateau(schedule)
