"""Tests of vawgstats.prepare: the prepared metric tables and the build folder."""

from __future__ import annotations

import pandas as pd
import pytest

from vawgstats import metrics, synthetic
from vawgstats.periods import as_period
from vawgstats.prepare import headline_table, prepare
from vawgstats.schema import parse_records, write_records
from vawgstats.stats import FLAG_NOT_COMPARABLE


@pytest.fixture(scope="module")
def one_year():
    """Records of 2025 only: the year-earlier comparison of any period in 2025 predates the data."""
    return parse_records(synthetic.generate(seed=3, start="2025-01", end="2025-12", scale=0.02), "synthetic")


def test_comparisons_before_the_data_are_not_comparable(one_year):
    table = headline_table(one_year, as_period("2025-07", "2025-12"))
    compared = table[table["metric"] != "median_days_to_charge"]
    assert (compared["year_flag"] == FLAG_NOT_COMPARABLE).all()
    assert compared["year_numerator"].isna().all() and compared["year_p"].isna().all()
    # the previous period (2025-01..06) is in the data: tested as usual
    volume = compared[(compared["metric"] == "volume") & (compared["unit_type"] == "bcu")].set_index("unit")
    expected = metrics.compare_periods(one_year, start="2025-07", end="2025-12", by=("bcu",), metric="volume",
                                       against="previous").set_index("bcu")
    for code, row in volume.iterrows():
        assert row["previous_flag"] == expected.loc[code, "flag"]
        assert row["previous_numerator"] == expected.loc[code, "comparison_numerator"]


def test_headline_changes_are_maturity_matched(one_year):
    """Outcome measures' earlier figures count only outcomes reached by the same follow-up."""
    period = as_period("2025-07", "2025-09")
    table = headline_table(one_year, period, as_of="2025-10-20").set_index(["unit", "metric"])
    assert (table["follow_up_days"].dropna() == 20).all()
    cutoff = pd.Timestamp("2025-06-30") + pd.Timedelta(days=20)          # previous period: April-June
    charge = metrics.charge_rate(one_year, start="2025-04", end="2025-06", by=("bcu",), outcomes_by=cutoff)
    timing = metrics.time_to_charge(one_year, start="2025-04", end="2025-06", by=("bcu",), outcomes_by=cutoff)
    for code in ("NA", "SW"):
        found = table.loc[(code, "charge_rate")]
        expected = charge[charge["bcu"] == code].iloc[0]
        assert (found["previous_numerator"], found["previous_denominator"]) == \
            (expected["numerator"], expected["denominator"])
        days = table.loc[(code, "median_days_to_charge")]
        expected = timing[timing["bcu"] == code].iloc[0]
        assert days["previous_value"] == expected["median_days"] and days["previous_flag"] == "not tested"
        assert days["previous_numerator"] == expected["charged"]
    # As recorded, the earlier period would have more charges (some reached after the cut-off).
    naive = metrics.charge_rate(one_year, start="2025-04", end="2025-06", by=())["numerator"].iloc[0]
    assert table.loc[("London", "charge_rate"), "previous_numerator"] < naive


def test_prepare_writes_a_keyed_folder_once(one_year, tmp_path):
    data = tmp_path / "records.csv"
    write_records(one_year, data)
    first = prepare(data, start="2025-07", end="2025-12", build_root=tmp_path / "build")
    assert first.manifest["kind"] == "records" and first.manifest["rows"] == len(one_year)
    mtime = (first.directory / "manifest.json").stat().st_mtime_ns
    again = prepare(data, start="2025-07", end="2025-12", build_root=tmp_path / "build")
    assert again.directory == first.directory
    assert (again.directory / "manifest.json").stat().st_mtime_ns == mtime
    other = prepare(data, start="2025-10", end="2025-12", build_root=tmp_path / "build")
    assert other.directory != first.directory
    headline = first.table("headline")
    crimes = metrics.per_population(one_year, start="2025-07", end="2025-12", by=("bcu",))
    shown = headline[(headline["metric"] == "volume") & (headline["unit_type"] == "bcu")]
    assert list(shown["numerator"]) == list(crimes["crimes"])


def test_prepare_reads_a_counts_table(tmp_path, one_year):
    from vawgstats import open_data

    path = tmp_path / "counts.parquet"
    open_data.write_synthetic_counts(one_year, path)
    prepared = prepare(path, build_root=tmp_path / "build")
    assert prepared.manifest["kind"] == "counts" and prepared.manifest["synthetic"]
    assert (prepared.manifest["start"], prepared.manifest["end"]) == ("2025-01", "2025-12")
    assert set(pd.read_parquet(prepared.directory / "headline.parquet")["metric"]) == {"offences", "victims"}


