"""Coverage: which months the data cover, and which of them are gaps.

A report must not turn missing data into findings.  An extract can lose a month
(a failed extraction, a system migration); its crimes are then not "fewer", they
are absent, and a chart that draws the month as a low point, an SPC rule that
flags it, or a rate over a period containing it would all mislead.

Definitions (one place):

- **Records per month**: every record (in scope or not) by the month of its
  ``recorded_date``, for London and for each BCU, over every month from the
  data's first month to its last (months without a record count 0).  For a
  counts table (open data) the VAWG offences of the location sheet by month.
- **Neighbouring months**: the three months before a month and the three after
  it, within the data's months; at the edges there are fewer (the first month
  has only the three after it, the second month one before and three after,
  and so on).  The month itself is not one of its neighbours.
- **Gap**: a month with no records, or with fewer than :data:`GAP_SHARE`
  (default 0.5, ``gap_share`` in ``params/defaults.yaml``) times the median of
  its neighbouring months' records.
- **Too few to judge**: a month whose neighbours' median is below
  :data:`MIN_NEIGHBOUR_MEDIAN` (50 records) is never called a gap: with fewer
  records, half as many in a month happens by chance too often (a Poisson count of
  mean 20 falls below 10 about once in 200 months; of mean 50 below 25 about once
  in 30,000).  Tiny extracts and sparse
  BCUs are therefore not judged.
- **Partial month**: the data's last month, when it is incomplete (records with
  day precision and none on the month's last day): its low count is the
  extraction date, not a gap, and it is never part of a default period.

A unit (BCU) with no record at all is not judged (every month would be a gap);
it is listed in ``absent_units``.  Computed once in :func:`vawgstats.prepare.prepare`
(:func:`coverage_table`, :func:`manifest_entry`) and carried in the manifest; the
reports, charts and sentences ask it with :func:`gaps_in` and :func:`data_months`.
"""

from __future__ import annotations

from ._lazy import lazy_module
from .periods import Period

np = lazy_module("numpy", globals(), "np")  # imported on first use
pd = lazy_module("pandas", globals(), "pd")  # imported on first use

#: A month is a gap when it has fewer records than this share of its neighbours' median.
GAP_SHARE = 0.5
#: Neighbouring months on each side of a month (fewer at the edges of the data).
NEIGHBOURS_EACH_SIDE = 3
#: Months whose neighbours' median is below this are too sparse to judge (never a gap).
MIN_NEIGHBOUR_MEDIAN = 50

COLUMNS = ["unit_type", "unit", "month", "records", "neighbour_median", "gap", "partial"]


def neighbour_median(records) -> np.ndarray:
    """Median of each month's neighbouring months: up to three before and three after.

    ``records`` are counts of consecutive months.  At the edges fewer months are
    used (the first month: the three after it).  NaN for a series of one month.
    """
    values = np.asarray(records, dtype=float)
    out = np.full(len(values), np.nan)
    for i in range(len(values)):
        around = np.concatenate([values[max(0, i - NEIGHBOURS_EACH_SIDE):i],
                                 values[i + 1:i + 1 + NEIGHBOURS_EACH_SIDE]])
        if len(around):
            out[i] = float(np.median(around))
    return out


def find_gaps(records, share: float = GAP_SHARE) -> np.ndarray:
    """Which months of a run of consecutive monthly counts are gaps (see the module docstring)."""
    values = np.asarray(records, dtype=float)
    median = neighbour_median(values)
    with np.errstate(invalid="ignore"):
        judged = np.isfinite(median) & (median >= MIN_NEIGHBOUR_MEDIAN)
        return judged & ((values <= 0) | (values < share * median))


def _table(counts: pd.DataFrame, months: pd.PeriodIndex, share: float, partial_last: bool) -> pd.DataFrame:
    """``counts``: unit_type, unit, month (Period), records -> the coverage table over ``months``."""
    parts = []
    for (unit_type, unit), rows in counts.groupby(["unit_type", "unit"], sort=False):
        series = rows.groupby("month")["records"].sum().reindex(months, fill_value=0)
        if series.sum() == 0:
            continue
        values = series.to_numpy(dtype=float)
        judged = values[:-1] if partial_last and len(values) > 1 else values
        gap = np.zeros(len(values), dtype=bool)
        median = np.full(len(values), np.nan)
        gap[:len(judged)] = find_gaps(judged, share)
        median[:len(judged)] = neighbour_median(judged)
        partial = np.zeros(len(values), dtype=bool)
        if partial_last:
            partial[-1] = True
        parts.append(pd.DataFrame({
            "unit_type": unit_type, "unit": unit, "month": [str(m) for m in months],
            "records": values.astype("int64"), "neighbour_median": median, "gap": gap, "partial": partial}))
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(
            COLUMNS, ["object", "object", "object", "int64", "float64", "bool", "bool"])})
    return pd.concat(parts, ignore_index=True)[COLUMNS]


