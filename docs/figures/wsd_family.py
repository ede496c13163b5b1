"""The WSD family for docs/llm-pretraining.md: decay shapes, branches, continued-pretraining schedules."""

from __future__ import annotations

import lrkit


def draw(path: str) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 7.5), dpi=100, layout="constrained")
    (a, b), (c, d) = fig.subplots(2, 2)

    for shape in ("linear", "cosine", "1-sqrt", "square", "exponential"):
        lrkit.wsd(10_000, 500, 3000, peak=1.0, end=0.01, shape=shape).plot(a, label=shape)
    a.set_title("wsd(10000, 500, 3000, end=0.01, shape=...)", fontsize="medium")
    a.legend(fontsize="small")

    for i, br in enumerate(lrkit.wsd_branches(500, [3000, 6000, 9000], 1500, end=0.0)):
        br.plot(b, steps=10_500, label=f"decay at {br.decay_start}", linestyle="-" if i == 2 else "--")
    b.set_title("wsd_branches(500, [3000, 6000, 9000], 1500)", fontsize="medium")
    b.legend(fontsize="small")

    lrkit.infinite(10_000, 300, 1500, 2000, peak=1.0, const=0.4, end=0.02).plot(c, label="infinite")
    lrkit.wsds([3500, 7000, 10_000], 800, warmup=300, end=0.05).plot(c, label="wsds (WSD-S)")
    lrkit.rewarm(10_000, 500, peak=0.8, start=0.1, end=0.1).plot(c, label="rewarm", linestyle=":")
    c.set_title("continued pretraining", fontsize="medium")
    c.legend(fontsize="small")

    # durations in billions of tokens (a plot shows at most 10^9 positions)
    ds = lrkit.constant_cooldown(10_000, 4300, warmup=25, peak=2.2e-4, end=2.2e-5,
                                 tail=[333, 167], tail_values=[2.2e-5, 7.3e-6])
    ds.plot(d, steps=14_800, label="constant_cooldown", param="lr")
    d.set_xlabel("tokens (billions)")
    d.set_title("DeepSeek-V3 (tokens)", fontsize="medium")
    fig.savefig(path)


if __name__ == "__main__":
    draw("wsd_family.png")
