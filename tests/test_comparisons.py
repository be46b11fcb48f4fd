"""Tests of vawgstats.comparisons (re-exported by vawgstats.metrics): fair comparisons.

Maturity-matched changes, trend rates with a fixed follow-up and funnel limits
allowing for over-dispersion.  Small examples are worked out by hand in the
comments; random ones are checked against independent, deliberately plain
re-implementations of the definitions in the issue (row by row, with the
``math`` module), not against the library's own helpers.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from vawgstats import definitions as d
from vawgstats import metrics, stats
from vawgstats.errors import ParamsError
from vawgstats.geography import BOROUGH_TO_BCU

from .conftest import records


def row(table: pd.DataFrame, **keys) -> pd.Series:
    mask = np.ones(len(table), dtype=bool)
    for column, value in keys.items():
        mask &= (table[column].astype(object) == value).to_numpy()
    assert mask.sum() == 1, keys
    return table[mask].iloc[0]


# --------------------------------------------------------------------------- hand-worked maturity example

# Current period April-June 2024 (last day 30 June), as at 14 July 2024: f = 14 days.
# Previous period January-March 2024: outcomes count up to 31 March + 14 days = 14 April 2024.
# Year earlier April-June 2023: outcomes count up to 30 June 2023 + 14 days = 14 July 2023.
AS_OF = "2024-07-14"
MATURITY = [
    # Previous period, all Enfield (BCU NA).
    {"recorded_date": "2024-01-10", "outcome_code": "1", "outcome_date": "2024-02-01"},    # A charged, 22 days
    {"recorded_date": "2024-03-20", "outcome_code": "1", "outcome_date": "2024-04-14"},    # B charged on the cut-off, 25 days
    {"recorded_date": "2024-03-25", "outcome_code": "1", "outcome_date": "2024-04-15"},    # C charged a day too late, 21 days
    {"recorded_date": "2024-02-01", "outcome_code": "14", "outcome_date": "2024-05-01"},   # D evidential difficulties, late
    {"recorded_date": "2024-02-02"},                                                        # E pending
    {"recorded_date": "2024-01-05", "outcome_code": "3", "outcome_date": "2024-04-20"},    # K caution, late
    # Current period.
    {"recorded_date": "2024-04-05", "outcome_code": "1", "outcome_date": "2024-05-01"},    # F charged
    {"recorded_date": "2024-06-30"},                                                        # G pending
    {"recorded_date": "2024-05-05", "outcome_code": "1", "outcome_date": "2024-07-14"},    # H charged on as_of
    # A year earlier.
    {"recorded_date": "2023-06-01", "outcome_code": "1", "outcome_date": "2023-07-14"},    # I charged on the cut-off
    {"recorded_date": "2023-06-01", "outcome_code": "1", "outcome_date": "2023-07-15"},    # J a day too late
]
CURRENT = {"start": "2024-04", "end": "2024-06"}


@pytest.fixture(scope="module")
def maturity():
    return records(MATURITY)


def test_matched_comparison_counts_outcomes_up_to_the_same_follow_up(maturity):
    table = metrics.compare_periods(maturity, **CURRENT, by=(), as_of=AS_OF)
    found = table.iloc[0]
    assert found["follow_up_days"] == 14
    assert (found["current_numerator"], found["current_denominator"]) == (2, 3)           # F, H
    assert (found["comparison_numerator"], found["comparison_denominator"]) == (2, 6)     # A, B (not C)
    assert found["comparison_rate"] == pytest.approx(2 / 6)
    assert (found["comparison_start"], found["comparison_end"]) == ("2024-01", "2024-03")
    recorded = metrics.compare_periods(maturity, **CURRENT, by=(), as_of=AS_OF, maturity="as_recorded").iloc[0]
    assert (recorded["comparison_numerator"], recorded["comparison_denominator"]) == (3, 6)   # A, B, C
    assert recorded["follow_up_days"] == 14
    year = metrics.compare_periods(maturity, **CURRENT, by=(), as_of=pd.Timestamp(AS_OF),
                                   against="year_earlier").iloc[0]
    assert (year["comparison_numerator"], year["comparison_denominator"]) == (1, 2)       # I, not J


def test_matched_comparison_of_every_outcome_measure(maturity):
    def earlier(metric, **kwargs):
        return metrics.compare_periods(maturity, **CURRENT, by=(), as_of=AS_OF, metric=metric, **kwargs).iloc[0]

    assert earlier("positive_outcome_rate")["comparison_numerator"] == 2                # A, B (C, K late)
    assert earlier("positive_outcome_rate", maturity="as_recorded")["comparison_numerator"] == 4
    assert earlier("sanction_detection_rate")["comparison_numerator"] == 2
    assert earlier("evidential_difficulties_all")["comparison_numerator"] == 0           # D late
    assert earlier("evidential_difficulties_all", maturity="as_recorded")["comparison_numerator"] == 1
    # Pending at the cut-off: C, D, K (outcomes after it) and E; as recorded only E.
    assert earlier("pending")["comparison_numerator"] == 4
    assert earlier("pending", maturity="as_recorded")["comparison_numerator"] == 1
    assert earlier("pending")["current_numerator"] == 1                                  # G
    # Volumes and repeat victimisation are not outcome-based: unaffected.
    volume = earlier("volume")
    assert (volume["current_numerator"], volume["comparison_numerator"]) == (3, 6)


def test_time_to_charge_with_an_outcome_cut_off(maturity):
    period = {"start": "2024-01", "end": "2024-03"}
    matched = metrics.time_to_charge(maturity, **period, by=(), outcomes_by="2024-04-14").iloc[0]
    assert matched["charged"] == 2 and matched["median_days"] == pytest.approx(23.5)     # 22 and 25 days
    recorded = metrics.time_to_charge(maturity, **period, by=()).iloc[0]
    assert recorded["charged"] == 3 and recorded["median_days"] == pytest.approx(22)      # 21, 22, 25


def test_as_of_defaults_to_the_latest_date_in_the_data(maturity):
    # Latest recorded or outcome date: H's charge on 14 July 2024.
    default = metrics.compare_periods(maturity, **CURRENT, by=())
    assert default["follow_up_days"].iloc[0] == 14
    assert metrics.latest_date(maturity) == pd.Timestamp(AS_OF)
    later = metrics.compare_periods(maturity, **CURRENT, by=(), as_of="2024-07-25").iloc[0]
    assert later["follow_up_days"] == 25 and later["comparison_numerator"] == 3          # cut-off 25 April


def test_bad_maturity_arguments(maturity):
    with pytest.raises(ParamsError, match="maturity"):
        metrics.compare_periods(maturity, **CURRENT, maturity="fair")
    with pytest.raises(ParamsError, match="as_of"):
        metrics.compare_periods(maturity, **CURRENT, as_of="14/07/2024x")
    with pytest.raises(ParamsError, match="within_days"):
        metrics.charge_rate(maturity, **CURRENT, within_days=-1)


def test_month_precision_applies_the_rule_to_months():
    # police.uk-like rows: proxy offence group, no offence date, dates on the 1st of the month.
    proxy = {"offence_group": d.POLICEUK_PROXY_GROUP, "victim_sex": "U"}
    rows = [
        {**proxy, "recorded_date": "2024-03-01", "outcome_code": "1", "outcome_date": "2024-04-01"},  # one month on
        {**proxy, "recorded_date": "2024-03-01", "outcome_code": "1", "outcome_date": "2024-05-01"},  # two months on
        {**proxy, "recorded_date": "2024-06-01", "outcome_code": "1", "outcome_date": "2024-07-01"},
    ]
    frame = records(rows)
    assert metrics.date_precision(frame) == "month"
    assert metrics.date_precision(records([{"recorded_date": "2024-03-02"}])) == "day"
    # Current period June 2024, as at July 2024 (1 July): one month of follow-up, so the
    # previous period (May) and March... here a three-month period: April-June against January-March.
    table = metrics.compare_periods(frame, start="2024-04", end="2024-06", by=()).iloc[0]
    # Outcomes up to the month one after March: April counts, May does not.
    assert table["follow_up_days"] == 1
    assert (table["comparison_numerator"], table["comparison_denominator"]) == (1, 2)
    # The day rule would have cut at 31 March + 1 day = 1 April: the same here, but at day
    # precision with as_of 15 July the month rule still counts April only.
    mid = metrics.compare_periods(frame, start="2024-04", end="2024-06", by=(), as_of="2024-07-15").iloc[0]
    assert mid["comparison_numerator"] == 1
    day = metrics.compare_periods(frame, start="2024-04", end="2024-06", by=(), as_of="2024-07-15",
                                  precision="day").iloc[0]
    assert day["comparison_numerator"] == 1                                              # up to 15 April


# --------------------------------------------------------------------------- fixed follow-up trend rates


def test_charge_rate_within_days_and_complete(make_records):
    rows = [
        {"recorded_date": "2024-01-10", "outcome_code": "1", "outcome_date": "2024-04-09"},   # 90 days: counts
        {"recorded_date": "2024-01-10", "outcome_code": "1", "outcome_date": "2024-04-10"},   # 91 days: not
        {"recorded_date": "2024-01-31"},
        {"recorded_date": "2024-02-05", "outcome_code": "1", "outcome_date": "2024-02-05"},   # same day
        {"recorded_date": "2024-03-05", "outcome_code": "8", "outcome_date": "2024-03-10"},   # positive, not charge
    ]
    frame = make_records(rows)
    # As at 30 April 2024: January's last day + 90 = 30 April (complete); February's + 90 = 29 May.
    table = metrics.charge_rate(frame, start="2024-01", end="2024-03", by=("month",), within_days=90,
                                as_of="2024-04-30")
    assert list(table["numerator"]) == [1, 1, 0] and list(table["denominator"]) == [3, 1, 1]
    assert list(table["complete"]) == [True, False, False]
    assert table["complete"].dtype == bool
    whole = metrics.charge_rate(frame, start="2024-01", end="2024-03", by=(), within_days=90,
                                as_of="2024-06-29").iloc[0]
    assert (whole["numerator"], whole["denominator"], whole["complete"]) == (2, 5, True)     # 31 Mar + 90 = 29 Jun
    assert not metrics.charge_rate(frame, start="2024-01", end="2024-03", by=(), within_days=90,
                                   as_of="2024-06-28")["complete"].iloc[0]
    # Default as_of: the latest date in the data (10 April 2024).
    default = metrics.charge_rate(frame, start="2024-01", end="2024-03", by=("month",), within_days=0)
    assert list(default["numerator"]) == [0, 1, 0] and list(default["complete"]) == [True, True, True]
    assert "complete" not in metrics.charge_rate(frame, start="2024-01", end="2024-03").columns
    positive = metrics.positive_outcome_rate(frame, start="2024-03", end="2024-03", by=(), within_days=4)
    assert positive["numerator"].iloc[0] == 0                                             # 5 days
    assert metrics.sanction_detection_rate(frame, start="2024-01", end="2024-03", by=(),
                                           within_days=90)["numerator"].iloc[0] == 2


def test_a_coded_outcome_without_a_date_is_not_counted_as_reached(make_records):
    # Validated records never have an outcome code without a date, but the measures take any
    # DataFrame: such an outcome cannot be "on or before" the cut-off, nor "within N days of
    # recording", so with a restriction it counts as pending (the literal definition); without
    # one it counts as it stands (the cohort rate as recorded).
    rows = [
        {"recorded_date": "2024-02-10", "outcome_code": "1", "outcome_date": "2024-02-20"},   # dated in time
        {"recorded_date": "2024-02-12", "outcome_code": "1", "outcome_date": "2024-02-22"},   # date removed below
        {"recorded_date": "2024-05-10", "outcome_code": "1", "outcome_date": "2024-05-20"},
    ]
    frame = make_records(rows)
    frame.loc[frame.index[1], "outcome_date"] = pd.NaT
    kwargs = dict(start="2024-04", end="2024-06", by=(), as_of="2024-07-14")
    matched = metrics.compare_periods(frame, **kwargs).iloc[0]
    assert (matched["comparison_numerator"], matched["comparison_denominator"]) == (1, 2)
    recorded = metrics.compare_periods(frame, maturity="as_recorded", **kwargs).iloc[0]
    assert recorded["comparison_numerator"] == 2
    within = metrics.charge_rate(frame, start="2024-02", end="2024-02", by=(), within_days=30)
    assert within["numerator"].iloc[0] == 1
    assert metrics.charge_rate(frame, start="2024-02", end="2024-02", by=())["numerator"].iloc[0] == 2


# --------------------------------------------------------------------------- independent check on random data


def _random_rows(seed: int, n: int = 400) -> list[dict]:
    rng = np.random.default_rng(seed)
    boroughs = ("Enfield", "Haringey", "Camden", "Islington", "Westminster", "Croydon")
    groups = ("harassment", "rape", "stalking", "violence_with_injury")
    codes = ("1", "1A", "3", "8", "14", "15", "16", "18", "9")
    first = date(2023, 1, 1)
    rows = []
    for _ in range(n):
        recorded = first + timedelta(days=int(rng.integers(0, 640)))
        item = {"recorded_date": recorded.isoformat(), "borough": boroughs[rng.integers(len(boroughs))],
                "offence_group": groups[rng.integers(len(groups))],
                "domestic_abuse": "true" if rng.random() < 0.3 else "false",
                "victim_sex": "F" if rng.random() < 0.9 else "M"}
        if rng.random() < 0.7:
            item["outcome_code"] = codes[rng.integers(len(codes))]
            item["outcome_date"] = (recorded + timedelta(days=int(rng.integers(0, 200)))).isoformat()
        rows.append(item)
    return rows


def _plain(rows: list[dict], first: date, last: date, codes: frozenset, cutoff: date | None,
           bcu: str | None) -> tuple[int, int]:
    """(numerator, denominator) by the definition, one row at a time."""
    numerator = denominator = 0
    for item in rows:
        female = item.get("victim_sex", "F") == "F"
        in_scope = female and (item["offence_group"] in d.VAWG_OFFENCE_GROUPS or item["domestic_abuse"] == "true")
        recorded = date.fromisoformat(item["recorded_date"])
        if not in_scope or not first <= recorded <= last:
            continue
        if bcu is not None and BOROUGH_TO_BCU[item["borough"]] != bcu:
            continue
        denominator += 1
        code, when = item.get("outcome_code"), item.get("outcome_date")
        if code in codes and (cutoff is None or date.fromisoformat(when) <= cutoff):
            numerator += 1
    return numerator, denominator


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("against", ["previous", "year_earlier"])
def test_compare_periods_matches_an_independent_computation(seed, against):
    rows = _random_rows(seed)
    frame = records(rows)
    latest = max(max(date.fromisoformat(r["recorded_date"]) for r in rows),
                 max(date.fromisoformat(r["outcome_date"]) for r in rows if "outcome_date" in r))
    # Current period: March-August 2024 (last day 31 August).
    start, end, last = "2024-03", "2024-08", date(2024, 8, 31)
    f = (latest - last).days
    if against == "previous":
        c_first, c_last = date(2023, 9, 1), date(2024, 2, 29)
    else:
        c_first, c_last = date(2023, 3, 1), date(2023, 8, 31)
    for metric, codes in (("charge_rate", d.CHARGE_CODES), ("positive_outcome_rate", d.POSITIVE_OUTCOME_CODES)):
        table = metrics.compare_periods(frame, start=start, end=end, metric=metric, against=against)
        assert (table["follow_up_days"] == f).all()
        for bcu in ("NA", "CN", "AW", "SN"):
            found = row(table, bcu=bcu)
            assert (found["current_numerator"], found["current_denominator"]) == \
                _plain(rows, date(2024, 3, 1), last, codes, None, bcu)
            assert (found["comparison_numerator"], found["comparison_denominator"]) == \
                _plain(rows, c_first, c_last, codes, c_last + timedelta(days=f), bcu)
    # An explicit as_of moves the cut-off with it.
    given = metrics.compare_periods(frame, start=start, end=end, by=(), against=against, as_of="2024-09-10").iloc[0]
    assert given["follow_up_days"] == 10
    assert given["comparison_numerator"] == _plain(rows, c_first, c_last, d.CHARGE_CODES,
                                                   c_last + timedelta(days=10), None)[0]


@pytest.mark.parametrize("seed", [4, 5])
def test_within_days_matches_an_independent_computation(seed):
    rows = _random_rows(seed)
    frame = records(rows)
    table = metrics.charge_rate(frame, start="2023-06", end="2024-05", by=("bcu", "month"), within_days=30,
                                as_of="2024-03-31")
    for bcu, month in (("NA", "2023-07"), ("CN", "2024-02"), ("AW", "2024-05"), ("NA", "2024-02")):
        first = date.fromisoformat(month + "-01")
        last = (pd.Period(month) .end_time.normalize()).date()
        numerator = denominator = 0
        for item in rows:
            in_scope = item["victim_sex"] == "F" and (item["offence_group"] in d.VAWG_OFFENCE_GROUPS
                                                     or item["domestic_abuse"] == "true")
            recorded = date.fromisoformat(item["recorded_date"])
            if in_scope and first <= recorded <= last and BOROUGH_TO_BCU[item["borough"]] == bcu:
                denominator += 1
                if item.get("outcome_code") in d.CHARGE_CODES and \
                        (date.fromisoformat(item["outcome_date"]) - recorded).days <= 30:
                    numerator += 1
        found = row(table, bcu=bcu, month=month)
        assert (found["numerator"], found["denominator"]) == (numerator, denominator)
        assert found["complete"] == (last + timedelta(days=30) <= date(2024, 3, 31))


# --------------------------------------------------------------------------- funnel limits with over-dispersion

Z95, Z998 = 1.959964, 3.090232


def _spiegelhalter(numerators, denominators, theta, kind="proportion"):
    """The issue's recipe, step by step with the math module: (phi, tau2, limits per unit)."""
    forward = (lambda p: math.asin(math.sqrt(p))) if kind == "proportion" else math.sqrt
    s = [1 / (2 * math.sqrt(n)) for n in denominators]
    x0 = forward(theta)
    z = [(forward(k / n) - x0) / si for k, n, si in zip(numerators, denominators, s)]
    k = len(z)
    m = math.floor(0.1 * k)
    ordered = sorted(z)
    low, high = ordered[m], ordered[k - 1 - m]
    winsorised = [min(max(v, low), high) for v in z]
    phi = sum(v * v for v in winsorised) / k
    w = [1 / si ** 2 for si in s]
    tau2 = (k * phi - (k - 1)) / (sum(w) - sum(v * v for v in w) / sum(w)) if k * phi > k - 1 else 0.0
    limits = []
    for si in s:
        spread = math.sqrt(si ** 2 + tau2)
        row_limits = {}
        for name, zz in (("lower_95", -Z95), ("upper_95", Z95), ("lower_998", -Z998), ("upper_998", Z998)):
            x = x0 + zz * spread
            if kind == "proportion":
                row_limits[name] = math.sin(min(max(x, 0.0), math.pi / 2)) ** 2
            else:
                row_limits[name] = max(x, 0.0) ** 2
        limits.append(row_limits)
    return phi, tau2, limits


