"""Scheduler: write schedule values into any optimizer's ``param_groups``.

Works with every object whose ``param_groups`` is a list of dicts (PyTorch
optimizers, hand-written ones).  It holds one piece of state, the step::

    value(group, t) = base(group) · schedule(t)    (relative=True; None, the default, checks first)
    value(group, t) = schedule(t)                  (relative=False)

times ``scheduler.scale`` (1 unless set: the multiplier Population Based Training mutates).
``base`` is the group's value when the Scheduler is built (for ``lr`` torch's
``group["initial_lr"]`` when present, which it also sets, like torch).
Step 0 is applied at construction; ``step()`` advances one step, ``step(t)``
jumps to step t.  ``state_dict()`` is plain JSON (the step, the bases, the
schedules' configs, plateau states), ``load_state_dict()`` validates it and
never silently changes the schedule of a run: see :meth:`Scheduler.load_state_dict`.
"""

from __future__ import annotations

import math
import numbers

from . import _state
from ._peers import peers_of
from ._writeplan import (
    MAX_VALUE,
    TENSOR,
    Track,
    as_float,
    build,
    is_tensor,
    parse_param,
    range_text,
    write,
    write_item,
)
from .plateau import PlateauState
from .schedule import Schedule

TYPE_CHECKING = False  # typing is not imported at run time: `import lrkit` stays fast
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

__all__ = ["Scheduler", "STATE_VERSION", "ON_CHANGE", "UNITS"]

#: version of the ``state_dict`` format
STATE_VERSION = _state.VERSION
#: the policies of ``on_change``
ON_CHANGE = ("error", "continue", "rescale", "saved")
#: the clocks a Scheduler counts in: optimizer updates, or the tokens / samples they consumed
UNITS = _state.UNITS

_MAX_STEP = 2**53  # steps beyond it are not exact in float64 (and t + 1 == t)


def _as_schedule(s: Any, where: str, total_steps: int | None) -> Schedule:
    from .spec import as_schedule

    return as_schedule(dict(s) if isinstance(s, dict) else s, total_steps=total_steps, where=where)


