"""police.uk importer, on real extracts (tests/data/real/police_uk)."""

from __future__ import annotations

import csv
import re
import shutil
import zipfile
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import vawgstats
from vawgstats.cli import main
from vawgstats.errors import DataError
from vawgstats.geography import BOROUGHS, normalise_borough
from vawgstats.sources import import_source

DATA = Path(__file__).parent / "data" / "real" / "police_uk"
MET = DATA / "metropolitan_burglary_only"
CITY = DATA / "city_of_london_all_crime_types"
MAPPING = Path(vawgstats.__file__).parent / "data" / "policeuk_outcomes.csv"
AS_OF = "2024-06-30"

STREET_HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
                 "Crime type,Last outcome category,Context")
OUTCOMES_HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
                   "Outcome type")


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def mapping() -> dict[str, str]:
    """The shipped table, read independently of the importer."""
    return {row["police_uk_category"].strip().lower(): row["outcome_code"] for row in read_csv(MAPPING)}


def borough_of(row: dict) -> str | None:
    return normalise_borough(re.sub(r" \d{3}[A-Z]$", "", row["LSOA name"])) if row["LSOA name"] else None


def expected_crimes(folder: Path) -> dict[str, dict]:
    """One street row per Crime ID by the documented rule, computed here from the raw CSVs."""
    codes = mapping()
    rows = []
    for path in sorted(folder.rglob("*-street.csv")):
        rows += read_csv(path)
    with_id = [r for r in rows if r["Crime ID"]]
    order = {id(r): n for n, r in enumerate(with_id)}
    ranked = sorted(with_id, key=lambda r: (r["Crime ID"], borough_of(r) is None,
                                            codes[r["Last outcome category"].lower()] == "", r["Month"],
                                            order[id(r)]))
    chosen: dict[str, dict] = {}
    for row in ranked:
        chosen.setdefault(row["Crime ID"], row)
    return chosen


def latest_events(folder: Path, crime_ids) -> dict[str, dict]:
    events = []
    for path in sorted(folder.rglob("*-outcomes.csv")):
        events += read_csv(path)
    latest: dict[str, dict] = {}
    for row in events:  # files in month order, rows in file order: a later row replaces an earlier one
        if row["Crime ID"] in crime_ids and (row["Crime ID"] not in latest
                                             or row["Month"] >= latest[row["Crime ID"]]["Month"]):
            latest[row["Crime ID"]] = row
    return latest


@pytest.fixture(scope="module")
def met(tmp_path_factory):
    out = tmp_path_factory.mktemp("pu") / "met.parquet"
    summary = import_source("policeuk", [MET], out)
    return vawgstats.load(out, as_of=AS_OF), summary


def test_output_is_valid_records_with_police_uk_fields(met):
    frame, _ = met
    assert set(frame["source"].dropna()) == {"police.uk"}
    assert set(frame["victim_sex"].astype(str)) == {"U"}
    assert not frame["domestic_abuse"].any()
    assert frame["victim_id"].isna().all() and frame["suspect_id"].isna().all()
    assert (frame["recorded_date"].dt.day == 1).all()
    assert set(frame["crime_type"]) == {"Burglary"}
    assert set(frame["offence_group"].astype(str)) == {"other"}
    assert frame["lsoa_code"].str.match(r"^E01\d{6}$").all()
    assert frame["latitude"].between(51, 52).all()


def test_rows_per_borough_equal_the_street_files(met):
    frame, summary = met
    chosen = expected_crimes(MET)
    expected = Counter(borough_of(r) for r in chosen.values() if borough_of(r) in BOROUGHS)
    got = Counter(frame["borough"].astype(str))
    assert got == expected
    left_out = sum(1 for r in chosen.values() if borough_of(r) not in BOROUGHS)
    assert left_out > 0 and f"Left out {left_out:,} crimes not in the 32 boroughs" in summary
    repeated = sum(1 for path in MET.rglob("*-street.csv") for r in read_csv(path) if r["Crime ID"]) - len(chosen)
    assert repeated > 0 and f"Merged {repeated:,} repeated rows" in summary


