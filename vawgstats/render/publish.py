"""Publishing: finished files moved into the output folder with atomic renames."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from ..errors import ParamsError


def publish(files: list[Path], out_dir: Path) -> list[Path]:
    """Move finished files into ``out_dir`` atomically (copy beside the target, then rename)."""
    published = []
    out_dir.mkdir(parents=True, exist_ok=True)
    for source in files:
        target = safe_output_path(out_dir, source.name)
        with tempfile.NamedTemporaryFile(dir=out_dir, prefix=f".{source.name}.", suffix=".part",
                                         delete=False) as handle:
            temporary = Path(handle.name)
        try:
            shutil.copyfile(source, temporary)
            os.chmod(temporary, 0o644)
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)
        published.append(target)
    return published


def safe_output_path(out_dir: Path, name: str) -> Path:
    """``out_dir/name``, refusing any name that would land outside ``out_dir``."""
    root = out_dir.resolve()
    target = (root / name).resolve()
    if target.parent != root:
        raise ParamsError(f"Output name {name!r} would be written outside the output folder {out_dir}.")
    return target
