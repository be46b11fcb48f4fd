"""Executing reports: one notebook with papermill (:func:`execute_notebook`), one report
(:func:`run_job`: execute, then convert), and many at once in worker processes or on Dask
(:func:`execute_jobs`), with Ctrl-C handled by the parent process.
"""

from __future__ import annotations

import gc
import os
import shutil
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

from ..errors import RenderError
from .convert import convert_with_nbconvert, convert_with_quarto, prime_html_exporter
from .jobs import Job, JobResult
from .pdf import convert_to_pdf
from .kernel import (_WARM_ENGINE, KERNEL_NAME, REPORT_IMPORTS, WARM_UP_CODE, _kernel_environment,
                     _register_warm_engine, shutdown_all_warm_kernels, shutdown_warm_kernel, warm_kernel_manager,
                     warm_up)


#: At most this many reports to make (and no worker processes started already, as while the tables
#: are prepared): they run in this process, in up to ``-j`` threads each driving a kernel of its own
#: (:func:`_execute_in_threads`), rather than in new worker processes that each import papermill and
#: nbconvert as well and start a kernel.
FEW_REPORTS = 3


def run_job(job: Job | dict, warm_kernel: bool = False) -> JobResult:
    """Execute and convert one report in its working folder (runs in a worker process).

    ``warm_kernel``: run it in this thread's kernel, started by the first report
    and reset before each (:func:`warm_kernel_manager`), instead of a kernel of its own.
    Never raises: a failure is returned as ``status="failed"`` with the error text.
    """
    return convert_job(*execute_job(job, warm_kernel))


def execute_job(job: Job | dict, warm_kernel: bool = False) -> tuple[Job, float, str | None]:
    """The first half of :func:`run_job`: execute the report's notebook in a new working folder.

    Returns the job, when it started (``time.perf_counter()``) and the error text (None if it
    worked); never raises.
    """
    job = Job(**job) if isinstance(job, dict) else job
    started = time.perf_counter()
    workdir = Path(job.workdir)
    try:
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(parents=True)
        execute_notebook(Path(job.notebook), workdir / f"{job.name}.ipynb", job.parameters,
                         Path(job.jupyter_path), warm_kernel=warm_kernel)
        return job, started, None
    except Exception as exc:  # noqa: BLE001 - reported per report, the run goes on
        return job, started, _error_text(exc)


def convert_job(job: Job, started: float, error: str | None = None) -> JobResult:
    """The second half of :func:`run_job`: convert the executed notebook to the report's formats
    (or report the execution's ``error``); never raises."""
    if error is not None:
        return JobResult(job.name, "failed", [], time.perf_counter() - started, error)
    workdir = Path(job.workdir)
    executed = workdir / f"{job.name}.ipynb"
    try:
        formats = tuple(job.formats)
        if job.renderer == "quarto":
            files = convert_with_quarto(executed, job.title, job.edition, formats=formats, period=job.period)
        else:  # HTML with nbconvert, PDF with pandoc and Typst
            files = []
            if "html" in formats:
                files.append(convert_with_nbconvert(executed, job.title, job.edition))
            if "pdf" in formats:
                files.append(convert_to_pdf(executed, job.title, job.edition, job.period))
        _finished(workdir)
        return JobResult(job.name, "written", [str(f) for f in files], time.perf_counter() - started)
    except Exception as exc:  # noqa: BLE001 - reported per report, the run goes on
        return JobResult(job.name, "failed", [], time.perf_counter() - started, _error_text(exc))


#: Environment variable for tests of interruption: when set, a worker that has finished a report
#: writes ``FINISHED_MARKER`` in the report's working folder and then waits to be ended, so that
#: a test can interrupt a run at a known point (a report done, none published) without timing.
HOLD_ENV = "VAWGSTATS_HOLD_FINISHED_REPORTS"
FINISHED_MARKER = "finished"


def _finished(workdir: Path) -> None:
    if not os.environ.get(HOLD_ENV):
        return
    (workdir / FINISHED_MARKER).write_text("finished\n", encoding="utf-8")
    while True:
        time.sleep(3600)


def _error_text(exc: Exception) -> str:
    text = str(exc).strip()
    # papermill's PapermillExecutionError carries the cell's exception name and message
    ename, evalue = getattr(exc, "ename", None), getattr(exc, "evalue", None)
    if ename:
        text = f"{ename}: {evalue}"
    return f"{exc.__class__.__name__}: {text.splitlines()[0] if text else ''}"[:500]


