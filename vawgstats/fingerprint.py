"""What the caches key on besides the data: the code and package files that made a result.

Prepared tables, validated-record copies, the cached synthetic London and rendered reports
are reused when their key matches.  A key that named only the package *version* would let a
changed function reuse tables made by the old one (the version does not change between
commits of a development install), so the keys hash the package's own files instead.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from . import __version__

PACKAGE_ROOT = Path(__file__).resolve().parent
_SKIPPED_PARTS = ("__pycache__",)


def _files(names: tuple[str, ...]) -> list[Path]:
    if names:
        return [PACKAGE_ROOT / name for name in names]
    return sorted(path for path in PACKAGE_ROOT.rglob("*")
                  if path.is_file() and not any(part in _SKIPPED_PARTS for part in path.parts)
                  and path.suffix not in (".pyc", ".pyo"))


@functools.lru_cache(maxsize=None)
def code_fingerprint(*names: str) -> str:
    """16 hex digits of SHA-256 over the package version and the bytes of its files.

    With no ``names``, every file of the package (modules, templates, data); with names
    (paths relative to the package, e.g. ``"synthetic.py"``), only those files.
    """
    digest = hashlib.sha256(__version__.encode())
    for path in _files(names):
        digest.update(path.relative_to(PACKAGE_ROOT).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


#: The files the synthetic London is made from: a change to any of them makes new data.
SYNTHETIC_SOURCES = ("synthetic.py", "geography.py", "periods.py", "definitions.py", "schema.py",
                     "data/lsoa_borough.csv", "data/borough_population_mid2019.csv")
