"""Tests of vawgstats.open_data: the open-data tables from published counts.

Expected figures are computed here directly from the counts (plain pandas sums),
or from the records' own metrics, never typed in.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from vawgstats import metrics, open_data, stats, synthetic, tables
from vawgstats.counts import load_counts
from vawgstats.errors import DataError
from vawgstats.geography import BCU_CODES, BOROUGHS, female_population
from vawgstats.periods import as_period
from vawgstats.schema import parse_records

REAL_COUNTS = Path(__file__).parent / "data" / "real" / "mps_vawg_counts_2021-07_to_2022-12.csv.gz"
PERIOD = as_period("2022-07", "2022-12")  # previous (2022-01..06) and year earlier (2021-07..12) are in the file


@pytest.fixture(scope="module")
def counts():
    return load_counts(REAL_COUNTS)


@pytest.fixture(scope="module")
def headline(counts):
    return open_data.headline_table(counts, PERIOD)


def _raw_sum(counts, source, months, **where):
    rows = counts[(counts["source"] == source) & counts["month"].isin([str(m) for m in months])]
    for column, value in where.items():
        rows = rows[rows[column] == value]
    return int(rows["count"].sum())


def _months(period):
    return list(pd.period_range(period.start, period.end, freq="M"))


def test_headline_counts_equal_the_published_sums(counts, headline):
    for measure, source in open_data.LOCATION_SOURCES.items():
        rows = headline[headline["metric"] == measure].set_index("unit")
        for code in BCU_CODES:
            assert rows.loc[code, "numerator"] == _raw_sum(counts, source, _months(PERIOD), bcu=code)
            assert rows.loc[code, "previous_numerator"] == _raw_sum(counts, source, _months(PERIOD.previous()),
                                                                    bcu=code)
            assert rows.loc[code, "year_numerator"] == _raw_sum(counts, source, _months(PERIOD.year_earlier()),
                                                                bcu=code)
        # London includes the rows outside the 12 BCUs ("Other"), as the dashboard's London total does
        assert rows.loc["London", "numerator"] == _raw_sum(counts, source, _months(PERIOD))
        outside = _raw_sum(counts, source, _months(PERIOD), bcu="Other")
        assert outside > 0
        assert rows.loc["London", "numerator"] == rows.loc[list(BCU_CODES), "numerator"].sum() + outside
        assert rows.loc[list(BOROUGHS), "numerator"].sum() == rows.loc[list(BCU_CODES), "numerator"].sum()


def test_rates_intervals_and_flags_use_the_statistics_module(headline):
    row = headline[(headline["unit"] == "NA") & (headline["metric"] == "offences")].iloc[0]
    population = float(female_population("bcu")["NA"])
    assert row["denominator"] == population
    assert row["value"] == pytest.approx(row["numerator"] * 1000 / population)
    assert row["per_year_per_1000"] == pytest.approx(row["value"] * 12 / PERIOD.months)
    low, high = stats.poisson_rate_interval(int(row["numerator"]), population)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low * 1000, high * 1000))
    test = stats.compare_counts(int(row["numerator"]), int(row["year_numerator"]))
    assert row["year_flag"] == test["flag"] and row["year_p"] == pytest.approx(test["p_value"])


def test_comparison_outside_the_data_is_not_comparable(counts):
    table = open_data.headline_table(counts, as_period("2022-01", "2022-12"))  # data start 2021-07
    assert set(table["previous_flag"]) == {stats.FLAG_NOT_COMPARABLE}
    assert table["previous_numerator"].isna().all()
    wards = open_data.ward_hotspots(counts, as_period("2022-01", "2022-12"))
    assert wards["change"].isna().all() and wards["rank_by_change"].isna().all()


def test_records_and_their_counts_give_the_same_volumes():
    records = parse_records(synthetic.generate(seed=5, start="2024-01", end="2025-12", scale=0.02), "synthetic")
    counts = open_data.counts_from_records(records)
    period = as_period("2025-01", "2025-12")
    table = open_data.headline_table(counts, period)
    by_bcu = metrics.per_population(records, start="2025-01", end="2025-12", by=("bcu",)).set_index("bcu")
    offences = table[(table["metric"] == "offences") & (table["unit_type"] == "bcu")].set_index("unit")
    for code in BCU_CODES:
        assert offences.loc[code, "numerator"] == by_bcu.loc[code, "crimes"]
        assert offences.loc[code, "value"] == pytest.approx(by_bcu.loc[code, "rate_per_1000"])
    change = metrics.compare_periods(records, start="2025-01", end="2025-12", by=("bcu",), metric="volume",
                                     against="previous").set_index("bcu")
    assert list(offences["previous_flag"]) == [change.loc[c, "flag"] for c in offences.index]


def test_funnel_pools_london_over_the_bcus(headline):
    funnel = open_data.funnel_table(headline)
    rows = funnel[(funnel["metric"] == "offences") & (funnel["unit_type"] == "bcu")]
    bcus = headline[(headline["unit_type"] == "bcu") & (headline["metric"] == "offences")]
    assert len(rows) == 12
    assert rows["london_rate"].iloc[0] == pytest.approx(bcus["numerator"].sum() / bcus["denominator"].sum())
    # the 32 boroughs: their own funnel around the same London rate
    boroughs = funnel[(funnel["metric"] == "offences") & (funnel["unit_type"] == "borough")]
    assert sorted(boroughs["unit"]) == sorted(BOROUGHS)
    assert boroughs["london_rate"].iloc[0] == pytest.approx(rows["london_rate"].iloc[0])
    above = rows["rate"] > rows["upper_998"]
    assert (rows.loc[above, "position"] == "above 99.8% limit").all()
    inside = (rows["rate"] <= rows["upper_95"]) & (rows["rate"] >= rows["lower_95"])
    assert (rows.loc[inside, "position"] == "within limits").all()


def test_ward_hotspots_rank_by_count_and_by_rise(counts):
    wards = open_data.ward_hotspots(counts, PERIOD, top=5)
    location = counts[counts["source"] == "mps_vawg_offences_location"]
    for code in ("NA", "AW"):
        mine = wards[(wards["unit_type"] == "bcu") & (wards["unit"] == code)]
        by_count = mine.dropna(subset=["rank_by_count"]).sort_values("rank_by_count")
        assert len(by_count) == 5
        assert list(by_count["offences"]) == sorted(by_count["offences"], reverse=True)
        top = by_count.iloc[0]
        expected = _raw_sum(location, "mps_vawg_offences_location", _months(PERIOD), bcu=code,
                            ward=top["ward"], borough=top["borough"])
        assert top["offences"] == expected
        # no ward outside the top five by count has more offences than the fifth
        inside = location[(location["bcu"] == code) & location["month"].isin([str(m) for m in _months(PERIOD)])
                          & location["ward"].ne("")]
        totals = inside.groupby(["borough", "ward"])["count"].sum().sort_values(ascending=False)
        assert by_count["offences"].iloc[-1] == totals.iloc[4]
        by_rise = mine.dropna(subset=["rank_by_change"]).sort_values("rank_by_change")
        assert list(by_rise["change"]) == sorted(by_rise["change"], reverse=True)
        assert (by_rise["change"] == by_rise["offences"] - by_rise["previous"]).all()


def test_breakdowns_add_up(counts):
    for name, (source, _, _) in open_data.BREAKDOWNS.items():
        table = open_data.breakdown_table(counts, PERIOD, source)
        assert table["count"].sum() == _raw_sum(counts, source, _months(PERIOD))
        assert table["share"].sum() == pytest.approx(1.0)
        assert list(table["count"]) == sorted(table["count"], reverse=True)


def test_quality_counts_rows_outside_the_bcus(counts):
    quality = open_data.quality_table(counts, PERIOD).set_index("measure")
    for measure, source in open_data.LOCATION_SOURCES.items():
        assert quality.loc[measure, "london_total"] == _raw_sum(counts, source, _months(PERIOD))
        assert quality.loc[measure, "outside_bcus"] == _raw_sum(counts, source, _months(PERIOD), bcu="Other")
        assert quality.loc[measure, "months_with_data"] == PERIOD.months


def test_latest_period_is_the_last_twelve_published_months(counts):
    period = open_data.latest_period(counts)
    assert (str(period.start), str(period.end)) == ("2022-01", "2022-12")


def test_counts_without_vawg_locations_are_refused(counts, tmp_path):
    crime_only = counts[counts["source"] == "mps_vawg_offences_classification"]
    with pytest.raises(DataError, match="no VAWG offences by BCU and borough.*mps-vawg"):
        open_data.check_counts(crime_only, "crime.parquet")


def test_synthetic_mark_round_trips(tmp_path):
    records = parse_records(synthetic.generate(seed=3, start="2025-01", end="2025-06", scale=0.01), "synthetic")
    path = tmp_path / "counts.parquet"
    open_data.write_synthetic_counts(records, path)
    assert open_data.is_synthetic_counts(path)
    load_counts(path).to_parquet(tmp_path / "plain.parquet", index=False)
    assert not open_data.is_synthetic_counts(tmp_path / "plain.parquet")
    assert not open_data.is_synthetic_counts(REAL_COUNTS)


# ----------------------------------------------------------------------------- presentation


def _small_counts() -> pd.DataFrame:
    """Offences in two wards of one borough: one ward with fewer than 10 in the period."""
    rows = []
    for month in pd.period_range("2024-01", "2024-12", freq="M").astype(str):
        for ward, count in (("Busy Ward", 30), ("Quiet Ward", 1)):
            rows.append((month, "NA", "Enfield", ward, "offences", "all", count, "mps_vawg_offences_location"))
            rows.append((month, "NA", "Enfield", ward, "victims", "all", count, "mps_vawg_victims_location"))
    return pd.DataFrame(rows, columns=["month", "bcu", "borough", "ward", "measure", "category", "count", "source"])


def test_public_tables_suppress_small_counts():
    counts = _small_counts()
    period = as_period("2024-12", "2024-12")
    wards = open_data.ward_hotspots(counts, period)
    public = tables.ward_hotspots(wards, "NA", "public")
    restricted = tables.ward_hotspots(wards, "NA", "restricted")
    quiet_public = public[public["Ward"] == "Quiet Ward"].iloc[0]
    assert quiet_public["Offences"] == "<10" and quiet_public["Change"] == tables.RATE_NOT_SHOWN
    assert restricted[restricted["Ward"] == "Quiet Ward"].iloc[0]["Offences"] == "1"
    headline = open_data.headline_table(counts, period)
    text = tables.open_headline(headline, "NA", "public").to_string()
    assert "31" in tables.open_headline(headline, "NA", "restricted").to_string()
    assert "<10" not in text  # 31 offences in the month: shown
    boroughs = tables.open_boroughs(headline, ["Haringey"], "public").iloc[0]
    assert boroughs["Offences"] == "0" or boroughs["Offences"] == "<10"
    assert boroughs["Offences a year per 1,000"] == tables.RATE_NOT_SHOWN


def test_headline_presentation_matches_the_table(headline):
    shown = tables.open_headline(headline, "NA", "public").set_index("Measure")
    row = headline[(headline["unit"] == "NA") & (headline["metric"] == "offences")].iloc[0]
    offences = shown.loc[tables.OPEN_MEASURE_LABELS["offences"]]
    assert offences["Count"] == f"{int(row['numerator']):,}"
    assert offences["A year per 1,000 women and girls"] == f"{row['per_year_per_1000']:.1f}"
    assert offences[tables.change_heading(headline, "year")].startswith(row["year_flag"])
    low = row["ci_low"] * 12 / PERIOD.months
    assert offences["95% interval"].startswith(f"{low:.1f}")


def test_wards_section_says_why_when_there_are_no_wards():
    records = parse_records(synthetic.generate(seed=4, start="2025-01", end="2025-03", scale=0.01), "synthetic")
    counts = open_data.counts_from_records(records)
    period = as_period("2025-01", "2025-03")
    wards = open_data.ward_hotspots(counts, period)
    assert wards.empty
    assert "no ward breakdown" in tables.wards_section(wards, {"has_wards": False}, "NA", "public")
    assert np.isnan(open_data.headline_table(counts, period)["previous_p"]).all()


def test_ward_hotspots_per_borough_rank_the_boroughs_own_wards(counts):
    wards = open_data.ward_hotspots(counts, PERIOD, top=5)
    mine = wards[(wards["unit_type"] == "borough") & (wards["unit"] == "Enfield")]
    by_count = mine.dropna(subset=["rank_by_count"]).sort_values("rank_by_count")
    assert len(by_count) == 5 and set(by_count["borough"]) == {"Enfield"}
    assert list(by_count["offences"]) == sorted(by_count["offences"], reverse=True)
    # the borough's top ward is at least as busy as any Enfield ward in the BCU's list
    in_bcu = wards[(wards["unit_type"] == "bcu") & (wards["unit"] == "NA") & (wards["borough"] == "Enfield")]
    assert by_count["offences"].iloc[0] >= in_bcu["offences"].max()
    shown = tables.ward_hotspots(wards, "Enfield", "restricted")
    assert list(shown["Ward"]) == list(by_count["ward"])


def test_monthly_table_has_the_boroughs(counts):
    monthly = open_data.monthly_table(counts, PERIOD)
    boroughs = monthly[monthly["unit_type"] == "borough"]
    assert sorted(boroughs["unit"].unique()) == sorted(BOROUGHS)
    na = monthly[monthly["unit"] == "NA"].set_index("month")["offences"]
    parts = boroughs[boroughs["unit"].isin(["Enfield", "Haringey"])].groupby("month")["offences"].sum()
    assert (na == parts.reindex(na.index)).all()
