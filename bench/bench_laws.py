"""Loss-curve laws: the vectorised multi-power / annealing evaluation vs the formulas' direct loops.

The direct transcriptions evaluate the paper's sums as written, a Python loop over the drop
steps k for every step t (O(T²) for the multi-power LD term; the annealing momentum one step at a
time); lrkit.laws uses prefix sums, skips steps without an lr drop and reduces the rest in NumPy
blocks (O(T + D·N), exact).  Same numbers (max relative difference printed), ratio printed.
Then: fitting three runs (constant 24k, cosine 48k, two-stage 72k steps, logged every 10 steps)
with each law, wall time.
"""

from __future__ import annotations

import math
import sys
import time

import _common as c
import numpy as np

import lrkit
from lrkit import laws
from lrkit.laws import annealing, multipower
from lrkit.laws.trace import Trace

P = {"L0": 2.0, "A": 0.5, "alpha": 0.4, "B": 300.0, "C": 2.0, "beta": 0.5, "gamma": 0.6}
PA = {"L0": 2.0, "A": 0.5, "alpha": 0.4, "C": 150.0, "lam": 0.999}
PEAK = 3e-4


def direct_multipower(eta: list[float], p: dict[str, float]) -> list[float]:
    """L(t) for every t, the formula transcribed: for each t, a loop over k <= t (and S_k by a loop)."""
    w = max(range(len(eta)), key=eta.__getitem__)
    out = []
    area = 0.0
    for t in range(len(eta)):
        area += eta[t]
        ld = 0.0
        s_k = 0.0
        for k in range(t, w, -1):  # S_k(t) = Σ_{τ=k..t} η_τ, accumulated from t downwards
            s_k += eta[k]
            ld += (eta[k - 1] - eta[k]) * (1.0 - (p["C"] * eta[k] ** -p["gamma"] * s_k + 1.0) ** -p["beta"])
        out.append(p["L0"] + p["A"] * area ** -p["alpha"] - p["B"] * ld if area > 0 else math.nan)
    return out


def direct_annealing(eta: list[float], p: dict[str, float]) -> list[float]:
    w = max(range(len(eta)), key=eta.__getitem__)
    out, area, m, s2 = [], 0.0, 0.0, 0.0
    for t in range(len(eta)):
        area += eta[t]
        if t > w:
            m = p["lam"] * m + (eta[t - 1] - eta[t])
            s2 += m
        out.append(p["L0"] + p["A"] * area ** -p["alpha"] - p["C"] * s2 if area > 0 else math.nan)
    return out


def runs(scale: int) -> list[laws.Run]:
    rng = np.random.default_rng(0)
    out = []
    for name, T, spec in (("constant", 24 * scale, "warmup(constant(1.0), {w})"),
                          ("cosine", 48 * scale, "warmup(cosine({r}, end=0.1), {w})"),
                          ("two-stage", 72 * scale, "warmup(piecewise([{d}], [1.0, 0.1]), {w})")):
        w = 5 * scale
        s = PEAK * lrkit.parse(spec.format(w=w, r=T - w, d=int(0.8 * T) - w))
        steps = np.arange(10, T, 10)
        y = multipower.predict(Trace.of(np.asarray(s(np.arange(T)), float)), steps, P)
        out.append(laws.Run(s, steps, y * np.exp(0.002 * rng.standard_normal(y.size)), name=f"{name} {T}"))
    return out


def main() -> int:
    args = c.parser(__doc__).parse_args()
    T = 300 if args.quick else 2000
    cos = f"warmup(cosine({T - T // 20}, end=0.1), {T // 20})"
    wsd = f"wsd({T}, {T // 20}, {T // 5}, shape='1-sqrt')"
    steps = np.arange(1, T)
    rows, ok = [], True
    for name, shape, direct, fast, p in (("multi-power", cos, direct_multipower, multipower.predict, P),
                                         ("multi-power", wsd, direct_multipower, multipower.predict, P),
                                         ("annealing", cos, direct_annealing, annealing.predict, PA)):
        eta = PEAK * np.asarray(lrkit.parse(shape)(np.arange(T)), float)
        tr = Trace.of(eta)
        a = time.perf_counter()
        ref = np.asarray(direct(eta.tolist(), p))[1:]
        t_direct = time.perf_counter() - a
        t_fast = c.side_by_side({"fast": lambda f=fast, p=p, tr=tr: f(tr, steps, p)}, number=1, repeat=5)["fast"]
        diff = float(np.max(np.abs(fast(tr, steps, p) / ref - 1)))
        ok &= diff < 1e-12
        rows.append((f"{name}, L(t) at all {T} steps of {shape.split('(')[0] if 'wsd' in shape else 'cosine'}"
                     f" ({tr.drops.size} drops)", c.fmt_time(t_direct), c.fmt_time(t_fast),
                     f"{t_direct / t_fast:.0f}×", f"{diff:.1e}"))
    print(f"## Loss-curve laws: evaluation vs the direct loop (T = {T})\n")
    print(c.table(["curve", "direct loop", "lrkit.laws", "ratio", "max rel. diff"], rows))

    scale = 100 if args.quick else 1000
    rs = runs(scale)
    fit_rows = []
    for law in ("multi-power", "annealing"):
        a = time.perf_counter()
        fitted = laws.fit(rs, law=law)
        dt = time.perf_counter() - a
        fit_rows.append((law, ", ".join(r.name for r in rs), str(fitted.info["points"]),
                         str(fitted.info["evaluations"]), f"{dt:.2f} s", f"{fitted.info['rms_log_residual']:.1e}"))
        if law == "multi-power":
            ok &= all(abs(fitted.params[k] / v - 1) < 0.05 for k, v in P.items() if k in ("L0", "A", "alpha"))
    print("\n## Fitting three runs (0.2% noise), wall time\n")
    print(c.table(["law", "runs (steps)", "points", "evaluations", "fit time", "rms log-residual"], fit_rows))
    if not ok:
        print("FAILED: values differ from the direct loop, or the fit missed the known parameters")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
