"""Prepare once: load and validate the data, compute every metric table the reports need.

``prepare`` reads the records once, computes the tables below with
:mod:`vawgstats.metrics`, and writes them as small Parquet files plus a
``manifest.json`` into ``build/prepared/<key>/``, where ``key`` is a content hash
of the data file, the run parameters and the package version.  A second call
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
from functools import lru_cache
from pathlib import Path

import pandas as pd

from . import __version__, definitions as d
from .geography import BCU_CODES, BOROUGHS, BOROUGH_TO_BCU, POPULATION_SOURCE, lsoa_in_other_borough
from .periods import Period, as_period, latest_complete_months

TREND_MONTHS = 24
PREPARED_VERSION = "2"  # bump when the tables' layout changes

BUILD_README = """\
# build/ — RESTRICTED

This folder holds prepared data tables and executed notebooks made from
record-level crime data. It is restricted material: do not share it, publish
it, or commit it to git (it is listed in .gitignore). Only the rendered
reports in the output folder are for publication, and only after
`vawgstats audit` has passed on them.
"""

UNIT_TYPES = ("london", "bcu", "borough")
#: The columns the measures read (:mod:`vawgstats.metrics`, :func:`top_places`).
SCOPED_COLUMNS = ("recorded_date", "outcome_date", "offence_group", "victim_sex", "domestic_abuse",
                  "outcome_code", "victim_id", "suspect_id", "bcu", "borough", "lsoa_code")
_BY = {"london": (), "bcu": ("bcu",), "borough": ("borough",)}


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes, as hex (remembered while the file's size and mtime stay the same)."""
    status = Path(path).stat()
    return _sha256_of(str(Path(path).resolve()), status.st_size, status.st_mtime_ns, chunk)


