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

This module does not import Lightning; ``lrkit.torch`` (torch) is imported on use.
"""

from __future__ import annotations

import math
from typing import Any

from .config import _driver_args

__all__ = ["scheduler_config", "total_steps"]


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
    ``relative``, ``on_change``, ``on_optimizer_step``).
    """
    from .torch import Scheduler

    def length() -> int:
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

