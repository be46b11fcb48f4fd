"""The Home Office VAWG measures: DataFrame in, tidy DataFrame out.

Every public function takes the canonical DataFrame of :func:`vawgstats.load`
and returns one row per group, with the ``by`` columns first.  ``by`` is a
tuple of keys from ``"bcu"``, ``"borough"``, ``"offence_group"``,
``"domestic_abuse"`` and ``"month"`` (``YYYY-MM`` of ``recorded_date``); ``()``
is London as a whole (one row, no group columns).  Every group of the
geography and categories appears, even when empty (all 12 BCUs, all 32
boroughs, every offence group, both values of the domestic abuse flag, every
month of the period), in that order, and a zero denominator gives ``rate``
NaN, never an error.  Proportions have ``numerator``, ``denominator``,
``rate``, ``ci_low`` and ``ci_high`` (Wilson score 95% interval,
:func:`vawgstats.stats.wilson_interval`).

Definitions common to every measure:

- **Period**: whole months ``start``..``end`` (``YYYY-MM``) inclusive, on
  ``recorded_date`` (:func:`vawgstats.periods.as_period`).
- **Scope**: only crimes in VAWG scope (:func:`vawgstats.definitions.in_vawg_scope`)
  count, in every measure, numerators and denominators alike.
- **Cohort method** (default, as in the Home Office crime outcomes statistics):
  denominator = in-scope crimes recorded in the period; numerator = those of
  them whose ``outcome_code`` (as it stands in the data, i.e. at extraction)
  is in the measure's code set.
- **Period method** (``method="period"``, as some dashboards use):
  numerator = in-scope crimes, recorded at any time, whose outcome is in the
  set and whose ``outcome_date`` is in the period; denominator = in-scope
  crimes recorded in the period.  The rate can exceed 1, and the interval is
  NaN where the numerator exceeds the denominator.  With ``"month"`` in ``by``
  a numerator crime counts in the month of its outcome.

The code sets are those of :mod:`vawgstats.definitions`.

Performance: the functions work on row positions and integer codes with
numpy (categorical codes, ``bincount``, one packed-integer sort where
identifiers matter), never ``apply`` over rows.  Two things are memoised,
both safely: the scope of each (offence group, sex, domestic abuse)
combination, keyed by the categories, and the integer codes of the victim and
suspect identifiers, keyed by their Arrow array (Arrow arrays are immutable).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Callable

import numpy as np
import pandas as pd

from . import definitions as d
from . import stats
from .errors import ParamsError
from .geography import BCU_CODES, BOROUGHS, female_population
from .periods import Period, as_period

__all__ = [
    "ATTRITION_MEASURES", "GROUP_KEYS", "POSITIONS", "PROPORTION_METRICS", "attrition", "charge_rate",
    "compare_periods", "detection_rate", "funnel_limits", "per_population", "positive_outcome_rate",
    "repeat_suspects", "repeat_victimisation_rate", "sanction_detection_rate", "time_to_charge",
    "OUTCOME_METRICS", "date_precision", "funnel_position", "latest_date",
]

#: The keys ``by`` may contain.
GROUP_KEYS: tuple[str, ...] = ("bcu", "borough", "offence_group", "domestic_abuse", "month")
METHODS = ("cohort", "period")
#: The geographic keys: the units of funnel plots and of populations.
_GEOGRAPHY = ("bcu", "borough")
_LEVELS: dict[str, tuple] = {
    "bcu": BCU_CODES,
    "borough": BOROUGHS,
    "offence_group": d.ALLOWED_OFFENCE_GROUPS,
    "domestic_abuse": (False, True),
}


# --------------------------------------------------------------------------- parameters


def _by(by) -> tuple[str, ...]:
    keys = (by,) if isinstance(by, str) else tuple(by or ())
    unknown = [k for k in keys if k not in GROUP_KEYS]
    if unknown:
        raise ParamsError(f"Unknown grouping {unknown}: by may contain {', '.join(GROUP_KEYS)} (or be ()).")
    if len(set(keys)) != len(keys):
        raise ParamsError(f"Repeated grouping key in by={keys}.")
    return keys


def _method(method: str) -> str:
    if method not in METHODS:
        raise ParamsError(f"Unknown method {method!r}: expected 'cohort' or 'period'.")
    return method


# --------------------------------------------------------------------------- rows: scope, dates, codes


@lru_cache(maxsize=16)
def _scope_lookup(groups: tuple, sexes: tuple) -> np.ndarray:
    """:func:`definitions.in_vawg_scope` of every (offence group, sex, domestic abuse) combination.

    Indexed by ``((group code + 1) * (len(sexes) + 1) + sex code + 1) * 2 + domestic``.
    """
    n_sex = len(sexes) + 1
    combos = np.arange((len(groups) + 1) * n_sex * 2)
    table = pd.DataFrame({
        "offence_group": pd.Categorical.from_codes(combos // (n_sex * 2) - 1, categories=list(groups)),
        "victim_sex": pd.Categorical.from_codes(combos // 2 % n_sex - 1, categories=list(sexes)),
        "domestic_abuse": (combos % 2).astype(bool),
    })
    lookup = d.in_vawg_scope(table).to_numpy(dtype=bool)
    lookup.flags.writeable = False
    return lookup


def _scope(df: pd.DataFrame) -> np.ndarray:
    """:func:`definitions.in_vawg_scope` as a numpy mask.

    Scope depends only on (offence_group, victim_sex, domestic_abuse), so with
    the canonical dtypes ``in_vawg_scope`` is evaluated once per combination of
    their values (:func:`_scope_lookup`) and looked up by category codes;
    otherwise it is called on the whole frame.
    """
    group, sex, domestic = df["offence_group"], df["victim_sex"], df["domestic_abuse"]
    if not (isinstance(group.dtype, pd.CategoricalDtype) and isinstance(sex.dtype, pd.CategoricalDtype)
            and domestic.dtype == bool
            and (len(group.cat.categories) + 1) * (len(sex.cat.categories) + 1) * 2 <= 256):
        return d.in_vawg_scope(df).to_numpy(dtype=bool)
    n_sex = len(sex.cat.categories) + 1
    lookup = _scope_lookup(tuple(group.cat.categories), tuple(sex.cat.categories))
    combo = (group.array.codes.astype(np.uint8) + np.uint8(1)) * np.uint8(n_sex * 2)
    combo += (sex.array.codes.astype(np.uint8) + np.uint8(1)) * np.uint8(2)
    combo += domestic.to_numpy(dtype=bool).view(np.uint8)
    return np.take(lookup, combo)


def _dates(df: pd.DataFrame, column: str) -> np.ndarray:
    """A date column as a numpy datetime64 array (any unit)."""
    values = df[column].to_numpy()
    if not np.issubdtype(values.dtype, np.datetime64):
        values = pd.to_datetime(df[column]).to_numpy()
    return values


def _ticks_per_day(values: np.ndarray) -> int:
    return int(np.timedelta64(1, "D") / np.timedelta64(1, np.datetime_data(values.dtype)[0]))


def _bounds(period: Period, values: np.ndarray) -> tuple[int, int]:
    """First day of the period and the day after its last day, as int64 in the unit of ``values``."""
    first = np.datetime64(period.first_day.date(), "D").astype(values.dtype)
    after = np.datetime64((period.last_day + pd.Timedelta(days=1)).date(), "D").astype(values.dtype)
    return int(first.view(np.int64)), int(after.view(np.int64))


def _within(values: np.ndarray, period: Period) -> np.ndarray:
    """Which dates fall in the period (NaT: none); one unsigned comparison."""
    first, after = _bounds(period, values)
    return (values.view(np.int64) - np.int64(first)).view(np.uint64) < np.uint64(after - first)


def _key_codes(df: pd.DataFrame, key: str, rows: np.ndarray, months: Period,
               month_from: str) -> np.ndarray:
    """Integer codes (0..levels-1, -1 = no group) of one grouping key for ``rows``."""
    if key == "month":
        values = _dates(df, month_from)
        first, after = _bounds(months, values)
        ticks = _ticks_per_day(values)
        day = (values.view(np.int64).take(rows) - first) // ticks
        days = (after - first) // ticks
        calendar = np.datetime64(months.first_day.date(), "D") + np.arange(days)
        month_of_day = (calendar.astype("datetime64[M]").astype(np.int64)
                        - calendar[0].astype("datetime64[M]").astype(np.int64)).astype(np.int16)
        valid = (day >= 0) & (day < days)
        codes = month_of_day.take(np.where(valid, day, 0))
        codes[~valid] = -1
        return codes
    column = df[key]
    if key == "domestic_abuse":
        return column.fillna(False).to_numpy(dtype=bool).take(rows).view(np.int8)
    levels = _LEVELS[key]
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.array.codes
        categories = tuple(column.cat.categories)
        if categories == tuple(levels):
            return codes.take(rows)
        remap = np.append(pd.Index(levels).get_indexer(list(categories)), -1).astype(np.int32)
        return remap.take(codes.take(rows).astype(np.intp))
    return pd.Index(levels).get_indexer(column.to_numpy(dtype=object).take(rows))


class _Groups:
    """The groups of ``by`` over a period: every combination of the keys' levels, in order.

    Row codes (:meth:`codes`) are group number + 1, so that 0 means "in no
    group" and counting is one ``bincount``.
    """

    def __init__(self, by: tuple[str, ...], months: Period):
        self.by, self.months = by, months
        self.sizes = [months.months if k == "month" else len(_LEVELS[k]) for k in by]
        self.size = int(np.prod(self.sizes)) if by else 1

    def level_codes(self, key: str) -> np.ndarray:
        """The code of ``key``'s level in each group."""
        position = np.arange(self.size)
        index = self.by.index(key)
        stride = int(np.prod(self.sizes[index + 1:]))
        return position // stride % self.sizes[index]

    def columns(self) -> dict[str, object]:
        """The ``by`` columns of the output: one value per group."""
        from .schema import BCU_DTYPE, BOROUGH_DTYPE, OFFENCE_GROUP_DTYPE

        dtypes = {"bcu": BCU_DTYPE, "borough": BOROUGH_DTYPE, "offence_group": OFFENCE_GROUP_DTYPE}
        columns: dict[str, object] = {}
        for key in self.by:
            codes = self.level_codes(key)
            if key == "month":
                first = np.datetime64(str(self.months.start), "M")
                columns[key] = (first + np.arange(self.months.months)).astype(str).astype(object)[codes]
            elif key == "domestic_abuse":
                columns[key] = codes.astype(bool)
            else:
                columns[key] = pd.Categorical.from_codes(codes, dtype=dtypes[key])
        return columns

    def frame(self, values: dict[str, object]) -> pd.DataFrame:
        """The output: ``by`` columns, then ``values`` (arrays with one value per group, or scalars)."""
        return pd.DataFrame({**self.columns(), **values}, index=pd.RangeIndex(self.size))

    def codes(self, df: pd.DataFrame, rows: np.ndarray, month_from: str = "recorded_date") -> np.ndarray:
        """Group number + 1 of each of ``rows`` (0 where a key has no group)."""
        if not self.by:
            return np.ones(len(rows), dtype=np.int8)
        if len(self.by) == 1:
            return _key_codes(df, self.by[0], rows, self.months, month_from).astype(np.int32) + 1
        code = np.zeros(len(rows), dtype=np.int64)
        valid = np.ones(len(rows), dtype=bool)
        for key, size in zip(self.by, self.sizes):
            key_code = _key_codes(df, key, rows, self.months, month_from)
            valid &= key_code >= 0
            code = code * size + key_code
        return np.where(valid, code + 1, 0)

    def count(self, codes: np.ndarray) -> np.ndarray:
        """Rows per group, from :meth:`codes`."""
        return np.bincount(codes, minlength=self.size + 1)[1:self.size + 1].astype(np.int64)


