"""timm, side by side: tanh, k_decay, timm's noise, from_timm over random create_scheduler_v2
arguments (every step), the plateau through lrkit.Scheduler, and layer decay against
timm's param_groups_layer_decay."""

from __future__ import annotations

import math
import random
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch

from tests.torchvision_stand_in import import_timm

timm = import_timm()

from timm.optim import param_groups_layer_decay  # noqa: E402
from timm.scheduler import (  # noqa: E402
    CosineLRScheduler,
    PolyLRScheduler,
    TanhLRScheduler,
    create_scheduler_v2,
)
from timm.scheduler.scheduler import Scheduler as TimmScheduler  # noqa: E402

import lrkit  # noqa: E402
import lrkit.torch  # noqa: E402
from lrkit._torch_rng import timm_noise  # noqa: E402
from lrkit.layer_decay import layer_ids  # noqa: E402
from lrkit.timm import TIMM_KEYWORDS, from_timm  # noqa: E402

torch.set_num_threads(1)


def _optimizer(lr: float) -> torch.optim.Optimizer:
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)


def _close(a: float, b: float, peak: float) -> bool:
    """1e-12 relative; plus a quarter ulp-scale of the peak lr (4e-16·peak) where timm's own
    1 + cos(π·q) cancels near a cycle's end (lrkit evaluates sin²(π/2·(1 − q)) there)."""
    return abs(a - b) <= 1e-12 * abs(b) + 4e-16 * peak


# -- the shapes, against timm's schedulers built directly ---------------------------------

@pytest.mark.parametrize("lb, ub", [(-7.0, 3.0), (-3.0, 3.0), (-10.0, 1.0), (0.5, 6.0)])
@pytest.mark.parametrize("lr_min", [0.0, 1e-4])
def test_tanh_is_timms(lb, ub, lr_min):
    T, lr = 37, 0.3
    ref = TanhLRScheduler(_optimizer(lr), t_initial=T, lb=lb, ub=ub, lr_min=lr_min)
    s = lrkit.tanh(T, start=lr, end=lr_min, lb=lb, ub=ub)
    for t in range(T):
        assert s(t) == pytest.approx(ref._get_lr(t)[0], rel=1e-13, abs=0)
    # held from T on (timm's next cycle is not part of the shape; restarts() makes cycles)
    assert s(T) == s(10 * T) == pytest.approx(lr_min + 0.5 * (lr - lr_min) * (1 - math.tanh(ub)), rel=1e-13)
    # every evaluation path, the same values (to the last ulps of each library's tanh, which
    # 1 − tanh(x) turns into ~1e-14 relative near x = ub)
    steps = np.arange(0, 2 * T, 0.5)
    scalar = [s(float(x)) for x in steps]
    assert np.allclose(s(steps), scalar, rtol=1e-13, atol=1e-16)
    assert torch.allclose(s(torch.tensor(steps)), torch.tensor(scalar, dtype=torch.float64), rtol=1e-13,
                          atol=1e-16)
    jax = pytest.importorskip("jax")
    got = np.asarray(jax.jit(lambda x: s(x))(jax.numpy.asarray(steps, dtype="float32")))  # float32
    assert np.allclose(got, scalar, rtol=1e-5, atol=1e-7)
    assert lrkit.parse(repr(s)) == s and lrkit.from_config(s.to_config()) == s


def test_tanh_refuses_bad_bounds():
    with pytest.raises(ValueError, match="lb"):
        lrkit.tanh(10, lb=3.0, ub=3.0)
    with pytest.raises(ValueError, match="ub"):
        lrkit.tanh(10, ub=math.inf)


