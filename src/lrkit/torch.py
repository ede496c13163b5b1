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

import functools
import warnings
import weakref
from typing import Any, cast

import torch
from torch.optim.lr_scheduler import LRScheduler
from torch.optim.lr_scheduler import ReduceLROnPlateau as _TorchPlateau

from . import compat as _compat
from . import scheduler as _core
from ._torch_finder import find_lr
from .layer_decay import layer_decay

__all__ = ["Scheduler", "find_lr", "layer_decay", *_compat.__all__]


class _TorchMixin:
    """What every lrkit.torch scheduler adds to its torch-free twin."""

    _hook: Any = None
    _order_checks: dict[int, int] = {}  # noqa: RUF012  # read only; set per instance by _attach
    _step_count: int = 1  # step() calls, as torch counts them (Accelerate reads it for OneCycleLR)
    # set by the lrkit class mixed with (for checkers only; no class attributes)
    optimizer: Any
    last_epoch: Any

    def _attach(self, on_optimizer_step: bool) -> None:
        if not isinstance(on_optimizer_step, bool):
            raise TypeError(f"on_optimizer_step must be True or False, got {on_optimizer_step!r}")
        self._hook = None
        # torch's step-order checks: at which step() calls, and how many warnings each
        self._order_checks = {} if on_optimizer_step else _order_checks(self)
        if self._order_checks:
            _track_optimizer_step(self.optimizer)
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
        unit = getattr(self, "unit", "steps")
        if unit == "steps":
            super().step()  # type: ignore[misc]  # the class's own step (next after _TorchMixin)
            return
        n, self._pending = self._pending, 0
        super().step(**{unit: n})  # type: ignore[misc]

    _pending = 0

    def add(self, *, tokens: int | None = None, samples: int | None = None) -> None:
        """With ``on_optimizer_step=True`` on a token (sample) clock: count the tokens of the
        coming update (call it per batch, or per micro-batch under gradient accumulation);
        the next real ``optimizer.step()`` advances by their sum.  Tokens counted before a
        step that AMP's GradScaler skips are counted with the next real step."""
        unit = getattr(self, "unit", "steps")
        n = tokens if unit == "tokens" else samples if unit == "samples" else None
        other = samples if unit == "tokens" else tokens
        if self._hook is None or unit == "steps" or n is None or other is not None:
            raise TypeError(f"add({unit if unit != 'steps' else 'tokens'}=n) is for a scheduler with a "
                            "token or sample clock and on_optimizer_step=True (otherwise step(tokens=n)); "
                            f"this one counts {unit}" + ("" if self._hook is not None else
                                                          ", without on_optimizer_step"))
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"{unit} must be an integer >= 0, got {n!r}")
        self._pending += n

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
        if self._step_count in self._order_checks:
            _check_order(self.optimizer, self._order_checks[self._step_count])
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


_OVERRIDDEN = (
    "Seems like `optimizer.step()` has been overridden after learning rate scheduler "
    "initialization. Please, make sure to call `optimizer.step()` before "
    "`lr_scheduler.step()`. See more details at "
    "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate"
)
_BEFORE = (
    "Detected call of `lr_scheduler.step()` before `optimizer.step()`. "
    "In PyTorch 1.1.0 and later, you should call them in the opposite order: "
    "`optimizer.step()` before `lr_scheduler.step()`.  Failure to do this "
    "will result in PyTorch skipping the first value of the learning rate schedule. "
    "See more details at "
    "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate"
)


def _track_optimizer_step(optimizer: Any) -> None:
    """Mark ``optimizer.step`` as torch's schedulers do, with the same protocol (so torch's
    and lrkit's schedulers on one optimizer share it): the instance's step becomes a
    wrapper flagged ``_wrapped_by_lr_sched`` that sets ``optimizer._opt_called``.
    Anything that is not a bound method is left alone."""
    step = getattr(optimizer, "step", None)
    func = getattr(step, "__func__", None)
    if step is None or hasattr(step, "_wrapped_by_lr_sched") or func is None \
            or getattr(step, "__self__", None) is not optimizer:
        return
    owner = weakref.ref(optimizer)  # the wrapper lives on the optimizer: no reference cycle

    @functools.wraps(func)
    def step_and_note(*args: Any, **kwargs: Any) -> Any:
        opt: Any = owner()
        opt._opt_called = True
        return func(opt, *args, **kwargs)

    step_and_note._wrapped_by_lr_sched = True  # type: ignore[attr-defined]
    try:
        setattr(optimizer, "step", step_and_note)  # noqa: B010
    except (AttributeError, TypeError):  # __slots__ or a read-only step: no checks possible
        pass


