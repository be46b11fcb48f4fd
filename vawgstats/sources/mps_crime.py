"""MPS recorded crime by borough, ward or LSOA (London Datastore "MPS Recorded
Crime: Geographic Breakdown", the "most recent 24 months" and "historical"
files) -> the counts table (:mod:`vawgstats.counts`).

The files are wide: a few label columns, then one column per month named
``YYYYMM``.  Headers are compared after lower-casing and turning runs of other
characters into ``_``, so ``MajorText``/``majortext`` and ``LSOA Code``/
``lsoa_code`` are the same.  Layouts (first match wins):

- LSOA: ``lsoa_code`` (``lsoa_name``), ``borough`` (a GSS code such as
  E09000002), ``major_category``, ``minor_category``;
- ward: ``wardname`` (``wardcode``), ``lookup_boroughname``, ``majortext``,
  ``minortext``;
- borough: ``boroughname`` (or ``lookup_boroughname``), ``majortext``,
  ``minortext``.

``majortext``/``major_category`` and ``minortext``/``minor_category`` are
interchangeable, as are the borough column names.  Other columns that are not
months are ignored and named in the summary; a file with no month column, or
without the major/minor/borough columns, is a DataError naming the file.

Output rows: ``month`` from the column name, ``measure`` = ``recorded_crime``,
``category`` = ``"MAJOR / minor"`` as published (e.g. ``"BURGLARY / RES
BURGLARY OF A HOME"``), ``ward`` = the ward name for ward files and empty
otherwise.  **LSOA files are summed to borough** (``ward`` empty): the counts
table has no LSOA column, and a ward column holding LSOAs would be misread.
Boroughs are canonical names; labels that are not one of the 32 boroughs
(``Unknown``, ``Aviation Security (SO18)``, ``London Heathrow and London City
Airports``, an LSOA file's City of London) are kept as they are in both
``bcu`` and ``borough``, counted, and excluded from BCU totals; the summary
lists them.  Empty cells count as 0 (and are counted in the summary); other
values that are not whole numbers >= 0 are a DataError.  Rows with count 0
are not written.  A month whose total is below a tenth of the file's median
month is kept as published and flagged in the summary as probably
incomplete.  When two files of the same layout hold the same month, the file
reaching the later month wins (:func:`vawgstats.counts.combine_counts`).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from .. import counts as c
from ..errors import DataError
from ..geography import BOROUGH_TO_BCU, normalise_borough
from . import ImportResult, expand, first_line_of, normalise_header, read_tables, summarise_counts, text_column

MAJOR = ("majortext", "major_category", "major_text", "major")
MINOR = ("minortext", "minor_category", "minor_text", "minor")
BOROUGH = ("boroughname", "lookup_boroughname", "borough_name", "borough")
WARD = ("wardname", "ward_name")
WARD_CODE = ("wardcode", "ward_code")
LSOA = ("lsoa_code", "lsoacode")
LSOA_NAME = ("lsoa_name", "lsoaname")

_MONTH_COLUMN = re.compile(r"^(\d{4})(0[1-9]|1[0-2])$")
INCOMPLETE_SHARE = 0.1


def _first(columns: list[str], options: tuple[str, ...]) -> str | None:
    return next((name for name in options if name in columns), None)


def _layout(columns: list[str], label: str) -> tuple[str, dict[str, str | None]]:
    found = {
        "major": _first(columns, MAJOR), "minor": _first(columns, MINOR),
        "borough": _first(columns, BOROUGH), "ward": _first(columns, WARD),
        "ward_code": _first(columns, WARD_CODE), "lsoa": _first(columns, LSOA),
        "lsoa_name": _first(columns, LSOA_NAME),
    }
    layout = "lsoa" if found["lsoa"] else "ward" if found["ward"] else "borough"
    missing = [what for what in ("major", "minor", "borough") if not found[what]]
    if missing:
        raise DataError(
            f"{label}: the header ({', '.join(columns[:8])}{', ...' if len(columns) > 8 else ''}) matches no "
            "MPS recorded-crime layout: no column for " + ", ".join(missing) + ". Expected "
            "majortext,minortext,boroughname (borough files); majortext,minortext,wardname,wardcode,"
            "lookup_boroughname (ward files); or lsoa_code,lsoa_name,borough,major_category,minor_category "
            "(LSOA files); then one column per month named YYYYMM.")
    return layout, found


def _values(wide: pd.DataFrame, month_columns: list[str], label: str, first: int) -> tuple[pd.DataFrame, int]:
    numbers = {}
    blanks = 0
    for column in month_columns:
        series = wide[column]
        if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
            number = series.astype("float64")
            blank = number.isna()
        else:
            text = text_column(series)
            blank = text.eq("")
            number = pd.to_numeric(text.where(~blank), errors="coerce").astype("float64")
        bad = ~blank & (number.isna() | (number < 0) | (number % 1 != 0))
        bad = bad.fillna(True).astype(bool)
        if bad.any():
            rows = [int(i) + first for i in np.flatnonzero(bad.to_numpy())[:20]]
            shown = text_column(series)[bad].head(5).tolist()
            raise DataError(f"{label}: column '{column}' is not a whole number >= 0 on "
                            f"{'line' if first > 1 else 'row'}(s) {', '.join(map(str, rows))} (e.g. {shown}).")
        blanks += int(blank.sum())
        numbers[column] = number.fillna(0).astype("int64")
    return pd.DataFrame(numbers, index=wide.index), blanks


def _places(wide: pd.DataFrame, layout: str, found: dict[str, str | None]) -> tuple[pd.Series, pd.Series]:
    """(borough canonical name or label, bcu code or label) per row."""
    text = text_column(wide[found["borough"]])
    if layout == "lsoa" and found["lsoa_name"]:
        authority = text_column(wide[found["lsoa_name"]]).str.replace(r"\s+\d{3}[A-Z]$", "", regex=True)
        fallback = authority.where(authority.ne(""), text)
    else:
        fallback = text
    distinct = {value: normalise_borough(value) for value in text.unique()}
    borough = text.map(distinct)
    label = fallback.replace("", "Unknown")
    borough = borough.fillna(label).astype("string")
    bcu = borough.map(BOROUGH_TO_BCU).fillna(borough).astype("string")
    return borough, bcu


def _file_counts(label: str, frame: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    first = first_line_of(label)
    columns = [normalise_header(col) for col in frame.columns]
    wide = frame.set_axis(columns, axis=1)
    layout, found = _layout(columns, label)
    month_columns = [col for col in columns if _MONTH_COLUMN.match(col)]
    if not month_columns:
        raise DataError(f"{label}: no month columns (named YYYYMM, e.g. 202403) were found; "
                        f"columns: {', '.join(columns)}.")
    used = {v for v in found.values() if v} | set(month_columns)
    ignored = [col for col in columns if col not in used]
    values, blanks = _values(wide, month_columns, label, first)
    borough, bcu = _places(wide, layout, found)
    category = text_column(wide[found["major"]]) + " / " + text_column(wide[found["minor"]])
    ward = text_column(wide[found["ward"]]) if layout == "ward" else pd.Series("", index=wide.index, dtype="string")
    keys = pd.DataFrame({"bcu": bcu, "borough": borough, "ward": ward, "category": category})
    long = pd.concat([keys, values], axis=1).melt(id_vars=list(keys.columns), value_vars=month_columns,
                                                  var_name="yyyymm", value_name="count")
    long["month"] = long["yyyymm"].str[:4] + "-" + long["yyyymm"].str[4:]
    monthly = long.groupby("month")["count"].sum()
    long = long[long["count"] > 0]
    long["measure"] = "recorded_crime"
    long["source"] = f"mps_recorded_crime_{layout}"
    key = [col for col in c.COUNTS_COLUMNS if col != "count"]
    table = long.groupby(key, sort=True, observed=True)["count"].sum().reset_index()[list(c.COUNTS_COLUMNS)]
    median = float(monthly.median()) if len(monthly) else 0.0
    incomplete = {m: int(n) for m, n in monthly.items() if median > 0 and n < INCOMPLETE_SHARE * median}
    info = {"layout": layout, "months": (min(monthly.index), max(monthly.index), len(monthly)),
            "total": int(values.to_numpy().sum()), "blanks": blanks, "ignored": ignored,
            "incomplete": incomplete, "median": median}
    return table, info


def import_files(srcs: list[Path]) -> ImportResult:
    """Read recorded-crime files and return the counts table and a summary."""
    files = expand(srcs)
    parts: list[tuple[pd.DataFrame, str]] = []
    described, notes = [], []
    for path in files:
        for label, sheet, frame in read_tables(path):
            if frame.empty:
                raise DataError(f"{label}: the file has a header but no data rows.")
            table, info = _file_counts(label, frame)
            parts.append((table, label))
            short = label.replace(str(path), path.name)
            start, end, count = info["months"]
            described.append(f"{short} ({info['layout']} file, {start} to {end}, {count} months, "
                             f"{info['total']:,} crimes)")
            if info["blanks"]:
                notes.append(f"{short}: {info['blanks']:,} empty cells counted as 0")
            if info["ignored"]:
                notes.append(f"{short}: ignored columns {', '.join(info['ignored'])}")
            for month, total in info["incomplete"].items():
                notes.append(f"{short}: month {month} totals {total:,} against a median month of "
                             f"{info['median']:,.0f}, so it is probably incomplete (kept as published)")
    table, overlaps = c.combine_counts(parts)
    table = table.reset_index(drop=True)
    summary = [f"Imported MPS recorded crime from {len(described)} file(s): " + "; ".join(described) + "."]
    if (table["source"] == "mps_recorded_crime_lsoa").any():
        summary.append("LSOA files were summed to borough (ward left empty).")
    outside = table[~c.in_bcu_totals(table)]
    if not outside.empty:
        totals = outside.groupby("borough")["count"].sum().to_dict()
        summary.append("Rows outside the 32 boroughs were kept under their labels, counted, and excluded "
                       f"from BCU totals: {summarise_counts(totals)}.")
    if overlaps:
        summary.append("Overlapping files: " + "; ".join(overlaps) + ".")
    if notes:
        summary.append("Notes: " + "; ".join(notes) + ".")
    return ImportResult(table, "counts", " ".join(summary))


__all__ = ["import_files"]
