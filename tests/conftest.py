"""Test-wide settings."""

import os

# Keras picks its backend at first import; CI has JAX and torch, not TensorFlow.
os.environ.setdefault("KERAS_BACKEND", "jax")
