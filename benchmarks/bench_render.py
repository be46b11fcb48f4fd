"""Benchmark of rendering all 13 reports, or all 45 with the boroughs (a script, not a test).

Usage::

    python benchmarks/bench_render.py               # 5 years of synthetic London, ~1M records
    python benchmarks/bench_render.py --scale 0.1   # a quick run on a tenth of the records
    python benchmarks/bench_render.py --boroughs    # 45 reports: 12 BCUs, 32 boroughs, the overview
    python benchmarks/bench_render.py --boroughs --repeat 3 --skip-naive   # medians of 3 rounds

On the same data, one raw CSV of five years of synthetic London
(``vawgstats.synthetic.generate(scale=...)``, made once and cached under
``--cache``), it times three ways of making the 12 BCU reports and the London
overview as HTML with nbconvert, in this order:

(a) ``cold``: our pipeline, ``vawgstats.render.render(bcus=None,
    renderer="nbconvert", formats="html")`` (HTML only, as the naive recipe
    makes) into a fresh build and output folder: prepare the
    tables once, then render the reports in ``-j`` worker processes (default:
    the number of cores), converting in-process;
(b) ``unchanged``: the same call again with nothing changed (every report is
    skipped);
(b2) ``params_changed``: one BCU's parameter file changed (an aim reworded, in a
    copy of the parameters folder used by every run): only that BCU's report, the
    reports of its boroughs (which take its aims) and the index are made again;
(p) ``prepare``: load and validate the CSV and compute every table, in a fresh
    process into a fresh build folder (imports of pandas and pyarrow not counted,
    those of scipy and statsmodels, made on first use, counted); then
    ``prepare_again``: the same data for another period, which reads the
    validated Parquet copy of the records kept in the build folder;
(c) ``naive``: the usual recipe, a sequential papermill loop over the 13
    notebooks, each reading the raw CSV itself (``prepared_dir=""``,
    ``data_path=<the CSV>``, and an empty ``VAWGSTATS_CACHE`` per notebook so
    that nothing prepared earlier is reused), then ``jupyter nbconvert --to
    html`` as a command per report.

(a) and (b) each run as a fresh ``python`` process, so interpreter start and
imports count, as they do for (c).  Every time is wall-clock seconds.  It prints
plain lines::

    bench_render records=1008119 reports=45 prepare_seconds=.. prepare_again_seconds=.. cold_seconds=.. \
unchanged_seconds=.. params_changed_seconds=.. params_changed_reports=3 naive_seconds=.. \
ratio_naive_over_cold=.. cpus=2

and, before it, one ``#`` line per phase and per naive report and, with ``--boroughs``, one
``# target ...: met`` (or ``NOT met``) line for each of issue 14's speed targets. ``--repeat N``
runs our pipeline (prepare, cold, unchanged, params changed) N times in fresh folders and prints
the medians (the naive loop runs once). Wall times are for a quiet machine: the last figure of the
line is the load average when the run ended.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
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
from vawgstats.geography import BOROUGHS
from vawgstats.render import render
started = time.perf_counter()
summary = render(bcus=None, boroughs=list(BOROUGHS) if sys.argv[5] == "1" else [], data_path=sys.argv[1],
                 out_dir=sys.argv[2], build_root=sys.argv[3], renderer="nbconvert", jobs=int(sys.argv[4]) or None,
                 params_dir=sys.argv[6], progress=False, formats="html")
print(summary.text(), file=sys.stderr)
print(json.dumps({"seconds": time.perf_counter() - started,
                  "statuses": [r.status for r in summary.results],
                  "written": [r.name for r in summary.results if r.status == "written"]}))
"""

#: The prepare step alone, in a fresh process: load + validate + every table (and, again, another period).
PREPARE = """
import json, sys, time
import pandas, pyarrow.csv  # the interpreter's usual imports, not the prepare step's
from vawgstats.prepare import prepare
started = time.perf_counter()
first = prepare(sys.argv[1], build_root=sys.argv[2])
seconds = time.perf_counter() - started
start = str(first.period.start - 1)
end = str(first.period.end - 1)
started = time.perf_counter()
prepare(sys.argv[1], start=start, end=end, build_root=sys.argv[2])
print(json.dumps({"seconds": seconds, "again": time.perf_counter() - started}))
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


def children_cpu() -> float:
    """CPU seconds (user + system) used so far by finished child processes and their descendants."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_ours(data: Path, out: Path, build: Path, jobs: int, boroughs: bool, params: Path) -> tuple[float, dict]:
    """Wall time of one ``render`` in a fresh process, and what it did (statuses, reports written,
    ``cpu``: CPU seconds of the process and its workers and kernels, which a busy machine inflates less)."""
    cpu = children_cpu()
    started = time.perf_counter()
    completed = subprocess.run([sys.executable, "-c", OURS, str(data), str(out), str(build), str(jobs),
                                "1" if boroughs else "0", str(params)],
                               capture_output=True, text=True, check=False, cwd=REPO)
    seconds = time.perf_counter() - started
    if completed.returncode != 0:
        sys.exit(f"render failed:\n{completed.stderr[-3000:]}")
    for line in completed.stderr.strip().splitlines():
        print(f"#   {line}")
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    result["cpu"] = children_cpu() - cpu
    return seconds, result


