"""The counts table contract: validation, reading, writing, header sniffing, BCU totals."""

from __future__ import annotations

import pandas as pd
import pytest

from vawgstats.counts import (COUNTS_COLUMNS, combine_counts, in_bcu_totals, is_counts_file, load_counts,
                              validate_counts, write_counts)
from vawgstats.errors import DataError
from vawgstats.geography import BCU_CODES


def _frame(rows: list[dict] | None = None) -> pd.DataFrame:
    base = [
        {"month": "2024-01", "bcu": "NA", "borough": "Enfield", "ward": "Town", "measure": "offences",
         "category": "all", "count": 12, "source": "mps_vawg_offences_location"},
        {"month": "2024-01", "bcu": "NA", "borough": "Haringey", "ward": "", "measure": "offences",
         "category": "all", "count": 5, "source": "mps_vawg_offences_location"},
        {"month": "2024-01", "bcu": "Other", "borough": "Other", "ward": "N/K", "measure": "offences",
         "category": "all", "count": 3, "source": "mps_vawg_offences_location"},
        {"month": "2024-02", "bcu": "Aviation Security (SO18)", "borough": "Aviation Security (SO18)",
         "ward": "Heathrow Villages", "measure": "recorded_crime", "category": "THEFT / OTHER THEFT",
         "count": 40, "source": "mps_recorded_crime_ward"},
        {"month": "2024-02", "bcu": "London", "borough": "London", "ward": "", "measure": "victims",
         "category": "Aged 20 to 29 years", "count": 900, "source": "mps_vawg_victims_age_group"},
        {"month": "2024-02", "bcu": "Unknown", "borough": "Unknown", "ward": "", "measure": "recorded_crime",
         "category": "BURGLARY / BURGLARY BUSINESS AND COMMUNITY", "count": 2,
         "source": "mps_recorded_crime_borough"},
    ]
    return pd.DataFrame(rows if rows is not None else base)


def test_validate_returns_canonical_order_and_dtypes():
    frame = _frame()[list(reversed(COUNTS_COLUMNS))]
    out = validate_counts(frame, "x.csv")
    assert list(out.columns) == list(COUNTS_COLUMNS)
    assert out["count"].dtype == "int64"
    assert out["count"].sum() == _frame()["count"].sum()


def test_in_bcu_totals_excludes_labels_outside_the_12_bcus():
    frame = _frame()
    flags = in_bcu_totals(frame)
    assert flags.tolist() == [b in BCU_CODES for b in frame["bcu"]]
    assert flags.tolist() == [True, True, False, False, False, False]


@pytest.mark.parametrize("column, value, needle", [
    ("month", "2024-13", "month"),
    ("month", "2024/01", "month"),
    ("count", -1, "count"),
    ("count", 1.5, "count"),
    ("count", "many", "count"),
    ("measure", "crimes", "measure"),
    ("bcu", "", "bcu"),
    ("category", "", "category"),
])
def test_bad_values_are_reported_with_file_column_and_row(column, value, needle):
    frame = _frame().astype({"count": object})
    frame.loc[2, column] = value
    with pytest.raises(DataError) as info:
        validate_counts(frame, "counts.csv", first_row=2)
    message = str(info.value)
    assert "counts.csv" in message
    assert f"column '{needle}'" in message
    assert "row 4" in message  # position 2 + first_row 2


def test_borough_in_the_wrong_bcu_is_an_error():
    frame = _frame()
    frame.loc[0, "bcu"] = "SW"
    with pytest.raises(DataError, match=r"borough is not in the row's BCU"):
        validate_counts(frame, "c.csv")


def test_missing_and_extra_columns_are_named():
    frame = _frame().drop(columns=["ward"]).assign(extra=1)
    with pytest.raises(DataError) as info:
        validate_counts(frame, "c.parquet")
    assert "c.parquet" in str(info.value) and "ward" in str(info.value) and "extra" in str(info.value)


def test_duplicate_keys_are_an_error():
    frame = pd.concat([_frame(), _frame().iloc[[0]]], ignore_index=True)
    with pytest.raises(DataError, match="more than once"):
        validate_counts(frame, "c.csv")


@pytest.mark.parametrize("name", ["counts.csv", "counts.parquet", "counts.csv.gz"])
def test_write_then_load_round_trips(tmp_path, name):
    path = tmp_path / name
    write_counts(_frame(), path)
    assert is_counts_file(path)
    loaded = load_counts(path)
    expected = validate_counts(_frame(), "x")
    pd.testing.assert_frame_equal(loaded.reset_index(drop=True), expected, check_dtype=False)
    assert loaded["count"].dtype == "int64"


def test_header_case_is_ignored(tmp_path):
    path = tmp_path / "upper.csv"
    _frame().rename(columns=str.upper).to_csv(path, index=False)
    assert is_counts_file(path)
    assert load_counts(path)["count"].sum() == _frame()["count"].sum()


def test_is_counts_file_is_false_for_records_and_other_files(tmp_path, synthetic_csv):
    assert not is_counts_file(synthetic_csv)
    text = tmp_path / "notes.csv"
    text.write_text("a,b\n1,2\n")
    assert not is_counts_file(text)
    binary = tmp_path / "broken.parquet"
    binary.write_bytes(b"not parquet")
    assert not is_counts_file(binary)
    with pytest.raises(DataError, match="no such file"):
        is_counts_file(tmp_path / "missing.csv")


def test_load_counts_errors_name_the_file(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text(",".join(COUNTS_COLUMNS) + "\n")
    with pytest.raises(DataError, match="empty.csv"):
        load_counts(empty)
    bad = tmp_path / "bad.csv"
    frame = _frame()
    frame.loc[1, "month"] = "Jan 2024"
    frame.to_csv(bad, index=False)
    with pytest.raises(DataError) as info:
        load_counts(bad)
    assert "bad.csv" in str(info.value) and "row 3" in str(info.value)  # line 3 of the CSV


def test_write_counts_refuses_a_broken_table(tmp_path):
    frame = _frame()
    frame.loc[0, "measure"] = "nonsense"
    with pytest.raises(DataError):
        write_counts(frame, tmp_path / "x.csv")
    assert not (tmp_path / "x.csv").exists()


def test_combine_counts_takes_overlapping_months_from_the_later_file():
    old = validate_counts(_frame(), "old")
    old = old[old["source"] == "mps_vawg_offences_location"]
    new = old.copy()
    new["count"] = new["count"] * 10
    extra = new.iloc[[0]].assign(month="2024-02")
    new = pd.concat([new, extra], ignore_index=True)
    combined, notes = combine_counts([(new, "new.csv"), (old, "old.csv")])
    january = combined[combined["month"] == "2024-01"]
    assert january["count"].sum() == old["count"].sum() * 10
    assert len(combined) == len(new)
    assert len(notes) == 1 and "old.csv" in notes[0] and "2024-01" in notes[0]
    # different source kinds never displace each other
    other = old.assign(source="mps_vawg_victims_location", measure="victims")
    combined, notes = combine_counts([(old, "a"), (other, "b")])
    assert len(combined) == 2 * len(old) and not notes
