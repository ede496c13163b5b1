"""Drop-in details of the torch-compatible classes, each against the installed torch:
stateful ``lr_lambda`` objects resume with their saved state, torch's step-order
warnings, and constructor errors that name the caller's argument."""

from __future__ import annotations

import json
import math
import random
import re
import warnings
from typing import Any

import pytest

torch = pytest.importorskip("torch")
import torch.optim.lr_scheduler as T  # noqa: E402

import lrkit  # noqa: E402
import lrkit.torch as LT  # noqa: E402


def make_opt(lrs: tuple[float, ...] = (0.1,)) -> Any:
    groups = [{"params": [torch.nn.Parameter(torch.zeros(2))], "lr": lr} for lr in lrs]
    return torch.optim.SGD(groups, lr=0.1, momentum=0.9)


def lrs(o: Any) -> list[float]:
    return [float(g["lr"]) for g in o.param_groups]


# -- 6. stateful lr_lambda objects ------------------------------------------------------
class Fn:
    """A callable object with state: f^t."""

    def __init__(self, f: float) -> None:
        self.f = f

    def __call__(self, t: int) -> float:
        return self.f ** t


class Ratio:
    def __init__(self, r: float) -> None:
        self.r, self.tag = r, ["a", 1]

    def __call__(self, t: int) -> float:
        return self.r


@pytest.mark.parametrize("mod", [LT, lrkit], ids=["lrkit.torch", "lrkit"])
@pytest.mark.parametrize("cls,make,other", [
    ("LambdaLR", lambda: Fn(0.5), lambda: Fn(0.9)),
    ("MultiplicativeLR", lambda: Ratio(0.5), lambda: Ratio(0.9)),
])
@pytest.mark.parametrize("through_json", [False, True])
def test_stateful_lambda_resumes_with_saved_state(mod: Any, cls: str, make: Any, other: Any,
                                                   through_json: bool) -> None:
    def run(M: Any) -> tuple[list[float], list[float]]:
        o = make_opt((0.1, 0.2))
        s = getattr(M, cls)(o, make())
        for _ in range(3):
            o.step()
            s.step()
        sd, osd = s.state_dict(), o.state_dict()
        if through_json and M is not T:
            sd = json.loads(json.dumps(sd))
        o2 = make_opt((0.1, 0.2))
        s2 = getattr(M, cls)(o2, other())
        o2.load_state_dict(osd)
        s2.load_state_dict(sd)
        out = []
        for _ in range(3):
            o2.step()
            s2.step()
            out.append(lrs(o2))
        return out[-1], [s2.lr_lambdas[0].__dict__[k] for k in sorted(s2.lr_lambdas[0].__dict__)
                         if k != "tag"]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref, ref_state = run(T)
    mine, my_state = run(mod)
    assert my_state == ref_state
    assert mine == pytest.approx(ref, rel=1e-12)


def test_torch_state_dict_restores_lambda_state() -> None:
    """A torch LambdaLR state dict (lr_lambdas holds the object's __dict__) loads into lrkit."""
    o = make_opt()
    s = T.LambdaLR(o, Fn(0.5))
    for _ in range(3):
        o.step()
        s.step()
    o2 = make_opt()
    mine = LT.LambdaLR(o2, Fn(0.9))
    mine.load_state_dict(s.state_dict())
    assert mine.lr_lambdas[0].f == 0.5
    o.step()
    s.step()
    o2.step()
    mine.step()
    assert lrs(o2) == pytest.approx(lrs(o), rel=1e-12)


class Unsaveable:
    def __init__(self) -> None:
        self.table = {1: 0.5}  # int keys do not survive JSON

    def __call__(self, t: int) -> float:
        return 1.0


def test_non_json_lambda_state_is_refused_not_lost() -> None:
    s = LT.LambdaLR(make_opt(), Unsaveable())
    with pytest.raises(TypeError, match=r"lr_lambdas\[0\] is a Unsaveable object.*not JSON-able"):
        s.state_dict()
    s2 = LT.LambdaLR(make_opt(), [Fn(0.5)])
    sd = s2.state_dict()
    del sd["lr_lambdas"]  # e.g. saved by an older lrkit
    with pytest.raises(ValueError, match=r"no saved state for lr_lambdas\[0\]"):
        LT.LambdaLR(make_opt(), Fn(0.9)).load_state_dict(sd)


