"""Under compilers: jax.jit of an lrkit schedule vs the Optax schedule; torch.compile recompiles.

JAX: the same schedule (warmup + cosine, one-cycle, restarts) written with lrkit and
with Optax, each wrapped in ``jax.jit``; timed side by side per call on a scalar step
(dispatch + evaluation), and on a vector of steps inside one jitted call (evaluation
cost only); retraces counted over many steps.  Target: ratio lrkit/Optax <= 1.1 and a
single trace.

torch: ``torch.compile`` of an optimizer step whose learning rate is a tensor that
``lrkit.torch.Scheduler`` updates in place; graph compilations counted over the
steps with a counting backend (dynamo recompiles, no inductor compile time).
Target: zero recompiles after the first compilation.
"""

from __future__ import annotations

import sys
import warnings

import _common as c

TARGET = 1.1


def jax_cases(n: int):
    import optax

    import lrkit

    w = n // 10
    return [
        ("warmup+cosine", lrkit.warmup(lrkit.cosine(n - w, end=0.1), w),
         optax.warmup_cosine_decay_schedule(0.0, 1.0, w, n, 0.1)),
        ("polynomial", lrkit.polynomial(n, end=0.01, power=2.0),
         optax.polynomial_schedule(1.0, 0.01, 2.0, n)),
        ("piecewise", lrkit.piecewise([n // 2, 3 * n // 4], [1.0, 0.1, 0.01]),
         optax.piecewise_constant_schedule(1.0, {n // 2: 0.1, 3 * n // 4: 0.1})),
        ("cosine", lrkit.cosine(n, end=0.1), optax.cosine_decay_schedule(1.0, n, 0.1)),
        ("exponential", lrkit.exponential(0.5, every=n // 4, staircase=True),
         optax.exponential_decay(1.0, n // 4, 0.5, staircase=True)),
    ]


def jax_case(name, s, o, n: int, quick: bool, vec) -> tuple[list[str], bool, list[str]]:
    import jax
    import jax.numpy as jnp
    import numpy as np

    calls = 200 if quick else 3000
    repeat = 2 if quick else 9
    errors = []
    traces = {"lrkit": 0, "optax": 0}

    def traced(fn, key):
        def f(t):
            traces[key] += 1
            return fn(t)
        return jax.jit(f)

    fl, fo = traced(s, "lrkit"), traced(o, "optax")
    steps = [jnp.asarray(i, dtype=jnp.int32) for i in range(0, n, max(1, n // calls))]
    got = np.array([float(fl(t)) for t in steps[:50]])  # values agree (float32)
    want = np.array([float(fo(t)) for t in steps[:50]])
    err = float(np.max(np.abs(got - want)))
    if err > 1e-5:
        errors.append(f"{name}: lrkit and optax differ by {err}")
    for t in steps:  # every step, one trace
        fl(t)
    n_traces = traces["lrkit"]
    # Python ints are traced (weakly typed) too: one more trace for that type, not one per step
    for i in range(0, n, max(1, n // 100)):
        fl(i)
    n_traces_int = traces["lrkit"] - n_traces
    it = iter(range(10**9))
    k = len(steps)
    best = c.side_by_side({"lrkit": lambda: fl(steps[next(it) % k]).block_until_ready(),
                           "optax": lambda: fo(steps[next(it) % k]).block_until_ready()},
                          number=calls, repeat=repeat)
    vl = jax.jit(s)
    vo = jax.jit(jax.vmap(o))  # optax schedules take one step (join_schedules does not broadcast)
    vbest = c.side_by_side({"lrkit": lambda: vl(vec).block_until_ready(),
                            "optax": lambda: vo(vec).block_until_ready()},
                           number=5 if quick else 20, repeat=repeat)
    r1 = best["lrkit"] / best["optax"]
    r2 = vbest["lrkit"] / vbest["optax"]
    good = n_traces == 1 and n_traces_int == 1
    if not good:
        errors.append(f"{name}: lrkit schedule traced {n_traces} times for int32 array steps "
                      f"and {n_traces_int} for Python int steps (expected 1 and 1)")
    ok = r1 <= TARGET and good
    row = [name, c.fmt_time(best["lrkit"]), c.fmt_time(best["optax"]), f"{r1:.2f}", f"{r2:.2f}",
           f"{n_traces} + {n_traces_int}", c.verdict(ok, quick)]
    return row, ok, errors


def bench_jax(quick: bool) -> tuple[list[list[str]], bool, list[str]]:
    import jax.numpy as jnp

    n = 10_000
    vec = jnp.arange(n if quick else 1_000_000, dtype=jnp.float32)
    rows, ok, errors = [], True, []
    for name, s, o in jax_cases(n)[: 2 if quick else None]:
        row, good, err = jax_case(name, s, o, n, quick, vec)
        rows.append(row)
        ok &= good
        errors += err
    return rows, ok, errors


def count_recompiles(steps: int, driver: str) -> tuple[int, str]:
    """Graph compilations of a torch.compile'd optimizer step over ``steps`` steps."""
    import torch
    import torch._dynamo

    import lrkit

    torch._dynamo.reset()
    compiles = 0

    def backend(gm, example_inputs):
        nonlocal compiles
        compiles += 1
        return gm.forward

    model = torch.nn.Linear(8, 1)
    opt = torch.optim.Adam(model.parameters(), lr=torch.tensor(0.01))
    schedule = lrkit.warmup(lrkit.cosine(steps), steps // 10)
    if driver == "lrkit":
        import lrkit.torch as lt
        sched = lt.Scheduler(opt, schedule)
    else:
        from torch.optim.lr_scheduler import LambdaLR
        sched = LambdaLR(opt, schedule)

    @torch.compile(backend=backend)
    def opt_step():
        opt.step()

    x = torch.randn(16, 8)
    lrs = []
    for _ in range(steps):
        opt.zero_grad()
        model(x).pow(2).mean().backward()
        opt_step()
        sched.step()
        lrs.append(float(opt.param_groups[0]["lr"]))
    kind = type(opt.param_groups[0]["lr"]).__name__
    return compiles, kind


def bench_torch(quick: bool) -> tuple[list[list[str]], bool, list[str]]:
    steps = 20 if quick else 1000
    rows, errors = [], []
    ok = True
    for driver in ("lrkit",) if quick else ("lrkit", "torch LambdaLR"):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                compiles, kind = count_recompiles(steps, "lrkit" if driver == "lrkit" else "torch")
        except ImportError as e:
            rows.append([driver, "n/a", f"({e.name} not available)", ""])
            continue
        recompiles = compiles - 1
        if driver == "lrkit":
            ok &= recompiles == 0
            if recompiles:
                errors.append(f"torch.compile recompiled {recompiles} times with lrkit.torch.Scheduler")
        rows.append([driver, str(steps), f"{recompiles} (lr is a {kind})",
                     c.verdict(recompiles == 0, False) if driver == "lrkit" else "(reference)"])
    return rows, ok, errors


def main(argv: list[str] | None = None) -> int:
    args = c.parser(__doc__).parse_args(argv)
    errors: list[str] = []
    ok = True
    try:
        rows, ok_j, err = bench_jax(args.quick)
        ok &= ok_j
        errors += err
        print("## jax.jit: lrkit schedule vs the equivalent Optax schedule "
              f"(min of interleaved runs; target ratio <= {TARGET}, one trace)\n")
        print(c.table(["schedule", "lrkit / call", "optax / call", "ratio / call",
                       "ratio, 1M steps in one call", "traces (array + int steps)", "target"], rows))
    except ImportError as e:
        print(f"## jax.jit: skipped ({e.name} not installed)")
    print()
    rows, ok_t, err = bench_torch(args.quick)
    ok &= ok_t
    errors += err
    print("## torch.compile: optimizer step with a tensor lr, recompiles over the run\n")
    print(c.table(["driver", "steps", "recompiles after the first compile", "target"], rows))
    for e in errors:
        print("FAILED:", e)
    if any("traced" in e or "recompiled" in e or "differ" in e for e in errors):
        return 2
    return 1 if (args.check and not args.quick and not ok) else 0


if __name__ == "__main__":
    sys.exit(main())
