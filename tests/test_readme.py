"""The quickstart (docs/getting-started.md) and the fractions example (docs/shapes.md) work as written."""

from __future__ import annotations

import re

import pytest

import lrkit

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


# -- the README is the landing page ----------------------------------------------------------------

def _readme() -> str:
    from .readme import README

    return README.read_text(encoding="utf-8")


def test_readme_is_a_landing_page():
    text = _readme()
    assert len(text.splitlines()) <= 250
    first = text.splitlines()[:6]
    assert first[0] == "# lrkit" and first[2] == "```bash"
    assert first[3].endswith('pip install -e . && lrkit plot "warmup(cosine(10000, end=0.1), 500)"')
    assert 'pip install -e ".[test]" && pip install --no-deps "timm==1.0.31" && python -m pytest -q -n 2' in first[4]
    assert "about 6 minutes\nof install and 8 of tests" in text and '-m "not slow"' in text
    for lang in ("python", "console"):
        assert f"```{lang}\n" in text
    assert "![" not in text  # no committed picture: the plot is the command's own output


def test_readme_links_into_the_site_resolve():
    from .readme import ROOT

    links = re.findall(r"\]\(((?:docs|bench|tests|src)/[^)#]*)", _readme())
    assert len(links) >= 10
    for link in links:
        assert (ROOT / link).exists(), link


def test_readme_pytorch_example_is_a_factor_of_the_base_lr():
    pytest.importorskip("torch")
    code = re.search(r"## PyTorch\n\n```python\n(.*?)```", _readme(), re.S).group(1)
    ns: dict = {}
    exec(compile(code, "README-pytorch", "exec"), ns)  # our own README, not user input
    assert ns["opt"].param_groups[0]["lr"] == 3e-4 * lrkit.parse("warmup(cosine(900, end=0.1), 100)")(1000)
