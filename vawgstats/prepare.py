"""Prepare once: load and validate the data, compute every metric table the reports need.

``prepare`` reads the records once, computes the tables below
(:mod:`vawgstats.unit_tables`, with :mod:`vawgstats.metrics`), and writes them as small Parquet files plus a
``manifest.json`` into ``build/prepared/<key>/``, where ``key`` is a content hash
of the data file, the run parameters and the package's files.  A second call
with the same inputs finds the folder and does nothing.  Notebooks read these
tables through :func:`open_prepared`; they never read the raw records, so no
record-level row or identifier can reach a report.

Tables (``unit_type`` is ``london``, ``bcu`` or ``borough``; ``unit`` is
``London``, a BCU code or a borough name):

- ``headline``: one row per unit and metric, with value, interval and changes
  against the previous period and the same period a year earlier;
- ``monthly``: in-scope crimes and charges per unit and month (trend window);
- ``funnel``: funnel-plot limits for BCUs and boroughs, per metric;
- ``offence_outcomes``: charge, positive outcome and attrition by offence type;
- ``repeat``: repeat victimisation overall and by domestic abuse flag, with
  repeat suspects and crimes lacking a victim ID;
- ``places``: the busiest LSOAs per BCU and borough (:func:`top_places`);
- ``lsoa_counts``: in-scope crimes per LSOA, for the LSOA map (:func:`vawgstats.areas.lsoa_counts`);
- ``quality``: data-quality counts per unit (:func:`data_quality`).

The build folder holds restricted material (see its README); nothing here
copies it to the public output folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ._lazy import lazy_module
from . import __version__, definitions as d, parallel
from .fingerprint import SYNTHETIC_SOURCES, code_fingerprint, new_to, sha256_file
from .geography import BCU_CODES, BOROUGHS
from .coverage import GAP_SHARE
from .periods import Period, as_period
# The tables, computed for every unit in one pass, live in unit_tables; their names stay importable here.
from .unit_tables import (PROPORTIONS, SCOPED_COLUMNS, TREND_MONTHS, UNIT_TYPES, borough_rates,  # noqa: F401
                          data_quality, earliest_needed, funnel_table, headline_table, monthly_table,
                          offence_outcomes_table, repeat_table, top_places)

pd = lazy_module("pandas", globals(), "pd")  # imported on first use

PREPARED_VERSION = "3"  # bump when the tables' layout changes (3: lsoa_counts, ward_counts)

BUILD_README = """\
# build/ — RESTRICTED

