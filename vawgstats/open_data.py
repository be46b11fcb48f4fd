"""Metric tables from open data: the counts table of the MPS VAWG dashboard.

The open-data edition of the reports rests on published counts (see
:mod:`vawgstats.counts`), not on crime records, so it can show volumes, rates
per 1,000 women and girls and their changes, but not outcomes (charge and
positive outcome rates) or repeat victimisation, which need one row per crime.
:func:`prepared_tables` computes every table the open-data notebooks show;
:func:`vawgstats.prepare.prepare` calls it when the data file is a counts
table and writes the tables to the build folder as it does for records.

Definitions (all on ``month`` = month recorded, whole months, inclusive):

- **offences** / **victims**: the sum of ``count`` over the period on the
  dashboard's *location* sheets (``mps_vawg_offences_location``,
  ``mps_vawg_victims_location``).  A BCU's or borough's total leaves out rows
  outside the 12 BCUs (``Other``/``Unknown``, see
  :func:`vawgstats.counts.in_bcu_totals`); London's total includes them, as the
  dashboard's own London figure does.  Victims are counted per month as the
  dashboard counts them, so a woman victimised in two months counts twice.
- **rate per 1,000 women and girls**: count x 1,000 / female residents (ONS
  mid-2019, :func:`vawgstats.geography.female_population`), with an exact
  Poisson (Garwood) 95% interval (:func:`vawgstats.stats.poisson_rate_interval`);
  ``per_year_per_1000`` annualises it (x 12 / months).
- **change**: against the previous period of the same length and the same
  months a year earlier, with the exact conditional test of two Poisson counts
  (:func:`vawgstats.stats.compare_counts`), as for records.
- **funnel**: each BCU's rate per woman against London's (pooled over the 12
  BCUs), with exact binomial 95% and 99.8% limits on the female population
  (:func:`vawgstats.stats.funnel_limits`; with populations of this size the
  binomial limits equal Poisson limits to many decimal places), widened for
  the usual spread between areas when the BCUs spread more than chance allows
  (Spiegelhalter's over-dispersion adjustment on the square-root scale).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import stats
from .counts import ALL_CATEGORY, in_bcu_totals
from .errors import DataError
from .geography import BCU_CODES, BOROUGH_TO_BCU, BOROUGHS, female_population
from .periods import Period

#: The counts ``source`` of each measure's location sheet.
LOCATION_SOURCES: dict[str, str] = {
    "offences": "mps_vawg_offences_location",
    "victims": "mps_vawg_victims_location",
}

#: London-wide breakdowns shown in the overview: table name -> (source, measure label, heading).
BREAKDOWNS: dict[str, tuple[str, str, str]] = {
    "classification": ("mps_vawg_offences_classification", "offences", "VAWG offence classification"),
    "age_group": ("mps_vawg_victims_age_group", "victims", "Victim's age group"),
    "ethnic_group": ("mps_vawg_victims_ethnic_group", "victims", "Victim's ethnic-appearance group"),
}

#: What record-level data can show and open counts cannot (said in the reports).
ABSENT_SECTIONS = (
    "Charge, positive outcome and attrition rates, timeliness and repeat victimisation need one row per "
    "crime with its outcome and a pseudonymised victim; the published counts have neither, so these "
    "sections are left out of the open-data edition. The Met's restricted reports carry them."
)

MEASURES = tuple(LOCATION_SOURCES)
UNIT_TYPES = ("london", "bcu", "borough")


# --------------------------------------------------------------------------- checks and selection


def location_counts(counts: pd.DataFrame, measure: str) -> pd.DataFrame:
    """The location-sheet rows of one measure (``offences`` or ``victims``)."""
    return counts[counts["source"].astype(object).eq(LOCATION_SOURCES[measure])]


def check_counts(counts: pd.DataFrame, path: str) -> None:
    """Raise :class:`DataError` unless the counts hold VAWG offences by location.

    The open-data reports are built on the dashboard's location sheet; a counts
    table of recorded crime only (``vawgstats import mps-crime``) cannot make them.
    """
    if location_counts(counts, "offences").empty:
        sources = ", ".join(sorted(counts["source"].astype(str).unique())) or "none"
        raise DataError(
            f"{path}: this counts table has no VAWG offences by BCU and borough (source "
            f"'{LOCATION_SOURCES['offences']}'); it holds: {sources}. Import the MPS VAWG dashboard's "
            "location sheets with `vawgstats import mps-vawg` to render open-data reports.")


def latest_period(counts: pd.DataFrame, months: int = 12) -> Period:
    """The last ``months`` months of VAWG offences in the counts (published months are complete)."""
    last = pd.Period(str(location_counts(counts, "offences")["month"].max()), freq="M")
    return Period(last - (months - 1), last)


def _in(frame: pd.DataFrame, period: Period) -> pd.DataFrame:
    months = frame["month"].astype(str)
    return frame[(months >= str(period.start)) & (months <= str(period.end))]


def _totals(frame: pd.DataFrame, period: Period) -> dict[str, pd.Series]:
    """Counts in the period per unit type: London (all rows), BCU and borough (12 BCUs only)."""
    rows = _in(frame, period)
    inside = rows[in_bcu_totals(rows).to_numpy()]
    return {
        "london": pd.Series({"London": int(rows["count"].sum())}, dtype="int64"),
        "bcu": inside.groupby(inside["bcu"].astype(str))["count"].sum()
        .reindex(list(BCU_CODES), fill_value=0).astype("int64"),
        "borough": inside.groupby(inside["borough"].astype(str))["count"].sum()
        .reindex(list(BOROUGHS), fill_value=0).astype("int64"),
    }


def _covered(period: Period, published: set[str]) -> bool:
    """True when every month of ``period`` is in the data (a month absent from a sheet was not published)."""
    return all(str(month) in published for month in pd.period_range(period.start, period.end, freq="M"))


def _populations(population: pd.Series | None = None) -> dict[str, pd.Series]:
    """Female residents per unit type; ``population``: per borough, from a user's file (default ONS mid-2019)."""
    if population is None:
        return {unit_type: female_population(unit_type) for unit_type in UNIT_TYPES}
    boroughs = population.reindex(list(BOROUGHS)).astype(float)
    return {"london": pd.Series({"London": float(boroughs.sum())}),
            "bcu": boroughs.groupby(boroughs.index.map(BOROUGH_TO_BCU)).sum().reindex(list(BCU_CODES)),
            "borough": boroughs}