def last_month_partial(recorded: pd.Series) -> bool:
    """Whether the data's last month is incomplete: day-precision dates and none on its last day."""
    dates = recorded.dropna()
    if dates.empty or dates.dt.day.eq(1).all():  # month precision (police.uk): a month present is whole
        return False
    last = dates.max().normalize()
    return bool(last < last.to_period("M").end_time.normalize())


def coverage_table(df: pd.DataFrame, share: float = GAP_SHARE) -> pd.DataFrame:
    """Records per month for London and each BCU over the whole data, with gaps marked.

    Columns: ``unit_type`` (``london`` or ``bcu``), ``unit``, ``month`` (``YYYY-MM``),
    ``records``, ``neighbour_median`` (the median of its neighbouring months),
    ``gap`` and ``partial`` (booleans).  See the module docstring for the rules.
    """
    from .geography import BCU_CODES

    recorded = df["recorded_date"]
    if recorded.dropna().empty:
        return _table(pd.DataFrame(columns=["unit_type", "unit", "month", "records"]),
                      pd.PeriodIndex([], freq="M"), share, False)
    # months as whole numbers (year * 12 + month - 1), counted with bincount: no Period objects per row
    dates = recorded.to_numpy(dtype="datetime64[M]")
    present = ~np.isnat(dates)
    code = dates[present].astype(np.int64)
    first, last = int(code.min()), int(code.max())
    months = pd.period_range(pd.Period(np.datetime64(first, "M"), freq="M"),
                             pd.Period(np.datetime64(last, "M"), freq="M"), freq="M")
    span = last - first + 1
    parts = [pd.DataFrame({"unit_type": "london", "unit": "London", "month": months,
                           "records": np.bincount(code - first, minlength=span)})]
    if isinstance(df["bcu"].dtype, pd.CategoricalDtype):  # recode its codes: no object per row
        remap = np.append(pd.Index(list(BCU_CODES), dtype=object).get_indexer(
            df["bcu"].cat.categories.astype(object)), -1)
        bcu = pd.Categorical.from_codes(remap[df["bcu"].cat.codes.to_numpy()[present]], categories=list(BCU_CODES))
    else:
        bcu = pd.Categorical(df["bcu"].astype(object).to_numpy()[present], categories=list(BCU_CODES))
    known = bcu.codes >= 0
    grid = np.bincount(bcu.codes[known].astype(np.int64) * span + (code[known] - first),
                       minlength=len(BCU_CODES) * span).reshape(len(BCU_CODES), span)
    for number, unit in enumerate(BCU_CODES):
        parts.append(pd.DataFrame({"unit_type": "bcu", "unit": unit, "month": months, "records": grid[number]}))
    counts = pd.concat(parts, ignore_index=True)
    return _table(counts, months, share, last_month_partial(recorded))


def counts_coverage_table(counts: pd.DataFrame, share: float = GAP_SHARE) -> pd.DataFrame:
    """The same for a counts table (open data): VAWG offences by month, London and BCUs.

    A month missing from the location sheet was not published: it counts 0 and is a gap.
    Published months are whole, so no month is partial.
    """
    from . import open_data
    from .geography import BCU_CODES

    rows = open_data.location_counts(counts, "offences")
    month = pd.PeriodIndex(rows["month"].astype(str), freq="M")
    months = pd.period_range(month.min(), month.max(), freq="M")
    london = pd.DataFrame({"unit_type": "london", "unit": "London", "month": month,
                           "records": rows["count"].to_numpy()})
    inside = open_data.in_bcu_totals(rows).to_numpy()
    bcu = pd.DataFrame({"unit_type": "bcu", "unit": rows["bcu"].astype(str).to_numpy()[inside],
                        "month": month[inside], "records": rows["count"].to_numpy()[inside]})
    bcu_order = pd.DataFrame({"unit_type": "bcu", "unit": list(BCU_CODES), "month": months[0], "records": 0})
    return _table(pd.concat([london, bcu_order, bcu], ignore_index=True), months, share, False)


