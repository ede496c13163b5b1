"""The framework-agnostic LR range test (lrkit.finder): pure-Python losses, no framework."""

from __future__ import annotations

import math
import random
import statistics
import subprocess
import sys
import warnings

import pytest

import lrkit
from lrkit.finder import (
    RULES,
    VALLEY_FRACTION,
    VALLEY_TOP,
    RangeTestResult,
    RangeTestWarning,
    lr_range_test,
    smooth_losses,
    suggest,
)

# most tests here sweep curves that draw a RangeTestWarning on purpose (constant losses, short
# sweeps); the warnings themselves are tested below with pytest.warns
pytestmark = pytest.mark.filterwarnings("ignore::lrkit.finder.RangeTestWarning")


def constant_loss(lr: float) -> float:
    return 1.0


def quadratic(a: float = 1.0, w0: float = 1.0):
    """Gradient descent on f(w) = a·w²/2: w <- (1 − lr·a)·w; diverges once lr > 2/a."""
    w = [w0]

    def step(lr: float) -> float:
        w[0] -= lr * a * w[0]
        return 0.5 * a * w[0] ** 2

    return step


# -- the sweep ------------------------------------------------------------------------

def test_exp_sweep_is_the_lrkit_schedule():
    r = lr_range_test(constant_loss, start=1e-6, end=1.0, steps=61)
    assert r.lrs[0] == 1e-6 and r.lrs[-1] == 1.0 and len(r.lrs) == 61
    assert r.lrs == lrkit.interpolate([(0, 1e-6), (60, 1.0)], kind="exponential").values(61)
    for i, lr in enumerate(r.lrs):  # start·(end/start)^(i/(steps−1)): 10 steps per decade
        assert lr == pytest.approx(10 ** (-6 + i / 10), rel=1e-12)
    assert r.reason == "completed" and not r.stopped_early and r.stop_lr is None


def test_linear_sweep():
    r = lr_range_test(constant_loss, start=0.1, end=1.0, steps=10, mode="linear")
    assert r.lrs == lrkit.interpolate([(0, 0.1), (9, 1.0)]).values(10)
    assert r.lrs[0] == 0.1 and r.lrs[-1] == 1.0
    assert r.lrs == pytest.approx([0.1 * (i + 1) for i in range(10)], rel=1e-12)
    assert r.settings["mode"] == "linear"


def test_modes_differ_where_they_should():
    e = lr_range_test(constant_loss, start=1e-4, end=1.0, steps=5).lrs
    lin = lr_range_test(constant_loss, start=1e-4, end=1.0, steps=5, mode="linear").lrs
    assert e == pytest.approx([1e-4, 1e-3, 1e-2, 1e-1, 1.0])
    assert lin == pytest.approx([1e-4, 0.250075, 0.50005, 0.750025, 1.0])


def test_train_step_sees_each_lr_once_in_order():
    seen = []
    lr_range_test(lambda lr: seen.append(lr) or 1.0, start=1e-3, end=1e-1, steps=7)
    assert seen == sorted(seen) and len(seen) == 7 and seen[0] == 1e-3 and seen[-1] == 1e-1


# -- smoothing ----------------------------------------------------------------------

