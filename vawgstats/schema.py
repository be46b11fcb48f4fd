"""The data contract: canonical columns, dtypes, validation, and ``load``.

One row per recorded crime, in CSV (optionally gzipped or zipped) or Parquet:

==================  ==========================================================
column              meaning
==================  ==========================================================
``crime_id``        string, unique, never empty
``recorded_date``   date the crime was recorded (``YYYY-MM-DD``)
``offence_date``    date the offence was committed, may be empty
``borough``         one of the 32 boroughs (common spellings and ONS codes accepted)
``lsoa_code``       LSOA code (``E01...``), may be empty
``offence_group``   rape, other_sexual, stalking, harassment, coercive_control,
                    violence_with_injury, violence_without_injury, other
                    (and ``violence_and_sexual_offences`` for police.uk imports)
``domestic_abuse``  boolean flag (true/false, 1/0, yes/no, y/n)
``victim_id``       pseudonymised victim identifier, may be empty
``victim_sex``      F, M or U
``victim_age``      whole years 0-120, may be empty
``suspect_id``      pseudonymised suspect identifier, may be empty
``outcome_code``    Home Office outcome type (1, 1A, 2-18, 20-22); empty = no outcome yet
``outcome_date``    date of the outcome; empty exactly when outcome_code is empty
==================  ==========================================================

Optional columns written by the importers: ``latitude``, ``longitude``,
``crime_type`` and ``source``.  Any other column is an error.

:func:`load` returns a validated DataFrame with the canonical dtypes plus a
derived ``bcu`` column.  Every problem found is reported at once in a
:class:`~vawgstats.errors.DataError` naming the file, the column, up to
:data:`MAX_ROWS_SHOWN` line numbers with their values, and what was expected.
Reading the file is :mod:`vawgstats.records_file`; the structural checks
(columns, parsing) are written here; the rules on parsed values (allowed
values, ranges, uniqueness, date order) are a pandera schema, :func:`record_schema`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import definitions as d
from .errors import DataError
from .geography import BCU_CODES, BOROUGH_TO_BCU, BOROUGHS, normalise_borough
from .records_file import MAX_ROWS_SHOWN, read_raw

#: The canonical columns, in order.
CANONICAL_COLUMNS: tuple[str, ...] = (
    "crime_id", "recorded_date", "offence_date", "borough", "lsoa_code",
    "offence_group", "domestic_abuse", "victim_id", "victim_sex", "victim_age",
    "suspect_id", "outcome_code", "outcome_date",
)
#: Columns the importers may add; accepted and kept when present.
OPTIONAL_COLUMNS: tuple[str, ...] = ("latitude", "longitude", "crime_type", "source")
DATE_COLUMNS = ("recorded_date", "offence_date", "outcome_date")
OPTIONAL_TEXT = ("lsoa_code", "victim_id", "suspect_id", "crime_type", "source")
#: Earliest plausible dates: recording and outcomes (1990), offences (1920: historic
#: sexual offences are reported decades later).
EARLIEST_RECORDED = pd.Timestamp("1990-01-01")
EARLIEST_OFFENCE = pd.Timestamp("1920-01-01")
#: Columns with few distinct values, read from CSV as categoricals (:func:`read_csv_text`):
#: parsing and checking each distinct value once is then cheap.
DICTIONARY_COLUMNS = tuple(c for c in CANONICAL_COLUMNS + OPTIONAL_COLUMNS
                           if c not in ("crime_id", "victim_id", "suspect_id", "latitude", "longitude"))

BOROUGH_DTYPE = pd.CategoricalDtype(list(BOROUGHS))
BCU_DTYPE = pd.CategoricalDtype(list(BCU_CODES))
OFFENCE_GROUP_DTYPE = pd.CategoricalDtype(list(d.ALLOWED_OFFENCE_GROUPS))
SEX_DTYPE = pd.CategoricalDtype(list(d.VICTIM_SEXES))
OUTCOME_DTYPE = pd.CategoricalDtype(list(d.OUTCOME_CODES))

_TRUE = {"true", "t", "1", "yes", "y"}
_FALSE = {"false", "f", "0", "no", "n"}
_SEX = {"f": "F", "female": "F", "m": "M", "male": "M", "u": "U", "unknown": "U"}


@dataclass
class Problem:
    """One broken rule: which column, which rows, what was expected."""

    column: str
    expected: str
    rows: list[int]
    values: list[object]
    count: int

    def describe(self, row_word: str) -> str:
        shown = ", ".join(
            f"{row_word} {row}" + ("" if value is None else f" ({value!r})")
            for row, value in zip(self.rows[:MAX_ROWS_SHOWN], self.values[:MAX_ROWS_SHOWN])
        )
        more = f" and {self.count - MAX_ROWS_SHOWN} more" if self.count > MAX_ROWS_SHOWN else ""
        plural = "s" if self.count != 1 else ""
        return f"column '{self.column}': {self.count} row{plural} where {self.expected}: {shown}{more}."


# --------------------------------------------------------------------------- reading


def _row_word_and_offset(fmt: str) -> tuple[str, int]:
    # CSV: report the line in the file (header is line 1). Parquet: the row number.
    return ("line", 2) if fmt == "csv" else ("row", 1)


def read_records(path: str | Path) -> tuple[pd.DataFrame, str]:
    """Read a records file as it is (no validation): :func:`vawgstats.records_file.read_raw`, with
    the contract's columns of few distinct values (:data:`DICTIONARY_COLUMNS`) as categoricals.
    Returns the frame and ``"csv"`` or ``"parquet"``."""
    return read_raw(path, DICTIONARY_COLUMNS)


# --------------------------------------------------------------------------- parsing


def _codes_and_values(series: pd.Series) -> tuple[np.ndarray, list]:
    """(codes, distinct values) of a column; code -1 marks a missing value."""
    if isinstance(series.dtype, pd.CategoricalDtype):  # e.g. a CSV column read as a dictionary
        return series.cat.codes.to_numpy(), list(series.cat.categories)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    return codes, list(uniques)


def _per_value(series: pd.Series, func) -> pd.Series:
    """Apply ``func`` to each distinct value once (fast for low-cardinality columns)."""
    codes, uniques = _codes_and_values(series)
    mapped = [func(value) for value in uniques]
    lookup = np.array(mapped + [func(None)], dtype=object)
    # object dtype as given: inferring a string dtype would convert every value (0.3 s a million)
    return pd.Series(lookup[codes], index=series.index, dtype=object)


def _per_category(series: pd.Series, func) -> pd.Series:
    """:func:`_per_value` for a ``func`` that always returns a string, as a categorical of the
    strings (``.astype(object)`` gives :func:`_per_value`'s column): checking and converting
    it then costs one step per distinct value."""
    codes, uniques = _codes_and_values(series)
    mapped = [func(value) for value in uniques] + [func(None)]
    categories, positions = np.unique(np.array(mapped, dtype=object), return_inverse=True)
    lookup = positions.reshape(-1).astype(np.int32)
    present = np.roll(np.bincount(codes + 1, minlength=len(mapped)) > 0, -1)  # code -1: the last
    used = np.zeros(len(categories), dtype=bool)
    used[lookup[present]] = True  # drop the values no row has (e.g. func(None))
    renumber = np.cumsum(used, dtype=np.int32) - 1
    return pd.Series(pd.Categorical.from_codes(renumber[lookup[codes]], categories=categories[used].tolist()),
                     index=series.index)


def _stringify(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _text(series: pd.Series, *, upper: bool = False, empty_missing: bool = False) -> pd.Series:
    """Values as stripped strings (``string`` dtype), with missing values as ''.

    ``upper``: in upper case.  ``empty_missing``: empty and missing values as <NA> instead
    (an optional text column of the canonical frame).  A categorical's distinct values
    are made once, then spread (no pass over every row but the spreading).
    """
    if isinstance(series.dtype, pd.CategoricalDtype):
        values = list(series.cat.categories)
        if all(isinstance(v, str) for v in values):  # as for a column of these strings
            lookup = _text(pd.Series(values + [None], dtype=object), upper=upper, empty_missing=empty_missing).array
        else:
            lookup = _finish_text(pd.Series([_stringify(v) for v in values] + [""], dtype="string"), upper,
                                  empty_missing).array
        return pd.Series(lookup.take(series.cat.codes.to_numpy()), index=series.index)  # -1: the last, ""
    if pd.api.types.is_string_dtype(series.dtype) or isinstance(series.dtype, pd.StringDtype):
        text = series.astype("string").fillna("").str.strip()
    else:
        text = _per_value(series, _stringify).astype("string")
    return _finish_text(text, upper, empty_missing)


def _finish_text(text: pd.Series, upper: bool, empty_missing: bool) -> pd.Series:
    if upper:
        text = text.str.upper()
    return text.replace("", pd.NA) if empty_missing else text


def _to_ns(parsed: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Datetimes as datetime64[ns]; values beyond its range (e.g. 9999-12-31) become NaT and are flagged."""
    beyond = parsed.notna() & ((parsed < pd.Timestamp.min) | (parsed > pd.Timestamp.max))
    return parsed.mask(beyond).astype("datetime64[ns]"), beyond.astype(bool)


def _parse_dates(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(parsed datetimes, mask of non-empty values that could not be parsed)."""
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        if getattr(series.dt, "tz", None) is not None:
            series = series.dt.tz_localize(None)
        parsed, beyond = _to_ns(series)
        return parsed.dt.normalize(), beyond
    # Parse each distinct text once (a few thousand dates among a million rows), then spread.
    if isinstance(series.dtype, pd.CategoricalDtype):
        parsed, bad = _parse_dates(pd.Series(list(series.cat.categories) + [None], dtype=object))
        codes = series.cat.codes.to_numpy()  # -1 (missing) takes the last: None, as empty text
        return (pd.Series(parsed.to_numpy()[codes], index=series.index, dtype="datetime64[ns]"),
                pd.Series(bad.to_numpy()[codes], index=series.index, dtype=bool))
    codes, uniques = pd.factorize(_text(series))
    text = pd.Series(np.asarray(uniques, dtype=object), dtype=object)
    parsed = pd.to_datetime(text.where(text != ""), format="ISO8601", errors="coerce")
    bad = (text != "") & parsed.isna()
    if bad.any():  # one more try for day-first dates (dd/mm/yyyy) as written by spreadsheets
        retry = pd.to_datetime(text.where(bad), format="%d/%m/%Y", errors="coerce")
        parsed = parsed.fillna(retry)
        bad = (text != "") & parsed.isna()
    parsed, beyond = _to_ns(parsed)
    parsed, bad = parsed.dt.normalize().to_numpy(), (bad | beyond).to_numpy(dtype=bool)
    return (pd.Series(parsed[codes], index=series.index, dtype="datetime64[ns]"),
            pd.Series(bad[codes], index=series.index, dtype=bool))


def _bool_value(value: object) -> object:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    text = _stringify(value).lower()
    return True if text in _TRUE else False if text in _FALSE else None


def _parse_bool(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    codes, uniques = _codes_and_values(series)
    mapped = [_bool_value(value) for value in uniques] + [_bool_value(None)]  # code -1: the last
    value = np.array([bool(v) if v is not None else False for v in mapped], dtype=bool)
    bad = np.array([v is None for v in mapped], dtype=bool)
    return pd.Series(value[codes], index=series.index), pd.Series(bad[codes], index=series.index)


def _age_value(value: object) -> float:
    text = _stringify(value)
    if text == "":
        return np.nan
    try:
        number = float(text)
    except ValueError:
        return -1.0  # marks "not a number"
    return number if number.is_integer() else -1.0


def _parse_age(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    number = _per_value(series, _age_value).astype(float)
    bad = number.eq(-1.0)
    return pd.array(number.where(~bad), dtype="Float64").astype("Int16"), bad


def _code_value(value: object) -> str:
    text = _stringify(value).upper()
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    return text.lstrip("0") if text[:1] == "0" and len(text) > 1 else text


def _problem(column: str, expected: str, mask: pd.Series, values: pd.Series, offset: int,
             show_values: bool = True) -> Problem:
    index = np.flatnonzero(np.asarray(mask))
    shown = index[:MAX_ROWS_SHOWN]
    return Problem(column, expected, [int(i) + offset for i in shown],
                   [values.iloc[i] if show_values else None for i in shown], len(index))


# --------------------------------------------------------------------------- rules (pandera)


def record_schema(as_of: pd.Timestamp):
    """The pandera schema for parsed records: allowed values, ranges, uniqueness, date order."""
    import pandera.pandas as pa

    last = pd.Timestamp(as_of).normalize()

    def on_or_before(later: str, earlier: str):
        return lambda df: df[later].isna() | df[earlier].isna() | (df[later] >= df[earlier])

    return pa.DataFrameSchema(
        {
            "crime_id": pa.Column(None, [
                pa.Check(lambda s: s != "", error="crime_id is empty (every crime needs an identifier)"),
            ], unique=True, report_duplicates="all"),
            "recorded_date": pa.Column(None, [
                pa.Check.in_range(EARLIEST_RECORDED, last, error=(
                    f"recorded_date is outside {EARLIEST_RECORDED.date()} to {last.date()} (as_of)")),
            ], nullable=True),
            "offence_date": pa.Column(None, [
                pa.Check.in_range(EARLIEST_OFFENCE, last, error=(
                    f"offence_date is outside {EARLIEST_OFFENCE.date()} to {last.date()} (as_of)")),
            ], nullable=True),
            "outcome_date": pa.Column(None, [
                pa.Check.in_range(EARLIEST_RECORDED, last, error=(
                    f"outcome_date is outside {EARLIEST_RECORDED.date()} to {last.date()} (as_of)")),
            ], nullable=True),
            "borough": pa.Column(None, pa.Check.isin(BOROUGHS, error=(
                "borough is not one of the 32 London boroughs policed by the Met"))),
            "offence_group": pa.Column(None, pa.Check.isin(d.ALLOWED_OFFENCE_GROUPS, error=(
                "offence_group is not one of " + ", ".join(d.OFFENCE_GROUPS)))),
            "victim_sex": pa.Column(None, pa.Check.isin(d.VICTIM_SEXES, error="victim_sex is not F, M or U")),
            "outcome_code": pa.Column(None, pa.Check.isin(("",) + d.OUTCOME_CODES, error=(
                "outcome_code is not a Home Office outcome type (1, 1A, 2-18, 20, 21, 22) or empty"))),
            "victim_age": pa.Column(None, pa.Check.in_range(0, 120, error="victim_age is not 0-120"),
                                    nullable=True),
            "lsoa_code": pa.Column(None, pa.Check.str_matches(r"^(E01\d{6})?$", error=(
                "lsoa_code is not an LSOA code like E01000001 (or empty)"))),
        },
        checks=[
            pa.Check(on_or_before("outcome_date", "recorded_date"), error=(
                "outcome_date is before recorded_date"), name="outcome_after_recording"),
            pa.Check(on_or_before("recorded_date", "offence_date"), error=(
                "offence_date is after recorded_date"), name="offence_before_recording"),
            pa.Check(lambda df: (df["outcome_code"] == "") | df["outcome_date"].notna(), error=(
                "outcome_code is given but outcome_date is empty"), name="outcome_code_needs_date"),
            pa.Check(lambda df: (df["outcome_code"] != "") | df["outcome_date"].isna(), error=(
                "outcome_date is given but outcome_code is empty"), name="outcome_date_needs_code"),
        ],
        strict=False,
        coerce=False,
    )


#: Row-level rules across columns: their message -> the columns a message shows.
_FRAME_CHECK_COLUMNS = {
    "outcome_date is before recorded_date": ("outcome_date", "recorded_date"),
    "offence_date is after recorded_date": ("offence_date", "recorded_date"),
    "outcome_code is given but outcome_date is empty": ("outcome_code", "outcome_date"),
    "outcome_date is given but outcome_code is empty": ("outcome_date", "outcome_code"),
}


def _passes_every_rule(frame: pd.DataFrame, as_of: pd.Timestamp, unique_ids=None) -> bool:
    """True only if no rule of :func:`record_schema` can fail: a quick vectorised check.

    Conservative: anything unusual (a missing value where the schema wants
    none, an unexpected dtype) answers False, and pandera then checks the frame
    and describes the problems.  Valid data, the usual case, skip pandera,
    which takes about 2 s on a million records.
    """
    last = pd.Timestamp(as_of).normalize()
    required = ("crime_id", "borough", "offence_group", "victim_sex", "outcome_code", "lsoa_code")
    if any(frame[c].isna().any() for c in required):
        return False
    if unique_ids is None:  # (parse_records starts it early) pyarrow hashes without the GIL
        unique_ids = _in_background(_is_unique, frame["crime_id"])

    def in_range(column: str, low: pd.Timestamp) -> bool:
        values = frame[column]
        if not pd.api.types.is_datetime64_any_dtype(values.dtype):
            return False
        present = values.dropna()
        return bool(((present >= low) & (present <= last)).all())

    def allowed(column: str, values) -> bool:
        if isinstance(frame[column].dtype, pd.CategoricalDtype):  # every category is used (_per_category)
            return set(frame[column].cat.categories) <= set(values)
        return set(pd.unique(frame[column].to_numpy(dtype=object))) <= set(values)

    recorded, offence, outcome = frame["recorded_date"], frame["offence_date"], frame["outcome_date"]
    age = frame["victim_age"].astype("Float64")
    lsoa = pd.Series(frame["lsoa_code"].unique(), dtype=object)
    codes = frame["outcome_code"]
    if isinstance(codes.dtype, pd.CategoricalDtype):  # no missing value here (checked above)
        has_code = (codes.cat.categories.to_numpy(dtype=object) != "")[codes.cat.codes.to_numpy()]
    else:
        has_code = codes.to_numpy(dtype=object) != ""
    return bool(
        not frame["crime_id"].eq("").any()
        and unique_ids()
        and in_range("recorded_date", EARLIEST_RECORDED) and in_range("offence_date", EARLIEST_OFFENCE)
        and in_range("outcome_date", EARLIEST_RECORDED)
        and allowed("borough", BOROUGHS) and allowed("offence_group", d.ALLOWED_OFFENCE_GROUPS)
        and allowed("victim_sex", d.VICTIM_SEXES) and allowed("outcome_code", ("",) + d.OUTCOME_CODES)
        and ((age >= 0) & (age <= 120)).fillna(True).all()
        and lsoa.str.fullmatch(r"(E01\d{6})?").fillna(False).all()
        and not (outcome.notna() & recorded.notna() & (outcome < recorded)).any()
        and not (recorded.notna() & offence.notna() & (recorded < offence)).any()
        and (has_code == outcome.notna().to_numpy()).all()
    )


def _is_unique(values: pd.Series) -> bool:
    """Whether no value repeats, for a column without missing values (pyarrow's hash of an
    Arrow string column, which runs without the GIL; else pandas')."""
    if isinstance(values.array, pd.arrays.ArrowStringArray):
        import pyarrow as pa
        import pyarrow.compute as pc

        return len(pc.unique(pa.array(values.array))) == len(values)
    return bool(values.is_unique)


def _in_background(function, *args):
    """Start ``function(*args)`` in a thread; return a callable that waits for its result
    (and computes it here if the thread failed)."""
    import threading

    result = []
    thread = threading.Thread(target=lambda: result.append(function(*args)), daemon=True)
    thread.start()

    def wait():
        thread.join()
        return result[0] if result else function(*args)
    return wait


#: Columns :func:`parse_records` keeps as categoricals of strings; pandera checks them as plain strings.
_CODED = ("borough", "offence_group", "victim_sex", "outcome_code")


def _schema_problems(frame: pd.DataFrame, as_of: pd.Timestamp, offset: int, unique_ids=None) -> list[Problem]:
    """The rules' problems (``unique_ids``: a :func:`_in_background` check of the identifiers, if started)."""
    if _passes_every_rule(frame, as_of, unique_ids):
        return []
    import pandera.errors

    frame = frame.astype({c: object for c in _CODED if isinstance(frame[c].dtype, pd.CategoricalDtype)})

    try:
        record_schema(as_of).validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    else:
        return []
    problems = []
    frame_level = cases["schema_context"].eq("DataFrameSchema")
    for check, group in cases[frame_level].groupby("check", sort=False):
        columns = next((cols for text, cols in _FRAME_CHECK_COLUMNS.items() if text == str(check)),
                       ("recorded_date",))
        index = _failure_index(group)
        shown = index[:MAX_ROWS_SHOWN]
        problems.append(Problem(
            columns[0], str(check), [i + offset for i in shown],
            [", ".join(f"{c}={_show(frame[c].iloc[i])}" for c in columns) for i in shown], len(index)))
    for (column, check), group in cases[~frame_level].groupby(["column", "check"], sort=False):
        check = str(check)
        if check == "not_nullable":
            continue  # empty required values are reported by the parser
        expected = ("crime_id is not unique (the same identifier appears on more than one row)"
                    if "unique" in check else check)
        index = _failure_index(group)
        shown = index[:MAX_ROWS_SHOWN]
        problems.append(Problem(str(column), expected, [i + offset for i in shown],
                                [_show(frame[column].iloc[i]) for i in shown], len(index)))
    return problems


def _failure_index(group: pd.DataFrame) -> list[int]:
    index = pd.to_numeric(group["index"], errors="coerce").dropna().astype(int)
    return sorted(set(index.tolist()))


def _show(value: object) -> object:
    if isinstance(value, pd.Timestamp):
        return str(value.date())
    if isinstance(value, (np.generic,)):
        return value.item()
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return value


# --------------------------------------------------------------------------- public API


def _check_columns(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    names = [str(c).strip().lstrip("\ufeff").lower() for c in frame.columns]
    frame = frame.set_axis(names, axis=1)
    missing = [c for c in CANONICAL_COLUMNS if c not in names]
    extra = [c for c in names if c not in CANONICAL_COLUMNS + OPTIONAL_COLUMNS]
    repeated = sorted({c for c in names if names.count(c) > 1})
    parts = []
    if missing:
        parts.append(f"missing column(s): {', '.join(missing)}")
    if extra:
        parts.append(f"unexpected column(s): {', '.join(extra)}")
    if repeated:
        parts.append(f"repeated column(s): {', '.join(repeated)}")
    if parts:
        raise DataError(
            f"{path}: {'; '.join(parts)}. Expected exactly these columns: {', '.join(CANONICAL_COLUMNS)} "
            f"(optionally also {', '.join(OPTIONAL_COLUMNS)}).")
    return frame


def parse_records(raw: pd.DataFrame, path: str | Path, fmt: str = "csv",
                  as_of: object = None) -> pd.DataFrame:
    """Validate raw records and convert them to the canonical frame (see module docstring)."""
    path = Path(path)
    as_of = pd.Timestamp.today().normalize() if as_of is None else pd.Timestamp(as_of).normalize()
    raw = _check_columns(raw, path).reset_index(drop=True)
    row_word, offset = _row_word_and_offset(fmt)
    problems: list[Problem] = []

    parsed: dict[str, pd.Series] = {}
    identifiers = _text(raw["crime_id"])  # never missing ("" if empty)
    # their uniqueness is checked (by pyarrow, without the GIL) while the other columns are parsed
    unique_ids = _in_background(_is_unique, identifiers)
    for column in DATE_COLUMNS:
        parsed[column], bad = _parse_dates(raw[column])
        if column == "recorded_date":
            bad = bad | _text(raw[column]).eq("")
        if bad.any():
            problems.append(_problem(column, f"{column} is not a date (expected YYYY-MM-DD"
                                     + (", never empty" if column == "recorded_date" else " or empty") + ")",
                                     bad, _text(raw[column]), offset))
    parsed["domestic_abuse"], bad = _parse_bool(raw["domestic_abuse"])
    if bad.any():
        problems.append(_problem("domestic_abuse", "domestic_abuse is not true/false (also 1/0, yes/no, y/n)",
                                 bad, _text(raw["domestic_abuse"]), offset))
    parsed["victim_age"], bad = _parse_age(raw["victim_age"])
    parsed["victim_age"] = pd.Series(parsed["victim_age"], index=raw.index)
    if bad.any():
        problems.append(_problem("victim_age", "victim_age is not a whole number of years (or empty)",
                                 bad, _text(raw["victim_age"]), offset))

    # categoricals of the normalised strings; the rules see them as plain strings (_CODED)
    parsed["borough"] = _per_category(raw["borough"], lambda v: normalise_borough(v) or _stringify(v))
    parsed["offence_group"] = _per_category(raw["offence_group"], lambda v: _stringify(v).lower())
    parsed["victim_sex"] = _per_category(raw["victim_sex"],
                                         lambda v: _SEX.get(_stringify(v).lower(), _stringify(v)))
    parsed["outcome_code"] = _per_category(raw["outcome_code"], _code_value)
    for column in ("crime_id", "lsoa_code", "victim_id", "suspect_id"):
        parsed[column] = identifiers if column == "crime_id" else _text(raw[column], upper=column == "lsoa_code")

    checked = pd.DataFrame(parsed)
    problems += _schema_problems(checked, as_of, offset, unique_ids)
    if problems:
        plural = "s" if len(problems) != 1 else ""
        lines = "\n".join(f"  - {p.describe(row_word)}" for p in problems)
        raise DataError(f"{path}: {len(raw)} rows read; {len(problems)} problem{plural} found "
                        f"(line numbers count the header as line 1), so nothing was loaded:\n{lines}")
    return _canonical(checked, raw)


def _as_category(series: pd.Series, dtype: pd.CategoricalDtype) -> pd.Series:
    """``series.astype(dtype)`` (values not among the categories become missing), by factorising:
    about five times faster for a million strings of few distinct values."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    remap = np.append(dtype.categories.get_indexer(pd.Index(uniques, dtype=object)), -1)
    return pd.Series(pd.Categorical.from_codes(remap[codes], dtype=dtype), index=series.index)


def _canonical(checked: pd.DataFrame, raw: pd.DataFrame) -> pd.DataFrame:
    def optional_text(series: pd.Series) -> pd.Series:
        return series.astype("string").replace("", pd.NA)

    out = pd.DataFrame({
        "crime_id": checked["crime_id"].astype("string"),
        "recorded_date": checked["recorded_date"],
        "offence_date": checked["offence_date"],
        "borough": _as_category(checked["borough"], BOROUGH_DTYPE),
        "lsoa_code": _text(raw["lsoa_code"], upper=True, empty_missing=True),  # = checked's, "" as <NA>
        "offence_group": _as_category(checked["offence_group"], OFFENCE_GROUP_DTYPE),
        "domestic_abuse": checked["domestic_abuse"].astype(bool),
        "victim_id": optional_text(checked["victim_id"]),
        "victim_sex": _as_category(checked["victim_sex"], SEX_DTYPE),
        "victim_age": checked["victim_age"],
        "suspect_id": optional_text(checked["suspect_id"]),
        "outcome_code": _as_category(checked["outcome_code"], OUTCOME_DTYPE),  # "" (none) is missing
        "outcome_date": checked["outcome_date"],
    })
    for column in ("latitude", "longitude"):
        if column in raw:
            out[column] = pd.to_numeric(_text(raw[column]).replace("", np.nan), errors="coerce")
    for column in ("crime_type", "source"):
        if column in raw:
            out[column] = _text(raw[column], empty_missing=True)
    # each borough's BCU, looked up by the borough's code (-1, a missing borough, has none)
    bcu_of = np.append(BCU_DTYPE.categories.get_indexer([BOROUGH_TO_BCU[b] for b in BOROUGH_DTYPE.categories]), -1)
    out["bcu"] = pd.Categorical.from_codes(bcu_of[out["borough"].cat.codes.to_numpy()], dtype=BCU_DTYPE)
    return out


def load(path: str | Path, *, as_of: object = None) -> pd.DataFrame:
    """Read, validate and return crime records in the canonical form.

    ``path`` is a CSV (``.csv``, ``.csv.gz``, ``.zip`` holding one CSV) or Parquet file
    following the data contract (module docstring).  ``as_of`` (default: today)
    is the extraction date: no date may lie after it.  Returns the canonical
    columns plus ``bcu``; raises :class:`~vawgstats.errors.DataError` naming the
    file, column and rows of every problem, and loads nothing if there is any.
    """
    raw, fmt = read_records(path)
    return parse_records(raw, path, fmt, as_of=as_of)


def validate(path: str | Path, *, as_of: object = None) -> pd.DataFrame:
    """Same as :func:`load`; named for the CLI's ``validate`` command."""
    return load(path, as_of=as_of)


def write_records(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write canonical records as Parquet (``.parquet``) or CSV (anything else), without ``bcu``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = [c for c in CANONICAL_COLUMNS + OPTIONAL_COLUMNS if c in frame.columns]
    out = frame[columns]
    if path.suffix.lower() in (".parquet", ".pq"):
        out.to_parquet(path, index=False)
    else:
        text = out.copy()
        for column in DATE_COLUMNS:
            text[column] = text[column].dt.strftime("%Y-%m-%d")
        text.to_csv(path, index=False, date_format="%Y-%m-%d")
    return path