# --------------------------------------------------------------------------- tables


def headline_table(counts: pd.DataFrame, period: Period, population: pd.Series | None = None) -> pd.DataFrame:
    """Offences and victims per unit: count, rate per 1,000 women and girls, interval, changes.

    Long format like the records' headline table: ``unit_type``, ``unit``,
    ``metric`` (``offences`` or ``victims``), ``numerator`` (the count),
    ``denominator`` (female residents), ``value`` (per 1,000 in the period),
    ``ci_low``, ``ci_high``, ``per_year_per_1000``, ``months`` (in the period), then for ``previous`` and
    ``year`` (a year earlier): ``*_numerator``, ``*_value``, ``*_p``,
    ``*_flag``, ``*_start``, ``*_end``.  ``population``: female residents per
    borough (:func:`vawgstats.population.choose`; default ONS mid-2019).
    """
    populations = _populations(population)
    comparisons = {"previous": period.previous(), "year": period.year_earlier()}
    parts = []
    for measure in MEASURES:
        frame = location_counts(counts, measure)
        published = set(frame["month"].astype(str))
        current = _totals(frame, period)
        before = {prefix: _totals(frame, other) for prefix, other in comparisons.items()}
        for unit_type in UNIT_TYPES:
            count = current[unit_type]
            population = populations[unit_type].reindex(count.index).to_numpy(dtype=float)
            value = count.to_numpy(dtype=float) * 1000 / population
            low, high = stats.poisson_rate_interval(count.to_numpy(), population)
            table = pd.DataFrame({
                "unit_type": unit_type, "unit": count.index.astype(str), "metric": measure,
                "numerator": count.to_numpy(), "denominator": population, "value": value,
                "ci_low": np.atleast_1d(low) * 1000, "ci_high": np.atleast_1d(high) * 1000,
                "per_year_per_1000": value * 12 / period.months, "months": period.months})
            for prefix, other in comparisons.items():
                earlier = before[prefix][unit_type].reindex(count.index, fill_value=0)
                if _covered(other, published):
                    test = stats.compare_counts(count.to_numpy(), earlier.to_numpy())
                    table[f"{prefix}_numerator"] = earlier.to_numpy(dtype=float)
                    table[f"{prefix}_value"] = earlier.to_numpy(dtype=float) * 1000 / population
                    table[f"{prefix}_p"] = test["p_value"]
                    table[f"{prefix}_flag"] = test["flag"]
                else:  # the comparison months are not in the data: nothing to compare with
                    table[f"{prefix}_numerator"] = table[f"{prefix}_value"] = table[f"{prefix}_p"] = np.nan
                    table[f"{prefix}_flag"] = stats.FLAG_NOT_COMPARABLE
                table[f"{prefix}_start"], table[f"{prefix}_end"] = str(other.start), str(other.end)
            parts.append(table)
    return pd.concat(parts, ignore_index=True)


