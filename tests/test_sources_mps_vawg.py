"""MPS VAWG dashboard importer, on real extracts (tests/data/real/mps_vawg_dashboard)."""

from __future__ import annotations

import csv
import gzip
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from vawgstats.cli import main
from vawgstats.counts import COUNTS_COLUMNS, in_bcu_totals, load_counts
from vawgstats.errors import DataError
from vawgstats.geography import BCU_NAME_TO_CODE
from vawgstats.sources import import_source

DATA = Path(__file__).parent / "data" / "real" / "mps_vawg_dashboard"
OFFENCES_LOCATION = DATA / "vawg-offences_offence_count_location_2022-11_to_2022-12_extract.csv.gz"
VICTIMS_LOCATION = DATA / "vawg-victims_victim_count_location_2022-11_to_2022-12_extract.csv.gz"
CLASSIFICATION = DATA / "vawg-offences_offence_count_classification_2022-12_extract.csv"
AGE = DATA / "vawg-victims_victim_count_age_group_2022-11_to_2022-12_extract.csv"
ETHNIC = DATA / "vawg-victims_victim_count_ethnic_group_2022-11_to_2022-12_extract.csv"


def raw_rows(path: Path) -> list[dict]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def raw_frame(path: Path) -> pd.DataFrame:
    return pd.DataFrame(raw_rows(path))


def sums(rows: list[dict], *keys) -> Counter:
    total: Counter = Counter()
    for row in rows:
        total[tuple(key(row) for key in keys)] += int(row["count"])
    return total


def table_sums(table: pd.DataFrame, *columns) -> Counter:
    grouped = table.groupby(list(columns))["count"].sum()
    return Counter({(k if isinstance(k, tuple) else (k,)): int(v) for k, v in grouped.items() if v})


def month_of(row: dict) -> str:
    return row["recorded_date_months"][:7]


def bcu_of(row: dict) -> str:
    return BCU_NAME_TO_CODE.get(row["bcu_location"], row["bcu_location"])


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    out = tmp_path_factory.mktemp("vawg") / "counts.parquet"
    summary = import_source("mps-vawg", [DATA], out)
    return load_counts(out), summary


def test_offences_and_victims_by_bcu_and_month_equal_the_source_sums(imported):
    table, _ = imported
    for path, source in ((OFFENCES_LOCATION, "mps_vawg_offences_location"),
                         (VICTIMS_LOCATION, "mps_vawg_victims_location")):
        expected = sums(raw_rows(path), bcu_of, month_of)
        part = table[table["source"] == source]
        assert table_sums(part, "bcu", "month") == expected
        assert set(part["measure"]) == {"offences" if "offence" in source else "victims"}
        assert set(part["category"]) == {"all"}


def test_borough_and_ward_totals_equal_the_source_sums(imported):
    table, _ = imported
    part = table[table["source"] == "mps_vawg_offences_location"]
    expected = sums(raw_rows(OFFENCES_LOCATION), lambda r: r["borough_name"], lambda r: r["ward_name_clean_2"],
                    month_of)
    assert table_sums(part, "borough", "ward", "month") == expected


def test_other_rows_are_kept_and_excluded_from_bcu_totals(imported):
    table, summary = imported
    rows = raw_rows(OFFENCES_LOCATION)
    other_total = sum(int(r["count"]) for r in rows if r["bcu_location"] == "Other")
    assert other_total > 0
    part = table[table["source"] == "mps_vawg_offences_location"]
    other = part[part["bcu"] == "Other"]
    assert int(other["count"].sum()) == other_total
    assert not in_bcu_totals(other).any()
    assert int(part.loc[in_bcu_totals(part), "count"].sum()) == sum(int(r["count"]) for r in rows) - other_total
    assert "Other" in summary and f"{other_total:,}" in summary


def test_unknown_rows_are_kept_under_their_label(tmp_path):
    rows = raw_frame(OFFENCES_LOCATION)
    extra = pd.DataFrame([["Unknown", "Unknown", "", "2022-12-01", "2022-11-01", "4"],
                          ["Unknown", "Unknown", "", "2022-12-01", "", "3"]], columns=rows.columns)
    path = tmp_path / "vawg-offences_location_with_unknown.csv"
    pd.concat([rows, extra], ignore_index=True).to_csv(path, index=False)
    summary = import_source("mps-vawg", [path], tmp_path / "out.csv")
    table = load_counts(tmp_path / "out.csv")
    unknown = table[table["bcu"] == "Unknown"]
    assert unknown[["month", "borough", "ward", "count"]].values.tolist() == [["2022-12", "Unknown", "", 7]]
    assert not in_bcu_totals(unknown).any()
    assert "Unknown 7 offences" in summary
    assert int(table["count"].sum()) == int(rows["count"].astype(int).sum()) + 7