def _outcome_lookup(column: pd.Series, codes: frozenset[str] | None) -> np.ndarray:
    """For each outcome category code + 1 (0 = no outcome): is it in ``codes`` (None: is it pending)?"""
    lookup = np.zeros(len(column.cat.categories) + 1, dtype=bool)
    if codes is None:
        lookup[0] = True
    else:
        lookup[1:] = np.isin(np.asarray(column.cat.categories, dtype=object), list(codes))
    return lookup


def _outcome_in(df: pd.DataFrame, codes: frozenset[str] | None, rows: np.ndarray) -> np.ndarray:
    """Is the outcome of each of ``rows`` in ``codes``?  ``codes=None``: is it pending (no outcome)?"""
    column = df["outcome_code"]
    if isinstance(column.dtype, pd.CategoricalDtype) and len(column.cat.categories) < 127:
        return np.take(_outcome_lookup(column, codes), column.array.codes.take(rows) + np.int8(1))
    values = column.iloc[rows]
    return (values.isna() if codes is None else values.astype(object).isin(codes)).to_numpy(dtype=bool)


def _proportion(numerator, denominator) -> dict[str, np.ndarray]:
    """numerator, denominator, rate (NaN for a zero denominator) and the Wilson 95% interval."""
    numerator = np.asarray(numerator, dtype=np.int64)
    denominator = np.asarray(denominator, dtype=np.int64)
    rate = np.full(len(numerator), np.nan)
    np.divide(numerator, denominator, out=rate, where=denominator > 0)
    low, high = stats.wilson_interval(numerator, denominator)
    return {"numerator": numerator, "denominator": denominator, "rate": rate,
            "ci_low": np.atleast_1d(low), "ci_high": np.atleast_1d(high)}


