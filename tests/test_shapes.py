"""Known values of every shape, hand-computed, including the edges:
step 0, exactly at a milestone/boundary, after the end, negative steps."""

from __future__ import annotations

import math

import pytest

import lrkit as L

approx = lambda x: pytest.approx(x, rel=1e-14, abs=1e-15)  # noqa: E731


def test_constant():
    s = L.constant(0.3)
    assert s(0) == 0.3 and s(10**9) == 0.3 and s(2.5) == 0.3
    assert L.constant()(7) == 1.0


def test_linear_edges():
    s = L.linear(10, start=1.0, end=0.2)
    assert s(0) == 1.0
    assert s(5) == approx(0.6)
    assert s(10) == 0.2 and s(11) == 0.2 and s(10**12) == 0.2
    assert s(2.5) == approx(0.8)


def test_cosine_known_values():
    s = L.cosine(100, start=1.0, end=0.1)
    assert s(0) == 1.0
    assert s(50) == approx(0.55)  # half way: (start + end) / 2
    assert s(25) == approx(0.1 + 0.9 * (1 + math.cos(math.pi / 4)) / 2)
    assert s(100) == 0.1 and s(1000) == 0.1
    assert L.cosine(100)(100) == 0.0  # exactly the end, not 3.7e-33


def test_cosine_exponent():
    s = L.cosine(10, exponent=2.0)
    assert s(5) == approx(0.25)
    assert s(3) == approx(((1 + math.cos(math.pi * 0.3)) / 2) ** 2)


def test_polynomial():
    s = L.polynomial(10, start=2.0, end=1.0, power=2.0)
    assert s(0) == 2.0
    assert s(5) == approx(1.25)
    assert s(10) == 1.0 and s(20) == 1.0
    assert L.polynomial(4)(1) == approx(0.75)


def test_exponential():
    s = L.exponential(0.5, start=8.0)
    assert s(0) == 8.0 and s(3) == 1.0 and s(0.5) == approx(8 * 0.5**0.5)
    st = L.exponential(0.5, start=8.0, every=2, staircase=True)
    assert [st(i) for i in range(6)] == [8.0, 8.0, 4.0, 4.0, 2.0, 2.0]
    fl = L.exponential(0.5, start=8.0, floor=1.5)
    assert fl(2) == 2.0 and fl(3) == 1.5 and fl(100) == 1.5
    smooth = L.exponential(0.5, start=8.0, every=2)
    assert smooth(1) == approx(8 * 0.5**0.5)


def test_exponential_overflow_is_a_value_error():
    s = L.exponential(2.0)
    assert s(10) == 1024.0
    with pytest.raises(ValueError, match="overflow"):
        s(5000)
    with pytest.raises(ValueError, match="overflow"):
        L.step(1, gamma=2.0)(5000)
    # a zero start stays exactly zero: no 0·inf = NaN
    assert L.exponential(2.0, start=0.0)(2000) == 0.0 and L.step(1, gamma=2.0, start=0.0)(5000) == 0.0
    assert L.exponential(2.0, start=0.0, floor=0.1)(2000) == 0.1
    np = pytest.importorskip("numpy")
    assert (L.exponential(2.0, start=0.0)(np.array([0, 2000])) == 0.0).all()
    # a join evaluates only the piece in force: the overflowing tail is never reached
    j = L.join([L.constant(1.0), L.exponential(2.0)], [10**6])
    assert j(5) == 1.0 and L.warmup(j, 5)(3) == pytest.approx(0.6)


def test_step_decay_changes_at_the_boundary():
    s = L.step(30, gamma=0.1, start=1.0)
    assert s(0) == 1.0 and s(29) == 1.0
    assert s(30) == approx(0.1) and s(59) == approx(0.1) and s(60) == approx(0.01)


def test_multistep_changes_at_milestones_and_repeats():
    s = L.multistep([30, 80], gamma=0.1)
    assert s(29) == 1.0 and s(30) == approx(0.1) and s(79) == approx(0.1) and s(80) == approx(0.01)
    rep = L.multistep([2, 2, 5], gamma=0.5)
    assert rep(1) == 1.0 and rep(2) == 0.25 and rep(5) == 0.125
    assert L.multistep([], gamma=0.5)(100) == 1.0


