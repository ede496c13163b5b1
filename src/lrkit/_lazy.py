"""Names a package loads on first use (PEP 562), so that importing it stays cheap."""

from __future__ import annotations

import importlib

TYPE_CHECKING = False
if TYPE_CHECKING:  # not at run time: `import lrkit` does not import typing
    from collections.abc import Callable, Mapping
    from typing import Any


def lazy_names(package: str, names: Mapping[str, str], namespace: dict[str, Any]
               ) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``: ``names`` maps each lazy name to the submodule
    that defines it; the first access imports the submodule and keeps the value in ``namespace``
    (the package's ``globals()``), so later accesses are plain lookups."""

    def __getattr__(name: str) -> object:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{module}", package), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(names))

    return __getattr__, __dir__
