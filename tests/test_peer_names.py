"""Every row of lrkit.peer_names, executed side by side with the installed peer.

Each row's ``lrkit`` form has the peer's argument names; a case below gives them numbers, the
form is filled in and read by ``lrkit.parse`` (so the ``/`` ``*`` ``+`` ``-`` between numbers
are the parser's), and the schedule is run as the row's ``kind`` says: a factor through
``lrkit.Scheduler(opt, form)`` (the default, checked relative: it must not trip on a correct
factor), the lr itself through ``relative=False``, against the peer's lr at every step.
Tolerance: 1e-12 of the peak, except where the peer computes in float32 (Keras' cosine
schedules: 1e-6).
"""

from __future__ import annotations

import math
import os
import re

import pytest

import lrkit
from lrkit.peer_names import PEER_NAMES, PEERS, lookup, translation

os.environ.setdefault("KERAS_BACKEND", "jax")

torch = pytest.importorskip("torch")
torch.set_num_threads(1)

N = 300  # steps compared per row


class Text(str):
    """A placeholder's value that is lrkit text itself (a child schedule), put in as written."""


def fill(form: str, values: dict[str, object]) -> str:
    """``form`` with each placeholder name (not a keyword, not a call) replaced by its value's text."""
    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in values:
            return name
        v = values[name]
        return v if isinstance(v, Text) else repr(v)

    return re.sub(r"(?<![\w'.])([A-Za-z_]\w*)\b(?!\s*[=(])", sub, form)


def close(a: list[float], b: list[float], tol: float) -> None:
    peak = max(max(abs(x) for x in a), max(abs(x) for x in b), 1e-300)
    for t, (x, y) in enumerate(zip(a, b, strict=True)):
        assert abs(x - y) <= tol * peak, f"step {t}: lrkit {x!r}, peer {y!r}"


# -- torch-based peers (torch, transformers, timm) -----------------------------------------------
def _opt(lr: float, momentum: float = 0.0) -> object:
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=lr, momentum=momentum)


def _lr(opt: object) -> float:
    return float(opt.param_groups[0]["lr"])  # type: ignore[attr-defined]


def _torch_run(make, base: float, n: int, momentum: float = 0.0) -> list[float]:
    opt = _opt(base, momentum)
    sched = make(opt)
    out = [_lr(opt)]
    for _ in range(n - 1):
        opt.step()
        sched.step()
        out.append(_lr(opt))
    return out


def _timm_run(make, base: float, n: int) -> list[float]:
    opt = _opt(base)
    sched = make(opt)
    out = [_lr(opt)]
    for epoch in range(1, n):
        sched.step(epoch)
        out.append(_lr(opt))
    return out


def _lrkit_run(text: str, kind: str, base: float, n: int) -> list[float]:
    opt = _opt(base)
    sched = lrkit.Scheduler(opt, text, relative=None if kind == "factor" else False)
    out = [_lr(opt)]
    for _ in range(n - 1):
        sched.step()
        out.append(_lr(opt))
    return out


