"""Coverage: months the data cover, gap months, periods within the data, empty scope."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from vawgstats import coverage, synthetic
from vawgstats.cli import main
from vawgstats.errors import ParamsError
from vawgstats.periods import as_period
from vawgstats.schema import parse_records, write_records

from .conftest import AS_OF


@pytest.fixture(scope="module")
def with_gap() -> pd.DataFrame:
    """Synthetic London, January 2024 to June 2025, with November 2024's records removed."""
    raw = synthetic.generate(seed=11, start="2024-01", end="2025-06", scale=0.15)
    raw = raw[~raw["recorded_date"].astype(str).str.startswith("2024-11")]
    return parse_records(raw, "gap.parquet", "parquet", as_of=AS_OF)


@pytest.fixture(scope="module")
def gap_file(tmp_path_factory, with_gap) -> "Path":
    path = tmp_path_factory.mktemp("gap") / "gap.parquet"
    write_records(with_gap.drop(columns=["bcu"]), path)
    return path


def test_neighbour_median_uses_three_either_side_fewer_at_the_edges():
    values = [10, 20, 30, 40, 50, 60, 70, 80]
    median = coverage.neighbour_median(values)
    assert median[0] == np.median([20, 30, 40])                 # first month: the three after it
    assert median[1] == np.median([10, 30, 40, 50])             # one before, three after
    assert median[4] == np.median([20, 30, 40, 60, 70, 80])     # three either side, not itself
    assert median[7] == np.median([50, 60, 70])                 # last month: the three before it
    assert np.isnan(coverage.neighbour_median([5])[0])


def test_find_gaps_by_share_of_the_neighbours_median():
    values = [100, 100, 100, 49, 100, 100, 100]
    assert coverage.find_gaps(values).tolist() == [False, False, False, True, False, False, False]
    assert not coverage.find_gaps([100, 100, 100, 51, 100, 100, 100]).any()
    assert coverage.find_gaps([100, 100, 100, 51, 100, 100, 100], share=0.6)[3]
    assert coverage.find_gaps([100, 100, 100, 0, 100, 100, 100])[3]
    # too few records to tell a missing month from chance: never a gap
    assert not coverage.find_gaps([3, 0, 2, 4, 0, 1]).any()
    assert not coverage.find_gaps([40, 40, 40, 15, 40, 40, 40]).any()


def test_removed_month_is_the_only_gap_for_london_and_every_bcu(with_gap):
    table = coverage.coverage_table(with_gap)
    entry = coverage.manifest_entry(table)
    assert (entry["first_month"], entry["last_month"], entry["last_complete_month"]) == (
        "2024-01", "2025-06", "2025-06")
    assert {g["month"] for g in entry["gaps"]} == {"2024-11"}
    assert {g["unit"] for g in entry["gaps"]} == {"London", *synthetic_bcus(with_gap)}
    london = table[(table["unit_type"] == "london")].set_index("month")["records"]
    assert london["2024-11"] == 0 and london.sum() == len(with_gap)
    assert coverage.gap_months(entry, as_period("2024-07", "2025-06"), "NA") == ["2024-11"]
    assert coverage.gap_months(entry, as_period("2024-12", "2025-06"), "NA") == []


def synthetic_bcus(df):
    return set(df["bcu"].astype(str).unique())


def test_partial_last_month_is_not_a_gap_and_not_in_the_default_period(with_gap):
    cut = with_gap[with_gap["recorded_date"] < "2025-06-10"]
    entry = coverage.manifest_entry(coverage.coverage_table(cut))
    assert entry["partial_months"] == ["2025-06"] and entry["last_complete_month"] == "2025-05"
    assert "2025-06" not in {g["month"] for g in entry["gaps"]}
    assert str(coverage.period_within(entry, None, 12)) == "2024-06..2025-05"


def test_period_within_the_data(with_gap):
    entry = coverage.manifest_entry(coverage.coverage_table(with_gap))
    assert str(coverage.period_within(entry, None, 12)) == "2024-07..2025-06"
    short = coverage.period_within(entry, None, 24)
    assert str(short) == "2024-01..2025-06"
    assert coverage.period_text(short, 24, entry) == "18 months (the data cover January 2024 to June 2025)"
    assert coverage.period_text(as_period("2024-07", "2025-06"), 12, entry) == "July 2024 to June 2025"
    with pytest.raises(ParamsError, match="January 2024 .first. to June 2025"):
        coverage.period_within(entry, as_period("2023-07", "2024-06"), 12, "gap.parquet")
    with pytest.raises(ParamsError, match="outside gap.parquet"):
        coverage.period_within(entry, as_period("2025-01", "2025-12"), 12, "gap.parquet")


