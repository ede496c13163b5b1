"""docs/peers.md and the torch table of docs/absolute-and-relative.md are the rows of
lrkit.peer_names (each executed against its peer in tests/test_peer_names.py), so they cannot drift.

Regenerate the tables after changing the rows: ``python -m tests.test_docs_peers``.
"""

from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys

import pytest

import lrkit
from lrkit.peer_names import PEER_NAMES, PEERS

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"
TITLES = {"torch": "PyTorch (`torch.optim.lr_scheduler`)", "optax": "Optax",
          "keras": "Keras (`keras.optimizers.schedules`)",
          "transformers": "transformers (`get_*_schedule*`, `get_scheduler(SchedulerType)`)",
          "timm": "timm (`create_scheduler_v2(sched=...)`, stepped per epoch)"}
BEGIN, END = "<!-- peer-table {peer} begin -->", "<!-- peer-table {peer} end -->"


def _cell(text: str) -> str:
    return "`" + text.replace("|", "\\|") + "`"


def table(peer: str) -> str:
    lines = ["| peer | lrkit | as |", "|---|---|---|"]
    for r in PEER_NAMES:
        if r.peer == peer:
            how = "factor" if r.kind == "factor" else "absolute (`relative=False`)"
            lines.append(f"| {_cell(r.call)} | {_cell(r.lrkit)} | {how} |")
    return "\n".join(lines)


def tables_in(text: str) -> dict[str, str]:
    out = {}
    for peer in PEERS:
        m = re.search(re.escape(BEGIN.format(peer=peer)) + r"\n(.*?)\n" + re.escape(END.format(peer=peer)),
                      text, re.S)
        if m:
            out[peer] = m.group(1)
    return out


def regenerate(path: pathlib.Path) -> None:
    text = path.read_text(encoding="utf-8")
    for peer in tables_in(text):
        begin, end = BEGIN.format(peer=peer), END.format(peer=peer)
        head, rest = text.split(begin + "\n", 1)
        _, tail = rest.split("\n" + end, 1)
        text = f"{head}{begin}\n{table(peer)}\n{end}{tail}"
    path.write_text(text, encoding="utf-8")


def test_peers_page_is_the_table():
    found = tables_in((DOCS / "peers.md").read_text(encoding="utf-8"))
    assert set(found) == set(PEERS)
    for peer in PEERS:
        assert found[peer] == table(peer), f"docs/peers.md, {peer}: run python -m tests.test_docs_peers"


def test_torch_mapping_on_the_design_page_is_the_table():
    found = tables_in((DOCS / "absolute-and-relative.md").read_text(encoding="utf-8"))
    assert found == {"torch": table("torch")}
    # the corrected rows of the README's old table
    assert "`pingpong(cosine(T_max, end=eta_min/base_lr))`" in found["torch"]
    assert "`restarts(cosine(T_0, end=eta_min/base_lr), T_0, mult=T_mult)`" in found["torch"]


@pytest.mark.parametrize("name", ["peers.md", "absolute-and-relative.md"])
def test_page_blocks_run(name, tmp_path):
    """The page's python blocks, in order, in one fresh process (as the site's docs runner does)."""
    blocks = re.findall(r"```python\n(.*?)```", (DOCS / name).read_text(encoding="utf-8"), re.S)
    assert blocks
    script = tmp_path / "blocks.py"
    script.write_text("\n".join(blocks), encoding="utf-8")
    src = pathlib.Path(lrkit.__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]


if __name__ == "__main__":
    for name in ("peers.md", "absolute-and-relative.md"):
        regenerate(DOCS / name)
