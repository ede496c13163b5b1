"""Names and errors (issue 15, part 2): unknown names suggest and translate, unknown keywords
list the allowed ones and map peers' keywords, errors quote the user's text with a caret, and no
Python internals reach the user (fuzzed)."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrkit
from lrkit.schedule import REGISTRY

INTERNALS = ("__init__", "positional argument", "unexpected keyword", "object is not", "Traceback",
             "NoneType")


def _error(text):
    with pytest.raises(ValueError) as e:
        lrkit.parse(text)
    return str(e.value)


def test_unknown_name_suggests_the_closest():
    msg = _error("warmup(cosin(100), 10)")
    assert "unknown schedule 'cosin'; did you mean cosine" in msg
    assert "column 8" in msg and "\n  warmup(cosin(100), 10)\n         ^" in msg


@pytest.mark.parametrize("name, form", [
    ("CosineAnnealingLR", "`pingpong(cosine(T_max, end=eta_min/base_lr))` as a factor"),
    ("StepLR", "`step(step_size, gamma=gamma)` as a factor"),
    ("OneCycleLR", "as the lr itself (relative=False)"),
    ("warmup_cosine_decay_schedule", "optax's"),
    ("CosineDecay", "keras's"),
    ("get_linear_schedule_with_warmup", "transformers'"[:12]),
])
def test_peer_names_are_translated(name, form):
    assert form in _error(f"{name}(10)")


def test_unknown_keyword_lists_the_signature_and_maps_peers():
    msg = _error("step(step_size=30)")
    assert "unknown keyword 'step_size' for step(every, gamma=0.1, start=1.0); torch's step_size is `every`" in msg
    assert "torch's T_max is `steps`" in _error("cosine(T_max=100)")
    assert "torch's eta_min is `end`" in _error("cosine(100, eta_min=0.1)")
    assert "did you mean gamma" in _error("step(30, gama=0.5)")
    with pytest.raises(ValueError, match="torch's step_size is `every`"):
        lrkit.from_config({"type": "step", "step_size": 30})
    with pytest.raises(ValueError, match="StepLR.*is `step"):
        lrkit.from_config({"type": "StepLR"})


def test_errors_quote_the_text_as_typed():
    text = "0.1 * step(30, gamma=0.1, foo=1)"
    msg = _error(text)
    assert text in msg and "column 27" in msg  # the caret under the keyword
    assert "0.1 * step(30)" not in msg


def test_missing_and_extra_arguments():
    assert "cosine(steps, start=1.0, end=0.0, exponent=1.0, k_decay=1.0) needs steps" in _error("cosine()")
    assert "takes at most 5 arguments, got 6" in _error("cosine(1, 1, 0, 1, 1, 2)")
    assert "given twice" in _error("cosine(10, steps=10)")
    with pytest.raises(ValueError, match="needs steps"):
        lrkit.from_config({"type": "cosine"})


def test_cli_quotes_the_spec(capsys):
    from lrkit.cli import main

    assert main(["describe", "warmup(cosine('rest'), '5%')"]) == 2
    err = capsys.readouterr().err
    assert "warmup(cosine('rest'), '5%')" in err and "frac(0.05)" not in err
    assert main(["plot", "CosineAnnealingLR(100)"]) == 2
    assert "pingpong(cosine(T_max" in capsys.readouterr().err


_names = st.sampled_from(sorted(REGISTRY) + ["frac", "StepLR", "CosineAnnealingLR", "nope"])
_keys = st.text(string.ascii_letters + "_", min_size=1, max_size=12).filter(str.isidentifier)
_vals = st.sampled_from(["1", "0.5", "-3", "'x'", "None", "True", "[1, 2]", "cosine(10)", "'5%'",
                         "1/0", "2 - 3", "(1 + 1)/3"])


@settings(max_examples=300, deadline=2000)
@given(_names, st.lists(_vals, max_size=5), st.dictionaries(_keys, _vals, max_size=3))
def test_fuzz_calls_never_leak_python_internals(name, args, kwargs):
    text = f"{name}({', '.join([*args, *(f'{k}={v}' for k, v in kwargs.items())])})"
    try:
        lrkit.parse(text)
    except ValueError as e:
        msg = str(e)
        assert not any(x in msg for x in INTERNALS), msg
        assert "column" in msg, msg  # every parse/build error shows where


@settings(max_examples=200, deadline=2000)
@given(_names, st.dictionaries(_keys, st.sampled_from([1, 0.5, "x", None, [1, 2]]), max_size=3))
def test_fuzz_configs_never_leak_python_internals(name, kwargs):
    try:
        lrkit.from_config({"type": name, **kwargs})
    except (ValueError, TypeError) as e:
        msg = str(e)
        assert not any(x in msg for x in INTERNALS), msg
