"""Drop-in fidelity against the installed torch: the call orders and optimizer changes users make.

Every test runs torch's class and lrkit's side by side on identical optimizers and compares
every group's lr (and momentum / betas[0]) after every call:

* a mid-run resume through ``json.dumps``/``loads`` in each order torch allows (scheduler
  state before or after the optimizer's, and the optimizer loaded before the scheduler is
  built), against the uninterrupted run;
* ``optimizer.add_param_group()`` mid-run;
* two schedulers stepping one optimizer (every chainable pair, both call orders, resumed);
* ``ChainedScheduler``'s children's ``get_last_lr()``;
* the same resume orders through Accelerate's ``AcceleratedOptimizer``.

A tensor lr is compared at float32 precision where torch chains float32 arithmetic on it.
"""

from __future__ import annotations

import json
import math
import random
import warnings
from typing import Any

import pytest

torch = pytest.importorskip("torch")
import torch.optim.lr_scheduler as T  # noqa: E402

import lrkit  # noqa: E402
import lrkit.torch as LT  # noqa: E402

from .test_compat_torch import (  # noqa: E402
    CLASSES,
    build,
    make_optimizer,
    momentum_key,
    random_optimizer_cfg,
    random_spec,
    values,
)

REL = 1e-10
STEPS = 30
# the classes whose torch get_lr multiplies the group's current lr by a ratio
CHAINABLE = ["StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR", "PolynomialLR",
             "CosineAnnealingLR"]


def random_cfg(rng: random.Random) -> dict[str, Any]:
    """An optimizer config of test_compat_torch's, the tensor lr float64 or float32."""
    cfg = random_optimizer_cfg(rng)
    cfg["dtype"] = rng.choice([torch.float64, torch.float32])
    return cfg


def assert_close(want: list[float], got: list[float], cfg: dict[str, Any], where: Any) -> None:
    assert len(want) == len(got), where
    for i, (a, b) in enumerate(zip(want, got)):
        f32 = i == cfg["tensor_group"] and cfg.get("dtype") == torch.float32
        rel = 3e-5 if f32 else REL  # torch chains float32 products: ~1 ulp a step
        assert math.isclose(a, b, rel_tol=rel, abs_tol=1e-12 if f32 else 1e-14), (where, i, want, got)


def compare(ot: Any, ol: Any, cfg: dict[str, Any], where: Any) -> None:
    assert_close(values(ot, "lr"), values(ol, "lr"), cfg, where)
    key = momentum_key(cfg)
    assert_close(values(ot, key), values(ol, key), cfg, where)


def advance(s: Any, plateau: bool, metric: float) -> None:
    if plateau:
        s.step(metric)
    else:
        s.step()


def spec_steps(spec: tuple) -> int:
    name, kw = spec
    if name == "OneCycleLR":
        return kw.get("total_steps") or kw["epochs"] * kw["steps_per_epoch"]
    return STEPS


# -- resume in every order ---------------------------------------------------------------
ORDERS = ["scheduler-then-optimizer", "optimizer-then-scheduler", "optimizer-before-build"]


def load_in_order(order: str, o: Any, build_scheduler: Any, saved_opt: dict, saved_sched: dict) -> Any:
    """Resume a fresh optimizer ``o`` and the scheduler ``build_scheduler(o)`` in one of ORDERS."""
    if order == "optimizer-before-build":
        o.load_state_dict(saved_opt)
        s = build_scheduler(o)
        s.load_state_dict(saved_sched)
        return s
    s = build_scheduler(o)
    if order == "scheduler-then-optimizer":
        s.load_state_dict(saved_sched)
        o.load_state_dict(saved_opt)
    else:
        o.load_state_dict(saved_opt)
        s.load_state_dict(saved_sched)
    return s


def resumed(mod: Any, cfg: dict[str, Any], spec: tuple, saved_opt: dict, saved_sched: dict,
            order: str) -> tuple[Any, Any]:
    o = make_optimizer(cfg)
    return o, load_in_order(order, o, lambda opt: build(mod, opt, spec), saved_opt, saved_sched)


