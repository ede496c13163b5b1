"""PyTorch Lightning: an lrkit schedule stepped once per optimizer update.

In ``LightningModule.configure_optimizers``::

    def configure_optimizers(self):
        opt = torch.optim.AdamW(self.parameters(), lr=3e-4)
        return {"optimizer": opt,
                "lr_scheduler": lrkit.lightning.scheduler_config(
                    opt, "warmup(cosine('rest', end=0.01), '5%')", self.trainer)}

:func:`scheduler_config` builds an :class:`lrkit.torch.Scheduler` and returns
Lightning's scheduler dict with ``interval="step"``, ``frequency=1``: Lightning
then calls ``scheduler.step()`` after every optimizer update, so with
``accumulate_grad_batches=k`` the schedule advances once per k batches: steps
are optimizer updates, never micro-batches.  Fractions of the run (``'5%'``,
``'rest'``, a config's ``total: auto``) are resolved with
``trainer.estimated_stepping_batches``, Lightning's count of optimizer updates
for the whole fit (epochs, accumulation, devices and ``max_steps`` included).

A token (or sample) clock: ``scheduler_config(opt, schedule, trainer, unit="tokens",
total_tokens=N)`` advances on each real optimizer update by the tokens of its batches, which
:func:`token_counter` (a Lightning callback) counts: ``tokens`` is the number per batch or a
function of the batch, called for every batch (every micro-batch under gradient accumulation)::

    trainer = L.Trainer(..., callbacks=[lrkit.lightning.token_counter(lambda batch: batch["input_ids"].numel())])

With several devices, return the tokens of the update on all of them (e.g. the local count
times ``trainer.world_size``), so that every process keeps the same position.  The position
is in the scheduler's state, so a checkpoint resumes exactly.

This module does not import Lightning; ``lrkit.torch`` (torch) and Lightning are imported on use.
"""

from __future__ import annotations

import math
from typing import Any

from .config import _driver_args

__all__ = ["scheduler_config", "total_steps", "token_counter"]


def total_steps(trainer: Any) -> int:
    """The number of optimizer updates a Lightning ``Trainer`` will run in ``fit``."""
    n = getattr(trainer, "estimated_stepping_batches", None)
    if n is None:
        raise TypeError(f"trainer must be a Lightning Trainer, got {type(trainer).__name__}")
    if isinstance(n, float) and not math.isfinite(n):
        raise ValueError(
            "the trainer's run length is unbounded (max_steps=-1 and max_epochs=-1): a schedule with "
            "fractions of the run needs max_steps or max_epochs"
        )
    return int(n)


def scheduler_config(optimizer: Any, schedule: Any, trainer: Any = None, *,
                     total: int | None = None, name: str | None = None, **kwargs: Any) -> dict[str, Any]:
    """Lightning's ``lr_scheduler`` dict for an lrkit schedule, stepped per optimizer update.

    ``schedule``: a Schedule, its text or config, or a :class:`lrkit.config.ScheduleConfig`
    (whose ``param`` and ``relative`` are used).  ``total``: the run length in optimizer
    steps; by default ``trainer.estimated_stepping_batches`` when the schedule needs one.
    Other keyword arguments go to :class:`lrkit.torch.Scheduler` (``param``,
    ``relative``, ``on_change``, ``on_optimizer_step``, ``unit``, ``total_tokens``, ``total_samples``).
    With ``unit="tokens"`` (``"samples"``) the scheduler advances on each optimizer update
    (``on_optimizer_step=True``) by what :func:`token_counter` counted, and fractions of the
    run resolve with ``total_tokens`` (``total_samples``).
    """
    from .torch import Scheduler

    unit = kwargs.get("unit", "steps")
    if unit != "steps":
        kwargs.setdefault("on_optimizer_step", True)
        if kwargs["on_optimizer_step"] is not True:
            raise ValueError(f"a clock in {unit} advances on each optimizer update: on_optimizer_step "
                             "must be True")

    def length() -> int:
        if unit != "steps":
            n = kwargs.get(f"total_{unit}")
            if n is None:
                raise ValueError(f"the schedule has fractions of the run: give total_{unit}=N")
            return int(n)
        if total is not None:
            return total
        if trainer is None:
            raise ValueError("the schedule has fractions of the run: pass the trainer (or total=...)")
        return total_steps(trainer)

    sched, options = _driver_args(schedule, length)
    options.update(kwargs)
    config: dict[str, Any] = {"scheduler": Scheduler(optimizer, sched, **options),
                              "interval": "step", "frequency": 1}
    if name is not None:
        config["name"] = name
    return config



def token_counter(tokens: Any) -> Any:
    """A Lightning callback that counts the ``tokens`` (or samples) of each training batch into
    every lrkit scheduler of the trainer that has a token (sample) clock (``scheduler.add(...)``).

    ``tokens``: an int (the same for every batch) or a function ``batch -> int``.
    """
    if not callable(tokens) and (isinstance(tokens, bool) or not isinstance(tokens, int) or tokens < 0):
        raise TypeError(f"tokens must be an int >= 0 or a function of the batch, got {tokens!r}")
    from lightning.pytorch import Callback

    from .torch import Scheduler

    class TokenCounter(Callback):
        """Counts each batch's tokens into the trainer's lrkit schedulers on a token clock."""

        def on_train_batch_start(self, trainer: Any, pl_module: Any, batch: Any, batch_idx: int) -> None:
            n = tokens(batch) if callable(tokens) else tokens
            for config in trainer.lr_scheduler_configs:
                s = config.scheduler
                if isinstance(s, Scheduler) and s.unit != "steps":
                    s.add(**{s.unit: int(n)})

    return TokenCounter()
