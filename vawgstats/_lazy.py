"""Import a heavy library (pandas, numpy) only when a module first uses it.

``pd = lazy_module("pandas", globals(), "pd")`` binds a stand-in that imports pandas on its
first attribute access and then puts the real module in its place in the module's namespace,
so later uses cost nothing extra.  Commands that find nothing to do (``vawgstats render`` with
every report up to date) then never import pandas at all.
"""

from __future__ import annotations

import importlib
from types import ModuleType


class _LazyModule:
    __slots__ = ("_name", "_namespace", "_alias")

    def __init__(self, name: str, namespace: dict, alias: str) -> None:
        self._name, self._namespace, self._alias = name, namespace, alias

    def _load(self) -> ModuleType:
        module = importlib.import_module(self._name)
        if self._namespace.get(self._alias) is self:
            self._namespace[self._alias] = module
        return module

    def __getattr__(self, attribute: str):
        return getattr(self._load(), attribute)

    def __repr__(self) -> str:
        return f"<module {self._name!r}, imported on first use>"


def lazy_module(name: str, namespace: dict, alias: str):
    """A stand-in for module ``name``, bound as ``alias`` in ``namespace`` (a module's ``globals()``)."""
    return _LazyModule(name, namespace, alias)