def execute_notebook(source: Path, output: Path, parameters: dict, jupyter_path: Path,
                     warm_kernel: bool = False) -> None:
    """Run a notebook with papermill, in the kernel that runs this Python.

    With ``warm_kernel`` it runs in this thread's kernel (:func:`warm_kernel_manager`),
    else in a new kernel that is ended afterwards.
    """
    import papermill

    _kernel_environment(jupyter_path)
    # Saved once at the end (or on failure), not after every cell; the kernel is killed at the
    # end rather than asked to shut down (its outputs are all in hand by then).
    # A warm kernel runs in the report's folder already (warm_kernel_manager); papermill is given no
    # folder then, as it would change this whole process's working directory (os.chdir) while the
    # notebook runs, under the other threads' feet.
    try:
        options = {"engine_name": _WARM_ENGINE, "km": warm_kernel_manager(output.parent)} if warm_kernel else {}
        notebook = papermill.execute_notebook(
            str(source), str(output), parameters=parameters, kernel_name=KERNEL_NAME,
            cwd=None if warm_kernel else str(output.parent), progress_bar=False, log_output=False, report_mode=False,
            request_save_on_cell_execute=False, shutdown_kernel="immediate", **options,
        )
    except BaseException:
        if warm_kernel:
            shutdown_warm_kernel()  # the next report starts from a new kernel
        raise
    import nbformat

    # Quarto and readers expect the generic kernel name; the executed outputs are what matter.
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.metadata.setdefault("language_info", {"name": "python"})
    notebook.metadata.pop("papermill", None)
    for cell in notebook.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell["id"] = "injected-parameters"  # papermill gives it a random id; reports must be reproducible
    nbformat.write(notebook, output)



def _execute(todo: list[Job], *, jobs: int | None, dask_scheduler: str | None, progress: bool,
             pool: ProcessPoolExecutor | None = None, meanwhile=None):
    """Yield each job's result as it finishes: in-process, in worker processes, or on Dask.

    ``pool``: worker processes started already (:func:`_start_pool`), used instead of new ones.
    ``meanwhile``: work of the caller's (e.g. the index's figures) called once in this thread
    when it would otherwise wait for reports on a core they leave free; not called when there
    is no such wait (one report), nor on Dask.
    """
    from tqdm import tqdm

    if not todo:
        return
    bar = tqdm(total=len(todo), desc="Rendering reports", unit="report", disable=not progress,
               file=sys.stderr, leave=True)
    try:
        if dask_scheduler:
            yield from _execute_dask(todo, dask_scheduler, bar)
            return
        workers = max(1, min(jobs or os.cpu_count() or 1, len(todo)))
        if pool is None and (workers == 1 or len(todo) <= FEW_REPORTS):
            # starting worker processes (papermill, nbconvert, a kernel each) would cost more than it saves
            yield from _execute_in_threads(todo, workers, bar, meanwhile)
            return
        pool = pool or _start_pool(workers)
        try:
            with _interrupts_held():  # workers start here, with Ctrl-C held until they ignore it
                # the overview first: it takes longest, and last it would leave a worker idle
                ordered = sorted(todo, key=lambda job: job.name != "london")
                pending = {pool.submit(run_job, asdict(job), True) for job in ordered}  # warm kernels
            if meanwhile is not None:
                meanwhile()  # the workers run the reports
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    result = future.result()
                    bar.set_postfix_str(result.name)
                    bar.update(1)
                    yield result
        except BaseException:
            _terminate_pool(pool)
            raise
        else:
            pool.shutdown(wait=True)
    finally:
        bar.close()


def _execute_in_threads(todo: list[Job], threads: int, bar, meanwhile=None):
    """Yield each job's result as it finishes, making them in this process in ``threads`` threads.

    Each thread starts its own warm kernel at once and imports into it what the reports
    need (:func:`warm_up`), while this thread imports papermill; the kernels execute the
    notebooks side by side (they are separate processes; the threads mostly wait on them).
    This thread converts each executed notebook (:func:`convert_job`), so that a kernel
    goes on to its next report at once: with three reports on two cores, the first two
    are converted while the third runs, on the core the first kernel has left, and then
    ``meanwhile`` is called (see :func:`_execute`).  The threads are daemons: on Ctrl-C or an
    error every kernel is ended and the exception goes on at once.
    """
    import queue

    jupyter_path = Path(todo[0].jupyter_path)
    _kernel_environment(jupyter_path)  # os.environ is changed here, once, not in the threads
    imports = WARM_UP_CODE if any(job.name == "london" for job in todo) else REPORT_IMPORTS
    jobs: queue.Queue = queue.Queue()
    for job in sorted(todo, key=lambda job: job.name != "london"):  # the longest first
        jobs.put(job)
    results: queue.Queue = queue.Queue()

    def work() -> None:
        try:
            warm_up(str(jupyter_path), str(Path(todo[0].workdir).parent), imports)
            while True:
                try:
                    job = jobs.get_nowait()
                except queue.Empty:
                    return
                results.put(execute_job(job, warm_kernel=True))
        finally:
            shutdown_warm_kernel()

    started = [threading.Thread(target=work, name=f"vawgstats-report-{i}", daemon=True)
               for i in range(max(1, min(threads, len(todo))))]
    for thread in started:
        thread.start()
    frozen = False
    try:
        frozen = _get_ready_to_execute()  # this process's part, while the kernels start
        for remaining in range(len(todo) - 1, -1, -1):
            while True:  # a timeout, so that Ctrl-C reaches this thread at once on any platform
                try:
                    executed = results.get(timeout=0.5)
                    break
                except queue.Empty:
                    if not any(thread.is_alive() for thread in started) and results.empty():
                        raise RenderError("The report threads ended without finishing every report.") from None
            result = convert_job(*executed)
            if remaining and results.empty() and meanwhile is not None:
                meanwhile()  # a report is still running and nothing waits to be converted
                meanwhile = None
            bar.set_postfix_str(result.name)
            bar.update(1)
            yield result
    except BaseException:
        shutdown_all_warm_kernels()
        raise
    finally:
        if frozen:  # this process may be a user's (a notebook calling render): its objects are collected again
            gc.unfreeze()
    # Not joined: each thread ends its kernel once the queue is empty (about 0.1 s), meanwhile this
    # one publishes the reports and writes the index; kernels still running at exit are ended then.


