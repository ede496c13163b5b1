"""lrkit.Scheduler on plain Python optimizers: groups, params, stepping, state, resume, plateau."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

import lrkit
from lrkit import Scheduler


class Opt:
    """A hand-written optimizer: all lrkit needs is param_groups, a list of dicts."""

    def __init__(self, *lrs: float, **extra: float) -> None:
        self.param_groups = [{"lr": lr, "momentum": 0.9, "betas": (0.9, 0.999), "weight_decay": 0.01,
                              "name": f"g{i}", **extra} for i, lr in enumerate(lrs or (0.1,))]


def lrs(opt: Opt) -> list[float]:
    return [g["lr"] for g in opt.param_groups]


# -- the seed-style loops, on a plain optimizer and without torch ------------------------
SEED_LOOPS = r"""
import math, sys
import lrkit

class Opt:
    def __init__(self): self.param_groups = [{"lr": 0.1}, {"lr": 0.01}]

def check(make, want):
    opt = Opt(); s = make(opt)
    for epoch in range(100):
        s.step(epoch)                      # the classic loop: scheduler.step(epoch)
        for g, b in zip(opt.param_groups, (0.1, 0.01)):
            assert math.isclose(g["lr"], b * want(epoch), rel_tol=1e-12), (make, epoch, g["lr"])

