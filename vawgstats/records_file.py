"""Reading a records file as it is: CSV (plain, gzipped or zipped) or Parquet, no validation.

:func:`read_raw` gives every CSV column as strings (the data contract, :mod:`vawgstats.schema`,
then parses and checks them).  A plain UTF-8 CSV is read by pyarrow's multi-threaded reader
from the file itself; other encodings (a byte-order mark, Windows-1252) are decoded first.
Every failure is a :class:`~vawgstats.errors.DataError` naming the file and, for rows with the
wrong number of fields, their lines.
"""

from __future__ import annotations

import gzip
import io
import zipfile
import zlib
from pathlib import Path

import pandas as pd

from .errors import DataError

#: Line numbers shown in a message about bad rows (the count of all of them is given too).
MAX_ROWS_SHOWN = 20


def _decode(raw: bytes, path: Path) -> str:
    if not raw.strip():
        raise DataError(f"{path}: the file is empty; expected a CSV header line and at least one row.")
    if b"\x00" in raw[:65536]:
        raise DataError(f"{path}: this is not a text CSV file (it contains binary data). "
                        "Export the records as CSV (UTF-8) or Parquet.")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        controls = sum(1 for ch in text[:65536] if ord(ch) < 32 and ch not in "\r\n\t")
        if controls:
            break
        return text
    raise DataError(f"{path}: the file is not readable text in UTF-8 or Windows-1252 "
                    "(it looks like binary or corrupted data). Export it again as CSV (UTF-8).")


def _compressed(path: Path) -> bool:
    """Whether ``path`` names a gzip or zip file (of a CSV), by its name."""
    return path.name.lower().endswith((".gz", ".zip"))


