"""The kernel that runs the notebooks: a kernelspec for this Python, and one warm kernel per worker."""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path

from ..errors import RenderError

KERNEL_NAME = "vawgstats-python"


def ensure_kernel(build_root: Path) -> Path:
    """Write a kernelspec that runs this very Python (``sys.executable``); return its JUPYTER_PATH root.

    A user-level 'python3' kernelspec may point at another environment, where
    vawgstats is not importable; a kernel of our own name avoids it.
    """
    root = build_root / "jupyter"
    spec_dir = root / "kernels" / KERNEL_NAME
    spec = {
        # no IPython history database (nothing reads it; a report's kernel need not write to $HOME)
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
                 "--IPKernelApp.log_level=ERROR", "--HistoryManager.enabled=False"],
        "display_name": f"vawgstats ({sys.executable})",
        "language": "python",
        "metadata": {"debugger": False},
    }
    path = spec_dir / "kernel.json"
    text = json.dumps(spec, indent=1)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        spec_dir.mkdir(parents=True, exist_ok=True)
        temporary = spec_dir / f".kernel-{os.getpid()}.json"
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    return root.resolve()



#: Run before each report in a warm kernel: an empty namespace and execution counts from 1, as
#: in a new kernel, no figures left open, and the report's folder as working directory.
RESET_KERNEL = """\
import os, sys
os.chdir({cwd!r})
if "matplotlib.pyplot" in sys.modules:
    sys.modules["matplotlib.pyplot"].close("all")
get_ipython().reset(new_session=True)
"""
_WARM = threading.local()
_WARM_ENGINE = "vawgstats-warm"
#: Every warm kernel of this process (one per thread that renders), so that the main thread can end
#: them all at once on Ctrl-C or an error (:func:`shutdown_all_warm_kernels`).
_ALL_WARM: set = set()
_ALL_WARM_LOCK = threading.Lock()


def warm_kernel_manager(cwd: Path):
    """This thread's kernel, started on first use, reset (:data:`RESET_KERNEL`) for a new report.

    A worker renders many reports; starting a kernel and importing pandas,
    matplotlib and scipy into it cost about 2.5 s, a large share of a report.
    Reusing one kernel per worker pays that once.  Module-level state is kept
    (imports, caches of pure functions), the namespace is not; tests check that
    reports made this way are identical to those made in new kernels.
    """
    from jupyter_client.manager import KernelManager

    manager = getattr(_WARM, "manager", None)
    if manager is None or not manager.is_alive():
        shutdown_warm_kernel()
        manager = KernelManager(kernel_name=KERNEL_NAME)
        manager.start_kernel(cwd=str(cwd))
        _WARM.manager = manager
        with _ALL_WARM_LOCK:
            _ALL_WARM.add(manager)
        import multiprocessing.util

        # ended when this process exits normally (workers, and the main process at exit)
        multiprocessing.util.Finalize(None, _shutdown_kernel, args=(manager,), exitpriority=10)
        _WARM.client = manager.client()
        _WARM.client.start_channels()
        _wait_for_ready(_WARM.client, timeout=60)
    client = _WARM.client
    request = client.execute(RESET_KERNEL.format(cwd=str(cwd)), silent=True, store_history=False)
    while True:  # the reply comes on the shell channel; nothing to read on IOPub
        reply = client.get_shell_msg(timeout=60)
        if reply["parent_header"].get("msg_id") == request:
            break
    if reply["content"]["status"] != "ok":
        shutdown_warm_kernel()
        raise RenderError(f"Could not reset the kernel: {reply['content'].get('evalue', '')}")
    _register_warm_engine()  # (imports papermill: after the kernel has started, so that the two overlap)
    return manager


def _wait_for_ready(client, timeout: float) -> None:
    """Wait until the kernel answers on its shell channel and its IOPub channel is connected.

    jupyter_client's ``wait_for_ready`` does this and then reads IOPub until nothing has come
    for 0.2 s, which makes every kernel start 0.2 s later; nothing here needs those messages
    flushed (papermill's client keeps only those answering its own requests).
    """
    import queue
    import time

    deadline = time.monotonic() + timeout
    while True:
        client.kernel_info()
        try:
            reply = client.get_shell_msg(timeout=1)
        except queue.Empty:
            reply = None
        if reply is not None and reply["msg_type"] == "kernel_info_reply":
            try:
                client.get_iopub_msg(timeout=0.2)  # a status message: IOPub is connected
                return
            except queue.Empty:
                pass  # not yet: ask again
        if not client.is_alive():
            raise RenderError("The kernel died before it replied to kernel_info.")
        if time.monotonic() > deadline:
            raise RenderError(f"The kernel did not reply in {timeout:.0f} s.")


