"""Every code block of the documentation runs: each page's ```python blocks in order, in one fresh
Python process, in a temporary working directory, and each ```console ``$ lrkit ...`` line.

A console line followed by output lines must print exactly that output (and exit with status 2
when the output is an ``lrkit: error:``); one without output must exit with status 0.  ```text
blocks are not run; a python block that is a ``>>>`` session runs as a doctest.
One test per page (``test_page[pytorch.md]``), so pages run in parallel.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .readme import ROOT, pages

SRC = str(ROOT / "src")
FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^(?P=indent)```[ \t]*$",
                   re.S | re.M)

#: runs the blocks given as JSON on stdin, in order, in one namespace; console lines as subprocesses
DRIVER = r"""
import json, os, shlex, subprocess, sys
blocks = json.load(sys.stdin)
ns = {"__name__": "__main__"}
for kind, line, text in blocks:
    where = f"{os.environ['DOC_PAGE']}, the block at line {line}"
    if kind == "python" and text.lstrip().startswith(">>>"):  # a session: run as a doctest
        import doctest
        test = doctest.DocTestParser().get_doctest(text, ns, where, where, line)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
        runner.run(test, clear_globs=False)
        if runner.summarize(verbose=False).failed:
            sys.exit(f"{where}: the session above printed something else")
        continue
    if kind == "python":
        exec(compile(text, where, "exec"), ns)  # our own documentation, not user input
        continue
    for cmd, expected in text:
        r = subprocess.run([sys.executable, "-m", "lrkit", *shlex.split(cmd)[1:]], capture_output=True,
                           text=True, encoding="utf-8", timeout=120)
        got = "\n".join(l.rstrip() for l in (r.stdout + r.stderr).rstrip("\n").split("\n"))
        if expected is None:
            if r.returncode != 0:
                sys.exit(f"{where}: `{cmd}` exited with status {r.returncode}:\n{r.stderr}")
        else:
            want = "\n".join(l.rstrip() for l in expected.rstrip("\n").split("\n"))
            status = 2 if want.startswith("lrkit: error:") or "\nlrkit: error:" in want else 0
            if got != want or r.returncode != status:
                sys.exit(f"{where}: `{cmd}` (status {r.returncode}) printed\n{got}\ninstead of\n{want}")
"""


def blocks(text: str) -> list[tuple[str, int, object]]:
    """``(kind, line, content)`` for the python and console blocks of a page, in order."""
    out: list[tuple[str, int, object]] = []
    for m in FENCE.finditer(text):
        lang, body, line = m.group("lang"), m.group("body"), text.count("\n", 0, m.start()) + 1
        body = "\n".join(ln[len(m.group("indent")):] for ln in body.split("\n"))
        if lang == "python":
            out.append(("python", line, body))
        elif lang == "console":
            out.append(("console", line, console_lines(body)))
    return out


def console_lines(body: str) -> list[tuple[str, str | None]]:
    """``($ lrkit ... line, its expected output or None)`` in a console block (other commands are shown only)."""
    found: list[tuple[str, str | None]] = []
    current: list[str] | None = None
    for line in body.split("\n"):
        if line.startswith("$ "):
            current = None
            command = line[2:].strip()
            if command.startswith("lrkit ") or command == "lrkit":
                current = []
                found.append((command, None))
        elif current is not None and (line.strip() or current):
            current.append(line)
            found[-1] = (found[-1][0], "\n".join(current))
    return found


PAGES = [p for p in pages() if blocks(p.read_text(encoding="utf-8"))]


def _id(p: Path) -> str:
    return p.relative_to(ROOT / "docs").as_posix() if p.is_relative_to(ROOT / "docs") else "README.md"


@pytest.mark.parametrize("page", PAGES, ids=[_id(p) for p in PAGES])
def test_page(page: Path, tmp_path: Path):
    found = blocks(page.read_text(encoding="utf-8"))
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "PYTHONIOENCODING": "utf-8", "COLUMNS": "80", "MPLBACKEND": "Agg", "KERAS_BACKEND": "jax",
           "DOC_PAGE": _id(page), "NO_COLOR": "1", "TQDM_DISABLE": "1"}
    r = subprocess.run([sys.executable, "-c", DRIVER], input=json.dumps(found), capture_output=True,
                       text=True, encoding="utf-8", cwd=tmp_path, env=env, timeout=300)
    assert r.returncode == 0, f"{_id(page)}:\n{r.stdout[-3000:]}\n{r.stderr[-6000:]}"


def test_the_parser_finds_blocks():
    text = ("a\n```python\nx = 1\n```\n```text\nnot run\n```\n  ```console\n  $ lrkit values 'constant(1.0)'"
            "\n  $ pip install x\n  ```\n")
    found = blocks(text)
    assert found == [("python", 2, "x = 1\n"), ("console", 8, [("lrkit values 'constant(1.0)'", None)])]
    assert console_lines("$ lrkit x\nout 1\n\nout 2\n$ lrkit y\n") == [("lrkit x", "out 1\n\nout 2"),
                                                                       ("lrkit y", None)]
    assert len(PAGES) >= 8


def test_every_page_is_self_contained():
    """The pages shown on the site carry their own imports: the first python block of each imports."""
    for page in PAGES:
        first = next((b for k, _, b in blocks(page.read_text(encoding="utf-8")) if k == "python"), None)
        if isinstance(first, str):
            assert "import " in first, f"{_id(page)}: the first python block imports nothing"

