"""Fuzzing ``vawgstats.load``: mutated CSVs either load completely or raise DataError.

Hypothesis starts from a small valid CSV and applies random mutations: deleting,
duplicating and inserting characters, swapping fields, dropping and repeating lines,
truncating, changing delimiters and quotes, overwriting with random bytes, and
re-encoding (UTF-8, UTF-8 with BOM, Windows-1252, Latin-1, UTF-16), optionally gzipped.
Whatever comes out, ``load`` must either return a valid frame that keeps every data
row the csv module reads, or raise :class:`vawgstats.errors.DataError` - never any
other exception.
"""

from __future__ import annotations

import csv
import gzip
import io
import itertools
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from vawgstats import load
from vawgstats.errors import DataError
from vawgstats.schema import CANONICAL_COLUMNS, OPTIONAL_COLUMNS

from .conftest import AS_OF

BASE = (Path(__file__).resolve().parent / "data" / "bad" / "good.csv").read_text(encoding="utf-8")
ALPHABET = st.one_of(
    st.sampled_from([",", ";", "\t", "|", '"', "'", "\n", "\r", "\r\n", " ", "\x00", "\ufeff", "\\",
                     "-", "/", ":", "é", "’", "1", "A", "0"]),
    st.characters(codec="utf-8"),
)
ENCODINGS = ("utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16")


@st.composite
def text_mutation(draw, text: str) -> str:
    kind = draw(st.sampled_from([
        "delete", "duplicate", "insert", "swap_fields", "drop_line", "repeat_line", "swap_lines",
        "truncate", "delimiter", "some_delimiters", "quote_field", "blank_lines", "line_endings",
    ]))
    n = len(text)
    if kind in ("delete", "duplicate", "insert"):
        start = draw(st.integers(0, n))
        if kind == "insert":
            piece = "".join(draw(st.lists(ALPHABET, min_size=1, max_size=8)))
            return text[:start] + piece + text[start:]
        end = draw(st.integers(start, min(n, start + 40)))
        middle = "" if kind == "delete" else text[start:end] * 2
        return text[:start] + middle + text[end:]
    if kind == "truncate":
        return text[: draw(st.integers(0, n))]
    lines = text.split("\n")
    if kind in ("drop_line", "repeat_line", "swap_lines", "swap_fields", "quote_field") and lines:
        i = draw(st.integers(0, len(lines) - 1))
        if kind == "drop_line":
            return "\n".join(lines[:i] + lines[i + 1:])
        if kind == "repeat_line":
            return "\n".join(lines[: i + 1] + [lines[i]] + lines[i + 1:])
        if kind == "swap_lines":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            return "\n".join(lines)
        fields = lines[i].split(",")
        a, b = draw(st.integers(0, len(fields) - 1)), draw(st.integers(0, len(fields) - 1))
        if kind == "swap_fields":
            fields[a], fields[b] = fields[b], fields[a]
        else:
            quote = draw(st.sampled_from(['"', "'"]))
            fields[a] = quote + fields[a] + draw(st.sampled_from([quote, "", quote * 2]))
        lines[i] = ",".join(fields)
        return "\n".join(lines)
    if kind == "delimiter":
        return text.replace(",", draw(st.sampled_from([";", "\t", "|", " ", ",,", ""])))
    if kind == "some_delimiters":
        pieces = text.split(",")
        seps = draw(st.lists(st.sampled_from([",", ";", ",,", ""]), min_size=len(pieces) - 1,
                             max_size=len(pieces) - 1))
        return "".join(itertools.chain.from_iterable(zip(pieces, seps + [""])))
    if kind == "blank_lines":
        i = draw(st.integers(0, len(lines)))
        return "\n".join(lines[:i] + [draw(st.sampled_from(["", " ", ",,,", "\t"]))] + lines[i:])
    return text.replace("\n", draw(st.sampled_from(["\r\n", "\r", "\n\n"])))


