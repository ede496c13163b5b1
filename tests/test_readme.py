"""The quickstart (docs/getting-started.md) and the fractions example (docs/shapes.md) work as written."""

from __future__ import annotations

import re

import pytest

from .readme import section


def _block_after(heading: str) -> str:
    match = re.search(r"```python\n(.*?)```", section(heading), re.S)
    assert match, f"no python block after {heading}"
    return match.group(1)


def test_quickstart_runs_and_says_what_it_prints():
    pytest.importorskip("numpy")
    code = _block_after("## Quickstart")
    ns: dict = {}
    exec(compile(code, "README-quickstart", "exec"), ns)  # our own README, not user input
    s = ns["s"]
    assert (s(0), s(500), s(10_000)) == (0.0, 1.0, 0.1)
    assert repr(s) == "warmup(cosine(9500, end=0.1), 500)"
    for line in code.splitlines():
        m = re.match(r"(repr\(s\))\s+# '(.*)'", line)
        if m:
            assert repr(s) == m.group(2)


def test_fractions_example():
    import lrkit

    code = _block_after("## Durations known only at fit time")
    ns: dict = {"lrkit": lrkit}
    exec(compile(code, "README-fractions", "exec"), ns)
    expected = re.search(r"# (join\(.*\))", code).group(1)
    assert repr(ns["s"].resolve(5000)) == expected