class _Base:
    """What every measure starts from: scope, the period, the groups and the crimes recorded in it.

    ``outcomes_by`` (a date) and ``within_days`` restrict which outcomes are
    known: an outcome counts only if dated on or before ``outcomes_by`` and at
    most ``within_days`` days after recording; any other crime counts as
    pending (no outcome yet).
    """

    def __init__(self, df: pd.DataFrame, start, end, by, outcomes_by=None, within_days: int | None = None):
        self.df = df
        self.period = as_period(start, end)
        self.groups = _Groups(_by(by), self.period)
        self.scope = _scope(df)
        self.recorded = _dates(df, "recorded_date")
        #: Positions of the in-scope crimes recorded in the period.
        self.rows = np.flatnonzero(self.scope & _within(self.recorded, self.period))
        self.outcomes_by = None if outcomes_by is None else _as_date(outcomes_by, "outcomes_by")
        self.within_days = _within_days(within_days)
        self._codes: np.ndarray | None = None
        self._crosstab: np.ndarray | None = None

    @property
    def restricted(self) -> bool:
        return self.outcomes_by is not None or self.within_days is not None

    def known(self, rows: np.ndarray) -> np.ndarray:
        """Whether the outcome of each of ``rows`` counts (always, without restrictions)."""
        known = np.ones(len(rows), dtype=bool)
        if not self.restricted:
            return known
        outcome = _dates(self.df, "outcome_date")
        ticks = _ticks_per_day(outcome)
        dates = outcome.take(rows)
        # An outcome counts only if its date is known to meet the restriction: a
        # coded outcome without an outcome_date (which validated records never
        # have) counts as pending, not as reached in time.
        known &= ~np.isnat(dates)
        if self.outcomes_by is not None:
            limit = np.datetime64(self.outcomes_by.date(), "D").astype(outcome.dtype)
            known &= ~(dates > limit)
        if self.within_days is not None:
            recorded = self.recorded.take(rows).astype(outcome.dtype)
            late = (dates.view(np.int64) - recorded.view(np.int64)) > np.int64(self.within_days) * ticks
            known &= ~late
        return known

    @property
    def codes(self) -> np.ndarray:
        """Group code (:meth:`_Groups.codes`) of each of :attr:`rows`."""
        if self._codes is None:
            self._codes = self.groups.codes(self.df, self.rows)
        return self._codes

    def denominator(self) -> np.ndarray:
        """In-scope crimes recorded in the period, per group."""
        return self.groups.count(self.codes)

    def _outcomes(self) -> np.ndarray | None:
        """Crimes per group (rows, from 1) and outcome category + 1 (columns, 0 = none or not yet known), or None."""
        column = self.df["outcome_code"]
        if not (isinstance(column.dtype, pd.CategoricalDtype) and len(column.cat.categories) < 127):
            return None
        if self._crosstab is None:
            width = len(column.cat.categories) + 1
            outcome = column.array.codes.take(self.rows).astype(np.int32) + 1
            if self.restricted:
                outcome[~self.known(self.rows)] = 0
            cell = self.codes.astype(np.int32) * width + outcome
            self._crosstab = np.bincount(cell, minlength=(self.groups.size + 1) * width).reshape(-1, width)
        return self._crosstab

    def numerator(self, codes: frozenset[str] | None, method: str = "cohort") -> np.ndarray:
        """In-scope crimes with an outcome in ``codes`` (None: pending), per group, by the method."""
        if method == "cohort":
            crosstab = self._outcomes()
            if crosstab is not None:  # one bincount serves every code set
                lookup = _outcome_lookup(self.df["outcome_code"], codes)
                return crosstab[1:, lookup].sum(axis=1).astype(np.int64)
            known = self.known(self.rows)
            hit = _outcome_in(self.df, codes, self.rows)
            hit = (hit | ~known) if codes is None else (hit & known)
            return self.groups.count(self.codes[hit])
        rows = np.flatnonzero(self.scope & _within(_dates(self.df, "outcome_date"), self.period))
        rows = rows[_outcome_in(self.df, codes, rows) & self.known(rows)]
        return self.groups.count(self.groups.codes(self.df, rows, month_from="outcome_date"))

    def complete(self, as_of) -> np.ndarray:
        """Per group: the month's (or, without ``"month"`` in ``by``, the period's) last day plus
        ``within_days`` is on or before ``as_of``."""
        as_of = latest_date(self.df) if as_of is None else _as_date(as_of, "as_of")
        if "month" in self.groups.by:
            first = self.period.start
            month = self.groups.level_codes("month")
            last = np.array([(first + int(m)).end_time.normalize() for m in range(self.period.months)])[month]
        else:
            last = np.repeat(self.period.last_day, self.groups.size)
        reached = pd.DatetimeIndex(last) + pd.Timedelta(days=self.within_days or 0)
        return np.asarray(reached <= as_of, dtype=bool)


