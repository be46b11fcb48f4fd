"""data.police.uk archives -> crime records (the data contract of :mod:`vawgstats.schema`).

Input: a folder laid out like the data.police.uk archive
(``YYYY-MM/YYYY-MM-<force>-street.csv`` and optional
``YYYY-MM/YYYY-MM-<force>-outcomes.csv``), a ``.zip`` of such folders, or
single street/outcomes files (``.csv`` or ``.csv.gz``).  In folders and zips,
files are found by name (``*-street.csv``, ``*-outcomes.csv``); other files
(e.g. ``*-stop-and-search.csv``) are skipped and counted in the summary.  A
file given by itself is recognised by its header.  Every file must have
police.uk's header (12 street columns, 10 outcomes columns; compared
case-insensitively) and at least one row, or the import stops with a
DataError naming the file.  Input with no street file at all is a DataError.

How each record is built
    ``crime_id``       ``Crime ID``.  Rows without one (anti-social behaviour)
                       are counted by crime type in the summary and left out.
                       A Crime ID on several street rows becomes one record:
                       the row with a borough, then with a concluded outcome,
                       then the earliest month, then the first read.
    ``recorded_date``  first day of ``Month``: police.uk gives the month only,
                       so dates have month precision.
    ``offence_date``   empty (not published).
    ``borough``        from the prefix of ``LSOA name`` (``"Enfield 012A"`` ->
                       Enfield), or from ``LSOA code`` when the name is empty.
                       Rows with no LSOA, in the City of London, or in a local
                       authority outside London are counted by reason in the
                       summary and left out: the data contract needs one of
                       the 32 boroughs.
    ``lsoa_code``, ``latitude``, ``longitude``: as published.
    ``crime_type``     the original ``Crime type`` text.
    ``offence_group``  ``violence_and_sexual_offences`` for "Violence and sexual
                       offences" (the VAWG proxy for open data, see
                       :data:`vawgstats.definitions.POLICEUK_PROXY_GROUP`),
                       ``other`` for every other crime type.
    ``domestic_abuse`` false; ``victim_sex`` ``U``; ``victim_age``,
                       ``victim_id``, ``suspect_id`` empty: police.uk publishes
                       no victim or suspect fields.
    ``outcome_code``   the Home Office outcome type of the police.uk outcome
                       category, through the table shipped as
                       ``vawgstats/data/policeuk_outcomes.csv`` (see
                       :func:`outcome_table`; pending categories such as "Under
                       investigation" give an empty code).  The category is
                       the crime's latest event in the outcomes files (latest
                       month; within a month the last row read) when the
                       outcomes files have the crime, else the street file's
                       ``Last outcome category``.  A category not in the table
                       is a DataError naming the file, the category and rows.
    ``outcome_date``   first day of the outcome's month (outcomes file), else
                       of the street file's month; never before
                       ``recorded_date``; empty when the outcome is pending.
    ``source``         ``police.uk``.

Files from forces other than the Met are accepted; the summary names every
force (``Falls within``) and how many of its rows were imported.
"""

from __future__ import annotations

import csv
import gzip
import re
import zipfile
import zlib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from ..definitions import POLICEUK_PROXY_GROUP
from ..errors import DataError
from ..geography import lsoa_table, normalise_borough
from . import ImportResult, normalise_header, read_csv_bytes, summarise_counts

STREET_COLUMNS: tuple[str, ...] = (
    "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
    "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context",
)
OUTCOMES_COLUMNS: tuple[str, ...] = (
    "Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
    "LSOA code", "LSOA name", "Outcome type",
)
_STREET = {normalise_header(c) for c in STREET_COLUMNS}
#: The columns the importer uses (the others are checked in the header, then dropped).
_USED = {
    "street": ("crime_id", "month", "falls_within", "longitude", "latitude", "lsoa_code", "lsoa_name",
               "crime_type", "last_outcome_category"),
    "outcomes": ("crime_id", "month", "outcome_type"),
}
_OUTCOMES = {normalise_header(c) for c in OUTCOMES_COLUMNS}

SOURCE_LABEL = "police.uk"
PROXY_CRIME_TYPE = "Violence and sexual offences"
MET = "Metropolitan Police Service"

