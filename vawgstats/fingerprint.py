"""What the caches key on: the data files' content and the code and package files that made a result.

Prepared tables, validated-record copies, the cached synthetic London and rendered reports
are reused when their key matches.  A key that named only the package *version* would let a
changed function reuse tables made by the old one (the version does not change between
commits of a development install), so the keys hash the package's own files instead
(:func:`code_fingerprint`); a data file is known by the SHA-256 of its bytes (:func:`sha256_file`),
kept in the build folder while the file is unchanged.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import time
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


#: Where :func:`sha256_file` keeps the hashes of data files in a build folder, so that a new
#: process does not read an unchanged file again to hash it.
HASHES_FILE = "file-hashes.json"
#: A file modified less than this long ago is hashed but its hash not kept: a write within the
#: filesystem's timestamp granularity could otherwise leave size and mtime unchanged.
_RECENT_NS = 2_000_000_000


def _file_identity(status: os.stat_result) -> dict:
    return {"size": status.st_size, "mtime_ns": status.st_mtime_ns, "ctime_ns": status.st_ctime_ns,
            "inode": status.st_ino}


def sha256_file(path: Path, chunk: int = 1 << 20, *, build_root: str | Path | None = None) -> str:
    """SHA-256 of a file's bytes, as hex (remembered while the file's size and mtime stay the same).

    With ``build_root``, the hash is also kept in ``<build_root>/file-hashes.json`` keyed by the
    file's resolved path with its size, mtime, ctime and inode: a new process reuses it while all
    of these are unchanged, and hashes the file again when any of them differs.
    """
    status = Path(path).stat()
    resolved = str(Path(path).resolve())
    if build_root is None:
        return _sha256_of(resolved, status.st_size, status.st_mtime_ns, chunk)
    store = Path(build_root) / HASHES_FILE
    identity = _file_identity(status)
    known, kept = _kept_hash(store, resolved, identity)
    if kept:
        return kept
    digest = _sha256_of(resolved, status.st_size, status.st_mtime_ns, chunk)
    if time.time_ns() - status.st_mtime_ns > _RECENT_NS:
        known[resolved] = {**identity, "sha256": digest}
        try:
            store.parent.mkdir(parents=True, exist_ok=True)
            temporary = store.with_name(f".{HASHES_FILE}.{os.getpid()}.part")
            temporary.write_text(json.dumps(known, indent=1, sort_keys=True), encoding="utf-8")
            os.replace(temporary, store)
        except OSError:
            pass  # a read-only build folder: the file is hashed again next time
    return digest


def _kept_hash(store: Path, resolved: str, identity: dict) -> tuple[dict, str | None]:
    """The hashes kept in ``store`` and the one of the file ``resolved`` (None unless its identity is unchanged)."""
    try:
        known = json.loads(store.read_text(encoding="utf-8"))
        if not isinstance(known, dict):
            known = {}
    except (OSError, ValueError):
        known = {}
    entry = known.get(resolved)
    if isinstance(entry, dict) and {k: entry.get(k) for k in identity} == identity and entry.get("sha256"):
        return known, str(entry["sha256"])
    return known, None


def new_to(build_root, data_path) -> bool:
    """Whether ``data_path`` is a file whose hash ``build_root`` does not keep (so, almost surely,
    a file not prepared there yet)."""
    try:
        path = Path(data_path)
        identity = _file_identity(path.stat())
    except (OSError, TypeError):
        return False
    return _kept_hash(Path(build_root) / HASHES_FILE, str(path.resolve()), identity)[1] is None


@functools.lru_cache(maxsize=32)
def _sha256_of(path: str, size: int, mtime_ns: int, chunk: int) -> str:
    digest = hashlib.sha256()
    buffer = bytearray(chunk)  # one buffer, read into again and again: no new memory per chunk
    view = memoryview(buffer)
    with open(path, "rb") as handle:
        while read := handle.readinto(buffer):
            digest.update(view[:read])
    return digest.hexdigest()
