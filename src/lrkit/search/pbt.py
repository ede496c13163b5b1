"""Population Based Training on Ray Tune with an exact schedule underneath.

PBT copies the weights of a good trial into a bad one (exploit) and perturbs its
hyperparameters (explore).  With lrkit the learning rate is ``base × scale × schedule(t)``:
PBT mutates only ``scale`` (``Scheduler.scale``), and the schedule's position ``t`` travels in
the checkpoint with the weights, so an exploited trial continues the donor's schedule at the
donor's step: its lr trace is continuous across perturbations except for the jump in scale.

``pbt(make_run, ...)`` trains a population of runs; ``make_run()`` returns a fresh run with
``step(n)`` (train n steps, the scheduler stepping each), ``evaluate()`` (the loss), ``lr``,
``scheduler`` (an :class:`lrkit.Scheduler`), ``state_dict()`` and ``load_state_dict()`` —
:class:`lrkit.search.task.DigitsRun` is one.  Every ``perturbation_interval`` iterations the run
is checkpointed (``torch.save`` of its state dict and the iteration), which is what PBT restores.
Each reported row holds ``loss``, ``lr``, ``step`` (the schedule's position), ``scale`` and
``iteration``.
"""

from __future__ import annotations

import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

__all__ = ["pbt", "PBTResult", "CHECKPOINT_FILE", "load_checkpoint"]

#: the file each checkpoint directory holds
CHECKPOINT_FILE = "run.pt"


class PBTResult:
    """``grid`` (Ray's ResultGrid), ``wall_time`` (seconds), and per trial (by Ray's trial id)
    its reported rows and its checkpoints, as the driver saw them; ``best``: the id of the trial
    with the lowest final loss."""

    def __init__(self, grid: Any, rows: dict[str, dict[int, dict[str, Any]]],
                 checkpoints: dict[str, list[Any]], wall_time: float) -> None:
        self.grid, self.wall_time = grid, wall_time
        self._rows, self._checkpoints = rows, checkpoints
        self.trials = sorted(rows)
        self.best = min(self.trials, key=lambda t: self.history(t)[-1]["loss"])

    def history(self, trial: str | None = None) -> list[dict[str, Any]]:
        """A trial's rows (default: the best's) by iteration: ``iteration``, ``step``, ``lr``,
        ``scale``, ``loss``; after an exploit, the rows the trial reported from the donor's state."""
        rows = self._rows[self.best if trial is None else trial]
        return [rows[i] for i in sorted(rows)]

    def checkpoints(self, trial: str | None = None) -> dict[int, Any]:
        """A trial's checkpoints (default: the best's) by the iteration saved in them; a trial
        that was exploited also saved its own before it took the donor's (the later one is kept)."""
        out: dict[int, Any] = {}
        for c in self._checkpoints.get(self.best if trial is None else trial, []):
            out[int(load_checkpoint(c)["iteration"])] = c
        return out


def load_checkpoint(checkpoint: Any) -> dict[str, Any]:
    """The saved ``{"run": state_dict, "iteration": i}`` of a checkpoint."""
    import os

    import torch

    with checkpoint.as_directory() as d:
        return dict(torch.load(os.path.join(d, CHECKPOINT_FILE), weights_only=False))


