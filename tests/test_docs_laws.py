"""docs/laws.md: its python blocks run in order in one fresh process; the figure script draws."""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_laws_page_blocks_run(tmp_path):
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "docs" / "laws.md").read_text(), re.S)
    assert len(blocks) >= 2
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""),
               MPLBACKEND="Agg")
    proc = subprocess.run([sys.executable, "-c", "\n".join(blocks)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "warmup(interpolate(" in proc.stdout and (tmp_path / "compare.png").exists()


def test_laws_validation_figure_draws(tmp_path):
    sys.path.insert(0, str(ROOT / "docs" / "figures"))
    try:
        import laws_validation
    finally:
        sys.path.pop(0)
    laws_validation.draw(str(tmp_path / "v.png"))
    assert (tmp_path / "v.png").read_bytes()[:4] == b"\x89PNG"
