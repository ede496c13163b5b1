"""PyTorch adapter: lrkit schedulers that are also ``torch.optim.lr_scheduler.LRScheduler``.

``import lrkit.torch`` imports torch (``import lrkit`` never does).  Everything
here behaves as its torch-free twin in :mod:`lrkit` and additionally

* is an instance of ``torch.optim.lr_scheduler.LRScheduler`` (and
  ``ReduceLROnPlateau`` of torch's ``ReduceLROnPlateau``), so Lightning, the
  Hugging Face Trainer and Accelerate accept it;
* updates tensor learning rates in place (``group["lr"].fill_(value)``): the
  tensor is never replaced by a float, so a ``torch.compile``-d optimizer step
  is not recompiled, and nothing waits for the device;
* with ``on_optimizer_step=True`` advances through the optimizer's step post
  hook, once per ``optimizer.step()`` that really ran: a step that AMP's
  ``GradScaler`` skips (inf/NaN gradients) does not advance the schedule, and
  ``scheduler.step()`` without an argument becomes a no-op (so a training loop
  or framework that calls it anyway does not step twice).
"""

from __future__ import annotations

from typing import Any

import torch
from torch.optim.lr_scheduler import LRScheduler
from torch.optim.lr_scheduler import ReduceLROnPlateau as _TorchPlateau

from . import scheduler as _core

__all__ = ["Scheduler"]


class _TorchMixin:
    """What every lrkit.torch scheduler adds to its torch-free twin."""

    _hook: Any = None
    _step_count: int = 1

    def _attach(self, on_optimizer_step: bool) -> None:
        if not isinstance(on_optimizer_step, bool):
            raise TypeError(f"on_optimizer_step must be True or False, got {on_optimizer_step!r}")
        self._hook = None
        if on_optimizer_step:
            register = getattr(self.optimizer, "register_step_post_hook", None)
            if register is None:
                raise TypeError(
                    "on_optimizer_step=True needs a torch.optim.Optimizer (register_step_post_hook); "
                    f"got {type(self.optimizer).__name__}"
                )
            self._hook = register(self._on_optimizer_step)

    def _on_optimizer_step(self, optimizer: Any, args: Any, kwargs: Any) -> None:
        t = self.last_epoch + 1
        self.last_epoch = t
        self._apply(t)

    @property
    def on_optimizer_step(self) -> bool:
        return self._hook is not None

    def detach(self) -> None:
        """Stop following ``optimizer.step()`` (removes the hook)."""
        if self._hook is not None:
            self._hook.remove()
            self._hook = None

    def step(self, epoch: Any = None) -> None:  # type: ignore[override]
        if epoch is None and self._hook is not None:
            return  # advanced by the optimizer's step hook
        self._step_count += 1
        super().step(epoch)  # type: ignore[misc]

    def get_lr(self) -> list[float]:
        """The learning rates at ``last_epoch`` (torch API)."""
        return self.get_last_lr()  # type: ignore[attr-defined]

    @property
    def base_lrs(self) -> list[float]:
        for track in self._tracks:  # type: ignore[attr-defined]
            if track.param == "lr":
                if track.relative:
                    return list(track.bases)
                return [float(s(0)) if s is not None else float(g["lr"])
                        for s, g in zip(track.schedules, self.optimizer.param_groups, strict=False)]
        return [float(g["lr"]) for g in self.optimizer.param_groups]

    @base_lrs.setter
    def base_lrs(self, value: Any) -> None:  # torch's code assigns it; lrkit keeps its own
        pass

    @property
    def _last_lr(self) -> list[float]:
        return self.get_last_lr()  # type: ignore[attr-defined]


class Scheduler(_TorchMixin, _core.Scheduler, LRScheduler):
    """:class:`lrkit.Scheduler` that is a torch ``LRScheduler`` (see the module docstring).

    ``on_optimizer_step=True``: advance once per real ``optimizer.step()``.
    """

    def __init__(self, optimizer: Any, schedule: Any, *, param: str = "lr", relative: bool = True,
                 total_steps: int | None = None, on_change: str = "error",
                 on_optimizer_step: bool = False) -> None:
        _core.Scheduler.__init__(self, optimizer, schedule, param=param, relative=relative,
                                 total_steps=total_steps, on_change=on_change)
        self._attach(on_optimizer_step)


def _wrap(cls: type, torch_base: type = LRScheduler) -> type:
    """The lrkit.torch twin of a torch-compatible class from :mod:`lrkit.compat`."""

    def __init__(self: Any, *args: Any, on_optimizer_step: bool = False, **kwargs: Any) -> None:
        cls.__init__(self, *args, **kwargs)
        self._attach(on_optimizer_step)

    twin = type(cls.__name__, (_TorchMixin, cls, torch_base), {
        "__init__": __init__, "__doc__": cls.__doc__, "__module__": __name__,
        "__qualname__": cls.__name__,
    })
    return twin


assert torch and _TorchPlateau  # imported for the compat twins
