"""Hugging Face ``transformers`` schedules as lrkit schedules.

``from_transformers(name, num_warmup_steps=..., num_training_steps=..., **kwargs)``
returns the lrkit :class:`~lrkit.Schedule` whose values are the *multipliers*
that transformers' ``get_scheduler(name, optimizer, ...)`` applies to the
optimizer's learning rate (transformers builds a ``LambdaLR``; use the result
as a factor: lrkit's schedulers' default, ``relative=None``, a checked factor).  Every step is
covered, including the steps past ``num_training_steps``, where some of
transformers' schedules keep moving (its ``cosine`` swings back up, which
:func:`lrkit.pingpong` reproduces).

With w = num_warmup_steps, T = num_training_steps, W = max(1, w), P = max(1, T − w),
the multipliers, for t < w the ramp t/W unless said otherwise, are:

* ``constant``: 1.  ``constant_with_warmup``: 1 after the ramp.
* ``linear``: max(0, (T − t)/P).
* ``cosine``: ½(1 + cos(2π·c·(t − w)/P)), c = ``num_cycles`` (default ½).
* ``cosine_with_restarts``: ½(1 + cos(π·frac(c·(t − w)/P))) while (t − w)/P < 1, then 0
  (c = ``num_cycles``, default 1).
* ``polynomial``: (lr_end + (lr₀ − lr_end)·(1 − (t − w)/(T − w))^power)/lr₀ up to T, then
  lr_end/lr₀.  ``lr_end`` (default 1e-7) is an absolute learning rate and lr₀ the
  optimizer's lr, so this one needs ``base_lr=lr₀`` (``TrainingArguments.learning_rate``).
* ``inverse_sqrt``: 1/√((t + τ − w)/τ), τ = ``timescale`` (default w, or 10 000 when w = 0).
* ``cosine_with_min_lr``: r + (1 − r)·½(1 + cos(2π·c·(t − w)/P)), r = ``min_lr_rate`` or
  ``min_lr``/``base_lr``.
* ``cosine_warmup_with_min_lr``: ramp (t + 1)/W, or ρ + (1 − ρ)·t/max(1, w − 1) with
  ρ = ``warmup_lr_rate``; then r + (1 − r)·½(1 + cos(2π·c·(t − w + 1)/P)).
* ``warmup_stable_decay``: ``lrkit.wsd`` with ``end`` = ``min_lr_ratio`` (warmup ``warmup_type``,
  stable, decay ``decay_type`` over ``num_decay_steps``, then ``min_lr_ratio``).
* ``reduce_lr_on_plateau`` and ``greedy`` depend on a metric, not on the step: see
  :func:`lrkit.plateau`.

To train with any lrkit schedule, hand the Trainer an :class:`lrkit.torch.Scheduler`
(``Trainer(..., optimizers=(optimizer, scheduler))``), or, to have fractions of
the run (``'5%'``, ``'rest'``, a config's ``total: auto``) resolved with the
Trainer's own ``max_steps``, mix :class:`ScheduleTrainerMixin` into the Trainer.

Where transformers' own formula rounds differently from lrkit's (the cosine is
evaluated here as sin², which has no cancellation near its end), values agree
to within a few units of 1e-16 of the peak multiplier; the test suite checks
every step of random configurations against transformers itself.
"""

from __future__ import annotations

from typing import Any

from . import _validate as v
from .combinators import join, pingpong, restarts, shift, warmup
from .schedule import Schedule
from .shapes import constant, cosine, inverse_sqrt, linear, polynomial, wsd

__all__ = ["from_transformers", "TRANSFORMERS_SCHEDULES", "ScheduleTrainerMixin"]

#: the ``transformers.SchedulerType`` names that ``from_transformers`` converts
TRANSFORMERS_SCHEDULES = (
    "linear", "cosine", "cosine_with_restarts", "polynomial", "constant", "constant_with_warmup",
    "inverse_sqrt", "cosine_with_min_lr", "cosine_warmup_with_min_lr", "warmup_stable_decay",
)
_METRIC_DRIVEN = ("reduce_lr_on_plateau", "greedy")

# keyword arguments each schedule accepts (besides num_warmup_steps / num_training_steps)
_KWARGS: dict[str, tuple[str, ...]] = {
    "linear": (),
    "cosine": ("num_cycles",),
    "cosine_with_restarts": ("num_cycles",),
    "polynomial": ("lr_end", "power"),
    "constant": (),
    "constant_with_warmup": (),
    "inverse_sqrt": ("timescale",),
    "cosine_with_min_lr": ("num_cycles", "min_lr", "min_lr_rate"),
    "cosine_warmup_with_min_lr": ("num_cycles", "min_lr", "min_lr_rate", "warmup_lr_rate"),
    "warmup_stable_decay": ("num_decay_steps", "num_stable_steps", "warmup_type", "decay_type",
                            "min_lr_ratio", "num_cycles"),
}


