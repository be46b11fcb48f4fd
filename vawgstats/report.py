"""Executing the notebooks, rendering them, and publishing atomically.

One call, :func:`render`, does the main job:

1. prepare the metric tables once (:func:`vawgstats.prepare.prepare`);
2. for each report (``bcu-<CODE>`` and ``london``), unless its inputs are
   unchanged and its outputs exist, execute the notebook with papermill in a
   private working folder under ``build/`` (a kernel running this Python,
   ``sys.executable``), then convert it: with Quarto (HTML, and PDF through
   Typst) when ``quarto`` is on PATH, else in-process with nbconvert (HTML);
3. once every report has finished (written or failed), move the written files
   into the output folder with atomic renames; an interrupted run publishes
   nothing, and a failed report leaves its published predecessor untouched;
4. write ``index.html`` linking the reports.

Reports run in ``jobs`` worker processes (each with its own kernel, ports and
folder; a worker keeps its kernel from one report to the next, resetting it in
between, see :func:`warm_kernel_manager`), or on a Dask cluster when
``dask_scheduler`` is given (a new kernel per report).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from html import escape
from importlib import resources
from pathlib import Path

from . import __version__
from .errors import ParamsError, RenderError
from .geography import BCU_BY_CODE, BCU_CODES

KERNEL_NAME = "vawgstats-python"
STATE_FILE = ".vawgstats-state.json"
QUARTO_ADVICE = (
    "Quarto is not installed (no 'quarto' on PATH). Install it from https://quarto.org/docs/get-started/ "
    "(or `pip install vawgstats[quarto]` where that can download Quarto), or use --renderer nbconvert."
)
DEFAULT_QUARTO_YML = """\
project:
  type: default
execute:
  enabled: false
format:
  html:
    embed-resources: true
    theme: cosmo
    toc: true
  typst:
    toc: true
    papersize: a4
"""


#: The notebooks of each kind of prepared data: (BCU report, London overview).
#: ``records``: one row per crime (the data contract); ``counts``: published counts (open data).
NOTEBOOKS = {"records": ("bcu_report", "london_overview"), "counts": ("bcu_open_data", "london_open_data")}


def project_root() -> Path:
    """The repository folder holding notebooks/, params/ and _quarto.yml."""
    return Path(__file__).resolve().parent.parent


def notebook_path(name: str) -> Path:
    """``bcu_report`` or ``london_overview`` in the repository's notebooks/ folder."""
    path = project_root() / "notebooks" / f"{name}.ipynb"
    if not path.exists():
        raise RenderError(f"The notebook {path} is missing; reinstall vawgstats from its repository.")
    return path


def choose_renderer(requested: str = "auto") -> str:
    """``quarto`` or ``nbconvert``. ``auto`` uses Quarto when it is on PATH, else nbconvert with a warning."""
    if requested not in ("auto", "quarto", "nbconvert"):
        raise ParamsError(f"Unknown renderer {requested!r}: expected auto, quarto or nbconvert.")
    has_quarto = shutil.which("quarto") is not None
    if requested == "quarto" and not has_quarto:
        raise RenderError(QUARTO_ADVICE)
    if requested == "auto":
        if has_quarto:
            return "quarto"
        warnings.warn("Rendering with nbconvert (HTML only, no PDF). " + QUARTO_ADVICE, UserWarning, stacklevel=2)
        return "nbconvert"
    return requested


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- the kernel


def ensure_kernel(build_root: Path) -> Path:
    """Write a kernelspec that runs this very Python (``sys.executable``); return its JUPYTER_PATH root.

    A user-level 'python3' kernelspec may point at another environment, where
    vawgstats is not importable; a kernel of our own name avoids it.
    """
    root = build_root / "jupyter"
    spec_dir = root / "kernels" / KERNEL_NAME
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
                 "--IPKernelApp.log_level=ERROR"],
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


# --------------------------------------------------------------------------- a warm kernel per worker

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


