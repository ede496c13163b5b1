"""``lrkit tune``: search a schedule for a training script that runs as its own process.

    lrkit tune "loguniform(1e-3, 1) * warmup(cosine('rest'), randint(0, 50))" --trials 20 \\
        --storage tune.db -- python train.py --steps 300

Each trial runs the command with the schedule's text form in the environment variable
``LRKIT_SCHEDULE`` (``--env`` renames it), and in place of any argument ``{schedule}``.  The
script reports on its standard output, one line each (:func:`report` and :func:`result` print
them)::

    lrkit-report STEP VALUE     an intermediate value (pruning: the process is stopped when
                                the trial is pruned)
    lrkit-result VALUE          the objective (default: the last reported value)

Other lines are ignored.  A script that exits with an error fails its trial (the last lines of
its standard error are kept as ``user_attrs["error"]``) and the search goes on.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Sequence
    from typing import Any

    from ..schedule import Schedule

__all__ = ["report", "result", "script_fn", "ScriptError", "add_parser", "run", "ENV"]

#: the environment variable a script reads its schedule from
ENV = "LRKIT_SCHEDULE"


def report(step: int, value: float) -> None:
    """In a script run by ``lrkit tune``: report an intermediate value (for pruning)."""
    print(f"lrkit-report {int(step)} {float(value)!r}", flush=True)


def result(value: float) -> None:
    """In a script run by ``lrkit tune``: report the objective."""
    print(f"lrkit-result {float(value)!r}", flush=True)


class ScriptError(RuntimeError):
    """The training script exited with an error, or reported nothing."""


def script_fn(command: Sequence[str], *, env: str = ENV) -> Callable[..., float]:
    """A ``train_fn`` for :func:`lrkit.search.optimize` that runs ``command`` per trial."""
    if not command:
        raise ValueError("the command to run is empty: give it after '--', e.g. -- python train.py")

    def train(schedule: Schedule, report_fn: Callable[[int, float], Any]) -> float:
        import subprocess

        text = repr(schedule)
        argv = [a.replace("{schedule}", text) for a in command]
        environ = {**os.environ, env: text}
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environ)
        last: float | None = None
        final: float | None = None
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                parts = line.split()
                if len(parts) == 3 and parts[0] == "lrkit-report":
                    last = float(parts[2])
                    report_fn(int(parts[1]), last)
                elif len(parts) == 2 and parts[0] == "lrkit-result":
                    final = float(parts[1])
        except BaseException:
            proc.kill()  # pruned or interrupted: the trial's process goes too
            proc.wait()
            raise
        err = proc.stderr.read() if proc.stderr is not None else ""
        code = proc.wait()
        if code != 0:
            tail = "\n".join(err.strip().splitlines()[-5:])
            raise ScriptError(f"{argv[0]} exited with status {code}: {tail}")
        value = final if final is not None else last
        if value is None:
            raise ScriptError(f"{argv[0]} reported no value: print 'lrkit-result VALUE' "
                              "(lrkit.search.command.result) at the end")
        return value

    return train


_EPILOG = """\
examples:
  lrkit tune "loguniform(1e-3, 1) * cosine('rest', end=uniform(0, 0.1))" --trials 20 --total-steps 300 \\
      -- python train.py
  lrkit tune @space.yaml --trials 50 --storage tune.db -- python train.py --schedule "{schedule}"

The script reads its schedule from $LRKIT_SCHEDULE (or the argument {schedule}) and prints
'lrkit-report STEP VALUE' lines while it trains and 'lrkit-result VALUE' at the end.
With --storage the study is saved to a SQLite file; running the same command again resumes it
(--trials is the total number of trials the study should hold).
"""


def add_parser(sub: Any, formatter: Any) -> None:
    """Register ``lrkit tune`` on the CLI's subparsers."""
    t = sub.add_parser("tune", help="search a schedule for a training script (Optuna)",
                       description="Search a schedule space for a training script, on Optuna.",
                       epilog=_EPILOG, formatter_class=formatter)
    t.add_argument("space", metavar="SPACE", help="a search space template, e.g. \"loguniform(1e-3, 1) * "
                   "cosine('rest')\", or @FILE (a JSON/YAML config with distributions)")
    t.add_argument("cmd", nargs="+", metavar="COMMAND", help="the training script and its arguments, after --")
    t.add_argument("--trials", type=int, default=20, metavar="N", help="trials the study should hold (default 20)")
    t.add_argument("--storage", metavar="FILE", help="a SQLite file (or storage URL): saved, resumable")
    t.add_argument("--study", default="lrkit", metavar="NAME", help="the study's name (default lrkit)")
    t.add_argument("--total-steps", type=int, metavar="N", help="resolves '5%%' and 'rest' in the schedules")
    t.add_argument("--env", default=ENV, metavar="NAME", help=f"the variable holding the schedule (default {ENV})")
    t.add_argument("--maximize", action="store_true", help="maximise the value (default: minimise)")
    t.add_argument("--seed", type=int, default=0, help="the sampler's seed (default 0)")
    t.add_argument("--no-prune", action="store_true", help="never stop a trial early")
    t.add_argument("--json", action="store_true", help="print the result as JSON")


def run(args: argparse.Namespace) -> int:
    """Run ``lrkit tune``; errors are one ``lrkit: error:`` line and status 2."""
    try:
        return _run(args)
    except (ValueError, TypeError, OSError) as e:
        print(f"lrkit: error: {str(e).rstrip()}", file=sys.stderr)
        return 2
    except ImportError as e:
        print(f"lrkit: error: lrkit tune needs Optuna: pip install 'lrkit[search]' ({e})", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    import json
    import pathlib

    from .embedded import optimize
    from .space import space

    source: Any = args.space
    if source.startswith("@"):
        source = pathlib.Path(source[1:])
    sp = space(source, total_steps=args.total_steps)
    cmd = list(args.cmd)
    if cmd and cmd[0] == "--":
        cmd = cmd[1:]
    res = optimize(script_fn(cmd, env=args.env), sp, args.trials, storage=args.storage, study_name=args.study,
                   direction="maximize" if args.maximize else "minimize", seed=args.seed,
                   pruner=None if args.no_prune else "median", catch=(ScriptError,))
    if args.json:
        print(json.dumps({"best_value": res.best_value, "best_schedule": repr(res.best_schedule),
                          "best_params": res.best_params, "complete": res.complete, "pruned": res.pruned,
                          "failed": res.failed, "trials_run": res.trials_run, "wall_time": res.wall_time}))
    else:
        print(f"{res.trials_run} trials run in {res.wall_time:.1f} s; the study holds {res.complete} complete, "
              f"{res.pruned} pruned, {res.failed} failed")
        print(f"best value: {res.best_value!r}")
        print(f"best schedule: {res.best_schedule!r}")
    return 0
