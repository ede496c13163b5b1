"""Readable text forms (issue 15, part 3): / and - between numbers folded exactly as Python
computes them, - between schedules as a Sum with a negated term, repr round-tripping."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

import lrkit
from tests.strategies import schedules


@pytest.mark.parametrize("expr, value", [
    ("6e-4/(2000 + 1)", 6e-4 / (2000 + 1)),
    ("1 - 0.9", 1 - 0.9),
    ("0.1 * 0.3", 0.1 * 0.3),
    ("1/3 + 1/3 - 2/3", 1 / 3 + 1 / 3 - 2 / 3),
    ("-(1 - 3) / 7", -(1 - 3) / 7),
    ("7 - 2 - 1", 4),
])
def test_constants_fold_as_python(expr, value):
    s = lrkit.parse(f"constant({expr})")
    assert s.value == value and type(s.value) is type(value) or s.value == value


def test_folded_float_equals_python_bits():
    s = lrkit.parse("warmup(cosine(100), 10, start=6e-4/2001)")
    assert s.start == 6e-4 / 2001 and lrkit.parse(repr(s)) == s


def test_minus_between_schedules():
    a, b = lrkit.cosine(10), lrkit.linear(5)
    s = lrkit.parse("cosine(10) - linear(5)")
    assert s == a - b and repr(s) == "cosine(10) - linear(5)"
    for t in range(12):
        assert s(t) == a(t) - b(t)
    s = lrkit.parse("1 - 0.5 * cosine(10) - 0.25")
    assert repr(s) == "1.0 - 0.5 * cosine(10) - 0.25" and all(
        s(t) == 1.0 - 0.5 * a(t) - 0.25 for t in range(12))
    assert lrkit.parse("-cosine(10)")(3) == -a(3)


@pytest.mark.parametrize("text", ["2 / cosine(10)", "cosine(10) / 2", "cosine(10) / linear(3)"])
def test_division_of_schedules_is_refused_clearly(text):
    with pytest.raises(ValueError, match="'/' divides numbers only"):
        lrkit.parse(text)


def test_bad_arithmetic():
    with pytest.raises(ValueError, match="division by zero"):
        lrkit.parse("constant(1/0)")
    with pytest.raises(ValueError, match="overflows float64"):
        lrkit.parse("constant(1e308 * 10)")
    with pytest.raises(ValueError, match="needs numbers or schedules"):
        lrkit.parse("constant('a' - 1)")


def test_configs_accept_the_expressions(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text('schedule: "warmup(cosine(1000 - 100, end=6e-5/6e-4), 100, start=1/(100 + 1))"\n')
    from lrkit.config import load_config

    cfg = load_config(str(p))
    assert cfg.schedule.start == 1 / 101
    assert lrkit.loads('"cosine(10) - 0.5"')(10) == -0.5


@settings(max_examples=150, deadline=3000)
@given(schedules(), schedules())
def test_differences_round_trip(a, b):
    for s in (a - b, a - 0.5 * b, 2.0 - a, -a + b):
        assert lrkit.parse(repr(s)) == s