METRICS = [1.0 / (1 + t // 13) + 0.001 * ((t * 7919) % 5) for t in range(N)]


def _plateau_runs(make_peer, text: str, base: float, *, timm_style: bool = False,
                  metrics=METRICS) -> tuple[list[float], list[float]]:
    opt_p, opt_l = _opt(base), _opt(base)
    peer = make_peer(opt_p)
    mine = lrkit.Scheduler(opt_l, text)
    got, want = [_lr(opt_l)], [_lr(opt_p)]
    for epoch, m in enumerate(metrics, start=1):
        if timm_style:
            peer.step(epoch, m)
        else:
            peer.step(m)
        mine.report(m)
        got.append(_lr(opt_l))
        want.append(_lr(opt_p))
    return got, want


def _torch_cases() -> dict[str, tuple[dict[str, object], object]]:
    S = torch.optim.lr_scheduler
    return {
        "StepLR": ({"step_size": 30, "gamma": 0.5}, lambda o: S.StepLR(o, 30, gamma=0.5)),
        "MultiStepLR": ({"milestones": [40, 90, 91, 200], "gamma": 0.3},
                        lambda o: S.MultiStepLR(o, [40, 90, 91, 200], gamma=0.3)),
        "ExponentialLR": ({"gamma": 0.99}, lambda o: S.ExponentialLR(o, 0.99)),
        "MultiplicativeLR": ({"gamma": 0.995},
                             lambda o: S.MultiplicativeLR(o, lr_lambda=lambda e: 0.995)),
        "ConstantLR": ({"factor": 1 / 3, "total_iters": 57},
                       lambda o: S.ConstantLR(o, factor=1 / 3, total_iters=57)),
        "LinearLR": ({"start_factor": 0.25, "end_factor": 0.75, "total_iters": 120},
                     lambda o: S.LinearLR(o, start_factor=0.25, end_factor=0.75, total_iters=120)),
        "PolynomialLR": ({"total_iters": 150, "power": 2.5},
                         lambda o: S.PolynomialLR(o, total_iters=150, power=2.5)),
        "CosineAnnealingLR": ({"T_max": 70, "eta_min": 0.003},
                              lambda o: S.CosineAnnealingLR(o, T_max=70, eta_min=0.003)),
        "CosineAnnealingWarmRestarts": (
            {"T_0": 20, "T_mult": 2, "eta_min": 0.001},
            lambda o: S.CosineAnnealingWarmRestarts(o, T_0=20, T_mult=2, eta_min=0.001)),
        "CyclicLR": ({"base_lr": 0.01, "max_lr": 0.2, "step_size_up": 25, "step_size_down": 40,
                      "mode": "triangular2", "gamma": 1.0},
                     lambda o: S.CyclicLR(o, 0.01, 0.2, step_size_up=25, step_size_down=40,
                                          mode="triangular2")),
        "OneCycleLR": ({"max_lr": 0.3, "total_steps": N, "pct_start": 0.25, "anneal_strategy": "cos",
                        "div_factor": 10.0, "final_div_factor": 100.0, "three_phase": True},
                       lambda o: S.OneCycleLR(o, 0.3, total_steps=N, pct_start=0.25, div_factor=10.0,
                                              final_div_factor=100.0, three_phase=True)),
        "SequentialLR": ({"a": Text("linear(10, start=0.1, end=1.0)"), "b": Text("pingpong(cosine(90))"),
                          "milestones": [10]},
                         lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.1, total_iters=10),
                                                      S.CosineAnnealingLR(o, T_max=90)], [10])),
        "ChainedScheduler": ({"a": Text("step(10, gamma=0.5)"), "b": Text("exponential(0.99)")},
                             lambda o: S.ChainedScheduler([S.StepLR(o, 10, gamma=0.5),
                                                           S.ExponentialLR(o, 0.99)])),
    }


TORCH_MOMENTUM = {"CyclicLR", "OneCycleLR"}  # they cycle the momentum too (only the lr is compared)


def _row(peer: str, call: str):
    rows = [r for r in PEER_NAMES if r.peer == peer and r.call == call]
    assert len(rows) == 1, (peer, call)
    return rows[0]


