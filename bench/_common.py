"""Shared helpers of the lrkit benchmarks: side-by-side timing and tables.

Every comparison is measured in one process, with the candidates interleaved
(A, B, C, A, B, C, ...) so that drift of the machine affects all of them alike;
the figure kept for each is the minimum over the repeats (the least disturbed run),
and ratios are taken between those minima.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(ROOT, "src")
if SRC not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, SRC)


def parser(doc: str | None) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=(doc or "").strip().splitlines()[0])
    p.add_argument("--quick", action="store_true",
                   help="CI smoke run: tiny sizes, no assertions on time (correctness checks still run)")
    p.add_argument("--check", action="store_true",
                   help="exit 1 when a performance target is missed (not with --quick)")
    return p


def per_call(fn: Callable[[], object], number: int) -> float:
    """Seconds per call of ``fn`` over ``number`` calls (one timed batch)."""
    perf = time.perf_counter
    if number == 1:
        a = perf()
        fn()
        return perf() - a
    loop = range(number)
    a = perf()
    for _ in loop:
        fn()
    return (perf() - a) / number


def side_by_side(cands: dict[str, Callable[[], object]], *, number: int, repeat: int,
                 warmup: int = 1) -> dict[str, float]:
    """Interleaved timing: min over ``repeat`` rounds of seconds per call, per candidate."""
    for fn in cands.values():
        for _ in range(warmup):
            fn()
    best = {k: float("inf") for k in cands}
    for _ in range(repeat):
        for k, fn in cands.items():
            best[k] = min(best[k], per_call(fn, number))
    return best


def fmt_time(s: float) -> str:
    if s < 1e-6:
        return f"{s * 1e9:.0f} ns"
    if s < 1e-3:
        return f"{s * 1e6:.2f} µs"
    if s < 1:
        return f"{s * 1e3:.1f} ms"
    return f"{s:.2f} s"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub-markdown table."""
    cells = [[str(c) for c in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    line = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |"
    out = [line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in cells]
    return "\n".join(out)


def verdict(ok: bool, quick: bool) -> str:
    if quick:
        return "(quick)"
    return "ok" if ok else "MISSED"
