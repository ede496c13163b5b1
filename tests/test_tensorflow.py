"""TensorFlow (the ``tensorflow`` extra): one subprocess with ``KERAS_BACKEND=tensorflow``
runs tests/tf_cases.py (tf.Tensor steps eager / tf.function / XLA, fit-save-load-continue,
dtypes) and tests/test_keras.py (parity with Keras's built-in schedules, serialization,
the plateau callback) on the TF backend.  Keras picks its backend at first import and this
test run uses JAX, hence the subprocess."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("tensorflow")
pytest.importorskip("keras")

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_tensorflow_backend_in_a_subprocess():
    env = {**os.environ, "KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "2",
           "CUDA_VISIBLE_DEVICES": "", "PYTHONPATH": os.pathsep.join(
               [str(ROOT / "src"), str(ROOT), os.environ.get("PYTHONPATH", "")])}
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
           "-m", "not slow", "tests/tf_cases.py", "tests/test_keras.py"]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env, timeout=600)
    tail = (out.stdout + out.stderr)[-6000:]
    assert out.returncode == 0, tail
    summary = out.stdout.strip().splitlines()[-1]
    assert re.search(r"\b\d+ passed", summary) and not re.search(r"\b\d+ (failed|errors?)\b", summary), tail
