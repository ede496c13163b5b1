"""Public attributes: every public attribute and method of torch 2.13's scheduler instance
exists on lrkit's (``lrkit.torch.X`` and the torch-free ``lrkit.X``), with torch's values,
after construction and after every step.

Names deliberately not compared (LEFT_OUT, with the reason) are listed below; torch's
private members that user code reads (``SequentialLR._schedulers``/``_milestones``,
``ChainedScheduler._schedulers``) are checked too.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import pytest

torch = pytest.importorskip("torch")
import torch.optim.lr_scheduler as T  # noqa: E402

import lrkit  # noqa: E402
import lrkit.torch as LT  # noqa: E402

STEPS = 12

# name -> why it is not compared by value (its presence still is)
LEFT_OUT = {
    # the optimizer objects differ by construction (one per run); checked: lrkit's is its own
    "optimizer": "each run has its own optimizer; lrkit's must be the one it was given",
    # the children are each implementation's own objects: compared by count and class name
    "_schedulers": "children are per-implementation objects: compared by count and class name",
}
# torch's private members that user code reads, per class
PRIVATE_READ = {"SequentialLR": ["_schedulers", "_milestones"], "ChainedScheduler": ["_schedulers"]}


def fn_lambda(t: int) -> float:
    return 0.9 ** t


def fn_mult(t: int) -> float:
    return 0.95


def make_opt(lrs: list[float], kind: str = "sgd") -> Any:
    groups = [{"params": [torch.nn.Parameter(torch.zeros(2))], "lr": lr} for lr in lrs]
    if kind == "adam":
        return torch.optim.Adam(groups, lr=0.1, betas=(0.9, 0.999))
    return torch.optim.SGD(groups, lr=0.1, momentum=0.9)


# (class name, builder(module, optimizer), optimizer lrs, optimizer kind)
CASES: list[tuple[str, Any, list[float], str]] = [
    ("LambdaLR", lambda M, o: M.LambdaLR(o, fn_lambda), [0.1, 0.5], "sgd"),
    ("MultiplicativeLR", lambda M, o: M.MultiplicativeLR(o, [fn_mult, fn_lambda]), [0.1, 0.5], "sgd"),
    ("StepLR", lambda M, o: M.StepLR(o, 3, 0.5), [0.1, 0.5], "sgd"),
    ("MultiStepLR", lambda M, o: M.MultiStepLR(o, [2, 5, 5, 9], 0.5), [0.1], "sgd"),
    ("ConstantLR", lambda M, o: M.ConstantLR(o, 0.5, 4), [0.1, 0.3], "sgd"),
    ("LinearLR", lambda M, o: M.LinearLR(o, 0.2, 0.9, 6), [0.1], "sgd"),
    ("ExponentialLR", lambda M, o: M.ExponentialLR(o, 0.8), [0.1, 0.2], "sgd"),
    ("PolynomialLR", lambda M, o: M.PolynomialLR(o, 8, 2.0), [0.1], "sgd"),
    ("CosineAnnealingLR", lambda M, o: M.CosineAnnealingLR(o, 5, 0.01), [0.1, 0.4], "sgd"),
    ("CosineAnnealingWarmRestarts", lambda M, o: M.CosineAnnealingWarmRestarts(o, 2, 2, 0.001), [0.1],
     "sgd"),
    ("CosineAnnealingWarmRestarts", lambda M, o: M.CosineAnnealingWarmRestarts(o, 3), [0.1], "sgd"),
    ("CyclicLR", lambda M, o: M.CyclicLR(o, 0.01, 0.1, 3, 2, mode="triangular2"), [0.1], "sgd"),
    ("CyclicLR", lambda M, o: M.CyclicLR(o, [0.01, 0.02], 0.1, 2, mode="exp_range", gamma=0.9),
     [0.1, 0.2], "adam"),
    ("CyclicLR", lambda M, o: M.CyclicLR(o, 0.01, 0.1, 2, scale_fn=lambda x: 0.5 ** x,
                                         scale_mode="iterations", cycle_momentum=False), [0.1], "sgd"),
    ("OneCycleLR", lambda M, o: M.OneCycleLR(o, 0.5, total_steps=STEPS + 1), [0.1, 0.2], "sgd"),
    ("OneCycleLR", lambda M, o: M.OneCycleLR(o, [0.5, 0.3], epochs=4, steps_per_epoch=4,
                                             three_phase=True, anneal_strategy="linear"),
     [0.1, 0.2], "adam"),
    ("SequentialLR", lambda M, o: M.SequentialLR(o, [M.LinearLR(o, 0.5, 1.0, 3), M.StepLR(o, 2, 0.5)],
                                                 [4]), [0.1, 0.2], "sgd"),
    ("ChainedScheduler", lambda M, o: M.ChainedScheduler([M.StepLR(o, 3, 0.5), M.ExponentialLR(o, 0.9)]),
     [0.1], "sgd"),
    ("ReduceLROnPlateau", lambda M, o: M.ReduceLROnPlateau(o, patience=1, factor=0.5, min_lr=[0.01, 0.0]),
     [0.1, 0.2], "sgd"),
    ("ReduceLROnPlateau", lambda M, o: M.ReduceLROnPlateau(o, "max", cooldown=2, patience=0), [0.1],
     "sgd"),
]
METRICS = [1.0, 0.9, 0.95, 0.96, 0.97, 0.8, 0.85, 0.9, 0.9, 0.7, 0.75, 0.8]


def public(obj: Any) -> set[str]:
    return {a for a in dir(obj) if not a.startswith("_")}


def is_method(obj: Any, name: str) -> bool:
    return callable(getattr(type(obj), name, None)) and not isinstance(
        getattr(type(obj), name, None), property)


def plain(x: Any) -> Any:
    if isinstance(x, torch.Tensor):
        return x.tolist()
    if isinstance(x, (list, tuple)):
        return [plain(y) for y in x]
    return x


def same(a: Any, b: Any) -> bool:
    a, b = plain(a), plain(b)
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None or isinstance(a, str):
        return a == b
    if isinstance(a, numbers.Real) and isinstance(b, numbers.Real):
        return math.isclose(a, b, rel_tol=1e-10, abs_tol=1e-15) or (math.isinf(a) and a == b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def compare(name: str, ref: Any, mine: Any, step: int) -> None:
    names = (public(ref) | set(PRIVATE_READ.get(name, []))) - {"optimizer"}
    missing = sorted(n for n in names if not hasattr(mine, n))
    assert not missing, f"{name}: missing {missing}"
    assert mine.optimizer is not None
    for n in sorted(names):
        if is_method(ref, n):
            assert callable(getattr(mine, n)), f"{name}.{n} is not callable"
            continue
        a, b = getattr(ref, n), getattr(mine, n)
        if n in LEFT_OUT:
            assert len(a) == len(b) and [type(x).__name__ for x in a] == [type(x).__name__ for x in b]
            continue
        if n in ("lr_lambdas",):  # the very functions given
            assert list(a) == list(b), f"{name}.{n}"
            continue
        assert same(a, b), f"{name}.{n} at step {step}: torch {a!r}, lrkit {b!r}"
    if name == "CyclicLR":  # a method; its values must agree
        for x in (0, 1, 2, 3, 7.5):
            assert same(ref.scale_fn(x), mine.scale_fn(x)), f"scale_fn({x})"


@pytest.mark.parametrize("mod", [LT, lrkit], ids=["lrkit.torch", "lrkit"])
@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_public_attributes_match_torch(case: Any, mod: Any) -> None:
    import warnings

    name, build, lrs, kind = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = build(T, make_opt(lrs, kind))
        mine = build(mod, make_opt(lrs, kind))
        compare(name, ref, mine, 0)
        for k in range(STEPS):
            for s in (ref, mine):
                s.optimizer.step()
                if name == "ReduceLROnPlateau":
                    s.step(METRICS[k])
                else:
                    s.step()
            compare(name, ref, mine, k + 1)


def test_warm_restarts_T_cur_after_fractional_epochs() -> None:
    """T_cur / T_i after step(epoch) with fractional epochs, as torch's (T_mult 1 and 2)."""
    import warnings

    for mult in (1, 2):
        ref = T.CosineAnnealingWarmRestarts(make_opt([0.1]), 2, mult)
        mine = LT.CosineAnnealingWarmRestarts(make_opt([0.1]), 2, mult)
        for e in (0.5, 1.25, 2.0, 3.5, 5.75, 6.0, 13.0, 14.5):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ref.step(e)
            mine.step(e)
            assert same(ref.T_cur, mine.T_cur) and ref.T_i == mine.T_i, (mult, e)