def test_overdispersed_proportion_limits_follow_the_recipe():
    rng = np.random.default_rng(11)
    n = rng.integers(200, 5000, size=23)
    true_rates = np.clip(rng.normal(0.1, 0.03, size=23), 0.01, 0.5)
    k = rng.binomial(n, true_rates)
    theta = k.sum() / n.sum()
    phi, tau2, expected = _spiegelhalter(k, n, theta)
    assert tau2 > 0                                          # the spread is far beyond chance
    found = stats.funnel_limits(n, theta, numerator=k)
    assert found["phi"].iloc[0] == pytest.approx(phi, rel=1e-9)
    assert found["tau2"].iloc[0] == pytest.approx(tau2, rel=1e-9)
    assert found["overdispersed"].all()
    for i, limits in enumerate(expected):
        for name, value in limits.items():
            assert found[name].iloc[i] == pytest.approx(value, rel=1e-6), (i, name)
    plain = stats.funnel_limits(n, theta, numerator=k, overdispersion="none")
    assert (plain["tau2"] == 0).all() and not plain["overdispersed"].any()
    assert plain["phi"].iloc[0] == pytest.approx(phi, rel=1e-9)                 # still reported
    assert (plain["upper_998"] < found["upper_998"]).all()


def test_overdispersed_rate_limits_follow_the_recipe():
    population = np.array([310_000, 420_000, 280_000, 505_000, 390_000, 350_000, 460_000, 300_000,
                           330_000, 410_000, 370_000, 440_000], dtype=float)
    crimes = np.array([6100, 7000, 6900, 8000, 5200, 7700, 9900, 4100, 6600, 7100, 5000, 9400])
    theta = crimes.sum() / population.sum()
    phi, tau2, expected = _spiegelhalter(crimes, population, theta, kind="rate")
    found = stats.funnel_limits(population, theta, numerator=crimes, kind="rate")
    assert found["tau2"].iloc[0] == pytest.approx(tau2, rel=1e-9) and tau2 > 0
    for i, limits in enumerate(expected):
        for name, value in limits.items():
            assert found[name].iloc[i] == pytest.approx(value, rel=1e-6), (i, name)


