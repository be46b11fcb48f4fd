"""Tests of vawgstats.metrics on small hand-built records, worked out by hand.

The main data set, ``Q1`` below, covers January-March 2024 (the period) with
crimes out of scope, just outside the period, a victim whose earlier crime is
before the period in another BCU, a victim with two crimes on one day, missing
victim IDs, and BCUs with no crimes.  Every expected count is derived in the
comments next to the rows or the assertions.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from importlib import resources

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vawgstats import definitions as d
from vawgstats import metrics
from vawgstats.errors import ParamsError
from vawgstats.geography import BCU_CODES, BOROUGH_TO_BCU, BOROUGHS, ONS_CODES
from vawgstats.periods import as_period
from vawgstats.schema import BCU_DTYPE, BOROUGH_DTYPE, OFFENCE_GROUP_DTYPE, OUTCOME_DTYPE, SEX_DTYPE

PERIOD = {"start": "2024-01", "end": "2024-03"}

# Enfield and Haringey are BCU NA, Camden is CN, Westminster is AW.
Q1 = [
    # In scope, recorded in the period (12 crimes: NA 7, CN 5).
    {"borough": "Enfield", "recorded_date": "2024-01-10", "offence_group": "harassment", "victim_id": "V1",
     "suspect_id": "S1", "outcome_code": "1", "outcome_date": "2024-02-09"},                        # C1
    {"borough": "Enfield", "recorded_date": "2024-02-01", "offence_group": "rape", "victim_id": "V2",
     "suspect_id": "S1", "outcome_code": "1A", "outcome_date": "2024-03-12"},                       # C2
    {"borough": "Enfield", "recorded_date": "2024-03-31", "offence_group": "stalking", "victim_id": "V3",
     "suspect_id": "S4", "outcome_code": "3", "outcome_date": "2024-04-05"},                        # C3
    {"borough": "Haringey", "recorded_date": "2024-01-01", "offence_group": "violence_with_injury",
     "domestic_abuse": "true", "victim_id": "V4", "suspect_id": "S7", "outcome_code": "8",
     "outcome_date": "2024-01-20"},                                                                 # C4
    {"borough": "Haringey", "recorded_date": "2024-02-15", "offence_group": "coercive_control",
     "victim_id": "V5", "suspect_id": "S2", "outcome_code": "14", "outcome_date": "2024-03-01"},    # C5
    {"borough": "Haringey", "recorded_date": "2024-02-20", "victim_id": "V6", "suspect_id": "S5",
     "outcome_code": "15", "outcome_date": "2024-03-15"},                                           # C6
    {"borough": "Camden", "recorded_date": "2024-03-01", "offence_group": "other_sexual", "victim_id": "V7",
     "suspect_id": "S2", "outcome_code": "16", "outcome_date": "2024-03-20"},                       # C7
    {"borough": "Camden", "recorded_date": "2024-03-05", "outcome_code": "18",
     "outcome_date": "2024-03-06"},                                                                 # C8 no victim ID
    {"borough": "Camden", "recorded_date": "2024-03-10", "victim_id": "V8", "suspect_id": "S3"},    # C9 pending
    {"borough": "Camden", "recorded_date": "2024-01-20"},                                           # C10 no victim ID
    # Out of scope: a male victim; a woman victim of non-domestic violence.
    {"borough": "Enfield", "recorded_date": "2024-02-10", "victim_sex": "M", "victim_id": "V9",
     "suspect_id": "S5", "outcome_code": "1", "outcome_date": "2024-02-20"},                        # C11
    {"borough": "Enfield", "recorded_date": "2024-02-10", "offence_group": "violence_with_injury",
     "victim_id": "V10", "outcome_code": "1", "outcome_date": "2024-02-20"},                        # C12
    # Just outside the period: last day before (charged inside it) and first day after.
    {"borough": "Enfield", "recorded_date": "2023-12-31", "victim_id": "V11", "outcome_code": "1",
     "outcome_date": "2024-01-15"},                                                                 # C13
    {"borough": "Enfield", "recorded_date": "2024-04-01", "victim_id": "V12", "suspect_id": "S7",
     "outcome_code": "1", "outcome_date": "2024-04-10"},                                            # C14
    # V1's earlier crime: before the period, in another BCU (AW), 223 days before C1.
    {"borough": "Westminster", "recorded_date": "2023-06-01", "victim_id": "V1", "suspect_id": "S3",
     "outcome_code": "18", "outcome_date": "2023-07-01"},                                           # C15
    # V2 again on the same day as C2.
    {"borough": "Enfield", "recorded_date": "2024-02-01", "victim_id": "V2"},                       # C16
    # V3's earlier crime is out of scope (non-domestic violence), so it does not count.
    {"borough": "Enfield", "recorded_date": "2024-01-05", "offence_group": "violence_without_injury",
     "victim_id": "V3"},                                                                            # C17
    # V4's earlier crime is 366 days before C4 (outside the window); V5's exactly 365 (inside).
    {"borough": "Haringey", "recorded_date": "2022-12-31", "victim_id": "V4", "suspect_id": "S4",
     "outcome_code": "18", "outcome_date": "2023-01-10"},                                           # C18
    {"borough": "Haringey", "recorded_date": "2023-02-15", "victim_id": "V5", "outcome_code": "18",
     "outcome_date": "2023-03-01"},                                                                 # C19
    # V6 again 29 days after C6, in Camden (CN); V7 again after the period.
    {"borough": "Camden", "recorded_date": "2024-03-20", "offence_group": "stalking", "victim_id": "V6",
     "suspect_id": "S6"},                                                                           # C20
    {"borough": "Camden", "recorded_date": "2024-04-10", "victim_id": "V7", "suspect_id": "S6"},    # C21
]


@pytest.fixture(scope="module")
def q1():
    from .conftest import records

    return records(Q1)


def row(table: pd.DataFrame, **keys) -> pd.Series:
    """The one row of ``table`` whose columns equal ``keys``."""
    mask = np.ones(len(table), dtype=bool)
    for column, value in keys.items():
        mask &= (table[column].astype(object) == value).to_numpy()
    assert mask.sum() == 1, keys
    return table[mask].iloc[0]


def check(table: pd.DataFrame, numerator: int, denominator: int, **keys) -> pd.Series:
    found = row(table, **keys) if keys else table.iloc[0]
    assert (found["numerator"], found["denominator"]) == (numerator, denominator), keys
    if denominator:
        assert found["rate"] == pytest.approx(numerator / denominator)
    else:
        assert math.isnan(found["rate"])
    return found


# --------------------------------------------------------------------------- shape of the output


def test_groups_all_present_in_order(q1):
    london = metrics.charge_rate(q1, **PERIOD, by=())
    assert len(london) == 1
    assert list(london.columns) == ["numerator", "denominator", "rate", "ci_low", "ci_high", "method"]
    bcus = metrics.charge_rate(q1, **PERIOD)
    assert bcus["bcu"].astype(str).tolist() == list(BCU_CODES)
    assert list(bcus.columns[:2]) == ["bcu", "numerator"]
    boroughs = metrics.charge_rate(q1, **PERIOD, by=("borough",))
    assert boroughs["borough"].astype(str).tolist() == list(BOROUGHS)
    by_group = metrics.charge_rate(q1, **PERIOD, by=("bcu", "offence_group"))
    assert len(by_group) == 12 * len(d.ALLOWED_OFFENCE_GROUPS)
    assert list(by_group.columns[:2]) == ["bcu", "offence_group"]
    domestic = metrics.charge_rate(q1, **PERIOD, by=("domestic_abuse",))
    assert domestic["domestic_abuse"].tolist() == [False, True]
    monthly = metrics.charge_rate(q1, **PERIOD, by=("bcu", "month"))
    assert len(monthly) == 36
    assert monthly["month"].iloc[:3].tolist() == ["2024-01", "2024-02", "2024-03"]
    assert monthly["bcu"].astype(str).iloc[:3].tolist() == ["AW", "AW", "AW"]


def test_zero_denominators_give_nan_not_errors(q1):
    bcus = metrics.charge_rate(q1, **PERIOD)
    aw = check(bcus, 0, 0, bcu="AW")                 # AW's only crime (C15) is before the period
    assert math.isnan(aw["ci_low"]) and math.isnan(aw["ci_high"])
    empty = q1.iloc[:0]
    for function in (metrics.charge_rate, metrics.attrition, metrics.repeat_victimisation_rate,
                     metrics.repeat_suspects, metrics.time_to_charge, metrics.funnel_limits):
        table = function(empty, **PERIOD, by=("bcu", "month"))
        assert len(table) > 0
    out_of_scope = q1[~d.in_vawg_scope(q1)]
    check(metrics.positive_outcome_rate(out_of_scope, **PERIOD, by=()), 0, 0)


def test_bad_parameters_are_params_errors(q1):
    with pytest.raises(ParamsError):
        metrics.charge_rate(q1, **PERIOD, by=("ward",))
    with pytest.raises(ParamsError):
        metrics.charge_rate(q1, **PERIOD, method="rolling")
    with pytest.raises(ParamsError):
        metrics.charge_rate(q1, start="2024-03", end="2024-01")
    with pytest.raises(ParamsError):
        metrics.repeat_victimisation_rate(q1, **PERIOD, window_days=-1)
    with pytest.raises(ParamsError):
        metrics.compare_periods(q1, **PERIOD, against="last_week")
    with pytest.raises(ParamsError):
        metrics.funnel_limits(q1, **PERIOD, metric="attrition")


# --------------------------------------------------------------------------- outcome rates


def test_charge_rate_cohort(q1):
    # In scope and recorded in the period: NA C1-C6, C16 (7); CN C7-C10, C20 (5).  Not counted:
    # C11 (male victim), C12 (non-domestic violence), C13 (31 Dec), C14 (1 Apr), C15, C17-C19, C21.
    # Charged (1, 1A): C1, C2.
    bcus = metrics.charge_rate(q1, **PERIOD)
    na = check(bcus, 2, 7, bcu="NA")
    assert na["method"] == "cohort"
    assert na["ci_low"] < 2 / 7 < na["ci_high"]
    check(bcus, 0, 5, bcu="CN")
    check(metrics.charge_rate(q1, **PERIOD, by=()), 2, 12)
    boroughs = metrics.charge_rate(q1, **PERIOD, by=("borough",))
    check(boroughs, 2, 4, borough="Enfield")        # C1, C2 of C1, C2, C3, C16 (not C11-C14)
    check(boroughs, 0, 3, borough="Haringey")       # C4, C5, C6
    check(boroughs, 0, 0, borough="Westminster")


def test_positive_outcome_and_sanction_detection(q1):
    # Positive: C1 (1), C2 (1A), C3 (3, caution), C4 (8, community resolution).
    # Sanction detections exclude community resolution (8): C1, C2, C3.
    assert metrics.detection_rate is metrics.positive_outcome_rate
    check(metrics.positive_outcome_rate(q1, **PERIOD), 4, 7, bcu="NA")
    check(metrics.positive_outcome_rate(q1, **PERIOD, by=()), 4, 12)
    check(metrics.sanction_detection_rate(q1, **PERIOD), 3, 7, bcu="NA")
    check(metrics.sanction_detection_rate(q1, **PERIOD), 0, 5, bcu="CN")
    domestic = metrics.positive_outcome_rate(q1, **PERIOD, by=("domestic_abuse",))
    check(domestic, 1, 1, domestic_abuse=True)      # C4, the only domestic abuse crime
    check(domestic, 3, 11, domestic_abuse=False)
    by_group = metrics.positive_outcome_rate(q1, **PERIOD, by=("bcu", "offence_group"))
    check(by_group, 1, 1, bcu="NA", offence_group="rape")
    check(by_group, 1, 3, bcu="NA", offence_group="harassment")   # C1 of C1, C6, C16


def test_period_method(q1):
    # Charges dated in the period, of in-scope crimes recorded at any time: C13 (recorded 31 Dec,
    # charged 15 Jan), C1 (9 Feb), C2 (12 Mar).  Not C11/C12 (out of scope) nor C14 (April).
    # Denominator as the cohort method: in-scope crimes recorded in the period.
    bcus = metrics.charge_rate(q1, **PERIOD, method="period")
    na = check(bcus, 3, 7, bcu="NA")
    assert na["method"] == "period"
    check(metrics.charge_rate(q1, **PERIOD, method="period", by=()), 3, 12)
    # Positive outcomes add C4 (8, 20 Jan) but not C3 (caution dated 5 April).
    check(metrics.positive_outcome_rate(q1, **PERIOD, method="period"), 4, 7, bcu="NA")
    # By month a charge counts in the month of its outcome: Jan C13, Feb C1, Mar C2;
    # crimes recorded: Jan C1, C4; Feb C2, C5, C6, C16; Mar C3.
    monthly = metrics.charge_rate(q1, **PERIOD, method="period", by=("bcu", "month"))
    check(monthly, 1, 2, bcu="NA", month="2024-01")
    check(monthly, 1, 4, bcu="NA", month="2024-02")
    check(monthly, 1, 1, bcu="NA", month="2024-03")


def test_period_method_interval_is_nan_when_numerator_exceeds_denominator(make_records):
    rows = [{"recorded_date": "2023-12-10", "outcome_code": "1", "outcome_date": "2024-01-05"},
            {"recorded_date": "2023-12-11", "outcome_code": "1A", "outcome_date": "2024-02-05"},
            {"recorded_date": "2024-02-01"}]
    table = metrics.charge_rate(make_records(rows), **PERIOD, method="period", by=())
    found = check(table, 2, 1)
    assert found["rate"] == 2.0
    assert math.isnan(found["ci_low"]) and math.isnan(found["ci_high"])


def test_monthly_cohort_rates_add_up(q1):
    monthly = metrics.charge_rate(q1, **PERIOD, by=("bcu", "month"))
    check(monthly, 1, 2, bcu="NA", month="2024-01")   # C1 of C1, C4
    check(monthly, 1, 4, bcu="NA", month="2024-02")   # C2 of C2, C5, C6, C16
    check(monthly, 0, 1, bcu="NA", month="2024-03")   # C3, recorded on the last day
    check(monthly, 0, 0, bcu="AW", month="2024-02")
    totals = monthly.groupby("bcu", observed=False)[["numerator", "denominator"]].sum()
    bcus = metrics.charge_rate(q1, **PERIOD).set_index("bcu")
    assert (totals["numerator"] == bcus["numerator"]).all()
    assert (totals["denominator"] == bcus["denominator"]).all()


def test_results_do_not_depend_on_the_datetime_unit(q1):
    coarse = q1.copy()
    for column in ("recorded_date", "offence_date", "outcome_date"):
        coarse[column] = coarse[column].astype("datetime64[s]")
    for function in (metrics.charge_rate, metrics.repeat_victimisation_rate, metrics.time_to_charge):
        expected = function(q1, **PERIOD, by=("bcu", "month"))
        pd.testing.assert_frame_equal(function(coarse, **PERIOD, by=("bcu", "month")), expected)
    pd.testing.assert_frame_equal(metrics.charge_rate(coarse, **PERIOD, method="period"),
                                  metrics.charge_rate(q1, **PERIOD, method="period"))


# --------------------------------------------------------------------------- attrition


def test_attrition_measures(q1):
    table = metrics.attrition(q1, **PERIOD)
    assert list(table.columns) == ["bcu", "measure", "numerator", "denominator", "rate", "ci_low",
                                   "ci_high", "method"]
    names = list(d.ATTRITION_CODES) + ["no_suspect_identified", "pending"]
    assert table["measure"].iloc[:6].tolist() == names
    assert len(table) == 12 * 6
    no_suspect_victim_unsupportive, suspect_victim_supports, suspect_victim_unsupportive, together = names[:4]
    # NA (7 crimes): C5 is 14, C6 is 15, C16 is pending.  CN (5): C7 is 16, C8 is 18, C9, C10, C20 pending.
    check(table, 1, 7, bcu="NA", measure=no_suspect_victim_unsupportive)
    check(table, 1, 7, bcu="NA", measure=suspect_victim_supports)
    check(table, 0, 7, bcu="NA", measure=suspect_victim_unsupportive)
    check(table, 2, 7, bcu="NA", measure=together)
    check(table, 0, 7, bcu="NA", measure="no_suspect_identified")   # C18, C19 are before the period
    check(table, 1, 7, bcu="NA", measure="pending")
    check(table, 1, 5, bcu="CN", measure=suspect_victim_unsupportive)
    check(table, 1, 5, bcu="CN", measure=together)
    check(table, 1, 5, bcu="CN", measure="no_suspect_identified")
    check(table, 3, 5, bcu="CN", measure="pending")
    check(table, 0, 0, bcu="AW", measure="pending")
    london = metrics.attrition(q1, **PERIOD, by=())
    check(london, 3, 12, measure=together)
    check(london, 4, 12, measure="pending")


# --------------------------------------------------------------------------- repeat victimisation


def test_repeat_victimisation_by_bcu(q1):
    # NA victims: V1 (C1; earlier C15 in AW, 223 days before: repeat), V2 (C2 and C16 on the same
    # day: repeat), V3 (earlier C17 out of scope: no), V4 (earlier C18 366 days before: no), V5
    # (earlier C19 exactly 365 days before: repeat), V6 (C6; her next crime C20 is later: no).
    # CN victims: V7 (next crime after: no), V8 (no), V6 (C20; C6 29 days before in NA: repeat);
    # C8 and C10 have no victim ID.
    table = metrics.repeat_victimisation_rate(q1, **PERIOD)
    assert list(table.columns) == ["bcu", "numerator", "denominator", "rate", "ci_low", "ci_high",
                                   "crimes_without_victim_id"]
    na = check(table, 3, 6, bcu="NA")
    assert na["crimes_without_victim_id"] == 0
    cn = check(table, 1, 3, bcu="CN")
    assert cn["crimes_without_victim_id"] == 2
    aw = check(table, 0, 0, bcu="AW")                 # C15 is before the period
    assert aw["crimes_without_victim_id"] == 0
    london = check(metrics.repeat_victimisation_rate(q1, **PERIOD, by=()), 4, 8)   # V1, V2, V5, V6
    assert london["crimes_without_victim_id"] == 2


def test_repeat_victimisation_window(q1):
    same_day = metrics.repeat_victimisation_rate(q1, **PERIOD, window_days=0)
    check(same_day, 1, 6, bcu="NA")                   # only V2
    check(same_day, 0, 3, bcu="CN")
    month = metrics.repeat_victimisation_rate(q1, **PERIOD, window_days=30)
    check(month, 1, 6, bcu="NA")                      # V2; V1 (223 days) and V5 (365) drop out
    check(month, 1, 3, bcu="CN")                      # V6: C6 is 29 days before C20
    check(metrics.repeat_victimisation_rate(q1, **PERIOD, window_days=28), 0, 3, bcu="CN")


def test_repeat_victimisation_by_month(q1):
    # A victim counts in each month where she has a crime: V6 in February (not yet a repeat)
    # and in March (a repeat).
    monthly = metrics.repeat_victimisation_rate(q1, **PERIOD, by=("month",))
    jan = check(monthly, 1, 2, month="2024-01")       # V1 yes, V4 no; C10 has no victim ID
    assert jan["crimes_without_victim_id"] == 1
    check(monthly, 2, 3, month="2024-02")             # V2, V5 yes; V6 no
    march = check(monthly, 1, 4, month="2024-03")     # V3, V7, V8 no; V6 yes; C8 no victim ID
    assert march["crimes_without_victim_id"] == 1
    by_bcu = metrics.repeat_victimisation_rate(q1, **PERIOD, by=("bcu", "month"))
    check(by_bcu, 1, 2, bcu="NA", month="2024-01")
    check(by_bcu, 2, 3, bcu="NA", month="2024-02")
    check(by_bcu, 0, 1, bcu="NA", month="2024-03")


def test_repeat_victimisation_same_with_other_identifier_spellings(q1):
    expected = metrics.repeat_victimisation_rate(q1, **PERIOD, by=("bcu", "month"))
    # Identifiers of different lengths, and Python-backed strings, take other code paths.
    renamed = q1.copy()
    renamed["victim_id"] = renamed["victim_id"].map(
        lambda v: v if pd.isna(v) else "victim-" * int(v[1:]) + v, na_action="ignore").astype("string")
    python = q1.copy()
    python["victim_id"] = python["victim_id"].astype("string[python]")
    objects = q1.copy()
    objects["victim_id"] = objects["victim_id"].astype(object)
    for frame in (renamed, python, objects):
        got = metrics.repeat_victimisation_rate(frame, **PERIOD, by=("bcu", "month"))
        pd.testing.assert_frame_equal(got, expected)


# --------------------------------------------------------------------------- repeat suspects


def test_repeat_suspects(q1):
    # Window: April 2023 to March 2024.  S1: C1, C2 both NA (repeat in NA and London).  S2: C5 (NA)
    # and C7 (CN): repeat for London only.  S3: C9 (CN) and C15 (AW, June 2023): London only.
    # S4: C3 and C18 (Dec 2022, outside the window).  S5: C6 and C11 (out of scope).  S6: C20 and
    # C21 (after the window).  S7: C4 and C14 (after the window).
    table = metrics.repeat_suspects(q1, **PERIOD)
    assert list(table.columns) == ["bcu", "suspects", "repeat_suspects", "numerator", "denominator",
                                   "rate", "ci_low", "ci_high", "window_start", "window_end"]
    na = check(table, 1, 5, bcu="NA")                 # S1 of S1, S2, S4, S5, S7
    assert (na["suspects"], na["repeat_suspects"]) == (5, 1)
    check(table, 0, 3, bcu="CN")                      # S2, S3, S6
    check(table, 0, 1, bcu="AW")                      # S3
    check(table, 0, 0, bcu="SW")
    london = check(metrics.repeat_suspects(q1, **PERIOD, by=()), 3, 7)
    assert (london["window_start"], london["window_end"]) == ("2023-04", "2024-03")
    # The window depends on the end only.
    check(metrics.repeat_suspects(q1, start="2024-03", end="2024-03", by=()), 3, 7)


# --------------------------------------------------------------------------- time to charge


def test_time_to_charge_quartiles(make_records):
    # Days to charge 10, 20, 30, 40 (Enfield) and 100 (Camden); a caution and a pending crime
    # are not charges; the charge of a male victim is out of scope.
    rows = [{"recorded_date": "2024-01-01", "outcome_code": code, "outcome_date": str(date(2024, 1, 1) + timedelta(days))}
            for code, days in (("1", 10), ("1A", 20), ("1", 30), ("1", 40), ("3", 5))]
    rows += [{"borough": "Camden", "recorded_date": "2024-02-01", "outcome_code": "1", "outcome_date": "2024-05-11"},
             {"recorded_date": "2024-02-01"},
             {"recorded_date": "2024-02-01", "victim_sex": "M", "outcome_code": "1", "outcome_date": "2024-02-02"}]
    frame = make_records(rows)
    bcus = metrics.time_to_charge(frame, **PERIOD)
    assert list(bcus.columns) == ["bcu", "charged", "median_days", "q1_days", "q3_days"]
    na = row(bcus, bcu="NA")
    assert na["charged"] == 4
    assert (na["q1_days"], na["median_days"], na["q3_days"]) == (17.5, 25.0, 32.5)
    cn = row(bcus, bcu="CN")
    assert (cn["charged"], cn["median_days"], cn["q1_days"]) == (1, 100.0, 100.0)
    aw = row(bcus, bcu="AW")
    assert aw["charged"] == 0 and math.isnan(aw["median_days"])
    london = metrics.time_to_charge(frame, **PERIOD, by=()).iloc[0]
    assert london["charged"] == 5
    assert (london["q1_days"], london["median_days"], london["q3_days"]) == (20.0, 30.0, 40.0)


def test_time_to_charge_on_q1(q1):
    # C1: 10 Jan -> 9 Feb, 30 days; C2: 1 Feb -> 12 Mar 2024, 40 days (29 days in February).
    london = metrics.time_to_charge(q1, **PERIOD, by=()).iloc[0]
    assert london["charged"] == 2 and london["median_days"] == 35.0
    assert (london["q1_days"], london["q3_days"]) == (32.5, 37.5)


# --------------------------------------------------------------------------- per population


def _shipped_female_population() -> dict[str, int]:
    path = resources.files("vawgstats") / "data" / "borough_population_mid2019.csv"
    with path.open("r", encoding="utf-8") as handle:
        table = pd.read_csv(handle, dtype={"ons_code": str})
    by_code = dict(zip(table["ons_code"], table["female_population"]))
    return {name: int(by_code[code]) for name, code in ONS_CODES.items()}


def test_per_population_against_shipped_population(q1):
    population = _shipped_female_population()
    na_population = population["Enfield"] + population["Haringey"]
    bcus = metrics.per_population(q1, **PERIOD)
    assert list(bcus.columns) == ["bcu", "crimes", "female_population", "rate_per_1000", "ci_low",
                                  "ci_high", "per_year_per_1000"]
    na = row(bcus, bcu="NA")
    assert na["crimes"] == 7 and na["female_population"] == na_population
    assert na["rate_per_1000"] == pytest.approx(7 / na_population * 1000)
    assert na["per_year_per_1000"] == pytest.approx(7 / na_population * 1000 * 4)   # 3 months
    aw = row(bcus, bcu="AW")
    assert aw["crimes"] == 0 and aw["rate_per_1000"] == 0 and aw["ci_low"] == 0 and aw["ci_high"] > 0
    london = metrics.per_population(q1, **PERIOD, by=()).iloc[0]
    total = sum(population.values())
    assert london["crimes"] == 12 and london["female_population"] == total
    # Exact Poisson (Garwood) limits for 12 events: 6.201 and 20.96.
    assert london["ci_low"] == pytest.approx(6.2006 / total * 1000, rel=1e-3)
    assert london["ci_high"] == pytest.approx(20.962 / total * 1000, rel=1e-3)
    boroughs = metrics.per_population(q1, **PERIOD, by=("borough", "offence_group"))
    camden = boroughs[boroughs["borough"] == "Camden"]
    assert (camden["female_population"] == population["Camden"]).all()
    assert camden["crimes"].sum() == 5
    assert row(camden, offence_group="harassment")["crimes"] == 3   # C8, C9, C10
    monthly = metrics.per_population(q1, **PERIOD, by=("bcu", "month"))
    jan = row(monthly, bcu="NA", month="2024-01")
    assert jan["crimes"] == 2 and jan["per_year_per_1000"] == pytest.approx(2 / na_population * 12_000)


# --------------------------------------------------------------------------- comparisons


def _quarters(make_records) -> pd.DataFrame:
    rows = []
    # NA: 60 crimes a quarter; 10 charged in Q1 2024, 30 in Q2 2024.  CN: 2 of 5 charged in Q2,
    # none of 4 in Q1.  One NA crime a year earlier (Q2 2023), charged.
    for quarter_start, charged in (("2024-01-15", 10), ("2024-04-15", 30)):
        for i in range(60):
            charge = {"outcome_code": "1", "outcome_date": quarter_start[:8] + "28"} if i < charged else {}
            rows.append({"borough": "Enfield", "recorded_date": quarter_start, **charge})
    rows += [{"borough": "Camden", "recorded_date": "2024-02-01"}] * 4
    rows += [{"borough": "Camden", "recorded_date": "2024-05-01", "outcome_code": "1",
              "outcome_date": "2024-05-10"}] * 2 + [{"borough": "Camden", "recorded_date": "2024-05-01"}] * 3
    rows += [{"borough": "Enfield", "recorded_date": "2023-05-01", "outcome_code": "1",
              "outcome_date": "2023-05-02"}]
    return make_records(rows)


def test_compare_periods_previous(make_records):
    frame = _quarters(make_records)
    table = metrics.compare_periods(frame, start="2024-04", end="2024-06")
    assert list(table.columns) == [
        "bcu", "current_numerator", "current_denominator", "current_rate", "comparison_numerator",
        "comparison_denominator", "comparison_rate", "difference", "p_value", "test", "flag",
        "comparison_start", "comparison_end", "follow_up_days"]
    na = row(table, bcu="NA")
    assert (na["current_numerator"], na["current_denominator"]) == (30, 60)
    assert (na["comparison_numerator"], na["comparison_denominator"]) == (10, 60)
    assert na["difference"] == pytest.approx(0.5 - 1 / 6)
    # Pooled 40/120: se = sqrt(1/3 * 2/3 * 2/60) = 0.0861, z = (1/3) / 0.0861 = 3.873.
    assert na["test"] == "two-proportion z-test"
    assert na["p_value"] == pytest.approx(1.075e-4, rel=0.01)
    assert na["flag"] == "significant increase"
    assert (na["comparison_start"], na["comparison_end"]) == ("2024-01", "2024-03")
    cn = row(table, bcu="CN")
    assert cn["test"] == "Fisher's exact test" and cn["p_value"] == pytest.approx(16 / 36)
    assert cn["flag"] == "no significant change"
    aw = row(table, bcu="AW")
    assert aw["flag"] == "not comparable" and math.isnan(aw["p_value"])
    earlier = row(metrics.compare_periods(frame, start="2024-01", end="2024-03"), bcu="NA")
    assert earlier["comparison_denominator"] == 0          # nothing recorded in Q4 2023
    assert earlier["flag"] == "not comparable" and math.isnan(earlier["comparison_rate"])


def test_compare_periods_year_earlier_and_volume(make_records):
    frame = _quarters(make_records)
    year = metrics.compare_periods(frame, start="2024-04", end="2024-06", by=(), against="year_earlier")
    found = year.iloc[0]
    assert (found["comparison_start"], found["comparison_end"]) == ("2023-04", "2023-06")
    assert (found["current_numerator"], found["current_denominator"]) == (32, 65)
    assert (found["comparison_numerator"], found["comparison_denominator"]) == (1, 1)
    volume = metrics.compare_periods(frame, start="2024-04", end="2024-06", metric="volume")
    na = row(volume, bcu="NA")
    assert (na["current_numerator"], na["comparison_numerator"]) == (60, 60)
    assert math.isnan(na["current_denominator"])
    assert na["p_value"] == pytest.approx(1.0) and na["flag"] == "no significant change"
    london = metrics.compare_periods(frame, start="2024-04", end="2024-06", by=(), metric="volume",
                                     against="year_earlier").iloc[0]
    assert (london["current_numerator"], london["comparison_numerator"]) == (65, 1)
    assert london["flag"] == "significant increase"
    monthly = metrics.compare_periods(frame, start="2024-04", end="2024-06", by=("bcu", "month"))
    april = row(monthly, bcu="NA", month="2024-04")   # against January
    assert (april["current_numerator"], april["comparison_numerator"]) == (30, 10)


def test_compare_periods_passes_metric_options(q1):
    table = metrics.compare_periods(q1, **PERIOD, metric="repeat_victimisation_rate",
                                    metric_kwargs={"window_days": 0})
    na = row(table, bcu="NA")
    assert (na["current_numerator"], na["current_denominator"]) == (1, 6)
    period = metrics.compare_periods(q1, **PERIOD, method="period", by=())
    assert period["current_numerator"].iloc[0] == 3


def test_funnel_limits_positions(make_records):
    rows = []
    for borough, charged, crimes in (("Enfield", 40, 50), ("Camden", 5, 50), ("Westminster", 25, 50)):
        rows += [{"borough": borough, "recorded_date": "2024-02-01", "outcome_code": "1",
                  "outcome_date": "2024-02-10"}] * charged
        rows += [{"borough": borough, "recorded_date": "2024-02-01"}] * (crimes - charged)
    table = metrics.funnel_limits(make_records(rows), **PERIOD, overdispersion="none")
    assert list(table.columns) == ["bcu", "numerator", "denominator", "rate", "london_rate", "lower_95",
                                   "upper_95", "lower_998", "upper_998", "position", "phi", "tau2",
                                   "overdispersed"]
    assert not table["overdispersed"].any() and (table["tau2"] == 0).all()
    assert np.allclose(table["london_rate"], 70 / 150)
    # London 0.467 on 50 crimes: 99.8% limits about 0.467 -/+ 3.09 x 0.0706, i.e. 0.25 to 0.69.
    assert row(table, bcu="NA")["position"] == "above 99.8% limit"      # 0.8
    assert row(table, bcu="CN")["position"] == "below 99.8% limit"      # 0.1
    assert row(table, bcu="AW")["position"] == "within limits"          # 0.5
    assert row(table, bcu="SW")["position"] == "not comparable"
    na = row(table, bcu="NA")
    assert na["lower_998"] < na["lower_95"] < 70 / 150 < na["upper_95"] < na["upper_998"] < 0.8
    assert 0.65 < na["upper_998"] < 0.72


# --------------------------------------------------------------------------- properties

_BOROUGHS = ("Enfield", "Haringey", "Camden", "Islington", "Westminster", "Croydon")
_OUTCOMES = ("", "1", "1A", "2", "3", "8", "9", "14", "15", "16", "18")


def _frame(rows: list[dict]) -> pd.DataFrame:
    """Canonical records straight from values (what ``load`` returns, without validation)."""
    table = pd.DataFrame(rows)
    recorded = pd.to_datetime(table["recorded_date"]).astype("datetime64[ns]")
    pending = table["outcome_code"].eq("")
    borough = pd.Categorical(table["borough"], dtype=BOROUGH_DTYPE)
    return pd.DataFrame({
        "crime_id": pd.array([f"C{i}" for i in range(len(table))], dtype="string"),
        "recorded_date": recorded,
        "offence_date": pd.NaT,
        "borough": borough,
        "lsoa_code": pd.array([pd.NA] * len(table), dtype="string"),
        "offence_group": pd.Categorical(table["offence_group"], dtype=OFFENCE_GROUP_DTYPE),
        "domestic_abuse": table["domestic_abuse"].astype(bool),
        "victim_id": pd.array(table["victim_id"].replace("", None), dtype="string"),
        "victim_sex": pd.Categorical(table["victim_sex"], dtype=SEX_DTYPE),
        "victim_age": pd.array([pd.NA] * len(table), dtype="Int16"),
        "suspect_id": pd.array(table["suspect_id"].replace("", None), dtype="string"),
        "outcome_code": pd.Categorical(table["outcome_code"].replace("", None), dtype=OUTCOME_DTYPE),
        "outcome_date": (recorded + pd.to_timedelta(table["delay"], unit="D")).where(~pending),
        "bcu": pd.Categorical(pd.Series(table["borough"]).map(BOROUGH_TO_BCU), dtype=BCU_DTYPE),
    })


_records = st.lists(st.fixed_dictionaries({
    "recorded_date": st.dates(date(2023, 9, 1), date(2024, 6, 30)),
    "borough": st.sampled_from(_BOROUGHS),
    "offence_group": st.sampled_from(d.OFFENCE_GROUPS),
    "domestic_abuse": st.booleans(),
    "victim_sex": st.sampled_from(("F", "F", "M", "U")),
    "victim_id": st.sampled_from(("", "V1", "V2", "V3", "V4", "V5", "V6", "V7")),
    "suspect_id": st.sampled_from(("", "S1", "S2", "S3", "S4")),
    "outcome_code": st.sampled_from(_OUTCOMES),
    "delay": st.integers(0, 120),
}), min_size=1, max_size=40)


def test_property_frame_matches_loaded_records(make_records):
    rows = [{"recorded_date": date(2024, 1, 3), "borough": "Camden", "offence_group": "rape",
             "domestic_abuse": True, "victim_sex": "F", "victim_id": "V1", "suspect_id": "",
             "outcome_code": "1", "delay": 5}]
    built = _frame(rows)
    loaded = make_records([{**{k: v for k, v in rows[0].items() if k != "delay"},
                            "outcome_date": "2024-01-08", "domestic_abuse": "true"}])
    for column in ("recorded_date", "borough", "offence_group", "domestic_abuse", "victim_id", "victim_sex",
                   "suspect_id", "outcome_code", "outcome_date", "bcu"):
        assert built[column].dtype == loaded[column].dtype, column
        assert built[column].tolist() == loaded[column].tolist(), column


def _sums_match(parts: pd.DataFrame, whole: pd.DataFrame, part_key: str | None = None,
                whole_key: str | None = None, mapping: dict | None = None) -> None:
    """Numerators and denominators of ``parts`` add up to those of ``whole`` (per ``whole_key``)."""
    values = parts[["numerator", "denominator"]].copy()
    if whole_key is None:
        totals = values.sum().to_numpy()[None, :]
        expected = whole[["numerator", "denominator"]].to_numpy()
    else:
        unit = parts[part_key].astype(str)
        values["unit"] = unit.map(mapping) if mapping else unit
        totals = values.groupby("unit")[["numerator", "denominator"]].sum().sort_index()
        expected = whole.assign(unit=whole[whole_key].astype(str)).set_index("unit").sort_index()
        assert list(totals.index) == list(expected.index)
        totals, expected = totals.to_numpy(), expected[["numerator", "denominator"]].to_numpy()
    assert (totals == expected).all()


def _proportion_invariants(table: pd.DataFrame, bounded: bool = True) -> None:
    assert (table["numerator"] >= 0).all()
    has = table["denominator"] > 0
    assert table.loc[~has, "rate"].isna().all()
    ok = table[has]
    if bounded:
        assert (ok["numerator"] <= ok["denominator"]).all()
        assert ((ok["rate"] >= 0) & (ok["rate"] <= 1)).all()
        assert ((ok["ci_low"] <= ok["rate"]) & (ok["rate"] <= ok["ci_high"])).all()


@settings(max_examples=50, deadline=None)
@given(_records)
def test_property_outcome_rates_add_up(rows):
    frame = _frame(rows)
    for function in (metrics.charge_rate, metrics.positive_outcome_rate, metrics.sanction_detection_rate):
        london = function(frame, **PERIOD, by=())
        bcus = function(frame, **PERIOD)
        boroughs = function(frame, **PERIOD, by=("borough",))
        monthly = function(frame, **PERIOD, by=("bcu", "month"))
        groups = function(frame, **PERIOD, by=("offence_group",))
        for table in (london, bcus, boroughs, monthly, groups):
            _proportion_invariants(table)
        _sums_match(bcus, london)
        _sums_match(groups, london)
        _sums_match(boroughs, bcus, "borough", "bcu", BOROUGH_TO_BCU)
        _sums_match(monthly, bcus, "bcu", "bcu")
    # Against a direct count.
    scoped = frame[d.in_vawg_scope(frame) & as_period("2024-01", "2024-03").contains(frame["recorded_date"])]
    london = metrics.charge_rate(frame, **PERIOD, by=()).iloc[0]
    assert london["denominator"] == len(scoped)
    assert london["numerator"] == scoped["outcome_code"].astype(object).isin(d.CHARGE_CODES).sum()
    attrition = metrics.attrition(frame, **PERIOD, by=())
    _proportion_invariants(attrition)
    assert row(attrition, measure="pending")["numerator"] == scoped["outcome_code"].isna().sum()
    period = metrics.charge_rate(frame, **PERIOD, method="period")
    _proportion_invariants(period, bounded=False)
    assert (period["ci_low"].isna() | (period["numerator"] <= period["denominator"])).all()
    timing = metrics.time_to_charge(frame, **PERIOD)
    has = timing["charged"] > 0
    assert (timing.loc[has, "q1_days"] <= timing.loc[has, "median_days"]).all()
    assert (timing.loc[has, "median_days"] <= timing.loc[has, "q3_days"]).all()
    assert timing["charged"].sum() == london["numerator"]
    population = metrics.per_population(frame, **PERIOD)
    assert population["crimes"].sum() == len(scoped)
    assert ((population["ci_low"] <= population["rate_per_1000"])
            & (population["rate_per_1000"] <= population["ci_high"])).all()


def _repeat_oracle(frame: pd.DataFrame, window: int, key: str | None) -> dict:
    """Repeat victimisation the slow, obvious way: per group, (numerator, denominator)."""
    scoped = frame[d.in_vawg_scope(frame)]
    period = as_period("2024-01", "2024-03")
    current = scoped[period.contains(scoped["recorded_date"]) & scoped["victim_id"].notna()]
    result: dict = {}
    for _, crime in current.iterrows():
        unit = "London" if key is None else str(crime[key])
        victims, repeats = result.setdefault(unit, (set(), set()))
        victims.add(crime["victim_id"])
        others = scoped[(scoped["victim_id"] == crime["victim_id"]) & (scoped["crime_id"] != crime["crime_id"])
                        & (scoped["recorded_date"] <= crime["recorded_date"])
                        & (scoped["recorded_date"] >= crime["recorded_date"] - pd.Timedelta(days=window))]
        if len(others):
            repeats.add(crime["victim_id"])
    return {unit: (len(r), len(v)) for unit, (v, r) in result.items()}


@settings(max_examples=50, deadline=None)
@given(_records, st.sampled_from((0, 30, 365)))
def test_property_repeat_victimisation(rows, window):
    frame = _frame(rows)
    london = metrics.repeat_victimisation_rate(frame, **PERIOD, by=(), window_days=window)
    bcus = metrics.repeat_victimisation_rate(frame, **PERIOD, window_days=window)
    boroughs = metrics.repeat_victimisation_rate(frame, **PERIOD, by=("borough",), window_days=window)
    for table in (london, bcus, boroughs):
        _proportion_invariants(table)
    # A victim can be in two BCUs: London's counts are at most the sums, at least the largest.
    assert london["numerator"].iloc[0] <= bcus["numerator"].sum()
    assert london["denominator"].iloc[0] <= bcus["denominator"].sum()
    assert london["denominator"].iloc[0] >= bcus["denominator"].max()
    assert london["crimes_without_victim_id"].iloc[0] == bcus["crimes_without_victim_id"].sum()
    expected = _repeat_oracle(frame, window, None).get("London", (0, 0))
    assert (london["numerator"].iloc[0], london["denominator"].iloc[0]) == expected
    oracle = _repeat_oracle(frame, window, "bcu")
    for _, found in bcus.iterrows():
        assert (found["numerator"], found["denominator"]) == oracle.get(str(found["bcu"]), (0, 0))


@settings(max_examples=50, deadline=None)
@given(_records)
def test_property_repeat_suspects(rows):
    frame = _frame(rows)
    scoped = frame[d.in_vawg_scope(frame) & as_period("2023-04", "2024-03").contains(frame["recorded_date"])
                   & frame["suspect_id"].notna()]
    london = metrics.repeat_suspects(frame, **PERIOD, by=()).iloc[0]
    counts = scoped["suspect_id"].value_counts()
    assert (london["suspects"], london["repeat_suspects"]) == (len(counts), int((counts >= 2).sum()))
    bcus = metrics.repeat_suspects(frame, **PERIOD)
    _proportion_invariants(bcus)
    assert bcus["repeat_suspects"].sum() <= london["repeat_suspects"]
    assert bcus["suspects"].sum() >= london["suspects"]
    for _, found in bcus.iterrows():
        in_bcu = scoped[scoped["bcu"] == found["bcu"]]["suspect_id"].value_counts()
        assert (found["suspects"], found["repeat_suspects"]) == (len(in_bcu), int((in_bcu >= 2).sum()))
