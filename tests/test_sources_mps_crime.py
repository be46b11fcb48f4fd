"""MPS recorded crime importer, on real extracts (tests/data/real/mps_recorded_crime)."""

from __future__ import annotations

import csv
import gzip
import re
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from vawgstats.cli import main
from vawgstats.counts import in_bcu_totals, load_counts
from vawgstats.errors import DataError
from vawgstats.geography import BOROUGH_TO_BCU, ONS_CODES
from vawgstats.sources import import_source

DATA = Path(__file__).parent / "data" / "real" / "mps_recorded_crime"
BOROUGH_FILE = DATA / "recorded-crime-borough_most-recent-24-months_202403-202602_extract.csv"
LSOA_FILE = DATA / "recorded-crime-lsoa_most-recent-24-months_202402-202602_extract.csv.gz"
NAME_OF_CODE = {code: name for name, code in ONS_CODES.items()}


def raw_rows(path: Path) -> list[dict]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def monthly_by_borough(rows: list[dict], borough_column: str, rename=lambda b: b) -> Counter:
    """Sum of every YYYYMM column per (borough, YYYY-MM), straight from the raw CSV."""
    total: Counter = Counter()
    for row in rows:
        for column, value in row.items():
            if re.fullmatch(r"\d{6}", column) and int(value):
                total[(rename(row[borough_column]), f"{column[:4]}-{column[4:]}")] += int(value)
    return total


def table_sums(table: pd.DataFrame, *columns) -> Counter:
    grouped = table.groupby(list(columns))["count"].sum()
    return Counter({(k if isinstance(k, tuple) else (k,)): int(v) for k, v in grouped.items() if v})


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    out = tmp_path_factory.mktemp("rc") / "counts.parquet"
    summary = import_source("mps-crime", [DATA], out)
    return load_counts(out), summary


def test_borough_file_monthly_totals_per_borough_equal_the_source(imported):
    table, _ = imported
    part = table[table["source"] == "mps_recorded_crime_borough"]
    assert table_sums(part, "borough", "month") == monthly_by_borough(raw_rows(BOROUGH_FILE), "boroughname")
    assert set(part["measure"]) == {"recorded_crime"} and set(part["ward"]) == {""}
    for borough, bcu in part[["borough", "bcu"]].drop_duplicates().itertuples(index=False):
        assert bcu == BOROUGH_TO_BCU.get(borough, borough)


def test_categories_are_major_slash_minor(imported):
    table, _ = imported
    part = table[table["source"] == "mps_recorded_crime_borough"]
    expected: Counter = Counter()
    for row in raw_rows(BOROUGH_FILE):
        expected[f"{row['majortext']} / {row['minortext']}"] += sum(
            int(v) for k, v in row.items() if re.fullmatch(r"\d{6}", k))
    assert table_sums(part, "category") == Counter({(k,): v for k, v in expected.items() if v})


def test_lsoa_file_is_summed_to_borough(imported):
    table, summary = imported
    part = table[table["source"] == "mps_recorded_crime_lsoa"]
    expected = monthly_by_borough(raw_rows(LSOA_FILE), "borough", rename=NAME_OF_CODE.get)
    assert table_sums(part, "borough", "month") == expected
    assert set(part["ward"]) == {""}
    assert "summed to borough" in summary