@lru_cache(maxsize=32)
def _sha256_of(path: str, size: int, mtime_ns: int, chunk: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def cache_dir() -> Path:
    """Where the package caches generated data: ``$VAWGSTATS_CACHE`` or ``~/.cache/vawgstats``."""
    return Path(os.environ.get("VAWGSTATS_CACHE") or Path.home() / ".cache" / "vawgstats")


def default_data_path() -> Path:
    """The embedded synthetic London, generated on first use and cached (no download)."""
    from . import synthetic
    from .schema import write_records

    name = (f"synthetic-london-seed{synthetic.DEFAULT_SEED}-{synthetic.DEFAULT_START}-"
            f"{synthetic.DEFAULT_END}-v{__version__}.parquet")
    path = cache_dir() / name
    if not path.exists():
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


# --------------------------------------------------------------------------- tables


def _stack(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Stack per-unit-type results into one table with ``unit_type`` and ``unit``."""
    parts = []
    for unit_type, frame in frames.items():
        frame = frame.copy()
        if unit_type == "london":
            frame.insert(0, "unit", "London")
        else:
            frame = frame.rename(columns={unit_type: "unit"})
            frame["unit"] = frame["unit"].astype(str)
        frame.insert(0, "unit_type", unit_type)
        parts.append(frame)
    return pd.concat(parts, ignore_index=True)


def _each_unit(function, df: pd.DataFrame, extra: tuple[str, ...] = (), **kwargs) -> pd.DataFrame:
    return _stack({unit_type: function(df, by=_BY[unit_type] + extra, **kwargs) for unit_type in UNIT_TYPES})


PROPORTIONS = ("charge_rate", "positive_outcome_rate", "sanction_detection_rate", "repeat_victimisation_rate")


def headline_table(df: pd.DataFrame, period: Period, window_days: int = d.REPEAT_WINDOW_DAYS,
                   first_recorded: pd.Timestamp | None = None, as_of=None,
                   precision: str | None = None) -> pd.DataFrame:
    """Headline metrics per unit with intervals and changes (long format).

    Metrics: ``volume`` (in-scope crimes; value = crimes per 1,000 female
    residents, annualised), the four proportions in :data:`PROPORTIONS`, and
    ``median_days_to_charge``.  Changes use :func:`vawgstats.metrics.compare_periods`,
    maturity-matched as at ``as_of`` (default: the latest date in ``df``):
    ``follow_up_days`` is the follow-up of both periods (days from the period's
    last day to ``as_of``).  ``precision``: of the dates (default: that of
    ``df``, :func:`vawgstats.metrics.date_precision`).  ``first_recorded``: the
    data's first recorded date, when ``df`` holds only some of the records
    (default: ``df``'s first).
    """
    from . import metrics

    start, end = str(period.start), str(period.end)
    rows = []
    population = _each_unit(metrics.per_population, df, start=start, end=end)
    rows.append(population.assign(
        metric="volume", numerator=population["crimes"], denominator=population["female_population"],
        value=population["rate_per_1000"], ci_low=population["ci_low"], ci_high=population["ci_high"],
        per_year_per_1000=population["per_year_per_1000"]))
    for name in PROPORTIONS:
        function = getattr(metrics, name)
        kwargs = {"window_days": window_days} if name == "repeat_victimisation_rate" else {}
        table = _each_unit(function, df, start=start, end=end, **kwargs)
        rows.append(table.assign(metric=name, value=table["rate"]))
    timing = _each_unit(metrics.time_to_charge, df, start=start, end=end)
    rows.append(timing.assign(metric="median_days_to_charge", numerator=timing["charged"],
                              denominator=pd.NA, value=timing["median_days"],
                              ci_low=timing["q1_days"], ci_high=timing["q3_days"]))
    columns = ["unit_type", "unit", "metric", "numerator", "denominator", "value", "ci_low", "ci_high",
               "per_year_per_1000"]
    headline = pd.concat([r.reindex(columns=columns) for r in rows], ignore_index=True)

    for against, prefix in (("previous", "previous"), ("year_earlier", "year")):
        parts = []
        for name in ("volume",) + PROPORTIONS:
            kwargs = {"window_days": window_days} if name == "repeat_victimisation_rate" else {}
            compared = _each_unit(metrics.compare_periods, df, start=start, end=end, metric=name,
                                  against=against, maturity="matched", as_of=as_of, precision=precision,
                                  **({"metric_kwargs": kwargs} if kwargs else {}))
            parts.append(compared.assign(metric=name))
        parts.append(_timing_before(df, period, against, as_of, precision, parts[-1]))
        compared = pd.concat(parts, ignore_index=True)[
            ["unit_type", "unit", "metric", "comparison_numerator", "comparison_denominator",
             "comparison_rate", "p_value", "flag", "comparison_start", "comparison_end", "follow_up_days"]]
        compared = compared.rename(columns={
            "comparison_numerator": f"{prefix}_numerator", "comparison_denominator": f"{prefix}_denominator",
            "comparison_rate": f"{prefix}_value", "p_value": f"{prefix}_p", "flag": f"{prefix}_flag",
            "comparison_start": f"{prefix}_start", "comparison_end": f"{prefix}_end"})
        if prefix == "year":
            compared = compared.drop(columns="follow_up_days")   # the same follow-up: one column
        headline = headline.merge(compared, on=["unit_type", "unit", "metric"], how="left", validate="many_to_one")
        _not_comparable_before_data(
            headline, prefix, df["recorded_date"].min() if first_recorded is None else first_recorded)
    return headline


def _timing_before(df: pd.DataFrame, period: Period, against: str, as_of, precision: str | None,
                   like: pd.DataFrame) -> pd.DataFrame:
    """Median days to charge in the comparison period, maturity-matched: only charges reached by the
    comparison period's last day plus the current period's follow-up count (no test: ``flag``
    "not tested")."""
    from . import metrics
    from .comparisons import follow_up_cutoff

    comparison = period.previous() if against == "previous" else period.year_earlier()
    as_of = metrics.latest_date(df) if as_of is None else pd.Timestamp(as_of)
    cutoff = follow_up_cutoff(period, comparison, as_of, precision or metrics.date_precision(df))
    timing = _each_unit(metrics.time_to_charge, df, start=str(comparison.start), end=str(comparison.end),
                        outcomes_by=cutoff)
    return timing.assign(metric="median_days_to_charge", comparison_numerator=timing["charged"],
                         comparison_denominator=float("nan"), comparison_rate=timing["median_days"],
                         p_value=float("nan"), flag="not tested", comparison_start=str(comparison.start),
                         comparison_end=str(comparison.end), follow_up_days=like["follow_up_days"].iloc[0])


def _not_comparable_before_data(headline: pd.DataFrame, prefix: str, first_recorded: pd.Timestamp) -> None:
    """Mark a comparison "not comparable" when its period starts before the data do.

    Crimes are not missing from such a period, they were never extracted; a
    test against zero would report a spurious "significant increase".
    """
    from .stats import FLAG_NOT_COMPARABLE

    starts = pd.PeriodIndex(headline[f"{prefix}_start"].astype(str), freq="M")
    before = starts.to_numpy() < first_recorded.to_period("M")
    if before.any():
        for column in ("numerator", "denominator", "value", "p"):
            headline.loc[before, f"{prefix}_{column}"] = float("nan")
        headline.loc[before, f"{prefix}_flag"] = FLAG_NOT_COMPARABLE


def monthly_table(df: pd.DataFrame, period: Period, first_recorded: pd.Timestamp | None = None,
                  follow_up_days: int = d.CHARGE_FOLLOW_UP_DAYS, as_of=None) -> pd.DataFrame:
    """In-scope crimes, charges, charge rate and pending outcomes per unit (London, BCUs, boroughs) and month.

    Covers the :data:`TREND_MONTHS` months to the period end (or from the first
    month of data, if later; ``first_recorded`` is the data's first recorded
    date when ``df`` holds only some of the records).  Uses the cohort charge
    rate, so the latest months are low while outcomes are pending.  The trend
    charts use instead ``charged_within`` and ``rate_within``: crimes charged
    within ``follow_up_days`` days of recording (:func:`vawgstats.metrics.charge_rate`
    with ``within_days``), shown for ``complete`` months only (the month's last
    day plus ``follow_up_days`` on or before ``as_of``).
    """
    from . import metrics

    first_recorded = df["recorded_date"].min() if first_recorded is None else first_recorded
    first_month = max(period.end - (TREND_MONTHS - 1), first_recorded.to_period("M"))
    start, end = str(first_month), str(period.end)
    frames = {unit_type: metrics.charge_rate(df, start=start, end=end, by=_BY[unit_type] + ("month",))
              for unit_type in UNIT_TYPES}
    table = _stack(frames).rename(columns={"denominator": "crimes", "numerator": "charged"})
    within = _stack({unit_type: metrics.charge_rate(df, start=start, end=end, by=_BY[unit_type] + ("month",),
                                                    within_days=follow_up_days, as_of=as_of)
                     for unit_type in UNIT_TYPES})
    table["charged_within"] = within["numerator"].to_numpy()
    table["rate_within"] = within["rate"].to_numpy()
    table["complete"] = within["complete"].to_numpy(dtype=bool)
    pending = _stack({unit_type: metrics.attrition(df, start=start, end=end, by=_BY[unit_type] + ("month",))
                      for unit_type in UNIT_TYPES})
    pending = pending[pending["measure"] == "pending"][["unit_type", "unit", "month", "numerator"]]
    table = table.merge(pending.rename(columns={"numerator": "pending"}), on=["unit_type", "unit", "month"],
                        how="left", validate="one_to_one")
    return table[["unit_type", "unit", "month", "crimes", "charged", "rate", "ci_low", "ci_high", "pending",
                  "charged_within", "rate_within", "complete"]]


def funnel_table(df: pd.DataFrame, period: Period, window_days: int = d.REPEAT_WINDOW_DAYS) -> pd.DataFrame:
    """Funnel-plot limits for BCUs and boroughs against London, per metric."""
    from . import metrics

    start, end = str(period.start), str(period.end)
    parts = []
    for level in ("bcu", "borough"):
        for name in PROPORTIONS:
            table = metrics.funnel_limits(df, start=start, end=end, by=(level,), metric=name)
            parts.append(_stack({level: table}).assign(metric=name))
    return pd.concat(parts, ignore_index=True)


def _offence_subset(df: pd.DataFrame, label: str) -> pd.DataFrame:
    column, values = d.REPORT_OFFENCE_GROUPS[label]
    return df[df[column].isin(list(values))]


def offence_outcomes_table(df: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Charge, positive outcome and attrition rates by report offence type, per London, BCU and borough."""
    from . import metrics

    start, end = str(period.start), str(period.end)
    parts = []
    for label in d.REPORT_OFFENCE_GROUPS:
        subset = _offence_subset(df, label)
        for name in ("charge_rate", "positive_outcome_rate"):
            table = _stack({u: getattr(metrics, name)(subset, start=start, end=end, by=_BY[u])
                            for u in UNIT_TYPES})
            parts.append(table.assign(offence_type=label, measure=name))
        table = _stack({u: metrics.attrition(subset, start=start, end=end, by=_BY[u]) for u in UNIT_TYPES})
        parts.append(table.assign(offence_type=label))
    columns = ["unit_type", "unit", "offence_type", "measure", "numerator", "denominator", "rate",
               "ci_low", "ci_high"]
    return pd.concat([p.reindex(columns=columns) for p in parts], ignore_index=True)


def repeat_table(df: pd.DataFrame, period: Period, window_days: int = d.REPEAT_WINDOW_DAYS) -> pd.DataFrame:
    """Repeat victimisation (all, domestic, non-domestic) and repeat suspects per unit."""
    from . import metrics

    start, end = str(period.start), str(period.end)
    overall = _each_unit(metrics.repeat_victimisation_rate, df, start=start, end=end, window_days=window_days)
    overall["victims"] = "all"
    split = _each_unit(metrics.repeat_victimisation_rate, df, ("domestic_abuse",), start=start, end=end,
                       window_days=window_days)
    split["victims"] = split.pop("domestic_abuse").map({True: "domestic abuse", False: "not domestic abuse"})
    suspects = _each_unit(metrics.repeat_suspects, df, start=start, end=end)
    suspects = suspects.rename(columns={"numerator": "suspect_numerator", "denominator": "suspect_denominator",
                                        "rate": "suspect_rate", "ci_low": "suspect_ci_low",
                                        "ci_high": "suspect_ci_high"})
    table = pd.concat([overall, split], ignore_index=True)
    return table.merge(suspects.assign(victims="all"), on=["unit_type", "unit", "victims"], how="left")


def top_places(df: pd.DataFrame, *, start: str, end: str, top: int = 10) -> pd.DataFrame:
    """The ``top`` LSOAs with most in-scope crimes recorded in the period, per BCU and per borough.

    Columns: ``unit_type`` (``bcu`` or ``borough``), ``unit`` (BCU code or
    borough name), ``bcu``, ``rank`` (1 = most), ``lsoa_code``, ``borough``,
    ``crimes``, ``share`` (of the unit's in-scope crimes with a known LSOA).
    Ties are broken by LSOA code so that the table is reproducible.
    """
    period = as_period(start, end)
    scoped = df[d.in_vawg_scope(df) & period.contains(df["recorded_date"]) & df["lsoa_code"].notna()]
    counts = (scoped.groupby(["bcu", "lsoa_code", "borough"], observed=True).size()
              .rename("crimes").reset_index())
    counts = counts[counts["crimes"] > 0]
    for column in ("bcu", "borough", "lsoa_code"):
        counts[column] = counts[column].astype(str)
    parts = []
    for unit_type in ("bcu", "borough"):
        ranked = counts.assign(unit_type=unit_type, unit=counts[unit_type])
        totals = ranked.groupby("unit")["crimes"].transform("sum")
        ranked["share"] = ranked["crimes"] / totals
        ranked = ranked.sort_values(["unit", "crimes", "lsoa_code"], ascending=[True, False, True])
        ranked["rank"] = ranked.groupby("unit").cumcount() + 1
        parts.append(ranked[ranked["rank"] <= top])
    columns = ["unit_type", "unit", "bcu", "rank", "lsoa_code", "borough", "crimes", "share"]
    return pd.concat(parts, ignore_index=True)[columns]


def data_quality(df: pd.DataFrame, *, start: str, end: str) -> pd.DataFrame:
    """Data-quality counts per unit (London, BCUs, boroughs) for records recorded in the period.

    Columns: ``records``, ``in_scope``, ``pending`` (in scope, no outcome yet),
    ``missing_victim_id`` (in scope), ``missing_lsoa`` (in scope),
    ``missing_offence_date`` (in scope), ``outside_london`` (always 0 here: the
    loader rejects records outside the 32 boroughs, and importers count them),
    ``lsoa_other_borough`` (records whose LSOA lies in another borough than their
    ``borough``, or outside the 32 boroughs: counted, not rejected).
    """
    period = as_period(start, end)
    in_period = df[period.contains(df["recorded_date"])]
    scope = d.in_vawg_scope(in_period)
    flags = pd.DataFrame({
        "records": True,
        "in_scope": scope,
        "pending": scope & in_period["outcome_code"].isna(),
        "missing_victim_id": scope & in_period["victim_id"].isna(),
        "missing_lsoa": scope & in_period["lsoa_code"].isna(),
        "missing_offence_date": scope & in_period["offence_date"].isna(),
        "lsoa_other_borough": lsoa_in_other_borough(in_period["lsoa_code"], in_period["borough"]),
    }, index=in_period.index)
    frames = {}
    for unit_type in UNIT_TYPES:
        by = list(_BY[unit_type])
        if by:
            table = flags.groupby(in_period[by[0]], observed=False).sum().reset_index()
        else:
            table = flags.sum().to_frame().T
        frames[unit_type] = table
    table = _stack(frames)
    table["outside_london"] = 0
    for column in ("records", "in_scope", "pending", "missing_victim_id", "missing_lsoa",
                   "missing_offence_date", "outside_london", "lsoa_other_borough"):
        table[column] = table[column].astype("int64")
    return table


def borough_rates(headline: pd.DataFrame) -> pd.DataFrame:
    """Per-borough crimes and rate per 1,000 women and girls, from the headline table (for maps)."""
    volume = headline[(headline["unit_type"] == "borough") & (headline["metric"] == "volume")]
    table = volume[["unit", "numerator", "denominator", "value", "per_year_per_1000"]].rename(columns={
        "unit": "borough", "numerator": "crimes", "denominator": "female_population", "value": "rate_per_1000"})
    table.insert(1, "bcu", table["borough"].map(BOROUGH_TO_BCU))
    return table.reset_index(drop=True)


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


def resolve_period(df: pd.DataFrame, start: str | None, end: str | None, months: int = 12) -> Period:
    """The requested period, or the latest ``months`` complete months in the data.

    With day precision the last month counts only if it has a record on its last day;
    with month precision (every ``recorded_date`` the 1st of a month) it counts.
    """
    requested = requested_period(start, end)
    if requested is not None:
        return requested
    last = df["recorded_date"].max()
    if df["recorded_date"].dt.day.eq(1).all():
        # month precision (police.uk: every date is the 1st of its month): a month present is whole
        last = last.to_period("M").end_time.normalize()
    return latest_complete_months(last, months)


def _prepared_directory(data_path, *, start, end, as_of, build_root, window_days, period_months,
                        follow_up_days=d.CHARGE_FOLLOW_UP_DAYS):
    """(data path, its SHA-256, the key, the folder) of a :func:`prepare` call."""
    data_path = Path(data_path) if data_path is not None else default_data_path()
    data_sha = sha256_file(data_path) if data_path.exists() else None
    requested = {"data_sha256": data_sha, "start": start, "end": end, "as_of": as_of,
                 "window_days": window_days, "period_months": period_months, "follow_up_days": follow_up_days,
                 "version": __version__, "prepared_version": PREPARED_VERSION}
    key = _key(requested)
    return data_path, data_sha, key, Path(build_root) / "prepared" / key


def is_prepared(data_path: str | Path | None = None, *, start: str | None = None, end: str | None = None,
                as_of: str | None = None, build_root: str | Path = "build",
                window_days: int = d.REPEAT_WINDOW_DAYS, period_months: int = 12,
                follow_up_days: int = d.CHARGE_FOLLOW_UP_DAYS) -> bool:
    """Whether :func:`prepare` with these arguments would find its folder made already."""
    directory = _prepared_directory(data_path, start=start, end=end, as_of=as_of, build_root=build_root,
                                    window_days=window_days, period_months=period_months,
                                    follow_up_days=follow_up_days)[3]
    return (directory / "manifest.json").exists()


def prepare(data_path: str | Path | None = None, *, start: str | None = None, end: str | None = None,
            as_of: str | None = None, build_root: str | Path = "build",
            window_days: int = d.REPEAT_WINDOW_DAYS, period_months: int = 12,
            follow_up_days: int = d.CHARGE_FOLLOW_UP_DAYS) -> Prepared:
    """Load and validate the data once and write every metric table; return the prepared folder.

    ``data_path`` None means the embedded synthetic London.  ``as_of`` is the
    date the data were extracted; by default the latest date found in the data.
    ``follow_up_days``: the fixed follow-up of the monthly charge-rate trend
    (``charge_follow_up_days`` in ``params/defaults.yaml``).
    Skips the work when a folder for the same data, parameters and package
    version exists already.
    """
    from .counts import is_counts_file
    from .synthetic import is_synthetic

    data_path, data_sha, key, directory = _prepared_directory(
        data_path, start=start, end=end, as_of=as_of, build_root=build_root, window_days=window_days,
        period_months=period_months, follow_up_days=follow_up_days)
    if (directory / "manifest.json").exists():
        return open_prepared(directory)
    if data_path.exists() and is_counts_file(data_path):
        tables, manifest = _counts_tables(data_path, start=start, end=end, as_of=as_of,
                                          period_months=period_months)
        manifest.update(key=key, data_sha256=data_sha, version=__version__)
        _write_atomically(directory, tables, manifest)
        return open_prepared(directory)

    warm_up = _import_in_background()  # scipy/statsmodels load while the CSV is read
    df, keeping = _validated_records(data_path, data_sha, as_of, Path(build_root))
    period = resolve_period(df, start, end, period_months)
    latest = max(df["recorded_date"].max(), df["outcome_date"].max())
    as_of_date = str(pd.Timestamp(as_of).date()) if as_of else str(latest.date())
    if period.first_day > df["recorded_date"].max() or period.last_day < df["recorded_date"].min():
        from .errors import ParamsError

        raise ParamsError(
            f"The period {period} has no records in {data_path}, which covers "
            f"{df['recorded_date'].min():%Y-%m} to {df['recorded_date'].max():%Y-%m}.")

    # Every measure counts in-scope crimes only, so the tables are computed on those rows
    # (and the columns the measures read); the data-quality table and the trend window's
    # first month look at every record.
    scope = d.in_vawg_scope(df).to_numpy(dtype=bool)
    scoped = df.loc[scope, [c for c in SCOPED_COLUMNS if c in df.columns]].reset_index(drop=True)
    from .metrics import date_precision

    headline = headline_table(scoped, period, window_days, first_recorded=df["recorded_date"].min(),
                              as_of=as_of_date, precision=date_precision(df))
    tables = {
        "headline": headline,
        "monthly": monthly_table(scoped, period, first_recorded=df["recorded_date"].min(),
                                 follow_up_days=follow_up_days, as_of=as_of_date),
        "funnel": funnel_table(scoped, period, window_days),
        "offence_outcomes": offence_outcomes_table(scoped, period),
        "repeat": repeat_table(scoped, period, window_days),
        "places": top_places(scoped, start=str(period.start), end=str(period.end)),
        "quality": data_quality(df, start=str(period.start), end=str(period.end)),
        "borough_rates": borough_rates(headline),
    }
    manifest = {
        "key": key,
        "kind": "records",
        "data_path": str(data_path),
        "data_file": data_path.name,
        "data_sha256": data_sha,
        "rows": int(len(df)),
        "in_scope_rows": int(scope.sum()),
        "first_recorded": str(df["recorded_date"].min().date()),
        "last_recorded": str(df["recorded_date"].max().date()),
        **_period_fields(period),
        "as_of": as_of_date,
        "follow_up_days": int((pd.Timestamp(as_of_date) - period.last_day).days),
        "charge_follow_up_days": follow_up_days,
        "window_days": window_days,
        "version": __version__,
        "synthetic": is_synthetic(df),
        "policeuk_proxy": bool(df["offence_group"].astype(object).eq(d.POLICEUK_PROXY_GROUP).any()),
        "has_lsoa": bool(df["lsoa_code"].notna().any()),
        "has_coordinates": bool("latitude" in df.columns and df["latitude"].notna().any()),
        "population_source": POPULATION_SOURCE,
        "bcus": list(BCU_CODES),
        "boroughs": list(BOROUGHS),
    }
    _write_atomically(directory, tables, manifest)
    for thread in (keeping, warm_up):
        if thread is not None:
            thread.join()
    return open_prepared(directory)


def _import_in_background():
    """Import the statistics libraries the tables need in a thread, while the records are read.

    The CSV reader and the Parquet reader release the GIL, so on two cores the
    imports (a second or more) cost little of the prepare step's wall time.
    """
    import threading

    def imports() -> None:
        try:
            import scipy.stats  # noqa: F401
            import statsmodels.stats.proportion  # noqa: F401
        except Exception:  # the functions that need them will import (and report) them
            pass

    thread = threading.Thread(target=imports, name="vawgstats-imports", daemon=True)
    thread.start()
    return thread


#: Bump when the validated records' layout changes (the canonical columns and dtypes).
RECORDS_VERSION = "1"


def _validated_records(data_path: Path, data_sha: str | None, as_of: str | None, build_root: Path):
    """The validated records of ``data_path`` and the thread writing their Parquet copy (or None).

    The build folder keeps a content-addressed Parquet copy of each file's validated
    records (``build/records/<key>.parquet``, key = the file's SHA-256, the as-of
    date and the package version): a later prepare of the same data for another
    period or window reads that copy instead of parsing and validating the file
    again.  The copy is record-level and restricted, like the rest of ``build/``.
    """
    import threading

    from .schema import load

    if data_sha is None:
        return load(data_path, as_of=as_of), None
    checked_as_of = str((pd.Timestamp(as_of) if as_of else pd.Timestamp.today()).date())
    key = _key({"data_sha256": data_sha, "as_of": checked_as_of, "version": __version__,
                "records_version": RECORDS_VERSION})
    copy = build_root / "records" / f"{key}.parquet"
    if copy.exists():
        try:
            return pd.read_parquet(copy), None
        except Exception:  # an unreadable copy (e.g. a full disk when written): load the file again
            copy.unlink(missing_ok=True)
    df = load(data_path, as_of=as_of)

    def keep() -> None:
        copy.parent.mkdir(parents=True, exist_ok=True)
        _write_build_readme(build_root)
        temporary = copy.with_name(f".{copy.name}.{os.getpid()}.{threading.get_ident()}.part")
        try:
            df.to_parquet(temporary, index=False)
            os.replace(temporary, copy)
        except OSError:
            pass  # only a copy: the next prepare loads the file again
        finally:
            temporary.unlink(missing_ok=True)

    thread = threading.Thread(target=keep, name="vawgstats-records-copy", daemon=True)
    thread.start()
    return df, thread


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


def _counts_tables(data_path: Path, *, start, end, as_of, period_months: int) -> tuple[dict, dict]:
    """The open-data tables and manifest of a counts table (see :mod:`vawgstats.open_data`)."""
    from . import open_data
    from .counts import load_counts

    counts = load_counts(data_path)
    open_data.check_counts(counts, str(data_path))
    period = requested_period(start, end) or open_data.latest_period(counts, period_months)
    months = open_data.location_counts(counts, "offences")["month"].astype(str)
    if str(period.start) > months.max() or str(period.end) < months.min():
        from .errors import ParamsError

        raise ParamsError(f"The period {period} has no VAWG offences in {data_path}, which covers "
                          f"{months.min()} to {months.max()}.")
    tables = open_data.prepared_tables(counts, period)
    last_day = pd.Period(months.max(), freq="M").end_time.date()
    manifest = {
        "kind": "counts",
        "data_path": str(data_path),
        "data_file": data_path.name,
        "rows": int(len(counts)),
        "first_recorded": months.min(),
        "last_recorded": months.max(),
        **_period_fields(period),
        "as_of": str(pd.Timestamp(as_of).date()) if as_of else str(last_day),
        "sources": sorted(counts["source"].astype(str).unique()),
        "synthetic": open_data.is_synthetic_counts(data_path),
        "policeuk_proxy": False,
        "has_wards": bool(len(tables["wards"])),
        "population_source": POPULATION_SOURCE,
        "bcus": list(BCU_CODES),
        "boroughs": list(BOROUGHS),
    }
    return tables, manifest


def _write_atomically(directory: Path, tables: dict[str, pd.DataFrame], manifest: dict) -> None:
    directory.parent.mkdir(parents=True, exist_ok=True)
    _write_build_readme(directory.parent.parent)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
    try:
        for name, table in tables.items():
            table.to_parquet(staging / f"{name}.parquet", index=False)
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
                    as_of=None) -> Prepared:
    """For notebooks: open the prepared folder the renderer made, or prepare now (into the cache).

    A notebook run on its own (e.g. by nbval) has no ``prepared_dir``; it then
    prepares the tables itself from ``data_path`` (default: the synthetic London).
    """
    if prepared_dir:
        return open_prepared(prepared_dir)
    return prepare(data_path, start=start, end=end, as_of=as_of, build_root=cache_dir() / "build")
