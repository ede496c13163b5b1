"""lrkit.torch: LRScheduler instances, tensor lr in place, torch.compile, the optimizer-step hook."""

from __future__ import annotations

import json
import math

import pytest

torch = pytest.importorskip("torch")
from torch.optim.lr_scheduler import LRScheduler  # noqa: E402

import lrkit  # noqa: E402
import lrkit.torch as lt  # noqa: E402


def sgd(lr=0.1, groups=1, **kw):
    params = [{"params": [torch.nn.Parameter(torch.ones(3))], "lr": lr} for _ in range(groups)]
    return torch.optim.SGD(params, lr=0.1, momentum=0.9, **kw)


def test_every_class_is_an_lrscheduler():
    opt = sgd()
    made = [
        lt.Scheduler(opt, lrkit.cosine(10)),
        lt.LambdaLR(opt, lambda e: 0.9**e), lt.MultiplicativeLR(opt, lambda e: 0.9), lt.StepLR(opt, 3),
        lt.MultiStepLR(opt, [2, 4]), lt.ConstantLR(opt), lt.LinearLR(opt), lt.ExponentialLR(opt, 0.9),
        lt.PolynomialLR(opt), lt.CosineAnnealingLR(opt, 5), lt.CosineAnnealingWarmRestarts(opt, 3),
        lt.CyclicLR(opt, 0.01, 0.1, 2), lt.OneCycleLR(opt, 0.1, total_steps=20),
    ]
    made.append(lt.SequentialLR(opt, [lt.ConstantLR(opt), lt.ExponentialLR(opt, 0.9)], [3]))
    made.append(lt.ChainedScheduler([lt.ConstantLR(opt), lt.ExponentialLR(opt, 0.9)]))
    made.append(lt.ReduceLROnPlateau(opt))
    assert len(made) == 16
    for s in made:
        assert isinstance(s, LRScheduler), type(s)
        assert isinstance(s, lrkit.Scheduler)
        json.dumps(s.state_dict())
    assert isinstance(made[-1], torch.optim.lr_scheduler.ReduceLROnPlateau)
    assert {type(s).__name__ for s in made[1:]} == set(lrkit.compat.__all__)


def test_tensor_lr_is_updated_in_place():
    lr = torch.tensor(0.5, dtype=torch.float64)
    opt = sgd(lr=lr, groups=2)
    tensors = [g["lr"] for g in opt.param_groups]
    s = lt.Scheduler(opt, lrkit.warmup(lrkit.cosine(20), 5))
    for t in range(1, 30):
        opt.step()
        s.step()
        for g, x in zip(opt.param_groups, tensors):
            assert g["lr"] is x  # never replaced by a float
        want = 0.5 * lrkit.warmup(lrkit.cosine(20), 5)(t)
        assert math.isclose(float(opt.param_groups[0]["lr"]), want, rel_tol=1e-15, abs_tol=1e-18)
    assert isinstance(s.get_last_lr()[0], float)


def test_compiled_optimizer_step_does_not_recompile():
    compiles = []

    def backend(gm, example_inputs):
        compiles.append(1)
        return gm.forward

    def run(schedule: bool) -> list[int]:
        torch._dynamo.reset()
        compiles.clear()
        model = torch.nn.Linear(4, 4)
        opt = torch.optim.SGD(model.parameters(), lr=torch.tensor(0.1), momentum=0.9)
        lr = opt.param_groups[0]["lr"]
        s = lt.Scheduler(opt, lrkit.warmup(lrkit.cosine(90), 10)) if schedule else None

        @torch.compile(backend=backend)
        def step():
            opt.step()

        for p in model.parameters():
            p.grad = torch.ones_like(p)
        counts = []
        for _ in range(100):
            step()
            if s is not None:
                s.step()
            counts.append(len(compiles))
        assert opt.param_groups[0]["lr"] is lr
        return counts

    baseline = run(False)  # the same compiled step with a constant lr
    counts = run(True)
    assert counts[-1] == baseline[-1]  # zero recompiles caused by the schedule
    assert counts[2] == counts[-1]  # nothing compiled after the first steps, over 100 steps


