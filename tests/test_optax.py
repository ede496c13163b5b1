"""lrkit.optax: parity with Optax's own schedules, jit behaviour, inject_hyperparams.

Each ``to_lrkit_*`` function below is the lrkit spelling of an Optax schedule
(the README table documents the same mapping).  Parity is checked by running
Optax side by side on seeded random configurations.
"""

from __future__ import annotations

import numpy as np
import pytest

jax = pytest.importorskip("jax")
optax = pytest.importorskip("optax")
import jax.numpy as jnp  # noqa: E402

import lrkit  # noqa: E402
import lrkit.optax  # noqa: E402

SEEDS = range(12)


# -- the lrkit spelling of each Optax schedule -------------------------------------------
def to_lrkit_cosine_decay(init_value, decay_steps, alpha=0.0, exponent=1.0):
    return lrkit.cosine(decay_steps, start=init_value, end=init_value * alpha, exponent=exponent)


def to_lrkit_warmup_cosine_decay(init_value, peak_value, warmup_steps, decay_steps,
                                 end_value=0.0, exponent=1.0):
    # Optax's decay_steps includes the warmup.
    body = lrkit.cosine(decay_steps - warmup_steps, start=peak_value, end=end_value,
                        exponent=exponent)
    return _warmup(body, warmup_steps, init_value)


def _warmup(body, warmup_steps, init_value):
    # Optax's warmup_steps=0 is no warmup (its joined schedule starts at the body's step 0)
    return lrkit.warmup(body, warmup_steps, start=init_value) if warmup_steps else body


def to_lrkit_polynomial(init_value, end_value, power, transition_steps, transition_begin=0):
    if transition_steps <= 0:  # Optax: a constant init_value (it logs a warning)
        return lrkit.constant(init_value)
    s = lrkit.polynomial(transition_steps, start=init_value, end=end_value, power=power)
    return lrkit.shift(s, transition_begin) if transition_begin > 0 else s  # Optax: < 0 is 0


def to_lrkit_linear(init_value, end_value, transition_steps, transition_begin=0):
    if transition_steps <= 0:
        return lrkit.constant(init_value)
    s = lrkit.linear(transition_steps, start=init_value, end=end_value)
    return lrkit.shift(s, transition_begin) if transition_begin > 0 else s  # Optax: < 0 is 0


def to_lrkit_exponential_decay(init_value, transition_steps, decay_rate, transition_begin=0,
                               staircase=False, end_value=None):
    if transition_steps <= 0:
        return lrkit.constant(init_value)
    if end_value is not None and decay_rate < 1:  # end_value is a floor
        s = lrkit.exponential(decay_rate, start=init_value, every=transition_steps,
                              staircase=staircase, floor=end_value)
    else:
        s = lrkit.exponential(decay_rate, start=init_value, every=transition_steps,
                              staircase=staircase)
        if end_value is not None:  # decay_rate > 1: end_value is a ceiling
            s = lrkit.clip(s, high=end_value)
    return lrkit.shift(s, transition_begin) if transition_begin > 0 else s  # Optax: < 0 is 0


def to_lrkit_piecewise_constant(init_value, boundaries_and_scales):
    bounds = sorted(boundaries_and_scales)
    values = [init_value]
    for b in bounds:
        values.append(values[-1] * boundaries_and_scales[b])
    return lrkit.piecewise(bounds, values)


def to_lrkit_sgdr(cosine_kwargs):
    pieces = [to_lrkit_warmup_cosine_decay(**kw) for kw in cosine_kwargs]
    bounds = list(np.cumsum([kw["decay_steps"] for kw in cosine_kwargs])[:-1].tolist())
    return lrkit.join(pieces, bounds)


def to_lrkit_piecewise_interpolate(interpolate_type, init_value, boundaries_and_scales):
    points = [(0, init_value)]
    for b in sorted(boundaries_and_scales):
        point = (b, points[-1][1] * boundaries_and_scales[b])
        if b == 0:  # a boundary at 0 scales the start (Optax: no ramp from init_value)
            points[0] = point
        else:
            points.append(point)
    kind = {"linear": "linear", "cosine": "cosine"}[interpolate_type]
    return lrkit.interpolate(points, kind=kind)


