"""The data contract: every validation rule, CSV and Parquet alike."""

import gzip
import zipfile

import pandas as pd
import pytest

import vawgstats
from vawgstats.errors import DataError
from vawgstats.schema import CANONICAL_COLUMNS, load, parse_records, write_records

from .conftest import AS_OF


def test_load_returns_canonical_columns_plus_bcu_for_csv_and_parquet(synthetic_csv, tmp_path):
    from_csv = load(synthetic_csv, as_of=AS_OF)
    parquet = tmp_path / "x.parquet"
    write_records(from_csv, parquet)
    from_parquet = load(parquet, as_of=AS_OF)
    expected = list(CANONICAL_COLUMNS) + ["source", "bcu"]
    assert list(from_csv.columns) == expected
    assert list(from_parquet.columns) == expected
    pd.testing.assert_frame_equal(from_csv, from_parquet)
    assert from_csv["recorded_date"].dtype.kind == "M"
    assert from_csv["domestic_abuse"].dtype == bool
    assert (from_csv["bcu"].astype(str) == from_csv["borough"].astype(str).map(
        vawgstats.geography.BOROUGH_TO_BCU)).all()


def _write(tmp_path, frame, name="data.csv"):
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


@pytest.fixture
def good(synthetic_csv):
    return pd.read_csv(synthetic_csv, dtype=str, keep_default_na=False)


def _error(path, **kwargs) -> str:
    with pytest.raises(DataError) as info:
        load(path, as_of=AS_OF, **kwargs)
    message = str(info.value)
    assert str(path) in message
    return message


def test_missing_and_extra_columns(tmp_path, good):
    message = _error(_write(tmp_path, good.drop(columns=["borough"]).assign(colour="red")))
    assert "missing column(s): borough" in message and "unexpected column(s): colour" in message


@pytest.mark.parametrize("column, value, expected", [
    ("recorded_date", "2024-13-01", "recorded_date is not a date"),
    ("recorded_date", "", "recorded_date is not a date"),
    ("recorded_date", "1900-01-01", "recorded_date is outside"),
    ("recorded_date", "2030-01-01", "recorded_date is outside"),
    ("offence_date", "yesterday", "offence_date is not a date"),
    ("borough", "Gotham", "not one of the 32 London boroughs"),
    ("offence_group", "burglary", "offence_group is not one of"),
    ("outcome_code", "19", "not a Home Office outcome type"),
    ("victim_sex", "X", "victim_sex is not F, M or U"),
    ("victim_age", "forty", "victim_age is not a whole number"),
    ("victim_age", "150", "victim_age is not 0-120"),
    ("domestic_abuse", "maybe", "domestic_abuse is not true/false"),
    ("lsoa_code", "NOTANLSOA", "lsoa_code is not an LSOA code"),
])
def test_each_bad_value_names_column_line_and_value(tmp_path, good, column, value, expected):
    good.loc[4, column] = value
    message = _error(_write(tmp_path, good))
    assert f"column '{column}'" in message
    assert expected in message
    assert "line 6" in message  # row 4 is line 6: header is line 1
    if value:
        assert repr(value) in message or f"({value})" in message


def test_duplicate_crime_id_lists_both_lines(tmp_path, good):
    good.loc[7, "crime_id"] = good.loc[2, "crime_id"]
    message = _error(_write(tmp_path, good))
    assert "crime_id is not unique" in message and "line 4" in message and "line 9" in message


def test_outcome_before_recording(tmp_path, good):
    row = good.index[good["outcome_code"] != ""][0]
    good.loc[row, "outcome_date"] = "2000-01-01"
    assert "outcome_date is before recorded_date" in _error(_write(tmp_path, good))


def test_outcome_date_without_code_and_code_without_date(tmp_path, good):
    with_outcome = good.index[good["outcome_code"] != ""]
    good.loc[with_outcome[0], "outcome_code"] = ""
    good.loc[with_outcome[1], "outcome_date"] = ""
    message = _error(_write(tmp_path, good))
    assert "outcome_date is given but outcome_code is empty" in message
    assert "outcome_code is given but outcome_date is empty" in message


def test_many_errors_are_capped_but_counted(tmp_path, good):
    good["borough"] = "Nowhere"
    message = _error(_write(tmp_path, good))
    assert f"{len(good)} rows where borough" in message
    assert f"and {len(good) - 20} more" in message


def test_aliases_and_case_accepted(tmp_path, good):
    good.loc[0, "borough"] = "Barking & Dagenham"
    good.loc[1, "victim_sex"] = "female"
    good.loc[2, "domestic_abuse"] = "Y"
    good.loc[3, "outcome_code"] = good.loc[3, "outcome_code"].lower()
    frame = load(_write(tmp_path, good), as_of=AS_OF)
    assert frame.loc[0, "borough"] == "Barking and Dagenham" and frame.loc[0, "bcu"] == "EA"
    assert frame.loc[1, "victim_sex"] == "F"
    assert bool(frame.loc[2, "domestic_abuse"]) is True


def test_empty_file_header_only_and_wrong_delimiter(tmp_path, good):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert "empty" in _error(empty)
    header = tmp_path / "header.csv"
    header.write_text(",".join(good.columns) + "\n")
    assert "no data rows" in _error(header)
    semi = tmp_path / "semi.csv"
    good.to_csv(semi, sep=";", index=False)
    assert "semicolons" in _error(semi)


