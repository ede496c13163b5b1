"""The LR range test benchmark (``bench/bench_finder.py``): where each rule's suggestion lands.

Reads the committed ``bench/finder_results.json``; per task, the good range of peaks (a warmup +
cosine run within 5% of the best loss of a fine grid), the best peak, and the suggestions of
lrkit's default rule (before and after the zero-lag smoothing) and of the peers; below, the loss
trained at each suggestion relative to the best.
"""

from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parents[2] / "bench" / "finder_results.json"
RULES = [("after", "lrkit valley", "lrkit valley (now)", "C3", "o"),
         ("before", "lrkit valley", "lrkit valley (before)", "0.55", "o"),
         ("after", "fastai minimum", "fastai minimum", "C0", "s"),
         ("after", "torch-lr-finder steepest", "torch-lr-finder steepest", "C2", "^")]


def _wrapped(task: str) -> str:
    words = task.split()
    return "\n".join(" ".join(words[k:k + 2]) for k in range(0, len(words), 2))


def draw(path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = json.loads(RESULTS.read_text(encoding="utf-8"))
    tasks = list(data["after"])
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 6.8), sharex=True,
                                      gridspec_kw={"height_ratios": [3, 2]})
    for i, task in enumerate(tasks):
        res = data["after"][task]
        lo, hi = res["good"]
        top.plot([i, i], [lo, hi], color="0.85", lw=10, solid_capstyle="butt",
                 label="good range (≤ 5% above the best)" if i == 0 else None)
        top.plot([i], [res["best_peak"]], marker="_", color="k", ms=16, mew=2,
                 label="best peak" if i == 0 else None)
    for k, (version, rule, label, color, marker) in enumerate(RULES):
        dx = (k - 1.5) * 0.12
        lrs = [data[version][t]["rules"][rule]["lr"] for t in tasks]
        rel = [data[version][t]["rules"][rule]["rel"] for t in tasks]
        top.plot([i + dx for i in range(len(tasks))], lrs, ls="none", marker=marker, color=color, label=label)
        bottom.plot([i + dx for i in range(len(tasks))], [min(r, 12.0) for r in rel], ls="none",
                    marker=marker, color=color)
    top.set_yscale("log")
    top.set_ylabel("peak learning rate")
    top.legend(fontsize="small", ncol=3, loc="upper center", bbox_to_anchor=(0.5, 1.22))
    bottom.set_yscale("log")
    bottom.axhline(1.0, color="k", lw=0.8)
    bottom.axhline(1.15, color="C3", lw=0.8, ls="--")
    bottom.set_ylabel("loss at suggestion / best")
    bottom.set_xticks(range(len(tasks)), [_wrapped(t) for t in tasks], fontsize=7)
    for ax in (top, bottom):
        ax.grid(True, axis="y", which="major", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    draw("lr-range-benchmark.png")