def test_pan_london_sheets_equal_the_source_sums(imported):
    table, _ = imported
    for path, source, column in ((CLASSIFICATION, "mps_vawg_offences_classification", "vawg_offence"),
                                 (AGE, "mps_vawg_victims_age_group", "age_group"),
                                 (ETHNIC, "mps_vawg_victims_ethnic_group", "ethnic_appearance_group_group")):
        part = table[table["source"] == source]
        assert not part.empty
        assert set(part["bcu"]) == {"London"} and set(part["borough"]) == {"London"}
        assert set(part["ward"]) == {""}
        assert not in_bcu_totals(part).any()
        expected = sums(raw_rows(path), month_of, lambda r, c=column: r[c])
        assert table_sums(part, "month", "category") == expected


def test_month_committed_is_summed_away(imported):
    table, _ = imported
    key = [c for c in COUNTS_COLUMNS if c != "count"]
    assert not table.duplicated(key).any()
    rows = raw_rows(OFFENCES_LOCATION)
    committed = {(r["ward_name_clean_2"], r["recorded_date_months"]) for r in rows}
    assert len(committed) < len(rows)  # the extract does have several committed months per ward and month


def _rename(path: Path, tmp_path: Path, mapping, name: str | None = None) -> Path:
    frame = raw_frame(path)
    target = tmp_path / (name or path.name.replace(".gz", ""))
    frame.rename(columns=mapping).to_csv(target, index=False)
    return target


CAMEL = {
    "bcu_location": "BCU_Location", "borough_name": "Borough_Name", "ward_name_clean_2": "Ward_Name_Clean_2",
    "recorded_date_months": "Recorded_Date_Months", "date_committed_from_date_months": "Date_Committed_From_Date_Months",
    "count": "Count", "crimsec_group": "CrimSec_Group", "crimseccodeexpansion": "CrimSecCodeExpansion",
    "crimsec_offences": "CrimSec_Offences", "vawg_offence": "VAWG_Offence", "age_group": "AGE_GROUP",
    "ethnic_appearance_group_group": "Ethnic_Appearance_Group_Group",
}


def test_header_case_variants_give_the_same_counts(imported, tmp_path):
    table, _ = imported
    folder = tmp_path / "camel"
    folder.mkdir()
    for path in (OFFENCES_LOCATION, VICTIMS_LOCATION, CLASSIFICATION, AGE, ETHNIC):
        mapping = CAMEL if path != VICTIMS_LOCATION else (lambda c: f"  {c.upper()} ")
        _rename(path, folder, mapping)
    out = tmp_path / "camel.csv"
    import_source("mps-vawg", [folder], out)
    again = load_counts(out)
    pd.testing.assert_frame_equal(
        again.sort_values(list(COUNTS_COLUMNS)).reset_index(drop=True),
        table.sort_values(list(COUNTS_COLUMNS)).reset_index(drop=True), check_dtype=False)


def test_parquet_and_workbook_inputs_give_the_same_counts(imported, tmp_path):
    table, _ = imported
    location = raw_frame(OFFENCES_LOCATION)
    location["count"] = location["count"].astype(int)
    location["recorded_date_months"] = pd.to_datetime(location["recorded_date_months"])
    parquet = tmp_path / "vawg-offences_location.parquet"
    location.to_parquet(parquet)
    victims = raw_frame(VICTIMS_LOCATION)
    workbook = tmp_path / "VAWG dashboard data.xlsx"
    with pd.ExcelWriter(workbook, engine="openpyxl") as writer:
        pd.DataFrame({"Notes": ["Source: MPS", "Counts by month"]}).to_excel(writer, sheet_name="Read me", index=False)
        victims.rename(columns=CAMEL).assign(Count=victims["count"].astype(int)).to_excel(
            writer, sheet_name="Victims by location", index=False)
    out = tmp_path / "both.parquet"
    summary = import_source("mps-vawg", [parquet, workbook], out)
    got = load_counts(out)
    expected = table[table["source"].isin(["mps_vawg_offences_location", "mps_vawg_victims_location"])]
    pd.testing.assert_frame_equal(
        got.sort_values(list(COUNTS_COLUMNS)).reset_index(drop=True),
        expected.sort_values(list(COUNTS_COLUMNS)).reset_index(drop=True), check_dtype=False)
    assert "Read me" in summary  # the notes sheet is skipped, and said so


def test_stacked_table_with_a_sheet_column_is_split(imported, tmp_path):
    table, _ = imported
    parts = []
    for path, sheet in ((OFFENCES_LOCATION, "offence_count_location"), (CLASSIFICATION, "offence_count_classification")):
        parts.append(raw_frame(path).assign(sheet=sheet))
    stacked = pd.concat(parts, ignore_index=True).fillna("")
    stacked["count"] = stacked["count"].astype(int)
    path = tmp_path / "vawg.parquet"
    stacked.to_parquet(path)
    out = tmp_path / "stacked.csv"
    import_source("mps-vawg", [path], out)
    got = load_counts(out)
    expected = table[table["source"].isin(["mps_vawg_offences_location", "mps_vawg_offences_classification"])]
    assert table_sums(got, "source", "bcu", "month", "category") == table_sums(
        expected, "source", "bcu", "month", "category")


