"""Benchmark of rendering all 13 reports (a script, not a test).

Usage::

    python benchmarks/bench_render.py               # 5 years of synthetic London, ~1M records
    python benchmarks/bench_render.py --scale 0.1   # a quick run on a tenth of the records

On the same data, one raw CSV of five years of synthetic London
(``vawgstats.synthetic.generate(scale=...)``, made once and cached under
``--cache``), it times three ways of making the 12 BCU reports and the London
overview as HTML with nbconvert, in this order:

(a) ``cold``: our pipeline, ``vawgstats.render.render(bcus=None,
    renderer="nbconvert")`` into a fresh build and output folder: prepare the
    tables once, then render the reports in ``-j`` worker processes (default:
    the number of cores), converting in-process;
(b) ``unchanged``: the same call again with nothing changed (every report is
    skipped);
(c) ``naive``: the usual recipe, a sequential papermill loop over the 13
    notebooks, each reading the raw CSV itself (``prepared_dir=""``,
    ``data_path=<the CSV>``, and an empty ``VAWGSTATS_CACHE`` per notebook so
    that nothing prepared earlier is reused), then ``jupyter nbconvert --to
    html`` as a command per report.

(a) and (b) each run as a fresh ``python`` process, so interpreter start and
imports count, as they do for (c).  Every time is wall-clock seconds.  It prints
plain lines::

    bench_render records=1008119 reports=13 cold_seconds=.. unchanged_seconds=.. naive_seconds=.. \
ratio_naive_over_cold=.. cpus=2

and, before it, one ``#`` line per phase and per naive report.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from vawgstats.geography import BCU_CODES

REPO = Path(__file__).resolve().parent.parent

#: One run of our pipeline, in a fresh Python process: prints the summary and a JSON line.
OURS = """
import json, sys, time
from vawgstats.render import render
started = time.perf_counter()
summary = render(bcus=None, data_path=sys.argv[1], out_dir=sys.argv[2], build_root=sys.argv[3],
                 renderer="nbconvert", jobs=int(sys.argv[4]) or None, progress=False)
print(summary.text(), file=sys.stderr)
print(json.dumps({"seconds": time.perf_counter() - started,
                  "statuses": [r.status for r in summary.results]}))
"""


def make_data(scale: float, cache: Path) -> Path:
    """Five years of synthetic London at ``scale`` as a raw CSV (made once, then reused)."""
    from vawgstats import synthetic
    from vawgstats.schema import write_records

    path = cache / f"synthetic-{synthetic.DEFAULT_START}-{synthetic.DEFAULT_END}-scale{scale:g}.csv"
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        partial = path.with_name(f".{path.name}.{os.getpid()}.part")
        write_records(synthetic.generate(scale=scale), partial.with_suffix(".csv"))
        os.replace(partial.with_suffix(".csv"), path)
        print(f"# made {path.name} in {time.perf_counter() - started:.0f} s", flush=True)
    return path


def run_ours(data: Path, out: Path, build: Path, jobs: int) -> tuple[float, list[str]]:
    """Wall time of one ``render`` in a fresh process, and each report's status."""
    started = time.perf_counter()
    completed = subprocess.run([sys.executable, "-c", OURS, str(data), str(out), str(build), str(jobs)],
                               capture_output=True, text=True, check=False, cwd=REPO)
    seconds = time.perf_counter() - started
    if completed.returncode != 0:
        sys.exit(f"render failed:\n{completed.stderr[-3000:]}")
    for line in completed.stderr.strip().splitlines():
        print(f"#   {line}")
    return seconds, json.loads(completed.stdout.strip().splitlines()[-1])["statuses"]


def run_naive(data: Path, work: Path) -> tuple[float, dict[str, float]]:
    """The papermill loop, each notebook preparing from the raw CSV, then nbconvert per report."""
    import papermill

    from vawgstats.render import KERNEL_NAME, ensure_kernel

    jupyter_path = ensure_kernel(work / "kernel")
    env_before = dict(os.environ)
    os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(jupyter_path), os.environ.get("JUPYTER_PATH")]))
    os.environ.setdefault("MPLBACKEND", "Agg")
    jupyter = Path(sys.executable).with_name("jupyter")
    command = [str(jupyter)] if jupyter.exists() else [sys.executable, "-m", "jupyter"]
    reports = [("bcu_report", code) for code in BCU_CODES] + [("london_overview", "London")]
    each: dict[str, float] = {}
    started = time.perf_counter()
    try:
        for notebook, unit in reports:
            name = f"bcu-{unit}" if unit != "London" else "london"
            report_started = time.perf_counter()
            os.environ["VAWGSTATS_CACHE"] = tempfile.mkdtemp(prefix=f"cache-{name}-", dir=work)
            executed = work / f"{name}.ipynb"
            papermill.execute_notebook(
                str(REPO / "notebooks" / f"{notebook}.ipynb"), str(executed), kernel_name=KERNEL_NAME,
                parameters={"bcu": unit, "data_path": str(data), "prepared_dir": ""},
                progress_bar=False, cwd=str(work))
            subprocess.run(command + ["nbconvert", "--to", "html", "--no-input", str(executed)],
                           check=True, capture_output=True, cwd=work)
            if not executed.with_suffix(".html").exists():
                sys.exit(f"nbconvert wrote no HTML for {name}")
            each[name] = time.perf_counter() - report_started
            print(f"# naive {name} {each[name]:.1f} s", flush=True)
    finally:
        os.environ.clear()
        os.environ.update(env_before)
    return time.perf_counter() - started, each


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="records relative to synthetic London (1: ~1M)")
    parser.add_argument("-j", "--jobs", type=int, default=0, help="our workers (default: the number of cores)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "vawgstats-bench")
    parser.add_argument("--skip-naive", action="store_true", help="time only our pipeline")
    args = parser.parse_args(argv)

    data = make_data(args.scale, args.cache)
    records = sum(1 for _ in open(data, "rb")) - 1
    work = Path(tempfile.mkdtemp(prefix="bench-render-"))
    try:
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"# data {data} ({records} records); work folder {work}; load average {load:.2f}", flush=True)
        cold, statuses = run_ours(data, work / "out", work / "build", args.jobs)
        if statuses.count("written") != len(BCU_CODES) + 1:
            sys.exit(f"cold run did not write every report: {statuses}")
        print(f"# cold {cold:.1f} s", flush=True)
        unchanged, statuses = run_ours(data, work / "out", work / "build", args.jobs)
        if statuses.count("skipped") != len(BCU_CODES) + 1:
            sys.exit(f"unchanged run did not skip every report: {statuses}")
        print(f"# unchanged {unchanged:.2f} s", flush=True)
        line = (f"bench_render records={records} reports={len(BCU_CODES) + 1} cold_seconds={cold:.1f} "
                f"unchanged_seconds={unchanged:.2f}")
        if not args.skip_naive:
            naive_dir = work / "naive"
            naive_dir.mkdir()
            naive, _ = run_naive(data, naive_dir)
            line += f" naive_seconds={naive:.1f} ratio_naive_over_cold={naive / cold:.1f}"
        print(line + f" cpus={os.cpu_count()}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