def test_piecewise_value_changes_at_boundary():
    s = L.piecewise([10, 20], [1.0, 0.5, 0.1])
    assert s(0) == 1.0 and s(9) == 1.0 and s(9.99) == 1.0
    assert s(10) == 0.5 and s(19) == 0.5 and s(20) == 0.1 and s(10**6) == 0.1


def test_interpolate_kinds():
    pts = [(0, 1.0), (10, 3.0), (20, 2.0)]
    lin = L.interpolate(pts)
    assert lin(0) == 1.0 and lin(5) == approx(2.0) and lin(10) == 3.0 and lin(15) == approx(2.5)
    assert lin(20) == 2.0 and lin(100) == 2.0
    cos = L.interpolate(pts, kind="cosine")
    assert cos(5) == approx(2.0) and cos(10) == 3.0
    assert cos(2.5) == approx(3.0 + (1.0 - 3.0) * (1 + math.cos(math.pi / 4)) / 2)
    ex = L.interpolate([(0, 1.0), (10, 100.0)], kind="exponential")
    assert ex(5) == approx(10.0) and ex(10) == 100.0
    late = L.interpolate([(5, 2.0), (10, 1.0)])
    assert late(0) == 2.0 and late(3) == 2.0  # held before the first point


def test_inverse_sqrt():
    s = L.inverse_sqrt(100, start=2.0)
    assert s(0) == 0.0 and s(50) == approx(1.0) and s(100) == 2.0
    assert s(400) == approx(1.0)  # 2 * sqrt(100 / 400)
    ts = L.inverse_sqrt(10, timescale=20)
    assert ts(10) == 1.0 and ts(30) == approx(1 / math.sqrt(40 / 20))


def test_inverse_time():
    s = L.inverse_time(0.5, start=3.0)
    assert s(0) == 3.0 and s(2) == 1.5
    st = L.inverse_time(1.0, every=10, staircase=True)
    assert st(9) == 1.0 and st(10) == 0.5 and st(25) == approx(1 / 3)


def test_onecycle_phases_like_torch():
    s = L.onecycle(100, peak=1.0, pct_start=0.3, div_factor=25.0, final_div_factor=1e4)
    assert s(0) == approx(1 / 25)
    assert s(29) == approx(1.0)  # phase 1 ends at pct_start*steps - 1
    assert s(99) == approx(1 / 25 / 1e4) and s(500) == approx(1 / 25 / 1e4)
    mid = (29 + 99) / 2
    assert s(mid) == approx((1.0 + 4e-6) / 2)
    lin = L.onecycle(100, anneal="linear")
    assert lin(14.5) == approx((0.04 + 1.0) / 2)
    three = L.onecycle(100, three_phase=True)
    assert three(29) == approx(1.0) and three(58) == approx(0.04) and three(99) == approx(4e-6)


def test_cyclic_modes():
    tri = L.cyclic(0.1, 1.0, up=4, down=6)
    assert tri(0) == approx(0.1) and tri(4) == approx(1.0) and tri(7) == approx(0.55)
    assert tri(10) == approx(0.1) and tri(14) == approx(1.0)
    tri2 = L.cyclic(0.0, 1.0, up=2, mode="triangular2")
    assert tri2(2) == 1.0 and tri2(6) == 0.5 and tri2(10) == 0.25
    ex = L.cyclic(0.0, 1.0, up=2, mode="exp_range", gamma=0.5)
    assert ex(2) == 0.25 and ex(1) == 0.25  # 0.5 * 0.5**1
    inverted = L.cyclic(0.95, 0.85, up=2)
    assert inverted(0) == approx(0.95) and inverted(2) == approx(0.85)


def test_wsd_phases():
    s = L.wsd(100, warmup=10, decay=20, peak=2.0, end=0.2, shape="linear")
    assert s(0) == 0.2  # warmup starts from end, like transformers' min_lr_ratio
    assert s(5) == approx(1.1) and s(10) == 2.0 and s(79) == 2.0
    assert s(80) == 2.0 and s(90) == approx(1.1) and s(100) == 0.2 and s(1000) == 0.2
    sq = L.wsd(100, 0, 20)  # 1-sqrt by default
    assert sq(0) == 1.0 and sq(85) == approx(1 - math.sqrt(0.25))
    cos = L.wsd(100, 0, 20, shape="cosine")
    assert cos(90) == approx(0.5)


