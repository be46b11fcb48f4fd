"""Incremental rendering and the Dask path (issue 7).

A report is re-rendered when its cache key changes: the data, the parameter
files, the notebook or the package's code; and only then (not for another
render time, build folder, output folder, or data and parameter files moved
elsewhere).  The key is tested directly; one real pair of renders checks
skip-then-re-render, and one render on a Dask ``LocalCluster`` is compared with
a local render (which also compares a report made in a new kernel, on Dask,
with one made in a worker's reused kernel, locally).
"""

from __future__ import annotations

import re
import shutil
import threading
from pathlib import Path

import pytest

from vawgstats import prepare as prepare_module
from vawgstats import render as rendering, synthetic
from vawgstats.render import execute, jobs as render_jobs, kernel
from vawgstats.params import default_params_dir
from vawgstats.prepare import is_prepared, prepare
from vawgstats.schema import write_records

START, END = "2025-04", "2026-03"


def write_data(path: Path, seed: int) -> Path:
    write_records(synthetic.generate(seed=seed, start="2024-04", end=END, scale=0.02), path)
    return path


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return write_data(tmp_path_factory.mktemp("cache") / "crimes.csv", seed=31)


@pytest.fixture(scope="module")
def prepared(data, tmp_path_factory):
    return prepare(data, start=START, end=END, build_root=tmp_path_factory.mktemp("build"))


def keys(prepared, *, params_dir: Path | None = None, build_root: Path | None = None,
         render_time: str = "2026-04-01 09:00 UTC", notebook_sha: str | None = None) -> dict[str, str]:
    """Each report's cache key, computed as ``render`` computes it."""
    build_root = build_root or Path(prepared.directory).parent.parent
    jobs = render_jobs.build_jobs(prepared, bcus=["NA", "EA"], edition="public", renderer="nbconvert",
                             build_root=build_root, params_dir=params_dir, render_time=render_time,
                             jupyter_path=build_root / "jupyter", boroughs=["Enfield", "Haringey", "Havering"])
    return {job.name: render_jobs._job_key(prepared.key, job,
                                      notebook_sha or render_jobs._sha256(Path(job.notebook).read_bytes()),
                                      render_jobs._params_sha(params_dir, job.params_files))
            for job in jobs}


def copy_params(target: Path) -> Path:
    shutil.copytree(default_params_dir(), target)
    return target


def test_key_ignores_render_time_build_folder_and_where_files_are(prepared, data, tmp_path):
    before = keys(prepared)
    assert len(set(before.values())) == len(before)                       # one key per report
    assert keys(prepared, render_time="2030-01-01 00:00 UTC") == before
    # another build folder: the tables are prepared again there, with the same key
    elsewhere = prepare(data, start=START, end=END, build_root=tmp_path / "other-build")
    assert elsewhere.key == prepared.key and Path(elsewhere.directory) != Path(prepared.directory)
    assert keys(elsewhere, build_root=tmp_path / "other-build") == before
    # the same data in another file, and the same parameter files in another folder
    moved = shutil.copy(data, tmp_path / "moved.csv")
    assert prepare(moved, start=START, end=END, build_root=tmp_path / "other-build").key == prepared.key
    assert keys(prepared, params_dir=copy_params(tmp_path / "params")) == before


def test_key_changes_with_the_data(prepared, tmp_path):
    other = prepare(write_data(tmp_path / "crimes.csv", seed=32), start=START, end=END,
                    build_root=tmp_path / "build")
    assert other.key != prepared.key
    changed = keys(other, build_root=tmp_path / "build")
    assert all(changed[name] != key for name, key in keys(prepared).items())


def test_key_changes_with_the_parameter_files(prepared, tmp_path):
    params = copy_params(tmp_path / "params")
    before = keys(prepared, params_dir=params)
    (params / "README.txt").write_text("not a parameter file")
    assert keys(prepared, params_dir=params) == before
    target = params / "NA.yaml"
    target.write_text(target.read_text(encoding="utf-8") + "\n# reviewed\n", encoding="utf-8")
    after = keys(prepared, params_dir=params)
    # NA's file: NA's report and those of its boroughs (which take its aims), nothing else
    changed = {name for name, key in before.items() if after[name] != key}
    assert changed == {"bcu-NA", "borough-enfield", "borough-haringey"}
    # a borough's own file: that borough's report only
    (params / "boroughs").mkdir(exist_ok=True)
    (params / "boroughs" / "havering.yaml").write_text("borough: Havering\ncommittee: Overview and Scrutiny\n",
                                                       encoding="utf-8")
    again = keys(prepared, params_dir=params)
    assert {name for name, key in after.items() if again[name] != key} == {"borough-havering"}
    # the shared defaults: every report
    defaults = params / "defaults.yaml"
    defaults.write_text(defaults.read_text(encoding="utf-8") + "\n# reviewed\n", encoding="utf-8")
    last = keys(prepared, params_dir=params)
    assert all(last[name] != key for name, key in again.items())


