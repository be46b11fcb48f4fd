"""Tables computed in a forked process beside this one (prepare's second core).

Most of the prepare step is pandas and numpy code that holds the GIL, so threads do not
run it in parallel.  :func:`fork_tables` runs one independent part of the work in a
child process made by ``fork`` (it shares the records already in memory, nothing is
copied or pickled); the child writes its tables as Parquet files into a folder and
exits, and :meth:`Forked.collect` hands them back.  Where ``fork`` is not available
(not Linux) or not safe (another Python thread is running), or the child fails or
hangs, the caller does the work itself, so the result never depends on the child:
only the time does.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Callable

#: How long :meth:`Forked.collect` waits for the child before doing the work itself.
TIMEOUT_SECONDS = 120.0

INFO_FILE = "info.json"


class Forked:
    """A child process computing tables into ``folder``."""

    def __init__(self, pid: int, folder: Path, unfreeze: bool = False):
        self.pid, self.folder = pid, folder
        self._status: int | None = None
        self._unfreeze = unfreeze

    def _wait(self, timeout: float) -> int:
        """The child's exit code, or -1 (it is ended) when it has not ended within ``timeout``."""
        try:  # woken the moment the child ends (Linux 5.3 and later)
            descriptor = os.pidfd_open(self.pid)
        except (AttributeError, OSError):
            descriptor = None
        if descriptor is not None:
            import select

            try:
                ended = select.select([descriptor], [], [], timeout)[0]
            finally:
                os.close(descriptor)
            if not ended:
                self.stop()
                return -1
            return os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])
        deadline = time.monotonic() + timeout
        delay = 0.001
        while True:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
            if time.monotonic() > deadline:
                self.stop()
                return -1
            time.sleep(delay)
            delay = min(delay * 2, 0.02)

    def collect(self, timeout: float = TIMEOUT_SECONDS) -> tuple[dict[str, Path], dict] | None:
        """The child's tables (name -> Parquet file) and its info, or None if it failed."""
        if self._status is None:
            self._status = self._wait(timeout)
            self._thaw()
        info_path = self.folder / INFO_FILE
        if self._status != 0 or not info_path.exists():
            return None
        info = json.loads(info_path.read_text(encoding="utf-8"))
        files = {name: self.folder / f"{name}.parquet" for name in info["tables"]}
        if not all(path.exists() for path in files.values()):
            return None
        return files, info["info"]

    def stop(self) -> None:
        """End the child (if still running) and reap it."""
        if self._status is not None:
            return
        import signal

        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        self._status = -1
        self._thaw()

    def _thaw(self) -> None:
        """The child has ended: the objects frozen for the fork are the collector's again."""
        if self._unfreeze:
            import gc

            gc.unfreeze()
            self._unfreeze = False


def can_fork() -> bool:
    """Whether :func:`fork_tables` may fork on this system (Linux: fork is safe with the libraries used)."""
    return hasattr(os, "fork") and sys.platform.startswith("linux")


def single_threaded() -> bool:
    """Whether this process runs no other Python thread (then no lock, an import's say, can be held
    at the fork by a thread the child would not have; e.g. not in a Jupyter kernel, nor beside a
    process pool's management thread)."""
    import threading

    return threading.active_count() == 1


def fork_tables(work: Callable[[], tuple[dict, dict]], folder: Path) -> Forked | None:
    """Run ``work()`` -> ``(tables, info)`` in a forked child (None: cannot fork).

    The child writes each DataFrame of ``tables`` to ``folder/<name>.parquet`` and ``info``
    (JSON-serialisable) to ``folder/info.json`` and exits.  Any error in the child only makes :meth:`Forked.collect`
    answer None.  Call it only when :func:`single_threaded`.
    """
    if not can_fork():
        return None
    import gc

    folder.mkdir(parents=True, exist_ok=True)
    # Objects made so far are moved out of the collector's sight until the child has ended: its
    # collections (and this process's) would otherwise write to every page holding one, and each
    # such page, shared after the fork, is then copied (Python's gc.freeze documentation).
    freeze = gc.get_freeze_count() == 0
    if freeze:
        gc.freeze()
    try:
        pid = os.fork()
    except OSError:
        if freeze:
            gc.unfreeze()
        return None
    if pid == 0:  # the child: never returns
        status = 1
        try:
            tables, info = work()
            for name, table in tables.items():
                table.to_parquet(folder / f"{name}.parquet", index=False)
            partial = folder / f".{INFO_FILE}.part"
            partial.write_text(json.dumps({"tables": list(tables), "info": info}), encoding="utf-8")
            os.replace(partial, folder / INFO_FILE)
            status = 0
        except BaseException:  # the parent does the work itself (if not done) and reports any error
            pass
        finally:
            os._exit(status)
    return Forked(pid, folder, unfreeze=freeze)
