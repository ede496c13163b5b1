"""lrkit.describe: start, peak, minimum, final value, length, and the seam rule."""

from __future__ import annotations

import pytest

import lrkit
from lrkit import _evaluate
from lrkit.description import RATIO, Description, Seam, describe, without_noise


def reference_seams(schedule, stop, k=3, ratio=RATIO):
    """The seam rule written directly from its definition, step by step."""
    v = [schedule(t) for t in range(stop + 1)]
    d = [abs(v[t + 1] - v[t]) for t in range(stop)]
    scale = max(abs(x) for x in v)
    out = []
    for i, di in enumerate(d):
        left, right = d[max(0, i - k):i], d[i + 1:i + 1 + k]
        full = [sorted(s)[k // 2] for s in (left, right) if len(s) == k]
        base = max(full) if full else max(left + right, default=0.0)
        if di > ratio * base and di > 1e-9 * max(abs(v[i]), abs(v[i + 1]), scale):
            out.append(i + 1)
    return out


SMOOTH = [
    "warmup(cosine(900, end=0.1), 100)",
    "warmup(cosine(9000), 1000, start=1e-6, kind='exponential')",
    "onecycle(1000)",
    "onecycle(1000, three_phase=True)",
    "wsd(1000, 100, 200)",
    "wsd(1000, 100, 200, shape='cosine')",
    "linear(500)",
    "polynomial(300, power=2.0)",
    "inverse_sqrt(100)",
    "exponential(0.9)",
    "cyclic(0.1, 1.0, 50)",
    "interpolate([[0, 0.0], [100, 1.0], [400, 0.2]])",
    "noise(cosine(5000), 0.05)",
    "noise(cosine(5000), 0.05, kind='uniform') * 0.5",
]


@pytest.mark.parametrize("spec", SMOOTH)
def test_continuous_schedules_have_no_seams(spec):
    d = describe(lrkit.parse(spec), steps=None if "exponential(" not in spec and "cyclic" not in spec
                 and "inverse_sqrt" not in spec else 1000)
    assert d.seams == () and d.seams_total == 0, str(d)


JUMPY = [
    ("join([constant(1.0), constant(0.1)], [100])", 300, [(100, 1.0, 0.1)]),
    ("multistep([100, 101], start=1.0)", 300, [(100, 1.0, 0.1), (101, 0.1, 0.01)]),
    ("step(100, gamma=0.5)", 350, [(100, 1.0, 0.5), (200, 0.5, 0.25), (300, 0.25, 0.125)]),
    ("piecewise([10, 20], [1.0, 3.0, 2.0])", 30, [(10, 1.0, 3.0), (20, 3.0, 2.0)]),
    # a warmup overridden by a decay that starts elsewhere
    ("join([warmup(constant(1.0), 100), cosine(900, start=0.5)], [100])", None, [(100, 0.99, 0.5)]),
    ("warmup(cosine(900), 1)", None, [(1, 0.0, 1.0)]),
]


@pytest.mark.parametrize("spec, steps, expected", JUMPY)
def test_seams_are_found_with_before_and_after(spec, steps, expected):
    s = lrkit.parse(spec)
    d = describe(s, steps=steps)
    assert [x.step for x in d.seams] == [e[0] for e in expected]
    assert [(x.before, x.after) for x in d.seams] == [pytest.approx(e[1:]) for e in expected]
    assert d.seams_total == len(expected)
    assert [x.step for x in d.seams] == reference_seams(s, d.stop)


def test_restarts_are_seams():
    s = lrkit.restarts(lrkit.cosine(100, end=0.01), 100, mult=2)
    d = describe(s, steps=1000)
    assert [x.step for x in d.seams] == [100, 300, 700]
    assert all(x.after == 1.0 and x.before == pytest.approx(0.01, abs=1e-3) for x in d.seams)


def test_numbers_and_str():
    s = lrkit.warmup(lrkit.cosine(900, end=0.1), 100)
    d = describe(s)
    assert isinstance(d, Description)
    assert (d.start, d.peak, d.peak_step, d.minimum, d.minimum_step, d.final) == (0.0, 1.0, 100, 0.0, 0, 0.1)
    assert (d.stop, d.duration) == (1000, 1000)
    text = str(d)
    for piece in ("start    0", "peak     1 at step 100", "final    0.1 at step 1000", "seams    none"):
        assert piece in text
    d2 = describe(lrkit.join([lrkit.constant(1.0), lrkit.constant(0.1)], [100]), steps=300, name="bad")
    assert str(d2).splitlines()[0] == "bad"
    assert "step 100: 1 -> 0.1" in str(d2) and "holds its final value from step 100" in str(d2)
    assert "never settles" in str(describe(lrkit.exponential(0.99), steps=50))
    assert str(Seam(5, 2.0, 1.0)) == "step 5: 2 -> 1  (x0.5)"


def test_noise_is_left_out_of_the_seam_search_only():
    base = lrkit.join([lrkit.cosine(100), lrkit.constant(0.5)], [100])
    noisy = lrkit.noise(base, 0.05, seed=3)
    assert without_noise(noisy * 2.0) == base * 2.0
    assert without_noise(base) is base
    d = describe(noisy, steps=300)
    assert d.noise_ignored and [x.step for x in d.seams] == [100]
    assert d.start == noisy(0) != base(0)  # the extremes include the noise


@pytest.mark.parametrize("use_numpy", [True, False])
@pytest.mark.parametrize("size", [1, 2, 5, 7, 64, None])
def test_chunked_scan_equals_the_reference(monkeypatch, use_numpy, size):
    """Seams right at chunk edges, at the start and the end of the run, in both code paths."""
    monkeypatch.setattr(_evaluate, "CHUNK", size or 1 << 18)
    specs = [
        ("multistep([1, 2, 6, 7, 13, 14, 20], start=1.0)", 21),
        ("join([linear(3), constant(2.0), linear(30)], [3, 4])", 40),
        ("restarts(cosine(12, end=0.01), 12, mult=1.5)", 100),
        ("warmup(cosine(60, end=0.1), 5)", None),
        ("step(3, gamma=0.5)", 3),
    ]
    for spec, steps in specs:
        s = lrkit.parse(spec)
        d = describe(s, steps=steps, use_numpy=use_numpy)
        assert [x.step for x in d.seams] == reference_seams(s, d.stop), spec


def test_long_run_with_numpy():
    pytest.importorskip("numpy")
    s = lrkit.join([lrkit.warmup(lrkit.cosine(2_000_000), 10_000), lrkit.constant(0.3)], [1_500_000])
    d = describe(s, steps=3_000_000)
    assert [x.step for x in d.seams] == [1_500_000]
    assert d.peak_step == 10_000 and d.final == 0.3


def test_unresolved_and_unbounded_need_steps():
    s = lrkit.warmup(lrkit.cosine("rest"), "5%")
    with pytest.raises(ValueError, match="--steps N"):
        describe(s)
    d = describe(s, steps=2000)
    assert (d.peak_step, d.stop, d.seams_total) == (100, 2000, 0)
    with pytest.raises(ValueError, match="never settles"):
        describe(lrkit.exponential(0.9))
    with pytest.raises(ValueError, match="steps must be in"):
        describe(lrkit.cosine(10), steps=0)
    with pytest.raises(TypeError):
        describe("cosine(10)")