@pytest.mark.parametrize("row", [r for r in PEER_NAMES if r.peer == "torch"], ids=lambda r: r.name)
def test_torch_rows(row):
    base = 0.1
    S = torch.optim.lr_scheduler
    if row.name == "LambdaLR":
        fn = lambda t: 1.0 / (1.0 + 0.01 * t)  # noqa: E731
        mine = lrkit.custom(fn)
        assert row.lrkit == "custom(lr_lambda)"
        got = [base * mine(t) for t in range(N)]
        close(got, _torch_run(lambda o: S.LambdaLR(o, fn), base, N), 1e-12)
        return
    if row.name == "ReduceLROnPlateau":
        values = {"mode": "min", "factor": 0.5, "patience": 3, "threshold": 1e-4,
                  "threshold_mode": "rel", "cooldown": 2, "min_lr": 0.01, "eps": 1e-8, "base_lr": base}
        got, want = _plateau_runs(lambda o: S.ReduceLROnPlateau(o, factor=0.5, patience=3, cooldown=2,
                                                                min_lr=0.01),
                                  fill(row.lrkit, values), base)
        close(got, want, 1e-12)
        assert min(want) == pytest.approx(0.01)  # the case reaches min_lr
        return
    values, make = _torch_cases()[row.name]
    text = fill(row.lrkit, {"base_lr": base, **values})
    n = values.get("total_steps", N)
    momentum = 0.9 if row.name in TORCH_MOMENTUM else 0.0
    close(_lrkit_run(text, row.kind, base, n), _torch_run(make, base, n, momentum), 1e-12)


# -- transformers --------------------------------------------------------------------------------
def _hf_cases():
    import transformers as T

    w, total = 25, 250
    common = {"num_warmup_steps": w, "num_training_steps": total}
    return {
        "constant": ({}, lambda o: T.get_constant_schedule(o), {}),
        "constant_with_warmup": ({"num_warmup_steps": w},
                                 lambda o: T.get_constant_schedule_with_warmup(o, w),
                                 {"num_warmup_steps": w}),
        "linear": (common, lambda o: T.get_linear_schedule_with_warmup(o, w, total), common),
        "cosine": (common, lambda o: T.get_cosine_schedule_with_warmup(o, w, total), common),
        "cosine_with_restarts": (common, lambda o: T.get_cosine_with_hard_restarts_schedule_with_warmup(
            o, w, total, num_cycles=1), common),
        "polynomial": ({**common, "lr_end": 1e-3, "power": 2.0},
                       lambda o: T.get_polynomial_decay_schedule_with_warmup(o, w, total, lr_end=1e-3,
                                                                             power=2.0),
                       {**common, "scheduler_specific_kwargs": {"lr_end": 1e-3, "power": 2.0}}),
        "inverse_sqrt": ({"num_warmup_steps": w}, lambda o: T.get_inverse_sqrt_schedule(o, w),
                         {"num_warmup_steps": w}),
        "cosine_with_min_lr": ({**common, "min_lr_rate": 0.05},
                               lambda o: T.get_cosine_with_min_lr_schedule_with_warmup(
                                   o, w, total, min_lr_rate=0.05),
                               {**common, "scheduler_specific_kwargs": {"min_lr_rate": 0.05}}),
        "cosine_warmup_with_min_lr": (
            {**common, "min_lr_rate": 0.05},
            lambda o: T.get_cosine_with_min_lr_schedule_with_warmup_lr_rate(o, w, total, min_lr_rate=0.05),
            {**common, "scheduler_specific_kwargs": {"min_lr_rate": 0.05}}),
        "warmup_stable_decay": ({**common, "num_decay_steps": 60},
                                lambda o: T.get_wsd_schedule(o, w, 60, total, decay_type="cosine"),
                                {**common, "scheduler_specific_kwargs": {"num_decay_steps": 60,
                                                                         "decay_type": "cosine"}}),
    }


HF_KIND = {}  # get_* function name -> SchedulerType value, from the rows (each comes in a pair)
for _r in PEER_NAMES:
    if _r.peer == "transformers" and _r.name.startswith("get_"):
        HF_KIND[_r.name] = next(x.name for x in PEER_NAMES if x.peer == "transformers"
                                and not x.name.startswith("get_") and x.lrkit == _r.lrkit)


