"""Statistics used by the metrics: intervals, tests, funnel limits and SPC charts.

Pure functions on numbers, arrays and Series; nothing here knows about crimes.

- :func:`wilson_interval`: Wilson score interval for a proportion (statsmodels).
- :func:`poisson_rate_interval`: exact (Garwood) interval for a count or rate.
- :func:`compare_proportions`: two-proportion z-test, or Fisher's exact test
  when an expected cell count is below 5, with a plain-English flag.
- :func:`compare_counts`: exact conditional (binomial) test of two Poisson counts.
- :func:`funnel_limits`: exact binomial funnel-plot control limits (Spiegelhalter 2005),
  widened for over-dispersion (:func:`estimate_overdispersion`) when areas spread more than chance allows.
- :func:`xmr_limits` and :func:`spc_signals`: XmR (individuals) chart and the
  NHS "Making Data Count" special-cause rules.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# scipy and statsmodels are imported inside the functions that use them: the report
# notebooks need only the SPC functions, and these imports take about a second.

#: Significance level of :func:`compare_proportions` and :func:`compare_counts`.
ALPHA = 0.05
#: Smallest expected cell count for the z-test; below it Fisher's exact test is used.
MIN_EXPECTED = 5

FLAG_INCREASE = "significant increase"
FLAG_DECREASE = "significant decrease"
FLAG_NO_CHANGE = "no significant change"
FLAG_NOT_COMPARABLE = "not comparable"

TEST_Z = "two-proportion z-test"
TEST_FISHER = "Fisher's exact test"
TEST_POISSON = "exact conditional binomial test of two Poisson counts"

#: XmR constant: limits are the mean +/- 2.66 x the mean moving range (3 / d2, d2 = 1.128).
XMR_CONSTANT = 2.66
#: Run rule: this many consecutive points on the same side of the mean.
RUN_LENGTH = 7
#: Trend rule: this many consecutive points, each higher (or each lower) than the one before.
TREND_LENGTH = 6


def _is_scalar(*values: object) -> bool:
    return all(np.ndim(v) == 0 for v in values)


def _unwrap(value: np.ndarray, scalar: bool) -> object:
    return float(value[0]) if scalar else value


# --------------------------------------------------------------------------- intervals


def wilson_interval(numerator, denominator, confidence: float = 0.95):
    """Wilson score interval for ``numerator / denominator``; returns ``(low, high)``.

    Vectorised over arrays (and Series); floats for scalar input.  Computed by
    statsmodels' ``proportion_confint(method="wilson")``.  NaN where the
    denominator is 0 (or missing) and where the numerator is negative or
    exceeds the denominator (no proportion to estimate).
    """
    scalar = _is_scalar(numerator, denominator)
    k = np.atleast_1d(np.asarray(numerator, dtype=float))
    n = np.atleast_1d(np.asarray(denominator, dtype=float))
    k, n = np.broadcast_arrays(k, n)
    valid = (n > 0) & (k >= 0) & (k <= n) & np.isfinite(k) & np.isfinite(n)
    low = np.full(k.shape, np.nan)
    high = np.full(k.shape, np.nan)
    if valid.any():
        from statsmodels.stats.proportion import proportion_confint

        lo, hi = proportion_confint(k[valid], n[valid], alpha=1 - confidence, method="wilson")
        p_hat = k[valid] / n[valid]
        # The interval contains the estimate (and reaches 0 or 1 at k = 0 or n); enforce it
        # against rounding, e.g. an upper limit of 0.9999999999999999 for k = n.
        low[valid] = np.clip(np.where(k[valid] == 0, 0.0, np.minimum(lo, p_hat)), 0.0, 1.0)
        high[valid] = np.clip(np.where(k[valid] == n[valid], 1.0, np.maximum(hi, p_hat)), 0.0, 1.0)
    return _unwrap(low, scalar), _unwrap(high, scalar)


def poisson_interval(count, confidence: float = 0.95):
    """Exact (Garwood 1936) interval for a Poisson mean given an observed ``count``.

    ``low = chi2(alpha/2; 2k) / 2`` (0 when k = 0) and
    ``high = chi2(1 - alpha/2; 2k + 2) / 2``.  Vectorised; NaN for a negative count.
    """
    scalar = _is_scalar(count)
    k = np.atleast_1d(np.asarray(count, dtype=float))
    alpha = 1 - confidence
    from scipy import stats as sps

    with np.errstate(invalid="ignore"):
        low = np.where(k > 0, sps.chi2.ppf(alpha / 2, 2 * np.maximum(k, 1)) / 2, 0.0)
        high = sps.chi2.ppf(1 - alpha / 2, 2 * k + 2) / 2
    bad = ~(k >= 0)
    low = np.where(bad, np.nan, low)
    high = np.where(bad, np.nan, high)
    return _unwrap(low, scalar), _unwrap(high, scalar)


def poisson_rate_interval(count, exposure, confidence: float = 0.95):
    """Exact (Garwood) interval for the rate ``count / exposure``; returns ``(low, high)``.

    ``exposure`` is the population (or person-time) the count relates to; multiply
    the result by 1,000 for a rate per 1,000.  Vectorised; NaN where exposure <= 0.
    """
    scalar = _is_scalar(count, exposure)
    low, high = poisson_interval(np.atleast_1d(count), confidence)
    e = np.atleast_1d(np.asarray(exposure, dtype=float))
    with np.errstate(divide="ignore", invalid="ignore"):
        low = np.where(e > 0, low / np.where(e > 0, e, 1.0), np.nan)
        high = np.where(e > 0, high / np.where(e > 0, e, 1.0), np.nan)
    return _unwrap(low, scalar), _unwrap(high, scalar)


# --------------------------------------------------------------------------- tests


def _flags(p_value: np.ndarray, current: np.ndarray, comparison: np.ndarray) -> np.ndarray:
    significant = p_value < ALPHA
    return np.select(
        [np.isnan(p_value), significant & (current > comparison), significant & (current < comparison)],
        [FLAG_NOT_COMPARABLE, FLAG_INCREASE, FLAG_DECREASE], default=FLAG_NO_CHANGE).astype(object)


def _result(p_value: np.ndarray, test: np.ndarray, flag: np.ndarray, scalar: bool) -> dict:
    if scalar:
        return {"p_value": float(p_value[0]), "test": str(test[0]), "flag": str(flag[0])}
    return {"p_value": p_value, "test": test, "flag": flag}


def compare_proportions(k1, n1, k2, n2) -> dict:
    """Compare the current proportion ``k1/n1`` with the previous one ``k2/n2``.

    Two-sided test at :data:`ALPHA` = 0.05: the pooled two-proportion z-test
    when every expected cell count of the 2x2 table is at least 5, otherwise
    Fisher's exact test (scipy ``fisher_exact``).  The z-test is statsmodels'
    ``test_proportions_2indep(method="score", correction=False)``, which is the
    pooled z-test of ``proportions_ztest``, vectorised.  Returns ``{"p_value",
    "test", "flag"}``; ``flag`` is "significant increase" (current higher),
    "significant decrease" or "no significant change".  Where a denominator
    is 0 the p-value is NaN, ``test`` is empty and the flag is "not comparable".

    Scalars in, scalars out; arrays in (same shape), arrays out.  A numerator
    outside 0..denominator is a ValueError.
    """
    from scipy import stats as sps
    from statsmodels.stats.proportion import test_proportions_2indep

    scalar = _is_scalar(k1, n1, k2, n2)
    k1, n1, k2, n2 = (np.atleast_1d(np.asarray(x, dtype=np.int64)) for x in (k1, n1, k2, n2))
    k1, n1, k2, n2 = np.broadcast_arrays(k1, n1, k2, n2)
    comparable = (n1 > 0) & (n2 > 0)
    if ((k1 < 0) | (k2 < 0) | (comparable & ((k1 > n1) | (k2 > n2)))).any():
        raise ValueError("numerators must lie between 0 and their denominators")
    p_value = np.full(k1.shape, np.nan)
    test = np.full(k1.shape, "", dtype=object)
    total = (n1 + n2).astype(float)
    successes, failures = (k1 + k2).astype(float), (n1 - k1 + n2 - k2).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        smallest = np.minimum(n1, n2) * np.minimum(successes, failures) / total  # smallest expected cell
    z_test = comparable & (smallest >= MIN_EXPECTED)
    if z_test.any():
        result = test_proportions_2indep(k1[z_test], n1[z_test], k2[z_test], n2[z_test],
                                         method="score", correction=False)
        p_value[z_test] = np.atleast_1d(result.pvalue)
        test[z_test] = TEST_Z
    for i in np.flatnonzero(comparable & ~z_test):
        table = [[k1[i], n1[i] - k1[i]], [k2[i], n2[i] - k2[i]]]
        p_value[i] = sps.fisher_exact(table, alternative="two-sided").pvalue
        test[i] = TEST_FISHER
    p_value = np.minimum(p_value, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        flag = _flags(p_value, k1 / n1, k2 / n2)
    return _result(p_value, test, flag, scalar)


def compare_counts(c1, c2, exposure1: float = 1.0, exposure2: float = 1.0) -> dict:
    """Compare two Poisson counts: current ``c1`` against previous ``c2``.

    Exact conditional test: given ``c1 + c2``, ``c1`` is binomial with
    probability ``exposure1 / (exposure1 + exposure2)`` when the rate has not
    changed; two-sided p-value as scipy's ``binomtest``.  With equal
    exposures (the usual case: periods of the same length) the distribution is
    symmetric and the p-value is twice the smaller tail, computed vectorised
    with ``scipy.stats.binom``.  Same result shape and flags as
    :func:`compare_proportions`; "not comparable" when both counts are 0.
    """
    from scipy import stats as sps

    scalar = _is_scalar(c1, c2)
    c1, c2 = np.broadcast_arrays(np.atleast_1d(np.asarray(c1, dtype=np.int64)),
                                 np.atleast_1d(np.asarray(c2, dtype=np.int64)))
    if (c1 < 0).any() or (c2 < 0).any():
        raise ValueError("counts must not be negative")
    n = c1 + c2
    comparable = (n > 0) & (exposure1 > 0) & (exposure2 > 0)
    p_value = np.full(c1.shape, np.nan)
    share = exposure1 / (exposure1 + exposure2) if exposure1 > 0 and exposure2 > 0 else np.nan
    if share == 0.5:
        tails = np.minimum(sps.binom.cdf(c1, n, 0.5), sps.binom.sf(c1 - 1, n, 0.5))
        p_value[comparable] = np.minimum(1.0, 2 * tails[comparable])
    else:
        for i in np.flatnonzero(comparable):
            p_value[i] = sps.binomtest(int(c1[i]), int(n[i]), share).pvalue
    test = np.where(comparable, TEST_POISSON, "").astype(object)
    flag = _flags(p_value, c1 / exposure1, c2 / exposure2)
    return _result(p_value, test, flag, scalar)


# --------------------------------------------------------------------------- funnel plots


#: Funnel limits: column -> the binomial probability of the limit.
FUNNEL_PROBABILITIES = {"lower_95": 0.025, "upper_95": 0.975, "lower_998": 0.001, "upper_998": 0.999}


def _binomial_limits(n: np.ndarray, target: np.ndarray, p: np.ndarray) -> np.ndarray:
    # Exact binomial quantile with Spiegelhalter's interpolation between the
    # discrete steps: r = smallest count with F(r) >= p, then
    # alpha = (F(r) - p) / (F(r) - F(r - 1)) and limit = (r - alpha) / n.
    # Broadcasts: n and target are (units,), p is (limits, 1).
    from scipy import stats as sps

    r = sps.binom.ppf(p, n, target)
    above = sps.binom.cdf(r, n, target)
    step = sps.binom.pmf(r, n, target)
    alpha = np.divide(above - p, step, out=np.zeros(np.broadcast(r, step).shape), where=step > 0)
    return np.clip((r - alpha) / n, 0.0, 1.0)


#: Funnel limits: column -> the two-sided normal quantile of the limit (over-dispersed limits).
FUNNEL_Z = {"lower_95": -1.959964, "upper_95": 1.959964, "lower_998": -3.090232, "upper_998": 3.090232}
OVERDISPERSION = ("auto", "none")
FUNNEL_KINDS = ("proportion", "rate")


def _transform(values: np.ndarray, kind: str) -> np.ndarray:
    return np.arcsin(np.sqrt(values)) if kind == "proportion" else np.sqrt(values)


def estimate_overdispersion(numerator, denominator, target_rate, kind: str = "proportion") -> dict:
    """Spiegelhalter's (2005) over-dispersion estimate of a set of units around a target.

    Proportions (``kind="proportion"``): on the arcsine square-root scale,
    ``x_i = asin(sqrt(p_i))``, ``x_0 = asin(sqrt(theta))``, ``s_i = 1 /
    (2 sqrt(n_i))``; rates per population (``kind="rate"``, ``p_i`` = count /
    population): ``x_i = sqrt(p_i)``, ``x_0 = sqrt(theta)``, same ``s_i``.
    ``z_i = (x_i - x_0) / s_i`` over the ``k`` units with a denominator above 0;
    winsorised with ``m = floor(0.1 k)``: the ``m`` smallest z-scores are
    replaced by the (m+1)-th smallest and the ``m`` largest by the (m+1)-th
    largest; ``phi = mean(z_w^2)``.  If ``k phi > k - 1``, ``tau2 = (k phi -
    (k - 1)) / (sum(w) - sum(w^2) / sum(w))`` with ``w_i = 1 / s_i^2``, else
    ``tau2 = 0`` (also 0 when the divisor is 0, e.g. one unit).  Returns
    ``{"k", "phi", "tau2"}`` (``phi`` NaN when ``k`` = 0).
    """
    if kind not in FUNNEL_KINDS:
        raise ValueError(f"kind must be one of {FUNNEL_KINDS}, not {kind!r}")
    k_obs = np.atleast_1d(np.asarray(numerator, dtype=float))
    n = np.atleast_1d(np.asarray(denominator, dtype=float))
    k_obs, n = np.broadcast_arrays(k_obs, n)
    target = np.broadcast_to(np.asarray(target_rate, dtype=float), n.shape)
    ok = (n > 0) & np.isfinite(n) & np.isfinite(k_obs) & np.isfinite(target) & (k_obs >= 0)
    if kind == "proportion":
        ok &= (k_obs <= n) & (target >= 0) & (target <= 1)
    else:
        ok &= target >= 0
    k = int(ok.sum())
    if k == 0:
        return {"k": 0, "phi": float("nan"), "tau2": 0.0}
    s = 1 / (2 * np.sqrt(n[ok]))
    z = (_transform(k_obs[ok] / n[ok], kind) - _transform(target[ok], kind)) / s
    m = int(np.floor(0.1 * k))
    ordered = np.sort(z)
    z_w = np.clip(z, ordered[m], ordered[k - 1 - m])
    phi = float(np.mean(z_w ** 2))
    tau2 = 0.0
    w = 1 / s ** 2
    divisor = w.sum() - (w ** 2).sum() / w.sum()
    if k * phi > k - 1 and divisor > 0:
        tau2 = float((k * phi - (k - 1)) / divisor)
    return {"k": k, "phi": phi, "tau2": tau2}


def funnel_limits(denominator, target_rate, numerator=None, *, overdispersion: str = "auto",
                  kind: str = "proportion", tau2: float | None = None) -> pd.DataFrame:
    """Funnel-plot control limits around ``target_rate`` for each denominator.

    Method: exact binomial limits with interpolation, as in Spiegelhalter (2005),
    "Funnel plots for comparing institutional performance", *Statistics in
    Medicine* 24:1185-1202 (and the Public Health England funnel-plot tool).
    For a limit at probability ``p`` the binomial ``p``-quantile ``r`` is found and
    interpolated between the discrete steps, ``(r - alpha) / n`` with
    ``alpha = (F(r) - p) / (F(r) - F(r - 1))``.  The 95% limits use p = 0.025 and
    0.975, the 99.8% limits p = 0.001 and 0.999.

    Over-dispersion (Spiegelhalter 2005, "Handling over-dispersion of
    performance indicators", *Quality and Safety in Health Care* 14:347-351):
    with ``overdispersion="auto"`` (default) and the units' numerators
    given, ``phi`` and ``tau2`` are estimated by :func:`estimate_overdispersion`; when
    ``tau2`` > 0 the limits are ``x_0 +/- z sqrt(s_i^2 + tau2)`` on the
    transformed scale (z = 1.959964 for 95%, 3.090232 for 99.8%), clipped to
    ``[0, pi/2]`` (proportions) or below at 0 (rates) and back-transformed
    (``sin(x)^2``, or ``x^2``).  With ``tau2`` = 0, ``overdispersion="none"`` or
    no numerators, the exact binomial limits above.  ``tau2`` may be given
    directly (e.g. to draw the funnel's curves on a grid of denominators).  ``phi`` is
    reported whenever numerators are given, also with ``overdispersion="none"`` (then
    ``tau2`` is 0 and the limits are the exact binomial ones).
    ``kind="rate"``: the target and rates are per head of population (the
    denominator), with the square-root transform.

    ``target_rate`` is one value or one per denominator.  Returns a DataFrame
    with ``denominator``, ``target_rate``, ``lower_95``, ``upper_95``,
    ``lower_998``, ``upper_998`` (proportions, or rates per head), ``phi``,
    ``tau2`` and ``overdispersed`` (``tau2`` > 0); NaN limits where the
    denominator is 0 or the target is missing.
    """
    if overdispersion not in OVERDISPERSION:
        raise ValueError(f"overdispersion must be 'auto' or 'none', not {overdispersion!r}")
    if kind not in FUNNEL_KINDS:
        raise ValueError(f"kind must be one of {FUNNEL_KINDS}, not {kind!r}")
    n = np.atleast_1d(np.asarray(denominator, dtype=float))
    target = np.broadcast_to(np.asarray(target_rate, dtype=float), n.shape)
    out = pd.DataFrame({"denominator": n, "target_rate": target})
    ok = (n > 0) & np.isfinite(n) & np.isfinite(target) & (target >= 0)
    if kind == "proportion":
        ok &= target <= 1
    phi = float("nan")
    if tau2 is None:
        tau2 = 0.0
        if numerator is not None:   # phi is reported either way; tau2 widens the limits only with "auto"
            estimate = estimate_overdispersion(numerator, n, target, kind)
            phi = estimate["phi"]
            tau2 = estimate["tau2"] if overdispersion == "auto" else 0.0
    elif overdispersion == "none":
        tau2 = 0.0
    limits = np.full((len(FUNNEL_PROBABILITIES), len(n)), np.nan)
    if ok.any() and tau2 > 0:
        s2 = 1 / (4 * n[ok])
        x0 = _transform(target[ok], kind)
        z = np.array(list(FUNNEL_Z.values()))[:, None]
        x = x0 + z * np.sqrt(s2 + tau2)
        if kind == "proportion":
            limits[:, ok] = np.sin(np.clip(x, 0.0, np.pi / 2)) ** 2
        else:
            limits[:, ok] = np.clip(x, 0.0, None) ** 2
    elif ok.any():
        p = np.array(list(FUNNEL_PROBABILITIES.values()))[:, None]
        limits[:, ok] = _binomial_limits(n[ok], target[ok], p)
    for name, values in zip(FUNNEL_PROBABILITIES, limits):
        out[name] = values
    out["phi"] = phi
    out["tau2"] = float(tau2)
    out["overdispersed"] = bool(tau2 > 0)
    return out


# --------------------------------------------------------------------------- SPC (XmR)


def xmr_limits(values) -> dict:
    """XmR (individuals) chart limits of a series of values.

    ``centre`` is the mean, ``mean_moving_range`` the mean absolute difference of
    consecutive values, and ``ucl`` / ``lcl`` are ``centre +/- 2.66 x
    mean_moving_range``.  Missing values are ignored (the moving range joins the
    values either side).  Limits are NaN with fewer than two values.
    """
    x = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce"), dtype=float)
    x = x[np.isfinite(x)]
    centre = float(x.mean()) if len(x) else float("nan")
    mr = float(np.abs(np.diff(x)).mean()) if len(x) >= 2 else float("nan")
    return {"centre": centre, "mean_moving_range": mr,
            "ucl": centre + XMR_CONSTANT * mr, "lcl": centre - XMR_CONSTANT * mr}


def _runs(condition: np.ndarray, length: int) -> np.ndarray:
    """Flag every element of each run of ``length`` or more consecutive True values."""
    flags = np.zeros(len(condition), dtype=bool)
    start = None
    for i, value in enumerate(np.append(condition, False)):
        if value and start is None:
            start = i
        elif not value and start is not None:
            if i - start >= length:
                flags[start:i] = True
            start = None
    return flags


def spc_signals(values) -> pd.DataFrame:
    """Special-cause signals of an XmR chart, by the NHS "Making Data Count" rules.

    Columns: ``value``, ``centre``, ``ucl``, ``lcl`` and one boolean per rule:

    - ``outside_limits``: the point is above the UCL or below the LCL;
    - ``run``: part of a run of 7 or more consecutive points all above or all
      below the mean (Making Data Count's "shift"; the whole run is flagged, and
      a point on the mean breaks a run);
    - ``trend``: part of a run of 6 or more consecutive points each higher
      than the one before (or each lower); the whole run is flagged, an equal
      value breaks it;
    - ``two_of_three``: 2 of 3 consecutive points beyond 2 sigma (two thirds of
      the way to a limit) on the same side of the mean; the points beyond 2
      sigma in such a window are flagged;

    and ``signal`` (any rule).  Missing values (NaN, e.g. gap months in the data,
    :mod:`vawgstats.coverage`) are left out: the limits and every rule use the
    remaining points in order (a run or trend continues across a missing point)
    and a missing point gets no flag.  Keeps the index of ``values`` if it is a
    Series.
    """
    series = pd.Series(values)
    every = np.asarray(pd.to_numeric(series, errors="coerce"), dtype=float)
    present = np.isfinite(every)
    x = every[present]
    limits = xmr_limits(x)
    centre, ucl, lcl = limits["centre"], limits["ucl"], limits["lcl"]
    finite = np.isfinite(x)
    with np.errstate(invalid="ignore"):
        outside = finite & ((x > ucl) | (x < lcl))
        above, below = finite & (x > centre), finite & (x < centre)
        run = _runs(above, RUN_LENGTH) | _runs(below, RUN_LENGTH)

        step = np.diff(x)
        up = np.append(False, step > 0)  # point i is higher than point i-1
        down = np.append(False, step < 0)
        # A trend of k points is k-1 consecutive rises; also flag the run's first point.
        trend = np.zeros(len(x), dtype=bool)
        for moves in (up, down):
            steps = _runs(moves, TREND_LENGTH - 1)
            trend |= steps | np.append(steps[1:], False)

        two_sigma = (ucl - centre) * 2 / 3
        high, low = finite & (x > centre + two_sigma), finite & (x < centre - two_sigma)
        two_of_three = np.zeros(len(x), dtype=bool)
        for beyond in (high, low):
            for i in range(max(0, len(x) - 2)):
                window = beyond[i:i + 3]
                if window.sum() >= 2:
                    two_of_three[i:i + 3] |= window
    rules = {"outside_limits": outside, "run": run, "trend": trend, "two_of_three": two_of_three}
    for name, flags in rules.items():
        rules[name] = np.zeros(len(every), dtype=bool)
        rules[name][present] = flags
    out = pd.DataFrame({"value": every, "centre": centre, "ucl": ucl, "lcl": lcl, **rules}, index=series.index)
    out["signal"] = out[["outside_limits", "run", "trend", "two_of_three"]].any(axis=1)
    return out
