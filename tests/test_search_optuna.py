"""lrkit.search on the real Optuna: suggest, optimize (pruning, SQLite resume), `lrkit tune`."""

from __future__ import annotations

import json
import pathlib
import sys
import textwrap

import pytest

import lrkit
from lrkit.search import InvalidSample, optimize, space

optuna = pytest.importorskip("optuna")
optuna.logging.set_verbosity(optuna.logging.WARNING)

CHOICES = ("loguniform(0.01, 1.0) * choice(cosine('rest', end=uniform(0, 0.1)), "
           "wsd('rest', randint(0, 30), randint(0, 60), shape=choice('linear', 'cosine')))")


def test_suggest_is_define_by_run_and_records_the_schedule() -> None:
    sp = space(CHOICES, total_steps=100)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=3))
    seen = set()
    for _ in range(12):
        trial = study.ask()
        s = sp.suggest(trial)
        assert trial.user_attrs["schedule"] == repr(s)
        assert lrkit.parse(trial.user_attrs["schedule"]) == s
        assert sp.build(trial.params) == s
        if "wsd(" in repr(s):
            assert set(trial.params) == {"scale", "schedule", "wsd.warmup", "wsd.decay", "wsd.shape"}
        else:
            assert set(trial.params) == {"scale", "schedule", "cosine.end"}
        seen.add(frozenset(trial.params))
        study.tell(trial, 0.0)
    assert len(seen) == 2
    dist = study.trials[0].distributions["scale"]
    assert dist.log and (dist.low, dist.high) == (0.01, 1.0)


def _toy(schedule: lrkit.Schedule, report: object) -> float:
    """A fast deterministic objective: best with the lr about 0.2 through the run."""
    loss = 0.0
    for t in range(0, 100, 10):
        loss += (schedule(t) - 0.2) ** 2
        report(t, loss)  # type: ignore[operator]
    return loss