REASON_NO_LSOA = "no location (no LSOA)"
REASON_CITY = "City of London (policed by the City of London Police)"
REASON_OUTSIDE = "outside London"

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def _category_key(text: object) -> str:
    return re.sub(r"\s+", " ", str(text or "")).strip().lower()


@lru_cache(maxsize=1)
def outcome_table() -> pd.DataFrame:
    """The shipped mapping: police_uk_category, outcome_code ('' = pending), note."""
    path = resources.files("vawgstats") / "data" / "policeuk_outcomes.csv"
    with path.open("r", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return pd.DataFrame(rows, columns=["police_uk_category", "outcome_code", "note"]).astype("string")


@lru_cache(maxsize=1)
def _outcome_codes() -> dict[str, str]:
    table = outcome_table()
    return {_category_key(cat): str(code) for cat, code in zip(table["police_uk_category"], table["outcome_code"])}


def outcome_code(category: str) -> str | None:
    """The Home Office outcome code of a police.uk category ('' when pending, None if unknown)."""
    return _outcome_codes().get(_category_key(category))


# --------------------------------------------------------------------------- reading


@dataclass
class _File:
    label: str
    kind: str | None  # "street", "outcomes" or None (decide by header)
    read: object  # callable returning bytes


def _kind_by_name(name: str) -> str | None:
    lowered = name.lower()
    if lowered.endswith(("-street.csv", "-street.csv.gz")):
        return "street"
    if lowered.endswith(("-outcomes.csv", "-outcomes.csv.gz")):
        return "outcomes"
    return None


def _gunzip(raw: bytes, label: str) -> bytes:
    try:
        return gzip.decompress(raw)
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise DataError(f"{label}: the file could not be read as gzip ({exc}); it may be truncated.") from None


def _file_reader(path: Path):
    def read() -> bytes:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise DataError(f"{path}: the file could not be read ({exc}).") from None
        return _gunzip(raw, str(path)) if path.name.lower().endswith(".gz") else raw
    return read


def _zip_entries(path: Path, skipped: list[str]) -> list[_File]:
    try:
        archive = zipfile.ZipFile(path)
        names = archive.namelist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise DataError(f"{path}: the file could not be read as a zip archive ({exc}).") from None
    entries = []
    for name in sorted(names):
        if name.endswith("/") or "__MACOSX" in name or Path(name).name.startswith("."):
            continue
        kind = _kind_by_name(Path(name).name)
        if kind is None:
            skipped.append(f"{path}!{name}")
            continue

        def read(name=name) -> bytes:
            try:
                raw = archive.read(name)
            except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
                raise DataError(f"{path}!{name}: could not be read from the zip archive ({exc}).") from None
            return _gunzip(raw, f"{path}!{name}") if name.lower().endswith(".gz") else raw
        entries.append(_File(f"{path}!{name}", kind, read))
    return entries


def _gather(srcs: list[Path]) -> tuple[list[_File], list[str]]:
    entries: list[_File] = []
    skipped: list[str] = []
    for src in srcs:
        if not src.exists():
            raise DataError(f"{src}: no such file or folder.")
        if src.is_dir():
            for path in sorted(p for p in src.rglob("*") if p.is_file()):
                if any(part.startswith(".") for part in path.relative_to(src).parts):
                    continue
                if path.name.lower().endswith(".zip"):
                    entries.extend(_zip_entries(path, skipped))
                    continue
                kind = _kind_by_name(path.name)
                if kind is None:
                    if path.name.lower().endswith((".csv", ".csv.gz")):
                        skipped.append(str(path))
                    continue
                entries.append(_File(str(path), kind, _file_reader(path)))
        elif src.name.lower().endswith(".zip"):
            entries.extend(_zip_entries(src, skipped))
        else:
            entries.append(_File(str(src), _kind_by_name(src.name), _file_reader(src)))
    return entries, skipped


def _read(entry: _File) -> tuple[str, pd.DataFrame]:
    frame = read_csv_bytes(entry.read(), entry.label)
    names = [normalise_header(c) for c in frame.columns]
    found = set(names)
    kind = "street" if found == _STREET else "outcomes" if found == _OUTCOMES else None
    if kind is None or len(names) != len(found):
        expected = {"street": STREET_COLUMNS, "outcomes": OUTCOMES_COLUMNS}.get(entry.kind or "", STREET_COLUMNS)
        raise DataError(
            f"{entry.label}: the header is not police.uk's {entry.kind or 'street or outcomes'} file header. "
            f"Found: {', '.join(map(str, frame.columns))}. Expected: {', '.join(expected)}"
            + ("" if entry.kind else f" (or for an outcomes file: {', '.join(OUTCOMES_COLUMNS)})") + ".")
    if entry.kind and kind != entry.kind:
        raise DataError(f"{entry.label}: the file is named as a police.uk {entry.kind} file but has the "
                        f"header of a {kind} file.")
    frame = frame.set_axis(names, axis=1)[list(_USED[kind])]
    for column in frame.columns:
        # plain Python strings: hashing (isin, map, sort, drop_duplicates) is much faster than on Arrow strings
        frame[column] = frame[column].astype("string").fillna("").str.strip().astype(object)
    frame["_file"] = entry.label
    frame["_line"] = np.arange(2, len(frame) + 2)
    return kind, frame


def _check_months(frame: pd.DataFrame) -> None:
    bad = ~_per_unique(frame["month"], lambda m: bool(_MONTH.match(m))).astype(bool)
    if bad.any():
        messages = []
        for label, group in frame[bad].groupby("_file", sort=False):
            lines = ", ".join(str(n) for n in group["_line"].head(20))
            messages.append(f"{label}: column 'Month' is not YYYY-MM on line(s) {lines} "
                            f"(e.g. {group['month'].iloc[0]!r})")
        raise DataError("; ".join(messages) + ".")


def _check_categories(frame: pd.DataFrame, column: str, heading: str) -> pd.Series:
    codes = _outcome_codes()
    keys = _per_unique(frame[column], _category_key)
    unknown = ~keys.isin(set(codes))
    if unknown.any():
        messages = []
        for (label, category), group in frame[unknown].groupby(["_file", column], sort=False):
            lines = ", ".join(str(n) for n in group["_line"].head(20))
            more = f" and {len(group) - 20} more" if len(group) > 20 else ""
            messages.append(f"{label}: unknown police.uk outcome category {category!r} in '{heading}' "
                            f"on {len(group)} row(s): line(s) {lines}{more}")
        raise DataError("; ".join(messages) + ". Known categories are listed in "
                        "vawgstats/data/policeuk_outcomes.csv; add the new one there with its Home Office "
                        "outcome type.")
    return keys.map(codes)


# --------------------------------------------------------------------------- boroughs


def _per_unique(series: pd.Series, func) -> pd.Series:
    """``func`` applied once per distinct value (object dtype result, same index)."""
    codes, uniques = pd.factorize(series)
    mapped = np.array([func(value) for value in uniques] + [func("")], dtype=object)
    return pd.Series(mapped[codes], index=series.index, dtype=object)


_LSOA_SUFFIX = re.compile(r"\s+\d{3}[A-Z]$")


def _boroughs(street: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(borough or '', reason the borough is missing or '', local authority text)."""
    authority = _per_unique(street["lsoa_name"], lambda name: _LSOA_SUFFIX.sub("", name).strip())
    borough = _per_unique(authority, lambda name: normalise_borough(name) or "")
    by_code = dict(zip(lsoa_table()["lsoa_code"].astype(str), lsoa_table()["borough"].astype(str)))
    from_code = _per_unique(street["lsoa_code"], lambda code: by_code.get(code, ""))
    borough = borough.where(borough.ne("") | street["lsoa_name"].ne(""), from_code)
    no_lsoa = street["lsoa_name"].eq("") & street["lsoa_code"].eq("")
    city = authority.eq("City of London") | authority.eq("city of london")
    reason = pd.Series("", index=street.index, dtype=object)
    reason = reason.mask(borough.eq("") & no_lsoa, REASON_NO_LSOA)
    reason = reason.mask(borough.eq("") & ~no_lsoa & city, REASON_CITY)
    reason = reason.mask(borough.eq("") & ~no_lsoa & ~city, REASON_OUTSIDE)
    return borough, reason, authority


# --------------------------------------------------------------------------- import


def import_files(srcs: list[Path]) -> ImportResult:
    """Read police.uk street (and outcomes) files and return crime records and a summary."""
    entries, skipped = _gather(srcs)
    streets, outcomes = [], []
    for entry in entries:
        kind, frame = _read(entry)
        (streets if kind == "street" else outcomes).append(frame)
    where = ", ".join(str(s) for s in srcs)
    if not streets:
        raise DataError(f"{where}: no police.uk street file found (expected files named "
                        "YYYY-MM/YYYY-MM-<force>-street.csv, or a zip of them).")
    street = pd.concat(streets, ignore_index=True)
    _check_months(street)
    forces_all = street["falls_within"].replace("", "(not given)").value_counts()

    has_id = street["crime_id"].ne("")
    without_id = street.loc[~has_id, "crime_type"].replace("", "(no crime type)").value_counts()
    street = street[has_id].copy()
    street["_code"] = _check_categories(street, "last_outcome_category", "Last outcome category")
    street["borough"], street["_reason"], street["_authority"] = _boroughs(street)
    street["_order"] = np.arange(len(street))
    repeated = street["crime_id"].duplicated(keep=False)
    ranked = street[repeated]
    ranked = ranked.assign(_no_borough=ranked["borough"].eq(""), _pending=ranked["_code"].eq(""))
    ranked = ranked.sort_values(["crime_id", "_no_borough", "_pending", "month", "_order"])
    duplicates = int(ranked["crime_id"].duplicated().sum())
    chosen = ranked.drop_duplicates("crime_id", keep="first")
    crimes = pd.concat([street[~repeated], chosen[street.columns]]).sort_values("_order")

    outcome_rows = 0
    applied = 0
    orphans = 0
    orphan_no_id = 0
    if outcomes:
        events = pd.concat(outcomes, ignore_index=True)
        outcome_rows = len(events)
        _check_months(events)
        events["_code"] = _check_categories(events, "outcome_type", "Outcome type")
        orphan_no_id = int(events["crime_id"].eq("").sum())
        events = events[events["crime_id"].ne("")]
        events["_order"] = np.arange(len(events))
        known = events["crime_id"].isin(set(crimes["crime_id"]))
        orphans = int((~known).sum())
        events = events[known]
        several = events["crime_id"].duplicated(keep=False)
        last = (events[several].sort_values(["crime_id", "month", "_order"])
                .drop_duplicates("crime_id", keep="last"))
        latest = pd.concat([events[~several], last]).set_index("crime_id")
        crimes["_event_month"] = crimes["crime_id"].map(latest["month"]).fillna("")
        crimes["_event_code"] = crimes["crime_id"].map(latest["_code"])
    else:
        crimes["_event_month"] = pd.Series("", index=crimes.index, dtype=object)
        crimes["_event_code"] = pd.Series(None, index=crimes.index, dtype=object)
    has_event = crimes["_event_month"].ne("")
    crimes["_final_code"] = crimes["_event_code"].where(has_event, crimes["_code"]).fillna("")
    outcome_month = crimes["_event_month"].where(has_event, crimes["month"])

    excluded = crimes[crimes["borough"].eq("")]
    kept = crimes[crimes["borough"].ne("")]
    applied = int(has_event[kept.index].sum())
    if kept.empty:
        reasons = summarise_counts(excluded["_reason"].value_counts().to_dict())
        raise DataError(f"{where}: none of the {len(crimes):,} crimes with a Crime ID is in the 32 London "
                        f"boroughs policed by the Met ({reasons}); forces (Falls within): "
                        f"{summarise_counts(forces_all.to_dict())}. Nothing was written.")
    recorded = pd.to_datetime(kept["month"] + "-01", format="%Y-%m-%d")
    outcome_day = pd.to_datetime(outcome_month[kept.index] + "-01", format="%Y-%m-%d")
    outcome_day = outcome_day.where(outcome_day >= recorded, recorded)
    code = kept["_final_code"]
    outcome_date = outcome_day.dt.strftime("%Y-%m-%d").where(code.ne(""), "")
    raw = pd.DataFrame({
        "crime_id": kept["crime_id"],
        "recorded_date": recorded.dt.strftime("%Y-%m-%d"),
        "offence_date": "",
        "borough": kept["borough"],
        "lsoa_code": kept["lsoa_code"],
        "offence_group": _per_unique(kept["crime_type"], lambda t: POLICEUK_PROXY_GROUP
                                     if t.lower() == PROXY_CRIME_TYPE.lower() else "other"),
        "domestic_abuse": "false",
        "victim_id": "",
        "victim_sex": "U",
        "victim_age": "",
        "suspect_id": "",
        "outcome_code": code,
        "outcome_date": outcome_date,
        "latitude": kept["latitude"],
        "longitude": kept["longitude"],
        "crime_type": kept["crime_type"],
        "source": SOURCE_LABEL,
    }).reset_index(drop=True).astype("string")
    from ..schema import parse_records

    records = parse_records(raw, Path(f"police.uk import of {where}"), "parquet")
    summary = _summary(street_files=len(streets), outcome_files=len(outcomes), street_rows=int(has_id.size),
                       without_id=without_id.to_dict(), duplicates=duplicates, crimes=crimes,
                       excluded=excluded, kept=kept, records=records, forces=forces_all,
                       outcome_rows=outcome_rows, applied=applied, orphans=orphans,
                       orphan_no_id=orphan_no_id, skipped=skipped)
    return ImportResult(records, "records", summary)


def _summary(*, street_files, outcome_files, street_rows, without_id, duplicates, crimes, excluded, kept,
             records, forces, outcome_rows, applied, orphans, orphan_no_id, skipped) -> str:
    months = crimes["month"]
    parts = [f"Read {street_rows:,} rows from {street_files} police.uk street file(s) "
             f"({months.min()} to {months.max()}) and {outcome_rows:,} rows from {outcome_files} outcomes file(s)."]
    kept_forces = kept["falls_within"].value_counts()
    force_text = ", ".join(f"{force} ({int(n):,} rows, {int(kept_forces.get(force, 0)):,} imported)"
                           for force, n in forces.items())
    parts.append(f"Forces (Falls within): {force_text}.")
    others = [f for f in forces.index if f != MET]
    if others:
        parts.append(f"Note: {', '.join(others)} {'is' if len(others) == 1 else 'are'} not the Metropolitan "
                     "Police Service; those rows are imported only where their LSOA lies in one of the 32 "
                     "boroughs, and are not Met-recorded crimes.")
    if without_id:
        parts.append(f"Left out {sum(without_id.values()):,} rows without a Crime ID "
                     f"({summarise_counts(without_id)}).")
    if duplicates:
        parts.append(f"Merged {duplicates:,} repeated rows of a Crime ID (one record per crime).")
    if not excluded.empty:
        reasons = excluded["_reason"].value_counts().to_dict()
        text = summarise_counts(reasons)
        outside = excluded.loc[excluded["_reason"].eq(REASON_OUTSIDE), "_authority"].value_counts().to_dict()
        if outside:
            text += f" (local authorities: {summarise_counts(outside, limit=5)})"
        parts.append(f"Left out {len(excluded):,} crimes not in the 32 boroughs: {text}.")
    proxy = int((records["offence_group"] == POLICEUK_PROXY_GROUP).sum())
    pending = int(records["outcome_code"].isna().sum())
    parts.append(f"Imported {len(records):,} crimes, {proxy:,} of them 'Violence and sexual offences', the "
                 "VAWG proxy for police.uk data (offence_group = violence_and_sexual_offences: open data has "
                 f"no victim sex or domestic abuse flag); {pending:,} have no outcome yet.")
    if outcome_files:
        text = f"Outcomes files gave the latest outcome of {applied:,} imported crimes"
        if orphans or orphan_no_id:
            text += (f"; {orphans + orphan_no_id:,} outcome rows are for crimes not in the street files read "
                     "and were ignored")
        parts.append(text + ".")
    parts.append("Dates have month precision: recorded_date is the first day of the street file's month and "
                 "outcome_date the first day of the outcome's month; outcome categories are mapped to Home "
                 "Office outcome types by vawgstats/data/policeuk_outcomes.csv.")
    if skipped:
        parts.append(f"Skipped {len(skipped):,} other file(s) (not street or outcomes files).")
    return " ".join(parts)


__all__ = ["OUTCOMES_COLUMNS", "STREET_COLUMNS", "import_files", "outcome_code", "outcome_table"]
