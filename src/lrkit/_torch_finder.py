"""The LR range test on a PyTorch model: ``lrkit.torch.find_lr``.

Imported only by the user (through ``lrkit.torch``); imports torch at the top.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import torch

from . import _validate as v
from .finder import RangeTestResult, lr_range_test

__all__ = ["find_lr"]


def find_lr(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    loss_fn: Callable[..., torch.Tensor] | None,
    batches: Iterable[Any],
    *,
    start: float = 1e-7,
    end: float = 10.0,
    steps: int = 100,
    mode: str = "exp",
    smooth: float = 0.5,
    diverge: float = 4.0,
    accumulate: int = 1,
    amp: bool | torch.amp.GradScaler = False,
    amp_dtype: torch.dtype | None = None,
    max_grad_norm: float | None = None,
    forward: Callable[[torch.nn.Module, Any], torch.Tensor] | None = None,
    move_to_device: bool = True,
    restore: bool = True,
    progress: bool | None = None,
) -> RangeTestResult:
    """LR range test of ``model`` trained by ``optimizer`` on ``batches``; see :func:`lrkit.lr_range_test`.

    Each of the ``steps`` optimizer steps sets every param group's lr to the sweep's
    value, then runs ``accumulate`` micro-batches (forward, ``(loss / accumulate)
    .backward()``), optionally clips the gradient norm to ``max_grad_norm``, and calls
    ``optimizer.step()``.  The loss recorded for the step is the mean of its
    micro-batch losses.  The model is in training mode during the test.

    Args:
        loss_fn: called as ``loss_fn(model(inputs), targets)`` for a batch
            ``(inputs, targets)``.  For any other batch structure pass ``forward``.
        batches: an iterable of batches (a DataLoader, a list, a generator).  It is
            cycled when it runs out: re-iterated if it can be (lists, DataLoaders),
            else the batches already drawn are replayed.
        accumulate: micro-batches per optimizer step (gradient accumulation), >= 1.
        amp: automatic mixed precision.  ``True``: autocast to ``amp_dtype``
            (default float16 with a new ``torch.amp.GradScaler`` on CUDA, bfloat16
            without one elsewhere).  A ``torch.amp.GradScaler``: autocast (default
            float16 on CUDA, bfloat16 elsewhere) with that scaler; its state is
            restored afterwards too.  ``False``: full precision.
        max_grad_norm: clip the total gradient norm to this (after unscaling).
        forward: ``forward(model, batch) -> loss``, replacing ``loss_fn(model(x), y)``.
        move_to_device: move the tensors of each batch (also inside tuples, lists and
            dicts) to the device of the model's first parameter.
        restore: put back, exactly, after the test (also when it raises): the model's
            ``state_dict`` (parameters and buffers), every parameter's ``.grad``, each
            module's training flag, the optimizer's ``state_dict`` (state and every
            param-group value, lr included) and the GradScaler's state.  The copies are
            kept on the tensors' own devices, so the test needs about one extra model
            plus optimizer state of memory.

    Other arguments are those of :func:`lrkit.lr_range_test`.  Random number
    generators are not restored: dropout and data shuffling draw from them.
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
    if forward is None:
        if not callable(loss_fn):
            raise TypeError(f"loss_fn must be callable (output, target) -> loss, got {loss_fn!r}; "
                            "or pass forward=(model, batch) -> loss")
    elif not callable(forward):
        raise TypeError(f"forward must be callable (model, batch) -> loss, got {forward!r}")
    accumulate = v.integer("accumulate", accumulate, low=1)
    if max_grad_norm is not None:
        max_grad_norm = v.real("max_grad_norm", max_grad_norm, low=0.0, low_open=True)
    restore = v.boolean("restore", restore)
    move_to_device = v.boolean("move_to_device", move_to_device)

    params = [p for g in optimizer.param_groups for p in g["params"]]
    if not params:
        raise ValueError("optimizer has no parameters")
    device = params[0].device
    scaler, autocast = _amp_setup(amp, amp_dtype, device)
    source = _Cycle(batches)

    def compute_loss(batch: Any) -> torch.Tensor:
        if move_to_device:
            batch = _to_device(batch, device)
        if forward is not None:
            return forward(model, batch)
        if not isinstance(batch, (tuple, list)) or len(batch) != 2:
            raise TypeError("each batch must be a pair (inputs, targets) for loss_fn(model(inputs), "
                            f"targets); got {type(batch).__name__}. Pass forward=(model, batch) -> loss "
                            "for other batch structures")
        inputs, targets = batch
        return loss_fn(model(inputs), targets)  # type: ignore[misc]

    def train_step(lr: float) -> float:
        for group in optimizer.param_groups:
            if isinstance(group["lr"], torch.Tensor):
                group["lr"].fill_(lr)
            else:
                group["lr"] = lr
        optimizer.zero_grad(set_to_none=True)
        total = torch.zeros((), dtype=torch.float32, device=device)  # (MPS has no float64)
        for _ in range(accumulate):
            with autocast():
                loss = compute_loss(next(source))
            if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
                raise TypeError("the loss must be a one-element tensor, got "
                                f"{type(loss).__name__} {getattr(loss, 'shape', '')}")
            total += loss.detach().float().reshape(())
            scaled = loss / accumulate
            (scaler.scale(scaled) if scaler is not None else scaled).backward()
        if scaler is not None:
            if max_grad_norm is not None:
                scaler.unscale_(optimizer)
                torch.nn.utils.clip_grad_norm_(params, max_grad_norm)
            scaler.step(optimizer)
            scaler.update()
        else:
            if max_grad_norm is not None:
                torch.nn.utils.clip_grad_norm_(params, max_grad_norm)
            optimizer.step()
        return float(total) / accumulate

    saved = _snapshot(model, optimizer, scaler) if restore else None
    modes = [(m, m.training) for m in model.modules()]
    try:
        model.train()
        return lr_range_test(train_step, start=start, end=end, steps=steps, mode=mode,
                             smooth=smooth, diverge=diverge, progress=progress)
    finally:
        for m, training in modes:
            m.training = training
        if saved is not None:
            _restore(model, optimizer, scaler, saved)