def run_resume(name: str, seed: int, order: str) -> None:
    rng = random.Random(f"resume-{name}-{seed}-{order}")
    cfg = random_cfg(rng)
    spec = random_spec(name, rng, len(cfg["lrs"]), cfg["kind"])
    plateau = name == "ReduceLROnPlateau"
    steps = spec_steps(spec)
    cut = rng.randint(1, steps - 2)
    metrics = [rng.choice([1.0, rng.uniform(0, 2)]) for _ in range(steps + 1)]
    mod = LT if seed % 2 else lrkit
    ot, ol = make_optimizer(cfg), make_optimizer(cfg)
    st, sl = build(T, ot, spec), build(mod, ol, spec)
    where = (name, seed, order, spec, cfg)
    for t in range(steps - 1):
        if t == cut:
            saved_sched = json.loads(json.dumps(sl.state_dict()))
            ol, sl = resumed(mod, cfg, spec, ol.state_dict(), saved_sched, order)
            compare(ot, ol, cfg, (*where, "resumed at", t))
        ot.step()
        ol.step()
        advance(st, plateau, metrics[t])
        advance(sl, plateau, metrics[t])
        compare(ot, ol, cfg, (*where, t))


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("name", CLASSES)
def test_resume_in_every_order(name: str, order: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for seed in range(40):
            run_resume(name, seed, order)


def test_the_issue_example_resumes() -> None:
    """StepLR saved at step 5; scheduler state loaded before the optimizer's (torch allows it)."""
    out = {}
    for mod in (T, LT, lrkit):
        p = torch.nn.Parameter(torch.zeros(1))
        o = torch.optim.SGD([p], lr=0.5)
        s = mod.StepLR(o, 3, 0.1)
        for _ in range(5):
            o.step()
            s.step()
        saved_s, saved_o = json.loads(json.dumps(s.state_dict())) if mod is not T else s.state_dict(), o.state_dict()
        o2 = torch.optim.SGD([p], lr=0.5)
        s2 = mod.StepLR(o2, 3, 0.1)
        s2.load_state_dict(saved_s)
        o2.load_state_dict(saved_o)
        trace = []
        for _ in range(5):
            o2.step()
            s2.step()
            trace.append(o2.param_groups[0]["lr"])
        out[mod] = trace
    assert out[T][0] == pytest.approx(0.005)
    assert out[LT] == pytest.approx(out[T], rel=1e-12) and out[lrkit] == pytest.approx(out[T], rel=1e-12)


def test_reassigned_param_groups_are_followed() -> None:
    p = torch.nn.Parameter(torch.zeros(1))
    o = torch.optim.SGD([p], lr=1.0)
    s = lrkit.Scheduler(o, lrkit.step(2, gamma=0.5))
    o.param_groups = [dict(g) for g in o.param_groups]  # user code replacing the list and its dicts
    s.step()
    s.step()
    assert o.param_groups[0]["lr"] == 0.5


# -- add_param_group mid-run ---------------------------------------------------------------
def run_added_group(name: str, seed: int) -> None:
    rng = random.Random(f"add-{name}-{seed}")
    cfg = random_cfg(rng)
    spec = random_spec(name, rng, len(cfg["lrs"]), cfg["kind"])
    if name == "ReduceLROnPlateau":
        spec[1]["min_lr"] = rng.choice([0, 1e-3])
    plateau = name == "ReduceLROnPlateau"
    steps = spec_steps(spec)
    at = rng.randint(0, steps - 3)
    new_lr = rng.uniform(1e-3, 1.0)
    metrics = [rng.choice([1.0, rng.uniform(0, 2)]) for _ in range(steps + 1)]
    ot, ol = make_optimizer(cfg), make_optimizer(cfg)
    st, sl = build(T, ot, spec), build(LT if seed % 2 else lrkit, ol, spec)
    where = (name, seed, spec, cfg, at)
    for t in range(steps - 1):
        if t == at:
            for o in (ot, ol):
                o.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))],
                                   "lr": new_lr})
        ot.step()
        ol.step()
        try:
            advance(st, plateau, metrics[t])
        except (ValueError, RuntimeError, KeyError) as e:  # torch cannot schedule the new group
            if name == "CosineAnnealingLR":
                return  # torch raises at T_max + 1 (zip strict=True); lrkit continues the curve (README)
            with pytest.raises(type(e) if not isinstance(e, KeyError) else ValueError):
                advance(sl, plateau, metrics[t])
            return
        advance(sl, plateau, metrics[t])
        compare(ot, ol, {**cfg, "lrs": [*cfg["lrs"], new_lr]} if t >= at else cfg, (*where, t))


@pytest.mark.parametrize("name", [*CHAINABLE, "LambdaLR", "MultiplicativeLR", "CosineAnnealingWarmRestarts",
                                  "CyclicLR", "OneCycleLR", "ReduceLROnPlateau"])
