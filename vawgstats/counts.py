"""The counts table: aggregate open data (MPS VAWG dashboard, MPS recorded crime).

The aggregate importers (:mod:`vawgstats.sources.mps_vawg`,
:mod:`vawgstats.sources.mps_crime`) write one tidy table, in CSV or Parquet:

============  ===============================================================
column        meaning
============  ===============================================================
``month``     month recorded, ``YYYY-MM``
``bcu``       BCU code (``AW`` ... ``WA``) or, for rows outside the 12 BCUs,
              the source's label: ``Other``, ``Unknown``, a pseudo-borough
              such as ``Aviation Security (SO18)``, or ``London`` for
              pan-London breakdowns (classification, victims' age/ethnicity)
``borough``   canonical borough name, or the source's label for non-boroughs
              (``Other``, ``Unknown``, ``London``, a pseudo-borough)
``ward``      ward name as published; empty where not applicable
``measure``   ``offences``, ``victims`` or ``recorded_crime``
``category``  ``all`` for location sheets; otherwise the VAWG offence
              classification, the victims' age group or ethnic-appearance
              group, or ``MAJOR / minor`` for recorded crime
``count``     whole number >= 0
``source``    which kind of published file the row came from (see
              :data:`SOURCE_KINDS`)
============  ===============================================================

Each ``source`` kind is a separate breakdown of the same events: the
offences location sheet and the offence classification sheet count the same
offences twice, once by place and once by classification.  **Sum within one
source kind only.**  Rows whose ``bcu`` is not one of the 12 BCU codes are
kept and counted, but :func:`in_bcu_totals` is False for them, so BCU and
borough totals leave them out (London-wide totals from a location sheet
include them).  Rows with a count of 0 are not written: a missing
(month, place, category) means zero.
"""

from __future__ import annotations

import re
from pathlib import Path

from ._lazy import lazy_module
from .errors import DataError
from .geography import BCU_CODES, BOROUGH_TO_BCU

np = lazy_module("numpy", globals(), "np")  # imported on first use
pd = lazy_module("pandas", globals(), "pd")  # imported on first use

#: The columns of a counts table, in order.
COUNTS_COLUMNS: tuple[str, ...] = ("month", "bcu", "borough", "ward", "measure", "category", "count", "source")

#: Allowed values of ``measure``.
MEASURES: tuple[str, ...] = ("offences", "victims", "recorded_crime")

#: The ``source`` values the importers write, and what each row counts.
SOURCE_KINDS: dict[str, str] = {
    "mps_vawg_offences_location": "MPS VAWG dashboard: VAWG offences by BCU, borough and ward",
    "mps_vawg_victims_location": "MPS VAWG dashboard: VAWG victims by BCU, borough and ward",
    "mps_vawg_offences_classification": "MPS VAWG dashboard: VAWG offences in London by offence classification",
    "mps_vawg_victims_age_group": "MPS VAWG dashboard: VAWG victims in London by age group",
    "mps_vawg_victims_ethnic_group": "MPS VAWG dashboard: VAWG victims in London by ethnic-appearance group",
    "mps_recorded_crime_borough": "MPS recorded crime by borough, major and minor category",
    "mps_recorded_crime_ward": "MPS recorded crime by ward, major and minor category",
    "mps_recorded_crime_lsoa": "MPS recorded crime by LSOA, summed to borough, major and minor category",
}

#: Label used in ``bcu`` and ``borough`` for pan-London breakdowns.
LONDON_LABEL = "London"

#: Category of location sheets.
ALL_CATEGORY = "all"

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_TEXT_COLUMNS = ("month", "bcu", "borough", "ward", "measure", "category", "source")
MAX_ROWS_SHOWN = 20


def in_bcu_totals(frame: pd.DataFrame) -> pd.Series:
    """Boolean Series: does the row count towards BCU (and borough) totals?

    False for ``Other``, ``Unknown``, pseudo-boroughs and pan-London rows,
    which stay in the table but belong to none of the 12 BCUs.
    """
    return frame["bcu"].astype("object").isin(BCU_CODES).astype(bool)