def test_in_control_units_keep_the_exact_binomial_limits():
    # Rates exactly at the target: z = 0, phi = 0, tau2 = 0 -> today's exact limits.
    n = np.array([100, 400, 900, 1600, 2500])
    k = n // 10
    auto = stats.funnel_limits(n, 0.1, numerator=k)
    none = stats.funnel_limits(n, 0.1)
    assert (auto["tau2"] == 0).all() and not auto["overdispersed"].any() and (auto["phi"] == 0).all()
    for name in stats.FUNNEL_PROBABILITIES:
        assert np.array_equal(auto[name].to_numpy(), none[name].to_numpy())


def test_winsorising_replaces_the_tails():
    # k = 20: m = 2; the two largest z-scores become the third largest, the two smallest the third smallest.
    n = np.full(20, 10_000)
    k = np.array([1000] * 16 + [1500, 1600, 500, 400])
    theta = k.sum() / n.sum()
    phi, tau2, _ = _spiegelhalter(k, n, theta)
    estimate = stats.estimate_overdispersion(k, n, theta)
    assert estimate["phi"] == pytest.approx(phi) and estimate["tau2"] == pytest.approx(tau2)
    # Without winsorising the outliers would dominate phi.
    s = 1 / (2 * math.sqrt(10_000))
    raw = np.mean(((np.arcsin(np.sqrt(k / n)) - math.asin(math.sqrt(theta))) / s) ** 2)
    assert estimate["phi"] < raw


