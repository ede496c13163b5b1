"""lrkit.keras: parity with Keras 3's own schedules, save/load, jit, the plateau callback.

Keras runs on the JAX backend here (``KERAS_BACKEND`` is set before Keras is
imported, unless the environment already chose one).  Each ``to_lrkit_*``
function is the lrkit spelling of a Keras schedule (documented in the README
table); parity is checked by running Keras side by side on seeded random
configurations.
"""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import json  # noqa: E402
import math  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

keras = pytest.importorskip("keras")
import lrkit  # noqa: E402
import lrkit.keras  # noqa: E402

BACKEND = keras.backend.backend()
KS = keras.optimizers.schedules
SEEDS = range(8)
N = 512  # one array shape for every comparison (JAX caches compiled ops per shape)


# -- the lrkit spelling of each Keras schedule -------------------------------------------
def to_lrkit_cosine_decay(initial_learning_rate, decay_steps, alpha=0.0, warmup_target=None,
                          warmup_steps=0):
    if warmup_target is None:
        return lrkit.cosine(decay_steps, start=initial_learning_rate,
                            end=initial_learning_rate * alpha)
    # Keras's decay_steps do not include the warmup (Optax's do)
    body = lrkit.cosine(decay_steps, start=warmup_target, end=warmup_target * alpha)
    return lrkit.warmup(body, warmup_steps, start=initial_learning_rate) if warmup_steps else body


def to_lrkit_exponential_decay(initial_learning_rate, decay_steps, decay_rate, staircase=False):
    return lrkit.exponential(decay_rate, start=initial_learning_rate, every=decay_steps,
                             staircase=staircase)


def to_lrkit_polynomial_decay(initial_learning_rate, decay_steps, end_learning_rate=1e-4,
                              power=1.0):
    return lrkit.polynomial(decay_steps, start=initial_learning_rate, end=end_learning_rate,
                            power=power)


def to_lrkit_inverse_time_decay(initial_learning_rate, decay_steps, decay_rate, staircase=False):
    return lrkit.inverse_time(decay_rate, every=decay_steps, start=initial_learning_rate,
                              staircase=staircase)


def to_lrkit_cosine_decay_restarts(initial_learning_rate, first_decay_steps, t_mul=2.0,
                                   m_mul=1.0, alpha=0.0):
    # Keras adds alpha *outside* the m_mul decay: init·(alpha + (1 − alpha)·m_mul^i·c),
    # so the floor is a sum: init·alpha + restarts(cosine from init·(1 − alpha) to 0).
    if alpha == 0.0 or m_mul == 1.0:
        cycle = lrkit.cosine(first_decay_steps, start=initial_learning_rate,
                             end=initial_learning_rate * alpha)
        return lrkit.restarts(cycle, first_decay_steps, mult=t_mul, decay=m_mul)
    cycle = lrkit.cosine(first_decay_steps, start=initial_learning_rate * (1 - alpha))
    return initial_learning_rate * alpha + lrkit.restarts(cycle, first_decay_steps, mult=t_mul,
                                                          decay=m_mul)


def to_lrkit_piecewise_constant_decay(boundaries, values):
    # Keras keeps values[i] *through* boundaries[i] (step <= b) and changes one step
    # later; lrkit's piecewise changes at the boundary: use boundaries + 1.
    return lrkit.piecewise([b + 1 for b in boundaries], values)


# -- comparison ----------------------------------------------------------------------------
def _steps():
    return keras.ops.arange(N, dtype="int32")


def _vectorized(fn):
    """fn evaluated at steps 0..N-1 (per step: Keras schedules take a scalar step)."""
    if BACKEND == "jax":
        import jax

        return np.asarray(jax.vmap(fn)(_steps()), dtype=np.float64)
    if BACKEND == "tensorflow":  # one graph, not 512 eager calls
        import tensorflow as tf

        dtype = fn(_steps()[0]).dtype
        mapped = tf.function(lambda st: tf.map_fn(fn, st, fn_output_signature=dtype))
        return np.asarray(mapped(_steps()), dtype=np.float64)
    return np.array([float(fn(keras.ops.convert_to_tensor(i, dtype="int32"))) for i in range(N)])


