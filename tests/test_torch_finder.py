"""The LR range test on PyTorch models (lrkit._torch_finder.find_lr, re-exported by lrkit.torch)."""

from __future__ import annotations

import collections
import math

import pytest

torch = pytest.importorskip("torch")

from lrkit._torch_finder import _to_device, find_lr  # noqa: E402

F = torch.nn.functional


@pytest.fixture(autouse=True)
def _one_thread():
    """Tiny tensors: one intra-op thread is much faster than several; restored afterwards."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def classification_data(seed: int = 0, n: int = 1024, d: int = 10, k: int = 3):
    """A seeded synthetic 3-class problem: labels from a noisy non-linear projection."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=g)
    w = torch.randn(d, k, generator=g)
    y = (torch.tanh(x @ w) * 3 + 0.5 * torch.randn(n, k, generator=g)).argmax(1)
    return x, y


def batches_of(x, y, size=64, seed=1):
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    return [(x[perm[i:i + size]], y[perm[i:i + size]]) for i in range(0, len(x), size)]


def mlp(seed: int = 0, d: int = 10, width: int = 32, k: int = 3):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(d, width), torch.nn.ReLU(), torch.nn.Linear(width, k))


def make_optimizer(name, params, lr=1e-3):
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
    return torch.optim.Adam(params, lr=lr)