def test_location_sheet_measure_needs_a_hint(tmp_path):
    rows = raw_frame(OFFENCES_LOCATION)
    unnamed = tmp_path / "location.csv"
    rows.to_csv(unnamed, index=False)
    with pytest.raises(DataError) as info:
        import_source("mps-vawg", [unnamed], tmp_path / "out.csv")
    assert "location.csv" in str(info.value) and "victims" in str(info.value)
    hinted = tmp_path / "location_hint.csv"
    rows.assign(measure="Victims").to_csv(hinted, index=False)
    import_source("mps-vawg", [hinted], tmp_path / "out.csv")
    got = load_counts(tmp_path / "out.csv")
    assert set(got["measure"]) == {"victims"}
    assert int(got["count"].sum()) == int(rows["count"].astype(int).sum())


def test_unknown_header_is_a_data_error_naming_the_file(tmp_path):
    path = tmp_path / "vawg-offences_something.csv"
    path.write_text("month,place,total\n2022-01,Enfield,3\n")
    out = tmp_path / "out.parquet"
    with pytest.raises(DataError) as info:
        import_source("mps-vawg", [path], out)
    assert str(path) in str(info.value) and "matches no known VAWG dashboard sheet" in str(info.value)
    assert not out.exists()


@pytest.mark.parametrize("content", ["", "bcu_location,borough_name,ward_name_clean_2,recorded_date_months,"
                                     "date_committed_from_date_months,count\n"])
def test_empty_file_is_a_data_error_naming_the_file(tmp_path, content):
    path = tmp_path / "vawg-offences_location.csv"
    path.write_text(content)
    with pytest.raises(DataError, match="vawg-offences_location.csv"):
        import_source("mps-vawg", [path], tmp_path / "out.csv")


def test_bad_values_name_the_line(tmp_path):
    rows = raw_frame(OFFENCES_LOCATION)
    rows.loc[4, "count"] = "lots"
    path = tmp_path / "vawg-offences_bad.csv"
    rows.to_csv(path, index=False)
    with pytest.raises(DataError, match=r"vawg-offences_bad.csv.*'count'.*line 6"):
        import_source("mps-vawg", [path], tmp_path / "out.csv")
    rows = raw_frame(OFFENCES_LOCATION)
    rows.loc[0, "recorded_date_months"] = "sometime"
    rows.to_csv(path, index=False)
    with pytest.raises(DataError, match=r"recorded_date_months.*line 2"):
        import_source("mps-vawg", [path], tmp_path / "out.csv")


def test_borough_in_the_wrong_bcu_is_a_data_error(tmp_path):
    rows = raw_frame(OFFENCES_LOCATION)
    first_enfield = rows.index[rows["borough_name"] == "Enfield"][0]
    rows.loc[first_enfield, "bcu_location"] = "South West"
    path = tmp_path / "vawg-offences_mixed.csv"
    rows.to_csv(path, index=False)
    with pytest.raises(DataError, match=rf"not in the row's BCU on line {first_enfield + 2}"):
        import_source("mps-vawg", [path], tmp_path / "out.csv")


def test_failed_import_leaves_an_existing_output_alone(tmp_path):
    out = tmp_path / "counts.csv"
    out.write_text("previous contents")
    bad = tmp_path / "vawg-offences_bad.csv"
    bad.write_text("nothing,useful\n1,2\n")
    with pytest.raises(DataError):
        import_source("mps-vawg", [bad], out)
    assert out.read_text() == "previous contents"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_cli_import_exit_status(tmp_path):
    runner = CliRunner()
    out = tmp_path / "counts.csv"
    good = runner.invoke(main, ["import", "mps-vawg", str(OFFENCES_LOCATION), str(CLASSIFICATION), "--out", str(out)])
    assert good.exit_code == 0, good.output
    assert "Wrote" in good.output and out.exists()
    total = sum(int(r["count"]) for r in raw_rows(OFFENCES_LOCATION)) + sum(
        int(r["count"]) for r in raw_rows(CLASSIFICATION))
    assert int(load_counts(out)["count"].sum()) == total
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    result = runner.invoke(main, ["import", "mps-vawg", str(bad), "--out", str(tmp_path / "x.csv")])
    assert result.exit_code == 2
    assert "bad.csv" in result.output
    missing = runner.invoke(main, ["import", "mps-vawg", str(tmp_path / "nope"), "--out", str(tmp_path / "x.csv")])
    assert missing.exit_code == 2 and "no such file" in missing.output


