"""Fuzzing the public API with hostile input (hypothesis, bounded so the file runs in about a minute).

Every property is: a clean ``ValueError``/``TypeError``, or a finite value that equals the other
evaluation paths.  A hang is a failure: each target's whole hypothesis run happens in a child
process with a timeout (one child per target, not per example), and inside the child each example
runs under an alarm, so a slow example fails with its input shown.

Targets: text specs from a grammar of the registered names (odd numbers, nesting, operators),
configs (dicts with huge/odd numbers and nesting, through ``from_config`` and ``loads`` as JSON and
YAML), every registered constructor with odd arguments, extreme steps on every evaluation path
(Python int/float, NumPy, JAX, torch), and the command line.  (The torch-compatible classes and
state dicts are fuzzed with the drivers' own tests.)
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lrkit as L
from lrkit.schedule import REGISTRY

#: wall-clock limit of one target's child process, and of one example inside it (seconds)
CHILD_TIMEOUT = 150
EXAMPLE_TIMEOUT = 5

_SETTINGS = dict(deadline=2000, database=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                        HealthCheck.filter_too_much, HealthCheck.large_base_example])

CLEAN = (ValueError, TypeError)
inf, nan = math.inf, math.nan

# -- odd input -------------------------------------------------------------------------------------

ODD_NUMBERS = [0, 1, -1, 2, 3, 0.5, 7.25, 100, 1e-300, 5e-324, -5e-324, 1e308, -1e308,
               1.7976931348623157e308, 2**53, 2**53 + 1, 2**63, 2**64, 10**400, -(10**400), 3.3e22,
               1e20, 0.1, 0.999, 1.0000001]
ODD_VALUES = [*ODD_NUMBERS, True, None, "5%", "rest", "abc", "0%", "100%", [], [1, 2], nan, inf, -inf]

odd_number = st.one_of(st.sampled_from(ODD_NUMBERS), st.integers(-(10**20), 10**20),
                       st.floats(allow_nan=False, allow_infinity=False))
odd_value = st.one_of(st.sampled_from(ODD_VALUES), odd_number)
sane_steps = st.integers(1, 1000)
sane_value = st.floats(-10, 10, allow_nan=False)

# extreme steps, on every evaluation path
EXTREME_STEPS = [0, 1, 2, 0.5, 7.25, 99.5, 1000, 10**6, 2**53, 2**53 + 1, 2**63, 10**400, 1e20,
                 3.3e22, 1e300, 1e308, 1.7976931348623157e308, inf, nan, -1, -0.5, -1e308, 5e-324]
extreme_step = st.one_of(st.sampled_from(EXTREME_STEPS), st.integers(0, 10**7),
                         st.floats(0, 1e12), st.floats(allow_nan=True, allow_infinity=True))

_SEQUENCE_ARGS = {"milestones", "boundaries", "values", "points", "schedules", "factors", "terms"}
_SCHEDULE_ARGS = {"schedule"}
_NAMES = sorted(n for n in REGISTRY if n not in ("custom",))


def _timeout(signum, frame):  # pragma: no cover - only on a hang
    raise TimeoutError(f"an example ran longer than {EXAMPLE_TIMEOUT} s (a hang)")


class _alarm:
    """Fail an example that runs too long (child process only: SIGALRM in the main thread)."""

    def __enter__(self):
        if hasattr(signal, "SIGALRM"):
            signal.signal(signal.SIGALRM, _timeout)
            signal.setitimer(signal.ITIMER_REAL, EXAMPLE_TIMEOUT)

    def __exit__(self, *exc):
        if hasattr(signal, "SIGALRM"):
            signal.setitimer(signal.ITIMER_REAL, 0)


# -- strategies ------------------------------------------------------------------------------------

def _arg_value(draw, name: str, depth: int):
    """A value for constructor argument ``name``: odd most of the time, sane sometimes, nested."""
    if name in _SCHEDULE_ARGS:
        return draw(any_schedule_or_value(depth))
    if name in _SEQUENCE_ARGS:
        if name in ("schedules", "factors", "terms"):
            return draw(st.lists(any_schedule_or_value(depth), max_size=3))
        if name == "points":
            pair = st.lists(st.one_of(odd_value, sane_value), min_size=2, max_size=2)
            return draw(st.lists(st.one_of(pair, odd_value), max_size=4))
        return draw(st.lists(st.one_of(sane_steps, odd_value), max_size=4))
    return draw(st.one_of(odd_value, sane_steps, sane_value,
                          st.sampled_from(["linear", "cosine", "1-sqrt", "exponential", "cos",
                                           "triangular2", "exp_range", "uniform", "normal"])))


@st.composite
def constructor_call(draw, depth: int = 0):
    """(name, kwargs) for a registered constructor, with odd arguments."""
    name = draw(st.sampled_from(_NAMES))
    kwargs = {}
    for arg, default in REGISTRY[name]._signature:
        required = type(default).__name__ == "_Required"
        if required or draw(st.booleans()):
            kwargs[arg] = _arg_value(draw, arg, depth + 1)
    return name, kwargs


def any_schedule_or_value(depth: int):
    if depth > 2:
        return st.one_of(st.just(L.cosine(10)), odd_value)
    return st.one_of(st.builds(lambda c: _build(*c), constructor_call(depth)), st.just(L.cosine(10)),
                     odd_value)


def _build(name, kwargs):
    try:
        return REGISTRY[name](**kwargs)
    except CLEAN:
        return L.constant(0.5)


# text specs from a grammar of the registered names
def _text_number(draw):
    x = draw(st.one_of(st.sampled_from(ODD_NUMBERS), st.integers(-(10**30), 10**30),
                       st.floats(allow_nan=False, allow_infinity=False)))
    return repr(x)


@st.composite
def spec_text(draw, depth: int = 0):
    kind = draw(st.integers(0, 9)) if depth < 4 else 0
    if kind == 0:
        return _text_number(draw)
    if kind == 1:
        return draw(st.sampled_from(["'5%'", "'rest'", "None", "True", "'cos'", "'linear'", "[]",
                                     "frac(0.5)", "'exp_range'", "nan", "1e999", "-"]))
    if kind == 2:
        items = draw(st.lists(spec_text(depth + 1), max_size=3))
        return "[" + ", ".join(items) + "]"
    if kind == 3:
        op = draw(st.sampled_from([" * ", " + "]))
        return f"({draw(spec_text(depth + 1))}){op}{draw(spec_text(depth + 1))}"
    name = draw(st.sampled_from(_NAMES))
    sig = REGISTRY[name]._signature
    parts = []
    for i, (arg, _) in enumerate(sig):
        if not draw(st.booleans()):
            continue
        value = draw(spec_text(depth + 1))
        parts.append(value if i == len(parts) and draw(st.booleans()) else f"{arg}={value}")
    if draw(st.integers(0, 9)) == 0:
        parts.append(draw(st.sampled_from(["bogus=1", "1, 2, 3, 4, 5, 6, 7, 8, 9, 10", "*x"])))
    return f"{name}({', '.join(parts)})"


@st.composite
def config_value(draw, depth: int = 0):
    """A config: a schedule's own config, mutated with odd values, keys and nesting."""
    if depth > 3 or draw(st.integers(0, 3)) == 0:
        return draw(odd_value)
    name, kwargs = draw(constructor_call(2))
    cfg = {"type": draw(st.sampled_from([name, name, name, "nonsense", 3]))}
    for key in kwargs:
        cfg[key] = draw(st.one_of(odd_value, config_value(depth + 1),
                                  st.lists(config_value(depth + 1), max_size=3)))
    if draw(st.integers(0, 5)) == 0:
        cfg[draw(st.sampled_from(["bogus", "frac", "type2"]))] = 1
    return cfg


