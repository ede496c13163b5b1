"""State dicts are validated: a corrupted, foreign or absurd one is a clean ValueError/TypeError,
never a silent load, a hang or an exception from inside; on_change='saved' continues a run
with the saved schedule, as torch's load_state_dict does."""

from __future__ import annotations

import copy
import json
import multiprocessing
import random
from typing import Any

import pytest

import lrkit
from lrkit import compat

from .test_compat_torch import CLASSES, random_spec


class Opt:
    """A torch-free optimizer: any object with param_groups."""

    def __init__(self, n: int = 2, kind: str = "sgd") -> None:
        self.param_groups = [{"lr": 0.1 * (i + 1), **({"momentum": 0.9} if kind == "sgd" else
                                                       {"betas": (0.9, 0.999)})} for i in range(n)]
        self.defaults = dict(self.param_groups[0])


def build(spec: tuple, opt: Any) -> Any:
    name, kw = spec
    cls = getattr(compat, name)
    if name == "SequentialLR":
        return cls(opt, [build(k, opt) for k in kw["schedulers"]], milestones=kw["milestones"])
    if name == "ChainedScheduler":
        return cls([build(k, opt) for k in kw["schedulers"]], optimizer=opt)
    return cls(opt, **kw)


def scheduler_and_state(name: str, seed: int) -> tuple[Any, dict, Any]:
    rng = random.Random(f"sd-{name}-{seed}")
    spec = random_spec(name, rng, 2, "sgd")
    s = build(spec, Opt())
    for _ in range(3):
        if name == "ReduceLROnPlateau":
            s.step(1.0)
        else:
            s.step()
    return s, json.loads(json.dumps(s.state_dict())), lambda: build(spec, Opt())


# -- corruptions: each must be refused by every class ---------------------------------------
def corruptions(sd: dict) -> list[tuple[str, dict]]:
    out = []

    def edit(label: str, fn: Any) -> None:
        d = copy.deepcopy(sd)
        fn(d)
        out.append((label, d))

    edit("no format", lambda d: d.pop("format"))
    edit("version True", lambda d: d.update(version=True))
    edit("version 2", lambda d: d.update(version=2))
    edit("other class", lambda d: d.update({"class": "ExponentialLR" if d["class"] != "ExponentialLR" else "StepLR"}))
    edit("extra key", lambda d: d.update(extra=1))
    edit("last_epoch 2.5", lambda d: d.update(last_epoch=2.5))
    edit("last_epoch 1e300", lambda d: d.update(last_epoch=1e300))
    edit("last_epoch 2**63", lambda d: d.update(last_epoch=2**63))
    edit("last_epoch -1", lambda d: d.update(last_epoch=-1))
    edit("last_epoch '3'", lambda d: d.update(last_epoch="3"))
    edit("last_epoch 10**400", lambda d: d.update(last_epoch=10**400))
    edit("tracks not a list", lambda d: d.update(tracks={}))
    edit("track extra key", lambda d: d["tracks"][0].update(more=1))
    edit("track relative 'yes'", lambda d: d["tracks"][0].update(relative="yes"))
    edit("bases on an absolute track", lambda d: d["tracks"][0].update(
        bases=[1.0] * len(d["tracks"][0]["schedules"])) if not d["tracks"][0]["relative"] else d.update(x=1))
    edit("schedule not a dict", lambda d: d["tracks"][0]["schedules"].__setitem__(0, 3))
    edit("plateaus not a list", lambda d: d.update(plateaus=None))
    edit("track param", lambda d: d["tracks"][0].update(param="momentum"))
    edit("one group fewer", lambda d: d["tracks"][0]["schedules"].pop())
    return out


@pytest.mark.parametrize("name", CLASSES)
def test_corrupted_states_are_refused(name: str) -> None:
    for seed in range(3):
        s, sd, fresh = scheduler_and_state(name, seed)
        fresh().load_state_dict(copy.deepcopy(sd))  # the intact state loads
        for label, bad in corruptions(sd):
            if label == "last_epoch 2.5" and s._fractional:
                continue  # CosineAnnealingWarmRestarts steps to fractional epochs, as torch's
            with pytest.raises((ValueError, TypeError)):
                fresh().load_state_dict(bad)
                raise AssertionError(f"{name}: {label} was accepted")


def test_a_state_without_format_never_takes_the_torch_path() -> None:
    s = lrkit.StepLR(Opt(), 3, 0.1)
    sd = s.state_dict()
    sd.pop("format")
    with pytest.raises(ValueError, match="not an lrkit Scheduler state"):
        lrkit.ExponentialLR(Opt(), 0.9).load_state_dict(sd)