def warm_kernel_manager(cwd: Path):
    """This thread's kernel, started on first use, reset (:data:`RESET_KERNEL`) for a new report.

    A worker renders many reports; starting a kernel and importing pandas,
    matplotlib and scipy into it cost about 2.5 s, a large share of a report.
    Reusing one kernel per worker pays that once.  Module-level state is kept
    (imports, caches of pure functions), the namespace is not; tests check that
    reports made this way are identical to those made in new kernels.
    """
    from jupyter_client.manager import KernelManager

    _register_warm_engine()
    manager = getattr(_WARM, "manager", None)
    if manager is None or not manager.is_alive():
        shutdown_warm_kernel()
        manager = KernelManager(kernel_name=KERNEL_NAME)
        manager.start_kernel(cwd=str(cwd))
        _WARM.manager = manager
        import multiprocessing.util

        # ended when this process exits normally (workers, and the main process at exit)
        multiprocessing.util.Finalize(None, _shutdown_kernel, args=(manager,), exitpriority=10)
        _WARM.client = manager.client()
        _WARM.client.start_channels()
        _WARM.client.wait_for_ready(timeout=60)
    client = _WARM.client
    request = client.execute(RESET_KERNEL.format(cwd=str(cwd)), silent=True, store_history=False)
    while True:  # the reply comes on the shell channel; nothing to read on IOPub
        reply = client.get_shell_msg(timeout=60)
        if reply["parent_header"].get("msg_id") == request:
            break
    if reply["content"]["status"] != "ok":
        shutdown_warm_kernel()
        raise RenderError(f"Could not reset the kernel: {reply['content'].get('evalue', '')}")
    return manager


def _kernel_environment(jupyter_path: Path) -> None:
    """Environment for the kernels this process starts: our kernelspec, matplotlib without a display."""
    paths = os.environ.get("JUPYTER_PATH", "").split(os.pathsep)
    if str(jupyter_path) not in paths:  # workers run many jobs: add it once
        os.environ["JUPYTER_PATH"] = os.pathsep.join([str(jupyter_path)] + [p for p in paths if p])
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")


#: What a report's kernel imports; a warm-up (:func:`warm_up`) imports it in advance.
WARM_UP_CODE = ("import scipy.stats, IPython.display\n"
                "import vawgstats.charts, vawgstats.methods, vawgstats.params, vawgstats.prepare, vawgstats.tables")


def warm_up(jupyter_path: str, workdir: str) -> bool:
    """Start this worker's warm kernel and import into it what reports need.

    Run in each worker while the main process prepares the tables, so that the
    two overlap.  Returns whether it worked; a failure here only means the
    first report starts the kernel itself.
    """
    try:
        _kernel_environment(Path(jupyter_path))
        Path(workdir).mkdir(parents=True, exist_ok=True)
        warm_kernel_manager(Path(workdir))
        client = _WARM.client
        request = client.execute(WARM_UP_CODE, silent=True, store_history=False)
        while (reply := client.get_shell_msg(timeout=120))["parent_header"].get("msg_id") != request:
            pass
        return reply["content"]["status"] == "ok"
    except Exception:  # noqa: BLE001 - the reports will say what is wrong, if anything is
        return False


def _shutdown_kernel(manager) -> None:
    try:
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


# --------------------------------------------------------------------------- one report


@dataclass
class Job:
    """One report to make: its name, notebook, parameters and where to work."""

    name: str
    notebook: str
    title: str
    parameters: dict
    workdir: str
    renderer: str
    jupyter_path: str
    edition: str
    key: str = ""


@dataclass
class JobResult:
    """What happened to one report."""

    name: str
    status: str                   # written, skipped, failed
    files: list[str] = field(default_factory=list)
    seconds: float = 0.0
    error: str = ""


