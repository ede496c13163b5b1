"""Validate lrkit.laws on the real runs of bench/laws_runs/ (made by bench/laws_make_runs.py).

Fit each law on three runs of seed 0 (constant, cosine, two-stage: the multi-power paper's
choice), predict every other run from its schedule alone, and compare with the real curve:

- curve error: mean and worst |predicted / real − 1| over the logged points after 2× the warmup,
  both curves smoothed alike by a centred moving average of SMOOTH points (the logged training
  loss of a 16 × 64-byte batch is noisy: ~3% between two seeds at one point, see the noise floor);
- final error: |predicted / real − 1| of the mean over the last FINAL logged points;
- noise floor: the same numbers between the two seeds of one schedule (seed 1 vs seed 0).

Writes ``bench/laws_validation.json`` (the docs' table and figure read it) and prints the tables.

    python bench/laws_validate.py
"""

from __future__ import annotations

import csv
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "src"))

import numpy as np  # noqa: E402

import lrkit  # noqa: E402
from lrkit import laws  # noqa: E402

RUNS = os.path.join(HERE, "laws_runs")
FIT_ON = ("constant", "cosine", "two-stage")
SMOOTH = 15  # logged points (150 steps)
FINAL = 5  # logged points (the last 50 steps)


def load() -> tuple[dict, dict[tuple[str, int], laws.Run]]:
    with open(os.path.join(RUNS, "runs.json")) as f:
        meta = json.load(f)
    runs = {}
    for name, spec in meta["schedules"].items():
        for seed in (0, 1):
            path = os.path.join(RUNS, f"{name}-s{seed}.csv")
            if not os.path.exists(path):
                continue
            with open(path) as f:
                rows = list(csv.DictReader(f))
            steps = [int(r["step"]) for r in rows]
            losses = [float(r["loss"]) for r in rows]
            runs[name, seed] = laws.Run(lrkit.parse(spec), steps, losses, name=f"{name} s{seed}")
    return meta, runs


def smooth(y: np.ndarray) -> np.ndarray:
    """Centred moving average of SMOOTH points; the ends (half a window) are left out (NaN)."""
    out = np.full(y.size, np.nan)
    h = SMOOTH // 2
    out[h:y.size - h] = np.convolve(y, np.ones(SMOOTH) / SMOOTH, mode="valid")
    return out


def errors(pred: np.ndarray, real: np.ndarray, keep: np.ndarray) -> dict[str, float]:
    rel = np.abs(smooth(pred) / smooth(real) - 1)[keep]
    rel = rel[np.isfinite(rel)]
    final = abs(pred[-FINAL:].mean() / real[-FINAL:].mean() - 1)
    return {"curve_mean": float(rel.mean()), "curve_worst": float(rel.max()), "final": float(final)}


def main() -> int:
    meta, runs = load()
    skip = 2 * int(min(r.trace.warmup for r in runs.values()))
    # fitted on the points after 2× the warmup, as evaluated (the first steps of training fall
    # faster than any power law in the lr area)
    fit_runs = [laws.Run(r.lrs, r.steps[r.steps >= skip], r.losses[r.steps >= skip], name=r.name)
                for r in (runs[n, 0] for n in FIT_ON if (n, 0) in runs)]
    out: dict = {"fit_on": [r.name for r in fit_runs], "skip_steps": skip, "smooth": SMOOTH, "final": FINAL,
                 "laws": {}, "noise": {}}
    for name in meta["schedules"]:
        if (name, 0) in runs and (name, 1) in runs:
            a, b = runs[name, 0], runs[name, 1]
            out["noise"][name] = errors(b.losses, a.losses, a.steps >= skip)
    for law in ("multi-power", "annealing"):
        t0 = time.perf_counter()
        fitted = laws.fit(fit_runs, law=law)
        fit_s = time.perf_counter() - t0
        res = {}
        for (name, seed), run in sorted(runs.items()):
            pred, std = fitted.predict(run.lrs, run.steps, return_std=True)
            e = errors(pred, run.losses, run.steps >= skip)
            e.update(fitted=(name in FIT_ON and seed == 0), pred_final=float(pred[-FINAL:].mean()),
                     std_final=float(std[-1]),
                     real_final=float(run.losses[-FINAL:].mean()))
            res[f"{name} s{seed}"] = e
        held = [v for v in res.values() if not v["fitted"]]
        out["laws"][law] = {"config": fitted.to_config(), "fit_seconds": fit_s, "runs": res,
                            "held_out": {k: (float(np.mean([h[k] for h in held])) if held else None)
                                         for k in ("curve_mean", "final")},
                            "held_out_worst": {k: (float(np.max([h[k] for h in held])) if held else None)
                                               for k in ("curve_worst", "final")}}
    with open(os.path.join(HERE, "laws_validation.json"), "w") as f:
        json.dump(out, f, indent=1)
    print(f"fit on {', '.join(out['fit_on'])}; errors over steps >= {skip}, curves smoothed over {SMOOTH} "
          f"points, final = mean of the last {FINAL}\n")
    print("| run | multi-power: curve mean / worst | final | annealing: curve mean / worst | final |")
    print("|---|---|---|---|---|")
    pct = lambda x: f"{100 * x:.2f}%"
    mp, an = out["laws"]["multi-power"]["runs"], out["laws"]["annealing"]["runs"]
    for k in mp:
        tag = " (fitted)" if mp[k]["fitted"] else ""
        print(f"| {k}{tag} | {pct(mp[k]['curve_mean'])} / {pct(mp[k]['curve_worst'])} | {pct(mp[k]['final'])} "
              f"| {pct(an[k]['curve_mean'])} / {pct(an[k]['curve_worst'])} | {pct(an[k]['final'])} |")
    print("\n| seed 1 vs seed 0 (noise floor) | curve mean / worst | final |\n|---|---|---|")
    for k, v in out["noise"].items():
        print(f"| {k} | {pct(v['curve_mean'])} / {pct(v['curve_worst'])} | {pct(v['final'])} |")
    for law, v in out["laws"].items():
        print(f"\n{law}: fit {v['fit_seconds']:.2f} s; held-out mean curve error {pct(v['held_out']['curve_mean'])}, "
              f"worst {pct(v['held_out_worst']['curve_worst'])}; final mean {pct(v['held_out']['final'])}, "
              f"worst {pct(v['held_out_worst']['final'])}; params {v['config']['params']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