@pytest.mark.parametrize("k", [0.5, 1.0, 2.0, 3.7])
def test_k_decay_is_timms(k):
    T, lr, lr_min = 50, 0.1, 1e-3
    cos_ref = CosineLRScheduler(_optimizer(lr), t_initial=T, lr_min=lr_min, k_decay=k)
    poly_ref = PolyLRScheduler(_optimizer(lr), t_initial=T, lr_min=lr_min, power=1.5, k_decay=k)
    c = lrkit.cosine(T, start=lr, end=lr_min, k_decay=k)
    p = lrkit.polynomial(T, start=lr, end=lr_min, power=1.5, k_decay=k)
    for t in range(T):
        assert _close(c(t), cos_ref._get_lr(t)[0], lr)
        assert _close(p(t), poly_ref._get_lr(t)[0], lr)
    assert c(T) == p(T) == lr_min
    assert np.allclose(c(np.arange(T + 3.0)), [c(t) for t in range(T + 3)], rtol=1e-15, atol=0)


def test_k_decay_default_leaves_values_and_text_unchanged():
    assert repr(lrkit.cosine(100, end=0.1)) == "cosine(100, end=0.1)"
    assert repr(lrkit.polynomial(100, power=2.0)) == "polynomial(100, power=2.0)"
    assert lrkit.cosine(100, k_decay=1.0) == lrkit.cosine(100)
    assert repr(lrkit.cosine(100, k_decay=2.0)) == "cosine(100, k_decay=2.0)"
    with pytest.raises(ValueError, match="k_decay"):
        lrkit.cosine(100, k_decay=0.0)


# -- timm's noise ---------------------------------------------------------------------------

class _Flat(TimmScheduler):
    """timm's Scheduler base (its noise) around a constant lr."""

    def _get_lr(self, t: int) -> list[float]:
        return list(self.base_values)


def _flat(lr: float, **noise_args) -> tuple[_Flat, torch.optim.Optimizer]:
    opt = _optimizer(lr)
    return _Flat(opt, "lr", t_in_epochs=True, **noise_args), opt


@pytest.mark.parametrize("kind", ["normal", "uniform"])
@pytest.mark.parametrize("pct, std", [(0.67, 1.0), (0.1, 1.0), (0.3, 2.0), (0.9, 0.25)])
def test_noise_draws_are_timms_torch_generator(kind, pct, std):
    """The same bits as timm's torch.Generator draws, for many seeds (the resampling included)."""
    ref, _ = _flat(1.0, noise_type=kind, noise_pct=pct, noise_std=std)
    rng = random.Random(7)
    for seed in [0, 1, 42, 2**32 - 1, 2**32 + 5, *(rng.randrange(2**40) for _ in range(150))]:
        ref.noise_seed = seed
        assert timm_noise(seed, kind, pct, std) == ref._calculate_noise(0)


@pytest.mark.parametrize("kind", ["normal", "uniform"])
@pytest.mark.parametrize("noise_range", [5, (3, 17), (0, 40)])
def test_noise_combinator_with_rng_torch_is_timms(kind, noise_range):
    lr, seed = 0.05, 1234
    ref, opt = _flat(lr, noise_range_t=noise_range, noise_type=kind, noise_pct=0.4, noise_std=0.7,
                     noise_seed=seed)
    lo, hi = (noise_range, None) if isinstance(noise_range, int) else noise_range
    s = lrkit.noise(lrkit.constant(lr), 0.4, seed=seed, kind=kind, rng="torch", std=0.7, begin=lo, until=hi)
    for t in range(30):
        ref.step(t)
        assert s(t) == opt.param_groups[0]["lr"]  # v + v·n exactly as timm adds it
    steps = np.arange(30.0)
    scalar = [s(float(t)) for t in steps]
    assert list(s(steps)) == scalar
    assert s(torch.arange(30)).tolist() == scalar
    assert lrkit.parse(repr(s)) == s and lrkit.from_config(s.to_config()) == s
    jax = pytest.importorskip("jax")
    with pytest.raises(ValueError, match="jax.jit"):
        jax.jit(lambda x: s(x))(jax.numpy.arange(3.0))


