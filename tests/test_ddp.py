"""DistributedDataParallel, gloo backend, 2 processes on CPU (loopback only): every rank's
learning rate is identical at every step, and a checkpoint saved by rank 0 and loaded by
all ranks resumes the run identically (lr trace and weights, bit for bit).

The ranks meet through a FileStore in the test's tmp folder rather than a TCP port picked
in advance (which another process may take before rank 0 binds it); gloo's own sockets
are bound to the loopback interface by the kernel."""

from __future__ import annotations

import json
import os
import time

import pytest

torch = pytest.importorskip("torch")
dist = pytest.importorskip("torch.distributed")
if not dist.is_available() or not dist.is_gloo_available():
    pytest.skip("torch.distributed with gloo is not available", allow_module_level=True)

import torch.multiprocessing as mp  # noqa: E402

WORLD, STEPS, SAVE_AT = 2, 40, 15
SCHEDULE = "warmup(cosine('rest', end=0.05), '10%') * plateau(patience=0, threshold=0.5, factor=0.5)"


def batch(step: int, rank: int):
    g = torch.Generator().manual_seed(step * WORLD + rank)  # each rank its own shard
    x = torch.randn(8, 4, generator=g, dtype=torch.float64)
    return x, x @ torch.tensor([1.0, -2.0, 0.5, 3.0], dtype=torch.float64)


def build(on_optimizer_step: bool = False):
    import lrkit.torch

    torch.manual_seed(0)
    model = torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(4, 1, dtype=torch.float64))
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    sched = lrkit.torch.Scheduler(opt, SCHEDULE, total_steps=STEPS, on_optimizer_step=on_optimizer_step)
    return model, opt, sched


def run(model, opt, sched, rank, start, stop, checkpoint=None):
    """Steps start..stop-1; returns [(lr hex, mean loss hex)]; rank 0 may save a checkpoint."""
    trace = []
    for step in range(start, stop):
        if checkpoint is not None and step == SAVE_AT:
            if rank == 0:
                tmp = checkpoint + ".tmp"
                torch.save({"model": model.module.state_dict(), "optimizer": opt.state_dict(),
                            "scheduler": sched.state_dict()}, tmp)
                os.replace(tmp, checkpoint)
            dist.barrier()
        lr = opt.param_groups[0]["lr"]
        x, y = batch(step, rank)
        loss = torch.nn.functional.mse_loss(model(x).squeeze(-1), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        mean = loss.detach().clone()
        dist.all_reduce(mean)  # every rank reports the same metric to its plateau
        mean /= WORLD
        if (step + 1) % 5 == 0:
            sched.report(mean.item())
        trace.append((float(lr).hex(), mean.item().hex()))
    return trace


def worker(rank: int, folder: str) -> None:
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    if os.path.exists("/sys/class/net/lo"):
        os.environ["GLOO_SOCKET_IFNAME"] = "lo"  # gloo's sockets on loopback only
    store = os.path.join(folder, "rendezvous")
    dist.init_process_group("gloo", rank=rank, world_size=WORLD, init_method=f"file://{store}")
    try:
        checkpoint = os.path.join(folder, "ckpt.pt")
        model, opt, sched = build()
        full = run(model, opt, sched, rank, 0, STEPS, checkpoint)
        weights = [w.hex() for p in model.parameters() for w in p.detach().flatten().tolist()]

        # every rank: a fresh model, optimizer and scheduler, loaded from rank 0's checkpoint
        model, opt, sched = build(on_optimizer_step=True)
        state = torch.load(checkpoint, weights_only=True)
        model.module.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        resumed = run(model, opt, sched, rank, SAVE_AT, STEPS)
        weights_resumed = [w.hex() for p in model.parameters() for w in p.detach().flatten().tolist()]

        result = {"full": full, "resumed": resumed, "weights": weights,
                  "weights_resumed": weights_resumed, "last_epoch": sched.last_epoch}
        gathered: list = [None] * WORLD
        dist.all_gather_object(gathered, result)
        if rank == 0:
            with open(os.path.join(folder, "results.json"), "w") as f:
                json.dump(gathered, f)
        dist.barrier()  # both ranks are done talking before either tears its gloo context down
    finally:
        dist.destroy_process_group()
    # All work is done and written. torch 2.13's gloo teardown at interpreter exit sometimes
    # aborts ("terminate called without an active exception", seen ~1 run in 10 under load,
    # always after destroy_process_group returned): leave without C++ static destructors.
    os._exit(0)


@pytest.mark.slow
def test_ranks_agree_and_resume_from_rank0_checkpoint(tmp_path):
    ctx = mp.start_processes(worker, args=(str(tmp_path),), nprocs=WORLD, join=False,
                             start_method="spawn")
    deadline = time.monotonic() + 240
    while not ctx.join(timeout=5):
        if time.monotonic() > deadline:
            for p in ctx.processes:
                p.kill()
            pytest.fail("DDP workers did not finish within 240 s")
    results = json.loads((tmp_path / "results.json").read_text())
    r0, r1 = results
    assert len(r0["full"]) == STEPS
    # every rank's lr is the same at every step (and so are the all-reduced losses)
    assert r0["full"] == r1["full"] and r0["resumed"] == r1["resumed"]
    assert r0["weights"] == r1["weights"]
    # the run resumed from the checkpoint continues exactly as the uninterrupted one
    assert r0["resumed"] == r0["full"][SAVE_AT:]
    assert r0["weights_resumed"] == r0["weights"]
    assert r0["last_epoch"] == r1["last_epoch"] == STEPS
    # the schedule did move: warmup, decay, and the plateau cut in (fed the all-reduced loss)
    import lrkit

    pure = lrkit.parse(SCHEDULE).resolve(STEPS)
    lrs = [float.fromhex(lr) for lr, _ in r0["full"]]
    assert lrs[:5] == [0.05 * pure(t) for t in range(5)]
    assert lrs[0] == 0.0 and max(lrs) == 0.05
    assert any(lr < 0.05 * pure(t) * 0.75 for t, lr in enumerate(lrs))
