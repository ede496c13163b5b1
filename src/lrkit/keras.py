"""Keras 3 adapter: an lrkit schedule as a Keras learning-rate schedule, and a
metric-driven plateau callback that composes with it.

    >>> import lrkit, lrkit.keras, keras
    >>> s = lrkit.warmup(lrkit.cosine(900, start=1e-3, end=1e-5), 100)
    >>> opt = keras.optimizers.AdamW(learning_rate=lrkit.keras.LearningRateSchedule(s))

The optimizer calls the schedule with its iteration counter (a backend
tensor, a tracer inside a compiled train step); the value is
``schedule(step) * scale`` as a tensor of the dtype Keras's own schedules
return for a Python-float initial learning rate (``keras.ops.convert_to_tensor(1.0)``:
float32, float64 under JAX with ``jax_enable_x64``), or of ``dtype`` when one is
given (as a Keras schedule built on a float64 initial learning rate).  Under the
JAX, torch and TensorFlow backends the schedule is evaluated natively
(``jax.numpy`` / ``torch`` / ``tf``, no host sync, traced once under ``jax.jit``
or ``tf.function``); under any other backend (OpenVINO) it is evaluated with
``keras.ops``.

Saving: ``get_config()`` is ``{"schedule": schedule.to_config()}`` (plus
``"scale"`` once a plateau has lowered it), and the class is registered with
Keras as ``"lrkit>LearningRateSchedule"``, so ``model.save(...)`` /
``keras.models.load_model(...)`` restore it without ``custom_objects``.  Keras
looks registered classes up in a table filled at import time and imports
modules by name only for its own packages, so the process that *loads* the
model must have run ``import lrkit.keras`` first (or pass
``custom_objects={"lrkit>LearningRateSchedule": lrkit.keras.LearningRateSchedule}``).

A schedule holding a ``plateau(...)`` node is refused (ValueError): a Keras schedule is a
function of the step only; the :class:`ReduceLROnPlateau` callback here is the plateau.

This module imports Keras; ``import lrkit`` does not.
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any

try:
    import keras
except ModuleNotFoundError as e:  # Keras is there but its configured backend is not
    if e.name in (None, "keras"):
        raise
    raise ImportError(
        f"importing keras failed: {e}. Keras 3 imports its backend on import; choose an "
        "installed one, e.g. KERAS_BACKEND=jax or KERAS_BACKEND=torch"
    ) from e

from . import _validate as v
from ._ops import _ArrayOps
from .plateau import PlateauState, has_plateau, plateau
from .schedule import Schedule
from .spec import as_schedule

__all__ = ["LearningRateSchedule", "ReduceLROnPlateau"]

_NATIVE_BACKENDS = ("jax", "torch", "tensorflow")


class _KerasOps:
    """``keras.ops`` as an array namespace; ``fmod`` (C remainder) is ``ops.mod`` there, the
    same for the non-negative steps schedules see."""

    def __getattr__(self, name: str) -> Any:
        return getattr(keras.ops, "mod" if name == "fmod" else name)


def _keras_ops_eval(schedule: Schedule, step: Any) -> Any:
    """Evaluate ``schedule`` with ``keras.ops`` (any Keras backend), in float64 where the
    backend has it (JAX only with x64)."""
    ops = keras.ops
    dtype = "float64"
    if keras.backend.backend() == "jax":
        dtype = keras.backend.standardize_dtype(ops.convert_to_tensor(1.0).dtype)
    t = ops.maximum(ops.cast(step, dtype), 0.0)
    try:
        return schedule._eval(t, _ArrayOps(_KerasOps(), t))
    except NotImplementedError:
        raise TypeError(
            f"{schedule!r} cannot be evaluated with keras.ops on the "
            f"{keras.backend.backend()!r} backend (noise needs the JAX, torch or TensorFlow backend)"
        ) from None


@keras.saving.register_keras_serializable(package="lrkit")
class LearningRateSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """A Keras 3 learning-rate schedule: ``lr(step) = schedule(step) * scale``.

    ``schedule`` is an lrkit Schedule (or its text form / config dict).  A schedule
    with durations given as fractions of the run (``'5%'``, ``'rest'``) needs
    ``total_steps`` (optimizer updates: ``epochs * steps_per_epoch``).  ``scale``
    (default 1) is the factor a :class:`ReduceLROnPlateau` callback lowers; it is
    saved with the model.

    ``dtype`` (default: what Keras makes of a Python float, float32 unless JAX runs
    with x64) is the dtype of the returned learning rate, as Keras's schedules return
    the dtype of their ``initial_learning_rate`` (``dtype="float64"`` = a float64 one).

    Steps are optimizer updates.  A Keras optimizer with ``gradient_accumulation_steps=k``
    calls its schedule with its micro-step counter; pass the same
    ``gradient_accumulation_steps=k`` here and the schedule sees ``step // k`` (updates).
    """

    def __init__(self, schedule: Any, *, total_steps: int | None = None,
                 scale: float = 1.0, gradient_accumulation_steps: int = 1,
                 dtype: str | None = None) -> None:
        super().__init__()
        s = as_schedule(schedule, total_steps=total_steps)
        if has_plateau(s):
            raise ValueError(
                f"schedule {s!r} contains a plateau(...) node, which needs a metric and state that a "
                "Keras schedule (a pure function of the step) does not have; schedule without it and "
                "add the lrkit.keras.ReduceLROnPlateau(...) callback to model.fit(callbacks=[...]) "
                "instead (it lowers this schedule's scale, saved with the model)"
            )
        k = gradient_accumulation_steps
        if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
            raise ValueError(f"gradient_accumulation_steps must be an integer >= 1, got {k!r}")
        self.schedule: Schedule = s
        self.scale: float = v.real("scale", scale, low=0.0)
        self.gradient_accumulation_steps: int = int(k)
        if dtype is not None:
            dtype = keras.backend.standardize_dtype(dtype)
            if dtype not in ("float16", "bfloat16", "float32", "float64"):
                raise ValueError(f"dtype must be a floating dtype such as 'float32' or 'float64', "
                                 f"got {dtype!r}")
        self.dtype: str | None = dtype

    def __call__(self, step: Any) -> Any:
        ops = keras.ops
        t = ops.convert_to_tensor(step)
        if self.gradient_accumulation_steps > 1:
            t = ops.floor_divide(t, self.gradient_accumulation_steps)
        backend = keras.backend.backend()
        if backend == "tensorflow":  # Keras's TF variables convert to themselves
            import tensorflow as tf

            t = tf.convert_to_tensor(t)
        if backend in _NATIVE_BACKENDS:
            value = self.schedule(t)
        else:
            value = _keras_ops_eval(self.schedule, t)
        if self.scale != 1.0:
            value = value * self.scale
        return ops.cast(value, self._dtype())

    def _dtype(self) -> str:
        """As Keras's schedules: the dtype of ``ops.convert_to_tensor(initial_learning_rate)``."""
        if self.dtype is None:
            return keras.backend.standardize_dtype(keras.ops.convert_to_tensor(1.0).dtype)
        if self.dtype == "float64" and keras.backend.backend() == "jax":
            import jax.numpy as jnp

            if jnp.result_type(float) != jnp.float64:  # no x64: Keras truncates, and so do we
                return "float32"
        return self.dtype

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"schedule": self.schedule.to_config()}
        if self.scale != 1.0:
            config["scale"] = self.scale
        if self.gradient_accumulation_steps != 1:
            config["gradient_accumulation_steps"] = self.gradient_accumulation_steps
        if self.dtype is not None:
            config["dtype"] = self.dtype
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LearningRateSchedule:
        return cls(config["schedule"], scale=config.get("scale", 1.0),
                   gradient_accumulation_steps=config.get("gradient_accumulation_steps", 1),
                   dtype=config.get("dtype"))

    def __repr__(self) -> str:
        extra = f", scale={self.scale!r}" if self.scale != 1.0 else ""
        if self.gradient_accumulation_steps != 1:
            extra += f", gradient_accumulation_steps={self.gradient_accumulation_steps}"
        if self.dtype is not None:
            extra += f", dtype={self.dtype!r}"
        return f"lrkit.keras.LearningRateSchedule({self.schedule!r}{extra})"


