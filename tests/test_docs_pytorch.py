"""Every python block of the PyTorch README section runs, and prints what its comments say."""

from __future__ import annotations

import contextlib
import io
import re

import pytest

from .readme import section

BLOCKS = re.findall(r"```python\n(.*?)```", section("## PyTorch, and any optimizer with `param_groups`"), re.S)


@pytest.mark.parametrize("i", range(len(BLOCKS)))
def test_block_runs_and_prints_what_it_says(i):
    code = BLOCKS[i]
    if "torch" in code:
        pytest.importorskip("torch")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, f"3-pytorch.md block {i}", "exec"), {})  # our own docs, not user input
    printed = out.getvalue().splitlines()
    claims = [m.group(1).strip() for line in code.splitlines()
              if line.startswith("print(") and (m := re.search(r"#\s*(.*)$", line))]
    assert len(printed) >= len(claims)
    for claim, line in zip(claims, printed[-len(claims):] if claims else []):
        token = claim.split()[0].rstrip(",:")
        if token[:1] in "[0123456789":  # a claimed value: the printed line starts with it
            assert line.startswith(token), (claim, line)


def test_there_are_blocks():
    assert len(BLOCKS) >= 6
