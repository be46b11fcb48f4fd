"""Executing the notebooks, rendering them, and publishing atomically.

One call, :func:`render`, does the main job:

1. prepare the metric tables once (:func:`vawgstats.prepare.prepare`);
2. for each report (``bcu-<CODE>`` and ``london``), unless its inputs are
   unchanged and its outputs exist (:mod:`.jobs`: cache keys, state file),
   execute the notebook with papermill in a private working folder under
   ``build/`` (:mod:`.execute`, in a kernel running this Python, ``sys.executable``,
   :mod:`.kernel`), then convert it (:mod:`.convert`): with Quarto (HTML, and PDF
   through Typst) when ``quarto`` is on PATH, else in-process with nbconvert (HTML);
3. once every report has finished (written or failed), move the written files
   into the output folder with atomic renames (:mod:`.publish`); an interrupted
   run publishes nothing, and a failed report leaves its published predecessor untouched;
4. write ``index.html`` linking the reports (:mod:`.index`).

Reports run in ``jobs`` worker processes (each with its own kernel, ports and
folder; a worker keeps its kernel from one report to the next, resetting it in
between, see :func:`vawgstats.render.kernel.warm_kernel_manager`), or on a Dask
cluster when ``dask_scheduler`` is given (a new kernel per report).
"""

from __future__ import annotations

from .convert import (QUARTO_ADVICE, choose_renderer, convert_with_nbconvert, convert_with_quarto, mark_edition,
                      quarto_commands, quarto_config)
from .execute import execute_notebook, run_job
from .index import write_index
from .jobs import NOTEBOOKS, STATE_FILE, Job, JobResult, build_jobs, notebook_path, project_root
from .kernel import KERNEL_NAME, ensure_kernel, shutdown_warm_kernel, warm_kernel_manager
from .publish import safe_output_path  # the module keeps the name publish; its function: publish.publish
from .run import RenderSummary, render

__all__ = [
    "KERNEL_NAME", "NOTEBOOKS", "QUARTO_ADVICE", "STATE_FILE", "Job", "JobResult", "RenderSummary",
    "build_jobs", "choose_renderer", "convert_with_nbconvert", "convert_with_quarto", "ensure_kernel",
    "execute_notebook", "mark_edition", "notebook_path", "project_root", "quarto_commands",
    "quarto_config", "render", "run_job", "safe_output_path", "shutdown_warm_kernel", "warm_kernel_manager",
    "write_index",
]