def test_default_period_with_day_and_month_precision(one_year):
    from vawgstats.prepare import resolve_period

    ended = one_year[one_year["recorded_date"] < "2025-12-15"]   # December incomplete: ends in November
    # the data begin in January 2025: the period is the 11 months there are, not 12 reaching before them
    assert (str(resolve_period(ended, None, None).start), str(resolve_period(ended, None, None).end)) == (
        "2025-01", "2025-11")
    assert str(resolve_period(one_year, None, None).end) == "2025-12"
    monthly = one_year.assign(recorded_date=one_year["recorded_date"].dt.to_period("M").dt.start_time)
    assert str(resolve_period(monthly, None, None).end) == "2025-12"   # police.uk: the last month is whole
    with pytest.raises(Exception, match="both --start and --end"):
        resolve_period(one_year, "2025-01", None)


def test_police_uk_records_are_labelled_as_the_proxy(tmp_path):
    """police.uk rows of 'Violence and sexual offences' (here: the Met burglary sample relabelled)."""
    import shutil
    from pathlib import Path

    from vawgstats import tables
    from vawgstats.sources import import_source

    sample = Path(__file__).parent / "data" / "real" / "police_uk" / "metropolitan_burglary_only"
    source = tmp_path / "policeuk"
    shutil.copytree(sample, source)
    for street in source.rglob("*-street.csv"):
        text = street.read_text(encoding="utf-8")
        street.write_text(text.replace(",Burglary,", ",Violence and sexual offences,"), encoding="utf-8")
    import_source("policeuk", [source], tmp_path / "records.parquet")
    prepared = prepare(tmp_path / "records.parquet", build_root=tmp_path / "build")
    assert prepared.manifest["policeuk_proxy"]
    # two months of files give a two-month period that says so, as at the last day of the last month
    assert (prepared.manifest["start"], prepared.manifest["end"]) == ("2023-11", "2023-12")
    assert prepared.manifest["period_text"] == "2 months (the data cover November to December 2023)"
    assert prepared.manifest["as_of"] == "2023-12-31"
    header = tables.header(prepared.manifest, title="t", areas="a", edition="public")
    assert tables.POLICEUK_NOTE in header
    assert "Period: 2 months (the data cover November to December 2023)" in header and "2023-12-31" in header
    assert "no victim or suspect identifiers" in tables.repeat_note(prepared.table("repeat"), prepared.manifest, "NA")


def test_borough_rows_in_every_table_add_up_to_their_bcu(one_year):
    from vawgstats.geography import BCU_BY_CODE, BOROUGHS
    from vawgstats.prepare import monthly_table, offence_outcomes_table, top_places

    period = as_period("2025-07", "2025-12")
    monthly = monthly_table(one_year, period)
    outcomes = offence_outcomes_table(one_year, period)
    for table in (monthly, outcomes):
        assert sorted(table.loc[table["unit_type"] == "borough", "unit"].unique()) == sorted(BOROUGHS)
    parts = BCU_BY_CODE["NA"].boroughs
    na = monthly[monthly["unit"] == "NA"].set_index("month")[["crimes", "charged"]]
    summed = monthly[monthly["unit"].isin(parts)].groupby("month")[["crimes", "charged"]].sum()
    assert (na == summed.reindex(na.index)).all().all()
    rape = outcomes[(outcomes["offence_type"] == "Rape") & (outcomes["measure"] == "charge_rate")].set_index("unit")
    assert rape.loc["NA", "denominator"] == rape.loc[list(parts), "denominator"].sum()

    places = top_places(one_year, start="2025-07", end="2025-12", top=5)
    enfield = places[(places["unit_type"] == "borough") & (places["unit"] == "Enfield")].sort_values("rank")
    assert len(enfield) == 5 and set(enfield["borough"]) == {"Enfield"}
    assert list(enfield["crimes"]) == sorted(enfield["crimes"], reverse=True)
    # the share is of the borough's located in-scope crimes
    located = one_year[metrics_scope(one_year) & (one_year["borough"] == "Enfield") & one_year["lsoa_code"].notna()
                       & period.contains(one_year["recorded_date"])]
    assert enfield["share"].iloc[0] == pytest.approx(enfield["crimes"].iloc[0] / len(located))
    na_places = places[(places["unit_type"] == "bcu") & (places["unit"] == "NA")]
    assert len(na_places) == 5 and set(na_places["borough"]) <= set(parts)


def metrics_scope(df):
    from vawgstats.definitions import in_vawg_scope

    return in_vawg_scope(df)