def test_wsd_decay_from_moves_the_decay():
    s = L.wsd(100, warmup=10, decay=20, decay_from=50)
    assert s(49) == 1.0 and s(50) == 1.0 and s(70) == 0.0 and s(60) == approx(1 - math.sqrt(0.5))
    assert s.duration == 70
    longer = L.wsd(100, 10, 20, decay_from=150)
    assert longer(120) == 1.0 and longer(170) == 0.0


def test_rex():
    s = L.rex(10)
    assert s(0) == 1.0 and s(10) == 0.0
    assert s(5) == approx(0.5 / 0.75)


@pytest.mark.parametrize("s", [
    L.constant(), L.linear(10), L.cosine(10), L.exponential(0.9), L.step(3), L.multistep([2]),
    L.piecewise([1], [1.0, 2.0]), L.onecycle(10), L.cyclic(0.1, 1.0, 2), L.wsd(10, 2, 2),
    L.warmup(L.cosine(10), 2), L.restarts(L.cosine(5), 5),
])
def test_negative_step_is_a_value_error(s):
    with pytest.raises(ValueError, match="step"):
        s(-1)
    with pytest.raises(ValueError, match="step"):
        s(float("nan"))
    with pytest.raises(TypeError):
        s(True)
    with pytest.raises(TypeError):
        s("3")


def test_values_and_numpy_scalars():
    np = pytest.importorskip("numpy")
    s = L.linear(4)
    assert s.values(5) == [1.0, 0.75, 0.5, 0.25, 0.0]
    assert s.values(2, start=3) == [0.25, 0.0]
    assert s(np.int64(2)) == 0.5 and isinstance(s(np.int64(2)), float)
    assert s(np.float32(2.0)) == 0.5
    with pytest.raises(ValueError):
        s.values(-1)


def test_durations():
    assert L.cosine(100).duration == 100
    assert L.exponential(0.9).duration is None
    assert L.constant(0.5).duration == 0
    assert L.join([L.cosine(10), L.constant(0.1)], [100]).duration == 100
    assert L.warmup(L.cosine(100), 10).duration == 110
    assert L.join([L.constant(), L.cosine(50)], [100]).duration == 150
    assert L.restarts(L.cosine(10), 10, mult=2, limit=3).duration == 70
    assert L.onecycle(100).duration == 100
    assert (L.cosine(100) * L.linear(50)).duration == 100


def test_exponential_has_no_floor_unless_given():
    """As Optax's exponential_decay and Keras's ExponentialDecay: a negative start decays towards 0."""
    assert L.exponential(0.5, start=-1.0)(1) == -0.5
    assert L.exponential(0.5, start=-1.0, floor=-0.3)(2) == -0.25
    assert L.exponential(0.5, start=8.0, floor=1.5)(10) == 1.5
    optax = pytest.importorskip("optax")
    peer = optax.exponential_decay(-1.0, transition_steps=1, decay_rate=0.5)
    assert [float(peer(t)) for t in range(5)] == pytest.approx(L.exponential(0.5, start=-1.0).values(5))



def test_wsd_decay_near_2_53_is_the_same_on_arrays():
    # decay_from + decay rounds to decay_from in float64 there: the array path must not take the
    # shortcut that assumes the decay spans exactly `decay` steps (it gave 0 instead of the peak)
    np = pytest.importorskip("numpy")
    s = L.wsd(1, 0, 1, decay_from=2**53)
    assert s(0) == 1.0
    assert s(np.array([0.0, 1e15]))[0] == 1.0 and s(np.array([1e15]))[0] == s(10**15)


@pytest.mark.parametrize("s, t, want", [
    (L.shift(L.warmup(L.polynomial(59, start=0.0, power=1.5, k_decay=3.0), 1), 0), 60, 0.0),  # was NaN
    (L.shift(L.warmup(L.polynomial(3, start=0.0, end=1.0, power=0.25, k_decay=3.0), 1), 0), 4, 1.0),
    (L.warmup(L.cosine(59, k_decay=3.0), 1), 60, 0.0),
])
def test_k_decay_ends_exactly_under_jax_jit(s, t, want):
    # XLA turns x / steps into x * (1 / steps): the bent progress q^k must still end at exactly 1
    jax = pytest.importorskip("jax")
    np = pytest.importorskip("numpy")
    assert float(jax.jit(lambda x: s(x))(np.array([t]))[0]) == want == s(t)