def _normal_names(columns) -> list[str]:
    return [str(c).strip().lstrip("\ufeff").lower() for c in columns]


def _rows(mask: pd.Series, values: pd.Series, offset: int) -> str:
    index = np.flatnonzero(np.asarray(mask, dtype=bool))
    shown = ", ".join(f"row {int(i) + offset} ({values.iloc[i]!r})" for i in index[:MAX_ROWS_SHOWN])
    more = f" and {len(index) - MAX_ROWS_SHOWN} more" if len(index) > MAX_ROWS_SHOWN else ""
    return f"{len(index)} row(s): {shown}{more}"


def validate_counts(frame: pd.DataFrame, path: str | Path, *, first_row: int = 1) -> pd.DataFrame:
    """Check a counts table and return it with canonical dtypes (text columns as
    ``string``, ``count`` as ``int64``), in :data:`COUNTS_COLUMNS` order.

    Raises :class:`DataError` naming ``path``, the column, and up to 20 rows
    (numbered from ``first_row``) for every problem found.
    """
    path = Path(path)
    names = _normal_names(frame.columns)
    missing = [c for c in COUNTS_COLUMNS if c not in names]
    extra = [c for c in names if c not in COUNTS_COLUMNS]
    if missing or extra or len(set(names)) != len(names):
        parts = []
        if missing:
            parts.append(f"missing column(s): {', '.join(missing)}")
        if extra:
            parts.append(f"unexpected column(s): {', '.join(extra)}")
        if len(set(names)) != len(names):
            parts.append("repeated column names")
        raise DataError(f"{path}: not a counts table ({'; '.join(parts)}). "
                        f"Expected the columns {', '.join(COUNTS_COLUMNS)}.")
    frame = frame.set_axis(names, axis=1).reset_index(drop=True)
    out = pd.DataFrame(index=frame.index)
    problems: list[str] = []
    for column in _TEXT_COLUMNS:
        values = frame[column]
        text = values.astype("string").fillna("").str.strip()
        out[column] = text
    raw_count = frame["count"]
    if pd.api.types.is_integer_dtype(raw_count.dtype) and not raw_count.isna().any():
        number = raw_count.astype("float64")
    else:
        number = pd.to_numeric(raw_count.astype("string").str.strip(), errors="coerce").astype("float64")
    bad = number.isna() | (number < 0) | (number % 1 != 0)
    if bad.any():
        problems.append(f"column 'count': {_rows(bad, raw_count.astype('string'), first_row)} "
                        "where count is not a whole number >= 0")
    out["count"] = number.fillna(0).astype("int64")

    checks = [
        ("month", ~out["month"].str.match(_MONTH), "month is not YYYY-MM"),
        ("measure", ~out["measure"].isin(MEASURES), f"measure is not one of {', '.join(MEASURES)}"),
        ("bcu", out["bcu"].eq(""), "bcu is empty (use the source's label for rows outside the 12 BCUs)"),
        ("borough", out["borough"].eq(""), "borough is empty"),
        ("category", out["category"].eq(""), "category is empty"),
        ("source", out["source"].eq(""), "source is empty"),
    ]
    known_bcu = out["bcu"].isin(BCU_CODES)
    borough_bcu = out["borough"].map(BOROUGH_TO_BCU)
    mismatch = known_bcu & borough_bcu.notna() & borough_bcu.ne(out["bcu"])
    checks.append(("borough", mismatch, "the borough is not in the row's BCU"))
    for column, mask, expected in checks:
        mask = mask.fillna(True).astype(bool)
        if mask.any():
            values = out[column] if column != "borough" or expected == "borough is empty" else (
                out["bcu"] + " / " + out["borough"])
            problems.append(f"column '{column}': {_rows(mask, values, first_row)} where {expected}")
    key = [c for c in COUNTS_COLUMNS if c != "count"]
    duplicated = out.duplicated(key, keep=False)
    if duplicated.any():
        problems.append("the same (month, bcu, borough, ward, measure, category, source) appears more than "
                        f"once: {_rows(duplicated, out['month'] + ' ' + out['borough'] + ' ' + out['category'], first_row)}")
    if problems:
        raise DataError(f"{path}: the counts table breaks the contract: " + "; ".join(problems) + ".")
    return out[list(COUNTS_COLUMNS)]