This folder holds prepared data tables and executed notebooks made from
record-level crime data. It is restricted material: do not share it, publish
it, or commit it to git (it is listed in .gitignore). Only the rendered
reports in the output folder are for publication, and only after
`vawgstats audit` has passed on them.
"""

def cache_dir() -> Path:
    """Where the package caches generated data: ``$VAWGSTATS_CACHE`` or ``~/.cache/vawgstats``."""
    return Path(os.environ.get("VAWGSTATS_CACHE") or Path.home() / ".cache" / "vawgstats")


def default_data_path() -> Path:
    """The embedded synthetic London, generated on first use and cached (no download)."""
    from . import synthetic

    name = (f"synthetic-london-seed{synthetic.DEFAULT_SEED}-{synthetic.DEFAULT_START}-"
            f"{synthetic.DEFAULT_END}-v{__version__}-{code_fingerprint(*SYNTHETIC_SOURCES)}.parquet")
    path = cache_dir() / name
    if not path.exists():
        from .schema import write_records

        path.parent.mkdir(parents=True, exist_ok=True)
        frame = synthetic.generate()
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as handle:
            temporary = Path(handle.name)
        try:
            write_records(frame, temporary.with_suffix(".parquet"))
            os.replace(temporary.with_suffix(".parquet"), path)
        finally:
            temporary.unlink(missing_ok=True)
            temporary.with_suffix(".parquet").unlink(missing_ok=True)
    return path


def default_counts_path() -> Path:
    """The embedded synthetic London as an open-data counts table (cached), for open-data notebooks."""
    from . import open_data
    from .schema import load

    records = default_data_path()
    path = cache_dir() / records.name.replace("synthetic-london-", "synthetic-london-counts-")
    if not path.exists():
        temporary = path.with_name(f".{path.name}.{os.getpid()}.part")
        try:
            open_data.write_synthetic_counts(load(records), temporary)
            os.replace(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
    return path


# --------------------------------------------------------------------------- the prepared folder


@dataclass
class Prepared:
    """A prepared build folder: its manifest and its tables (read on demand)."""

    directory: Path
    manifest: dict
    _cache: dict = field(default_factory=dict, repr=False)

    def table(self, name: str) -> pd.DataFrame:
        if name not in self._cache:
            self._cache[name] = pd.read_parquet(self.directory / f"{name}.parquet")
        return self._cache[name]

    @property
    def period(self) -> Period:
        return as_period(self.manifest["start"], self.manifest["end"])

    @property
    def key(self) -> str:
        return self.manifest["key"]

    @property
    def synthetic(self) -> bool:
        return bool(self.manifest["synthetic"])


def open_prepared(directory: str | Path) -> Prepared:
    """Open a folder written by :func:`prepare`."""
    directory = Path(directory)
    with open(directory / "manifest.json", encoding="utf-8") as handle:
        return Prepared(directory, json.load(handle))


def _key(parts: dict) -> str:
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def requested_period(start: str | None, end: str | None) -> Period | None:
    """The period given as ``start`` and ``end`` (``YYYY-MM``), or None when neither is given."""
    if start and end:
        return as_period(start, end)
    if start or end:
        from .errors import ParamsError

        raise ParamsError("Give both --start and --end (YYYY-MM), or neither for the latest 12 complete months.")
    return None


def resolve_period(df: pd.DataFrame, start: str | None, end: str | None, months: int = 12,
                   coverage: dict | None = None, data_name: str = "the data") -> Period:
    """The requested period, or the latest ``months`` complete months in the data (fewer if it has fewer).

    With day precision the last month counts only if it has a record on its last day;
    with month precision (every ``recorded_date`` the 1st of a month) it counts.  A
    requested period outside the data's months is refused
    (:func:`vawgstats.coverage.period_within`).
    """
    from . import coverage as cov

    if coverage is None:
        coverage = cov.manifest_entry(cov.coverage_table(df))
    return cov.period_within(coverage, requested_period(start, end), months, data_name)


def _records_as_of(df: pd.DataFrame) -> pd.Timestamp:
    """The default extraction date: the latest date in the data; for month-precision
    dates (police.uk: every date the 1st of its month), the last day of that month."""
    latest = max(df["recorded_date"].max(), df["outcome_date"].max())
    dates = pd.concat([df["recorded_date"], df["outcome_date"]]).dropna()
    if dates.dt.day.eq(1).all():
        latest = latest.to_period("M").end_time.normalize()
    return latest


def _prepared_directory(data_path, *, start, end, as_of, build_root, window_days, period_months,
                        follow_up_days=d.CHARGE_FOLLOW_UP_DAYS, returns_path=None, gap_share=GAP_SHARE,
                        population=None):
    """(data path, its SHA-256, the key, the folder) of a :func:`prepare` call."""
    from .commitments import returns_key

    data_path = Path(data_path) if data_path is not None else default_data_path()
    data_sha = sha256_file(data_path, build_root=build_root) if data_path.exists() else None
    requested = {"data_sha256": data_sha, "returns_sha256": returns_key(returns_path), "start": start, "end": end,
                 "as_of": as_of,
                 "window_days": window_days, "period_months": period_months, "follow_up_days": follow_up_days,
                 "gap_share": gap_share, "population_sha256": _population_sha(population),
                 "code": code_fingerprint(), "prepared_version": PREPARED_VERSION}
    key = _key(requested)
    return data_path, data_sha, key, Path(build_root) / "prepared" / key


def _population_sha(population) -> str | None:
    """The population file's SHA-256 (part of the key), None for the package's own estimates."""
    if population is None:
        return None
    path = Path(population)
    return sha256_file(path) if path.is_file() else f"missing:{path}"


def is_prepared(data_path: str | Path | None = None, *, start: str | None = None, end: str | None = None,
                as_of: str | None = None, build_root: str | Path = "build",
                window_days: int = d.REPEAT_WINDOW_DAYS, period_months: int = 12,
                follow_up_days: int = d.CHARGE_FOLLOW_UP_DAYS, returns_path=None,
                gap_share: float = GAP_SHARE, population: str | Path | None = None) -> bool:
    """Whether :func:`prepare` with these arguments would find its folder made already."""
    directory = _prepared_directory(data_path, start=start, end=end, as_of=as_of, build_root=build_root,
                                    window_days=window_days, period_months=period_months,
                                    follow_up_days=follow_up_days, returns_path=returns_path,
                                    gap_share=gap_share, population=population)[3]
    return (directory / "manifest.json").exists()


def prepare(data_path: str | Path | None = None, *, start: str | None = None, end: str | None = None,
            as_of: str | None = None, build_root: str | Path = "build",
            window_days: int = d.REPEAT_WINDOW_DAYS, period_months: int = 12,
            follow_up_days: int = d.CHARGE_FOLLOW_UP_DAYS, returns_path=None, gap_share: float = GAP_SHARE,
            population: str | Path | None = None) -> Prepared:
    """Load and validate the data once and write every metric table; return the prepared folder.

    ``returns_path``: a delivery returns file (:mod:`vawgstats.returns`); the commitments tables are
    written beside the crime tables (:func:`vawgstats.commitments.prepared_tables`).

    ``data_path`` None means the embedded synthetic London.  ``as_of`` is the
    date the data were extracted; by default the latest date found in the data.
    ``follow_up_days``: the fixed follow-up of the monthly charge-rate trend
    (``charge_follow_up_days`` in ``params/defaults.yaml``).
    Skips the work when a folder for the same data, parameters and package
    version exists already.  ``gap_share``: see :mod:`vawgstats.coverage`.
    ``population``: a CSV of female population estimates (:mod:`vawgstats.population`;
    default: the package's ONS mid-2019); the year nearest the period's middle is used.
    """
    # A file new to this build folder will be loaded: a thread reads and parses it from now,
    # while this one hashes it and then imports the statistics libraries.
    reading = _ReadAhead(data_path) if data_path is not None and new_to(build_root, data_path) else None
    data_path, data_sha, key, directory = _prepared_directory(
        data_path, start=start, end=end, as_of=as_of, build_root=build_root, window_days=window_days,
        period_months=period_months, follow_up_days=follow_up_days, returns_path=returns_path,
        gap_share=gap_share, population=population)
    if (directory / "manifest.json").exists():
        return open_prepared(directory)
    from .counts import is_counts_file
    from .synthetic import is_synthetic

    if data_path.exists() and is_counts_file(data_path):
        if returns_path is not None:
            import warnings

            warnings.warn(f"{returns_path}: the open-data edition (published counts) has no commitments section "
                          "yet, so the delivery returns are not shown in these reports.", UserWarning, stacklevel=2)
        tables, manifest = _counts_tables(data_path, start=start, end=end, as_of=as_of,
                                          period_months=period_months, gap_share=gap_share,
                                          population=population)
        manifest.update(key=key, data_sha256=data_sha, version=__version__)
        _write_atomically(directory, tables, manifest)
        return open_prepared(directory)

    if reading is not None:
        warm_up = None
        _import_statistics()  # in this thread, while the other reads the file (neither waits for the GIL)
    else:
        warm_up = _import_in_background()  # scipy/statsmodels load while the records are read
    df, keep = _validated_records(data_path, data_sha, as_of, Path(build_root), reading)
    # the records' Parquet copy is written (mostly by pyarrow, without the GIL) while the period
    # and the scope are worked out here
    keeping = _in_thread(keep, "vawgstats-records-copy")
    coverage_table, coverage = _records_coverage(df, gap_share)
    period = resolve_period(df, start, end, period_months, coverage=coverage, data_name=str(data_path))
    as_of_date = str(pd.Timestamp(as_of).date()) if as_of else str(_records_as_of(df).date())
    _check_scope(df, period, str(data_path))
    residents, population_fields = _population(population, period)

    # Every measure counts in-scope crimes only, so the tables are computed on those rows
    # (and the columns the measures read); the data-quality table and the trend window's
    # first month look at every record.
    in_scope = d.in_vawg_scope(df).to_numpy(dtype=bool)
    # ... and only on those recorded late enough for some table to read them.
    scope = in_scope & (df["recorded_date"] >= earliest_needed(period, window_days)).to_numpy(dtype=bool)
    scoped = df.loc[scope, [c for c in SCOPED_COLUMNS if c in df.columns]].reset_index(drop=True)
    synthetic = is_synthetic(df)
    from .commitments import prepared_tables as commitment_tables  # delivery returns, beside the crime tables

    def outcomes_and_commitments() -> tuple[dict, dict]:
        """The offence outcomes table and the commitments tables (the girls' view suppressed against
        it), and the manifest's ``returns`` entry."""
        outcomes = offence_outcomes_table(scoped, period)
        extra, returns = commitment_tables(df.loc[scope], period, returns_path, synthetic, all_ages=outcomes)
        return {"offence_outcomes": outcomes, **extra}, returns

    # On a large file those are made in a forked process while this one makes the other
    # tables (:mod:`vawgstats.parallel`).
    child, child_folder = None, None
    forking = len(df) >= PARALLEL_ROWS and parallel.can_fork()
    if forking:
        for thread in (warm_up, keeping):  # no import or write half done at the fork
            if thread is not None:
                thread.join()
    if forking and parallel.single_threaded():
        directory.parent.mkdir(parents=True, exist_ok=True)
        child_folder = Path(tempfile.mkdtemp(prefix=f".{directory.name}-forked-", dir=directory.parent))
        child = parallel.fork_tables(outcomes_and_commitments, child_folder)
    try:
        from .metrics import date_precision

        headline = headline_table(scoped, period, window_days, first_recorded=df["recorded_date"].min(),
                                  as_of=as_of_date, precision=date_precision(df),
                                  population=residents)
        from . import areas  # imported here: prepare's module import stays light

        tables = {
            "headline": headline,
            "monthly": monthly_table(scoped, period, first_recorded=df["recorded_date"].min(),
                                     follow_up_days=follow_up_days, as_of=as_of_date),
            "funnel": funnel_table(scoped, period, window_days),
            "repeat": repeat_table(scoped, period, window_days),
            "places": top_places(scoped, start=str(period.start), end=str(period.end)),
            "lsoa_counts": areas.lsoa_counts(scoped, start=str(period.start), end=str(period.end)),
            "quality": data_quality(df, start=str(period.start), end=str(period.end)),
            "borough_rates": borough_rates(headline),
            "coverage": coverage_table,
        }
        _mark_coverage(tables, coverage, period, population_fields["population_year"],
                       ("crimes", "charged", "rate", "ci_low", "ci_high", "pending", "charged_within",
                        "rate_within"))
        manifest = {
            "key": key,
            "kind": "records",
            "data_path": str(data_path),
            "data_file": data_path.name,
            "data_sha256": data_sha,
            "rows": int(len(df)),
            "in_scope_rows": int(in_scope.sum()),
            "first_recorded": str(df["recorded_date"].min().date()),
            "last_recorded": str(df["recorded_date"].max().date()),
            **_period_fields(period),
            **_coverage_fields(coverage, period, requested_period(start, end), period_months),
            "empty_units": empty_units(tables["headline"], "volume"),
            "as_of": as_of_date,
            "follow_up_days": int((pd.Timestamp(as_of_date) - period.last_day).days),
            "charge_follow_up_days": follow_up_days,
            "window_days": window_days,
            "version": __version__,
            "synthetic": synthetic,
            "policeuk_proxy": bool(d.is_one_of(df["offence_group"], (d.POLICEUK_PROXY_GROUP,)).any()),
            "has_lsoa": bool(df["lsoa_code"].notna().any()),
            "has_coordinates": bool("latitude" in df.columns and df["latitude"].notna().any()),
            **population_fields,
            "bcus": list(BCU_CODES),
            "boroughs": list(BOROUGHS),
        }
        collected = child.collect() if child is not None else None
        if collected is None:  # no child, or it failed: here (and any error is raised here)
            extra, manifest["returns"] = outcomes_and_commitments()
            tables.update(extra)
            files = {}
        else:
            files, manifest["returns"] = collected
        _write_atomically(directory, tables, manifest, files)
    finally:
        if child is not None:
            child.stop()  # only if still running (an error here)
        if child_folder is not None:
            shutil.rmtree(child_folder, ignore_errors=True)
    for thread in (keeping, warm_up):
        if thread is not None:
            thread.join()
    return open_prepared(directory)


def _import_statistics() -> None:
    """Import the statistics libraries the tables need (half a second: done while the records are read)."""
    try:
        import scipy.stats  # noqa: F401
        import statsmodels.stats.proportion  # noqa: F401
    except Exception:  # the functions that need them will import (and report) them
        pass


def _import_in_background():
    """:func:`_import_statistics` in a thread, while the Parquet copy of the records is read
    (the reader releases the GIL, so on two cores the imports cost little wall time)."""
    return _in_thread(_import_statistics, "vawgstats-imports")


class _ReadAhead:
    """:func:`vawgstats.schema.read_records` of a file, in a thread started at once.

    The reading is mostly pyarrow's, without the GIL, so it runs beside the hashing
    and the imports.  :meth:`result` waits for it and returns the raw frame and its
    format, or raises here the error it met (a :class:`~vawgstats.errors.DataError`
    naming the file).  Unused (the tables were prepared already), it is simply dropped.
    """

    def __init__(self, path: str | Path):
        import threading

        self._outcome: tuple = (None, None)
        self._thread = threading.Thread(target=self._read, args=(Path(path),), name="vawgstats-read",
                                        daemon=True)
        self._thread.start()

    def _read(self, path: Path) -> None:
        from .schema import read_records

        try:
            self._outcome = (read_records(path), None)
        except BaseException as exc:  # handed to the caller of result()
            self._outcome = (None, exc)

    def result(self):
        """The raw frame and its format (once: the frame is not kept here, so that its memory is
        freed as soon as the caller has parsed it)."""
        self._thread.join()
        (value, error), self._outcome = self._outcome, (None, None)
        if error is not None:
            raise error
        return value


#: Records from which :func:`prepare` makes the commitments tables in a forked process
#: (:mod:`vawgstats.parallel`) while it makes the crime tables; below, forking is not worth it.
PARALLEL_ROWS = 200_000

#: Bump when the validated records' layout changes (the canonical columns and dtypes).
RECORDS_VERSION = "1"
#: Columns of (nearly) unique values, written without a dictionary in the records' Parquet copy:
#: with lz4 and no statistics, the copy is written in 0.18 CPU-s instead of 0.26 (snappy, every
#: column tried as a dictionary) and read back in 0.2 s instead of 0.4, at the same size.
_UNIQUE_COLUMNS = ("crime_id", "victim_id", "suspect_id")


def _in_thread(function, name: str):
    """``function()`` started in a daemon thread (None for no function)."""
    if function is None:
        return None
    import threading

    thread = threading.Thread(target=function, name=name, daemon=True)
    thread.start()
    return thread


def _validated_records(data_path: Path, data_sha: str | None, as_of: str | None, build_root: Path,
                       reading: _ReadAhead | None = None):
    """The validated records of ``data_path`` and a function writing their Parquet copy (or None).

    ``reading``: the file being read already (:class:`_ReadAhead`), used unless the copy exists.

    The build folder keeps a content-addressed Parquet copy of each file's validated
    records (``build/records/<key>.parquet``, key = the file's SHA-256, the as-of
    date and the package's files): a later prepare of the same data for another
    period or window reads that copy instead of parsing and validating the file
    again.  The copy is record-level and restricted, like the rest of ``build/``.
    """
    import threading

    from .schema import load, parse_records

    def records() -> pd.DataFrame:
        if reading is None:
            return load(data_path, as_of=as_of)
        raw, fmt = reading.result()
        return parse_records(raw, data_path, fmt, as_of=as_of)

    if data_sha is None:
        return records(), None
    checked_as_of = str((pd.Timestamp(as_of) if as_of else pd.Timestamp.today()).date())
    key = _key({"data_sha256": data_sha, "as_of": checked_as_of, "code": code_fingerprint(),
                "records_version": RECORDS_VERSION})
    copy = build_root / "records" / f"{key}.parquet"
    if copy.exists():
        try:
            return pd.read_parquet(copy), None
        except Exception:  # an unreadable copy (e.g. a full disk when written): load the file again
            copy.unlink(missing_ok=True)
    df = records()

    def keep() -> None:
        copy.parent.mkdir(parents=True, exist_ok=True)
        _write_build_readme(build_root)
        temporary = copy.with_name(f".{copy.name}.{os.getpid()}.{threading.get_ident()}.part")
        try:
            df.to_parquet(temporary, index=False, compression="lz4", write_statistics=False,
                          use_dictionary=[c for c in df.columns if c not in _UNIQUE_COLUMNS])
            os.replace(temporary, copy)
        except OSError:
            pass  # only a copy: the next prepare loads the file again
        finally:
            temporary.unlink(missing_ok=True)

    return df, keep


def _write_build_readme(build_root: Path) -> None:
    build_root.mkdir(parents=True, exist_ok=True)
    readme = build_root / "README.md"
    if not readme.exists():
        readme.write_text(BUILD_README, encoding="utf-8")


def _period_fields(period: Period) -> dict[str, str]:
    """The manifest's period entries: the period, its label and its two comparison periods."""
    return {"start": str(period.start), "end": str(period.end), "period_label": period.label(),
            "previous_start": str(period.previous().start), "previous_end": str(period.previous().end),
            "year_start": str(period.year_earlier().start), "year_end": str(period.year_earlier().end)}


def _records_coverage(df: pd.DataFrame, gap_share: float) -> tuple[pd.DataFrame, dict]:
    """The records' coverage table and its manifest entry (:mod:`vawgstats.coverage`)."""
    from . import coverage as cov

    table = cov.coverage_table(df, gap_share)
    return table, cov.manifest_entry(table, gap_share)


def _coverage_fields(coverage: dict, period: Period, requested: Period | None, period_months: int) -> dict:
    """The manifest's coverage entries: the coverage, and the period in words (short periods say why)."""
    from . import coverage as cov

    text = period.label() if requested is not None else cov.period_text(period, period_months, coverage)
    return {"coverage": coverage, "period_text": text}


def empty_units(headline: pd.DataFrame, metric: str) -> list[str]:
    """BCUs and boroughs with no in-scope crime (``metric`` count 0) in the period: their
    reports say so instead of showing a page of suppressed zeros (``notebooks/empty_unit.ipynb``)."""
    rows = headline[(headline["metric"] == metric) & headline["unit_type"].isin(["bcu", "borough"])]
    return sorted(rows.loc[rows["numerator"].fillna(0) == 0, "unit"].astype(str).tolist())


def _mark_coverage(tables: dict, coverage: dict, period: Period, population_year: int,
                   monthly_columns: tuple[str, ...]) -> None:
    """Mark gap months in the tables (:mod:`vawgstats.coverage`): comparisons over a gap are
    not comparable, monthly values of a gap month are missing, the headline and quality
    tables list the gap months; and the headline carries the population estimate's year."""
    from . import coverage as cov

    tables["headline"] = cov.mark_headline(tables["headline"], coverage, period)
    tables["headline"]["population_year"] = int(population_year)
    tables["borough_rates"]["population_year"] = int(population_year)
    tables["monthly"] = cov.blank_gap_months(tables["monthly"], coverage, monthly_columns)
    tables["quality"] = cov.mark_quality(tables["quality"], coverage, period)


def _population(path, period: Period) -> tuple[pd.Series | None, dict]:
    """Female residents per borough for the period (None: the package's own) and the manifest fields."""
    from . import population as pop

    residents, year, source = pop.choose(period, path)
    return residents, {"population_source": source, "population_year": year,
                       "population_file": Path(path).name if path is not None else None}


def _check_scope(df: pd.DataFrame, period: Period, where: str) -> None:
    """Refuse to report on a period with no crime in VAWG scope (:func:`vawgstats.coverage.scope_error`)."""
    from . import coverage as cov

    message = cov.scope_error(df, period, where)
    if message:
        from .errors import DataError

        raise DataError(message)


def _counts_tables(data_path: Path, *, start, end, as_of, period_months: int,
                   gap_share: float = GAP_SHARE, population=None) -> tuple[dict, dict]:
    """The open-data tables and manifest of a counts table (see :mod:`vawgstats.open_data`)."""
    from . import open_data
    from .counts import load_counts

    counts = load_counts(data_path)
    open_data.check_counts(counts, str(data_path))
    from . import coverage as cov

    coverage_table = cov.counts_coverage_table(counts, gap_share)
    coverage = cov.manifest_entry(coverage_table, gap_share)
    period = cov.period_within(coverage, requested_period(start, end), period_months, str(data_path))
    months = open_data.location_counts(counts, "offences")["month"].astype(str)
    residents, population_fields = _population(population, period)
    tables = open_data.prepared_tables(counts, period, residents)
    tables["coverage"] = coverage_table
    _mark_coverage(tables, coverage, period, population_fields["population_year"], open_data.MEASURES)
    last_day = pd.Period(months.max(), freq="M").end_time.date()
    manifest = {
        "kind": "counts",
        "data_path": str(data_path),
        "data_file": data_path.name,
        "rows": int(len(counts)),
        "first_recorded": months.min(),
        "last_recorded": months.max(),
        **_period_fields(period),
        **_coverage_fields(coverage, period, requested_period(start, end), period_months),
        "empty_units": empty_units(tables["headline"], "offences"),
        "as_of": str(pd.Timestamp(as_of).date()) if as_of else str(last_day),
        "sources": sorted(counts["source"].astype(str).unique()),
        "synthetic": open_data.is_synthetic_counts(data_path),
        "policeuk_proxy": False,
        "has_wards": bool(len(tables["wards"])),
        **population_fields,
        "bcus": list(BCU_CODES),
        "boroughs": list(BOROUGHS),
    }
    return tables, manifest


def _write_atomically(directory: Path, tables: dict[str, pd.DataFrame], manifest: dict,
                      files: dict[str, Path] | None = None) -> None:
    """Write ``tables`` (and move in the Parquet ``files`` of tables written already) and the
    manifest into a staging folder, then rename it to ``directory``."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    _write_build_readme(directory.parent.parent)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
    try:
        for name, table in tables.items():
            table.to_parquet(staging / f"{name}.parquet", index=False)
        for name, path in (files or {}).items():
            os.replace(path, staging / f"{name}.parquet")
        with open(staging / "manifest.json", "w", encoding="utf-8") as handle:
            json.dump(manifest, handle, indent=2, sort_keys=True)
        try:
            os.replace(staging, directory)
        except OSError:
            if not (directory / "manifest.json").exists():  # another process may have won the race
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def open_or_prepare(prepared_dir: str | Path | None = None, *, data_path=None, start=None, end=None,
                    as_of=None, returns_path=None, population=None) -> Prepared:
    """For notebooks: open the prepared folder the renderer made, or prepare now (into the cache).

    A notebook run on its own (e.g. by nbval) has no ``prepared_dir``; it then
    prepares the tables itself from ``data_path`` (default: the synthetic London).
    """
    if prepared_dir:
        return open_prepared(prepared_dir)
    return prepare(data_path, start=start, end=end, as_of=as_of, build_root=cache_dir() / "build",
                   returns_path=returns_path, population=population)
