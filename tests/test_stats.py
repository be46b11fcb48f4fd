"""Tests of vawgstats.stats against published values and hand-worked examples."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from vawgstats import stats


# --------------------------------------------------------------------------- Wilson


@pytest.mark.parametrize("k, n, low, high", [
    (8, 10, 0.4902, 0.9433),      # e.g. Brown, Cai & DasGupta (2001) style tables; epitools
    (0, 10, 0.0, 0.2775),
    (81, 263, 0.2553, 0.3662),    # Newcombe (1998), Statistics in Medicine 17:857, table I
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0, 0.1611),
    (1, 29, 0.0061, 0.1718),
])
def test_wilson_matches_published_values(k, n, low, high):
    got_low, got_high = stats.wilson_interval(k, n)
    assert isinstance(got_low, float)
    assert got_low == pytest.approx(low, abs=5e-5)
    assert got_high == pytest.approx(high, abs=5e-5)


def test_wilson_is_vectorised_and_nan_for_zero_denominator():
    low, high = stats.wilson_interval(np.array([8, 0, 3]), np.array([10, 0, 2]))
    assert low[0] == pytest.approx(0.4902, abs=5e-5) and high[0] == pytest.approx(0.9433, abs=5e-5)
    assert np.isnan(low[1]) and np.isnan(high[1])          # 0/0: nothing to estimate
    assert np.isnan(low[2]) and np.isnan(high[2])          # 3/2 is not a proportion
    assert all(math.isnan(x) for x in stats.wilson_interval(0, 0))


def test_wilson_confidence_level_widens_interval():
    low95, high95 = stats.wilson_interval(30, 100)
    low99, high99 = stats.wilson_interval(30, 100, confidence=0.99)
    assert low99 < low95 < 0.3 < high95 < high99


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 5000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_contains_the_proportion(pair):
    k, n = pair
    low, high = stats.wilson_interval(k, n)
    if n == 0:
        assert math.isnan(low) and math.isnan(high)
    else:
        assert 0 <= low <= k / n <= high <= 1


# --------------------------------------------------------------------------- Poisson


@pytest.mark.parametrize("count, low, high", [
    (0, 0.0, 3.689),     # Garwood (1936) exact limits, as tabulated e.g. by Ulm (1990)
    (1, 0.0253, 5.572),
    (10, 4.795, 18.39),
    (12, 6.201, 20.96),
])
def test_poisson_interval_matches_tables(count, low, high):
    got_low, got_high = stats.poisson_interval(count)
    assert got_low == pytest.approx(low, abs=1e-3)
    assert got_high == pytest.approx(high, rel=1e-3)


def test_poisson_rate_interval_divides_by_exposure():
    low, high = stats.poisson_rate_interval(np.array([10, 3]), np.array([1000, 0]))
    assert low[0] == pytest.approx(0.004795, rel=1e-3)
    assert high[0] == pytest.approx(0.01839, rel=1e-3)
    assert np.isnan(low[1]) and np.isnan(high[1])
    scalar_low, scalar_high = stats.poisson_rate_interval(10, 1000)
    assert isinstance(scalar_low, float) and scalar_low < 0.01 < scalar_high


# --------------------------------------------------------------------------- comparisons


def test_compare_proportions_z_test_hand_worked():
    # 60/100 vs 40/100: pooled p = 0.5, se = sqrt(0.25 * 2/100) = 0.0707, z = 2.828.
    result = stats.compare_proportions(60, 100, 40, 100)
    z = 0.2 / math.sqrt(0.25 * 0.02)
    assert result["test"] == stats.TEST_Z
    assert result["p_value"] == pytest.approx(2 * sps.norm.sf(z), rel=1e-9)
    assert result["p_value"] == pytest.approx(0.004678, abs=1e-5)
    assert result["flag"] == "significant increase"
    assert stats.compare_proportions(40, 100, 60, 100)["flag"] == "significant decrease"
    assert stats.compare_proportions(52, 100, 48, 100)["flag"] == "no significant change"


def test_compare_proportions_agrees_with_statsmodels_ztest():
    from statsmodels.stats.proportion import proportions_ztest

    for k1, n1, k2, n2 in [(30, 100, 20, 110), (50, 200, 70, 190), (400, 1000, 380, 900)]:
        expected = proportions_ztest(np.array([k1, k2]), np.array([n1, n2]))[1]
        assert stats.compare_proportions(k1, n1, k2, n2)["p_value"] == pytest.approx(expected, rel=1e-9)


def test_compare_proportions_uses_fisher_for_small_counts():
    # [[2, 3], [0, 4]]: P(table) = 10/36, the only as-or-less likely other table has 6/36.
    result = stats.compare_proportions(2, 5, 0, 4)
    assert result["test"] == stats.TEST_FISHER
    assert result["p_value"] == pytest.approx(16 / 36)
    assert result["flag"] == "no significant change"
    # Expected count exactly 5 in the smallest cell: the z-test is allowed.
    assert stats.compare_proportions(5, 10, 5, 10)["test"] == stats.TEST_Z
    assert stats.compare_proportions(4, 10, 5, 10)["test"] == stats.TEST_FISHER


def test_compare_proportions_zero_denominator_and_bad_input():
    result = stats.compare_proportions(0, 0, 3, 10)
    assert math.isnan(result["p_value"]) and result["flag"] == "not comparable" and result["test"] == ""
    with pytest.raises(ValueError):
        stats.compare_proportions(11, 10, 3, 10)


def test_compare_proportions_vectorised_equals_scalar():
    k1, n1 = np.array([60, 2, 0, 30]), np.array([100, 5, 0, 100])
    k2, n2 = np.array([40, 0, 1, 20]), np.array([100, 4, 3, 110])
    many = stats.compare_proportions(k1, n1, k2, n2)
    for i in range(4):
        one = stats.compare_proportions(int(k1[i]), int(n1[i]), int(k2[i]), int(n2[i]))
        assert one["test"] == many["test"][i] and one["flag"] == many["flag"][i]
        assert one["p_value"] == pytest.approx(many["p_value"][i], nan_ok=True)


def test_compare_counts_matches_binomtest():
    for c1, c2 in [(30, 12), (12, 30), (5, 5), (0, 4), (100, 130), (1, 0)]:
        expected = sps.binomtest(c1, c1 + c2, 0.5).pvalue
        assert stats.compare_counts(c1, c2)["p_value"] == pytest.approx(expected, rel=1e-9)
    assert stats.compare_counts(30, 12)["flag"] == "significant increase"
    assert stats.compare_counts(12, 30)["flag"] == "significant decrease"
    assert stats.compare_counts(5, 5)["flag"] == "no significant change"
    assert stats.compare_counts(0, 0)["flag"] == "not comparable"
    # Unequal exposures: the rate, not the count, is compared.
    unequal = stats.compare_counts(20, 10, exposure1=2.0, exposure2=1.0)
    assert unequal["p_value"] == pytest.approx(sps.binomtest(20, 30, 2 / 3).pvalue)
    assert unequal["flag"] == "no significant change"


# --------------------------------------------------------------------------- funnel limits


def test_funnel_limits_shape_and_order():
    limits = stats.funnel_limits([20, 100, 1000, 10000, 0], 0.1)
    assert list(limits.columns) == ["denominator", "target_rate", "lower_95", "upper_95", "lower_998", "upper_998",
                                    "phi", "tau2", "overdispersed"]
    assert (limits["tau2"] == 0).all() and not limits["overdispersed"].any()   # no numerators: nothing to estimate
    ok = limits.iloc[:4]
    assert (ok["lower_998"] <= ok["lower_95"]).all() and (ok["lower_95"] <= 0.1).all()
    assert (ok["upper_95"] >= 0.1).all() and (ok["upper_998"] >= ok["upper_95"]).all()
    assert ok["upper_95"].is_monotonic_decreasing and ok["lower_95"].is_monotonic_increasing
    assert limits.iloc[4, 2:6].isna().all()


def test_funnel_limits_are_interpolated_binomial_quantiles():
    n, target = 250, 0.2
    limits = stats.funnel_limits([n], target).iloc[0]
    for column, p in [("lower_95", 0.025), ("upper_95", 0.975), ("lower_998", 0.001), ("upper_998", 0.999)]:
        r = sps.binom.ppf(p, n, target)  # the limit lies on the step to r: between (r - 1)/n and r/n
        assert (r - 1) / n <= limits[column] <= r / n
    # Close to the normal approximation for a large denominator.
    big = stats.funnel_limits([100_000], 0.2).iloc[0]
    half_width = 1.959964 * math.sqrt(0.2 * 0.8 / 100_000)
    assert big["upper_95"] == pytest.approx(0.2 + half_width, abs=2e-4)
    assert big["lower_95"] == pytest.approx(0.2 - half_width, abs=2e-4)


def test_funnel_limits_accept_a_target_per_unit():
    limits = stats.funnel_limits([100, 100], [0.1, 0.5])
    single = stats.funnel_limits([100], 0.5)
    assert limits["upper_95"].iloc[1] == pytest.approx(single["upper_95"].iloc[0])
    assert limits["upper_95"].iloc[0] < limits["upper_95"].iloc[1]


# --------------------------------------------------------------------------- XmR and SPC rules


def test_xmr_limits_hand_worked():
    limits = stats.xmr_limits([1, 2, 3, 4, 5])
    assert limits["centre"] == 3 and limits["mean_moving_range"] == 1
    assert limits["ucl"] == pytest.approx(5.66) and limits["lcl"] == pytest.approx(0.34)
    assert math.isnan(stats.xmr_limits([4.0])["ucl"])


def test_spc_point_outside_limits():
    values = [10, 11] * 10 + [30] + [10, 11] * 5
    signals = stats.spc_signals(values)
    assert signals["ucl"].iloc[0] < 30
    assert signals.index[signals["outside_limits"]].tolist() == [20]
    assert signals["signal"].iloc[20]


def test_spc_run_of_seven_flags_the_whole_run_but_six_is_not_enough():
    before, after = [1, -1] * 6, [-1, 1] * 6       # alternate around the mean
    signals = stats.spc_signals(before + [1, 2, 1, 2, 1, 2, 1] + after)
    assert signals.index[signals["run"]].tolist() == list(range(12, 19))
    assert not stats.spc_signals(before + [1, 2, 1, 2, 1, 2] + after)["run"].any()


def test_spc_trend_of_six_points():
    signals = stats.spc_signals([5, 3, 5, 3, 1, 2, 3, 4, 5, 6, 3, 5, 3, 5])
    assert signals.index[signals["trend"]].tolist() == [4, 5, 6, 7, 8, 9]
    assert not stats.spc_signals([5, 3, 5, 3, 1, 2, 3, 4, 5, 3, 5, 3, 5])["trend"].any()
    falling = stats.spc_signals([1, 3, 1, 3, 9, 8, 7, 6, 5, 4, 3, 1, 3])
    assert falling.index[falling["trend"]].tolist() == [4, 5, 6, 7, 8, 9, 10, 11]  # 9 down to 1


def test_spc_two_of_three_beyond_two_sigma():
    values = [0, 1] * 8 + [2.6, 0.5, 2.6] + [1, 0] * 8
    limits = stats.xmr_limits(values)
    two_sigma = limits["centre"] + (limits["ucl"] - limits["centre"]) * 2 / 3
    assert two_sigma < 2.6 < limits["ucl"]               # near, not beyond, the limit
    signals = stats.spc_signals(values)
    assert signals.index[signals["two_of_three"]].tolist() == [16, 18]
    assert not signals["outside_limits"].any()
    # Two such points four apart are not 2 of 3 consecutive.
    assert not stats.spc_signals([0, 1] * 8 + [2.6, 0.5, 0.5, 2.6] + [1, 0] * 8)["two_of_three"].any()


def test_spc_signal_columns_and_quiet_series():
    signals = stats.spc_signals(np.array([1.0, -1.0] * 10))
    assert list(signals.columns) == ["value", "centre", "ucl", "lcl", "outside_limits", "run", "trend",
                                     "two_of_three", "signal"]
    assert not signals["signal"].any()


def test_spc_missing_values_are_left_out_of_limits_and_rules():
    steady = [100.0, 104, 98, 101, 99, 103, 97, 102, 100, 101, 99, 98]
    with_gap = steady[:6] + [np.nan] + steady[6:]
    gap = stats.spc_signals(with_gap)
    plain = stats.spc_signals(steady)
    assert gap["ucl"].iloc[0] == pytest.approx(plain["ucl"].iloc[0])      # as if the month were absent
    assert not gap["signal"].iloc[6] and np.isnan(gap["value"].iloc[6])
    assert not gap["signal"].any()
    # a 0 in its place would be a signal: the gap is what keeps it out
    assert stats.spc_signals(steady[:6] + [0.0] + steady[6:])["signal"].iloc[6]
    # a run of 7 above the mean continues across a missing month
    run = [1.0, 1, 1, 1, 1, 5, 5, 5, np.nan, 5, 5, 5, 5, 1, 1]
    assert stats.spc_signals(run)["run"].iloc[[5, 6, 7, 9, 10, 11, 12]].all()