def manifest_entry(table: pd.DataFrame, share: float = GAP_SHARE) -> dict:
    """The coverage as the manifest carries it: months, gaps (with counts), partial and absent units."""
    from .geography import BCU_CODES

    london = table[table["unit_type"] == "london"]
    months = london["month"].tolist()
    whole = london.loc[~london["partial"], "month"].tolist()
    gaps = table[table["gap"]]
    return {
        "gap_share": float(share),
        "first_month": months[0] if months else None,
        "last_month": months[-1] if months else None,
        "last_complete_month": whole[-1] if whole else None,
        "partial_months": london.loc[london["partial"], "month"].tolist(),
        "gaps": [{"unit_type": r.unit_type, "unit": r.unit, "month": r.month, "records": int(r.records),
                  "neighbour_median": float(r.neighbour_median)} for r in gaps.itertuples()],
        "absent_units": [code for code in BCU_CODES if code not in set(table["unit"])],
    }


# --------------------------------------------------------------------------- questions reports ask


def gaps_in(coverage: dict, period: Period | None = None, unit: str | None = "London") -> list[dict]:
    """The gap months (dicts: unit_type, unit, month, records, neighbour_median) of a unit in a period.

    ``coverage`` is the manifest's ``coverage`` entry (or a whole manifest).
    ``unit`` None: every unit.  A unit's gaps include London's (a month missing
    for London is missing for every BCU).  ``period`` None: the whole data.
    """
    coverage = coverage.get("coverage", coverage)
    london = {g["month"] for g in coverage.get("gaps", []) if g["unit_type"] == "london"}
    found, seen = [], set()
    for gap in coverage.get("gaps", []):
        if unit is not None and gap["unit"] not in (unit, "London"):
            continue
        if unit is None and gap["unit_type"] != "london" and gap["month"] in london:
            continue  # a London gap is every BCU's
        if period is not None and not str(period.start) <= gap["month"] <= str(period.end):
            continue
        if unit is not None and gap["month"] in seen:
            continue
        seen.add(gap["month"])
        found.append(gap)
    return sorted(found, key=lambda g: (g["month"], g["unit_type"] != "london", g["unit"]))


def gap_months(coverage: dict, period: Period | None = None, unit: str | None = "London") -> list[str]:
    """The gap months (``YYYY-MM``) of a unit in a period (see :func:`gaps_in`)."""
    return sorted({g["month"] for g in gaps_in(coverage, period, unit)})


def month_label(month: str) -> str:
    """``"2024-11"`` -> ``"November 2024"``."""
    return pd.Period(month, freq="M").strftime("%B %Y")


def months_text(months: list[str]) -> str:
    """``["2024-10", "2024-11"]`` -> ``"October 2024 and November 2024"``."""
    labels = [month_label(m) for m in months]
    if len(labels) <= 1:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " and " + labels[-1]


def gap_warnings(coverage: dict) -> list[str]:
    """One line per gap month of the whole data, for ``vawgstats validate``.

    London's gaps first, then each BCU's gaps in months that are not London gaps.
    """
    coverage = coverage.get("coverage", coverage)
    london = {g["month"] for g in coverage.get("gaps", []) if g["unit_type"] == "london"}
    lines = []
    for gap in sorted(coverage.get("gaps", []), key=lambda g: (g["unit_type"] != "london", g["unit"], g["month"])):
        if gap["unit_type"] != "london" and gap["month"] in london:
            continue  # said once, for London (and so for every BCU)
        where = "London" if gap["unit_type"] == "london" else f"BCU {gap['unit']}"
        median = gap["neighbour_median"]
        lines.append(f"{where}: {month_label(gap['month'])} has {gap['records']:,} records "
                     + (f"(its neighbouring months' median is {median:,.0f}; "
                        f"a gap is fewer than {coverage['gap_share']:.0%} of it)" if np.isfinite(median)
                        else "(no records)")
                     + ": a gap in the data, not a low month.")
    return lines


