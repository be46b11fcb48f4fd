"""Importers for published open data.

``vawgstats import NAME SRC... --out PATH`` calls :func:`import_source`, which
dispatches by name to one module:

==============  ==============================================  ===============
name            what it reads                                   writes
==============  ==============================================  ===============
``mps-vawg``    MPS VAWG dashboard sheets (London Datastore)    counts table
``policeuk``    data.police.uk street / outcomes archives       crime records
``mps-crime``   MPS recorded crime by borough, ward or LSOA     counts table
==============  ==============================================  ===============

The counts table is defined in :mod:`vawgstats.counts`, the record-level data
contract in :mod:`vawgstats.schema`.  The output file is written only when the
whole import succeeded: it is written to a temporary file in the same folder
and renamed over ``out``, so a failed import never leaves a partial file.
Every problem with an input is a :class:`~vawgstats.errors.DataError` that
names the file.
"""

from __future__ import annotations

import gzip
import os
import re
import uuid
import zlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import DataError, ParamsError

#: Importer names accepted by :func:`import_source`, with their modules.
IMPORTERS: dict[str, str] = {
    "mps-vawg": "mps_vawg",
    "policeuk": "policeuk",
    "mps-crime": "mps_crime",
}

#: Extensions of tabular files that the aggregate importers read.
TABLE_SUFFIXES: tuple[str, ...] = (".csv", ".csv.gz", ".parquet", ".pq", ".xlsx")


@dataclass
class ImportResult:
    """What an importer hands back: the table, its kind, and a summary paragraph."""

    table: pd.DataFrame
    kind: str  # "counts" or "records"
    summary: str


def import_source(name: str, srcs: list[Path], out: Path) -> str:
    """Import the files ``srcs`` with importer ``name`` and write ``out``.

    ``out`` must end in ``.parquet`` or ``.csv`` (``.csv.gz`` also works).
    Returns a one-paragraph summary for people; raises
    :class:`~vawgstats.errors.DataError` for bad input (and writes nothing).
    """
    import importlib

    if name not in IMPORTERS:
        raise ParamsError(f"Unknown source {name!r}: expected one of {', '.join(IMPORTERS)}.")
    out = Path(out)
    lowered = out.name.lower()
    if not lowered.endswith((".parquet", ".csv", ".csv.gz")):
        raise ParamsError(f"--out {out}: expected a file name ending in .parquet or .csv.")
    if out.exists() and out.is_dir():
        raise ParamsError(f"--out {out}: is a folder; expected a file name ending in .parquet or .csv.")
    srcs = [Path(s) for s in srcs]
    if not srcs:
        raise DataError("No input files or folders were given.")
    module = importlib.import_module(f".{IMPORTERS[name]}", __name__)
    result: ImportResult = module.import_files(srcs)
    _write_atomically(result, out)
    rows = len(result.table)
    what = "records" if result.kind == "records" else "rows of counts"
    return f"{result.summary} Wrote {rows:,} {what} to {out}."


