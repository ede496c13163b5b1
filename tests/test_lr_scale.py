"""param_group["lr_scale"] (timm's layer-decay groups): lrkit.Scheduler multiplies it in, as
timm's schedulers do (their documented rule: value × group["lr_scale"] where a group has one); the
torch-compatible classes ignore it, as torch does, and warn once.  (A side-by-side test against timm
comes with lrkit.timm: timm is not in the test extras yet, as its torchvision dependency would
replace the pinned CPU torch.)"""

from __future__ import annotations

import json
import warnings

import pytest

import lrkit


class Opt:
    def __init__(self) -> None:
        self.param_groups = [{"lr": 0.1, "lr_scale": 1.0}, {"lr": 0.1, "lr_scale": 0.5},
                             {"lr": 0.1, "lr_scale": 0.25}]


def test_scheduler_multiplies_lr_scale_in() -> None:
    s = lrkit.warmup(lrkit.cosine(90), 10)
    o = Opt()
    sch = lrkit.Scheduler(o, s)
    for t in range(1, 50):
        sch.step()
        assert [g["lr"] for g in o.param_groups] == [0.1 * s(t) * k for k in (1.0, 0.5, 0.25)]
    assert sch.get_last_lr() == [g["lr"] for g in o.param_groups]
    # the scale is the optimizer's state, not the scheduler's: a resume reads it from the groups
    sd = json.loads(json.dumps(sch.state_dict()))
    o2 = Opt()
    r = lrkit.Scheduler(o2, s)
    r.load_state_dict(sd)
    assert [g["lr"] for g in o2.param_groups] == [g["lr"] for g in o.param_groups]


def test_compat_classes_ignore_it_and_warn_once() -> None:
    o = Opt()
    with pytest.warns(UserWarning, match="lr_scale"):
        s = lrkit.StepLR(o, 2, 0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s.step()
        s.step()
    assert [g["lr"] for g in o.param_groups] == [0.05] * 3


def test_a_bad_lr_scale_is_a_clean_error() -> None:
    o = Opt()
    o.param_groups[1]["lr_scale"] = -1.0
    with pytest.raises(ValueError, match=r"param_groups\[1\]\['lr_scale'\]"):
        lrkit.Scheduler(o, lrkit.cosine(10))
    o.param_groups[1]["lr_scale"] = "half"
    with pytest.raises(TypeError, match="lr_scale"):
        lrkit.Scheduler(o, lrkit.cosine(10))