# -- helpers -----------------------------------------------------------------------

class _Cycle(Iterator[Any]):
    """Endless batches: re-iterate a re-iterable; replay the batches of a one-shot iterator."""

    def __init__(self, batches: Iterable[Any]) -> None:
        try:
            self._it = iter(batches)
        except TypeError:
            raise TypeError(f"batches must be iterable, got {type(batches).__name__}") from None
        self._source = batches
        # a one-shot iterator (iter(x) is x) cannot be restarted: keep what it gave
        self._seen: list[Any] | None = [] if self._it is batches else None
        self._drawn = 0

    def __next__(self) -> Any:
        try:
            batch = next(self._it)
        except StopIteration:
            if self._drawn == 0:
                raise ValueError("batches is empty (or was exhausted before the test)") from None
            if self._seen is not None:
                self._source, self._seen = self._seen, None
            self._drawn = 0
            self._it = iter(self._source)
            return next(self)
        self._drawn += 1
        if self._seen is not None:
            self._seen.append(batch)
        return batch


def _to_device(batch: Any, device: torch.device) -> Any:
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True) if batch.device != device else batch
    if isinstance(batch, tuple):
        items = [_to_device(b, device) for b in batch]
        return type(batch)(*items) if hasattr(batch, "_fields") else tuple(items)
    if isinstance(batch, list):
        return [_to_device(b, device) for b in batch]
    if isinstance(batch, dict):
        return type(batch)((k, _to_device(b, device)) for k, b in batch.items())
    return batch


class _NoAutocast:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> None:
        return None


def _amp_setup(amp: Any, dtype: torch.dtype | None,
               device: torch.device) -> tuple[torch.amp.GradScaler | None, Callable[[], Any]]:
    if amp is False:
        if dtype is not None:
            raise ValueError("amp_dtype needs amp=True or a GradScaler")
        return None, _NoAutocast
    scaler: torch.amp.GradScaler | None
    if isinstance(amp, torch.amp.GradScaler):
        scaler = amp
        dtype = dtype or (torch.float16 if device.type == "cuda" else torch.bfloat16)
    elif amp is True:
        dtype = dtype or (torch.float16 if device.type == "cuda" else torch.bfloat16)
        scaler = torch.amp.GradScaler(device.type) if dtype == torch.float16 else None
    else:
        raise TypeError(f"amp must be True, False or a torch.amp.GradScaler, got {amp!r}")
    if dtype not in (torch.float16, torch.bfloat16):
        raise ValueError(f"amp_dtype must be torch.float16 or torch.bfloat16, got {dtype!r}")
    device_type = device.type
    return scaler, lambda: torch.autocast(device_type, dtype=dtype)


def _snapshot(model: torch.nn.Module, optimizer: torch.optim.Optimizer,
              scaler: torch.amp.GradScaler | None) -> dict[str, Any]:
    params = {id(p): p for p in model.parameters()}
    params.update((id(p), p) for g in optimizer.param_groups for p in g["params"])
    with torch.no_grad():
        return {
            "model": {k: t.detach().clone() for k, t in model.state_dict().items()},
            "grads": [(p, None if p.grad is None else p.grad.detach().clone()) for p in params.values()],
            "optimizer": copy.deepcopy(optimizer.state_dict()),
            "groups": list(optimizer.param_groups),
            "scaler": copy.deepcopy(scaler.state_dict()) if scaler is not None else None,
        }


def _restore(model: torch.nn.Module, optimizer: torch.optim.Optimizer,
             scaler: torch.amp.GradScaler | None, saved: dict[str, Any]) -> None:
    with torch.no_grad():
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        # load_state_dict builds new group dicts; put the values back into the original
        # dicts (and tensor values, such as a tensor lr, into the original tensors), so
        # that anything holding a group or its lr tensor keeps seeing the live one.
        for old, new in zip(saved["groups"], optimizer.param_groups, strict=True):
            for key in [k for k in old if k not in new]:
                del old[key]
            for key, value in new.items():
                if key == "params":
                    continue
                current = old.get(key)
                if (isinstance(current, torch.Tensor) and isinstance(value, torch.Tensor)
                        and current.shape == value.shape and current.dtype == value.dtype):
                    current.copy_(value)
                else:
                    old[key] = value
        optimizer.param_groups = saved["groups"]
        for p, grad in saved["grads"]:
            if grad is None:
                p.grad = None
            elif p.grad is None or p.grad.shape != grad.shape:
                p.grad = grad
            else:
                p.grad.copy_(grad)
        if scaler is not None and saved["scaler"] is not None:
            scaler.load_state_dict(saved["scaler"])