def _read_bytes(path: Path, limit: int | None = None) -> bytes:
    """The bytes of a CSV file, or of the one CSV in a gzip or zip file; with ``limit``, the first
    ``limit`` bytes of a plain file."""
    name = path.name.lower()
    try:
        if name.endswith(".gz"):
            with gzip.open(path, "rb") as handle:
                return handle.read()
        if name.endswith(".zip"):
            with zipfile.ZipFile(path) as archive:
                members = [m for m in archive.namelist()
                           if m.lower().endswith(".csv") and not m.startswith("__MACOSX")]
                if len(members) != 1:
                    found = "no CSV file" if not members else f"{len(members)} CSV files ({', '.join(members)})"
                    raise DataError(f"{path}: the zip archive holds {found}; expected exactly one CSV file.")
                return archive.read(members[0])
        with open(path, "rb") as handle:
            return handle.read() if limit is None else handle.read(limit)
    except (EOFError, gzip.BadGzipFile, zlib.error, zipfile.BadZipFile, OSError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise DataError(f"{path}: no such file.") from None
        raise DataError(f"{path}: the file could not be read as {'gzip' if name.endswith('.gz') else 'zip' if name.endswith('.zip') else 'a file'} "
                        f"({exc.__class__.__name__}: {exc}); it may be truncated or corrupted.") from None


def _locate_bad_rows(text: str, width: int) -> list[tuple[int, int]]:
    import csv

    bad = []
    try:  # newline="": a lone carriage return is a line break here too, as it is for pyarrow
        for number, fields in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
            if number > 1 and fields and len(fields) != width:
                bad.append((number, len(fields)))
    except csv.Error:
        pass  # only locates rows for the message; the caller reports the bad rows regardless
    return bad


def read_csv_text(text: str | bytes, path: Path, dictionary: tuple[str, ...] = ()) -> pd.DataFrame:
    """Parse CSV text (or its UTF-8 bytes) with every column as a string; strict on field counts.

    Pyarrow's multi-threaded reader parses it.  Given bytes, they must be UTF-8
    (without a byte-order mark); invalid UTF-8 raises ``pyarrow.ArrowInvalid``
    (see :func:`read_records`, which then decodes the text itself).  Columns named
    in ``dictionary`` (compared in lower case, stripped) are read as categoricals
    of their strings (the same text, each distinct value stored once: fast for
    columns with few distinct values).
    """
    data = text if isinstance(text, bytes) else None
    if data is None:
        data = text.encode("utf-8")
    return _parse_csv(io.BytesIO(data), data[:1 << 20], b'"' in data, path, dictionary,
                      whole_text=lambda: text if isinstance(text, str) else data.decode("utf-8", "replace"),
                      strict=isinstance(text, bytes))


def _read_csv_file(path: Path, head: bytes, dictionary: tuple[str, ...] = ()) -> pd.DataFrame:
    """:func:`read_csv_text` of a plain UTF-8 file (``head``: its first bytes), which pyarrow reads itself.

    The file's bytes are never held in memory whole (a large file would otherwise cost
    as much memory again, and the time to map it); it is read once for the quote
    check and once by pyarrow, both from the page cache.
    """
    import pyarrow as pa

    with pa.OSFile(str(path)) as source:
        return _parse_csv(source, head, _file_contains(path, b'"'), path, dictionary,
                          whole_text=lambda: path.read_bytes().decode("utf-8", "replace"), strict=True)


def _file_contains(path: Path, needle: bytes, chunk: int = 1 << 20) -> bool:
    """Whether ``needle`` (one byte) occurs in the file, read in chunks into one buffer."""
    buffer = bytearray(chunk)
    with open(path, "rb") as handle:
        while read := handle.readinto(buffer):
            if buffer.find(needle, 0, read) != -1:
                return True
    return False


def _parse_csv(source, head: bytes, quoted: bool, path: Path, dictionary: tuple[str, ...], *,
               whole_text, strict: bool) -> pd.DataFrame:
    """The parse of :func:`read_csv_text` and :func:`_read_csv_file`: ``source`` (a file-like object)
    holds UTF-8 CSV beginning with ``head``; ``quoted``: whether any ``"`` occurs in it;
    ``whole_text()``: its text, for locating bad rows; ``strict``: let ``pyarrow.ArrowInvalid``
    through (the bytes may not be UTF-8 after all) rather than reporting it."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    first_line = head[:head.find(b"\n") if b"\n" in head else 1 << 20].decode("utf-8", "replace").strip("\r")
    header = [h.strip().strip('"') for h in first_line.split(",")]
    if len(header) == 1:
        for sep, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "vertical bars")):
            if sep in first_line:
                raise DataError(f"{path}: the header is separated by {name}, not commas. "
                                "Save the file as comma-separated CSV.")
    bad_rows: list[str] = []

    def on_bad_row(row) -> str:
        bad_rows.append(row.text)
        return "skip"

    # A line break can be inside a value only if the value is quoted; without any quote the
    # reader can split the file into blocks at line breaks and parse them in parallel.
    coded = {name.lower() for name in dictionary}
    as_dictionary = pa.dictionary(pa.int32(), pa.string())
    try:
        table = pacsv.read_csv(
            source,
            parse_options=pacsv.ParseOptions(newlines_in_values=quoted, invalid_row_handler=on_bad_row),
            convert_options=pacsv.ConvertOptions(
                column_types={name: as_dictionary if name.lstrip("\ufeff").lower() in coded else pa.string()
                              for name in header}, strings_can_be_null=False),
        )
    except pa.ArrowInvalid as exc:
        if strict:
            raise
        raise DataError(f"{path}: the file could not be parsed as CSV ({exc}).") from None
    if bad_rows:
        located = _locate_bad_rows(whole_text(), len(header))
        shown = ", ".join(f"line {n} has {k} fields" for n, k in located[:MAX_ROWS_SHOWN])
        raise DataError(f"{path}: {len(bad_rows)} row(s) do not have the header's {len(header)} fields: "
                        f"{shown or bad_rows[:3]}. Check for stray commas or a truncated file.")
    frame = table.to_pandas()
    if frame.empty:
        raise DataError(f"{path}: the file has a header but no data rows.")
    return frame


def _plain_utf8_start(raw: bytes) -> bool:
    """True when the file starts as plain UTF-8 text: no byte-order mark, no NUL, no control
    characters and valid UTF-8 in its first 64 KiB (what :func:`_decode` checks); pyarrow then
    checks that every value is UTF-8."""
    head = raw[:65536]
    if not raw or raw.isspace() or raw.startswith(b"\xef\xbb\xbf") or b"\x00" in head:  # isspace: no copy
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3 or len(raw) == len(head):  # not a character cut at the 64 KiB edge
            return False
        text = head[:exc.start].decode("utf-8")
    return not any(ord(ch) < 32 and ch not in "\r\n\t" for ch in text)


def read_parquet_frame(path: Path) -> pd.DataFrame:
    """A Parquet file as a DataFrame; :class:`DataError` naming the file if unreadable or empty."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        frame = pq.read_table(path).to_pandas()
    except (pa.ArrowException, OSError) as exc:
        raise DataError(f"{path}: the file could not be read as Parquet ({exc}).") from None
    if frame.empty:
        raise DataError(f"{path}: the Parquet file has no rows.")
    return frame.reset_index(drop=True)


def read_raw(path: str | Path, dictionary: tuple[str, ...] = ()) -> tuple[pd.DataFrame, str]:
    """A records file as it is (no validation), every CSV column as strings (those named in
    ``dictionary`` as categoricals, :func:`read_csv_text`). Returns the frame and ``"csv"`` or
    ``"parquet"``."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such file.")
    if path.is_dir():
        raise DataError(f"{path}: is a folder; expected a CSV or Parquet file of crime records.")
    if path.suffix.lower() in (".parquet", ".pq"):
        return read_parquet_frame(path), "parquet"
    import pyarrow as pa

    compressed = _compressed(path)
    # A plain file: its first MiB here, for the checks; pyarrow reads the whole file itself (no copy)
    raw = _read_bytes(path) if compressed else _read_bytes(path, limit=1 << 20)
    if _plain_utf8_start(raw):
        # the usual case: parse the bytes as they are (no decoding to text and encoding back)
        try:
            if compressed:
                return read_csv_text(raw, path, dictionary), "csv"
            return _read_csv_file(path, raw, dictionary), "csv"
        except pa.ArrowInvalid:
            pass  # not UTF-8 after all, or not CSV: the careful path below says which
    whole = raw if compressed else _read_bytes(path)
    return read_csv_text(_decode(whole, path), path, dictionary), "csv"
