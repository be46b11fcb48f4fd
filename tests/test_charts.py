"""Tests of vawgstats.charts: what each chart draws, from the numbers it is given."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vawgstats import charts, stats
from vawgstats.geography import BOROUGHS


def _lines(ax) -> dict[str, np.ndarray]:
    return {line.get_label(): np.asarray(line.get_ydata(), dtype=float) for line in ax.get_lines()}


def test_xmr_chart_draws_the_spc_limits_and_marks_signals():
    months = [str(m) for m in pd.period_range("2024-01", "2025-12", freq="M")]
    values = [100.0] * 23 + [400.0]   # the last month is far outside the limits
    figure, signals = charts.xmr_chart(months, values, title="t", ylabel="Crimes")
    expected = stats.spc_signals(np.asarray(values))
    pd.testing.assert_frame_equal(signals, expected)
    ax = figure.axes[0]
    lines = _lines(ax)
    assert lines["Mean"] == pytest.approx(expected["centre"].to_numpy())
    assert lines["Control limits"] == pytest.approx(expected["ucl"].to_numpy())
    assert bool(signals["signal"].iloc[-1])
    flagged = ax.collections[0].get_offsets()
    assert list(flagged[:, 0]) == list(np.flatnonzero(signals["signal"].to_numpy()))


def test_funnel_plot_scales_rates_and_limits():
    table = pd.DataFrame({"unit": ["A", "B"], "denominator": [1000.0, 4000.0], "rate": [0.05, 0.03],
                          "london_rate": [0.04, 0.04]})
    per_1000 = charts.funnel_plot(table, highlight="A", title="t", xlabel="x", ylabel="Rate", scale=1000,
                                  unit="per 1,000")
    ax = per_1000.axes[0]
    assert ax.get_ylabel() == "Rate (per 1,000)"
    london = [line for line in ax.get_lines() if line.get_label() == "London"][0]
    assert np.asarray(london.get_ydata(), dtype=float) == pytest.approx(40.0)
    percent = charts.funnel_plot(table, highlight="A", title="t", xlabel="x", ylabel="Rate")
    assert percent.axes[0].get_ylabel() == "Rate (%)"


def test_borough_map_shades_the_annualised_rate():
    rates = pd.DataFrame({"borough": list(BOROUGHS), "rate_per_1000": np.linspace(1, 32, 32) / 2,
                          "per_year_per_1000": np.linspace(1, 32, 32)})
    figure = charts.borough_map(rates, highlight=["Enfield"], title="t", label="Offences per 1,000")
    colourbar = figure.axes[-1]
    assert colourbar.get_ylabel() == "Offences per 1,000"
    assert colourbar.get_ylim() == pytest.approx((1.0, 32.0))


def test_png_output_is_deterministic():
    def draw():
        months = [str(m) for m in pd.period_range("2025-01", "2025-12", freq="M")]
        return charts.png_bytes(charts.xmr_chart(months, list(range(12)), title="t", ylabel="y")[0])

    first, second = draw(), draw()
    assert first[:8] == b"\x89PNG\r\n\x1a\n" and first == second
