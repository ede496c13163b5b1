"""The 15 learning-rate schedulers of ``torch.optim.lr_scheduler``, without torch.

Same names, signatures, defaults and validation messages as torch 2.13; each
works on any optimizer whose ``param_groups`` is a list of dicts.  Each class
is a thin mapping onto lrkit shapes: it builds, for every param group, the
closed-form schedule of that group's learning rate (and momentum / ``betas[0]``
where torch cycles it) and hands it to :class:`lrkit.Scheduler`, which writes
``value(t)`` into the group.  So every class resumes exactly from one integer,
jumps with ``step(epoch)`` to any step, and composes (``SequentialLR``,
``ChainedScheduler``) without the order-of-call effects of torch's recursive
("chainable") formulas.  With b the group's base learning rate (``initial_lr``):

========================== ==================================================================
LambdaLR                   b·λ(t)
MultiplicativeLR           lr(0)·λ(1)·λ(2)···λ(t)  (a running product, cached: O(1) a step)
StepLR                     ``step(step_size, gamma, start=b)``
MultiStepLR                ``multistep(milestones, gamma, start=b)``
ConstantLR                 ``piecewise([total_iters], [b·factor, b])``
LinearLR                   ``linear(total_iters, b·start_factor, b·end_factor)``
ExponentialLR              ``exponential(gamma, start=b)``
PolynomialLR               ``polynomial(total_iters, b, 0, power)``
CosineAnnealingLR          ``pingpong(cosine(T_max, b, eta_min))`` (periodic past T_max, as torch)
CosineAnnealingWarmRestarts ``restarts(cosine(T_0, b, eta_min), T_0, mult=T_mult)``
CyclicLR                   ``cyclic(base_lr, max_lr, up, down, mode, gamma)``; momentum inverted
OneCycleLR                 ``onecycle(total_steps, max_lr, ...)``; momentum by ``interpolate``
SequentialLR               ``join([child schedules], milestones)``
ChainedScheduler           the product of the children's factors: b·Π lr_i(t)/b_i
ReduceLROnPlateau          ``constant(b) * plateau(...)`` (``min_lr``, ``eps`` per group)
========================== ==================================================================

Torch computes most of these recursively (lr ← lr·ratio); the closed forms
agree with it to rounding (a relative 1e-10 over thousands of steps).  Where
torch's result is a bug, lrkit does the right thing; the differences are listed
in the README ("Deliberate differences from torch").
"""

from __future__ import annotations

import math
import numbers
import warnings

from . import _validate as v
from ._writeplan import Track, as_float
from .combinators import custom, join, pingpong, restarts, shift
from .plateau import plateau
from .schedule import Product, Schedule
from .scheduler import Scheduler
from .shapes import (
    constant,
    cosine,
    cyclic,
    exponential,
    interpolate,
    linear,
    multistep,
    onecycle,
    onecycle_phases,
    piecewise,
    polynomial,
)
from .shapes import step as step_shape

TYPE_CHECKING = False  # typing is not imported at run time: `import lrkit` stays fast
if TYPE_CHECKING:
    from collections import Counter
    from collections.abc import Callable, Mapping, Sequence
    from typing import Any

__all__ = [
    "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR", "LinearLR",
    "ExponentialLR", "PolynomialLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts",
    "CyclicLR", "OneCycleLR", "SequentialLR", "ChainedScheduler", "ReduceLROnPlateau",
]


# -- helpers ------------------------------------------------------------------
def _groups(optimizer: Any) -> list[dict[str, Any]]:
    return Scheduler._check_optimizer(optimizer)


def _bases(optimizer: Any, last_epoch: int) -> list[float]:
    """torch's base_lrs: group["initial_lr"], set to the current lr when starting fresh."""
    groups = _groups(optimizer)
    if not isinstance(last_epoch, numbers.Integral) or isinstance(last_epoch, bool) or last_epoch < -1:
        raise ValueError(f"last_epoch must be an integer >= -1, got {last_epoch!r}")
    if last_epoch == -1:
        for g in groups:
            if "initial_lr" not in g:
                lr = g["lr"]
                g["initial_lr"] = lr.clone() if hasattr(lr, "clone") else lr
    else:
        for i, g in enumerate(groups):
            if "initial_lr" not in g:
                raise KeyError(
                    f"param 'initial_lr' is not specified in param_groups[{i}] when resuming scheduler "
                    "with last_epoch >= 0."
                )
    return [as_float(g["initial_lr"], f"param_groups[{i}]['initial_lr']") for i, g in enumerate(groups)]


def _format_param(name: str, optimizer: Any, param: Any) -> list[Any]:
    n = len(optimizer.param_groups)
    if isinstance(param, (list, tuple)):
        if len(param) != n:
            raise ValueError(
                f"{name} must have the same length as optimizer.param_groups. "
                f"{name} has {len(param)} values, param_groups has {n}."
            )
        return [as_float(p, name) for p in param]
    return [as_float(param, name)] * n


def _momentum_param(optimizer: Any) -> str:
    defaults = getattr(optimizer, "defaults", None)
    if not isinstance(defaults, dict):
        defaults = optimizer.param_groups[0]
    if "momentum" not in defaults and "betas" not in defaults:
        raise ValueError("optimizer must support momentum or beta1 with `cycle_momentum` option enabled")
    return "betas[0]" if "betas" in defaults else "momentum"


def _int_arg(name: str, value: Any, low: int) -> int:
    num: Any = value  # numbers.Real is too loosely typed for comparisons and int()
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or num != int(num) \
            or num < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(num)


def _lambdas(optimizer: Any, lr_lambda: Any) -> list[Callable[[int], float]]:
    n = len(_groups(optimizer))
    if not isinstance(lr_lambda, (list, tuple)):
        return [lr_lambda] * n
    if len(lr_lambda) != n:
        raise ValueError(f"Expected {n} lr_lambdas, but got {len(lr_lambda)}")
    return list(lr_lambda)


def _check_lambdas(fns: list[Any]) -> None:
    for i, fn in enumerate(fns):
        if not callable(fn):
            where = "lr_lambda" if len(fns) == 1 else f"lr_lambda[{i}]"
            raise TypeError(f"{where} should be a function, but got {type(fn).__name__}")


def _factor(name: str, value: Any, message: str, low: float, low_open: bool = False) -> float:
    """A torch factor argument in [low, 1] (``low_open``: (low, 1]), with torch's message
    (lrkit's validation messages equal torch's where torch has one)."""
    x = v.real(name, value)
    if x > 1.0 or x < low or (low_open and x == low):
        raise ValueError(message)
    return x


def _object_states(fns: Sequence[Any], name: str) -> list[dict[str, Any] | None]:
    """torch's saved state of callables: a callable object's ``__dict__`` (None for a
    function or lambda, whose code is not state); JSON-able, or a TypeError."""
    import json
    import types

    out: list[dict[str, Any] | None] = []
    for i, fn in enumerate(fns):
        state = getattr(fn, "__dict__", None)
        if isinstance(fn, types.FunctionType) or state is None:
            out.append(None)
            continue
        state = dict(state)
        try:
            same = _canonical_json(json.loads(json.dumps(state))) == _canonical_json(state)
        except (TypeError, ValueError) as e:
            same, why = False, str(e)
        else:
            why = "it does not survive a JSON round trip unchanged (e.g. non-string dict keys)"
        if not same:
            raise TypeError(
                f"{name}[{i}] is a {type(fn).__name__} object whose state (its __dict__: "
                f"{sorted(map(str, state))}) is not JSON-able ({why}); lrkit's state_dict is JSON, so "
                "it cannot be saved and resumed. Keep its attributes to numbers, strings, lists and "
                "dicts with string keys, or use a plain function (whose state is not saved, as in torch)"
            )
        out.append(state)
    return out


