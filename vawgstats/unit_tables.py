"""The metric tables of every report unit (London, the 12 BCUs, the 32 boroughs), in one pass.

Each function takes the in-scope records (``prepare`` passes only those, and only
those recorded since :func:`earliest_needed`) and returns one long table with
``unit_type`` (``london``, ``bcu`` or ``borough``) and ``unit`` (``London``, a BCU
code or a borough name) columns, so that a BCU's report and a borough's report
read the same tables.  :mod:`vawgstats.prepare` writes them to the build folder.
"""

from __future__ import annotations

from ._lazy import lazy_module
from . import definitions as d
from .geography import BOROUGH_TO_BCU, lsoa_in_other_borough
from .periods import Period, as_period

pd = lazy_module("pandas", globals(), "pd")  # imported on first use

TREND_MONTHS = 24
UNIT_TYPES = ("london", "bcu", "borough")
#: The columns the measures read (:mod:`vawgstats.metrics`, :func:`top_places`).
SCOPED_COLUMNS = ("recorded_date", "outcome_date", "offence_group", "victim_sex", "domestic_abuse",
                  "outcome_code", "victim_id", "suspect_id", "bcu", "borough", "lsoa_code")
_BY = {"london": (), "bcu": ("bcu",), "borough": ("borough",)}


def earliest_needed(period: Period, window_days: int = d.REPEAT_WINDOW_DAYS) -> pd.Timestamp:
    """The first recording date any table computed on the in-scope records reads, for ``period``.

    The tables look at crimes recorded in the period, in its two comparison
    periods, in the trend window (:data:`TREND_MONTHS` months to the period end)
    and in the 12 months of the repeat-suspect window; repeat victimisation looks
    ``window_days`` further back from each of those.  Older records change no
    table, so they are left out of the computation (a test checks the tables are
    the same with and without them).
    """
    starts = [period.first_day, period.previous().first_day, period.year_earlier().first_day,
              (period.end - (TREND_MONTHS - 1)).start_time, (period.end - 11).start_time]
    return min(starts).normalize() - pd.Timedelta(days=window_days + 1)


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
                   precision: str | None = None, population: pd.Series | None = None) -> pd.DataFrame:
    """Headline metrics per unit with intervals and changes (long format).

    Metrics: ``volume`` (in-scope crimes; value = crimes per 1,000 female
    residents, annualised), the four proportions in :data:`PROPORTIONS`, and
    ``median_days_to_charge``.  Changes use :func:`vawgstats.metrics.compare_periods`,
    maturity-matched as at ``as_of`` (default: the latest date in ``df``):
    ``follow_up_days`` is the follow-up of both periods (days from the period's
    last day to ``as_of``).  ``precision``: of the dates (default: that of
    ``df``, :func:`vawgstats.metrics.date_precision`).  ``first_recorded``: the
    data's first recorded date, when ``df`` holds only some of the records
    (default: ``df``'s first).  ``population``: female residents per borough
    (:func:`vawgstats.population.choose`; default ONS mid-2019).
    """
    from . import metrics

    start, end = str(period.start), str(period.end)
    rows = []
    population = _each_unit(metrics.per_population, df, start=start, end=end, population=population)
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

    made: dict[Period, pd.DataFrame] = {}  # by comparison period: a 12-month period's previous one is the year earlier
    for against, prefix in (("previous", "previous"), ("year_earlier", "year")):
        comparison = period.previous() if against == "previous" else period.year_earlier()
        if comparison not in made:
            made[comparison] = _compared(df, period, against, window_days, as_of, precision)
        compared = made[comparison]
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


def _compared(df: pd.DataFrame, period: Period, against: str, window_days: int, as_of,
              precision: str | None) -> pd.DataFrame:
    """Every headline measure of every unit compared with ``against`` (:func:`vawgstats.metrics.compare_periods`)."""
    from . import metrics

    start, end = str(period.start), str(period.end)
    parts = []
    for name in ("volume",) + PROPORTIONS:
        kwargs = {"window_days": window_days} if name == "repeat_victimisation_rate" else {}
        compared = _each_unit(metrics.compare_periods, df, start=start, end=end, metric=name,
                              against=against, maturity="matched", as_of=as_of, precision=precision,
                              **({"metric_kwargs": kwargs} if kwargs else {}))
        parts.append(compared.assign(metric=name))
    parts.append(_timing_before(df, period, against, as_of, precision, parts[-1]))
    return pd.concat(parts, ignore_index=True)[
        ["unit_type", "unit", "metric", "comparison_numerator", "comparison_denominator",
         "comparison_rate", "p_value", "flag", "comparison_start", "comparison_end", "follow_up_days"]]


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


#: The columns the outcome measures (charge, positive outcome, attrition) read.
OUTCOME_COLUMNS = ("recorded_date", "outcome_date", "offence_group", "victim_sex", "domestic_abuse",
                   "outcome_code", "bcu", "borough")


def offence_outcomes_table(df: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Charge, positive outcome and attrition rates by report offence type, per London, BCU and borough."""
    from . import metrics

    start, end = str(period.start), str(period.end)
    # only the columns the measures read: each offence type's rows are then copied without the identifiers
    df = df[[c for c in OUTCOME_COLUMNS if c in df.columns]]
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
    # the columns read here (and by in_vawg_scope): the other identifiers are not copied
    read = ("recorded_date", "offence_date", "offence_group", "victim_sex", "domestic_abuse", "outcome_code",
            "victim_id", "lsoa_code", "bcu", "borough")
    in_period = df.loc[period.contains(df["recorded_date"]), [c for c in df.columns if c in read]]
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
