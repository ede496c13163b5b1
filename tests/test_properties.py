"""Properties that hold for every schedule (hypothesis)."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lrkit as L

from .strategies import durations, schedules, shapes, values

np = pytest.importorskip("numpy")

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(schedules())
def test_text_form_round_trips(s):
    back = L.parse(repr(s))
    assert back == s and hash(back) == hash(s)
    assert repr(back) == repr(s)
    steps = [0, 1, 7, 99, 1000]
    assert [back(t) for t in steps] == [s(t) for t in steps]


@FAST
@given(schedules())
def test_config_round_trips_through_json(s):
    cfg = json.loads(json.dumps(s.to_config()))
    back = L.from_config(cfg)
    assert back == s
    assert [back(t) for t in (0, 3, 500)] == [s(t) for t in (0, 3, 500)]


@FAST
@given(schedules(), st.lists(st.integers(0, 3000), min_size=1, max_size=40))
def test_numpy_equals_scalar(s, steps):
    arr = s(np.array(steps))
    scal = np.array([s(t) for t in steps])
    assert arr.dtype == np.float64
    np.testing.assert_allclose(arr, scal, rtol=1e-12, atol=1e-300)


@settings(max_examples=40, deadline=None)
@given(schedules(), st.lists(st.integers(0, 3000), min_size=1, max_size=20))
def test_torch_equals_scalar(s, steps):
    torch = pytest.importorskip("torch")
    out = s(torch.tensor(steps))
    assert out.dtype == torch.float64 and out.device.type == "cpu"
    np.testing.assert_allclose(out.numpy(), [s(t) for t in steps], rtol=1e-12, atol=1e-300)


@settings(max_examples=25, deadline=None)
@given(schedules(), st.lists(st.integers(0, 3000), min_size=1, max_size=20))
def test_jax_jit_equals_scalar(s, steps):
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    out = jax.jit(s)(jnp.array(steps))
    # float32 unless jax_enable_x64: compare at float32 precision, relative to the scale
    expect = np.array([s(t) for t in steps])
    scale = max(1.0, float(np.abs(expect).max()))
    np.testing.assert_allclose(np.asarray(out), expect, rtol=2e-5, atol=2e-6 * scale)


@FAST
@given(shapes(), st.integers(0, 5000))
def test_bounds(s, t):
    """A shape stays between the min and max of the values that define it."""
    args = dict(s._args)
    if s.name in ("exponential", "step", "multistep", "inverse_time", "inverse_sqrt"):
        lo, hi = 0.0, args["start"]
        lo, hi = min(lo, args.get("floor", 0.0)), max(hi, args.get("floor", 0.0))
    elif s.name == "piecewise":
        lo, hi = min(args["values"]), max(args["values"])
    elif s.name == "interpolate":
        vs = [v for _, v in args["points"]]
        lo, hi = min(vs), max(vs)
    elif s.name == "onecycle":
        lo, hi = 0.0, args["peak"]
    elif s.name == "cyclic":
        lo, hi = min(args["low"], args["high"]), max(args["low"], args["high"])
    elif s.name == "wsd":
        lo, hi = min(args["peak"], args["end"]), max(args["peak"], args["end"])
    elif s.name == "constant":
        lo = hi = args["value"]
    else:
        lo, hi = min(args["start"], args["end"]), max(args["start"], args["end"])
    v = s(t)
    assert math.isfinite(v)
    tol = 4 * 2.0**-52 * max(abs(lo), abs(hi), 1e-300)
    assert lo - tol <= v <= hi + tol, (repr(s), t, v, lo, hi)


@FAST
@given(st.sampled_from(["linear", "cosine", "polynomial", "rex"]), durations, values, values,
       st.integers(0, 600), st.integers(0, 600))
def test_monotone_decays(kind, n, a, b, t1, t2):
    s = getattr(L, kind)(n, start=a, end=b)
    lo, hi = sorted((t1, t2))
    if a >= b:
        assert s(lo) >= s(hi)
    else:
        assert s(lo) <= s(hi)


@FAST
@given(st.floats(0.05, 0.999), st.integers(1, 20), st.booleans(), st.integers(0, 3000),
       st.integers(0, 3000))
def test_exponential_monotone(g, every, stair, t1, t2):
    s = L.exponential(g, every=every, staircase=stair)
    lo, hi = sorted((t1, t2))
    assert s(lo) >= s(hi)


@FAST
@given(values, durations, durations)
def test_join_is_continuous_where_values_agree(v, n, b):
    """Pieces that meet at the same value leave no jump at the boundary."""
    s = L.join([L.linear(b, start=0.0, end=v), L.cosine(n, start=v, end=0.0)], [b])
    assert s(b) == v
    assert abs(s(b) - s(b - 1)) <= abs(v) / b + 1e-12


@FAST
@given(schedules(), st.integers(1, 10**6))
def test_resolved_schedules_resolve_to_themselves(s, total):
    assert s.resolve(total) is s


@FAST
@given(st.floats(0.01, 0.5), st.integers(10, 10**6))
def test_fraction_resolution(p, total):
    s = L.warmup(L.cosine("rest"), L.frac(p))
    n = math.floor(p * total + 0.5)
    if n == 0:
        with pytest.raises(ValueError, match="total_steps"):
            s.resolve(total)
        return
    r = s.resolve(total)
    assert r == L.warmup(L.cosine(total - n), n)
    assert r.duration == total
