"""The figure of docs/search.md: the best schedule a search found for the digits task against a
hand-picked cosine, from the committed run in docs/data/search_result.json (made by
bench/search_digits.py), and every trial's loss."""

from __future__ import annotations

import json
import os

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "search_result.json")


def draw(path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import lrkit

    with open(DATA) as f:
        run = json.load(f)
    steps = run["steps"]
    best = lrkit.parse(run["best"]["schedule"])
    hand = lrkit.parse(run["hand_picked"]["schedule"])
    t = list(range(steps + 1))
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8), gridspec_kw={"width_ratios": [3, 2]})
    left.plot(t, [best(x) for x in t], label=f"best of the search: loss {run['best']['loss']:.3f}")
    left.plot(t, [hand(x) for x in t], "--", label=f"hand-picked {run['hand_picked']['schedule']}: "
                                                   f"loss {run['hand_picked']['loss']:.3f}")
    left.set_xlabel("step")
    left.set_ylabel("learning rate")
    left.set_title(f"digits MLP, {run['n_trials']} trials in {run['wall_time_s']:.0f} s")
    left.legend(fontsize=8)
    colours = {"COMPLETE": "C0", "PRUNED": "0.6", "FAIL": "C3"}
    for state, colour in colours.items():
        pts = [(tr["number"], tr["value"]) for tr in run["trials"] if tr["state"] == state and tr["value"] is not None]
        if pts:
            right.scatter(*zip(*pts, strict=True), s=14, c=colour, label=state.lower())
    right.axhline(run["hand_picked"]["loss"], ls="--", c="C1", lw=1, label="hand-picked cosine")
    right.set_yscale("log")
    right.set_xlabel("trial")
    right.set_ylabel("validation loss (pruned: when stopped)")
    right.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    draw("search_result.png")
