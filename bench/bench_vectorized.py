"""Vectorized evaluation: lrkit on a NumPy array of steps vs the hand-written NumPy expression.

For each schedule, ``s(t)`` on a float64 array of N steps (N = 10 million) is timed
side by side with a hand-written NumPy expression for the same values (checked to
agree), and against stepping the equivalent torch scheduler N times (measured over
a shorter run and scaled to N, since torch steps cost the same at every step).

Target: lrkit within 1.5x of the hand-written expression.
"""

from __future__ import annotations

import sys

import _common as c

TARGET = 1.5


def cases(n: int):
    import numpy as np

    import lrkit

    w = n // 20
    tc = n - w
    pi = np.pi
    out = []

    # warmup + cosine (linear warmup from 0 to 1 over w steps, cosine to 0.1)
    def hand_wc(t):
        return np.where(t < w, t / w, 0.1 + 0.9 * 0.5 * (1 + np.cos(pi * np.minimum(t - w, tc) / tc)))

    def torch_wc(opt):
        from torch.optim import lr_scheduler as L
        return L.SequentialLR(opt, [L.LinearLR(opt, 1e-3, 1.0, w), L.CosineAnnealingLR(opt, tc, 0.1)], [w])

    out.append(("warmup+cosine", lrkit.warmup(lrkit.cosine(tc, end=0.1), w), hand_wc, torch_wc))

    # onecycle (torch OneCycleLR defaults: two phases, cosine annealing)
    e1, e2 = 0.3 * n - 1, n - 1
    init = 1.0 / 25
    low = init / 1e4

    def hand_oc(t):
        v1 = 1.0 + (init - 1.0) * 0.5 * (1 + np.cos(pi * t / e1))
        q2 = (np.minimum(t, e2) - e1) / (e2 - e1)
        v2 = low + (1.0 - low) * 0.5 * (1 + np.cos(pi * q2))
        return np.where(t <= e1, v1, v2)

    def torch_oc(opt):
        from torch.optim import lr_scheduler as L
        return L.OneCycleLR(opt, max_lr=1.0, total_steps=n + 1, cycle_momentum=False)

    out.append(("onecycle", lrkit.onecycle(n), hand_oc, torch_oc))

    # wsd: linear warmup over w, stable, 1-sqrt decay over the last 20%
    d = n // 5
    s0 = n - d

    def hand_wsd(t):
        dec = 1 - np.sqrt(np.clip((t - s0) / d, 0.0, 1.0))
        return np.where(t < w, t / w, np.where(t < s0, 1.0, dec))

    def torch_wsd(opt):
        from transformers.optimization import get_wsd_schedule
        return get_wsd_schedule(opt, w, d, num_training_steps=n, decay_type="1-sqrt")

    out.append(("wsd", lrkit.wsd(n, w, d), hand_wsd, torch_wsd))

    # restarts: SGDR with period p (cosine to 0 in each cycle)
    p = max(n // 7, 2)

    def hand_rs(t):
        return 0.5 * (1 + np.cos(pi * (t % p) / p))

    def torch_rs(opt):
        from torch.optim import lr_scheduler as L
        return L.CosineAnnealingWarmRestarts(opt, p)

    out.append(("restarts", lrkit.restarts(lrkit.cosine(p), p), hand_rs, torch_rs))
    return out


def torch_step_time(make, steps: int) -> float:
    import torch

    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    sched = make(opt)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return c.per_call(sched.step, steps)


def main(argv: list[str] | None = None) -> int:
    args = c.parser(__doc__).parse_args(argv)
    import numpy as np

    n = 10_000 if args.quick else 10_000_000
    repeat = 2 if args.quick else 15
    torch_steps = 100 if args.quick else 100_000
    t = np.arange(n, dtype=np.float64)
    rows = []
    ok = True
    bad_values = []
    for name, s, hand, make_torch in cases(n):
        a, b = s(t), hand(t)
        err = float(np.max(np.abs(a - b)))
        if not err <= 1e-12:
            bad_values.append(f"{name}: lrkit and the hand-written expression differ by {err}")
        best = c.side_by_side({"lrkit": lambda s=s: s(t), "hand": lambda h=hand: h(t)},
                              number=1, repeat=repeat)
        ratio = best["lrkit"] / best["hand"]
        try:
            if args.quick and name == "wsd":  # transformers takes seconds to import
                raise ImportError(name="transformers (skipped in --quick)")
            per_step = torch_step_time(make_torch, torch_steps)
            torch_total = per_step * n
            vs_torch = f"{torch_total / best['lrkit']:.0f}x faster ({c.fmt_time(torch_total)})"
        except ImportError as e:  # torch / transformers missing
            vs_torch = f"n/a ({e.name} not available)"
        ok &= ratio <= TARGET
        rows.append([name, c.fmt_time(best["lrkit"]), c.fmt_time(best["hand"]), f"{ratio:.2f}",
                     vs_torch, c.verdict(ratio <= TARGET, args.quick)])
    print(f"## Vectorized evaluation: {n:,} steps on a float64 NumPy array "
          f"(min of {repeat} interleaved runs; target <= {TARGET}x hand-written)\n")
    print(c.table(["schedule", "lrkit s(t)", "hand-written NumPy", "ratio", "vs stepping torch N times",
                   "target"], rows))
    for line in bad_values:
        print("VALUE MISMATCH:", line)
    if bad_values:
        return 2
    return 1 if (args.check and not args.quick and not ok) else 0


if __name__ == "__main__":
    sys.exit(main())
