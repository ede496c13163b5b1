"""LLM pretraining schedules: the WSD family's decay shapes, branches off one stable phase,
the continued-pretraining schedules by name (checked against their published descriptions),
and resume mid-stage on a token clock with a batch ramp."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrkit


class Opt:
    def __init__(self, lr: float = 1.0) -> None:
        self.param_groups = [{"lr": lr}]

    def step(self) -> None:
        pass


# -- the WSD family -----------------------------------------------------------------------------

PEAK, END = 3e-3, 3e-5
S0, D = 800, 200  # decay from step 800 to 1000


def _q(t: int) -> float:
    return (t - S0) / D


@pytest.mark.parametrize("shape, f", [
    ("linear", lambda q: 1 - q),
    ("cosine", lambda q: 0.5 * (1 + math.cos(math.pi * q))),
    ("1-sqrt", lambda q: 1 - math.sqrt(q)),
    ("square", lambda q: 1 - q * q),
])
def test_decay_shapes_are_their_formulas(shape, f) -> None:
    s = lrkit.wsd(1000, 100, D, peak=PEAK, end=END, shape=shape)
    assert s(S0) == PEAK and s(1000) == END and s(5000) == END
    for t in range(S0, 1001, 7):
        assert s(t) == pytest.approx(END + (PEAK - END) * f(_q(t)), rel=1e-14, abs=1e-19)


def test_exponential_decay_is_geometric() -> None:
    s = lrkit.wsd(1000, 100, D, peak=PEAK, end=END, shape="exponential")
    assert s(S0 - 1) == s(S0) == PEAK and s(1000) == END and s(10**6) == END
    for t in range(S0, 1001, 3):
        q = _q(t)
        assert s(t) == pytest.approx(PEAK ** (1 - q) * END ** q, rel=1e-14)
    # the geometric mean halfway, and equal ratios for equal steps
    assert s(900) == pytest.approx(math.sqrt(PEAK * END), rel=1e-15)
    assert s(850) / s(800) == pytest.approx(s(950) / s(900), rel=1e-13)


@pytest.mark.parametrize("kw", [dict(end=0.0), dict(end=-1e-5), dict(peak=-1.0, end=-0.1)])
def test_exponential_needs_positive_values(kw) -> None:
    with pytest.raises(ValueError, match="shape='exponential' needs peak > 0 and end > 0"):
        lrkit.wsd(100, 10, 20, shape="exponential", **kw)
    with pytest.raises(ValueError, match="warmup_shape must be one of"):
        lrkit.wsd(100, 10, 20, warmup_shape="square")


def test_a_floor_is_end_for_lowered_linear_and_cosine() -> None:
    # "lowered linear" / cosine-to-floor: end= is the floor the decay ends on
    lin = lrkit.wsd(1000, 0, 500, peak=1.0, end=0.1, shape="linear")
    assert lin(750) == pytest.approx(0.55, rel=1e-15) and lin(1000) == 0.1
    cos = lrkit.wsd(1000, 0, 500, peak=1.0, end=0.1, shape="cosine")
    assert cos(750) == pytest.approx(0.55, rel=1e-15) and cos(1000) == 0.1


@pytest.mark.parametrize("shape", ["square", "exponential"])
def test_every_evaluation_path_gives_the_same_values(shape) -> None:
    np = pytest.importorskip("numpy")
    s = lrkit.wsd(1000, 100, 300, peak=2e-3, end=2e-5, shape=shape, warmup_shape="cosine")
    steps = np.arange(0, 1100, dtype=np.float64)
    scalar = np.array([s(int(t)) for t in steps])
    formula = np.array([s._eval(float(t), lrkit.schedule.SCALAR) for t in steps])
    assert np.array_equal(scalar, formula)  # the derived fast path is the formula
    assert np.array_equal(s(steps), scalar)
    torch = pytest.importorskip("torch")  # torch's and JAX's pow may differ from libm's by an ulp
    assert np.allclose(s(torch.from_numpy(steps)).numpy(), scalar, rtol=1e-15, atol=0)
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    got = np.asarray(jax.jit(s)(jax.numpy.asarray(steps)))
    assert np.allclose(got, scalar, rtol=1e-14, atol=0)


@settings(max_examples=60, deadline=2000)
@given(w=st.integers(0, 50), d=st.integers(1, 300), extra=st.integers(0, 300),
       peak=st.floats(1e-6, 10), ratio=st.floats(1e-4, 0.99),
       shape=st.sampled_from(["square", "exponential"]))
def test_decays_are_monotone_and_end_exactly(w, d, extra, peak, ratio, shape) -> None:
    end = peak * ratio
    n = w + d + extra
    s = lrkit.wsd(n, w, d, peak=peak, end=end, shape=shape)
    vals = [s(t) for t in range(n - d, n + 2)]
    assert all(a >= b for a, b in zip(vals, vals[1:]))
    assert vals[0] == pytest.approx(peak, rel=1e-15) and s(n) == end  # end + (peak − end): an ulp
    assert lrkit.parse(repr(s)) == s == lrkit.from_config(json.loads(json.dumps(s.to_config())))


# -- branches off one stable phase --------------------------------------------------------------

def test_branches_equal_the_shared_run_up_to_their_decay() -> None:
    starts, L = [2000, 5000, 8000], 1000
    branches = lrkit.wsd_branches(300, starts, L, peak=3e-4, end=3e-6, shape="exponential")
    assert [b.decay_start for b in branches] == starts
    assert [b.duration for b in branches] == [s + L for s in starts]
    shared = branches[-1]
    for b, d in zip(branches, starts):
        assert [b(t) for t in range(d + 1)] == [shared(t) for t in range(d + 1)]  # bit for bit
        assert b(d + L) == 3e-6
        assert b is shared or b(d + L // 2) < shared(d + L // 2)
    assert branches[0] == lrkit.wsd(3000, 300, 1000, peak=3e-4, end=3e-6, shape="exponential")


@pytest.mark.parametrize("unit, k", [("steps", 1), ("tokens", 4096)])  # k units per update
def test_a_checkpoint_of_the_shared_run_resumes_into_each_branch(unit, k) -> None:
    starts, L = [600, 1500, 2400], 400  # in updates
    branches = lrkit.wsd_branches(100 * k, [d * k for d in starts], L * k, end=0.01)

    def advance(s: lrkit.Scheduler, n: int) -> list[float]:
        out = []
        for _ in range(n):
            s.step() if unit == "steps" else s.step(tokens=k)
            out.append(s.optimizer.param_groups[0]["lr"])
        return out

    shared = lrkit.Scheduler(Opt(0.5), branches[-1], unit=unit)
    done = 0
    for b, d in zip(branches, starts):
        advance(shared, d - done)  # the shared run, checkpointed at the branch's decay start
        done = d
        state = json.loads(json.dumps(shared.state_dict()))
        branch = lrkit.Scheduler(Opt(0.5), b, unit=unit)
        branch.load_state_dict(state, on_change="continue")
        assert branch.last_epoch == d * k
        fresh = advance(lrkit.Scheduler(Opt(0.5), b, unit=unit), d + L + 5)
        assert branch.optimizer.param_groups[0]["lr"] == fresh[d - 1]
        assert advance(branch, L + 5) == fresh[d:]  # bit for bit, into the decay and after it


def test_branch_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="strictly increasing"):
        lrkit.wsd_branches(10, [500, 400], 100)
    with pytest.raises(ValueError, match="at least one"):
        lrkit.wsd_branches(10, [], 100)
    with pytest.raises(ValueError, match=">= 10"):
        lrkit.wsd_branches(10, [5, 400], 100)
    with pytest.raises(TypeError, match="decay_starts"):
        lrkit.wsd_branches(10, 500, 100)


# -- continued pretraining, by name -------------------------------------------------------------

def test_deepseek_v3_schedule_as_published() -> None:
    # DeepSeek-V3 report §4.2: 0 -> 2.2e-4 over the first 2K steps; constant until 10T tokens;
    # cosine to 2.2e-5 over 4.3T tokens; 2.2e-5 for 333B tokens, then 7.3e-6 for the last 167B.
    # Its first 2K steps at the ramp's first batch (3072 sequences of 4K tokens) are W tokens.
    W = 2000 * 3072 * 4096
    s = lrkit.constant_cooldown(10e12, 4.3e12, warmup=W, peak=2.2e-4, end=2.2e-5,
                                tail=[333e9, 167e9], tail_values=[2.2e-5, 7.3e-6])
    assert s(0) == 0.0 and s(W // 2) == pytest.approx(1.1e-4, rel=1e-15) and s(W) == 2.2e-4
    assert s(10e12 - 1) == 2.2e-4 == s(10e12)
    assert s(10e12 + 2.15e12) == pytest.approx((2.2e-4 + 2.2e-5) / 2, rel=1e-14)
    assert s(14.3e12) == 2.2e-5 == s(14.3e12 + 333e9 - 1)
    assert s(14.3e12 + 333e9) == 7.3e-6 == s(14.8e12) == s(20e12)
    assert s.duration == 14.633e12
    for t in (10.5e12, 12e12, 14e12):
        q = (t - 10e12) / 4.3e12
        assert s(t) == pytest.approx(2.2e-5 + (2.2e-4 - 2.2e-5) * 0.5 * (1 + math.cos(math.pi * q)),
                                     rel=1e-12)


def test_infinite_schedule_follows_its_four_phases() -> None:
    # Ibrahim et al. 2024 §7.2: linear warmup to η_max, cosine cooldown to η_const, constant,
    # then an exponential anneal from η_const to η_min.
    s = lrkit.infinite(10_000, 100, 900, 2000, peak=3e-4, const=1e-4, end=1e-5)
    assert s(0) == 0 and s(50) == pytest.approx(1.5e-4, rel=1e-15) and s(100) == 3e-4
    for t in (100, 400, 550, 999):
        q = (t - 100) / 900
        assert s(t) == pytest.approx(1e-4 + 2e-4 * 0.5 * (1 + math.cos(math.pi * q)), rel=1e-14)
    assert s(1000) == s(5000) == s(7999) == 1e-4
    for t in (8000, 8500, 9000, 9999):
        q = (t - 8000) / 2000
        assert s(t) == pytest.approx(1e-4 * (1e-5 / 1e-4) ** q, rel=1e-14)
    assert s(10_000) == 1e-5 == s(10**7)
    # a longer run is the same until its anneal starts
    longer = lrkit.infinite(50_000, 100, 900, 2000, peak=3e-4, const=1e-4, end=1e-5)
    assert [longer(t) for t in range(0, 8000, 13)] == [s(t) for t in range(0, 8000, 13)]
    with pytest.raises(ValueError, match="const"):
        lrkit.infinite(100, 10, 10, 10, const=0.0)
    with pytest.raises(ValueError, match="must be <= steps"):
        lrkit.infinite(100, 10, 50, 50)


def test_rewarm_warms_up_again_then_decays() -> None:
    # Ibrahim et al. 2024: continue from the previous run's final lr (its floor), warm up
    # linearly to the new peak, cosine-decay to the floor.
    s = lrkit.rewarm(1000, 10, peak=3e-4, start=3e-5, end=3e-5)
    assert s(0) == 3e-5 and s(5) == pytest.approx(1.65e-4, rel=1e-15) and s(10) == 3e-4
    for t in (10, 300, 505, 999):
        q = (t - 10) / 990
        assert s(t) == pytest.approx(3e-5 + 2.7e-4 * 0.5 * (1 + math.cos(math.pi * q)), rel=1e-14)
    assert s(1000) == 3e-5
    lin = lrkit.rewarm(1000, 10, peak=1.0, shape="linear")
    assert lin(505) == pytest.approx(0.5, rel=1e-15)
    with pytest.raises(ValueError, match="warmup"):
        lrkit.rewarm(100, 100)


def test_wsds_decays_at_the_end_of_every_period_and_restarts_at_the_peak() -> None:
    # Wen et al. 2024 (WSD-S): one run, decayed at the end of each period; the next period goes
    # on from the decayed model at the peak lr, without a second warmup.
    s = lrkit.wsds([1000, 2000, 4000], 100, warmup=50, peak=1.0, end=0.1, shape="linear")
    assert s(0) == 0.1 and s(50) == 1.0 and s(899) == 1.0  # the wsd warmup starts from end
    assert s(950) == pytest.approx(0.55, rel=1e-15) and s(999) == pytest.approx(0.109, rel=1e-13)
    assert s(1000) == 1.0 and s(1899) == 1.0 and s(1950) == pytest.approx(0.55, rel=1e-15)
    assert s(2000) == 1.0 and s(3900) == 1.0 and s(4000) == 0.1 == s(10**6)
    per = lrkit.wsds([1000, 2000], [100, 300], shape="1-sqrt")
    assert per(1700) == 1.0 and per(1850) == pytest.approx(1 - math.sqrt(0.5), rel=1e-14)
    with pytest.raises(ValueError, match="shorter than its decay"):
        lrkit.wsds([1000, 1050], 100)
    with pytest.raises(ValueError, match="one per period"):
        lrkit.wsds([1000, 2000], [100])


NAMED = [
    lrkit.rewarm(1000, 10, peak=2.0, start=0.1, end=0.1),
    lrkit.rewarm("100%", "1%", shape="exponential", end=0.01),
    lrkit.infinite(1000, 10, 100, 200, const=0.3, end=0.03),
    lrkit.infinite("100%", "1%", "10%", "20%"),
    lrkit.wsds([300, 600, 1000], 50, warmup=10, shape="square"),
    lrkit.wsds([300, 600, 1000], [50, 60, 70]),
    lrkit.constant_cooldown(800, 200, warmup=50, end=0.1, tail=[30, 20], tail_values=[0.1, 0.03]),
    lrkit.constant_cooldown("80%", "15%", shape="1-sqrt"),
]


@pytest.mark.parametrize("s", NAMED, ids=repr)
def test_named_schedules_round_trip_and_agree_on_every_path(s) -> None:
    np = pytest.importorskip("numpy")
    assert lrkit.parse(repr(s)) == s
    assert lrkit.from_config(json.loads(json.dumps(s.to_config()))) == s
    assert repr(s).startswith(type(s).name + "(")
    r = s.resolve(1000)
    t = np.arange(0, 1200, dtype=np.float64)
    assert np.array_equal(r(t), np.array([r(int(x)) for x in t]))
    assert lrkit.parse(repr(r)) == r and r.composition == r.composition
    with pytest.raises(ValueError, match="unresolved") if not s.resolved else _nothing():
        s(5)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


# -- resume mid-stage on a token clock with a batch ramp ---------------------------------------

SEQ = 1024  # tokens per sample


def _ramp_run(schedule: lrkit.Schedule, batch: lrkit.Schedule, n: int, sched: lrkit.Scheduler,
              ) -> list[tuple[int, float]]:
    out = []
    for _ in range(n):
        size = int(batch(sched.last_epoch))  # samples in this update: the ramp at the tokens seen
        sched.optimizer.step()
        sched.step(tokens=size * SEQ)
        out.append((sched.last_epoch, sched.optimizer.param_groups[0]["lr"]))
    return out


@pytest.mark.parametrize("driver", ["lrkit", "torch"])
def test_resume_mid_stage_in_tokens_with_a_batch_ramp_is_bit_exact(driver) -> None:
    batch = lrkit.batch_ramp(32, 32, 256, 64 * 10**6)  # 32 -> 256 sequences over 64M tokens
    lr = lrkit.warmup(lrkit.wsd(10**9, 0, 2 * 10**8, end=0.01, shape="exponential"), 10**7)
    s = lrkit.scale_by_batch(lr, batch, 256, rule="sqrt")

    def scheduler(opt: object) -> lrkit.Scheduler:
        if driver == "torch":
            torch = pytest.importorskip("torch")
            from lrkit.torch import Scheduler

            opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=3e-4)
            return Scheduler(opt, s, unit="tokens")
        return lrkit.Scheduler(opt, s, unit="tokens")

    whole = _ramp_run(s, batch, 900, scheduler(Opt(3e-4)))
    for cut in (1, 150, 700, 873):  # inside stages, and where the batch size changed
        a = scheduler(Opt(3e-4))
        first = _ramp_run(s, batch, cut, a)
        state = json.loads(json.dumps(a.state_dict()))
        b = scheduler(Opt(3e-4))
        b.load_state_dict(state)
        assert b.optimizer.param_groups[0]["lr"] == first[-1][1]
        assert first + _ramp_run(s, batch, 900 - cut, b) == whole
    sizes = {int(batch(t)) for t, _ in whole}
    assert len(sizes) == 8  # the run went through every stage of the ramp
