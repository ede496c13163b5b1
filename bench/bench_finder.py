"""Does the LR range test's suggestion train well?  Ten small real tasks, against a ground truth.

For each task (bundled scikit-learn data or data generated here; no downloads), the ground
truth is the validation loss after a fixed budget of linear warmup + cosine decay
(``BUDGET`` steps, ``WARMUP`` of them warmup) at every peak of a fine log grid (5 per decade),
averaged over 2 seeds; it is committed in ``bench/finder_ground_truth.json``.  The benchmark
then runs each finder (3 seeds: model init and batch order), trains the same budget at each
rule's suggestion (the same 2 training seeds) and prints, per task, the best peak, the good
range (peaks whose loss is within 5% of the best), each rule's suggestion (geometric mean
over the 3 seeds) and the loss trained at it relative to the best (mean over the seeds).

Rules compared: lrkit's (``lrkit.torch.find_lr``, every rule of ``lrkit.finder.RULES``), and
the peers: torch-lr-finder's steepest-gradient pick (the installed package, ``LRFinder``
+ its ``plot(suggest_lr=True)`` rule; reimplemented from its source if it is not installed),
fastai's ``valley``, ``minimum`` and ``steep`` (reimplemented from fastai's
``callback/schedule.py``: a debiased EMA β = 0.98 of the loss, stop at 4× the best, the
first num_it//10 and last 5 points dropped; fastai itself is not installed: it pulls spaCy).

    PYTHONPATH=src python bench/bench_finder.py           # the table (a few minutes, 2 cores)
    PYTHONPATH=src python bench/bench_finder.py --regen   # recompute the ground truth JSON
    PYTHONPATH=src python bench/bench_finder.py --quick   # 2 tasks, 1 seed: a smoke run
    PYTHONPATH=src python bench/bench_finder.py --check   # exit 1 when a target is missed

Needs torch, numpy and scikit-learn (``pip install 'lrkit[bench]'`` plus torch).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
import warnings

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(os.path.dirname(HERE), "src")
try:  # PYTHONPATH's lrkit if there is one (to compare versions), else this checkout's
    import lrkit  # noqa: F401
except ImportError:
    sys.path.insert(0, SRC)

import lrkit  # noqa: E402
from lrkit.finder import RULES, RangeTestResult  # noqa: E402
from lrkit.torch import find_lr  # noqa: E402

F = torch.nn.functional
GROUND_TRUTH = os.path.join(HERE, "finder_ground_truth.json")
BUDGET, WARMUP = 300, 30
GRID = [10 ** (k / 5) for k in range(-25, 8)]  # 1e-5 ... 10**1.4, 5 per decade
TRAIN_SEEDS = (0, 1)
FINDER_SEEDS = (10, 11, 12)
GOOD = 1.05  # the good range: peaks whose loss is within 5% of the best

# -- data ------------------------------------------------------------------------------


def _dataset(name: str) -> tuple[np.ndarray, np.ndarray, str]:
    if name == "spirals":  # three interleaved spirals, generated deterministically
        g = np.random.default_rng(0)
        n, k = 300, 3
        t = np.tile(np.linspace(0.1, 1.0, n), k)
        label = np.repeat(np.arange(k), n)
        angle = 4.0 * t + 2 * math.pi * label / k + 0.25 * g.standard_normal(k * n)
        flip = g.random(k * n) < 0.1  # 10% label noise: a loss floor well above 0
        label = np.where(flip, g.integers(0, k, k * n), label)
        return np.stack([t * np.cos(angle), t * np.sin(angle)], 1), label, "class"
    from sklearn import datasets

    loader = {"digits": datasets.load_digits, "iris": datasets.load_iris, "wine": datasets.load_wine,
              "breast_cancer": datasets.load_breast_cancer, "diabetes": datasets.load_diabetes}[name]
    d = loader()
    if name == "wine":  # two of its 13 features (alcohol, malic acid): all 13 separate it perfectly
        return d.data[:, :2], d.target, "class"
    return d.data, d.target, "regression" if name == "diabetes" else "class"


def load(name: str) -> dict:
    x, y, kind = _dataset(name)
    perm = np.random.default_rng(123).permutation(len(x))
    n_val = len(x) // 4
    val, tr = perm[:n_val], perm[n_val:]
    if name == "digits":
        x = x / 16.0  # pixels in [0, 1]; some are constant in the training split
    else:
        x = (x - x[tr].mean(0)) / x[tr].std(0)
    if kind == "regression":
        y = (y - y[tr].mean()) / y[tr].std()
        yt = torch.tensor(y, dtype=torch.float32).unsqueeze(1)
    else:
        yt = torch.tensor(y, dtype=torch.long)
    xt = torch.tensor(x, dtype=torch.float32)
    return {"xtr": xt[tr], "ytr": yt[tr], "xva": xt[val], "yva": yt[val], "kind": kind}


# -- tasks -------------------------------------------------------------------------------

def _mlp(*sizes: int, bn: bool = False) -> torch.nn.Module:
    layers: list[torch.nn.Module] = []
    for a, b in zip(sizes[:-2], sizes[1:-1], strict=True):
        layers += [torch.nn.Linear(a, b)] + ([torch.nn.BatchNorm1d(b)] if bn else []) + [torch.nn.ReLU()]
    layers.append(torch.nn.Linear(sizes[-2], sizes[-1]))
    return torch.nn.Sequential(*layers)


def _cnn() -> torch.nn.Module:  # 8x8 digit images
    return torch.nn.Sequential(
        torch.nn.Unflatten(1, (1, 8, 8)),
        torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(8, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(64, 10))


# name -> (data, model factory, optimizer, batch size)
TASKS = {
    "digits logreg SGDm b32": ("digits", lambda: _mlp(64, 10), "sgdm", 32),
    "digits MLP AdamW b64": ("digits", lambda: _mlp(64, 64, 10), "adamw", 64),
    "digits CNN AdamW b32": ("digits", _cnn, "adamw", 32),
    "digits CNN SGDm b128": ("digits", _cnn, "sgdm", 128),
    "cancer logreg AdamW b16": ("breast_cancer", lambda: _mlp(30, 2), "adamw", 16),
    "cancer MLP+BN SGDm b64": ("breast_cancer", lambda: _mlp(30, 32, 2, bn=True), "sgdm", 64),
    "wine-2d MLP SGDm b16": ("wine", lambda: _mlp(2, 32, 3), "sgdm", 16),
    "iris MLP AdamW b8": ("iris", lambda: _mlp(4, 16, 3), "adamw", 8),
    "noisy spirals MLP SGDm b64": ("spirals", lambda: _mlp(2, 64, 64, 3), "sgdm", 64),
    "diabetes MLP AdamW b32 (MSE)": ("diabetes", lambda: _mlp(10, 32, 1), "adamw", 32),
}


def make_optimizer(kind: str, params, lr: float = 1e-3) -> torch.optim.Optimizer:
    if kind == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    return torch.optim.SGD(params, lr=lr, momentum=0.9)


def loss_fn(kind: str):
    return F.mse_loss if kind == "regression" else F.cross_entropy


def batches(data: dict, bs: int, seed: int):
    """Endless shuffled minibatches of the training set (seeded epochs)."""
    g = torch.Generator().manual_seed(seed)
    n = len(data["xtr"])
    while True:
        perm = torch.randperm(n, generator=g)
        for i in range(0, n - bs + 1 if n >= bs else 1, bs):
            idx = perm[i:i + bs]
            yield data["xtr"][idx], data["ytr"][idx]


def setup(task: str, seed: int):
    name, factory, opt, bs = TASKS[task]
    data = _DATA.setdefault(name, load(name))
    torch.manual_seed(seed)
    model = factory()
    return data, model, make_optimizer(opt, model.parameters()), bs


_DATA: dict[str, dict] = {}


def train(task: str, peak: float, seed: int) -> float:
    """Validation loss after BUDGET steps of warmup + cosine peaking at ``peak`` (inf if it diverged)."""
    data, model, optimizer, bs = setup(task, seed)
    lf = loss_fn(data["kind"])
    sched = lrkit.warmup(lrkit.cosine(BUDGET - WARMUP), WARMUP)
    it = batches(data, bs, seed + 1000)
    model.train()
    for t in range(BUDGET):
        lr = peak * sched(t)
        for g in optimizer.param_groups:
            g["lr"] = lr
        xb, yb = next(it)
        loss = lf(model(xb), yb)
        if not torch.isfinite(loss):
            return math.inf
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        v = float(lf(model(data["xva"]), data["yva"]))
    return v if math.isfinite(v) else math.inf


def trained(task: str, peak: float, cache: dict) -> float:
    key = (task, round(math.log10(peak), 6))
    if key not in cache:
        cache[key] = statistics.fmean(train(task, peak, s) for s in TRAIN_SEEDS)
    return cache[key]


# -- ground truth ------------------------------------------------------------------------

def regenerate(tasks: list[str]) -> dict:
    out = {"budget": BUDGET, "warmup": WARMUP, "train_seeds": list(TRAIN_SEEDS),
           "schedule": "peak * warmup(cosine(budget - warmup), warmup): linear warmup, cosine to 0",
           "metric": "validation loss after the budget, mean over train_seeds (inf: diverged)",
           "tasks": {}}
    for task in tasks:
        a = time.perf_counter()
        losses = []
        for peak in GRID:
            losses.append(statistics.fmean(train(task, peak, s) for s in TRAIN_SEEDS))
        out["tasks"][task] = {"peaks": GRID, "loss": [x if math.isfinite(x) else None for x in losses]}
        best = min(x for x in losses if math.isfinite(x))
        print(f"{task}: best {best:.4f} at {GRID[losses.index(best)]:.3g} ({time.perf_counter() - a:.1f} s)",
              flush=True)
    return out


# -- the finders ----------------------------------------------------------------------------

def lrkit_suggestions(task: str, seed: int) -> tuple[dict[str, float | None], RangeTestResult]:
    data, model, optimizer, bs = setup(task, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = find_lr(model, optimizer, loss_fn(data["kind"]), batches(data, bs, seed + 1000))
    return dict(r.suggestions), r


def torch_lr_finder_suggestion(task: str, seed: int) -> float | None:
    """torch-lr-finder's defaults (100 steps to 10, smooth_f=0.05, diverge_th=5) and its steepest rule."""
    data, model, optimizer, bs = setup(task, seed)
    optimizer.param_groups[0]["lr"] = 1e-7  # its sweep starts at the optimizer's lr
    try:
        from torch_lr_finder import LRFinder
        from torch_lr_finder.lr_finder import TrainDataLoaderIter
    except ImportError:
        return _tlf_reimplemented(task, seed)

    class Loader(TrainDataLoaderIter):  # the same batch stream as the other finders
        def __init__(self):
            self.it = batches(data, bs, seed + 1000)

        def __iter__(self):
            return self

        def __next__(self):
            return next(self.it)

    finder = LRFinder(model, optimizer, loss_fn(data["kind"]), device="cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        finder.range_test(Loader(), end_lr=10, num_iter=100)
    lrs, losses = finder.history["lr"][10:-5], finder.history["loss"][10:-5]
    if len(lrs) < 2:
        return None
    return float(lrs[int(np.gradient(np.array(losses)).argmin())])  # its plot(suggest_lr=True) rule


def _raw_sweep(task: str, seed: int, lrs: list[float]) -> list[float]:
    data, model, optimizer, bs = setup(task, seed)
    lf = loss_fn(data["kind"])
    it = batches(data, bs, seed + 1000)
    model.train()
    out = []
    for lr in lrs:
        for g in optimizer.param_groups:
            g["lr"] = lr
        xb, yb = next(it)
        loss = lf(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        out.append(float(loss.detach()))
        if not math.isfinite(out[-1]):
            break
    return out


def _tlf_reimplemented(task: str, seed: int) -> float | None:
    lrs = [1e-7 * (10 / 1e-7) ** (i / 99) for i in range(100)]
    sm, best = [], math.inf
    for x in _raw_sweep(task, seed, lrs):
        s = x if not sm else 0.05 * x + 0.95 * sm[-1]
        sm.append(s)
        if not math.isfinite(s) or s > 5 * best:
            break
        best = min(best, s)
    ls, lo = lrs[: len(sm)][10:-5], sm[10:-5]
    return float(ls[int(np.gradient(np.array(lo)).argmin())]) if len(ls) >= 2 else None


def fastai_suggestions(task: str, seed: int) -> dict[str, float | None]:
    """fastai's lr_find (start 1e-7, end 10, num_it 100) and its valley / minimum / steep rules."""
    num_it = 100
    lrs = [1e-7 * (10 / 1e-7) ** (i / num_it) for i in range(num_it)]
    raw = _raw_sweep(task, seed, lrs)
    sm, avg, best = [], 0.0, math.inf
    for i, x in enumerate(raw):
        avg = 0.98 * avg + 0.02 * x
        s = avg / (1 - 0.98 ** (i + 1))
        if not math.isfinite(s):
            break
        sm.append(s)
        if s > 4 * best:
            break
        best = min(best, s)
    ls, lo = lrs[num_it // 10: len(sm)][:-5], sm[num_it // 10:][:-5]
    out: dict[str, float | None] = {"fastai valley": None, "fastai minimum": None, "fastai steep": None}
    if len(lo) < 2:
        return out
    n = len(lo)  # valley: the longest decreasing subsequence, 1/3 + 1/6 of the way along it
    lds = [1] * n
    max_start = max_end = 0
    for i in range(1, n):
        for j in range(i):
            if lo[i] < lo[j] and lds[i] < lds[j] + 1:
                lds[i] = lds[j] + 1
            if lds[max_end] < lds[i]:
                max_end, max_start = i, i - lds[i]
    sections = (max_end - max_start) / 3
    out["fastai valley"] = ls[max_start + int(sections) + int(sections / 2)]
    out["fastai minimum"] = ls[int(np.argmin(lo))] / 10
    grads = [(lo[i + 1] - lo[i]) / (math.log(ls[i + 1]) - math.log(ls[i])) for i in range(n - 1)]
    out["fastai steep"] = ls[int(np.argmin(grads))]
    return out


# -- the table -------------------------------------------------------------------------------

def rel_loss(loss: float, best: float) -> float:
    return loss / best if math.isfinite(loss) else math.inf


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    p.add_argument("--regen", action="store_true", help="recompute the ground truth JSON")
    p.add_argument("--quick", action="store_true", help="smoke run: 2 tasks, 1 finder seed, no ground truth check")
    p.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    p.add_argument("--tasks", default="", help="comma-separated substrings of task names")
    p.add_argument("--json", default="", help="also write the per-task results here")
    args = p.parse_args()
    torch.set_num_threads(1)
    tasks = [t for t in TASKS if not args.tasks or any(s.strip() in t for s in args.tasks.split(","))]
    if args.quick:
        tasks = tasks[:2]
    if args.regen:
        gt = regenerate(tasks)
        if os.path.exists(GROUND_TRUTH) and args.tasks:
            with open(GROUND_TRUTH) as f:
                old = json.load(f)
            old["tasks"].update(gt["tasks"])
            gt = old
        with open(GROUND_TRUTH, "w") as f:
            json.dump(gt, f, indent=0)
        print(f"wrote {GROUND_TRUTH}")
        return 0
    with open(GROUND_TRUTH) as f:
        gt = json.load(f)
    seeds = FINDER_SEEDS[:1] if args.quick else FINDER_SEEDS
    cache: dict = {}
    rules = [f"lrkit {r}" for r in RULES] + ["torch-lr-finder steepest", "fastai valley", "fastai minimum",
                                             "fastai steep"]
    rows, results = [], {}
    a = time.perf_counter()
    for task in tasks:
        g = gt["tasks"][task]
        losses = [math.inf if x is None else x for x in g["loss"]]
        best = min(losses)
        bi = losses.index(best)
        good = [pk for pk, x in zip(g["peaks"], losses, strict=True) if x <= GOOD * best]
        sugg: dict[str, list[float | None]] = {r: [] for r in rules}
        for s in seeds:
            lk, _ = lrkit_suggestions(task, s)
            for r in RULES:
                sugg[f"lrkit {r}"].append(lk[r])
            sugg["torch-lr-finder steepest"].append(torch_lr_finder_suggestion(task, s))
            for r, lr in fastai_suggestions(task, s).items():
                sugg[r].append(lr)
        res = {"best_peak": g["peaks"][bi], "best_loss": best, "good": [min(good), max(good)], "rules": {}}
        for r in rules:
            lrs = [x for x in sugg[r] if x is not None]
            rel = [rel_loss(trained(task, x, cache), best) for x in lrs] or [math.inf]
            gm = math.exp(statistics.fmean(math.log(x) for x in lrs)) if lrs else None
            res["rules"][r] = {"suggestions": sugg[r], "lr": gm, "rel": statistics.fmean(rel),
                               "diverged": sum(not math.isfinite(x) or x > 3 for x in rel)}
        results[task] = res
        rows.append(task)
        print(f"[{task}: {time.perf_counter() - a:.0f} s]", file=sys.stderr, flush=True)
    report(results, rules)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1, default=str)
    if args.check and not args.quick:
        return 0 if targets(results, rules) else 1
    return 0


def report(results: dict, rules: list[str]) -> None:
    print("\n## LR range test: loss trained at the suggestion / best loss of the grid "
          f"({BUDGET} steps warmup + cosine, validation loss)\n")
    print("| task | best peak | good range (≤ 5%) | " + " | ".join(rules) + " |")
    print("|---|---|---|" + "---|" * len(rules))
    for task, res in results.items():
        cells = []
        for r in rules:
            x = res["rules"][r]
            lr = "—" if x["lr"] is None else f"{x['lr']:.2g}"
            rel = "diverged" if not math.isfinite(x["rel"]) else f"{x['rel']:.2f}"
            cells.append(f"{lr} → {rel}")
        lo, hi = res["good"]
        print(f"| {task} | {res['best_peak']:.2g} | {lo:.2g} – {hi:.2g} | " + " | ".join(cells) + " |")
    means = []
    for r in rules:
        rel = [res["rules"][r]["rel"] for res in results.values()]
        m = statistics.fmean(rel)
        means.append(f"{m:.2f}" if math.isfinite(m) else "inf")
    print("| **mean** | | | " + " | ".join(means) + " |")
    worst = [max(res["rules"][r]["rel"] for res in results.values()) for r in rules]
    print("| **worst** | | | " + " | ".join(f"{w:.2f}" if math.isfinite(w) else "inf" for w in worst) + " |")
    div = [sum(res["rules"][r]["diverged"] for res in results.values()) for r in rules]
    print("| **diverged runs** | | | " + " | ".join(str(d) for d in div) + " |")
    print("\n(each cell: the suggestion, geometric mean over the finder seeds → the mean over them of "
          "loss trained at it / best; 'diverged runs' counts trainings ending non-finite or above 3× the best)")


def targets(results: dict, rules: list[str]) -> bool:
    rel = [res["rules"]["lrkit " + RULES[0]]["rel"] for res in results.values()]
    peer = min(statistics.fmean(res["rules"][r]["rel"] for res in results.values())
               for r in rules if not r.startswith("lrkit"))
    div = sum(res["rules"]["lrkit " + RULES[0]]["diverged"] for res in results.values())
    mean = statistics.fmean(rel)
    ok = mean <= 1.15 and max(rel) <= 1.5 and div == 0 and mean <= peer
    print(f"\ntargets ({RULES[0]}): mean {mean:.3f} (≤ 1.15), worst {max(rel):.3f} (≤ 1.5), diverged {div} (0), "
          f"best peer mean {peer:.3f} (≥ ours): {'met' if ok else 'MISSED'}")
    return ok


if __name__ == "__main__":
    sys.exit(main())
