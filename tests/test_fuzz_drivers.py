"""Fuzzing the drivers: the 15 torch-compatible classes' constructors and corrupted state dicts.

Each property: a clean ``ValueError``/``TypeError`` (torch's own ``KeyError`` for a missing
``initial_lr`` when resuming with ``last_epoch >= 0``), or a scheduler whose steps give finite
values in range.  A state dict mutated at a random place either loads into a fresh scheduler of
the same class and gives finite values, or is refused cleanly.  As in ``test_fuzz.py`` each
target runs in a child process with a timeout, and each example under an alarm: a hang fails.
"""

from __future__ import annotations

import copy
import json
import math
import os
import random
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrkit
from lrkit import compat

from .test_fuzz import _SETTINGS, CLEAN, ODD_VALUES, _alarm

CHILD_TIMEOUT = 150


class Opt:
    def __init__(self, n: int) -> None:
        self.param_groups = [{"lr": 0.1 * (i + 1), "momentum": 0.9} for i in range(n)]
        self.defaults = {"lr": 0.1, "momentum": 0.9}


odd = st.one_of(st.sampled_from(ODD_VALUES), st.integers(-5, 40), st.floats(-2, 2, allow_nan=False),
                st.sampled_from(["cos", "linear", "triangular", "exp_range", "min", "max", "rel", "abs"]))

ARGS: dict[str, list[str]] = {
    "StepLR": ["step_size", "gamma", "last_epoch"],
    "MultiStepLR": ["milestones", "gamma"],
    "ConstantLR": ["factor", "total_iters"],
    "LinearLR": ["start_factor", "end_factor", "total_iters"],
    "ExponentialLR": ["gamma"],
    "PolynomialLR": ["total_iters", "power"],
    "CosineAnnealingLR": ["T_max", "eta_min"],
    "CosineAnnealingWarmRestarts": ["T_0", "T_mult", "eta_min"],
    "CyclicLR": ["base_lr", "max_lr", "step_size_up", "step_size_down", "mode", "gamma", "scale_mode",
                 "cycle_momentum", "base_momentum", "max_momentum"],
    "OneCycleLR": ["max_lr", "total_steps", "epochs", "steps_per_epoch", "pct_start", "anneal_strategy",
                   "cycle_momentum", "div_factor", "final_div_factor", "three_phase"],
    "ReduceLROnPlateau": ["mode", "factor", "patience", "threshold", "threshold_mode", "cooldown",
                          "min_lr", "eps"],
}
REQUIRED = {"StepLR": ["step_size"], "MultiStepLR": ["milestones"], "ExponentialLR": ["gamma"],
            "CosineAnnealingLR": ["T_max"], "CosineAnnealingWarmRestarts": ["T_0"],
            "CyclicLR": ["base_lr", "max_lr"], "OneCycleLR": ["max_lr"]}


@st.composite
def compat_call(draw):
    name = draw(st.sampled_from(sorted(ARGS)))
    kwargs = {}
    for arg in ARGS[name]:
        if arg in REQUIRED.get(name, []) or draw(st.booleans()):
            if arg == "milestones":
                kwargs[arg] = draw(st.lists(odd, max_size=4))
            else:
                kwargs[arg] = draw(odd)
    return name, kwargs, draw(st.integers(1, 3))


def _finite_lrs(s: Any, opt: Any, where: Any) -> None:
    for g in opt.param_groups:
        assert isinstance(g["lr"], float) and math.isfinite(g["lr"]) and g["lr"] >= 0, (where, g["lr"])


