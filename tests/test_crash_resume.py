"""Crash-safe resume: SIGKILL a training script at random points, restart it until it is
done, and compare its learning-rate trace, losses and final weights with an
uninterrupted run's, bit for bit (examples/crash_safe_training.py)."""

from __future__ import annotations

import os
import pathlib
import random
import signal
import subprocess
import sys
import time

import pytest

pytest.importorskip("torch")

ROOT = pathlib.Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "examples" / "crash_safe_training.py"
STEPS, EVERY = 300, 7


def command(folder: pathlib.Path, clock: str = "steps") -> list[str]:
    return [sys.executable, str(SCRIPT), "--dir", str(folder), "--steps", str(STEPS),
            "--every", str(EVERY), "--sleep", "0.004", "--clock", clock]


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    return env


def progress(folder: pathlib.Path) -> int:
    """The number of step lines in the trace so far."""
    try:
        text = (folder / "trace.txt").read_text()
    except FileNotFoundError:
        return 0
    return sum(1 for line in text.splitlines() if line and not line.startswith("start"))


def read_trace(folder: pathlib.Path) -> tuple[dict[int, tuple[str, str]], list[int]]:
    """step -> (lr hex, loss hex), checking that every redone step repeated its numbers exactly;
    and the steps each (re)start resumed from."""
    steps: dict[int, tuple[str, str]] = {}
    starts = []
    for line in (folder / "trace.txt").read_text().splitlines():
        parts = line.split()
        if parts[0] == "start":
            starts.append(int(parts[1]))
            continue
        if len(parts) != 3:  # a line cut by SIGKILL mid-write
            continue
        step, values = int(parts[0]), (parts[1], parts[2])
        assert steps.get(step, values) == values, f"step {step} redone with other numbers"
        steps[step] = values
    return steps, starts


@pytest.mark.slow
@pytest.mark.parametrize("clock", ["steps", "tokens"])  # tokens: a token clock with a batch ramp
def test_sigkill_at_random_points_then_resume_gives_the_same_run(tmp_path, clock):
    ref_dir, crash_dir = tmp_path / "reference", tmp_path / "crashy"
    env = environment()
    reference = subprocess.Popen(command(ref_dir, clock), env=env, stderr=subprocess.PIPE)

    rng = random.Random(20240607)
    kills = 0
    for attempt in range(5):
        proc = subprocess.Popen(command(crash_dir, clock), env=env, stderr=subprocess.PIPE)
        if attempt == 0:
            time.sleep(rng.uniform(0.0, 1.0))  # likely before the first step, or early in the run
        else:
            target = progress(crash_dir) + rng.randint(1, STEPS // 5)
            while proc.poll() is None and progress(crash_dir) < target:
                time.sleep(0.002)
            time.sleep(rng.uniform(0, 0.01))  # somewhere within a step, maybe mid-checkpoint
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        if (crash_dir / "final.txt").exists():
            break
    # restart until it completes
    for _ in range(3):
        if (crash_dir / "final.txt").exists():
            break
        proc = subprocess.run(command(crash_dir, clock), env=env, capture_output=True, timeout=300)
        assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    _, err = reference.communicate(timeout=300)
    assert reference.returncode == 0, err.decode()[-2000:]

    assert kills >= 4
    ref, ref_starts = read_trace(ref_dir)
    got, starts = read_trace(crash_dir)
    assert ref_starts == [0]
    assert len(starts) >= kills and any(s > 0 for s in starts)  # it really resumed mid-run
    assert all(s % EVERY == 0 or s == STEPS for s in starts)  # only from checkpoints
    assert sorted(ref) == list(range(STEPS)) == sorted(got)
    assert got == ref  # every step's lr and loss, bit for bit
    assert (crash_dir / "final.txt").read_text() == (ref_dir / "final.txt").read_text()