def _canonical_json(x: Any) -> Any:
    if isinstance(x, (list, tuple)):
        return [_canonical_json(y) for y in x]
    if isinstance(x, dict):
        return {k: _canonical_json(y) for k, y in x.items()}
    return x


class _restored_states:
    """Context: put saved ``__dict__`` states into callables, undone if the block raises
    (a refused load leaves the objects as they were)."""

    def __init__(self, fns: Sequence[Any], saved: Any, name: str) -> None:
        import types

        self.fns, self.saved = list(fns), saved
        self.before: list[dict[str, Any] | None] = []
        if saved is None:
            for i, fn in enumerate(self.fns):
                if not isinstance(fn, types.FunctionType) and getattr(fn, "__dict__", None):
                    raise ValueError(
                        f"the state_dict holds no saved state for {name}[{i}] (a "
                        f"{type(fn).__name__} object with attributes), so resuming would silently "
                        f"use this new object's state; save the state with this lrkit version (it "
                        f"saves {name} states), or use a plain function"
                    )
            return
        if not isinstance(saved, list) or len(saved) != len(self.fns) or not all(
                x is None or isinstance(x, dict) for x in saved):
            raise ValueError(f"state_dict[{name!r}] must be a list of {len(self.fns)} dicts or None, "
                             f"got {saved!r}")
        for i, (fn, st) in enumerate(zip(self.fns, saved, strict=True)):
            if st is None and not isinstance(fn, types.FunctionType) and getattr(fn, "__dict__", None):
                raise ValueError(
                    f"{name}[{i}] was saved as a function (no state) and is now a "
                    f"{type(fn).__name__} object with attributes: build it as it was saved"
                )

    def __enter__(self) -> None:
        if self.saved is None:
            return
        self.before = [dict(fn.__dict__) if st is not None else None
                       for fn, st in zip(self.fns, self.saved, strict=True)]
        for fn, st in zip(self.fns, self.saved, strict=True):
            if st is not None:
                fn.__dict__.update(st)

    def __exit__(self, kind: Any, value: Any, tb: Any) -> None:
        if kind is None or self.saved is None:
            return
        for fn, st in zip(self.fns, self.before, strict=True):
            if st is not None:
                fn.__dict__.clear()
                fn.__dict__.update(st)


def _absolute(track: Track, i: int) -> Schedule | None:
    """The schedule of group i's value itself (relative tracks times their base)."""
    s = track.schedules[i]
    if s is None or not track.relative:
        return s
    return Product([s, track.bases[i]])


class _Compat(Scheduler):
    """Base of the torch-compatible classes: absolute per-group schedules."""

    _fractional = False  # torch's step(epoch) takes integers (but CosineAnnealingWarmRestarts)

    #: torch's ``get_lr`` multiplies each group's current lr by a step ratio ("chainable"): a
    #: group added to the optimizer later follows the same ratios from its own lr.  For the
    #: other classes torch's next step raises on such a group, and so does lrkit's.
    _chainable = False
    #: the floor the ratios act above (CosineAnnealingLR's eta_min)
    _floor = 0.0

    def _start(self, optimizer: Any, lr: Sequence[Schedule], last_epoch: int, bases: list[float],
               momentum: tuple[str, Sequence[Schedule]] | None = None) -> None:
        """Drive the groups from step last_epoch + 1; ``bases`` is torch's ``base_lrs``."""
        self._base_lrs = list(bases)
        n = len(lr)
        tracks = [Track("lr", False, list(lr), [1.0] * n, units=list(bases))]
        if momentum is not None:
            tracks.append(Track(momentum[0], False, list(momentum[1]), [1.0] * n))
        self._setup(optimizer, tracks, last_epoch + 1)

    _warned_lr_scale = False

    def _lr_scales(self, groups: list[dict[str, Any]]) -> list[float] | None:
        """torch's classes ignore ``param_group["lr_scale"]``, and so do these (as torch); once
        per scheduler a warning says so, since timm's layer decay is then lost."""
        if not self._warned_lr_scale and any("lr_scale" in g for g in groups):
            self._warned_lr_scale = True
            warnings.warn(
                f"param groups carry 'lr_scale' (timm's layer decay), which torch's {type(self).__name__} "
                "ignores, and so does this drop-in; use lrkit.Scheduler (which multiplies it in, as "
                "timm's schedulers do) to keep the layer decay", UserWarning, stacklevel=5)
        return None

    def _add_group(self, track: Track, i: int, g: dict[str, Any]) -> None:
        """A group added after construction: torch's chainable classes carry it along their
        ratios from its own lr, lr_i(t) = floor + (lr_i − floor)·(lr_0(t) − floor)/(lr_0(t₀) − floor)
        (t₀: the step when it appeared); its momentum is left alone."""
        name = type(self).__name__
        if track.param != "lr":
            track.schedules.append(None)
            track.bases.append(1.0)
            return
        if not self._chainable:
            raise ValueError(
                f"param_groups[{i}] was added to the optimizer after {name} was built; torch's {name} "
                "cannot schedule such a group either (its next step raises). Build the scheduler after "
                "add_param_group()."
            )
        lr = as_float(g["lr"], f"param_groups[{i}]['lr']")
        ref, floor = track.schedules[0], self._floor
        assert ref is not None and track.units is not None  # every group of a torch class is scheduled
        at = float(ref(self._applied)) - floor
        if at == 0:  # the ratios are undefined; torch's only zero ratio is gamma = 0's
            zero = self._zero_from(self._applied)
            s: Schedule = constant(lr) if zero is None else piecewise([zero], [lr, 0.0])
            unit = 0.0
        else:
            k = (lr - floor) / at
            s = ref * k if floor == 0 else ref * k + floor * (1.0 - k)
            unit = track.units[0] * k
        track.schedules.append(s)
        track.bases.append(1.0)
        track.units.append(unit)

    def _zero_from(self, t: int | float) -> int | None:
        """With ``gamma = 0``: the first step after t where torch's ratio is 0 (else None)."""
        return None

    def load_state_dict(self, state_dict: Mapping[str, Any], on_change: str | None = None) -> None:
        """As :meth:`lrkit.Scheduler.load_state_dict`; also reads a state dict saved by
        torch's class of the same name (to move a running job to lrkit): its step, and
        its settings, which must equal this scheduler's unless ``on_change`` is given."""
        if _is_torch_state(state_dict):
            self._load_torch_state(dict(state_dict), self.on_change if on_change is None else on_change)
        else:
            super().load_state_dict(state_dict, on_change)

    def _load_torch_state(self, sd: dict[str, Any], policy: str) -> None:
        name = type(self).__name__
        diff = []
        for key, saved in sd.items():
            if key in _TORCH_INTERNAL:
                continue
            mine = getattr(self, key, _MISSING) if not key.startswith("_") else _MISSING
            if mine is _MISSING:
                raise ValueError(f"not a state_dict of torch's {name}: it holds {key!r}, which {name} has not")
            a, b = _plain(saved), _plain(mine)
            if a is not _MISSING and b is not _MISSING and a != b:
                diff.append(f"  {key}: saved {a!r}, now {b!r}")
        if diff and policy != "continue":
            hint = ("Build the scheduler with the saved settings (on_change='saved' cannot rebuild them "
                    "from a torch state_dict), or pass on_change='continue' to keep its step with these settings.")
            raise ValueError(f"the torch {name} state_dict has other settings than this scheduler:\n"
                             + "\n".join(diff) + "\n" + hint)
        step = sd.get("last_epoch")
        if step is None:  # ChainedScheduler: its children's step
            kids = sd.get("_schedulers") or [{}]
            step = kids[0].get("last_epoch", 0) if isinstance(kids[0], dict) else 0
        step = self._check_epoch(step, "state_dict['last_epoch']")
        self._load_torch_extra(sd)
        self.last_epoch = step
        self._apply(step)

    def _load_torch_extra(self, sd: dict[str, Any]) -> None:
        """Class-specific state beyond the step (ReduceLROnPlateau)."""

    @property
    def base_lrs(self) -> list[float]:
        """torch's ``base_lrs``."""
        return list(self._base_lrs)

    def get_lr(self) -> list[float]:
        """The learning rates at ``last_epoch`` (torch API; prefer ``get_last_lr()``)."""
        return self.get_last_lr()


