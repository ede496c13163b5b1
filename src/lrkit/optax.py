"""Optax adapter: an lrkit schedule as an Optax schedule (``count -> value``).

    >>> import optax, lrkit, lrkit.optax
    >>> s = lrkit.warmup(lrkit.cosine(900, start=3e-4, end=3e-5), 100)
    >>> opt = optax.adamw(learning_rate=lrkit.optax.schedule(s))

The returned function evaluates the schedule with ``jax.numpy`` on the step
count Optax passes in (an ``int32`` array, a tracer under ``jax.jit``); it
traces once, so a jitted training step is compiled once, not once per step.
Values are float32 (float64 when ``jax_enable_x64`` is on), as Optax's own
schedules; float32 holds every integer step exactly up to 2**24 (16.7M).
The adapter is a plain callable object: ``jax.jit(lrkit.optax.schedule(s))``,
``optax.inject_hyperparams`` and ``optax.contrib.reduce_on_plateau`` (chained
after the optimizer) take it as they take Optax's own schedules.

Durations of 2**31 steps or more work on Optax's int32 counts without
``jax_enable_x64``: as Optax does for its own schedules, such integers are
evaluated as Python floats (JAX cannot convert them to its default int32).

A ``plateau(...)`` node is refused: its state would have to live in the Optax
state.  Use ``optax.contrib.reduce_on_plateau`` chained after the optimizer
(it scales the updates, i.e. multiplies the learning rate; see the README).

:func:`hyperparams` schedules *any* hyperparameter of an Optax optimizer
(``b1``, ``weight_decay``, ...) through ``optax.inject_hyperparams``; the
values used at each update are then readable in ``state.hyperparams``.

JAX and Optax are imported on first use, never by ``import lrkit``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .plateau import has_plateau
from .schedule import Schedule
from .spec import as_schedule

__all__ = ["schedule", "hyperparams", "OptaxSchedule"]


def _concrete(s: Any, total_steps: int | None, name: str) -> Schedule:
    """``s`` as a resolved lrkit Schedule (fractions of the run resolved with total_steps)."""
    out = as_schedule(s, total_steps=total_steps, where=name)
    if has_plateau(out):
        raise ValueError(
            f"{name}: {out!r} contains a plateau(...) node, which needs a metric and state that "
            "an Optax schedule (a pure function of the update count) does not have; drop it and "
            "chain optax.contrib.reduce_on_plateau(...) after the optimizer instead, e.g. "
            "optax.chain(optax.adamw(lrkit.optax.schedule(s)), optax.contrib.reduce_on_plateau("
            "patience=..., factor=...)), and pass the loss to update(..., value=loss)"
        )
    return out


_INT32 = (-(2**31), 2**31 - 1)


def _jax_safe(x: Any, memo: dict[int, Any]) -> Any:
    """``x`` with every Python int outside int32 replaced by the equal float (a copy of each
    schedule node that holds one; others are shared).  JAX without x64 cannot convert such an
    int next to an int32 or float32 array (OverflowError); Optax's schedules do the same."""
    if isinstance(x, Schedule):
        key = id(x)
        if key not in memo:
            d = vars(x)
            new = {k: v if k in _KEEP else _jax_safe(v, memo) for k, v in d.items()}
            if all(new[k] is d[k] for k in d):
                memo[key] = x
            else:
                copy = object.__new__(type(x))
                copy.__dict__.update(new)
                copy.__dict__["_fn"] = None
                memo[key] = copy
        return memo[key]
    if type(x) is int:
        return float(x) if not _INT32[0] <= x <= _INT32[1] else x
    if isinstance(x, (tuple, list)):
        items = [_jax_safe(y, memo) for y in x]
        if all(a is b for a, b in zip(items, x)):
            return x
        return type(x)(items)
    return x


# the frozen constructor arguments (repr, equality, configs) and hash keys stay as they are
_KEEP = frozenset({"_args", "_fn", "_hash", "seed"})


class OptaxSchedule:
    """An Optax schedule (a callable ``count -> value``) backed by an lrkit schedule.

    ``value = schedule(count)`` evaluated with ``jax.numpy``, as a float32 array
    (float64 under ``jax_enable_x64``).  ``.schedule`` is the lrkit schedule.
    """

    __slots__ = ("schedule", "_jax", "__weakref__")  # jax.jit keeps a weak reference to it

    def __init__(self, schedule: Schedule) -> None:
        self.schedule = schedule
        self._jax: Schedule = _jax_safe(schedule, {})

    def __call__(self, count: Any) -> Any:
        import jax.numpy as jnp

        value = self._jax(jnp.asarray(count))
        return value.astype(jnp.result_type(float))

    def __repr__(self) -> str:
        return f"lrkit.optax.schedule({self.schedule!r})"


def schedule(s: Schedule, *, total_steps: int | None = None) -> OptaxSchedule:
    """An Optax schedule ``count -> s(count)``, usable wherever Optax takes a schedule.

    ``total_steps`` resolves a schedule whose durations are fractions of the run
    (``'5%'``, ``'rest'``); such a schedule without it is a ``ValueError``.
    """
    return OptaxSchedule(_concrete(s, total_steps, "schedule"))


def hyperparams(optimizer: Callable[..., Any], /, *, total_steps: int | None = None,
                static_args: str | tuple[str, ...] = (), hyperparam_dtype: Any = None,
                **values: Any) -> Any:
    """``optax.inject_hyperparams(optimizer)(**values)`` with lrkit schedules turned into
    Optax schedules.

    ``optimizer`` is an Optax optimizer factory (``optax.adamw``, ``optax.sgd``, ...);
    each keyword is one of its arguments: an lrkit Schedule (evaluated at the update
    count), a number, or anything ``inject_hyperparams`` accepts.  The values used at
    each update are in ``state.hyperparams[name]``::

        opt = lrkit.optax.hyperparams(
            optax.adamw,
            learning_rate=lrkit.warmup(lrkit.cosine("rest", start=1e-3), "5%"),
            b1=lrkit.linear(1000, start=0.85, end=0.95),
            weight_decay=1e-4,
            total_steps=10_000,
        )
    """
    import optax

    if not callable(optimizer):
        raise TypeError(f"optimizer must be an Optax optimizer factory such as optax.adamw, "
                        f"not {type(optimizer).__name__}")
    converted = {
        k: OptaxSchedule(_concrete(v, total_steps, k)) if isinstance(v, Schedule) else v
        for k, v in values.items()
    }
    kwargs: dict[str, Any] = {"static_args": static_args}
    if hyperparam_dtype is not None:
        kwargs["hyperparam_dtype"] = hyperparam_dtype
    return optax.inject_hyperparams(optimizer, **kwargs)(**converted)