def assert_parity(peer, s, n=N, *, rtol=1e-5, atol=1e-6, left_limit=False):
    """lrkit ``s`` (float64, the adapter, and the keras.ops path) == Keras's ``peer`` at
    steps 0..n-1; float32 tolerance |a − b| <= rtol·|b| + atol·peak.

    ``left_limit``: at a jump, Keras's float32 arithmetic may land on the wrong side
    (compiled by XLA, CosineDecayRestarts computes step/first_decay_steps as
    step·(1/first_decay_steps), so at step 55 with first_decay_steps=55 it returns the
    end of cycle 0 instead of the start of cycle 1); there, Keras's value is accepted when
    it equals lrkit's value just before the step, s(t − 1e-3).
    """
    ref = _vectorized(peer)[:n]
    peak = max(float(np.abs(ref).max()), 1e-30)
    if left_limit:
        before = np.array([s(max(i - 1e-3, 0.0)) for i in range(n)])
        at_jump = np.abs(before - ref) <= rtol * np.abs(ref) + atol * peak
    adapter = lrkit.keras.LearningRateSchedule(s)
    candidates = {
        "lrkit": np.array(s.values(n)),
        "adapter": np.asarray(adapter(_steps()))[:n],
        "keras.ops path": np.asarray(lrkit.keras._keras_ops_eval(s, _steps()))[:n],
    }
    assert np.asarray(adapter(_steps())).dtype == np.float32
    for what, got in candidates.items():
        bad = np.abs(got - ref) > rtol * np.abs(ref) + atol * peak
        if left_limit:
            bad &= ~at_jump
        where = np.flatnonzero(bad)[:5]
        assert not bad.any(), f"{what} {s!r} differs from Keras at {where}: {got[where]} vs {ref[where]}"


def rng_for(seed, name):
    return np.random.default_rng([seed, sum(map(ord, name))])


@pytest.mark.parametrize("seed", SEEDS)
def test_cosine_decay(seed):
    r = rng_for(seed, "cos")
    kw = dict(initial_learning_rate=float(r.uniform(0.01, 2)), decay_steps=int(r.integers(1, 300)),
              alpha=float(r.choice([0.0, r.uniform(0, 1)])))
    if seed % 2:  # with warmup (Keras 3's warmup_target / warmup_steps)
        kw.update(initial_learning_rate=float(r.uniform(0, 0.1)),
                  warmup_target=float(r.uniform(0.1, 3)), warmup_steps=int(r.integers(1, 100)))
    assert_parity(KS.CosineDecay(**kw), to_lrkit_cosine_decay(**kw))


@pytest.mark.parametrize("seed", SEEDS)
def test_exponential_decay(seed):
    r = rng_for(seed, "exp")
    kw = dict(initial_learning_rate=float(r.uniform(0.01, 2)), decay_steps=int(r.integers(1, 60)),
              decay_rate=float(r.uniform(0.3, 0.99)), staircase=bool(seed % 2))
    assert_parity(KS.ExponentialDecay(**kw), to_lrkit_exponential_decay(**kw))


@pytest.mark.parametrize("seed", SEEDS)
def test_polynomial_decay(seed):
    r = rng_for(seed, "poly")
    kw = dict(initial_learning_rate=float(r.uniform(0.01, 2)), decay_steps=int(r.integers(1, 400)),
              end_learning_rate=float(r.uniform(0, 0.01)), power=float(r.uniform(0.2, 4)))
    assert_parity(KS.PolynomialDecay(**kw), to_lrkit_polynomial_decay(**kw))


@pytest.mark.parametrize("seed", SEEDS)
def test_inverse_time_decay(seed):
    r = rng_for(seed, "inv")
    kw = dict(initial_learning_rate=float(r.uniform(0.01, 2)), decay_steps=int(r.integers(1, 60)),
              decay_rate=float(r.uniform(0, 3)), staircase=bool(seed % 2))
    assert_parity(KS.InverseTimeDecay(**kw), to_lrkit_inverse_time_decay(**kw))