def test_incomplete_first_month_of_the_lsoa_file_is_kept_and_flagged(imported):
    table, summary = imported
    rows = raw_rows(LSOA_FILE)
    first = sum(int(r["202402"]) for r in rows)
    others = [sum(int(r[c]) for r in rows) for c in rows[0] if re.fullmatch(r"\d{6}", c) and c != "202402"]
    assert first < 0.1 * sorted(others)[len(others) // 2]  # the quirk is in the extract
    part = table[(table["source"] == "mps_recorded_crime_lsoa") & (table["month"] == "2024-02")]
    assert int(part["count"].sum()) == first
    assert "month 2024-02" in summary and "probably incomplete" in summary


def test_unknown_pseudo_borough_is_kept_and_excluded_from_bcu_totals(imported):
    table, summary = imported
    part = table[table["source"] == "mps_recorded_crime_borough"]
    rows = raw_rows(BOROUGH_FILE)
    unknown = sum(int(v) for r in rows if r["boroughname"] == "Unknown"
                  for k, v in r.items() if re.fullmatch(r"\d{6}", k))
    assert unknown > 0
    kept = part[part["borough"] == "Unknown"]
    assert set(kept["bcu"]) == {"Unknown"}
    assert int(kept["count"].sum()) == unknown
    assert not in_bcu_totals(kept).any()
    assert int(part.loc[in_bcu_totals(part), "count"].sum()) == int(part["count"].sum()) - unknown
    assert f"Unknown {unknown:,}" in summary


def test_header_case_variants_give_the_same_counts(imported, tmp_path):
    table, _ = imported
    frame = pd.DataFrame(raw_rows(BOROUGH_FILE)).rename(
        columns={"majortext": "MajorText", "minortext": "MinorText", "boroughname": "BoroughName"})
    frame.to_csv(tmp_path / "borough.csv", index=False)
    lsoa = pd.DataFrame(raw_rows(LSOA_FILE)).rename(columns=lambda c: c.replace("_", " ").title())
    lsoa.to_csv(tmp_path / "lsoa.csv", index=False)
    out = tmp_path / "camel.csv"
    import_source("mps-crime", [tmp_path / "borough.csv", tmp_path / "lsoa.csv"], out)
    again = load_counts(out)
    columns = ["month", "bcu", "borough", "ward", "category", "count", "source"]
    pd.testing.assert_frame_equal(again.sort_values(columns)[columns].reset_index(drop=True),
                                  table.sort_values(columns)[columns].reset_index(drop=True))


def _ward_file(path: Path) -> Path:
    """A ward file in the Datastore's own header spelling (no ward file is in the shared samples)."""
    rows = [
        "MajorText,MinorText,WardName,WardCode,LookUp_BoroughName,202311,202312,202401",
        "THEFT,OTHER THEFT,Heathrow Villages,E05013570,Aviation Security (SO18),40,35,0",
        "THEFT,OTHER THEFT,Heathrow Villages,E05013570,Hillingdon,7,9,11",
        "BURGLARY,RES BURGLARY OF A HOME,Bush Hill Park,E05013672,Enfield,3,0,4",
        "BURGLARY,RES BURGLARY OF A HOME,Town,E05013685,Enfield,2,1,,",
    ]
    rows[-1] = rows[-1][:-1]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_ward_file_fills_ward_and_keeps_pseudo_boroughs(tmp_path):
    path = _ward_file(tmp_path / "MPS Ward Level Crime (most recent 24 months).csv")
    out = tmp_path / "wards.csv"
    summary = import_source("mps-crime", [path], out)
    table = load_counts(out)
    raw = list(csv.DictReader(open(path, newline="")))
    expected = Counter()
    for row in raw:
        for column in ("202311", "202312", "202401"):
            if row[column] and int(row[column]):
                expected[(row["WardName"], row["LookUp_BoroughName"], f"{column[:4]}-{column[4:]}")] += int(row[column])
    assert table_sums(table, "ward", "borough", "month") == expected
    aviation = table[table["borough"] == "Aviation Security (SO18)"]
    assert set(aviation["bcu"]) == {"Aviation Security (SO18)"} and not in_bcu_totals(aviation).any()
    assert set(table.loc[table["borough"] == "Hillingdon", "bcu"]) == {"WA"}
    assert "Aviation Security (SO18) 75" in summary
    assert "1 empty cells counted as 0" in summary


def test_overlapping_files_take_months_from_the_later_file(tmp_path):
    rows = raw_rows(BOROUGH_FILE)
    old = pd.DataFrame(rows)[["majortext", "minortext", "boroughname", "202403", "202404"]]
    old_path = tmp_path / "historical.csv"
    old.assign(**{"202403": "1000", "202404": "1000"}).to_csv(old_path, index=False)
    new_path = tmp_path / "recent.csv"
    pd.DataFrame(rows).to_csv(new_path, index=False)
    out = tmp_path / "both.csv"
    summary = import_source("mps-crime", [new_path, old_path], out)
    table = load_counts(out)
    assert table_sums(table, "borough", "month") == monthly_by_borough(rows, "boroughname")
    assert "historical.csv: months 2024-03 to 2024-04 (2)" in summary


@pytest.mark.parametrize("header, needle", [
    ("crime,place,202401", "matches no MPS recorded-crime layout"),
    ("majortext,minortext,boroughname,total", "no month columns"),
])
def test_bad_headers_are_data_errors_naming_the_file(tmp_path, header, needle):
    path = tmp_path / "crime.csv"
    path.write_text(header + "\n" + ",".join(["1"] * len(header.split(","))) + "\n")
    out = tmp_path / "out.csv"
    with pytest.raises(DataError) as info:
        import_source("mps-crime", [path], out)
    assert str(path) in str(info.value) and needle in str(info.value)
    assert not out.exists()


def test_bad_value_names_column_and_line(tmp_path):
    path = tmp_path / "crime.csv"
    path.write_text("majortext,minortext,boroughname,202401,202402\nA,B,Enfield,1,2\nA,C,Enfield,3,x\n")
    with pytest.raises(DataError, match=r"crime.csv: column '202402' is not a whole number >= 0 on line\(s\) 3"):
        import_source("mps-crime", [path], tmp_path / "out.csv")


def test_empty_file_is_a_data_error(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(DataError, match="empty.csv"):
        import_source("mps-crime", [path], tmp_path / "out.csv")


def test_cli_import_exit_status(tmp_path):
    runner = CliRunner()
    out = tmp_path / "counts.parquet"
    result = runner.invoke(main, ["import", "mps-crime", str(BOROUGH_FILE), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert int(load_counts(out)["count"].sum()) == sum(monthly_by_borough(raw_rows(BOROUGH_FILE), "boroughname").values())
    bad = tmp_path / "bad.csv"
    bad.write_text("what,is,this\n1,2,3\n")
    failed = runner.invoke(main, ["import", "mps-crime", str(bad), "--out", str(tmp_path / "x.parquet")])
    assert failed.exit_code == 2 and "bad.csv" in failed.output
    wrong_out = runner.invoke(main, ["import", "mps-crime", str(BOROUGH_FILE), "--out", str(tmp_path / "x.txt")])
    assert wrong_out.exit_code == 2 and ".parquet or .csv" in wrong_out.output
