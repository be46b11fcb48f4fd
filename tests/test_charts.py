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


# --------------------------------------------------------------------------- the public edition's rule on charts

from vawgstats import tables  # noqa: E402
from vawgstats.suppression import chart_series  # noqa: E402


def _monthly(crimes, charged, start="2024-10"):
    months = [str(m) for m in pd.period_range(start, periods=len(crimes), freq="M")]
    frame = pd.DataFrame({"unit": "NA", "month": months, "crimes": crimes, "charged": charged})
    frame["rate"] = frame["charged"] / frame["crimes"]
    return frame


def test_public_series_leaves_small_months_as_gaps_and_says_so():
    frame = _monthly([40, 8, 35, 30, 33, 38, 41, 36], [12, 1, 11, 10, 12, 13, 15, 11])
    counts = chart_series(frame, value="crimes", edition="public")
    assert counts["crimes"].isna().tolist() == [False, True] + [False] * 6
    assert counts.attrs["note"] == "1 month with a count below 10 is left blank in the public edition."
    rates = chart_series(frame, value="rate", numerator="charged", denominator="crimes", edition="public")
    assert rates["rate"].isna().sum() == 1 and rates["charged"].isna().sum() == 1
    assert chart_series(frame, value="crimes", edition="restricted")["crimes"].tolist() == frame["crimes"].tolist()


def test_public_series_goes_quarterly_when_more_than_a_quarter_would_be_gaps():
    frame = _monthly([12] * 9, [3, 4, 5, 3, 9, 2, 6, 1, 1])     # every month's charges below 10
    rates = chart_series(frame, value="rate", numerator="charged", denominator="crimes", edition="public")
    assert rates["month"].tolist() == ["2024Q4", "2025Q1", "2025Q2"]
    assert rates["charged"].tolist()[:2] == [12.0, 14.0] and np.isnan(rates["rate"].iloc[2])
    assert rates["rate"].iloc[0] == pytest.approx(12 / 36)
    assert "Shown by quarter" in rates.attrs["note"] and "1 quarter still below 10" in rates.attrs["note"]
    figure, signals, plotted = charts.xmr_for_edition(frame, "rate", "public", numerator="charged",
                                                      denominator="crimes", percent=True, title="t", ylabel="r")
    alt = tables.xmr_alt_text(plotted, signals, "charge rate", "NA", percent=True)
    assert alt.startswith("Quarterly charge rate") and "Shown by quarter" in alt
    assert "Q1 25" in [t.get_text() for t in figure.axes[0].get_xticklabels()]


