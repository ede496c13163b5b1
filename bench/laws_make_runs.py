"""Make the real loss curves that validate ``lrkit.laws`` (committed under bench/laws_runs/).

A small byte-level transformer (PyTorch, CPU, one thread) is trained on the Python standard
library's own source files (no download: every machine has them) under six learning-rate
schedules, two seeds each.  The seed sets the initialisation *and* the order of the batches; the
schedules of one seed see the same batches in the same order, so the difference between two
schedules is the schedule's, and the difference between the two seeds is the noise floor.

Each run writes ``bench/laws_runs/<schedule>-s<seed>.csv`` with columns ``step, lr, loss``: the
loss is the mean training loss of the 10 steps ``step-9 .. step`` (one row every 10 steps), the
lr the absolute learning rate at ``step``.  ``runs.json`` beside them records each schedule's
text form and the settings.  Progress goes to ``bench/laws_runs/progress.log``.

    nice python bench/laws_make_runs.py            # all 12 runs, ~20 CPU-minutes
    nice python bench/laws_make_runs.py --only cosine --seeds 0
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import sysconfig
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "src"))

import lrkit  # noqa: E402

OUT = os.path.join(HERE, "laws_runs")
STEPS = 2000
WARMUP = 100
PEAK = 3e-3
EVERY = 10

#: the schedules, as lrkit text forms of the *relative* lr (times PEAK gives the absolute lr)
SCHEDULES = {
    "constant": f"warmup(constant(1.0), {WARMUP})",
    "cosine": f"warmup(cosine({STEPS - WARMUP}), {WARMUP})",
    "wsd-linear": f"warmup(wsd({STEPS - WARMUP}, 0, {STEPS // 5}, shape='linear'), {WARMUP})",
    "wsd-1-sqrt": f"warmup(wsd({STEPS - WARMUP}, 0, {STEPS // 5}, shape='1-sqrt'), {WARMUP})",
    "two-stage": f"warmup(piecewise([{STEPS * 7 // 10 - WARMUP}], [1.0, 0.1]), {WARMUP})",
    "linear-to-zero": f"warmup(linear({STEPS - WARMUP}), {WARMUP})",
}

MODEL = {"d_model": 64, "layers": 2, "heads": 4, "context": 64, "batch": 16}


def corpus(limit: int = 6_000_000) -> bytes:
    """The standard library's .py files, sorted by path, concatenated (first ``limit`` bytes)."""
    root = sysconfig.get_paths()["stdlib"]
    paths = []
    for d, dirs, files in os.walk(root):
        dirs[:] = sorted(x for x in dirs if x not in ("site-packages", "__pycache__"))
        paths += [os.path.join(d, f) for f in files if f.endswith(".py")]
    out = bytearray()
    for p in sorted(paths):
        with open(p, "rb") as f:
            out += f.read()
        if len(out) >= limit:
            break
    return bytes(out[:limit])


def train(name: str, seed: int, data, log) -> None:
    import torch
    from torch import nn

    torch.manual_seed(seed)
    d, L, H, C, B = (MODEL[k] for k in ("d_model", "layers", "heads", "context", "batch"))

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.emb = nn.Embedding(256, d)
            self.pos = nn.Parameter(torch.zeros(C, d))
            layer = nn.TransformerEncoderLayer(d, H, 4 * d, dropout=0.0, batch_first=True,
                                               norm_first=True, activation="gelu")
            self.body = nn.TransformerEncoder(layer, L, enable_nested_tensor=False)
            self.norm = nn.LayerNorm(d)
            self.head = nn.Linear(d, 256)
            self.register_buffer("mask", nn.Transformer.generate_square_subsequent_mask(C))

        def forward(self, x):
            h = self.emb(x) + self.pos
            return self.head(self.norm(self.body(h, mask=self.mask, is_causal=True)))

    net = Net()
    opt = torch.optim.AdamW(net.parameters(), lr=PEAK, betas=(0.9, 0.95), weight_decay=0.1)
    sched = lrkit.parse(SCHEDULES[name])
    g = torch.Generator().manual_seed(1000 + seed)  # the batch order: same for every schedule
    n = len(data) - C - 1
    rows, window = [], []
    t0 = time.process_time()
    for step in range(STEPS):
        lr = PEAK * sched(step)
        for group in opt.param_groups:
            group["lr"] = lr
        idx = torch.randint(0, n, (B,), generator=g)
        x = torch.stack([data[i:i + C] for i in idx.tolist()]).long()
        y = torch.stack([data[i + 1:i + C + 1] for i in idx.tolist()]).long()
        loss = nn.functional.cross_entropy(net(x).reshape(-1, 256), y.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        window.append(loss.item())
        if (step + 1) % EVERY == 0:
            rows.append((step, lr, sum(window) / len(window)))
            window = []
        if (step + 1) % 500 == 0:
            log(f"{name} s{seed}: step {step + 1}/{STEPS} loss {rows[-1][2]:.4f} "
                f"({time.process_time() - t0:.0f} CPU-s)")
    path = os.path.join(OUT, f"{name}-s{seed}.csv")
    with open(path, "w") as f:
        f.write("step,lr,loss\n")
        for s, lr, v in rows:
            f.write(f"{s},{lr!r},{v:.6f}\n")
    log(f"{name} s{seed}: done, final {rows[-1][2]:.4f}, {time.process_time() - t0:.0f} CPU-s -> {path}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", nargs="*", default=list(SCHEDULES), choices=list(SCHEDULES))
    p.add_argument("--seeds", nargs="*", type=int, default=[0, 1])
    args = p.parse_args()
    import torch

    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    logf = open(os.path.join(OUT, "progress.log"), "a")

    def log(msg: str) -> None:
        line = f"{time.strftime('%H:%M:%S')} {msg}"
        print(line, flush=True)
        logf.write(line + "\n")
        logf.flush()

    data = torch.frombuffer(bytearray(corpus()), dtype=torch.uint8)
    log(f"corpus: {len(data)} bytes of the standard library; model {MODEL}")
    with open(os.path.join(OUT, "runs.json"), "w") as f:
        json.dump({"steps": STEPS, "peak": PEAK, "every": EVERY, "model": MODEL,
                   "corpus": "Python standard library .py files, sorted by path, first 6 MB",
                   "python": sys.version.split()[0], "torch": torch.__version__,
                   "schedules": {k: f"{PEAK!r} * {v}" for k, v in SCHEDULES.items()}}, f, indent=1)
    for seed in args.seeds:
        for name in args.only:
            train(name, seed, data, log)
    return 0


if __name__ == "__main__":
    assert math.isfinite(PEAK)
    sys.exit(main())