_MISSING = object()
#: keys of torch's scheduler state dicts that are torch's bookkeeping, not settings
_TORCH_INTERNAL = frozenset({
    "_get_lr_called_within_step", "_is_initial", "_last_lr", "_step_count", "last_epoch", "optimizer",
    "verbose", "_schedulers", "_milestones", "_scale_fn_custom", "_scale_fn_ref", "_anneal_func_type",
    "_schedule_phases", "mode_worse", "default_min_lr", "lr_lambdas", "best", "num_bad_epochs",
    "cooldown_counter", "T_cur", "T_i",
})


def _is_torch_state(sd: Any) -> bool:
    """A state dict saved by torch's scheduler (its own bookkeeping key), not lrkit's."""
    return isinstance(sd, dict) and "format" not in sd and "_last_lr" in sd


def _plain(x: Any) -> Any:
    """A torch state value as plain numbers/strings for comparison (_MISSING if not comparable)."""
    if hasattr(x, "item") and hasattr(x, "dim"):
        return float(x.item()) if x.dim() == 0 else _MISSING
    if isinstance(x, bool) or x is None or isinstance(x, str):
        return x
    if isinstance(x, numbers.Real):
        return float(x)
    if isinstance(x, dict):  # a Counter of milestones
        if all(isinstance(v, int) for v in x.values()):
            return sorted(k for k, c in x.items() for _ in range(c))
        return _MISSING
    if isinstance(x, (list, tuple)):
        items = [_plain(y) for y in x]
        return _MISSING if any(y is _MISSING for y in items) else items
    return _MISSING


def _children(cls_name: str, optimizer: Any, schedulers: Sequence[Any]) -> list[Scheduler]:
    if len(schedulers) < 1:
        raise ValueError(f"{cls_name} expects at least one scheduler, but got no scheduler.")
    for idx, s in enumerate(schedulers):
        if not hasattr(s, "optimizer"):
            raise TypeError(f"{cls_name} at index {idx} should have `optimizer` as its attribute.")
        if optimizer != s.optimizer:
            raise ValueError(
                f"{cls_name} expects all schedulers to belong to the same optimizer, but got scheduler "
                f"{type(s).__name__} at index {idx} has {s.optimizer}, which is different from "
                f"{type(optimizer).__name__}."
            )
        if not isinstance(s, Scheduler):
            raise TypeError(
                f"{cls_name} at index {idx}: {type(s).__name__} is not an lrkit scheduler; build it "
                "from lrkit (or lrkit.torch) so it can be composed exactly"
            )
        if not any(t.param == "lr" for t in s._tracks):
            raise ValueError(f"{cls_name} at index {idx} does not schedule the learning rate")
    out = list(schedulers)
    for s in out:
        detach = getattr(s, "detach", None)
        if detach is not None:
            detach()  # a composed scheduler is driven by its parent only
        s._leave_peers()  # ... and does not compound with it
    return out


def _child_lr(s: Scheduler, i: int, optimizer: Any) -> Schedule:
    if isinstance(s, ReduceLROnPlateau):
        return s._composable(i)
    tr = next(t for t in s._tracks if t.param == "lr")
    a = _absolute(tr, i)
    return a if a is not None else constant(as_float(optimizer.param_groups[i]["lr"], "lr"))


def _child_momentum(s: Scheduler) -> Track | None:
    for t in s._tracks:
        if t.param in ("momentum", "betas[0]"):
            return t
    return None


# -- the closed-form classes ----------------------------------------------------
class _LambdaState(_Compat):
    """LambdaLR and MultiplicativeLR: the saved state of callable ``lr_lambda`` objects."""

    lr_lambdas: list[Callable[[int], float]]
    _STATE_EXTRA: tuple[str, ...] = ("lr_lambdas",)

    def state_dict(self) -> dict[str, Any]:
        """As :meth:`lrkit.Scheduler.state_dict`, plus torch's ``lr_lambdas``: the state
        (``__dict__``) of each callable object (None for a function); it must be JSON-able."""
        sd = super().state_dict()
        sd["lr_lambdas"] = _object_states(self.lr_lambdas, "lr_lambdas")
        return sd

    def load_state_dict(self, state_dict: Mapping[str, Any], on_change: str | None = None) -> None:
        """As :meth:`_Compat.load_state_dict`; also restores the saved state of callable
        ``lr_lambda`` objects (lrkit's or torch's state dict), as torch does."""
        saved = state_dict.get("lr_lambdas") if isinstance(state_dict, dict) else None
        with _restored_states(self.lr_lambdas, saved, "lr_lambdas"):
            self._lambda_state_changed()
            super().load_state_dict(state_dict, on_change)

    def _lambda_state_changed(self) -> None:
        """Hook: cached values of the lambdas are stale (MultiplicativeLR)."""


class LambdaLR(_LambdaState):
    """lr = b·lr_lambda(t) (one function, or one per group)."""

    def __init__(self, optimizer: Any, lr_lambda: Callable[[int], float] | list[Callable[[int], float]],
                 last_epoch: int = -1) -> None:
        self.lr_lambdas = _lambdas(optimizer, lr_lambda)
        _check_lambdas(self.lr_lambdas)
        bases = _bases(optimizer, last_epoch)
        self._start(optimizer, [Product([custom(fn), b]) for fn, b in zip(self.lr_lambdas, bases,
                                                                           strict=True)], last_epoch,
                    bases)


#: the most calls of a MultiplicativeLR's lr_lambda one jump may replay
MAX_REPLAY = 10**7


class _RunningProduct:
    """t -> start·λ(1)·λ(2)···λ(t), multiplied in torch's order; the last result is
    cached (and restored from a state dict), so stepping forward costs one call of λ."""

    def __init__(self, fn: Callable[[int], float], start: float) -> None:
        self.fn, self.start = fn, start
        self.__qualname__ = f"running product of {getattr(fn, '__qualname__', type(fn).__name__)}"
        self._t, self._v = 0, start

    def restore(self, t: int, value: float) -> None:
        """The product is ``value`` at step t (saved by state_dict)."""
        self._t, self._v = t, value

    def __call__(self, t: Any) -> float:
        k = math.floor(t)
        if k < self._t:
            self._t, self._v = 0, self.start
        if k - self._t > MAX_REPLAY:
            raise ValueError(
                f"MultiplicativeLR multiplies lr_lambda step by step: going from step {self._t} to {k} "
                f"would call it {k - self._t} times (at most {MAX_REPLAY}); resume from a state_dict "
                "saved by lrkit (it holds the product) instead of jumping"
            )
        v = self._v
        for j in range(self._t + 1, k + 1):
            v = v * self.fn(j)
        self._t, self._v = k, v
        return v