def from_transformers(name: Any, *, num_warmup_steps: int | None = None,
                      num_training_steps: int | None = None, base_lr: float | None = None,
                      **scheduler_specific_kwargs: Any) -> Schedule:
    """The lrkit schedule equal to ``transformers.get_scheduler(name, ...)``'s multipliers.

    ``name`` is a ``transformers.SchedulerType`` or its string value; the
    keyword arguments are those of ``get_scheduler`` (``num_warmup_steps``,
    ``num_training_steps``) and its ``scheduler_specific_kwargs`` (for example
    ``num_cycles``, ``lr_end``, ``power``, ``min_lr_rate``).  ``base_lr`` is the
    optimizer's learning rate, needed only where transformers mixes in an
    absolute learning rate (``polynomial``'s ``lr_end``, ``min_lr``).

        >>> import lrkit.hf
        >>> lrkit.hf.from_transformers("cosine", num_warmup_steps=100, num_training_steps=1000)
        warmup(pingpong(cosine(900)), 100)
    """
    kind = _name(name)
    allowed = _KWARGS[kind]
    for key in scheduler_specific_kwargs:
        if key not in allowed:
            raise TypeError(
                f"{kind} does not take {key!r}; its scheduler_specific_kwargs are "
                f"{', '.join(allowed) or 'none'}"
            )
    kw = scheduler_specific_kwargs
    if kind == "constant":
        return constant(1.0)
    w = _steps("num_warmup_steps", num_warmup_steps, kind)
    if kind == "constant_with_warmup":
        return _ramp(constant(1.0), w)
    if kind == "inverse_sqrt":
        return _inverse_sqrt(w, kw.get("timescale"))
    if kind == "warmup_stable_decay":
        return _wsd(w, num_training_steps, **kw)
    T = _steps("num_training_steps", num_training_steps, kind)
    P = max(1, T - w)
    if kind == "linear":
        # (T − t)/(T − w) is polynomial's remaining fraction, computed the same way
        return _after(w, polynomial(T - w) if T > w else constant(0.0))
    if kind == "cosine":
        return _ramp(_wave(P, _cycles(kw.get("num_cycles", 0.5)), 0.0), w)
    if kind == "cosine_with_restarts":
        return _ramp(_hard_restarts(P, _cycles(kw.get("num_cycles", 1))), w)
    if kind == "polynomial":
        return _polynomial(w, T, kw.get("lr_end", 1e-7), kw.get("power", 1.0), base_lr)
    rate = _min_lr_rate(kw.get("min_lr"), kw.get("min_lr_rate"), base_lr)
    c = _cycles(kw.get("num_cycles", 0.5))
    if kind == "cosine_with_min_lr":
        return _ramp(_wave(P, c, rate), w)
    # cosine_warmup_with_min_lr: the ramp and the decay both run one step ahead
    decay = shift(_wave(P, c, rate), -1)
    if w == 0:
        return decay
    wr = kw.get("warmup_lr_rate")
    if wr is None:
        ramp: Schedule = shift(linear(w, start=0.0, end=1.0), -1)  # (t + 1)/w
    else:
        wr = v.real("warmup_lr_rate", wr)
        ramp = linear(max(1, w - 1), start=wr, end=1.0)  # ρ + (1 − ρ)·t/max(1, w − 1)
    return join([ramp, decay], [w])


# -- the pieces -----------------------------------------------------------------

def _name(name: Any) -> str:
    value = getattr(name, "value", name)
    if not isinstance(value, str):
        raise TypeError(f"name must be a transformers SchedulerType or its name, not {type(name).__name__}")
    if value in _METRIC_DRIVEN:
        raise ValueError(
            f"transformers' {value!r} depends on a metric, not on the step, so it is not a "
            "schedule; use lrkit.plateau(...) (fed by scheduler.report(metric)), which composes "
            "with any schedule"
        )
    if value not in _KWARGS:
        known = ", ".join(TRANSFORMERS_SCHEDULES)
        raise ValueError(f"unknown transformers scheduler {value!r}; known: {known}")
    return value


def _steps(arg: str, value: Any, kind: str) -> int:
    if value is None:
        raise ValueError(f"{kind} requires `{arg}`")
    return v.integer(arg, value, low=0)


def _cycles(c: Any) -> float:
    return v.real("num_cycles", c, low=0.0)


def _ramp(body: Schedule, w: int) -> Schedule:
    """t/w for t < w (the warmup every transformers schedule shares), then body(t − w)."""
    return warmup(body, w) if w > 0 else body


def _after(w: int, body: Schedule) -> Schedule:
    """The ramp t/w, then ``body``, even where body(0) is not 1."""
    if w == 0:
        return body
    if body(0) == 1.0:
        return warmup(body, w)
    return join([linear(w, start=0.0, end=1.0), body], [w])