def _read_header(path: Path) -> list[str]:
    name = path.name.lower()
    if name.endswith((".parquet", ".pq")):
        import pyarrow.parquet as pq

        return list(pq.read_schema(path).names)
    if name.endswith(".gz"):
        import gzip

        with gzip.open(path, "rt", encoding="utf-8-sig", newline="") as handle:
            first = handle.readline()
    else:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            first = handle.readline()
    import csv

    return next(csv.reader([first]), [])


def is_counts_file(path: str | Path) -> bool:
    """True when the file's header (CSV) or schema (Parquet) has exactly the counts columns.

    Reads only the header, so it is cheap; the data are not validated.  A file
    that cannot be read returns False; a path that does not exist is a DataError.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such file.")
    if path.is_dir():
        return False
    try:
        names = _read_header(path)
    except Exception:  # noqa: BLE001 - any unreadable file is "not a counts file"
        return False
    return sorted(_normal_names(names)) == sorted(COUNTS_COLUMNS)


def load_counts(path: str | Path) -> pd.DataFrame:
    """Read and validate a counts table (``.parquet``, ``.csv`` or ``.csv.gz``)."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such file.")
    if path.is_dir():
        raise DataError(f"{path}: is a folder; expected a counts table (.parquet or .csv).")
    name = path.name.lower()
    if name.endswith((".parquet", ".pq")):
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            frame = pq.read_table(path).to_pandas()
        except (pa.ArrowException, OSError) as exc:
            raise DataError(f"{path}: the file could not be read as Parquet ({exc}).") from None
        first_row = 1
    else:
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError, EOFError) as exc:
            raise DataError(f"{path}: the file could not be read as a counts CSV ({exc}).") from None
        first_row = 2  # line numbers: the header is line 1
    if frame.empty:
        raise DataError(f"{path}: the counts table has no rows.")
    return validate_counts(frame, path, first_row=first_row)


def write_counts(frame: pd.DataFrame, path: str | Path) -> Path:
    """Validate and write a counts table as Parquet (``.parquet``) or CSV (anything else)."""
    path = Path(path)
    table = validate_counts(frame, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.name.lower().endswith((".parquet", ".pq")):
        table.to_parquet(path, index=False)
    else:
        table.to_csv(path, index=False)
    return path


def combine_counts(parts: list[tuple[pd.DataFrame, str]]) -> tuple[pd.DataFrame, list[str]]:
    """Stack counts from several files, resolving months that more than one file covers.

    ``parts`` are (counts frame, file name) in the order given.  When two files
    of the same ``source`` kind both hold a month (e.g. a "historical" and a
    "most recent 24 months" extract), that month is taken only from the file
    whose last month is latest (the more recent extract, which carries the
    MPS's revisions); ties go to the file given later.  Returns the combined
    frame and one note per overlap for the import summary.
    """
    notes: list[str] = []
    kept: list[pd.DataFrame] = []
    by_kind: dict[str, list[tuple[int, pd.DataFrame, str]]] = {}
    for order, (frame, name) in enumerate(parts):
        for kind, group in frame.groupby("source", sort=False):
            by_kind.setdefault(str(kind), []).append((order, group, name))
    for kind, items in by_kind.items():
        ranked = sorted(items, key=lambda item: (item[1]["month"].max(), item[0]), reverse=True)
        claimed: set[str] = set()
        for _, group, name in ranked:
            months = set(group["month"])
            overlap = months & claimed
            if overlap:
                notes.append(f"{name}: months {min(overlap)} to {max(overlap)} ({len(overlap)}) are also in a "
                             f"more recent {kind} file and were taken from that file")
                group = group[~group["month"].isin(overlap)]
            claimed |= months
            kept.append(group)
    if not kept:
        return pd.DataFrame(columns=list(COUNTS_COLUMNS)), notes
    combined = pd.concat(kept, ignore_index=True)
    return combined, notes