def run_prepare(data: Path, build: Path) -> tuple[float, float]:
    """Seconds of the prepare step in a fresh process and fresh build folder, then of another period."""
    completed = subprocess.run([sys.executable, "-c", PREPARE, str(data), str(build)],
                               capture_output=True, text=True, check=False, cwd=REPO)
    if completed.returncode != 0:
        sys.exit(f"prepare failed:\n{completed.stderr[-3000:]}")
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    return result["seconds"], result["again"]


def change_one_bcu(params: Path, code: str = "NA") -> list[str]:
    """Reword one aim in ``code``'s parameter file; the reports that must be made again."""
    from vawgstats.geography import BCU_BY_CODE
    from vawgstats.units import report_stem

    path = params / f"{code}.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("aims:\n  - \"", "aims:\n  - \"(reworded) ", 1), encoding="utf-8")
    inheriting = [b for b in BCU_BY_CODE[code].boroughs
                  if not (params / "boroughs" / f"{report_stem('borough', b).removeprefix('borough-')}.yaml").exists()]
    return [f"bcu-{code}"] + [report_stem("borough", b) for b in inheriting]


def run_naive(data: Path, work: Path, boroughs: bool, sample: int = 0) -> tuple[float, dict[str, float]]:
    """The papermill loop, each notebook preparing from the raw CSV, then nbconvert per report."""
    import papermill

    from vawgstats.render import KERNEL_NAME, ensure_kernel

    jupyter_path = ensure_kernel(work / "kernel")
    env_before = dict(os.environ)
    os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(jupyter_path), os.environ.get("JUPYTER_PATH")]))
    os.environ.setdefault("MPLBACKEND", "Agg")
    jupyter = Path(sys.executable).with_name("jupyter")
    command = [str(jupyter)] if jupyter.exists() else [sys.executable, "-m", "jupyter"]
    from vawgstats.geography import BOROUGHS
    from vawgstats.units import report_stem

    reports = ([("bcu_report", {"bcu": code}, f"bcu-{code}") for code in BCU_CODES]
               + ([("bcu_report", {"unit_type": "borough", "unit": b}, report_stem("borough", b)) for b in BOROUGHS]
                  if boroughs else [])
               + [("london_overview", {"bcu": "London"}, "london")])
    if sample:  # every k-th report, the overview included (an estimate: see --naive-sample)
        step = max(1, len(reports) // sample)
        reports = reports[::-1][::step][:sample]
    each: dict[str, float] = {}
    started = time.perf_counter()
    try:
        for notebook, unit, name in reports:
            report_started = time.perf_counter()
            os.environ["VAWGSTATS_CACHE"] = tempfile.mkdtemp(prefix=f"cache-{name}-", dir=work)
            executed = work / f"{name}.ipynb"
            papermill.execute_notebook(
                str(REPO / "notebooks" / f"{notebook}.ipynb"), str(executed), kernel_name=KERNEL_NAME,
                parameters={**unit, "data_path": str(data), "prepared_dir": ""},
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


def _our_round(data: Path, work: Path, args, reports: int) -> tuple:
    """One round of our runs in fresh folders: (prepare, prepare again, cold, cold CPU, unchanged,
    params changed seconds, reports made again after the params change)."""
    from vawgstats.params import default_params_dir

    params = Path(shutil.copytree(default_params_dir(), work / "params"))
    prepared, again = run_prepare(data, work / "prepare-build")
    print(f"# prepare {prepared:.2f} s; another period (validated records reused) {again:.2f} s", flush=True)
    cold, done = run_ours(data, work / "out", work / "build", args.jobs, args.boroughs, params)
    if done["statuses"].count("written") != reports:
        sys.exit(f"cold run did not write every report: {done['statuses']}")
    print(f"# cold {cold:.1f} s (CPU {done['cpu']:.1f} s)", flush=True)
    cold_cpu = done["cpu"]
    unchanged, done = run_ours(data, work / "out", work / "build", args.jobs, args.boroughs, params)
    if done["statuses"].count("skipped") != reports:
        sys.exit(f"unchanged run did not skip every report: {done['statuses']}")
    print(f"# unchanged {unchanged:.2f} s (CPU {done['cpu']:.2f} s)", flush=True)
    expected = change_one_bcu(params)
    expected = [name for name in expected if args.boroughs or name.startswith("bcu-")]
    changed, done = run_ours(data, work / "out", work / "build", args.jobs, args.boroughs, params)
    if sorted(done["written"]) != sorted(expected):
        sys.exit(f"after changing one BCU's parameters, expected {expected} written, not {done['written']}")
    print(f"# params_changed {changed:.2f} s (CPU {done['cpu']:.1f} s; {', '.join(done['written'])} and the index)",
          flush=True)
    shutil.rmtree(work, ignore_errors=True)
    return prepared, again, cold, cold_cpu, unchanged, changed, len(done["written"])


def _targets(prepared: float, cold: float, unchanged: float, changed: float, line: str):
    """(figure, value, target, met) for each of issue 14's speed targets that this run measured."""
    figures = dict(part.split("=", 1) for part in line.split()[1:])
    yield "prepare", f"{prepared:.2f} s", "< 3 s", prepared < 3
    yield "cold render of all 45 reports", f"{cold:.1f} s", "< 30 s", cold < 30
    yield "nothing changed", f"{unchanged:.2f} s", "< 1 s", unchanged < 1
    yield "one BCU's params changed", f"{changed:.2f} s", "< 4 s", changed < 4
    if "ratio_naive_over_cold" in figures:
        ratio = float(figures["ratio_naive_over_cold"])
        yield "naive loop / our cold run", f"{ratio:.1f} x", ">= 8 x", ratio >= 8
    elif "ratio_naive_estimated_over_cold" in figures:
        ratio = float(figures["ratio_naive_estimated_over_cold"])
        yield "naive loop / our cold run (ESTIMATED from a sample)", f"{ratio:.1f} x", ">= 8 x", ratio >= 8


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="records relative to synthetic London (1: ~1M)")
    parser.add_argument("-j", "--jobs", type=int, default=0, help="our workers (default: the number of cores)")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "vawgstats-bench")
    parser.add_argument("--skip-naive", action="store_true", help="time only our pipeline")
    parser.add_argument("--naive-sample", type=int, default=0, metavar="N",
                        help="time the naive recipe on N of the reports only and estimate the whole loop "
                             "(all reports x the mean of those N; printed as naive_estimated_seconds)")
    parser.add_argument("--repeat", type=int, default=1, metavar="N",
                        help="run our pipeline N times (fresh folders each time) and print the medians")
    parser.add_argument("--boroughs", action="store_true",
                        help="45 reports: the 12 BCUs, the 32 boroughs and the overview (default: 13)")
    args = parser.parse_args(argv)

    data = make_data(args.scale, args.cache)
    records = sum(1 for _ in open(data, "rb")) - 1
    work = Path(tempfile.mkdtemp(prefix="bench-render-"))
    reports = len(BCU_CODES) + 1 + (32 if args.boroughs else 0)
    try:
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"# data {data} ({records} records); work folder {work}; load average {load:.2f}", flush=True)
        rounds = [_our_round(data, work / f"round-{i}", args, reports) for i in range(args.repeat)]
        prepared, again, cold, cold_cpu, unchanged, changed = (
            statistics.median(r[i] for r in rounds) for i in range(6))
        if args.repeat > 1:
            print("# medians of " + str(args.repeat) + " rounds; each round: "
                  + "; ".join(" ".join(f"{x:.2f}" for x in r) for r in rounds)
                  + " (prepare, again, cold, cold CPU, unchanged, params changed)", flush=True)
        line = (f"bench_render records={records} reports={reports} prepare_seconds={prepared:.2f} "
                f"prepare_again_seconds={again:.2f} cold_seconds={cold:.1f} cold_cpu_seconds={cold_cpu:.1f} "
                f"unchanged_seconds={unchanged:.2f} "
                f"params_changed_seconds={changed:.2f} params_changed_reports={rounds[0][6]}")
        if not args.skip_naive:
            naive_dir = work / "naive"
            naive_dir.mkdir()
            naive, each = run_naive(data, naive_dir, args.boroughs, args.naive_sample)
            if args.naive_sample:
                estimate = reports * sum(each.values()) / len(each)
                line += (f" naive_sampled_reports={len(each)} naive_estimated_seconds={estimate:.1f}"
                         f" ratio_naive_estimated_over_cold={estimate / cold:.1f}")
            else:
                line += f" naive_seconds={naive:.1f} ratio_naive_over_cold={naive / cold:.1f}"
        if args.boroughs:  # issue 14's targets, for a quiet 2-core machine
            for figure, value, target, met in _targets(prepared, cold, unchanged, changed, line):
                print(f"# target {figure}: {value} (target {target}): {'met' if met else 'NOT met'}", flush=True)
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(line + f" cpus={os.cpu_count()} load_average_at_end={load:.2f}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