def _as_date(value, what: str) -> pd.Timestamp:
    """A date from ``YYYY-MM-DD`` text, a date or a Timestamp (time of day dropped); ParamsError otherwise."""
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError):
        stamp = pd.NaT
    if stamp is pd.NaT or pd.isna(stamp):
        raise ParamsError(f"Bad {what} {value!r}: expected a date as YYYY-MM-DD, e.g. 2025-03-31.")
    return stamp.tz_localize(None).normalize() if stamp.tzinfo else stamp.normalize()


def _within_days(value) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ParamsError(f"Bad within_days {value!r}: expected a whole number of days, 0 or more (or None).")
    return int(value)


def latest_date(df: pd.DataFrame) -> pd.Timestamp:
    """The data's as-at date by default: the latest recorded or outcome date in ``df`` (as :func:`vawgstats.prepare.prepare`)."""
    latest = max(pd.Series(_dates(df, "recorded_date")).max(), pd.Series(_dates(df, "outcome_date")).max())
    if pd.isna(latest):
        raise ParamsError("No dates in the data to take as_of from: give as_of as YYYY-MM-DD.")
    return pd.Timestamp(latest).normalize()


# --------------------------------------------------------------------------- outcome rates


def _outcome_rate(df, start, end, by, method, codes, within_days=None, as_of=None,
                  outcomes_by=None) -> pd.DataFrame:
    base = _Base(df, start, end, by, outcomes_by=outcomes_by, within_days=within_days)
    numerator = base.numerator(codes, _method(method))
    values = {**_proportion(numerator, base.denominator()), "method": method}
    if base.within_days is not None:
        values["complete"] = base.complete(as_of)
    return base.groups.frame(values)


_RATE_OPTIONS = """``within_days`` (a whole number of days, default None): an outcome counts
    only if reached within that many days of recording (``outcome_date -
    recorded_date <= within_days`` days; later outcomes, and coded outcomes
    without a date, count as none), and the
    output gains a boolean ``complete`` column: whether the month's (with
    ``"month"`` in ``by``) or else the period's last day plus ``within_days``
    is on or before ``as_of`` (``YYYY-MM-DD`` or a Timestamp; default the
    latest recorded or outcome date in ``df``), i.e. whether every crime of
    the group has had the full follow-up.  ``outcomes_by`` (a date, default
    None): an outcome counts only if dated on or before it (the
    maturity-matched comparisons of :func:`compare_periods`)."""