def test_key_changes_with_the_notebook_and_the_code(prepared, monkeypatch):
    before = keys(prepared)
    assert all(k != before[n] for n, k in keys(prepared, notebook_sha="edited notebook").items())
    monkeypatch.setattr(render_jobs, "code_fingerprint", lambda *names: "another-code-version")
    assert all(k != before[n] for n, k in keys(prepared).items())


def test_changed_code_prepares_the_tables_again(data, prepared, monkeypatch):
    build_root = Path(prepared.directory).parent.parent
    assert is_prepared(data, start=START, end=END, build_root=build_root)
    monkeypatch.setattr(prepare_module, "code_fingerprint", lambda *names: "another-code-version")
    assert not is_prepared(data, start=START, end=END, build_root=build_root)


def render(data: Path, out: Path, build: Path, **options) -> rendering.RenderSummary:
    """HTML only unless ``formats`` says otherwise (PDFs are tested in test_end_to_end and test_render_pdf)."""
    options.setdefault("formats", "html")
    return rendering.render(bcus=["NA"], data_path=data, start=START, end=END, out_dir=out, build_root=build,
                            renderer="nbconvert", progress=False, **options)


def statuses(summary: rendering.RenderSummary) -> dict[str, str]:
    return {r.name: r.status for r in summary.results}


@pytest.fixture(scope="module")
def rendered(data, tmp_path_factory) -> tuple[Path, Path]:
    """One local render (BCU NA and the overview, one worker): (output folder, build folder)."""
    root = tmp_path_factory.mktemp("rendered")
    first = render(data, root / "out", root / "build", jobs=1, render_time="2026-04-01 09:00 UTC")
    assert statuses(first) == {"bcu-NA": "written", "london": "written"}, first.text()
    return root / "out", root / "build"


@pytest.mark.slow
def test_unchanged_reports_are_skipped_and_changed_ones_rendered(data, rendered, tmp_path):
    out, build = rendered
    published = {name: (out / f"{name}.html").read_bytes() for name in ("bcu-NA", "london")}

    # another render time and another build folder: nothing to do
    again = render(data, out, tmp_path / "build2", jobs=1, render_time="2026-05-01 09:00 UTC")
    assert statuses(again) == {"bcu-NA": "skipped", "london": "skipped"}
    assert {name: (out / f"{name}.html").read_bytes() for name in published} == published

    # NA's parameter file changed: NA's report again, not the overview (which reads no BCU's file)
    params = copy_params(tmp_path / "params")
    (params / "NA.yaml").write_text((params / "NA.yaml").read_text(encoding="utf-8") + "\n# reviewed\n",
                                    encoding="utf-8")
    changed = render(data, out, build, jobs=1, params_dir=params)
    assert statuses(changed) == {"bcu-NA": "written", "london": "skipped"}, changed.text()


@pytest.mark.slow
def test_html_only_writes_no_pdf_and_asking_for_pdfs_renders_them(data, rendered, tmp_path):
    out, build = rendered
    assert not list(out.glob("*.pdf"))                               # --format html
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    both = render(data, copy, build, jobs=1, formats="html,pdf")
    # the reports' inputs are unchanged, but their PDFs are missing: made now
    assert statuses(both) == {"bcu-NA": "written", "london": "written"}, both.text()
    assert sorted(p.name for p in copy.glob("*.pdf")) == ["bcu-NA.pdf", "london.pdf"]
    assert 'href="bcu-NA.pdf"' in (copy / "index.html").read_text(encoding="utf-8")
    assert statuses(render(data, copy, build, jobs=1, formats=["pdf", "html"])) == {
        "bcu-NA": "skipped", "london": "skipped"}


def without_timestamp(html: str) -> str:
    return re.sub(r"Rendered:? [^<]*", "Rendered", html)


