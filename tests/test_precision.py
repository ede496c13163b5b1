"""Precision: every shape against an mpmath reference (50 digits) at random steps.

Bound: |value - exact| <= 4·eps·max(|start|, |end|) (eps = 2**-52), i.e. a few ulps
of the schedule's scale.
"""

from __future__ import annotations

import random

import pytest

mp = pytest.importorskip("mpmath")

import lrkit as L  # noqa: E402

EPS = 2.0**-52
mp.mp.dps = 50
pi = mp.pi


def half_cos(q):  # ½(1 + cos πq)
    return (1 + mp.cos(pi * q)) / 2


def ref_cosine(s, t):
    q = mp.mpf(min(t, s.steps)) / s.steps
    return s.end + (mp.mpf(s.start) - s.end) * half_cos(q) ** mp.mpf(s.exponent)


def ref_linear(s, t):
    q = mp.mpf(min(t, s.steps)) / s.steps
    return s.start + (mp.mpf(s.end) - s.start) * q


def ref_polynomial(s, t):
    q = mp.mpf(min(t, s.steps)) / s.steps
    return s.end + (mp.mpf(s.start) - s.end) * (1 - q) ** mp.mpf(s.power)


def ref_exponential(s, t):
    e = mp.floor(mp.mpf(t) / s.every) if s.staircase else mp.mpf(t) / s.every
    value = s.start * mp.mpf(s.gamma) ** e
    return value if s.floor is None else max(mp.mpf(s.floor), value)


def ref_step(s, t):
    return s.start * mp.mpf(s.gamma) ** (t // s.every)


def ref_inverse_sqrt(s, t):
    w = s.warmup
    return s.start * mp.mpf(t) / w if t < w else s.start * mp.sqrt(mp.mpf(w) / t)


def ref_inverse_time(s, t):
    return s.start / (1 + mp.mpf(s.rate) * t / s.every)


def ref_onecycle(s, t):
    phases = s.phases()
    start = mp.mpf(0)
    for i, (end, a, b) in enumerate(phases):
        end = mp.mpf(float(end))
        if t <= end or i == len(phases) - 1:
            q = (min(mp.mpf(t), end) - start) / (end - start)
            return b + (mp.mpf(a) - b) * half_cos(q)
        start = end


def ref_wsd(s, t):
    w, d, s0 = s.warmup, s.decay, s.decay_start
    peak, end = mp.mpf(s.peak), mp.mpf(s.end)
    if t < w:
        return end + (peak - end) * mp.mpf(t) / w
    if t < s0:
        return peak
    if t < s0 + d:
        q = mp.mpf(t - s0) / d
        return end + (peak - end) * half_cos(q)
    return end


def ref_rex(s, t):
    r = 1 - mp.mpf(min(t, s.steps)) / s.steps
    return s.end + (mp.mpf(s.start) - s.end) * r / (mp.mpf(0.5) + r / 2)


def ref_cyclic(s, t):
    size = mp.mpf(s.up) + s.up
    cycle = mp.floor(1 + t / size)
    x = 1 + t / size - cycle
    ratio = mp.mpf(s.up) / size
    h = x / ratio if x <= ratio else (x - 1) / (ratio - 1)
    return s.low + (mp.mpf(s.high) - s.low) * h


def _values(rng):
    a = rng.uniform(1e-5, 10.0)
    b = rng.uniform(0.0, a)
    return a, b


CASES = {
    "cosine": (lambda r, n: L.cosine(n, start=_values(r)[0], end=_values(r)[1],
                                     exponent=r.choice([1.0, 2.0, 0.5])), ref_cosine),
    "linear": (lambda r, n: L.linear(n, *_values(r)), ref_linear),
    "polynomial": (lambda r, n: L.polynomial(n, *_values(r), power=r.choice([1.0, 2.0, 0.5])),
                   ref_polynomial),
    "exponential": (lambda r, n: L.exponential(r.uniform(0.5, 0.9999), start=r.uniform(0.1, 10),
                                               every=r.randint(1, 50),
                                               staircase=r.random() < 0.5), ref_exponential),
    "step": (lambda r, n: L.step(r.randint(1, 100), gamma=r.uniform(0.05, 0.95),
                                 start=r.uniform(0.1, 5)), ref_step),
    "inverse_sqrt": (lambda r, n: L.inverse_sqrt(r.randint(1, 1000), start=r.uniform(0.1, 5)),
                     ref_inverse_sqrt),
    "inverse_time": (lambda r, n: L.inverse_time(r.uniform(0, 2), every=r.randint(1, 50),
                                                 start=r.uniform(0.1, 5)), ref_inverse_time),
    "onecycle": (lambda r, n: L.onecycle(n + 10, peak=r.uniform(0.1, 5),
                                         pct_start=r.uniform(0.2, 0.5)), ref_onecycle),
    "wsd": (lambda r, n: L.wsd(n + 20, r.randint(1, 10), r.randint(1, 10), peak=r.uniform(0.5, 5),
                               end=r.uniform(0, 0.4), shape="cosine"), ref_wsd),
    "rex": (lambda r, n: L.rex(n, *_values(r)), ref_rex),
    "cyclic": (lambda r, n: L.cyclic(r.uniform(0, 1), r.uniform(1, 3), r.randint(1, 100)), ref_cyclic),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_within_four_eps_of_exact(name):
    make, ref = CASES[name]
    rng = random.Random(name)
    worst = 0.0
    for _ in range(60):
        n = rng.randint(1, 10**6)
        s = make(rng, n)
        scale = max(abs(float(x)) for x in ref_scale(s))
        for _ in range(20):
            t = rng.choice([0, n, rng.randint(0, 2 * n), rng.randint(0, 50)])
            exact = ref(s, t)
            err = abs(mp.mpf(s(t)) - exact)
            worst = max(worst, float(err / (EPS * scale)))
            assert err <= 4 * EPS * scale, (repr(s), t, float(err / (EPS * scale)))
    print(f"{name}: worst {worst:.2f} eps")


def ref_scale(s):
    args = dict(s._args)
    keys = ["start", "end", "peak", "low", "high", "value", "floor"]
    vals = [args[k] for k in keys if args.get(k) is not None]
    return vals or [1.0]
