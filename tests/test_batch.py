"""Batch-size ramps and lr scaling with the batch size."""

from __future__ import annotations

import json
import math
import random

import pytest

import lrkit


def megatron_batch(consumed: int, start: int, increment: int, final: int, over: int) -> int:
    """Megatron's ramp-up rule, written from its documentation: the batch grows by ``increment``
    every over/num_increments samples, from ``start`` to ``final``."""
    steps = (final - start) // increment
    return min(start + increment * (consumed * steps // over), final)  # exact: consumed // (over/steps)


def test_batch_ramp_follows_megatrons_rule() -> None:
    rng = random.Random(0)
    for _ in range(50):
        inc = rng.choice([16, 32, 64])
        start = inc * rng.randint(1, 4)
        final = start + inc * rng.randint(1, 40)
        over = rng.randint(1000, 10**7)
        ramp = lrkit.batch_ramp(start, inc, final, over)
        for t in [0, 1, over // 3, over - 1, over, over + 5, *[rng.randint(0, 2 * over) for _ in range(20)]]:
            assert ramp(t) == megatron_batch(t, start, inc, final, over), (start, inc, final, over, t)


@pytest.mark.parametrize("rule,p", [("sqrt", 0.5), ("linear", 1.0)])
def test_scale_by_batch_is_the_schedule_times_the_ratio(rule: str, p: float) -> None:
    np = pytest.importorskip("numpy")
    base = lrkit.warmup(lrkit.cosine(90_000, end=0.1), 10_000)
    batch = lrkit.batch_ramp(256, 256, 2048, 30_000)
    s = lrkit.scale_by_batch(base, batch, 512, rule=rule)
    steps = [0, 1, 4_000, 29_999, 30_000, 77_777, 10**6]
    for t in steps:
        assert s(t) == pytest.approx(base(t) * (batch(t) / 512) ** p, rel=1e-15)
    arr = s(np.array(steps, dtype=np.float64))
    assert arr.tolist() == pytest.approx([s(t) for t in steps], rel=1e-15)
    assert lrkit.parse(repr(s)) == s
    assert lrkit.from_config(json.loads(json.dumps(s.to_config()))) == s
    assert s.duration == 100_000


def test_resume_inside_a_stage_is_exact() -> None:
    s = lrkit.scale_by_batch(lrkit.cosine(10**6), lrkit.batch_ramp(128, 128, 1024, 4 * 10**5), 1024)

    class Opt:
        param_groups = [{"lr": 1.0}]

    a = lrkit.Scheduler(Opt(), s, unit="samples")
    counts = [128 * (1 + k // 50) for k in range(400)]
    trace = []
    for n in counts:
        a.step(samples=n)
        trace.append(a.optimizer.param_groups[0]["lr"])
    b = lrkit.Scheduler(Opt(), s, unit="samples")
    for n in counts[:123]:
        b.step(samples=n)
    c = lrkit.Scheduler(Opt(), s, unit="samples")
    c.load_state_dict(json.loads(json.dumps(b.state_dict())))
    rest = []
    for n in counts[123:]:
        c.step(samples=n)
        rest.append(c.optimizer.param_groups[0]["lr"])
    assert rest == trace[123:]


@pytest.mark.parametrize("call,word", [
    (lambda: lrkit.batch_ramp(256, 100, 1024, 1000), "multiple"),
    (lambda: lrkit.batch_ramp(0, 1, 8, 10), "start"),
    (lambda: lrkit.batch_ramp(64, 64, 32, 10), "final"),
    (lambda: lrkit.batch_ramp(1, 1, 10**6, 10), "stages"),
    (lambda: lrkit.scale_by_batch(lrkit.cosine(10), 256, 0), "reference"),
    (lambda: lrkit.scale_by_batch(lrkit.cosine(10), 256, 256, rule="cube"), "rule"),
    (lambda: lrkit.scale_by_batch(lrkit.cosine(10), -1, 256), "batch"),
    (lambda: lrkit.scale_by_batch(lrkit.constant(1e300), 1e300, 1e-300), "overflows"),
    (lambda: lrkit.scale_by_batch(3.0, 256, 256), "schedule"),
])
def test_bad_arguments(call, word) -> None:
    with pytest.raises((ValueError, TypeError), match=word):
        call()


def test_a_constant_batch_is_a_constant_factor() -> None:
    s = lrkit.scale_by_batch(lrkit.linear(10), 1024, 256, rule="sqrt")
    assert s(3) == pytest.approx(lrkit.linear(10)(3) * 2.0) and math.isfinite(s(10**9))
