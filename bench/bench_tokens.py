"""Token-clock evaluation: LLM pretraining schedules at 10 million token positions in NumPy.

Each schedule's durations are in tokens; ``s(t)`` is evaluated on a float64 array of
the token positions of N = 10 million updates (varying tokens per update, up to ~10^13
tokens in all), side by side with a hand-written NumPy expression for the same values
(checked to agree).

Target: lrkit within 1.5x of the hand-written expression.
"""

from __future__ import annotations

import math
import sys

import _common as c

TARGET = 1.5


def cases(t_end: float):
    import numpy as np

    import lrkit

    T = float(t_end)
    peak, end = 3e-4, 3e-6

    # WSD with an exponential (geometric) decay over the last 20% of the tokens
    w, d = 0.01 * T, 0.2 * T
    s_exp = lrkit.wsd(T, w, d, peak=peak, end=end, shape="exponential")

    def hand_exp(t):
        r = (T - np.clip(t, T - d, T)) / d
        fall = end * (peak / end) ** r
        return np.where(t < w, end + (peak - end) * (np.minimum(t, w) / w), np.where(t <= T - d, peak, fall))

    # WSD, square decay, times the square-root batch rule over a Megatron batch ramp
    ramp = lrkit.batch_ramp(256, 256, 4096, 0.05 * T)
    s_sq = lrkit.scale_by_batch(lrkit.wsd(T, w, d, peak=peak, end=0.0, shape="square"), ramp, 4096)
    u = 0.05 * T / 15

    def hand_sq(t):
        x = np.clip(t, T - d, T)
        r = (T - x) / d
        f = np.where(t < T - d, 1.0, r * (1 + (x - (T - d)) / d))
        lr = np.where(t < w, peak * (np.minimum(t, w) / w), peak * f)
        batch = np.minimum(256.0 + 256.0 * np.floor(t / u), 4096.0)
        return lr * np.sqrt(batch / 4096.0)

    # DeepSeek-V3 style: warmup, constant, cosine to 10%, two constant tail stages
    S, C = 0.675 * T, 0.29 * T
    L1 = 0.0225 * T
    s_ds = lrkit.constant_cooldown(S, C, warmup=w, peak=peak, end=peak / 10, tail=[L1, 0.0125 * T],
                                   tail_values=[peak / 10, peak / 30])

    def hand_ds(t):
        head = np.where(t < w, peak * (np.minimum(t, w) / w), peak)
        q = (np.clip(t, S, S + C) - S) / C
        cos = peak / 10 + (peak - peak / 10) * (0.5 * (1 + np.cos(math.pi * q)))
        return np.select([t < S, t < S + C, t < S + C + L1], [head, cos, peak / 10], peak / 30)

    return [("wsd exponential", s_exp, hand_exp), ("wsd square × sqrt(batch ramp)", s_sq, hand_sq),
            ("constant_cooldown (DeepSeek-V3)", s_ds, hand_ds)]


def main(argv: list[str] | None = None) -> int:
    args = c.parser(__doc__).parse_args(argv)
    import numpy as np

    n = 10_000 if args.quick else 10_000_000
    repeat = 2 if args.quick else 11
    rng = np.random.default_rng(0)
    per_update = rng.integers(512 * 1024, 1536 * 1024, n)  # ~1M tokens per update, varying
    t = np.concatenate([[0], np.cumsum(per_update[:-1])]).astype(np.float64)  # position before each
    rows, bad, ok = [], [], True
    for name, s, hand in cases(t[-1] * 1.001):
        a, b = s(t), hand(t)
        err = float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))
        if not err <= 1e-12:
            bad.append(f"{name}: lrkit and the hand-written expression differ by {err:.3g} (relative)")
        best = c.side_by_side({"lrkit": lambda s=s: s(t), "hand": lambda h=hand: h(t)},
                              number=1, repeat=repeat)
        ratio = best["lrkit"] / best["hand"]
        ok &= ratio <= TARGET
        rows.append([name, c.fmt_time(best["lrkit"]), c.fmt_time(best["hand"]), f"{ratio:.2f}",
                     c.verdict(ratio <= TARGET, args.quick)])
    print(f"## Token clock: {n:,} token positions (~{t[-1]:.2g} tokens) on a float64 NumPy array "
          f"(min of {repeat} interleaved runs; target <= {TARGET}x hand-written)\n")
    print(c.table(["schedule", "lrkit s(t)", "hand-written NumPy", "ratio", "target"], rows))
    for line in bad:
        print("VALUE MISMATCH:", line)
    if bad:
        return 2
    return 1 if (args.check and not args.quick and not ok) else 0


if __name__ == "__main__":
    sys.exit(main())
