"""Token clocks in the real Lightning Trainer and Hugging Face Trainer, on tiny models.

The lr of every real optimizer update equals base·s(tokens consumed before it): Lightning
counts the tokens of each batch with ``lrkit.lightning.token_counter`` (micro-batches
under accumulation, summed into their update); the HF Trainer's position is its own
``state.num_input_tokens_seen``, and a resumed run continues the same sequence."""

from __future__ import annotations

import itertools
import warnings

import pytest

import lrkit

torch = pytest.importorskip("torch")

BASE_LR = 0.1
# durations in tokens: a batch of b samples of 4 features is 4·b tokens
SCHEDULE = lrkit.warmup(lrkit.wsd(400, 0, 160, shape="square", end=0.1), 48)


# -- Lightning ----------------------------------------------------------------------------------

def _lightning_fit(tmp_path, accumulate: int):
    pl = pytest.importorskip("lightning.pytorch")
    import lrkit.lightning

    class Tiny(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.layer = torch.nn.Linear(4, 1)
            self.used: list[float] = []

        def training_step(self, batch, batch_idx):
            x, y = batch
            return torch.nn.functional.mse_loss(self.layer(x), y)

        def on_before_optimizer_step(self, optimizer) -> None:
            self.used.append(optimizer.param_groups[0]["lr"])

        def configure_optimizers(self):
            opt = torch.optim.SGD(self.parameters(), lr=BASE_LR)
            return {"optimizer": opt, "lr_scheduler": lrkit.lightning.scheduler_config(
                opt, SCHEDULE, self.trainer, unit="tokens")}

        def train_dataloader(self):
            g = torch.Generator().manual_seed(0)
            x = torch.randn(27, 4, generator=g)  # batches of 4, 4, ..., 3: 16, ..., 12 tokens
            data = torch.utils.data.TensorDataset(x, x.sum(1, keepdim=True))
            return torch.utils.data.DataLoader(data, batch_size=4)

    module = Tiny()
    trainer = pl.Trainer(accelerator="cpu", devices=1, max_epochs=3, accumulate_grad_batches=accumulate,
                         logger=False, enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, default_root_dir=tmp_path,
                         callbacks=[lrkit.lightning.token_counter(lambda batch: batch[0].numel())])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer.fit(module)
    return module, trainer


@pytest.mark.slow
@pytest.mark.parametrize("accumulate", [1, 2])
def test_lightning_token_clock_counts_every_batch_into_its_update(tmp_path, accumulate):
    module, trainer = _lightning_fit(tmp_path, accumulate)
    per_epoch = [16] * 6 + [12]  # 27 samples in batches of 4
    updates: list[int] = []
    for _ in range(3):  # an epoch's last, short group of micro-batches is an update too
        updates += [sum(per_epoch[i:i + accumulate]) for i in range(0, len(per_epoch), accumulate)]
    positions = [0, *itertools.accumulate(updates)]
    assert module.used == [BASE_LR * SCHEDULE(p) for p in positions[:-1]]
    sched = trainer.lr_scheduler_configs[0].scheduler
    assert sched.unit == "tokens" and sched.last_epoch == positions[-1] == 3 * 108


def test_lightning_token_clock_needs_the_total_for_fractions():
    pytest.importorskip("lightning.pytorch")
    import lrkit.lightning

    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    with pytest.raises(ValueError, match="total_tokens"):
        lrkit.lightning.scheduler_config(opt, "cosine('rest')", unit="tokens")
    cfg = lrkit.lightning.scheduler_config(opt, "cosine('rest')", unit="tokens", total_tokens=1000)
    assert cfg["scheduler"].schedules[0] == lrkit.cosine(1000)
    assert cfg["scheduler"].on_optimizer_step
    with pytest.raises(ValueError, match="on_optimizer_step"):
        lrkit.lightning.scheduler_config(opt, "cosine(10)", unit="tokens", on_optimizer_step=False)
    with pytest.raises(TypeError, match="tokens"):
        lrkit.lightning.token_counter(-1)


# -- Hugging Face Trainer -----------------------------------------------------------------------

def _hf():
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("accelerate")
    from . import test_hf_trainer as hf

    class TinyModel(hf.TinyModel):
        main_input_name = "x"  # what the Trainer counts as the tokens of a batch

    class Dataset(hf.Dataset):
        def __init__(self, n: int = 22) -> None:
            super().__init__(n)

    Trainer = hf.Trainer

    class Record(transformers.TrainerCallback):
        """The lr of each real optimizer update, read just before it."""

        def __init__(self) -> None:
            self.used: list[float] = []
            self.optimizer = None

        def on_pre_optimizer_step(self, args, state, control, **kw):
            self.used.append(self.optimizer.param_groups[0]["lr"])

    return transformers, TinyModel, Dataset, Trainer, Record


def _hf_args(transformers, tmp_path, **kw):
    base = dict(output_dir=str(tmp_path), per_device_train_batch_size=4, max_steps=12,
                learning_rate=BASE_LR, logging_steps=1, report_to=[], save_strategy="no",
                use_cpu=True, disable_tqdm=True, seed=0, remove_unused_columns=False,
                dataloader_num_workers=0, optim="sgd", include_num_input_tokens_seen=True)
    base.update(kw)
    return transformers.TrainingArguments(**base)


def _hf_train(transformers, Trainer, TinyModel, Dataset, Record, args, **kw):
    record = Record()
    trainer = Trainer(model=TinyModel(), args=args, train_dataset=Dataset(), lr_schedule=SCHEDULE,
                      scheduler_kwargs={"unit": "tokens"}, callbacks=[record])
    record.optimizer = None

    class Bind(transformers.TrainerCallback):
        def on_train_begin(self, args, state, control, optimizer=None, **k):
            record.optimizer = optimizer

    trainer.add_callback(Bind())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer.train(**kw)
    return trainer, record


@pytest.mark.slow
def test_hf_trainer_token_clock_follows_num_input_tokens_seen_and_resumes(tmp_path):
    transformers, TinyModel, Dataset, Trainer, Record = _hf()
    # 22 samples in batches of 4: 16, 16, 16, 16, 16, 8 tokens, then the next epoch
    args = _hf_args(transformers, tmp_path, save_strategy="steps", save_steps=5)
    trainer, record = _hf_train(transformers, Trainer, TinyModel, Dataset, Record, args)
    per_update = ([16] * 5 + [8]) * 2
    positions = [0, *itertools.accumulate(per_update)]
    assert record.used == [BASE_LR * SCHEDULE(p) for p in positions[:-1]]
    assert trainer.lr_scheduler.last_epoch == positions[-1] == trainer.state.num_input_tokens_seen
    logged = {h["step"]: h["learning_rate"] for h in trainer.state.log_history if "learning_rate" in h}

    resumed, record2 = _hf_train(transformers, Trainer, TinyModel, Dataset, Record, args,
                                 resume_from_checkpoint=str(tmp_path / "checkpoint-5"))
    assert record2.used == record.used[5:]
    assert {h["step"]: h["learning_rate"] for h in resumed.state.log_history
            if "learning_rate" in h} == logged
    assert resumed.lr_scheduler.last_epoch == positions[-1]


def test_hf_trainer_token_clock_needs_the_trainers_token_count(tmp_path):
    transformers, TinyModel, Dataset, Trainer, Record = _hf()
    args = _hf_args(transformers, tmp_path, include_num_input_tokens_seen=False)
    trainer = Trainer(model=TinyModel(), args=args, train_dataset=Dataset(), lr_schedule=SCHEDULE,
                      scheduler_kwargs={"unit": "tokens"})
    with pytest.raises(ValueError, match="include_num_input_tokens_seen"):
        trainer.create_optimizer_and_scheduler(12)
