"""Warmup + cosine, warmup-stable-decay and one-cycle over 10 000 steps, as `lrkit plot -o` draws them.

The same picture as
``lrkit plot "warmup(cosine(9000, end=0.1), 1000)" "wsd(10000, 1000, 2000)" "onecycle(10000)" -o warmup_cosine.png``.
"""

from lrkit.cli import main

SPECS = ["warmup(cosine(9000, end=0.1), 1000)", "wsd(10000, 1000, 2000)", "onecycle(10000)"]


def draw(path: str) -> None:
    """Save the picture to ``path`` (a PNG) through the ``lrkit plot`` command itself."""
    status = main(["plot", *SPECS, "-o", path])
    if status != 0:
        raise RuntimeError(f"lrkit plot exited with status {status}")
