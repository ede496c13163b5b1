"""TensorFlow: tf.Tensor steps (eager, tf.function, XLA) and lrkit.keras on the TF backend.

Not collected by a plain ``pytest`` run (the name does not start with ``test_``):
tests/test_tensorflow.py runs this file, together with tests/test_keras.py, in one
subprocess with ``KERAS_BACKEND=tensorflow`` (Keras picks its backend at first import,
and the main test run uses JAX).
"""

from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

import lrkit  # noqa: E402
import lrkit.keras  # noqa: E402

from .test_keras import SCHEDULES  # noqa: E402

pytestmark = pytest.mark.skipif(keras.backend.backend() != "tensorflow",
                                reason="needs KERAS_BACKEND=tensorflow (run by test_tensorflow.py)")
KS = keras.optimizers.schedules
N = 512

CASES = [pytest.param(s, id=repr(s)[:40])
         for s in [*SCHEDULES, lrkit.noise(lrkit.cosine(300, end=0.1), 0.2, seed=11),
                   lrkit.tanh(300, end=0.01), lrkit.cosine(300, end=0.1, k_decay=2.0)]]


# -- tf.Tensor steps -------------------------------------------------------------------------
@pytest.mark.parametrize("s", CASES)
def test_tf_tensor_steps_eager(s):
    """Integer steps evaluate in float64 (as NumPy and torch on the CPU), float32 steps in
    float32; a tf.Tensor comes out and equals lrkit's float64 values."""
    ref = np.array(s.values(N))
    scale = max(float(np.abs(ref).max()), 1e-30)
    out = s(tf.range(N, dtype=tf.int64))
    assert isinstance(out, tf.Tensor) and out.dtype == tf.float64 and out.shape == (N,)
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-12, atol=1e-15 * scale)
    out32 = s(tf.range(N, dtype=tf.float32))
    assert out32.dtype == tf.float32
    np.testing.assert_allclose(out32.numpy(), ref, rtol=2e-5, atol=2e-6 * scale)
    # a variable (Keras's and TF's optimizers count in one)
    assert float(s(tf.Variable(37, dtype=tf.int64))) == pytest.approx(s(37), rel=1e-12, abs=1e-15)


TRACE_CASES = [
    lrkit.warmup(lrkit.restarts(lrkit.cosine(30, end=0.1), 30, mult=2), 10),
    lrkit.join([lrkit.linear(10, 0, 1), lrkit.constant(1), lrkit.cosine(100)], [10, 50]),
    lrkit.wsd(300, 30, 60, shape="1-sqrt", end=0.1) * lrkit.cyclic(0.5, 1.0, 15),
    lrkit.onecycle(200, three_phase=True), lrkit.piecewise([0, 20, 80], [1.0, 0.5, 0.2, 0.1]),
    lrkit.noise(lrkit.inverse_sqrt(30), 0.1, seed=3),
]


@pytest.mark.parametrize("how", ["autograph=False", "jit_compile=True"])
@pytest.mark.parametrize("s", TRACE_CASES, ids=lambda s: repr(s)[:40])
def test_tf_function_traces_once(s, how):
    """Inside tf.function (without AutoGraph, so a Python `if` on a value would raise) and
    under XLA: one trace for every step, a tensor out, the schedule's values."""
    traces = []
    kw = {"autograph": False} if how == "autograph=False" else {"jit_compile": True}

    @tf.function(**kw)
    def f(step):
        traces.append(1)
        return s(step)

    for step in range(0, 400, 13):
        out = f(tf.constant(step, tf.int64))
        assert isinstance(out, tf.Tensor) and out.dtype == tf.float64
        assert float(out) == pytest.approx(s(step), rel=1e-12, abs=1e-15)
    assert len(traces) == 1
    counter = tf.Variable(0, dtype=tf.int64)  # an optimizer's iteration counter, read in graph

    @tf.function(**kw)
    def g():
        traces.append(2)
        return s(counter)

    for step in (0, 5, 29, 30, 31, 250):
        counter.assign(step)
        assert float(g()) == pytest.approx(s(step), rel=1e-12, abs=1e-15)
    assert traces.count(2) == 1


