"""MkDocs hooks for the lrkit site (``hooks:`` in mkdocs.yml): pictures and the gallery, made at build time.

* **Figures.** Every ``docs/figures/<name>.py`` that defines ``draw(path: str) -> None`` is run,
  and the PNG it saves becomes ``figures/<name>.png`` in the site (a page links it as
  ``![alt](figures/<name>.png)``).  Nothing drawn is committed.  A figure whose script needs a
  package that is not installed (the LR range test needs torch) is replaced by a placeholder
  picture that says so, unless ``LRKIT_DOCS_ALL_FIGURES=1`` (set by the test suite), which makes
  it an error.
* **Gallery.** One page per registered shape and combinator, ``gallery/<name>.md``, from
  :mod:`lrkit.catalog` (signature, formula, example) with a plot of the example drawn by
  ``lrkit plot -o``, its text and YAML config forms, and the peers' equivalents from
  :data:`lrkit.peer_names.PEER_NAMES`; ``gallery/index.md`` lists them.  The nav entry
  ``Gallery: gallery/index.md`` in mkdocs.yml becomes a section with every page.
* The ``.py`` files under docs/ are sources, not site content: they are left out of the site.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:  # build from a checkout without installing lrkit
    sys.path.insert(0, str(ROOT / "src"))

log = logging.getLogger("mkdocs.hooks.lrkit")
_state: dict[str, Any] = {}


# -- nav -----------------------------------------------------------------------------------------

def on_config(config: Any) -> Any:
    """Expand the nav entry ``Gallery: gallery/index.md`` into one page per catalog entry."""
    from lrkit.catalog import entries

    pages: list[Any] = [{"Overview": "gallery/index.md"}]
    for kind, title in (("shape", "Shapes"), ("combinator", "Combinators")):
        pages.append({title: [f"gallery/{e.name}.md" for e in entries() if e.kind == kind]})
    nav = config.get("nav") or []
    for i, item in enumerate(nav):
        if isinstance(item, dict) and item.get("Gallery") == "gallery/index.md":
            nav[i] = {"Gallery": pages}
    return config


# -- files ---------------------------------------------------------------------------------------

def on_files(files: Any, config: Any) -> Any:
    from mkdocs.structure.files import File

    tmp = Path(tempfile.mkdtemp(prefix="lrkit-docs-"))
    _state["tmp"] = tmp
    for f in [f for f in files if f.src_uri.endswith(".py")]:
        files.remove(f)
    docs = Path(config["docs_dir"])
    for script in sorted((docs / "figures").glob("*.py")):
        png = tmp / "figures" / f"{script.stem}.png"
        png.parent.mkdir(parents=True, exist_ok=True)
        _draw_figure(script, png)
        files.append(File.generated(config, f"figures/{png.name}", abs_src_path=str(png)))
    for uri, content, picture in _gallery(tmp / "gallery"):
        files.append(File.generated(config, uri, content=content))
        if picture is not None:
            files.append(File.generated(config, uri[:-3] + ".png", abs_src_path=str(picture)))
    return files


def on_post_build(config: Any) -> None:
    tmp = _state.pop("tmp", None)
    if tmp is not None:
        shutil.rmtree(tmp, ignore_errors=True)


def _draw_figure(script: Path, png: Path) -> None:
    spec = importlib.util.spec_from_file_location(f"lrkit_docs_figure_{script.stem}", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
        draw = getattr(module, "draw", None)
        if not callable(draw):
            raise RuntimeError(f"{script} defines no draw(path) function")
        with contextlib.redirect_stdout(io.StringIO()):
            draw(str(png))
    except ImportError as e:
        if os.environ.get("LRKIT_DOCS_ALL_FIGURES") == "1":
            raise
        log.info("figure %s not drawn (%s): a placeholder instead", script.name, e)
        _placeholder(png, f"{script.name} needs {e.name or e}: pip install it to draw this figure")
    if not png.is_file():
        raise RuntimeError(f"{script}: draw({str(png)!r}) saved no file")


def _placeholder(png: Path, message: str) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 1.0), dpi=100)
    fig.text(0.5, 0.5, message, ha="center", va="center", fontsize="small")
    fig.savefig(png)


# -- the gallery ---------------------------------------------------------------------------------

def _gallery(out: Path) -> list[tuple[str, str, Path | None]]:
    """``(uri, markdown, picture)`` for the gallery pages."""
    import yaml

    import lrkit
    from lrkit.catalog import entries
    from lrkit.cli import main
    from lrkit.peer_names import PEER_NAMES

    out.mkdir(parents=True, exist_ok=True)
    pages: list[tuple[str, str, Path | None]] = []
    index = ["# Gallery", "",
             "Every schedule name lrkit knows, one page each, drawn by lrkit when this site was built. "
             "The same list is `lrkit shapes` in a terminal, and one entry with a plot is "
             "`lrkit help NAME`.", ""]
    for kind, title in (("shape", "Shapes"), ("combinator", "Combinators")):
        index += [f"## {title}", "", "| name | what | example |", "|---|---|---|"]
        for e in (e for e in entries() if e.kind == kind):
            index.append(f"| [`{e.name}`]({e.name}.md) | {e.meaning} | `{e.example or ''}` |")
        index.append("")
    pages.append(("gallery/index.md", "\n".join(index), None))

    for e in entries():
        lines = [f"# `{e.name}`", "", f"*{e.kind}*: {e.meaning}.", ""]
        picture: Path | None = None
        if e.example is not None:
            picture = out / f"{e.name}.png"
            with contextlib.redirect_stdout(io.StringIO()):
                status = main([*e.plot_args(), "-o", str(picture)])
            if status != 0:
                raise RuntimeError(f"lrkit plot {e.example!r} exited with status {status}")
            lines += [f"![{e.example}]({e.name}.png)", ""]
        lines += ["## Signature", "", "```text", e.signature, "```", "",
                  "## Formula", "", "```text", e.formula.replace("``", ""), "```", ""]
        if e.example is not None:
            s = lrkit.parse(e.example)
            config = yaml.safe_dump(s.to_config(), sort_keys=False, default_flow_style=None).rstrip()
            lines += ["## Text form", "", "```text", repr(s), "```", "",
                      "In Python: `lrkit.parse(" + repr(repr(s)) + ")`; in a terminal:", "",
                      "```console", f"$ lrkit help {e.name}", "```", "",
                      "## Config form (YAML)", "", "```yaml", config, "```", ""]
        else:
            lines += ["This one holds a Python function, so it has a text and config form only once "
                      "the function is registered: `lrkit.register_custom(name, fn)`, then "
                      "`custom(name='...')`.", ""]
        rows = [r for r in PEER_NAMES if r.shape == e.name]
        lines += ["## In the peers", ""]
        if rows:
            lines += ["| peer | call | lrkit | as |", "|---|---|---|---|"]
            lines += [f"| {r.peer} | `{r.call}` | `{r.lrkit}` | "
                      f"{'a factor of the base lr' if r.kind == 'factor' else 'the lr itself'} |"
                      for r in rows]
        else:
            lines.append("No peer has a schedule filed under this name.")
        lines.append("")
        pages.append((f"gallery/{e.name}.md", "\n".join(lines), picture))
    return pages
