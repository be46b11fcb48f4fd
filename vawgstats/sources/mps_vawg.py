"""MPS VAWG dashboard data (London Datastore "Violence Against Women and Girls
Dashboard Data") -> the counts table (:mod:`vawgstats.counts`).

Input: a folder or files of the dashboard's sheets, each as CSV, gzipped CSV,
Parquet, or the original ``.xlsx`` workbook (one table per sheet).  A table
stacked from several sheets with a ``sheet`` column (as republished as
Parquet) is split by that column first, dropping columns that are empty for
a sheet.

Recognising a sheet
    Headers are compared after lower-casing and turning runs of other
    characters into ``_`` (so ``Recorded_Date_Months``, ``recorded date
    (months)`` and ``recorded_date_months`` are the same).  A sheet is
    recognised by its columns; ``date_committed_from_date_months`` may be
    missing, other extra columns are ignored (and named in the summary):

    - location: ``bcu_location, borough_name, ward_name_clean_2,
      recorded_date_months, date_committed_from_date_months, count``
    - classification: ``crimsec_group, crimseccodeexpansion,
      crimsec_offences, vawg_offence`` + the dates and ``count``
    - victims by age: ``age_group`` + the dates and ``count``
    - victims by ethnic-appearance group: ``ethnic_appearance_group_group``
      + the dates and ``count``

    A CSV or Parquet file that matches none is a DataError naming the file
    and its columns.  In a workbook, sheets that match none (notes, charts)
    are skipped and listed in the summary; a workbook with no known sheet is
    a DataError.

Offences or victims (location sheets)
    Both location sheets have the same columns, so the measure is decided, in
    this order, by: a ``measure`` column holding only ``offences`` or
    ``victims``; the sheet's name (workbook sheet or ``sheet`` column); the
    file's name.  A name decides when it contains "victim" or "offence"
    (also "offense") but not both.  If none decides, the import stops with a
    DataError asking for the file to be renamed.  The classification sheet is
    offences and the age and ethnic-group sheets are victims unless a hint
    above says otherwise.

Output rows
    ``month`` is ``recorded_date_months`` as ``YYYY-MM``; counts are summed
    over ``date_committed_from_date_months`` (month committed is not kept).
    Location sheets: ``bcu`` from ``bcu_location`` (BCU names such as "North
    Area" or codes), ``borough`` canonical, ``ward`` = ``ward_name_clean_2``
    as published ("N/K" and empty kept), ``category`` = ``all``.  Rows whose
    ``bcu_location`` is ``Other`` or ``Unknown`` are kept with that label in
    ``bcu`` and ``borough`` (the source's borough text), counted, and excluded
    from BCU totals (:func:`vawgstats.counts.in_bcu_totals`); an unrecognised
    BCU label with a known borough takes the borough's BCU, otherwise it is
    kept as a label too.  A known BCU with a borough of another BCU is a
    DataError.  Classification, age and ethnic-group sheets are pan-London:
    ``bcu`` and ``borough`` are ``London``, ``ward`` empty, and ``category``
    is the ``vawg_offence`` classification (``crimsec_group`` and the other
    classification columns are not kept), the age group, or the
    ethnic-appearance group.  When two files of the same sheet cover the same
    month, the file reaching the later month wins (see
    :func:`vawgstats.counts.combine_counts`).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pandas as pd

from .. import counts as c
from ..errors import DataError, ParamsError
from ..geography import BOROUGH_TO_BCU, bcu_code, normalise_borough
from . import (ImportResult, expand, find_header_row, first_line_of, line_numbers, normalise_header,
               read_tables, text_column)

RECORDED = "recorded_date_months"
COMMITTED = "date_committed_from_date_months"

#: Sheet layouts: name -> (required columns, category column, default measure, source-kind suffix).
LAYOUTS: dict[str, tuple[tuple[str, ...], str | None, str | None, str]] = {
    "location": (("bcu_location", "borough_name", "ward_name_clean_2", RECORDED, "count"),
                 None, None, "location"),
    "classification": (("crimsec_group", "crimseccodeexpansion", "crimsec_offences", "vawg_offence",
                        RECORDED, "count"), "vawg_offence", "offences", "classification"),
    "age_group": (("age_group", RECORDED, "count"), "age_group", "victims", "age_group"),
    "ethnic_group": (("ethnic_appearance_group_group", RECORDED, "count"),
                     "ethnic_appearance_group_group", "victims", "ethnic_group"),
}
_KNOWN = {name for cols, *_ in LAYOUTS.values() for name in cols} | {COMMITTED, "sheet", "measure"}
_DESCRIPTION = {
    "location": "by BCU, borough and ward",
    "classification": "by offence classification",
    "age_group": "by age group",
    "ethnic_group": "by ethnic-appearance group",
}
_OTHER_LABELS = {"other": "Other", "unknown": "Unknown"}


def _layout_of(columns: set[str]) -> str | None:
    matches = [name for name, (required, *_) in LAYOUTS.items() if set(required) <= columns]
    # the location sheet's columns are not a subset of the others and vice versa, so at most
    # one matches unless a stacked table lost its sheet column
    return matches[0] if len(matches) == 1 else ("ambiguous" if matches else None)


def _expected_text() -> str:
    return "; ".join(f"{name}: {', '.join(cols)}" for name, (cols, *_) in LAYOUTS.items())


def _other_importer_hint(columns: set[str]) -> str:
    if columns & {"majortext", "major_category", "lsoa_code", "wardcode"}:
        return " It looks like an MPS recorded-crime file: use 'vawgstats import mps-crime'."
    if {"crime_id", "falls_within"} <= columns:
        return " It looks like a police.uk file: use 'vawgstats import policeuk'."
    return ""


def _measure_from_name(name: str) -> str | None:
    text = name.lower()
    victim = "victim" in text
    offence = bool(re.search(r"offen[cs]e", text))
    if victim and not offence:
        return "victims"
    if offence and not victim:
        return "offences"
    return None


def _measure(frame: pd.DataFrame, sheet: str, path: Path, label: str, default: str | None) -> str:
    if "measure" in frame.columns:
        values = {v.lower().rstrip("s") for v in text_column(frame["measure"]).unique() if v}
        if values == {"offence"} or values == {"offense"}:
            return "offences"
        if values == {"victim"}:
            return "victims"
    for name in (sheet, path.name):
        if name:
            found = _measure_from_name(name)
            if found:
                return found
    if default:
        return default
    raise DataError(
        f"{label}: this is a VAWG location sheet, but neither the sheet nor the file name says whether "
        "it counts offences or victims. Rename the file so that its name contains 'offences' or "
        "'victims' (e.g. vawg-offences_location.csv), or add a 'measure' column.")


def _months(series: pd.Series, label: str, first: int) -> pd.Series:
    """``YYYY-MM`` from dates given as timestamps, ISO text, or spreadsheet dates."""
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        out = series.dt.strftime("%Y-%m").astype("string").fillna("")
    else:
        text = text_column(series)

        def one(value: str) -> str:
            match = re.match(r"^(\d{4})-(\d{1,2})(?:-\d{1,2})?(?:[ T].*)?$", value)
            if match and 1 <= int(match.group(2)) <= 12:
                return f"{match.group(1)}-{int(match.group(2)):02d}"
            if not value:
                return ""
            for fmt in ("%d/%m/%Y", "%b-%y", "%b %Y", "%B %Y", "%Y%m"):
                try:
                    return pd.to_datetime(value, format=fmt).strftime("%Y-%m")
                except (ValueError, TypeError):
                    continue
            return ""

        codes, uniques = pd.factorize(text)
        mapped = [one(str(v)) for v in uniques]
        out = pd.Series([mapped[k] for k in codes], index=series.index, dtype="string")
    bad = out.eq("")
    if bad.any():
        shown = text_column(series)[bad].head(5).tolist()
        raise DataError(f"{label}: column '{RECORDED}' is empty or not a date on "
                        f"{line_numbers(bad, first)} (e.g. {shown}); expected dates such as 2022-12-01.")
    return out


def _counts(series: pd.Series, label: str, first: int) -> pd.Series:
    number = pd.to_numeric(text_column(series).replace("", pd.NA), errors="coerce").astype("float64")
    bad = number.isna() | (number < 0) | (number % 1 != 0)
    if bad.any():
        shown = text_column(series)[bad].head(5).tolist()
        raise DataError(f"{label}: column 'count' is not a whole number >= 0 on "
                        f"{line_numbers(bad, first)} (e.g. {shown}).")
    return number.astype("int64")


def _bcus(frame: pd.DataFrame, label: str, first: int, notes: Counter) -> tuple[pd.Series, pd.Series]:
    bcu_text = text_column(frame["bcu_location"])
    borough_text = text_column(frame["borough_name"])
    borough = borough_text.map(lambda v: normalise_borough(v) or _OTHER_LABELS.get(v.lower(), v) or "Unknown")

    def code(value: str) -> str | None:
        if value.lower() in _OTHER_LABELS:
            return _OTHER_LABELS[value.lower()]
        try:
            return bcu_code(value)
        except ParamsError:
            return None

    distinct = {v: code(v) for v in bcu_text.unique()}
    bcu = bcu_text.map(distinct)
    unresolved = bcu.isna()
    if unresolved.any():
        from_borough = borough[unresolved].map(BOROUGH_TO_BCU)
        fixed = from_borough.notna()
        for value in bcu_text[unresolved][fixed].unique():
            notes[f"{label}: BCU label {value!r} is not a BCU name; its rows took their borough's BCU"] += 1
        bcu[unresolved] = from_borough.fillna(bcu_text[unresolved].replace("", "Unknown"))
    expected = borough.map(BOROUGH_TO_BCU)
    mismatch = expected.notna() & bcu.isin(list(BOROUGH_TO_BCU.values())) & expected.ne(bcu)
    if mismatch.any():
        pairs = (bcu_text[mismatch] + " / " + borough_text[mismatch]).unique()[:5].tolist()
        raise DataError(f"{label}: the borough is not in the row's BCU on {line_numbers(mismatch, first)} "
                        f"(e.g. {pairs}); see vawgstats.geography.BCUS for the Met's BCUs.")
    return bcu.astype("string"), borough.astype("string")


def _sheet_counts(frame: pd.DataFrame, layout: str, measure: str, label: str, sheet: str,
                  notes: Counter) -> pd.DataFrame:
    first = first_line_of(label)
    month = _months(frame[RECORDED], label, first)
    number = _counts(frame["count"], label, first)
    _, category_column, _, kind = LAYOUTS[layout]
    if layout == "location":
        bcu, borough = _bcus(frame, label, first, notes)
        ward = text_column(frame["ward_name_clean_2"])
        category = pd.Series(c.ALL_CATEGORY, index=frame.index, dtype="string")
    else:
        bcu = pd.Series(c.LONDON_LABEL, index=frame.index, dtype="string")
        borough = bcu
        ward = pd.Series("", index=frame.index, dtype="string")
        category = text_column(frame[category_column]).replace("", "Unknown")
    table = pd.DataFrame({"month": month, "bcu": bcu, "borough": borough, "ward": ward,
                          "measure": measure, "category": category, "count": number,
                          "source": f"mps_vawg_{measure}_{kind}"})
    keys = [col for col in c.COUNTS_COLUMNS if col != "count"]
    grouped = table.groupby(keys, sort=True, dropna=False, observed=True)["count"].sum().reset_index()
    return grouped[grouped["count"] > 0][list(c.COUNTS_COLUMNS)]


def _split_stacked(label: str, sheet: str, frame: pd.DataFrame) -> list[tuple[str, str, pd.DataFrame]]:
    names = [normalise_header(col) for col in frame.columns]
    frame = frame.set_axis(names, axis=1)
    if "sheet" not in names:
        return [(label, sheet, frame)]
    parts = []
    for value, group in frame.groupby(text_column(frame["sheet"]), sort=False):
        keep = [col for col in group.columns if col != "sheet" and text_column(group[col]).ne("").any()]
        parts.append((f"{label} [sheet {value!r}]", str(value), group[keep]))
    return parts


def import_files(srcs: list[Path]) -> ImportResult:
    """Read every sheet in ``srcs`` and return the counts table and a summary."""
    files = expand(srcs)
    parts: list[tuple[pd.DataFrame, str]] = []
    described: list[str] = []
    skipped: list[str] = []
    ignored: dict[str, list[str]] = {}
    notes: Counter = Counter()
    for path in files:
        tables = read_tables(path)
        is_workbook = path.name.lower().endswith((".xlsx", ".xlsm"))
        recognised_in_file = 0
        for label, sheet, frame in tables:
            for sub_label, sub_sheet, table in _split_stacked(label, sheet, frame):
                layout = _layout_of(set(table.columns))
                if layout is None and is_workbook:
                    wanted_sets = [set(cols) for cols, *_ in LAYOUTS.values()]
                    for wanted in wanted_sets:
                        reheaded = find_header_row(frame, wanted)
                        if reheaded is not None:
                            table = reheaded.set_axis([normalise_header(x) for x in reheaded.columns], axis=1)
                            layout = _layout_of(set(table.columns))
                            break
                if layout in (None, "ambiguous"):
                    if is_workbook and layout is None:
                        skipped.append(sub_label)
                        continue
                    problem = ("matches more than one VAWG dashboard sheet (a stacked table needs its "
                               "'sheet' column)" if layout == "ambiguous" else
                               "matches no known VAWG dashboard sheet")
                    names = [str(col) for col in table.columns]
                    shown = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
                    raise DataError(f"{sub_label}: the header ({shown}) {problem}. "
                                    f"Expected the columns of one of these sheets: {_expected_text()}."
                                    + _other_importer_hint(set(names)))
                if table.empty:
                    raise DataError(f"{sub_label}: the sheet has a header but no data rows.")
                recognised_in_file += 1
                _, _, default, kind = LAYOUTS[layout]
                measure = _measure(table, sub_sheet, path, sub_label, default)
                extra = [col for col in table.columns if col not in _KNOWN]
                if extra:
                    ignored[sub_label] = extra
                counted = _sheet_counts(table, layout, measure, sub_label, sub_sheet, notes)
                parts.append((counted, sub_label))
                months = counted["month"]
                short = sub_label.replace(str(path), path.name)
                described.append(f"{short} ({measure} {_DESCRIPTION[layout]}, "
                                 f"{months.min()} to {months.max()}, {int(counted['count'].sum()):,} counted)")
        if is_workbook and recognised_in_file == 0:
            sheets = ", ".join(repr(s) for _, s, _ in tables)
            raise DataError(f"{path}: no sheet of this workbook matches a known VAWG dashboard sheet "
                            f"(sheets: {sheets}). Expected the columns of one of: {_expected_text()}.")
    table, overlaps = c.combine_counts(parts)
    table = table.reset_index(drop=True)
    return ImportResult(table, "counts", _summary(table, described, skipped, ignored, notes, overlaps))


def _summary(table: pd.DataFrame, described: list[str], skipped: list[str], ignored: dict[str, list[str]],
             notes: Counter, overlaps: list[str]) -> str:
    parts = [f"Imported the MPS VAWG dashboard from {len(described)} sheet(s): " + "; ".join(described) + "."]
    outside = table[~c.in_bcu_totals(table) & table["bcu"].ne(c.LONDON_LABEL)]
    if not outside.empty:
        totals = outside.groupby(["bcu", "measure"])["count"].sum()
        listed = ", ".join(f"{bcu} {n:,} {measure}" for (bcu, measure), n in totals.items())
        parts.append(f"Rows outside the 12 BCUs were kept under their labels, counted in London totals "
                     f"and excluded from BCU totals: {listed}.")
    if (table["bcu"] == c.LONDON_LABEL).any():
        parts.append("Classification, age-group and ethnic-group sheets are London-wide (bcu and borough "
                     "'London'); the classification's category is the vawg_offence column.")
    parts.append("Months are months recorded (recorded_date_months), summed over month committed.")
    if overlaps:
        parts.append("Overlapping files: " + "; ".join(overlaps) + ".")
    if notes:
        parts.append("; ".join(notes) + ".")
    if ignored:
        parts.append("Ignored extra columns: " + "; ".join(f"{k}: {', '.join(v)}" for k, v in ignored.items()) + ".")
    if skipped:
        parts.append(f"Skipped {len(skipped)} workbook sheet(s) that are not data sheets: {', '.join(skipped)}.")
    return " ".join(parts)


__all__ = ["LAYOUTS", "import_files"]