def to_lrkit_cosine_onecycle(transition_steps, peak_value, pct_start=0.3, div_factor=25.0,
                             final_div_factor=1e4):
    init = peak_value / div_factor
    return lrkit.interpolate([(0, init), (int(pct_start * transition_steps), peak_value),
                              (transition_steps, init / final_div_factor)], kind="cosine")


def to_lrkit_warmup_exponential_decay(init_value, peak_value, warmup_steps, transition_steps,
                                      decay_rate, transition_begin=0, staircase=False,
                                      end_value=None):
    body = to_lrkit_exponential_decay(peak_value, transition_steps, decay_rate,
                                      transition_begin, staircase, end_value)
    return _warmup(body, warmup_steps, init_value)


def to_lrkit_warmup_constant(init_value, peak_value, warmup_steps):
    # Optax's warmup is linear_schedule(init, peak, warmup_steps): warmup_steps=0 holds init_value
    return to_lrkit_linear(init_value, peak_value, warmup_steps)


# -- comparison ----------------------------------------------------------------------------
N = 512  # one array shape for every comparison, so JAX's per-shape op caches are reused


def assert_parity(peer, s, n=N, *, rtol=1e-5, atol=1e-6):
    """``s`` (lrkit, float64 and through the adapter) == Optax's ``peer`` at steps 0..n-1.

    Tolerance: float32 (Optax computes in float32): |a - b| <= rtol·|b| + atol·peak.
    """
    assert n <= N
    steps = np.arange(N)
    counts = jnp.asarray(steps, dtype=jnp.int32)
    ref = np.asarray(jax.vmap(peer)(counts), dtype=np.float64)  # Optax schedules take a scalar
    ref = np.broadcast_to(ref, steps.shape)[:n]
    steps = steps[:n]
    peak = max(float(np.abs(ref).max()), 1e-30)
    exact = np.array(lrkit.Schedule.values(s, n))  # not s.values: piecewise.values shadows it
    adapted = np.asarray(lrkit.optax.schedule(s)(counts))[:n]
    assert adapted.dtype == np.float32
    for got, what in ((exact, "lrkit"), (adapted, "lrkit.optax.schedule")):
        err = np.abs(got - ref)
        bad = err > rtol * np.abs(ref) + atol * peak
        assert not bad.any(), (
            f"{what} {s!r} differs from optax at steps {steps[bad][:5]}: "
            f"{got[bad][:5]} vs {ref[bad][:5]}"
        )


def rng_for(seed, name):
    return np.random.default_rng([seed, sum(map(ord, name))])


@pytest.mark.parametrize("seed", SEEDS)
def test_cosine_decay_schedule(seed):
    r = rng_for(seed, "cos")
    kw = dict(init_value=float(r.uniform(0.01, 2)), decay_steps=int(r.integers(1, 300)),
              alpha=float(r.choice([0.0, r.uniform(0, 1)])),
              exponent=float(r.choice([1.0, r.uniform(0.2, 4)])))
    assert_parity(optax.cosine_decay_schedule(**kw), to_lrkit_cosine_decay(**kw),
                  kw["decay_steps"] + 20)


@pytest.mark.parametrize("seed", SEEDS)
def test_warmup_cosine_decay_schedule(seed):
    r = rng_for(seed, "wcos")
    warm = int(r.integers(1, 60))
    kw = dict(init_value=float(r.choice([0.0, r.uniform(0, 0.1)])),
              peak_value=float(r.uniform(0.1, 3)), warmup_steps=warm,
              decay_steps=warm + int(r.integers(1, 300)), end_value=float(r.uniform(0, 0.05)),
              exponent=float(r.choice([1.0, r.uniform(0.2, 3)])))
    assert_parity(optax.warmup_cosine_decay_schedule(**kw), to_lrkit_warmup_cosine_decay(**kw),
                  kw["decay_steps"] + 20)


@pytest.mark.parametrize("seed", SEEDS)
def test_polynomial_schedule(seed):
    r = rng_for(seed, "poly")
    kw = dict(init_value=float(r.uniform(0, 2)), end_value=float(r.uniform(0, 2)),
              power=float(r.uniform(0.2, 4)), transition_steps=int(r.integers(1, 300)),
              transition_begin=int(r.choice([0, r.integers(1, 50)])))
    assert_parity(optax.polynomial_schedule(**kw), to_lrkit_polynomial(**kw),
                  kw["transition_steps"] + kw["transition_begin"] + 20)


