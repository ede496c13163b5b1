"""Crash-safe training with an lrkit schedule: kill it at any moment, run it again, same run.

    python examples/crash_safe_training.py --dir runs/a --steps 400 --every 7

Every ``--every`` optimizer steps the script writes one checkpoint holding the
model, the optimizer and the scheduler state (``lrkit`` state dicts are plain
JSON-able data, so ``torch.load(weights_only=True)`` reads them).  The write is
atomic: to a temporary file in the same folder, flushed and fsync-ed, then
``os.replace``-d over the old checkpoint, so a crash leaves either the old or
the new checkpoint, never half of one.  On start the script resumes from the
checkpoint if there is one.

Each step appends ``step lr loss`` (floats in hex, exact) to ``trace.txt``;
steps redone after a crash are appended again, so a reader can check that a
redone step gives the very same numbers.  ``final.txt`` holds the final
weights (hex) once the run is complete.

The schedule: 10% linear warmup, cosine to 5% over the rest, ±5% deterministic
noise, times a plateau multiplier fed with the loss every 5 steps (its state
travels in the scheduler's state_dict as well).

``--clock tokens``: the scheduler counts tokens (``unit="tokens"``, ``step(tokens=n)``);
the batch size ramps up in stages with the tokens seen (16, 32, 64 samples of 8 tokens),
the lr is scaled with it by the square-root rule, and the decay is an exponential WSD.
"""

from __future__ import annotations

import argparse
import os
import time

import torch

import lrkit
import lrkit.torch

SCHEDULE = "noise(warmup(cosine('rest', end=0.05), '10%'), 0.05, seed=7) * plateau(patience=2, factor=0.5)"
#: --clock tokens: durations in tokens; the batch size (samples) is a schedule of the tokens seen
TOKEN_SCHEDULE = ("scale_by_batch(noise(warmup(wsd(110000, 0, 40000, end=0.05, shape='exponential'), 6000), "
                  "0.05, seed=7), piecewise([9000, 18000], [16.0, 32.0, 64.0]), 64) "
                  "* plateau(patience=2, factor=0.5)")
TOKENS_PER_SAMPLE = 8


def atomic_save(obj: object, path: str) -> None:
    """torch.save that leaves either the old file or the complete new one."""
    folder = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        torch.save(obj, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fd = os.open(folder, os.O_RDONLY)  # make the rename itself durable
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def batch(step: int, size: int = 16) -> tuple[torch.Tensor, torch.Tensor]:
    """The data of one step: a pure function of the step, so a redone step sees the same batch."""
    g = torch.Generator().manual_seed(1000 + step)
    x = torch.randn(size, 8, generator=g, dtype=torch.float64)
    noise = torch.randn(size, generator=g, dtype=torch.float64)
    y = x @ torch.linspace(-1, 1, 8, dtype=torch.float64) + 0.3 * noise
    return x, y


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", required=True)
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--every", type=int, default=7, help="checkpoint every k optimizer steps")
    ap.add_argument("--sleep", type=float, default=0.0, help="seconds of pretend work per step")
    ap.add_argument("--clock", choices=("steps", "tokens"), default="steps",
                    help="what the schedule's durations count (default: optimizer steps)")
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    ckpt = os.path.join(args.dir, "ckpt.pt")

    torch.manual_seed(0)
    model = torch.nn.Linear(8, 1, dtype=torch.float64)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    if args.clock == "tokens":
        schedule = lrkit.parse(TOKEN_SCHEDULE)
        batch_size = lrkit.batch_curves(schedule)[0]  # samples per step, a function of the tokens seen
        sched = lrkit.torch.Scheduler(opt, schedule, unit="tokens")
    else:
        sched = lrkit.torch.Scheduler(opt, SCHEDULE, total_steps=args.steps)
    start = 0
    if os.path.exists(ckpt):
        state = torch.load(ckpt, weights_only=True)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        start = state["step"]

    with open(os.path.join(args.dir, "trace.txt"), "a", encoding="ascii") as trace:
        trace.write(f"start {start}\n")
        for step in range(start, args.steps):
            lr = opt.param_groups[0]["lr"]
            size = int(batch_size(sched.last_epoch)) if args.clock == "tokens" else 16
            x, y = batch(step, size)
            loss = torch.nn.functional.mse_loss(model(x).squeeze(-1), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if args.clock == "tokens":
                sched.step(tokens=size * TOKENS_PER_SAMPLE)
            else:
                sched.step()
            if (step + 1) % 5 == 0:
                sched.report(loss.item())
            trace.write(f"{step} {float(lr).hex()} {loss.item().hex()}\n")
            trace.flush()
            if (step + 1) % args.every == 0 or step + 1 == args.steps:
                atomic_save({"model": model.state_dict(), "optimizer": opt.state_dict(),
                             "scheduler": sched.state_dict(), "step": step + 1}, ckpt)
            if args.sleep:
                time.sleep(args.sleep)

    weights = [w.hex() for p in model.parameters() for w in p.detach().flatten().tolist()]
    with open(os.path.join(args.dir, "final.txt"), "w", encoding="ascii") as f:
        f.write(" ".join(weights) + "\n")


if __name__ == "__main__":
    main()