def test_noise_rng_torch_arguments():
    with pytest.raises(ValueError, match="std"):
        lrkit.noise(lrkit.constant(1.0), 0.1, std=2.0)  # std is timm's: rng='torch' only
    with pytest.raises(ValueError, match="pct"):
        lrkit.noise(lrkit.constant(1.0), 0.0, rng="torch")  # |n| < 0 has no draw
    with pytest.raises(ValueError, match="until"):
        lrkit.noise(lrkit.constant(1.0), 0.1, begin=10, until=5)
    with pytest.raises(ValueError, match="rng"):
        lrkit.noise(lrkit.constant(1.0), 0.1, rng="numpy")
    assert repr(lrkit.noise(lrkit.constant(1.0), 0.1)) == "noise(constant(), 0.1)"


# -- from_timm against create_scheduler_v2 ---------------------------------------------------

def _timm_lrs(lr: float, n: int, metrics: list[float] | None = None, **kw) -> tuple[list[float], int]:
    """The lr timm gives update (epoch) 0..n−1: as built, then after step_update(i) (step(i))."""
    opt = _optimizer(lr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the plateau's deprecation
        sched, num_epochs = create_scheduler_v2(opt, **kw)
    out = [opt.param_groups[0]["lr"]]
    for i in range(1, n):
        if kw.get("step_on_epochs", True):
            sched.step(i, None if metrics is None else metrics[i])
        else:
            sched.step_update(i)
        out.append(opt.param_groups[0]["lr"])
    return out, num_epochs


def _random_kwargs(rng: random.Random) -> dict:
    sched = rng.choice(["cosine", "tanh", "poly", "step", "multistep", "constant"])
    kw: dict = dict(sched=sched, num_epochs=rng.randint(1, 30), warmup_epochs=rng.choice([0, 0, 1, 3, 5]),
                    warmup_lr=rng.choice([0.0, 1e-5, 1e-3, 0.2]), warmup_prefix=rng.random() < 0.5,
                    min_lr=rng.choice([0.0, 0.0, 1e-6, 1e-3]), cycle_mul=rng.choice([1.0, 1.0, 2.0, 1.5, 3]),
                    cycle_decay=rng.choice([1.0, 0.1, 0.5, 0.9]), cycle_limit=rng.choice([1, 1, 2, 3, 0]),
                    k_decay=rng.choice([1.0, 1.0, 0.5, 2.0, 1.7]), decay_rate=rng.choice([0.1, 0.5, 0.97, 2.0]),
                    decay_epochs=rng.choice([1, 3, 2.4, 10]),
                    decay_milestones=sorted(rng.sample(range(0, 30), rng.randint(0, 4))),
                    cooldown_epochs=rng.choice([0, 0, 3]))
    if rng.random() < 0.3:
        kw.update(noise=rng.choice([0.5, [0.2], [0.1, 0.7], [0.0, 1.0]]), noise_pct=rng.choice([0.67, 0.1, 0.3]),
                  noise_std=rng.choice([1.0, 0.5, 2.0]), noise_seed=rng.randint(0, 10**6))
    if rng.random() < 0.5:
        kw.update(step_on_epochs=False, updates_per_epoch=rng.randint(1, 13))
    return kw


CASES = 300


def test_from_timm_equals_timm_at_every_step():
    """CASES random create_scheduler_v2 argument sets, every update (epoch) through the end of
    timm's num_epochs and 5 epochs beyond; num_epochs equal too."""
    rng = random.Random(20261201)
    steps = 0
    for _ in range(CASES):
        kw = _random_kwargs(rng)
        lr = rng.choice([0.1, 1.0, 3e-4])
        upe = 1 if kw.get("step_on_epochs", True) else kw["updates_per_epoch"]
        _, num_epochs = _timm_lrs(lr, 1, **kw)
        n = min(int((num_epochs + 5) * upe), 400)
        ref, _ = _timm_lrs(lr, n, **kw)
        s, ours = from_timm(lr=lr, **kw)
        assert ours == num_epochs, kw
        peak = max(lr, kw["warmup_lr"])
        bad = [(i, s(i), r) for i, r in enumerate(ref) if not _close(s(i), r, peak)]
        assert not bad, (kw, lr, bad[:3])
        steps += n
    assert steps > 30_000


def test_from_timm_defaults_and_text():
    s, n = from_timm(lr=0.1)  # create_scheduler_v2's defaults: cosine over 300 epochs
    ref, n_ref = _timm_lrs(0.1, 320)
    assert n == n_ref == 300
    assert all(_close(s(i), r, 0.1) for i, r in enumerate(ref))
    s, _ = from_timm(lr=0.1, sched="cosine", num_epochs=10, warmup_epochs=2)
    assert lrkit.parse(repr(s)) == s  # an ordinary schedule: text and configs round-trip
    assert lrkit.from_config(s.to_config()) == s


@pytest.mark.parametrize("case", range(40))
def test_from_timm_plateau_through_lrkit_scheduler(case):
    """timm's PlateauLRScheduler (torch's ReduceLROnPlateau inside) against lrkit.Scheduler
    driving from_timm's schedule, with the same metrics (reported after the warmup)."""
    rng = random.Random(case)
    kw = dict(sched="plateau", warmup_epochs=rng.choice([0, 3]), warmup_lr=1e-4,
              decay_rate=rng.choice([0.1, 0.5]), patience_epochs=rng.choice([0, 1, 2]),
              min_lr=rng.choice([0.0, 1e-3]), plateau_mode=rng.choice(["min", "max"]))
    if case % 3 == 0:
        kw.update(noise=[0.1], noise_pct=0.3, noise_seed=rng.randint(0, 999))
    n = 40
    metrics = [rng.choice([1.0, 0.9, 0.95, 1.1]) for _ in range(n)]
    ref, _ = _timm_lrs(0.1, n, metrics=metrics, **kw)
    s, _ = from_timm(lr=0.1, **kw)
    opt = _optimizer(0.1)
    sched = lrkit.Scheduler(opt, s, relative=False)
    got = [opt.param_groups[0]["lr"]]
    for i in range(1, n):
        sched.step(i)
        if i > kw["warmup_epochs"]:
            sched.report(metrics[i])
        got.append(opt.param_groups[0]["lr"])
    assert all(_close(a, b, 0.1) for a, b in zip(got, ref)), (kw, got, ref)


def test_from_timm_refuses_what_it_does_not_build():
    with pytest.raises(TypeError, match="sched, num_epochs") as e:
        from_timm(lr=0.1, epochs=10)
    assert "'epochs'" in str(e.value)
    with pytest.raises(TypeError):
        from_timm(0.1)  # type: ignore[misc]  # lr is a keyword
    with pytest.raises(ValueError, match="wsd"):
        from_timm(lr=0.1, sched="wsd")
    with pytest.raises(ValueError, match="decay_fn"):
        from_timm(lr=0.1, decay_fn="linear")
    with pytest.raises(ValueError, match="cycle_mul"):
        from_timm(lr=0.1, cycle_mul=0.5)
    with pytest.raises(ValueError, match="updates_per_epoch"):
        from_timm(lr=0.1, step_on_epochs=False)
    with pytest.raises(ValueError, match="per epoch"):
        from_timm(lr=0.1, sched="plateau", step_on_epochs=False, updates_per_epoch=10)
    with pytest.raises(ValueError, match="sorted"):
        from_timm(lr=0.1, sched="multistep", decay_milestones=[30, 10])
    with pytest.raises(ValueError, match="lr"):
        from_timm(lr=0.0)
    assert set(TIMM_KEYWORDS) >= {"sched", "noise", "plateau_mode", "updates_per_epoch"}


def test_importing_lrkit_timm_imports_nothing_heavy():
    code = ("import sys, lrkit.timm; s, n = lrkit.timm.from_timm(lr=0.1, noise=0.5); s(200); "
            "print(sorted(m for m in ('torch', 'numpy', 'timm', 'jax') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- layer decay ---------------------------------------------------------------------------

def _table(groups: list[dict]) -> list[tuple]:
    return [([id(p) for p in g["params"]], g["lr_scale"], g["weight_decay"]) for g in groups]


@pytest.fixture(scope="module")
def vit():
    torch.manual_seed(0)
    return timm.create_model("vit_tiny_patch16_224", pretrained=False)


@pytest.mark.parametrize("decay, wd, min_scale", [(0.75, 0.05, 0.0), (0.65, 0.1, 0.0), (0.5, 0.05, 0.01)])
def test_layer_decay_is_timms(vit, decay, wd, min_scale):
    ref = param_groups_layer_decay(vit, weight_decay=wd, no_weight_decay_list=vit.no_weight_decay(),
                                   layer_decay=decay, min_scale=min_scale)
    got = lrkit.torch.layer_decay(vit, 1e-3, decay, weight_decay=wd, min_scale=min_scale)
    assert _table(got) == _table(ref)  # the same groups, in order: params, lr_scale, weight decay
    assert len(got) == 28 and all(g["lr"] == 1e-3 for g in got)
    scales = sorted({g["lr_scale"] for g in got})
    assert scales[-1] == 1.0 and scales[0] == max(min_scale, decay**13)  # embedding, 12 blocks, head
    assert len(scales) == 14 or min_scale > 0
    head = next(g for g in got if any(p is vit.head.weight for p in g["params"]))
    assert head["lr_scale"] == 1.0 and head["weight_decay"] == wd
    assert next(g for g in got if any(p is vit.pos_embed for p in g["params"]))["weight_decay"] == 0.0


def test_layer_decay_lrs_through_lrkit_scheduler(vit):
    groups = lrkit.torch.layer_decay(vit, 1e-3, 0.75)
    opt = torch.optim.AdamW(groups, lr=1e-3)
    s, _ = from_timm(lr=1e-3, sched="cosine", num_epochs=10, warmup_epochs=2, warmup_lr=1e-6)
    sched = lrkit.Scheduler(opt, s, relative=False)
    ref_opt = torch.optim.AdamW(param_groups_layer_decay(vit, no_weight_decay_list=vit.no_weight_decay()),
                                lr=1e-3)
    ref = CosineLRScheduler(ref_opt, t_initial=10, warmup_t=2, warmup_lr_init=1e-6)
    for epoch in range(1, 12):
        sched.step(epoch)
        ref.step(epoch)
        got = [g["lr"] for g in opt.param_groups]
        want = [g["lr"] for g in ref_opt.param_groups]
        assert got == pytest.approx(want, rel=1e-12, abs=0)
        assert got == pytest.approx([s(epoch) * g["lr_scale"] for g in opt.param_groups], rel=1e-15, abs=0)


def test_layer_decay_by_module_order_and_pattern():
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.LayerNorm(8), torch.nn.Linear(8, 8),
                                torch.nn.Linear(8, 2))
    groups = lrkit.torch.layer_decay(model, 0.1, 0.5, weight_decay=0.01)
    by_param = {id(p): (g["lr_scale"], g["weight_decay"]) for g in groups for p in g["params"]}
    assert by_param[id(model[0].weight)] == (0.125, 0.01)  # block 0 of 4: 0.5^3
    assert by_param[id(model[1].weight)] == (0.25, 0.0)  # a norm: no weight decay
    assert by_param[id(model[3].bias)] == (1.0, 0.0)  # the top block, a bias
    assert sum(len(g["params"]) for g in groups) == len(list(model.parameters()))

    class Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = torch.nn.Linear(2, 4)
            self.layers = torch.nn.ModuleList([torch.nn.Linear(4, 4) for _ in range(3)])
            self.head = torch.nn.Linear(4, 1)

    net = Net()
    for blocks in (None, r"^layers\.(\d+)\."):
        ids = layer_ids(net, blocks)
        assert ids["embed.weight"] == 0 and ids["layers.0.weight"] == 1 and ids["layers.2.bias"] == 3
        assert ids["head.weight"] == 4
    with pytest.raises(ValueError, match="group"):
        lrkit.torch.layer_decay(net, 0.1, 0.5, blocks=r"^layers\.\d+\.")
    with pytest.raises(ValueError, match="decay"):
        lrkit.torch.layer_decay(net, 0.1, 1.5)
    with pytest.raises(TypeError, match="Module"):
        lrkit.torch.layer_decay([1, 2], 0.1, 0.5)
