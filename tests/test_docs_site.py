"""The documentation site builds strictly, and reads as it should in a real browser.

The site is built once (``mkdocs build --strict``: a warning or a broken link fails it, and every
figure must really be drawn: ``LRKIT_DOCS_ALL_FIGURES=1``), served on localhost, and every page is
opened in headless Chromium (the distribution's ``/usr/bin/chromium``) and screenshotted.  A page
fails if it has no article text, raises a JavaScript error, shows an image that did not load
(``naturalWidth == 0``) or links to an internal page or file that does not exist.  Without
Chromium the browser test fails in CI (``CI`` set) and is skipped elsewhere.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
import urllib.parse
from pathlib import Path

import pytest

from .readme import ROOT

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("mkdocs")
    pytest.importorskip("material")
    pytest.importorskip("mkdocstrings")
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "LRKIT_DOCS_ALL_FIGURES": "1", "MPLBACKEND": "Agg", "NO_MKDOCS_2_WARNING": "1"}
    r = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml"),
                        "-d", str(out)], capture_output=True, text=True, cwd=out, env=env, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-6000:]
    return out


def _pages(site: Path) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("index.html"))


def test_build_is_strict_and_complete(site: Path):
    from lrkit.catalog import entries

    pages = _pages(site)
    for name in ("getting-started", "pytorch", "recipes", "recipes/nanogpt", "api", "gallery"):
        assert f"{name}/index.html" in pages
    for e in entries():  # one gallery page per catalog entry, with its picture when it has an example
        page = (site / "gallery" / e.name / "index.html").read_text(encoding="utf-8")
        assert e.signature.replace("'", "&#39;") in page or e.signature in page
        if e.example is not None:
            assert (site / "gallery" / f"{e.name}.png").stat().st_size > 5000
    for figure in (ROOT / "docs" / "figures").glob("*.py"):
        assert (site / "figures" / f"{figure.stem}.png").stat().st_size > 5000
    assert not list(site.rglob("*.py")), "docs sources copied into the site"
    assert "::: lrkit" not in (site / "api" / "index.html").read_text(encoding="utf-8")
    assert len(pages) >= 40


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def served(site: Path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def _browser():
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        if os.environ.get("CI"):
            pytest.fail(f"Chromium is not installed ({CHROMIUM}): the site cannot be checked in a browser")
        pytest.skip(f"Chromium is not installed ({CHROMIUM}); CI installs it")
    sync_api = pytest.importorskip("playwright.sync_api")
    return sync_api.sync_playwright()


def test_every_page_renders_in_chromium(site: Path, served: str, tmp_path: Path):
    pages = _pages(site)
    problems: list[str] = []
    internal: set[str] = set()
    with _browser() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium"),
                                     args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        for rel in pages:
            url = served + rel[: -len("index.html")]
            errors.clear()
            response = page.goto(url, wait_until="load")
            if response is None or response.status != 200:
                problems.append(f"{rel}: HTTP {response and response.status}")
                continue
            text = page.evaluate("() => (document.querySelector('article') || {}).innerText || ''")
            if len(text.strip()) < 20:
                problems.append(f"{rel}: no article content")
            broken = page.evaluate("""() => Array.from(document.images)
                .filter(i => !i.complete || i.naturalWidth === 0).map(i => i.getAttribute('src'))""")
            problems += [f"{rel}: image did not load: {src}" for src in broken]
            for href in page.evaluate("() => Array.from(document.querySelectorAll('a[href]')).map(a => a.href)"):
                if href.startswith(served):
                    internal.add(urllib.parse.urldefrag(href)[0])
            page.screenshot(path=str(tmp_path / (rel.replace("/", "_") + ".png")))
            problems += [f"{rel}: JavaScript error: {e}" for e in errors]
        browser.close()
    for href in sorted(internal):  # every internal link points to something the site has
        path = site / urllib.parse.unquote(href[len(served):])
        if not (path.is_file() or (path / "index.html").is_file()):
            problems.append(f"dead internal link: {href}")
    assert not problems, "\n".join(problems)
    assert len(list(tmp_path.glob("*.png"))) == len(pages)