def test_smoothing_is_a_running_median_then_a_two_sided_debiased_ema():
    rng = random.Random(3)
    raw = [1.0 + rng.random() for _ in range(40)]
    it = iter(raw)
    beta = 0.9
    r = lr_range_test(lambda lr: next(it), steps=40, smooth=beta, diverge=100.0)
    assert r.losses == raw and r.smoothed == smooth_losses(raw, beta)
    med = [sorted(raw[max(0, i - 2): i + 3])[len(raw[max(0, i - 2): i + 3]) // 2] if 2 <= i < 38
           else statistics.median(raw[max(0, i - 2): i + 3]) for i in range(40)]

    def ema(xs):
        out = []
        for i in range(len(xs)):
            w = [beta ** (i - j) for j in range(i + 1)]
            out.append(sum(wj * x for wj, x in zip(w, xs, strict=False)) / sum(w))
        return out

    expected = [(a + b) / 2 for a, b in zip(ema(med), ema(med[::-1])[::-1], strict=True)]
    assert r.smoothed == pytest.approx(expected, rel=1e-12)


def test_no_smoothing_keeps_the_running_median():
    raw = [1.0, 5.0, 1.0, 1.0, 2.0, 3.0, 4.0, 100.0, 5.0, 6.0]
    it = iter(raw)
    r = lr_range_test(lambda lr: next(it), steps=10, smooth=0.0, diverge=1e9)
    assert r.smoothed == [1.0, 1.0, 1.0, 2.0, 2.0, 3.0, 4.0, 5.0, 5.5, 6.0]
    assert smooth_losses([], 0.5) == [] and smooth_losses([2.0] * 7, 0.9) == pytest.approx([2.0] * 7)


def test_smoothing_has_no_lag():
    # a symmetric V in log lr: the smoothed bottom sits on the raw bottom (a causal EMA's, right of it)
    raw = [abs(i - 60) / 60 + 0.1 for i in range(100)]
    sm = smooth_losses(raw, 0.9)
    assert min(range(100), key=sm.__getitem__) == 60
    causal, m = [], 0.0
    for i, x in enumerate(raw):
        m = 0.98 * m + 0.02 * x
        causal.append(m / (1 - 0.98 ** (i + 1)))
    assert min(range(100), key=causal.__getitem__) > 70  # the old default lagged by > 10 steps
    # and a lone spike barely moves it (the median removes it)
    spiky = list(raw)
    spiky[30] = 50.0
    assert max(abs(a - b) for a, b in zip(smooth_losses(spiky, 0.5), smooth_losses(raw, 0.5), strict=True)) < 0.02


# -- stopping ------------------------------------------------------------------------

def test_divergence_stop_on_a_quadratic():
    a = 10.0
    r = lr_range_test(quadratic(a), start=1e-4, end=100.0, steps=120, smooth=0.0, diverge=4.0)
    assert r.reason == "diverged" and r.stopped_early and len(r.lrs) < 120
    assert r.stop_lr == r.lrs[-1] > 2 / a  # it can only diverge where GD is unstable
    best = math.inf
    for s in r.losses[:-1]:  # no earlier point crossed the threshold (smooth=0: the raw losses)
        best = min(best, s)
        assert s <= 4 * best
    assert r.losses[-1] > 4 * min(r.losses[:-1])
    assert r.suggestion is not None and r.suggestion < 2 / a


def test_divergence_on_a_raw_blow_up_that_smoothing_hides():
    # plateau, descent, then the raw loss explodes: a causal EMA with β = 0.98 would need many steps
    # to cross 4× its best; the median of the last 3 raw losses crosses it at the 2nd exploded step
    raw = [1.0] * 40 + [1.0 - 0.8 * i / 20 for i in range(20)] + [0.2] * 10 + [5.0] * 30
    it = iter(raw)
    r = lr_range_test(lambda lr: next(it), steps=100, smooth=0.98, diverge=4.0)
    assert r.reason == "diverged" and len(r.lrs) == 72 and r.losses[-2:] == [5.0, 5.0]
    m = 0.0
    for x in r.losses:  # the online EMA alone was still far below 4× its best
        m = 0.98 * m + 0.02 * x
    assert m / (1 - 0.98 ** len(r.losses)) < 1.0
    # one spike alone does not stop it
    spiked = list(raw[:70])
    spiked[50] = 5.0
    it = iter(spiked + [0.2] * 30)
    assert lr_range_test(lambda lr: next(it), steps=100, smooth=0.98).reason == "completed"


def test_diverge_factor_controls_the_stop():
    losses = [1.0, 0.5, 0.9, 1.9, 2.1, 10.0]

    def run(diverge):
        it = iter(losses)
        return lr_range_test(lambda lr: next(it), steps=6, smooth=0.0, diverge=diverge)

    assert len(run(1.5).lrs) == 3  # 0.9 > 1.5·0.5
    assert len(run(4.0).lrs) == 5  # 2.1 > 4·0.5
    r = run(100.0)
    assert len(r.lrs) == 6 and r.reason == "completed"


def test_divergence_with_negative_losses():
    # threshold best + (diverge − 1)·|best|: for best = −2 and diverge = 2 it is 0
    losses = [-1.0, -2.0, -0.5, 0.0, 0.5, -3.0]
    it = iter(losses)
    r = lr_range_test(lambda lr: next(it), steps=6, smooth=0.0, diverge=2.0)
    assert r.losses == [-1.0, -2.0, -0.5, 0.0, 0.5] and r.reason == "diverged"


def test_last_step_divergence_is_not_early():
    it = iter([1.0, 1.0, 100.0])
    r = lr_range_test(lambda lr: next(it), steps=3, smooth=0.0)
    assert r.reason == "diverged" and not r.stopped_early and len(r.lrs) == 3


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_loss_stops_cleanly(bad):
    def step(lr):
        return bad if lr > 1e-3 else 1.0 / (1.0 + lr)

    r = lr_range_test(step, start=1e-6, end=1.0, steps=61, smooth=0.5)
    assert r.reason == "non-finite loss" and r.stopped_early
    assert all(math.isfinite(x) for x in r.losses + r.smoothed)
    assert max(r.lrs) <= 1e-3 < r.stop_lr
    assert r.stop_lr == pytest.approx(10 ** (-6 + len(r.lrs) / 10))
    assert r.suggestion is not None and 1e-6 <= r.suggestion <= 1e-3


def test_non_finite_at_the_first_step():
    r = lr_range_test(lambda lr: math.nan, steps=10)
    assert r.lrs == r.losses == r.smoothed == []
    assert r.suggestion is None and r.suggestions == dict.fromkeys(RULES)
    assert r.stop_lr == 1e-7 and r.stopped_early and r.best_lr is None
    assert "non-finite" in repr(r)


def test_loss_types_and_errors_from_train_step():
    class Tensorish:  # anything float() accepts, like a 0-d tensor
        def __float__(self):
            return 0.25

    assert lr_range_test(lambda lr: Tensorish(), steps=2).losses == [0.25, 0.25]
    with pytest.raises(TypeError, match="train_step must return a number"):
        lr_range_test(lambda lr: "loss", steps=3)
    with pytest.raises(TypeError, match="train_step must return a number"):
        lr_range_test(lambda lr: None, steps=3)

    def boom(lr):
        raise RuntimeError("out of memory")

    with pytest.raises(RuntimeError, match="out of memory"):
        lr_range_test(boom, steps=3)


# -- determinism ---------------------------------------------------------------------

def noisy_regression(seed: int):
    """Minibatch SGD on a seeded least-squares problem, all in Python."""
    rng = random.Random(seed)
    xs = [[rng.gauss(0, 1) for _ in range(3)] for _ in range(128)]
    true_w = [1.0, -2.0, 0.5]
    ys = [sum(a * b for a, b in zip(x, true_w, strict=True)) + 0.1 * rng.gauss(0, 1) for x in xs]
    w = [0.0, 0.0, 0.0]

    def step(lr):
        batch = [rng.randrange(len(xs)) for _ in range(8)]
        grad, loss = [0.0, 0.0, 0.0], 0.0
        for i in batch:
            err = sum(a * b for a, b in zip(xs[i], w, strict=True)) - ys[i]
            loss += err * err / (2 * len(batch))
            for k in range(3):
                grad[k] += err * xs[i][k] / len(batch)
        for k in range(3):
            w[k] -= lr * grad[k]
        return loss

    return step


def test_deterministic_under_a_seed():
    r1 = lr_range_test(noisy_regression(7), steps=80)
    r2 = lr_range_test(noisy_regression(7), steps=80)
    r3 = lr_range_test(noisy_regression(8), steps=80)
    assert r1 == r2 and repr(r1) == repr(r2)
    assert r1.losses != r3.losses


# -- suggestions ----------------------------------------------------------------------

def test_suggestion_rules_on_a_known_curve():
    # plateau at 1, a smooth fall to 0.2 centred at lr = 1e-3, then a rise; 10 points per decade
    lrs = [10 ** (-6 + i / 10) for i in range(51)]
    xs = [math.log10(x) for x in lrs]
    ys = [0.2 + 0.8 / (1 + math.exp(4 * (x + 3))) + (0.5 * (x + 1.5) ** 2 if x > -1.5 else 0.0)
          for x in xs]
    s = suggest(lrs, ys)
    # steepest: the largest central-difference fall (±h = 51 // 16 = 3 points), at the
    # inflection point x = −3, where the antisymmetric sigmoid falls fastest for any h
    assert s["steepest"] == pytest.approx(1e-3, rel=1e-9)
    b = min(range(51), key=ys.__getitem__)
    assert s["min/10"] == lrs[b] / 10
    # valley: from the last point within 10% of the plateau-to-minimum drop, halfway to the minimum
    plateau = sorted(ys[: b + 1])[b // 2]  # b + 1 is odd here: the median
    a = max(i for i in range(b) if ys[i] >= ys[b] + VALLEY_TOP * (plateau - ys[b]))
    assert s["valley"] == lrs[a + math.floor((b - a) * VALLEY_FRACTION)]
    assert lrs[a] < s["valley"] < lrs[b] and 1e-4 < s["valley"] < 1e-2
    # halfway: where the loss is halfway from the plateau (≈ 1) down to the bottom (≈ 0.2): the
    # sigmoid's centre, lr = 1e-3, up to the small rise added before the bottom
    assert s["halfway"] == pytest.approx(1e-3, rel=0.1)
    assert list(s) == list(RULES) and RULES[0] == "valley"


@pytest.mark.parametrize("centre, depth", [(-4.0, 0.5), (-2.0, 0.9), (0.5, 0.3)])
def test_halfway_on_known_curves(centre, depth):
    # a plateau at 1, a descent of `depth` centred at 10**centre, a rise past 10**(centre + 1.5):
    # halfway down in loss is at the centre of the symmetric descent, whatever its depth
    lrs = [10 ** (-7 + i / 12) for i in range(100)]
    ys = [1 - depth / (1 + math.exp(-5 * (math.log10(x) - centre)))
          + (3 * (math.log10(x) - centre - 1.5) ** 2 if math.log10(x) > centre + 1.5 else 0.0) for x in lrs]
    assert suggest(lrs, ys)["halfway"] == pytest.approx(10 ** centre, rel=0.03)
    # and on the zero-lag smoothing of a noisy version of it
    rng = random.Random(1)
    noisy = [y * (1 + 0.02 * rng.gauss(0, 1)) for y in ys]
    assert suggest(lrs, smooth_losses(noisy, 0.5))["halfway"] == pytest.approx(10 ** centre, rel=0.3)


def test_suggestions_when_the_loss_never_falls():
    lrs = [10 ** (-5 + i / 10) for i in range(30)]
    rising = [1.0 + 0.01 * i for i in range(30)]
    s = suggest(lrs, rising)
    assert s["halfway"] is None and s["valley"] is None and s["steepest"] is None and s["min/10"] == pytest.approx(1e-6)
    it = iter(rising)
    r = lr_range_test(lambda lr: next(it), start=1e-5, end=10 ** (-5 + 2.9), steps=30, smooth=0.0,
                      diverge=10.0)
    assert r.suggestion == r.suggestions["min/10"]  # the fallback order of RULES


def test_suggest_validates():
    with pytest.raises(ValueError, match="same length"):
        suggest([1e-3, 1e-2], [1.0])
    with pytest.raises(ValueError, match="lrs must be finite and > 0"):
        suggest([0.0, 1e-2], [1.0, 0.5])
    with pytest.raises(ValueError, match="strictly increasing"):
        suggest([1e-2, 1e-2], [1.0, 0.5])
    with pytest.raises(ValueError, match="smoothed must be finite"):
        suggest([1e-3, 1e-2], [1.0, math.nan])
    with pytest.raises(ValueError, match="skip_start"):
        suggest([1e-3, 1e-2, 1e-1], [1.0, 0.5, 0.2], skip_start=-1)
    assert suggest([], []) == dict.fromkeys(RULES)


def logistic_regression_problem(seed: int = 0):
    """A seeded 2-class problem in 4 dimensions and a minibatch-SGD logistic regression on it."""
    rng = random.Random(seed)
    true_w = [2.0, -1.0, 0.5, 1.5]
    data = []
    for _ in range(400):
        x = [rng.gauss(0, 1) for _ in range(4)]
        z = sum(a * b for a, b in zip(x, true_w, strict=True)) + rng.gauss(0, 0.5)
        data.append((x, 1.0 if z > 0 else 0.0))

    def nll(w, batch):
        total = 0.0
        for x, y in batch:
            z = sum(a * b for a, b in zip(x, w, strict=True))
            total += max(z, 0.0) - z * y + math.log1p(math.exp(-abs(z)))  # stable log(1 + e^z) − z·y
        return total / len(batch)

    def trainer(seed_batches: int):
        w = [0.0] * 4
        r = random.Random(seed_batches)

        def step(lr):
            batch = [data[r.randrange(len(data))] for _ in range(16)]
            loss = nll(w, batch)
            grad = [0.0] * 4
            for x, y in batch:
                z = sum(a * b for a, b in zip(x, w, strict=True))
                p = 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))
                for k in range(4):
                    grad[k] += (p - y) * x[k] / len(batch)
            for k in range(4):
                w[k] -= lr * grad[k]
            return loss

        return step, w

    return data, nll, trainer


