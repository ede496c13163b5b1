"""Scheduler step: lrkit's step() vs a bare hand-written loop and vs torch's schedulers.

For each schedule and for 1 and 8 param groups, one ``step()`` is timed side by side
(interleaved batches, min over the repeats) for:

* ``bare loop``: hand-written Python that advances a counter, computes the same
  closed form for each group and writes it into the same ``param_groups`` (what a
  user would write instead of a scheduler);
* ``lean loop``: the same, hand-optimised (the factor computed once per step, names
  bound to locals, one multiply and one store per group): a floor, for reference;
* lrkit: ``lrkit.torch.CosineAnnealingLR`` / ``lrkit.torch.Scheduler`` (also torch
  ``LRScheduler`` instances) and the torch-free ``lrkit.Scheduler``;
* torch: ``torch.optim.lr_scheduler``'s class for the same schedule.

Targets: lrkit <= 1.5x the bare loop, and >= 3x cheaper than torch (the floor since each formula
is written once, issue 13).  A deeper
composition (warmup ∘ join ∘ restarts ∘ clip) is timed beside the cost of
evaluating its compiled formula alone, to show that the step adds nothing per level.
"""

from __future__ import annotations

import math
import sys
import warnings

import _common as c

TARGET_BARE = 1.5
TARGET_TORCH = 3.0
T = 10**7  # long schedules: every timed step is in the middle of the run
W = 1000


def make_optimizer(groups: int):
    import torch

    params = [torch.zeros(1, requires_grad=True) for _ in range(groups)]
    return torch.optim.SGD([{"params": [p], "lr": 0.1 * (i + 1)} for i, p in enumerate(params)],
                           lr=0.1)


def bare_cosine(opt, T_max: int, eta_min: float = 0.0):
    """A hand-written CosineAnnealingLR: the closed form for each group, written into it."""
    groups = opt.param_groups
    bases = [g["lr"] for g in groups]
    state = [0]

    def step():
        t = state[0] = state[0] + 1
        for g, base in zip(groups, bases, strict=True):
            g["lr"] = eta_min + (base - eta_min) * (1 + math.cos(math.pi * t / T_max)) / 2
    return step


def lean_cosine(opt, T_max: int, eta_min: float = 0.0):
    """The same, hand-optimised: one cos per step, locals bound, pairs precomputed."""
    pairs = [(g, g["lr"] - eta_min) for g in opt.param_groups]
    cos, pi = math.cos, math.pi
    state = [0]

    def step():
        t = state[0] = state[0] + 1
        f = 0.5 * (1 + cos(pi * t / T_max))
        for g, d in pairs:
            g["lr"] = eta_min + d * f
    return step


def bare_warmup_cosine(opt, w: int, total: int, end: float):
    """Hand-written linear warmup then cosine, relative to each group's base lr."""
    groups = opt.param_groups
    bases = [g["lr"] for g in groups]
    n = total - w
    state = [0]

    def step():
        t = state[0] = state[0] + 1
        for g, base in zip(groups, bases, strict=True):
            if t < w:
                g["lr"] = base * t / w
            else:
                g["lr"] = base * (end + (1 - end) * (1 + math.cos(math.pi * min(t - w, n) / n)) / 2)
    return step


def lean_warmup_cosine(opt, w: int, total: int, end: float):
    """The same, hand-optimised: the factor once per step, then one multiply per group."""
    pairs = [(g, g["lr"]) for g in opt.param_groups]
    cos, pi = math.cos, math.pi
    n = total - w
    state = [0]

    def step():
        t = state[0] = state[0] + 1
        f = t / w if t < w else end + (1 - end) * 0.5 * (1 + cos(pi * min(t - w, n) / n))
        for g, b in pairs:
            g["lr"] = b * f
    return step