@pytest.mark.parametrize("row", [r for r in PEER_NAMES if r.peer == "transformers"], ids=lambda r: r.name)
def test_transformers_rows(row):
    transformers = pytest.importorskip("transformers")
    base = 0.05
    kind = HF_KIND.get(row.name, row.name)
    if kind == "reduce_lr_on_plateau":
        make = (transformers.get_reduce_on_plateau_schedule if row.name.startswith("get_")
                else lambda o: transformers.get_scheduler("reduce_lr_on_plateau", o))
        got, want = _plateau_runs(make, fill(row.lrkit, {"base_lr": base}), base)
        close(got, want, 1e-12)
        assert want[-1] < base  # the case reduces
        return
    values, make, sched_kwargs = _hf_cases()[kind]
    if not row.name.startswith("get_"):
        make = lambda o: transformers.get_scheduler(kind, o, **sched_kwargs)  # noqa: E731
    text = fill(row.lrkit, {"base_lr": base, **values})
    close(_lrkit_run(text, row.kind, base, N), _torch_run(make, base, N), 1e-12)


def test_transformers_scheduler_types_all_named():
    transformers = pytest.importorskip("transformers")
    named = {r.name for r in PEER_NAMES if r.peer == "transformers"}
    missing = {t.value for t in transformers.SchedulerType} - named
    assert missing <= {"greedy"}, missing  # greedy: no lrkit form yet (reported)


# -- timm ----------------------------------------------------------------------------------------
def _timm():
    from tests.torchvision_stand_in import import_timm

    import_timm()
    from timm.scheduler import create_scheduler_v2

    return create_scheduler_v2


TIMM_CASES = {
    "create_scheduler_v2(optimizer, sched='cosine', num_epochs, min_lr=0.0)":
        {"num_epochs": 200, "min_lr": 0.002},
    "create_scheduler_v2(optimizer, sched='cosine', num_epochs, min_lr=0.0, warmup_epochs, "
    "warmup_lr=1e-5)": {"num_epochs": 200, "min_lr": 0.002, "warmup_epochs": 15, "warmup_lr": 1e-4},
    "create_scheduler_v2(optimizer, sched='step', decay_epochs, decay_rate=0.1)":
        {"decay_epochs": 30, "decay_rate": 0.5},
    "create_scheduler_v2(optimizer, sched='multistep', decay_milestones=[m1, m2], decay_rate=0.1)":
        {"m1": 60, "m2": 150, "decay_rate": 0.2},
    "create_scheduler_v2(optimizer, sched='poly', num_epochs, decay_rate=0.1, min_lr=0.0)":
        {"num_epochs": 220, "decay_rate": 0.9, "min_lr": 0.001},
    "create_scheduler_v2(optimizer, sched='plateau', decay_rate=0.1, patience_epochs=10, "
    "plateau_mode='max')": {"plateau_mode": "min", "decay_rate": 0.5, "patience_epochs": 3},
}


@pytest.mark.parametrize("row", [r for r in PEER_NAMES if r.peer == "timm"], ids=lambda r: r.call)
def test_timm_rows(row):
    create = _timm()
    base = 0.1
    values = TIMM_CASES[row.call]
    kwargs = {k: v for k, v in values.items() if k not in ("m1", "m2")}
    if row.name == "multistep":
        kwargs["decay_milestones"] = [values["m1"], values["m2"]]
    if row.name == "plateau":
        def make(o):
            return create(o, sched="plateau", num_epochs=N, **kwargs)[0]
        text = fill(row.lrkit, {"base_lr": base, **values})
        got, want = _plateau_runs(make, text, base, timm_style=True)
        close(got, want, 1e-12)
        assert want[-1] < base
        return

    def make_timm(o):
        return create(o, sched=row.name, num_epochs=kwargs.pop("num_epochs", N), **kwargs)[0]

    text = fill(row.lrkit, {"base_lr": base, **values})
    close(_lrkit_run(text, row.kind, base, N), _timm_run(make_timm, base, N), 1e-12)


