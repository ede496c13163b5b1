"""lrkit.laws: the two loss-curve laws, their fit, uncertainty, configs and schedule search."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lrkit
from lrkit import laws
from lrkit.laws import annealing, multipower
from lrkit.laws.trace import Trace

# generous deadlines: a bound against hangs on a shared, loaded machine, not a timing assertion
PROPS = settings(max_examples=40, deadline=10_000, suppress_health_check=[HealthCheck.too_slow])
TRUE_MP = {"L0": 2.0, "A": 0.5, "alpha": 0.4, "B": 300.0, "C": 2.0, "beta": 0.5, "gamma": 0.6}
TRUE_AN = {"L0": 2.0, "A": 0.5, "alpha": 0.4, "C": 5.0, "lam": 0.995}
PEAK = 3e-4
annealing.annealing_area(Trace.of(np.array([1.0, 0.5])), 0.9)  # import SciPy's lfilter before the timed examples


def direct_ld(eta, t, p):
    """The multi-power LD term transcribed literally: the double loop of the paper."""
    w = int(np.argmax(eta))
    ld = 0.0
    for k in range(w + 1, t + 1):
        s_k = float(np.sum(eta[k:t + 1]))
        ld += (eta[k - 1] - eta[k]) * (1 - (p["C"] * eta[k] ** -p["gamma"] * s_k + 1) ** -p["beta"])
    return p["B"] * ld


def direct_s2(eta, t, lam):
    w = int(np.argmax(eta))
    m = s2 = 0.0
    for i in range(w + 1, t + 1):
        m = lam * m + (eta[i - 1] - eta[i])
        s2 += m
    return s2


def synthetic_runs(law="multi-power", params=None, T=3000, noise=0.0):
    module = multipower if law == "multi-power" else annealing
    params = params or (TRUE_MP if law == "multi-power" else TRUE_AN)
    specs = {"constant": "warmup(constant(1.0), 100)", "cosine": f"warmup(cosine({T - 100}, end=0.1), 100)",
             "two-stage": f"warmup(piecewise([{int(0.7 * T) - 100}], [1.0, 0.2]), 100)"}
    rng = np.random.default_rng(0)
    runs = []
    for name, spec in specs.items():
        s = PEAK * lrkit.parse(spec)
        steps = np.arange(20, T, 10)
        y = module.predict(Trace.of(np.asarray(s(np.arange(T)), float)), steps, params)
        y = y * np.exp(noise * rng.standard_normal(y.size))
        runs.append(laws.Run(s, steps, y, name=name))
    return runs


# -- formulas --------------------------------------------------------------------------------------

def test_g_limits():
    assert multipower.G(0.0, 2.0, 0.5) == 0.0
    assert multipower.G(1e300, 2.0, 0.5) == 1.0
    x = np.logspace(-12, 12, 200)
    g = multipower.G(x, 2.0, 0.5)
    assert np.all(np.diff(g) > 0) and np.all((g > 0) & (g < 1))
    assert multipower.G(1e-12, 2.0, 0.5) == pytest.approx(0.5 * 2.0 * 1e-12, rel=1e-9)  # G'(0) = C·β


@PROPS
@given(st.floats(1e-5, 1.0), st.integers(0, 50), st.integers(60, 400), st.floats(0.01, 3.0), st.floats(0.0, 1.5))
def test_constant_schedule_has_no_loss_drop(lr, warm, T, beta, gamma):
    """Constant lr after warmup: LD = 0, S2 = 0, and both laws are the power law L0 + A·S^(−α)."""
    eta = np.full(T, lr)
    eta[:warm] = lr * np.arange(warm) / max(warm, 1)
    tr = Trace.of(eta)
    steps = np.arange(max(warm, 1), T)
    assert tr.drops.size == 0
    assert np.all(multipower.loss_drop(tr, steps, 300.0, 2.0, beta, gamma) == 0)
    assert np.all(annealing.annealing_area(tr, 0.99) == 0)
    power = TRUE_MP["L0"] + TRUE_MP["A"] * tr.area[steps] ** -TRUE_MP["alpha"]
    np.testing.assert_array_equal(multipower.predict(tr, steps, TRUE_MP), power)


@PROPS
@given(st.lists(st.floats(0.0, 1.0), min_size=3, max_size=60), st.integers(1, 4))
def test_ld_and_s2_equal_the_direct_double_loop(vals, rep):
    """The vectorised LD / S2 equal the paper's loops on any schedule (rises after the peak too)."""
    eta = np.repeat(np.asarray(vals) + 1e-3, rep)
    tr = Trace.of(eta)
    steps = np.arange(eta.size)
    ld = multipower.loss_drop(tr, steps, TRUE_MP["B"], TRUE_MP["C"], TRUE_MP["beta"], TRUE_MP["gamma"])
    s2 = annealing.annealing_area(tr, 0.97)
    for t in range(eta.size):
        assert ld[t] == pytest.approx(direct_ld(eta, t, TRUE_MP), rel=1e-10, abs=1e-12)
        assert s2[t] == pytest.approx(direct_s2(eta, t, 0.97), rel=1e-10, abs=1e-13)


