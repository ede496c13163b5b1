"""Plots in the terminal, with no dependencies.

Curves are drawn on a grid of Braille characters (2 × 4 dots per character,
so an 80-column plot has about 140 × 72 dots), with a value axis on the left,
a step axis below and a legend.  Without colour, several curves are drawn
with one ASCII marker each (``*``, ``+``, ``o``, ...), so they stay apart;
``style="ascii"`` does that for one curve too (for terminals without a
Braille font).

Each curve is reduced to at least one bin of steps per column of dots
(:func:`lrkit._evaluate.envelope`: the first, last, lowest and highest value
in the bin).  A bin is drawn as a vertical line from lowest to highest, and
consecutive bins are joined, so a jump between two steps shows however many
steps share a column.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ._evaluate import envelope
from .schedule import Schedule

__all__ = ["Curve", "render", "nice_ticks", "MARKERS"]

#: one marker per curve in ASCII style
MARKERS = "*ox#@%&="
#: ANSI colours per curve: blue, orange-ish yellow, green, red, magenta, cyan
_COLORS = (34, 33, 32, 31, 35, 36)
# Braille dot bits by [row][column] inside one character
_DOTS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))


@dataclass(frozen=True)
class Curve:
    """One schedule to draw over steps ``0..stop``, with its legend label."""

    label: str
    schedule: Schedule
    stop: int


def render(curves: Sequence[Curve], *, width: int = 80, height: int = 20, log: bool = False,
           ylabel: str = "lr", xlabel: str = "step", style: str = "braille",
           color: bool = False, title: str | None = None) -> str:
    """The plot as text, at most ``width`` columns wide and about ``height`` rows high.

    ``style`` is ``"braille"`` (several curves need ``color`` to tell them
    apart, otherwise they switch to markers) or ``"ascii"``.  ``log`` makes the
    value axis logarithmic; values <= 0 are then left out (and a note says so).
    """
    if not curves:
        raise ValueError("nothing to plot")
    if style not in ("braille", "ascii"):
        raise ValueError(f"style must be 'braille' or 'ascii', got {style!r}")
    if width < 30 or height < 5:
        raise ValueError(f"the plot needs width >= 30 and height >= 5, got {width} x {height}")
    if style == "braille" and len(curves) > 1 and not color:
        style = "ascii"
    braille = style == "braille"
    sub_x, sub_y = (2, 4) if braille else (1, 1)
    x_max = max(c.stop for c in curves)
    # 2·width bins: at least one per column of dots, whatever the layout
    envs = [envelope(c.schedule, c.stop, 2 * width) for c in curves]

    # value range and ticks
    ys = [y for e in envs for y in (*e.lo, *e.hi) if math.isfinite(y)]
    dropped = False
    if log:
        kept = [y for y in ys if y > 0]
        dropped = len(kept) < len(ys)
        ys = kept
    if not ys:
        raise ValueError("no positive values to draw on a log axis" if log else "no finite values to draw")
    if log:
        lo_e, hi_e = math.floor(math.log10(min(ys))), math.ceil(math.log10(max(ys)))
        if hi_e == lo_e:
            hi_e += 1
        every = max(1, math.ceil((hi_e - lo_e) / max(2, height // 3)))
        lo_e = hi_e - every * math.ceil((hi_e - lo_e) / every)  # a tick at both ends
        powers = range(lo_e, hi_e + 1, every)
        y_ticks = [10.0 ** e for e in powers]
        y_lo, y_hi = float(lo_e), float(hi_e)
        y_labels = [_fmt_power(e) for e in powers]
        to_axis = math.log10
    else:
        y_ticks, y_lo, y_hi = nice_ticks(min(ys), max(ys), max(2, height // 3))
        step = y_ticks[1] - y_ticks[0] if len(y_ticks) > 1 else 1.0
        y_labels = [_fmt_tick(t, step) for t in y_ticks]
        to_axis = float

    label_w = max(len(s) for s in y_labels)
    plot_w = width - label_w - 3  # "label ┤" + one spare column for the last x label
    plot_h = height
    cols, rows = plot_w * sub_x, plot_h * sub_y

    def px(x: float) -> int:
        return 0 if x_max == 0 else round(x / x_max * (cols - 1))

    def py(y: float) -> int | None:
        if not math.isfinite(y) or (log and y <= 0):
            return None
        return round((y_hi - to_axis(y)) / (y_hi - y_lo) * (rows - 1))

    # rasterise: per character cell, the dot bits and the curve that drew last
    bits = [[0] * plot_w for _ in range(plot_h)]
    owner = [[-1] * plot_w for _ in range(plot_h)]

    def dot(x: int, y: int, k: int) -> None:
        if 0 <= x < cols and 0 <= y < rows:
            r, c = divmod(y, sub_y)[0], x // sub_x
            bits[r][c] |= _DOTS[y % 4][x % 2] if braille else 1
            owner[r][c] = k

    for k, e in enumerate(envs):  # at least one bin per column of dots: no gaps, every extreme
        prev: tuple[int, int] | None = None
        for i in range(len(e.x)):
            x0, x1 = px(e.x[i]), px(e.x_end[i])
            first, last, lo, hi = py(e.first[i]), py(e.last[i]), py(e.lo[i]), py(e.hi[i])
            if lo is not None and hi is not None:
                _line(dot, k, x0, lo, x0, hi)
            if first is None:
                prev = None
                continue
            if prev is not None:
                _line(dot, k, prev[0], prev[1], x0, first)
            if last is not None:
                _line(dot, k, x0, first, x1, last)
                prev = (x1, last)
            else:
                prev = None

    # text rows: y label, tick label, axis, cells
    tick_rows: dict[int, str] = {}
    for t, text in zip(y_ticks, y_labels, strict=True):
        r = py(t)
        if r is not None:
            tick_rows.setdefault(min(plot_h - 1, max(0, r // sub_y)), text)
    v_axis, tick, corner, h_axis, h_tick = ("│", "┤", "└", "─", "┬") if braille else ("|", "+", "+", "-", "+")
    out = []
    if title:
        out.append(_clip(title, width))
    out.append(_clip(ylabel, width))
    for r in range(plot_h):
        text = tick_rows.get(r, "")
        line = [text.rjust(label_w), " ", tick if r in tick_rows else v_axis]
        run, run_owner = "", -1  # consecutive cells of one colour, painted at once
        for c in range(plot_w):
            b, k = bits[r][c], owner[r][c]
            ch = " " if not b else chr(0x2800 + b) if braille else MARKERS[k % len(MARKERS)]
            if color and b and k != run_owner or not b and run_owner != -1:
                line.append(_paint(run, run_owner) if run_owner != -1 else run)
                run, run_owner = "", k if b else -1
            run += ch
        line.append(_paint(run, run_owner) if color and run_owner != -1 else run)
        out.append("".join(line).rstrip())

    # step axis with ticks and labels
    x_ticks, _, _ = nice_ticks(0, x_max, max(2, plot_w // 12), clamp=True, integer=True)
    axis = [h_axis] * plot_w
    labels = [" "] * (width + 1)
    pos = -2
    for t in x_ticks:
        c = px(t) // sub_x
        if t > x_max or c >= plot_w:
            continue
        axis[c] = h_tick
        text = _fmt_step(t, x_max)
        start = min(label_w + 2 + c - len(text) // 2, width - len(text))
        if start <= pos:
            continue
        labels[start:start + len(text)] = text
        pos = start + len(text)
    out.append(" " * label_w + " " + corner + "".join(axis))
    out.append("".join(labels).rstrip())
    out.append(xlabel.rjust(width).rstrip() if len(xlabel) < width else xlabel)

    # legend and notes
    if len(curves) > 1 or style == "ascii":
        for k, curve in enumerate(curves):
            mark = "⠤⠤" if braille else MARKERS[k % len(MARKERS)] * 2
            text = _clip(f"  {mark} {curve.label}", width)
            out.append(text.replace(mark, _paint(mark, k), 1) if color else text)
    if dropped:
        out.append("  (values <= 0 are not shown on the log axis)")
    return "\n".join(out)


def _line(dot: object, k: int, x0: int, y0: int, x1: int, y1: int) -> None:
    """Dots from (x0, y0) to (x1, y1), one per step along the longer side."""
    n = max(abs(x1 - x0), abs(y1 - y0))
    if n == 0:
        dot(x0, y0, k)  # type: ignore[operator]
        return
    for i in range(n + 1):
        dot(round(x0 + (x1 - x0) * i / n), round(y0 + (y1 - y0) * i / n), k)  # type: ignore[operator]


def nice_ticks(lo: float, hi: float, target: int, clamp: bool = False,
               integer: bool = False) -> tuple[list[float], float, float]:
    """Round tick values (1, 2, 2.5 or 5 × 10^k apart) covering ``lo..hi``, about ``target`` of them.

    Returns ``(ticks, axis_lo, axis_hi)``: the axis runs from the tick at or
    below ``lo`` to the tick at or above ``hi`` (with ``clamp``, exactly ``lo..hi``
    and only the ticks inside).  ``integer`` keeps ticks on whole numbers.
    """
    if hi < lo:
        lo, hi = hi, lo
    if hi == lo:
        pad = abs(hi) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    raw = (hi - lo) / max(1, target)
    mag = 10.0 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    if integer:
        step = max(1.0, step if step < 1 or step != 2.5 * mag else 5 * mag)
    first = math.floor(lo / step + 1e-9)
    last = math.ceil(hi / step - 1e-9)
    ticks = [_round(i * step, step) for i in range(first, last + 1)]
    if clamp:
        return [t for t in ticks if lo - 1e-9 * step <= t <= hi + 1e-9 * step], lo, hi
    return ticks, ticks[0], ticks[-1]


def _round(x: float, step: float) -> float:
    digits = max(0, -math.floor(math.log10(step)) + 2)
    return round(x, digits)


def _fmt_tick(t: float, step: float) -> str:
    """A value tick with just enough digits to tell it from its neighbours."""
    if t == 0:
        return "0"
    biggest = max(abs(t), step)
    sig = max(1, math.floor(math.log10(biggest)) - math.floor(math.log10(step)) + 1)
    if step / 10 ** math.floor(math.log10(step)) == 2.5:
        sig += 1
    return format(t, f".{sig}g")


def _fmt_power(e: int) -> str:
    return format(10.0 ** e, "g") if -4 <= e <= 5 else f"1e{e}"


def _fmt_step(t: float, x_max: float) -> str:
    """A step label: 2500; on an axis past 100 000 steps, 250k, 1.5M."""
    t = round(t)
    if x_max < 10**5 or t == 0:
        return str(t)
    size, suffix = next((s, x) for s, x in ((10**9, "G"), (10**6, "M"), (10**3, "k")) if x_max >= s)
    return format(t / size, "g") + suffix


def _paint(text: str, k: int) -> str:
    return f"\x1b[{_COLORS[k % len(_COLORS)]}m{text}\x1b[0m"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."
