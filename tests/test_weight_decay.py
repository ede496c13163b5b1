"""The weight-decay view: AdamW's timescale 1/(η·λ) and the weight of each update in the final
parameters, against hand-derived values, a direct product loop and a real torch AdamW; and the
CLI (describe/plot --weight-decay, the batch curve of a batch ramp)."""

from __future__ import annotations

import json
import math

import pytest

import lrkit
from lrkit.cli import main
from lrkit.weight_decay import timescales, update_weights, weight_curve, weight_decay_view

np = pytest.importorskip("numpy")


def direct(etas: list[float], lam: float) -> list[float]:
    """w_t = η_t·Π_{s>t}(1 − η_s·λ), each product multiplied out on its own (O(n²))."""
    out = []
    for t in range(len(etas)):
        p = 1.0
        for s in range(len(etas) - 1, t, -1):  # the same order as a running product from the end
            p *= 1.0 - etas[s] * lam
        out.append(etas[t] * p)
    return out


def test_constant_lr_gives_a_geometric_average() -> None:
    # η = 0.1, λ = 0.1: w_t = 0.1·0.99^(n−1−t), τ = 100 updates, P_0 = 0.99^n
    s = lrkit.constant(0.1)
    w = update_weights(s, 0.1, 50)
    assert w.tolist() == pytest.approx([0.1 * 0.99 ** (49 - t) for t in range(50)], rel=1e-14)
    assert timescales(s, 0.1, 50).tolist() == pytest.approx([100.0] * 50, rel=1e-15)
    v = weight_decay_view(s, 0.1, 50)
    assert v.initial_weight == pytest.approx(0.99**50, rel=1e-14)
    assert 0.1 * v.total_weight + v.initial_weight == pytest.approx(1.0, rel=1e-13)  # λ·Σw + P_0 = 1
    # half of Σ w from the last k updates: 0.99^k <= (1 + 0.99^50)/2
    k = math.ceil(math.log((1 + 0.99**50) / 2) / math.log(0.99))
    assert v.half_weight_updates == k


@pytest.mark.parametrize("spec", [
    "warmup(linear(900, start=1e-3), 100)",
    "wsd(600, 50, 200, peak=2e-3, end=2e-5, shape='exponential')",
    "infinite(700, 20, 100, 100, peak=3e-3, const=1e-3, end=1e-4)",
])
def test_weights_equal_the_direct_product_loop(spec) -> None:
    s = lrkit.parse(spec)
    lam = 0.1
    n = int(s.duration)
    etas = [s(t) for t in range(n)]
    assert update_weights(s, lam).tolist() == direct(etas, lam)  # bit for bit
    tau = timescales(s, lam)
    assert [x for x in tau.tolist() if math.isfinite(x)] == [1 / (e * lam) for e in etas if e > 0]


def test_weights_are_what_torch_adamw_does_to_the_updates() -> None:
    torch = pytest.importorskip("torch")
    import lrkit.torch

    # decoupled weight decay on a parameter whose Adam step is 0: θ_n = P_0·θ_0
    s = lrkit.wsd(40, 5, 10, peak=0.05, end=0.001)
    p = torch.nn.Parameter(torch.ones(1, dtype=torch.float64))
    opt = torch.optim.AdamW([p], lr=1.0, weight_decay=0.3)
    sched = lrkit.torch.Scheduler(opt, s)
    for _ in range(40):
        p.grad = torch.zeros(1, dtype=torch.float64)
        opt.step()
        sched.step()
    assert p.item() == pytest.approx(weight_decay_view(s, 0.3).initial_weight, rel=1e-13)


def test_lr_scales_the_schedule_and_bad_input_is_named() -> None:
    s = lrkit.cosine(100)
    assert update_weights(s * 3e-4, 0.1).tolist() == update_weights(s, 0.1, lr=3e-4).tolist()
    with pytest.raises(ValueError, match="weight_decay"):
        weight_decay_view(s, 0.0)
    with pytest.raises(ValueError, match="lr"):
        weight_decay_view(s, 0.1, lr=-1.0)
    with pytest.raises(ValueError, match=r"1 − η·λ must stay in \[0, 1\]"):
        weight_decay_view(lrkit.constant(20.0), 0.1, 10)
    with pytest.raises(ValueError, match="steps"):
        weight_decay_view(lrkit.cosine("rest"), 0.1)


def test_weight_curve_is_exact_on_short_runs() -> None:
    s = lrkit.wsd(500, 50, 100)
    c = weight_curve(s, 0.01, lr=1e-2)
    w = update_weights(s, 0.01, lr=1e-2)
    assert [c(t) for t in range(500)] == w.tolist()


# -- the command line ----------------------------------------------------------------------------

def test_describe_with_weight_decay(capsys) -> None:
    assert main(["describe", "wsd(1000, 100, 200)", "--weight-decay", "0.1", "--lr", "1e-3"]) == 0
    out = capsys.readouterr().out
    assert "weight decay λ = 0.1" in out and "lr = 0.001 × the schedule" in out
    assert "min 1e+04 at step 100" in out  # τ = 1/(1e-3·0.1) at the peak
    assert main(["describe", "wsd(1000, 100, 200)", "--weight-decay", "0.1", "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["weight_decay"]["updates"] == 1000 and row["weight_decay"]["timescale_min"] == 10.0
    assert main(["describe", "constant(30.0)", "--steps", "5", "--weight-decay", "0.1"]) == 2
    assert "1 − η·λ" in capsys.readouterr().err


BATCHED = repr(lrkit.scale_by_batch(lrkit.wsd(10_000, 100, 2000), lrkit.batch_ramp(64, 64, 512, 3500), 512))


def test_describe_shows_the_batch_curve_of_a_ramp(capsys) -> None:
    assert main(["describe", BATCHED]) == 0
    out = capsys.readouterr().out
    assert "batch    64 at step 0 -> 512 at step 10000; changes at 500: 128, 1000: 192" in out
    assert main(["describe", BATCHED, "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["batch"][0]["changes"][:2] == [[500, 128.0], [1000, 192.0]]


def test_plot_draws_the_batch_and_the_update_weights(capsys, tmp_path) -> None:
    assert main(["plot", BATCHED, "--weight-decay", "0.1", "--lr", "1e-3", "--width", "60",
                 "--height", "10", "--ascii"]) == 0
    out = capsys.readouterr().out
    assert "\nbatch\n" in out and "\nupdate weight\n" in out
    pytest.importorskip("matplotlib")
    path = tmp_path / "p.png"
    assert main(["plot", BATCHED, "--weight-decay", "0.1", "-o", str(path)]) == 0
    assert path.stat().st_size > 10_000