class ReduceLROnPlateau(keras.callbacks.Callback):
    """Lower the learning rate when a metric stops improving, on top of an lrkit schedule.

    Keras's own ``ReduceLROnPlateau`` cannot be used with a schedule (it assigns a
    float learning rate).  This one multiplies the model optimizer's
    :class:`LearningRateSchedule` by a scale: ``lr(step) = schedule(step) * scale``,
    and lowers the scale ``scale <- max(scale * factor, min_scale)`` (skipped when the
    change is below ``eps``) after ``patience`` epochs without improvement.

    The decision rule is torch's ``ReduceLROnPlateau`` exactly, with its parameter
    names and defaults: an epoch improves on ``best`` when, for ``mode="min"``,
    ``current < best * (1 - threshold)`` (``threshold_mode="rel"``) or
    ``current < best - threshold`` (``"abs"``); for ``mode="max"``
    ``current > best * (1 + threshold)`` or ``current > best + threshold``.  The
    scale is lowered when the number of bad epochs exceeds ``patience``; then
    ``cooldown`` epochs follow during which bad epochs are not counted.
    ``mode="auto"`` (Keras's) means "max" when the monitored name contains "acc".

    The scale lives in the schedule (saved with the model); a change is picked up
    by rebuilding Keras's compiled train function once (one recompilation per
    reduction, none per step).  The callback's own counters are in
    :meth:`state_dict` / :meth:`load_state_dict`.
    """

    def __init__(self, monitor: str = "val_loss", mode: str = "min", factor: float = 0.1,
                 patience: int = 10, threshold: float = 1e-4, threshold_mode: str = "rel",
                 cooldown: int = 0, min_scale: float = 0.0, eps: float = 1e-8,
                 verbose: int = 0) -> None:
        super().__init__()
        if not isinstance(monitor, str) or not monitor:
            raise TypeError(f"monitor must be the name of a logged metric, got {monitor!r}")
        if mode == "auto":
            mode = "max" if "acc" in monitor else "min"
        # the decision rule and its validation are lrkit.plateau's (torch's ReduceLROnPlateau)
        self.rule = plateau(mode=mode, factor=factor, patience=patience, threshold=threshold,
                            threshold_mode=threshold_mode, cooldown=cooldown,
                            min_scale=min_scale, eps=eps)
        self.state = PlateauState(self.rule)
        self.monitor = monitor
        self.verbose = verbose

    @property
    def mode(self) -> str:
        return self.rule.mode

    @property
    def best(self) -> float:
        return self.state.best

    @property
    def num_bad_epochs(self) -> int:
        return self.state.num_bad_epochs

    @property
    def cooldown_counter(self) -> int:
        return self.state.cooldown_counter

    def update(self, current: float, scale: float) -> float:
        """Record one epoch's metric; return the (possibly lowered) scale:
        max(scale·factor, min_scale) when a reduction is due and lowers it by more than eps."""
        rule = self.rule
        new = max(scale * rule.factor, rule.min_scale)
        lowered = self.state.report(float(current), reduce=lambda: scale - new > rule.eps)
        return new if lowered else scale

    # -- Keras hooks -------------------------------------------------------------------
    def _schedule(self) -> LearningRateSchedule:
        optimizer = getattr(self.model, "optimizer", None)
        lr = getattr(optimizer, "_learning_rate", None)
        if not isinstance(lr, LearningRateSchedule):
            raise TypeError(
                "lrkit.keras.ReduceLROnPlateau needs the model's optimizer to use an "
                "lrkit.keras.LearningRateSchedule as its learning_rate, got "
                f"{type(lr).__name__}; with a float learning rate use keras.callbacks."
                "ReduceLROnPlateau"
            )
        return lr

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self._schedule()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if logs is None:
            logs = {}
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                f"lrkit.keras.ReduceLROnPlateau: metric {self.monitor!r} is not in the logs "
                f"(available: {', '.join(sorted(logs)) or 'none'}); skipping this epoch",
                stacklevel=2,
            )
            return
        schedule = self._schedule()
        old = schedule.scale
        new = self.update(float(current), old)
        if new != old:
            schedule.scale = new
            # the scale is a constant of the compiled train step: rebuild it once
            self.model.make_train_function(force=True)
            if self.verbose:
                print(f"\nEpoch {epoch + 1}: lrkit.keras.ReduceLROnPlateau lowering the "
                      f"learning-rate scale to {new:.6g}.")
        logs["lr_scale"] = schedule.scale  # in the History, CSVLogger, TensorBoard...

    # -- resume ------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The counters (JSON-able); the scale itself is saved with the model's schedule."""
        return self.state.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.state.load_state_dict(state, where="state")