def _kernel_environment(jupyter_path: Path) -> None:
    """Environment for the kernels this process starts: our kernelspec, matplotlib without a display."""
    paths = os.environ.get("JUPYTER_PATH", "").split(os.pathsep)
    if str(jupyter_path) not in paths:  # workers run many jobs: add it once
        os.environ["JUPYTER_PATH"] = os.pathsep.join([str(jupyter_path)] + [p for p in paths if p])
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")


#: What a BCU or borough report's kernel imports; a warm-up (:func:`warm_up`) imports it in advance,
#: then moves the objects the imports made (modules, functions, classes) out of the garbage
#: collector's sight (gc.freeze): IPython's reset before each report runs a full collection, as the
#: collector itself does every so often, and neither need scan them again (about 0.1 CPU-s a report).
REPORT_IMPORTS = ("import IPython.display\n"
                  "import vawgstats.charts, vawgstats.maps, vawgstats.methods, vawgstats.params, vawgstats.prepare, "
                  "vawgstats.tables, vawgstats.units, vawgstats.commitments, vawgstats.commitments_report\n"
                  "import gc; gc.freeze()")
#: What any report's kernel may import: the overview's statistics too (scipy.stats, about 0.4 s).
WARM_UP_CODE = "import scipy.stats\n" + REPORT_IMPORTS


def warm_up(jupyter_path: str, workdir: str, code: str = WARM_UP_CODE, meanwhile=None) -> bool:
    """Start this worker's (or thread's) warm kernel and run ``code`` in it: the imports reports need.

    Run in each worker while the main process prepares the tables, or in each
    rendering thread while this process gets ready, so that the two overlap.
    ``meanwhile``: called in this process while the kernel imports (a worker gets
    ready to convert). Returns whether it worked; a failure here only means the
    first report starts the kernel itself.
    """
    try:
        _kernel_environment(Path(jupyter_path))
        Path(workdir).mkdir(parents=True, exist_ok=True)
        warm_kernel_manager(Path(workdir))
        client = _WARM.client
        request = client.execute(code, silent=True, store_history=False)
        if meanwhile is not None:
            meanwhile()
        while (reply := client.get_shell_msg(timeout=120))["parent_header"].get("msg_id") != request:
            pass
        return reply["content"]["status"] == "ok"
    except Exception:  # noqa: BLE001 - the reports will say what is wrong, if anything is
        return False


def _shutdown_kernel(manager) -> None:
    """End a kernel at once (its outputs are all in hand).

    The kernel process is killed and waited for here first: jupyter_client's own
    ``shutdown_kernel(now=True)`` kills it and then polls every 0.1 s until it has gone,
    which cost a tenth of a second per kernel at the end of every run.
    """
    try:
        process = getattr(manager.provisioner, "process", None)  # a local kernel's Popen
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        if manager.has_kernel:
            manager.shutdown_kernel(now=True)
    except Exception:  # noqa: BLE001 - it may be gone already
        pass


def shutdown_warm_kernel() -> None:
    """End this thread's warm kernel, if any."""
    manager, client = getattr(_WARM, "manager", None), getattr(_WARM, "client", None)
    _WARM.manager = _WARM.client = None
    if client is not None:
        client.stop_channels()
    if manager is not None:
        with _ALL_WARM_LOCK:
            _ALL_WARM.discard(manager)
        _shutdown_kernel(manager)


def shutdown_all_warm_kernels() -> None:
    """End every warm kernel of this process, whichever thread started it (on Ctrl-C or an error:
    a thread still running a report then sees its kernel die and returns a failure)."""
    with _ALL_WARM_LOCK:
        managers = list(_ALL_WARM)
        _ALL_WARM.clear()
    for manager in managers:
        _shutdown_kernel(manager)


def _register_warm_engine() -> None:
    """Register a papermill engine that runs in this thread's warm kernel and leaves it running."""
    from papermill.engines import NBClientEngine, papermill_engines

    if _WARM_ENGINE in papermill_engines._engines:
        return

    class WarmEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                     stderr_file=None, start_timeout=60, execution_timeout=None, **kwargs):
            from papermill.clientwrap import PapermillNotebookClient
            from papermill.engines import logger

            kwargs.pop("input_path", None)
            client = PapermillNotebookClient(
                nb_man, kernel_name=kernel_name, log=logger, log_output=log_output, stdout_file=stdout_file,
                stderr_file=stderr_file, startup_timeout=start_timeout, timeout=execution_timeout, **kwargs)
            client.kc = _WARM.client  # connected and ready already; neither is ended afterwards
            return client.execute()

    papermill_engines.register(_WARM_ENGINE, WarmEngine)
