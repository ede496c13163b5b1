"""The same schedule search on Ray Tune, for a cluster (or a laptop's cores).

``tune(train_fn, space, n_trials)`` runs ``ray.tune.Tuner`` over ``space.to_ray()``; each trial
builds its schedule with ``space.build(config)`` and calls ``train_fn(schedule, report)`` as
:func:`lrkit.search.optimize` does, where ``report(step, value)`` is ``ray.tune.report`` (so a
Ray trial scheduler such as ASHA can stop it early).  Each result holds the schedule's text form
(``metrics["schedule"]``).  On a cluster, connect first (``ray.init(address="auto")``) and give a
``storage_path`` every node can reach; nothing else changes.
"""

from __future__ import annotations

import time

from .space import Space
from .space import space as as_space

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from ..schedule import Schedule

__all__ = ["tune", "RayResult"]


class RayResult:
    """What a Ray search found: ``grid`` (Ray's ResultGrid), ``best`` (its best Result),
    ``best_schedule``, ``best_value``, ``best_config``, ``wall_time`` (seconds)."""

    def __init__(self, grid: Any, metric: str, mode: str, wall_time: float) -> None:
        from ..spec import parse

        self.grid, self.wall_time = grid, wall_time
        self.best = grid.get_best_result(metric=metric, mode=mode, scope="last")
        self.best_value: float = float(self.best.metrics[metric])
        self.best_config: dict[str, Any] = dict(self.best.config)
        self.best_schedule: Schedule = parse(self.best.metrics["schedule"])

    def __repr__(self) -> str:
        return f"<RayResult best {self.best_value:.6g}: {self.best_schedule!r} ({len(self.grid)} trials)>"


def tune(train_fn: Callable[..., Any], space: Space | str | dict[str, Any], n_trials: int, *,
         metric: str = "loss", mode: str = "min", seed: int | None = 0, scheduler: Any = None,
         resources: dict[str, float] | None = None, storage_path: str | None = None,
         name: str | None = None, total_steps: int | None = None) -> RayResult:
    """Search ``space`` on Ray Tune: ``n_trials`` samples (Ray's random search, seeded), each
    running ``train_fn(schedule, report)`` in a Ray worker (``resources`` per trial, default one
    CPU).  ``train_fn`` and the space travel to the workers by pickling: define ``train_fn`` at
    a module's top level (or as a closure).  Invalid samples fail their trial with the reason."""
    from ray import tune as ray_tune
    from ray.tune.search import BasicVariantGenerator

    if not callable(train_fn):
        raise TypeError(f"train_fn must be callable, got {type(train_fn).__name__}")
    if isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 1:
        raise ValueError(f"n_trials must be an integer >= 1, got {n_trials!r}")
    if mode not in ("min", "max"):
        raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
    sp = as_space(space, total_steps=total_steps)
    trainable = ray_tune.with_resources(_trainable(train_fn, sp, metric), resources or {"cpu": 1})
    tuner = ray_tune.Tuner(
        trainable, param_space=sp.to_ray(),
        tune_config=ray_tune.TuneConfig(num_samples=n_trials, metric=metric, mode=mode, scheduler=scheduler,
                                        search_alg=BasicVariantGenerator(random_state=seed)),
        run_config=ray_tune.RunConfig(name=name, storage_path=storage_path, verbose=0))
    start = time.perf_counter()
    grid = tuner.fit()
    return RayResult(grid, metric, mode, time.perf_counter() - start)


def _trainable(train_fn: Callable[..., Any], sp: Space, metric: str) -> Callable[[dict[str, Any]], None]:
    def trainable(config: dict[str, Any]) -> None:
        from ray import tune as ray_tune

        schedule = sp.build(config)
        text = repr(schedule)

        def report(step: int, value: float) -> None:
            ray_tune.report({metric: float(value), "step": int(step), "schedule": text})

        value = train_fn(schedule, report)
        if value is not None:
            ray_tune.report({metric: float(value), "schedule": text})

    return trainable
