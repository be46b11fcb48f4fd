"""Comparisons: a measure now against an earlier period, and each area against London.

Part of the interface of :mod:`vawgstats.metrics` (which re-exports every name
here); kept apart because it is a second concept: the measures say *what* is
counted, this module says *how fairly two figures are set side by side*.

- :func:`compare_periods`: a change between two periods with a test.  For
  outcome-based measures the earlier period is measured at the same follow-up
  as the current one (``maturity="matched"``, the default): with ``as_of`` the
  data's as-at date and ``f`` the days from the current period's last day to
  ``as_of``, an outcome of the comparison period counts only if dated on or
  before that period's last day plus ``f`` days.  Denominators are unchanged.
  With month-precision dates (police.uk) the rule is applied to months.
- :func:`funnel_limits`: each area against the pooled London rate, with
  limits widened for the usual spread between areas (Spiegelhalter 2005,
  over-dispersion) when the areas spread more than chance allows.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

from . import stats
from .errors import ParamsError
from .metrics import (
    ATTRITION_MEASURES, _GEOGRAPHY, _as_date, _Base, _by, _dates, _Groups, attrition, charge_rate,
    latest_date, positive_outcome_rate, repeat_victimisation_rate, sanction_detection_rate,
)
from .periods import Period, as_period

#: The proportions :func:`compare_periods` and :func:`funnel_limits` accept, by name
#: (and the attrition measures of :data:`vawgstats.metrics.ATTRITION_MEASURES`).
PROPORTION_METRICS: dict[str, Callable[..., pd.DataFrame]] = {
    "charge_rate": charge_rate,
    "positive_outcome_rate": positive_outcome_rate,
    "detection_rate": positive_outcome_rate,
    "sanction_detection_rate": sanction_detection_rate,
    "repeat_victimisation_rate": repeat_victimisation_rate,
}
_WITH_METHOD = ("charge_rate", "positive_outcome_rate", "detection_rate", "sanction_detection_rate")
#: Outcome-based measures: compared at matched maturity.  Volumes and repeat
#: victimisation (a look-back measure) are not outcome-based.
OUTCOME_METRICS: tuple[str, ...] = _WITH_METHOD + tuple(ATTRITION_MEASURES)
MATURITIES = ("matched", "as_recorded")
PRECISIONS = ("day", "month")


def _metric(df, metric: str, period: Period, by, method: str, metric_kwargs: dict | None) -> pd.DataFrame:
    kwargs = dict(metric_kwargs or {})
    if metric in ATTRITION_MEASURES and metric not in PROPORTION_METRICS:
        table = attrition(df, start=str(period.start), end=str(period.end), by=by, method=method, **kwargs)
        return table[table["measure"] == metric].drop(columns="measure").reset_index(drop=True)
    if metric not in PROPORTION_METRICS:
        raise ParamsError(f"Unknown metric {metric!r}: expected one of "
                          f"{', '.join(list(PROPORTION_METRICS) + list(ATTRITION_MEASURES))}"
                          " (or 'volume' for compare_periods).")
    if metric in _WITH_METHOD:
        kwargs.setdefault("method", method)
    return PROPORTION_METRICS[metric](df, start=str(period.start), end=str(period.end), by=by, **kwargs)


def _volume(df, period: Period, by) -> pd.DataFrame:
    base = _Base(df, str(period.start), str(period.end), by)
    crimes = base.denominator()
    return base.groups.frame({"numerator": crimes, "denominator": np.full(len(crimes), np.nan),
                              "rate": crimes.astype(float)})


def date_precision(df: pd.DataFrame) -> str:
    """``"month"`` when the dates have month precision (police.uk), else ``"day"``.

    Month precision: records from police.uk (``source`` "police.uk", or the
    police.uk proxy offence group :data:`vawgstats.definitions.POLICEUK_PROXY_GROUP`),
    with no offence dates (police.uk publishes none) and every recorded and
    outcome date the first day of its month.
    """
    from .definitions import POLICEUK_PROXY_GROUP, is_one_of

    policeuk = ("source" in df.columns and is_one_of(df["source"], ("police.uk",)).any()) or \
        is_one_of(df["offence_group"], (POLICEUK_PROXY_GROUP,)).any()
    if not policeuk or ("offence_date" in df.columns and df["offence_date"].notna().any()):
        return "day"
    for column in ("recorded_date", "outcome_date"):
        values = pd.Series(_dates(df, column)).dropna()
        if len(values) and not (values.dt.day == 1).all():
            return "day"
    return "month"


def follow_up_cutoff(period: Period, comparison: Period, as_of: pd.Timestamp, precision: str = "day") -> pd.Timestamp:
    """The last outcome date counted in ``comparison`` when matched to ``period`` as at ``as_of``.

    Day precision: the comparison period's last day plus ``f`` days, ``f`` =
    days from ``period``'s last day to ``as_of``.  Month precision: the last
    day of the month that is as many months after the comparison period's
    last month as ``as_of``'s month is after ``period``'s last month.
    """
    if precision == "month":
        months = (as_of.to_period("M") - period.end).n
        return (comparison.end + months).end_time.normalize()
    return comparison.last_day + pd.Timedelta(days=(as_of - period.last_day).days)


def compare_periods(df: pd.DataFrame, *, start, end, by=("bcu",), metric: str = "charge_rate",
                    against: str = "previous", method: str = "cohort", maturity: str = "matched",
                    as_of=None, metric_kwargs: dict | None = None, precision: str | None = None) -> pd.DataFrame:
    """Change: a metric in the period against a comparison period, with a test.

    ``against="previous"``: the period of the same length just before
    (:meth:`Period.previous`); ``"year_earlier"``: the same months a year
    earlier (:meth:`Period.year_earlier`).  ``metric`` is a proportion, by name
    (:data:`PROPORTION_METRICS` or an attrition measure of
    :data:`vawgstats.metrics.ATTRITION_MEASURES`; ``method`` and
    ``metric_kwargs`` such as ``window_days`` are passed to it), tested with
    :func:`vawgstats.stats.compare_proportions` (two-proportion z-test, or
    Fisher's exact test when an expected count is below 5); or ``"volume"``,
    the in-scope crimes recorded (numerator = rate = the count, denominator
    empty), tested with :func:`vawgstats.stats.compare_counts` (exact
    conditional binomial test of two Poisson counts).  With ``"month"`` in
    ``by`` each month is compared with the month in the same position of the
    comparison period.

    Maturity: ``as_of`` is the data's as-at date (``YYYY-MM-DD`` or a
    Timestamp; default the latest recorded or outcome date in ``df``, as
    :func:`vawgstats.prepare.prepare`), and ``follow_up_days`` = ``f`` = days
    from the period's last day to ``as_of``.  With ``maturity="matched"``
    (default) and an outcome-based metric (:data:`OUTCOME_METRICS`), an
    outcome of the comparison period counts only if its ``outcome_date`` is on
    or before the comparison period's last day plus ``f`` days (later ones,
    and coded outcomes without a date, count as pending); denominators are unchanged.  With month-precision
    dates (``precision="month"``; default :func:`date_precision` of ``df``)
    the rule is applied to months: outcomes up to the month as many months
    after the comparison period's last month as ``as_of``'s month is after
    the period's last month.  ``maturity="as_recorded"`` counts every outcome
    as it stands in the data.  Volumes and repeat victimisation are not
    affected.

    Columns: ``by`` columns, ``current_numerator``, ``current_denominator``,
    ``current_rate``, ``comparison_numerator``, ``comparison_denominator``,
    ``comparison_rate``, ``difference`` (current minus comparison rate),
    ``p_value``, ``test``, ``flag`` ("significant increase", "significant
    decrease", "no significant change", or "not comparable" when there is
    nothing to compare), ``comparison_start``, ``comparison_end``
    (``YYYY-MM``), ``follow_up_days``.
    """
    period = as_period(start, end)
    if against == "previous":
        comparison = period.previous()
    elif against == "year_earlier":
        comparison = period.year_earlier()
    else:
        raise ParamsError(f"Unknown comparison {against!r}: expected 'previous' or 'year_earlier'.")
    if maturity not in MATURITIES:
        raise ParamsError(f"Unknown maturity {maturity!r}: expected 'matched' or 'as_recorded'.")
    if precision is not None and precision not in PRECISIONS:
        raise ParamsError(f"Unknown precision {precision!r}: expected 'day' or 'month'.")
    as_of = latest_date(df) if as_of is None else _as_date(as_of, "as_of")
    follow_up = (as_of - period.last_day).days
    if metric == "volume":
        current, before = _volume(df, period, by), _volume(df, comparison, by)
        tests = stats.compare_counts(current["numerator"].to_numpy(), before["numerator"].to_numpy())
    else:
        earlier_kwargs = dict(metric_kwargs or {})
        if maturity == "matched" and metric in OUTCOME_METRICS:
            cutoff = follow_up_cutoff(period, comparison, as_of, precision or date_precision(df))
            earlier_kwargs["outcomes_by"] = cutoff
        current = _metric(df, metric, period, by, method, metric_kwargs)
        before = _metric(df, metric, comparison, by, method, earlier_kwargs)
        k1, n1 = current["numerator"].to_numpy(), current["denominator"].to_numpy()
        k2, n2 = before["numerator"].to_numpy(), before["denominator"].to_numpy()
        # Period method: more outcomes than crimes is not a proportion; nothing to test.
        proportion = (k1 <= n1) & (k2 <= n2)
        tests = stats.compare_proportions(np.where(proportion, k1, 0), n1 * proportion,
                                          np.where(proportion, k2, 0), n2 * proportion)
    out = {key: current[key] for key in _by(by)}
    for prefix, table in (("current", current), ("comparison", before)):
        for column in ("numerator", "denominator", "rate"):
            out[f"{prefix}_{column}"] = table[column]
    out["difference"] = out["current_rate"] - out["comparison_rate"]
    out.update({"p_value": tests["p_value"], "test": tests["test"], "flag": tests["flag"],
                "comparison_start": str(comparison.start), "comparison_end": str(comparison.end),
                "follow_up_days": follow_up})
    return pd.DataFrame(out, index=current.index)


#: Positions of a unit against the funnel limits.
POSITIONS = ("above 99.8% limit", "above 95% limit", "within limits", "below 95% limit", "below 99.8% limit")


def funnel_position(rate: np.ndarray, limits: pd.DataFrame) -> np.ndarray:
    """Each rate's position against its limits (:func:`vawgstats.stats.funnel_limits`): one of
    :data:`POSITIONS` (strictly above / below a limit, or within), or "not comparable"."""
    rate = np.asarray(rate, dtype=float)
    upper_998, upper_95 = limits["upper_998"].to_numpy(), limits["upper_95"].to_numpy()
    lower_998, lower_95 = limits["lower_998"].to_numpy(), limits["lower_95"].to_numpy()
    return np.select(
        [np.isnan(rate) | np.isnan(upper_95), rate > upper_998, rate > upper_95, rate < lower_998,
         rate < lower_95],
        ["not comparable", POSITIONS[0], POSITIONS[1], POSITIONS[4], POSITIONS[3]], default=POSITIONS[2])


def funnel_limits(df: pd.DataFrame, *, start, end, by=("bcu",), metric: str = "charge_rate",
                  method: str = "cohort", metric_kwargs: dict | None = None,
                  overdispersion: str = "auto") -> pd.DataFrame:
    """Comparison with London: funnel-plot control limits for each unit.

    ``metric`` is a proportion, by name (:data:`PROPORTION_METRICS`).
    ``london_rate`` is the rate pooled over all the units of ``by`` (sum of
    numerators over sum of denominators), within each value of any
    non-geographic key (e.g. per month with ``("bcu", "month")``).  The limits
    (:func:`vawgstats.stats.funnel_limits`, Spiegelhalter 2005) are exact
    binomial 95% and 99.8% limits around it for each unit's denominator,
    widened for over-dispersion with ``overdispersion="auto"`` (default) when
    the units spread more than chance allows (``tau2`` > 0; estimated within
    each pool of units); ``"none"`` never widens them.  Columns: ``by``
    columns, ``numerator``, ``denominator``, ``rate``, ``london_rate``,
    ``lower_95``, ``upper_95``, ``lower_998``, ``upper_998``, ``position`` (one
    of :data:`POSITIONS`: strictly above / below a limit, or "within limits";
    "not comparable" when the denominator is 0), ``phi`` (the winsorised
    dispersion ratio), ``tau2`` (the between-unit variance on the arcsine
    square-root scale; 0 = none) and ``overdispersed`` (``tau2`` > 0).
    """
    period = as_period(start, end)
    keys = _by(by)
    table = _metric(df, metric, period, keys, method, metric_kwargs)
    groups = _Groups(keys, period)
    others = [k for k in keys if k not in _GEOGRAPHY]
    pool = np.zeros(groups.size, dtype=np.int64)
    for key in others:
        pool = pool * groups.sizes[keys.index(key)] + groups.level_codes(key)
    numerator, denominator = table["numerator"].to_numpy(), table["denominator"].to_numpy()
    pooled_num = np.bincount(pool, weights=numerator)[pool]
    pooled_den = np.bincount(pool, weights=denominator)[pool]
    london = np.full(groups.size, np.nan)
    np.divide(pooled_num, pooled_den, out=london, where=pooled_den > 0)
    columns = ["lower_95", "upper_95", "lower_998", "upper_998", "phi", "tau2", "overdispersed"]
    limits = pd.DataFrame(index=range(groups.size), columns=columns, dtype=float)
    for value in np.unique(pool):
        units = np.flatnonzero(pool == value)
        part = stats.funnel_limits(denominator[units], london[units], numerator=numerator[units],
                                   overdispersion=overdispersion)
        limits.loc[units, columns] = part[columns].to_numpy(dtype=float)
    rate = table["rate"].to_numpy(dtype=float)
    position = funnel_position(rate, limits)
    return groups.frame({
        "numerator": numerator, "denominator": denominator, "rate": rate, "london_rate": london,
        **{c: limits[c].to_numpy(dtype=float) for c in columns[:4]}, "position": position,
        "phi": limits["phi"].to_numpy(dtype=float), "tau2": limits["tau2"].to_numpy(dtype=float),
        "overdispersed": limits["overdispersed"].to_numpy(dtype=float) > 0})
