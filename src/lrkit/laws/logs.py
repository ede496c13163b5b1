"""Reading logged loss curves: CSV, JSON lines and TensorBoard event files.

``read_log(path)`` returns a :class:`Log` with the logged steps and losses, and the lrs where the
log has them.  The format is chosen by the path: a directory or a file whose name contains
``tfevents`` is a TensorBoard log (read with TensorBoard's own ``EventAccumulator``), ``.jsonl`` /
``.json`` / ``.ndjson`` is JSON lines (one object per line), anything else CSV with a header row.

Column (key, tag) names: ``step``; ``loss`` (else the one name containing "loss"); ``lr``
(else ``learning_rate`` or the one name containing "lr").  Points without a loss are skipped; a
step logged twice keeps its last value (a resumed run).
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

__all__ = ["Log", "read_log"]


@dataclass(frozen=True)
class Log:
    """A loss curve: ``steps``, ``losses`` (sorted by step), and ``lr_steps``, ``lrs`` (maybe empty)."""

    path: str
    steps: np.ndarray
    losses: np.ndarray
    lr_steps: np.ndarray
    lrs: np.ndarray

    def lr_every_step(self) -> np.ndarray | None:
        """The lr of every step ``0..max step`` if the log has them all, else None."""
        n = int(self.steps[-1]) + 1
        if self.lr_steps.size >= n and np.array_equal(self.lr_steps[:n], np.arange(n)):
            return self.lrs[:n]
        return None


def _pick(names: Iterable[str], wanted: str | None, exact: tuple[str, ...], part: str, what: str,
          path: str, required: bool) -> str | None:
    names = list(names)
    if wanted is not None:
        if wanted not in names:
            raise ValueError(f"{path}: no {what} named {wanted!r}; it has {sorted(names)}")
        return wanted
    low = {n.lower(): n for n in names}
    for e in exact:
        if e in low:
            return low[e]
    hits = [n for n in names if part in n.lower()]
    if len(hits) == 1:
        return hits[0]
    if required:
        how = f"several: {sorted(hits)}" if hits else f"none among {sorted(names)}"
        raise ValueError(f"{path}: cannot tell which {what} holds the loss ({how}); name it with --loss-key")
    return None


def _number(text: object, what: str, path: str, where: str) -> float | None:
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    if isinstance(text, bool):
        raise ValueError(f"{path}: {where}: {what} must be a number, got {text!r}")
    try:
        v = float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{path}: {where}: {what} must be a number, got {text!r}") from None
    if not math.isfinite(v):
        raise ValueError(f"{path}: {where}: {what} must be finite, got {text!r}")
    return v


def _step(text: object, path: str, where: str) -> int:
    v = _number(text, "step", path, where)
    if v is None or v != int(v) or v < 0:
        raise ValueError(f"{path}: {where}: step must be a whole number >= 0, got {text!r}")
    return int(v)


def _finish(path: str, loss: dict[int, float], lr: dict[int, float]) -> Log:
    if not loss:
        raise ValueError(f"{path}: no logged losses")
    ks = sorted(loss)
    ls = sorted(lr)
    return Log(path, np.array(ks, dtype=np.int64), np.array([loss[k] for k in ks]),
               np.array(ls, dtype=np.int64), np.array([lr[k] for k in ls]))


def _read_rows(path: str, rows: Iterable[tuple[str, dict[str, object]]], names: list[str],
               loss_key: str | None, lr_key: str | None) -> Log:
    step_k = _pick(names, None, ("step", "steps", "global_step", "iteration", "iter"), "step", "column", path, False)
    if step_k is None:
        raise ValueError(f"{path}: needs a 'step' column/key; it has {sorted(names)}")
    loss_k = _pick([n for n in names if n != step_k], loss_key, ("loss", "train_loss", "train/loss"), "loss",
                   "column", path, True)
    lr_k = _pick([n for n in names if n not in (step_k, loss_k)], lr_key, ("lr", "learning_rate"), "lr",
                 "column", path, False)
    loss: dict[int, float] = {}
    lr: dict[int, float] = {}
    for where, row in rows:
        if row.get(step_k) in (None, ""):
            continue
        s = _step(row.get(step_k), path, where)
        v = _number(row.get(loss_k), "loss", path, where)  # type: ignore[arg-type]
        if v is not None:
            loss[s] = v
        if lr_k is not None:
            r = _number(row.get(lr_k), "lr", path, where)
            if r is not None:
                lr[s] = r
    return _finish(path, loss, lr)


def _read_csv(path: str, loss_key: str | None, lr_key: str | None) -> Log:
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        names = [n.strip() for n in (reader.fieldnames or [])]
        if not names:
            raise ValueError(f"{path}: empty CSV (a header row with step and loss is needed)")
        reader.fieldnames = names
        rows = [(f"line {i + 2}", dict(r)) for i, r in enumerate(reader)]
    return _read_rows(path, rows, names, loss_key, lr_key)


def _read_jsonl(path: str, loss_key: str | None, lr_key: str | None) -> Log:
    rows: list[tuple[str, dict[str, object]]] = []
    names: dict[str, None] = {}
    with open(path) as f:
        for i, line in enumerate(f):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise ValueError(f"{path}: line {i + 1}: not JSON ({e.msg})") from None
            if not isinstance(obj, dict):
                raise ValueError(f"{path}: line {i + 1}: each line must be a JSON object, got {type(obj).__name__}")
            rows.append((f"line {i + 1}", obj))
            names.update(dict.fromkeys(obj))
    return _read_rows(path, rows, list(names), loss_key, lr_key)


def _read_tensorboard(path: str, loss_key: str | None, lr_key: str | None) -> Log:
    try:
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    except ImportError as e:  # pragma: no cover - tensorboard is in the test extras
        raise ImportError("reading TensorBoard logs needs tensorboard: pip install 'lrkit[tensorboard]'") from e
    acc = EventAccumulator(path, size_guidance={"scalars": 0})
    acc.Reload()
    tags = acc.Tags().get("scalars", [])
    if not tags:
        raise ValueError(f"{path}: no scalar summaries in this TensorBoard log")
    loss_t = _pick(tags, loss_key, ("loss", "train/loss", "train_loss", "loss/train"), "loss", "scalar tag",
                   path, True)
    lr_t = _pick([t for t in tags if t != loss_t], lr_key, ("lr", "learning_rate", "train/lr", "lr-adamw"), "lr",
                 "scalar tag", path, False)
    loss = {int(e.step): float(e.value) for e in acc.Scalars(loss_t)}
    lr = {int(e.step): float(e.value) for e in acc.Scalars(lr_t)} if lr_t else {}
    for s, v in loss.items():
        if not math.isfinite(v):
            raise ValueError(f"{path}: step {s}: loss must be finite, got {v!r}")
    return _finish(path, loss, lr)


def read_log(path: str, *, loss_key: str | None = None, lr_key: str | None = None) -> Log:
    """The loss curve in the log at ``path`` (CSV, JSON lines or TensorBoard; see the module doc)."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file name, got {type(path).__name__}")
    path = os.fspath(path)
    if os.path.isdir(path) or "tfevents" in os.path.basename(path):
        if not os.path.exists(path):
            raise FileNotFoundError(2, "No such file or directory", path)
        return _read_tensorboard(path, loss_key, lr_key)
    if path.lower().endswith((".jsonl", ".json", ".ndjson")):
        return _read_jsonl(path, loss_key, lr_key)
    return _read_csv(path, loss_key, lr_key)
