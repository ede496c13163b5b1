"""``lrkit fit`` and ``lrkit predict``: the laws from the command line.

    lrkit fit constant.csv="3e-3 * warmup(constant(1.0), 100)" cosine.csv=@cosine.yaml -o law.json
    lrkit predict law.json "3e-3 * wsd(2000, 100, 400)" "3e-3 * warmup(cosine(1900), 100)" -o curves.png

A RUN is a log (CSV with columns step, loss and optionally lr; JSON lines; a TensorBoard log
directory or event file), followed by ``=SPEC``: the schedule of *absolute* lrs it was trained
with (text form or @file).  Without ``=SPEC`` the log's lr column is used; it must then hold the
lr of every step.  This module imports NumPy/SciPy only when a command runs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

__all__ = ["add_commands"]

_FIT_EPILOG = """\
examples:
  lrkit fit constant.csv="3e-3 * warmup(constant(1.0), 100)" \\
            cosine.csv="3e-3 * warmup(cosine(1900), 100)" \\
            two-stage.csv="3e-3 * warmup(piecewise([1300], [1.0, 0.1]), 100)" -o law.json
  lrkit fit runs/tb_logdir="3e-3 * wsd(20000, 500, 4000)" --law annealing -o law.json
  lrkit fit every_step.jsonl -o law.json        # the log's lr column, one row per step

RUN: a CSV (header with step, loss[, lr]), JSON lines ({"step": .., "loss": ..}) or a
TensorBoard log (a directory or an events.out.tfevents file), then =SPEC: the absolute lr
schedule of that run.  The multi-power law wants runs with different lr drops (the paper
fits a constant, a cosine and a two-stage run).
"""

_PREDICT_EPILOG = """\
examples:
  lrkit predict law.json "3e-3 * wsd(2000, 100, 400, shape='1-sqrt')" "3e-3 * warmup(linear(1900), 100)"
  lrkit predict law.json @schedules.yaml --steps 20000 -o curves.png
  lrkit predict law.json "3e-3 * warmup(cosine('rest'), '5%')" --steps 8000 --json

