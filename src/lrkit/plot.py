"""Plots with matplotlib (``pip install 'lrkit[plot]'``): ``Schedule.plot`` and ``lrkit plot -o``.

matplotlib is imported only when a plot is drawn.  A run of up to
:data:`EXACT_POINTS` steps is drawn point by point; a longer one is reduced
to :data:`BINS` bins of steps, each drawn through its first, lowest, highest
and last value, so every jump and spike stays visible while the figure stays
small.

Piecewise-constant parts are drawn as steps: where the value jumps at step t,
the line goes vertically at t from v(t−1) to v(t) instead of slanting over the
step before (:func:`with_edges`).  With d(t) = |v(t) − v(t−1)|, t is a jump when
d(t) > 0 and the value is flat on both sides, or flat on one side and the change
on the other differs from d(t) by more than a factor :data:`RAMP` (so a ramp
running into a flat stretch keeps its last slope), or d(t) > :data:`JUMP` times
the change on each side (a restart in a smooth curve).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._evaluate import chunks, envelope, prepare

TYPE_CHECKING = False
if TYPE_CHECKING:  # for annotations only: schedule.py hands itself to this module (Schedule.plot)
    from .schedule import Schedule

__all__ = ["plot_schedule", "save_plot", "require_matplotlib", "with_edges", "EXACT_POINTS", "BINS", "JUMP", "RAMP"]

#: runs up to this many steps are drawn point by point
EXACT_POINTS = 20_000
#: bins of steps for longer runs
BINS = 4_000
#: a change this many times larger than its neighbours' is a jump, drawn as a vertical edge
JUMP = 10.0
#: beside a flat stretch, a change within this factor of the one on its other side is a ramp's end
RAMP = 3.0

HINT = "plotting a picture needs matplotlib: pip install 'lrkit[plot]'"


def require_matplotlib() -> Any:
    """``matplotlib`` itself, or ImportError with the one-line install hint."""
    try:
        import matplotlib
    except ImportError:
        raise ImportError(HINT) from None
    return matplotlib


def points(schedule: Schedule, stop: int) -> tuple[list[float], list[float]]:
    """``(steps, values)`` to draw for steps ``0..stop`` (see the module docstring)."""
    if stop + 1 <= EXACT_POINTS:
        xs: list[float] = list(range(stop + 1))
        ys: list[float] = []
        for _, vals in chunks(schedule, stop):
            ys.extend(float(v) for v in vals)
        return with_edges(xs, ys)
    e = envelope(schedule, stop, BINS)
    xs, ys = [], []
    for i in range(len(e.x)):
        mid = (e.x[i] + e.x_end[i]) / 2
        xs += [e.x[i], mid, mid, e.x_end[i]]
        ys += [e.first[i], e.lo[i], e.hi[i], e.last[i]]
    return xs, ys


def with_edges(xs: list[float], ys: list[float]) -> tuple[list[float], list[float]]:
    """The points of one value per step, with a vertical edge at each jump (see the module
    docstring): ``(t, v(t−1))`` inserted before ``(t, v(t))``."""
    n = len(ys)
    out_x: list[float] = []
    out_y: list[float] = []
    for i in range(n):
        if i > 0:
            d = abs(ys[i] - ys[i - 1])
            before = abs(ys[i - 1] - ys[i - 2]) if i > 1 else 0.0
            after = abs(ys[i + 1] - ys[i]) if i + 1 < n else 0.0
            if d > 0 and _jump(d, before, after):
                out_x.append(xs[i])
                out_y.append(ys[i - 1])
        out_x.append(xs[i])
        out_y.append(ys[i])
    return out_x, out_y


def _jump(d: float, before: float, after: float) -> bool:
    if before == 0 or after == 0:
        other = max(before, after)
        return other == 0 or not other / RAMP <= d <= other * RAMP
    return d > JUMP * before and d > JUMP * after


def plot_schedule(schedule: Schedule, ax: Any = None, steps: int | None = None, *,
                  label: str | None = None, log: bool = False, param: str | None = None,
                  **kwargs: Any) -> Any:
    """Draw ``schedule`` over steps ``0..steps`` on ``ax`` (default: the current Axes); returns the Axes.

    ``steps`` defaults to the schedule's ``duration`` and resolves durations
    given as fractions of the run.  ``label`` (default: the schedule's text)
    is the legend entry, ``log`` a logarithmic value axis, ``param`` the value
    axis label (default ``"value"``); other keyword arguments go to ``ax.plot``.

        >>> ax = lrkit.warmup(lrkit.cosine(900), 100).plot()  # doctest: +SKIP
    """
    concrete, stop = prepare(schedule, steps)
    require_matplotlib()
    if ax is None:
        import matplotlib.pyplot as plt

        ax = plt.gca()
    xs, ys = points(concrete, stop)
    if label is None:
        label = _short(repr(schedule))
    ax.plot(xs, ys, label=label, **kwargs)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel(param or "value")
    ax.set_xlim(0, max(stop, 1))
    ax.grid(True, alpha=0.3)
    return ax


def save_plot(curves: Sequence[tuple[str, Schedule, int]], path: str, *, log: bool = False,
              param: str = "lr", title: str | None = None, size: tuple[float, float] = (8.0, 4.5),
              dpi: int = 100,
              panels: Sequence[tuple[str, Sequence[tuple[str, Schedule, int]]]] = ()) -> None:
    """Write a picture of ``(label, schedule, stop)`` curves to ``path`` (its suffix picks the format).

    ``panels``: more plots under it, sharing the step axis, each ``(value label, curves)``
    (the batch size of a batch ramp, the update weights of ``--weight-decay``)."""
    require_matplotlib()
    from matplotlib.figure import Figure  # no pyplot: no GUI backend, no global state

    fig = Figure(figsize=(size[0], size[1] * (1 + 0.5 * len(panels))), dpi=dpi, layout="constrained")
    axes = fig.subplots(1 + len(panels), 1, sharex=True, squeeze=False,
                        gridspec_kw={"height_ratios": [2] + [1] * len(panels)})[:, 0]
    ax = axes[0]
    for pax, (ylabel, panel) in zip(axes[1:], panels):
        for label, schedule, stop in panel:
            plot_schedule(schedule, pax, stop, label=label, param=ylabel, linewidth=1.4)
        if len(panel) > 1:
            pax.legend(fontsize="small")
    for label, schedule, stop in curves:
        plot_schedule(schedule, ax, stop, label=label, log=log, param=param, linewidth=1.6)
    ax.set_xlim(0, max(max(stop for _, _, stop in curves), 1))
    if len(curves) > 1:
        ax.legend(fontsize="small")
    if title:
        ax.set_title(title, fontsize="medium")
    fig.savefig(path)


def _short(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
