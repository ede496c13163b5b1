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

from typing import Any, cast

import torch
from torch.optim.lr_scheduler import LRScheduler
from torch.optim.lr_scheduler import ReduceLROnPlateau as _TorchPlateau

from . import compat as _compat
from . import scheduler as _core
from ._torch_finder import find_lr

__all__ = ["Scheduler", "find_lr", *_compat.__all__]


class _TorchMixin:
    """What every lrkit.torch scheduler adds to its torch-free twin."""

    _hook: Any = None
    _step_count: int = 1  # step() calls, as torch counts them (Accelerate reads it for OneCycleLR)
    # set by the lrkit class mixed with (for checkers only; no class attributes)
    optimizer: Any
    last_epoch: Any

    def _attach(self, on_optimizer_step: bool) -> None:
        if not isinstance(on_optimizer_step, bool):
            raise TypeError(f"on_optimizer_step must be True or False, got {on_optimizer_step!r}")
        self._hook = None
        if on_optimizer_step:
            if isinstance(self, _TorchPlateau):
                raise TypeError("on_optimizer_step=True does not apply to ReduceLROnPlateau: "
                                "it steps on a metric")
            target = _innermost(self.optimizer)
            register = getattr(target, "register_step_post_hook", None)
            if register is None:
                raise TypeError(
                    "on_optimizer_step=True needs a torch.optim.Optimizer (register_step_post_hook); "
                    f"got {type(self.optimizer).__name__}"
                )
            self._hook = register(self._on_optimizer_step)

    def _on_optimizer_step(self, optimizer: Any, args: Any, kwargs: Any) -> None:
        self._step_count += 1
        super().step()  # type: ignore[misc]  # the class's own step (next after _TorchMixin)

    @property
    def on_optimizer_step(self) -> bool:
        return self._hook is not None

    def detach(self) -> None:
        """Stop following ``optimizer.step()`` (removes the hook)."""
        if self._hook is not None:
            self._hook.remove()
            self._hook = None

    def step(self, *args: Any, **kwargs: Any) -> None:
        """As the class's own ``step``; without arguments a no-op when ``on_optimizer_step``."""
        if not args and not kwargs and self._hook is not None:
            return  # advanced by the optimizer's step hook
        self._step_count += 1
        super().step(*args, **kwargs)  # type: ignore[misc]

    def load_state_dict(self, state_dict: Any, on_change: str | None = None) -> None:
        super().load_state_dict(state_dict, on_change)  # type: ignore[misc]
        # torch counts step() calls, the construction's included; Accelerate reads it
        self._step_count = int(self.last_epoch) + 1

    def __getstate__(self) -> dict[str, Any]:
        state = cast("dict[str, Any]", super().__getstate__())  # type: ignore[misc]
        state["_hook"] = None  # a hook belongs to one optimizer object; re-attach after loading
        return state

    def get_lr(self) -> list[float]:
        """The learning rates at ``last_epoch`` (torch API)."""
        return self.get_last_lr()  # type: ignore[attr-defined]

    @property
    def base_lrs(self) -> list[float]:
        base = getattr(self, "_base_lrs", None)
        if base is not None:
            return list(base)
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


def _innermost(optimizer: Any) -> Any:
    """The torch optimizer under wrappers that share its param_groups (Accelerate's
    ``AcceleratedOptimizer.optimizer``, Lightning's ``LightningOptimizer._optimizer``):
    its step hooks run on every real step, and not on a step a GradScaler skips."""
    target = optimizer
    for _ in range(8):
        inner = getattr(target, "optimizer", None) or getattr(target, "_optimizer", None)
        if inner is None or inner is target or not isinstance(inner, torch.optim.Optimizer) \
                or inner.param_groups is not target.param_groups:
            break
        target = inner
    return target


class _FastStep(_TorchMixin):
    """``step`` for the classes whose step is :meth:`lrkit.Scheduler.step`, inlined (hot path)."""

    def step(self, epoch: Any = None) -> None:
        """Advance one step (a no-op with ``on_optimizer_step``), or jump to ``epoch``."""
        if epoch is None:
            if self._hook is not None:
                return  # advanced by the optimizer's step hook
            t = self.last_epoch + 1
        else:
            t = self._check_epoch(epoch)  # type: ignore[attr-defined]
        self._step_count += 1
        self.last_epoch = t
        self._apply(t)  # type: ignore[attr-defined]


# torch's LRScheduler types these differently (methods vs lrkit's properties, int vs float steps)
class Scheduler(_FastStep, _core.Scheduler, LRScheduler):  # type: ignore[misc]
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

    base: Any = cls  # a compat class: its __init__ and step are its own

    def __init__(self: Any, *args: Any, on_optimizer_step: bool = False, **kwargs: Any) -> None:
        base.__init__(self, *args, **kwargs)
        self._attach(on_optimizer_step)

    mixin = _FastStep if base.step is _core.Scheduler.step else _TorchMixin
    twin = type(cls.__name__, (mixin, cls, torch_base), {
        "__init__": __init__, "__doc__": cls.__doc__, "__module__": __name__,
        "__qualname__": cls.__name__,
    })
    return twin


LambdaLR = _wrap(_compat.LambdaLR)
MultiplicativeLR = _wrap(_compat.MultiplicativeLR)
StepLR = _wrap(_compat.StepLR)
MultiStepLR = _wrap(_compat.MultiStepLR)
ConstantLR = _wrap(_compat.ConstantLR)
LinearLR = _wrap(_compat.LinearLR)
ExponentialLR = _wrap(_compat.ExponentialLR)
PolynomialLR = _wrap(_compat.PolynomialLR)
CosineAnnealingLR = _wrap(_compat.CosineAnnealingLR)
CosineAnnealingWarmRestarts = _wrap(_compat.CosineAnnealingWarmRestarts)
CyclicLR = _wrap(_compat.CyclicLR)
OneCycleLR = _wrap(_compat.OneCycleLR)
SequentialLR = _wrap(_compat.SequentialLR)
ChainedScheduler = _wrap(_compat.ChainedScheduler)
ReduceLROnPlateau = _wrap(_compat.ReduceLROnPlateau, _TorchPlateau)

assert torch  # torch itself is the point of this module
