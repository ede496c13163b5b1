"""The relative/absolute trap (issue 15, part 1): Scheduler's default relative=None checks that a
factor schedule does not hold absolute lrs; explicit relative=True/False skip the check."""

from __future__ import annotations

import json
import warnings

import pytest

import lrkit
from lrkit.factor_check import AbsoluteLrWarning, start_and_peak

torch = pytest.importorskip("torch")
torch.set_num_threads(1)


def _opt(lr=0.1, groups=1):
    ps = [torch.nn.Parameter(torch.zeros(1)) for _ in range(groups)]
    return torch.optim.SGD([{"params": [p], "lr": lr * (i + 1)} for i, p in enumerate(ps)], lr=lr)


def test_cosine_annealing_readme_row_is_refused():
    # the README's old row: CosineAnnealingLR(T_max, eta_min) -> cosine(T_max, start=base_lr, end=eta_min)
    text = "cosine(100, start=0.1, end=0.001)"
    with pytest.raises(ValueError) as e:
        lrkit.Scheduler(_opt(0.1), text)
    msg = str(e.value)
    assert repr(text) in msg  # the user's text
    assert "0.01 instead of 0.1" in msg  # the lr it would give
    assert "relative=False" in msg and "cosine(100, end=0.01)" in msg  # both fixes


@pytest.mark.parametrize("text", [
    "warmup(cosine(1000, start=0.1, end=0.001), 50)",
    "restarts(cosine(20, start=0.1, end=0.001), 20, mult=2)",
    "onecycle(500, peak=0.1)",
    "wsd(1000, 100, 200, peak=0.1)",
    "piecewise([30, 60], [0.1, 0.01, 0.001])",
])
def test_absolute_shapes_are_refused_at_their_peak(text):
    with pytest.raises(ValueError, match="holds absolute lr values"):
        lrkit.Scheduler(_opt(0.1), text)


def test_any_group_base_counts():
    opt = _opt(0.1, groups=2)  # lrs 0.1 and 0.2
    with pytest.raises(ValueError, match=r"param_groups\[1\]"):
        lrkit.Scheduler(opt, "cosine(100, start=0.2)")


def test_tiny_peak_warns_with_both_readings():
    with pytest.warns(AbsoluteLrWarning) as w:
        s = lrkit.Scheduler(_opt(0.1), "cosine(100, start=3e-4)")
    msg = str(w[0].message)
    assert "3e-05" in msg and "relative=False" in msg and "relative=True" in msg
    assert s.optimizer.param_groups[0]["lr"] == pytest.approx(3e-5)  # still the factor reading


def test_explicit_choices_skip_the_check():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt = _opt(0.1)
        lrkit.Scheduler(opt, "cosine(100, start=0.1)", relative=True)
        assert opt.param_groups[0]["lr"] == pytest.approx(0.01)
        opt = _opt(0.1)
        lrkit.Scheduler(opt, "cosine(100, start=0.1)", relative=False)
        assert opt.param_groups[0]["lr"] == 0.1
        opt = _opt(0.1)
        lrkit.Scheduler(opt, "cosine(100, start=3e-4)", relative=True)


def test_correct_factors_pass_silently():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for text in ["warmup(cosine(1000, end=0.1), 100)", "linear(10, start=0.1, end=1.0)",
                     "cosine(100, end=0.01)", "constant()", "step(30, gamma=0.1)"]:
            lrkit.Scheduler(_opt(0.1), text)
        lrkit.Scheduler(_opt(1.0), "cosine(100, start=1.0)")  # base 1: factor and lr agree


def test_fractions_checked_once_the_total_is_known():
    with pytest.raises(ValueError, match="holds absolute lr values"):
        lrkit.Scheduler(_opt(0.1), "warmup(cosine('rest', start=0.1), '5%')", total_steps=1000)


def test_peak_of_a_long_run_is_found_cheaply():
    s = lrkit.parse("warmup(cosine(1000000000, start=0.1), 12345)")
    assert start_and_peak(s) == (0.0, 0.1)
    s = lrkit.parse("join([constant(0.5), linear(100000000, start=0.1, end=0.7)], [777777])")
    assert start_and_peak(s)[1] == pytest.approx(0.7)


def test_state_dicts_load_unchanged():
    opt = _opt(0.1)
    s = lrkit.Scheduler(opt, "cosine(100, end=0.1)")
    for _ in range(7):
        s.step()
    sd = json.loads(json.dumps(s.state_dict()))
    assert sd["tracks"][0]["relative"] is True  # the default is saved as the factor it is
    for relative in (None, True):
        t = lrkit.Scheduler(_opt(0.1), "cosine(100, end=0.1)", relative=relative)
        t.load_state_dict(sd)
        assert t.last_epoch == 7 and t.optimizer.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    a = lrkit.Scheduler(_opt(0.1), "cosine(100, start=0.1)", relative=False)
    a.step(3)
    sd = json.loads(json.dumps(a.state_dict()))
    b = lrkit.Scheduler(_opt(0.1), "cosine(100, start=0.1)", relative=False)
    b.load_state_dict(sd)
    assert b.optimizer.param_groups[0]["lr"] == a.optimizer.param_groups[0]["lr"]


def test_config_leaves_relative_to_the_check(tmp_path):
    from lrkit.config import loads_config

    cfg = loads_config('{"schedule": "cosine(100, start=0.1)"}')
    assert cfg.relative is None
    from lrkit.config import _driver_args  # the adapters' entry (Lightning, HF Trainer)

    sched, options = _driver_args(cfg, lambda: 100)
    with pytest.raises(ValueError, match="holds absolute lr values"):
        lrkit.Scheduler(_opt(0.1), sched, **options)
    cfg = loads_config('{"schedule": "cosine(100, start=0.1)", "relative": false}')
    sched, options = _driver_args(cfg, lambda: 100)
    lrkit.Scheduler(_opt(0.1), sched, **options)
    with pytest.raises(ValueError, match="relative must be true or false"):
        loads_config('{"schedule": "cosine(100)", "relative": "yes"}')


def test_lightning_and_torch_twin_check_too():
    import lrkit.torch as lt
    from lrkit.lightning import scheduler_config

    with pytest.raises(ValueError, match="holds absolute lr values"):
        lt.Scheduler(_opt(0.1), "cosine(100, start=0.1)")
    with pytest.raises(ValueError, match="holds absolute lr values"):
        scheduler_config(_opt(0.1), "cosine(100, start=0.1)")
    assert scheduler_config(_opt(0.1), "cosine(100, start=0.1)", relative=False)["scheduler"]


def test_relative_must_be_none_or_bool():
    with pytest.raises(TypeError, match="relative must be None"):
        lrkit.Scheduler(_opt(), "cosine(10)", relative="yes")