def pbt(make_run: Callable[[], Any], *, population: int = 4, iterations: int = 8, steps_per_iteration: int = 25,
        perturbation_interval: int = 2, scale: tuple[float, float] = (0.05, 1.0),
        cpus_per_trial: float = 1.0, storage_path: str | None = None, name: str | None = None,
        seed: int | None = 0) -> PBTResult:
    """Train ``population`` runs of ``iterations`` × ``steps_per_iteration`` steps with Ray Tune's
    PopulationBasedTraining (synchronous: every trial is perturbed at the same iteration) over
    the lr ``scale``: drawn log-uniformly in ``scale`` at first, multiplied by 0.8 or 1.2 (or
    drawn again) at each perturbation.  ``seed`` seeds the first draws and PBT's choices."""
    import random

    from ray import tune
    from ray.tune.schedulers import PopulationBasedTraining

    for what, v in (("population", population), ("iterations", iterations),
                    ("steps_per_iteration", steps_per_iteration), ("perturbation_interval", perturbation_interval)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{what} must be an integer >= 1, got {v!r}")
    low, high = scale
    if not 0 < low < high:
        raise ValueError(f"scale must be a range (low, high) with 0 < low < high, got {scale!r}")
    if seed is not None:
        random.seed(seed)  # PBT's exploit/explore choices use the driver's `random`
    scheduler = PopulationBasedTraining(
        time_attr="training_iteration", perturbation_interval=perturbation_interval,
        hyperparam_mutations={"scale": tune.loguniform(low, high)}, synch=True)
    trainable = tune.with_resources(
        _trainable(make_run, iterations, steps_per_iteration, perturbation_interval), {"cpu": cpus_per_trial})
    from ray.tune.search import BasicVariantGenerator

    history = _history()
    tuner = tune.Tuner(
        trainable, param_space={"scale": tune.loguniform(low, high)},
        tune_config=tune.TuneConfig(num_samples=population, metric="loss", mode="min", scheduler=scheduler,
                                    search_alg=BasicVariantGenerator(random_state=seed), reuse_actors=True),
        run_config=tune.RunConfig(name=name, storage_path=storage_path, verbose=0, callbacks=[history],
                                  checkpoint_config=tune.CheckpointConfig(num_to_keep=None)))
    start = time.perf_counter()
    grid = tuner.fit()
    return PBTResult(grid, history.rows, history.checkpoints, time.perf_counter() - start)


def _history() -> Any:
    """A Ray Tune callback that keeps every row each trial reports, by iteration, and every
    checkpoint it saves (Ray's own per-trial records are rewritten when PBT clones a trial, so
    they are collected here, in the driver)."""
    from ray import tune

    class History(tune.Callback):  # type: ignore[misc]
        def __init__(self) -> None:
            self.rows: dict[str, dict[int, dict[str, Any]]] = {}
            self.checkpoints: dict[str, list[Any]] = {}

        def on_trial_result(self, iteration: int, trials: list[Any], trial: Any, result: dict[str, Any],
                            **info: Any) -> None:
            row = {k: result[k] for k in ("iteration", "step", "lr", "scale", "loss")}
            self.rows.setdefault(trial.trial_id, {})[int(row["iteration"])] = row

        def on_checkpoint(self, iteration: int, trials: list[Any], trial: Any, checkpoint: Any,
                          **info: Any) -> None:
            self.checkpoints.setdefault(trial.trial_id, []).append(checkpoint)

    return History()


def _trainable(make_run: Callable[[], Any], iterations: int, steps: int,
               interval: int) -> Callable[[dict[str, Any]], None]:
    def trainable(config: dict[str, Any]) -> None:
        import os
        import tempfile

        import torch
        from ray import tune

        run = make_run()
        done = 0
        checkpoint = tune.get_checkpoint()
        if checkpoint is not None:  # PBT's exploit: the donor's weights and schedule position
            saved = load_checkpoint(checkpoint)
            run.load_state_dict(saved["run"])
            done = int(saved["iteration"])
        run.scheduler.scale = config["scale"]  # explore: only the multiplier changes
        while done < iterations:
            run.step(steps)
            done += 1
            row = {"loss": run.evaluate(), "lr": run.lr, "step": run.scheduler.last_epoch,
                   "scale": run.scheduler.scale, "iteration": done}
            if done % interval == 0 or done == iterations:
                with tempfile.TemporaryDirectory() as d:
                    torch.save({"run": run.state_dict(), "iteration": done}, os.path.join(d, CHECKPOINT_FILE))
                    tune.report(row, checkpoint=tune.Checkpoint.from_directory(d))
            else:
                tune.report(row)

    return trainable
