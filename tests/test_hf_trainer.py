"""The Hugging Face Trainer drives an lrkit scheduler: the learning rate it logs at every
step is the schedule's, resuming from a Trainer checkpoint continues the same sequence,
and from_transformers gives the Trainer's own built-in schedules' numbers."""

from __future__ import annotations

import warnings

import pytest

import lrkit

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
pytest.importorskip("accelerate")

import lrkit.hf  # noqa: E402
import lrkit.torch  # noqa: E402

BASE_LR = 0.1
MAX_STEPS = 12


class TinyModel(torch.nn.Module):
    """What the Trainer needs of a model: forward(**batch) -> {"loss": ...}."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.layer = torch.nn.Linear(4, 1)

    def forward(self, x, labels):
        out = self.layer(x).squeeze(-1)
        return {"loss": torch.nn.functional.mse_loss(out, labels), "logits": out}


class Dataset(torch.utils.data.Dataset):
    def __init__(self, n: int = 24) -> None:
        g = torch.Generator().manual_seed(1)
        self.x = torch.randn(n, 4, generator=g)
        self.y = self.x.sum(1)

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i):
        return {"x": self.x[i], "labels": self.y[i]}


class Trainer(lrkit.hf.ScheduleTrainerMixin, transformers.Trainer):
    pass


def arguments(tmp_path, **kw):
    base = dict(output_dir=str(tmp_path), per_device_train_batch_size=4, max_steps=MAX_STEPS,
                learning_rate=BASE_LR, logging_steps=1, report_to=[], save_strategy="no",
                use_cpu=True, disable_tqdm=True, seed=0, remove_unused_columns=False,
                dataloader_num_workers=0, optim="sgd")
    base.update(kw)
    return transformers.TrainingArguments(**base)


def logged_lrs(trainer) -> dict[int, float]:
    """step -> the learning_rate the Trainer logged there (the lr of the update that made it)."""
    return {h["step"]: h["learning_rate"] for h in trainer.state.log_history if "learning_rate" in h}


def train(trainer, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer.train(**kw)
    return trainer


SCHEDULE = lrkit.warmup(lrkit.cosine(MAX_STEPS - 3, end=0.1), 3)


@pytest.mark.slow
def test_logged_lr_is_the_schedule_and_resume_continues_it(tmp_path):
    model = TinyModel()
    opt = torch.optim.SGD(model.parameters(), lr=BASE_LR)
    sched = lrkit.torch.Scheduler(opt, SCHEDULE)
    args = arguments(tmp_path, save_strategy="steps", save_steps=5)
    full = train(transformers.Trainer(model=model, args=args, train_dataset=Dataset(),
                                      optimizers=(opt, sched)))
    lrs = logged_lrs(full)
    assert sorted(lrs) == list(range(1, MAX_STEPS + 1))
    for step, lr in lrs.items():
        assert lr == BASE_LR * SCHEDULE(step - 1)
    assert sched.last_epoch == MAX_STEPS

    # a fresh model, optimizer and scheduler resumed from the step-5 checkpoint
    model = TinyModel()
    opt = torch.optim.SGD(model.parameters(), lr=BASE_LR)
    sched = lrkit.torch.Scheduler(opt, SCHEDULE)
    resumed = train(transformers.Trainer(model=model, args=args, train_dataset=Dataset(),
                                         optimizers=(opt, sched)),
                    resume_from_checkpoint=str(tmp_path / "checkpoint-5"))
    # the log history holds steps 1-5 from the checkpoint and 6-12 from the resumed run
    assert logged_lrs(resumed) == lrs
    assert sched.last_epoch == MAX_STEPS


@pytest.mark.slow
def test_mixin_resolves_fractions_with_max_steps_and_accumulation(tmp_path):
    # 24 samples / batch 4 = 6 batches an epoch; accumulation 2 -> 3 updates an epoch; 4 epochs
    args = arguments(tmp_path, max_steps=-1, num_train_epochs=4, gradient_accumulation_steps=2)
    trainer = train(Trainer(model=TinyModel(), args=args, train_dataset=Dataset(),
                            lr_schedule="warmup(cosine('rest', end=0.1), '25%')"))
    s = lrkit.warmup(lrkit.cosine(9, end=0.1), 3)
    assert trainer.lr_scheduler.schedules[0] == s
    assert logged_lrs(trainer) == {k: BASE_LR * s(k - 1) for k in range(1, 13)}


@pytest.mark.slow
@pytest.mark.parametrize("name, kwargs", [
    ("cosine_with_min_lr", {"min_lr_rate": 0.1}),
    ("polynomial", {"lr_end": 1e-3, "power": 2.0}),
])
def test_from_transformers_matches_the_trainers_own_schedule(tmp_path, name, kwargs):
    args = arguments(tmp_path / "hf", lr_scheduler_type=name, warmup_steps=3, lr_scheduler_kwargs=kwargs)
    theirs = logged_lrs(train(transformers.Trainer(model=TinyModel(), args=args, train_dataset=Dataset())))
    ours_schedule = lrkit.hf.from_transformers(name, num_warmup_steps=3, num_training_steps=MAX_STEPS,
                                               base_lr=BASE_LR, **kwargs)
    args = arguments(tmp_path / "lrkit")
    ours = logged_lrs(train(Trainer(model=TinyModel(), args=args, train_dataset=Dataset(),
                                    lr_schedule=ours_schedule)))
    assert sorted(ours) == sorted(theirs) == list(range(1, MAX_STEPS + 1))
    for step in ours:
        assert ours[step] == pytest.approx(theirs[step], rel=1e-15, abs=1e-17)