def monthly_table(counts: pd.DataFrame, period: Period, months: int = 24) -> pd.DataFrame:
    """Offences and victims per unit (London, BCUs, boroughs) and month, for ``months`` months to the period end.

    Months with no rows count 0 (the counts table leaves zeros out).
    """
    first = period.end - (months - 1)
    first_in_data = pd.Period(str(location_counts(counts, "offences")["month"].min()), freq="M")
    window = Period(max(first, first_in_data), period.end)
    month_index = [str(m) for m in pd.period_range(window.start, window.end, freq="M")]
    columns = {}
    for measure in MEASURES:
        rows = _in(location_counts(counts, measure), window)
        inside = rows[in_bcu_totals(rows).to_numpy()]
        london = rows.groupby(rows["month"].astype(str))["count"].sum().reindex(month_index, fill_value=0)
        parts = [london.set_axis(pd.MultiIndex.from_product([["London"], month_index]))]
        for level, units in (("bcu", BCU_CODES), ("borough", BOROUGHS)):
            parts.append(inside.groupby([inside[level].astype(str), inside["month"].astype(str)])["count"].sum()
                         .reindex(pd.MultiIndex.from_product([list(units), month_index]), fill_value=0))
        columns[measure] = pd.concat(parts)
    table = pd.DataFrame(columns).rename_axis(["unit", "month"]).reset_index()
    unit_types = {"London": "london", **{code: "bcu" for code in BCU_CODES},
                  **{name: "borough" for name in BOROUGHS}}
    table.insert(0, "unit_type", table["unit"].map(unit_types))
    for measure in MEASURES:
        table[measure] = table[measure].astype("int64")
    return table


def funnel_table(headline: pd.DataFrame, overdispersion: str = "auto") -> pd.DataFrame:
    """Funnel-plot limits of the 12 BCUs' and of the 32 boroughs' rates per woman around London's, per measure.

    London's rate is pooled over the 12 BCUs (their counts over their female
    residents; the same as over the 32 boroughs).  The limits allow for over-dispersion (``overdispersion="auto"``,
    square-root scale for rates per population: :func:`vawgstats.stats.funnel_limits`
    with ``kind="rate"``).  Columns as :func:`vawgstats.metrics.funnel_limits`: ``unit``,
    ``metric``, ``numerator``, ``denominator``, ``rate`` (per woman),
    ``london_rate``, limits, ``position``, ``phi``, ``tau2``, ``overdispersed``.
    """
    from .metrics import funnel_position

    parts = []
    for level, measure in ((level, measure) for level in ("bcu", "borough") for measure in MEASURES):
        rows = headline[(headline["unit_type"] == level) & (headline["metric"] == measure)]
        numerator = rows["numerator"].to_numpy(dtype=float)
        denominator = rows["denominator"].to_numpy(dtype=float)
        rate = numerator / denominator
        london = numerator.sum() / denominator.sum()
        limits = stats.funnel_limits(denominator, london, numerator, overdispersion=overdispersion, kind="rate")
        position = funnel_position(rate, limits)
        parts.append(pd.DataFrame({
            "unit_type": level, "unit": rows["unit"].to_numpy(), "metric": measure,
            "numerator": numerator.astype("int64"), "denominator": denominator, "rate": rate,
            "london_rate": london, **{c: limits[c].to_numpy() for c in stats.FUNNEL_PROBABILITIES},
            "position": position, **{c: limits[c].to_numpy() for c in ("phi", "tau2", "overdispersed")}}))
    return pd.concat(parts, ignore_index=True)


def borough_rates(headline: pd.DataFrame, measure: str = "offences") -> pd.DataFrame:
    """Per-borough counts and rates per 1,000 women and girls (for the choropleth map).

    Same columns as the records' ``borough_rates`` table (``crimes`` holds the count).
    """
    rows = headline[(headline["unit_type"] == "borough") & (headline["metric"] == measure)]
    table = rows[["unit", "numerator", "denominator", "value", "per_year_per_1000"]].rename(columns={
        "unit": "borough", "numerator": "crimes", "denominator": "female_population", "value": "rate_per_1000"})
    table.insert(1, "bcu", table["borough"].map(BOROUGH_TO_BCU))
    return table.reset_index(drop=True)


