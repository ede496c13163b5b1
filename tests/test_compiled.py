"""The compiled scalar closures (``Schedule._compile``) agree exactly with the
one formula (``Schedule._eval`` on Python numbers) for every shape and combinator.

Each class writes its formula once, as ``_eval``; the closure is derived from it (the
scalar namespace bound once), so the values must be bit-identical and errors the same.
"""

from __future__ import annotations

import math
import struct

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lrkit
from lrkit._ops import SCALAR

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

durations = st.one_of(st.integers(1, 500), st.floats(0.5, 500, allow_nan=False).map(lambda x: round(x, 2)))
vals = st.floats(-10, 10, allow_nan=False, allow_infinity=False)
pos = st.floats(0.01, 10, allow_nan=False)


def _bits(x: float) -> int:
    return struct.unpack("<q", struct.pack("<d", x))[0]


def _outcome(f, t):
    try:
        return ("value", f(t))
    except (ValueError, OverflowError) as e:
        return ("error", type(e).__name__)


def assert_agree(s: lrkit.Schedule, steps) -> None:
    fn = s._compile()
    for t in steps:
        a = _outcome(fn, t)
        b = _outcome(lambda x: s._eval(x, SCALAR), t)
        if a[0] == "value" and b[0] == "error":
            # the generic formula evaluates every branch (join pieces, where): an unused branch
            # may overflow where the closure, which evaluates only the branch used, does not
            continue
        assert a[0] == b[0], (s, t, a, b)
        if a[0] == "value":
            x, y = float(a[1]), float(b[1])
            assert (math.isnan(x) and math.isnan(y)) or _bits(x) == _bits(y), (repr(s), t, x, y)
        else:
            assert a == b, (s, t, a, b)
        # and __call__ goes through the compiled path with the same value
        if a[0] == "value":
            assert _bits(float(s(t))) == _bits(float(a[1])) or math.isnan(a[1])


def probe_steps(s: lrkit.Schedule, extra) -> list:
    """Special points (0, around every duration and boundary) plus random steps."""
    marks = {0}
    d = s.duration
    if d is not None:
        marks |= {d}
    for _name, v in s._args:
        if isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0:
            marks.add(v)
        if isinstance(v, tuple):
            for x in v:
                if isinstance(x, (int, float)) and not isinstance(x, bool) and x >= 0:
                    marks.add(x)
                if isinstance(x, tuple):
                    marks |= {y for y in x if isinstance(y, (int, float)) and y >= 0}
    out = []
    for m in marks:
        for delta in (-1, -0.5, 0, 0.5, 1):
            if m + delta >= 0:
                out += [m + delta, math.floor(m + delta)]
    return out + list(extra)


steps_list = st.lists(st.one_of(st.integers(0, 3000), st.floats(0, 3000, allow_nan=False)),
                      min_size=1, max_size=20)