@PROPS
@given(st.floats(1e-4, 1.0), st.floats(0.01, 0.99), st.integers(10, 200))
def test_a_single_drop_follows_g(peak, ratio, after):
    """One drop of d at step k: LD(t) = B·d·G(η_k^(−γ)·S_k(t)), rising with t, below B·d."""
    eta = np.r_[np.full(50, peak), np.full(after, peak * ratio)]
    tr = Trace.of(eta)
    steps = np.arange(50, eta.size)
    ld = multipower.loss_drop(tr, steps, 3.0, 2.0, 0.5, 0.6)
    d = peak - peak * ratio
    x = (peak * ratio) ** -0.6 * (peak * ratio) * (steps - 49)
    np.testing.assert_allclose(ld, 3.0 * d * multipower.G(x, 2.0, 0.5), rtol=1e-12)
    assert np.all(np.diff(ld) > 0) and ld[-1] < 3.0 * d


def test_block_evaluation_matches_unblocked(monkeypatch):
    eta = PEAK * np.asarray(lrkit.parse("warmup(cosine(1900), 100)")(np.arange(2000)), float)
    tr = Trace.of(eta)
    steps = np.arange(5, 2000, 7)
    whole = multipower.loss_drop(tr, steps, 300.0, 2.0, 0.5, 0.6)
    monkeypatch.setattr(multipower, "MAX_PAIRS", 257)
    np.testing.assert_allclose(multipower.loss_drop(tr, steps, 300.0, 2.0, 0.5, 0.6), whole, rtol=1e-13)


def test_lr_reaching_zero_stays_finite():
    eta = np.r_[np.linspace(0, 1e-3, 10), np.linspace(1e-3, 0, 50), np.zeros(20)]
    tr = Trace.of(eta)
    out = multipower.predict(tr, np.arange(1, eta.size), TRUE_MP)
    assert np.all(np.isfinite(out))


def test_jacobians_match_finite_differences():
    runs = synthetic_runs(T=1500)
    tr, steps = runs[1].trace.scaled(1 / PEAK), runs[1].steps[::7]
    for module, params in ((multipower, TRUE_MP), (annealing, TRUE_AN)):
        theta = module.from_params(params, PEAK)
        v, jac = module.predict_with_jacobian(tr, steps, theta)
        np.testing.assert_allclose(v, module.predict(runs[1].trace, steps, params), rtol=1e-12)
        for i in range(theta.size):
            h = 1e-6 * max(1.0, abs(theta[i]))
            up, dn = theta.copy(), theta.copy()
            up[i] += h
            dn[i] -= h
            num = (module.predict_with_jacobian(tr, steps, up)[0]
                   - module.predict_with_jacobian(tr, steps, dn)[0]) / (2 * h)
            np.testing.assert_allclose(jac[:, i], num, rtol=1e-4, atol=1e-9)