def test_rows_per_outcome_category_equal_the_source(met):
    frame, summary = met
    codes = mapping()
    chosen = {k: v for k, v in expected_crimes(MET).items() if borough_of(v) in BOROUGHS}
    events = latest_events(MET, chosen)
    categories = Counter(events[k]["Outcome type"] if k in events else v["Last outcome category"]
                         for k, v in chosen.items())
    expected = Counter()
    for category, n in categories.items():
        expected[codes[category.lower()] or "pending"] += n
    got = Counter(frame["outcome_code"].astype(object).fillna("pending"))
    assert got == expected
    # the outcomes files changed some outcomes, so this is not just Last outcome category
    from_street = Counter(codes[v["Last outcome category"].lower()] or "pending" for v in chosen.values())
    assert from_street != expected
    assert f"latest outcome of {len(events):,} imported crimes" in summary


def test_outcome_dates_follow_the_outcome_month(met):
    frame, _ = met
    chosen = {k: v for k, v in expected_crimes(MET).items() if borough_of(v) in BOROUGHS}
    events = latest_events(MET, chosen)
    by_id = frame.set_index("crime_id")
    for crime_id, row in chosen.items():
        got = by_id.loc[crime_id]
        assert got["recorded_date"] == pd.Timestamp(row["Month"] + "-01")
        if pd.isna(got["outcome_code"]):
            assert pd.isna(got["outcome_date"])
            continue
        month = events[crime_id]["Month"] if crime_id in events else row["Month"]
        assert got["outcome_date"] == max(pd.Timestamp(month + "-01"), got["recorded_date"])


def test_outcomes_for_crimes_not_in_the_street_files_are_counted(met):
    _, summary = met
    ids = {r["Crime ID"] for p in MET.rglob("*-street.csv") for r in read_csv(p)}
    orphans = sum(1 for p in MET.rglob("*-outcomes.csv") for r in read_csv(p) if r["Crime ID"] not in ids)
    assert orphans > 0
    assert f"{orphans:,} outcome rows are for crimes not in the street files" in summary


def _street(tmp_path: Path, rows: list[str], name="2023-11/2023-11-metropolitan-street.csv",
            header=STREET_HEADER) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([header] + rows) + "\n")
    return path


def _row(crime_id: str, category: str, month="2023-11", lsoa="E01001398,Enfield 021A",
         crime_type="Violence and sexual offences", force="Metropolitan Police Service") -> str:
    return f"{crime_id},{month},{force},{force},-0.07,51.63,On or near X,{lsoa},{crime_type},{category},"


SPEC_CODES = {  # from issue 5 (Home Office outcome types for police.uk categories)
    "Investigation complete; no suspect identified": "18",
    "Offender given a caution": "3",
    "Local resolution": "8",
    "Suspect charged": "1",
    "Suspect charged as part of another case": "1",
    "Awaiting court outcome": "1",
    "Offender sent to prison": "1",
    "Offender fined": "1",
    "Defendant found not guilty": "1",
    "Court case unable to proceed": "1",
    "Unable to prosecute suspect": "15",
    "Formal action is not in the public interest": "10",
    "Further investigation is not in the public interest": "21",
    "Further action is not in the public interest": "21",
    "Action to be taken by another organisation": "20",
    "Status update unavailable": "",
    "Under investigation": "",
}


def test_outcome_categories_map_to_home_office_types(tmp_path):
    rows = [_row(f"c{n}", category) for n, category in enumerate(SPEC_CODES)]
    _street(tmp_path, rows)
    out = tmp_path / "out.csv"
    import_source("policeuk", [tmp_path / "2023-11"], out)
    frame = vawgstats.load(out, as_of=AS_OF).set_index("crime_id")
    for n, (category, code) in enumerate(SPEC_CODES.items()):
        got = frame.loc[f"c{n}", "outcome_code"]
        assert (got if not pd.isna(got) else "") == code, category
    assert (frame["offence_group"] == "violence_and_sexual_offences").all()
    assert vawgstats.in_vawg_scope(frame.reset_index()).all()