@pytest.mark.parametrize("seed", [*SEEDS, 46])  # 46: a restart step Keras rounds down
def test_cosine_decay_restarts(seed):
    r = rng_for(seed, "sgdr")
    kw = dict(initial_learning_rate=float(r.uniform(0.01, 2)),
              first_decay_steps=int(r.integers(5, 60)),
              t_mul=float(r.choice([1.0, 1.5, 2.0, 3.0])))
    if seed % 3 != 1:
        kw["m_mul"] = float(r.uniform(0.3, 1.0))
    if seed % 3 != 0:
        kw["alpha"] = float(r.uniform(0, 0.5))
    assert_parity(KS.CosineDecayRestarts(**kw), to_lrkit_cosine_decay_restarts(**kw),
                  left_limit=True)


@pytest.mark.parametrize("seed", SEEDS)
def test_piecewise_constant_decay(seed):
    r = rng_for(seed, "pw")
    bounds = sorted(set(r.integers(0, 300, size=int(r.integers(1, 6))).tolist()))
    values = [float(v) for v in r.uniform(0.01, 2, size=len(bounds) + 1)]
    assert_parity(KS.PiecewiseConstantDecay(bounds, values),
                  to_lrkit_piecewise_constant_decay(bounds, values))


# -- the adapter ----------------------------------------------------------------------------
SCHEDULES = [
    lrkit.constant(0.3), lrkit.linear(50, start=1, end=0.1), lrkit.cosine(70, end=0.05, exponent=2),
    lrkit.polynomial(40, power=2.5), lrkit.exponential(0.97, every=3, staircase=True, floor=0.2),
    lrkit.step(25, gamma=0.5), lrkit.multistep([10, 10, 90], gamma=0.3),
    lrkit.piecewise([0, 20, 80], [1.0, 0.5, 0.2, 0.1]),
    lrkit.interpolate([(0, 1.0), (40, 0.2), (90, 0.5)], kind="cosine"),
    lrkit.interpolate([(5, 1.0), (60, 0.01)], kind="exponential"),
    lrkit.inverse_sqrt(30), lrkit.inverse_time(0.1, every=4, staircase=True),
    lrkit.onecycle(200, three_phase=True), lrkit.onecycle(120, anneal="linear"),
    lrkit.cyclic(0.1, 1.0, 20, 30, mode="triangular2"), lrkit.cyclic(0.1, 1.0, 15, mode="exp_range",
                                                                      gamma=0.99),
    lrkit.wsd(300, 30, 60, shape="cosine", end=0.1), lrkit.wsd(300, 30, 60, warmup_shape="1-sqrt"),
    lrkit.rex(150, end=0.1),
    lrkit.warmup(lrkit.cosine(100), 20, kind="cosine"),
    lrkit.join([lrkit.linear(10, 0, 1), lrkit.constant(1), lrkit.cosine(100)], [10, 50]),
    lrkit.restarts(lrkit.cosine(20, end=0.1), 20, mult=1.5, decay=0.8, limit=5),
    lrkit.clip(lrkit.linear(100, 2, -1), low=0.1, high=1.5), lrkit.shift(lrkit.cosine(50), 25),
    lrkit.per_epoch(lrkit.step(3, gamma=0.5), 7), lrkit.pingpong(lrkit.cosine(40, end=0.2)),
    lrkit.cosine(100) * lrkit.linear(50, 1, 0.5) * 2.0,
]




@pytest.mark.parametrize("s", SCHEDULES, ids=lambda s: repr(s)[:40])
def test_adapter_and_keras_ops_path_match_schedule(s):
    """The native path (backend arrays) and the keras.ops path (any backend) give s(step)."""
    ref = np.array(s.values(N))
    scale = np.maximum(np.abs(ref).max(), 1e-30)
    native = np.asarray(lrkit.keras.LearningRateSchedule(s)(_steps()), dtype=np.float64)
    via_ops = np.asarray(lrkit.keras._keras_ops_eval(s, _steps()), dtype=np.float64)
    np.testing.assert_allclose(native, ref, rtol=1e-5, atol=1e-6 * scale)
    np.testing.assert_allclose(via_ops, ref, rtol=1e-5, atol=1e-6 * scale)


