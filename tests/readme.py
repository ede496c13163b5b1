"""Read sections of the documentation (the README and the pages under docs/), so that the tests
can run their examples and compare their samples with real output."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"


def pages() -> list[Path]:
    """Every Markdown page of the site, then the README, in a fixed order."""
    return [*sorted(DOCS.rglob("*.md")), README]


def section(heading: str) -> str:
    """The text from the ``## heading`` line to the next ``## `` heading, in whichever page has it."""
    for page in pages():
        text = "\n" + page.read_text(encoding="utf-8")
        at = text.find("\n" + heading + "\n")
        if at >= 0:
            start = at + 1
            end = text.find("\n## ", start + len(heading))
            return text[start:] if end < 0 else text[start:end + 1]
    raise KeyError(f"no page has the heading {heading!r}")