@pytest.mark.parametrize("seed", SEEDS)
def test_linear_schedule(seed):
    r = rng_for(seed, "lin")
    kw = dict(init_value=float(r.uniform(0, 2)), end_value=float(r.uniform(0, 2)),
              transition_steps=int(r.integers(1, 300)),
              transition_begin=int(r.choice([0, r.integers(1, 50)])))
    assert_parity(optax.linear_schedule(**kw), to_lrkit_linear(**kw),
                  kw["transition_steps"] + kw["transition_begin"] + 20)


@pytest.mark.parametrize("seed", SEEDS)
def test_exponential_decay(seed):
    r = rng_for(seed, "exp")
    grow = seed % 4 == 3
    init = float(r.uniform(0.1, 2))
    rate = float(r.uniform(1.001, 1.05)) if grow else float(r.uniform(0.2, 0.999))
    end = None
    if seed % 2:
        end = init * float(r.uniform(1.5, 3)) if grow else init * float(r.uniform(0, 0.5))
    kw = dict(init_value=init, transition_steps=int(r.integers(1, 40)), decay_rate=rate,
              transition_begin=int(r.choice([0, r.integers(1, 50)])),
              staircase=bool(seed % 3 == 0), end_value=end)
    assert_parity(optax.exponential_decay(**kw), to_lrkit_exponential_decay(**kw), 300)


@pytest.mark.parametrize("seed", SEEDS)
def test_piecewise_constant_schedule(seed):
    r = rng_for(seed, "pw")
    bounds = sorted(set(r.integers(0, 200, size=int(r.integers(1, 5))).tolist()))
    kw = dict(init_value=float(r.uniform(0.1, 2)),
              boundaries_and_scales={b: float(r.uniform(0.1, 2)) for b in bounds})
    assert_parity(optax.piecewise_constant_schedule(**kw), to_lrkit_piecewise_constant(**kw), 230)


@pytest.mark.parametrize("seed", SEEDS)
def test_sgdr_schedule(seed):
    r = rng_for(seed, "sgdr")
    cycles = []
    for _ in range(int(r.integers(1, 4))):
        warm = int(r.integers(1, 20))
        cycles.append(dict(init_value=float(r.uniform(0, 0.1)), peak_value=float(r.uniform(0.2, 2)),
                           warmup_steps=warm, decay_steps=warm + int(r.integers(1, 100)),
                           end_value=float(r.uniform(0, 0.1))))
    total = sum(c["decay_steps"] for c in cycles)
    assert_parity(optax.sgdr_schedule(cycles), to_lrkit_sgdr(cycles), total + 20)


@pytest.mark.parametrize("seed", range(4))
def test_sgdr_equal_cycles_is_restarts(seed):
    """Equal SGDR cycles are also ``restarts`` of one warmup-cosine cycle."""
    r = rng_for(seed, "sgdr=")
    warm, length = int(r.integers(1, 20)), int(r.integers(30, 100))
    kw = dict(init_value=0.01, peak_value=float(r.uniform(0.2, 2)), warmup_steps=warm,
              decay_steps=length, end_value=float(r.uniform(0, 0.1)))
    s = lrkit.restarts(to_lrkit_warmup_cosine_decay(**kw), length, limit=4)
    assert_parity(optax.sgdr_schedule([kw] * 4), s)


@pytest.mark.parametrize("seed", range(6))
def test_other_optax_schedules(seed):
    r = rng_for(seed, "other")
    bounds = sorted(set(r.integers(1, 200, size=int(r.integers(1, 4))).tolist()))
    scales = {b: float(r.uniform(0.2, 3)) for b in bounds}
    kind = ["linear", "cosine"][seed % 2]
    assert_parity(optax.piecewise_interpolate_schedule(kind, 0.5, scales),
                  to_lrkit_piecewise_interpolate(kind, 0.5, scales), 230)
    T, peak, pct = int(r.integers(20, 300)), float(r.uniform(0.1, 2)), float(r.uniform(0.1, 0.6))
    assert_parity(optax.cosine_onecycle_schedule(T, peak, pct),
                  to_lrkit_cosine_onecycle(T, peak, pct), T + 10)
    warm = int(r.integers(1, 30))
    assert_parity(optax.warmup_constant_schedule(0.01, peak, warm),
                  to_lrkit_warmup_constant(0.01, peak, warm), warm + 10)
    kw = dict(init_value=0.0, peak_value=peak, warmup_steps=warm,
              transition_steps=int(r.integers(1, 30)), decay_rate=float(r.uniform(0.3, 0.99)),
              transition_begin=int(r.integers(0, 20)), staircase=bool(seed % 2),
              end_value=float(r.uniform(0, 0.1)) * peak)
    assert_parity(optax.warmup_exponential_decay_schedule(**kw),
                  to_lrkit_warmup_exponential_decay(**kw), 200)