@st.composite
def mutated_file(draw) -> tuple[bytes, str]:
    text = BASE
    for _ in range(draw(st.integers(1, 4))):
        text = draw(text_mutation(text))
    encoding = draw(st.sampled_from(ENCODINGS))
    raw = text.encode(encoding, errors=draw(st.sampled_from(["replace", "ignore"])))
    if draw(st.booleans()) and draw(st.booleans()):  # a quarter of the time: damage the bytes
        start = draw(st.integers(0, len(raw)))
        junk = draw(st.binary(min_size=1, max_size=16))
        raw = raw[:start] + junk + raw[start + draw(st.integers(0, len(junk))):]
    suffix = ".csv"
    if draw(st.integers(0, 9)) == 0:
        raw = gzip.compress(raw, mtime=0)
        if draw(st.booleans()):
            raw = raw[: draw(st.integers(0, len(raw)))]
        suffix = ".csv.gz"
    return raw, suffix


def _decoded(raw: bytes) -> str | None:
    """The text as the loader decodes it (UTF-8 with or without BOM, else Windows-1252)."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _csv_data_rows(raw: bytes, suffix: str) -> int:
    if suffix == ".csv.gz":
        raw = gzip.decompress(raw)
    text = _decoded(raw)
    assert text is not None, "load returned a frame from text it cannot have decoded"
    rows = [row for row in csv.reader(io.StringIO(text, newline="")) if row]
    return len(rows) - 1


def _assert_valid(frame: pd.DataFrame, raw: bytes, suffix: str) -> None:
    columns = list(frame.columns)
    assert columns[: len(CANONICAL_COLUMNS)] == list(CANONICAL_COLUMNS)
    assert columns[-1] == "bcu"
    assert set(columns[len(CANONICAL_COLUMNS):-1]) <= set(OPTIONAL_COLUMNS)
    assert len(frame) == _csv_data_rows(raw, suffix), "rows were lost or invented"
    assert frame["crime_id"].notna().all() and frame["crime_id"].is_unique
    assert (frame["crime_id"] != "").all()
    assert frame["recorded_date"].dtype.kind == "M" and frame["recorded_date"].notna().all()
    assert frame["recorded_date"].max() <= pd.Timestamp(AS_OF)
    assert frame["borough"].notna().all() and frame["bcu"].notna().all()
    assert frame["offence_group"].notna().all() and frame["victim_sex"].notna().all()
    assert frame["domestic_abuse"].dtype == bool
    has_code = frame["outcome_code"].notna()
    assert (has_code == frame["outcome_date"].notna()).all()


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def test_base_file_is_valid(fuzz_dir):
    path = fuzz_dir / "base.csv"
    path.write_text(BASE, encoding="utf-8")
    _assert_valid(load(path, as_of=AS_OF), BASE.encode(), ".csv")


# Cases the fuzzer found (each once raised another exception inside load):
# a lone carriage return in a ragged file (csv.Error), and dates beyond pandas'
# nanosecond range (OutOfBoundsDatetime) such as a lost year or 9999-12-31.
REGRESSIONS = [
    ("," + "\r" + BASE.replace("\n", "\n,", 1)).encode(),
    BASE.replace("2024-02-03", "-02-03").encode(),
    BASE.replace("2024-02-03", "9999-12-31").encode(),
    BASE.replace("2023-12-31", "0001-01-01").encode(),
]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=mutated_file())
@example(case=(REGRESSIONS[0], ".csv"))
@example(case=(REGRESSIONS[1], ".csv"))
@example(case=(REGRESSIONS[2], ".csv"))
@example(case=(REGRESSIONS[3], ".csv"))
def test_load_returns_valid_frame_or_raises_data_error(fuzz_dir, case):
    raw, suffix = case
    path = fuzz_dir / f"mutated{suffix}"
    path.write_bytes(raw)
    try:
        frame = load(path, as_of=AS_OF)
    except DataError as exc:
        message = str(exc)
        assert str(path) in message, f"the message does not name the file: {message!r}"
        return
    _assert_valid(frame, raw, suffix)