def charge_rate(df: pd.DataFrame, *, start, end, by=("bcu",), method: str = "cohort",
                within_days: int | None = None, as_of=None, outcomes_by=None) -> pd.DataFrame:
    """Charge rate: share of in-scope crimes charged or summonsed.

    Numerator code set :data:`~vawgstats.definitions.CHARGE_CODES` (outcomes 1,
    1A).  Cohort method (default): of the in-scope crimes recorded in the
    period, those whose outcome is in the set; ``method="period"``: in-scope
    crimes (recorded at any time) with such an outcome dated in the period,
    over the in-scope crimes recorded in the period (see the module
    docstring).  Columns: ``by`` columns, ``numerator``, ``denominator``,
    ``rate``, ``ci_low``, ``ci_high`` (Wilson 95%), ``method`` (and
    ``complete`` with ``within_days``).

    {options}
    """
    return _outcome_rate(df, start, end, by, method, d.CHARGE_CODES, within_days, as_of, outcomes_by)


def positive_outcome_rate(df: pd.DataFrame, *, start, end, by=("bcu",), method: str = "cohort",
                          within_days: int | None = None, as_of=None, outcomes_by=None) -> pd.DataFrame:
    """Positive outcome ("detection") rate.

    Numerator code set :data:`~vawgstats.definitions.POSITIVE_OUTCOME_CODES`
    (1, 1A, 2, 3, 4, 6, 7, 8: charge/summons, cautions, TIC, penalty notice,
    cannabis/khat warning, community resolution); methods, options and
    columns as :func:`charge_rate`.
    """
    return _outcome_rate(df, start, end, by, method, d.POSITIVE_OUTCOME_CODES, within_days, as_of, outcomes_by)


#: The positive outcome rate is also called the detection rate.
detection_rate = positive_outcome_rate


def sanction_detection_rate(df: pd.DataFrame, *, start, end, by=("bcu",), method: str = "cohort",
                            within_days: int | None = None, as_of=None, outcomes_by=None) -> pd.DataFrame:
    """Sanction detection rate (the Met's published definition).

    Numerator code set :data:`~vawgstats.definitions.SANCTION_DETECTION_CODES`
    (1, 1A, 2, 3, 4, 6, 7: the positive outcomes without community
    resolution); methods, options and columns as :func:`charge_rate`.
    """
    return _outcome_rate(df, start, end, by, method, d.SANCTION_DETECTION_CODES, within_days, as_of,
                         outcomes_by)


charge_rate.__doc__ = charge_rate.__doc__.replace("{options}", _RATE_OPTIONS)


#: Attrition measures: name -> code set (``None`` = pending, no outcome yet).
ATTRITION_MEASURES: dict[str, frozenset[str] | None] = {
    **dict(d.ATTRITION_CODES), "no_suspect_identified": d.NO_SUSPECT_CODES, "pending": None,
}


def attrition(df: pd.DataFrame, *, start, end, by=("bcu",), method: str = "cohort",
              outcomes_by=None) -> pd.DataFrame:
    """Attrition: shares of the in-scope crimes recorded in the period lost, by reason (long format).

    One row per group and ``measure``, measures in this order: each key of
    :data:`~vawgstats.definitions.ATTRITION_CODES` (evidential difficulties:
    outcomes 14, 15 and 16 separately, then together), ``no_suspect_identified``
    (:data:`~vawgstats.definitions.NO_SUSPECT_CODES`, outcome 18) and
    ``pending`` (no outcome yet), each over the in-scope crimes recorded in the
    period.  With ``method="period"`` the outcome measures count outcomes
    dated in the period; ``pending`` is always as at extraction (or, with
    ``outcomes_by``, as at that date: an outcome dated later counts as
    pending, and not in its measure).  Columns:
    ``by`` columns, ``measure``, ``numerator``, ``denominator``, ``rate``,
    ``ci_low``, ``ci_high``, ``method``.
    """
    base = _Base(df, start, end, by, outcomes_by=outcomes_by)
    method = _method(method)
    names = list(ATTRITION_MEASURES)
    numerators = np.column_stack([base.numerator(codes, method if codes is not None else "cohort")
                                  for codes in ATTRITION_MEASURES.values()])
    proportion = _proportion(numerators.ravel(), np.repeat(base.denominator(), len(names)))
    repeat = np.repeat(np.arange(base.groups.size), len(names))
    keys = {key: values[repeat] for key, values in base.groups.columns().items()}
    return pd.DataFrame({**keys, "measure": np.tile(np.array(names, dtype=object), base.groups.size),
                         **proportion, "method": method})


# --------------------------------------------------------------------------- repeats

_ID_CACHE: list[tuple[object, np.ndarray]] = []
_ID_CACHE_SIZE = 4


