"""The ``lrkit`` command: look at a schedule before training with it.

    lrkit plot "warmup(cosine(9000, end=0.1), 1000)"
    lrkit describe "join([constant(1.0), constant(0.1)], [100])" --steps 300
    lrkit values @schedule.yaml --every 1000 --format csv

A SPEC is a schedule's text form or ``@file`` (a JSON or YAML config, or a
mapping of named configs, see :func:`lrkit.load`).  Errors in a SPEC, a
file or an option print one ``lrkit: error: ...`` message (with the position
in the SPEC) and exit with status 2; never a traceback.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import io
import json
import math
import os
import shutil
import sys
import warnings
from collections.abc import Sequence
from typing import Any

from . import __version__
from ._evaluate import MAX_STEPS, prepare
from ._validate import MAX_STEPS as _MAX_STEP
from .schedule import Schedule
from .spec import load, parse

__all__ = ["main"]

_SPEC_HELP = ("a schedule in its text form, e.g. \"warmup(cosine(9000), 1000)\", or @FILE: a JSON/YAML "
              "config (a mapping of named configs gives one curve per name); 'lrkit shapes' lists "
              "every schedule name, 'lrkit help NAME' shows one")
_STEPS_HELP = ("show steps 0..N (default: the schedule's own length); also the run length that "
               "durations given as fractions of the run ('5%%', 'rest') refer to")

_MAIN_EPILOG = """\
examples:
  lrkit plot "warmup(cosine(9000, end=0.1), 1000)"
  lrkit plot "onecycle(10000)" "wsd(10000, 500, 2000)" -o schedules.png
  lrkit describe "join([warmup(constant(1.0), 100), cosine(900, start=0.5)], [100])"
  lrkit values "warmup(cosine('rest'), '5%')" --steps 2000 --every 250

Run 'lrkit COMMAND --help' for the options of each command.
"""

#: the last lines of every command's --help
_NAMES_HINT = """
Every schedule name, its arguments and an example: 'lrkit shapes';
one of them with a plot of its example: 'lrkit help NAME' (e.g. lrkit help cosine).
"""

_PLOT_EPILOG = """\
examples:
  lrkit plot "warmup(cosine(9000, end=0.1), 1000)"
  lrkit plot "3e-4 * warmup(cosine('rest'), '5%')" --steps 20000 --log
  lrkit plot "onecycle(10000)" "wsd(10000, 500, 2000)" -o schedules.png
  lrkit plot @configs.yaml -o schedules.svg      # one curve per named config
  lrkit plot "cyclic(0.85, 0.95, 500)" --param momentum --steps 3000

Without -o the plot is drawn in the terminal with Braille characters (--ascii
for plain characters); -o writes a picture with matplotlib (pip install 'lrkit[plot]').
"""

_DESCRIBE_EPILOG = """\
examples:
  lrkit describe "warmup(cosine(900, end=0.1), 100)"
  lrkit describe "join([constant(1.0), constant(0.1)], [100])" --steps 300
  lrkit describe @schedule.json --json

A seam is a step where the value jumps: a change more than 10 times the local
step-to-step slope on both sides.  A smooth warmup + cosine has none; a decay
that does not start where the warmup ended, a restart or a step drop does.
"""

_VALUES_EPILOG = """\
examples:
  lrkit values "cosine(1000)" --at 0,500,999,1000
  lrkit values "warmup(cosine('rest'), '5%')" --steps 2000 --every 250 --format csv
  lrkit values "step(100, gamma=0.5)" --steps 400 --format json