# -- degenerate arguments Optax accepts (the README's Optax table) ----------------------------
@pytest.mark.parametrize("seed", range(6))
def test_degenerate_arguments(seed):
    """warmup_steps=0, transition_steps <= 0, a piecewise_interpolate boundary at 0 and a
    negative transition_begin, each against installed Optax through the mapping above."""
    r = rng_for(seed, "degenerate")
    init, peak, end = float(r.uniform(0, 0.1)), float(r.uniform(0.2, 2)), float(r.uniform(0, 0.1))
    T = int(r.integers(1, 100))
    nonpos = int(r.choice([0, -1, -int(r.integers(2, 50))]))
    begin = int(r.integers(0, 30))
    cases = [
        (optax.warmup_cosine_decay_schedule, dict(init_value=init, peak_value=peak, warmup_steps=0,
                                                  decay_steps=T, end_value=end),
         to_lrkit_warmup_cosine_decay),
        (optax.warmup_exponential_decay_schedule, dict(
            init_value=init, peak_value=peak, warmup_steps=0, transition_steps=int(r.integers(1, 20)),
            decay_rate=float(r.uniform(0.3, 0.99)), transition_begin=begin, end_value=end * peak),
         to_lrkit_warmup_exponential_decay),
        (optax.warmup_constant_schedule, dict(init_value=init, peak_value=peak, warmup_steps=0),
         to_lrkit_warmup_constant),
        (optax.linear_schedule, dict(init_value=init, end_value=peak, transition_steps=nonpos,
                                     transition_begin=begin), to_lrkit_linear),
        (optax.polynomial_schedule, dict(init_value=init, end_value=peak, power=2.0,
                                         transition_steps=nonpos, transition_begin=begin),
         to_lrkit_polynomial),
        (optax.exponential_decay, dict(init_value=peak, transition_steps=nonpos, decay_rate=0.5,
                                       transition_begin=begin), to_lrkit_exponential_decay),
        (optax.linear_schedule, dict(init_value=init, end_value=peak, transition_steps=T,
                                     transition_begin=-int(r.integers(1, T + 20))),
         to_lrkit_linear),
    ]
    scales = {0: float(r.uniform(0.2, 3)), T: float(r.uniform(0.2, 3))}
    if seed % 2:
        scales[T + int(r.integers(1, 50))] = float(r.uniform(0.2, 3))
    for kind in ("linear", "cosine"):
        cases.append((lambda **kw: optax.piecewise_interpolate_schedule(**kw),
                      dict(interpolate_type=kind, init_value=peak, boundaries_and_scales=scales),
                      to_lrkit_piecewise_interpolate))
    cases.append((optax.piecewise_constant_schedule, dict(init_value=peak,
                                                          boundaries_and_scales=scales),
                  to_lrkit_piecewise_constant))
    for peer, kw, ours in cases:
        assert_parity(peer(**kw), ours(**kw), 200)


def test_warmup_zero_is_the_identity():
    s = lrkit.cosine(50, start=0.7, end=0.1)
    assert lrkit.warmup(s, 0, start=0.3) == s


def test_what_optax_refuses_lrkit_refuses():
    """decay_steps <= 0 for cosine (Optax raises; lrkit's cosine(0) too), and a
    warmup_cosine_decay_schedule with decay_steps == warmup_steps."""
    for bad in (lambda: optax.cosine_decay_schedule(1.0, 0),
                lambda: optax.warmup_cosine_decay_schedule(0.0, 1.0, 5, 5)):
        with pytest.raises(ValueError):
            bad()
    with pytest.raises(ValueError, match="steps"):
        lrkit.cosine(0)
    with pytest.raises(ValueError, match="steps"):
        to_lrkit_warmup_cosine_decay(0.0, 1.0, 5, 5)