@pytest.mark.slow
def test_dask_cluster_renders_the_same_reports(data, rendered, tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    local, build = rendered
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        remote = render(data, tmp_path / "dask", build, dask_scheduler=cluster.scheduler_address)
    assert statuses(remote) == {"bcu-NA": "written", "london": "written"}, remote.text()
    for name in ("bcu-NA.html", "london.html", "index.html"):
        assert (without_timestamp((tmp_path / "dask" / name).read_text(encoding="utf-8"))
                == without_timestamp((local / name).read_text(encoding="utf-8"))), name


def test_a_warm_kernel_starts_each_report_afresh(tmp_path):
    """A worker's kernel is reused, but each report sees an empty namespace and counts from 1."""
    import nbformat

    jupyter_path = kernel.ensure_kernel(tmp_path / "build")
    first, second = tmp_path / "first.ipynb", tmp_path / "second.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import os\nleft_over = os.getpid()")]), first)
    nbformat.write(nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import os\nprint('left_over' in dir(), os.getpid(), os.getcwd())")]), second)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    try:
        execute.execute_notebook(first, tmp_path / "a" / "first.ipynb", {}, jupyter_path, warm_kernel=True)
        pid = kernel._WARM.manager.provisioner.pid
        execute.execute_notebook(second, tmp_path / "b" / "second.ipynb", {}, jupyter_path, warm_kernel=True)
    finally:
        kernel.shutdown_warm_kernel()
    cell = nbformat.read(tmp_path / "b" / "second.ipynb", as_version=4).cells[0]
    assert cell.execution_count == 1
    assert cell.outputs[0]["text"].split() == ["False", str(pid), str(tmp_path / "b")]


def test_a_few_reports_run_in_this_process_and_many_in_workers(monkeypatch):
    """Starting worker processes (each importing papermill and nbconvert and starting a kernel) for a
    few reports costs more than it saves: up to FEW_REPORTS run in this process, in up to -j threads
    each with a warm kernel of its own, the overview first; this thread converts what they execute."""
    class PoolStarted(Exception):
        pass

    def no_pool(*args, **kwargs):
        raise PoolStarted

    ran, warmed, converted = [], [], []
    monkeypatch.setattr(execute, "_start_pool", no_pool)
    monkeypatch.setattr(execute, "execute_job", lambda job, warm_kernel=False: ran.append(
        (job.name, warm_kernel, threading.current_thread().name)) or (job, 0.0, None))
    monkeypatch.setattr(execute, "convert_job", lambda job, started, error=None: converted.append(
        (job.name, threading.current_thread())) or render_jobs.JobResult(job.name, "written"))
    monkeypatch.setattr(execute, "warm_up", lambda path, workdir, code: warmed.append(code) or True)
    monkeypatch.setattr(execute, "shutdown_warm_kernel", lambda: None)

    def todo(count, london=False):
        names = [f"bcu-{i}" for i in range(count - london)] + (["london"] if london else [])
        return [render_jobs.Job(name, "nb.ipynb", "title", {}, f"work/{name}", "nbconvert", "jupyter", "public")
                for name in names]

    import gc

    frozen_before = gc.get_freeze_count() > 0
    gc.unfreeze()
    try:
        few = list(execute._execute(todo(execute.FEW_REPORTS), jobs=4, dask_scheduler=None, progress=False))
        assert gc.get_freeze_count() == 0  # frozen while the reports were made, not after (a notebook may call render)
    finally:
        if frozen_before:
            gc.freeze()
    assert sorted(r.name for r in few) == [f"bcu-{i}" for i in range(execute.FEW_REPORTS)]
    assert sorted(name for name, _, _ in ran) == [f"bcu-{i}" for i in range(execute.FEW_REPORTS)]
    assert all(warm for _, warm, _ in ran)                          # in warm kernels
    assert {thread for _, _, thread in ran} <= {f"vawgstats-report-{i}" for i in range(execute.FEW_REPORTS)}
    assert warmed == [kernel.REPORT_IMPORTS] * execute.FEW_REPORTS  # one kernel per thread, no scipy.stats
    assert sorted(name for name, _ in converted) == sorted(name for name, _, _ in ran)
    assert {thread for _, thread in converted} == {threading.current_thread()}  # converted here
    ran.clear()
    warmed.clear()
    one = list(execute._execute(todo(2, london=True), jobs=1, dask_scheduler=None, progress=False))
    assert [r.name for r in one] == ["london", "bcu-0"]             # -j 1: one thread, the overview first
    assert [name for name, _, _ in ran] == ["london", "bcu-0"] and warmed == [kernel.WARM_UP_CODE]
    with pytest.raises(PoolStarted):
        list(execute._execute(todo(execute.FEW_REPORTS + 1), jobs=2, dask_scheduler=None, progress=False))


def test_the_callers_work_runs_here_while_the_last_report_runs(monkeypatch):
    """With a few reports, ``meanwhile`` (the index's figures) is called once, in this thread, once it
    has converted what there is and a report is still running: here the last report waits for it."""
    release = threading.Event()

    def execute_job(job, warm_kernel=False):
        if job.name == "bcu-2":
            release.wait(timeout=120)  # a safety net, not a timing: set by meanwhile below
        return job, 0.0, None

    monkeypatch.setattr(execute, "execute_job", execute_job)
    monkeypatch.setattr(execute, "convert_job", lambda job, started, error=None: render_jobs.JobResult(
        job.name, "written" if release.is_set() or job.name != "bcu-2" else "failed"))
    monkeypatch.setattr(execute, "warm_up", lambda path, workdir, code: True)
    monkeypatch.setattr(execute, "shutdown_warm_kernel", lambda: None)
    called = []

    def meanwhile():
        called.append(threading.current_thread())
        release.set()

    jobs = [render_jobs.Job(f"bcu-{i}", "nb.ipynb", "title", {}, f"work/bcu-{i}", "nbconvert", "jupyter", "public")
            for i in range(3)]
    results = list(execute._execute(jobs, jobs=3, dask_scheduler=None, progress=False, meanwhile=meanwhile))
    assert called == [threading.current_thread()]
    assert sorted((r.name, r.status) for r in results) == [(f"bcu-{i}", "written") for i in range(3)]