@st.composite
def shapes(draw):
    kind = draw(st.sampled_from([
        "constant", "linear", "cosine", "polynomial", "exponential", "step", "multistep",
        "piecewise", "interpolate", "inverse_sqrt", "inverse_time", "onecycle", "cyclic", "wsd", "rex",
        "tanh",
    ]))
    if kind == "constant":
        return lrkit.constant(draw(vals))
    if kind == "tanh":
        lb = draw(st.floats(-10, 2))
        return lrkit.tanh(draw(durations), start=draw(vals), end=draw(vals), lb=lb,
                          ub=lb + draw(st.floats(0.5, 12)))
    if kind == "linear":
        return lrkit.linear(draw(durations), start=draw(vals), end=draw(vals))
    if kind == "cosine":
        return lrkit.cosine(draw(durations), start=draw(vals), end=draw(vals),
                            exponent=draw(st.sampled_from([1.0, 2.0, 0.5, 1.7])),
                            k_decay=draw(st.sampled_from([1.0, 1.0, 0.5, 2.0])))
    if kind == "polynomial":
        return lrkit.polynomial(draw(durations), start=draw(vals), end=draw(vals),
                                power=draw(st.sampled_from([1.0, 2.0, 0.5, 3.3])),
                                k_decay=draw(st.sampled_from([1.0, 1.0, 0.5, 2.0])))
    if kind == "exponential":
        return lrkit.exponential(draw(st.floats(0.5, 1.5)), start=draw(vals), every=draw(durations),
                                 staircase=draw(st.booleans()), floor=draw(st.floats(-1, 0.5)))
    if kind == "step":
        return lrkit.step(draw(durations), gamma=draw(st.floats(0.05, 1.2)), start=draw(vals))
    if kind == "multistep":
        ms = sorted(draw(st.lists(st.integers(0, 1000), max_size=5)))
        return lrkit.multistep(ms, gamma=draw(st.floats(0.05, 1.0)), start=draw(vals))
    if kind == "piecewise":
        bs = sorted(set(draw(st.lists(st.integers(0, 1000), max_size=5))))
        return lrkit.piecewise(bs, [draw(vals) for _ in range(len(bs) + 1)])
    if kind == "interpolate":
        xs = sorted(set(draw(st.lists(st.integers(0, 1000), min_size=1, max_size=5))))
        k = draw(st.sampled_from(["linear", "cosine", "exponential"]))
        vv = pos if k == "exponential" else vals
        return lrkit.interpolate([(x, draw(vv)) for x in xs], kind=k)
    if kind == "inverse_sqrt":
        return lrkit.inverse_sqrt(draw(durations), start=draw(vals),
                                  timescale=draw(st.one_of(st.none(), durations)))
    if kind == "inverse_time":
        return lrkit.inverse_time(draw(st.floats(0, 2)), every=draw(durations), start=draw(vals),
                                  staircase=draw(st.booleans()))
    if kind == "onecycle":
        return lrkit.onecycle(draw(st.integers(20, 2000)), peak=draw(vals),
                              pct_start=draw(st.floats(0.1, 0.45)),
                              div_factor=draw(st.floats(1.5, 50)),
                              final_div_factor=draw(st.floats(1.5, 1e4)),
                              anneal=draw(st.sampled_from(["cos", "linear"])),
                              three_phase=draw(st.booleans()))
    if kind == "cyclic":
        return lrkit.cyclic(draw(vals), draw(vals), draw(durations),
                            draw(st.one_of(st.none(), durations)),
                            mode=draw(st.sampled_from(["triangular", "triangular2", "exp_range"])),
                            gamma=draw(st.floats(0.9, 1.0)))
    if kind == "wsd":
        steps = draw(st.integers(2, 2000))
        w = draw(st.integers(0, steps // 2))
        d = draw(st.integers(0, steps - w))
        decay_from = draw(st.one_of(st.none(), st.integers(w, 3000)))
        shape = draw(st.sampled_from(["linear", "cosine", "1-sqrt", "square", "exponential"]))
        cycles = draw(st.sampled_from([0.5, 1.0, 2.3])) if shape == "cosine" else 0.5
        peak, end = draw(vals), draw(vals)
        if shape == "exponential":  # a geometric decay: peak, end > 0
            peak, end = abs(peak) + 0.01, abs(end) + 0.001
        return lrkit.wsd(steps, w, d, peak=peak, end=end, shape=shape,
                         warmup_shape=draw(st.sampled_from(["linear", "cosine", "1-sqrt"])),
                         decay_from=decay_from, cycles=cycles)
    return lrkit.rex(draw(durations), start=draw(vals), end=draw(vals))


def _positive(s: lrkit.Schedule) -> bool:
    try:
        return s._eval(0, SCALAR) > 0
    except ValueError:
        return False


@st.composite
def schedules(draw, depth=2):
    if depth == 0 or draw(st.integers(0, 2)) == 0:
        return draw(shapes())
    inner = draw(schedules(depth=depth - 1))
    kind = draw(st.sampled_from(["warmup", "join", "restarts", "clip", "shift", "per_epoch",
                                 "noise", "pingpong", "product"]))
    if kind == "warmup":
        k = draw(st.sampled_from(["linear", "cosine", "exponential"]))
        if k == "exponential" and not _positive(inner):
            k = "linear"
        start = draw(pos) if k == "exponential" else draw(vals)
        return lrkit.warmup(inner, draw(durations), start=start, kind=k)
    if kind == "join":
        other = draw(schedules(depth=depth - 1))
        n = draw(st.integers(1, 3))
        pieces = [inner, other, draw(shapes())][:n]
        bs = sorted(set(draw(st.lists(st.integers(1, 1000), min_size=n - 1, max_size=n - 1))))
        return lrkit.join(pieces[: len(bs) + 1], bs)
    if kind == "restarts":
        limit = draw(st.one_of(st.none(), st.integers(1, 5)))
        return lrkit.restarts(inner, draw(durations), mult=draw(st.sampled_from([1, 2, 1.5, 3])),
                              decay=draw(st.sampled_from([1.0, 0.5, 0.9])), limit=limit)
    if kind == "clip":
        lo = draw(st.one_of(st.none(), st.floats(-5, 0)))
        hi = draw(st.one_of(st.none() if lo is not None else st.just(1.0), st.floats(0, 5)))
        return lrkit.clip(inner, lo, hi)
    if kind == "shift":
        return lrkit.shift(inner, draw(st.one_of(st.integers(-300, 300), st.floats(-300, 300).map(
            lambda x: round(x, 1)))))
    if kind == "per_epoch":
        return lrkit.per_epoch(inner, draw(durations), smooth=draw(st.booleans()))
    if kind == "noise":
        return lrkit.noise(inner, draw(st.floats(0, 1)), seed=draw(st.integers(0, 2**40)),
                           kind=draw(st.sampled_from(["normal", "uniform"])))
    if kind == "pingpong":
        if not inner.duration:  # pingpong needs a duration > 0
            return inner
        return lrkit.pingpong(inner)
    other = draw(st.one_of(schedules(depth=depth - 1), vals))
    third = draw(st.one_of(st.none(), vals, shapes()))
    factors = [inner, other] + ([] if third is None else [third])
    return lrkit.Product(factors)


@SETTINGS
@given(shapes(), steps_list)
def test_every_shape_compiles_to_the_same_values(s, extra):
    assert_agree(s, probe_steps(s, extra))


@SETTINGS
@given(schedules(), steps_list)
def test_every_combination_compiles_to_the_same_values(s, extra):
    assert_agree(s, probe_steps(s, extra))


def test_each_formula_is_written_once():
    """No class has a hand-written scalar closure or an inlined copy of another's formula:
    ``_compile`` is the base class's, derived from ``_eval``."""
    from lrkit.schedule import Schedule

    generic = Schedule._compile
    own = [name for name, cls in lrkit.REGISTRY.items() if cls._compile is not generic]
    assert not own
    assert not [name for name, cls in lrkit.REGISTRY.items() if hasattr(cls, "_inline")]


def test_closures_are_cached():
    """The scalar closure is built once per schedule, and evaluates its children's formulas."""
    inner = lrkit.cosine(100)
    s = lrkit.warmup(inner, 10)
    s(50)
    fn = s._fn
    assert fn is not None
    s(60)
    assert s._fn is fn
    assert s._fn(50) == inner(40)


def test_overflow_is_a_value_error_on_both_paths():
    s = lrkit.exponential(10.0)
    for f in (s, s._compile()):
        try:
            f(400)
        except ValueError as e:
            assert "overflows" in str(e)
        else:  # pragma: no cover
            raise AssertionError("no error")


@SETTINGS
@given(schedules(), steps_list)
def test_numpy_arrays_agree_with_scalar_steps(s, extra):
    """The array path (_ops' NumPy namespace) gives the scalar values (within float64 rounding)."""
    import numpy as np

    steps = probe_steps(s, extra)
    try:
        expect = [s(t) for t in steps]
    except ValueError:  # an overflowing exponential: the scalar path refuses it
        return
    got = s(np.array(steps, dtype=np.float64))
    np.testing.assert_allclose(got, expect, rtol=1e-12, atol=1e-12)
    got_int = s(np.array([math.floor(x) for x in steps]))
    np.testing.assert_allclose(got_int, [s(math.floor(x)) for x in steps], rtol=1e-12, atol=1e-12)


@SETTINGS
@given(schedules(), steps_list)
def test_affine_factoring_is_exact(s, extra):
    """offset + scale·unit(t) (what a Scheduler computes for per-group schedules) is s(t), bit for bit."""
    a = s._affine()
    if a is None:
        return
    offset, scale, unit = a
    for t in probe_steps(s, extra):
        try:
            want = s(t)
        except ValueError:
            continue
        f = unit(t)
        got = scale * f if offset is None else offset + scale * f
        assert _bits(got) == _bits(want) or (got == want == 0.0), (repr(s), t, got, want)


def test_affine_factoring_of_torch_style_schedules():
    c = lrkit.pingpong(lrkit.cosine(100, start=0.3, end=0.01))
    assert c._affine() == (0.01, 0.3 - 0.01, lrkit.pingpong(lrkit.cosine(100)))
    r = lrkit.restarts(lrkit.cosine(10, start=0.5), 10, mult=2)
    assert r._affine()[2] == lrkit.restarts(lrkit.cosine(10), 10, mult=2)
    assert lrkit.step(30, 0.1, start=0.2)._affine() == (None, 0.2, lrkit.step(30, 0.1))
    assert lrkit.restarts(lrkit.cosine(10, start=0.5), 10, decay=0.5)._affine() is None


@SETTINGS
@given(st.sampled_from(["warmup", "pingpong", "restarts"]), durations, vals, vals,
       st.sampled_from([1.0, 2.0]), durations, steps_list)
def test_cosine_children_agree(kind, n, a, b, exponent, other, extra):
    """warmup/pingpong/restarts of a cosine (the torch-style compositions): bit-identical."""
    c = lrkit.cosine(n, start=a, end=b, exponent=exponent)
    if kind == "warmup":
        s = lrkit.warmup(c, other, start=b)
    elif kind == "pingpong":
        s = lrkit.pingpong(c)
    else:
        s = lrkit.restarts(c, n)
    assert_agree(s, probe_steps(s, extra))