check(lambda o: lrkit.StepLR(o, step_size=30, gamma=0.1), lambda e: 0.1 ** (e // 30))
check(lambda o: lrkit.MultiStepLR(o, milestones=[30, 80], gamma=0.1),
      lambda e: 0.1 ** ((e >= 30) + (e >= 80)))
check(lambda o: lrkit.ExponentialLR(o, gamma=0.95), lambda e: 0.95 ** e)
for b in (0.1, 0.01):
    pass
opt = Opt(); s = lrkit.CosineAnnealingLR(opt, T_max=100, eta_min=1e-4)
for epoch in range(100):
    s.step(epoch)
    for g, b in zip(opt.param_groups, (0.1, 0.01)):
        want = 1e-4 + (b - 1e-4) * (1 + math.cos(math.pi * epoch / 100)) / 2
        assert math.isclose(g["lr"], want, rel_tol=1e-12), (epoch, g["lr"], want)
assert "torch" not in sys.modules and "numpy" not in sys.modules
print("ok")
"""


def test_seed_style_loops_without_torch():
    out = subprocess.run([sys.executable, "-c", SEED_LOOPS], capture_output=True, text=True,
                         env={"PYTHONPATH": ":".join(sys.path)}, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


# -- construction --------------------------------------------------------------------------
def test_relative_and_absolute():
    opt = Opt(0.1, 0.02)
    s = Scheduler(opt, lrkit.linear(10, start=1.0, end=0.5))
    assert lrs(opt) == [0.1, 0.02]  # step 0 applied at construction
    s.step(10)
    assert lrs(opt) == pytest.approx([0.05, 0.01])
    assert opt.param_groups[0]["initial_lr"] == 0.1  # the base, kept like torch's initial_lr
    opt2 = Opt(0.1, 0.02)
    Scheduler(opt2, lrkit.constant(3e-4), relative=False)
    assert lrs(opt2) == [3e-4, 3e-4]


def test_per_group_list_and_dict_by_index_or_name():
    opt = Opt(1.0, 1.0, 1.0)
    s = Scheduler(opt, [lrkit.constant(0.5), None, lrkit.linear(4)])
    s.step(2)
    assert lrs(opt) == [0.5, 1.0, 0.5]
    opt = Opt(1.0, 1.0, 1.0)
    s = Scheduler(opt, {0: lrkit.constant(0.1), "g2": "linear(4)"})
    s.step(1)
    assert lrs(opt) == [0.1, 1.0, 0.75]
    assert s.get_last_lr() == [0.1, 1.0, 0.75]
    with pytest.raises(ValueError, match="names no param group"):
        Scheduler(Opt(1.0), {"head": lrkit.constant(1.0)})
    with pytest.raises(ValueError, match="2 entries for 1 param groups"):
        Scheduler(Opt(1.0), [lrkit.constant(1.0)] * 2)
    with pytest.raises(ValueError, match="two schedules"):
        Scheduler(Opt(1.0), {0: lrkit.constant(1.0), "g0": lrkit.constant(1.0)})
    with pytest.raises(TypeError, match="param_groups"):
        Scheduler(object(), lrkit.constant(1.0))


def test_text_config_and_fractions_of_the_run():
    opt = Opt(1.0)
    s = Scheduler(opt, "warmup(cosine('rest'), '10%')", total_steps=100)
    assert s.schedules[0] == lrkit.warmup(lrkit.cosine(90), 10)
    Scheduler(opt, {"type": "cosine", "steps": 10})
    with pytest.raises(ValueError, match="total_steps"):
        Scheduler(opt, "cosine('50%')")


@pytest.mark.parametrize("param,key", [("momentum", "momentum"), ("weight_decay", "weight_decay")])
def test_other_hyperparameters(param, key):
    opt = Opt(0.1)
    s = Scheduler(opt, lrkit.linear(10, start=1.0, end=0.5), param=param)
    s.step(10)
    base = {"momentum": 0.9, "weight_decay": 0.01}[key]
    assert opt.param_groups[0][key] == pytest.approx(base * 0.5)
    assert opt.param_groups[0]["lr"] == 0.1


def test_betas_by_index_keeps_the_other_beta():
    opt = Opt(0.1)
    s = Scheduler(opt, lrkit.cosine(10, start=0.95, end=0.85), param="betas[0]", relative=False)
    s.step(10)
    assert opt.param_groups[0]["betas"] == (0.85, 0.999)
    assert isinstance(opt.param_groups[0]["betas"], tuple)


@pytest.mark.parametrize("param,schedule,match", [
    ("momentum", lrkit.linear(10, start=0.9, end=1.2), r"momentum.*1\.2.*\[0, 1\]"),
    ("betas[0]", lrkit.linear(10, start=0.9, end=1.0), r"\[0, 1\)"),
    ("lr", lrkit.linear(10, start=1.0, end=-1.0), r">= 0"),
    ("weight_decay", lrkit.linear(10, start=1.0, end=-1.0), r">= 0"),
])
def test_values_out_of_range_are_errors(param, schedule, match):
    s = Scheduler(Opt(0.1), schedule, param=param, relative=False)
    with pytest.raises(ValueError, match=match):
        s.step(10)


def test_bad_params():
    with pytest.raises(ValueError, match="name\\[index\\]"):
        Scheduler(Opt(0.1), lrkit.constant(1.0), param="betas[x]")
    with pytest.raises(KeyError, match="nesterov_factor"):
        Scheduler(Opt(0.1), lrkit.constant(1.0), param="nesterov_factor")
    with pytest.raises(ValueError, match="no index 5"):
        Scheduler(Opt(0.1), lrkit.constant(0.9), param="betas[5]", relative=False)


# -- stepping -----------------------------------------------------------------------------
def test_step_and_jump():
    opt = Opt(1.0)
    sched = lrkit.warmup(lrkit.cosine(90, end=0.1), 10)
    s = Scheduler(opt, sched)
    for t in range(1, 50):
        s.step()
        assert s.last_epoch == t and opt.param_groups[0]["lr"] == sched(t)
    s.step(5)  # back
    assert opt.param_groups[0]["lr"] == sched(5)
    s.step(7.5)  # fractional epochs
    assert opt.param_groups[0]["lr"] == sched(7.5)
    for bad in (-1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="epoch"):
            s.step(bad)
    with pytest.raises(TypeError):
        s.step(True)


# -- state and resume ---------------------------------------------------------------------
def test_state_dict_is_json_and_resumes_exactly():
    sched = lrkit.warmup(lrkit.cosine(90, end=0.1), 10) * lrkit.noise(lrkit.constant(1.0), 0.1, seed=3)
    opt = Opt(0.3, 0.1)
    s = Scheduler(opt, sched)
    for _ in range(37):
        s.step()
    sd = json.loads(json.dumps(s.state_dict()))
    assert sd["format"] == "lrkit.Scheduler" and sd["version"] == 1 and sd["last_epoch"] == 37
    opt2 = Opt(0.3, 0.1)
    s2 = Scheduler(opt2, sched)
    s2.load_state_dict(sd)
    assert lrs(opt2) == lrs(opt)
    for _ in range(20):
        s.step()
        s2.step()
        assert lrs(opt2) == lrs(opt)


def test_resume_validates():
    s = Scheduler(Opt(0.1), lrkit.cosine(10))
    sd = s.state_dict()
    for bad, match in [
        ({**sd, "format": "x"}, "not an lrkit Scheduler"),
        ({**sd, "version": 99}, "version 99"),
        ({**sd, "last_epoch": -3}, "last_epoch"),
        ({k: v for k, v in sd.items() if k != "tracks"}, "tracks"),
    ]:
        with pytest.raises(ValueError, match=match):
            s.load_state_dict(bad)
    with pytest.raises(ValueError, match="1 param groups, the optimizer 2"):
        Scheduler(Opt(0.1, 0.1), lrkit.cosine(10)).load_state_dict(sd)
    with pytest.raises(ValueError, match="'momentum'"):
        Scheduler(Opt(0.1), lrkit.cosine(10), param="momentum").load_state_dict(sd)


def test_a_changed_schedule_is_refused_showing_both():
    s = Scheduler(Opt(0.1), lrkit.cosine(100))
    s.step(40)
    sd = json.loads(json.dumps(s.state_dict()))
    new = Scheduler(Opt(0.1), lrkit.cosine(200))
    with pytest.raises(ValueError) as e:
        new.load_state_dict(sd)
    assert "saved: cosine(100)" in str(e.value) and "now:   cosine(200)" in str(e.value)
    assert "on_change" in str(e.value)
    assert new.last_epoch == 0  # unchanged


def test_on_change_continue_and_rescale():
    s = Scheduler(Opt(0.1), lrkit.cosine(100))
    s.step(40)
    sd = json.loads(json.dumps(s.state_dict()))
    opt = Opt(0.1)
    cont = Scheduler(opt, lrkit.cosine(200), on_change="continue")
    cont.load_state_dict(sd)
    assert cont.last_epoch == 40 and opt.param_groups[0]["lr"] == 0.1 * lrkit.cosine(200)(40)
    opt = Opt(0.1)
    resc = Scheduler(opt, lrkit.cosine(200))
    resc.load_state_dict(sd, on_change="rescale")
    assert resc.last_epoch == 80 and opt.param_groups[0]["lr"] == pytest.approx(0.1 * lrkit.cosine(100)(40))
    # a run extended with wsd's decay_from keeps its step
    w = Scheduler(Opt(0.1), lrkit.wsd(1000, 100, 200))
    w.step(500)
    longer = Scheduler(Opt(0.1), lrkit.wsd(2000, 100, 200), on_change="continue")
    longer.load_state_dict(w.state_dict())
    assert longer.last_epoch == 500
    with pytest.raises(ValueError, match="finite duration"):
        Scheduler(Opt(0.1), lrkit.exponential(0.9)).load_state_dict(sd, on_change="rescale")
    with pytest.raises(ValueError, match="on_change"):
        Scheduler(Opt(0.1), lrkit.cosine(10), on_change="maybe")


def test_a_changed_base_lr_is_refused():
    s = Scheduler(Opt(0.1), lrkit.cosine(100))
    sd = s.state_dict()
    with pytest.raises(ValueError, match="base lr: saved 0.1, now 0.2"):
        Scheduler(Opt(0.2), lrkit.cosine(100)).load_state_dict(sd)


def test_unserializable_callables_still_resume_the_step():
    fn = lambda e: 0.5**e  # noqa: E731
    opt = Opt(1.0)
    s = lrkit.LambdaLR(opt, fn)
    s.step(3)
    sd = json.loads(json.dumps(s.state_dict()))
    assert sd["tracks"][0]["schedules"][0]["config"] is None
    opt2 = Opt(1.0)
    s2 = lrkit.LambdaLR(opt2, fn)
    s2.load_state_dict(sd)
    assert s2.last_epoch == 3 and lrs(opt2) == [0.125]


# -- plateau ----------------------------------------------------------------------------------
def test_plateau_composes_with_warmup_and_cosine():
    body = lrkit.warmup(lrkit.cosine(90, end=0.1), 10)
    sched = body * lrkit.plateau(mode="min", factor=0.5, patience=1, cooldown=0, min_scale=0.2)
    assert lrkit.parse(repr(sched)) == sched and lrkit.from_config(sched.to_config()) == sched
    assert sched.values(5) == body.values(5)  # as a pure function, the plateau factor is 1
    opt = Opt(1.0)
    s = Scheduler(opt, sched)
    scale = 1.0
    metrics = [1.0, 0.9, 0.9, 0.9, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8]
    for t, m in enumerate(metrics, start=1):
        s.step()
        s.report(m)
        scale = s.plateaus[0].scale
        assert opt.param_groups[0]["lr"] == pytest.approx(body(t) * scale)
    assert s.plateaus[0].reductions == 3 and s.plateaus[0].scale == 0.2  # 0.5, 0.25, then min_scale
    sd = json.loads(json.dumps(s.state_dict()))
    opt2 = Opt(1.0)
    s2 = Scheduler(opt2, sched)
    s2.load_state_dict(sd)
    assert lrs(opt2) == lrs(opt) and s2.plateaus[0].best == 0.8
    with pytest.raises(ValueError, match="plateau"):
        Scheduler(Opt(1.0), body).report(1.0)


def test_plateau_rule_matches_reduce_lr_on_plateau():
    import random

    rng = random.Random(0)
    for _ in range(50):
        kw = dict(mode=rng.choice(["min", "max"]), factor=rng.uniform(0.1, 0.9), patience=rng.randint(0, 3),
                  threshold=rng.choice([0.0, 1e-4, 0.1]), threshold_mode=rng.choice(["rel", "abs"]),
                  cooldown=rng.randint(0, 2))
        a, b = Opt(1.0), Opt(1.0)
        s = Scheduler(a, lrkit.constant(1.0) * lrkit.plateau(**kw))
        r = lrkit.ReduceLROnPlateau(b, eps=0.0, **kw)
        for _ in range(30):
            m = rng.choice([1.0, rng.random()])
            s.report(m)
            r.step(m)
            assert math.isclose(lrs(a)[0], lrs(b)[0], rel_tol=1e-12)


# -- the deliberate differences from torch ------------------------------------------------------
def test_nested_composites_and_plateau_inside_sequential():
    opt = Opt(1.0)
    inner = lrkit.ChainedScheduler([lrkit.ConstantLR(opt, 0.5, 3), lrkit.ExponentialLR(opt, 0.5)])
    s = lrkit.SequentialLR(opt, [lrkit.StepLR(opt, 2, 0.1), inner], milestones=[3])
    got = []
    for _ in range(6):
        got.append(lrs(opt)[0])
        s.step()
    assert got == pytest.approx([1.0, 1.0, 0.1, 0.5, 0.25, 0.125])
    opt = Opt(1.0)
    warm = lrkit.LinearLR(opt, start_factor=0.1, total_iters=3)
    s = lrkit.SequentialLR(opt, [warm, lrkit.ReduceLROnPlateau(opt, patience=0, factor=0.5)], [3])
    got = []
    for t in range(7):
        got.append(lrs(opt)[0])
        s.step()
        if t >= 3:
            s.report(1.0)
    assert got == pytest.approx([0.1, 0.4, 0.7, 1.0, 1.0, 0.5, 0.25])


def test_plateau_inside_chained_scheduler():
    opt = Opt(1.0)
    exp = lrkit.ExponentialLR(opt, gamma=0.5)
    s = lrkit.ChainedScheduler([exp, lrkit.ReduceLROnPlateau(opt, patience=0, factor=0.1)])
    s.step()
    s.report(1.0)
    s.report(1.0)  # no progress: one reduction
    assert lrs(opt) == pytest.approx([0.05])
    s.step()
    assert lrs(opt) == pytest.approx([0.025])


def test_edge_arguments_do_the_right_thing():
    opt = Opt(1.0)
    s = lrkit.ConstantLR(opt, factor=0.5, total_iters=0)  # torch: 0.5 forever
    s.step()
    assert lrs(opt) == [1.0]
    opt = Opt(1.0)
    s = lrkit.SequentialLR(opt, [lrkit.ConstantLR(opt, 0.5, 3), lrkit.ExponentialLR(opt, 0.5)], [0])
    assert lrs(opt) == [1.0]  # the first scheduler never acts
    s.step()
    assert lrs(opt) == [0.5]
    opt = Opt(1.0)
    lrkit.OneCycleLR(opt, 1.0, total_steps=10, anneal_strategy="linear").step(10)
    assert lrs(opt)[0] == pytest.approx(1.0 / 25 / 1e4)  # torch extends the line below the minimum
    opt = Opt(1.0)
    seq = lrkit.SequentialLR(opt, [lrkit.StepLR(opt, 2, 0.5), lrkit.OneCycleLR(opt, 0.1, total_steps=10)], [4])
    assert lrs(opt) == [1.0] and opt.param_groups[0]["initial_lr"] == 1.0  # not max_lr / div_factor
    seq.step(4)
    assert lrs(opt) == pytest.approx([0.1 / 25])
