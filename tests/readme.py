"""Read sections of the README, so its examples can be run by the tests."""

from __future__ import annotations

from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def section(heading: str) -> str:
    """The README text from the ``## heading`` line to the next ``## `` heading."""
    text = README.read_text(encoding="utf-8")
    start = text.index("\n" + heading + "\n") + 1
    end = text.find("\n## ", start + len(heading))
    return text[start:] if end < 0 else text[start:end + 1]
