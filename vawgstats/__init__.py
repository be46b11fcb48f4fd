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

from .definitions import in_vawg_scope
from .errors import DataError, ParamsError, RenderError, VawgstatsError
from .schema import load, validate

__version__ = "0.1.0"

__all__ = [
    "DataError", "ParamsError", "RenderError", "VawgstatsError",
    "__version__", "in_vawg_scope", "load", "validate",
]
