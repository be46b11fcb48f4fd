"""Tests of vawgstats.parallel (tables made in a forked process) and prepare's use of it."""

from __future__ import annotations

import json
import os

import pandas as pd
import pytest

from vawgstats import parallel, prepare as prepare_module, synthetic
from vawgstats.prepare import prepare
from vawgstats.schema import write_records

pytestmark = pytest.mark.skipif(not parallel.can_fork(), reason="fork is used on Linux only")


def test_forked_tables_come_back_as_parquet_files(tmp_path):
    parent = os.getpid()
    table = pd.DataFrame({"unit": ["London", "NA"], "value": [1.5, 2.0]})

    def work():
        assert os.getpid() != parent  # computed in the child
        return {"figures": table.assign(value=table["value"] * 2)}, {"status": "synthetic", "rows": 2}

    child = parallel.fork_tables(work, tmp_path / "out")
    files, info = child.collect()
    assert info == {"status": "synthetic", "rows": 2}
    pd.testing.assert_frame_equal(pd.read_parquet(files["figures"]), table.assign(value=[3.0, 4.0]))


def test_objects_are_frozen_for_the_fork_and_thawed_once_the_child_has_ended(tmp_path):
    """gc.freeze() before the fork (the collectors then leave the shared pages alone), undone in this
    process once the child has been collected; a freeze made by someone else is left as it was."""
    import gc

    frozen_before = gc.get_freeze_count() > 0  # e.g. by an in-process render earlier in this session
    gc.unfreeze()
    try:
        child = parallel.fork_tables(lambda: ({}, {"frozen": gc.get_freeze_count() > 0}), tmp_path / "out")
        assert gc.get_freeze_count() > 0
        assert child.collect()[1] == {"frozen": True}
        assert gc.get_freeze_count() == 0
        gc.freeze()
        frozen = gc.get_freeze_count()
        parallel.fork_tables(lambda: ({}, {}), tmp_path / "again").collect()
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
        if frozen_before:
            gc.freeze()


def test_a_failing_child_gives_nothing_back(tmp_path):
    def work():
        raise ValueError("bad returns file")

    child = parallel.fork_tables(work, tmp_path / "out")
    assert child.collect() is None
    assert not (tmp_path / "out" / parallel.INFO_FILE).exists()


def test_no_fork_beside_another_thread():
    import threading

    assert parallel.single_threaded() == (threading.active_count() == 1)
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not parallel.single_threaded()
    finally:
        stop.set()
        thread.join()


def test_a_hanging_child_is_ended_after_the_timeout(tmp_path):
    def work():
        import time

        time.sleep(60)
        return {}, {}

    child = parallel.fork_tables(work, tmp_path / "out")
    assert child.collect(timeout=0.2) is None
    with pytest.raises(ChildProcessError):
        os.waitpid(child.pid, os.WNOHANG)  # reaped: no zombie left


@pytest.fixture(scope="module")
def small_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "records.csv"
    write_records(synthetic.generate(seed=5, start="2024-04", end="2025-12", scale=0.01), path)
    return path


@pytest.fixture(scope="module")
def alone(small_csv, tmp_path_factory) -> dict:
    """The folder prepare writes without forking."""
    return _folder_contents(prepare(small_csv, build_root=tmp_path_factory.mktemp("alone"), as_of="2026-02-10"))


def _folder_contents(prepared) -> dict:
    files = sorted(p.name for p in prepared.directory.iterdir())
    tables = {name[:-8]: pd.read_parquet(prepared.directory / name) for name in files if name.endswith(".parquet")}
    return {"files": files, "tables": tables,
            "manifest": json.loads((prepared.directory / "manifest.json").read_text(encoding="utf-8"))}


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


@pytest.mark.parametrize("child_fails", [False, True])
def test_prepare_with_a_forked_child_writes_the_same_folder(small_csv, alone, tmp_path, monkeypatch, child_fails):
    monkeypatch.setattr(prepare_module, "PARALLEL_ROWS", 0)  # fork even for this small file
    monkeypatch.setattr(parallel, "single_threaded", lambda: True)  # whatever threads other tests left
    forks = []
    fork_tables = parallel.fork_tables

    def counting(work, folder):
        forks.append(folder)
        if child_fails:
            def work():
                raise RuntimeError("the child fails: the parent makes the tables itself")
        return fork_tables(work, folder)

    collected = []
    collect = parallel.Forked.collect

    def recording(self, *args, **kwargs):
        collected.append(collect(self, *args, **kwargs))
        return collected[-1]

    monkeypatch.setattr(parallel, "fork_tables", counting)
    monkeypatch.setattr(parallel.Forked, "collect", recording)
    both = _folder_contents(prepare(small_csv, build_root=tmp_path / "both", as_of="2026-02-10"))
    assert len(forks) == 1 and not forks[0].exists()  # the child's folder is removed
    assert len(collected) == 1 and (collected[0] is None) == child_fails  # the child's tables, unless it failed
    assert both["files"] == alone["files"] and both["manifest"] == alone["manifest"]
    for name, table in alone["tables"].items():
        if name == "outcomes_by_age_suppressed":  # a pattern: its row order is not defined
            pd.testing.assert_frame_equal(_sorted(both["tables"][name]), _sorted(table))
        else:
            pd.testing.assert_frame_equal(both["tables"][name], table)
    # the records' Parquet copy is written as without a child
    assert len(list((tmp_path / "both" / "records").glob("*.parquet"))) == 1
    assert not list((tmp_path / "both" / "records").glob("*.part"))