# -- checks ----------------------------------------------------------------------------------------

def check_value(s, step) -> float | None:
    """s(step): a clean error (None) or a finite float."""
    try:
        value = s(step)
    except CLEAN:
        return None
    assert isinstance(value, float), (s, step, value)
    assert math.isfinite(value), f"{s!r}({step!r}) = {value!r}"
    return value


def check_schedule(s) -> None:
    """Every accepted schedule: text and config forms read back equal; its duration is bounded;
    its values at odd steps are finite or a clean error."""
    assert isinstance(s, L.Schedule)
    text = repr(s)
    assert L.parse(text) == s, text
    cfg = s.to_config()
    assert L.from_config(cfg) == s
    assert L.loads(json.dumps(cfg)) == s
    if not s.resolved:
        try:
            s = s.resolve(1000)
        except CLEAN:
            return
    d = s.duration
    assert d is None or (isinstance(d, (int, float)) and 0 <= d <= 2**53 * 4), (s, d)
    steps = [0, 1, 2.5, 1e6, 1e308]
    if d is not None:
        steps += [d, d + 1]
    for t in steps:
        check_value(s, t)


# -- properties (run in a child process: see the tests at the bottom) ------------------------------

@settings(max_examples=1000, **_SETTINGS)
@given(spec_text())
def prop_specs(text):
    with _alarm():
        try:
            s = L.parse(text)
        except CLEAN:
            return
        check_schedule(s)


@settings(max_examples=700, **_SETTINGS)
@given(config_value())
def prop_configs(cfg):
    import yaml

    with _alarm():
        results = []
        try:
            results.append(L.from_config(cfg))
        except CLEAN:
            results.append(None)
        try:
            text = json.dumps(cfg)
        except ValueError:  # nan/inf are not JSON; json.dumps writes them, but strictly refuses
            text = None
        if text is not None and "NaN" not in text and "Infinity" not in text:
            try:
                results.append(L.loads(text))
            except CLEAN:
                results.append(None)
        if isinstance(cfg, dict):
            try:
                results.append(L.loads(yaml.safe_dump(cfg), yaml=True))
            except CLEAN:
                results.append(None)
        for s in results:
            if s is not None and isinstance(s, L.Schedule):
                check_schedule(s)
        # the same config whichever way it came in
        built = [s for s in results if s is not None]
        assert all(s == built[0] for s in built), (cfg, built)