def test_alt_text_states_no_withheld_count_and_limits_stay_possible():
    rng = np.random.default_rng(4)
    crimes = rng.integers(10, 30, 18)
    crimes[[3, 11]] = [4, 9]
    frame = _monthly(list(crimes), [c // 2 for c in crimes])
    figure, signals, plotted = charts.xmr_for_edition(frame, "crimes", "public", title="t", ylabel="Crimes")
    alt = tables.xmr_alt_text(plotted, signals, "crimes", "NA", percent=False)
    assert "lowest 4" not in alt and "lowest 9" not in alt
    assert (signals["lcl"] >= 0).all()
    # a rate's limits lie within 0% to 100%
    frame = _monthly([20] * 12, [0, 20, 0, 20, 0, 20, 0, 20, 0, 20, 0, 20])
    _, signals, _ = charts.xmr_for_edition(frame, "rate", "restricted", numerator="charged", denominator="crimes",
                                           percent=True, title="t", ylabel="r")
    assert signals["lcl"].min() >= 0 and signals["ucl"].max() <= 1
    assert "-" not in tables.xmr_alt_text(frame, signals, "charge rate", "NA", percent=True).split("limits")[1][:20]


def test_one_signal_is_one_month_not_one_months():
    months = [str(m) for m in pd.period_range("2024-01", "2025-12", freq="M")]
    frame = pd.DataFrame({"month": months, "crimes": [90.0, 130.0] * 11 + [90.0, 400.0]})
    figure, signals = charts.xmr_chart(months, frame["crimes"].tolist(), title="t", ylabel="Crimes")
    assert int(signals["signal"].sum()) == 1
    assert "1 month flagged" in tables.xmr_alt_text(frame, signals, "crimes", "NA", percent=False)


def test_small_multiples_plot_no_small_count_in_public():
    frame = pd.concat([_monthly([40, 8, 35, 30, 33, 38, 41, 36], [12] * 8).assign(unit=u) for u in ("NA", "EA")])
    figure = charts.small_multiples(frame, ["NA", "EA"], {"NA": "North", "EA": "East"}, value="crimes",
                                    title="t", edition="public")
    plotted = np.concatenate([line.get_ydata() for ax in figure.axes for line in ax.get_lines()])
    assert not ((plotted < 10) & ~np.isnan(plotted)).any()
    alt = tables.multiples_alt_text(frame, {"NA": "North", "EA": "East"}, "crimes", "public")
    assert "left blank" in alt


def test_a_quarter_with_a_gap_month_is_left_blank_not_summed_low():
    # Oct 2024 to Jun 2025; Nov 2024 a gap month in the data (counts missing, as coverage leaves them)
    frame = _monthly([30.0, np.nan, 32.0, 31.0, 29.0, 33.0, 30.0, 28.0, 35.0],
                     [3.0, np.nan, 4.0, 5.0, 3.0, 9.0, 2.0, 6.0, 1.0])      # charges below 10: quarterly
    rates = chart_series(frame, value="rate", numerator="charged", denominator="crimes", edition="public")
    assert rates["month"].tolist() == ["2024Q4", "2025Q1", "2025Q2"]
    assert np.isnan(rates["crimes"].iloc[0]) and np.isnan(rates["rate"].iloc[0])     # not 62 crimes from 2 months
    assert rates["crimes"].iloc[1] == 93 and rates["charged"].iloc[1] == 17
    assert "Q4 2024 left blank: it contains a gap month in the data" in rates.attrs["note"]
    assert "No value for Nov 2024: a gap in the data." in rates.attrs["note"]
    # a month absent from the series is a gap too
    absent = frame.drop(index=1).assign(crimes=lambda f: f["crimes"].fillna(0))
    counts = chart_series(absent, value="crimes", edition="public", quarterly=True)
    assert np.isnan(counts["crimes"].iloc[0]) and counts["crimes"].iloc[1] == 93
    assert "Nov 2024" in counts.attrs["note"]


def test_alt_text_and_note_name_gap_months_apart_from_suppressed_ones():
    frame = _monthly([40.0, np.nan, 8.0, 30.0, 33.0, 38.0, 41.0, 36.0], [12, np.nan, 1, 10, 12, 13, 15, 11])
    figure, signals, plotted = charts.xmr_for_edition(frame, "crimes", "public", title="t", ylabel="Crimes")
    alt = tables.xmr_alt_text(plotted, signals, "crimes", "NA", percent=False)
    assert "1 month with a count below 10 is left blank in the public edition." in alt
    assert "No value for Nov 2024: a gap in the data." in alt
    assert "Dec 2024" not in alt                                 # the suppressed month is not named
    assert "No value for Nov 2024" in " ".join(t.get_text() for t in figure.texts)
    # the restricted edition withholds nothing but still names the gap
    _, signals, plotted = charts.xmr_for_edition(frame, "crimes", "restricted", title="t", ylabel="Crimes")
    alt = tables.xmr_alt_text(plotted, signals, "crimes", "NA", percent=False)
    assert "No value for Nov 2024: a gap in the data." in alt and "public edition" not in alt
    # small multiples: the gap is named, and no suppression note in the restricted edition
    monthly = pd.concat([frame, frame.assign(unit="NE")])
    shown = charts.multiples_series(monthly, ["NA", "NE"], "crimes", "restricted")
    assert charts.multiples_note(shown, "crimes") == "No value for Nov 2024: a gap in the data."
    shown = charts.multiples_series(monthly, ["NA", "NE"], "crimes", "public")
    note = charts.multiples_note(shown, "crimes")
    assert note.startswith("Months with a count below 10") and note.endswith("No value for Nov 2024: a gap in the data.")


# --------------------------------------------------------------------------- seaborn: small multiples, heatmap


def test_small_multiples_are_one_titled_panel_per_unit_with_gaps_kept():
    frame = pd.concat([_monthly([40, 8, 35, 30, 33, 38, 41, 36], [12] * 8).assign(unit=u) for u in ("NA", "EA")])
    figure = charts.small_multiples(frame, ["NA", "EA"], {"NA": "North", "EA": "East"}, value="crimes",
                                    title="t", edition="public")
    panels = [ax for ax in figure.axes if ax.get_visible() and ax.get_lines()]
    assert [ax.get_title(loc="left") for ax in panels] == ["North", "East"]
    assert all(ax.get_title() == "" for ax in panels)                     # no seaborn "panel = ..." title
    ydata = panels[0].get_lines()[0].get_ydata()
    assert len(ydata) == 8 and np.isnan(ydata[1])                         # a gap, not a bridged line


def test_heatmap_rates_are_per_1000_women_and_girls_with_withheld_months_missing():
    from vawgstats.geography import female_population

    frame = pd.concat([_monthly([40, 8, 35, 30, 33, 38, 41, 36], [12] * 8).assign(unit=u) for u in ("NA", "EA")])
    names = {"NA": "North", "EA": "East"}
    public = charts.heatmap_rates(frame, ["NA", "EA"], names, "public")
    assert list(public.index) == ["North", "East"] and public.shape == (2, 8)
    assert public.loc["North"].isna().tolist() == [False, True] + [False] * 6
    assert public.loc["North"].iloc[0] == pytest.approx(40 / female_population("bcu")["NA"] * 1000)
    restricted = charts.heatmap_rates(frame, ["NA", "EA"], names, "restricted")
    assert not restricted.isna().to_numpy().any()
    figure = charts.monthly_heatmap(frame, ["NA", "EA"], names, title="t", edition="public")
    assert any("count below 10" in t.get_text() for t in figure.texts)
    alt = charts.heatmap_alt_text(public)
    assert "2 BCUs by 8 periods" in alt and "Highest: " in alt
