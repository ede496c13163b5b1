"""lrkit.hf.from_transformers against transformers' own get_scheduler, every step.

transformers is run side by side: its LambdaLR multiplier at each step is
compared with the lrkit schedule's value, for seeded random configurations of
every SchedulerType that is a function of the step, including the steps past
num_training_steps.
"""

from __future__ import annotations

import random
import warnings

import pytest

import lrkit
from lrkit.hf import TRANSFORMERS_SCHEDULES, from_transformers

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

EPS = 2.0**-52
#: schedules whose formula lrkit evaluates with the very same float operations
BIT_EXACT = {"constant", "constant_with_warmup", "linear", "inverse_sqrt"}


def transformers_multiplier(name, lr, kw):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr)
    kw = dict(kw)
    w, T = kw.pop("num_warmup_steps", None), kw.pop("num_training_steps", None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched = transformers.get_scheduler(name, opt, num_warmup_steps=w, num_training_steps=T,
                                           scheduler_specific_kwargs=kw)
    return sched.lr_lambdas[0]


def random_config(name, rng):
    w = rng.choice([0, 1, 2, rng.randint(0, 60)])
    T = w + rng.choice([0, 1, rng.randint(1, 400), rng.randint(1, 400)])
    lr = rng.choice([1e-3, 0.1, 3e-4, 5e-5])
    kw = {"num_warmup_steps": w, "num_training_steps": T}
    if name in ("cosine", "cosine_with_min_lr", "cosine_warmup_with_min_lr"):
        kw["num_cycles"] = rng.choice([0.5, 0.5, 1, 0.25, 1.5, 2, 0.0, rng.uniform(0.1, 3)])
    if name == "cosine_with_restarts":
        kw["num_cycles"] = rng.choice([1, 2, 3, 5, 7, rng.uniform(0.3, 4)])
    if name == "polynomial":
        kw["lr_end"] = rng.choice([1e-7, 0.0, lr * rng.uniform(0, 0.9)])
        kw["power"] = rng.choice([1.0, 2.0, 0.5, rng.uniform(0.2, 4)])
        if T == w:  # transformers divides by T - w at t = T
            kw["num_training_steps"] = T = w + 1
    if name in ("cosine_with_min_lr", "cosine_warmup_with_min_lr"):
        if rng.random() < 0.5:
            kw["min_lr_rate"] = rng.choice([0.0, rng.uniform(0, 0.5)])
        else:
            kw["min_lr"] = lr * rng.uniform(0, 0.5)
    if name == "cosine_warmup_with_min_lr" and rng.random() < 0.5:
        kw["warmup_lr_rate"] = rng.uniform(0, 0.9)
    if name == "inverse_sqrt":
        del kw["num_training_steps"]
        if rng.random() < 0.5:
            kw["timescale"] = rng.randint(1, 200)
    if name == "warmup_stable_decay":
        D = rng.randint(0, T - w)
        kw["num_decay_steps"] = D
        if rng.random() < 0.3:
            del kw["num_training_steps"]
            kw["num_stable_steps"] = T - w - D
        kw["warmup_type"] = rng.choice(["linear", "cosine", "1-sqrt"])
        kw["decay_type"] = rng.choice(["linear", "cosine", "1-sqrt"])
        kw["min_lr_ratio"] = rng.choice([0.0, rng.uniform(0, 0.5)])
        kw["num_cycles"] = rng.choice([0.5, 0.5, 1.0, 0.3])
    if name == "constant":
        kw = {}
    if name == "constant_with_warmup":
        del kw["num_training_steps"]
    return lr, kw


def tolerance(name, kw, t):
    """A few ulps of the peak multiplier (1), growing with the cosine's phase: transformers
    computes cos(2π·c·p) with an argument whose own rounding grows with t."""
    if name in BIT_EXACT:
        return 0.0
    P = max(1, kw.get("num_training_steps", 0) - kw.get("num_warmup_steps", 0),
            kw.get("num_decay_steps", 0))
    waves = max(1.0, 2 * kw.get("num_cycles", 0.5))
    return 8 * EPS * (1 + t * waves / P)


@pytest.mark.parametrize("name", TRANSFORMERS_SCHEDULES)
def test_every_step_equals_transformers(name):
    rng = random.Random(f"hf-{name}")
    for _ in range(40):
        lr, kw = random_config(name, rng)
        ref = transformers_multiplier(name, lr, kw)
        s = from_transformers(name, base_lr=lr, **kw)
        assert lrkit.parse(repr(s)) == s
        n = max(kw.get("num_training_steps") or 0, kw.get("num_stable_steps") or 0, 20) + 40
        for t in range(n):
            want, got = float(ref(t)), s(t)
            assert abs(got - want) <= tolerance(name, kw, t), (name, kw, t, want, got, repr(s))
            if name == "polynomial":  # the one schedule with a division by base_lr inside
                assert got == pytest.approx(want, rel=8 * EPS * (1 + kw["power"]), abs=4 * EPS)


def test_defaults_and_readable_text():
    s = from_transformers("cosine", num_warmup_steps=100, num_training_steps=1000)
    assert repr(s) == "warmup(pingpong(cosine(900)), 100)"
    assert repr(from_transformers("linear", num_warmup_steps=10, num_training_steps=110)) == \
        "warmup(polynomial(100), 10)"
    assert from_transformers(transformers.SchedulerType.CONSTANT) == lrkit.constant(1.0)
    s = from_transformers("cosine_with_restarts", num_warmup_steps=0, num_training_steps=300,
                          num_cycles=3)
    assert repr(s) == "restarts(cosine(100), 100, limit=3)"
    s = from_transformers("warmup_stable_decay", num_warmup_steps=10, num_training_steps=100,
                          num_decay_steps=20, min_lr_ratio=0.1)
    assert s == lrkit.wsd(100, 10, 20, end=0.1, shape="cosine")


def test_drives_torch_like_transformers():
    """The lr a LambdaLR built from the lrkit schedule gives equals transformers' scheduler's."""
    kw = dict(num_warmup_steps=5, num_training_steps=40, num_cycles=0.5, min_lr_rate=0.1)
    s = from_transformers("cosine_with_min_lr", **kw)
    params = [torch.zeros(1, requires_grad=True)]
    opt_a, opt_b = torch.optim.SGD(params, lr=0.3), torch.optim.SGD(params, lr=0.3)
    a = transformers.get_scheduler("cosine_with_min_lr", opt_a, num_warmup_steps=5, num_training_steps=40,
                                   scheduler_specific_kwargs={"min_lr_rate": 0.1})
    b = torch.optim.lr_scheduler.LambdaLR(opt_b, s)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(45):
            assert opt_b.param_groups[0]["lr"] == pytest.approx(opt_a.param_groups[0]["lr"], abs=1e-16)
            a.step()
            b.step()


def test_errors_are_clear():
    with pytest.raises(ValueError, match="lrkit.plateau"):
        from_transformers("reduce_lr_on_plateau")
    with pytest.raises(ValueError, match="lrkit.plateau"):
        from_transformers(transformers.SchedulerType.REDUCE_ON_PLATEAU)
    with pytest.raises(ValueError, match="unknown transformers scheduler 'cosin'"):
        from_transformers("cosin", num_warmup_steps=1, num_training_steps=2)
    with pytest.raises(ValueError, match="requires `num_training_steps`"):
        from_transformers("linear", num_warmup_steps=1)
    with pytest.raises(ValueError, match="requires `num_warmup_steps`"):
        from_transformers("cosine", num_training_steps=10)
    with pytest.raises(ValueError, match="num_warmup_steps must be an integer >= 0"):
        from_transformers("linear", num_warmup_steps=-1, num_training_steps=10)
    with pytest.raises(TypeError, match="does not take 'power'"):
        from_transformers("cosine", num_warmup_steps=1, num_training_steps=10, power=2)
    with pytest.raises(ValueError, match="base_lr"):
        from_transformers("polynomial", num_warmup_steps=1, num_training_steps=10)
    with pytest.raises(ValueError, match="lr_end .* must be smaller than base_lr"):
        from_transformers("polynomial", num_warmup_steps=1, num_training_steps=10, lr_end=0.5, base_lr=0.1)
    with pytest.raises(ValueError, match="only one of min_lr or min_lr_rate"):
        from_transformers("cosine_with_min_lr", num_warmup_steps=1, num_training_steps=10, min_lr=1e-5,
                          min_lr_rate=0.1)
    with pytest.raises(ValueError, match="one of min_lr or min_lr_rate is required"):
        from_transformers("cosine_with_min_lr", num_warmup_steps=1, num_training_steps=10)
    with pytest.raises(ValueError, match="num_cycles must be >= 0"):
        from_transformers("cosine", num_warmup_steps=1, num_training_steps=10, num_cycles=-1)
    with pytest.raises(ValueError, match=r"num_warmup_steps \(5\) \+ num_decay_steps \(10\)"):
        from_transformers("warmup_stable_decay", num_warmup_steps=5, num_training_steps=10,
                          num_decay_steps=10)
    with pytest.raises(ValueError, match="decay_type must be"):
        from_transformers("warmup_stable_decay", num_warmup_steps=5, num_training_steps=100,
                          num_decay_steps=10, decay_type="exp")


def test_every_transformers_name_is_handled():
    names = {t.value for t in transformers.SchedulerType}
    handled = set(TRANSFORMERS_SCHEDULES) | {"reduce_lr_on_plateau", "greedy"}
    assert names <= handled, names - handled


def test_import_is_light():
    import subprocess
    import sys

    code = ("import sys, lrkit.hf; heavy = [m for m in ('torch', 'numpy', 'transformers') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