class Scheduler:
    """Drive ``optimizer.param_groups[*][param]`` from a schedule (see the module docstring).

    Args:
        optimizer: any object with ``param_groups``, a list of dicts.
        schedule: a Schedule (or its text form / config dict) for every group; a
            list with one per group (``None`` leaves a group alone); or a dict
            keyed by group index or by a group's ``"name"``.
        param: the hyperparameter: ``"lr"``, ``"momentum"``, ``"weight_decay"``,
            ``"betas[0]"``...  Values outside its range (lr >= 0, momentum in
            [0, 1], betas in [0, 1), ...) raise ``ValueError`` when written.
        relative: ``True``: value = base × schedule(t) (base: the group's value now);
            ``False``: value = schedule(t); ``None`` (the default): as ``True``, after a
            check that the schedule is not an absolute lr in disguise: a ``ValueError`` when
            its value at step 0 or its peak equals a group's base (not 1), an
            :class:`lrkit.factor_check.AbsoluteLrWarning` when its peak is below 0.01
            (see :mod:`lrkit.factor_check`).
        total_steps: resolves schedules whose durations are fractions of the run.
        unit: the clock the schedule's durations count: ``"steps"`` (optimizer
            updates, the default), ``"tokens"`` or ``"samples"``; with a token or
            sample clock ``step(tokens=n)`` / ``step(samples=n)`` advances by the
            units of this update (they may vary), and the position is an exact integer.
        total_tokens, total_samples: resolve fractions of the run on that clock.
        on_change: what ``load_state_dict`` does when the saved schedule differs:
            ``"error"`` (default), ``"continue"``, ``"rescale"`` or ``"saved"``.
    """

    #: values last written when compounded with other schedulers ((track, group) -> value)
    _written: dict[tuple[int, int], float] | None = None
    #: what get_last_lr() reports when a ChainedScheduler drives this one (torch's values), else None
    _reported: list[float | None] | None = None

    #: the clock (see ``unit``); the torch-compatible classes count steps
    unit = "steps"

    def __init__(self, optimizer: Any, schedule: Any, *, param: str = "lr", relative: bool | None = None,
                 total_steps: int | None = None, on_change: str = "error", unit: str = "steps",
                 total_tokens: int | None = None, total_samples: int | None = None) -> None:
        groups = self._check_optimizer(optimizer)
        total_steps = self._clock(unit, total_steps, total_tokens, total_samples)
        if relative is not None and not isinstance(relative, bool):
            raise TypeError(f"relative must be None (a factor, checked), True or False, got {relative!r}")
        parse_param(param)
        per_group = self._per_group(groups, schedule, total_steps)
        one = not isinstance(schedule, (list, tuple)) and not (isinstance(schedule, dict) and "type" not in schedule)
        shared = per_group[0] if one else None
        track = Track(param, relative is not False, per_group, [1.0] * len(groups), shared)
        if relative is not False:
            track.bases = [self._capture_base(g, i, track) if s is not None else 1.0
                           for i, (g, s) in enumerate(zip(groups, per_group, strict=False))]
        if relative is None:
            from .factor_check import check

            check(per_group, track.bases, self._texts(schedule, len(groups)), param)
        self._setup(optimizer, [track], 0, on_change)

    @staticmethod
    def _texts(schedule: Any, n: int) -> list[str | None]:
        """Each group's schedule as the caller wrote it, where it was text (for messages)."""
        if isinstance(schedule, str):
            return [schedule] * n
        if isinstance(schedule, (list, tuple)) and len(schedule) == n:
            return [s if isinstance(s, str) else None for s in schedule]
        return [None] * n

    def _clock(self, unit: Any, total_steps: Any, total_tokens: Any, total_samples: Any) -> Any:
        """Set the clock; the total of the run on it (for fractions of the run)."""
        if unit not in UNITS:
            raise ValueError(f"unit must be one of {', '.join(map(repr, UNITS))}; got {unit!r}")
        totals = {"steps": total_steps, "tokens": total_tokens, "samples": total_samples}
        for other, given in totals.items():
            if other != unit and given is not None:
                raise ValueError(f"total_{other}={given!r} does not apply to a clock in {unit}: "
                                 f"give total_{unit}= (or unit={other!r})")
        self.unit = unit
        return totals[unit]

    @staticmethod
    def _capture_base(g: dict[str, Any], i: int, track: Track) -> float:
        """A group's base value: ``initial_<param>``, set (like torch) to the value now if absent."""
        key, index = track.key, track.index
        if key not in g:
            raise KeyError(f"param_groups[{i}] has no {key!r} to schedule")
        init = "initial_" + track.param
        if init not in g:
            cur = g[key] if index is None else g[key][index]
            g[init] = cur.clone() if is_tensor(cur) else cur
        return as_float(g[init], f"param_groups[{i}][{init!r}]")

    # -- construction ---------------------------------------------------------
    @staticmethod
    def _check_optimizer(optimizer: Any) -> list[dict[str, Any]]:
        groups = getattr(optimizer, "param_groups", None)
        if not isinstance(groups, list) or not all(isinstance(g, dict) for g in groups):
            raise TypeError(
                f"optimizer must have param_groups, a list of dicts; {type(optimizer).__name__} has "
                f"{type(groups).__name__ if groups is not None else 'none'}"
            )
        if not groups:
            raise ValueError("optimizer.param_groups is empty")
        return groups

    @staticmethod
    def _per_group(groups: list[dict[str, Any]], schedule: Any,
                   total_steps: int | None) -> list[Schedule | None]:
        n = len(groups)
        if isinstance(schedule, dict) and "type" not in schedule:
            names: dict[Any, int] = {g.get("name"): i for i, g in enumerate(groups) if g.get("name") is not None}
            out: list[Schedule | None] = [None] * n
            for k, s in schedule.items():
                if isinstance(k, bool):
                    raise TypeError(f"schedule keys must be group indices or names, got {k!r}")
                if isinstance(k, numbers.Integral):
                    if not 0 <= int(k) < n:
                        raise ValueError(f"schedule key {k} is not a group index (0..{n - 1})")
                    i = int(k)
                elif isinstance(k, str):
                    if k not in names:
                        raise ValueError(f"schedule key {k!r} names no param group (names: {sorted(names)})")
                    i = names[k]
                else:
                    raise TypeError(f"schedule keys must be group indices or names, got {k!r}")
                if out[i] is not None:
                    raise ValueError(f"param group {i} is given two schedules")
                out[i] = None if s is None else _as_schedule(s, f"schedule[{k!r}]", total_steps)
            return out
        if isinstance(schedule, (list, tuple)):
            if len(schedule) != n:
                raise ValueError(f"schedule has {len(schedule)} entries for {n} param groups")
            return [None if s is None else _as_schedule(s, f"schedule[{i}]", total_steps)
                    for i, s in enumerate(schedule)]
        one = _as_schedule(schedule, "schedule", total_steps)
        return [one] * n

    def _setup(self, optimizer: Any, tracks: list[Track], start: int | float,
               on_change: str = "error") -> None:
        if on_change not in ON_CHANGE:
            raise ValueError(f"on_change must be one of {', '.join(map(repr, ON_CHANGE))}; got {on_change!r}")
        self.optimizer = optimizer
        self.on_change = on_change
        self._tracks = tracks
        self._plateaus: list[PlateauState] = []
        self._bind()
        self.last_epoch = start
        self._join_peers()
        self._apply(start)

    # -- the optimizer's live groups and the other schedulers on it ------------------
    def _join_peers(self) -> None:
        self._peers = peers_of(self.optimizer)
        self._peer_refs = self._peers.members  # read each step: compound when it holds others
        others = self._peers.others(self)
        self._peers.add(self)
        # absolute values (relative=False) do not compound: if they share the lr, the last writer wins
        mine = next((tr for tr in self._tracks if tr.param == "lr"), None)
        theirs = [tr for o in others for tr in getattr(o, "_tracks", ()) if tr.param == "lr"]
        if mine is not None and theirs and not all(tr.compounds for tr in (mine, *theirs)):
            import warnings

            warnings.warn(
                "two lrkit schedulers drive 'lr' of this optimizer and one of them sets absolute values "
                "(relative=False), which do not compound: the last one to step wins. Build one Scheduler "
                "with the product of the schedules instead.", UserWarning, stacklevel=4)

    def _leave_peers(self) -> None:
        """Stop compounding with the optimizer's other schedulers (a composite drives this one)."""
        self._peers.remove(self)

    def _factor(self, param: str, i: int) -> float:
        """This scheduler's factor for group i's ``param`` at its current step (1 if none)."""
        self._follow_groups()
        for track in self._tracks:
            if track.param == param and track.compounds:
                return track.factor(i, self._applied)
        return 1.0

    def _follow_groups(self) -> None:
        """Follow the optimizer's live ``param_groups``: rebind after the list was replaced
        (``optimizer.load_state_dict``, wrappers, user code), schedule groups added since."""
        groups = self.optimizer.param_groups
        if groups is self._groups and len(groups) == self._n_groups:
            return
        self._check_optimizer(self.optimizer)
        n_old, n = len(self._tracks[0].schedules), len(groups)
        if n < n_old:
            raise ValueError(
                f"optimizer.param_groups now has {n} groups, fewer than the {n_old} this "
                f"{type(self).__name__} schedules; build a new scheduler for the new groups"
            )
        for i in range(n_old, n):
            for track in self._tracks:
                self._add_group(track, i, groups[i])
        self._rebind()

    def _rebind(self) -> None:
        """Recompile the write plan, keeping the plateau states."""
        saved = [st.state_dict() for st in self._plateaus]
        self._bind()
        for st, sd in zip(self._plateaus, saved, strict=False):
            st.load_state_dict(sd)

    def _add_group(self, track: Track, i: int, g: dict[str, Any]) -> None:
        """Schedule group i, added to the optimizer after construction: the all-groups
        schedule with the group's own value as its base."""
        if track.shared is None:
            raise ValueError(
                f"param_groups[{i}] was added to the optimizer after this {type(self).__name__} was "
                "built with one schedule per group, so it has no schedule; build the scheduler after "
                "add_param_group(), or give one schedule for every group"
            )
        track.schedules.append(track.shared)
        track.bases.append(self._capture_base(g, i, track) if track.relative else 1.0)

    def _bind(self) -> None:
        """Bind plateau nodes to live states and compile the write plan."""
        groups = self.optimizer.param_groups
        self._groups, self._n_groups = groups, len(groups)
        self._plateaus = []
        for track in self._tracks:
            track.gains = self._lr_scales(groups) if track.key == "lr" and track.index is None else None
        self._plan = build(groups, self._tracks, self._plateaus)

    def _lr_scales(self, groups: list[dict[str, Any]]) -> list[float] | None:
        """The groups' ``lr_scale`` (timm's layer-decay groups carry one; the written lr is
        multiplied by it, as timm's schedulers do), or None when no group has one."""
        if not any("lr_scale" in g for g in groups):
            return None
        out = []
        for i, g in enumerate(groups):
            x = as_float(g.get("lr_scale", 1.0), f"param_groups[{i}]['lr_scale']")
            if not 0.0 <= x <= MAX_VALUE:
                raise ValueError(f"param_groups[{i}]['lr_scale'] must be a finite number >= 0, got {x!r}")
            out.append(x)
        return out

    # -- stepping -------------------------------------------------------------
    def _apply(self, t: int | float) -> None:
        groups = self.optimizer.param_groups
        if groups is not self._groups or len(groups) != self._n_groups or len(self._peer_refs) > 1:
            # the optimizer's groups changed, or other schedulers drive it: the general path
            self._follow_groups()
            others = self._peers.others(self)
            if others:
                self._apply_compound(t, others)
                return
        self._applied = t
        for fn, scaled, shifted, other in self._plan:
            f = fn(t)
            if scaled:
                for g, key, base, i, low, high in scaled:
                    v = base * f
                    if not low <= v <= high:
                        self._out_of_range(i, key, t, v)
                    g[key] = v
            if shifted:
                for g, key, offset, scale, i, low, high in shifted:
                    v = offset + scale * f
                    if not low <= v <= high:
                        self._out_of_range(i, key, t, v)
                    g[key] = v
            if other:
                for g, key, base, kind, i, low, high, offset, index in other:
                    v = base * f if offset is None else offset + base * f
                    if not low <= v <= high:
                        self._out_of_range(i, key, t, v)
                    if kind == TENSOR:
                        g[key].fill_(v)  # in place: no new tensor, no recompile, no host sync
                    else:
                        write_item(g, key, index, kind, v)

    def _apply_compound(self, t: int | float, others: list[Any]) -> None:
        """Write step t with the factors of the optimizer's other schedulers multiplied in."""
        self._applied = t
        groups = self.optimizer.param_groups
        written: dict[tuple[int, int], float] = {}
        for k, track in enumerate(self._tracks):
            for i, fn in enumerate(track.fns):
                if fn is None:
                    continue
                v = track.value(i, t)
                if track.compounds:
                    for o in others:
                        v *= o._factor(track.param, i)
                if not track.low <= v <= track.high:
                    self._out_of_range(i, track.key, t, v)
                write(groups[i], track, v)
                written[k, i] = v
        self._written = written

    def _out_of_range(self, i: int, key: str, t: Any, v: float) -> None:
        track = next(tr for tr in self._tracks if tr.key == key and tr.schedules[i] is not None)
        raise ValueError(
            f"the schedule of param_groups[{i}][{track.param!r}] gives {v!r} at step {t}, "
            f"outside the allowed range ({range_text(track.low, track.high)}): {track.schedules[i]!r}"
        )

    #: whether ``step(epoch)`` takes fractional steps (torch's classes but one take integers)
    _fractional = True
    #: keys of ``state_dict()`` beyond the common ones (subclasses add theirs)
    _STATE_EXTRA: tuple[str, ...] = ()

    def _check_epoch(self, epoch: Any, what: str = "epoch") -> int | float:
        """A step to jump to: a finite number in [0, 2**53] (an integer unless fractional
        steps are allowed); floats with an integer value become ints."""
        if isinstance(epoch, bool) or not isinstance(epoch, numbers.Real):
            raise TypeError(f"{what} must be an int or a float >= 0, got {epoch!r}")
        if isinstance(epoch, numbers.Integral):
            e: int | float = int(epoch)
        else:
            e = float(epoch)
            if e.is_integer():
                e = int(e)
        if not 0 <= e <= _MAX_STEP:
            raise ValueError(f"{what} must be a finite number in [0, 2**53], got {epoch!r}")
        if not self._fractional and not isinstance(e, int):
            raise ValueError(f"{what} must be an integer for {type(self).__name__}, got {epoch!r}")
        return e

    def step(self, epoch: int | float | None = None, *, tokens: int | None = None,
             samples: int | None = None) -> None:
        """Advance one step, or jump to ``epoch`` (any step, forward or back).  On a token
        (sample) clock: ``step(tokens=n)`` advances by the n tokens of this update."""
        if tokens is None and samples is None and self.unit == "steps":
            t = self.last_epoch + 1 if epoch is None else self._check_epoch(epoch)
        else:
            t = self._advance(epoch, tokens, samples)
        self.last_epoch = t
        self._apply(t)

    def _advance(self, epoch: Any, tokens: Any, samples: Any) -> int | float:
        """The position after ``step(epoch, tokens=, samples=)`` on a token or sample clock."""
        unit = self.unit
        counts = {"tokens": tokens, "samples": samples}
        for name, n in counts.items():
            if n is not None and name != unit:
                raise TypeError(f"step({name}=...) needs a clock in {name}; this scheduler counts {unit}"
                                + (f" (build it with unit={name!r})" if unit == "steps" else ""))
        n = counts.get(unit)
        if epoch is not None:
            if n is not None:
                raise TypeError(f"give step(epoch) (a position to jump to) or step({unit}=n), not both")
            return self._check_epoch(epoch)
        if n is None:
            raise TypeError(f"this scheduler counts {unit}: advance it with step({unit}=n), the {unit} "
                            "consumed by this update")
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 0:
            raise ValueError(f"{unit} must be an integer >= 0 (the {unit} of this update), got {n!r}")
        return self._check_epoch(self.last_epoch + int(n), f"the position after {unit}={n!r}")

    def report(self, metric: Any) -> bool:
        """Feed a metric to every plateau node; True when a scale was reduced.

        The new values are written at once (for the next optimizer step).
        """
        if not self._plateaus:
            raise ValueError("report() needs a plateau(...) factor in the schedule")
        try:
            value = float(metric)
        except (TypeError, ValueError):
            raise TypeError(f"metric must be a number, got {type(metric).__name__}") from None
        reduced = False
        for st in self._plateaus:
            reduced = st.report(value) or reduced
        self._apply(self.last_epoch)
        return reduced

    # -- reading --------------------------------------------------------------
    def get_last_lr(self) -> list[float]:
        """The values last written, one per group (the first track: ``param``).

        A group left alone reports its current value."""
        track = self._tracks[0]
        groups = self.optimizer.param_groups
        out = []
        for i, x in enumerate(self._last_values(track)):
            if x is None:
                cur = groups[i][track.key]
                x = as_float(cur if track.index is None else cur[track.index], "value")
            out.append(x)
        return out

    def get_last_values(self, param: str | None = None) -> list[float | None]:
        """The values last written for ``param`` (default: the first track); None for a
        group it leaves alone."""
        for track in self._tracks:
            if param is None or track.param == param:
                return self._last_values(track)
        raise KeyError(f"this scheduler does not schedule {param!r}")

    def _last_values(self, track: Track) -> list[float | None]:
        if self._reported is not None and track is self._tracks[0]:
            return list(self._reported)  # set by a ChainedScheduler for its children, as torch reports them
        t = self._applied  # recomputed, not stored every step: the hot path stays lean
        k = self._tracks.index(track)
        # compounded with other schedulers: the values written then
        written = self._written if self._written is not None and len(self._peer_refs) > 1 else {}
        return [None if fn is None else written.get((k, i), track.value(i, t))
                for i, fn in enumerate(track.fns)]

    @property
    def schedules(self) -> list[Schedule | None]:
        """The schedule of each group (first track)."""
        return list(self._tracks[0].schedules)

    @property
    def plateaus(self) -> list[PlateauState]:
        return list(self._plateaus)

    def _run_length(self) -> float | None:
        ds = []
        for track in self._tracks:
            for s in track.schedules:
                if s is not None:
                    d = s.duration
                    if d is None:
                        return None
                    ds.append(d)
        return max(ds) if ds else None

    @property
    def scale(self) -> float:
        """A multiplier of the values written for ``param`` (1 by default), for Population Based
        Training: ``scheduler.scale *= 1.2`` multiplies the lr from now on without touching the
        schedule's position.  Kept in ``state_dict()``; the new values are written at once."""
        return self._tracks[0].scale

    @scale.setter
    def scale(self, value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"scale must be a number >= 0, got {value!r}")
        x = float(value)
        if not 0.0 <= x <= MAX_VALUE:
            raise ValueError(f"scale must be a finite number >= 0, got {value!r}")
        self._tracks[0].scale = x
        self._rebind()
        self._apply(self.last_epoch)

    # -- state ----------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """A JSON-able dict: format, version, class, step, per-track bases and schedules."""
        tracks = []
        for track in self._tracks:
            tracks.append({
                "param": track.param,
                "relative": track.relative,
                "bases": list(track.bases) if track.relative else None,
                "schedules": [None if s is None else _state.schedule_state(s) for s in track.schedules],
            })
        return {
            "format": "lrkit.Scheduler",
            "version": STATE_VERSION,
            "class": type(self).__name__,
            "last_epoch": self.last_epoch,
            "unit": self.unit,
            "scale": self.scale,
            "tracks": tracks,
            "plateaus": [st.state_dict() for st in self._plateaus],
        }

    def load_state_dict(self, state_dict: Mapping[str, Any], on_change: str | None = None) -> None:
        """Restore the step (and plateau states) of a saved run.

        The saved state must come from the same kind of run: same parameters
        and number of groups.  When its schedules (or bases) differ from this
        scheduler's, ``on_change`` (default: the one given at construction)
        decides: ``"error"`` raises a ValueError that shows both; ``"continue"``
        keeps the step and uses this scheduler's schedules; ``"rescale"`` keeps
        the fraction of the run done: step × new duration / old duration;
        ``"saved"`` continues with the saved schedules (torch's behaviour).
        """
        policy = self.on_change if on_change is None else on_change
        if policy not in ON_CHANGE:
            raise ValueError(f"on_change must be one of {', '.join(map(repr, ON_CHANGE))}; got {policy!r}")
        sd = self._checked_state(state_dict)
        saved_unit = sd.get("unit", "steps")
        if saved_unit != self.unit:
            raise ValueError(f"state_dict counts {saved_unit}, this scheduler {self.unit}: its position "
                             f"({sd['last_epoch']}) cannot be read on this clock")
        changes, old_durations = _state.changes(sd["tracks"], self._tracks)
        step = sd["last_epoch"]
        if changes:
            if policy == "error":
                raise ValueError(
                    "the schedule differs from the one saved in the state_dict:\n"
                    + "\n".join(changes)
                    + "\nBuild the scheduler with the saved schedule, or pass on_change='saved' (continue "
                    "with the saved schedule, as torch does), on_change='continue' (keep the step, use "
                    "this schedule) or on_change='rescale' (keep the fraction of the run done)."
                )
            if policy == "rescale":
                step = self._rescaled(step, old_durations)
            if policy == "saved":
                self._use_saved(sd)
        else:
            # identical schedules: restore the exact saved bases
            for saved, track in zip(sd["tracks"], self._tracks, strict=False):
                if track.relative and saved["bases"] is not None:
                    track.bases = [float(b) for b in saved["bases"]]
        self._tracks[0].scale = sd["scale"]
        self._bind()
        if len(sd["plateaus"]) == len(self._plateaus):
            for j, (st, saved) in enumerate(zip(self._plateaus, sd["plateaus"], strict=False)):
                st.load_state_dict(saved, f"state_dict['plateaus'][{j}]")
        elif not changes:
            raise ValueError(
                f"state_dict holds {len(sd['plateaus'])} plateau states, the schedule has "
                f"{len(self._plateaus)} plateau nodes"
            )
        self.last_epoch = step
        self._apply(step)

    def _use_saved(self, sd: dict[str, Any]) -> None:
        """on_change='saved': continue with the schedules (and bases) of the state_dict."""
        from .spec import from_config

        for saved, track in zip(sd["tracks"], self._tracks, strict=True):
            schedules: list[Schedule | None] = []
            for i, ss in enumerate(saved["schedules"]):
                if ss is not None and ss["config"] is None:
                    raise ValueError(
                        f"on_change='saved': the saved schedule of param_groups[{i}][{track.param!r}], "
                        f"{ss['text']}, is a Python callable and cannot be rebuilt from the state_dict; "
                        "build the scheduler with it"
                    )
                schedules.append(None if ss is None else from_config(ss["config"]))
            track.schedules = schedules
            track.shared = None
            if track.relative and saved["bases"] is not None:
                track.bases = [float(b) for b in saved["bases"]]

    def _checked_state(self, sd: Any) -> dict[str, Any]:
        """``sd`` validated as a state_dict of this class (see :mod:`lrkit._state`)."""
        return _state.check(sd, type(self).__name__, self._STATE_EXTRA, self._check_epoch, MAX_VALUE)

    def _rescaled(self, step: int | float, old_durations: list[Any]) -> int | float:
        if any(d is None for d in old_durations) or not old_durations:
            raise ValueError("on_change='rescale' needs the saved schedules to have a finite duration")
        old = max(old_durations)
        new = self._run_length()
        if new is None:
            raise ValueError("on_change='rescale' needs the new schedules to have a finite duration")
        if old <= 0:
            return step
        x = step * new / old
        return int(math.floor(x + 0.5)) if isinstance(step, int) else x

    # pickling and copying: the compiled write slots are rebuilt, plateau states kept
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("_plan", None)
        state.pop("_peers", None)  # weak references: the copy joins its optimizer's peers anew
        state.pop("_peer_refs", None)
        state["_plateaus"] = [st.state_dict() for st in self._plateaus]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        saved = state.pop("_plateaus", [])
        self.__dict__.update(state)
        self._bind()
        self._join_peers()
        for st, sd in zip(self._plateaus, saved, strict=False):
            st.load_state_dict(sd)

    def __repr__(self) -> str:
        s = self._tracks[0].schedules
        what = repr(s[0]) if all(x is s[0] for x in s) else "per-group schedules"
        return f"<{type(self).__name__} {self._tracks[0].param} at step {self.last_epoch}: {what}>"