def test_period_text_within_one_year():
    entry = {"first_month": "2024-07", "last_complete_month": "2024-12", "gaps": [], "gap_share": 0.5}
    period = coverage.period_within(entry, None, 12)
    assert coverage.period_text(period, 12, entry) == "6 months (the data cover July to December 2024)"


def test_banner_and_warnings_name_the_gap(with_gap):
    entry = coverage.manifest_entry(coverage.coverage_table(with_gap))
    text = coverage.banner(entry, as_period("2024-07", "2025-06"), "NA", edition="restricted")
    assert "November 2024: 0 records" in text
    assert "November 2024: <10 records" in coverage.banner(entry, as_period("2024-07", "2025-06"), "NA") and "This month is missing from the extract" in text
    assert coverage.banner(entry, as_period("2024-12", "2025-06"), "NA") is None
    lines = coverage.gap_warnings(entry)
    assert len(lines) == 1 and lines[0].startswith("London: November 2024 has 0 records")


def test_counts_coverage_marks_an_unpublished_month(with_gap):
    from vawgstats import open_data

    counts = open_data.counts_from_records(with_gap)
    entry = coverage.manifest_entry(coverage.counts_coverage_table(counts))
    assert [g["month"] for g in entry["gaps"] if g["unit"] == "London"] == ["2024-11"]


def test_scope_error_names_what_the_data_hold(make_records):
    df = make_records([{"offence_group": "other", "victim_sex": "M"},
                       {"offence_group": "violence_with_injury", "victim_sex": "F"}])
    message = coverage.scope_error(df, as_period("2024-01", "2024-01"), "x.csv")
    assert "x.csv: no crime recorded in January 2024 to January 2024 is in VAWG scope" in message
    assert "other (1)" in message and "violence_with_injury (1)" in message
    assert "victim is female" in message
    assert coverage.scope_error(make_records([{}]), as_period("2024-01", "2024-01"), "x.csv") is None


# --------------------------------------------------------------------------- the command line


def test_validate_warns_of_a_gap_and_strict_exits_2(gap_file):
    result = CliRunner().invoke(main, ["validate", str(gap_file), "--as-of", AS_OF])
    assert result.exit_code == 0, result.output
    assert "warning" in result.output and "November 2024 has 0 records" in result.output
    assert "valid with warnings" in result.output
    strict = CliRunner().invoke(main, ["validate", str(gap_file), "--as-of", AS_OF, "--strict"])
    assert strict.exit_code == 2
    assert "November 2024" in strict.output and "Traceback" not in strict.output


def test_validate_strict_passes_data_without_gaps(synthetic_csv):
    result = CliRunner().invoke(main, ["validate", str(synthetic_csv), "--as-of", AS_OF, "--strict"])
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output


def test_render_period_outside_the_data_exits_2_naming_its_months(gap_file, tmp_path):
    result = CliRunner().invoke(main, ["render", "--bcu", "NA", "--data", str(gap_file), "--start", "2023-07",
                                       "--end", "2024-06", "--out", str(tmp_path / "out"),
                                       "--build", str(tmp_path / "build"), "--quiet", "-j", "1"])
    assert result.exit_code == 2, result.output
    assert "January 2024" in result.output and "June 2025" in result.output
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_render_with_nothing_in_scope_exits_2_naming_the_crime_types(tmp_path):
    from pathlib import Path

    from vawgstats.sources import import_source

    sample = Path(__file__).parent / "data" / "real" / "police_uk" / "metropolitan_burglary_only"
    import_source("policeuk", [sample], tmp_path / "burglary.parquet")
    result = CliRunner().invoke(main, ["render", "--all", "--data", str(tmp_path / "burglary.parquet"),
                                       "--out", str(tmp_path / "out"), "--build", str(tmp_path / "build"),
                                       "--quiet", "-j", "1"])
    assert result.exit_code == 2, result.output
    assert "no crime recorded" in result.output and "Burglary" in result.output
    assert "Violence and sexual offences" in result.output and "Traceback" not in result.output


# --------------------------------------------------------------------------- in the prepared tables and reports


@pytest.fixture(scope="module")
def prepared_gap(gap_file, tmp_path_factory):
    from vawgstats.prepare import prepare

    return prepare(gap_file, build_root=tmp_path_factory.mktemp("build"))