def test_noise_on_keras_ops_path_is_a_clear_error():
    s = lrkit.noise(lrkit.constant(1.0), 0.1, seed=3)
    with pytest.raises(TypeError, match="noise"):
        lrkit.keras._keras_ops_eval(s, _steps())
    # ...but the native path evaluates it, identically to lrkit
    got = np.asarray(lrkit.keras.LearningRateSchedule(s)(_steps()))[:50]
    np.testing.assert_allclose(got, s.values(50), rtol=1e-6)


def test_call_with_an_optimizer_variable_gives_float32():
    s = lrkit.warmup(lrkit.cosine(90, start=1e-3, end=1e-5), 10)
    lr = lrkit.keras.LearningRateSchedule(s)
    for step in (0, 5, 10, 57, 100, 10_000):
        v = keras.Variable(step, dtype="int32", trainable=False)
        out = lr(v)
        assert keras.backend.standardize_dtype(out.dtype) == "float32"
        assert float(out) == pytest.approx(s(step), rel=1e-6, abs=1e-12)
    opt = keras.optimizers.SGD(learning_rate=lr)
    assert float(opt.learning_rate) == pytest.approx(s(0), abs=1e-12)


def _dtype(x):
    return keras.backend.standardize_dtype(x.dtype)


DTYPE_PAIRS = [
    (lambda a: KS.ExponentialDecay(a, 10, 0.9), lambda a: lrkit.exponential(0.9, start=a, every=10)),
    (lambda a: KS.InverseTimeDecay(a, 7, 0.3), lambda a: lrkit.inverse_time(0.3, every=7, start=a)),
    (lambda a: KS.PolynomialDecay(a, 60, 0.01, 2.0),
     lambda a: lrkit.polynomial(60, start=a, end=0.01, power=2.0)),
    (lambda a: KS.PiecewiseConstantDecay([10, 40], [a, a / 2, a / 10]),
     lambda a: lrkit.piecewise([11, 41], [a, a / 2, a / 10])),
    (lambda a: KS.CosineDecayRestarts(a, 10, m_mul=0.5), lambda a: lrkit.restarts(
        lrkit.cosine(10, start=a), 10, mult=2, decay=0.5)),
]


def _dtype_cases():
    """(initial lr given to Keras, the adapter's dtype argument): a Python float (the
    default), a NumPy float32 and a NumPy float64."""
    return [(0.1, None), (np.float32(0.1), "float32"), (np.float64(0.1), "float64")]


@pytest.mark.parametrize("peer,ours", DTYPE_PAIRS, ids=["exp", "invtime", "poly", "piecewise",
                                                         "restarts"])
def test_dtype_follows_keras(peer, ours):
    """Keras's schedules return the dtype of ops.convert_to_tensor(initial_learning_rate);
    the adapter returns what Keras makes of a Python float, or its dtype argument.  On JAX
    without x64 Keras truncates float64 to float32, and so does the adapter.  Keras casts
    its other Python-float arguments through float32, so values agree to float32 precision."""
    step = keras.ops.convert_to_tensor(37, "int32")
    for init, dtype in _dtype_cases():
        theirs = peer(init)(step)
        mine = lrkit.keras.LearningRateSchedule(ours(float(init)), dtype=dtype)(step)
        assert _dtype(mine) == _dtype(theirs), (init, dtype)
        assert float(mine) == pytest.approx(float(theirs), rel=1e-6)
    back = KS.deserialize(json.loads(json.dumps(KS.serialize(
        lrkit.keras.LearningRateSchedule(ours(0.1), dtype="float64")))))
    assert back.dtype == "float64" and back.get_config()["dtype"] == "float64"
    with pytest.raises(ValueError, match="dtype"):
        lrkit.keras.LearningRateSchedule(ours(0.1), dtype="int32")