def test_records_whose_lsoa_lies_in_another_borough_are_counted_not_rejected(make_records):
    from vawgstats import tables
    from vawgstats.prepare import data_quality

    records = make_records([
        {"borough": "Sutton", "lsoa_code": "E01000001", "recorded_date": "2025-02-01"},   # City of London
        {"borough": "Sutton", "lsoa_code": "E01000006", "recorded_date": "2025-02-02"},   # Barking and Dagenham
        {"borough": "Barking and Dagenham", "lsoa_code": "E01000006", "recorded_date": "2025-02-03"},
        {"borough": "Sutton", "lsoa_code": "", "recorded_date": "2025-02-04"},            # missing, not misplaced
    ])
    assert len(records) == 4
    quality = data_quality(records, start="2025-01", end="2025-12").set_index("unit")
    assert quality.loc["Sutton", "lsoa_other_borough"] == 2
    assert quality.loc["Barking and Dagenham", "lsoa_other_borough"] == 0
    assert quality.loc["London", "lsoa_other_borough"] == 2
    shown = tables.quality(quality.reset_index(), ["Sutton"], "restricted")
    assert shown[tables.QUALITY_LSOA_OTHER_BOROUGH].tolist() == ["2"]


def test_validated_records_are_kept_and_reused_for_another_period(one_year, tmp_path, monkeypatch):
    from vawgstats import schema

    data = tmp_path / "records.csv"
    write_records(one_year, data)
    build = tmp_path / "build"
    first = prepare(data, start="2025-07", end="2025-12", build_root=build, as_of="2026-01-15")
    copies = list((build / "records").glob("*.parquet"))
    assert len(copies) == 1 and not list((build / "records").glob("*.part"))
    pd.testing.assert_frame_equal(pd.read_parquet(copies[0]), schema.load(data, as_of="2026-01-15"))

    # another period: the copy is read, the CSV is not parsed again, and the tables are the same
    def no_parsing(*args, **kwargs):
        raise AssertionError("the records were parsed again")

    monkeypatch.setattr(schema, "load", no_parsing)
    again = prepare(data, start="2025-10", end="2025-12", build_root=build, as_of="2026-01-15")
    fresh_build = tmp_path / "fresh"
    monkeypatch.undo()
    fresh = prepare(data, start="2025-10", end="2025-12", build_root=fresh_build, as_of="2026-01-15")
    for name in ("headline", "monthly", "quality", "places"):
        pd.testing.assert_frame_equal(again.table(name), fresh.table(name))
    assert first.key != again.key

    # other data (or another as-of date) never get that copy
    write_records(one_year.iloc[:-5], data)
    other = prepare(data, start="2025-10", end="2025-12", build_root=build, as_of="2026-01-15")
    assert other.manifest["rows"] == len(one_year) - 5
    assert len(list((build / "records").glob("*.parquet"))) == 2


def test_records_older_than_any_table_reads_change_no_table():
    """prepare leaves out records older than earliest_needed: the tables are the same with them."""
    from vawgstats.prepare import (earliest_needed, funnel_table, headline_table, monthly_table,
                                   offence_outcomes_table, repeat_table, top_places)

    synthetic_small = parse_records(synthetic.generate(seed=5, start="2021-04", end="2026-03", scale=0.01),
                                    "synthetic", as_of="2026-04-14")
    period = as_period("2025-10", "2026-03")
    cut = earliest_needed(period, 365)
    assert cut < pd.Timestamp("2024-10-01") - pd.Timedelta(days=365)
    recent = synthetic_small[synthetic_small["recorded_date"] >= cut]
    assert 0 < len(recent) < len(synthetic_small)
    first = synthetic_small["recorded_date"].min()
    for make in (lambda df: headline_table(df, period, 365, first_recorded=first, as_of="2026-04-14"),
                 lambda df: monthly_table(df, period, first_recorded=first, as_of="2026-04-14"),
                 lambda df: funnel_table(df, period, 365), lambda df: offence_outcomes_table(df, period),
                 lambda df: repeat_table(df, period, 365),
                 lambda df: top_places(df, start="2025-10", end="2026-03")):
        pd.testing.assert_frame_equal(make(recent.reset_index(drop=True)), make(synthetic_small))



def test_a_file_read_ahead_hands_its_error_to_the_caller(tmp_path):
    """prepare reads a new file in a thread while it hashes it; an error met there is raised in the
    caller, naming the file (as if read in the caller), and nothing is prepared."""
    from vawgstats.errors import DataError
    from vawgstats.prepare import _ReadAhead

    missing = tmp_path / "missing.csv"
    with pytest.raises(DataError, match="missing.csv: no such file"):
        _ReadAhead(missing).result()
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("crime_id,recorded_date\n1,2025-01-01\n2,2025-01-02,surplus\n")
    with pytest.raises(DataError, match=r"ragged.csv: 1 row\(s\) .* line 3 has 3 fields"):
        prepare(ragged, build_root=tmp_path / "build")
    assert not list((tmp_path / "build").glob("prepared/*/manifest.json"))
