"""Describe a schedule in numbers: start, peak, minimum, final value, length, seams.

A *seam* is a step where the value jumps: a warmup that ends on a different
value than the decay starts from, a restart to the wrong value, a piecewise
drop.  Such bugs are otherwise found only by plotting.

Seam rule.  Let d(t) = v(t) − v(t − 1).  The step t is a seam when

    |d(t)| > RATIO · max(median |d| of the K steps before, median |d| of the K steps after)

with ``RATIO = 10`` and ``K = 3`` (a side that does not fit inside the run is
left out), and |d(t)| is above float rounding (1e-9 of the largest |value|).
A jump is a step-to-step change an order of magnitude larger than the local
slope on *both* sides, so a smooth warmup + cosine has no seam however steep
it is, while drops between flat stretches, restarts and a warmup that ends
on the wrong value are found.  The medians make the rule robust to a
neighbouring jump (milestones one step apart are two seams).  Seams are looked for in the
schedule without its ``noise(...)`` wrappers: that noise is deliberate
step-to-step jitter, not a seam (start, peak, minimum and final value do
include it).

    >>> import lrkit
    >>> d = lrkit.describe(lrkit.join([lrkit.constant(1.0), lrkit.constant(0.1)], [100]), steps=200)
    >>> [(s.step, s.before, s.after) for s in d.seams]
    [(100, 1.0, 0.1)]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ._evaluate import _numpy, chunks, prepare
from .combinators import custom, noise
from .schedule import Schedule, _rebuild

__all__ = ["describe", "Description", "Seam", "without_noise", "RATIO", "K", "MAX_SEAMS"]

#: how many times the local slope a step-to-step change must be to count as a jump
RATIO = 10.0
#: steps on each side that give the local slope
K = 3
#: seams kept in a Description (all are counted)
MAX_SEAMS = 1000
#: changes below this fraction of the largest |value| are float rounding, not jumps
REL_TOL = 1e-9


@dataclass(frozen=True)
class Seam:
    """The value jumps from ``before`` (at ``step - 1``) to ``after`` (at ``step``)."""

    step: int
    before: float
    after: float

    def __str__(self) -> str:
        ratio = ""
        if self.before != 0 and self.after != 0 and (self.before > 0) == (self.after > 0):
            ratio = f"  (x{_num(self.after / self.before, 3)})"
        return f"step {self.step}: {_num(self.before)} -> {_num(self.after)}{ratio}"


@dataclass(frozen=True)
class Description:
    """What :func:`describe` finds over steps ``0..stop``."""

    spec: str
    stop: int
    duration: int | float | None
    start: float
    peak: float
    peak_step: int
    minimum: float
    minimum_step: int
    final: float
    seams: tuple[Seam, ...] = field(default=())
    seams_total: int = 0
    #: True when noise(...) wrappers were left out of the seam search
    noise_ignored: bool = False

    def __str__(self) -> str:
        if self.duration is None:
            length = f"never settles (shown over steps 0..{self.stop})"
        else:
            length = f"{_num(self.duration)} steps (holds its final value from step {_num(self.duration)})"
        lines = [
            self.spec,
            f"  length   {length}",
            f"  start    {_num(self.start)}",
            f"  peak     {_num(self.peak)} at step {self.peak_step}",
            f"  minimum  {_num(self.minimum)} at step {self.minimum_step}",
            f"  final    {_num(self.final)} at step {self.stop}",
        ]
        note = ", noise(...) left out" if self.noise_ignored else ""
        if not self.seams_total:
            lines.append(f"  seams    none (no jump between steps{note})")
        else:
            lines.append(f"  seams    {self.seams_total} (steps where the value jumps{note})")
            shown = self.seams[:20]
            lines += [f"    {s}" for s in shown]
            if self.seams_total > len(shown):
                lines.append(f"    ... and {self.seams_total - len(shown)} more")
        return "\n".join(lines)


def _num(x: float, digits: int = 6) -> str:
    if isinstance(x, int):
        return str(x)
    if float(x).is_integer() and abs(x) < 1e15:
        return str(int(x))
    return format(x, f".{digits}g")


def describe(schedule: Schedule, steps: int | None = None, *, name: str | None = None,
             use_numpy: bool = True) -> Description:
    """Start, peak, minimum, final value, length and seams of ``schedule``.

    Looks at steps ``0..steps`` (``steps`` defaults to the schedule's
    ``duration``; it also resolves durations given as fractions of the run).
    ``name`` replaces the schedule's text in the report.  See the module
    docstring for the seam rule.
    """
    concrete, stop = prepare(schedule, steps)
    duration = concrete.duration
    fn = concrete._fn or concrete._build()
    scan = _Scan()
    for a, vals in chunks(concrete, stop, use_numpy=use_numpy):
        scan.feed(a, vals, last=a + len(vals) > stop)
    smooth = without_noise(concrete)
    seam_scan = scan
    if smooth is not concrete:
        seam_scan = _Scan()
        for a, vals in chunks(smooth, stop, use_numpy=use_numpy):
            seam_scan.feed(a, vals, last=a + len(vals) > stop)
    seam_fn = smooth._fn or smooth._build()
    # drop changes that are rounding next to the largest value; report exact scalar values
    # (the array path may differ from the scalar one by an ulp)
    scale = max(abs(seam_scan.max_v), abs(seam_scan.min_v))
    seams = [s for s in seam_scan.seams if abs(s.after - s.before) > REL_TOL * scale]
    total = seam_scan.count - (len(seam_scan.seams) - len(seams))
    return Description(
        spec=name if name is not None else repr(concrete),
        stop=stop,
        duration=duration,
        start=fn(0),
        peak=fn(scan.max_step), peak_step=scan.max_step,
        minimum=fn(scan.min_step), minimum_step=scan.min_step,
        final=fn(stop),
        seams=tuple(Seam(s.step, seam_fn(s.step - 1), seam_fn(s.step)) for s in seams),
        seams_total=total,
        noise_ignored=smooth is not concrete,
    )


def without_noise(schedule: Schedule) -> Schedule:
    """``schedule`` with every ``noise(s, ...)`` inside it replaced by ``s``."""
    if isinstance(schedule, noise):
        return without_noise(schedule.schedule)
    if isinstance(schedule, custom):
        return schedule
    args = tuple((name, _map_children(value)) for name, value in schedule._args)
    if all(new is old for (_, new), (_, old) in zip(args, schedule._args, strict=True)):
        return schedule
    return _rebuild(type(schedule), args)


def _map_children(value: Any) -> Any:
    if isinstance(value, Schedule):
        return without_noise(value)
    if isinstance(value, tuple):
        items = tuple(_map_children(x) for x in value)
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    return value


class _Scan:
    """Streaming extremes and seams over consecutive chunks of values."""

    def __init__(self) -> None:
        self.max_v = -math.inf
        self.max_step = 0
        self.min_v = math.inf
        self.min_step = 0
        self.tail: list[float] = []  # values from step max(0, next_diff - K) on
        self.tail_start = 0  # the step of tail[0]
        self.next_diff = 0  # the first change not decided yet (between steps i and i + 1)
        self.seams: list[Seam] = []
        self.count = 0

    def feed(self, a: int, vals: Sequence[float], last: bool) -> None:
        np = _numpy() if not isinstance(vals, list) else None
        if np is not None:
            i_max, i_min = int(np.argmax(vals)), int(np.argmin(vals))
            v_max, v_min = float(vals[i_max]), float(vals[i_min])
        else:
            v_max, v_min = max(vals), min(vals)
            i_max, i_min = list(vals).index(v_max), list(vals).index(v_min)
        if v_max > self.max_v:
            self.max_v, self.max_step = v_max, a + i_max
        if v_min < self.min_v:
            self.min_v, self.min_step = v_min, a + i_min

        g0 = self.tail_start  # the step of buf[0]
        n = len(self.tail) + len(vals) - 1  # changes in the buffer
        # a change is decided once the K changes after it are known (or the run ends)
        lo, hi = self.next_diff - g0, n if last else n - K
        if np is not None:
            buf = np.concatenate([np.asarray(self.tail, dtype=np.float64), vals])
            found = _seams_numpy(np, buf, g0, lo, hi) if hi > lo else []
        else:
            buf = self.tail + list(vals)
            found = _seams_python(buf, g0, lo, hi)
        for step in found:
            self.count += 1
            if len(self.seams) < MAX_SEAMS:
                self.seams.append(Seam(step, float(buf[step - g0 - 1]), float(buf[step - g0])))
        self.next_diff = max(self.next_diff, g0 + hi)
        self.tail_start = max(0, self.next_diff - K)
        self.tail = [float(x) for x in buf[self.tail_start - g0:]]


def _is_jump(d: float, left: Sequence[float], right: Sequence[float]) -> bool:
    """The seam rule for one change ``d`` with the |changes| on each side (up to K each)."""
    a = abs(d)
    if a == 0:
        return False
    sides = [s for s in (left, right) if len(s) == K]
    if sides:
        base = max(sorted(s)[K // 2] for s in sides)
    else:  # a run too short for a full side: compare with every neighbour
        base = max([*left, *right], default=0.0)
    return a > RATIO * base


def _seams_python(buf: list[float], g0: int, lo: int, hi: int) -> list[int]:
    """Steps g0 + i + 1 for the changes i in lo..hi - 1 of ``buf`` that are jumps."""
    diffs = [abs(buf[i + 1] - buf[i]) for i in range(len(buf) - 1)]
    out = []
    for i in range(lo, hi):
        d = diffs[i]
        if d > REL_TOL * max(abs(buf[i]), abs(buf[i + 1])) and _is_jump(
                d, diffs[max(0, i - K):i], diffs[i + 1:i + 1 + K]):
            out.append(g0 + i + 1)
    return out


def _seams_numpy(np: Any, buf: Any, g0: int, lo: int, hi: int) -> list[int]:
    """As :func:`_seams_python`, vectorised where K changes on both sides are in ``buf``."""
    diffs = np.abs(np.diff(buf))
    n = len(diffs)
    # interior diffs (K on both sides) vectorised; the few near the ends of the run by _is_jump
    a, b = max(lo, K), min(hi, n - K)
    out: list[int] = []
    edge = [i for i in range(lo, hi) if not a <= i < b]
    if b > a:
        def med3(j: int) -> Any:  # median of diffs[j], diffs[j + 1], diffs[j + 2] for i in a..b
            x, y, z = diffs[a + j:b + j], diffs[a + j + 1:b + j + 1], diffs[a + j + 2:b + j + 2]
            return np.maximum(np.minimum(x, y), np.minimum(np.maximum(x, y), z))

        assert K == 3
        base = np.maximum(med3(-K), med3(1))
        d = diffs[a:b]
        tol = REL_TOL * np.maximum(np.abs(buf[a:b]), np.abs(buf[a + 1:b + 1]))
        hit = (d > RATIO * base) & (d > tol)
        out = (np.flatnonzero(hit) + a + g0 + 1).tolist()
    extra = []
    for i in edge:
        d = float(diffs[i])
        if d > REL_TOL * max(abs(float(buf[i])), abs(float(buf[i + 1]))) and _is_jump(
                d, diffs[max(0, i - K):i].tolist(), diffs[i + 1:i + 1 + K].tolist()):
            extra.append(g0 + i + 1)
    return sorted(out + extra)