@pytest.mark.skipif(BACKEND != "jax", reason="JAX backend")
def test_dtype_follows_keras_under_jax_x64():
    """With x64 on, Keras's schedules give float64 for a Python float; so does the adapter,
    and its values are then float64-exact (lrkit evaluates in float64 steps)."""
    import jax

    s = lrkit.warmup(lrkit.cosine(90, start=1e-3, end=1e-5), 10)
    with jax.enable_x64(True):
        step = keras.ops.convert_to_tensor(37, "int64")
        theirs = KS.ExponentialDecay(0.1, 10, 0.9)(step)
        mine = lrkit.keras.LearningRateSchedule(s)(step)
        assert _dtype(theirs) == _dtype(mine) == "float64"
        assert float(mine) == pytest.approx(s(37), rel=1e-14)
        assert _dtype(lrkit.keras.LearningRateSchedule(s, dtype="float32")(step)) == "float32"
    assert _dtype(lrkit.keras.LearningRateSchedule(s)(step)) == "float32"


@pytest.mark.skipif(BACKEND != "jax", reason="JAX backend")
def test_traces_once_under_jax_jit():
    import jax
    import jax.numpy as jnp

    s = lrkit.warmup(lrkit.restarts(lrkit.cosine(30, end=0.1), 30, mult=2), 10)
    lr = lrkit.keras.LearningRateSchedule(s)
    traces = []

    @jax.jit
    def f(step):
        traces.append(1)
        return lr(step)

    for step in range(0, 200, 9):
        assert float(f(jnp.asarray(step, jnp.int32))) == pytest.approx(s(step), rel=1e-5, abs=1e-7)
    assert len(traces) == 1


def test_inputs_and_resolution():
    s = lrkit.warmup(lrkit.cosine("rest", end=0.1), "10%")
    with pytest.raises(ValueError, match="total_steps"):
        lrkit.keras.LearningRateSchedule(s)
    lr = lrkit.keras.LearningRateSchedule(s, total_steps=200)
    assert lr.schedule == s.resolve(200)
    assert lrkit.keras.LearningRateSchedule(repr(lr.schedule)).schedule == lr.schedule
    assert lrkit.keras.LearningRateSchedule(lr.schedule.to_config()).schedule == lr.schedule
    with pytest.raises(TypeError, match="lrkit Schedule"):
        lrkit.keras.LearningRateSchedule(0.1)
    with pytest.raises(ValueError, match="scale"):
        lrkit.keras.LearningRateSchedule(lrkit.constant(), scale=-1)


def test_config_round_trip_through_keras_serialization():
    s = lrkit.warmup(lrkit.cosine(1000, start=3e-4, end=3e-6), 100) * lrkit.linear(500, 1, 0.5)
    lr = lrkit.keras.LearningRateSchedule(s, scale=0.25)
    assert lr.get_config() == {"schedule": s.to_config(), "scale": 0.25}
    blob = json.dumps(KS.serialize(lr))
    assert '"registered_name": "lrkit>LearningRateSchedule"' in blob
    back = KS.deserialize(json.loads(blob))
    assert isinstance(back, lrkit.keras.LearningRateSchedule)
    assert back.schedule == s and back.scale == 0.25
    opt = keras.optimizers.AdamW(learning_rate=lr)
    opt2 = keras.optimizers.AdamW.from_config(json.loads(json.dumps(opt.get_config())))
    assert opt2._learning_rate.schedule == s


# -- training, saving, loading ---------------------------------------------------------------
def _model(lr):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu"),
                              keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.AdamW(learning_rate=lr), loss="mse")
    return model


def _data(n=40):
    r = np.random.default_rng(0)
    x = r.normal(size=(n, 3)).astype("float32")
    return x, (x @ np.array([[1.0], [-2.0], [0.5]], "float32"))


LOAD_SCRIPT = """
import os, sys
os.environ["KERAS_BACKEND"] = {backend!r}
import keras
path = sys.argv[1]
try:
    keras.models.load_model(path)
    print("loaded without import")
except Exception as e:
    print("without import:", type(e).__name__)
import lrkit.keras
model = keras.models.load_model(path)
opt = model.optimizer
print(int(opt.iterations.numpy()), float(opt.learning_rate), repr(opt._learning_rate.schedule))
"""


