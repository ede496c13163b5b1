"""Import time: ``python -c "import lrkit"`` over an empty interpreter, beside the peers.

Each command runs in a fresh interpreter (wall time of the whole process), the
commands interleaved, min over the repeats; "over empty" subtracts ``python -c pass``.
Bytecode is cached (as for an installed package) in a private PYTHONPYCACHEPREFIX
that is warmed before timing.  Also checks that ``import lrkit`` imports no
framework, NumPy or plotting library.

Target: lrkit <= 30 ms over an empty interpreter.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

import _common as c

TARGET_MS = 30.0
HEAVY = ("numpy", "torch", "jax", "keras", "optax", "matplotlib", "tensorflow", "transformers",
         "yaml", "typing", "inspect")
PEERS = ["import torch.optim.lr_scheduler", "import optax", "import transformers.optimization"]


def run(code: str, env: dict) -> float:
    a = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - a


def main(argv: list[str] | None = None) -> int:
    args = c.parser(__doc__).parse_args(argv)
    repeat = 3 if args.quick else 15
    env = dict(os.environ)
    env["PYTHONPATH"] = c.SRC + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    cmds = ["pass", "import lrkit"]
    if not args.quick:
        for peer in PEERS:
            mod = peer.split()[1].split(".")[0]
            probe = subprocess.run([sys.executable, "-c", f"import {mod}"], env=env,
                                   capture_output=True)
            if probe.returncode == 0:
                cmds.append(peer)
    with tempfile.TemporaryDirectory() as cache:
        env["PYTHONPYCACHEPREFIX"] = cache
        for code in cmds:  # warm the bytecode cache
            run(code, env)
        # correctness: nothing heavy comes with `import lrkit`
        out = subprocess.run(
            [sys.executable, "-c", "import sys, lrkit; print(' '.join(sorted(sys.modules)))"],
            env=env, check=True, capture_output=True, text=True).stdout.split()
        heavy = sorted(m for m in HEAVY if m in out)
        best = {code: float("inf") for code in cmds}
        for _ in range(repeat):
            for code in cmds:
                best[code] = min(best[code], run(code, env))
    base = best["pass"]
    rows = []
    for code in cmds:
        over = (best[code] - base) * 1e3
        mark = ""
        if code == "import lrkit":
            mark = c.verdict(over <= TARGET_MS, args.quick)
        rows.append([f"`python -c \"{code}\"`", f"{best[code] * 1e3:.1f} ms",
                     "—" if code == "pass" else f"{over:.1f} ms", mark])
    print(f"## Import time (fresh interpreter, bytecode cached, min of {repeat} interleaved runs; "
          f"target: lrkit <= {TARGET_MS:.0f} ms over empty)\n")
    print(c.table(["command", "wall time", "over empty", "target"], rows))
    print(f"\nmodules among {', '.join(HEAVY)} imported by `import lrkit`: {', '.join(heavy) or 'none'}")
    if heavy and any(m not in ("typing", "inspect") for m in heavy):
        print("FAILED: `import lrkit` imports a heavy library")
        return 2
    over_ms = (best["import lrkit"] - base) * 1e3
    return 1 if (args.check and not args.quick and over_ms > TARGET_MS) else 0


if __name__ == "__main__":
    sys.exit(main())