def test_add_param_group_mid_run(name: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for seed in range(40):
            run_added_group(name, seed)


def test_add_param_group_the_issue_example() -> None:
    traces = {}
    for mod in (T, LT, lrkit):
        o = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
        s = mod.StepLR(o, 2, 0.1)
        o.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.5})
        trace = []
        for _ in range(4):
            trace.append(o.param_groups[1]["lr"])
            o.step()
            s.step()
        traces[mod] = trace
    assert traces[T] == pytest.approx([0.5, 0.5, 0.05, 0.05])
    assert traces[LT] == pytest.approx(traces[T]) and traces[lrkit] == pytest.approx(traces[T])


def test_add_param_group_native_scheduler() -> None:
    o = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    s = lrkit.Scheduler(o, lrkit.cosine(10))
    s.step()
    o.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.5})
    s.step()
    assert o.param_groups[1]["lr"] == pytest.approx(0.5 * lrkit.cosine(10)(2))
    assert o.param_groups[1]["initial_lr"] == 0.5
    # per-group schedules: a new group has none, which is an error, not a silent constant
    o = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    s = lrkit.Scheduler(o, [lrkit.cosine(10)])
    o.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.5})
    with pytest.raises(ValueError, match=r"param_groups\[1\] was added"):
        s.step()


def test_plateau_list_min_lr_with_a_new_group_raises_like_torch() -> None:
    for mod in (T, LT):
        o = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
        s = mod.ReduceLROnPlateau(o, patience=0, min_lr=[0.0])
        o.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.5})
        s.step(1.0)
        with pytest.raises(RuntimeError, match="number of param groups"):
            s.step(2.0)


# -- two schedulers on one optimizer ----------------------------------------------------------
def run_pair(a: str, b: str, seed: int) -> None:
    rng = random.Random(f"pair-{a}-{b}-{seed}")
    cfg = random_cfg(rng)
    n = len(cfg["lrs"])
    specs = [random_spec(x, rng, n, cfg["kind"]) for x in (a, b)]
    for sp in specs:
        if sp[0] == "CosineAnnealingLR":
            sp[1]["eta_min"] = 0.0  # torch's eta_min > 0 recursion is not a product (README)
            sp[1]["T_max"] = max(sp[1]["T_max"], STEPS)  # nor is it past T_max
    mod = LT if seed % 2 else lrkit
    b_first = rng.random() < 0.5
    cut = rng.randint(1, STEPS - 2)
    ot, ol = make_optimizer(cfg), make_optimizer(cfg)
    tt = [build(T, ot, sp) for sp in specs]
    ll = [build(mod, ol, sp) for sp in specs]
    where = (a, b, seed, specs, cfg, b_first)
    compare(ot, ol, cfg, (*where, "built"))
    for t in range(STEPS):
        if t == cut:  # resume both schedulers, the optimizer's state in between
            saved = [json.loads(json.dumps(s.state_dict())) for s in ll]
            so = ol.state_dict()
            ol = make_optimizer(cfg)
            ll = [build(mod, ol, sp) for sp in specs]
            ll[0].load_state_dict(saved[0])
            ol.load_state_dict(so)
            ll[1].load_state_dict(saved[1])
            compare(ot, ol, cfg, (*where, "resumed", t))
        ot.step()
        ol.step()
        for k in ((1, 0) if b_first else (0, 1)):
            tt[k].step()
            ll[k].step()
            compare(ot, ol, cfg, (*where, t, k))
            assert_close([float(x) for x in tt[k].get_last_lr()], ll[k].get_last_lr(), cfg, (*where, t, k, "last"))


@pytest.mark.parametrize("a", CHAINABLE)
def test_two_schedulers_compound_like_torch(a: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for b in CHAINABLE:
            for seed in range(12):
                run_pair(a, b, seed)


def test_two_schedulers_the_issue_example() -> None:
    out = {}
    for mod in (T, LT, lrkit):
        o = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.5)
        a, b = mod.StepLR(o, 3, 0.1), mod.ExponentialLR(o, 0.9)
        for _ in range(3):
            o.step()
            a.step()
            b.step()
        out[mod] = o.param_groups[0]["lr"]
    assert out[T] == pytest.approx(0.5 * 0.1 * 0.9**3)  # the product of the two factors
    assert out[LT] == pytest.approx(out[T], rel=1e-12) and out[lrkit] == pytest.approx(out[T], rel=1e-12)


