"""Benchmark of vawgstats.metrics on synthetic London (a script, not a test).

Usage::

    python benchmarks/bench_metrics.py                 # scale 1 (~1M records) and 5 (~5M)
    python benchmarks/bench_metrics.py --scales 1 --repeat 3

For each scale it makes (once, cached under ``--cache``) five years of
synthetic records, ``vawgstats.synthetic.generate(scale=...)``, validated into
the canonical frame of ``vawgstats.load``; scale 5 is five renamed copies of
scale 1 (crime, victim and suspect IDs prefixed by the copy number), because
generating and validating 5M records directly is slow.  Then, in a fresh
process (so that generation does not count), it reads the records and times
every metric over the whole five years for London (``by=()``), the 12 BCUs,
the 32 boroughs and monthly by BCU (``("bcu", "month")``):
charge, positive outcome and sanction detection rates (cohort method; charge
rate also by the period method), attrition, repeat victimisation, repeat
suspects, time to charge, rates per population, the change on the year
before (charge rate and volume), and funnel limits (charge rate).

It prints one line per run::

    bench_metrics records=1008119 seconds=0.84 peak_rss_mb=910 ...

``seconds`` is the wall time of the metrics only (the best of ``--repeat``
runs); ``peak_rss_mb`` is the peak resident memory (``VmHWM`` on Linux)
while computing them, including the records held in memory; the peak is reset
after reading the records (``/proc/self/clear_refs``) where Linux allows it,
and ``load_peak_rss_mb`` is the peak while reading them.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from vawgstats import metrics
from vawgstats.synthetic import DEFAULT_END, DEFAULT_START, generate, extraction_date
from vawgstats.periods import as_period

START, END = DEFAULT_START, DEFAULT_END
GROUPINGS = {"london": (), "bcu": ("bcu",), "borough": ("borough",), "bcu_month": ("bcu", "month")}
ID_COLUMNS = ("crime_id", "victim_id", "suspect_id")


def _calls():
    """(label, function, keyword arguments) of every metric computed per grouping."""
    one_year = {"start": "2025-04", "end": END}
    return [
        ("charge_rate", metrics.charge_rate, {}),
        ("charge_rate_period", metrics.charge_rate, {"method": "period"}),
        ("positive_outcome_rate", metrics.positive_outcome_rate, {}),
        ("sanction_detection_rate", metrics.sanction_detection_rate, {}),
        ("attrition", metrics.attrition, {}),
        ("repeat_victimisation_rate", metrics.repeat_victimisation_rate, {}),
        ("repeat_suspects", metrics.repeat_suspects, {}),
        ("time_to_charge", metrics.time_to_charge, {}),
        ("per_population", metrics.per_population, {}),
        ("compare_periods_charge", metrics.compare_periods, {**one_year, "against": "year_earlier"}),
        ("compare_periods_volume", metrics.compare_periods,
         {**one_year, "against": "year_earlier", "metric": "volume"}),
        ("funnel_limits", metrics.funnel_limits, {}),
    ]


def _rss_mb() -> float:
    """Peak resident memory of this process so far, in MB.

    Linux: ``VmHWM`` (which ``/proc/self/clear_refs`` resets); ``ru_maxrss`` is not
    used there because a process started by a large parent inherits the parent's
    peak in it.  Elsewhere: ``ru_maxrss``.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def run_metrics(path: Path, repeat: int, detail: bool) -> None:
    """Read the records and time every metric (called in a fresh process)."""
    df = pd.read_parquet(path)
    gc.collect()
    load_peak = _rss_mb()
    reset = _reset_peak()
    best, timings = float("inf"), {}
    for _ in range(repeat):
        started = time.perf_counter()
        for grouping, by in GROUPINGS.items():
            for label, function, kwargs in _calls():
                if function is metrics.funnel_limits and by == ():
                    continue  # London against itself: nothing to compare
                kwargs = {"start": START, "end": END, **kwargs}
                t0 = time.perf_counter()
                function(df, by=by, **kwargs)
                timings[(label, grouping)] = time.perf_counter() - t0
        best = min(best, time.perf_counter() - started)
    peak = _rss_mb()
    print(f"bench_metrics records={len(df)} seconds={best:.2f} peak_rss_mb={peak:.0f} "
          f"load_peak_rss_mb={load_peak:.0f} peak_reset={'yes' if reset else 'no'} "
          f"calls={len(timings)} cpus={os.cpu_count()}", flush=True)
    if detail:
        for (label, grouping), seconds in sorted(timings.items(), key=lambda item: -item[1]):
            print(f"  {label:28s} {grouping:10s} {seconds * 1000:8.1f} ms")


def _canonical(raw: pd.DataFrame) -> pd.DataFrame:
    from vawgstats.schema import parse_records

    return parse_records(raw, "synthetic.parquet", "parquet",
                         as_of=extraction_date(as_period(START, END)))


def make_records(scale: int, cache: Path) -> Path:
    """The canonical records at ``scale`` as Parquet (made once, then reused)."""
    path = cache / f"synthetic-{START}-{END}-scale{scale}.parquet"
    if path.exists():
        return path
    cache.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if scale == 1:
        frame = _canonical(generate(start=START, end=END, scale=1))
    else:
        one = pd.read_parquet(make_records(1, cache))
        copies = []
        for copy in range(scale):
            part = one.copy()
            for column in ID_COLUMNS:
                part[column] = (str(copy) + part[column].astype("string")).astype(one[column].dtype)
            copies.append(part)
        frame = pd.concat(copies, ignore_index=True)
    frame.to_parquet(path, index=False)
    print(f"# made {path.name}: {len(frame)} records in {time.perf_counter() - started:.0f} s", flush=True)
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 5])
    parser.add_argument("--repeat", type=int, default=3, help="runs per scale; the best is reported")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "vawgstats-bench")
    parser.add_argument("--detail", action="store_true", help="also print each metric's time")
    parser.add_argument("--run", type=Path, help=argparse.SUPPRESS)  # internal: time one file
    args = parser.parse_args(argv)
    if args.run:
        run_metrics(args.run, args.repeat, args.detail)
        return
    for scale in args.scales:
        path = make_records(scale, args.cache)
        command = [sys.executable, __file__, "--run", str(path), "--repeat", str(args.repeat)]
        subprocess.run(command + (["--detail"] if args.detail else []), check=True)


if __name__ == "__main__":
    main()
