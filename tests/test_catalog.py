"""The catalog (``lrkit shapes``, ``lrkit help NAME``, the gallery) covers every registered name."""

from __future__ import annotations

import inspect

import pytest

import lrkit
from lrkit import catalog
from lrkit.schedule import REGISTRY

from .test_cli import ok, run

#: names that cannot be written as text without setup (a registered Python function)
NEEDS_SETUP = {"custom"}


def test_every_registered_name_has_a_row():
    missing = sorted(set(REGISTRY) - set(catalog.EXAMPLES))
    assert not missing, f"add a row to lrkit.catalog.EXAMPLES for {missing}"
    stale = sorted(set(catalog.EXAMPLES) - set(REGISTRY))
    assert not stale, f"rows for names no longer registered: {stale}"
    assert [e.name for e in catalog.entries()] and len(catalog.entries()) == len(REGISTRY)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_entry_reads_the_code(name):
    e = catalog.entry(name)
    cls = REGISTRY[name]
    assert e.formula == inspect.cleandoc(cls.__doc__ or "") and e.formula  # the one formula: the docstring
    assert e.meaning and "\n" not in e.meaning
    assert e.signature.startswith(f"{name}(")
    assert e.keywords == tuple(n for n, _ in cls._signature)
    assert set(e.keywords) <= set(inspect.signature(cls.__init__).parameters)
    for kw, default in cls._signature:
        if repr(default) != "<required>":
            assert f"{kw}={default!r}" in e.signature


@pytest.mark.parametrize("name", sorted(set(REGISTRY) - NEEDS_SETUP))
def test_example_builds_that_schedule_and_round_trips(name):
    e = catalog.entry(name)
    assert e.example, f"{name} needs an example SPEC"
    s = lrkit.parse(e.example)
    assert s.name == name, f"the example of {name} builds a {s.name}"
    assert lrkit.parse(repr(s)) == s and lrkit.from_config(s.to_config()) == s
    assert isinstance(s(0), float) and isinstance(s(500), float)


def test_kinds():
    kinds = {e.name: e.kind for e in catalog.entries()}
    assert kinds["cosine"] == kinds["wsd"] == "shape"
    assert kinds["warmup"] == kinds["join"] == kinds["product"] == "combinator"
    order = [e.kind for e in catalog.entries()]
    assert order == sorted(order, key=lambda k: k != "shape")  # shapes first


def test_suggest_closest_and_peer_names():
    assert "did you mean cosine" in catalog.suggest("cosin")
    text = catalog.suggest("CosineAnnealingLR")
    assert "cosine(T_max, end=eta_min/base_lr)" in text and "factor" in text
    assert "torch" in catalog.suggest("torch.CosineAnnealingLR")
    assert "lrkit shapes" in catalog.suggest("nothing_like_it")


# -- the commands ------------------------------------------------------------------------------

def test_lrkit_shapes_lists_every_name_with_signature_and_example():
    out = ok("shapes")
    for e in catalog.entries():
        assert e.signature in out
        if e.example:
            assert f"e.g. {e.example}" in out
    assert "lrkit help NAME" in out


def test_lrkit_help_name_shows_formula_and_plot():
    out = ok("help", "cosine")
    assert out.startswith("cosine(steps, start=1.0, end=0.0, exponent=1.0, k_decay=1.0)\n")
    assert "value(t) = end + (start − end)" in out
    assert "keywords: steps, start, end, exponent" in out
    assert "cosine(1000, end=0.1)" in out and "┤" in out and "step" in out.splitlines()[-1]


def test_lrkit_help_unknown_name_translates_peers_and_exits_2():
    r = run("help", "CosineAnnealingLR")
    assert r.returncode == 2 and "Traceback" not in r.stderr and not r.stdout
    assert r.stderr.startswith("lrkit: error: unknown schedule 'CosineAnnealingLR'")
    assert "cosine(T_max, end=eta_min/base_lr)" in r.stderr
    r = run("help", "warmpu")
    assert r.returncode == 2 and "did you mean warmup" in r.stderr


def test_lrkit_help_custom_has_no_plot():
    out = ok("help", "custom")
    assert "register" in out and "┤" not in out


@pytest.mark.parametrize("command", ["plot", "describe", "values", "shapes", "help"])
def test_every_help_points_to_shapes_and_help(command):
    out = ok(command, "--help")
    assert "lrkit shapes" in out and "lrkit help NAME" in out
    assert "lrkit shapes" in ok("--help")
