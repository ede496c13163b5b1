"""Run every lrkit benchmark and print their tables (the figures in the README).

``python bench/run_all.py``          full run (several minutes), figures for the README
``python bench/run_all.py --quick``  CI smoke run: tiny sizes, no assertions on time;
                                     exits non-zero only if a script crashes or a
                                     correctness check fails (values, retraces, recompiles)
``python bench/run_all.py --check``  full run that also fails when a target is missed
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = ["bench_scheduler.py", "bench_vectorized.py", "bench_import.py", "bench_compile.py",
           "bench_precision.py", "bench_finder.py", "bench_laws.py", "bench_tokens.py"]


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    only = [a for a in argv if not a.startswith("-")]
    flags = [a for a in argv if a.startswith("-")]
    failed = []
    for name in SCRIPTS:
        if only and not any(o in name for o in only):
            continue
        a = time.perf_counter()
        proc = subprocess.run([sys.executable, os.path.join(HERE, name), *flags], cwd=HERE)
        print(f"\n[{name}: exit {proc.returncode}, {time.perf_counter() - a:.1f} s]\n", flush=True)
        if proc.returncode:
            failed.append(f"{name} (exit {proc.returncode})")
    if failed:
        print("FAILED:", ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