def test_optimize_in_memory_with_pruning() -> None:
    sp = space("loguniform(0.01, 1.0) * cosine(100, end=uniform(0, 1))")
    res = optimize(_toy, sp, 16, seed=1)
    assert res.trials_run == 16 and res.complete + res.pruned == 16 and res.pruned > 0
    complete = [t for t in res.study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert res.best_value == min(t.value for t in complete)
    assert res.best_value == _toy(res.best_schedule, lambda t, v: None)
    pruned = [t for t in res.study.trials if t.state == optuna.trial.TrialState.PRUNED]
    assert all(len(t.intermediate_values) < 10 for t in pruned)
    assert "complete" in repr(res)
    none = optimize(_toy, sp, 4, pruner=None)
    assert none.pruned == 0 and none.complete == 4


def test_sqlite_persists_and_resumes(tmp_path: pathlib.Path) -> None:
    db = tmp_path / "study.db"
    sp = space("loguniform(0.01, 1.0) * cosine(100, end=uniform(0, 1))")
    first = optimize(_toy, sp, 3, storage=db, pruner=None)
    texts = [t.user_attrs["schedule"] for t in first.study.trials]
    # a crash in the middle of the next session
    calls = []

    def crashing(s: lrkit.Schedule, report: object) -> float:
        calls.append(s)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return _toy(s, report)

    with pytest.raises(KeyboardInterrupt):
        optimize(crashing, sp, 8, storage=str(db), pruner=None)
    resumed = optimize(_toy, sp, 8, storage=f"sqlite:///{db}", pruner=None)
    trials = resumed.study.trials
    assert len(trials) == 8 and resumed.trials_run == 3
    assert [t.user_attrs["schedule"] for t in trials[:3]] == texts
    assert [t.state for t in trials].count(optuna.trial.TrialState.FAIL) == 1
    # a resumed session draws new schedules, not the first session's again
    assert len({t.user_attrs["schedule"] for t in trials if "schedule" in t.user_attrs}) == 8
    again = optimize(_toy, sp, 8, storage=db, pruner=None)
    assert again.trials_run == 0 and again.best_value == resumed.best_value


def test_invalid_samples_fail_their_trial_with_the_reason() -> None:
    sp = space("wsd(100, randint(0, 90), randint(0, 90))")
    res = optimize(lambda s, r: s(50), sp, 12, pruner=None)
    failed = [t for t in res.study.trials if t.state == optuna.trial.TrialState.FAIL]
    assert failed and res.complete + len(failed) == 12
    for t in failed:
        assert "warmup" in t.user_attrs["invalid"] and "must be <= steps" in t.user_attrs["invalid"]
        assert t.params["wsd.warmup"] + t.params["wsd.decay"] > 100
    with pytest.raises(InvalidSample):
        sp.suggest(optuna.trial.FixedTrial({"wsd.warmup": 80, "wsd.decay": 80}))


def test_optimize_bad_arguments() -> None:
    sp = space("cosine(100, end=uniform(0, 1))")
    with pytest.raises(ValueError, match="n_trials"):
        optimize(_toy, sp, 0)
    with pytest.raises(ValueError, match="direction"):
        optimize(_toy, sp, 1, direction="down")
    with pytest.raises(TypeError, match="train_fn must be callable"):
        optimize(None, sp, 1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="seed must be"):
        optimize(_toy, sp, 1, seed=1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="pruner"):
        optimize(_toy, sp, 1, pruner="hyperband")


def test_the_digits_task() -> None:
    pytest.importorskip("sklearn")
    pytest.importorskip("torch")
    from lrkit.search.task import digits

    sp = space("loguniform(0.01, 1.0) * warmup(cosine('rest', end=uniform(0, 0.1)), choice(0, 10))",
               total_steps=60)
    res = optimize(lambda s, r: digits(s, r, steps=60, every=20), sp, 4, seed=0)
    assert res.complete >= 2
    assert res.best_value < 2.3  # better than chance (ln 10)
    # deterministic: the best schedule trains to the same loss again
    assert digits(res.best_schedule, steps=60) == res.best_value


SCRIPT = textwrap.dedent("""
    import os, sys
    import lrkit
    from lrkit.search.command import report, result
    s = lrkit.parse(os.environ["LRKIT_SCHEDULE"])
    if len(sys.argv) > 1:
        assert lrkit.parse(sys.argv[1]) == s
    loss = 0.0
    for t in range(0, 100, 10):
        loss += (s(t) - 0.2) ** 2
        report(t, loss)
    print("some other line")
    if os.environ.get("FAIL_SCRIPT"):
        sys.exit("boom")
    result(loss)
""")


def test_cli_tune(tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str],
                  monkeypatch: pytest.MonkeyPatch) -> None:
    from lrkit.cli import main

    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    db = tmp_path / "tune.db"
    text = "loguniform(0.01, 1.0) * cosine(100, end=uniform(0, 1))"
    args = ["tune", text, "--trials", "3", "--storage", str(db), "--no-prune", "--json", "--",
            sys.executable, str(script), "{schedule}"]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["trials_run"] == 3 and out["complete"] == 3
    best = lrkit.parse(out["best_schedule"])
    assert out["best_value"] == _toy(best, lambda t, v: None)
    args[3] = "4"
    assert main(args) == 0  # resumed: one more
    assert json.loads(capsys.readouterr().out)["trials_run"] == 1
    monkeypatch.setenv("FAIL_SCRIPT", "1")
    args[3] = "5"
    assert main(args[:-1]) == 0  # the fifth trial fails, the study goes on
    out = json.loads(capsys.readouterr().out)
    assert out["trials_run"] == 1 and out["failed"] == 1 and out["complete"] == 4
    study = optuna.load_study(study_name="lrkit", storage=f"sqlite:///{db}")
    failed = [t for t in study.trials if t.state == optuna.trial.TrialState.FAIL]
    assert len(failed) == 1 and "boom" in failed[0].user_attrs["error"]
    assert main(["tune", "cosine(uniform(1, 0))", "--", sys.executable, str(script)]) == 2
    assert "low must be < high" in capsys.readouterr().err