def test_fit_save_load_restores_schedule_and_iterations(tmp_path):
    s = lrkit.warmup(lrkit.cosine("rest", start=1e-2, end=1e-4), "10%")
    lr = lrkit.keras.LearningRateSchedule(s, total_steps=40)
    model = _model(lr)
    x, y = _data(40)
    model.fit(x, y, batch_size=4, epochs=1, verbose=0)  # 10 optimizer steps
    path = tmp_path / "model.keras"
    model.save(path)

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. "Skipping variable loading for optimizer"
        loaded = keras.models.load_model(path)
    opt = loaded.optimizer
    assert isinstance(opt._learning_rate, lrkit.keras.LearningRateSchedule)
    assert opt._learning_rate.schedule == s.resolve(40)
    it = int(opt.iterations.numpy())
    assert it == 10
    assert float(opt.learning_rate) == pytest.approx(s.resolve(40)(it), rel=1e-6)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)

    # a fresh process: Keras finds the class only once lrkit.keras is imported
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(Path(lrkit.__file__).parents[1]), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", LOAD_SCRIPT.format(backend=BACKEND), str(path)],
                         capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = out.stdout.strip().splitlines()
    assert lines[0] == "without import: TypeError"
    it2, lr2, text = lines[1].split(" ", 2)
    assert int(it2) == 10 and float(lr2) == pytest.approx(s.resolve(40)(10), rel=1e-6)
    assert lrkit.parse(text) == s.resolve(40)


def test_gradient_accumulation_counts_updates():
    """Keras calls the schedule with its micro-step counter; the adapter divides it."""
    s = lrkit.linear(10, start=1.0, end=0.0)
    lr = lrkit.keras.LearningRateSchedule(s, gradient_accumulation_steps=2)
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr, gradient_accumulation_steps=2),
                  loss="mse")
    x = np.ones((8, 1), "float32")
    model.fit(x, x, batch_size=1, epochs=1, verbose=0)  # 8 micro-batches = 4 updates
    opt = model.optimizer
    assert int(opt._iterations.numpy()) == 8 and int(opt.iterations) == 4
    assert float(opt.learning_rate) == pytest.approx(s(4))
    back = KS.deserialize(json.loads(json.dumps(KS.serialize(lr))))
    assert back.gradient_accumulation_steps == 2 and back.schedule == s
    with pytest.raises(ValueError, match="gradient_accumulation_steps"):
        lrkit.keras.LearningRateSchedule(s, gradient_accumulation_steps=0)


# -- the plateau callback -------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(12))
def test_plateau_rule_matches_torch(seed):
    """The scale sequence equals the lr of torch's ReduceLROnPlateau on a group whose lr is 1."""
    torch = pytest.importorskip("torch")
    r = rng_for(seed, "plateau")
    kw = dict(mode=str(r.choice(["min", "max"])), factor=float(r.uniform(0.1, 0.9)),
              patience=int(r.integers(0, 4)), threshold=float(r.choice([0.0, 1e-4, 0.05])),
              threshold_mode=str(r.choice(["rel", "abs"])), cooldown=int(r.integers(0, 3)))
    min_scale = float(r.choice([0.0, 0.05]))
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    ref = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, min_lr=min_scale, **kw)
    cb = lrkit.keras.ReduceLROnPlateau(monitor="m", min_scale=min_scale, **kw)
    # a noisy metric that improves, then stalls
    metrics = np.concatenate([np.linspace(1, 0.5, 10), 0.5 + 0.02 * r.normal(size=50)])
    if kw["mode"] == "max":
        metrics = -metrics
    scale = 1.0
    for m in metrics:
        ref.step(float(m))
        scale = cb.update(float(m), scale)
        assert scale == opt.param_groups[0]["lr"]
        assert (cb.best, cb.num_bad_epochs, cb.cooldown_counter) == (
            ref.best, ref.num_bad_epochs, ref.cooldown_counter)
    assert scale < 1.0 or kw["patience"] >= 3  # the stall is long enough to reduce
    cb2 = lrkit.keras.ReduceLROnPlateau(monitor="m", **kw)
    cb2.load_state_dict(json.loads(json.dumps(cb.state_dict())))
    assert cb2.state_dict() == cb.state_dict()