def run_job(job: Job | dict, warm_kernel: bool = False) -> JobResult:
    """Execute and convert one report in its working folder (runs in a worker process).

    ``warm_kernel``: run it in this thread's kernel, started by the first report
    and reset before each (:func:`warm_kernel_manager`), instead of a kernel of its own.
    Never raises: a failure is returned as ``status="failed"`` with the error text.
    """
    job = Job(**job) if isinstance(job, dict) else job
    started = time.perf_counter()
    workdir = Path(job.workdir)
    try:
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(parents=True)
        executed = workdir / f"{job.name}.ipynb"
        execute_notebook(Path(job.notebook), executed, job.parameters, Path(job.jupyter_path),
                         warm_kernel=warm_kernel)
        if job.renderer == "quarto":
            files = convert_with_quarto(executed, job.title, job.edition)
        else:
            files = [convert_with_nbconvert(executed, job.title, job.edition)]
        return JobResult(job.name, "written", [str(f) for f in files], time.perf_counter() - started)
    except Exception as exc:  # noqa: BLE001 - reported per report, the run goes on
        return JobResult(job.name, "failed", [], time.perf_counter() - started, _error_text(exc))


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
    try:
        options = {"engine_name": _WARM_ENGINE, "km": warm_kernel_manager(output.parent)} if warm_kernel else {}
        notebook = papermill.execute_notebook(
            str(source), str(output), parameters=parameters, kernel_name=KERNEL_NAME,
            cwd=str(output.parent), progress_bar=False, log_output=False, report_mode=False,
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


_CAPTION = re.compile(r"^: (?P<caption>.+?) \{#(?P<label>tbl-[\w-]+)\}\s*$", re.MULTILINE)


def _nbconvert_captions(text: str) -> str:
    """Quarto's table caption line ``: Caption {#tbl-x}`` as an emphasised line for nbconvert."""
    return _CAPTION.sub(lambda m: f"*Table: {m.group('caption')}*", text)


def mark_edition(html: str, edition: str) -> str:
    """Add ``<meta name="vawgstats-edition">`` to a page (read by ``vawgstats audit``)."""
    tag = f'<meta name="vawgstats-edition" content="{escape(edition)}">'
    return re.sub(r"<head([^>]*)>", lambda m: f"<head{m.group(1)}>\n{tag}", html, count=1)


_EXPORTERS = threading.local()


def _html_exporter():
    """The HTML exporter of this thread, made once: loading its templates takes about 0.4 s."""
    exporter = getattr(_EXPORTERS, "html", None)
    if exporter is None:
        from nbconvert import HTMLExporter

        templates = resources.files("vawgstats") / "templates"
        exporter = _EXPORTERS.html = HTMLExporter(
            template_name="vawgstats_html", extra_template_basedirs=[str(templates)],
            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True, exclude_raw=True,
            embed_images=True,
        )
    return exporter


def convert_with_nbconvert(executed: Path, title: str, edition: str) -> Path:
    """Self-contained HTML without code, scripts or network references (nbconvert, in-process)."""
    import nbformat

    notebook = nbformat.read(executed, as_version=4)
    notebook.metadata["title"] = title
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "text/markdown" in data:
                data["text/markdown"] = _nbconvert_captions(data["text/markdown"])
    body, _ = _html_exporter().from_notebook_node(notebook, resources={"vawgstats_edition": edition})
    target = executed.with_suffix(".html")
    target.write_text(mark_edition(body, edition), encoding="utf-8")
    return target


def quarto_config() -> str:
    """The project's _quarto.yml text (or a built-in copy if the file is missing)."""
    path = project_root() / "_quarto.yml"
    return path.read_text(encoding="utf-8") if path.exists() else DEFAULT_QUARTO_YML


def quarto_commands(executed: Path, title: str) -> list[list[str]]:
    """The Quarto commands for one executed notebook: HTML, then PDF through Typst."""
    return [["quarto", "render", executed.name, "--to", fmt, "-M", f"title:{title}"] for fmt in ("html", "typst")]


def convert_with_quarto(executed: Path, title: str, edition: str) -> list[Path]:
    """HTML (embedded resources) and Typst PDF of the stored outputs; Quarto does not re-execute.

    Each report renders in its own folder with its own copy of _quarto.yml, so
    concurrent renders never share a Quarto project directory.
    """
    workdir = executed.parent
    (workdir / "_quarto.yml").write_text(quarto_config(), encoding="utf-8")
    for command in quarto_commands(executed, title):
        completed = subprocess.run(command, cwd=workdir, capture_output=True, text=True, check=False)
        if completed.returncode != 0:
            tail = (completed.stderr or completed.stdout).strip().splitlines()[-5:]
            raise RenderError(f"quarto failed ({' '.join(command)}): {' | '.join(tail)}")
    html, pdf = executed.with_suffix(".html"), executed.with_suffix(".pdf")
    missing = [p.name for p in (html, pdf) if not p.exists()]
    if missing:
        raise RenderError(f"quarto did not write {', '.join(missing)} in {workdir}")
    html.write_text(mark_edition(html.read_text(encoding="utf-8"), edition), encoding="utf-8")
    return [html, pdf]


# --------------------------------------------------------------------------- publishing


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


def write_index(out_dir: Path, results: list[JobResult], manifest: dict, edition: str, rendered_at: str) -> Path:
    """``index.html``: links to every report present, with the period and the render date."""
    items = []
    for code in BCU_CODES:
        name = f"bcu-{code}"
        if (out_dir / f"{name}.html").exists():
            pdf = f' (<a href="{name}.pdf">PDF</a>)' if (out_dir / f"{name}.pdf").exists() else ""
            items.append(f'<li><a href="{name}.html">{escape(BCU_BY_CODE[code].name)} ({code})</a>{pdf}</li>')
    london = ('<p><a href="london.html"><strong>London overview</strong></a>'
              + (' (<a href="london.pdf">PDF</a>)' if (out_dir / "london.pdf").exists() else "") + "</p>"
              if (out_dir / "london.html").exists() else "")
    failed = [r for r in results if r.status == "failed"]
    failures = ("<p><strong>Not rendered in this run:</strong> "
                + ", ".join(escape(r.name) for r in failed) + "</p>") if failed else ""
    banner = ("<p class=\"banner\"><strong>SYNTHETIC DATA — NOT REAL CRIMES.</strong></p>"
              if manifest.get("synthetic") else "")
    if manifest.get("kind") == "counts":
        source = "published counts (open-data edition: volumes and rates, no outcomes)"
    elif manifest.get("policeuk_proxy"):
        source = "police.uk records (VAWG approximated by violence and sexual offences)"
    else:
        source = "crime records"
    html = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="vawgstats-edition" content="{escape(edition)}">
<title>VAWG reports, {escape(manifest['period_label'])}</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", Arial, sans-serif; max-width: 46rem;
       margin: 2rem auto; padding: 0 1rem; color: #0b0c0c; line-height: 1.5; }}
h1 {{ font-size: 1.6rem; }} a {{ color: #12436D; }}
.banner {{ border: 2px solid #0b0c0c; padding: 0.5rem 1rem; }}
</style>
</head>
<body>
<h1>Violence against women and girls: BCU reports</h1>
{banner}
<p>Period: {escape(manifest['period_label'])} (recorded {escape(manifest['start'])} to {escape(manifest['end'])}).
Data: <code>{escape(manifest['data_file'])}</code>, {escape(source)}.
Data as at {escape(manifest['as_of'])}. Edition: {escape(edition)}. Rendered {escape(rendered_at)}.</p>
{london}
<h2>Basic Command Units</h2>
<ul>
{chr(10).join(items)}
</ul>
{failures}
<p>Made with vawgstats {escape(__version__)}.</p>
</body>
</html>
"""
    path = out_dir / "index.html"
    temporary = out_dir / ".index.html.part"
    temporary.write_text(html, encoding="utf-8")
    os.replace(temporary, path)
    return path


# --------------------------------------------------------------------------- the whole run


@dataclass
class RenderSummary:
    """What a render run did."""

    out_dir: Path
    results: list[JobResult]
    seconds: float
    renderer: str
    prepared_key: str

    @property
    def failed(self) -> list[JobResult]:
        return [r for r in self.results if r.status == "failed"]

    def text(self) -> str:
        written = [r.name for r in self.results if r.status == "written"]
        skipped = [r.name for r in self.results if r.status == "skipped"]
        lines = [f"Rendered {len(written)} report(s) with {self.renderer} into {self.out_dir} "
                 f"in {self.seconds:.1f} s; {len(skipped)} unchanged and skipped; {len(self.failed)} failed."]
        if skipped:
            lines.append("Skipped (inputs unchanged, outputs present; --force re-renders): " + ", ".join(skipped))
        for result in self.failed:
            lines.append(f"FAILED {result.name}: {result.error}")
        return "\n".join(lines)


#: Job parameters left out of the cache key: the render time, and paths whose content the key
#: already covers (the data through the prepared key, the parameter files through their hash).
_NOT_KEYED = ("render_time", "prepared_dir", "data_path", "params_dir")


def _job_key(prepared_key: str, job: Job, notebook_sha: str, params_sha: str) -> str:
    """The cache key of one report: a hash of everything its output depends on.

    That is the prepared tables' key (data content, period, options, package
    version), the notebook's bytes, the parameter files' bytes, the job's other
    parameters (BCU, period, edition, linked reports), the renderer and the
    package version; not the render time, the build or output folders, or
    where the data and parameter files are.
    """
    parameters = {k: v for k, v in job.parameters.items() if k not in _NOT_KEYED}
    text = json.dumps({"prepared": prepared_key, "notebook": notebook_sha, "params": params_sha,
                       "parameters": parameters, "renderer": job.renderer, "edition": job.edition,
                       "version": __version__}, sort_keys=True, default=str)
    return _sha256(text.encode())[:16]


def _outputs(name: str, renderer: str) -> list[str]:
    return [f"{name}.html"] + ([f"{name}.pdf"] if renderer == "quarto" else [])


def _read_state(out_dir: Path) -> dict:
    try:
        return json.loads((out_dir / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _write_state(out_dir: Path, state: dict) -> None:
    temporary = out_dir / f".{STATE_FILE}.part"
    temporary.write_text(json.dumps(state, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(temporary, out_dir / STATE_FILE)


def build_jobs(prepared, *, bcus: list[str], edition: str, renderer: str, build_root: Path,
               params_dir: Path | None, render_time: str, jupyter_path: Path,
               linked_bcus: list[str] | None = None) -> list[Job]:
    """One job per BCU report plus the London overview (linking to ``linked_bcus``, default ``bcus``)."""
    from .params import default_params_dir

    params_root = Path(params_dir) if params_dir else default_params_dir()
    common = {"start": prepared.manifest["start"], "end": prepared.manifest["end"],
              "data_path": prepared.manifest["data_path"], "edition": edition,
              "as_of": prepared.manifest["as_of"], "prepared_dir": str(Path(prepared.directory).resolve()),
              "params_dir": str(params_root.resolve()), "render_time": render_time}
    jobs_root = (build_root / "jobs" / prepared.key).resolve()
    kind = prepared.manifest.get("kind", "records")
    bcu_notebook, london_notebook = NOTEBOOKS[kind]
    suffix = " (open data)" if kind == "counts" else ""
    jobs = []
    for code in bcus:
        name = f"bcu-{code}"
        jobs.append(Job(name, str(notebook_path(bcu_notebook)),
                        f"{BCU_BY_CODE[code].name} BCU ({code}): VAWG scrutiny report{suffix}",
                        {"bcu": code, **common}, str(jobs_root / name), renderer, str(jupyter_path), edition))
    jobs.append(Job("london", str(notebook_path(london_notebook)), f"London overview: VAWG across the 12 BCUs{suffix}",
                    {"bcu": "London", "linked_bcus": linked_bcus or list(bcus), **common}, str(jobs_root / "london"), renderer, str(jupyter_path), edition))
    return jobs


def render(*, bcus: list[str] | None = None, data_path: str | Path | None = None, start: str | None = None,
           end: str | None = None, edition: str = "public", out_dir: str | Path = "reports",
           renderer: str = "auto", jobs: int | None = None, force: bool = False,
           build_root: str | Path = "build", params_dir: str | Path | None = None,
           as_of: str | None = None, dask_scheduler: str | None = None, progress: bool = True,
           render_time: str | None = None) -> RenderSummary:
    """Render the BCU reports (all 12 when ``bcus`` is None), the London overview and the index."""
    from .params import load_all_params
    from .prepare import is_prepared, prepare

    started = time.perf_counter()
    if edition not in ("public", "restricted"):
        raise ParamsError(f"Unknown edition {edition!r}: expected public or restricted.")
    codes = list(BCU_CODES) if not bcus else [_known_bcu(code) for code in bcus]
    out_dir, build_root = Path(out_dir), Path(build_root)
    chosen = choose_renderer(renderer)
    load_all_params(params_dir)  # fail early, naming the file, on a bad parameter file
    workers = max(1, min(jobs or os.cpu_count() or 1, len(codes) + 1))
    pool = None
    if not dask_scheduler and workers > 1 and not is_prepared(data_path, start=start, end=end, as_of=as_of,
                                                               build_root=build_root):
        # the tables take a while to prepare: meanwhile the workers start, and their kernels
        pool = _start_pool(workers, warm_up_in=(ensure_kernel(build_root), (build_root / "jobs").resolve()))
    try:
        prepared = prepare(data_path, start=start, end=end, as_of=as_of, build_root=build_root)
    except BaseException:
        if pool is not None:
            _terminate_pool(pool)
        raise
    jupyter_path = ensure_kernel(build_root)
    rendered_at = render_time or datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out_dir.mkdir(parents=True, exist_ok=True)
    # the overview links to this run's BCU reports and to those already published in out_dir
    linked = [c for c in BCU_CODES if c in codes or (out_dir / f"bcu-{c}.html").exists()]
    job_list = build_jobs(prepared, bcus=codes, edition=edition, renderer=chosen, build_root=build_root,
                          params_dir=Path(params_dir) if params_dir else None, render_time=rendered_at,
                          jupyter_path=jupyter_path, linked_bcus=linked)

    state = _read_state(out_dir)
    params_sha = _params_sha(params_dir)
    results, todo = [], []
    for job in job_list:
        job.key = _job_key(prepared.key, job, _sha256(Path(job.notebook).read_bytes()), params_sha)
        present = all((out_dir / name).exists() for name in _outputs(job.name, chosen))
        if not force and present and state.get(job.name) == job.key:
            results.append(JobResult(job.name, "skipped"))
        else:
            todo.append(job)

    # Nothing is published until every report has finished (written or failed): an interrupt
    # (Ctrl-C) or a crash part-way leaves the output folder exactly as it was.
    finished = list(_execute(todo, jobs=jobs, dask_scheduler=dask_scheduler, progress=progress, pool=pool))
    if pool is not None:
        pool.shutdown(wait=True)  # done already, unless there was nothing to render
    for result in finished:
        if result.status == "written":
            publish([Path(f) for f in result.files], out_dir)
            state[result.name] = next(j.key for j in todo if j.name == result.name)
        results.append(result)
    if finished:
        _write_state(out_dir, state)
    write_index(out_dir, results, prepared.manifest, edition, rendered_at)
    order = {job.name: i for i, job in enumerate(job_list)}
    results.sort(key=lambda r: order.get(r.name, 99))
    return RenderSummary(out_dir, results, time.perf_counter() - started, chosen, prepared.key)


def _known_bcu(code: str) -> str:
    from .geography import bcu_code

    return bcu_code(code)


def _params_sha(params_dir) -> str:
    from .params import default_params_dir

    root = Path(params_dir) if params_dir else default_params_dir()
    digest = hashlib.sha256()
    for path in sorted(root.glob("*.yaml")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _execute(todo: list[Job], *, jobs: int | None, dask_scheduler: str | None, progress: bool,
             pool: ProcessPoolExecutor | None = None):
    """Yield each job's result as it finishes: in-process, in worker processes, or on Dask.

    ``pool``: worker processes started already (:func:`_start_pool`), used instead of new ones.
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
        if workers == 1 and pool is None:
            try:
                for job in todo:
                    bar.set_postfix_str(job.name)
                    result = run_job(job, warm_kernel=True)
                    bar.update(1)
                    yield result
            finally:
                shutdown_warm_kernel()
            return
        pool = pool or _start_pool(workers)
        try:
            with _interrupts_ignored():  # workers start here, inheriting "ignore Ctrl-C"
                # the overview first: it takes longest, and last it would leave a worker idle
                ordered = sorted(todo, key=lambda job: job.name != "london")
                pending = {pool.submit(run_job, asdict(job), True) for job in ordered}  # warm kernels
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


def _ignore_interrupts() -> None:
    """Worker initialiser: Ctrl-C is handled by the parent process, which ends the workers."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _start_pool(workers: int, warm_up_in: tuple[Path, Path] | None = None) -> ProcessPoolExecutor:
    """A pool of ``workers`` spawned processes that ignore Ctrl-C (the parent handles it).

    ``warm_up_in``: (JUPYTER_PATH root, working folder); start the workers now and
    have each start its kernel and import what reports need (:func:`warm_up`).
    """
    import multiprocessing

    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_ignore_interrupts)
    if warm_up_in:
        with _interrupts_ignored():  # workers start here, inheriting "ignore Ctrl-C"
            for _ in range(workers):
                pool.submit(warm_up, str(warm_up_in[0]), str(warm_up_in[1]))
    return pool


def _terminate_pool(pool: ProcessPoolExecutor) -> None:
    """Stop at once (Ctrl-C or an error): the workers ignore SIGINT (so they print no
    tracebacks) and are ended here; their kernels exit when their parent does."""
    workers_alive = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in workers_alive:
        process.terminate()


@contextmanager
def _interrupts_ignored():
    """Ignore SIGINT while worker processes are spawned: they inherit the setting, so a Ctrl-C
    reaching a worker before its initialiser runs cannot print a traceback from it."""
    import signal

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


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