@settings(max_examples=600, **_SETTINGS)
@given(compat_call())
def prop_compat_constructors(call):
    name, kwargs, n = call
    opt = Opt(n)
    with _alarm():
        try:
            s = getattr(compat, name)(opt, **kwargs)
        except CLEAN:
            return
        except KeyError as e:  # torch's own error for last_epoch >= 0 without initial_lr
            assert "initial_lr" in str(e), (name, kwargs, e)
            return
        for t in range(6):
            try:
                s.step(1.0) if name == "ReduceLROnPlateau" else s.step()
            except CLEAN as e:
                assert name == "OneCycleLR" and "Tried to step" in str(e) or "outside the allowed range" in str(e) \
                    or "overflows float64" in str(e), (name, kwargs, t, e)  # e.g. ExponentialLR(gamma=1e308)
                return
            _finite_lrs(s, opt, (name, kwargs, t))


# -- state dicts -----------------------------------------------------------------------------------
SPECS = [("StepLR", {"step_size": 3, "gamma": 0.5}), ("MultiStepLR", {"milestones": [2, 5]}),
         ("ExponentialLR", {"gamma": 0.9}), ("CosineAnnealingLR", {"T_max": 10, "eta_min": 0.01}),
         ("CosineAnnealingWarmRestarts", {"T_0": 3, "T_mult": 2}), ("LinearLR", {}),
         ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 4}),
         ("OneCycleLR", {"max_lr": 0.1, "total_steps": 50}), ("ReduceLROnPlateau", {"patience": 1}),
         ("MultiplicativeLR", {"lr_lambda": lambda e: 0.95}), ("LambdaLR", {"lr_lambda": lambda e: 0.9 ** e})]

junk = st.one_of(st.sampled_from([*ODD_VALUES, {}, {"a": 1}, [None], "lrkit.Scheduler", -1, 2**63]),
                 st.integers(), st.floats(), st.text(max_size=5))


def _paths(x: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(x, dict):
        for k, v in x.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(x, list):
        for i, v in enumerate(x):
            out += _paths(v, (*prefix, i))
    return out


def _mutate(sd: Any, path: tuple, action: str, value: Any) -> Any:
    if not path:
        return value
    parent = sd
    for k in path[:-1]:
        parent = parent[k]
    last = path[-1]
    if action == "delete":
        del parent[last]
    elif action == "add" and isinstance(parent, dict):
        parent[f"x{value!r}"[:8]] = value
    else:
        parent[last] = value
    return sd


@settings(max_examples=500, **_SETTINGS)
@given(st.sampled_from(range(len(SPECS))), st.integers(0, 2**32 - 1), st.sampled_from(["set", "delete", "add"]),
       junk)
def prop_state_dicts(k, seed, action, value):
    name, kwargs = SPECS[k]
    cls = getattr(lrkit, name)
    s = cls(Opt(2), **kwargs)
    for _ in range(4):
        s.step(1.0) if name == "ReduceLROnPlateau" else s.step()
    sd = json.loads(json.dumps(s.state_dict()))
    paths = _paths(sd)
    path = random.Random(seed).choice(paths)
    bad = _mutate(copy.deepcopy(sd), path, action, value)
    opt = Opt(2)
    fresh = cls(opt, **kwargs)
    with _alarm():
        try:
            fresh.load_state_dict(bad)
        except CLEAN:
            return
        for t in range(3):
            try:
                fresh.step(1.0) if name == "ReduceLROnPlateau" else fresh.step()
            except CLEAN as e:
                assert "Tried to step" in str(e) or "outside the allowed range" in str(e), (name, path, e)
                return
            _finite_lrs(fresh, opt, (name, path, action, value, t))


def _run_child(prop: str) -> None:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    code = f"import sys\nsys.path.insert(0, {root!r})\nimport tests.test_fuzz_drivers as m\nm.{prop}()\n"
    try:
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=CHILD_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{prop} did not finish in {CHILD_TIMEOUT} s (a hang)")
    assert r.returncode == 0, f"{prop} failed:\n{r.stdout[-6000:]}\n{r.stderr[-6000:]}"


@pytest.mark.parametrize("prop", ["prop_compat_constructors", "prop_state_dicts"])
def test_fuzz_drivers(prop):
    _run_child(prop)
