"""Verdicts against a known truth.

The synthetic generator knows its true trends (:func:`vawgstats.synthetic.truth`,
:func:`vawgstats.synthetic.true_change`): charge rates rise about 5% a year in
every BCU and volume about 3% a year.  A fair comparison must never flag a
significant change the opposite way.  The calibration tests simulate a world
with no change at all, many times, and check that the change test and the funnel
limits raise false alarms at about their nominal rates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vawgstats import metrics, stats, synthetic
from vawgstats.geography import BCU_CODES, BOROUGH_TO_BCU, BOROUGHS
from vawgstats.periods import as_period
from vawgstats.schema import BCU_DTYPE, BOROUGH_DTYPE, OFFENCE_GROUP_DTYPE, OUTCOME_DTYPE, SEX_DTYPE

# conftest.synthetic_small: seed 7, April 2023 to March 2026, as at 14 April 2026.
GENERATED = {"start": "2023-04", "end": "2026-03"}
OPPOSITE = {"increase": "significant decrease", "decrease": "significant increase"}


def test_truth_table_describes_the_generator():
    table = synthetic.truth(seed=7, **GENERATED)
    assert list(table.columns) == ["bcu", "year", "volume_factor", "charge_factor"]
    assert len(table) == len(BCU_CODES) * 4                       # 2023..2026
    for _, rows in table.groupby("bcu"):
        ratios = rows["charge_factor"].to_numpy()[1:] / rows["charge_factor"].to_numpy()[:-1]
        assert np.allclose(ratios, synthetic.CHARGE_GROWTH)
        assert np.allclose(rows["volume_factor"].to_numpy()[1:] / rows["volume_factor"].to_numpy()[:-1],
                           synthetic.VOLUME_GROWTH)
    assert table["charge_factor"].nunique() > len(BCU_CODES)       # BCUs differ
    # 12 months against the 12 before: both rates and volume truly rise.
    period = as_period("2025-04", "2026-03")
    for measure in synthetic.TRUE_MEASURES:
        assert synthetic.true_change(measure, period, period.previous(), **GENERATED) == "increase"
    # Within one calendar year the charge factor does not move; winter has fewer crimes than summer.
    winter, summer = as_period("2025-11", "2025-12"), as_period("2025-07", "2025-08")
    assert synthetic.true_change("charge_rate", winter, summer, **GENERATED) == "none"
    assert synthetic.true_change("volume", winter, summer, **GENERATED) == "decrease"
    with pytest.raises(ValueError):
        synthetic.true_change("repeat_victimisation_rate", winter, summer)


def _flags(frame, start, end, measure, against, maturity):
    by_bcu = metrics.compare_periods(frame, start=start, end=end, metric=measure, against=against,
                                     maturity=maturity)
    london = metrics.compare_periods(frame, start=start, end=end, metric=measure, against=against,
                                     maturity=maturity, by=())
    return {"London": london["flag"].iloc[0], **dict(zip(by_bcu["bcu"].astype(str), by_bcu["flag"]))}


@pytest.mark.parametrize("start,end", [("2025-04", "2026-03"), ("2026-01", "2026-03")])
def test_no_verdict_opposite_to_the_truth(synthetic_small, start, end):
    period = as_period(start, end)
    wrong, wrong_as_recorded = [], []
    for against in ("previous", "year_earlier"):
        comparison = period.previous() if against == "previous" else period.year_earlier()
        for measure in synthetic.TRUE_MEASURES:
            truth = synthetic.true_change(measure, period, comparison, **GENERATED)
            if truth == "none":
                continue
            for unit, flag in _flags(synthetic_small, start, end, measure, against, "matched").items():
                if flag == OPPOSITE[truth]:
                    wrong.append((against, measure, unit, flag))
            for unit, flag in _flags(synthetic_small, start, end, measure, against, "as_recorded").items():
                if flag == OPPOSITE[truth]:
                    wrong_as_recorded.append((against, measure, unit, flag))
    assert wrong == []
    # The test can fail: outcomes as recorded (immature in the current period) read as falls.
    assert any(unit == "London" for _, _, unit, _ in wrong_as_recorded)


# --------------------------------------------------------------------------- calibration: a world with no change


def _null_world(rng: np.random.Generator, crimes_per_bcu: int = 400, p_charge: float = 0.1) -> pd.DataFrame:
    """Two quarters (October-December 2025, January-March 2026) of in-scope crimes with the same
    charge probability in every BCU and month, charges a median 42 days after recording, as at
    14 April 2026 (later outcomes are not yet known).  Canonical columns and dtypes."""
    n = crimes_per_bcu * 2 * len(BCU_CODES)
    first, days = np.datetime64("2025-10-01"), 182                 # 1 October 2025 to 31 March 2026
    recorded = first + rng.integers(0, days, n).astype("timedelta64[D]")
    boroughs = np.array(BOROUGHS, dtype=object)[rng.integers(0, len(BOROUGHS), n)]
    charged = rng.random(n) < p_charge
    delay = np.floor(42 * rng.lognormal(0.0, 0.8, n)).astype("int64").astype("timedelta64[D]")
    outcome_date = recorded + delay
    known = charged & (outcome_date <= np.datetime64("2026-04-14"))
    return pd.DataFrame({
        "recorded_date": pd.to_datetime(recorded),
        "borough": pd.Categorical(boroughs, dtype=BOROUGH_DTYPE),
        "bcu": pd.Categorical([BOROUGH_TO_BCU[b] for b in boroughs], dtype=BCU_DTYPE),
        "offence_group": pd.Categorical(np.full(n, "harassment"), dtype=OFFENCE_GROUP_DTYPE),
        "domestic_abuse": np.zeros(n, dtype=bool),
        "victim_sex": pd.Categorical(np.full(n, "F"), dtype=SEX_DTYPE),
        "outcome_code": pd.Categorical(np.where(known, "1", None), dtype=OUTCOME_DTYPE),
        "outcome_date": pd.to_datetime(np.where(known, outcome_date, np.datetime64("NaT"))),
        "offence_date": pd.to_datetime(recorded),
    })


@pytest.mark.slow
def test_change_test_false_alarms_near_five_percent_in_a_world_without_change():
    rng = np.random.default_rng(20260414)
    london, bcus, as_recorded = [], [], []
    for _ in range(200):
        frame = _null_world(rng)
        matched = metrics.compare_periods(frame, start="2026-01", end="2026-03", as_of="2026-04-14")
        whole = metrics.compare_periods(frame, start="2026-01", end="2026-03", as_of="2026-04-14", by=())
        london.append(whole["flag"].iloc[0] != "no significant change")
        bcus.extend(matched["flag"] != "no significant change")
        if len(as_recorded) < 20:
            naive = metrics.compare_periods(frame, start="2026-01", end="2026-03", as_of="2026-04-14", by=(),
                                            maturity="as_recorded")
            as_recorded.append(naive["flag"].iloc[0] == "significant decrease")
    assert 0.02 <= np.mean(london) <= 0.09
    assert 0.03 <= np.mean(bcus) <= 0.07                 # 2,400 tests
    assert np.mean(as_recorded) > 0.9                    # immature outcomes read as a fall


@pytest.mark.slow
def test_funnel_limits_flag_about_0_2_percent_of_in_control_units():
    rng = np.random.default_rng(998)
    outside = outside_95 = total = 0
    for _ in range(2000):
        n = rng.integers(500, 20_000, 32)
        k = rng.binomial(n, 0.08)
        limits = stats.funnel_limits(n, 0.08, numerator=k)
        rate = k / n
        outside += int(((rate > limits["upper_998"]) | (rate < limits["lower_998"])).sum())
        outside_95 += int(((rate > limits["upper_95"]) | (rate < limits["lower_95"])).sum())
        total += len(n)
    assert 0.001 <= outside / total <= 0.0035            # 64,000 points; nominal 0.2%
    assert 0.035 <= outside_95 / total <= 0.06           # nominal 5%