Prints the predicted loss curves in the terminal and a table of final losses (± the law's
uncertainty); -o also writes a picture with matplotlib.
"""


def add_commands(sub: Any, formatter: type[argparse.HelpFormatter]) -> None:
    """Add ``fit`` and ``predict`` to the ``lrkit`` subcommands ``sub``."""
    f = sub.add_parser("fit", help="fit a loss-curve law to logged runs (lrkit.laws)",
                       description="Fit the multi-power or the annealing law to loss curves of runs "
                       "trained with known lr schedules; writes the fitted law as JSON.",
                       epilog=_FIT_EPILOG, formatter_class=formatter)
    f.add_argument("runs", nargs="+", metavar="RUN[=SPEC]", help="a log file or directory, = the schedule")
    f.add_argument("--law", choices=("multi-power", "annealing"), default="multi-power",
                   help="which law (default: multi-power)")
    f.add_argument("-o", "--output", metavar="LAW.json", help="write the fitted law here (default: print it)")
    f.add_argument("--loss-key", metavar="NAME", help="the column / key / tag of the loss (default: 'loss')")
    f.add_argument("--lr-key", metavar="NAME", help="the column / key / tag of the lr (default: 'lr')")
    f.set_defaults(handler=_fit)

    p = sub.add_parser("predict", help="predict loss curves of schedules with a fitted law",
                       description="Predict the training-loss curve of each schedule with a law "
                       "fitted by 'lrkit fit'.", epilog=_PREDICT_EPILOG, formatter_class=formatter)
    p.add_argument("law", metavar="LAW.json", help="a fitted law written by 'lrkit fit -o'")
    p.add_argument("specs", nargs="+", metavar="SPEC", help="schedules of absolute lrs (text form or @file)")
    p.add_argument("--steps", type=int, metavar="N", help="run length (default: each schedule's own)")
    p.add_argument("-o", "--output", metavar="FILE", help="also write a picture (.png, .svg, .pdf)")
    p.add_argument("--json", action="store_true", help="print the final losses as JSON instead")
    p.add_argument("--width", type=int, default=None, metavar="COLS", help="terminal plot width")
    p.add_argument("--height", type=int, default=16, metavar="ROWS", help="terminal plot height (default: 16)")
    p.set_defaults(handler=_predict)


def _schedules(text: str) -> list[tuple[str, Any]]:
    from ..spec import load, parse

    if text.startswith("@"):
        if not text[1:]:
            raise ValueError("'@' must be followed by a file name, e.g. @schedule.yaml")
        loaded = load(text[1:])
        if isinstance(loaded, dict):
            return [(str(k), v) for k, v in loaded.items()]
        return [(os.path.basename(text[1:]), loaded)]
    return [(text, parse(text))]


def _split_run(arg: str) -> tuple[str, str | None]:
    # the path is what comes before the first '=' that leaves an existing path (paths may hold '=')
    for i, ch in enumerate(arg):
        if ch == "=" and os.path.exists(arg[:i]):
            return arg[:i], arg[i + 1:]
    return arg, None


def _fit(args: argparse.Namespace) -> int:
    from . import fitting
    from .logs import read_log
    from .trace import Run

    runs = []
    for arg in args.runs:
        path, spec = _split_run(arg)
        log = read_log(path, loss_key=args.loss_key, lr_key=args.lr_key)
        if spec is not None:
            found = _schedules(spec)
            if len(found) != 1:
                raise ValueError(f"{arg}: =SPEC must be one schedule, got {len(found)} from {spec}")
            lrs: Any = found[0][1]
        else:
            lrs = log.lr_every_step()
            if lrs is None:
                raise ValueError(f"{path}: without =SPEC the log must hold the lr of every step 0.."
                                 f"{int(log.steps[-1])}; give the schedule as {path}=SPEC")
        runs.append(Run(lrs, log.steps, log.losses, name=os.path.basename(path.rstrip("/"))))
    law = fitting.fit(runs, law=args.law)
    text = json.dumps(law.to_config(), indent=1)
    if args.output:
        with open(args.output, "w") as fh:
            fh.write(text + "\n")
    else:
        print(text)
    info = law.info
    print(f"fitted the {law.law} law on {len(runs)} run(s), {info['points']} points in "
          f"{info['fit_seconds']:.2f} s: rms log-residual {info['rms_log_residual']:.2e}"
          + (f" -> {args.output}" if args.output else ""), file=sys.stderr if not args.output else sys.stdout)
    for k, v in law.params.items():
        if args.output:
            print(f"  {k:>6} = {v:.6g}")
    return 0


def _predict(args: argparse.Namespace) -> int:
    import numpy as np

    from .. import termplot
    from ..shapes import interpolate
    from .fitting import from_config

    try:
        with open(args.law) as fh:
            config = json.load(fh)
    except json.JSONDecodeError as e:
        raise ValueError(f"{args.law}: not a JSON law file ({e.msg} at line {e.lineno})") from None
    law = from_config(config)
    if args.steps is not None and not 2 <= args.steps <= 10**8:
        raise ValueError(f"--steps must be in 2..100000000, got {args.steps}")
    curves = []
    for spec in args.specs:
        for label, s in _schedules(spec):
            if not s.resolved and args.steps is None:
                raise ValueError(f"{label}: has durations as fractions of the run; give --steps")
            s = s if s.resolved else s.resolve(args.steps)
            n = args.steps or s.duration
            if not isinstance(n, int) or n < 2:
                raise ValueError(f"{label}: the schedule has no length of its own; give --steps")
            curves.append((label, s, int(n)))
    rows = []
    for label, s, n in curves:
        first = _start(s, n)  # from the end of the warmup: before it the power law is steep and off-scale
        xs = np.unique(np.linspace(first, n - 1, min(n - first, 400)).astype(np.int64))
        value, std = law.predict(s, xs, return_std=True)
        rows.append((label, n, xs, value, float(value[-1]), float(std[-1])))
    if args.json:
        print(json.dumps([{"schedule": r[0], "steps": r[1], "final_loss": r[4], "std": r[5]} for r in rows],
                         indent=1))
    else:
        import shutil

        width = args.width or min(100, max(40, shutil.get_terminal_size((100, 24)).columns))
        plots = [termplot.Curve(_short(label), interpolate([[int(x), float(v)] for x, v in zip(xs, val)]), n - 1)
                 for label, n, xs, val, _, _ in rows]
        print(termplot.render(plots, width=width, height=args.height, ylabel="loss",
                              title=f"predicted loss ({law.law} law)"))
        w = max(8, *(len(_short(r[0])) for r in rows))
        print(f"{'schedule':<{w}}  {'steps':>8}  {'final loss':>10}  {'± std':>8}")
        for label, n, _, _, fin, sd in sorted(rows, key=lambda r: r[4]):
            print(f"{_short(label):<{w}}  {n:>8}  {fin:>10.4f}  {sd:>8.4f}")
    if args.output:
        from .ranking import plot_curves

        plot_curves(law, [(_short(label), s) for label, s, _ in curves], max(n for _, _, n in curves), args.output)
        print(f"wrote {args.output}")
    return 0


def _start(s: Any, n: int) -> int:
    """The first step shown: the first step at the peak lr (the end of a warmup), at least 1% into
    the run and never before the first positive lr."""
    import numpy as np

    vals = np.asarray(s(np.arange(min(n, 10_000_000))), dtype=float)
    hit = np.flatnonzero(vals > 0)
    if hit.size == 0:
        raise ValueError(f"{s!r}: the lr is 0 over the first {vals.size} steps; nothing to predict")
    return int(min(max(hit[0], int(np.argmax(vals)), n // 100), n - 1))


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."