def test_refused_load_leaves_lambda_state_alone() -> None:
    s = LT.LambdaLR(make_opt(), Fn(0.5))
    s.step()
    sd = s.state_dict()
    fresh = Fn(0.9)
    with pytest.raises(ValueError, match="differs"):  # another base lr: a changed schedule
        LT.LambdaLR(make_opt((0.7,)), fresh).load_state_dict(sd)
    assert fresh.f == 0.9


def test_plain_functions_save_no_state() -> None:
    s = LT.LambdaLR(make_opt((0.1, 0.2)), lambda t: 0.5 ** t)
    assert s.state_dict()["lr_lambdas"] == [None, None]


# -- 7. step-order warnings -----------------------------------------------------------
def _scenario(M: Any, build: Any, order: str, n: int = 4) -> list[tuple[str, str]]:
    o = make_opt((0.1, 0.2))
    s = build(M, o)
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        for i in range(n):
            if order == "normal":
                o.step()
                s.step()
            elif order == "before":  # the pre-1.1 order
                s.step()
                o.step()
            elif order == "overridden":
                if i == 0:
                    o.step = lambda *a, **k: None
                o.step()
                s.step()
            elif order == "first_skipped":  # GradScaler skips the very first optimizer step
                if i > 0:
                    o.step()
                s.step()
            elif order == "later_skipped":  # ... a later one
                if i != 2:
                    o.step()
                s.step()
    return [(w.category.__name__, str(w.message)[:40]) for w in got
            if "lr_scheduler" in str(w.message) or "optimizer.step" in str(w.message)]


BUILDERS = {
    "StepLR": lambda M, o: M.StepLR(o, 2),
    "LambdaLR": lambda M, o: M.LambdaLR(o, lambda t: 1.0),
    "CosineAnnealingWarmRestarts": lambda M, o: M.CosineAnnealingWarmRestarts(o, 2),
    "CyclicLR": lambda M, o: M.CyclicLR(o, 0.01, 0.1, 2),
    "OneCycleLR": lambda M, o: M.OneCycleLR(o, 0.1, total_steps=10),
    "ChainedScheduler": lambda M, o: M.ChainedScheduler([M.StepLR(o, 2), M.ExponentialLR(o, 0.9)]),
    "SequentialLR": lambda M, o: M.SequentialLR(o, [M.ConstantLR(o), M.StepLR(o, 2)], [2]),
    "SequentialLR-m1": lambda M, o: M.SequentialLR(o, [M.ConstantLR(o), M.StepLR(o, 2)], [1]),
}


@pytest.mark.parametrize("order", ["normal", "before", "overridden", "first_skipped", "later_skipped"])
@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_step_order_warnings_as_torch(name: str, order: str) -> None:
    build = BUILDERS[name]
    assert _scenario(LT, build, order) == _scenario(T, build, order)


def test_no_order_warnings_with_on_optimizer_step_or_plateau() -> None:
    o = make_opt()
    s = LT.StepLR(o, 2, on_optimizer_step=True)
    p = LT.ReduceLROnPlateau(make_opt())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s.step()
        p.step(1.0)
        o.step()
        s.step()


def test_torch_and_lrkit_share_the_step_marking() -> None:
    """A torch scheduler built after an lrkit one sees the optimizer as already marked."""
    o = make_opt()
    LT.StepLR(o, 2)
    marked = o.step
    T.StepLR(o, 2)
    assert o.step is marked
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        o.step()
        LT.StepLR(o, 2).step()


# -- 9. constructor errors name the torch argument --------------------------------------
F = lambda t: 1.0  # noqa: E731