class MultiplicativeLR(_LambdaState):
    """lr(t) = lr(t − 1)·lr_lambda(t), lr(0) = the group's lr: b·Π_{k=1..t} λ(k)."""

    def __init__(self, optimizer: Any, lr_lambda: Callable[[int], float] | list[Callable[[int], float]],
                 last_epoch: int = -1) -> None:
        self.lr_lambdas = _lambdas(optimizer, lr_lambda)
        _check_lambdas(self.lr_lambdas)
        bases = _bases(optimizer, last_epoch)
        self._products = [_RunningProduct(fn, b) for fn, b in zip(self.lr_lambdas, bases, strict=True)]
        self._start(optimizer, [custom(p) for p in self._products], last_epoch, bases)

    _STATE_EXTRA = ("lr_lambdas", "products")
    _pending: tuple[int, list[float]] | None = None

    def state_dict(self) -> dict[str, Any]:
        """As :meth:`LambdaLR.state_dict`, plus each group's running product at the step,
        so a resume does not replay lr_lambda from step 0."""
        sd = super().state_dict()
        sd["products"] = [p(self._applied) for p in self._products]
        return sd

    def load_state_dict(self, state_dict: Mapping[str, Any], on_change: str | None = None) -> None:
        self._pending = self._saved_products(state_dict)
        try:
            super().load_state_dict(state_dict, on_change)
        except BaseException:
            self._lambda_state_changed()  # a refused load: nothing cached from the saved run
            raise
        finally:
            self._pending = None

    def _saved_products(self, sd: Any) -> tuple[int, list[float]] | None:
        """The running products saved with a state (lrkit's ``products``, torch's ``_last_lr``)."""
        if not isinstance(sd, dict) or "last_epoch" not in sd:
            return None
        torch_state = _is_torch_state(sd)
        where = "state_dict['_last_lr']" if torch_state else "state_dict['products']"
        products = sd.get("_last_lr" if torch_state else "products")
        if products is None:
            return None
        step = self._check_epoch(sd["last_epoch"], "state_dict['last_epoch']")
        if not isinstance(products, list) or len(products) != len(self._products):
            raise ValueError(f"{where} must be a list, one value per group")
        values = [as_float(x, f"{where}[{i}]") for i, x in enumerate(products)]
        if not all(math.isfinite(x) for x in values):
            raise ValueError(f"{where} must hold finite numbers, got {products!r}")
        return int(step), values

    def _lambda_state_changed(self) -> None:
        """The lambdas' state is restored: the cached products are those saved with it, if any."""
        for i, p in enumerate(self._products):
            p.restore(0, p.start)
            if self._pending is not None:
                p.restore(self._pending[0], self._pending[1][i])