def test_metrics_funnel_limits_pool_and_adjust(make_records):
    rows = []
    # Six BCUs, 200 crimes each, charge rates 10%, 30%, 10%, 30%, 20%, 20%: far more spread than chance.
    for borough, charged in (("Enfield", 20), ("Camden", 60), ("Westminster", 20), ("Croydon", 60),
                             ("Ealing", 40), ("Lambeth", 40)):
        rows += [{"borough": borough, "recorded_date": "2024-02-01", "outcome_code": "1",
                  "outcome_date": "2024-02-10"}] * charged
        rows += [{"borough": borough, "recorded_date": "2024-02-01"}] * (200 - charged)
    frame = make_records(rows)
    table = metrics.funnel_limits(frame, start="2024-01", end="2024-03")
    used = table[table["denominator"] > 0]
    phi, tau2, expected = _spiegelhalter(used["numerator"].tolist(), used["denominator"].tolist(), 240 / 1200)
    assert used["tau2"].iloc[0] == pytest.approx(tau2) and used["phi"].iloc[0] == pytest.approx(phi)
    assert used["overdispersed"].all()
    assert used["upper_998"].iloc[0] == pytest.approx(expected[0]["upper_998"], rel=1e-6)
    # With the usual spread allowed for, 30% on 200 is no longer beyond the 99.8% limit.
    assert set(used["position"]) <= {"within limits", "above 95% limit", "below 95% limit"}
    plain = metrics.funnel_limits(frame, start="2024-01", end="2024-03", overdispersion="none")
    assert "above 99.8% limit" in set(plain["position"])


