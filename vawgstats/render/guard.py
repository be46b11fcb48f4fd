"""Guards of a render run: one run at a time per folder, and editions never mixed.

- :func:`run_lock`: an exclusive ``fcntl.flock`` on a lock file for the build folder and
  one for the output folder (kept beside it, ``.<name>.lock``, so that the output folder
  itself holds reports only).  A second run on either folder says it is waiting and waits
  for the first to end.  The operating system releases a flock when its process ends,
  however it ends, so a lock left by a killed run is never stale.
- :func:`check_edition`: the output folder records its edition in its state file (and
  every report page in ``<meta name="vawgstats-edition">``); rendering the other edition
  into it is refused (:class:`EditionError`, exit status 2) before anything is written.
- :data:`PROTECTIVE_MARKING`: what a restricted page carries at its top and bottom.
"""

from __future__ import annotations

import fcntl
import os
import re
import sys
from contextlib import ExitStack, contextmanager
from pathlib import Path

from ..errors import RenderError

#: The Government Security Classification marking of the restricted edition.
PROTECTIVE_MARKING = "OFFICIAL-SENSITIVE"
#: Key of the output folder's state file that records its edition.
EDITION_KEY = "edition"


class EditionError(RenderError):
    """The output folder holds the other edition."""


def edition_marking(edition: str) -> str | None:
    """The protective marking of an edition's pages: ``OFFICIAL-SENSITIVE`` for restricted, None for public.

    (PDF templates mark every page with the same text.)
    """
    return PROTECTIVE_MARKING if edition == "restricted" else None


_META = re.compile(r'<meta\s+name="vawgstats-edition"\s+content="([^"]*)"', re.I)


def folder_edition(out_dir: Path, state: dict) -> tuple[str | None, str]:
    """The edition an output folder holds and how it is known (state file, or a page's meta tag)."""
    from .jobs import STATE_FILE

    if state.get(EDITION_KEY):
        return str(state[EDITION_KEY]), f"its state file {STATE_FILE}"
    if out_dir.is_dir():
        for page in sorted(out_dir.glob("*.htm*")):
            try:
                head = page.read_text(encoding="utf-8", errors="replace")[:20000]
            except OSError:
                continue
            found = _META.search(head)
            if found:
                return found.group(1), f"the page {page.name}"
    return None, ""


def check_edition(out_dir: Path, edition: str, state: dict) -> None:
    """Refuse to render ``edition`` into a folder that holds the other edition (exit status 2)."""
    held, where = folder_edition(out_dir, state)
    if held and held != edition:
        raise EditionError(
            f"The output folder {out_dir} holds the {held} edition (recorded in {where}), so the {edition} "
            f"edition is not rendered into it: editions are never mixed in one folder. Nothing was changed "
            f"there. Render the {edition} edition into another folder (--out), or the {held} edition here.")


def _lock_path_for_output(out_dir: Path) -> Path:
    resolved = out_dir.resolve()
    return resolved.parent / f".{resolved.name}.lock"


@contextmanager
def _locked(path: Path, what: str, folder: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            print(f"vawgstats: another render ({holder}) is using the {what} {folder}; "
                  f"waiting for it to finish (Ctrl-C to give up).", file=sys.stderr, flush=True)
            fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}\n")
        handle.flush()
        yield
    finally:
        handle.close()          # closing the file releases the lock


@contextmanager
def run_lock(build_root: Path, out_dir: Path):
    """Hold the build folder's and then the output folder's lock for a whole run (waiting if busy)."""
    with ExitStack() as stack:
        stack.enter_context(_locked(Path(build_root) / ".vawgstats.lock", "build folder", Path(build_root)))
        stack.enter_context(_locked(_lock_path_for_output(Path(out_dir)), "output folder", Path(out_dir)))
        yield
