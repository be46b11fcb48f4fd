"""Nothing lost (issue 6): interrupts and failures never touch what was already published.

- Ctrl-C while reports render: exit status 130 with a one-line message, no traceback, and the
  output folder byte-for-byte as it was (no new, replaced or half-written file).
- A notebook that fails for one BCU: the other reports are written, the summary and the index
  list the failure, the exit status is 1, and the failed BCU's old report is kept.
- Bad data: exit status 2 and the published folder unchanged.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner

from vawgstats import cli, synthetic
from vawgstats.render import jobs as render_jobs
from vawgstats.render.execute import FINISHED_MARKER, HOLD_ENV, _interrupts_held
from vawgstats.schema import write_records

pytestmark = pytest.mark.slow

START, END = "2025-04", "2026-03"
PREVIOUS = {name: f"<html><body>previously published {name}</body></html>\n".encode()
            for name in ("bcu-NA.html", "bcu-EA.html", "london.html", "index.html")}


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("failures") / "crimes.csv"
    write_records(synthetic.generate(seed=23, start="2024-04", end=END, scale=0.02), path)
    return path


def published(out: Path) -> Path:
    """An output folder holding the reports of an earlier run."""
    out.mkdir()
    for name, content in PREVIOUS.items():
        (out / name).write_bytes(content)
    return out


def snapshot(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def render_args(data: Path, out: Path, build: Path, *extra: str) -> list[str]:
    return ["render", "--bcu", "NA", "--bcu", "EA", "--data", str(data), "--start", START, "--end", END,
            "--out", str(out), "--build", str(build), "--renderer", "nbconvert", "--format", "html", *extra]


@pytest.mark.parametrize("to", ["group", "command"])
def test_interrupt_leaves_published_reports_untouched(data, tmp_path, to):
    out = published(tmp_path / "out")
    before = snapshot(out)
    build = tmp_path / "build"
    # Each worker, having finished a report, writes a marker and waits (render.execute.HOLD_ENV): the
    # run cannot end on its own, so the interrupt comes with a report finished and none published,
    # however fast or busy the machine.
    env = {**os.environ, HOLD_ENV: "1"}
    # Ctrl-C in a terminal signals the whole foreground process group: the command and its workers
    process = subprocess.Popen([sys.executable, "-m", "vawgstats.cli", *render_args(data, out, build, "-j", "2")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                               env=env)
    try:
        deadline = time.monotonic() + 600  # a safety net against a hung run, not a timing assertion
        while not list(build.glob(f"jobs/*/*/{FINISHED_MARKER}")):
            if process.poll() is not None:
                pytest.fail(f"render ended before it was interrupted:\n{process.stderr.read()[-3000:]}")
            if time.monotonic() > deadline:
                pytest.fail("no report finished")
            time.sleep(0.1)
        assert process.poll() is None
        if to == "group":
            os.killpg(process.pid, signal.SIGINT)
        else:                                   # kill -INT <pid>: the command alone
            os.kill(process.pid, signal.SIGINT)
        stdout, stderr = process.communicate(timeout=300)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()

    assert process.returncode == 130, stderr[-3000:]
    assert stderr.strip().splitlines()[-1] == "vawgstats: Interrupted; published reports left unchanged."
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr and "Aborted" not in stderr
    assert "Rendered" not in stdout                     # no summary: the run did not finish
    assert snapshot(out) == before                      # same files, same bytes; no .part debris


def test_a_ctrl_c_while_workers_start_is_held_not_lost():
    # the parent blocks SIGINT while it spawns workers (they inherit the block and then ignore
    # SIGINT); a Ctrl-C meanwhile must still interrupt the parent once the block is lifted
    with pytest.raises(KeyboardInterrupt):
        with _interrupts_held():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0)       # may be delivered here through another thread, or on leaving the block
        time.sleep(0)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, set())


def failing_notebook(tmp_path: Path, failing_bcu: str) -> Path:
    """A copy of the BCU report notebook whose first cell after the parameters fails for one BCU."""
    notebook = nbformat.read(render_jobs.notebook_path("bcu_report"), as_version=4)
    index = next(i for i, c in enumerate(notebook.cells) if "parameters" in c.metadata.get("tags", []))
    cell = nbformat.v4.new_code_cell(f'if bcu == "{failing_bcu}":\n'
                                     f'    raise RuntimeError("deliberate failure in the {failing_bcu} report")')
    notebook.cells.insert(index + 1, cell)
    path = tmp_path / "notebooks" / "bcu_report.ipynb"
    path.parent.mkdir()
    nbformat.write(notebook, path)
    return path


def test_one_failing_bcu_does_not_stop_the_others(data, tmp_path, monkeypatch):
    broken = failing_notebook(tmp_path, "EA")
    real_notebook_path = render_jobs.notebook_path
    monkeypatch.setattr(render_jobs, "notebook_path",
                        lambda name: broken if name == "bcu_report" else real_notebook_path(name))
    out = published(tmp_path / "out")
    before = snapshot(out)

    result = CliRunner().invoke(cli.main, render_args(data, out, tmp_path / "build", "-j", "2", "--quiet"))

    assert result.exit_code == 1, result.output
    assert "FAILED bcu-EA: PapermillExecutionError: RuntimeError: deliberate failure in the EA report" in result.output
    assert "Rendered 2 report(s)" in result.output and "1 failed" in result.output
    # the others are written and published ...
    for name in ("bcu-NA.html", "london.html", "index.html"):
        assert (out / name).read_bytes() != before[name], name
    assert "North Area" in (out / "bcu-NA.html").read_text(encoding="utf-8")
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "Not rendered in this run:</strong> bcu-EA" in index
    # ... and the failed BCU's previously published report is kept as it was
    assert (out / "bcu-EA.html").read_bytes() == before["bcu-EA.html"]
    assert not [p.name for p in out.iterdir() if p.name.endswith(".part")]
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == sorted(PREVIOUS)
    # the failed report is not recorded as up to date, so the next run tries it again
    state = json.loads((out / render_jobs.STATE_FILE).read_text(encoding="utf-8"))
    assert "bcu-NA" in state and "london" in state and "bcu-EA" not in state


def test_a_run_on_bad_data_leaves_published_reports_untouched(data, tmp_path):
    out = published(tmp_path / "out")
    before = snapshot(out)
    lines = data.read_text(encoding="utf-8").splitlines()[:60]
    column = lines[0].split(",").index("recorded_date")
    cells = lines[50].split(",")
    cells[column] = "2025-13-01"  # month 13
    lines[50] = ",".join(cells)
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "vawgstats.cli", *render_args(bad, out, tmp_path / "build")],
                            capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 2, result.stderr[-3000:]
    assert "bad.csv" in result.stderr and "Traceback" not in result.stderr
    assert snapshot(out) == before