def ward_hotspots(counts: pd.DataFrame, period: Period, top: int = 10) -> pd.DataFrame:
    """Per BCU and per borough, the wards with most VAWG offences in the period and those with the largest rise.

    Columns: ``unit_type`` (``bcu`` or ``borough``), ``unit`` (BCU code or
    borough name), ``bcu``, ``borough``, ``ward``, ``offences`` (in the period),
    ``previous`` (the previous period of the same length), ``change``
    (offences - previous; both empty when the previous period is not wholly in
    the data), ``rank_by_count`` and ``rank_by_change`` (1 = most;
    ties broken by borough and ward name, so the order is reproducible; a rank
    is empty when the ward is not in that top ``top``).  Wards with no name
    (rows not broken down by ward) are left out.  Empty when the counts have
    no ward names.
    """
    frame = location_counts(counts, "offences")
    frame = frame[in_bcu_totals(frame).to_numpy() & frame["ward"].astype(str).str.strip().ne("").to_numpy()]
    columns = ["unit_type", "unit", "bcu", "borough", "ward", "offences", "previous", "change", "rank_by_count",
               "rank_by_change"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    keys = ["bcu", "borough", "ward"]

    def summed(rows: pd.DataFrame) -> pd.Series:
        return rows.assign(**{k: rows[k].astype(str) for k in keys}).groupby(keys)["count"].sum()

    table = pd.concat({"offences": summed(_in(frame, period)), "previous": summed(_in(frame, period.previous()))},
                      axis=1).fillna(0).astype("int64").reset_index()
    comparable = _covered(period.previous(), set(location_counts(counts, "offences")["month"].astype(str)))
    table["change"] = table["offences"] - table["previous"]
    if not comparable:  # the previous period is not (wholly) in the data: no change to rank
        table[["previous", "change"]] = table[["previous", "change"]].astype("Int64")
        table.loc[:, ["previous", "change"]] = pd.NA
    picked = []
    groups = [(level, unit, group) for level in ("bcu", "borough")
              for unit, group in table.groupby(level, sort=True)]
    for level, unit, group in groups:
        by_count = group.sort_values(["offences", "borough", "ward"], ascending=[False, True, True]).head(top)
        by_change = (group.sort_values(["change", "borough", "ward"], ascending=[False, True, True]).head(top)
                     if comparable else group.iloc[:0])
        group = group.assign(unit_type=level, unit=unit)
        group["rank_by_count"] = pd.Series(range(1, len(by_count) + 1), index=by_count.index)
        group["rank_by_change"] = pd.Series(range(1, len(by_change) + 1), index=by_change.index)
        picked.append(group[group["rank_by_count"].notna() | group["rank_by_change"].notna()])
    out = pd.concat(picked, ignore_index=True)
    for column in ("rank_by_count", "rank_by_change"):
        out[column] = out[column].astype("Int64")
    order = {"bcu": 0, "borough": 1}
    out = out.sort_values(["unit_type", "unit", "rank_by_count", "rank_by_change"],
                          key=lambda c: c.map(order) if c.name == "unit_type" else c)
    return out.reset_index(drop=True)[columns]


def breakdown_table(counts: pd.DataFrame, period: Period, source: str) -> pd.DataFrame:
    """A London-wide breakdown (offence classification, victims' age or ethnic group) in the period.

    Columns: ``category``, ``count``, ``share`` (of the breakdown's total),
    ``previous`` (previous period), ``flag`` (change, exact Poisson test),
    ordered by count, largest first (ties by name).  Empty when the counts
    have no such sheet.
    """
    frame = counts[counts["source"].astype(object).eq(source)]
    columns = ["category", "count", "share", "previous", "flag"]
    if frame.empty:
        return pd.DataFrame(columns=columns)

    def summed(rows: pd.DataFrame) -> pd.Series:
        return rows.groupby(rows["category"].astype(str))["count"].sum()

    table = pd.concat({"count": summed(_in(frame, period)), "previous": summed(_in(frame, period.previous()))},
                      axis=1).fillna(0).astype("int64").rename_axis("category").reset_index()
    total = table["count"].sum()
    table["share"] = table["count"] / total if total else np.nan
    if _covered(period.previous(), set(frame["month"].astype(str))):
        table["flag"] = stats.compare_counts(table["count"].to_numpy(), table["previous"].to_numpy())["flag"]
    else:
        table["previous"] = pd.NA
        table["flag"] = stats.FLAG_NOT_COMPARABLE
    table = table.sort_values(["count", "category"], ascending=[False, True]).reset_index(drop=True)
    return table[columns]


def quality_table(counts: pd.DataFrame, period: Period) -> pd.DataFrame:
    """What the counts hold for the period, per measure: totals, rows outside the 12 BCUs, months.

    Columns: ``measure``, ``london_total``, ``in_bcus`` (counted in BCU
    totals), ``outside_bcus`` (``Other``/``Unknown`` and other labels, kept in
    London's total), ``months_with_data`` and ``months_in_period``.
    """
    rows = []
    for measure in MEASURES:
        frame = _in(location_counts(counts, measure), period)
        inside = in_bcu_totals(frame).to_numpy()
        rows.append({"measure": measure, "london_total": int(frame["count"].sum()),
                     "in_bcus": int(frame.loc[inside, "count"].sum()),
                     "outside_bcus": int(frame.loc[~inside, "count"].sum()),
                     "months_with_data": int(frame["month"].nunique()), "months_in_period": period.months})
    return pd.DataFrame(rows)


def prepared_tables(counts: pd.DataFrame, period: Period,
                    population: pd.Series | None = None) -> dict[str, pd.DataFrame]:
    """Every table of the open-data reports, by name (written by :func:`vawgstats.prepare.prepare`)."""
    from .areas import ward_counts

    headline = headline_table(counts, period, population)
    tables = {
        "headline": headline,
        "monthly": monthly_table(counts, period),
        "funnel": funnel_table(headline),
        "borough_rates": borough_rates(headline),
        "wards": ward_hotspots(counts, period),
        "ward_counts": ward_counts(counts, period),
        "quality": quality_table(counts, period),
    }
    for name, (source, _, _) in BREAKDOWNS.items():
        tables[name] = breakdown_table(counts, period, source)
    return tables


# --------------------------------------------------------------------------- records -> counts


def counts_from_records(df: pd.DataFrame) -> pd.DataFrame:
    """Aggregate canonical crime records (in VAWG scope) into the counts table's location rows.

    ``offences``: in-scope crimes per month recorded, BCU and borough;
    ``victims``: distinct ``victim_id`` per month, BCU and borough (records
    without a victim ID are not counted as victims).  ``ward`` is empty
    (records carry no ward).  Used to render an open-data edition from the
    synthetic London, and to check the open-data tables against the records'.
    """
    from . import definitions as d

    scoped = df[d.in_vawg_scope(df)]
    keys = {"month": scoped["recorded_date"].dt.strftime("%Y-%m"), "bcu": scoped["bcu"].astype(str),
            "borough": scoped["borough"].astype(str)}
    grouped = pd.DataFrame(keys).assign(victim_id=scoped["victim_id"].to_numpy())
    offences = grouped.groupby(list(keys)).size().rename("count").reset_index()
    victims = grouped.dropna(subset=["victim_id"]).groupby(list(keys))["victim_id"].nunique().rename("count")
    victims = victims.reset_index()
    parts = []
    for measure, table in (("offences", offences), ("victims", victims)):
        table = table[table["count"] > 0]
        parts.append(table.assign(ward="", measure=measure, category=ALL_CATEGORY,
                                  source=LOCATION_SOURCES[measure]))
    out = pd.concat(parts, ignore_index=True)
    return out[["month", "bcu", "borough", "ward", "measure", "category", "count", "source"]]


#: Parquet schema metadata key marking a counts table made from synthetic records.
SYNTHETIC_KEY = b"vawgstats_synthetic"


def write_synthetic_counts(records: pd.DataFrame, path) -> None:
    """Write :func:`counts_from_records` of synthetic records as Parquet, marked as synthetic.

    The mark (Parquet schema metadata) makes every report built on the file
    carry the SYNTHETIC DATA banner.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from .counts import validate_counts

    table = pa.Table.from_pandas(validate_counts(counts_from_records(records), path), preserve_index=False)
    metadata = dict(table.schema.metadata or {})
    metadata[SYNTHETIC_KEY] = b"true"
    pq.write_table(table.replace_schema_metadata(metadata), path)


def is_synthetic_counts(path) -> bool:
    """True when a counts Parquet file carries the synthetic mark of :func:`write_synthetic_counts`."""
    if not str(path).lower().endswith((".parquet", ".pq")):
        return False
    import pyarrow.parquet as pq

    metadata = pq.read_schema(path).metadata or {}
    return metadata.get(SYNTHETIC_KEY) == b"true"
