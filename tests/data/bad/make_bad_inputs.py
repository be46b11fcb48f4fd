"""Write the bad-input corpus in this folder from a few good rows.

Run ``python tests/data/bad/make_bad_inputs.py`` after changing it; the output is
deterministic (fixed rows, no timestamps in the gzip, zip or Parquet files) and
committed.  Each file breaks one rule; ``tests/test_bad_inputs.py`` says what
message each must give.  Data rows start on line 2 (the header is line 1), so
the second row is line 3.
"""

from __future__ import annotations

import csv
import gzip
import io
import shutil
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

COLUMNS = (
    "crime_id", "recorded_date", "offence_date", "borough", "lsoa_code", "offence_group",
    "domestic_abuse", "victim_id", "victim_sex", "victim_age", "suspect_id", "outcome_code",
    "outcome_date",
)

# Five valid records (synthetic, not real people): every field type, with and without outcomes.
GOOD_ROWS: tuple[dict[str, str], ...] = (
    {"crime_id": "BAD0001", "recorded_date": "2024-01-15", "offence_date": "2024-01-14",
     "borough": "Enfield", "lsoa_code": "E01001441", "offence_group": "harassment",
     "domestic_abuse": "true", "victim_id": "VX001", "victim_sex": "F", "victim_age": "34",
     "suspect_id": "SX001", "outcome_code": "1", "outcome_date": "2024-03-01"},
    {"crime_id": "BAD0002", "recorded_date": "2024-02-03", "offence_date": "",
     "borough": "Haringey", "lsoa_code": "", "offence_group": "rape",
     "domestic_abuse": "false", "victim_id": "VX002", "victim_sex": "F", "victim_age": "",
     "suspect_id": "", "outcome_code": "", "outcome_date": ""},
    {"crime_id": "BAD0003", "recorded_date": "2024-02-20", "offence_date": "2023-12-31",
     "borough": "Barking and Dagenham", "lsoa_code": "", "offence_group": "coercive_control",
     "domestic_abuse": "yes", "victim_id": "VX001", "victim_sex": "F", "victim_age": "34",
     "suspect_id": "SX002", "outcome_code": "16", "outcome_date": "2024-05-02"},
    {"crime_id": "BAD0004", "recorded_date": "2024-03-09", "offence_date": "2024-03-09",
     "borough": "Westminster", "lsoa_code": "", "offence_group": "violence_with_injury",
     "domestic_abuse": "0", "victim_id": "VX003", "victim_sex": "M", "victim_age": "51",
     "suspect_id": "SX003", "outcome_code": "1A", "outcome_date": "2024-04-10"},
    {"crime_id": "BAD0005", "recorded_date": "2024-03-30", "offence_date": "",
     "borough": "Croydon", "lsoa_code": "", "offence_group": "stalking",
     "domestic_abuse": "false", "victim_id": "", "victim_sex": "U", "victim_age": "19",
     "suspect_id": "", "outcome_code": "18", "outcome_date": "2024-04-02"},
)


def csv_text(rows, columns=COLUMNS, delimiter: str = ",") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns])
    return buffer.getvalue()


def with_value(column: str, value: str, row: int = 1) -> str:
    """The good rows with one value changed (row 1 is the second record: line 3)."""
    rows = [dict(r) for r in GOOD_ROWS]
    rows[row][column] = value
    return csv_text(rows)


def with_values(row: int = 1, **values: str) -> str:
    rows = [dict(r) for r in GOOD_ROWS]
    rows[row].update(values)
    return csv_text(rows)


GOOD = csv_text(GOOD_ROWS)

