"""Predicted vs real loss curves of the validation runs (bench/laws_runs/, bench/laws_validation.json).

The multi-power law fitted on constant, cosine and two-stage (seed 0) predicts the other schedules;
real curves are the committed CSVs (both seeds, smoothed over 15 logged points as in the table).
"""

from __future__ import annotations

import csv
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.join(os.path.dirname(os.path.dirname(HERE)), "bench")


def _curve(name: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    with open(os.path.join(BENCH, "laws_runs", f"{name}-s{seed}.csv")) as f:
        rows = list(csv.DictReader(f))
    return np.array([int(r["step"]) for r in rows]), np.array([float(r["loss"]) for r in rows])


def _smooth(y: np.ndarray, n: int) -> np.ndarray:
    out = np.full(y.size, np.nan)
    out[n // 2:y.size - n // 2] = np.convolve(y, np.ones(n) / n, mode="valid")
    return out


def draw(path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    import lrkit
    from lrkit import laws

    with open(os.path.join(BENCH, "laws_validation.json")) as f:
        val = json.load(f)
    with open(os.path.join(BENCH, "laws_runs", "runs.json")) as f:
        meta = json.load(f)
    law = laws.from_config(val["laws"]["multi-power"]["config"])
    fig = Figure(figsize=(9.0, 5.5), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    for i, (name, spec) in enumerate(meta["schedules"].items()):
        color = f"C{i}"
        for seed in (0, 1):
            steps, loss = _curve(name, seed)
            ax.plot(steps, _smooth(loss, val["smooth"]), color=color, alpha=0.35, linewidth=1.0)
        steps, _ = _curve(name, 0)
        keep = steps >= val["skip_steps"]
        fitted = name in ("constant", "cosine", "two-stage")
        ax.plot(steps[keep], law.predict(lrkit.parse(spec), steps[keep]), color=color, linewidth=1.8,
                linestyle="--" if fitted else "-", label=f"{name}{' (fitted)' if fitted else ''}")
    ax.set_ylim(1.3, 2.3)
    ax.set_xlabel("step")
    ax.set_ylabel("training loss (bytes, nats)")
    ax.set_title("multi-power law: predicted (thick) vs real curves of two seeds (thin)", fontsize="medium")
    ax.legend(fontsize="small")
    fig.savefig(path)


if __name__ == "__main__":
    draw("laws_validation.png")