def _get_ready_to_execute() -> bool:
    """Import what drives the kernels, in this (otherwise idle) thread, and pandas, which the index
    reads its table with.  Then freeze what that made (``gc.freeze()``), so that the garbage
    collector's full collections, which come while reports are converted, do not scan the
    libraries' objects every time; returns whether it froze (not if something was frozen
    already).  The HTML exporter is made at the first conversion, when a core is free
    (:func:`_execute_in_threads`)."""
    import pandas  # noqa: F401

    _register_warm_engine()  # imports papermill
    if gc.get_freeze_count():
        return False
    gc.freeze()
    return True


def _get_ready_to_convert(renderer: str, formats) -> None:
    """A worker's part while its kernel imports: the HTML exporter made, then :func:`_get_ready_to_execute`."""
    if renderer != "quarto" and "html" in formats:
        prime_html_exporter()
    _get_ready_to_execute()


def _ignore_interrupts() -> None:
    """Worker initialiser: Ctrl-C is handled by the parent process, which ends the workers.

    The worker starts with SIGINT blocked (:func:`_interrupts_held`); one that arrived
    meanwhile is pending and is dropped when SIGINT is ignored, then SIGINT is unblocked.
    """
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _start_pool(workers: int, warm_up_in: tuple[Path, Path] | None = None,
                converting: tuple[str, tuple[str, ...]] = ("nbconvert", ("html",))) -> ProcessPoolExecutor:
    """A pool of ``workers`` spawned processes that ignore Ctrl-C (the parent handles it).

    ``warm_up_in``: (JUPYTER_PATH root, working folder); start the workers now and
    have each start its kernel and import what reports need (:func:`warm_up`), and get
    ready to convert (``converting``: the renderer and formats).
    """
    import multiprocessing

    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_ignore_interrupts)
    if warm_up_in:
        with _interrupts_held():  # workers start here, with Ctrl-C held until they ignore it
            for _ in range(workers):
                pool.submit(_warm_up_worker, str(warm_up_in[0]), str(warm_up_in[1]), *converting)
    return pool


def _warm_up_worker(jupyter_path: str, workdir: str, renderer: str, formats: tuple[str, ...]) -> bool:
    """A worker's warm-up: its kernel imports what BCU and borough reports need (the overview, made
    by one worker only, imports its statistics itself) while the worker gets ready to convert."""
    return warm_up(jupyter_path, workdir, REPORT_IMPORTS, meanwhile=lambda: _get_ready_to_convert(renderer, formats))


def _terminate_pool(pool: ProcessPoolExecutor) -> None:
    """Stop at once (Ctrl-C or an error): the workers ignore SIGINT (so they print no
    tracebacks) and are ended here; their kernels exit when their parent does.

    The workers are ended first and the pool is then shut down *waiting* for its
    management thread: it sees the ended workers and closes its pipes now, not while
    the interpreter exits (where that race printed "OSError: Bad file descriptor"
    from concurrent.futures' exit hook after a clean exit status 2).
    """
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.terminate()
    pool.shutdown(wait=True, cancel_futures=True)


@contextmanager
def _interrupts_held():
    """Block (not ignore) SIGINT in this thread while worker processes are spawned.

    A spawned worker inherits the blocked mask, so a Ctrl-C reaching it before its
    initialiser has run stays pending (and is then dropped by :func:`_ignore_interrupts`)
    instead of printing a traceback from it.  The parent keeps its handler: a Ctrl-C that
    comes meanwhile is delivered when the mask is restored (or at once, through another
    thread), never lost.  (Setting SIG_IGN here instead, as before, dropped a Ctrl-C that
    came while the workers were being started, and the run went on to the end.)
    """
    import signal

    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _execute_dask(todo: list[Job], address: str, bar):
    try:
        from dask.distributed import Client, as_completed
    except ImportError:
        raise RenderError("--dask-scheduler needs Dask: pip install 'vawgstats[dask]'.") from None
    try:
        client = Client(address, timeout=20)
    except (OSError, TimeoutError) as exc:
        raise RenderError(f"Could not connect to the Dask scheduler at {address}: {exc}") from None
    try:
        futures = client.map(run_job, [asdict(job) for job in todo], pure=False)
        for future in as_completed(futures):
            result = future.result()
            bar.update(1)
            yield result
    finally:
        client.close()
