"""A real, small training task that needs no download: an MLP on scikit-learn's digits.

The 1797 8×8 digit images ship inside scikit-learn; a 64-32-10 MLP trained with SGD
(momentum 0.9, batches of 64) on 1347 of them, validated on the other 450 (cross-entropy), on
the CPU with one thread: a few hundred steps take well under a second, so a search of tens of
trials runs in seconds, and the loss does depend on the schedule.  Needs torch and scikit-learn.

:class:`DigitsRun` is one run that can be stepped, evaluated, saved and restored exactly (the
model, the optimizer and the lrkit Scheduler, whose ``scale`` PBT mutates);
:func:`digits` trains one run with a schedule, the ``train_fn`` of the examples and tests.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from ..schedule import Schedule

__all__ = ["DigitsRun", "digits", "STEPS"]

#: the default length of a run, in optimizer steps
STEPS = 300

_DATA: dict[str, Any] = {}


def _digits_rows() -> list[list[float]]:
    """The digits as rows of 64 pixels (0..16) and the label, read from the file scikit-learn
    ships (``sklearn/datasets/data/digits.csv.gz``) without importing scikit-learn (seconds
    saved in every worker process of a search); ``load_digits()`` if the file is not there."""
    import csv
    import gzip
    import importlib.util
    import os

    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the digits task needs scikit-learn (its digits data): pip install scikit-learn")
    path = os.path.join(list(spec.submodule_search_locations)[0], "datasets", "data", "digits.csv.gz")
    if os.path.exists(path):
        with gzip.open(path, "rt") as f:
            return [[float(x) for x in row] for row in csv.reader(f) if row]
    from sklearn.datasets import load_digits  # pragma: no cover - another layout of scikit-learn

    x, y = load_digits(return_X_y=True)  # pragma: no cover
    return [[*map(float, xi), float(yi)] for xi, yi in zip(x, y, strict=True)]  # pragma: no cover


def _data() -> dict[str, Any]:
    """The digits split, the same every call: 450 images for validation, the rest for training
    (a fixed permutation, torch seed 0)."""
    if not _DATA:
        import torch

        rows = torch.tensor(_digits_rows(), dtype=torch.float64)
        order = torch.randperm(len(rows), generator=torch.Generator().manual_seed(0))
        x = (rows[order, :64] / 16.0).to(torch.float32)
        y = rows[order, 64].to(torch.int64)
        _DATA.update(x_train=x[450:], y_train=y[450:], x_val=x[:450], y_val=y[:450])
    return _DATA


class DigitsRun:
    """One training run: ``step(n)`` trains n SGD steps, ``evaluate()`` gives the validation
    loss, ``state_dict()``/``load_state_dict()`` save and restore it exactly (model, optimizer,
    scheduler, the batch generator).  The written lr is ``lr × scheduler.scale × schedule(t)``."""

    def __init__(self, schedule: Schedule | str, *, lr: float = 1.0, seed: int = 0, batch: int = 64,
                 hidden: int = 32, total_steps: int | None = None) -> None:
        import torch

        from ..scheduler import Scheduler

        torch.set_num_threads(1)
        self.data = _data()
        torch.manual_seed(seed)
        self.model = torch.nn.Sequential(torch.nn.Linear(64, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10))
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=lr, momentum=0.9)
        self.scheduler = Scheduler(self.optimizer, schedule, total_steps=total_steps)
        self.generator = torch.Generator().manual_seed(seed)
        self.batch = batch

    def step(self, n: int = 1) -> float:
        """Train n steps (the scheduler steps after each); the last batch's loss."""
        import torch

        x, y = self.data["x_train"], self.data["y_train"]
        loss = torch.zeros(())
        for _ in range(n):
            idx = torch.randint(0, len(x), (self.batch,), generator=self.generator)
            loss = torch.nn.functional.cross_entropy(self.model(x[idx]), y[idx])
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            self.scheduler.step()
        return float(loss.detach())

    def evaluate(self) -> float:
        """The validation cross-entropy (a diverged run gives a large finite number: 1e3)."""
        import math

        import torch

        with torch.no_grad():
            v = float(torch.nn.functional.cross_entropy(self.model(self.data["x_val"]), self.data["y_val"]))
        return v if math.isfinite(v) and v < 1e3 else 1e3

    @property
    def lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    def state_dict(self) -> dict[str, Any]:
        return {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict(), "generator": self.generator.get_state()}

    def load_state_dict(self, sd: dict[str, Any]) -> None:
        self.model.load_state_dict(sd["model"])
        self.optimizer.load_state_dict(sd["optimizer"])
        self.scheduler.load_state_dict(sd["scheduler"])
        self.generator.set_state(sd["generator"])


def digits(schedule: Schedule | str, report: Callable[[int, float], Any] | None = None, *,
           steps: int = STEPS, every: int = 50, lr: float = 1.0, seed: int = 0) -> float:
    """Train one :class:`DigitsRun` for ``steps`` steps with ``schedule`` (times ``lr``) and return
    the validation loss; every ``every`` steps the validation loss is handed to
    ``report(step, loss)`` (the pruning hook of :func:`lrkit.search.optimize`)."""
    run = DigitsRun(schedule, lr=lr, seed=seed, total_steps=steps)
    done = 0
    while done < steps:
        n = min(every, steps - done)
        run.step(n)
        done += n
        if report is not None and done < steps:
            report(done, run.evaluate())
    return run.evaluate()
