"""No import circles in the package: no two modules import each other, directly or through
others, counting lazy imports inside functions (``if TYPE_CHECKING:`` blocks, annotations
only, are not imports at run time)."""

from __future__ import annotations

import ast
import pathlib

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "src" / "lrkit"


def _imports(tree: ast.AST, modules: set[str]) -> set[str]:
    out: set[str] = set()

    def visit(node: ast.AST) -> None:
        for ch in ast.iter_child_nodes(node):
            if isinstance(ch, ast.If) and isinstance(ch.test, ast.Name) and ch.test.id == "TYPE_CHECKING":
                for x in ch.orelse:
                    visit(x)
                continue
            if isinstance(ch, ast.ImportFrom):
                name = ch.module or ""
                if ch.level == 0 and name.startswith("lrkit."):
                    name = name[len("lrkit."):]
                elif ch.level != 1:
                    name = ""
                if name:
                    out.add(name.split(".")[0])
                elif ch.level == 1:
                    out.update(a.name for a in ch.names)
            elif isinstance(ch, ast.Import):
                out.update(a.name.split(".")[1] for a in ch.names if a.name.startswith("lrkit."))
            visit(ch)

    visit(tree)
    return out & modules


def import_graph() -> dict[str, set[str]]:
    files = {p.stem: p for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    names = set(files)
    return {m: _imports(ast.parse(p.read_text()), names) - {m} for m, p in files.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    path: list[str] = []

    def dfs(v: str) -> list[str] | None:
        state[v] = 1
        path.append(v)
        for w in sorted(graph[v]):
            if state.get(w) == 1:
                return path[path.index(w):] + [w]
            if w not in state and (found := dfs(w)):
                return found
        state[v] = 2
        path.pop()
        return None

    for v in sorted(graph):
        if v not in state and (found := dfs(v)):
            return found
    return None


def test_no_import_circles():
    graph = import_graph()
    assert "schedule" in graph["shapes"]
    assert "plot" in graph["schedule"]  # Schedule.plot's lazy import is seen (and allowed: one way)
    cycle = _cycle(graph)
    assert cycle is None, " -> ".join(cycle or [])


def test_the_checker_sees_a_circle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None