def test_mapping_table_covers_every_police_uk_category():
    listed = {row["police_uk_category"] for row in read_csv(MAPPING)}
    published = {
        "Awaiting court outcome", "Court result unavailable", "Court case unable to proceed", "Local resolution",
        "Investigation complete; no suspect identified", "Offender deprived of property", "Offender fined",
        "Offender given absolute discharge", "Offender given a caution", "Offender given a drugs possession warning",
        "Offender given a penalty notice", "Offender given penalty notice", "Offender given community sentence",
        "Offender given conditional discharge", "Offender given suspended prison sentence",
        "Offender sent to prison", "Offender otherwise dealt with", "Offender ordered to pay compensation",
        "Suspect charged as part of another case", "Suspect charged", "Defendant found not guilty",
        "Defendant sent to Crown Court", "Unable to prosecute suspect", "Formal action is not in the public interest",
        "Action to be taken by another organisation", "Further investigation is not in the public interest",
        "Further action is not in the public interest", "Under investigation", "Status update unavailable", "",
    }
    assert published <= listed
    for row in read_csv(MAPPING):
        assert row["outcome_code"] in vawgstats.definitions.OUTCOME_CODES or row["outcome_code"] == ""
        assert row["note"].strip()


def _event(crime_id: str, category: str, month: str) -> str:
    force = "Metropolitan Police Service"
    return f"{crime_id},{month},{force},{force},-0.07,51.63,On or near X,E01001398,Enfield 021A,{category}"


def test_latest_outcome_wins_and_dates_never_precede_recording(tmp_path):
    _street(tmp_path, [_row("a", "Under investigation"), _row("b", "Investigation complete; no suspect identified"),
                       _row("c", "Status update unavailable")])
    _street(tmp_path, [_event("a", "Investigation complete; no suspect identified", "2023-11"),
                       _event("c", "Offender given a caution", "2023-10")],
            name="2023-11/2023-11-metropolitan-outcomes.csv", header=OUTCOMES_HEADER)
    _street(tmp_path, [_event("a", "Suspect charged", "2024-01")],
            name="2024-01/2024-01-metropolitan-outcomes.csv", header=OUTCOMES_HEADER)
    out = tmp_path / "out.parquet"
    import_source("policeuk", [tmp_path], out)
    frame = vawgstats.load(out, as_of=AS_OF).set_index("crime_id")
    assert frame.loc["a", "outcome_code"] == "1"
    assert frame.loc["a", "outcome_date"] == pd.Timestamp("2024-01-01")
    assert frame.loc["b", "outcome_code"] == "18"
    assert frame.loc["b", "outcome_date"] == pd.Timestamp("2023-11-01")
    assert frame.loc["c", "outcome_code"] == "3"
    assert frame.loc["c", "outcome_date"] == pd.Timestamp("2023-11-01")  # not before recorded_date


def test_city_of_london_file_is_accepted_and_reported(tmp_path):
    out = tmp_path / "city.csv"
    summary = import_source("policeuk", [CITY], out)
    frame = vawgstats.load(out, as_of=AS_OF)
    rows = read_csv(next(CITY.rglob("*-street.csv")))
    assert "City of London Police" in summary and "not the Metropolitan Police Service" in summary
    no_id = sum(1 for r in rows if not r["Crime ID"])
    assert no_id > 0 and f"Left out {no_id:,} rows without a Crime ID (Anti-social behaviour {no_id:,})" in summary
    chosen = expected_crimes(CITY)
    in_boroughs = {k: v for k, v in chosen.items() if borough_of(v) in BOROUGHS}
    assert Counter(frame["borough"].astype(str)) == Counter(borough_of(v) for v in in_boroughs.values())
    city_rows = sum(1 for v in chosen.values() if v["LSOA name"].startswith("City of London"))
    assert f"City of London (policed by the City of London Police) {city_rows:,}" in summary
    vso = sum(1 for v in in_boroughs.values() if v["Crime type"] == "Violence and sexual offences")
    assert vso > 0
    assert int((frame["offence_group"] == "violence_and_sexual_offences").sum()) == vso
    assert Counter(frame["crime_type"]) == Counter(v["Crime type"] for v in in_boroughs.values())


def test_zip_folder_and_single_files_give_the_same_records(met, tmp_path):
    frame, _ = met
    archive = tmp_path / "archive.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(MET.rglob("*.csv")):
            zf.write(path, path.relative_to(MET).as_posix())
        zf.writestr("2023-11/2023-11-metropolitan-stop-and-search.csv", "Type,Date\n")
    summary = import_source("policeuk", [archive], tmp_path / "zip.parquet")
    assert "Skipped 1 other file" in summary
    singles = sorted(MET.rglob("*.csv"))
    import_source("policeuk", singles, tmp_path / "singles.parquet")
    for name in ("zip.parquet", "singles.parquet"):
        again = vawgstats.load(tmp_path / name, as_of=AS_OF)
        pd.testing.assert_frame_equal(again.sort_values("crime_id").reset_index(drop=True),
                                      frame.sort_values("crime_id").reset_index(drop=True))


