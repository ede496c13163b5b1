"""A run's learning rates as the laws see them: per-step lrs, their prefix sums and drops.

Conventions shared by both laws (steps are lrkit's: 0, 1, ..., T-1; ``η_t`` is the lr at step t):

- ``S(t) = Σ_{τ≤t} η_τ``: the area under the lr curve up to step t, warmup included
  (the multi-power paper's ``S1(t) + S_W``; the annealing paper's ``S1``);
- the warmup is the steps before the first step at the peak lr, ``w = argmax η``; lr *drops*
  ``d_k = η_{k-1} − η_k`` count from step ``w + 1`` on (a rising warmup is not an annealing);
- steps where the lr does not change have ``d_k = 0`` exactly and are left out of every sum
  over drops, which changes no number (this is what makes a WSD or step schedule cheap).
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..schedule import Schedule

__all__ = ["Trace", "Run", "lr_array", "step_array", "MAX_RUN_STEPS"]

#: the longest run a law evaluates (lrs of every step are held in memory)
MAX_RUN_STEPS = 50_000_000


def step_array(steps: Any, name: str = "steps") -> np.ndarray:
    """``steps`` as a 1-D int64 array of non-negative, strictly increasing steps."""
    if isinstance(steps, (str, bytes)) or isinstance(steps, numbers.Number):
        raise TypeError(f"{name} must be a 1-D sequence of steps, got {type(steps).__name__}")
    try:
        a = np.asarray(steps)
    except Exception as e:  # ragged lists and the like
        raise TypeError(f"{name} must be a 1-D sequence of integer steps: {e}") from None
    if a.ndim != 1 or a.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D sequence of steps, got shape {a.shape}")
    if a.dtype.kind == "f":
        if not np.all(np.isfinite(a)) or np.any(a != np.round(a)):
            raise ValueError(f"{name} must be whole numbers, got {a[~(np.isfinite(a) & (a == np.round(a)))][0]!r}")
    elif a.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integers, got dtype {a.dtype}")
    a = a.astype(np.int64)
    if a[0] < 0:
        raise ValueError(f"{name} must be >= 0, got {int(a[0])}")
    if np.any(np.diff(a) <= 0):
        i = int(np.flatnonzero(np.diff(a) <= 0)[0])
        raise ValueError(f"{name} must be strictly increasing, got {int(a[i])} then {int(a[i + 1])}")
    if a[-1] >= MAX_RUN_STEPS:
        raise ValueError(f"{name} must be < {MAX_RUN_STEPS}, got {int(a[-1])}")
    return a


def lr_array(lrs: Any, length: int | None = None, name: str = "lrs") -> np.ndarray:
    """The absolute lr of every step ``0..T-1`` as float64: from an lrkit Schedule (evaluated at
    ``0..length-1``) or from a 1-D sequence (its own length; at least ``length`` if given)."""
    if isinstance(lrs, Schedule):
        if length is None:
            raise ValueError(f"{name} is a schedule: give the steps to evaluate it at")
        s = lrs if lrs.resolved else lrs.resolve(length)
        a = np.asarray(s(np.arange(length, dtype=np.int64)), dtype=np.float64)
        a = np.broadcast_to(a, (length,)).copy()
    else:
        if isinstance(lrs, (str, bytes)) or isinstance(lrs, numbers.Number):
            raise TypeError(f"{name} must be an lrkit Schedule or a 1-D sequence of lrs, "
                            f"got {type(lrs).__name__}")
        try:
            a = np.asarray(lrs, dtype=np.float64)
        except (TypeError, ValueError) as e:
            raise TypeError(f"{name} must be an lrkit Schedule or a 1-D sequence of numbers: {e}") from None
        if a.ndim != 1 or a.size == 0:
            raise ValueError(f"{name} must be a non-empty 1-D sequence (the lr of every step), got shape {a.shape}")
        if length is not None and a.size < length:
            raise ValueError(f"{name} has the lr of {a.size} steps (0..{a.size - 1}), but step "
                             f"{length - 1} is asked for")
    bad = ~np.isfinite(a) | (a < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name} must be finite and >= 0 at every step, got {a[i]!r} at step {i}")
    if not a.max() > 0:
        raise ValueError(f"{name} is 0 at every step: a law needs some positive learning rate")
    return a


@dataclass(frozen=True, eq=False)
class Trace:
    """Per-step lrs ``eta`` with their prefix sums ``area[t] = S(t)`` and the drops after warmup.

    ``drop_steps`` are the steps k > warmup where ``η_{k-1} != η_k`` and ``drops`` the
    ``d_k = η_{k-1} − η_k`` there (negative for a rise).
    """

    eta: np.ndarray
    warmup: int
    area: np.ndarray = field(repr=False)
    drop_steps: np.ndarray = field(repr=False)
    drops: np.ndarray = field(repr=False)

    @classmethod
    def of(cls, eta: np.ndarray, warmup: int | None = None) -> Trace:
        eta = np.ascontiguousarray(eta, dtype=np.float64)
        w = int(np.argmax(eta)) if warmup is None else int(warmup)
        if not 0 <= w < eta.size:
            raise ValueError(f"warmup must be in 0..{eta.size - 1} (a step of the run), got {w}")
        d = np.zeros_like(eta)
        d[w + 1:] = eta[w:-1] - eta[w + 1:]
        k = np.flatnonzero(d)
        return cls(eta, w, np.cumsum(eta), k, d[k])

    def __len__(self) -> int:
        return int(self.eta.size)

    def scaled(self, factor: float) -> Trace:
        """The same run with every lr multiplied by ``factor`` (fits work in units of the peak)."""
        return Trace(self.eta * factor, self.warmup, self.area * factor, self.drop_steps, self.drops * factor)

    def check_steps(self, steps: np.ndarray, name: str = "steps") -> None:
        if steps[-1] >= self.eta.size:
            raise ValueError(f"{name} go up to {int(steps[-1])}, but the lrs cover steps 0..{self.eta.size - 1}")
        if not self.area[steps[0]] > 0:
            raise ValueError(f"{name} start at {int(steps[0])}, where no lr has been applied yet "
                             f"(the lr sum S is 0 there and a power law in S is infinite)")


def trace_of(lrs: Any, steps: np.ndarray, warmup: int | None = None, name: str = "lrs") -> Trace:
    """The :class:`Trace` of ``lrs`` (Schedule or per-step sequence) covering ``steps``."""
    length = int(steps[-1]) + 1
    eta = lr_array(lrs, length if isinstance(lrs, Schedule) else None, name)
    if eta.size < length:
        raise ValueError(f"{name} has the lr of {eta.size} steps (0..{eta.size - 1}), but step "
                         f"{length - 1} is asked for")
    return Trace.of(eta, warmup)


class Run:
    """One training run: its learning rates and its logged losses.

    ``lrs``: an lrkit Schedule of the *absolute* lr, or a 1-D sequence with the lr of every step
    ``0..T-1``; ``steps``, ``losses``: the logged points (any spacing, strictly increasing steps,
    finite positive losses).  ``warmup``: the step where the warmup ends (default: the first step
    at the peak lr); lr drops are counted after it.  ``name`` labels the run in reports.
    """

    def __init__(self, lrs: Schedule | Sequence[float] | np.ndarray, steps: Any, losses: Any, *,
                 warmup: int | None = None, name: str | None = None) -> None:
        self.steps = step_array(steps)
        try:
            y = np.asarray(losses, dtype=np.float64)
        except (TypeError, ValueError) as e:
            raise TypeError(f"losses must be a 1-D sequence of numbers: {e}") from None
        if y.ndim != 1 or y.size != self.steps.size:
            raise ValueError(f"losses must be 1-D with one loss per step: {self.steps.size} steps, "
                             f"got shape {y.shape}")
        bad = ~np.isfinite(y) | (y <= 0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"losses must be finite and > 0, got {y[i]!r} at step {int(self.steps[i])}")
        self.losses = y
        if warmup is not None and (isinstance(warmup, bool) or not isinstance(warmup, numbers.Integral)):
            raise TypeError(f"warmup must be an int step or None, got {warmup!r}")
        self.trace = trace_of(lrs, self.steps, warmup)
        self.trace.check_steps(self.steps)
        self.lrs = lrs
        self.name = name if name is not None else (repr(lrs) if isinstance(lrs, Schedule) else "run")

    def __repr__(self) -> str:
        return (f"Run({self.name!r}, {self.steps.size} points, steps {int(self.steps[0])}..{int(self.steps[-1])}, "
                f"loss {self.losses[-1]:.4g} at the end)")

    @property
    def peak(self) -> float:
        return float(self.trace.eta.max())

