"""Scheduler.scale: PBT's multiplier of the written values, kept in the state."""

from __future__ import annotations

import json

import pytest

import lrkit


class Opt:
    def __init__(self, *lrs: float) -> None:
        self.param_groups = [{"lr": lr} for lr in lrs]


def test_default_is_one_and_values_unchanged() -> None:
    s = lrkit.warmup(lrkit.cosine(90, end=0.1), 10)
    a, b = Opt(0.3, 0.1), Opt(0.3, 0.1)
    sa, sb = lrkit.Scheduler(a, s), lrkit.Scheduler(b, s)
    sb.scale = 1.0
    assert sa.scale == 1.0
    for _ in range(30):
        sa.step()
        sb.step()
        assert [g["lr"] for g in a.param_groups] == [g["lr"] for g in b.param_groups]


def test_scale_multiplies_written_value_and_keeps_position() -> None:
    s = lrkit.cosine(100, end=0.1)
    opt = Opt(0.3, 0.1)
    sch = lrkit.Scheduler(opt, s)
    for _ in range(7):
        sch.step()
    sch.scale = 1.25
    assert sch.last_epoch == 7
    # written at once, before the next step
    assert [g["lr"] for g in opt.param_groups] == [0.3 * 1.25 * s(7), 0.1 * 1.25 * s(7)]
    sch.step()
    assert sch.get_last_lr() == [g["lr"] for g in opt.param_groups] == [0.3 * 1.25 * s(8), 0.1 * 1.25 * s(8)]


def test_scale_with_lr_scale_groups() -> None:
    s = lrkit.linear(10)
    opt = Opt(1.0, 1.0)
    opt.param_groups[1]["lr_scale"] = 0.5
    sch = lrkit.Scheduler(opt, s)
    sch.scale = 2.0
    sch.step(3)
    assert [g["lr"] for g in opt.param_groups] == [1.0 * 2.0 * s(3), 1.0 * (0.5 * 2.0) * s(3)]


def test_state_dict_round_trip_and_old_states() -> None:
    s = lrkit.cosine(50)
    opt = Opt(0.2)
    sch = lrkit.Scheduler(opt, s)
    sch.step(12)
    sch.scale = 0.8
    sd = json.loads(json.dumps(sch.state_dict()))
    assert sd["scale"] == 0.8
    other = lrkit.Scheduler(Opt(0.2), s)
    other.load_state_dict(sd)
    assert other.scale == 0.8 and other.last_epoch == 12
    assert other.get_last_lr() == sch.get_last_lr() == [0.2 * 0.8 * s(12)]
    old = dict(sd)
    del old["scale"]  # a state saved before scale existed
    third = lrkit.Scheduler(Opt(0.2), s)
    third.scale = 3.0
    third.load_state_dict(old)
    assert third.scale == 1.0 and third.get_last_lr() == [0.2 * s(12)]


@pytest.mark.parametrize("bad", [-1.0, float("inf"), float("nan"), True, "2"])
def test_bad_scale(bad: object) -> None:
    sch = lrkit.Scheduler(Opt(0.1), lrkit.cosine(10))
    with pytest.raises((TypeError, ValueError), match="scale"):
        sch.scale = bad
    sd = sch.state_dict()
    sd["scale"] = bad
    with pytest.raises((TypeError, ValueError), match="scale"):
        sch.load_state_dict(sd)
    assert sch.scale == 1.0


def test_scale_keeps_plateau_state() -> None:
    s = lrkit.cosine(100) * lrkit.plateau(patience=0, factor=0.5)
    opt = Opt(1.0)
    sch = lrkit.Scheduler(opt, s)
    sch.report(1.0)
    sch.report(2.0)  # worse: halved
    before = opt.param_groups[0]["lr"]
    sch.scale = 2.0
    assert opt.param_groups[0]["lr"] == before * 2.0


def test_scale_compounds_with_another_scheduler() -> None:
    opt = Opt(1.0)
    a = lrkit.Scheduler(opt, lrkit.linear(10))
    b = lrkit.Scheduler(opt, lrkit.constant(0.5))
    a.scale = 3.0
    a.step(2)
    assert opt.param_groups[0]["lr"] == pytest.approx(3.0 * 0.8 * 0.5, rel=1e-15)
    del b