def _fixed_width_codes(chunk) -> np.ndarray | None:
    """Integer codes of an Arrow string array whose values all have one length.

    Exact bit-packing: each byte position is stored in as many bits as the
    range of its values needs (a digit in 4 bits, a constant prefix in none),
    so equal identifiers get equal codes and different ones different codes.
    Codes are not dense; when they would need more than 40 bits they are
    renumbered 0, 1, 2... by sorting.  Returns None when the values have
    different lengths or need more than 63 bits.
    """
    import pyarrow as pa

    n = len(chunk)
    if not (pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type)):
        return None
    valid = ~np.asarray(chunk.is_null(), dtype=bool) if chunk.null_count else np.ones(n, dtype=bool)
    if not valid.any():
        return np.full(n, -1, dtype=np.int64)
    buffers = chunk.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int64 if pa.types.is_large_string(chunk.type) else np.int32)
    offsets = offsets[chunk.offset:chunk.offset + n + 1]
    lengths = np.diff(offsets)
    width = int(lengths[np.argmax(valid)])
    if width == 0 or (lengths != np.where(valid, width, 0)).any():
        return None
    columns = np.frombuffer(buffers[2], dtype=np.uint8)[offsets[0]:offsets[-1]].reshape(-1, width).T.copy()
    low, high = columns.min(axis=1), columns.max(axis=1)
    bits = [int(h - lo).bit_length() for lo, h in zip(low, high)]
    if sum(bits) > 63:
        return None
    # Pack byte positions into 32-bit words, then the words into the int64 key.
    key = np.zeros(columns.shape[1], dtype=np.int64)
    word, word_bits = np.zeros(columns.shape[1], dtype=np.uint32), 0
    for position in [p for p in range(width) if bits[p]] + [None]:
        if position is None or word_bits + bits[position] > 32:
            key <<= word_bits
            key |= word
            word[:], word_bits = 0, 0
            if position is None:
                break
        word <<= np.uint32(bits[position])
        word |= columns[position] - low[position]
        word_bits += bits[position]
    if sum(bits) > 40:
        order = np.argsort(key)
        ordered = key[order]
        new = np.empty(len(key), dtype=bool)
        new[:1] = True
        new[1:] = ordered[1:] != ordered[:-1]
        key[order] = np.cumsum(new) - 1
    codes = np.full(n, -1, dtype=np.int64)
    codes[valid] = key
    return codes


def _id_codes(series: pd.Series) -> np.ndarray:
    """Integer codes of an identifier column (equal ids, equal codes; -1 = missing; not dense).

    Memoised per Arrow array (Arrow arrays are immutable, so the same array
    object always holds the same values); other dtypes are factorised each call.
    """
    arrow = None
    if getattr(series.dtype, "storage", None) == "pyarrow" or isinstance(series.dtype, pd.ArrowDtype):
        arrow = series.array.__arrow_array__()
        for cached, codes in _ID_CACHE:
            if cached is arrow:
                return codes
    codes = None
    if arrow is not None:
        chunk = arrow.combine_chunks() if hasattr(arrow, "combine_chunks") else arrow
        codes = _fixed_width_codes(chunk)
    if codes is None:
        codes = pd.factorize(series, use_na_sentinel=True)[0].astype(np.int64)
    if arrow is not None:
        _ID_CACHE.append((arrow, codes))
        del _ID_CACHE[:-_ID_CACHE_SIZE]
    return codes


def _bound(values: np.ndarray) -> int:
    """One more than the largest value (1 for an empty array)."""
    return int(values.max()) + 1 if len(values) else 1


def _sort_packed(columns: list[tuple[np.ndarray, int]], kind: str = "quicksort") -> list[np.ndarray]:
    """Sort rows by several non-negative integer columns (first = most significant).

    ``columns`` are ``(values, bound)`` with ``0 <= values < bound``.  Packs the
    columns into the bits of one int64 and sorts that when they fit (much
    faster than an argsort), else uses ``lexsort``.  Returns the columns in
    sorted order (as int64).  ``kind="stable"`` is faster on nearly sorted input.
    """
    bits = [max(int(bound) - 1, 0).bit_length() for _, bound in columns]
    if sum(bits) <= 62:
        key = np.zeros(len(columns[0][0]), dtype=np.int64)
        for (values, _), width in zip(columns, bits):
            if width:
                key <<= width
                key |= values
        key.sort(kind=kind)
        out = []
        for width in reversed(bits):
            out.append(key & ((1 << width) - 1))
            key >>= width
        return out[::-1]
    order = np.lexsort([values for values, _ in reversed(columns)])
    return [values[order].astype(np.int64) for values, _ in columns]