def test_ragged_rows_are_reported_with_lines(tmp_path, good):
    path = _write(tmp_path, good)
    lines = path.read_text().splitlines()
    lines[3] = lines[3] + ",surplus"
    path.write_text("\n".join(lines) + "\n")
    message = _error(path)
    assert "line 4 has 15 fields" in message


def test_encodings_bom_and_cp1252_load_binary_does_not(tmp_path, good):
    bom = tmp_path / "bom.csv"
    bom.write_bytes(good.to_csv(index=False).encode("utf-8-sig"))
    assert len(load(bom, as_of=AS_OF)) == len(good)
    cp = tmp_path / "cp1252.csv"
    good.loc[0, "victim_id"] = "Zoë’s"
    cp.write_bytes(good.to_csv(index=False).encode("cp1252"))
    assert load(cp, as_of=AS_OF).loc[0, "victim_id"] == "Zoë’s"
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(bytes(range(256)) * 10)
    assert "binary" in _error(garbage)


def test_gzip_zip_and_their_failures(tmp_path, good):
    text = good.to_csv(index=False).encode()
    gz = tmp_path / "data.csv.gz"
    gz.write_bytes(gzip.compress(text))
    assert len(load(gz, as_of=AS_OF)) == len(good)
    truncated = tmp_path / "cut.csv.gz"
    truncated.write_bytes(gzip.compress(text)[:200])
    assert "truncated or corrupted" in _error(truncated)
    archive = tmp_path / "none.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("notes.txt", "hello")
    assert "no CSV file" in _error(archive)


def test_parquet_with_wrong_schema(tmp_path):
    path = tmp_path / "wrong.parquet"
    pd.DataFrame({"a": [1, 2]}).to_parquet(path)
    assert "missing column(s)" in _error(path)


def test_missing_file():
    with pytest.raises(DataError, match="no such file"):
        load("/no/such/file.csv")


# ----------------------------------------------------------------------------- the quick check

def _one_rule_broken() -> dict[str, object]:
    """Each rule of the pandera schema broken on one row of otherwise valid records."""
    def outcome_before(df):
        df.loc[3, "outcome_date"] = df.loc[3, "recorded_date"] - pd.Timedelta(days=2)
        df.loc[3, "outcome_code"] = "1"

    def code_without_date(df):
        df.loc[4, "outcome_code"], df.loc[4, "outcome_date"] = "1", pd.NaT

    def date_without_code(df):
        df.loc[5, "outcome_code"], df.loc[5, "outcome_date"] = "", df.loc[5, "recorded_date"]

    def column(name, value):
        def change(df):
            df[name] = df[name].astype(object)
            df.loc[6, name] = value
        return change

    def duplicate(df):
        df.loc[7, "crime_id"] = df.loc[8, "crime_id"]

    return {
        "valid": lambda df: None,
        "duplicate crime_id": duplicate,
        "recorded in 1900": column("recorded_date", pd.Timestamp("1900-01-01")),
        "offence after recording": column("offence_date", pd.Timestamp("2025-03-31")),
        "outcome after as_of": column("outcome_date", pd.Timestamp("2030-01-01")),
        "outcome before recording": outcome_before,
        "code without date": code_without_date,
        "date without code": date_without_code,
        "unknown borough": column("borough", "Atlantis"),
        "unknown offence group": column("offence_group", "burglary"),
        "unknown victim sex": column("victim_sex", "X"),
        "unknown outcome code": column("outcome_code", "19"),
        "age 130": column("victim_age", 130),
        "bad LSOA": column("lsoa_code", "W01000001"),
    }


@pytest.mark.parametrize("case", list(_one_rule_broken()))
def test_quick_check_and_pandera_agree(case, monkeypatch):
    """The quick vectorised check (schema._passes_every_rule) stands in for pandera only on
    valid data: on each broken rule the load fails the same way with and without it."""
    from vawgstats import schema, synthetic

    raw = synthetic.generate(seed=1, start="2025-01", end="2025-03", scale=0.005)
    _one_rule_broken()[case](raw)

    def outcome() -> str:
        try:
            return f"loaded {len(parse_records(raw.copy(), 'records.csv', as_of='2025-06-30'))}"
        except DataError as exc:
            return str(exc)

    quick = outcome()
    monkeypatch.setattr(schema, "_passes_every_rule", lambda frame, as_of, *started: False)   # pandera always
    assert outcome() == quick
    assert quick.startswith("loaded") == (case == "valid")



def test_a_file_read_by_pyarrow_reports_ragged_rows_with_lines_far_into_it(tmp_path, good):
    from vawgstats import schema, synthetic

    path = tmp_path / "records.csv"
    schema.write_records(synthetic.generate(seed=2, start="2025-01", end="2025-12", scale=0.05), path)
    lines = path.read_text().splitlines()
    assert sum(len(line) + 1 for line in lines[:-3]) > 1 << 20
    width = lines[0].count(",") + 1
    lines[-3] += ",surplus"
    path.write_text("\n".join(lines) + "\n")
    assert f"line {len(lines) - 2} has {width + 1} fields" in _error(path)
