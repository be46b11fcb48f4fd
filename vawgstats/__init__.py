"""vawgstats: reproducible reporting on violence against women and girls (VAWG) in London.

The public API in brief:

- :func:`load` reads and validates crime records (the data contract is in
  :mod:`vawgstats.schema`);
- :func:`in_vawg_scope` says which crimes are in VAWG scope
  (:mod:`vawgstats.definitions`);
- :mod:`vawgstats.metrics` computes the Home Office measures;
- :mod:`vawgstats.synthetic` makes the embedded synthetic London.
"""

from __future__ import annotations

from .errors import DataError, ParamsError, RenderError, VawgstatsError

__version__ = "0.1.0"

#: Exported names imported on first use (they bring in pandas and pyarrow, which a command
#: that finds nothing to do never needs).
_LAZY = {"in_vawg_scope": "definitions", "load": "schema", "validate": "schema"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "DataError", "ParamsError", "RenderError", "VawgstatsError",
    "__version__", "in_vawg_scope", "load", "validate",
]