# -- Optax ---------------------------------------------------------------------------------------
def _optax_cases():
    import optax

    return {
        "constant_schedule": ({"value": 0.03}, lambda: optax.constant_schedule(0.03)),
        "linear_schedule": ({"init_value": 0.1, "end_value": 0.002, "transition_steps": 180},
                            lambda: optax.linear_schedule(0.1, 0.002, 180)),
        "polynomial_schedule": ({"init_value": 0.1, "end_value": 0.002, "power": 1.7,
                                 "transition_steps": 180},
                                lambda: optax.polynomial_schedule(0.1, 0.002, 1.7, 180)),
        "cosine_decay_schedule": ({"init_value": 0.1, "decay_steps": 240, "alpha": 0.05, "exponent": 2.0},
                                  lambda: optax.cosine_decay_schedule(0.1, 240, alpha=0.05, exponent=2.0)),
        "exponential_decay": ({"init_value": 0.1, "transition_steps": 7, "decay_rate": 0.93,
                               "staircase": True},
                              lambda: optax.exponential_decay(0.1, 7, 0.93, staircase=True)),
        "piecewise_constant_schedule": (
            {"init_value": 0.1, "b1": 50, "s1": 0.5, "b2": 160, "s2": 0.1},
            lambda: optax.piecewise_constant_schedule(0.1, {50: 0.5, 160: 0.1})),
        "piecewise_interpolate_schedule": (
            {"init_value": 0.1, "b1": 50, "s1": 0.5, "b2": 160, "s2": 0.1},
            lambda: optax.piecewise_interpolate_schedule("linear", 0.1, {50: 0.5, 160: 0.1})),
        "warmup_constant_schedule": ({"init_value": 0.001, "peak_value": 0.1, "warmup_steps": 40},
                                     lambda: optax.warmup_constant_schedule(0.001, 0.1, 40)),
        "warmup_cosine_decay_schedule": (
            {"init_value": 0.001, "peak_value": 0.1, "warmup_steps": 40, "decay_steps": 260,
             "end_value": 0.004, "exponent": 1.0},
            lambda: optax.warmup_cosine_decay_schedule(0.001, 0.1, 40, 260, end_value=0.004)),
        "warmup_exponential_decay_schedule": (
            {"init_value": 0.001, "peak_value": 0.1, "warmup_steps": 40, "transition_steps": 9,
             "decay_rate": 0.9, "staircase": False},
            lambda: optax.warmup_exponential_decay_schedule(0.001, 0.1, 40, 9, 0.9)),
        "cosine_onecycle_schedule": (
            {"transition_steps": 280, "peak_value": 0.1, "pct_start": 0.25, "div_factor": 25.0,
             "final_div_factor": 1e4},
            lambda: optax.cosine_onecycle_schedule(280, 0.1, pct_start=0.25)),
        "linear_onecycle_schedule": (
            {"transition_steps": 280, "peak_value": 0.1, "pct_start": 0.25, "pct_final": 0.75,
             "div_factor": 20.0, "final_div_factor": 1e3},
            lambda: optax.linear_onecycle_schedule(280, 0.1, pct_start=0.25, pct_final=0.75,
                                                   div_factor=20.0, final_div_factor=1e3)),
        "join_schedules": ({"a": Text("linear(60, start=0.01, end=0.1)"), "b": Text("cosine(200, start=0.1)"),
                            "boundaries": [60]},
                           lambda: optax.join_schedules([optax.linear_schedule(0.01, 0.1, 60),
                                                         optax.cosine_decay_schedule(0.1, 200)], [60])),
        "sgdr_schedule": ({"init_value": 0.0, "peak_value": 0.1, "warmup_steps": 20, "decay_steps": 150,
                           "end_value": 0.001},
                          lambda: optax.sgdr_schedule([dict(init_value=0.0, peak_value=0.1, warmup_steps=20,
                                                            decay_steps=150, end_value=0.001)] * 2)),
    }