BAD: list[tuple[str, dict[str, Any], str]] = [
    ("LambdaLR", {"lr_lambda": 3}, "lr_lambda"),
    ("LambdaLR", {"lr_lambda": [3]}, "lr_lambda should be a function"),
    ("MultiplicativeLR", {"lr_lambda": "x"}, "lr_lambda"),
    ("StepLR", {"step_size": 0}, "step_size must be an integer >= 1"),
    ("StepLR", {"step_size": -2}, "step_size must be an integer >= 1"),
    ("StepLR", {"step_size": 1.5}, "step_size must be an integer"),
    ("StepLR", {"step_size": "a"}, "step_size must be an integer"),
    ("StepLR", {"step_size": 2, "gamma": -0.5}, "gamma must be >= 0"),
    ("StepLR", {"step_size": 2, "gamma": math.nan}, "gamma must be finite"),
    ("StepLR", {"step_size": 2, "gamma": "x"}, "gamma must be a real number"),
    ("MultiStepLR", {"milestones": 5}, "milestones must be a list"),
    ("MultiStepLR", {"milestones": [2], "gamma": -1}, "gamma must be >= 0"),
    ("ConstantLR", {"factor": "x"}, "factor must be a real number"),
    ("ConstantLR", {"total_iters": -1}, "total_iters must be an integer >= 0"),
    ("ConstantLR", {"total_iters": 1.5}, "total_iters must be an integer >= 0"),
    ("LinearLR", {"start_factor": "x"}, "start_factor must be a real number"),
    ("LinearLR", {"total_iters": -1}, "total_iters must be an integer >= 0"),
    ("ExponentialLR", {"gamma": -1}, "gamma must be >= 0"),
    ("ExponentialLR", {"gamma": math.inf}, "gamma must be finite"),
    ("PolynomialLR", {"total_iters": 2.5}, "total_iters must be an integer >= 0"),
    ("PolynomialLR", {"power": -1}, "power must be >= 0"),
    ("CosineAnnealingLR", {"T_max": 0}, "T_max must be > 0"),
    ("CosineAnnealingLR", {"T_max": -3}, "T_max must be > 0"),
    ("CosineAnnealingLR", {"T_max": "a"}, "T_max must be a real number"),
    ("CosineAnnealingLR", {"T_max": 5, "eta_min": "a"}, "eta_min must be a real number"),
    ("CosineAnnealingWarmRestarts", {"T_0": 0}, "T_0"),
    ("CosineAnnealingWarmRestarts", {"T_0": 2, "T_mult": 0}, "T_mult"),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 0}, "step_size_up must be > 0"),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_down": -1}, "step_size_down must be >= 0"),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "mode": "exp_range", "gamma": -1}, "gamma must be > 0"),
    ("CyclicLR", {"base_lr": "a", "max_lr": 0.1}, "base_lr must be a number"),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": [0.1, 0.2]}, "max_lr must have the same length"),
    ("OneCycleLR", {"max_lr": 0.1, "total_steps": 10, "div_factor": 0}, "div_factor must be > 0"),
    ("OneCycleLR", {"max_lr": 0.1, "total_steps": 10, "final_div_factor": -1},
     "final_div_factor must be > 0"),
    ("OneCycleLR", {"max_lr": 0.1, "total_steps": 0}, "total_steps"),
    ("OneCycleLR", {"max_lr": 0.1, "total_steps": 10, "pct_start": 1.5}, "pct_start"),
    ("ReduceLROnPlateau", {"factor": -1}, "factor must be >= 0"),
    ("ReduceLROnPlateau", {"factor": "a"}, "factor must be a real number"),
    ("ReduceLROnPlateau", {"patience": -1}, "patience must be an integer >= 0"),
    ("ReduceLROnPlateau", {"cooldown": 1.5}, "cooldown must be an integer"),
    ("ReduceLROnPlateau", {"min_lr": -1}, "min_lr must be >= 0"),
    ("ReduceLROnPlateau", {"eps": -1}, "eps must be >= 0"),
    ("ReduceLROnPlateau", {"threshold": -1}, "threshold must be >= 0"),
]
INTERNAL = r"\b(every|steps|min_scale|down|fn|start|end|peak|low|high|up) must"


