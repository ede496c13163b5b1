"""PyTorch Lightning drives an lrkit schedule: the learning rate LearningRateMonitor logs,
and the one each optimizer update really uses, equal base·s(step), where steps are
optimizer updates (with gradient accumulation, one per accumulate_grad_batches batches)."""

from __future__ import annotations

import warnings

import pytest

import lrkit

torch = pytest.importorskip("torch")
pl = pytest.importorskip("lightning.pytorch")

import lrkit.lightning  # noqa: E402
import lrkit.torch  # noqa: E402
from lrkit.config import from_dict  # noqa: E402

BASE_LR = 0.2
BATCHES = 8  # per epoch


class Recorder(pl.loggers.Logger):
    """An in-memory logger: (step, metrics) as Lightning logs them."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[int, dict]] = []

    @property
    def name(self) -> str:
        return "recorder"

    @property
    def version(self) -> str:
        return "0"

    def log_hyperparams(self, *args, **kwargs) -> None:
        pass

    def log_metrics(self, metrics, step=None) -> None:
        self.rows.append((step, dict(metrics)))


class Tiny(pl.LightningModule):
    def __init__(self, schedule) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(4, 1)
        self.schedule = schedule
        self.used: list[float] = []  # lr at each real optimizer update

    def training_step(self, batch, batch_idx):
        x, y = batch
        return torch.nn.functional.mse_loss(self.layer(x), y)

    def on_before_optimizer_step(self, optimizer) -> None:
        self.used.append(optimizer.param_groups[0]["lr"])

    def configure_optimizers(self):
        opt = torch.optim.SGD(self.parameters(), lr=BASE_LR, momentum=0.9)
        return {"optimizer": opt,
                "lr_scheduler": lrkit.lightning.scheduler_config(opt, self.schedule, self.trainer)}

    def train_dataloader(self):
        g = torch.Generator().manual_seed(0)
        x = torch.randn(BATCHES * 4, 4, generator=g)
        data = torch.utils.data.TensorDataset(x, x.sum(1, keepdim=True))
        return torch.utils.data.DataLoader(data, batch_size=4)


def fit(schedule, tmp_path, *, epochs=3, accumulate=1):
    module, recorder = Tiny(schedule), Recorder()
    trainer = pl.Trainer(
        accelerator="cpu", devices=1, max_epochs=epochs, accumulate_grad_batches=accumulate,
        logger=recorder, log_every_n_steps=1,
        callbacks=[pl.callbacks.LearningRateMonitor(logging_interval="step")],
        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
        default_root_dir=tmp_path,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer.fit(module)
    logged = [(step, m["lr-SGD"]) for step, m in recorder.rows if "lr-SGD" in m]
    return module, trainer, logged


@pytest.mark.slow
@pytest.mark.parametrize("accumulate", [1, 2])
def test_logged_lr_is_the_schedule_at_every_optimizer_step(tmp_path, accumulate):
    schedule = lrkit.warmup(lrkit.cosine("rest", end=0.1), "25%")
    module, trainer, logged = fit(schedule, tmp_path, accumulate=accumulate)
    updates = 3 * BATCHES // accumulate
    s = schedule.resolve(updates)
    assert s == lrkit.warmup(lrkit.cosine(updates - updates // 4, end=0.1), updates // 4)
    # the lr each optimizer update used: base·s(0), base·s(1), ... one per update, not per batch
    assert module.used == [BASE_LR * s(k) for k in range(updates)]
    sched = trainer.lr_scheduler_configs[0].scheduler
    assert isinstance(sched, lrkit.torch.Scheduler) and sched.last_epoch == updates
    # what LearningRateMonitor logged: at every step (each micro-batch with accumulation)
    steps = sorted({step for step, _ in logged})
    assert steps == list(range(updates))
    assert len(logged) == 3 * BATCHES
    for step, lr in logged:
        assert lr == BASE_LR * s(step)


@pytest.mark.slow
def test_config_with_total_auto_resolves_with_estimated_stepping_batches(tmp_path):
    cfg = from_dict({"schedule": {"type": "linear", "steps": "rest", "start": 1.0, "end": 0.0},
                     "total": "auto"})
    module, trainer, logged = fit(cfg, tmp_path, epochs=2, accumulate=2)
    assert trainer.estimated_stepping_batches == 8
    assert module.used == [BASE_LR * (1 - k / 8) for k in range(8)]
    cfg = from_dict({"schedule": "linear('rest')", "total": 1000})
    with pytest.raises(ValueError, match="total is 1000 but the trainer runs 8 optimizer steps"):
        fit(cfg, tmp_path, epochs=2, accumulate=2)


class StopAfterEpochs(pl.Callback):
    """Ends fit after n epochs, as a run that was stopped there."""

    def __init__(self, n: int) -> None:
        self.n = n

    def on_train_epoch_end(self, trainer, pl_module) -> None:
        if trainer.current_epoch + 1 >= self.n:
            trainer.should_stop = True


@pytest.mark.slow
def test_resume_from_a_lightning_checkpoint_continues_the_schedule(tmp_path):
    schedule = lrkit.warmup(lrkit.cosine("rest", end=0.1), "25%")
    full, _, _ = fit(schedule, tmp_path / "full", epochs=3, accumulate=2)
    assert len(full.used) == 12

    def trainer(folder, epochs=3, callbacks=()):
        return pl.Trainer(accelerator="cpu", devices=1, max_epochs=epochs, accumulate_grad_batches=2,
                          logger=False, enable_checkpointing=False, enable_progress_bar=False,
                          enable_model_summary=False, default_root_dir=tmp_path / folder,
                          callbacks=list(callbacks))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stopped, t = Tiny(schedule), trainer("a", callbacks=[StopAfterEpochs(1)])
        t.fit(stopped)
        ckpt = tmp_path / "after-epoch-1.ckpt"
        t.save_checkpoint(ckpt)
        resumed = Tiny(schedule)
        trainer("b").fit(resumed, ckpt_path=ckpt)
        # resuming into a longer run changes the resolved schedule: refused, showing both
        with pytest.raises(ValueError, match=r"(?s)saved: warmup\(cosine\(9.*now:   warmup\(cosine\(12"):
            trainer("c", epochs=4).fit(Tiny(schedule), ckpt_path=ckpt)
    assert stopped.used == full.used[:4]
    assert resumed.used == full.used[4:]