@pytest.mark.parametrize("units", [5, 9, 10, 11, 19, 20])
def test_winsorising_count_changes_at_ten_units(units):
    # m = floor(0.1 k): 0 for k = 5 and 9, 1 for 10, 11 and 19, 2 for 20.  One unit far above and
    # one far below the rest: with m = 0 they enter phi as they are, with m >= 1 they are replaced.
    n = np.full(units, 2_000)
    k = np.array([200 + 7 * (i % 3) for i in range(units - 2)] + [600, 20])
    theta = k.sum() / n.sum()
    x0, s = math.asin(math.sqrt(theta)), 1 / (2 * math.sqrt(2_000))
    z = sorted((math.asin(math.sqrt(ki / 2_000)) - x0) / s for ki in k)
    m = units // 10
    z = [z[m]] * m + z[m:units - m] + [z[units - m - 1]] * m
    phi = sum(v * v for v in z) / units
    w = [1 / s ** 2] * units
    tau2 = (units * phi - (units - 1)) / (sum(w) - sum(v * v for v in w) / sum(w)) if units * phi > units - 1 else 0.0
    found = stats.funnel_limits(n, theta, numerator=k)
    assert found["phi"].iloc[0] == pytest.approx(phi, rel=1e-9)
    assert found["tau2"].iloc[0] == pytest.approx(tau2, rel=1e-9)


def test_overdispersed_limits_are_clipped_to_zero_and_one():
    # A low pooled rate and a large tau2: the lower limits fall below 0 on the arcsine scale and
    # clip to 0 (a rate of exactly 0), never a wrapped-round positive value from sin(x)^2.
    n = np.array([50, 60, 70, 80, 90, 100, 20])
    k = np.array([0, 0, 0, 1, 30, 0, 0])
    found = stats.funnel_limits(n, k.sum() / n.sum(), numerator=k)
    assert found["tau2"].iloc[0] > 0
    assert (found["lower_998"] == 0).all() and (found["lower_95"] == 0).all()
    high = stats.funnel_limits(n, 1 - k.sum() / n.sum(), numerator=n - k)
    assert (high["upper_998"] == 1).all()