@settings(max_examples=1500, **_SETTINGS)
@given(constructor_call())
def prop_constructors(call):
    name, kwargs = call
    with _alarm():
        try:
            s = REGISTRY[name](**kwargs)
        except CLEAN:
            return
        check_schedule(s)


def _paths():
    """Evaluation paths beside Python numbers: (name, make array of one float step, rtol)."""
    import jax
    import numpy as np
    import torch

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    return [
        ("numpy", lambda t: np.array([t, t], dtype=np.float64), lambda out: float(out[0]), 1e-12),
        ("jax", lambda t: jnp.array([t], dtype=jnp.float64), lambda out: float(out[0]), 1e-12),
        ("torch", lambda t: torch.tensor([t], dtype=torch.float64), lambda out: float(out[0]), 1e-12),
        ("torch32", lambda t: torch.tensor([t], dtype=torch.float32), lambda out: float(out[0]), 2e-5),
    ]


_PATHS: list = []


@st.composite
def evaluable_schedule(draw):
    from tests.strategies import schedules

    if draw(st.booleans()):
        return draw(schedules()), True
    while True:  # an accepted schedule built from odd constructor arguments
        name, kwargs = draw(constructor_call())
        try:
            s = REGISTRY[name](**kwargs)
        except CLEAN:
            continue
        if s.resolved:
            return s, False


@settings(max_examples=400, **{**_SETTINGS, "deadline": None})
@given(evaluable_schedule(), st.lists(extreme_step, min_size=1, max_size=6))
def prop_steps(schedule, steps):
    s, sane = schedule  # float32 (torch32) is compared on sane schedules: odd ones exceed its range
    if not _PATHS:
        _PATHS.extend(_paths())
    with _alarm():
        for step in steps:
            scalar = check_value(s, step)
            if isinstance(step, int):  # the same step as a float: the arrays' step
                try:
                    step = float(step)
                except OverflowError:
                    continue
                scalar = check_value(s, step)
            for name, make, read, rtol in _PATHS:
                if name == "torch32" and not (sane and abs(step) < 1e6 and step == int(step)):
                    continue  # float32 steps: only those float32 holds exactly
                arr = make(step)
                held = read(arr)  # JAX without x64 holds float32: -5e-324 is -0.0 there
                ref = scalar if held == step or math.isnan(step) else check_value(s, held)
                try:
                    out = s(arr)
                except CLEAN:
                    assert ref is None, f"{s!r}({step!r}): {name} refuses, Python gives {ref!r}"
                    continue
                value = read(out)
                assert ref is not None, f"{s!r}({step!r}): Python refuses, {name} gives {value!r}"
                assert math.isfinite(value), f"{s!r}({step!r}) on {name} = {value!r}"
                tol = rtol * max(1.0, abs(ref), _scale(s))
                assert abs(value - ref) <= tol, f"{s!r}({step!r}): {name} {value!r} vs Python {ref!r}"


def _scale(s) -> float:
    """The size of a schedule's values near its start (for the absolute part of a tolerance)."""
    out = 0.0
    for t in (0, 1, 10):
        try:
            out = max(out, abs(s(t)))
        except CLEAN:
            pass
    return out


@settings(max_examples=12, **_SETTINGS)
@given(spec_text(), st.sampled_from(["values", "describe", "plot"]),
       st.sampled_from([[], ["--steps", "50"], ["--steps", str(10**40)], ["--at", "0,1," + str(2**60)]]))
def prop_cli(text, command, extra):
    if command != "values" and "--at" in extra:
        extra = []
    env = {**os.environ, "PYTHONWARNINGS": "default"}
    r = subprocess.run([sys.executable, "-m", "lrkit", command, text, *extra], capture_output=True,
                       text=True, timeout=30, env=env)
    assert r.returncode in (0, 2), (text, extra, r.returncode, r.stderr[-2000:])
    assert "Traceback" not in r.stderr and "Warning" not in r.stderr, (text, extra, r.stderr[-2000:])
    if r.returncode == 2:
        assert r.stderr.startswith("lrkit: error:") or "usage:" in r.stderr, r.stderr


# -- the tests: one child process per target, with a timeout -------------------------------------

def _run_child(prop: str) -> None:
    code = ("import importlib.util, sys\n"
            f"sys.path.insert(0, {os.path.dirname(os.path.dirname(os.path.abspath(__file__)))!r})\n"
            "import tests.test_fuzz as m\n"
            f"m.{prop}()\n")
    try:
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           timeout=CHILD_TIMEOUT)
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"")[-3000:] if isinstance(e.stdout, bytes) else (e.stdout or "")[-3000:]
        pytest.fail(f"{prop} did not finish in {CHILD_TIMEOUT} s (a hang in C code?)\n{out}")
    assert r.returncode == 0, f"{prop} failed:\n{r.stdout[-6000:]}\n{r.stderr[-6000:]}"


@pytest.mark.parametrize("prop", ["prop_specs", "prop_configs", "prop_constructors", "prop_steps",
                                  "prop_cli"])
def test_fuzz(prop):
    _run_child(prop)