def test_torch_states_of_another_class_are_refused() -> None:
    torch = pytest.importorskip("torch")
    import torch.optim.lr_scheduler as T

    o = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    sd = T.StepLR(o, 3).state_dict()
    with pytest.raises(ValueError, match="step_size"):
        lrkit.ExponentialLR(Opt(1), 0.9).load_state_dict(sd)
    bad = dict(sd, last_epoch=2**80)
    with pytest.raises(ValueError, match="last_epoch"):
        lrkit.StepLR(Opt(1), 3).load_state_dict(bad)


def _load_huge_multiplicative(q: Any) -> None:
    s = lrkit.MultiplicativeLR(Opt(1), lambda e: 0.99)
    sd = s.state_dict()
    sd.pop("products")
    sd["last_epoch"] = 10**12
    try:
        lrkit.MultiplicativeLR(Opt(1), lambda e: 0.99).load_state_dict(sd)
        q.put("loaded")
    except ValueError as e:
        q.put(f"ValueError: {e}")


def test_multiplicative_resume_is_bounded() -> None:
    """A saved running product resumes in O(1); a state without one is refused, not replayed forever."""
    s = lrkit.MultiplicativeLR(Opt(1), lambda e: 0.5 if e % 2 else 1.0)
    s.step(10**6)  # within the replay bound
    sd = json.loads(json.dumps(s.state_dict()))
    sd["last_epoch"] = 10**12
    sd["products"] = [1e-300]
    r = lrkit.MultiplicativeLR(Opt(1), lambda e: 0.5 if e % 2 else 1.0)
    r.load_state_dict(sd)
    assert r.get_last_lr() == [1e-300]
    r.step()
    assert r.get_last_lr() == [5e-301]  # λ(10**12 + 1) = 0.5
    ctx = multiprocessing.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_load_huge_multiplicative, args=(q,))
    p.start()
    p.join(60)
    alive = p.is_alive()
    if alive:
        p.kill()
    assert not alive, "loading a huge last_epoch hung"
    assert q.get(timeout=5).startswith("ValueError")


# -- on_change='saved' ----------------------------------------------------------------------
def test_on_change_saved_continues_with_the_saved_schedule() -> None:
    o = Opt(1)
    s = lrkit.Scheduler(o, "cosine(100)")
    for _ in range(30):
        s.step()
    sd = json.loads(json.dumps(s.state_dict()))
    o2 = Opt(1)
    r = lrkit.Scheduler(o2, "linear(50)")
    with pytest.raises(ValueError, match="on_change='saved'"):
        r.load_state_dict(sd)
    r.load_state_dict(sd, on_change="saved")
    assert r.schedules[0] == lrkit.cosine(100)
    assert o2.param_groups[0]["lr"] == pytest.approx(0.1 * lrkit.cosine(100)(30))
    r.step()
    assert o2.param_groups[0]["lr"] == pytest.approx(0.1 * lrkit.cosine(100)(31))


def test_on_change_saved_for_torch_classes() -> None:
    s = lrkit.StepLR(Opt(1), 3, 0.5)
    for _ in range(4):
        s.step()
    sd = s.state_dict()
    o = Opt(1)
    r = lrkit.StepLR(o, 5, 0.1)
    with pytest.raises(ValueError, match="on_change='saved'"):
        r.load_state_dict(sd)
    r.load_state_dict(sd, on_change="saved")
    r.step()  # step 5 of the saved StepLR(3, 0.5)
    assert o.param_groups[0]["lr"] == pytest.approx(0.1 * 0.5)
    r.step(6)
    assert o.param_groups[0]["lr"] == pytest.approx(0.1 * 0.25)


def test_on_change_saved_refuses_a_callable() -> None:
    s = lrkit.Scheduler(Opt(1), lrkit.custom(lambda t: 1.0, name="one"))
    sd = s.state_dict()
    r = lrkit.Scheduler(Opt(1), lrkit.cosine(10))
    with pytest.raises(ValueError, match="Python callable"):
        r.load_state_dict(sd, on_change="saved")


def test_epochs_are_bounded_and_integer_for_torch_classes() -> None:
    s = lrkit.StepLR(Opt(1), 3)
    with pytest.raises(ValueError, match="integer"):
        s.step(2.5)
    with pytest.raises(ValueError, match=r"2\*\*53"):
        s.step(2**60)
    c = lrkit.CosineAnnealingWarmRestarts(Opt(1), 3)
    c.step(2.5)  # fractional epochs, as torch's
    n = lrkit.Scheduler(Opt(1), lrkit.cosine(10))
    n.step(7.5)
    with pytest.raises(ValueError, match="epoch"):
        n.step(float("inf"))
