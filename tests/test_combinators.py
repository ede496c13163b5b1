"""Known values of every combinator, including boundaries."""

from __future__ import annotations

import math

import pytest

import lrkit as L

approx = lambda x: pytest.approx(x, rel=1e-14, abs=1e-15)  # noqa: E731


def test_warmup_linear_prefix():
    s = L.warmup(L.cosine(100, start=2.0), 10)
    assert s(0) == 0.0 and s(5) == 1.0 and s(10) == 2.0
    assert s(60) == approx(1.0) and s(110) == 0.0


def test_warmup_ramp_kinds():
    cos = L.warmup(L.constant(1.0), 10, start=0.0, kind="cosine")
    assert cos(5) == approx(0.5) and cos(0) == 0.0 and cos(10) == 1.0
    exp = L.warmup(L.constant(1.0), 10, start=0.01, kind="exponential")
    assert exp(5) == approx(0.1) and exp(0) == 0.01


def test_warmup_of_unresolved_resolves():
    s = L.warmup(L.cosine("rest"), "10%")
    assert not s.resolved
    with pytest.raises(ValueError, match="resolve"):
        s(3)
    r = s.resolve(1000)
    assert r == L.warmup(L.cosine(900), 100)


def test_join_local_steps_and_boundaries():
    s = L.join([L.constant(1.0), L.linear(10, start=1.0, end=0.0), L.constant(0.5)], [5, 15])
    assert s(4) == 1.0 and s(5) == 1.0 and s(10) == 0.5 and s(14) == approx(0.1)
    assert s(15) == 0.5 and s(1000) == 0.5
    seam = L.join([L.constant(1.0), L.constant(0.1)], [100])
    assert seam(99) == 1.0 and seam(100) == 0.1


def test_join_rest_piece():
    s = L.join([L.linear(100, start=0.0, end=1.0), L.cosine("rest")], [100])
    r = s.resolve(1000)
    assert r == L.join([L.linear(100, start=0.0, end=1.0), L.cosine(900)], [100])
    assert r(550) == approx(0.5)
    fr = L.join([L.constant(), L.cosine("rest")], ["10%"]).resolve(200)
    assert fr == L.join([L.constant(), L.cosine(180)], [20])


def test_restarts_sgdr_cycles():
    s = L.restarts(L.cosine(10, end=0.0), 10, mult=2)
    assert s(0) == 1.0 and s(10) == 1.0 and s(30) == 1.0 and s(70) == 1.0
    assert s(5) == approx(0.5) and s(20) == approx(0.5) and s(50) == approx(0.5)


def test_restarts_stretches_the_schedule_and_decays():
    s = L.restarts(L.linear(4, start=1.0, end=0.0), 8, decay=0.5)
    assert s(4) == approx(0.5)  # linear(4) stretched over 8 steps
    assert s(8) == 0.5 and s(12) == approx(0.25)
    lim = L.restarts(L.linear(4), 4, decay=0.5, limit=2)
    assert lim(7) == approx(0.125) and lim(8) == 0.0 and lim(100) == 0.0
    warm = L.restarts(L.warmup(L.cosine(8), 2), 20, limit=1)
    assert warm(0) == 0.0 and warm(2) == approx(0.5)  # local step 2 * 10/20 = 1: half the ramp
    assert warm(4) == 1.0


def test_restarts_noninteger_mult():
    s = L.restarts(L.cosine(10), 10, mult=1.5)
    assert s(10) == 1.0 and s(25) == 1.0 and s(47.5) == 1.0
    assert s(17.5) == approx(0.5)


def test_clip_shift_per_epoch():
    c = L.clip(L.linear(10), low=0.2, high=0.8)
    assert c(0) == 0.8 and c(5) == 0.5 and c(10) == 0.2
    sh = L.shift(L.linear(10), 5)
    assert sh(0) == 1.0 and sh(5) == 1.0 and sh(10) == 0.5
    adv = L.shift(L.linear(10), -5)
    assert adv(0) == 0.5
    pe = L.per_epoch(L.step(2, gamma=0.5), 100)
    assert pe(199) == 1.0 and pe(200) == 0.5
    smooth = L.per_epoch(L.linear(2), 100, smooth=True)
    assert smooth(50) == 0.75


