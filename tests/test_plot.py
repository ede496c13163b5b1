"""Schedule.plot / plot_schedule (matplotlib, Agg), the terminal renderer and the envelope behind both."""

from __future__ import annotations

import sys

import pytest

import lrkit
from lrkit._evaluate import envelope, prepare
from lrkit.termplot import Curve, nice_ticks, render

SPIKE = "piecewise([500000, 500001], [0.1, 1.0, 0.1])"  # one step at 1.0 in a million


@pytest.fixture
def plt():
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


def test_schedule_plot_returns_axes_with_the_values(plt):
    s = lrkit.warmup(lrkit.cosine(900, end=0.1), 100)
    ax = s.plot()
    assert ax is plt.gca()
    (line,) = ax.get_lines()
    assert list(line.get_xdata()) == list(range(1001))
    assert list(line.get_ydata()) == pytest.approx(s.values(1001), rel=1e-15, abs=1e-15)
    assert line.get_label() == repr(s)
    assert ax.get_xlabel() == "step" and ax.get_ylabel() == "value"


def test_plot_on_given_axes_with_options(plt):
    fig, ax = plt.subplots()
    s = lrkit.exponential(0.99, start=0.1)
    out = s.plot(ax, steps=500, label="decay", log=True, param="momentum", color="red")
    assert out is ax and ax.get_yscale() == "log" and ax.get_ylabel() == "momentum"
    (line,) = ax.get_lines()
    assert line.get_label() == "decay" and line.get_color() == "red" and len(line.get_xdata()) == 501
    unresolved = lrkit.warmup(lrkit.cosine("rest"), "10%")
    with pytest.raises(ValueError, match="fractions of the run"):
        unresolved.plot(ax)
    unresolved.plot(ax, steps=1000)
    assert max(ax.get_lines()[-1].get_ydata()) == 1.0


def test_long_runs_are_reduced_but_keep_spikes(plt):
    ax = lrkit.parse(SPIKE).plot(steps=1_000_000)
    (line,) = ax.get_lines()
    ys = line.get_ydata()
    assert len(ys) <= 4 * 4000 and max(ys) == 1.0 and min(ys) == 0.1


def test_save_plot_png_not_blank(tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib.image as mpimg

    from lrkit.plot import save_plot

    path = tmp_path / "x.png"
    s = lrkit.onecycle(1000)
    save_plot([("one", s, 1000), ("two", lrkit.cosine(500), 1000)], str(path), title="t")
    img = mpimg.imread(str(path))[..., :3]
    assert img.std() > 0.05 and (img < 0.5).any()


def test_missing_matplotlib_gives_the_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"pip install 'lrkit\[plot\]'"):
        lrkit.cosine(10).plot()


# -- envelope ----------------------------------------------------------------------------------

def test_envelope_per_step_and_binned():
    s = lrkit.linear(10)
    e = envelope(s, 10, 100)
    assert e.x == list(range(11)) and e.first == e.last == e.lo == e.hi == s.values(11)
    e = envelope(s, 10, 3)  # 11 steps in 3 bins: 0..3, 4..7, 8..10
    assert (e.x, e.x_end) == ([0, 4, 8], [3, 7, 10])
    assert e.first == pytest.approx([1.0, 0.6, 0.2]) and e.last == pytest.approx([0.7, 0.3, 0.0])
    assert e.hi == e.first and e.lo == e.last


@pytest.mark.parametrize("use_numpy", [True, False])
def test_envelope_keeps_a_one_step_spike(use_numpy):
    s = lrkit.parse(SPIKE)
    e = envelope(s, 1_000_000 if use_numpy else 600_000, 150, use_numpy=use_numpy)
    assert max(e.hi) == 1.0 and min(e.lo) == 0.1
    assert sum(h == 1.0 for h in e.hi) == 1


# -- terminal renderer -------------------------------------------------------------------------

@pytest.mark.parametrize("width", [40, 60, 80, 120])
@pytest.mark.parametrize("style", ["braille", "ascii"])
def test_render_fits_the_width(width, style):
    curves = [Curve(spec, *prepare(lrkit.parse(spec), 3000)) for spec in
              ["warmup(cosine(2700, end=0.1), 300)", "3e-4 * onecycle(3000)", "step(1000, gamma=0.5)"]]
    for cs in (curves[:1], curves):
        text = render(cs, width=width, height=12, style=style, title="x" * 200)
        assert all(len(line) <= width for line in text.splitlines()), text
        assert text.splitlines()[0].endswith("...")


def test_render_draws_the_spike_to_the_top():
    s, stop = prepare(lrkit.parse(SPIKE), 1_000_000)
    text = render([Curve("spike", s, stop)], width=80, height=10)
    rows = text.splitlines()[1:11]
    assert rows[0].lstrip().startswith("1 ┤") and any(0x2800 < ord(c) < 0x2900 for c in rows[0])
    assert text.splitlines()[-2].split()[-3:] == ["0.6M", "0.8M", "1M"]


def test_render_rejects_bad_arguments():
    s, stop = prepare(lrkit.cosine(10))
    with pytest.raises(ValueError, match="width"):
        render([Curve("c", s, stop)], width=10)
    with pytest.raises(ValueError, match="style"):
        render([Curve("c", s, stop)], style="fancy")
    with pytest.raises(ValueError, match="positive"):
        render([Curve("c", lrkit.constant(0.0), 10)], log=True)
    with pytest.raises(ValueError, match="nothing"):
        render([])


def test_nice_ticks():
    assert nice_ticks(0.0, 1.0, 5) == ([0.0, 0.2, 0.4, 0.6, 0.8, 1.0], 0.0, 1.0)
    assert nice_ticks(0.0, 3e-4, 6)[0] == [0.0, 5e-5, 1e-4, 1.5e-4, 2e-4, 2.5e-4, 3e-4]
    assert nice_ticks(0, 1000, 6, clamp=True, integer=True)[0] == [0, 200, 400, 600, 800, 1000]
    assert nice_ticks(0, 3, 6, clamp=True, integer=True)[0] == [0, 1, 2, 3]
    ticks, lo, hi = nice_ticks(0.5, 0.5, 4)  # a constant gets a range around it
    assert lo < 0.5 < hi