# -- fitting ---------------------------------------------------------------------------------------

def test_fit_recovers_known_multi_power_params():
    runs = synthetic_runs()
    law = laws.fit(runs)
    for k, v in TRUE_MP.items():
        assert law.params[k] == pytest.approx(v, rel=1e-4), k
    assert law.info["rms_log_residual"] < 1e-8


def test_fit_recovers_known_annealing_params():
    law = laws.fit(synthetic_runs("annealing"), law="annealing")
    for k, v in TRUE_AN.items():
        assert law.params[k] == pytest.approx(v, rel=1e-4), k


def test_fit_is_deterministic_and_uncertainty_tracks_noise():
    runs = synthetic_runs(noise=0.003)
    a, b = laws.fit(runs), laws.fit(runs)
    assert a.params == b.params
    held_out = PEAK * lrkit.parse("wsd(3000, 100, 600, shape='1-sqrt')")
    steps = np.arange(200, 3000, 50)
    truth = multipower.predict(Trace.of(np.asarray(held_out(np.arange(3000)), float)), steps, TRUE_MP)
    pred, std = a.predict(held_out, steps, return_std=True)
    assert np.all(std > 0)
    assert a.sigma == pytest.approx(0.003, rel=0.3)
    assert np.mean(np.abs(pred - truth) / truth) < 0.01
    clean = laws.fit(synthetic_runs())
    assert np.all(clean.predict(held_out, steps, return_std=True)[1] < std)


def test_config_round_trip_through_json():
    law = laws.fit(synthetic_runs(T=1500))
    back = laws.from_config(json.loads(json.dumps(law.to_config())))
    assert back == law and back.params == law.params
    s = PEAK * lrkit.parse("warmup(linear(1400), 100)")
    steps = np.arange(100, 1500, 10)
    np.testing.assert_array_equal(back.predict(s, steps), law.predict(s, steps))
    np.testing.assert_array_equal(back.predict(s, steps, return_std=True)[1], law.predict(s, steps, return_std=True)[1])


def test_predict_takes_sequences_and_schedules_alike():
    law = laws.from_config({"law": "multi-power", "params": TRUE_MP})
    s = PEAK * lrkit.parse("warmup(cosine(900), 100)")
    eta = np.asarray(s(np.arange(1000)), float)
    np.testing.assert_array_equal(law.predict(eta, range(1, 1000)), law.predict(s, range(1, 1000)))
    assert law.final_loss(s, 1000) == law.final_loss(eta) == law.final_loss(list(eta))


# -- compare and optimise ---------------------------------------------------------------------------

def test_optimize_is_non_increasing_after_warmup_and_beats_the_families():
    law = laws.from_config({"law": "multi-power", "params": TRUE_MP})
    T, W = 3000, 100
    best = laws.optimize(law, T, PEAK, W)
    assert lrkit.parse(repr(best)) == best and repr(best).startswith("warmup(interpolate(")
    v = np.asarray(best(np.arange(T)), float)
    assert v[W] == pytest.approx(PEAK) and np.all(np.diff(v[W:]) <= 1e-15) and v.max() <= PEAK * (1 + 1e-12)
    opt = law.final_loss(best, T)
    wsd = laws.best_wsd(law, T, PEAK, W)
    cos = laws.best_cosine(law, T, PEAK, W)
    assert opt <= wsd.rows[0].final_loss + 1e-4 and opt < cos.rows[0].final_loss
    assert [r.final_loss for r in wsd.rows] == sorted(r.final_loss for r in wsd.rows)
    assert "wsd" in wsd.table() and law.final_loss(wsd.best, T) == wsd.rows[0].final_loss


