"""Chart data and words: rows to plot, alt text and sentences for the charts."""

from __future__ import annotations

import pandas as pd

from ..suppression import is_suppressed, protect, rate_hidden
from .formatting import pct


def _value(value: float, percent: bool) -> str:
    return pct(value) if percent else f"{value:,.0f}"


def xmr_alt_text(series: pd.DataFrame, signals: pd.DataFrame, what: str, name: str, percent: bool) -> str:
    """Alt text for an XmR chart: range, mean, limits and number of signals, in words.

    ``series`` is what the chart plots (for the public edition, the output of
    :func:`vawgstats.suppression.chart_series`: withheld months are missing and never
    described); its note, if any, ends the text.
    """
    # the values the chart plotted (the signals table carries them), whichever column they came from
    values = (signals["value"] if "value" in signals.columns else series["rate" if percent else "crimes"]).astype(float)
    quarterly = series["month"].astype(str).str.contains("Q").any()
    every = "Quarterly" if quarterly else "Monthly"
    note = series.attrs.get("note", "")
    if values.dropna().empty:
        return f"No {every.lower()} {what} to chart for {name}." + (f" {note}" if note else "")
    flagged = int(signals["signal"].sum())
    periods = "quarter" if quarterly else "month"
    return (f"{every} {what} for {name} from {series['month'].iloc[0]} to {series['month'].iloc[-1]}: "
            f"lowest {_value(values.min(), percent)}, highest {_value(values.max(), percent)}, mean "
            f"{_value(float(signals['centre'].iloc[0]), percent)}, control limits "
            f"{_value(float(signals['lcl'].iloc[0]), percent)} to {_value(float(signals['ucl'].iloc[0]), percent)}; "
            f"{flagged} {periods if flagged == 1 else periods + 's'} flagged as signals."
            + (f" {note}" if note else ""))


def signals_sentence(series: pd.DataFrame, signals: pd.DataFrame, what: str, percent: bool) -> str:
    """One sentence naming the months that meet an SPC signal rule."""
    flagged = series["month"].to_numpy()[signals["signal"].to_numpy(dtype=bool)]
    note = series.attrs.get("note", "")
    if len(flagged) == 0:
        every = "quarter" if series["month"].astype(str).str.contains("Q").any() else "month"
        return (f"No {every}'s {what} meets a signal rule: the variation is consistent with chance."
                + (f" {note}" if note else ""))
    from ..charts import period_label

    months = ", ".join(period_label(m, long=True) for m in flagged)
    which = "Quarters" if "Q" in str(flagged[0]) else "Months"
    return f"{which} whose {what} meets a signal rule: {months}." + (f" {note}" if note else "")


def plottable(rows: pd.DataFrame, edition: str) -> pd.DataFrame:
    """Rows of a funnel table that ``edition`` may plot: in the public edition, none whose
    numerator or denominator is below 10 (a point's rate and denominator give its count)."""
    keep = [not rate_hidden(n, dd, edition) for n, dd in zip(rows["numerator"], rows["denominator"])]
    return rows[keep]


def funnel_alt_text(rows: pd.DataFrame, unit: str | None, what: str, per_1000: bool = False) -> str:
    """Alt text for a funnel plot: London's rate and which units lie outside the limits.

    Rates are read as percentages, or with ``per_1000`` as rates per 1,000 women and girls.
    """
    if rows.empty:
        return f"Funnel plot of the {what}: no data."
    outside = rows[~rows["position"].eq("within limits")]
    listed = "; ".join(f"{r.unit} {r.position}" for r in outside.itertuples()) or "none"
    mine = rows[rows["unit"] == unit]
    own = f" {unit} is {mine['position'].iloc[0]}." if unit and not mine.empty else ""
    london = rows["london_rate"].iloc[0]
    rate = f"{london * 1000:.1f} per 1,000 women and girls" if per_1000 else pct(london)
    return (f"Funnel plot of the {what} for {len(rows)} units against London's {rate}. "
            f"Outside the 95% limits: {listed}.{own}")