def test_plateau_callback_lowers_the_lr_used_by_the_compiled_step(tmp_path):
    """SGD on |w·1 − 1000| moves w by exactly lr(step) per step, so the final weight is
    Σ schedule(step)·scale(step): proof that the compiled step used each new scale."""
    s = lrkit.linear(10, start=1.0, end=0.5)
    lr = lrkit.keras.LearningRateSchedule(s)
    model = keras.Sequential([keras.Input((1,)),
                              keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr), loss="mae")
    x = np.ones((4, 1), "float32")
    y = np.full((4, 1), 1000.0, "float32")
    # the loss falls every epoch; mode="max" makes every epoch after the first "bad"
    cb = lrkit.keras.ReduceLROnPlateau(monitor="loss", mode="max", factor=0.5, patience=1)
    hist = model.fit(x, y, batch_size=2, epochs=6, verbose=0, callbacks=[cb])  # 2 steps/epoch
    scales = hist.history["lr_scale"]
    assert scales == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    per_step = [1.0] * 6 + [0.5] * 4 + [0.25] * 2  # the scale in force at each step
    expected = sum(s(i) * per_step[i] for i in range(12))
    assert float(model.layers[0].kernel.numpy().ravel()[0]) == pytest.approx(expected, rel=1e-6)
    assert float(model.optimizer.learning_rate) == pytest.approx(s(12) * 0.25)

    path = tmp_path / "plateau.keras"
    model.save(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = keras.models.load_model(path)
    assert loaded.optimizer._learning_rate.scale == 0.25
    assert int(loaded.optimizer.iterations.numpy()) == 12
    assert float(loaded.optimizer.learning_rate) == pytest.approx(s(12) * 0.25)


def test_plateau_callback_errors_and_missing_metric():
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
    x = np.ones((4, 1), "float32")
    with pytest.raises(TypeError, match="lrkit.keras.LearningRateSchedule"):
        model.fit(x, x, epochs=1, verbose=0, callbacks=[lrkit.keras.ReduceLROnPlateau("loss")])
    model.compile(optimizer=keras.optimizers.SGD(
        learning_rate=lrkit.keras.LearningRateSchedule(lrkit.constant(0.1))), loss="mse")
    with pytest.warns(UserWarning, match="val_loss"):
        model.fit(x, x, epochs=1, verbose=0, callbacks=[lrkit.keras.ReduceLROnPlateau()])
    with pytest.raises(ValueError, match="factor"):
        lrkit.keras.ReduceLROnPlateau(factor=1.0)
    with pytest.raises(ValueError, match="mode"):
        lrkit.keras.ReduceLROnPlateau(mode="up")
    with pytest.raises(ValueError, match="patience"):
        lrkit.keras.ReduceLROnPlateau(patience=-1)
    assert lrkit.keras.ReduceLROnPlateau("val_accuracy", mode="auto").mode == "max"
    assert lrkit.keras.ReduceLROnPlateau("val_loss", mode="auto").best == math.inf


def test_import_lrkit_does_not_import_keras():
    code = ("import sys, lrkit; bad = [m for m in ('keras', 'jax', 'numpy', 'torch', 'tensorflow') "
            "if m in sys.modules]; print(bad); assert not bad")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


TORCH_BACKEND_SCRIPT = r"""
import os, sys, tempfile, warnings
os.environ["KERAS_BACKEND"] = "torch"
import numpy as np, torch, keras, lrkit, lrkit.keras
assert keras.backend.backend() == "torch"
KS = keras.optimizers.schedules
pairs = [
    (KS.CosineDecay(0.01, 60, alpha=0.1, warmup_target=0.5, warmup_steps=20),
     lrkit.warmup(lrkit.cosine(60, start=0.5, end=0.05), 20, start=0.01)),
    (KS.PiecewiseConstantDecay([10, 40], [1.0, 0.5, 0.1]),
     lrkit.piecewise([11, 41], [1.0, 0.5, 0.1])),
    (KS.CosineDecayRestarts(1.0, 10, t_mul=2.0, m_mul=0.5),
     lrkit.restarts(lrkit.cosine(10), 10, mult=2, decay=0.5)),
    (KS.InverseTimeDecay(0.5, 7, 0.3, staircase=True),
     lrkit.inverse_time(0.3, every=7, start=0.5, staircase=True)),
]
for peer, s in pairs:
    ours = lrkit.keras.LearningRateSchedule(s)
    for i in range(0, 120, 3):
        step = torch.tensor(i, dtype=torch.int64)
        a, b = float(peer(step)), ours(step)
        assert b.dtype == torch.float32, b.dtype
        assert abs(a - float(b)) <= 1e-5 * abs(a) + 1e-6, (s, i, a, float(b))
        assert abs(float(b) - s(i)) <= 1e-6 * abs(s(i)) + 1e-9, (s, i)
# dtypes as Keras: the dtype of its initial lr (float64 tensor -> float64)
step = torch.tensor(37)
theirs = KS.ExponentialDecay(torch.tensor(0.1, dtype=torch.float64), 10, 0.9)(step)
mine = lrkit.keras.LearningRateSchedule(lrkit.exponential(0.9, start=0.1, every=10),
                                        dtype="float64")(step)
assert theirs.dtype == mine.dtype == torch.float64, (theirs.dtype, mine.dtype)
assert lrkit.keras.LearningRateSchedule(lrkit.constant(0.1))(step).dtype == torch.float32

s = lrkit.linear(10, start=1.0, end=0.5)
model = keras.Sequential([keras.Input((1,)),
                          keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=lrkit.keras.LearningRateSchedule(s)),
              loss="mae")
x = np.ones((4, 1), "float32"); y = np.full((4, 1), 1000.0, "float32")
cb = lrkit.keras.ReduceLROnPlateau(monitor="loss", mode="max", factor=0.5, patience=1)
model.fit(x, y, batch_size=2, epochs=6, verbose=0, callbacks=[cb])
per_step = [1.0] * 6 + [0.5] * 4 + [0.25] * 2
expected = sum(s(i) * per_step[i] for i in range(12))
w = float(model.layers[0].kernel.numpy().ravel()[0])
assert abs(w - expected) < 1e-5, (w, expected)
path = os.path.join(tempfile.mkdtemp(), "m.keras")
model.save(path)
with warnings.catch_warnings():
    warnings.simplefilter("error")
    loaded = keras.models.load_model(path)
opt = loaded.optimizer
assert int(opt.iterations.numpy()) == 12 and opt._learning_rate.scale == 0.25
assert abs(float(opt.learning_rate) - s(12) * 0.25) < 1e-7
print("ok")
"""


@pytest.mark.slow
def test_torch_backend_in_a_subprocess():
    """The same adapter under KERAS_BACKEND=torch: parity, a plateau fit, save and load."""
    pytest.importorskip("torch")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(Path(lrkit.__file__).parents[1]), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", TORCH_BACKEND_SCRIPT], capture_output=True,
                         text=True, env=env, timeout=300)
    assert out.returncode == 0 and out.stdout.strip().endswith("ok"), out.stderr[-3000:]


@pytest.mark.parametrize("spec", ["cosine(100) * plateau(patience=2)",
                                  "warmup(cosine(100) * plateau(), 10)",
                                  "join([linear(5), constant(1.0) * plateau()], [5])"])
def test_a_plateau_node_is_refused_with_the_callback_named(spec):
    """A Keras schedule is a function of the step: a plateau node (metric state) would be
    evaluated as 1 without a word; refused, naming lrkit.keras.ReduceLROnPlateau."""
    with pytest.raises(ValueError, match=r"plateau.*lrkit\.keras\.ReduceLROnPlateau"):
        lrkit.keras.LearningRateSchedule(spec)
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        lrkit.keras.LearningRateSchedule(lrkit.parse(spec))