#: file name -> text of each bad (or tricky but good) CSV file.
CSV_FILES: dict[str, str] = {
    "good.csv": GOOD,
    "empty.csv": "",
    "header_only.csv": ",".join(COLUMNS) + "\n",
    "semicolon_delimiter.csv": csv_text(GOOD_ROWS, delimiter=";"),
    "missing_column.csv": csv_text(GOOD_ROWS, columns=tuple(c for c in COLUMNS if c != "borough")),
    "extra_column.csv": csv_text([{**r, "colour": "red"} for r in GOOD_ROWS], columns=COLUMNS + ("colour",)),
    "text_in_victim_age.csv": with_value("victim_age", "forty"),
    "maybe_domestic_abuse.csv": with_value("domestic_abuse", "maybe"),
    "unparseable_date.csv": with_value("recorded_date", "3rd of Feb"),
    "month_13.csv": with_value("recorded_date", "2024-13-03"),
    "year_1900.csv": with_value("recorded_date", "1900-02-03"),
    "beyond_as_of.csv": with_values(recorded_date="2026-05-01"),
    "outcome_before_recording.csv": with_values(row=2, outcome_date="2024-02-01"),
    "outcome_code_without_date.csv": with_values(row=2, outcome_date=""),
    "outcome_date_without_code.csv": with_values(row=2, outcome_code=""),
    "unknown_borough.csv": with_value("borough", "Gotham"),
    "unknown_offence_group.csv": with_value("offence_group", "burglary"),
    "unknown_outcome_code.csv": with_values(row=2, outcome_code="19"),
    "duplicate_crime_id.csv": with_value("crime_id", "BAD0004", row=1),
}


def write_all(folder: Path = HERE) -> list[Path]:
    written: list[Path] = []

    def put(name: str, data: bytes) -> None:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(path)

    for name, text in CSV_FILES.items():
        put(name, text.encode("utf-8"))

    # Encodings: UTF-8 with a byte-order mark and Windows-1252 both load; binary does not.
    put("utf8_bom.csv", GOOD.encode("utf-8-sig"))
    accented = csv_text([{**r, "source": "Extrait révisé – café ‘Zoë’"} for r in GOOD_ROWS],
                        columns=COLUMNS + ("source",))
    put("cp1252_accents.csv", accented.encode("cp1252"))
    put("binary_garbage.csv", bytes((i * 37 + 11) % 256 for i in range(2048)))

    # Compressed files: a gzip cut short, a zip without a CSV.
    compressed = gzip.compress(GOOD.encode("utf-8"), mtime=0)
    put("truncated.csv.gz", compressed[: len(compressed) // 2])
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as handle:
        info = zipfile.ZipInfo("notes.txt", date_time=(2024, 1, 1, 0, 0, 0))
        handle.writestr(info, "These are notes, not crime records.\n")
    put("no_csv.zip", archive.getvalue())

    # Parquet with the wrong schema (a table of something else).
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"id": pa.array([1, 2, 3], pa.int64()), "colour": pa.array(["red", "green", "blue"])})
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="none", store_schema=False)
    put("wrong_schema.parquet", sink.getvalue().to_pybytes())

    # Parameter files: each case is a parameters folder.
    params = folder / "params"
    if params.exists():
        shutil.rmtree(params)
    good_bcu = (
        "code: NA\nname: North Area\nboroughs:\n  - Enfield\n  - Haringey\n"
        "aims:\n  - \"Bring more VAWG perpetrators to justice.\"\n"
    )
    put("params/unknown_bcu/ZZ.yaml", good_bcu.replace("code: NA", "code: ZZ").encode())
    put("params/bad_period/defaults.yaml",
        b"edition: public\nperiod_months: 0\nrepeat_window_days: 365\nsuppression_threshold: 10\n")
    put("params/bad_type/NA.yaml", good_bcu.replace(
        'aims:\n  - "Bring more VAWG perpetrators to justice."\n', "aims: 42\n").encode())
    put("params/syntax_error/NA.yaml", good_bcu.replace(  # a colon in an unquoted value: line 2
        "name: North Area", "name: North Area: Enfield and Haringey").encode())
    put("params/syntax_error_flow/NA.yaml", good_bcu.replace(  # unclosed list on line 3
        "boroughs:\n  - Enfield\n  - Haringey\n", "boroughs: [Enfield, Haringey\n").encode())
    put("params/python_tag/NA.yaml", (good_bcu + (
        'notes: !!python/object/apply:os.system ["echo VAWGSTATS_PWNED > vawgstats-pwned.txt"]\n'
    )).encode())
    return written


if __name__ == "__main__":
    for path in write_all():
        print(path.relative_to(HERE))