def _wave(P: int, c: float, rate: float) -> Schedule:
    """r + (1 − r)·½(1 + cos(2π·c·x/P)) for every x >= 0: a half cosine of P/(2c) steps, back and forth."""
    if c == 0:
        return constant(1.0)
    return pingpong(cosine(_exact(P / (2 * c)), start=1.0, end=rate))


def _hard_restarts(P: int, c: float) -> Schedule:
    """½(1 + cos(π·frac(c·x/P))) while x < P, then 0."""
    if c == 0:
        return join([constant(1.0), constant(0.0)], [P])
    period = _exact(P / c)
    if c == int(c):
        return restarts(cosine(period), period, limit=int(c))
    return join([restarts(cosine(period), period), constant(0.0)], [P])


def _exact(x: float) -> int | float:
    return int(x) if x == int(x) else x


def _polynomial(w: int, T: int, lr_end: Any, power: Any, base_lr: Any) -> Schedule:
    lr_end = v.real("lr_end", lr_end)
    power = v.real("power", power)
    if power <= 0:
        raise ValueError(f"power must be > 0, got {power!r}")
    if base_lr is None:
        raise ValueError(
            "transformers' polynomial schedule ends at lr_end (default 1e-7), an absolute learning "
            "rate divided by the optimizer's lr; pass base_lr=<the optimizer's lr, i.e. "
            "TrainingArguments.learning_rate>"
        )
    lr0 = v.real("base_lr", base_lr)
    if not lr0 > lr_end:
        raise ValueError(f"lr_end ({lr_end}) must be smaller than base_lr ({lr0})")
    end = lr_end / lr0
    if T <= w:
        return _after(w, constant(end))
    return _after(w, polynomial(T - w, start=1.0, end=end, power=power))


def _min_lr_rate(min_lr: Any, min_lr_rate: Any, base_lr: Any) -> float:
    if min_lr is not None and min_lr_rate is not None:
        raise ValueError("give only one of min_lr or min_lr_rate")
    if min_lr is not None:
        if base_lr is None:
            raise ValueError("min_lr is an absolute learning rate: pass base_lr=<the optimizer's lr> "
                             "too, or give min_lr_rate instead")
        rate = v.real("min_lr", min_lr) / v.real("base_lr", base_lr)
    elif min_lr_rate is not None:
        rate = v.real("min_lr_rate", min_lr_rate)
    else:
        raise ValueError("one of min_lr or min_lr_rate is required")
    if rate < 0:
        raise ValueError(f"the minimum lr must be >= 0, got a rate of {rate!r}")
    return rate


def _inverse_sqrt(w: int, timescale: Any) -> Schedule:
    ts = (w or 10_000) if timescale is None else _steps("timescale", timescale, "inverse_sqrt")
    if ts == 0:
        raise ValueError("timescale must be > 0")
    if w > 0:
        return inverse_sqrt(w, timescale=None if ts == w else ts)
    # no warmup: 1/√((t + τ)/τ) = inverse_sqrt(1, timescale=τ) one step ahead
    return shift(inverse_sqrt(1, timescale=ts), -1)


def _wsd(w: int, num_training_steps: Any, *, num_decay_steps: Any = None, num_stable_steps: Any = None,
         warmup_type: str = "linear", decay_type: str = "cosine", min_lr_ratio: Any = 0.0,
         num_cycles: Any = 0.5) -> Schedule:
    D = _steps("num_decay_steps", num_decay_steps, "warmup_stable_decay")
    if num_stable_steps is not None:
        S = _steps("num_stable_steps", num_stable_steps, "warmup_stable_decay")
    elif num_training_steps is not None:
        T = _steps("num_training_steps", num_training_steps, "warmup_stable_decay")
        S = T - w - D
        if S < 0:
            raise ValueError(
                f"num_warmup_steps ({w}) + num_decay_steps ({D}) must be <= num_training_steps ({T})"
            )
    else:
        raise ValueError("warmup_stable_decay requires num_training_steps or num_stable_steps")
    r = v.real("min_lr_ratio", min_lr_ratio, low=0.0)
    c = _cycles(num_cycles)
    for arg, value in (("warmup_type", warmup_type), ("decay_type", decay_type)):
        if value not in ("linear", "cosine", "1-sqrt"):
            raise ValueError(f"{arg} must be 'linear', 'cosine' or '1-sqrt', got {value!r}")
    n = w + S + D
    if n == 0:
        return constant(r)
    if decay_type != "cosine" or c == 0.5 or D == 0:
        return wsd(n, w, D, end=r, shape=decay_type, warmup_shape=warmup_type)
    # a cosine decay of num_cycles != ½ waves: warmup and stable from wsd, then the wave
    pieces: list[Schedule] = []
    bounds: list[int] = []
    if w + S > 0:
        pieces.append(wsd(w + S, w, 0, end=r, warmup_shape=warmup_type))
        bounds.append(w + S)
    pieces += [_wave(D, c, r), constant(r)]
    bounds.append(w + S + D)
    return join(pieces, bounds)