def test_prepared_tables_mark_the_gap(prepared_gap):
    manifest = prepared_gap.manifest
    assert (manifest["start"], manifest["end"]) == ("2024-07", "2025-06")
    assert [g["month"] for g in manifest["coverage"]["gaps"] if g["unit"] == "London"] == ["2024-11"]
    monthly = prepared_gap.table("monthly")
    na = monthly[monthly["unit"] == "NA"].set_index("month")
    assert np.isnan(na.loc["2024-11", "crimes"]) and na.drop(index="2024-11")["crimes"].notna().all()
    headline = prepared_gap.table("headline")
    mine = headline[headline["unit"] == "NA"]
    assert (mine["gap_months"] == "2024-11").all()
    assert (mine["previous_flag"] == "not comparable").all() and (mine["year_flag"] == "not comparable").all()
    quality = prepared_gap.table("quality").set_index("unit")
    assert quality.loc["NA", "gap_months"] == "2024-11:0"


def test_reports_say_so_and_no_signal_falls_on_the_gap(prepared_gap):
    from vawgstats import charts, tables

    manifest = prepared_gap.manifest
    text = tables.header(manifest, title="t", areas="a", edition="public", unit="NA")
    assert "Gap in the data" in text and "November 2024: <10 records" in text
    shown = tables.headline(prepared_gap.table("headline"), "NA", "public")
    assert shown["Value"].str.contains("incomplete: gap in the data, Nov 2024").all()
    changes = [c for c in shown.columns if c.startswith("Change")]
    assert changes
    for column in changes:
        assert shown[column].str.contains("not comparable|see crimes recorded|–").all(), shown[column].tolist()
    assert shown["Counts"].str.contains("ONS mid-2019 population").any()
    quality = tables.quality(prepared_gap.table("quality"), ["NA"], "public")
    assert quality["Gap months in the period (records)"].iloc[0] == "Nov 2024 (<10)"
    monthly = prepared_gap.table("monthly")
    mine = monthly[monthly["unit"] == "NA"].sort_values("month")
    figure, signals = charts.xmr_chart(mine["month"].tolist(), mine["crimes"].tolist(), title="t", ylabel="y")
    gap = mine["month"].tolist().index("2024-11")
    assert not signals["signal"].iloc[gap] and np.isnan(signals["value"].iloc[gap])
    alt = tables.xmr_alt_text(mine, signals, "crimes", "NA", percent=False)
    assert "lowest 0 " not in alt
    assert "Nov 2024" not in tables.signals_sentence(mine, signals, "crimes recorded", percent=False)


def test_alt_text_says_one_month_not_one_months():
    from vawgstats import stats, tables

    values = [10.0, 11, 10, 12, 11, 10, 11, 10, 60, 11, 10, 12]
    series = pd.DataFrame({"month": [str(m) for m in pd.period_range("2024-01", periods=12, freq="M")],
                           "crimes": values})
    signals = stats.spc_signals(values)
    signals["signal"] = [False] * 8 + [True] + [False] * 3   # exactly one month flagged
    text = tables.xmr_alt_text(series, signals, "crimes", "NA", percent=False)
    assert "1 month flagged" in text and "1 months" not in text


def test_counts_with_an_unpublished_month_are_marked(with_gap, tmp_path):
    from vawgstats import open_data
    from vawgstats.prepare import prepare

    path = tmp_path / "counts.parquet"
    open_data.write_synthetic_counts(with_gap, path)
    prepared = prepare(path, build_root=tmp_path / "build")
    headline = prepared.table("headline")
    assert (headline.loc[headline["unit"] == "London", "gap_months"] == "2024-11").all()
    assert (headline["previous_flag"] == "not comparable").all()
    monthly = prepared.table("monthly")
    assert monthly.loc[monthly["month"] == "2024-11", "offences"].isna().all()


def test_a_bcu_with_nothing_in_scope_gets_a_short_report_that_says_so(tmp_path):
    """NA's crimes all out of scope (male victims, not domestic): its report says so, no suppressed zeros."""
    raw = synthetic.generate(seed=5, start="2024-01", end="2024-06", scale=0.01)
    na = raw["borough"].isin(["Enfield", "Haringey"])
    raw.loc[na, "victim_sex"] = "M"
    raw.loc[na, "domestic_abuse"] = False
    path = tmp_path / "na-empty.parquet"
    write_records(raw, path)
    from vawgstats.prepare import prepare

    prepared = prepare(path, build_root=tmp_path / "build")
    assert {"NA", "Enfield", "Haringey"} <= set(prepared.manifest["empty_units"])
    assert "EA" not in prepared.manifest["empty_units"]
    result = CliRunner().invoke(main, ["render", "--bcu", "NA", "--data", str(path), "--out", str(tmp_path / "out"),
                                       "--build", str(tmp_path / "build"), "--quiet", "-j", "1",
                                       "--format", "html"])
    assert result.exit_code == 0, result.output
    html = (tmp_path / "out" / "bcu-NA.html").read_text(encoding="utf-8")
    assert "No crime recorded in North Area" in html and "is in VAWG scope" in html
    assert "Headline figures" not in html and "Repeat victimisation" not in html