@pytest.mark.parametrize("row", [r for r in PEER_NAMES if r.peer == "optax"], ids=lambda r: r.name)
def test_optax_rows(row):
    pytest.importorskip("optax")
    import jax
    import numpy as np

    values, make = _optax_cases()[row.name]
    s = lrkit.parse(fill(row.lrkit, values))
    with jax.enable_x64():  # Optax in float64; over all steps at once where it takes an array
        f = make()
        try:
            peer = np.broadcast_to(np.asarray(f(np.arange(N, dtype=np.int64)), dtype=np.float64),
                                   (N,)).tolist()
        except TypeError:  # piecewise_interpolate_schedule and the onecycles take scalars only
            peer = [float(np.asarray(f(np.int64(t)), dtype=np.float64)) for t in range(N)]
    assert row.kind == "absolute"
    close(s.values(N), peer, 1e-12)


# -- Keras ---------------------------------------------------------------------------------------
def _keras_cases():
    import keras

    K = keras.optimizers.schedules
    return {
        "CosineDecay(initial_learning_rate, decay_steps, alpha=0.0)": (
            {"initial_learning_rate": 0.1, "decay_steps": 250, "alpha": 0.02},
            lambda: K.CosineDecay(0.1, 250, alpha=0.02)),
        "CosineDecay(initial_learning_rate, decay_steps, alpha=0.0, warmup_target, warmup_steps)": (
            {"initial_learning_rate": 0.0, "decay_steps": 200, "alpha": 0.02, "warmup_target": 0.1,
             "warmup_steps": 50},
            lambda: K.CosineDecay(0.0, 200, alpha=0.02, warmup_target=0.1, warmup_steps=50)),
        "CosineDecayRestarts(initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0)": (
            {"initial_learning_rate": 0.1, "first_decay_steps": 30, "t_mul": 2.0, "m_mul": 0.8,
             "alpha": 0.05},
            lambda: K.CosineDecayRestarts(0.1, 30, t_mul=2.0, m_mul=0.8, alpha=0.05)),
        "ExponentialDecay(initial_learning_rate, decay_steps, decay_rate, staircase=False)": (
            {"initial_learning_rate": 0.1, "decay_steps": 11, "decay_rate": 0.9, "staircase": False},
            lambda: K.ExponentialDecay(0.1, 11, 0.9)),
        "InverseTimeDecay(initial_learning_rate, decay_steps, decay_rate, staircase=False)": (
            {"initial_learning_rate": 0.1, "decay_steps": 13, "decay_rate": 0.5, "staircase": True},
            lambda: K.InverseTimeDecay(0.1, 13, 0.5, staircase=True)),
        "PiecewiseConstantDecay([b1, b2], [v0, v1, v2])": (
            {"b1": 70, "b2": 150, "v0": 0.1, "v1": 0.03, "v2": 0.001},
            lambda: K.PiecewiseConstantDecay([70, 150], [0.1, 0.03, 0.001])),
        "PolynomialDecay(initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0)": (
            {"initial_learning_rate": 0.1, "decay_steps": 230, "end_learning_rate": 0.001, "power": 0.5},
            lambda: K.PolynomialDecay(0.1, 230, end_learning_rate=0.001, power=0.5)),
    }


@pytest.mark.parametrize("row", [r for r in PEER_NAMES if r.peer == "keras"], ids=lambda r: r.call)
def test_keras_rows(row):
    pytest.importorskip("keras")
    import jax
    import numpy as np

    values, make = _keras_cases()[row.call]
    s = lrkit.parse(fill(row.lrkit, values))
    with jax.enable_x64():
        sched = make()
        try:
            out = np.broadcast_to(np.asarray(sched(np.arange(N, dtype=np.int64))), (N,))
        except TypeError:  # CosineDecay with a warmup branches on a scalar step: vmap it
            out = np.asarray(jax.vmap(sched)(np.arange(N, dtype=np.int64)))
    close(s.values(N), [float(o) for o in out], KERAS_FLOAT32.get(row.call, 1e-12))