class ScheduleTrainerMixin:
    """Mix into ``transformers.Trainer`` to drive it with an lrkit schedule::

        class Trainer(lrkit.hf.ScheduleTrainerMixin, transformers.Trainer):
            pass

        trainer = Trainer(model=..., args=..., train_dataset=...,
                          lr_schedule="warmup(cosine('rest', end=0.1), '5%')")

    ``lr_schedule`` is a Schedule, its text or config, or a
    :class:`lrkit.config.ScheduleConfig`; fractions of the run are resolved with
    the ``num_training_steps`` the Trainer computes (``max_steps``: optimizer
    updates, after gradient accumulation).  The Trainer steps the scheduler once
    per optimizer update, saves its (JSON-able) state in each checkpoint and
    restores it on ``train(resume_from_checkpoint=...)``.  ``scheduler_kwargs`` go
    to :class:`lrkit.torch.Scheduler`.  Without ``lr_schedule`` the Trainer
    behaves as usual.  (This class does not import transformers.)

    A token clock: ``scheduler_kwargs={"unit": "tokens", "total_tokens": N}`` (``total_tokens``
    where the schedule has fractions of the run).  The position is then the Trainer's own
    count, ``state.num_input_tokens_seen`` (turn it on with
    ``TrainingArguments(include_num_input_tokens_seen=True)`` or ``"non_padding"``): the tokens
    of the model's main input, gathered over all processes, counted per micro-batch; after
    each optimizer update the scheduler moves to that count, so the update after n tokens
    uses schedule(n).  A resumed run restores both, so it continues exactly.
    """

    optimizer: Any  # set by transformers.Trainer

    def __init__(self, *args: Any, lr_schedule: Any = None,
                 scheduler_kwargs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        self.lr_schedule = lr_schedule
        self.lr_scheduler_kwargs = dict(scheduler_kwargs or {})
        super().__init__(*args, **kwargs)

    def create_scheduler(self, num_training_steps: int, optimizer: Any = None) -> Any:
        if getattr(self, "lr_scheduler", None) is None and self.lr_schedule is not None:
            from .config import _driver_args
            from .torch import Scheduler

            kwargs = self.lr_scheduler_kwargs
            unit = kwargs.get("unit", "steps")
            if unit == "steps":
                schedule, options = _driver_args(self.lr_schedule, lambda: int(num_training_steps))
            else:
                schedule, options = _driver_args(self.lr_schedule, lambda: _total_tokens(kwargs))
            options.update(kwargs)
            opt = optimizer if optimizer is not None else self.optimizer
            if unit == "steps":
                self.lr_scheduler = Scheduler(opt, schedule, **options)
            else:
                self.lr_scheduler = _token_scheduler(self, unit)(opt, schedule, **options)
            self._created_lr_scheduler = True  # rebuilt (with the new max_steps) by a later train()
            return self.lr_scheduler
        return super().create_scheduler(num_training_steps, optimizer)  # type: ignore[misc]


def _total_tokens(kwargs: dict[str, Any]) -> int:
    total = kwargs.get("total_tokens")
    if total is None:
        raise ValueError("the schedule has fractions of the run: give scheduler_kwargs={'unit': 'tokens', "
                         "'total_tokens': N}")
    return int(total)


def _token_scheduler(trainer: Any, unit: str) -> Any:
    """An :class:`lrkit.torch.Scheduler` class whose ``step()`` moves to the Trainer's token count."""
    if unit != "tokens":
        raise ValueError(f"the Trainer counts tokens (state.num_input_tokens_seen), not {unit}: "
                         "use unit='tokens' or 'steps'")
    seen = getattr(trainer.args, "include_num_input_tokens_seen", "no")
    if seen in ("no", False, None):
        raise ValueError("a token clock follows the Trainer's state.num_input_tokens_seen: set "
                         "TrainingArguments(include_num_input_tokens_seen=True) (or 'non_padding')")
    from .torch import Scheduler

    class TrainerTokenScheduler(Scheduler):
        """lrkit.torch.Scheduler on a token clock whose position is ``trainer.state.num_input_tokens_seen``
        (the Trainer calls ``step()`` after each optimizer update)."""

        def step(self, epoch: Any = None, **kwargs: Any) -> None:
            if epoch is None and not kwargs:
                epoch = int(trainer.state.num_input_tokens_seen)
            super().step(epoch, **kwargs)

    return TrainerTokenScheduler