def snapshot(model, optimizer):
    """Every tensor of the model's and the optimizer's state, cloned, plus the plain values."""
    def copy(obj):
        if isinstance(obj, torch.Tensor):
            return obj.detach().clone()
        if isinstance(obj, dict):
            return {k: copy(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return type(obj)(copy(v) for v in obj)
        return obj

    return copy({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                 "grads": [p.grad for p in model.parameters()],
                 "training": [m.training for m in model.modules()]})


def assert_identical(a, b, path="state"):
    """Exact equality of nested state: same keys, same types, tensors equal bit for bit."""
    assert type(a) is type(b), path
    if isinstance(a, torch.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape and a.device == b.device, path
        assert torch.equal(a, b), path
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for k in a:
            assert_identical(a[k], b[k], f"{path}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_identical(x, y, f"{path}[{i}]")
    else:
        assert a == b, path


# -- the real problem -----------------------------------------------------------------

@pytest.mark.parametrize("opt_name", ["sgd", "adam"])
def test_suggested_lr_beats_100x_smaller_and_larger(opt_name):
    x, y = classification_data()
    batches = batches_of(x, y)
    model = mlp()
    optimizer = make_optimizer(opt_name, model.parameters())
    result = find_lr(model, optimizer, F.cross_entropy, batches, steps=100)
    assert result.suggestion is not None
    init = {k: t.clone() for k, t in model.state_dict().items()}

    def final_loss(lr, steps=100):
        model.load_state_dict(init)  # the same start for every lr (find_lr restored it too)
        opt = make_optimizer(opt_name, model.parameters(), lr)
        for i in range(steps):
            xb, yb = batches[i % len(batches)]
            opt.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            opt.step()
        with torch.no_grad():
            loss = F.cross_entropy(model(x), y).item()
        return loss if math.isfinite(loss) else math.inf

    lr = result.suggestion
    good, small, large = final_loss(lr), final_loss(lr / 100), final_loss(lr * 100)
    assert good < small and good < large, (lr, good, small, large)
    # and it learned something real: below the loss of guessing (log 3)
    assert good < 0.8 * math.log(3)


def test_deterministic_under_a_seed():
    def run():
        torch.manual_seed(5)  # the init and the dropout masks
        x, y = classification_data(seed=3)
        model = torch.nn.Sequential(torch.nn.Linear(10, 16), torch.nn.Dropout(0.2), torch.nn.ReLU(),
                                    torch.nn.Linear(16, 3))
        return find_lr(model, torch.optim.SGD(model.parameters(), lr=0.1), F.cross_entropy,
                       batches_of(x, y), steps=40)

    r1 = run()
    r2 = run()
    assert r1 == r2


# -- restoration ---------------------------------------------------------------------------

class Net(torch.nn.Module):
    """Parameters, BatchNorm buffers and a Dropout: state that training changes."""

    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(10, 16)
        self.bn = torch.nn.BatchNorm1d(16)
        self.drop = torch.nn.Dropout(0.1)
        self.fc2 = torch.nn.Linear(16, 3)

    def forward(self, x):
        return self.fc2(self.drop(torch.relu(self.bn(self.fc1(x)))))


def warmed_up(opt_factory, steps=3):
    """A model and optimizer that already trained a few steps (non-empty optimizer state, grads)."""
    torch.manual_seed(0)
    x, y = classification_data(n=256)
    model = Net()
    optimizer = opt_factory(model)
    for xb, yb in batches_of(x, y, 32)[:steps]:
        optimizer.zero_grad()
        F.cross_entropy(model(xb), yb).backward()
        optimizer.step()
    model.eval()
    model.fc2.train()  # mixed training flags must come back as they were
    return model, optimizer, batches_of(x, y, 32)


OPTIMIZERS = {
    "adam": lambda m: torch.optim.Adam(m.parameters(), lr=1e-3, weight_decay=1e-4),
    "sgd-nesterov-2-groups": lambda m: torch.optim.SGD(
        [{"params": m.fc1.parameters(), "lr": 0.05}, {"params": [*m.bn.parameters(), *m.fc2.parameters()]}],
        lr=0.1, momentum=0.9, nesterov=True),
    "adamw-tensor-lr": lambda m: torch.optim.AdamW(m.parameters(), lr=torch.tensor(1e-3)),
    "rmsprop": lambda m: torch.optim.RMSprop(m.parameters(), lr=1e-3, momentum=0.5, centered=True),
}


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_state_is_restored_exactly(name):
    model, optimizer, batches = warmed_up(OPTIMIZERS[name])
    before = snapshot(model, optimizer)
    groups = list(optimizer.param_groups)
    group_lrs = [g["lr"] for g in groups]
    result = find_lr(model, optimizer, F.cross_entropy, batches, steps=30, start=1e-4, end=10.0)
    assert len(result.lrs) > 5
    assert_identical(snapshot(model, optimizer), before)
    # the same group dicts, and a tensor lr is still the very same tensor
    assert all(a is b for a, b in zip(optimizer.param_groups, groups, strict=True))
    for g, lr in zip(optimizer.param_groups, group_lrs, strict=True):
        if isinstance(lr, torch.Tensor):
            assert g["lr"] is lr
    # and training continues as if nothing happened
    optimizer.step()


def test_state_is_restored_when_the_test_raises():
    model, optimizer, batches = warmed_up(OPTIMIZERS["adam"])
    before = snapshot(model, optimizer)
    calls = []

    def loss_fn(out, target):
        calls.append(1)
        if len(calls) == 7:
            raise RuntimeError("boom")
        return F.cross_entropy(out, target)

    with pytest.raises(RuntimeError, match="boom"):
        find_lr(model, optimizer, loss_fn, batches, steps=20)
    assert_identical(snapshot(model, optimizer), before)


def test_fresh_optimizer_and_no_grads_are_restored():
    model = mlp()
    optimizer = torch.optim.Adam(model.parameters())
    x, y = classification_data(n=128)
    find_lr(model, optimizer, F.cross_entropy, batches_of(x, y, 32), steps=10)
    assert optimizer.state_dict()["state"] == {}
    assert all(p.grad is None for p in model.parameters())


def test_restore_false_keeps_the_trained_model():
    model = mlp()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    before = {k: t.clone() for k, t in model.state_dict().items()}
    x, y = classification_data(n=128)
    find_lr(model, optimizer, F.cross_entropy, batches_of(x, y, 32), steps=5, start=1e-2, end=1.0,
            restore=False)
    assert not all(torch.equal(before[k], t) for k, t in model.state_dict().items())
    assert optimizer.param_groups[0]["lr"] == pytest.approx(1.0)


def test_nan_loss_stops_and_restores():
    model, optimizer, batches = warmed_up(OPTIMIZERS["adam"])
    before = snapshot(model, optimizer)

    def loss_fn(out, target):
        loss = F.cross_entropy(out, target)
        return loss * math.nan if optimizer.param_groups[0]["lr"] > 1e-3 else loss

    r = find_lr(model, optimizer, loss_fn, batches, start=1e-6, end=1.0, steps=61)
    assert r.reason == "non-finite loss" and max(r.lrs) <= 1e-3 < r.stop_lr
    assert_identical(snapshot(model, optimizer), before)


def test_divergence_stop_with_a_huge_lr():
    x, y = classification_data(n=256)
    model = mlp()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    r = find_lr(model, optimizer, F.cross_entropy, batches_of(x, y, 32), start=1e-4, end=1e4, steps=80)
    assert r.stopped_early and r.reason in ("diverged", "non-finite loss")
    assert r.stop_lr > 1.0


# -- batches -------------------------------------------------------------------------------

def test_short_batches_are_cycled():
    x, y = classification_data(n=96)
    batches = batches_of(x, y, 32)  # three batches
    seen = []

    def forward(model, batch):
        seen.append(batch[0])
        return F.cross_entropy(model(batch[0]), batch[1])

    model = mlp()
    find_lr(model, torch.optim.SGD(model.parameters(), lr=0.1), None, batches, steps=8, forward=forward)
    assert len(seen) == 8
    assert all(s is batches[i % 3][0] for i, s in enumerate(seen))

    # a one-shot generator is replayed from what it gave
    seen.clear()
    find_lr(model, torch.optim.SGD(model.parameters(), lr=0.1), None, (b for b in batches), steps=8,
            forward=forward)
    assert all(s is batches[i % 3][0] for i, s in enumerate(seen))

    # a DataLoader is re-iterated
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=40)
    r = find_lr(model, torch.optim.SGD(model.parameters(), lr=0.1), F.cross_entropy, loader, steps=7)
    assert len(r.lrs) == 7


def test_empty_batches():
    model = mlp()
    with pytest.raises(ValueError, match="batches is empty"):
        find_lr(model, torch.optim.SGD(model.parameters(), lr=0.1), F.cross_entropy, [], steps=3)
    with pytest.raises(TypeError, match="batches must be iterable"):
        find_lr(model, torch.optim.SGD(model.parameters(), lr=0.1), F.cross_entropy, 3, steps=3)


def test_to_device_keeps_structure():
    Batch = collections.namedtuple("Batch", "x y")
    t = torch.ones(2)
    out = _to_device({"a": [t, (t, 3)], "b": Batch(t, "s")}, torch.device("cpu"))
    assert out["a"][0] is t and out["a"][1] == (t, 3) and isinstance(out["b"], Batch) and out["b"].y == "s"


# -- gradient accumulation -------------------------------------------------------------------

def test_accumulation_equals_the_big_batch():
    x, y = classification_data(n=64)
    halves = [(x[:32], y[:32]), (x[32:], y[32:])]

    def run(batches, accumulate):
        model = mlp(seed=1)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        r = find_lr(model, optimizer, F.cross_entropy, batches, steps=3, start=0.01, end=1.0,
                    smooth=0.0, accumulate=accumulate, restore=False)
        return r, [p.detach().clone() for p in model.parameters()]

    r_acc, p_acc = run(halves, accumulate=2)
    r_big, p_big = run([(x, y)], accumulate=1)
    assert r_acc.losses == pytest.approx(r_big.losses, rel=1e-6)  # mean of the micro-batch losses
    for a, b in zip(p_acc, p_big, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    r_one, _ = run(halves, accumulate=1)
    assert r_one.losses != pytest.approx(r_acc.losses, rel=1e-6)


def test_accumulate_validated():
    model = mlp()
    with pytest.raises(ValueError, match="accumulate"):
        find_lr(model, torch.optim.SGD(model.parameters(), lr=0.1), F.cross_entropy, [(1, 2)], accumulate=0)


# -- AMP, clipping -------------------------------------------------------------------------

def test_amp_bf16_autocast_on_cpu():
    x, y = classification_data(n=256)
    model, optimizer, batches = warmed_up(OPTIMIZERS["adam"])
    before = snapshot(model, optimizer)
    dtypes = []

    def forward(model, batch):
        out = model(batch[0])
        dtypes.append(out.dtype)
        return F.cross_entropy(out, batch[1])

    r = find_lr(model, optimizer, None, batches, steps=30, start=1e-5, end=1.0, amp=True, forward=forward)
    assert set(dtypes) == {torch.bfloat16}  # autocast was on
    assert all(math.isfinite(v) for v in r.losses) and r.suggestion is not None
    assert_identical(snapshot(model, optimizer), before)
    dtypes.clear()
    find_lr(model, optimizer, None, batches, steps=3, forward=forward)
    assert set(dtypes) == {torch.float32}  # and off by default


def test_amp_with_a_grad_scaler_restores_it():
    model, optimizer, batches = warmed_up(OPTIMIZERS["adam"])
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0 ** 10, growth_interval=2)
    before = snapshot(model, optimizer)
    scale_before = scaler.get_scale()
    scaler_state = scaler.state_dict()
    r = find_lr(model, optimizer, F.cross_entropy, batches, steps=20, start=1e-5, end=1.0, amp=scaler,
                max_grad_norm=1.0)
    assert len(r.lrs) > 5
    assert scaler.get_scale() == scale_before and scaler.state_dict() == scaler_state
    assert_identical(snapshot(model, optimizer), before)


def test_amp_arguments_validated():
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(TypeError, match="amp"):
        find_lr(model, opt, F.cross_entropy, [(1, 2)], amp="bf16")
    with pytest.raises(ValueError, match="amp_dtype"):
        find_lr(model, opt, F.cross_entropy, [(1, 2)], amp=True, amp_dtype=torch.float64)
    with pytest.raises(ValueError, match="amp_dtype"):
        find_lr(model, opt, F.cross_entropy, [(1, 2)], amp_dtype=torch.bfloat16)


def test_max_grad_norm_clips_the_update():
    x, y = classification_data(n=64)
    model = mlp()
    before = [p.detach().clone() for p in model.parameters()]
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    find_lr(model, optimizer, F.cross_entropy, [(x, y)], steps=2, start=1.0, end=100.0, smooth=0.0,
            diverge=1e9, max_grad_norm=1e-3, restore=False)
    moved = torch.sqrt(sum(((p - b) ** 2).sum() for p, b in zip(model.parameters(), before, strict=True)))
    assert moved <= (1.0 + 100.0) * 1e-3 * (1 + 1e-5)  # each SGD update is lr·(clipped grad)


# -- arguments -----------------------------------------------------------------------------

def test_bad_arguments():
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(TypeError, match="model"):
        find_lr("model", opt, F.cross_entropy, [(1, 2)])
    with pytest.raises(TypeError, match="optimizer"):
        find_lr(model, "opt", F.cross_entropy, [(1, 2)])
    with pytest.raises(TypeError, match="loss_fn"):
        find_lr(model, opt, None, [(1, 2)])
    with pytest.raises(TypeError, match="forward"):
        find_lr(model, opt, None, [(1, 2)], forward=3)
    with pytest.raises(ValueError, match="max_grad_norm"):
        find_lr(model, opt, F.cross_entropy, [(1, 2)], max_grad_norm=0.0)
    with pytest.raises(ValueError, match="steps"):
        find_lr(model, opt, F.cross_entropy, [(torch.ones(1, 10), torch.zeros(1, dtype=torch.long))], steps=1)
    x, y = classification_data(n=8)
    with pytest.raises(TypeError, match=r"pair \(inputs, targets\)"):
        find_lr(model, opt, F.cross_entropy, [(x, y, "extra")], steps=3)
    with pytest.raises(TypeError, match="one-element tensor"):
        find_lr(model, opt, lambda out, t: F.cross_entropy(out, t, reduction="none"), [(x, y)], steps=3)


def test_silent_when_not_a_terminal(capsys):
    x, y = classification_data(n=64)
    model = mlp()
    find_lr(model, torch.optim.SGD(model.parameters(), lr=0.1), F.cross_entropy, [(x, y)], steps=5)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""



def test_find_lr_is_exported_by_lrkit_torch():
    import lrkit.torch

    assert lrkit.torch.find_lr is find_lr


def test_a_too_short_sweep_warns():
    from lrkit.finder import RangeTestWarning

    x, y = classification_data(n=256)
    model = mlp()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    before = snapshot(model, optimizer)
    with pytest.warns(RangeTestWarning, match="too short"):
        r = find_lr(model, optimizer, F.cross_entropy, batches_of(x, y, 32), steps=10)
    assert any("too short" in w for w in r.warnings)
    assert_identical(snapshot(model, optimizer), before)  # restored bit for bit all the same
