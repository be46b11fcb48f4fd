"""Markdown and cell formatting: labels, percentages, intervals, rates, change text and position phrases."""

from __future__ import annotations

import math

import pandas as pd

from ..suppression import COMPLEMENTARY_LABEL, COMPLEMENTARY_NOTE, RATE_NOT_SHOWN, rate_hidden


METRIC_LABELS = {
    "volume": "In-scope VAWG crimes recorded",
    "rate_per_1000": "Rate per 1,000 women and girls (annualised)",
    "charge_rate": "Charge/summons rate",
    "positive_outcome_rate": "Positive outcome rate",
    "sanction_detection_rate": "Sanction detection rate",
    "repeat_victimisation_rate": "Repeat victimisation rate",
    "median_days_to_charge": "Median days from recording to charge",
}


MEASURE_LABELS = {
    "charge_rate": "Charged/summonsed",
    "positive_outcome_rate": "Positive outcome",
    "evidential_difficulties_no_suspect_victim_unsupportive": "Evidential difficulties (14)",
    "evidential_difficulties_suspect_victim_supports": "Evidential difficulties, victim supports (15)",
    "evidential_difficulties_suspect_victim_unsupportive": "Victim does not support (16)",
    "evidential_difficulties_all": "All evidential difficulties (14-16)",
    "no_suspect_identified": "No suspect identified (18)",
    "pending": "No outcome yet",
}


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def pct(value, decimals: int = 1) -> str:
    """A proportion as a percentage, e.g. 0.0423 -> "4.2%"."""
    return "–" if _missing(value) else f"{100 * float(value):.{decimals}f}%"


def interval(low, high, percent: bool = True, decimals: int = 1) -> str:
    """An interval, e.g. "3.8% to 4.6%"."""
    if _missing(low) or _missing(high):
        return "–"
    if percent:
        return f"{pct(low, decimals)} to {pct(high, decimals)}"
    return f"{float(low):,.{decimals}f} to {float(high):,.{decimals}f}"


def rate_text(rate, numerator, denominator, edition: str) -> str:
    """A rate for display, hidden in the public edition when its counts are small."""
    if rate_hidden(numerator, denominator, edition):
        return RATE_NOT_SHOWN
    return pct(rate)


def markdown(table: pd.DataFrame, caption: str, label: str) -> str:
    """A Markdown pipe table with a Quarto caption and cross-reference label."""
    body = table.to_markdown(index=False, disable_numparse=True)
    note = ""
    if table.astype(str).apply(lambda column: column.str.contains(COMPLEMENTARY_LABEL, regex=False)).any().any():
        note = f"\n{COMPLEMENTARY_NOTE}\n"
    return f"{body}\n\n: {caption} {{#{label}}}\n{note}"


def _p_text(p_value) -> str:
    """", p=0.012", ", p<0.001", or nothing when there is no p-value."""
    if _missing(p_value):
        return ""
    return f", p={float(p_value):.3f}" if p_value >= 0.001 else ", p<0.001"


def _change_text(row: pd.Series, prefix: str, percent: bool, edition: str) -> str:
    value = row.get(f"{prefix}_value")
    flag = row.get(f"{prefix}_flag")
    if _missing(value) or _missing(flag) or flag == "not comparable":
        return "not comparable"
    if percent and rate_hidden(row.get(f"{prefix}_numerator"), row.get(f"{prefix}_denominator"), edition):
        return f"{flag} (earlier rate {RATE_NOT_SHOWN})"
    if not percent and rate_hidden(value, value, edition):
        return f"{flag} (from <10)"
    shown = pct(value) if percent else f"{float(value):,.0f}"
    p_value = row.get(f"{prefix}_p")
    p_text = _p_text(p_value)
    return f"{flag} (from {shown}{p_text})"


def _days_change_text(row: pd.Series, prefix: str, edition: str) -> str:
    """Median days to charge in the comparison period (maturity-matched; no test), e.g. "from 41 days"."""
    value, charged = row.get(f"{prefix}_value"), row.get(f"{prefix}_numerator")
    if _missing(value) or _missing(charged):
        return "not comparable"
    if rate_hidden(charged, charged, edition):
        return "earlier figure not shown (<10 charges)"
    return f"from {float(value):.0f} days (not tested)"


def position_phrase(position: str, overdispersed: bool = False) -> str:
    """A funnel position in a sentence: "above the 99.8% limit", "within the limits".

    With ``overdispersed`` (limits widened for the usual spread between areas) the words say
    so: "above London, further from it than areas usually are (above the 99.8% limit)".
    """
    if overdispersed and position != "not comparable":
        if position == "within limits":
            return "within the usual spread of areas around London"
        side = "above" if position.startswith("above") else "below"
        degree = "" if "99.8%" in position else "somewhat "
        return (f"{side} London, {degree}further from it than areas usually are "
                f"({position.replace(side + ' ', side + ' the ', 1)})")
    for side in ("above", "below"):
        if position.startswith(side + " "):
            return position.replace(side + " ", side + " the ", 1)
    return "within the limits" if position == "within limits" else position


def _overdispersed(row) -> bool:
    value = row.get("overdispersed") if hasattr(row, "get") else None
    return bool(value) if value is not None and not _missing(value) else False