def test_plateau_next_to_a_schedule_keeps_its_reductions() -> None:
    for mod in (LT, lrkit):
        pair = []
        for m in (T, mod):
            o = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
            cos = m.CosineAnnealingLR(o, T_max=50)
            pl = m.ReduceLROnPlateau(o, patience=1, factor=0.5)
            trace = []
            for _ in range(20):
                o.step()
                cos.step()
                pl.step(1.0)  # never improves: a reduction every other report
                trace.append(o.param_groups[0]["lr"])
            pair.append(trace)
        assert pair[1] == pytest.approx(pair[0], rel=1e-12)


def test_a_collected_scheduler_stops_compounding() -> None:
    import gc

    o = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    a = lrkit.StepLR(o, 1, 0.5)
    a.step()
    del a
    gc.collect()
    b = lrkit.ExponentialLR(o, 0.9)
    b.step()
    assert o.param_groups[0]["lr"] == pytest.approx(0.9)


# -- ChainedScheduler's children -------------------------------------------------------------
def test_chained_children_report_torchs_last_lr() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for seed in range(60):
            rng = random.Random(f"chain-kids-{seed}")
            cfg = random_cfg(rng)
            cfg["tensor_group"] = None
            kids = [random_spec(rng.choice(CHAINABLE[:-1]), rng, len(cfg["lrs"]), cfg["kind"])
                    for _ in range(rng.randint(1, 3))]
            spec = ("ChainedScheduler", {"schedulers": kids})
            ot, ol = make_optimizer(cfg), make_optimizer(cfg)
            st, sl = build(T, ot, spec), build(LT if seed % 2 else lrkit, ol, spec)
            for t in range(STEPS):
                ot.step()
                st.step()
                sl.step()
                for k, (a, b) in enumerate(zip(st._schedulers, sl._schedulers)):
                    assert_close([float(x) for x in a.get_last_lr()], b.get_last_lr(), cfg, (seed, kids, t, k))
                    assert a.last_epoch == b.last_epoch


def test_chained_child_the_issue_example() -> None:
    for mod in (T, LT):
        o = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.5)
        child = mod.StepLR(o, 3, 0.1)
        chain = mod.ChainedScheduler([child])
        for _ in range(4):
            o.step()
            chain.step()
        assert child.get_last_lr() == pytest.approx([0.05])


# -- wrappers ----------------------------------------------------------------------------------
def test_resume_orders_through_accelerate() -> None:
    accelerate = pytest.importorskip("accelerate")
    accelerator = accelerate.Accelerator(cpu=True)

    def AcceleratedOptimizer(o: Any, device_placement: bool) -> Any:  # noqa: N802
        return accelerator.prepare_optimizer(o, device_placement=device_placement)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for order in ORDERS:
            traces = []
            for mod in (T, LT):
                p = torch.nn.Parameter(torch.zeros(1))
                o = AcceleratedOptimizer(torch.optim.SGD([p], lr=0.5), device_placement=False)
                s = mod.MultiStepLR(o, [2, 4, 7], 0.5)
                for _ in range(5):
                    o.step()
                    s.step()
                so, ss = o.state_dict(), s.state_dict()
                if mod is LT:
                    ss = json.loads(json.dumps(ss))
                o = AcceleratedOptimizer(torch.optim.SGD([p], lr=0.5), device_placement=False)
                s = load_in_order(order, o, lambda opt, m=mod: m.MultiStepLR(opt, [2, 4, 7], 0.5), so, ss)
                trace = []
                for _ in range(5):
                    o.step()
                    s.step()
                    trace.append(o.param_groups[0]["lr"])
                traces.append(trace)
            assert traces[1] == pytest.approx(traces[0], rel=1e-12), order


def test_native_schedulers_compound_and_absolute_ones_warn() -> None:
    o = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.5)
    a = lrkit.Scheduler(o, lrkit.cosine(10))
    b = lrkit.Scheduler(o, lrkit.exponential(0.5))
    a.step()
    b.step()
    assert o.param_groups[0]["lr"] == pytest.approx(0.5 * lrkit.cosine(10)(1) * 0.5)
    with pytest.warns(UserWarning, match="relative=False"):
        lrkit.Scheduler(o, lrkit.constant(0.1), relative=False)


def test_copies_of_a_scheduler_join_the_optimizers_peers() -> None:
    import copy

    o = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.5)
    s = LT.StepLR(o, 2, 0.5)
    s2 = copy.deepcopy(s)  # a copy drives its own (copied) optimizer
    s2.step()
    s2.step()
    assert s2.optimizer.param_groups[0]["lr"] == pytest.approx(0.25)
    assert o.param_groups[0]["lr"] == 0.5
