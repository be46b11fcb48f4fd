"""Returns aggregated to a report period: flows, stocks, percents, derived figures, targets."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from vawgstats import commitments
from vawgstats.periods import as_period
from vawgstats.returns import parse_returns


def returns(rows):
    raw = pd.DataFrame(rows, columns=["start", "end", "bcu", "measure", "value"]).astype(str)
    raw["end"] = raw["end"].replace("None", "")
    return parse_returns(raw, "test")


def figure(table, unit, measure):
    row = table[(table["unit"] == unit) & (table["measure"] == measure)]
    return None if row.empty else row.iloc[0]


def test_flows_sum_only_rows_wholly_inside_the_period():
    table = returns([
        ("2024-01", None, "NA", "walk_and_talk", 5), ("2024-02", None, "NA", "walk_and_talk", 7),
        ("2024-03", None, "NA", "walk_and_talk", 6),
        ("2023-10", "2024-03", "NA", "vigilant_operations", 4),  # six-monthly: inside a 12-month period only
        ("2024-03", "2024-04", "NA", "verona_patrols", 9),       # straddles the period's end
    ])
    quarter = commitments.aggregate(table, "2024-01", "2024-03")
    assert figure(quarter, "NA", "walk_and_talk")["value"] == 18
    assert figure(quarter, "NA", "walk_and_talk")["months_covered"] == 3
    assert figure(quarter, "NA", "vigilant_operations") is None
    assert figure(quarter, "NA", "verona_patrols") is None
    year = commitments.aggregate(table, "2023-04", "2024-03")
    assert figure(year, "NA", "vigilant_operations")["value"] == 4
    assert figure(year, "NA", "vigilant_operations")["months_covered"] == 6
    assert figure(year, "NA", "walk_and_talk")["months_covered"] == 3


def test_stocks_take_the_latest_end_within_the_period():
    table = returns([("2024-01", None, "NA", "wanted_da_suspects", 230), ("2024-03", None, "NA", "wanted_da_suspects", 210),
                     ("2024-05", None, "NA", "wanted_da_suspects", 150)])
    assert figure(commitments.aggregate(table, "2024-01", "2024-04"), "NA", "wanted_da_suspects")["value"] == 210
    assert figure(commitments.aggregate(table, "2024-01", "2024-01"), "NA", "wanted_da_suspects")["value"] == 230
    assert figure(commitments.aggregate(table, "2024-06", "2024-12"), "NA", "wanted_da_suspects") is None


def test_percents_weighted_by_respondents_when_given():
    weighted = returns([("2024-01", "2024-03", "EA", "trust_percent", 60), ("2024-01", "2024-03", "EA", "trust_percent_respondents", 100),
                        ("2024-04", "2024-06", "EA", "trust_percent", 80), ("2024-04", "2024-06", "EA", "trust_percent_respondents", 300)])
    row = figure(commitments.aggregate(weighted, "2024-01", "2024-06"), "EA", "trust_percent")
    assert row["value"] == pytest.approx(75.0) and row["respondents"] == 400
    plain = returns([("2024-01", None, "EA", "trust_percent", 60), ("2024-02", None, "EA", "trust_percent", 70)])
    row = figure(commitments.aggregate(plain, "2024-01", "2024-06"), "EA", "trust_percent")
    assert row["value"] == pytest.approx(65.0) and math.isnan(row["respondents"])


def test_derived_shares_and_sums():
    table = returns([
        ("2021-10", "2022-03", "MPS", "police_perpetrated_conduct_individuals", 217),
        ("2021-10", "2022-03", "MPS", "police_perpetrated_complaint_individuals", 31),
        ("2022-03", None, "MPS", "workforce_headcount", 49600),
        ("2023-10", None, "EA", "workforce_headcount", 1600), ("2023-10", None, "EA", "workforce_female", 560),
    ])
    figures = commitments.period_figures(table, as_period("2021-04", "2022-03"))
    assert figure(figures, "MPS", "police_perpetrated_individuals")["value"] == 248
    assert figure(figures, "MPS", "police_perpetrated_share_percent")["value"] == pytest.approx(0.5)
    ea = commitments.period_figures(table, as_period("2023-01", "2023-12"))
    assert figure(ea, "EA", "workforce_female_percent")["value"] == pytest.approx(35.0)
    assert figure(ea, "MPS", "police_perpetrated_share_percent") is None


def test_previous_period_and_change():
    table = returns([("2023-01", "2023-06", "NA", "walk_and_talk", 30), ("2023-07", "2023-12", "NA", "walk_and_talk", 40)])
    row = figure(commitments.period_figures(table, as_period("2023-07", "2023-12")), "NA", "walk_and_talk")
    assert (row["value"], row["previous_value"], row["change"]) == (40, 30, 10)


def test_targets_prorated_and_judged_fairly():
    spec = {"per_month": 6, "direction": "increase"}
    assert commitments.prorated_target(spec, 12) == 72 and commitments.prorated_target(spec, 6) == 36
    assert commitments.prorated_target({"per_year": 100}, 6) == 50
    assert commitments.prorated_target({"value": 40}, 6) == 40
    assert commitments.prorated_target({"direction": "increase"}, 6) is None
    assert "72 in 12 months" in commitments.target_text(spec, "walk_and_talk", 12)
    full = {"value": 75.0, "months_covered": 12, "kind": "flow"}
    assert commitments.target_check(spec, full, "walk_and_talk", 12) == "yes"
    assert commitments.target_check(spec, {**full, "value": 71}, "walk_and_talk", 12) == "no"
    assert commitments.target_check(spec, {**full, "months_covered": 9}, "walk_and_talk", 12).startswith("not judged")
    assert commitments.target_check(spec, None, "walk_and_talk", 12) == commitments.NO_RETURN
    down = {"direction": "decrease"}
    assert commitments.target_check(down, {"value": 5, "previous_value": 8}, "vawg_dismissals", 12) == "yes"
    assert commitments.target_check(down, {"value": 9, "previous_value": 8}, "vawg_dismissals", 12) == "no"
    assert commitments.target_check(down, {"value": 9, "previous_value": float("nan")}, "vawg_dismissals", 12) \
        == "no previous figure"


def test_force_periods_from_the_npcc_statement():
    table = returns([
        ("2021-10", "2022-03", "MPS", "police_perpetrated_allegations", 287),
        ("2021-10", "2022-03", "MPS", "police_perpetrated_conduct_cases", 213),
        ("2021-10", "2022-03", "MPS", "police_perpetrated_complaint_cases", 28),
        ("2021-10", "2022-03", "MPS", "police_perpetrated_conduct_individuals", 217),
        ("2021-10", "2022-03", "MPS", "police_perpetrated_complaint_individuals", 31),
    ])
    periods = commitments.force_periods(table)
    assert len(periods) == 1
    row = periods.iloc[0]
    assert (row["cases"], row["individuals"], row["police_perpetrated_allegations"]) == (241, 248, 287)
    assert math.isnan(row["share_percent"])


def test_targets_for_merges_defaults_and_bcu(tmp_path):
    from types import SimpleNamespace

    defaults = SimpleNamespace(targets={"walk_and_talk": {"per_month": 6, "direction": "increase"}})
    bcu = SimpleNamespace(targets={"walk_and_talk": {"per_month": 8, "direction": "increase"},
                                   "charge_rate": {"value": None, "direction": "increase"}})
    merged = commitments.targets_for(bcu, defaults)
    assert merged == {"walk_and_talk": {"per_month": 8, "direction": "increase"}}
    assert commitments.targets_for(SimpleNamespace(targets={}), defaults)["walk_and_talk"]["per_month"] == 6


def test_no_returns_gives_empty_tables(synthetic_small):
    tables, info = commitments.prepared_tables(synthetic_small.iloc[:0], as_period("2025-04", "2026-03"), None,
                                               synthetic_crimes=False)
    assert info["status"] == "none" and tables["commitment_figures"].empty and tables["police_perpetrated"].empty


def test_age_split_outcomes(synthetic_small):
    from vawgstats.definitions import in_vawg_scope

    scoped = synthetic_small[in_vawg_scope(synthetic_small)]
    table = commitments.age_outcomes_table(scoped, as_period("2025-04", "2026-03"))
    assert set(table["age_band"]) == {"under 18", "18 and over"}
    crimes = table[(table["measure"] == "charge_rate") & (table["unit"] == "London")]
    age = scoped["victim_age"].astype("Float64")
    in_period = as_period("2025-04", "2026-03").contains(scoped["recorded_date"])
    for band, mask in (("under 18", age < 18), ("18 and over", age >= 18)):
        expected = int((mask.fillna(False) & in_period & scoped["domestic_abuse"]).sum())
        got = crimes[(crimes["age_band"] == band) & (crimes["offence_type"] == "Domestic abuse")]["denominator"]
        assert int(got.iloc[0]) == expected
