"""A Scheduler's saved state: its JSON format, its validation, and comparing schedules.

``state_dict()`` is plain JSON::

    {"format": "lrkit.Scheduler", "version": 1, "class": "StepLR", "last_epoch": 5, "unit": "steps",
     "scale": 1.0,
     "tracks": [{"param": "lr", "relative": false, "bases": null,
                 "schedules": [{"config": {...}, "text": "step(3, start=0.5)"}, ...]}],
     "plateaus": [...], ...class-specific keys}

:func:`check` refuses anything else with a ValueError/TypeError naming the key:
another format, version or class, unknown keys, a step that is not a number in
[0, 2**53], bases on an absolute track, malformed tracks or schedules.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time: `import lrkit` stays fast
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from ._writeplan import Track
    from .schedule import Schedule

__all__ = ["FORMAT", "VERSION", "UNITS", "check", "schedule_state", "same_schedule", "text", "saved_duration",
           "changes"]

FORMAT = "lrkit.Scheduler"
#: version of the ``state_dict`` format
VERSION = 1
#: the clocks a Scheduler counts in
UNITS = ("steps", "tokens", "samples")
_KEYS = {"format", "version", "class", "last_epoch", "unit", "tracks", "plateaus", "scale"}
_TRACK_KEYS = {"param", "relative", "bases", "schedules"}


def check(sd: Any, name: str, extra: tuple[str, ...], check_step: Callable[[Any, str], int | float],
          max_value: float) -> dict[str, Any]:
    """``sd`` validated as the state of a scheduler of class ``name`` (with keys ``extra``
    beyond the common ones); ``last_epoch`` is normalised by ``check_step``."""
    if not isinstance(sd, dict):
        raise TypeError(f"state_dict must be a dict, got {type(sd).__name__}")
    if sd.get("format") != FORMAT:
        raise ValueError(
            f"state_dict is not an lrkit Scheduler state (no format={FORMAT!r}); keys: {sorted(map(str, sd))[:8]}"
        )
    version = sd.get("version")
    if type(version) is not int or version != VERSION:
        raise ValueError(f"state_dict version {version!r} is not supported (this lrkit reads {VERSION})")
    if sd.get("class") != name:
        raise ValueError(f"state_dict was saved by {sd.get('class')!r}, this scheduler is a {name!r}")
    unknown = sorted(map(str, set(sd) - _KEYS - set(extra)))
    if unknown:
        raise ValueError(f"state_dict has keys that a {name} state does not: {unknown}")
    for key in ("last_epoch", "tracks", "plateaus"):
        if key not in sd:
            raise ValueError(f"state_dict lacks {key!r}")
    if sd.get("unit", "steps") not in UNITS:
        raise ValueError(f"state_dict['unit'] must be one of {', '.join(map(repr, UNITS))}, got {sd['unit']!r}")
    scale = sd.get("scale", 1.0)  # states saved before `scale` existed: 1
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not 0 <= scale <= max_value:
        raise ValueError(f"state_dict['scale'] must be a finite number >= 0, got {scale!r}")
    out = dict(sd)
    out["scale"] = float(scale)
    out["last_epoch"] = check_step(sd["last_epoch"], "state_dict['last_epoch']")
    tracks = sd["tracks"]
    if not isinstance(tracks, list) or not tracks:
        raise ValueError("state_dict['tracks'] must be a non-empty list")
    for k, tr in enumerate(tracks):
        _check_track(tr, f"state_dict['tracks'][{k}]", max_value)
    if not isinstance(sd["plateaus"], list):
        raise ValueError("state_dict['plateaus'] must be a list")
    return out


def _check_track(tr: Any, where: str, max_value: float) -> None:
    if not isinstance(tr, dict) or set(tr) != _TRACK_KEYS:
        raise ValueError(f"{where} must hold exactly param, relative, bases, schedules")
    if not isinstance(tr["param"], str) or not isinstance(tr["relative"], bool):
        raise ValueError(f"{where}: param must be a string and relative True or False")
    if not isinstance(tr["schedules"], list):
        raise ValueError(f"{where}['schedules'] must be a list")
    for i, s in enumerate(tr["schedules"]):
        if s is not None and (not isinstance(s, dict) or set(s) != {"config", "text"}
                              or not isinstance(s["text"], str)
                              or not (s["config"] is None or isinstance(s["config"], dict))):
            raise ValueError(f"{where}['schedules'][{i}] must hold config (a dict or None) and text")
    bases = tr["bases"]
    if bases is None:
        return
    if not tr["relative"]:
        raise ValueError(f"{where}['bases'] must be None: the track is absolute (relative=False)")
    if not isinstance(bases, list) or len(bases) != len(tr["schedules"]):
        raise ValueError(f"{where}['bases'] must be a list, one per group")
    for i, b in enumerate(bases):
        if isinstance(b, bool) or not isinstance(b, (int, float)) or not -max_value <= b <= max_value:
            raise ValueError(f"{where}['bases'][{i}] must be a finite number, got {b!r}")


def schedule_state(s: Schedule) -> dict[str, Any]:
    """A schedule as saved: its config (None for custom callables) and its text."""
    try:
        config: Any = s.to_config()
    except TypeError:
        config = None  # custom callables cannot be saved
    return {"config": config, "text": repr(s)}


def same_schedule(saved: Any, now: Any) -> bool:
    """Saved and current schedule states are the same schedule (configs, else texts)."""
    if saved is None or now is None:
        return saved is None and now is None
    if saved["config"] is not None and now["config"] is not None:
        return _canonical(saved["config"]) == _canonical(now["config"])
    return bool(saved["text"] == now["text"])


def _canonical(cfg: Any) -> Any:
    """Configs compared after a JSON round trip (tuples vs lists, int vs float keys)."""
    import json  # on a load only: `import lrkit` stays fast

    return json.loads(json.dumps(cfg))


def text(state: Any) -> str:
    return "(not scheduled)" if state is None else str(state["text"])


def saved_duration(state: Any) -> Any:
    """The duration of a saved schedule (None if unknown or unbounded)."""
    if state is None or state["config"] is None:
        return None
    from .spec import from_config

    try:
        return from_config(state["config"]).duration
    except (TypeError, ValueError):
        return None


def changes(saved_tracks: list[dict[str, Any]], tracks: list[Track]) -> tuple[list[str], list[Any]]:
    """What differs between the saved tracks and the current ones (one line per group),
    and the saved schedules' durations; a different parameter or group count is an error."""
    if len(saved_tracks) != len(tracks):
        raise ValueError(f"state_dict schedules {len(saved_tracks)} parameter(s), this scheduler {len(tracks)}")
    out: list[str] = []
    durations: list[Any] = []
    for k, (saved, track) in enumerate(zip(saved_tracks, tracks, strict=True)):
        if saved["param"] != track.param or saved["relative"] != track.relative:
            raise ValueError(
                f"state_dict track {k} schedules {saved['param']!r} (relative={saved['relative']}), "
                f"this scheduler {track.param!r} (relative={track.relative})"
            )
        if len(saved["schedules"]) != len(track.schedules):
            raise ValueError(
                f"state_dict has {len(saved['schedules'])} param groups, the optimizer {len(track.schedules)}"
            )
        for i, (ss, s) in enumerate(zip(saved["schedules"], track.schedules, strict=True)):
            now = None if s is None else schedule_state(s)
            if not same_schedule(ss, now):
                out.append(f"param_groups[{i}][{track.param!r}]:\n  saved: {text(ss)}\n  now:   {text(now)}")
            durations.append(saved_duration(ss))
        if track.relative and saved["bases"] is not None:
            for i, (b_old, b_now) in enumerate(zip(saved["bases"], track.bases, strict=False)):
                if track.schedules[i] is not None and float(b_old) != b_now:
                    out.append(f"param_groups[{i}] base {track.param}: saved {b_old!r}, now {b_now!r}")
    return out, durations