# -- the adapter itself ------------------------------------------------------------------
def test_schedule_traces_once_under_jit():
    s = lrkit.warmup(lrkit.cosine(90, start=1.0, end=0.1), 10)
    fn = lrkit.optax.schedule(s)
    traces = []

    @jax.jit
    def f(count):
        traces.append(1)
        return fn(count)

    for step in range(0, 120, 7):
        got = f(jnp.asarray(step, dtype=jnp.int32))
        assert got.dtype == jnp.float32 and got.shape == ()
        assert abs(float(got) - s(step)) <= 1e-6
    assert len(traces) == 1


JIT_CASES = [
    (lambda: optax.warmup_cosine_decay_schedule(0.0, 1.0, 10, 100, end_value=0.05),
     lambda: to_lrkit_warmup_cosine_decay(0.0, 1.0, 10, 100, end_value=0.05)),
    (lambda: optax.piecewise_constant_schedule(0.5, {20: 0.5, 60: 0.1}),
     lambda: to_lrkit_piecewise_constant(0.5, {20: 0.5, 60: 0.1})),
    (lambda: optax.exponential_decay(1.0, 7, 0.8, transition_begin=5, staircase=True),
     lambda: to_lrkit_exponential_decay(1.0, 7, 0.8, transition_begin=5, staircase=True)),
    (lambda: optax.cosine_onecycle_schedule(120, 2.0),
     lambda: to_lrkit_cosine_onecycle(120, 2.0)),
]


@pytest.mark.parametrize("peer,ours", JIT_CASES, ids=["wcos", "pwc", "exp", "onecycle"])
def test_jit_the_adapter_object(peer, ours):
    """As Optax's tests do with its schedules: jax.jit(schedule) itself, on Python ints and
    int32 counts (one compilation per argument type, not per value)."""
    import weakref

    s = ours()
    fn = lrkit.optax.schedule(s)
    assert weakref.ref(fn)() is fn
    jitted, theirs = jax.jit(fn), jax.jit(peer())
    for step in range(0, 140, 3):
        for count in (step, jnp.asarray(step, jnp.int32)):
            got = jitted(count)
            assert got.dtype == jnp.float32 and got.shape == ()
            assert float(got) == pytest.approx(float(theirs(count)), rel=1e-5, abs=1e-7)
            assert float(got) == pytest.approx(s(step), rel=1e-6, abs=1e-7)
    assert jitted._cache_size() <= 2  # a weak int and an int32 array


def test_inject_hyperparams_with_the_adapter():
    """optax.inject_hyperparams(optax.adamw)(learning_rate=lrkit.optax.schedule(s)) runs the
    same jitted steps, the same logged learning rates and the same parameters as with
    Optax's own schedule."""
    kw = dict(init_value=0.0, peak_value=1e-2, warmup_steps=5, decay_steps=30, end_value=1e-4)
    runs = []
    for sched in (lrkit.optax.schedule(to_lrkit_warmup_cosine_decay(**kw)),
                  optax.warmup_cosine_decay_schedule(**kw)):
        opt = optax.inject_hyperparams(optax.adamw)(learning_rate=sched, weight_decay=1e-3)
        params, loss = _quadratic_problem()
        state = opt.init(params)
        step = jax.jit(lambda p, s, opt=opt, loss=loss: _update(opt, loss, p, s))
        lrs = []
        for _ in range(35):
            params, state = step(params, state)
            lrs.append(float(state.hyperparams["learning_rate"]))
        runs.append((lrs, params))
    np.testing.assert_allclose(runs[0][0], runs[1][0], rtol=1e-6, atol=1e-10)
    for k in runs[0][1]:
        np.testing.assert_allclose(runs[0][1][k], runs[1][1][k], rtol=1e-5, atol=1e-7)