@pytest.mark.parametrize("mod", [LT, lrkit], ids=["lrkit.torch", "lrkit"])
@pytest.mark.parametrize("cls,kwargs,message", BAD, ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(BAD)])
def test_errors_name_the_torch_argument(mod: Any, cls: str, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises((ValueError, TypeError)) as e:
        getattr(mod, cls)(make_opt(), **kwargs)
    assert not re.search(INTERNAL, str(e.value)), str(e.value)
    assert e.match(message)


def test_cyclic_step_size_down_zero_runs_as_torch() -> None:
    """torch runs step_size_down=0 (a sawtooth): so does lrkit."""
    ref_o, my_o = make_opt(), make_opt()
    ref = T.CyclicLR(ref_o, 0.01, 0.1, step_size_up=3, step_size_down=0)
    mine = LT.CyclicLR(my_o, 0.01, 0.1, step_size_up=3, step_size_down=0)
    for _ in range(10):
        for o, s in ((ref_o, ref), (my_o, mine)):
            o.step()
            s.step()
        assert lrs(my_o) == pytest.approx(lrs(ref_o), rel=1e-10)


def test_random_good_arguments_still_accepted() -> None:
    rng = random.Random(11)
    for _ in range(50):
        LT.StepLR(make_opt(), rng.randint(1, 9), rng.choice([0.0, 0.5, 1.0, 2.0]))
        LT.CosineAnnealingLR(make_opt(), rng.choice([1, 2.5, 10]), rng.uniform(0, 0.05))


# -- 8. OneCycleLR configurations with an empty phase run as torch's ----------------------
def _onecycle_trace(M: Any, kw: dict[str, Any], kind: str) -> list[tuple[float, float]] | str:
    p = torch.nn.Parameter(torch.zeros(2))
    o = (torch.optim.SGD([p], lr=0.1, momentum=0.9) if kind == "sgd"
         else torch.optim.Adam([p], lr=0.1))
    key = "momentum" if kind == "sgd" else "betas"

    def now() -> tuple[float, float]:
        g = o.param_groups[0]
        return float(g["lr"]), float(g[key] if kind == "sgd" else g[key][0])

    try:
        s = M.OneCycleLR(o, 0.5, **kw)
        out = [now()]
        for _ in range(kw["total_steps"]):
            o.step()
            s.step()
            out.append(now())
    except (ZeroDivisionError, ValueError) as e:
        return type(e).__name__
    return out


def test_onecycle_degenerate_phases_match_torch() -> None:
    rng = random.Random(8)
    degenerate = 0
    for _ in range(600):
        n = rng.choice([1, 2, 3, 4, 5, 7, 10, 13, 100, rng.randint(1, 60)])
        kw = {"total_steps": n,
              "pct_start": float(rng.choice([0.0, 0.01, 0.1, 0.3, 0.5, 0.54, 0.9, 0.99, 1.0, rng.random()])),
              "three_phase": rng.random() < 0.5, "anneal_strategy": rng.choice(["cos", "linear"])}
        kind = rng.choice(["sgd", "adam"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = _onecycle_trace(T, kw, kind)
        with warnings.catch_warnings(record=True) as got:
            warnings.simplefilter("always")
            mine = _onecycle_trace(LT, kw, kind)
        if isinstance(ref, str):  # torch divides by zero: lrkit says why, as a ValueError
            assert mine == "ValueError", (kw, mine)
            continue
        assert not isinstance(mine, str), kw
        if any("empty" in str(w.message) for w in got):
            degenerate += 1
        # linear anneal at total_steps: lrkit holds the minimum (a documented difference)
        upto = len(ref) - 1 if kw["anneal_strategy"] == "linear" else len(ref)
        for t, ((a, b), (c, d)) in enumerate(zip(ref[:upto], mine[:upto], strict=True)):
            assert math.isclose(a, c, rel_tol=1e-9, abs_tol=1e-15), (kw, t, a, c)
            assert math.isclose(b, d, rel_tol=1e-9, abs_tol=1e-15), (kw, t, b, d)
    assert degenerate > 50


def test_onecycle_empty_phase_warns_and_runs() -> None:
    o = make_opt()
    with pytest.warns(UserWarning, match="leaves phase 3 empty"):
        s = LT.OneCycleLR(o, 0.5, total_steps=100, three_phase=True, pct_start=0.54)
    for _ in range(100):
        o.step()
        s.step()
    with pytest.raises(ValueError, match="phase 1 empty"):
        lrkit.onecycle(100, three_phase=True, pct_start=0.001)  # the native shape still refuses
