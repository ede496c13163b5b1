"""Precision: every shape (and the common compositions) against an mpmath reference.

Each schedule is evaluated at random steps (and at its seams: step 0, phase ends,
the last steps of a decay), on Python numbers (the compiled scalar path) and on a
NumPy float64 array; the reference evaluates the documented formula with 50
significant digits.  Reported per shape, the worst error:

* in ulps of the value (err / ulp(exact value)): what "a few ulps" means for a
  single value; large where a formula ends in a cancellation (a value that
  approaches 0 from a difference of O(1) numbers);
* in units of eps·scale (eps = 2**-52, scale = the largest |value| the schedule
  takes, e.g. max(|start|, |end|)): the error relative to the schedule's range,
  which is what matters to an optimizer.
"""

from __future__ import annotations

import math
import random
import sys

import _common as c

EPS = 2.0**-52


def references():
    import mpmath as mp

    import lrkit as L

    mp.mp.dps = 50
    M = mp.mpf

    def half_cos(q):  # ½(1 + cos πq)
        return (1 + mp.cos(mp.pi * q)) / 2

    def vals(r):
        a = r.uniform(1e-3, 10.0)
        return a, r.uniform(0.0, a)

    def c_cosine(r, n):
        a, b = vals(r)
        s = L.cosine(n, start=a, end=b, exponent=r.choice([1.0, 2.0, 0.5]))
        return s, lambda t: M(b) + (M(a) - b) * half_cos(M(min(t, n)) / n) ** M(s.exponent)

    def c_linear(r, n):
        a, b = vals(r)
        return L.linear(n, a, b), lambda t: M(a) + (M(b) - a) * M(min(t, n)) / n

    def c_poly(r, n):
        a, b = vals(r)
        p = r.choice([1.0, 2.0, 0.5, 3.0])
        return (L.polynomial(n, a, b, power=p),
                lambda t: M(b) + (M(a) - b) * (1 - M(min(t, n)) / n) ** M(p))

    def c_exp(r, n):
        g, a, e, st = r.uniform(0.5, 0.9999), r.uniform(0.1, 10), r.randint(1, 50), r.random() < 0.5
        return (L.exponential(g, start=a, every=e, staircase=st),
                lambda t: a * M(g) ** (mp.floor(M(t) / e) if st else M(t) / e))

    def c_step(r, n):
        e, g, a = r.randint(1, 100), r.uniform(0.05, 0.95), r.uniform(0.1, 5)
        return L.step(e, gamma=g, start=a), lambda t: a * M(g) ** (t // e)

    def c_multistep(r, n):
        ms = sorted(r.sample(range(1, n + 2), min(4, n)))
        g, a = r.uniform(0.05, 0.95), r.uniform(0.1, 5)
        return (L.multistep(ms, gamma=g, start=a),
                lambda t: a * M(g) ** sum(1 for m in ms if m <= t))

    def c_isqrt(r, n):
        w, a = r.randint(1, 1000), r.uniform(0.1, 5)
        return (L.inverse_sqrt(w, start=a),
                lambda t: a * M(t) / w if t < w else a * mp.sqrt(M(w) / t))

    def c_itime(r, n):
        k, e, a = r.uniform(0, 2), r.randint(1, 50), r.uniform(0.1, 5)
        return L.inverse_time(k, every=e, start=a), lambda t: a / (1 + M(k) * t / e)

    def c_onecycle(r, n):
        s = L.onecycle(n + 10, peak=r.uniform(0.1, 5), pct_start=r.uniform(0.2, 0.5),
                       anneal=r.choice(["cos", "linear"]), three_phase=r.random() < 0.3)
        phases = s.phases()

        def ref(t):
            start = M(0)
            for i, (end, a, b) in enumerate(phases):
                end = M(float(end))
                if t <= end or i == len(phases) - 1:
                    q = (min(M(t), end) - start) / (end - start)
                    if s.anneal == "cos":
                        return b + (M(a) - b) * half_cos(q)
                    return a + (M(b) - a) * q
                start = end
        return s, ref

    def c_wsd(r, n):
        w, d = r.randint(0, n // 3), r.randint(1, n // 2)
        shape = r.choice(["linear", "cosine", "1-sqrt"])
        peak, end = r.uniform(0.5, 5), r.choice([0.0, r.uniform(0, 0.4)])
        s = L.wsd(n, w, d, peak=peak, end=end, shape=shape)
        s0 = n - d
        f = {"linear": lambda q: 1 - q, "cosine": half_cos, "1-sqrt": lambda q: 1 - mp.sqrt(q)}[shape]

        def ref(t):
            if t < w:
                return end + (M(peak) - end) * M(t) / w
            if t < s0:
                return M(peak)
            if t < s0 + d:
                return end + (M(peak) - end) * f(M(t - s0) / d)
            return M(end)
        return s, ref

    def c_rex(r, n):
        a, b = vals(r)
        return L.rex(n, a, b), lambda t: (
            M(b) + (M(a) - b) * (1 - M(min(t, n)) / n) / (M(0.5) + (1 - M(min(t, n)) / n) / 2))

    def c_cyclic(r, n):
        lo, hi, up = r.uniform(0, 1), r.uniform(1, 3), r.randint(1, 100)
        s = L.cyclic(lo, hi, up)

        def ref(t):
            size = M(2 * up)
            cycle = mp.floor(1 + t / size)
            x = 1 + t / size - cycle
            h = x / M(0.5) if x <= M(0.5) else (x - 1) / (M(0.5) - 1)
            return lo + (M(hi) - lo) * h
        return s, ref

    def c_interp(r, n):
        kind = r.choice(["linear", "cosine", "exponential"])
        xs = sorted(r.sample(range(0, n + 1), min(4, n + 1)))
        vs = [r.uniform(0.01, 5) for _ in xs]
        s = L.interpolate(list(zip(xs, vs, strict=True)), kind=kind)

        def ref(t):
            if t <= xs[0]:
                return M(vs[0])
            for (s0, v0), (s1, v1) in zip(zip(xs, vs), zip(xs[1:], vs[1:]), strict=False):
                if t < s1:
                    q = M(t - s0) / (s1 - s0)
                    if kind == "linear":
                        return v0 + (M(v1) - v0) * q
                    if kind == "cosine":
                        return v1 + (M(v0) - v1) * half_cos(q)
                    return v0 * (M(v1) / v0) ** q
            return M(vs[-1])
        return s, ref

    def c_warmup_cosine(r, n):
        w = r.randint(1, n)
        a, b = vals(r)
        s = L.warmup(L.cosine(n, start=a, end=b), w)

        def ref(t):
            if t < w:
                return M(a) * t / w
            return M(b) + (M(a) - b) * half_cos(M(min(t - w, n)) / n)
        return s, ref

    def c_restarts(r, n):
        p = r.randint(1, max(1, n // 3))
        s = L.restarts(L.cosine(p), p, mult=r.choice([1, 2]))

        def ref(t):
            if s.mult == 1:
                tau = t % p
                return half_cos(M(tau) / p)
            i = 0
            while t >= p * (2 ** (i + 1) - 1):
                i += 1
            start, length = p * (2**i - 1), p * 2**i
            return half_cos(M(t - start) / length)
        return s, ref

    return {
        "constant": lambda r, n: (L.constant(v := r.uniform(-5, 5)), lambda t: M(v)),
        "linear": c_linear, "cosine": c_cosine, "polynomial": c_poly, "exponential": c_exp,
        "step": c_step, "multistep": c_multistep, "inverse_sqrt": c_isqrt,
        "inverse_time": c_itime, "onecycle": c_onecycle, "wsd": c_wsd, "rex": c_rex,
        "cyclic": c_cyclic, "interpolate": c_interp, "warmup(cosine)": c_warmup_cosine,
        "restarts(cosine)": c_restarts,
    }


def seam_steps(s, n: int, r: random.Random, k: int) -> list[int]:
    steps = {0, 1, n - 1, n, n + 1, 2 * n}
    steps |= {r.randint(0, 2 * n) for _ in range(k)}
    steps |= {n - r.randint(1, 50) for _ in range(k // 4)}  # the end of a decay
    return sorted(x for x in steps if x >= 0)


def main(argv: list[str] | None = None) -> int:
    args = c.parser(__doc__).parse_args(argv)
    try:
        import mpmath as mp
    except ImportError:
        print("## Precision: skipped (mpmath not installed)")
        return 0
    import numpy as np

    n_sched = 3 if args.quick else 40
    n_steps = 10 if args.quick else 60
    rows = []
    worst_scale_all = 0.0
    worst_ulp_all = 0.0
    for name, make in references().items():
        r = random.Random(name)
        w_ulp = w_scale = w_ulp_np = 0.0
        where = ""
        for _ in range(n_sched):
            n = r.choice([r.randint(2, 100), r.randint(100, 10**6)])
            s, ref = make(r, n)
            steps = seam_steps(s, n, r, n_steps)
            arr = s(np.array(steps, dtype=np.float64))
            exact = [ref(t) for t in steps]
            scale = max(abs(x) for x in exact) or 1.0
            for t, e, a in zip(steps, exact, arr, strict=True):
                v = s(t)
                for val, is_np in ((v, False), (float(a), True)):
                    err = abs(mp.mpf(val) - e)
                    ef = float(e)
                    ulp = float(err / math.ulp(ef))  # ulp(0.0) is the smallest subnormal
                    sc = float(err / (EPS * scale))
                    if is_np:
                        w_ulp_np = max(w_ulp_np, ulp)
                    elif ulp > w_ulp:
                        w_ulp, where = ulp, f"{s!r} at {t}"
                    w_scale = max(w_scale, sc)
        worst_scale_all = max(worst_scale_all, w_scale)
        worst_ulp_all = max(worst_ulp_all, w_ulp)
        rows.append([name, f"{w_ulp:.3g}", f"{w_ulp_np:.3g}", f"{w_scale:.2f}",
                     where if w_ulp > 4 else ""])
    print(f"## Precision against mpmath (50 digits): {n_sched} random schedules x ~{n_steps} steps "
          "per shape, worst error\n")
    print(c.table(["shape", "ulps of the value (Python)", "ulps of the value (NumPy)",
                   "eps x scale", "where the worst ulps are (if > 4)"], rows))
    print(f"\nworst over all shapes: {worst_ulp_all:.3g} ulps of the value; "
          f"{worst_scale_all:.2f} eps x the schedule's scale")
    return 0


if __name__ == "__main__":
    sys.exit(main())
