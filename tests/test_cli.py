"""The ``lrkit`` command through its real entry point (``python -m lrkit`` in a subprocess)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import lrkit

SRC = str(Path(__file__).resolve().parents[1] / "src")


def run(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    environ = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", ""),
               "PYTHONIOENCODING": "utf-8", "COLUMNS": "80", **(env or {})}
    environ.pop("NO_COLOR", None)
    return subprocess.run([sys.executable, "-m", "lrkit", *args], capture_output=True, text=True,
                          encoding="utf-8", cwd=cwd, env=environ, timeout=120)


def ok(*args: str, **kw) -> str:
    r = run(*args, **kw)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    return r.stdout


# -- version and help --------------------------------------------------------------------------

def test_version():
    assert ok("--version").strip() == f"lrkit {lrkit.__version__}"


@pytest.mark.parametrize("command", [[], ["plot"], ["describe"], ["values"]])
def test_help_has_examples(command):
    out = ok(*command, "--help")
    assert "usage: lrkit" in out and "examples:" in out
    assert "lrkit " + (command[0] if command else "plot") in out.split("examples:")[1]


def test_no_command_prints_help_and_exits_2():
    r = run()
    assert r.returncode == 2 and "COMMAND" in r.stderr


# -- terminal plot -----------------------------------------------------------------------------

BRAILLE = range(0x2800, 0x2900)


def plot_rows(out: str, ylabel: str = "lr") -> list[str]:
    """The rows of the plotting area (between the value axis label and the step axis)."""
    lines = out.splitlines()
    top = lines.index(ylabel) + 1
    bottom = next(i for i, line in enumerate(lines) if "└" in line or line.lstrip().startswith("++"))
    return lines[top:bottom]


def test_terminal_plot_shape():
    out = ok("plot", "linear(1000)", "--width", "80", "--height", "16")
    lines = out.splitlines()
    assert lines[0] == "linear(1000)"  # title
    assert all(len(line) <= 80 for line in lines)
    rows = plot_rows(out)
    assert len(rows) == 16
    # value ticks on the axis, step labels under it
    assert rows[0].lstrip().startswith("1 ┤") and rows[-1].lstrip().startswith("0 ┤")
    labels = lines[lines.index(rows[-1]) + 2].split()
    assert labels[0] == "0" and labels[-1] == "1000" and len(labels) >= 4
    assert lines[-1].strip() == "step"
    # a falling line: dots at the top left, at the bottom right
    axis = rows[0].index("┤")
    top = [i for i, ch in enumerate(rows[0]) if ord(ch) in BRAILLE]
    bottom = [i for i, ch in enumerate(rows[-1]) if ord(ch) in BRAILLE]
    assert top and bottom and min(top) == axis + 1 and max(bottom) > 70
    assert "\x1b[" not in out  # no colour when not writing to a terminal


def test_terminal_plot_ascii_and_overlay_legend():
    out = ok("plot", "cosine(1000)", "warmup(constant(0.5), 300)", "--ascii", "--height", "10")
    assert out.isascii()
    assert "  ** cosine(1000)" in out and "  oo warmup(constant(0.5), 300)" in out
    rows = plot_rows(out)
    assert any("*" in r for r in rows) and any("o" in r for r in rows)
    # several curves without colour switch to one marker each, even without --ascii
    out2 = ok("plot", "cosine(1000)", "linear(500)")
    assert "  ** cosine(1000)" in out2 and "  oo linear(500)" in out2


def test_terminal_plot_color_and_log():
    out = ok("plot", "cosine(100)", "linear(100)", "--color", "always")
    assert "\x1b[34m" in out and "\x1b[33m" in out
    out = ok("plot", "0.1 * exponential(0.99)", "--steps", "1000", "--log", "--param", "momentum")
    ticks = [r.split("┤")[0].strip() for r in plot_rows(out, "momentum") if "┤" in r]
    assert ticks == ["0.1", "0.01", "0.001", "0.0001", "1e-5", "1e-6"]  # 0.1·0.99^1000 = 4.3e-6
    out = ok("plot", "warmup(cosine(100), 10)", "--log")  # starts at 0
    assert "values <= 0 are not shown" in out


def test_fractions_need_steps_and_long_runs_are_fine():
    out = ok("plot", "warmup(cosine('rest'), '5%')", "--steps", "2000000")
    assert "1.5M" in out and "2M" in out
    r = run("plot", "warmup(cosine('rest'), '5%')")
    assert r.returncode == 2 and "--steps N" in r.stderr


# -- pictures ----------------------------------------------------------------------------------

def _color_mask(img, rgb):
    import numpy as np

    return np.abs(img - np.array(rgb) / 255).max(axis=-1) < 0.08


def test_png_and_svg_written(tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib.image as mpimg
    import numpy as np

    two, one, svg = tmp_path / "two.png", tmp_path / "one.png", tmp_path / "s.svg"
    assert "wrote" in ok("plot", "warmup(cosine(900), 100)", "onecycle(1000)", "-o", str(two))
    ok("plot", "warmup(cosine(900), 100)", "-o", str(one))
    ok("plot", "warmup(cosine(900), 100)", "-o", str(svg), "--log")
    assert two.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and two.stat().st_size > 5000
    text = svg.read_text()
    assert "<svg" in text and "<path" in text

    img = mpimg.imread(str(two))[..., :3]
    assert img.shape[0] > 200 and img.shape[1] > 400
    # not blank: mostly white, with the default blue and orange lines drawn
    white = (img > 0.95).all(axis=-1).mean()
    assert 0.5 < white < 0.99
    assert _color_mask(img, (31, 119, 180)).sum() > 300 and _color_mask(img, (255, 127, 14)).sum() > 300

    # one curve, no legend: the line rises steeply at the left, peaks at 10% of the run, ends low
    img = mpimg.imread(str(one))[..., :3]
    blue = _color_mask(img, (31, 119, 180))
    rows, cols = np.nonzero(blue)
    left, right = cols.min(), cols.max()
    assert right - left > img.shape[1] * 0.7
    peak_col = cols[rows.argmin()]
    assert (peak_col - left) / (right - left) < 0.15
    assert rows[cols == left].max() > rows.min() + img.shape[0] * 0.5  # starts low
    assert rows[cols == right].max() > rows.min() + img.shape[0] * 0.5  # ends low


def test_missing_matplotlib_is_one_line(tmp_path):
    block = tmp_path / "block"
    block.mkdir()
    (block / "matplotlib.py").write_text("raise ImportError('no matplotlib here')\n")
    r = run("plot", "cosine(10)", "-o", str(tmp_path / "x.png"),
            env={"PYTHONPATH": f"{block}{os.pathsep}{SRC}"})
    assert r.returncode == 2
    assert r.stderr.strip() == "lrkit: error: plotting a picture needs matplotlib: pip install 'lrkit[plot]'"
    assert ok("plot", "cosine(10)", env={"PYTHONPATH": f"{block}{os.pathsep}{SRC}"})  # terminal still works


# -- describe ----------------------------------------------------------------------------------

def test_describe_finds_the_seam():
    out = ok("describe", "join([constant(1.0), constant(0.1)], [100])", "--steps", "300")
    assert "seams    1" in out and "step 100: 1 -> 0.1" in out
    out = ok("describe", "warmup(cosine(900, end=0.1), 100)")
    assert "seams    none" in out
    assert "peak     1 at step 100" in out and "final    0.1 at step 1000" in out


def test_describe_json():
    spec = "join([constant(1.0), constant(0.1)], [100])"
    data = json.loads(ok("describe", spec, "--steps", "300", "--json"))
    assert data["seams"] == [{"step": 100, "before": 1.0, "after": 0.1}]
    assert (data["start"], data["final"], data["stop"]) == (1.0, 0.1, 300)


# -- values ------------------------------------------------------------------------------------

def test_values_formats_are_exact():
    s = lrkit.warmup(lrkit.cosine(1900, end=0.1), 100)
    spec = repr(s)
    rows = list(csv.reader(io.StringIO(ok("values", spec, "--every", "250", "--format", "csv"))))
    assert rows[0] == ["step", "lr"]
    assert [int(r[0]) for r in rows[1:]] == list(range(0, 2001, 250))
    assert all(float(r[1]) == s(int(r[0])) for r in rows[1:])
    data = json.loads(ok("values", spec, "--at", "0,50,1999", "--format", "json", "--param", "momentum"))
    assert data == [{"step": t, "momentum": s(t)} for t in (0, 50, 1999)]
    table = ok("values", spec).splitlines()
    assert table[0].split() == ["step", "lr"] and table[-1].split() == ["2000", "0.1"]
    assert [int(line.split()[0]) for line in table[1:]] == list(range(0, 2001, 200))


def test_values_several_specs_share_rows():
    rows = list(csv.reader(io.StringIO(ok("values", "linear(10)", "cosine(20)", "--format", "csv",
                                          "--every", "10"))))
    assert rows == [["step", "linear(10)", "cosine(20)"], ["0", "1.0", "1.0"],
                    ["10", "0.0", repr(lrkit.cosine(20)(10))], ["20", "0.0", "0.0"]]


# -- bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize("spec, where", [
    ("warmup(cosine(900), 100", "column"),
    ("warmup(cosinus(900), 100)", "column 8"),
    ("cosine(-5)", "column 1"),
    ("__import__('os').system('echo hi')", "column"),
    ("cosine(1000) +", "column"),
    ("", "empty"),
    ("1.5", "expected a schedule"),
])
@pytest.mark.parametrize("command", ["plot", "describe", "values"])
def test_bad_spec_exit_2_one_message(command, spec, where):
    r = run(command, spec, "--steps", "10")
    assert r.returncode == 2
    assert r.stdout == ""
    assert r.stderr.startswith("lrkit: error: ") and where in r.stderr.splitlines()[0]
    assert "Traceback" not in r.stderr and len(r.stderr.splitlines()) <= 3


@pytest.mark.parametrize("args, message", [
    (["describe", "exponential(0.9)"], "never settles"),
    (["plot", "cosine(10)", "--steps", "0"], "--steps must be in"),
    (["values", "cosine(10)", "--at", "1,x"], "--at takes"),
    (["values", "cosine(10)", "--every", "0"], "--every must be"),
    (["plot", "@does-not-exist.yaml"], "cannot read does-not-exist.yaml"),
    (["plot", "@"], "'@' must be followed"),
])
def test_bad_options_exit_2(args, message):
    r = run(*args)
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr


def test_argparse_errors_exit_2():
    r = run("plot", "cosine(10)", "--format", "csv")
    assert r.returncode == 2 and "lrkit: error: unrecognized arguments" in r.stderr


# -- @config files -----------------------------------------------------------------------------

def test_config_files_json_and_yaml(tmp_path):
    pytest.importorskip("yaml")
    s = lrkit.warmup(lrkit.cosine(900, end=0.1), 100)
    (tmp_path / "one.json").write_text(json.dumps(s.to_config()))
    (tmp_path / "many.yaml").write_text(
        "baseline:\n  type: cosine\n  steps: 1000\n"
        "bad_restart:\n  type: join\n  boundaries: [500]\n"
        "  schedules: [{type: cosine, steps: 500}, {type: cosine, steps: 500, start: 0.5}]\n"
    )
    (tmp_path / "broken.yaml").write_text("type: cosine\nsteps: [1000\n")
    out = ok("describe", "@one.json", cwd=tmp_path)
    assert out.splitlines()[0] == repr(s) and "seams    none" in out
    out = ok("describe", "@many.yaml", cwd=tmp_path)
    assert out.startswith("baseline\n") and "\n\nbad_restart\n" in out
    assert "step 500: 9.86957e-06 -> 0.5" in out
    out = ok("plot", "@many.yaml", "--ascii", cwd=tmp_path)
    assert "** baseline" in out and "oo bad_restart" in out
    rows = list(csv.reader(io.StringIO(ok("values", "@many.yaml", "--at", "0,500", "--format", "csv",
                                          cwd=tmp_path))))
    assert rows == [["step", "baseline", "bad_restart"], ["0", "1.0", "1.0"],
                    ["500", repr(lrkit.cosine(1000)(500)), "0.5"]]
    r = run("plot", "@broken.yaml", cwd=tmp_path)
    assert r.returncode == 2 and "broken.yaml: malformed YAML at line" in r.stderr


# -- the documentation's samples are real output -----------------------------------------------

DOCS_HEADING = "## See a schedule before training: the `lrkit` command"


def _doc_text() -> str:
    from .readme import section

    return section(DOCS_HEADING)


def _doc_samples() -> list[tuple[str, str]]:
    import re

    blocks = re.findall(r"```text\n\$ (lrkit .*?)\n(.*?)```", _doc_text(), re.S)
    return [(cmd, out) for cmd, out in blocks]


@pytest.mark.parametrize("command, expected", _doc_samples())
def test_doc_samples_match_the_command(command, expected):
    import shlex

    r = run(*shlex.split(command)[1:])
    assert r.stdout + r.stderr == expected


def test_doc_yaml_example(tmp_path):
    pytest.importorskip("yaml")
    import re

    text = _doc_text()
    yaml_block = re.search(r"```yaml\n(.*?)```", text, re.S).group(1)
    (tmp_path / "schedules.yaml").write_text(yaml_block)
    out = ok("describe", "@schedules.yaml", cwd=tmp_path)
    assert out.startswith("baseline\n") and "\n\nshort_warmup\n" in out and "seams    none" in out
    docs = Path(__file__).resolve().parents[1] / "docs"
    assert "](figures/warmup_cosine.png)" in text and (docs / "figures" / "warmup_cosine.py").is_file()