def test_header_case_variant_is_accepted(met, tmp_path):
    frame, _ = met
    copy = tmp_path / "upper"
    shutil.copytree(MET, copy)
    for path in copy.rglob("*.csv"):
        lines = path.read_text().split("\n", 1)
        path.write_text(lines[0].upper() + "\n" + lines[1])
    import_source("policeuk", [copy], tmp_path / "u.parquet")
    again = vawgstats.load(tmp_path / "u.parquet", as_of=AS_OF)
    assert len(again) == len(frame) and set(again["crime_id"]) == set(frame["crime_id"])


def test_unknown_outcome_category_names_file_category_and_line(tmp_path):
    path = _street(tmp_path, [_row("a", "Suspect charged"), _row("b", "Sent to the moon"),
                              _row("c", "Sent to the moon")])
    out = tmp_path / "out.csv"
    with pytest.raises(DataError) as info:
        import_source("policeuk", [path], out)
    message = str(info.value)
    assert str(path) in message and "'Sent to the moon'" in message and "line(s) 3, 4" in message
    assert not out.exists()


def test_header_that_is_not_police_uk_is_a_data_error(tmp_path):
    path = tmp_path / "2023-11" / "2023-11-metropolitan-street.csv"
    path.parent.mkdir()
    path.write_text("crime_id,month,borough\nx,2023-11,Enfield\n")
    with pytest.raises(DataError, match=r"2023-11-metropolitan-street.csv: the header is not police.uk"):
        import_source("policeuk", [tmp_path], tmp_path / "out.csv")
    loose = tmp_path / "loose.csv"
    loose.write_text("a,b\n1,2\n")
    with pytest.raises(DataError, match="loose.csv"):
        import_source("policeuk", [loose], tmp_path / "out.csv")


def test_folder_without_street_files_is_a_data_error(tmp_path):
    folder = tmp_path / "2023-11"
    folder.mkdir()
    shutil.copy(next(MET.rglob("*-outcomes.csv")), folder / "2023-11-metropolitan-outcomes.csv")
    with pytest.raises(DataError, match=rf"{re.escape(str(tmp_path))}: no police.uk street file"):
        import_source("policeuk", [tmp_path], tmp_path / "out.csv")


@pytest.mark.parametrize("content", ["", STREET_HEADER + "\n"])
def test_empty_month_is_a_data_error_naming_the_file(tmp_path, content):
    good = _street(tmp_path, [_row("a", "Suspect charged")])
    empty = tmp_path / "2023-12" / "2023-12-metropolitan-street.csv"
    empty.parent.mkdir()
    empty.write_text(content)
    with pytest.raises(DataError, match="2023-12-metropolitan-street.csv"):
        import_source("policeuk", [tmp_path], tmp_path / "out.csv")
    assert good.exists()


def test_only_crimes_outside_the_boroughs_is_a_data_error(tmp_path):
    rows = [_row("a", "Suspect charged", lsoa="E01032739,City of London 001F", force="City of London Police"),
            _row("b", "", lsoa=",", force="City of London Police")]
    path = _street(tmp_path, rows, name="2022-12/2022-12-city-of-london-street.csv")
    with pytest.raises(DataError) as info:
        import_source("policeuk", [path], tmp_path / "out.csv")
    assert "City of London Police" in str(info.value) and "none of the 2 crimes" in str(info.value)


def test_cli_import_exit_status(tmp_path):
    runner = CliRunner()
    out = tmp_path / "records.csv"
    result = runner.invoke(main, ["import", "policeuk", str(MET), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Violence and sexual offences" in result.output
    validated = runner.invoke(main, ["validate", str(out), "--as-of", AS_OF])
    assert validated.exit_code == 0, validated.output
    bad = _street(tmp_path / "bad", [_row("a", "Not a category")])
    failed = runner.invoke(main, ["import", "policeuk", str(bad), "--out", str(tmp_path / "x.csv")])
    assert failed.exit_code == 2
    assert "Not a category" in failed.output and "2023-11-metropolitan-street.csv" in failed.output
    assert not (tmp_path / "x.csv").exists()