#: Keras computes its cosines in float32 even with x64 (the others come out float64 to 1e-12)
KERAS_FLOAT32 = {
    "CosineDecay(initial_learning_rate, decay_steps, alpha=0.0)": 1e-6,
    "CosineDecay(initial_learning_rate, decay_steps, alpha=0.0, warmup_target, warmup_steps)": 1e-6,
    "CosineDecayRestarts(initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0)": 1e-6,
}


# -- the table itself ----------------------------------------------------------------------------
def test_every_row_has_a_case():
    torch_names = set(_torch_cases()) | {"LambdaLR", "ReduceLROnPlateau"}
    for r in PEER_NAMES:
        assert r.peer in PEERS and r.kind in ("factor", "absolute")
        if r.peer == "torch":
            assert r.name in torch_names
        elif r.peer == "timm":
            assert r.call in TIMM_CASES
        elif r.peer == "transformers":
            assert HF_KIND.get(r.name, r.name) in {*_hf_cases(), "reduce_lr_on_plateau"}


def test_every_torch_scheduler_class_is_named():
    S = torch.optim.lr_scheduler
    classes = {n for n in dir(S) if isinstance(getattr(S, n), type)
               and issubclass(getattr(S, n), (S.LRScheduler, S.ReduceLROnPlateau))
               and n not in ("LRScheduler", "_LRScheduler")}
    assert classes <= {r.name for r in PEER_NAMES if r.peer == "torch"}, classes


def test_every_optax_and_keras_schedule_is_named():
    optax = pytest.importorskip("optax")
    keras = pytest.importorskip("keras")
    optax_names = {n for n in dir(optax.schedules) if not n.startswith(("_", "inject"))
                   and n[0].islower()}
    assert optax_names <= {r.name for r in PEER_NAMES if r.peer == "optax"}, optax_names
    keras_names = {n for n in dir(keras.optimizers.schedules) if n[0].isupper()} - {"LearningRateSchedule"}
    assert keras_names <= {r.name for r in PEER_NAMES if r.peer == "keras"}


def test_rows_are_well_formed():
    import lrkit.schedule as ls

    for r in PEER_NAMES:
        assert r.call.split("(")[0] in (r.name, "get_scheduler", "create_scheduler_v2"), r
        assert r.shape in ls.REGISTRY or r.shape in ("product", "custom"), r
        for lk in r.keywords.values():
            assert isinstance(lk, str) and lk


def test_lookup():
    assert [r.peer for r in lookup("CosineAnnealingLR")] == ["torch"]
    assert lookup("torch.CosineAnnealingLR") == lookup("cosineannealinglr")
    assert lookup("torch.optim.lr_scheduler.StepLR")[0].lrkit == "step(step_size, gamma=gamma)"
    assert {r.peer for r in lookup("cosine")} == {"transformers", "timm"}
    assert [r.peer for r in lookup("optax.cosine")] == []
    assert lookup("nope") == [] and translation("nope") is None
    assert "pingpong(cosine(T_max, end=eta_min/base_lr))` as a factor" in translation("CosineAnnealingLR")
    with pytest.raises(TypeError):
        lookup(3)  # type: ignore[arg-type]


def test_fill_leaves_keywords_and_calls():
    assert fill("step(step_size, gamma=gamma)", {"step_size": 3, "gamma": 0.5}) == "step(3, gamma=0.5)"
    assert fill("cyclic(a, mode=mode, kind='mode')", {"mode": "x", "a": 1}) == "cyclic(1, mode='x', kind='mode')"
    assert math.isclose(lrkit.parse(fill("constant(lr/(w+1))", {"lr": 6e-4, "w": 2000}))(0), 6e-4 / 2001)