def test_pure_python_logistic_regression_suggestion_beats_100x_either_way():
    data, nll, trainer = logistic_regression_problem()

    def final_loss(lr):
        step, w = trainer(1)
        for _ in range(100):
            if not math.isfinite(step(lr)):
                return math.inf
        return nll(w, data)

    step, _ = trainer(2)
    r = lr_range_test(step, start=1e-5, end=1e4, steps=100)
    lr = r.suggestion
    assert lr is not None
    assert final_loss(lr) < final_loss(lr / 100)
    assert final_loss(lr) < final_loss(lr * 100)


# -- warnings -------------------------------------------------------------------------

def v_curve(lr):
    """A clean valley: flat at 1, bottoming at lr = 1e-2, rising past it."""
    x = math.log10(lr)
    return 1 - 0.8 / (1 + math.exp(-3 * (x + 3))) + (x + 2) ** 2 * (x > -2)


def test_no_warning_on_a_good_sweep():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = lr_range_test(v_curve, start=1e-7, end=10.0, steps=100)
    assert r.warnings == () and r.reason == "diverged"


@pytest.mark.parametrize("kwargs, match", [
    ({"steps": 10}, "too short"),
    ({"steps": 36}, "too coarse"),  # 35 steps over 8 decades
])
def test_warns_when_the_sweep_is_too_short_or_too_coarse(kwargs, match):
    with pytest.warns(RangeTestWarning, match=match):
        r = lr_range_test(v_curve, start=1e-7, end=10.0, **kwargs)
    assert any(match in w for w in r.warnings)


