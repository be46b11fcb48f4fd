"""Re-execute the notebooks with their default parameters and store the outputs nbval compares.

Run after changing a notebook or anything that changes the reports' text:

    python tests/refresh_notebook_outputs.py

Images are dropped from the stored outputs (nbval does not compare them), which keeps the
notebooks small in git.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent


def refresh(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    _execute(notebook, path)
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
        for output in cell.get("outputs", []):
            output.get("data", {}).pop("image/png", None)
            output.get("metadata", {}).pop("image/png", None)
    nbformat.write(notebook, path)


def _execute(notebook, path: Path) -> None:
    import os
    import tempfile

    from vawgstats.render import KERNEL_NAME, ensure_kernel

    os.environ["JUPYTER_PATH"] = str(ensure_kernel(Path(tempfile.mkdtemp())))
    client = NotebookClient(notebook, timeout=900, kernel_name=KERNEL_NAME,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}


if __name__ == "__main__":
    for name in sys.argv[1:] or sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb")):
        refresh(ROOT / "notebooks" / name)
        print(f"refreshed {name}")