def map_rates(rates: pd.DataFrame, headline_table: pd.DataFrame, edition: str) -> pd.DataFrame:
    """The boroughs a map may shade in ``edition``: in the public edition none whose count is
    suppressed (primary or complementary, as in the tables), since population x rate gives it back."""
    if edition != "public":
        return rates
    metric = "volume" if (headline_table["metric"] == "volume").any() else "offences"
    shown = protect(headline_table, "headline", edition)
    keep = [not (shown.hidden(b, metric, "numerator") or is_suppressed(c, edition))
            for b, c in zip(rates["borough"], rates["crimes"])]
    return rates[keep]


def map_alt_text(rates: pd.DataFrame, highlight: list[str], kind: str = "BCU") -> str:
    """Alt text for the borough map: highest and lowest boroughs and the highlighted ones."""
    ordered = rates.sort_values("per_year_per_1000", ascending=False)
    top = ", ".join(f"{r.borough} {r.per_year_per_1000:.1f}" for r in ordered.head(3).itertuples())
    low = ", ".join(f"{r.borough} {r.per_year_per_1000:.1f}" for r in ordered.tail(3).itertuples())
    mine = rates[rates["borough"].isin(highlight)]
    own = "; ".join(f"{r.borough} {r.per_year_per_1000:.1f}" for r in mine.itertuples())
    return (f"Map of London's 32 boroughs shaded by in-scope crimes per 1,000 women and girls a year. "
            f"Highest: {top}. Lowest: {low}." + (f" This {kind}: {own}." if own else ""))


def multiples_alt_text(monthly_table: pd.DataFrame, names: dict[str, str], value: str,
                       edition: str = "public") -> str:
    """Alt text for small multiples: each unit's mean of what its panel plots (nothing withheld)."""
    from ..charts import multiples_note, multiples_series

    units = sorted(monthly_table["unit"].astype(str).unique())
    shown = multiples_series(monthly_table, units, value, edition)
    percent = value in ("rate", "rate_within")
    parts = []
    for unit in units:
        series, quarterly = shown[unit], shown[unit]["month"].astype(str).str.contains("Q").any()
        values = series[value].astype(float).dropna()
        every = "a quarter" if quarterly else "a month"
        parts.append(f"{names.get(unit, unit)} " + (f"mean {_value(values.mean(), percent)} {every}"
                                                     if len(values) else "nothing shown"))
    note = multiples_note(shown, value)
    return "Small multiples, one panel per BCU: " + "; ".join(parts) + "." + (f" {note}" if note else "")


def interval_rows(headline_table: pd.DataFrame, metric: str, names: dict[str, str], edition: str) -> pd.DataFrame:
    """Rows for a dot-and-interval chart of BCUs (rates hidden where suppression applies)."""
    rows = headline_table[(headline_table["unit_type"] == "bcu") & (headline_table["metric"] == metric)].copy()
    keep = [not rate_hidden(n, dd, edition) for n, dd in zip(rows["numerator"], rows["denominator"])]
    rows = rows[keep]
    rows["label"] = rows["unit"].map(lambda code: f"{names.get(code, code)} ({code})")
    return rows.rename(columns={"value": "rate"})[["unit", "label", "rate", "ci_low", "ci_high"]]


def london_value(headline_table: pd.DataFrame, metric: str) -> float:
    """London's value of a headline metric."""
    row = headline_table[(headline_table["unit_type"] == "london") & (headline_table["metric"] == metric)]
    return float(row["value"].iloc[0])


def interval_alt_text(rows: pd.DataFrame, what: str) -> str:
    """Alt text for a dot-and-interval chart."""
    ordered = rows.sort_values("rate", ascending=False)
    listed = "; ".join(f"{r.label} {pct(r.rate)} ({pct(r.ci_low)} to {pct(r.ci_high)})" for r in ordered.itertuples())
    return f"The {what} of each BCU with its 95% interval, highest first: {listed}."
