"""Hypothesis strategies that build random (resolved) lrkit schedules."""

from __future__ import annotations

from hypothesis import strategies as st

import lrkit as L

durations = st.integers(1, 500)
values = st.floats(0.0, 10.0, allow_nan=False, allow_infinity=False)
positive = st.floats(1e-3, 10.0)
gammas = st.floats(0.05, 0.999)


@st.composite
def pair(draw):
    return draw(values), draw(values)


def _shape(draw) -> L.Schedule:
    kind = draw(st.sampled_from([
        "constant", "linear", "cosine", "polynomial", "exponential", "step", "multistep",
        "piecewise", "interpolate", "inverse_sqrt", "inverse_time", "onecycle", "cyclic", "wsd", "rex",
        "tanh",
    ]))
    n = draw(durations)
    a, b = draw(values), draw(values)
    if kind == "constant":
        return L.constant(a)
    if kind == "linear":
        return L.linear(n, start=a, end=b)
    if kind == "cosine":
        return L.cosine(n, start=a, end=b, exponent=draw(st.sampled_from([1.0, 2.0, 0.5])),
                        k_decay=draw(st.sampled_from([1.0, 1.0, 0.5, 3.0])))
    if kind == "polynomial":
        return L.polynomial(n, start=a, end=b, power=draw(st.floats(0.1, 4.0)),
                            k_decay=draw(st.sampled_from([1.0, 1.0, 0.5, 3.0])))
    if kind == "tanh":
        return L.tanh(n, start=a, end=b, lb=draw(st.floats(-8, -1)), ub=draw(st.floats(0, 5)))
    if kind == "exponential":
        return L.exponential(draw(gammas), start=a, every=draw(st.integers(1, 20)),
                             staircase=draw(st.booleans()), floor=draw(st.floats(0, 0.1)))
    if kind == "step":
        return L.step(draw(st.integers(1, 50)), gamma=draw(gammas), start=a)
    if kind == "multistep":
        ms = sorted(draw(st.lists(st.integers(0, 300), max_size=5)))
        return L.multistep(ms, gamma=draw(gammas), start=a)
    if kind == "piecewise":
        bs = sorted(set(draw(st.lists(st.integers(1, 300), max_size=4))))
        return L.piecewise(bs, draw(st.lists(values, min_size=len(bs) + 1, max_size=len(bs) + 1)))
    if kind == "interpolate":
        xs = sorted(set(draw(st.lists(st.integers(0, 300), min_size=1, max_size=5))))
        k = draw(st.sampled_from(["linear", "cosine", "exponential"]))
        lo = 1e-3 if k == "exponential" else 0.0
        vs = draw(st.lists(st.floats(lo, 10.0), min_size=len(xs), max_size=len(xs)))
        return L.interpolate(list(zip(xs, vs)), kind=k)
    if kind == "inverse_sqrt":
        return L.inverse_sqrt(n, start=a)
    if kind == "inverse_time":
        return L.inverse_time(draw(st.floats(0, 2)), every=draw(st.integers(1, 20)), start=a,
                              staircase=draw(st.booleans()))
    if kind == "onecycle":
        three = draw(st.booleans())
        return L.onecycle(n + 20, peak=a, pct_start=draw(st.floats(0.1, 0.45 if three else 0.9)),
                          anneal=draw(st.sampled_from(["cos", "linear"])), three_phase=three)
    if kind == "cyclic":
        return L.cyclic(a, b, draw(st.integers(1, 50)), draw(st.one_of(st.none(), st.integers(1, 50))),
                        mode=draw(st.sampled_from(["triangular", "triangular2", "exp_range"])),
                        gamma=draw(st.floats(0.9, 1.0)))
    if kind == "wsd":
        w = draw(st.integers(0, 50))
        d = draw(st.integers(0, 50))
        shape = draw(st.sampled_from(["linear", "cosine", "1-sqrt", "square", "exponential"]))
        if shape == "exponential":  # a geometric decay: peak, end > 0
            a, b = abs(a) + 0.01, abs(b) + 0.001
        return L.wsd(w + d + n, w, d, peak=a, end=b, shape=shape,
                     warmup_shape=draw(st.sampled_from(["linear", "cosine", "1-sqrt"])))
    return L.rex(n, start=a, end=b)


@st.composite
def shapes(draw) -> L.Schedule:
    return _shape(draw)


@st.composite
def schedules(draw, depth: int = 2) -> L.Schedule:
    if depth == 0 or draw(st.booleans()):
        return _shape(draw)
    inner = draw(schedules(depth - 1))
    kind = draw(st.sampled_from(["warmup", "join", "restarts", "clip", "shift", "per_epoch",
                                 "noise", "product", "scale", "sum"]))
    if kind == "warmup":
        return L.warmup(inner, draw(durations), start=draw(values),
                        kind=draw(st.sampled_from(["linear", "cosine"])))
    if kind == "join":
        other = draw(schedules(depth - 1))
        return L.join([inner, other], [draw(durations)])
    if kind == "restarts":
        return L.restarts(inner, draw(durations), mult=draw(st.sampled_from([1, 2, 1.5])),
                          decay=draw(st.floats(0.3, 1.0)),
                          limit=draw(st.one_of(st.none(), st.integers(1, 5))))
    if kind == "clip":
        lo = draw(values)
        return L.clip(inner, lo, lo + draw(values))
    if kind == "shift":
        return L.shift(inner, draw(st.integers(-50, 50)))
    if kind == "per_epoch":
        return L.per_epoch(inner, draw(st.integers(1, 10)), smooth=draw(st.booleans()))
    if kind == "noise":
        return L.noise(inner, draw(st.floats(0, 0.5)), seed=draw(st.integers(0, 2**31)),
                       kind=draw(st.sampled_from(["normal", "uniform"])))
    if kind == "product":
        return inner * draw(schedules(depth - 1))
    if kind == "sum":
        return inner + draw(st.one_of(st.floats(0.0, 1.0), schedules(depth - 1)))
    return inner * draw(st.floats(0.1, 5.0))