def _write_atomically(result: ImportResult, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(f".{uuid.uuid4().hex[:12]}.tmp-{out.name}")
    try:
        if result.kind == "records":
            from ..schema import write_records

            write_records(result.table, temporary)
        else:
            from ..counts import write_counts

            write_counts(result.table, temporary)
        os.replace(temporary, out)
    finally:
        if temporary.exists():
            temporary.unlink()


# --------------------------------------------------------------------------- helpers


def normalise_header(name: object) -> str:
    """A column name compared case-insensitively: lower case, runs of other characters as ``_``.

    ``"LookUp_BoroughName"`` -> ``"lookup_boroughname"``,
    ``"Recorded Date (Months)"`` -> ``"recorded_date_months"``, ``"Crime ID"`` -> ``"crime_id"``.
    """
    text = str(name).strip().lstrip("\ufeff").lower()
    if re.fullmatch(r"\d+\.0", text):  # 202403.0 from a spreadsheet
        text = text[:-2]
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def has_suffix(path: Path, suffixes: tuple[str, ...]) -> bool:
    return path.name.lower().endswith(suffixes)


def expand(srcs: list[Path], suffixes: tuple[str, ...] = TABLE_SUFFIXES) -> list[Path]:
    """Files to read: each file as given, and each folder's files (recursively,
    sorted) whose names end in one of ``suffixes``.  Hidden files are skipped.
    A missing path, or a folder with no such file, is a DataError."""
    files: list[Path] = []
    for src in srcs:
        if not src.exists():
            raise DataError(f"{src}: no such file or folder.")
        if src.is_dir():
            found = sorted(p for p in src.rglob("*") if p.is_file() and has_suffix(p, suffixes)
                           and not any(part.startswith(".") for part in p.relative_to(src).parts))
            if not found:
                raise DataError(f"{src}: the folder holds no data file (expected {', '.join(suffixes)}).")
            files.extend(found)
        else:
            files.append(src)
    seen: set[Path] = set()
    unique = []
    for path in files:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(path)
    return unique


def decode(raw: bytes, label: str) -> str:
    """Bytes of a CSV as text (UTF-8, else Windows-1252); DataError naming ``label`` if empty or binary."""
    if not raw.strip():
        raise DataError(f"{label}: the file is empty; expected a CSV header line and data rows.")
    if b"\x00" in raw[:65536]:
        raise DataError(f"{label}: this is not a text CSV file (it contains binary data).")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DataError(f"{label}: the file is not readable text in UTF-8 or Windows-1252.")


def read_csv_bytes(raw: bytes, label: str) -> pd.DataFrame:
    """Parse CSV bytes with every column as text; DataError naming ``label`` on any problem."""
    from ..records_file import read_csv_text

    return read_csv_text(decode(raw, label), Path(label))


def read_bytes(path: Path) -> bytes:
    """A file's bytes, gunzipped if it ends in ``.gz``; DataError naming the file if unreadable."""
    try:
        if path.name.lower().endswith(".gz"):
            with gzip.open(path, "rb") as handle:
                return handle.read()
        return path.read_bytes()
    except (EOFError, gzip.BadGzipFile, zlib.error, OSError) as exc:
        raise DataError(f"{path}: the file could not be read ({exc.__class__.__name__}: {exc}); "
                        "it may be truncated or corrupted.") from None


def read_tables(path: Path) -> list[tuple[str, str, pd.DataFrame]]:
    """Read a tabular file: a list of (label, sheet name or '', frame).

    CSV (optionally gzipped) and Parquet give one table; an ``.xlsx`` workbook
    gives one per sheet.  Empty files and sheets are DataErrors naming them.
    """
    name = path.name.lower()
    label = str(path)
    if name.endswith((".parquet", ".pq")):
        from ..records_file import read_parquet_frame

        return [(label, "", read_parquet_frame(path))]
    if name.endswith((".xlsx", ".xlsm")):
        try:
            import openpyxl  # noqa: F401
        except ImportError:
            raise DataError(f"{path}: reading Excel workbooks needs the openpyxl package "
                            "(pip install openpyxl), or save each sheet as CSV.") from None
        try:
            sheets = pd.read_excel(path, sheet_name=None, dtype=object, engine="openpyxl")
        except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for bad files
            raise DataError(f"{path}: the file could not be read as an Excel workbook "
                            f"({exc.__class__.__name__}: {exc}).") from None
        tables = [(f"{path} [sheet {sheet!r}]", str(sheet), frame) for sheet, frame in sheets.items()]
        if not tables:
            raise DataError(f"{path}: the workbook has no sheets.")
        return tables
    raw = read_bytes(path)
    return [(label, "", read_csv_bytes(raw, label))]


def find_header_row(frame: pd.DataFrame, wanted: set[str], limit: int = 10) -> pd.DataFrame | None:
    """For spreadsheets with title lines above the header: the frame re-headed at the
    first of its ``limit`` top rows holding all ``wanted`` (normalised) names, else None."""
    for position in range(min(limit, len(frame))):
        names = [normalise_header(v) for v in frame.iloc[position].tolist()]
        if wanted <= set(names):
            body = frame.iloc[position + 1:]  # keeps the index: row numbers stay those of the sheet
            return body.set_axis([str(v) for v in frame.iloc[position].tolist()], axis=1)
    return None


def line_numbers(mask: pd.Series, first_line: int, limit: int = 20) -> str:
    """``"lines 2, 5 and 9"`` for the True rows of ``mask``: each row's index label
    (its 0-based position in the file as read) + ``first_line``."""
    index = [int(i) for i in mask[mask.fillna(False).astype(bool)].index]
    shown = [str(i + first_line) for i in index[:limit]]
    more = f" and {len(index) - limit} more" if len(index) > limit else ""
    word = "line" if first_line >= 2 else "row"
    if len(shown) == 1 and not more:
        return f"{word} {shown[0]}"
    return f"{word}s {', '.join(shown)}{more}"


def first_line_of(label: str) -> int:
    """Line/row number of a table's first data row: 1 for Parquet rows; 2 for CSV lines and
    spreadsheet rows (the header is line/row 1)."""
    return 1 if re.search(r"\.(parquet|pq)\b", label.lower()) else 2


def text_column(series: pd.Series) -> pd.Series:
    """Values as stripped text ('' for missing); whole floats written without ``.0``."""
    def one(value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, float):
            if pd.isna(value):
                return ""
            if value.is_integer():
                return str(int(value))
        if value is pd.NA or value is pd.NaT:
            return ""
        return str(value).strip()

    if pd.api.types.is_string_dtype(series.dtype) and not pd.api.types.is_object_dtype(series.dtype):
        return series.astype("string").fillna("").str.strip()
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    mapped = [one(v) for v in uniques] + [""]
    return pd.Series([mapped[c] for c in codes], index=series.index, dtype="string")


def summarise_counts(counter: dict[str, int], limit: int = 8) -> str:
    """``"a 3, b 2 and 4 more"`` from a label -> count mapping, largest first."""
    items = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
    shown = ", ".join(f"{label} {count:,}" for label, count in items[:limit])
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return shown + more


__all__ = ["IMPORTERS", "ImportResult", "import_source", "normalise_header"]