class StepLR(_Compat):
    """lr = b·gamma^⌊t/step_size⌋."""

    _chainable = True

    def __init__(self, optimizer: Any, step_size: int, gamma: float = 0.1, last_epoch: int = -1) -> None:
        v.integer("step_size", step_size, low=1)
        v.real("gamma", gamma, low=0.0)
        self.step_size, self.gamma = step_size, gamma
        bases = _bases(optimizer, last_epoch)
        if gamma == 0:
            lr: list[Schedule] = [piecewise([step_size], [b, 0.0]) for b in bases]
        else:
            lr = [step_shape(step_size, gamma=gamma, start=b) for b in bases]
        self._start(optimizer, lr, last_epoch, bases)

    def _zero_from(self, t: int | float) -> int | None:
        return (int(t) // self.step_size + 1) * self.step_size if self.gamma == 0 else None


def _whole_step(m: Any) -> bool:
    """Whether torch's MultiStepLR ever reaches milestone ``m``: a whole number >= 0 (an int
    of any size, or a finite float equal to one; inf and NaN never are)."""
    if isinstance(m, bool) or not isinstance(m, numbers.Real):
        return False
    if isinstance(m, numbers.Integral):
        return int(m) >= 0
    f = float(m)
    return math.isfinite(f) and f.is_integer() and f >= 0


class MultiStepLR(_Compat):
    """lr = b·gamma^(number of milestones <= t); a repeated milestone counts twice."""

    _chainable = True

    def __init__(self, optimizer: Any, milestones: Sequence[int], gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        if isinstance(milestones, (str, bytes)) or not hasattr(milestones, "__iter__"):
            raise TypeError(f"milestones must be a list of integers, got {type(milestones).__name__} "
                            f"({milestones!r})")
        ms = list(milestones)
        v.real("gamma", gamma, low=0.0)
        # torch's attribute: a Counter of the milestones as given
        from collections import Counter  # here, not at import: `import lrkit` stays fast

        self.milestones: Counter[Any] = Counter(ms)
        # torch counts a milestone when the (integer) step equals it: others never act
        acting = sorted(int(m) for m in ms if _whole_step(m))
        self.gamma = gamma
        bases = _bases(optimizer, last_epoch)
        if gamma == 0:
            lr: list[Schedule] = [piecewise([acting[0]], [b, 0.0]) if acting else constant(b)
                                  for b in bases]
        else:
            lr = [multistep(acting, gamma=gamma, start=b) for b in bases]
        self._start(optimizer, lr, last_epoch, bases)

    def _zero_from(self, t: int | float) -> int | None:
        later = [m for m in self.milestones if m > t]
        return later[0] if self.gamma == 0 and later else None


class ConstantLR(_Compat):
    """lr = b·factor for t < total_iters, then b."""

    _chainable = True

    def __init__(self, optimizer: Any, factor: float = 1.0 / 3, total_iters: int = 5,
                 last_epoch: int = -1) -> None:
        _factor("factor", factor, "Constant multiplicative factor expected to be between 0 and 1.", 0.0)
        self.factor, self.total_iters = factor, _int_arg("total_iters", total_iters, 0)
        bases = _bases(optimizer, last_epoch)
        n = self.total_iters
        lr = [piecewise([n], [b * factor, b]) if n > 0 else constant(b) for b in bases]
        self._start(optimizer, lr, last_epoch, bases)


class LinearLR(_Compat):
    """lr = b·(start_factor + (end_factor − start_factor)·min(t, total_iters)/total_iters)."""

    _chainable = True

    def __init__(self, optimizer: Any, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
                 total_iters: int = 5, last_epoch: int = -1) -> None:
        _factor("start_factor", start_factor, "Starting multiplicative factor expected to be greater "
                "than 0 and less or equal to 1.", 0.0, low_open=True)
        _factor("end_factor", end_factor, "Ending multiplicative factor expected to be between 0 and 1.",
                0.0)
        self.start_factor, self.end_factor = start_factor, end_factor
        self.total_iters = _int_arg("total_iters", total_iters, 0)
        bases = _bases(optimizer, last_epoch)
        n = self.total_iters
        lr = [linear(n, start=b * start_factor, end=b * end_factor) if n > 0 else constant(b * end_factor)
              for b in bases]
        self._start(optimizer, lr, last_epoch, bases)


class ExponentialLR(_Compat):
    """lr = b·gamma^t."""

    _chainable = True

    def __init__(self, optimizer: Any, gamma: float, last_epoch: int = -1) -> None:
        v.real("gamma", gamma, low=0.0)
        self.gamma = gamma
        bases = _bases(optimizer, last_epoch)
        lr = [piecewise([1], [b, 0.0]) if gamma == 0 else exponential(gamma, start=b) for b in bases]
        self._start(optimizer, lr, last_epoch, bases)

    def _zero_from(self, t: int | float) -> int | None:
        return int(t) + 1 if self.gamma == 0 else None


class PolynomialLR(_Compat):
    """lr = b·(1 − min(t, total_iters)/total_iters)^power."""

    _chainable = True

    def __init__(self, optimizer: Any, total_iters: int = 5, power: float = 1.0,
                 last_epoch: int = -1) -> None:
        v.real("power", power, low=0.0)
        self.total_iters, self.power = _int_arg("total_iters", total_iters, 0), power
        bases = _bases(optimizer, last_epoch)
        if self.total_iters == 0 or power == 0:
            lr: list[Schedule] = [constant(b) for b in bases]
        else:
            lr = [polynomial(self.total_iters, start=b, end=0.0, power=power) for b in bases]
        self._start(optimizer, lr, last_epoch, bases)


class CosineAnnealingLR(_Compat):
    """lr = eta_min + (b − eta_min)·½(1 + cos(π·t/T_max)), periodic past T_max (as torch)."""

    _chainable = True

    def __init__(self, optimizer: Any, T_max: int, eta_min: float = 0.0, last_epoch: int = -1) -> None:
        v.real("T_max", T_max, low=0.0, low_open=True)  # torch: a ZeroDivisionError at the first step
        v.real("eta_min", eta_min)
        self.T_max, self.eta_min = T_max, eta_min
        self._floor = float(eta_min)
        bases = _bases(optimizer, last_epoch)
        self._start(optimizer, [pingpong(cosine(T_max, start=b, end=eta_min)) for b in bases], last_epoch,
                    bases)


class CosineAnnealingWarmRestarts(_Compat):
    """Cycles of T_0·T_mult^i steps, each eta_min + (b − eta_min)·½(1 + cos(π·T_cur/T_i)).

    ``step(epoch)`` takes fractional epochs, as torch's does.
    """

    _fractional = True

    def __init__(self, optimizer: Any, T_0: int, T_mult: int = 1, eta_min: float = 0.0,
                 last_epoch: int = -1) -> None:
        if T_0 <= 0 or not isinstance(T_0, int):
            raise ValueError(f"Expected positive integer T_0, but got {T_0}")
        if T_mult < 1 or not isinstance(T_mult, int):
            raise ValueError(f"Expected integer T_mult >= 1, but got {T_mult}")
        if not isinstance(eta_min, (float, int)):
            raise ValueError(f"Expected float or int eta_min, but got {eta_min} of type {type(eta_min)}")
        self.T_0, self.T_mult, self.eta_min = T_0, T_mult, eta_min
        bases = _bases(optimizer, last_epoch)
        lr = [restarts(cosine(T_0, start=b, end=eta_min), T_0, mult=T_mult) for b in bases]
        self._cycles = restarts(constant(1.0), T_0, mult=T_mult)  # cycle positions, for T_cur / T_i
        self._start(optimizer, lr, last_epoch, bases)

    @property
    def T_cur(self) -> int | float:
        """torch's ``T_cur``: steps since the last restart (fractional after ``step(epoch)``)."""
        t = self.last_epoch
        return t - self._cycles.cycle_start(self._cycles.cycle(t))

    @property
    def T_i(self) -> int:
        """torch's ``T_i``: the length of the current cycle, T_0·T_mult^i."""
        return int(self.T_0 * self.T_mult ** self._cycles.cycle(self.last_epoch))


class CyclicLR(_Compat):
    """Cyclical learning rate (and inverse momentum or ``betas[0]``), as torch's ``CyclicLR``.

    With size = up + down, cycle = ⌊1 + t/size⌋, x = 1 + t/size − cycle, h = x/(up/size)
    rising, (x − 1)/(up/size − 1) falling: lr = base_lr + (max_lr − base_lr)·h·scale and
    momentum = max_momentum − (max_momentum − base_momentum)·h·scale, where scale is
    ``scale_fn(cycle)`` or ``scale_fn(t)`` (``scale_mode``), by default that of ``mode``.
    """

    def __init__(self, optimizer: Any, base_lr: float | list[float], max_lr: float | list[float],
                 step_size_up: int = 2000, step_size_down: int | None = None,
                 mode: str = "triangular", gamma: float = 1.0,
                 scale_fn: Callable[[float], float] | None = None, scale_mode: str = "cycle",
                 cycle_momentum: bool = True, base_momentum: float = 0.8, max_momentum: float = 0.9,
                 last_epoch: int = -1) -> None:
        groups = _groups(optimizer)
        base_lrs = _format_param("base_lr", optimizer, base_lr)
        self.max_lrs = _format_param("max_lr", optimizer, max_lr)
        up = v.real("step_size_up", step_size_up, low=0.0, low_open=True)
        down = up if step_size_down is None else v.real("step_size_down", step_size_down, low=0.0)
        self.total_size, self.step_ratio = up + down, up / (up + down)
        if mode not in ["triangular", "triangular2", "exp_range"] and scale_fn is None:
            raise ValueError("mode is invalid and scale_fn is None")
        self.mode, self.gamma, self.scale_mode = mode, gamma, scale_mode
        self._scale_fn_custom = scale_fn
        if scale_fn is None:
            self.scale_mode = "iterations" if mode == "exp_range" else "cycle"
        self.cycle_momentum = cycle_momentum
        mparam = None
        if cycle_momentum:
            mparam = _momentum_param(optimizer)
            self.use_beta1 = mparam == "betas[0]"
            self.base_momentums = _format_param("base_momentum", optimizer, base_momentum)
            self.max_momentums = _format_param("max_momentum", optimizer, max_momentum)
        if last_epoch == -1:
            for lr, g in zip(base_lrs, groups, strict=True):
                g["lr"] = lr if not hasattr(g["lr"], "fill_") else g["lr"].fill_(lr)
            if cycle_momentum:
                for mm, bm, g in zip(self.max_momentums, self.base_momentums, groups, strict=True):
                    g["max_momentum"], g["base_momentum"] = mm, bm
        _bases(optimizer, last_epoch)  # torch sets initial_lr like every scheduler
        down_arg = None if step_size_down is None else down
        self._shape = cyclic(0.0, 1.0, up, down_arg, mode=mode if scale_fn is None else "triangular",
                             gamma=gamma if scale_fn is None else 1.0)
        lr = [self._cycle(b, m, up, down_arg) for b, m in zip(base_lrs, self.max_lrs, strict=True)]
        momentum = None
        if mparam is not None:
            momentum = (mparam, [self._cycle(mx, bs, up, down_arg)
                                 for bs, mx in zip(self.base_momentums, self.max_momentums, strict=True)])
        self._start(optimizer, lr, last_epoch, base_lrs, momentum)

    _STATE_EXTRA = ("_scale_fn_custom",)

    def scale_fn(self, x: Any) -> float:
        """torch's ``scale_fn``: the amplitude factor at cycle (or step) x."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        return float(self._shape.scale(x))

    def state_dict(self) -> dict[str, Any]:
        """As :meth:`lrkit.Scheduler.state_dict`, plus torch's ``_scale_fn_custom``: the
        state (``__dict__``) of a callable ``scale_fn`` object; it must be JSON-able."""
        sd = super().state_dict()
        if self._scale_fn_custom is not None:
            sd["_scale_fn_custom"] = _object_states([self._scale_fn_custom], "scale_fn")[0]
        return sd

    def load_state_dict(self, state_dict: Mapping[str, Any], on_change: str | None = None) -> None:
        """As :meth:`_Compat.load_state_dict`; also restores a ``scale_fn`` object's state."""
        fn = self._scale_fn_custom
        if fn is None or not isinstance(state_dict, dict):
            super().load_state_dict(state_dict, on_change)
            return
        saved = state_dict.get("_scale_fn_custom")
        with _restored_states([fn], None if saved is None else [saved], "scale_fn"):
            super().load_state_dict(state_dict, on_change)

    def _cycle(self, low: float, high: float, up: float, down: float | None) -> Schedule:
        """low + (high − low)·h·scale: a core ``cyclic`` unless scale_fn is a callable."""
        if self._scale_fn_custom is None:
            return cyclic(low, high, up, down, mode=self.mode, gamma=self.gamma)
        tri = cyclic(low, high, up, down)._fn or cyclic(low, high, up, down)._build()
        fn, size, by_cycle = self._scale_fn_custom, self.total_size, self.scale_mode == "cycle"

        def value(t: Any) -> float:
            x = math.floor(1 + t / size) if by_cycle else t
            return low + (tri(t) - low) * fn(x)

        value.__qualname__ = f"cyclic with scale_fn {getattr(fn, '__qualname__', type(fn).__name__)}"
        return custom(value)


class OneCycleLR(_Compat):
    """The 1cycle policy (``onecycle``), with momentum or ``betas[0]`` cycled inversely.

    Steps 0..total_steps are allowed (at total_steps the last phase is extended
    by its own formula, as torch does); later steps raise ValueError.
    """

    def __init__(self, optimizer: Any, max_lr: float | list[float], total_steps: int | None = None,
                 epochs: int | None = None, steps_per_epoch: int | None = None, pct_start: float = 0.3,
                 anneal_strategy: str = "cos", cycle_momentum: bool = True,
                 base_momentum: float | list[float] = 0.85, max_momentum: float | list[float] = 0.95,
                 div_factor: float = 25.0, final_div_factor: float = 1e4, three_phase: bool = False,
                 last_epoch: int = -1) -> None:
        groups = _groups(optimizer)
        if total_steps is not None:
            if total_steps <= 0 or not isinstance(total_steps, int):
                raise ValueError(f"Expected positive integer total_steps, but got {total_steps}")
            self.total_steps = total_steps
        elif epochs is not None and steps_per_epoch is not None:
            if not isinstance(epochs, int) or epochs <= 0:
                raise ValueError(f"Expected positive integer epochs, but got {epochs}")
            if not isinstance(steps_per_epoch, int) or steps_per_epoch <= 0:
                raise ValueError(f"Expected positive integer steps_per_epoch, but got {steps_per_epoch}")
            self.total_steps = epochs * steps_per_epoch
        else:
            raise ValueError("You must define either total_steps OR (epochs AND steps_per_epoch)")
        if pct_start < 0 or pct_start > 1 or not isinstance(pct_start, float):
            raise ValueError(f"Expected float between 0 and 1 pct_start, but got {pct_start}")
        if anneal_strategy not in ["cos", "linear"]:
            raise ValueError(
                f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}"
            )
        self.anneal_strategy, self.three_phase = anneal_strategy, three_phase
        v.real("div_factor", div_factor, low=0.0, low_open=True)  # torch: ZeroDivisionError at 0
        v.real("final_div_factor", final_div_factor, low=0.0, low_open=True)
        max_lrs = _format_param("max_lr", optimizer, max_lr)
        if last_epoch == -1:
            for m, g in zip(max_lrs, groups, strict=True):
                # torch also overwrites group["initial_lr"] with max_lr / div_factor, which
                # then becomes the base of any scheduler built after this one and breaks
                # resuming those built before it: lrkit leaves initial_lr alone
                g["max_lr"] = m
                g["min_lr"] = m / div_factor / final_div_factor
        self.cycle_momentum = cycle_momentum
        T = self.total_steps
        lr: list[Schedule] = []
        shapes: list[Any] = []
        ends = [e for e, _, _ in onecycle_phases(T, pct_start, bool(three_phase), (0.0, 0.0, 0.0))]
        empty = [i + 1 for i, (s0, s1) in enumerate(zip([0.0, *ends[:-1]], ends, strict=True)) if s1 <= s0]
        if empty:
            # torch runs it: phases by its rule (lrkit.onecycle refuses an empty phase)
            warnings.warn(
                f"OneCycleLR(total_steps={T}, pct_start={pct_start}, three_phase={bool(three_phase)}) "
                f"leaves phase {', '.join(map(str, empty))} empty; running torch's values for it",
                UserWarning, stacklevel=3)
        for m in max_lrs:
            initial = m / div_factor
            if empty:
                phases = onecycle_phases(T, pct_start, bool(three_phase),
                                         (initial, m, initial / final_div_factor))
                shapes.append(phases)
                lr.append(self._through(phases))
                continue
            shape = onecycle(T, peak=m, pct_start=pct_start, div_factor=div_factor,
                             final_div_factor=final_div_factor, anneal=anneal_strategy,
                             three_phase=bool(three_phase))
            shapes.append(shape)
            lr.append(join([shape, constant(self._at_total(shape.phases()))], [T]))
        momentum = None
        if cycle_momentum:
            mparam = _momentum_param(optimizer)
            self.use_beta1 = mparam == "betas[0]"
            maxm = _format_param("max_momentum", optimizer, max_momentum)
            basem = _format_param("base_momentum", optimizer, base_momentum)
            if last_epoch == -1:
                for mm, bm, g in zip(maxm, basem, groups, strict=True):
                    g["max_momentum"], g["base_momentum"] = mm, bm
            ms = [self._through(onecycle_phases(T, pct_start, bool(three_phase), (mm, bm, mm)))
                  if empty else self._momentum(shape.phases((mm, bm, mm)))
                  for shape, mm, bm in zip(shapes, maxm, basem, strict=True)]
            momentum = (mparam, ms)
        _bases(optimizer, last_epoch)
        self._start(optimizer, lr, last_epoch, [m / div_factor for m in max_lrs], momentum)

    def _momentum(self, phases: list[tuple[float, float, float]]) -> Schedule:
        """Momentum through the phases [(end, from, to)] (``interpolate``), then torch's value
        at total_steps."""
        kind = "cosine" if self.anneal_strategy == "cos" else "linear"
        points: list[tuple[float, float]] = [(0, phases[0][1])]
        for end, _, to in phases:
            points.append((end, to))
        return join([interpolate(points, kind=kind), constant(self._at_total(phases))],
                    [self.total_steps])

    def _through(self, phases: list[tuple[float, float, float]]) -> Schedule:
        """torch's value at steps 0..total_steps for any phases (empty ones included): at
        step t torch uses the first phase whose end is >= t (else the last), from the end of
        the phase before it: ``interpolate`` through the ends of the phases in use."""
        T = self.total_steps
        ends = [e for e, _, _ in phases]
        used = []
        reached = -math.inf  # the largest end before phase i: phase i holds steps in (reached, end]
        extended = False  # total_steps is in the last phase, past its end
        for i, end in enumerate(ends):
            lo = max(reached, -0.5)
            start = ends[i - 1] if i > 0 else 0.0
            inside = math.floor(min(end, T)) > lo  # an integer step in (lo, min(end, T)]
            if i == len(ends) - 1 and T > max(lo, end):
                extended = True
            if (inside or extended) and end == start:
                raise ValueError(
                    f"OneCycleLR(total_steps={T}): phase {i + 1} has no length (it starts and ends "
                    f"at step {end}); torch divides by zero there. Use another pct_start")
            if inside:
                used.append(i)
            reached = max(reached, end)
        if not used:  # only total_steps itself, in the extended last phase
            return constant(self._at_total(phases))
        first = used[0]
        points = [(ends[first - 1] if first > 0 else 0.0, phases[first][1])]
        points += [(ends[i], phases[i][2]) for i in used]
        kind = "cosine" if self.anneal_strategy == "cos" else "linear"
        offset = max(0.0, -points[0][0])  # interpolate starts at step >= 0: shift it
        body: Schedule = interpolate([(x + offset, y) for x, y in points], kind=kind)
        if offset:
            body = shift(body, -offset)
        if extended:  # at total_steps: the last phase's formula past its end, as torch
            body = join([body, constant(self._at_total(phases))], [T])
        return body

    def _at_total(self, phases: list[tuple[float, float, float]]) -> float:
        """torch's value at step total_steps: the last phase's formula with progress > 1,
        kept within the phase's range (torch's linear anneal overshoots it, down to a
        negative lr; the cosine one stays inside)."""
        T = self.total_steps
        start = phases[-2][0]
        _, a, b = phases[-1]
        pct = (T - start) / (phases[-1][0] - start)
        if self.anneal_strategy == "cos":
            x = b + (a - b) / 2.0 * (math.cos(math.pi * pct) + 1)
        else:
            x = (b - a) * pct + a
        return min(max(x, min(a, b)), max(a, b))

    def step(self, epoch: int | float | None = None) -> None:  # type: ignore[override]  # torch: steps only
        t = self.last_epoch + 1 if epoch is None else self._check_epoch(epoch)
        if t > self.total_steps:
            raise ValueError(
                f"Tried to step {t} times. The specified number of total steps is {self.total_steps}"
            )
        super().step(t)


# -- composites -------------------------------------------------------------------
class SequentialLR(_Compat):
    """Child i drives the lr from milestones[i−1] on, seeing its own step from 0 there:
    ``join([child schedules], milestones)`` per group (nesting composites works)."""

    def __init__(self, optimizer: Any, schedulers: list[Any], milestones: list[int],
                 last_epoch: int = -1) -> None:
        children = _children(type(self).__name__, optimizer, schedulers)
        if len(milestones) != len(children) - 1:
            raise ValueError(
                "Sequential Schedulers expects number of schedulers provided to be one more "
                f"than the number of milestone points, but got number of schedulers {len(children)} and "
                f"the number of milestones to be equal to {len(milestones)}"
            )
        ms = [_int_arg(f"milestones[{i}]", m, 0) for i, m in enumerate(milestones)]
        if any(b < a for a, b in zip(ms, ms[1:], strict=False)):
            raise ValueError(f"milestones must be sorted (non-decreasing), got {list(milestones)!r}")
        self._schedulers, self._milestones = children, ms
        # a child whose span is empty (milestones equal, or 0) never acts
        starts = [0, *ms]
        keep = [i for i in range(len(children)) if i == len(children) - 1 or starts[i + 1] > starts[i]]
        bounds = [starts[i] for i in keep[1:]]
        groups = _groups(optimizer)
        lr = []
        for g in range(len(groups)):
            pieces = [_child_lr(children[i], g, optimizer) for i in keep]
            lr.append(pieces[0] if len(pieces) == 1 else join(pieces, bounds))
        momentum = self._momentum(optimizer, [children[i] for i in keep], bounds, starts, keep)
        self._start(optimizer, lr, last_epoch, _bases(optimizer, last_epoch), momentum)

    def recursive_undo(self, sched: Any = None) -> None:
        """torch's API: step back the ``last_epoch`` of every (nested) child by one.  torch
        calls it while building; here the children's own steps do not drive the lr
        (their schedules are joined), so it only changes what they report."""
        target = self if sched is None else sched
        if hasattr(target, "_schedulers"):
            for s in target._schedulers:
                self.recursive_undo(s)
        elif hasattr(target, "last_epoch"):
            target.last_epoch -= 1

    @staticmethod
    def _momentum(optimizer: Any, kids: list[Scheduler], bounds: list[int], starts: list[int],
                  keep: list[int]) -> tuple[str, list[Schedule]] | None:
        """Momentum follows the active child that cycles it, else holds its last value."""
        tracks = [_child_momentum(k) for k in kids]
        params = {t.param for t in tracks if t is not None}
        if not params:
            return None
        if len(params) > 1:
            raise ValueError("children cycle different momentum parameters ('momentum' and 'betas[0]')")
        param = params.pop()
        key, index = ("betas", 0) if param == "betas[0]" else ("momentum", None)
        out = []
        for g, group in enumerate(optimizer.param_groups):
            cur = group[key] if index is None else group[key][index]
            held = as_float(cur, param)
            pieces: list[Schedule] = []
            for j, tr in enumerate(tracks):
                if tr is not None and tr.schedules[g] is not None:
                    s = _absolute(tr, g)
                    assert s is not None
                    pieces.append(s)
                    if j + 1 < len(tracks):
                        span = bounds[j] - (bounds[j - 1] if j > 0 else 0)
                        held = float(s(max(span - 1, 0)))
                else:
                    pieces.append(constant(held))
            out.append(pieces[0] if len(pieces) == 1 else join(pieces, bounds))
        return param, out


class ChainedScheduler(_Compat):
    """All children act at once: lr = b·Π_i lr_i(t)/b_i, the product of their factors
    (b_i: child i's base lr).  Momentum follows the last child that cycles it."""

    def __init__(self, schedulers: Sequence[Any], optimizer: Any = None) -> None:
        if len(schedulers) < 1:
            raise ValueError(
                f"{type(self).__name__} expects at least one scheduler to be chained, but got no scheduler."
            )
        optimizer = optimizer or schedulers[0].optimizer
        children = _children(type(self).__name__, optimizer, schedulers)
        self._schedulers = children
        groups = _groups(optimizer)
        lr = []
        for g in range(len(groups)):
            factors: list[Any] = []
            scale = 1.0
            for i, c in enumerate(children):
                s = _child_lr(c, g, optimizer)
                factors.append(s)
                if i > 0:
                    b = _child_base(c, g)
                    scale = scale / b if b != 0 else 0.0
            if len(factors) == 1:
                lr.append(factors[0])
            else:
                lr.append(Product([*factors, scale]) if scale != 0.0 else constant(0.0))
        momentum = None
        for c in reversed(children):
            tr = _child_momentum(c)
            if tr is not None:
                momentum = (tr.param, [_absolute(tr, g) or constant(0.0) for g in range(len(groups))])
                break
        # what torch's children report (get_last_lr): child k steps after children < k, before > k
        self._child_lrs = [[_child_lr(c, g, optimizer) for g in range(len(groups))] for c in children]
        self._child_scales = [[1.0 / b if (b := _child_base(c, g)) else 0.0 for g in range(len(groups))]
                              for c in children[1:]]
        self._start(optimizer, lr, -1, [_child_base(children[0], g) for g in range(len(groups))],
                    momentum)

    def _apply(self, t: int | float) -> None:
        super()._apply(t)
        self._report_children(t)

    def _report_children(self, t: int | float) -> None:
        """Child k reports b·Π_{j<=k} f_j(t)·Π_{j>k} f_j(t − 1), as torch's children do (at
        step 0, children built later are not there yet)."""
        n = len(self._schedulers)
        reported: list[list[float | None]] = [[] for _ in range(n)]
        for g, first in enumerate(self._child_lrs[0]):
            lead = float(first(t))
            # each later child's factor at t and at t − 1, evaluated once for all children k
            now = [float(self._child_lrs[j][g](t)) * self._child_scales[j - 1][g] for j in range(1, n)]
            before = [float(self._child_lrs[j][g](t - 1)) * self._child_scales[j - 1][g] if t > 0 else None
                      for j in range(1, n)]
            for k in range(n):
                v = lead
                for j in range(1, n):
                    term = now[j - 1] if j <= k else before[j - 1]
                    if term is not None:
                        v *= term
                reported[k].append(v)
        for child, out in zip(self._schedulers, reported, strict=True):
            child._reported = out
            child.last_epoch = t


def _child_base(c: Scheduler, g: int) -> float:
    """A child's reference lr for group g: its lr at step 0 without its own factor."""
    if isinstance(c, ReduceLROnPlateau):
        return c._composable_base(g)
    tr = next(t for t in c._tracks if t.param == "lr")
    if tr.relative:
        return tr.bases[g]
    base = getattr(c, "_base_lrs", None)
    if base is not None:
        return base[g]
    s = tr.schedules[g]
    return float(s(0)) if s is not None else 1.0


class ReduceLROnPlateau(_Compat):
    """Reduce the lr by ``factor`` when a metric stops improving (torch's rule, see
    :mod:`lrkit.plateau`).

    As torch's, it only ever writes an lr when it reduces one: new = max(lr·factor,
    min_lr), skipped when lr − new <= eps, per group, on the group's current lr (so
    it combines with another scheduler stepping the same optimizer).  Its own
    state (best, bad reports, cooldown, reductions) is in ``state_dict``; the lr
    itself is restored with the optimizer's state, as with torch.  Inside
    ``SequentialLR``/``ChainedScheduler`` it acts as ``constant(b) * plateau(...)``
    (b: the group's ``initial_lr``), fed by the parent's ``report(metric)``.
    """

    _STATE_EXTRA = ("config", "scales")

    def __init__(self, optimizer: Any, mode: str = "min", factor: float = 0.1, patience: int = 10,
                 threshold: float = 1e-4, threshold_mode: str = "rel", cooldown: int = 0,
                 min_lr: list[float] | float = 0, eps: float = 1e-8) -> None:
        if v.real("factor", factor) >= 1.0:
            raise ValueError("Factor should be < 1.0.")
        v.real("factor", factor, low=0.0)
        v.real("eps", eps, low=0.0)
        groups = _groups(optimizer)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != len(groups):
                raise ValueError(f"expected {len(groups)} min_lrs, got {len(min_lr)}")
            self.default_min_lr = None
            self.min_lrs = [v.real(f"min_lr[{i}]", x, low=0.0) for i, x in enumerate(min_lr)]
        else:
            self.default_min_lr = min_lr
            self.min_lrs = [v.real("min_lr", min_lr, low=0.0)] * len(groups)
        if mode not in {"min", "max"}:
            raise ValueError("mode " + str(mode) + " is unknown!")
        if threshold_mode not in {"rel", "abs"}:
            raise ValueError("threshold mode " + str(threshold_mode) + " is unknown!")
        self.mode, self.factor, self.patience, self.threshold = mode, factor, patience, threshold
        self.threshold_mode, self.cooldown, self.eps = threshold_mode, cooldown, eps
        self.mode_worse = math.inf if mode == "min" else -math.inf
        bases = [as_float(g["lr"], f"param_groups[{i}]['lr']") for i, g in enumerate(groups)]
        # one rule for every group, as torch's: one plateau node, so one state
        self._rule = plateau(self.mode, self.factor, self.patience, self.threshold, self.threshold_mode,
                             self.cooldown)
        #: per group, the product of the reductions made (its factor when compounding)
        self._scales = [1.0] * len(groups)
        self._start(optimizer, [constant(b) * self._rule for b in bases], -1, bases)

    def _schedule(self, b: float, i: int) -> Schedule:
        """constant(b) * plateau(...) with min_lr and eps in units of b (inside composites)."""
        if b <= 0:
            return constant(b)
        p = plateau(self.mode, self.factor, self.patience, self.threshold, self.threshold_mode,
                    self.cooldown, min_scale=self.min_lrs[i] / b, eps=self.eps / b)
        return constant(b) * p

    def _composable_base(self, i: int) -> float:
        g = self.optimizer.param_groups[i]
        return as_float(g.get("initial_lr", g["lr"]), "initial_lr")

    def _composable(self, i: int) -> Schedule:
        """Group i's lr inside a composite: relative to the group's initial lr."""
        return self._schedule(self._composable_base(i), i)

    def _apply(self, t: int | float) -> None:
        """Nothing to write: the lr changes only when a reduction is due (see step)."""
        self._applied = t

    def _factor(self, param: str, i: int) -> float:
        return self._scales[i] if param == "lr" and i < len(self._scales) else 1.0

    def step(self, metrics: Any, epoch: int | None = None) -> None:  # type: ignore[override]
        """Feed one metric (``epoch``, deprecated in torch, sets last_epoch)."""
        current = float(metrics)
        self.last_epoch = self.last_epoch + 1 if epoch is None else self._check_epoch(epoch)
        self._plateaus[0].report(current, reduce=self._reduce_all)

    def report(self, metric: Any) -> bool:
        before = self._plateaus[0].reductions
        self.step(metric)
        return self._plateaus[0].reductions != before

    def _reduce_all(self) -> bool:
        """torch's reduction on every live group: new = max(lr·factor, min_lr), kept when
        lr − new > eps; True when any group was reduced."""
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(
                    "The number of param groups in the `optimizer` "
                    f"({len(groups)}) differs from when `ReduceLROnPlateau` was initialized "
                    f"({len(self.min_lrs)}), usually due to a new param group being added to the "
                    "optimizer. Please modify the `min_lrs` field to match the length of the "
                    "`optimizer` param groups."
                )
            self.min_lrs = [float(self.default_min_lr)] * len(groups)
        reduced = False
        for i, group in enumerate(groups):
            reduced = self._reduce(group, i) or reduced
        return reduced

    def _reduce(self, group: dict[str, Any], i: int) -> bool:
        old = as_float(group["lr"], "lr")
        new = max(old * self.factor, self.min_lrs[i])
        if old - new > self.eps:
            cur = group["lr"]
            if hasattr(cur, "fill_"):
                cur.fill_(new)
            else:
                group["lr"] = new
            while len(self._scales) <= i:
                self._scales.append(1.0)
            self._scales[i] = self._scales[i] * new / old if old else 0.0
            return True
        return False

    def get_last_lr(self) -> list[float]:
        return [as_float(g["lr"], "lr") for g in self.optimizer.param_groups]

    def _load_torch_extra(self, sd: dict[str, Any]) -> None:
        for st in self._plateaus:
            best = sd.get("best", st.best)
            st.best = float(best)
            st.num_bad_epochs = int(sd.get("num_bad_epochs", 0))
            st.cooldown_counter = int(sd.get("cooldown_counter", 0))

    def _config(self) -> dict[str, Any]:
        return {"mode": self.mode, "factor": self.factor, "patience": self.patience,
                "threshold": self.threshold, "threshold_mode": self.threshold_mode,
                "cooldown": self.cooldown, "min_lrs": list(self.min_lrs), "eps": self.eps}

    def state_dict(self) -> dict[str, Any]:
        """JSON-able: the rule's settings and its state (the lr is the optimizer's)."""
        sd = super().state_dict()
        sd["config"] = self._config()
        sd["scales"] = list(self._scales)
        return sd

    def load_state_dict(self, state_dict: Mapping[str, Any], on_change: str | None = None) -> None:
        """Restore the plateau state; settings that differ are refused unless
        ``on_change`` is ``"continue"`` (or ``"rescale"``, the same here)."""
        policy = self.on_change if on_change is None else on_change
        if _is_torch_state(state_dict):
            self._load_torch_state(dict(state_dict), policy)
            return
        sd = self._checked_state(state_dict)
        saved = sd.get("config")
        if not isinstance(saved, dict):
            raise ValueError("state_dict lacks the 'config' of a ReduceLROnPlateau")
        now = self._config()
        diff = [f"  {k}: saved {saved.get(k)!r}, now {v!r}" for k, v in now.items() if saved.get(k) != v]
        if diff and policy == "error":
            raise ValueError("the ReduceLROnPlateau settings differ from the saved ones:\n" + "\n".join(diff)
                             + "\nPass on_change='continue' to keep the saved state with the new settings.")
        tracks = sd["tracks"]
        if len(tracks) != 1 or tracks[0]["param"] != "lr":
            raise ValueError("state_dict['tracks'] is not that of a ReduceLROnPlateau (one track, 'lr'): "
                             f"{[tr['param'] for tr in tracks]}")
        if len(tracks[0]["schedules"]) != len(self._tracks[0].schedules):
            raise ValueError(f"state_dict has {len(tracks[0]['schedules'])} param groups, the optimizer "
                             f"{len(self._tracks[0].schedules)}")
        if not sd["plateaus"]:
            raise ValueError("state_dict['plateaus'] is empty: not a ReduceLROnPlateau state")
        # one state drives every group (a state saved per group holds the same counters)
        self._plateaus[0].load_state_dict(sd["plateaus"][0], "state_dict['plateaus'][0]")
        scales = sd.get("scales")
        if scales is not None:
            if not isinstance(scales, list) or not all(
                    isinstance(x, (int, float)) and not isinstance(x, bool) and 0 <= x < math.inf for x in scales):
                raise ValueError(f"state_dict['scales'] must be a list of finite numbers >= 0, got {scales!r}")
            self._scales = [float(x) for x in scales]
        self.last_epoch = sd["last_epoch"]

    def _first(self, name: str) -> Any:
        return getattr(self._plateaus[0], name) if self._plateaus else 0

    @property
    def best(self) -> float:
        return self._plateaus[0].best if self._plateaus else self.mode_worse

    @property
    def num_bad_epochs(self) -> int:
        return self._first("num_bad_epochs")

    @property
    def cooldown_counter(self) -> int:
        return self._first("cooldown_counter")

    @property
    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