def repeat_victimisation_rate(df: pd.DataFrame, *, start, end, by=("bcu",),
                              window_days: int = d.REPEAT_WINDOW_DAYS) -> pd.DataFrame:
    """Repeat victimisation rate: share of victims with another crime within the window.

    Per group, the denominator is the distinct ``victim_id``s with at least one
    in-scope crime recorded in the period in that group; the numerator is those
    of them for whom at least one of those crimes has another in-scope crime of
    the same victim (a different ``crime_id``, anywhere in London and in any
    group, possibly before the period) recorded on a date d' with
    ``recorded_date - window_days <= d' <= recorded_date`` (so another crime on
    the same day counts).  Crimes without a ``victim_id`` are excluded, and
    counted.  A victim with crimes in two groups (two BCUs, or two months with
    ``"month"`` in ``by``) counts in each, so group counts need not add up to
    London's.  Columns: ``by`` columns, ``numerator``, ``denominator``,
    ``rate``, ``ci_low``, ``ci_high`` (Wilson 95%), ``crimes_without_victim_id``
    (in-scope crimes recorded in the period in the group with no victim ID).

    Vectorised: the candidate crimes are sorted by victim and date (one packed
    integer sort); a crime has an earlier one in the window when the row
    before it is the same victim at most ``window_days`` earlier, or the row
    after it is the same victim on the same day.
    """
    if isinstance(window_days, bool) or int(window_days) != window_days or window_days < 0:
        raise ParamsError(f"Bad window_days {window_days!r}: expected a whole number of days, 0 or more.")
    window_days = int(window_days)
    base = _Base(df, start, end, by)
    groups, size = base.groups, base.groups.size
    victims = _id_codes(df["victim_id"])
    victim_in = victims.take(base.rows)
    has_victim = victim_in >= 0
    without = groups.count(base.codes[~has_victim])

    # Crimes in the period (with their group code) and, with group code 0, the in-scope
    # crimes in the window before the period that can be the earlier crime of one of them.
    first, _ = _bounds(base.period, base.recorded)
    ticks = _ticks_per_day(base.recorded)
    earliest = first - window_days * ticks
    recorded = base.recorded.view(np.int64)
    before = np.flatnonzero(base.scope & (victims >= 0)
                            & ((recorded - np.int64(earliest)).view(np.uint64) < np.uint64(first - earliest)))
    victim = np.concatenate([victim_in[has_victim], victims.take(before)])
    day = (recorded.take(np.concatenate([base.rows[has_victim], before])) - earliest) // ticks  # 0 = first day
    group = np.concatenate([base.codes[has_victim], np.zeros(len(before), dtype=np.int32)])
    day_bits, group_bits = _bound(day).bit_length(), size.bit_length()
    if _bound(victim).bit_length() + day_bits + group_bits + 1 > 63:
        victim = np.unique(victim, return_inverse=True)[1].astype(np.int64)   # renumber 0, 1, 2...
    if _bound(victim).bit_length() + day_bits + group_bits + 1 > 63:
        raise ParamsError(f"Too many victims, days and groups to count at once (by={base.groups.by}).")
    # One int64 per crime, victim | day | group (0 = before the period): sorting orders by victim and date.
    key = (victim << (day_bits + group_bits)) | (day << group_bits) | group
    key.sort()
    victim = key >> (day_bits + group_bits)
    day = (key >> group_bits) & ((1 << day_bits) - 1)
    same_victim = victim[1:] == victim[:-1]
    gap = np.diff(day)
    repeat = np.zeros(len(key), dtype=np.int64)
    repeat[1:] = same_victim & (gap <= window_days)     # the victim's previous crime is in the window
    repeat[:-1] |= same_victim & (gap == 0)              # or her next crime is on the same day

    # Distinct (victim, group) pairs of crimes in the period; a pair is a repeat if any of its crimes is.
    group_mask = (1 << group_bits) - 1
    pair = ((victim << group_bits) | (key & group_mask)) << 1 | repeat
    pair = pair[(key & group_mask) > 0]
    pair.sort(kind="stable")                             # already sorted by victim: nearly sorted
    last = np.ones(len(pair), dtype=bool)                # the last row of a pair has its largest flag
    last[:-1] = (pair[1:] >> 1) != (pair[:-1] >> 1)
    pair = pair[last]
    pair_group = (pair >> 1) & group_mask
    denominator = groups.count(pair_group)
    numerator = groups.count(pair_group[(pair & 1) == 1])
    return groups.frame({**_proportion(numerator, denominator), "crimes_without_victim_id": without})


def repeat_suspects(df: pd.DataFrame, *, start, end, by=("bcu",)) -> pd.DataFrame:
    """Repeat suspects: distinct suspects with 2 or more in-scope crimes in 12 months.

    The window is the 12 whole months ending with ``end``, on
    ``recorded_date`` (``start`` is only checked).  Per group, ``suspects`` is
    the number of distinct ``suspect_id``s with any in-scope crime recorded in
    the window in that group, and ``repeat_suspects`` the number of them with 2
    or more such crimes *in that group*: a suspect with one crime in each of
    two BCUs is a repeat suspect for London but for neither BCU, so group
    counts need not add up to London's.  With ``"month"`` in ``by`` the months
    are the 12 months of the window.  Crimes with no suspect ID are ignored.
    Counts only, never identifiers.  Columns: ``by`` columns, ``suspects``,
    ``repeat_suspects``, the repeat share as ``numerator`` (= repeat_suspects),
    ``denominator`` (= suspects), ``rate``, ``ci_low``, ``ci_high`` (Wilson
    95%), and ``window_start``, ``window_end`` (``YYYY-MM``).
    """
    period = as_period(start, end)
    window = Period(period.end - 11, period.end)
    base = _Base(df, str(window.start), str(window.end), by)
    suspects = _id_codes(df["suspect_id"]).take(base.rows)
    counted = (suspects >= 0) & (base.codes > 0)
    suspect, group = _sort_packed([(suspects[counted], _bound(suspects)),
                                   (base.codes[counted], base.groups.size + 1)])
    starts = np.ones(len(suspect), dtype=bool)
    starts[1:] = (suspect[1:] != suspect[:-1]) | (group[1:] != group[:-1])
    first = np.flatnonzero(starts)
    crimes = np.diff(np.append(first, len(suspect)))     # crimes of each (suspect, group)
    total = base.groups.count(group[first])
    repeat = base.groups.count(group[first][crimes >= 2])
    return base.groups.frame({"suspects": total, "repeat_suspects": repeat, **_proportion(repeat, total),
                              "window_start": str(window.start), "window_end": str(window.end)})


# --------------------------------------------------------------------------- timeliness and volume


