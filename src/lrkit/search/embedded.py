"""The embedded default: a schedule search on Optuna, in memory or in a SQLite file (resumable).

``train_fn(schedule, report)`` trains with the schedule and returns the objective (a loss,
minimised by default); ``report(step, value)`` hands Optuna an intermediate value, and when the
pruner judges the trial hopeless it raises ``optuna.TrialPruned`` out of ``report`` (let it
propagate: the trial is recorded as pruned).  Each trial's schedule text is recorded as
``trial.user_attrs["schedule"]``; values that make an invalid schedule fail the trial with
``user_attrs["invalid"]`` (the reason) and the search goes on.

With ``storage`` (a file path, or an Optuna storage URL) the study is saved as it runs;
calling :func:`optimize` again with the same storage and ``study_name`` resumes it:
``n_trials`` is the total the study should hold, so a search that was stopped after 7 of 20
trials runs the 13 left.
"""

from __future__ import annotations

import math
import os
import time

from .space import InvalidSample, Space
from .space import space as as_space

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from ..schedule import Schedule

__all__ = ["optimize", "Result", "storage_url"]


class Result:
    """What a search found: ``study`` (the Optuna study), ``best_schedule``, ``best_value``,
    ``best_params``; the counts of the study's trials by state (``complete``, ``pruned``,
    ``failed``); ``trials_run`` (by this call) and ``wall_time`` (seconds, this call)."""

    def __init__(self, study: Any, trials_run: int, wall_time: float) -> None:
        from optuna.trial import TrialState

        from ..spec import parse

        self.study = study
        self.trials_run, self.wall_time = trials_run, wall_time
        states = [t.state for t in study.trials]
        self.complete = states.count(TrialState.COMPLETE)
        self.pruned = states.count(TrialState.PRUNED)
        self.failed = states.count(TrialState.FAIL)
        if not self.complete:
            raise ValueError(f"no trial of the study {study.study_name!r} completed "
                             f"({self.pruned} pruned, {self.failed} failed)")
        best = study.best_trial
        self.best_value: float = float(best.value)
        self.best_params: dict[str, Any] = dict(best.params)
        self.best_schedule: Schedule = parse(best.user_attrs["schedule"])

    def __repr__(self) -> str:
        return (f"<Result best {self.best_value:.6g}: {self.best_schedule!r} ({self.complete} complete, "
                f"{self.pruned} pruned, {self.failed} failed)>")


def storage_url(storage: str | os.PathLike[str] | None) -> str | None:
    """An Optuna storage URL: a URL (``sqlite:///...``, ``postgresql://...``) as given, a file
    path as ``sqlite:///<absolute path>``; None stays None (in memory)."""
    if storage is None:
        return None
    if not isinstance(storage, (str, os.PathLike)):
        raise TypeError(f"storage must be a file path or a storage URL, got {type(storage).__name__}")
    text = os.fspath(storage)
    if not text:
        raise ValueError("storage must be a file path or a storage URL, got ''")
    if "://" in text:
        return text
    return "sqlite:///" + os.path.abspath(text)


def optimize(train_fn: Callable[..., Any], space: Space | str | dict[str, Any], n_trials: int, *,
             storage: str | os.PathLike[str] | None = None, study_name: str = "lrkit",
             direction: str = "minimize", seed: int | None = 0, pruner: Any = "median",
             timeout: float | None = None, total_steps: int | None = None,
             catch: tuple[type[Exception], ...] = ()) -> Result:
    """Search ``space`` for the schedule that makes ``train_fn`` best, on Optuna.

    Args:
        train_fn: ``train_fn(schedule, report) -> float``; ``report(step, value)`` feeds the
            pruner (it raises ``optuna.TrialPruned`` to stop the trial).  Returning None uses
            the last reported value.
        space: a :class:`~lrkit.search.Space` or what :func:`~lrkit.search.space` reads.
        n_trials: the number of finished trials the study should hold (a resumed study runs
            the rest).
        storage: None (in memory), a SQLite file path, or an Optuna storage URL.
        direction: ``"minimize"`` or ``"maximize"``.
        seed: the TPE sampler's seed (None: random).
        pruner: ``"median"`` (Optuna's MedianPruner), None (no pruning) or an Optuna pruner.
        timeout: stop starting trials after this many seconds.
        total_steps: resolve fractions of the run in every schedule (as ``space(total_steps=)``).
        catch: exceptions of ``train_fn`` that fail a trial without stopping the search
            (:class:`~lrkit.search.InvalidSample` always does); the message is kept as the
            trial's ``user_attrs["error"]``.
    """
    import optuna

    if not callable(train_fn):
        raise TypeError(f"train_fn must be callable, got {type(train_fn).__name__}")
    sp = as_space(space, total_steps=total_steps)
    if isinstance(n_trials, bool) or not isinstance(n_trials, int) or not 1 <= n_trials <= 10**6:
        raise ValueError(f"n_trials must be an integer in 1..1000000, got {n_trials!r}")
    if direction not in ("minimize", "maximize"):
        raise ValueError(f"direction must be 'minimize' or 'maximize', got {direction!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise TypeError(f"seed must be an int or None, got {seed!r}")
    if timeout is not None and not (isinstance(timeout, (int, float)) and timeout > 0):
        raise ValueError(f"timeout must be a number of seconds > 0, got {timeout!r}")
    if pruner == "median":
        pruner = optuna.pruners.MedianPruner()
    elif pruner is None:
        pruner = optuna.pruners.NopPruner()
    elif not isinstance(pruner, optuna.pruners.BasePruner):
        raise TypeError(f"pruner must be 'median', None or an Optuna pruner, got {pruner!r}")
    study = optuna.create_study(storage=storage_url(storage), study_name=study_name,
                                direction="maximize" if direction == "maximize" else "minimize",
                                pruner=pruner, load_if_exists=True)
    # a resumed study draws on from where it stopped (the same seed again would repeat its trials)
    study.sampler = optuna.samplers.TPESampler(seed=None if seed is None else seed + len(study.trials))
    finished = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED,
                optuna.trial.TrialState.FAIL)
    left = n_trials - len(study.get_trials(deepcopy=False, states=finished))
    start = time.perf_counter()
    before = len(study.trials)
    if left > 0:
        study.optimize(_objective(train_fn, sp, catch), n_trials=left, timeout=timeout, catch=(InvalidSample, *catch),
                       gc_after_trial=False, show_progress_bar=False)
    return Result(study, len(study.trials) - before, time.perf_counter() - start)


def _objective(train_fn: Callable[..., Any], sp: Space,
               catch: tuple[type[Exception], ...]) -> Callable[[Any], float]:
    def objective(trial: Any) -> float:
        schedule = sp.suggest(trial)
        last: list[float] = []

        def report(step: int, value: float) -> None:
            import optuna

            if isinstance(step, bool) or not isinstance(step, int) or step < 0:
                raise ValueError(f"report(step, value): step must be an integer >= 0, got {step!r}")
            v = float(value)
            last[:] = [v]
            trial.report(v, step)
            if trial.should_prune():
                raise optuna.TrialPruned(f"pruned at step {step} (value {v:.6g})")

        try:
            out = train_fn(schedule, report)
        except catch as e:
            trial.set_user_attr("error", str(e))  # the trial fails, the search goes on
            raise
        if out is None:
            if not last:
                raise TypeError("train_fn returned None and reported no value: return the objective")
            out = last[0]
        value = float(out)
        if not math.isfinite(value):
            trial.set_user_attr("invalid", f"train_fn returned {value}")
        return value

    return objective