def banner(coverage: dict, period: Period, unit: str | None = "London", edition: str = "public") -> str | None:
    """The report banner when the period contains a gap month (None otherwise).

    ``unit`` None: every unit's gaps.  Record counts follow the edition's
    suppression rule (:func:`vawgstats.suppression.count_text`).
    """
    from .suppression import count_text

    gaps = gaps_in(coverage, period, unit)
    if not gaps:
        return None
    listed = "; ".join(
        f"{month_label(g['month'])}: {count_text(g['records'], edition)} records"
        + ("" if g["unit_type"] == "london" or unit is not None else f" in BCU {g['unit']}") for g in gaps)
    share = coverage.get("coverage", coverage)["gap_share"]
    return (f"Gap in the data. The period contains {len(gaps)} month{'s' if len(gaps) != 1 else ''} "
            f"with no or too few records ({listed}), fewer than {share:.0%} of the "
            "median of the neighbouring months. "
            + ("This month is" if len(gaps) == 1 else "These months are")
            + " missing from the extract, not low: they are drawn as gaps in the charts and left out of the control limits and signal rules, and "
            "the period's volumes, rates and comparisons are incomplete (marked beside each figure).")


def data_months(coverage: dict) -> tuple[str, str] | None:
    """(first month, last complete month) of the data, ``YYYY-MM``; None for no data."""
    coverage = coverage.get("coverage", coverage)
    if not coverage.get("first_month") or not coverage.get("last_complete_month"):
        return None
    return coverage["first_month"], coverage["last_complete_month"]


def period_within(coverage: dict, requested: Period | None, months: int = 12,
                  data_name: str = "the data") -> Period:
    """The reporting period, within the data's months.

    ``requested`` None: the latest ``months`` complete months of the data, or
    every month of the data when it covers fewer.  A requested period that
    starts before the data's first month or ends after its last complete month
    raises :class:`~vawgstats.errors.ParamsError` naming the data's months.
    """
    from .errors import ParamsError

    covered = data_months(coverage)
    if covered is None:
        raise ParamsError(f"{data_name} has no complete month of records to report on.")
    first, last = (pd.Period(m, freq="M") for m in covered)
    partial = coverage.get("coverage", coverage).get("partial_months") or []
    if requested is None:
        return Period(max(last - (months - 1), first), last)
    if requested.start < first or requested.end > last:
        incomplete = f" ({month_label(partial[-1])} is incomplete)" if partial else ""
        raise ParamsError(
            f"The period {requested.label()} is outside {data_name}, whose months are "
            f"{month_label(str(first))} (first) to {month_label(str(last))} (last complete month){incomplete}. "
            f"Give --start and --end within {first} to {last}, or neither for the latest complete months.")
    return requested


def period_text(period: Period, months_wanted: int, coverage: dict) -> str:
    """The period in words; when it is shorter than wanted because the data are, says so.

    E.g. ``"6 months (the data cover July to December 2024)"``; otherwise the
    period's label (``"January 2024 to December 2024"``).
    """
    covered = data_months(coverage)
    if covered is None or period.months >= months_wanted:
        return period.label()
    first, last = (pd.Period(m, freq="M") for m in covered)
    if first.year == last.year:
        span = f"{first.strftime('%B')} to {last.strftime('%B %Y')}"
    else:
        span = f"{first.strftime('%B %Y')} to {last.strftime('%B %Y')}"
    if first == last:
        span = last.strftime("%B %Y")
    return f"{period.months} month{'s' if period.months != 1 else ''} (the data cover {span})"


def _summary_of(values: pd.Series, most: int = 6) -> str:
    counts = values.astype(object).fillna("(blank)").astype(str).value_counts()
    parts = [f"{name} ({count:,})" for name, count in counts.head(most).items()]
    if len(counts) > most:
        parts.append(f"{len(counts) - most} more")
    return ", ".join(parts)


def scope_error(df: pd.DataFrame, period: Period, where: str) -> str | None:
    """The message when no crime recorded in ``period`` is in VAWG scope (None when some is).

    One paragraph naming what the data contain in the period (police.uk crime
    types when the records carry them, offence groups otherwise) and what VAWG
    scope needs (:data:`vawgstats.definitions.VAWG_SCOPE_DEFINITION`).
    """
    from . import definitions as d

    in_period = df[period.contains(df["recorded_date"])]
    if bool(d.in_vawg_scope(in_period).any()):
        return None
    if in_period.empty:
        held = "no records at all"
    elif "crime_type" in in_period.columns and in_period["crime_type"].notna().any():
        held = f"{len(in_period):,} records of these police.uk crime types: {_summary_of(in_period['crime_type'])}"
    else:
        female = in_period["victim_sex"].astype(object).eq("F").sum()
        held = (f"{len(in_period):,} records in these offence groups: {_summary_of(in_period['offence_group'])}; "
                f"{female:,} with a female victim, {int(in_period['domestic_abuse'].fillna(False).sum()):,} "
                "flagged as domestic abuse")
    return (f"{where}: no crime recorded in {period.label()} is in VAWG scope, so there is nothing to report "
            f"on. The data hold {held}. {d.VAWG_SCOPE_DEFINITION} Check that the right file was given "
            "(for police.uk, an archive that includes the 'Violence and sexual offences' crime type).")