def _check_order(optimizer: Any, count: int) -> None:
    """torch's checks at a scheduler's first ``step()``: ``optimizer.step`` replaced since
    the scheduler was built, or never called yet (``count``: how many of torch's
    schedulers would warn at this call)."""
    if not hasattr(getattr(optimizer, "step", None), "_wrapped_by_lr_sched"):
        message = _OVERRIDDEN
    elif not getattr(optimizer, "_opt_called", False):
        message = _BEFORE
    else:
        return
    for _ in range(count):
        warnings.warn(message, UserWarning, stacklevel=3)  # the caller of step()


def _order_checks(s: Any) -> dict[int, int]:
    """{n: k}: at the n-th ``step()`` call of s, torch's version of s runs k step-order
    checks (one per torch scheduler whose first ``step()`` that is).  A torch scheduler
    checks at its first ``step()``; ``ReduceLROnPlateau`` and
    ``CosineAnnealingWarmRestarts`` (own ``step``) never; ``ChainedScheduler`` steps
    all its children at once; ``SequentialLR`` steps the child whose span holds the step,
    except at the child's first step, which it applies without ``step()``."""
    if isinstance(s, (_compat.ReduceLROnPlateau, _compat.CosineAnnealingWarmRestarts)):
        return {}  # torch's step() of these never checks
    if isinstance(s, _compat.ChainedScheduler):
        out: dict[int, int] = {}
        for c in s._schedulers:
            for n, k in _order_checks(c).items():
                out[n] = out.get(n, 0) + k
        return out
    if isinstance(s, _compat.SequentialLR):
        out = {}
        starts = [0, *s._milestones]
        for i, c in enumerate(s._schedulers):
            end = starts[i + 1] if i + 1 < len(starts) else None
            for n, k in _order_checks(c).items():
                t = starts[i] + n  # the child's n-th step() is the parent's step to t
                if end is None or t < end:
                    out[t] = out.get(t, 0) + k
        return out
    return {1: 1}


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

    def step(self, epoch: Any = None, *, tokens: int | None = None, samples: int | None = None) -> None:
        """Advance one step (a no-op with ``on_optimizer_step``), or jump to ``epoch``; on a
        token (sample) clock advance by ``tokens=n`` (``samples=n``)."""
        if epoch is None and tokens is None and samples is None and self._hook is not None:
            return  # advanced by the optimizer's step hook (also on a token clock: Lightning calls it)
        if tokens is not None or samples is not None or self.unit != "steps":  # type: ignore[attr-defined]
            if self._hook is not None and epoch is None:
                raise TypeError("with on_optimizer_step=True the optimizer's step advances the clock: "
                                "count the units of each update with scheduler.add(tokens=n)")
            t = self._advance(epoch, tokens, samples)  # type: ignore[attr-defined]
        elif epoch is None:
            t = self.last_epoch + 1
        else:
            t = self._check_epoch(epoch)  # type: ignore[attr-defined]
        if self._step_count in self._order_checks:
            _check_order(self.optimizer, self._order_checks[self._step_count])
        self._step_count += 1
        self.last_epoch = t
        self._apply(t)  # type: ignore[attr-defined]


# torch's LRScheduler types these differently (methods vs lrkit's properties, int vs float steps)
class Scheduler(_FastStep, _core.Scheduler, LRScheduler):  # type: ignore[misc]
    """:class:`lrkit.Scheduler` that is a torch ``LRScheduler`` (see the module docstring).

    ``on_optimizer_step=True``: advance once per real ``optimizer.step()``.
    """

    def __init__(self, optimizer: Any, schedule: Any, *, param: str = "lr", relative: bool | None = None,
                 total_steps: int | None = None, on_change: str = "error",
                 on_optimizer_step: bool = False, unit: str = "steps", total_tokens: int | None = None,
                 total_samples: int | None = None) -> None:
        _core.Scheduler.__init__(self, optimizer, schedule, param=param, relative=relative,
                                 total_steps=total_steps, on_change=on_change, unit=unit,
                                 total_tokens=total_tokens, total_samples=total_samples)
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
