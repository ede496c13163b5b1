"""How the LR range test's suggestion rules compare (the numbers in the README section).

54 variants of a small problem: 3 data seeds × (logistic regression, 32- and 128-wide MLP)
× (SGD, SGD with momentum 0.9, Adam) × batches of 32 and 128.  For each: a 100-step range test
(lrkit's defaults), then 100 steps of training at a constant lr, and the loss on the whole set.
"Excess" is that loss minus the best over a half-decade grid of lrs 1e-5 … 10; "fails" counts
variants where the rule's lr does not beat both 100× smaller and 100× larger.  About 2 minutes
on one CPU core:

    PYTHONPATH=src python docs/lr_range_test_rules.py
"""

import itertools
import math
import statistics

import torch

from lrkit.torch import find_lr

torch.set_num_threads(1)
F = torch.nn.functional


def data(seed, n=1024, d=10, k=3):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=g)
    w = torch.randn(d, k, generator=g)
    return x, (torch.tanh(x @ w) * 3 + 0.5 * torch.randn(n, k, generator=g)).argmax(1)


def model(seed, width, d=10, k=3):
    torch.manual_seed(seed)
    if width == 0:
        return torch.nn.Linear(d, k)
    return torch.nn.Sequential(torch.nn.Linear(d, width), torch.nn.ReLU(), torch.nn.Linear(width, k))


def optimizer(name, params, lr=1e-3):
    if name == "adam":
        return torch.optim.Adam(params, lr=lr)
    return torch.optim.SGD(params, lr=lr, momentum=0.9 if name == "momentum" else 0.0)


def fastai_style_valley(lrs, ys, frac):
    """For comparison: the longest strictly decreasing subsequence of ys, picked at frac along it."""
    n = len(ys)
    length = [1] * n
    for i in range(n):
        for j in range(i):
            if ys[i] < ys[j]:
                length[i] = max(length[i], length[j] + 1)
    b = length.index(max(length))
    a = max(0, b - length[b])
    return lrs[a + math.floor((b - a) * frac)] if b > a else None


def variant(seed, width, opt, bs):
    """rule -> (excess loss over the grid's best, beats 100× smaller and larger) for one variant."""
    x, y = data(seed)
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed + 10))
    batches = [(x[perm[i:i + bs]], y[perm[i:i + bs]]) for i in range(0, len(x), bs)]
    cache = {}

    def final_loss(lr):
        if lr not in cache:
            m = model(seed, width)
            o = optimizer(opt, m.parameters(), lr)
            for i in range(100):
                xb, yb = batches[i % len(batches)]
                o.zero_grad()
                F.cross_entropy(m(xb), yb).backward()
                o.step()
            with torch.no_grad():
                loss = F.cross_entropy(m(x), y).item()
            cache[lr] = loss if math.isfinite(loss) else math.inf
        return cache[lr]

    m = model(seed, width)
    r = find_lr(m, optimizer(opt, m.parameters()), F.cross_entropy, batches, steps=100)
    best = min(final_loss(10 ** (e / 2)) for e in range(-10, 3))
    rules = dict(r.suggestions)
    rules["fastai-style valley 1/2"] = fastai_style_valley(r.lrs, r.smoothed, 1 / 2)
    rules["fastai-style valley 2/3"] = fastai_style_valley(r.lrs, r.smoothed, 2 / 3)
    out = {}
    for rule, lr in rules.items():
        ok = lr is not None and final_loss(lr) < min(final_loss(lr / 100), final_loss(lr * 100))
        out[rule] = (final_loss(lr) - best if lr is not None else math.inf, ok)
    return out


results = {}
for args in itertools.product(range(3), [0, 32, 128], ["sgd", "momentum", "adam"], [32, 128]):
    for rule, row in variant(*args).items():
        results.setdefault(rule, []).append(row)

for rule, rows in results.items():
    ex = [e for e, _ in rows]
    print(f"{rule:24s} excess mean {statistics.mean(ex):.3f} median {statistics.median(ex):.4f} "
          f"worst {max(ex):.3f}; fails {sum(not ok for _, ok in rows)} of {len(rows)}")