def test_warns_when_there_is_no_valley_or_no_bottom():
    with pytest.warns(RangeTestWarning, match="never fell"):
        lr_range_test(constant_loss, steps=100)
    with pytest.warns(RangeTestWarning, match="still falling"):
        lr_range_test(lambda lr: 1 / (1 + lr), start=1e-4, end=1e2, steps=100)


# -- arguments -------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, exc, name", [
    ({"start": 0.0}, ValueError, "start"),
    ({"start": -1e-3}, ValueError, "start"),
    ({"start": math.nan}, ValueError, "start"),
    ({"start": "1e-3"}, TypeError, "start"),
    ({"start": 1.0, "end": 1.0}, ValueError, "end"),
    ({"start": 1.0, "end": 0.5}, ValueError, "end"),
    ({"end": math.inf}, ValueError, "end"),
    ({"steps": 1}, ValueError, "steps"),
    ({"steps": 2.5}, ValueError, "steps"),
    ({"steps": True}, TypeError, "steps"),
    ({"mode": "log"}, ValueError, "mode"),
    ({"smooth": 1.0}, ValueError, "smooth"),
    ({"smooth": -0.1}, ValueError, "smooth"),
    ({"diverge": 1.0}, ValueError, "diverge"),
    ({"diverge": 0.5}, ValueError, "diverge"),
    ({"progress": "yes"}, TypeError, "progress"),
])
def test_bad_arguments(kwargs, exc, name):
    with pytest.raises(exc, match=name):
        lr_range_test(constant_loss, **kwargs)


