"""CI smoke run of the benchmarks: ``bench/run_all.py --quick``.

Tiny sizes and no assertions on time; it fails only if a benchmark script crashes
or one of its correctness checks fails (values that disagree with the reference
expression, retraces under jax.jit, recompiles under torch.compile, a heavy import).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.slow
def test_benchmarks_quick_mode_runs():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.join(ROOT, "src") + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "run_all.py"), "--quick"],
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    for title in ("Scheduler step", "Vectorized evaluation", "Import time", "jax.jit",
                  "torch.compile", "Precision", "LR range test", "Loss-curve laws", "Token clock"):
        assert title in proc.stdout, title