def test_reduce_on_plateau_next_to_the_adapter():
    """optax.contrib.reduce_on_plateau chained after an optimizer driven by the adapter: the
    same scale decisions and parameters as with Optax's own schedule (jitted, the loss passed
    as value=)."""
    contrib = pytest.importorskip("optax.contrib")
    kw = dict(init_value=0.1, decay_steps=60, alpha=0.1)
    runs = []
    for sched in (lrkit.optax.schedule(to_lrkit_cosine_decay(**kw)),
                  optax.cosine_decay_schedule(**kw)):
        opt = optax.chain(optax.sgd(sched), contrib.reduce_on_plateau(
            factor=0.5, patience=2, cooldown=1, accumulation_size=1))
        params, loss = _quadratic_problem()
        state = opt.init(params)

        @jax.jit
        def step(params, state, i, opt=opt, loss=loss):
            value, grads = jax.value_and_grad(loss)(params)
            # a loss that stalls after 10 steps, so the plateau rule fires
            value = jnp.where(i > 10, 1.0, value)
            updates, state = opt.update(grads, state, params, value=value)
            return optax.apply_updates(params, updates), state

        scales = []
        for i in range(40):
            params, state = step(params, state, jnp.int32(i))
            scales.append(float(state[1].scale))
        runs.append((scales, params))
    assert runs[0][0] == runs[1][0] and min(runs[0][0]) < 1.0
    for k in runs[0][1]:
        np.testing.assert_allclose(runs[0][1][k], runs[1][1][k], rtol=1e-5, atol=1e-7)


def test_plateau_node_is_refused():
    s = lrkit.warmup(lrkit.cosine(100), 10) * lrkit.plateau(patience=2)
    with pytest.raises(ValueError, match="reduce_on_plateau"):
        lrkit.optax.schedule(s)
    with pytest.raises(ValueError, match="plateau"):
        lrkit.optax.hyperparams(optax.sgd, learning_rate=lrkit.join(
            [lrkit.constant(1.0), lrkit.plateau()], [10]))


GIANT = 10**10  # Optax's giant-int-steps test: a duration that does not fit in int32


def test_giant_durations_on_int32_counts_like_optax():
    """Optax's cosine schedules take durations beyond int32 without x64; so does the adapter."""
    counts = [jnp.int32(c) for c in (0, 10**9, 2**31 - 1)]
    for peer, s in ((optax.cosine_decay_schedule(1000.0, GIANT), lrkit.cosine(GIANT, start=1000.0)),
                    (optax.warmup_cosine_decay_schedule(0.0, 1.0, 10**6, GIANT),
                     to_lrkit_warmup_cosine_decay(0.0, 1.0, 10**6, GIANT))):
        ours, theirs = jax.jit(lrkit.optax.schedule(s)), jax.jit(peer)
        for c in counts:
            assert float(ours(c)) == pytest.approx(float(theirs(c)), rel=1e-6)


@pytest.mark.parametrize("s", [
    lrkit.linear(GIANT), lrkit.polynomial(2**31, power=2), lrkit.exponential(0.5, every=2**32),
    lrkit.step(2**31), lrkit.multistep([10, 2**31, GIANT]), lrkit.piecewise([2**31], [1.0, 0.5]),
    lrkit.interpolate([(0, 1.0), (GIANT, 0.0)], kind="cosine"), lrkit.inverse_sqrt(2**33),
    lrkit.inverse_time(0.1, every=GIANT), lrkit.onecycle(GIANT), lrkit.cyclic(0.1, 1.0, 2**32),
    lrkit.wsd(4 * GIANT, GIANT, GIANT), lrkit.warmup(lrkit.cosine(GIANT), 2**31),
    lrkit.join([lrkit.linear(2**31), lrkit.cosine(GIANT)], [2**31]),
    lrkit.restarts(lrkit.cosine(GIANT), GIANT), lrkit.shift(lrkit.cosine(10), 2**31),
    lrkit.per_epoch(lrkit.cosine(10), 2**31), lrkit.clip(lrkit.linear(GIANT, 2, -1), low=0.1),
    lrkit.noise(lrkit.cosine(GIANT), 0.1, seed=2**40) * lrkit.linear(GIANT),
    lrkit.tanh(GIANT), lrkit.cosine(GIANT, k_decay=2.0), lrkit.polynomial(2**31, k_decay=0.5),
], ids=lambda s: repr(s)[:40])
def test_giant_durations_every_shape(s):
    """Every shape with durations of 2**31 steps or more: jitted on int32 counts without x64,
    equal to lrkit's float64 value at float32 precision (the count itself is exact: < 2**24
    or a multiple of a power of two below 2**31)."""
    fn = jax.jit(lrkit.optax.schedule(s))
    for c in (0, 12345, 10**9, 2**30):
        assert float(fn(jnp.int32(c))) == pytest.approx(s(c), rel=2e-6, abs=1e-7), c
    assert lrkit.optax.schedule(s).schedule is s  # the original, unchanged (repr, equality)