def test_noise_is_deterministic_and_bounded():
    base = L.constant(1.0)
    s = L.noise(base, 0.1, seed=7)
    vals = s.values(2000)
    assert vals == L.noise(base, 0.1, seed=7).values(2000)
    assert vals != L.noise(base, 0.1, seed=8).values(2000)
    assert all(0.9 <= v <= 1.1 for v in vals)
    assert max(vals) > 1.05 and min(vals) < 0.95  # it does vary
    assert s(1234) == vals[1234]  # resume at any step gives the same value
    u = L.noise(base, 0.2, seed=1, kind="uniform").values(2000)
    assert all(0.8 <= v <= 1.2 for v in u) and abs(sum(u) / len(u) - 1) < 0.01


def test_pingpong_mirrors():
    s = L.pingpong(L.linear(4))
    assert s.values(10) == [1.0, 0.75, 0.5, 0.25, 0.0, 0.25, 0.5, 0.75, 1.0, 0.75]


def test_products():
    s = L.cosine(10) * 0.5
    assert s(0) == 0.5 and repr(s) == "cosine(10) * 0.5"
    p = 2.0 * L.linear(10) * L.constant(0.25)
    assert p(0) == 0.5 and p(5) == 0.25
    assert isinstance(p, L.Product) and len(p.factors) == 3


def test_custom_registered_and_not():
    def f(t):
        return 1.0 / (1 + t)

    s = L.custom(f)
    assert s(1) == 0.5
    with pytest.raises(TypeError, match="register"):
        s.to_config()
    with pytest.raises(ValueError):
        L.parse(repr(s))
    L.register_custom("harmonic", f)
    r = L.custom(f, name="harmonic")
    assert L.parse(repr(r)) == r and L.from_config(r.to_config()) == r
    assert L.parse("custom(name='harmonic')")(3) == 0.25
    bad = L.custom(lambda t: float("nan"))
    with pytest.raises(ValueError):
        bad(0)


def test_onecycle_is_just_join_of_annealings():
    one = L.onecycle(50, peak=1.0)
    phase_two = L.cosine(49 - 14, start=1.0, end=1 / 25 / 1e4)
    assert one(30) == pytest.approx(phase_two(30 - 14), rel=1e-14)


def test_math_identity_cosine_vs_restarts_warmup():
    s = L.warmup(L.restarts(L.cosine(10), 10), 5)
    assert s(15) == 1.0 and s(20) == approx(0.5) and math.isclose(s(25), 1.0)


def test_sums_and_offsets():
    s = 0.1 + 0.9 * L.cosine(10)
    assert s(0) == 1.0 and s(10) == 0.1
    assert repr(s) == "0.1 + 0.9 * cosine(10)" and L.parse(repr(s)) == s
    p = (L.cosine(10) + 0.5) * 2.0
    assert repr(p) == "(cosine(10) + 0.5) * 2.0" and L.parse(repr(p)) == p and p(10) == 1.0
    assert isinstance(L.linear(5) + L.linear(5) + 1.0, L.Sum)
    # numbers alone are folded (issue 15: `/` and `-` between constants); the whole is no schedule
    with pytest.raises(ValueError, match="expected a schedule, got the number 3: write constant"):
        L.parse("1 + 2")


def test_argument_named_like_a_method_does_not_hide_it():
    s = L.piecewise([1], [1.0, 2.0])
    assert s.values(3) == [1.0, 2.0, 2.0]
    assert s.to_config() == {"type": "piecewise", "boundaries": [1], "values": [1.0, 2.0]}


def test_wsd_cycles():
    s = L.wsd(100, 0, 20, shape="cosine", cycles=1.0)
    assert s(80) == 1.0 and s(85) == pytest.approx(0.5) and s(90) == pytest.approx(0.0, abs=1e-15)
    assert s(95) == pytest.approx(0.5) and s(100) == 0.0


def test_warmup_of_zero_steps_is_the_schedule_itself():
    """As Optax's warmup_steps=0; a fraction of the run that rounds to 0 steps stays an error."""
    import lrkit as L

    s = L.cosine(50, end=0.1)
    assert L.warmup(s, 0) is s and L.warmup(s, 0.0, start=0.3) is s
    assert L.parse("warmup(cosine(50, end=0.1), 0)") == s
    with pytest.raises(ValueError, match="total_steps"):
        L.warmup(L.cosine("rest"), "1%").resolve(10)