def test_on_optimizer_step_follows_real_steps_and_gradscaler_skips():
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=1.0, momentum=0.9)
    s = lt.Scheduler(opt, lrkit.linear(10, start=1.0, end=0.0), on_optimizer_step=True)
    scaler = torch.amp.GradScaler("cpu")
    x = torch.ones(1, 2)
    for _ in range(3):
        opt.zero_grad()
        scaler.scale(model(x).sum()).backward()
        scaler.step(opt)
        scaler.update()
        s.step()  # a loop (or framework) that also steps the scheduler: no double step
    assert s.last_epoch == 3
    assert opt.param_groups[0]["lr"] == pytest.approx(0.7)
    # a forced inf gradient: GradScaler skips optimizer.step(), so the schedule does not advance
    opt.zero_grad()
    scaler.scale(model(x).sum() * float("inf")).backward()
    scaler.step(opt)
    scaler.update()
    assert s.last_epoch == 3
    assert opt.param_groups[0]["lr"] == pytest.approx(0.7)
    opt.step()
    assert s.last_epoch == 4
    s.step(8)  # an explicit jump still works
    assert s.last_epoch == 8 and opt.param_groups[0]["lr"] == pytest.approx(0.2)
    s.detach()
    opt.step()
    assert s.last_epoch == 8


def test_compat_class_with_hook_and_resume():
    opt = sgd()
    s = lt.CosineAnnealingLR(opt, T_max=10, eta_min=0.01, on_optimizer_step=True)
    for _ in range(4):
        opt.step()
    assert s.last_epoch == 4
    sd = json.loads(json.dumps(s.state_dict()))
    opt2 = sgd()
    s2 = lt.CosineAnnealingLR(opt2, T_max=10, eta_min=0.01)
    s2.load_state_dict(sd)
    assert s2.get_last_lr() == s.get_last_lr()


def test_momentum_and_betas_on_torch_optimizers():
    opt = sgd(groups=2)
    s = lt.Scheduler(opt, {0: lrkit.linear(10, 0.95, 0.85)}, param="momentum", relative=False)
    s.step(5)
    assert opt.param_groups[0]["momentum"] == pytest.approx(0.9)
    assert opt.param_groups[1]["momentum"] == 0.9  # left alone
    adam = torch.optim.AdamW([torch.nn.Parameter(torch.ones(2))], lr=1e-3)
    b = lt.Scheduler(adam, lrkit.cosine(10, start=0.95, end=0.9), param="betas[0]", relative=False)
    b.step(10)
    assert adam.param_groups[0]["betas"] == (0.9, 0.999)
    with pytest.raises(ValueError, match=r"betas\[0\].*\[0, 1\)"):
        lt.Scheduler(adam, lrkit.constant(1.0), param="betas[0]", relative=False)


def test_base_lrs_and_get_lr_like_torch():
    opt = sgd(lr=0.2, groups=2)
    s = lt.StepLR(opt, 2, gamma=0.5)
    assert s.base_lrs == [0.2, 0.2]
    s.step()
    s.step()
    assert s.get_last_lr() == [0.1, 0.1] == s.get_lr()


def test_hook_on_a_wrapped_optimizer_counts_each_real_step_once():
    accelerate = pytest.importorskip("accelerate")
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    acc = accelerate.Accelerator(cpu=True)
    model, opt = acc.prepare(model, opt)
    s = lt.OneCycleLR(opt, max_lr=0.1, total_steps=5, on_optimizer_step=True)
    for _ in range(5):
        acc.backward(model(torch.ones(1, 2)).sum())
        opt.step()
        opt.zero_grad()
    assert s.last_epoch == 5
    with pytest.raises(ValueError, match="Tried to step 6 times"):
        opt.step()
    with pytest.raises(TypeError, match="ReduceLROnPlateau"):
        lt.ReduceLROnPlateau(opt, on_optimizer_step=True)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_no_host_sync_with_a_cuda_tensor_lr():
    param = torch.nn.Parameter(torch.ones(8, device="cuda"))
    opt = torch.optim.SGD([param], lr=torch.tensor(0.1, device="cuda"), momentum=0.9)
    lr = opt.param_groups[0]["lr"]
    s = lt.Scheduler(opt, lrkit.warmup(lrkit.cosine(90), 10))  # reads the base once, here
    torch.cuda.set_sync_debug_mode("error")  # any host synchronisation now raises
    try:
        for _ in range(100):
            s.step()
    finally:
        torch.cuda.set_sync_debug_mode(0)
    assert opt.param_groups[0]["lr"] is lr
    assert float(lr) == pytest.approx(0.1 * lrkit.warmup(lrkit.cosine(90), 10)(100))


def test_step_count_like_torch():
    for mod in (torch.optim.lr_scheduler, lt):
        opt = sgd()
        s = mod.OneCycleLR(opt, max_lr=0.1, total_steps=10)
        assert s._step_count == 1
        for _ in range(3):
            s.step()
        assert s._step_count == 4
    s2 = lt.OneCycleLR(sgd(), max_lr=0.1, total_steps=10)
    s2.load_state_dict(s.state_dict())
    assert s2._step_count == 4