def rows_for(groups: int, number: int, repeat: int, quick: bool):
    import torch.optim.lr_scheduler as TL

    import lrkit
    import lrkit.torch as LT

    out = []
    checks = []

    # 1. CosineAnnealingLR
    cands = {}
    opts = {}
    for k in ("bare", "lean", "lrkit.torch", "lrkit", "torch"):
        opts[k] = make_optimizer(groups)
    cands["bare"] = bare_cosine(opts["bare"], T)
    cands["lean"] = lean_cosine(opts["lean"], T)
    cands["lrkit.torch"] = LT.CosineAnnealingLR(opts["lrkit.torch"], T).step
    cands["lrkit"] = lrkit.CosineAnnealingLR(opts["lrkit"], T).step
    cands["torch"] = TL.CosineAnnealingLR(opts["torch"], T).step
    out.append(("CosineAnnealingLR", cands, opts))

    # 2. warmup + cosine through the generic Scheduler
    s = lrkit.warmup(lrkit.cosine(T - W, end=0.01), W)
    cands, opts = {}, {}
    for k in ("bare", "lean", "lrkit.torch", "lrkit", "torch"):
        opts[k] = make_optimizer(groups)
    cands["bare"] = bare_warmup_cosine(opts["bare"], W, T, 0.01)
    cands["lean"] = lean_warmup_cosine(opts["lean"], W, T, 0.01)
    cands["lrkit.torch"] = LT.Scheduler(opts["lrkit.torch"], s).step
    cands["lrkit"] = lrkit.Scheduler(opts["lrkit"], s).step
    o = opts["torch"]
    cands["torch"] = TL.SequentialLR(o, [TL.LinearLR(o, 1e-6, 1.0, W),
                                         TL.CosineAnnealingLR(o, T - W, 0.0)], [W]).step
    out.append(("warmup + cosine (Scheduler)", cands, opts))

    rows = []
    for name, cands, _opts in out:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            best = c.side_by_side(cands, number=number, repeat=repeat)
        bare = best["bare"]
        for key in ("lrkit.torch", "lrkit"):
            r_bare = best[key] / bare
            r_torch = best["torch"] / best[key]
            ok = r_bare <= TARGET_BARE and r_torch >= TARGET_TORCH
            checks.append(ok)
            rows.append([name, str(groups), key, c.fmt_time(best[key]), c.fmt_time(bare),
                         c.fmt_time(best["lean"]), c.fmt_time(best["torch"]), f"{r_bare:.2f}",
                         f"{best[key] / best['lean']:.2f}", f"{r_torch:.1f}x", c.verdict(ok, quick)])
    return rows, checks


def depth_rows(number: int, repeat: int):
    """Composition depth: step() of deeper schedules vs evaluating their closures alone."""
    import lrkit

    base = lrkit.cosine(5000, end=0.0)
    levels = [
        ("cosine", base),
        ("clip(cosine)", lrkit.clip(base, low=1e-4)),
        ("restarts(clip(cosine))", lrkit.restarts(lrkit.clip(base, low=1e-4), 5000)),
        ("join([restarts(clip(cosine)), linear])",
         lrkit.join([lrkit.restarts(lrkit.clip(base, low=1e-4), 5000), lrkit.linear(1000)], [T])),
        ("warmup(join([restarts(clip(cosine)), linear]))",
         lrkit.warmup(lrkit.join([lrkit.restarts(lrkit.clip(base, low=1e-4), 5000),
                                  lrkit.linear(1000)], [T]), 10)),
    ]
    cands = {}
    for name, s in levels:
        sched = lrkit.Scheduler(make_optimizer(1), s)
        cands[name + "|step"] = sched.step
        fn = s._fn or s._build()
        it = iter(range(1, 10**12))
        cands[name + "|fn"] = (lambda fn=fn, it=it: fn(next(it)))
    best = c.side_by_side(cands, number=number, repeat=repeat)
    rows = []
    for name, _ in levels:
        st, fn = best[name + "|step"], best[name + "|fn"]
        rows.append([name, c.fmt_time(st), c.fmt_time(fn), c.fmt_time(st - fn)])
    return rows


def main(argv: list[str] | None = None) -> int:
    args = c.parser(__doc__).parse_args(argv)
    try:
        import torch  # noqa: F401

        import lrkit.torch  # noqa: F401
    except ImportError as e:
        print(f"## Scheduler step: skipped ({e.name} not available)")
        return 0
    # many short batches: on a shared machine the minimum over many catches quiet moments
    number = 500 if args.quick else 2000
    repeat = 2 if args.quick else 61
    rows, checks = [], []
    for groups in (1, 8):
        r, ch = rows_for(groups, number, repeat, args.quick)
        rows += r
        checks += ch
    print(f"## Scheduler step() cost (min of {repeat} interleaved batches of {number:,} steps; "
          f"targets: <= {TARGET_BARE}x the bare loop, >= {TARGET_TORCH:.0f}x cheaper than torch)\n")
    print(c.table(["schedule", "groups", "lrkit class", "lrkit step", "bare loop", "lean loop",
                   "torch step", "lrkit / bare", "lrkit / lean", "torch / lrkit", "target"], rows))
    print("\n## Composition depth: lrkit.Scheduler.step() (1 group) vs evaluating the compiled "
          "closure alone\n")
    print(c.table(["schedule", "step()", "closure s(t) alone", "step overhead"],
                  depth_rows(number, repeat)))
    return 1 if (args.check and not args.quick and not all(checks)) else 0


if __name__ == "__main__":
    sys.exit(main())
