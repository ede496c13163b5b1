"""``lrkit fit`` / ``lrkit predict`` end to end, on CSV, JSON-lines and TensorBoard logs."""

from __future__ import annotations

import json

import numpy as np
import pytest

import lrkit
from lrkit import laws
from lrkit.cli import main
from lrkit.laws import multipower
from lrkit.laws.trace import Trace

P = {"L0": 2.0, "A": 0.5, "alpha": 0.4, "B": 300.0, "C": 2.0, "beta": 0.5, "gamma": 0.6}
T = 800
SPECS = {"constant": "3e-4 * warmup(constant(1.0), 50)",
         "cosine": "3e-4 * warmup(cosine(750, end=0.1), 50)",
         "two-stage": "3e-4 * warmup(piecewise([500], [1.0, 0.2]), 50)"}


def curve(spec, steps):
    s = lrkit.parse(spec)
    return multipower.predict(Trace.of(np.asarray(s(np.arange(T)), float)), steps, P)


def write_csv(path, spec, with_lr=False):
    steps = np.arange(10, T, 10) if not with_lr else np.arange(1, T)
    y = curve(spec, steps)
    lr = np.asarray(lrkit.parse(spec)(steps), float)
    with open(path, "w") as f:
        f.write("step,loss" + (",lr" if with_lr else "") + "\n")
        if with_lr:
            f.write(f"0,,{float(lrkit.parse(spec)(0))!r}\n")
        for s, v, r in zip(steps, y, lr):
            f.write(f"{s},{float(v)!r}" + (f",{float(r)!r}" if with_lr else "") + "\n")


def write_jsonl(path, spec):
    steps = np.arange(10, T, 10)
    with open(path, "w") as f:
        for s, v in zip(steps, curve(spec, steps)):
            f.write(json.dumps({"step": int(s), "loss": float(v), "epoch": 0}) + "\n")
        f.write("\n")


def write_tensorboard(logdir, spec):
    from torch.utils.tensorboard import SummaryWriter

    steps = np.arange(10, T, 10)
    w = SummaryWriter(str(logdir))
    for s, v in zip(steps, curve(spec, steps)):
        w.add_scalar("train/loss", float(v), int(s))
        w.add_scalar("lr", float(lrkit.parse(spec)(int(s))), int(s))
    w.close()


def test_fit_csv_jsonl_tensorboard_then_predict(tmp_path, capsys):
    write_csv(tmp_path / "constant.csv", SPECS["constant"])
    write_jsonl(tmp_path / "cosine.jsonl", SPECS["cosine"])
    write_tensorboard(tmp_path / "tb", SPECS["two-stage"])
    out = tmp_path / "law.json"
    argv = ["fit", f"{tmp_path / 'constant.csv'}={SPECS['constant']}", f"{tmp_path / 'cosine.jsonl'}={SPECS['cosine']}",
            f"{tmp_path / 'tb'}={SPECS['two-stage']}", "-o", str(out)]
    assert main(argv) == 0, capsys.readouterr().err
    law = laws.from_config(json.loads(out.read_text()))
    for k, v in P.items():
        assert law.params[k] == pytest.approx(v, rel=1e-3), k
    capsys.readouterr()
    wsd = "3e-4 * wsd(800, 50, 160, shape='1-sqrt')"
    assert main(["predict", str(out), wsd, SPECS["cosine"], "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    truth = curve(wsd, np.array([T - 1]))[0]
    assert rows[0]["final_loss"] == pytest.approx(truth, rel=1e-4) and rows[0]["std"] >= 0
    png = tmp_path / "curves.png"
    assert main(["predict", str(out), wsd, SPECS["cosine"], "-o", str(png), "--width", "60"]) == 0
    text = capsys.readouterr().out
    assert "predicted loss" in text and "final loss" in text and png.read_bytes()[:4] == b"\x89PNG"


def test_fit_from_the_lr_column(tmp_path, capsys):
    for name in ("constant", "cosine", "two-stage"):
        write_csv(tmp_path / f"{name}.csv", SPECS[name], with_lr=True)
    out = tmp_path / "law.json"
    assert main(["fit", *(str(tmp_path / f"{n}.csv") for n in SPECS), "--law", "annealing", "-o", str(out)]) == 0
    assert json.loads(out.read_text())["law"] == "annealing"


@pytest.mark.parametrize("content, args, match", [
    ("step,loss\n1,2.0\n2,1.9\n", [], "lr of every step"),
    ("step,loss\n1,2.0\n2,abc\n", ["=3e-4 * constant(1.0)"], "line 3: loss must be a number"),
    ("epoch,loss\n1,2.0\n", ["=3e-4 * constant(1.0)"], "needs a 'step' column"),
    ("step,loss\n1,2.0\n2,-1.0\n", ["=3e-4 * constant(1.0)"], "finite and > 0"),
    ("step,loss\n1,2.0\n2,1.9\n", ["=cosine(("], "error"),
])
def test_fit_bad_input_is_one_error_line(tmp_path, capsys, content, args, match):
    p = tmp_path / "run.csv"
    p.write_text(content)
    assert main(["fit", str(p) + "".join(args)]) == 2
    err = capsys.readouterr().err
    assert match in err and "Traceback" not in err


def test_predict_bad_input(tmp_path, capsys):
    bad = tmp_path / "law.json"
    bad.write_text("{not json")
    assert main(["predict", str(bad), "constant(1.0)", "--steps", "100"]) == 2
    assert "not a JSON law file" in capsys.readouterr().err
    bad.write_text(json.dumps({"law": "chinchilla", "params": {}}))
    assert main(["predict", str(bad), "constant(1.0)", "--steps", "100"]) == 2
    assert "law must be one of" in capsys.readouterr().err
    bad.write_text(json.dumps({"law": "multi-power", "params": P}))
    assert main(["predict", str(bad), "constant(1.0)"]) == 2
    assert "give --steps" in capsys.readouterr().err
    assert main(["predict", str(tmp_path / "missing.json"), "constant(1.0)"]) == 2
    assert "no such file" in capsys.readouterr().err