def test_schedule_with_python_int_and_float64():
    s = lrkit.linear(10, start=1.0, end=0.0)
    fn = lrkit.optax.schedule(s)
    assert float(fn(3)) == pytest.approx(0.7, rel=1e-6)
    assert fn(3).dtype == jnp.float32
    assert repr(fn) == "lrkit.optax.schedule(linear(10))"
    assert fn.schedule is s


def test_unresolved_needs_total_steps():
    s = lrkit.warmup(lrkit.cosine("rest"), "10%")
    with pytest.raises(ValueError, match="total_steps"):
        lrkit.optax.schedule(s)
    fn = lrkit.optax.schedule(s, total_steps=100)
    assert fn.schedule == s.resolve(100)
    assert float(fn(10)) == pytest.approx(1.0)
    with pytest.raises(TypeError, match="lrkit Schedule"):
        lrkit.optax.schedule(lambda c: 0.1)
    with pytest.raises(ValueError, match="b1"):
        lrkit.optax.hyperparams(optax.adam, learning_rate=0.1, b1=lrkit.linear("50%"))


def _quadratic_problem():
    params = {"w": jnp.array([1.0, -2.0, 3.0]), "b": jnp.array(0.5, dtype=jnp.float32)}

    def loss(p):
        return jnp.sum(p["w"] ** 2) + p["b"] ** 2

    return params, loss


def test_optax_training_loop_under_jit_logs_schedule():
    """adamw driven by lrkit schedules for lr and b1, jitted once; logged values == s(step)."""
    lr = lrkit.warmup(lrkit.cosine("rest", start=1e-2, end=1e-4), "20%")
    b1 = lrkit.linear(10, start=0.85, end=0.95)
    opt = lrkit.optax.hyperparams(optax.adamw, learning_rate=lr, b1=b1, weight_decay=1e-4,
                                  total_steps=25)
    lr_r = lr.resolve(25)
    params, loss = _quadratic_problem()
    state = opt.init(params)
    traces = []

    @jax.jit
    def train_step(params, state):
        traces.append(1)
        grads = jax.grad(loss)(params)
        updates, state = opt.update(grads, state, params)
        return optax.apply_updates(params, updates), state

    logged_lr, logged_b1 = [], []
    for _ in range(25):
        params, state = train_step(params, state)
        logged_lr.append(float(state.hyperparams["learning_rate"]))
        logged_b1.append(float(state.hyperparams["b1"]))
    assert len(traces) == 1
    np.testing.assert_allclose(logged_lr, lr_r.values(25), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(logged_b1, b1.values(25), rtol=1e-6)
    assert int(state.count) == 25


def test_learning_rate_argument_matches_optax_schedule():
    """optax.adamw(learning_rate=lrkit.optax.schedule(s)) updates exactly like the same
    optimizer built on Optax's own warmup_cosine_decay_schedule."""
    kw = dict(init_value=0.0, peak_value=1e-2, warmup_steps=5, decay_steps=30, end_value=1e-4)
    ours = optax.adamw(learning_rate=lrkit.optax.schedule(to_lrkit_warmup_cosine_decay(**kw)))
    theirs = optax.adamw(learning_rate=optax.warmup_cosine_decay_schedule(**kw))
    results = []
    for opt in (ours, theirs):
        params, loss = _quadratic_problem()
        state = opt.init(params)
        step = jax.jit(lambda p, s, opt=opt, loss=loss: _update(opt, loss, p, s))
        for _ in range(30):
            params, state = step(params, state)
        results.append(params)
    for k in results[0]:
        np.testing.assert_allclose(results[0][k], results[1][k], rtol=1e-5, atol=1e-7)


def _update(opt, loss, params, state):
    grads = jax.grad(loss)(params)
    updates, state = opt.update(grads, state, params)
    return optax.apply_updates(params, updates), state


def test_import_lrkit_does_not_import_optax():
    import subprocess
    import sys

    code = ("import sys, lrkit; import lrkit.optax; "
            "bad = [m for m in ('jax', 'optax', 'numpy', 'keras', 'torch', 'tensorflow') if m in sys.modules]; "
            "print(bad); assert not bad")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
