"""docs/search.md: its python blocks run, in order, in one fresh process in a temporary directory
(the docs convention), and the figure script draws from the committed run."""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "search.md"


def test_blocks_run(tmp_path: pathlib.Path) -> None:
    pytest.importorskip("optuna")
    pytest.importorskip("torch")
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(), re.S)
    assert len(blocks) >= 8
    script = tmp_path / "page.py"
    script.write_text("\n\n".join(blocks))
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "['scale', 'cosine.end', 'warmup.steps']" in out.stdout
    assert "must be <= steps" in out.stdout
    assert "2 6" in out.stdout and "40 True" in out.stdout


def test_figure(tmp_path: pathlib.Path) -> None:
    pytest.importorskip("matplotlib")
    sys.path.insert(0, str(ROOT / "docs" / "figures"))
    try:
        import search_result
    finally:
        sys.path.pop(0)
    path = tmp_path / "search_result.png"
    search_result.draw(str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