def _quantiles(values: np.ndarray, codes: np.ndarray, size: int, qs: tuple[float, ...]) -> list[np.ndarray]:
    """Per-group quantiles by linear interpolation (numpy's default, Hyndman and Fan type 7)."""
    ok = codes > 0
    values, codes = values[ok], codes[ok] - 1
    whole = values.astype(np.int64)
    if len(values) and (whole == values).all() and whole.min() >= 0:  # whole days: one packed sort
        values = _sort_packed([(codes, size), (whole, _bound(whole))])[1].astype(float)
    else:
        values = values[np.lexsort((values, codes))]
    counts = np.bincount(codes, minlength=size)
    starts = np.cumsum(counts) - counts
    has = counts > 0
    out = []
    for q in qs:
        position = starts + q * (counts - 1)
        low = np.floor(position).astype(np.int64)
        high = np.ceil(position).astype(np.int64)
        result = np.full(size, np.nan)
        result[has] = values[low[has]] + (position[has] - low[has]) * (values[high[has]] - values[low[has]])
        out.append(result)
    return out


def time_to_charge(df: pd.DataFrame, *, start, end, by=("bcu",), outcomes_by=None) -> pd.DataFrame:
    """Timeliness: days from recording to charge, for charged in-scope crimes.

    Crimes: in scope, recorded in the period, with an outcome in
    :data:`~vawgstats.definitions.CHARGE_CODES` (1, 1A) as at extraction.  Days
    = ``outcome_date - recorded_date``.  Columns: ``by`` columns, ``charged``
    (the number of such crimes), ``median_days``, ``q1_days`` and ``q3_days``
    (quartiles by linear interpolation, numpy's default); NaN when none is charged.
    With ``outcomes_by`` (a date) only charges dated on or before it count
    (maturity-matched comparisons).
    """
    base = _Base(df, start, end, by, outcomes_by=outcomes_by)
    rows = base.rows[_outcome_in(df, d.CHARGE_CODES, base.rows)]
    rows = rows[base.known(rows)]
    codes = base.groups.codes(df, rows)
    days = (_dates(df, "outcome_date").take(rows) - base.recorded.take(rows)) / np.timedelta64(1, "D")
    dated = ~np.isnan(days)
    q1, median, q3 = _quantiles(days[dated], codes[dated], base.groups.size, (0.25, 0.5, 0.75))
    return base.groups.frame({"charged": base.groups.count(codes), "median_days": median,
                              "q1_days": q1, "q3_days": q3})


@lru_cache(maxsize=4)
def _female_population(level: str) -> np.ndarray:
    """Female residents per level of ``"borough"`` or ``"bcu"`` (in level order), or London's."""
    if level == "london":
        values = np.array([float(female_population("london").iloc[0])])
    else:
        values = female_population(level).reindex(list(_LEVELS[level])).to_numpy(dtype=float)
    values.flags.writeable = False
    return values


def _given_population(level: str, population: pd.Series) -> np.ndarray:
    """Female residents per level from a borough Series (e.g. from :mod:`vawgstats.population`)."""
    from .geography import BOROUGH_TO_BCU

    boroughs = population.reindex(list(BOROUGHS)).astype(float)
    if level == "london":
        return np.array([float(boroughs.sum())])
    if level == "bcu":
        return boroughs.groupby(boroughs.index.map(BOROUGH_TO_BCU)).sum().reindex(list(_LEVELS["bcu"])).to_numpy()
    return boroughs.reindex(list(_LEVELS["borough"])).to_numpy()


def per_population(df: pd.DataFrame, *, start, end, by=("bcu",), population: pd.Series | None = None) -> pd.DataFrame:
    """In-scope crimes recorded in the period per 1,000 female residents.

    ``population``: female residents per borough (index: borough names), e.g. a
    year of a user's file (:func:`vawgstats.population.choose`); default
    :func:`vawgstats.geography.female_population` (ONS mid-2019).
    Population of the group's borough (with ``"borough"`` in ``by``), BCU (with ``"bcu"``)
    or London; other keys (``offence_group``, ``domestic_abuse``, ``month``)
    split the crimes, not the population.  Columns: ``by`` columns, ``crimes``,
    ``female_population``, ``rate_per_1000`` (crimes in the period per 1,000),
    ``ci_low``, ``ci_high`` (exact Poisson 95% interval, Garwood, per 1,000)
    and ``per_year_per_1000`` (``rate_per_1000`` annualised: divided by the
    period's months / 12, or by 1/12 for a month with ``"month"`` in ``by``).
    """
    base = _Base(df, start, end, by)
    crimes = base.denominator()
    level = next((k for k in ("borough", "bcu") if k in base.groups.by), None)
    residents = (_female_population if population is None
                 else lambda unit_level: _given_population(unit_level, population))
    if level is None:
        population = np.repeat(residents("london"), base.groups.size)
    else:
        population = residents(level)[base.groups.level_codes(level)]
    rate = np.full(len(crimes), np.nan)
    np.divide(crimes * 1000.0, population, out=rate, where=population > 0)
    low, high = stats.poisson_rate_interval(crimes, population)
    months = 1 if "month" in base.groups.by else base.period.months
    return base.groups.frame({
        "crimes": crimes, "female_population": population, "rate_per_1000": rate,
        "ci_low": np.atleast_1d(low) * 1000, "ci_high": np.atleast_1d(high) * 1000,
        "per_year_per_1000": rate * 12 / months,
    })


# --------------------------------------------------------------------------- comparisons

# Comparisons (changes between periods, funnel limits) live in :mod:`vawgstats.comparisons`;
# they are part of this module's interface.
from .comparisons import (  # noqa: E402  (they use the measures above)
    OUTCOME_METRICS, POSITIONS, PROPORTION_METRICS, compare_periods, date_precision, funnel_limits,
    funnel_position,
)