# --------------------------------------------------------------------------- marking the prepared tables


def _unit_gaps(coverage: dict) -> dict[str, set[str]]:
    """Gap months per unit (London's gaps are every unit's; a borough has its BCU's)."""
    from .geography import BCU_CODES, BOROUGH_TO_BCU, BOROUGHS

    coverage = coverage.get("coverage", coverage)
    london = {g["month"] for g in coverage.get("gaps", []) if g["unit_type"] == "london"}
    per_bcu = {code: set(london) for code in BCU_CODES}
    for gap in coverage.get("gaps", []):
        if gap["unit_type"] == "bcu" and gap["unit"] in per_bcu:
            per_bcu[gap["unit"]].add(gap["month"])
    return {"London": london, **per_bcu, **{b: per_bcu[BOROUGH_TO_BCU[b]] for b in BOROUGHS}}


def _months_of(period: Period) -> set[str]:
    return {str(m) for m in pd.period_range(period.start, period.end, freq="M")}


def mark_headline(headline: pd.DataFrame, coverage: dict, period: Period) -> pd.DataFrame:
    """The headline table with ``gap_months`` (the unit's gap months in the period, ``YYYY-MM``
    comma-separated, "" when none) and every comparison whose period (this one or the one
    compared with) contains a gap month of the unit set to "not comparable".

    A missing month makes a period's count too low, so a change against it would be a
    finding made of missing data.  Works on the records' and the counts' headline tables.
    """
    from .stats import FLAG_NOT_COMPARABLE

    table = headline.copy()
    gaps = _unit_gaps(coverage)
    units = table["unit"].astype(str)
    in_period = _months_of(period)
    table["gap_months"] = [",".join(sorted(gaps.get(u, set()) & in_period)) for u in units]
    for prefix, other in (("previous", period.previous()), ("year", period.year_earlier())):
        if f"{prefix}_flag" not in table.columns:
            continue
        months = _months_of(other) | in_period
        hit = np.array([bool(gaps.get(u, set()) & months) for u in units], dtype=bool)
        if hit.any():
            for column in ("numerator", "denominator", "value", "p"):
                if f"{prefix}_{column}" in table.columns:
                    table.loc[hit, f"{prefix}_{column}"] = np.nan
            table.loc[hit, f"{prefix}_flag"] = FLAG_NOT_COMPARABLE
    return table


def blank_gap_months(monthly: pd.DataFrame, coverage: dict, columns: tuple[str, ...]) -> pd.DataFrame:
    """The monthly table with ``columns`` missing (NaN) in each unit's gap months, so that
    charts draw a gap, not a zero, and SPC limits and rules leave the month out."""
    gaps = _unit_gaps(coverage)
    table = monthly.copy()
    hit = np.array([m in gaps.get(u, ()) for u, m in zip(table["unit"].astype(str), table["month"].astype(str))],
                   dtype=bool)
    if hit.any():
        for column in columns:
            if column in table.columns:
                table[column] = table[column].astype(float)
                table.loc[hit, column] = np.nan
    return table


def mark_quality(quality: pd.DataFrame, coverage: dict, period: Period) -> pd.DataFrame:
    """The data-quality table with ``gap_months``: each unit's gap months in the period with
    their record counts, ``YYYY-MM:records`` comma-separated ("" when none)."""
    coverage = coverage.get("coverage", coverage)
    counts = {}
    for gap in coverage.get("gaps", []):
        counts.setdefault(gap["unit"], {})[gap["month"]] = gap["records"]
    gaps = _unit_gaps(coverage)
    in_period = _months_of(period)
    from .geography import BOROUGH_TO_BCU

    def text(unit: str) -> str:
        own = counts.get(unit) or counts.get(BOROUGH_TO_BCU.get(unit, ""), {})
        months = sorted(gaps.get(unit, set()) & in_period)
        return ",".join(f"{m}:{own.get(m, counts.get('London', {}).get(m, 0))}" for m in months)

    table = quality.copy()
    units = table["unit"].astype(str) if "unit" in table.columns else pd.Series("London", index=table.index)
    table["gap_months"] = [text(u) for u in units]
    return table