def test_train_step_must_be_callable():
    with pytest.raises(TypeError, match="train_step"):
        lr_range_test(1.0)


# -- progress bar ------------------------------------------------------------------------

def test_progress_silent_when_not_a_terminal(capsys):
    lr_range_test(constant_loss, steps=5)  # progress=None; pytest's stderr is not a TTY
    lr_range_test(constant_loss, steps=5, progress=False)
    assert capsys.readouterr().err == ""


def test_progress_bar_when_asked(capsys):
    pytest.importorskip("tqdm")
    lr_range_test(constant_loss, steps=5, progress=True)
    assert "lr range test" in capsys.readouterr().err


def test_progress_without_tqdm(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    lr_range_test(constant_loss, steps=5)  # a terminal but no tqdm: silently no bar
    assert capsys.readouterr().err == ""
    with pytest.raises(ImportError, match=r"lrkit\[progress\]"):
        lr_range_test(constant_loss, steps=5, progress=True)


# -- result and plot ------------------------------------------------------------------------

def test_result_fields():
    r = lr_range_test(quadratic(10.0), start=1e-4, end=100.0, steps=60, smooth=0.3)
    assert isinstance(r, RangeTestResult)
    assert len(r.lrs) == len(r.losses) == len(r.smoothed)
    assert set(r.suggestions) == set(RULES)
    assert r.suggestion == next(r.suggestions[k] for k in RULES if r.suggestions[k] is not None)
    assert r.best_lr == r.lrs[min(range(len(r.smoothed)), key=r.smoothed.__getitem__)]
    assert r.settings == {"start": 1e-4, "end": 100.0, "steps": 60, "mode": "exp", "smooth": 0.3,
                          "diverge": 4.0}
    assert isinstance(r.warnings, tuple)
    assert repr(r).startswith("RangeTestResult(suggestion=")


def test_plot_marks_every_suggestion(tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    r = lr_range_test(noisy_regression(1), steps=80)
    fig, ax = plt.subplots()
    assert r.plot(ax=ax) is ax
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    for rule, lr in r.suggestions.items():
        if lr is not None:
            assert any(lab.startswith(f"{rule}: {lr:.3g}") for lab in labels)
    assert sum("(suggestion)" in lab for lab in labels) == 1
    assert ax.get_xscale() == "log"
    assert {"raw loss", "smoothed loss (zero lag)"} <= set(labels)
    fig.savefig(tmp_path / "lr.png")
    assert (tmp_path / "lr.png").stat().st_size > 1000
    plt.close(fig)
    empty = lr_range_test(lambda lr: math.nan, steps=3)
    ax2 = empty.plot()
    assert "no finite loss" in ax2.get_title()
    plt.close("all")


def test_plot_markers_stay_inside_the_chart():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # a blow-up that the smoothed curve follows far above the fitted y range, and a suggestion there
    raw = [1.0] * 40 + [1.0 - 0.8 * i / 20 for i in range(20)] + [0.2 * 3 ** i for i in range(8)]
    it = iter(raw)
    r = lr_range_test(lambda lr: next(it), steps=68, diverge=1e9)
    r = RangeTestResult(lrs=r.lrs, losses=r.losses, smoothed=r.smoothed,
                        suggestions={**r.suggestions, "steepest": r.lrs[-1]}, suggestion=r.suggestion,
                        stopped_early=False, reason="completed")
    fig, ax = plt.subplots()
    r.plot(ax=ax)
    lo, hi = ax.get_ylim()
    (x0, x1) = ax.get_xlim()
    markers = [ln for ln in ax.get_lines() if ln.get_marker() not in ("None", None, "")]
    assert len(markers) == sum(v is not None for v in r.suggestions.values())
    for ln in markers:
        (x,), (y,) = ln.get_xdata(), ln.get_ydata()
        assert lo < y < hi and x0 < x < x1, ln.get_label()
    plt.close(fig)


def test_plot_without_matplotlib(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    r = lr_range_test(constant_loss, steps=3)
    with pytest.raises(ImportError, match=r"pip install 'lrkit\[plot\]'"):
        r.plot()


def test_import_lrkit_stays_light():
    code = ("import sys, lrkit; lrkit.lr_range_test(lambda lr: 1.0, steps=3); "
            "heavy = [m for m in ('numpy', 'torch', 'matplotlib', 'tqdm', 'jax') if m in sys.modules]; "
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