def test_compare_table_and_plot(tmp_path):
    law = laws.from_config({"law": "annealing", "params": TRUE_AN})
    scheds = {"constant": PEAK * lrkit.parse("warmup(constant(1.0), 100)"),
              "linear": PEAK * lrkit.parse("warmup(linear(1900), 100)")}
    c = laws.compare(law, scheds, 2000)
    assert c.rows[0].label == "linear" and c.rows[0].final_loss < c.rows[1].final_loss
    c.plot(str(tmp_path / "c.png"))
    assert (tmp_path / "c.png").read_bytes()[:4] == b"\x89PNG"


# -- bad input -------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, match", [
    ({"steps": [3, 2], "losses": [1.0, 1.0]}, "strictly increasing"),
    ({"steps": [1, 2], "losses": [1.0]}, "one loss per step"),
    ({"steps": [1, 2], "losses": [1.0, float("nan")]}, "finite and > 0"),
    ({"steps": [1, 2], "losses": [1.0, -1.0]}, "finite and > 0"),
    ({"steps": [-1, 2], "losses": [1.0, 1.0]}, "steps must be >= 0"),
    ({"steps": [1.5, 2], "losses": [1.0, 1.0]}, "whole numbers"),
    ({"steps": [1, 20], "losses": [1.0, 1.0]}, "lr of 10 steps"),
    ({"steps": [0, 2], "losses": [1.0, 1.0], "lrs": [0.0] * 3 + [1.0] * 7}, "no lr has been applied"),
    ({"steps": [1, 2], "losses": [1.0, 1.0], "lrs": [0.0] * 10}, "0 at every step"),
    ({"steps": [1, 2], "losses": [1.0, 1.0], "lrs": [1.0, float("inf")] + [1.0] * 8}, "finite and >= 0"),
    ({"steps": 5, "losses": [1.0]}, "1-D sequence of steps"),
    ({"steps": [1, 2], "losses": [1.0, 1.0], "lrs": "cosine(10)"}, "Schedule or a 1-D"),
])
def test_run_bad_input(kwargs, match):
    lrs = kwargs.pop("lrs", [1.0] * 10)
    with pytest.raises((ValueError, TypeError), match=match):
        laws.Run(lrs, **kwargs)


def test_fit_and_config_bad_input():
    runs = synthetic_runs(T=600)
    with pytest.raises(ValueError, match="law must be one of"):
        laws.fit(runs, law="chinchilla")
    with pytest.raises(ValueError, match="non-empty list"):
        laws.fit([])
    with pytest.raises(TypeError, match=r"runs\[1\]"):
        laws.fit([runs[0], "run"])
    with pytest.raises(ValueError, match="max_points"):
        laws.fit(runs, max_points=2)
    with pytest.raises(ValueError, match="keys"):
        laws.from_config({"law": "multi-power", "params": {"L0": 1.0}})
    with pytest.raises(ValueError, match="finite number"):
        laws.from_config({"law": "annealing", "params": dict(TRUE_AN, A=math.inf)})
    with pytest.raises(ValueError, match="0 < lam < 1"):
        laws.from_config({"law": "annealing", "params": dict(TRUE_AN, lam=1.0)})
    with pytest.raises(ValueError, match="version"):
        laws.from_config({"law": "annealing", "params": TRUE_AN, "version": 99})
    law = laws.from_config({"law": "annealing", "params": TRUE_AN})
    with pytest.raises(ValueError, match="give the steps"):
        law.predict(lrkit.cosine(10))
    with pytest.raises(TypeError, match="range"):
        law.predict(lrkit.cosine(10), 10)
    with pytest.raises(ValueError, match="peak"):
        laws.optimize(law, 100, -1.0)
    with pytest.raises(ValueError, match="warmup"):
        laws.optimize(law, 100, 1.0, warmup=99)
    with pytest.raises(ValueError, match="fractions"):
        laws.best_wsd(law, 100, 1.0, fractions=(0.0,))
