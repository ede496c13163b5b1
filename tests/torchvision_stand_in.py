"""Import timm without torchvision.

timm imports torchvision at the top of several modules (norm layers, data transforms), but its
schedulers and ``param_groups_layer_decay`` never use it.  PyPI's torchvision does not load beside
the CPU build of torch these tests pin ("operator torchvision::nms does not exist"), so CI installs
timm with ``--no-deps`` and the tests call :func:`import_timm`, which, only when torchvision is
missing, puts a stand-in on the import path: every ``torchvision.*`` module exists and every name in
it is a class that raises ``RuntimeError`` when used.  Nothing of timm that the tests run touches it.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
from typing import Any


class _Meta(type):
    def __getattr__(cls, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        return _stand_in(f"{cls.__name__}.{attr}")


def _stand_in(name: str) -> type:
    def refuse(self: object, *args: object, **kwargs: object) -> None:
        raise RuntimeError(f"torchvision is not installed: {name} is a stand-in")

    return _Meta(name, (), {"__init__": refuse})


class _StandInFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname: str, path: Any, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if fullname == "torchvision" or fullname.startswith("torchvision."):
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = types.ModuleType(spec.name)
        module.__path__ = []

        def getattr_(attr: str) -> Any:
            if attr.startswith("__"):
                raise AttributeError(attr)
            return _stand_in(attr)

        module.__getattr__ = getattr_  # type: ignore[method-assign]
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        pass


def import_timm() -> types.ModuleType:
    """``import timm``, with the torchvision stand-in only if torchvision is not installed."""
    if importlib.util.find_spec("timm") is None:
        import pytest

        pytest.skip("timm is not installed (CI installs it: pip install --no-deps timm)")
    if "torchvision" not in sys.modules and importlib.util.find_spec("torchvision") is None:
        sys.meta_path.insert(0, _StandInFinder())
    import timm

    return timm
