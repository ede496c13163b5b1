"""Token (and sample) clocks: the schedule counts tokens, each update advances by its own count,
the position is an exact integer, fractions resolve against total_tokens, resume is bit-exact."""

from __future__ import annotations

import json
import random

import pytest

import lrkit


class Opt:
    def __init__(self, lrs=(0.1,)) -> None:
        self.param_groups = [{"lr": lr} for lr in lrs]


def token_counts(seed: int, n: int) -> list[int]:
    rng = random.Random(seed)
    return [rng.choice([0, 1, 4096, rng.randint(1, 10**6)]) for _ in range(n)]


def test_each_update_advances_by_its_tokens() -> None:
    s = lrkit.warmup(lrkit.cosine(10**8, end=0.1), 10**6)
    o = Opt((0.1, 0.3))
    sch = lrkit.Scheduler(o, s, unit="tokens")
    seen = 0
    for n in token_counts(1, 300):
        sch.step(tokens=n)
        seen += n
        assert sch.last_epoch == seen
        assert [g["lr"] for g in o.param_groups] == [0.1 * s(seen), 0.3 * s(seen)]  # bit for bit


def test_fractions_resolve_against_total_tokens() -> None:
    o = Opt()
    sch = lrkit.Scheduler(o, "wsd('rest', '5%', '20%')", unit="tokens", total_tokens=2 * 10**9)
    assert sch.schedules[0] == lrkit.wsd(2 * 10**9, 10**8, 4 * 10**8)
    with pytest.raises(ValueError, match="total_steps"):
        lrkit.Scheduler(Opt(), "cosine('rest')", unit="tokens", total_steps=100)
    with pytest.raises(ValueError, match="unit"):
        lrkit.Scheduler(Opt(), "cosine(10)", unit="bytes")


def test_resume_mid_run_is_bit_exact() -> None:
    s = lrkit.wsd(10**9, 10**7, 2 * 10**8, shape="cosine")
    counts = token_counts(2, 400)
    whole = lrkit.Scheduler(Opt(), s, unit="tokens")
    trace = []
    for n in counts:
        whole.step(tokens=n)
        trace.append(whole.optimizer.param_groups[0]["lr"])
    o1 = Opt()
    first = lrkit.Scheduler(o1, s, unit="tokens")
    for n in counts[:150]:
        first.step(tokens=n)
    saved = json.loads(json.dumps(first.state_dict()))
    assert saved["unit"] == "tokens" and isinstance(saved["last_epoch"], int)
    o2 = Opt()
    second = lrkit.Scheduler(o2, s, unit="tokens")
    second.load_state_dict(saved)
    resumed = [o1.param_groups[0]["lr"]]
    for n in counts[150:]:
        second.step(tokens=n)
        resumed.append(o2.param_groups[0]["lr"])
    assert resumed == trace[149:]
    # a state counted in tokens does not load into a step clock, and the other way round
    with pytest.raises(ValueError, match="counts tokens"):
        lrkit.Scheduler(Opt(), s).load_state_dict(saved)


def test_wrong_calls_are_clean_errors() -> None:
    tok = lrkit.Scheduler(Opt(), "cosine(1000)", unit="tokens")
    with pytest.raises(TypeError, match=r"step\(tokens=n\)"):
        tok.step()
    with pytest.raises(ValueError, match="tokens"):
        tok.step(tokens=-1)
    with pytest.raises(ValueError, match="tokens"):
        tok.step(tokens=1.5)
    with pytest.raises(TypeError, match="samples"):
        tok.step(samples=3)
    with pytest.raises(TypeError, match="not both"):
        tok.step(5, tokens=3)
    tok.step(500)  # a jump to a position
    assert tok.last_epoch == 500
    steps = lrkit.Scheduler(Opt(), "cosine(1000)")
    with pytest.raises(TypeError, match="unit='tokens'"):
        steps.step(tokens=3)
    smp = lrkit.Scheduler(Opt(), "cosine(1000)", unit="samples")
    smp.step(samples=32)
    assert smp.last_epoch == 32


def test_torch_on_optimizer_step_counts_the_added_tokens() -> None:
    torch = pytest.importorskip("torch")
    import lrkit.torch as LT

    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.1)
    s = lrkit.cosine(10**6, end=0.01)
    sch = LT.Scheduler(opt, s, unit="tokens", on_optimizer_step=True)
    seen = 0
    for n in token_counts(3, 50):
        for part in (n // 2, n - n // 2):  # two micro-batches of one update
            sch.add(tokens=part)
        p.grad = torch.ones(1)
        opt.step()
        seen += n
        assert sch.last_epoch == seen
        assert opt.param_groups[0]["lr"] == 0.1 * s(seen)
    with pytest.raises(TypeError, match="add"):
        sch.step(tokens=5)
    plain = LT.Scheduler(torch.optim.SGD([p], lr=0.1), s, unit="tokens")
    plain.optimizer.step()
    plain.step(tokens=7)
    assert plain.last_epoch == 7
    with pytest.raises(TypeError, match="on_optimizer_step"):
        plain.add(tokens=3)