Without --at or --every: about ten round steps from 0 to the end, and the end.
table shows 6 significant digits; csv and json give exact float64 values.
"""


class _Parser(argparse.ArgumentParser):
    """argparse, with errors as one ``lrkit: error:`` line (and usage) and exit status 2."""

    def error(self, message: str) -> Any:  # noqa: D401 - argparse API
        self.print_usage(sys.stderr)
        self.exit(2, f"lrkit: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    parser = _Parser(prog="lrkit", description="Look at learning-rate (and any hyperparameter) "
                     "schedules: plot them, describe them, print their values.",
                     epilog=_MAIN_EPILOG + _NAMES_HINT, formatter_class=fmt)
    parser.add_argument("--version", action="version", version=f"lrkit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("plot", help="plot schedules in the terminal or to a PNG/SVG file",
                       description="Plot one or more schedules (several are overlaid with a legend).",
                       epilog=_PLOT_EPILOG + _NAMES_HINT, formatter_class=fmt)
    p.add_argument("specs", nargs="+", metavar="SPEC", help=_SPEC_HELP)
    _add_steps(p)
    p.add_argument("--log", action="store_true", help="logarithmic value axis")
    p.add_argument("-o", "--output", metavar="FILE", help="write a picture (.png, .svg, .pdf) "
                   "with matplotlib instead of plotting in the terminal")
    _add_param(p)
    p.add_argument("--width", type=int, metavar="COLS",
                   help="terminal plot width in columns (default: the terminal's, at most 100)")
    p.add_argument("--height", type=int, default=20, metavar="ROWS",
                   help="terminal plot height in rows (default: 20)")
    p.add_argument("--ascii", action="store_true",
                   help="plain characters instead of Braille dots (one marker per curve)")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                   help="colour the curves (default: auto, when writing to a terminal and NO_COLOR is unset)")
    _add_weight_decay(p)

    d = sub.add_parser("describe", help="start, peak, minimum, final value, length and seams",
                       description="Describe schedules in numbers: start, peak (value and step), "
                       "minimum, final value, length, and every seam where the value jumps.",
                       epilog=_DESCRIBE_EPILOG + _NAMES_HINT, formatter_class=fmt)
    d.add_argument("specs", nargs="+", metavar="SPEC", help=_SPEC_HELP)
    _add_steps(d)
    d.add_argument("--json", action="store_true", help="print the description as JSON")
    _add_weight_decay(d)

    v = sub.add_parser("values", help="print the values at chosen steps",
                       description="Print schedule values at chosen steps.",
                       epilog=_VALUES_EPILOG + _NAMES_HINT, formatter_class=fmt)
    v.add_argument("specs", nargs="+", metavar="SPEC", help=_SPEC_HELP)
    _add_steps(v)
    which = v.add_mutually_exclusive_group()
    which.add_argument("--at", metavar="STEPS", help="comma-separated steps, e.g. 0,100,1000")
    which.add_argument("--every", type=int, metavar="K", help="every K-th step from 0 to the end")
    v.add_argument("--format", choices=("table", "csv", "json"), default="table",
                   help="output format (default: table)")
    _add_param(v)

    sub.add_parser("shapes", help="list every shape and combinator: signature, formula, example",
                   description="List every schedule name (shapes and combinators) with its "
                   "signature and defaults, its formula, one line of meaning and an example SPEC.",
                   epilog=_NAMES_HINT, formatter_class=fmt)
    h = sub.add_parser("help", help="one shape or combinator in full, with a plot of its example",
                       description="Show one schedule name: signature, formula, keywords and a "
                       "terminal plot of its example.  Peers' names (CosineAnnealingLR, "
                       "cosine_decay_schedule, ...) are translated.",
                       epilog=_NAMES_HINT, formatter_class=fmt)
    h.add_argument("name", metavar="NAME", help="a schedule name, e.g. cosine, warmup, wsd")

    from .search.command import add_parser as add_tune  # `lrkit tune` (its logic is in lrkit.search)

    add_tune(sub, fmt)

    from .laws.cli import add_commands  # fit, predict: their logic (and NumPy/SciPy) load on use

    add_commands(sub, fmt)
    return parser


def _add_steps(p: argparse.ArgumentParser) -> None:
    p.add_argument("--steps", type=int, metavar="N", help=_STEPS_HELP)


def _add_weight_decay(p: argparse.ArgumentParser) -> None:
    p.add_argument("--weight-decay", type=float, metavar="λ", dest="weight_decay",
                   help="also show AdamW's view of the run with this (decoupled) weight decay: the EMA "
                   "timescale 1/(lr·λ) and the weight of each update in the final parameters")
    p.add_argument("--lr", type=float, default=1.0, metavar="BASE",
                   help="with --weight-decay: the lr is BASE × the schedule's value (default: 1, the "
                   "schedule's values are the lr)")


def _add_param(p: argparse.ArgumentParser) -> None:
    p.add_argument("--param", default="lr", metavar="NAME",
                   help="what the schedule drives, for the value axis/column (default: lr)")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``lrkit`` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    if args.command in ("shapes", "help"):
        return _catalog(args)
    if args.command == "tune":
        from .search.command import run as run_tune

        return run_tune(args)
    try:
        if hasattr(args, "handler"):  # commands defined elsewhere (lrkit.laws.cli)
            return int(args.handler(args))
        if args.steps is not None and not 0 < args.steps <= MAX_STEPS:
            raise ValueError(f"--steps must be in 1..{MAX_STEPS}, got {_int_text(args.steps)}")
        for option, low, high in (("width", 20, 1000), ("height", 4, 500)):
            value = getattr(args, option, None)
            if value is not None and not low <= value <= high:
                raise ValueError(f"--{option} must be in {low}..{high}, got {_int_text(value)}")
        with warnings.catch_warnings():
            # an overflow is reported as an error naming the step, never as a NumPy warning
            warnings.simplefilter("ignore", RuntimeWarning)
            curves = load_specs(args.specs)
            try:
                return {"plot": _plot, "describe": _describe, "values": _values}[args.command](args, curves)
            except (ValueError, TypeError) as e:
                raise _quoting(e, curves) from None
    except BrokenPipeError:  # e.g. `lrkit values ... | head`
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except (ValueError, TypeError, OSError, ImportError) as e:
        print(f"lrkit: error: {_message(e)}", file=sys.stderr)
        return 2


def _catalog(args: argparse.Namespace) -> int:
    """``lrkit shapes`` and ``lrkit help NAME`` (the text comes from :mod:`lrkit.catalog`)."""
    from .catalog import entry, format_entry, format_list

    if args.command == "shapes":
        print(format_list())
        return 0
    try:
        print(format_entry(args.name))
    except ValueError as e:
        print(f"lrkit: error: {e}", file=sys.stderr)
        return 2
    found = entry(args.name)
    if found.example is None:
        return 0
    print()
    plot = argparse.Namespace(steps=found.plot_steps, log=False, output=None, param="lr", width=None,
                              height=12, ascii=False, color="auto")
    return _plot(plot, load_specs([found.example]))


def _quoting(e: Exception, curves: list[tuple[str, Schedule]]) -> Exception:
    """``e`` with each schedule's canonical text replaced by the SPEC as the user typed it
    (``'5%'`` stays ``'5%'``, not ``frac(0.05)``)."""
    text = str(e)
    for label, s in curves:
        canonical = repr(s)
        if canonical != label and canonical in text:
            text = text.replace(canonical, label)
    return type(e)(text) if text != str(e) else e


def _int_text(n: int) -> str:
    return str(n) if abs(n) < 10**30 else f"an integer of {len(str(abs(n)))} digits"


def _message(e: BaseException) -> str:
    if isinstance(e, FileNotFoundError):
        return f"cannot read {e.filename}: no such file"
    if isinstance(e, OSError) and e.filename:
        return f"cannot read {e.filename}: {e.strerror}"
    return str(e).rstrip()


# -- specs -------------------------------------------------------------------------------------


def load_specs(specs: Sequence[str]) -> list[tuple[str, Schedule]]:
    """``(label, schedule)`` for each SPEC (an ``@file`` of named configs gives several)."""
    out: list[tuple[str, Schedule]] = []
    for spec in specs:
        if spec.startswith("@"):
            path = spec[1:]
            if not path:
                raise ValueError("'@' must be followed by a file name, e.g. @schedule.yaml")
            loaded = load(path)
            if isinstance(loaded, Schedule):
                out.append((_short(repr(loaded)), loaded))
            else:
                if not loaded:
                    raise ValueError(f"{path}: no schedules in the file")
                out.extend((name, s) for name, s in loaded.items())
        else:
            try:
                out.append((spec.strip(), parse(spec)))
            except ValueError as e:
                raise ValueError(f"bad SPEC: {e}") from None
    return out


def stops(schedules: Sequence[Schedule], steps: int | None) -> list[int]:
    """The last step to show for each schedule.

    ``steps`` if given; else each schedule's own length, and for one that has
    none (it never settles) the longest of the others'.
    """
    if steps is not None:
        return [steps] * len(schedules)
    own: list[int | None] = []
    error: ValueError | None = None
    for s in schedules:
        try:
            own.append(prepare(s)[1])
        except ValueError as e:
            if not s.resolved:
                raise
            error = error or e
            own.append(None)
    known = [n for n in own if n is not None]
    if not known:
        assert error is not None
        raise error
    return [n if n is not None else max(known) for n in own]


def _short(text: str, limit: int = 70) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


# -- commands ----------------------------------------------------------------------------------


def _panels(args: argparse.Namespace, resolved: list[tuple[str, Schedule, int]]
            ) -> list[tuple[str, list[tuple[str, Schedule, int]]]]:
    """Extra plots under the schedule's: the batch size of a batch ramp, and with
    ``--weight-decay`` the weight of each update in the final parameters."""
    from .batch import batch_curves

    panels = []
    batches = [(label if len(resolved) > 1 else "batch", b, stop)
               for label, s, stop in resolved for b in batch_curves(s)]
    if batches:
        panels.append(("batch", batches))
    if getattr(args, "weight_decay", None) is not None:
        from .weight_decay import weight_curve

        panels.append(("update weight", [
            (label, weight_curve(s, args.weight_decay, stop, lr=args.lr), stop - 1)
            for label, s, stop in resolved]))
    return panels


def _plot(args: argparse.Namespace, curves: list[tuple[str, Schedule]]) -> int:
    common = max(stops([s for _, s in curves], args.steps))
    resolved = [(label, prepare(s, common)[0], common) for label, s in curves]
    title = resolved[0][0] if len(resolved) == 1 else None
    panels = _panels(args, resolved)
    if args.output:
        from .plot import save_plot

        save_plot(resolved, args.output, log=args.log, param=args.param, title=title, panels=panels)
        print(f"wrote {args.output}")
        return 0
    from .termplot import Curve, render

    width = args.width or max(40, min(100, shutil.get_terminal_size((80, 24)).columns))
    style = "ascii" if args.ascii or not _can_print("⣿┤└─┬") else "braille"
    color = args.color == "always" or (
        args.color == "auto" and sys.stdout.isatty() and "NO_COLOR" not in os.environ
        and os.environ.get("TERM") != "dumb")
    text = render([Curve(label, s, stop) for label, s, stop in resolved], width=width,
                  height=args.height, log=args.log, ylabel=args.param, style=style, color=color,
                  title=_short(title, width) if title else None)
    print(text)
    for ylabel, panel in panels:
        print()
        print(render([Curve(label, s, stop) for label, s, stop in panel], width=width,
                     height=max(5, args.height // 2), ylabel=ylabel, style=style, color=color))
    return 0


def _can_print(sample: str) -> bool:
    try:
        sample.encode(sys.stdout.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _describe(args: argparse.Namespace, curves: list[tuple[str, Schedule]]) -> int:
    from .description import describe

    texts, rows = [], []
    for (label, s), stop in zip(curves, stops([s for _, s in curves], args.steps), strict=True):
        d = describe(s, stop, name=label)
        text, row = str(d), dataclasses.asdict(d)
        extra_text, extra = _extras(args, prepare(s, stop)[0], stop)
        texts.append("\n".join([text, *extra_text]))
        rows.append({**row, **extra})
    if args.json:
        print(json.dumps(rows if len(rows) > 1 else rows[0], indent=2))
    else:
        print("\n\n".join(texts))
    return 0


def _extras(args: argparse.Namespace, concrete: Schedule, stop: int) -> tuple[list[str], dict[str, Any]]:
    """The batch curve of a batch ramp, and the ``--weight-decay`` view: lines and JSON fields."""
    from .batch import batch_curves
    from .description import describe

    lines: list[str] = []
    extra: dict[str, Any] = {}
    batches = []
    for b in batch_curves(concrete):
        d = describe(b, stop)
        stages = ", ".join(f"{s.step}: {_g(s.after)}" for s in d.seams[:8])
        more = f", ... ({d.seams_total} in all)" if d.seams_total > 8 else ""
        lines.append(f"  batch    {_g(d.start)} at step 0 -> {_g(d.final)} at step {stop}"
                     + (f"; changes at {stages}{more}" if d.seams_total else ""))
        batches.append({"start": d.start, "final": d.final, "changes": [[s.step, s.after] for s in d.seams]})
    if batches:
        extra["batch"] = batches
    if getattr(args, "weight_decay", None) is not None:
        from .weight_decay import weight_decay_view

        view = weight_decay_view(concrete, args.weight_decay, stop, lr=args.lr)
        lines.append(str(view))
        extra["weight_decay"] = dataclasses.asdict(view)
    return lines, extra


def _values(args: argparse.Namespace, curves: list[tuple[str, Schedule]]) -> int:
    from .termplot import nice_ticks

    schedules = [s for _, s in curves]
    if args.at is not None:
        at = _parse_steps(args.at)
        unresolved = [s for s in schedules if not s.resolved]
        if unresolved and args.steps is None:
            prepare(unresolved[0])  # raises the message that asks for --steps
        concrete = [s if s.resolved else s.resolve(args.steps) for s in schedules]
    else:
        stop = max(stops(schedules, args.steps))
        concrete = [prepare(s, stop)[0] for s in schedules]
        if args.every is not None:
            if args.every < 1:
                raise ValueError(f"--every must be an integer >= 1, got {_int_text(args.every)}")
            at = list(range(0, stop + 1, args.every))
        else:
            ticks, _, _ = nice_ticks(0, stop, 10, clamp=True, integer=True)
            at = sorted({int(t) for t in ticks} | {stop})
    names = [args.param] if len(curves) == 1 else [label for label, _ in curves]
    rows = [(step, [s(step) for s in concrete]) for step in at]
    print(_format_values(names, rows, args.format), end="")
    return 0


def _parse_steps(text: str) -> list[int]:
    out = []
    for part in text.split(","):
        part = part.strip()
        try:
            step = int(part)
        except ValueError:
            raise ValueError(f"--at takes comma-separated whole steps >= 0, got {part!r}") from None
        if not 0 <= step <= _MAX_STEP:
            raise ValueError(f"--at takes steps in 0..2**53 = {_MAX_STEP}, got {_int_text(step)}")
        out.append(step)
    return out


def _format_values(names: list[str], rows: list[tuple[int, list[float]]], fmt: str) -> str:
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["step", *names])
        w.writerows([step, *(repr(v) for v in vals)] for step, vals in rows)
        return buf.getvalue()
    if fmt == "json":
        items = [json.dumps({"step": step, **dict(zip(names, vals, strict=True))}) for step, vals in rows]
        return "[\n" + ",\n".join(f"  {item}" for item in items) + "\n]\n"
    cells = [["step", *names]] + [[str(step), *(_g(v) for v in vals)] for step, vals in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(cells[0]))]
    return "".join("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)).rstrip() + "\n"
                   for r in cells)


def _g(v: float) -> str:
    return format(v, ".6g") if math.isfinite(v) else str(v)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
