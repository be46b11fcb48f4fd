"""Tests of vawgstats.render.guard: editions never mixed, one run at a time per folder."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from vawgstats import cli, synthetic
from vawgstats.render import STATE_FILE, mark_edition, write_index
from vawgstats.render.guard import PROTECTIVE_MARKING, _lock_path_for_output
from vawgstats.schema import write_records

START, END = "2025-04", "2026-03"


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def public_folder(out: Path, with_state: bool = True) -> Path:
    out.mkdir()
    (out / "bcu-NA.html").write_text('<html><head><meta name="vawgstats-edition" content="public"></head>'
                                      "<body>public NA</body></html>", encoding="utf-8")
    if with_state:
        (out / STATE_FILE).write_text(json.dumps({"edition": "public", "bcu-NA": "k"}), encoding="utf-8")
    return out


@pytest.mark.parametrize("with_state", [True, False])
def test_restricted_into_a_public_folder_exits_2_and_changes_nothing(tmp_path, with_state):
    out = public_folder(tmp_path / "reports", with_state)
    before = snapshot(out)
    result = CliRunner().invoke(cli.main, ["render", "--bcu", "NA", "--edition", "restricted", "--out", str(out),
                                           "--build", str(tmp_path / "build"), "--renderer", "nbconvert",
                                           "--format", "html"])
    assert result.exit_code == 2, result.output
    assert "holds the public edition" in result.output and "the restricted edition is not rendered" in result.output
    assert "Traceback" not in result.output
    assert snapshot(out) == before


def test_restricted_pages_carry_the_protective_marking_top_and_bottom(tmp_path):
    page = "<html><head><title>t</title></head><body><p>figures</p></body></html>"
    restricted = mark_edition(page, "restricted")
    body = restricted[restricted.index("<body>"):]
    assert body.index(PROTECTIVE_MARKING) < body.index("figures") < body.rindex(PROTECTIVE_MARKING)
    assert body.count(PROTECTIVE_MARKING) == 2
    assert PROTECTIVE_MARKING not in mark_edition(page, "public")
    manifest = {"period_label": "p", "start": "a", "end": "b", "data_file": "d", "as_of": "x"}
    for edition in ("restricted", "public"):
        folder = tmp_path / edition
        folder.mkdir()
        index = write_index(folder, [], manifest, edition, "now").read_text()
        if edition == "public":
            assert PROTECTIVE_MARKING not in index
            continue
        # the banners are the first and last thing in the body (the edition line may name the marking too)
        body = index[index.index("<body"):index.rindex("</body>")]
        inner = body[body.index(">") + 1:].strip()
        assert inner.startswith('<div class="protective-marking protective-marking-top"')
        assert inner[inner.rindex("<div"):].startswith('<div class="protective-marking protective-marking-bottom"')


@pytest.mark.slow
def test_two_renders_at_once_on_the_same_folders_both_end_cleanly(tmp_path):
    data = tmp_path / "crimes.csv"
    write_records(synthetic.generate(seed=5, start="2024-04", end=END, scale=0.02), data)
    out, build = tmp_path / "reports", tmp_path / "build"
    build.mkdir()
    command = [sys.executable, "-m", "vawgstats.cli", "render", "--bcu", "NA", "--data", str(data), "--start", START,
               "--end", END, "--out", str(out), "--build", str(build), "--renderer", "nbconvert",
               "--format", "html", "-j", "1", "--quiet"]
    # This test holds the build folder's lock while both commands start, so both must find it
    # busy; it lets go once both say they are waiting (no timing: it reads what they print).
    lock = open(build / ".vawgstats.lock", "a+")
    fcntl.flock(lock, fcntl.LOCK_EX)
    logs = [tmp_path / f"run{i}.err" for i in (1, 2)]
    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=open(log, "w"), text=True)
                 for log in logs]
    try:
        deadline = time.monotonic() + 300   # a safety net against a hung run, not a timing assertion
        while not all("waiting for it to finish" in log.read_text() for log in logs):
            assert all(p.poll() is None for p in processes), [log.read_text() for log in logs]
            assert time.monotonic() < deadline, [log.read_text() for log in logs]
            time.sleep(0.1)
        fcntl.flock(lock, fcntl.LOCK_UN)
        results = [p.communicate(timeout=600) for p in processes]
    finally:
        lock.close()
        for p in processes:
            if p.poll() is None:
                p.kill()
    assert [p.returncode for p in processes] == [0, 0], ([log.read_text()[-2000:] for log in logs],
                                                         [stdout[-2000:] for stdout, _ in results])
    outputs = [stdout for stdout, _ in results]
    # one rendered the reports, the other found them done (the same inputs) and skipped them
    assert sorted(o.split(" report(s)")[0] for o in outputs) == ["Rendered 0", "Rendered 2"], outputs
    files = sorted(p.name for p in out.iterdir())
    assert files == sorted([".vawgstats-state.json", "bcu-NA.html", "index.html", "london.html"])
    for name in ("bcu-NA.html", "london.html", "index.html"):
        text = (out / name).read_text(encoding="utf-8")
        assert 'content="public"' in text and text.rstrip().endswith("</html>"), name
    assert json.loads((out / STATE_FILE).read_text())["edition"] == "public"
    assert not list(out.glob("*.part")) and not list(out.glob(".*.part"))


def test_a_lock_left_by_a_killed_run_does_not_block(tmp_path):
    out = tmp_path / "reports"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, sys, time\n"
        f"h = open({str(_lock_path_for_output(out))!r}, 'a+'); fcntl.flock(h, fcntl.LOCK_EX)\n"
        "print('locked', flush=True); time.sleep(600)")], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    holder.kill()
    holder.wait()
    from vawgstats.render.guard import run_lock

    with run_lock(tmp_path / "build", out):      # taken at once: the OS released the dead run's lock
        assert "pid " + str(os.getpid()) in _lock_path_for_output(out).read_text()