def test_tf_step_validation():
    s = lrkit.cosine(10)
    with pytest.raises(ValueError, match="step must be >= 0"):
        s(tf.constant([1, -1]))
    with pytest.raises(ValueError, match="finite"):
        s(tf.constant([1.0, float("nan")]))
    with pytest.raises(TypeError, match="bool"):
        s(tf.constant([True]))
    # in a graph, values are unknown: negative steps clamp to 0 (as JAX tracers, device tensors)
    assert float(tf.function(s, autograph=False)(tf.constant(-3))) == 1.0


# -- lrkit.keras on the TF backend ---------------------------------------------------------------
def test_keras_tf_fit_save_load_continue(tmp_path):
    """model.fit, save .keras, load, fit again: at every step the learning rate the compiled
    train step used is the schedule's value in float32.  SGD on |w − 1000| with x = 1 moves w
    by exactly +lr per step, so each weight change is the lr the step used."""
    s = lrkit.warmup(lrkit.cosine("rest", start=0.5, end=0.01), "20%")
    total = 24
    lr = lrkit.keras.LearningRateSchedule(s, total_steps=total)
    sr = s.resolve(total)
    model = keras.Sequential([keras.Input((1,)),
                              keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr), loss="mae")
    x = np.ones((12, 1), "float32")
    y = np.full((12, 1), 1000.0, "float32")

    class Record(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.w, self.steps = [], []

        def on_train_batch_end(self, batch, logs=None):
            self.steps.append(int(self.model.optimizer.iterations.numpy()))
            self.w.append(np.float32(self.model.layers[0].kernel.numpy().ravel()[0]))

    rec = Record()
    model.fit(x, y, batch_size=1, epochs=1, verbose=0, callbacks=[rec])  # steps 0..11
    assert rec.steps == list(range(1, 13))
    expected = np.array([sr(i) for i in range(total)], dtype=np.float32)
    # w_i = fl32(w_{i-1} + lr_i): recompute with the expected float32 lrs, bit for bit
    np.testing.assert_array_equal(rec.w, np.cumsum(expected[:12], dtype=np.float32))
    assert keras.backend.standardize_dtype(model.optimizer.learning_rate.dtype) == "float32"

    path = tmp_path / "tf.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    opt = loaded.optimizer
    assert isinstance(opt._learning_rate, lrkit.keras.LearningRateSchedule)
    assert opt._learning_rate.schedule == sr and int(opt.iterations.numpy()) == 12
    rec2 = Record()
    loaded.fit(x, y, batch_size=1, epochs=1, verbose=0, callbacks=[rec2])  # steps 12..23
    assert rec2.steps == list(range(13, 25))
    w = [rec.w[-1]]
    for v in expected[12:]:
        w.append(np.float32(w[-1] + v))
    np.testing.assert_array_equal(rec2.w, w[1:])


def test_keras_tf_dtypes_follow_keras():
    """Keras's schedules return the dtype of their initial lr: float32 for a Python float
    (the adapter's default), float64 for a NumPy float64 (the adapter's dtype='float64').
    Values agree to float32 precision only, in float64 too: Keras casts its other Python-float
    arguments (decay_rate, end_learning_rate) through float32 (0.9 -> 0.8999999762)."""
    step = keras.ops.convert_to_tensor(37, "int64")
    pairs = [(KS.ExponentialDecay, dict(decay_steps=10, decay_rate=0.9),
              lambda a: lrkit.exponential(0.9, start=a, every=10)),
             (KS.InverseTimeDecay, dict(decay_steps=7, decay_rate=0.3),
              lambda a: lrkit.inverse_time(0.3, every=7, start=a)),
             (KS.PolynomialDecay, dict(decay_steps=60, end_learning_rate=0.01, power=2.0),
              lambda a: lrkit.polynomial(60, start=a, end=0.01, power=2.0))]
    for cls, kw, ours in pairs:
        for init, dtype in ((0.1, None), (np.float64(0.1), "float64"), (np.float32(0.1), "float32")):
            theirs = cls(init, **kw)(step)
            mine = lrkit.keras.LearningRateSchedule(ours(float(init)), dtype=dtype)(step)
            assert mine.dtype == theirs.dtype, (cls.__name__, init, mine.dtype, theirs.dtype)
            assert float(mine) == pytest.approx(float(theirs), rel=1e-6)
    with pytest.raises(ValueError, match="dtype"):
        lrkit.keras.LearningRateSchedule(lrkit.constant(), dtype="int32")

