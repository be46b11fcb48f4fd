"""Outcome, attrition and repeat-victimisation tables."""

from __future__ import annotations

import pandas as pd

from .. import definitions as d
from ..suppression import RATE_NOT_SHOWN, protect
from .formatting import MEASURE_LABELS, interval, pct


def offence_outcomes(table: pd.DataFrame, unit: str, edition: str) -> pd.DataFrame:
    """Outcomes and attrition by offence type for a unit: one row per measure, one column per type."""
    shown = protect(table, "offence_outcomes", edition)
    mine = table[table["unit"] == unit]
    types = list(d.REPORT_OFFENCE_GROUPS)
    first = first_rows(mine, "offence_type", "measure")
    rows = []
    rows.append({"Measure": "In-scope crimes recorded",
                 **{t: shown.count(mine["denominator"].iloc[first[t, "charge_rate"]] if (t, "charge_rate") in first
                                   else None, unit, t, "charge_rate", "denominator") for t in types}})
    for measure, label in MEASURE_LABELS.items():
        row = {"Measure": label}
        for offence_type in types:
            if (offence_type, measure) not in first:
                row[offence_type] = "–"
                continue
            cell = mine.iloc[first[offence_type, measure]]
            hidden = shown.rate_hidden(cell["numerator"], cell["denominator"],
                                       (unit, offence_type, measure, "numerator"),
                                       (unit, offence_type, measure, "denominator"))
            row[offence_type] = RATE_NOT_SHOWN if hidden else pct(cell["rate"])
        rows.append(row)
    return pd.DataFrame(rows)


def first_rows(table: pd.DataFrame, *columns: str) -> dict[tuple, int]:
    """The position in ``table`` of the first row of each combination of ``columns``' values: a report's
    tables look up dozens of cells, and a boolean filter of the table for each costs far more."""
    first: dict[tuple, int] = {}
    for position, key in enumerate(zip(*(table[column].tolist() for column in columns))):
        first.setdefault(key, position)
    return first


def repeat(table: pd.DataFrame, unit: str, edition: str) -> pd.DataFrame:
    """Repeat victimisation for a unit: all victims, domestic abuse, not domestic abuse."""
    shown = protect(table, "repeat", edition)
    mine = table[table["unit"] == unit]
    rows = []
    for victims in ("all", "domestic abuse", "not domestic abuse"):
        row = mine[mine["victims"] == victims]
        if row.empty:
            continue
        row = row.iloc[0]
        hidden = shown.rate_hidden(row["numerator"], row["denominator"], (unit, victims, "numerator"),
                                   (unit, victims, "denominator"))
        rows.append({
            "Victims": victims.capitalize(),
            "Victims with a crime in the period": shown.count(row["denominator"], unit, victims, "denominator"),
            "Victimised again within the window": shown.count(row["numerator"], unit, victims, "numerator"),
            "Repeat victimisation rate": RATE_NOT_SHOWN if hidden else pct(row["rate"]),
            "95% interval": "" if hidden else interval(row["ci_low"], row["ci_high"]),
            "Crimes without a victim ID (excluded)": shown.count(row.get("crimes_without_victim_id"), unit, victims,
                                                                 "crimes_without_victim_id"),
        })
    return pd.DataFrame(rows)


def repeat_note(table: pd.DataFrame, manifest: dict, unit: str) -> str:
    """Why repeat victimisation cannot be measured, when it cannot; else an empty string.

    police.uk open data carry no victim or suspect identifiers; other data may
    lack victim IDs for every in-scope crime of a unit.
    """
    if manifest.get("policeuk_proxy"):
        return ("police.uk open data carry no victim or suspect identifiers, so repeat victimisation and "
                "repeat suspects cannot be measured from them: the tables below are empty for that reason.\n")
    row = table[(table["unit"] == unit) & (table["victims"] == "all")]
    if not row.empty and row["denominator"].iloc[0] == 0 and row["crimes_without_victim_id"].iloc[0] > 0:
        return ("No in-scope crime recorded in the period has a victim ID, so repeat victimisation cannot be "
                "measured for this area.\n")
    return ""


def repeat_suspects(table: pd.DataFrame, unit: str, edition: str) -> pd.DataFrame:
    """Counts of repeat suspects (never identifiers)."""
    shown = protect(table, "repeat", edition)
    row = table[(table["unit"] == unit) & (table["victims"] == "all")].iloc[0]
    hidden = shown.rate_hidden(row["suspect_numerator"], row["suspect_denominator"],
                               (unit, "all", "suspect_numerator"), (unit, "all", "suspect_denominator"))
    return pd.DataFrame([{
        "Suspects with an in-scope crime in the 12 months to the period end":
            shown.count(row["suspect_denominator"], unit, "all", "suspect_denominator"),
        "Of whom suspected of 2 or more": shown.count(row["suspect_numerator"], unit, "all", "suspect_numerator"),
        "Share": RATE_NOT_SHOWN if hidden else pct(row["suspect_rate"]),
    }])
