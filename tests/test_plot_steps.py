"""PNG/SVG plots draw piecewise-constant parts as steps (issue 15, part 5a), checked on the
drawn Line2D data, not on pixels."""

from __future__ import annotations

import pytest

import lrkit

pytest.importorskip("matplotlib")


def _drawn(schedule, steps=None):
    from matplotlib.figure import Figure

    from lrkit.plot import plot_schedule

    ax = Figure().add_subplot()
    plot_schedule(schedule, ax, steps)
    (line,) = ax.get_lines()
    return list(map(float, line.get_xdata())), list(map(float, line.get_ydata()))


def _slanted(xs, ys):
    """Segments that change both x and y between two flat neighbours (a drop drawn as a slope)."""
    out = []
    for i in range(1, len(xs) - 1):
        if xs[i] != xs[i - 1] and ys[i] != ys[i - 1]:
            flat_before = i >= 2 and ys[i - 1] == ys[i - 2]
            flat_after = ys[i + 1] == ys[i]
            if flat_before and flat_after:
                out.append(xs[i])
    return out


def test_step_drops_are_vertical():
    xs, ys = _drawn(lrkit.step(10, gamma=0.5), 30)
    assert _slanted(xs, ys) == []
    for t, before, after in ((10, 1.0, 0.5), (20, 0.5, 0.25), (30, 0.25, 0.125)):
        i = xs.index(float(t))
        assert (xs[i], ys[i]) == (t, before) and (xs[i + 1], ys[i + 1]) == (t, after)
    assert xs == sorted(xs)


def test_multistep_piecewise_and_restarts():
    for s, stop in ((lrkit.multistep([5, 6, 20], gamma=0.1), 30),
                    (lrkit.piecewise([3, 17], [1.0, 0.3, 0.05]), 25)):
        xs, ys = _drawn(s, stop)
        assert _slanted(xs, ys) == []
        assert len(xs) == stop + 1 + sum(1 for t in range(1, stop + 1) if s(t) != s(t - 1))
    xs, ys = _drawn(lrkit.restarts(lrkit.cosine(20), 20), 60)
    assert xs.count(20.0) == 2 and xs.count(40.0) == 2  # the jump back up is an edge


def test_smooth_parts_stay_one_point_per_step():
    s = lrkit.warmup(lrkit.cosine(90, end=0.1), 10)
    xs, ys = _drawn(s, 100)
    assert xs == [float(t) for t in range(101)]  # no edge at the warmup's end, none in the cosine
    assert ys == [s(t) for t in range(101)]


def test_a_ramp_into_a_flat_stretch_keeps_its_slope():
    xs, _ = _drawn(lrkit.join([lrkit.linear(10, start=0.0, end=1.0), lrkit.constant(1.0)], [10]), 20)
    assert xs == [float(t) for t in range(21)]
