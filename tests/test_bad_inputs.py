"""The bad-input corpus (tests/data/bad/): each file fails with a clear message, exit status 2,
no traceback, and writes nothing; the tricky-but-good files load.

The corpus is written by ``tests/data/bad/make_bad_inputs.py``; a test checks the committed
files are exactly what the script writes.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from vawgstats import load
from vawgstats import params as P
from vawgstats.cli import main
from vawgstats.errors import DataError, ParamsError

from .conftest import AS_OF

BAD = Path(__file__).resolve().parent / "data" / "bad"

#: file -> what the message must say (each entry a substring; None = must load).
BAD_DATA: dict[str, list[str]] = {
    "empty.csv": ["the file is empty"],
    "header_only.csv": ["has a header but no data rows"],
    "semicolon_delimiter.csv": ["separated by semicolons, not commas"],
    "missing_column.csv": ["missing column(s): borough"],
    "extra_column.csv": ["unexpected column(s): colour"],
    "text_in_victim_age.csv": ["column 'victim_age'", "not a whole number", "line 3 ('forty')"],
    "maybe_domestic_abuse.csv": ["column 'domestic_abuse'", "not true/false", "line 3 ('maybe')"],
    "unparseable_date.csv": ["column 'recorded_date'", "not a date", "line 3 ('3rd of Feb')"],
    "month_13.csv": ["column 'recorded_date'", "not a date", "line 3 ('2024-13-03')"],
    "year_1900.csv": ["column 'recorded_date'", "outside 1990-01-01 to 2026-04-14", "line 3 ('1900-02-03')"],
    "beyond_as_of.csv": ["column 'recorded_date'", "outside 1990-01-01 to 2026-04-14 (as_of)",
                         "line 3 ('2026-05-01')"],
    "outcome_before_recording.csv": ["outcome_date is before recorded_date", "line 4"],
    "outcome_code_without_date.csv": ["outcome_code is given but outcome_date is empty", "line 4"],
    "outcome_date_without_code.csv": ["outcome_date is given but outcome_code is empty", "line 4"],
    "unknown_borough.csv": ["column 'borough'", "not one of the 32 London boroughs", "line 3 ('Gotham')"],
    "unknown_offence_group.csv": ["column 'offence_group'", "not one of rape", "line 3 ('burglary')"],
    "unknown_outcome_code.csv": ["column 'outcome_code'", "not a Home Office outcome type", "line 4 ('19')"],
    "duplicate_crime_id.csv": ["crime_id is not unique", "line 3 ('BAD0004')", "line 5 ('BAD0004')"],
    "binary_garbage.csv": ["not a text CSV file", "binary"],
    "truncated.csv.gz": ["could not be read as gzip", "truncated or corrupted"],
    "no_csv.zip": ["the zip archive holds no CSV file"],
    "wrong_schema.parquet": ["missing column(s): crime_id", "unexpected column(s): id, colour"],
}
GOOD_DATA = ("good.csv", "utf8_bom.csv", "cp1252_accents.csv")


def _load_generator():
    spec = importlib.util.spec_from_file_location("make_bad_inputs", BAD / "make_bad_inputs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in folder.rglob("*")}


def test_every_corpus_file_has_a_test():
    names = {p.name for p in BAD.iterdir() if p.is_file() and p.suffix != ".py"}
    assert names == set(BAD_DATA) | set(GOOD_DATA)


def test_committed_corpus_is_what_the_script_writes(tmp_path):
    written = _load_generator().write_all(tmp_path)
    assert written
    for path in written:
        relative = path.relative_to(tmp_path)
        assert (BAD / relative).read_bytes() == path.read_bytes(), f"{relative} is stale: re-run the script"
    committed = {p.relative_to(BAD) for p in BAD.rglob("*")
                 if p.is_file() and p.suffix != ".py" and "__pycache__" not in p.parts}
    assert committed == {p.relative_to(tmp_path) for p in written}


@pytest.mark.parametrize("name", sorted(BAD_DATA))
def test_bad_data_file_cli_exit_2_clear_message_no_traceback_nothing_written(tmp_path, name):
    path = tmp_path / name
    shutil.copy(BAD / name, path)
    before = _snapshot(tmp_path)
    result = CliRunner().invoke(main, ["validate", str(path), "--as-of", AS_OF])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)  # a handled error, not a crash
    assert "Traceback" not in result.output
    message = result.output
    assert message.startswith("vawgstats: error: ")
    assert str(path) in message
    for expected in BAD_DATA[name]:
        assert expected in message, f"{expected!r} not in {message!r}"
    assert "valid." not in message
    assert _snapshot(tmp_path) == before


@pytest.mark.parametrize("name", sorted(BAD_DATA))
def test_bad_data_file_raises_data_error(name):
    with pytest.raises(DataError) as info:
        load(BAD / name, as_of=AS_OF)
    assert str(BAD / name) in str(info.value)


@pytest.mark.parametrize("name", GOOD_DATA)
def test_good_files_exit_0(name):
    result = CliRunner().invoke(main, ["validate", str(BAD / name), "--as-of", AS_OF])
    assert result.exit_code == 0, result.output
    assert "valid. 5 records" in result.output


def test_bom_and_cp1252_load_the_same_records():
    good = load(BAD / "good.csv", as_of=AS_OF)
    bom = load(BAD / "utf8_bom.csv", as_of=AS_OF)
    assert list(bom.columns) == list(good.columns)  # the BOM does not stick to 'crime_id'
    assert bom["crime_id"].tolist() == good["crime_id"].tolist()
    accented = load(BAD / "cp1252_accents.csv", as_of=AS_OF)
    assert accented["crime_id"].tolist() == good["crime_id"].tolist()
    assert set(accented["source"]) == {"Extrait révisé – café ‘Zoë’"}


def test_validate_with_as_of_before_the_data_is_refused():
    result = CliRunner().invoke(main, ["validate", str(BAD / "good.csv"), "--as-of", "2024-02-01"])
    assert result.exit_code == 2
    assert "outside 1990-01-01 to 2024-02-01 (as_of)" in result.output


# --------------------------------------------------------------------------- parameter files


def test_params_unknown_bcu():
    path = BAD / "params" / "unknown_bcu" / "ZZ.yaml"
    with pytest.raises(ParamsError) as info:
        P.load_params_file(path)
    message = str(info.value)
    assert str(path) in message and "key 'code'" in message and "line 1" in message
    assert "'ZZ' is not a known BCU code" in message and "AW, CN, CE" in message
    with pytest.raises(ParamsError, match="ZZ.yaml: not a known parameter file"):
        P.load_all_params(path.parent)
    with pytest.raises(ParamsError, match="Unknown BCU 'ZZ'"):
        P.load_bcu_params("ZZ", path.parent)


def test_params_bad_period():
    path = BAD / "params" / "bad_period" / "defaults.yaml"
    with pytest.raises(ParamsError) as info:
        P.load_defaults(path.parent)
    message = str(info.value)
    assert str(path) in message and "line 2" in message
    assert "key 'period_months'" in message and "from 1 to 120, not 0" in message


def test_params_bad_type():
    path = BAD / "params" / "bad_type" / "NA.yaml"
    with pytest.raises(ParamsError) as info:
        P.load_bcu_params("NA", path.parent)
    message = str(info.value)
    assert str(path) in message and "line 6" in message
    assert "key 'aims'" in message and "expected a list" in message and "whole number" in message


@pytest.mark.parametrize("case, line", [("syntax_error", 2), ("syntax_error_flow", 4)])
def test_params_yaml_syntax_error(case, line):
    path = BAD / "params" / case / "NA.yaml"
    with pytest.raises(ParamsError) as info:
        P.load_bcu_params("NA", path.parent)
    message = str(info.value)
    assert str(path) in message and "not valid YAML" in message and f"line {line}," in message


def test_params_python_tag_is_refused_not_executed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the payload would write vawgstats-pwned.txt here
    path = BAD / "params" / "python_tag" / "NA.yaml"
    assert "!!python/object/apply:os.system" in path.read_text()
    with pytest.raises(ParamsError) as info:
        P.load_bcu_params("NA", path.parent)
    message = str(info.value)
    assert str(path) in message and "line 8" in message and "not allowed" in message
    assert not (tmp_path / "vawgstats-pwned.txt").exists()
    assert os.listdir(tmp_path) == []
    # The plain-YAML reader refuses it as well: nothing in the file can build an object.
    with pytest.raises(yaml.YAMLError):
        yaml.safe_load(path.read_text())
