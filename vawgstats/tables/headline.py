"""Headline, comparison and league tables: the unit's measures against the previous period and London."""

from __future__ import annotations

import pandas as pd

from ..geography import BCU_BY_CODE
from ..suppression import RATE_NOT_SHOWN, Protected, count_text, protect, rate_hidden
from .formatting import (METRIC_LABELS, _change_text, _days_change_text, _missing, _overdispersed, interval, pct,
                         position_phrase)


def follow_up_days(headline_table: pd.DataFrame) -> int | None:
    """The follow-up of both compared periods, in days (None when the table has none)."""
    if "follow_up_days" not in headline_table.columns:
        return None
    values = pd.to_numeric(headline_table["follow_up_days"], errors="coerce").dropna()
    return int(values.iloc[0]) if len(values) else None


def follow_up_note(headline_table: pd.DataFrame) -> str:
    """ "both periods measured 14 days after their end" (or "" when unknown)."""
    days = follow_up_days(headline_table)
    if days is None:
        return ""
    return f"both periods measured {days:,} day{'' if days == 1 else 's'} after their end"


def same_comparison(headline_table: pd.DataFrame) -> bool:
    """Whether the previous period is the year earlier (12-month periods): one comparison, not two."""
    if not {"previous_start", "year_start"} <= set(headline_table.columns) or headline_table.empty:
        return False
    previous = headline_table["previous_start"].dropna().astype(str)
    year = headline_table["year_start"].dropna().astype(str)
    return len(previous) > 0 and set(previous) == set(year)


def change_heading(headline_table: pd.DataFrame, prefix: str = "previous") -> str:
    """The title of a change column, saying once how the periods were matched.

    "Change on previous period (both periods measured 14 days after their end)"; when the
    previous period is the year earlier, "Change on a year earlier (the previous 12 months; ...)".
    """
    note = follow_up_note(headline_table)
    if same_comparison(headline_table):
        return f"Change on a year earlier (the previous 12 months{'; ' + note if note else ''})"
    title = "Change on previous period" if prefix == "previous" else "Change on a year earlier"
    return f"{title} ({note})" if note else title


def _headline_cells(row: pd.Series, edition: str, metric: str, shown: Protected | None = None) -> dict[str, str]:
    shown = shown if shown is not None else Protected({}, edition)
    unit = row.get("unit", "")
    numerator = shown.count(row["numerator"], unit, metric, "numerator")
    denominator = shown.count(row.get("denominator"), unit, metric, "denominator")
    if metric == "volume":
        return {"value": numerator, "interval": "", "counts": ""}
    if metric == "median_days_to_charge":
        hidden = rate_hidden(row["numerator"], row["numerator"], edition) or shown.hidden(unit, metric, "numerator")
        value = "not shown (<10 charges)" if hidden else (
            "–" if _missing(row["value"]) else f"{float(row['value']):.0f} days")
        iqr = "" if hidden or _missing(row["ci_low"]) else (
            f"IQR {float(row['ci_low']):.0f} to {float(row['ci_high']):.0f}")
        return {"value": value, "interval": iqr, "counts": f"{numerator} charged"}
    hidden = shown.rate_hidden(row["numerator"], row["denominator"], (unit, metric, "numerator"),
                               (unit, metric, "denominator"))
    return {
        "value": RATE_NOT_SHOWN if hidden else pct(row["value"]),
        "interval": "" if hidden else interval(row["ci_low"], row["ci_high"]),
        "counts": f"{numerator} of {denominator}",
    }


def headline(headline_table: pd.DataFrame, unit: str, edition: str, also: dict[str, str] | None = None) -> pd.DataFrame:
    """The headline table for a unit: value, 95% interval, counts, changes, and London.

    ``also``: further units to compare with, as ``{column heading: unit}`` (a
    borough's report adds its BCU), in columns before London's.
    """
    shown = protect(headline_table, "headline", edition)
    mine = headline_table[headline_table["unit"] == unit].set_index("metric", drop=False)
    london = headline_table[headline_table["unit_type"] == "london"].set_index("metric")
    others = {heading: headline_table[headline_table["unit"] == other].set_index("metric")
              for heading, other in (also or {}).items()}
    rows = []
    order = ["volume", "rate_per_1000", "charge_rate", "positive_outcome_rate", "sanction_detection_rate",
             "repeat_victimisation_rate", "median_days_to_charge"]
    for metric in order:
        source = "volume" if metric == "rate_per_1000" else metric
        if source not in mine.index:
            continue
        row, ref = mine.loc[source], london.loc[source]
        if metric == "rate_per_1000":
            # the population is published, so the rate would give a suppressed count back
            hidden = shown.hidden(unit, "volume", "numerator")
            cells = {"value": RATE_NOT_SHOWN if hidden else f"{float(row['per_year_per_1000']):.1f}",
                     "interval": "" if hidden else interval(row["ci_low"] * 12 / _months(row),
                                                            row["ci_high"] * 12 / _months(row), percent=False),
                     "counts": f"{shown.count(row['numerator'], unit, 'volume', 'numerator')} crimes; "
                               f"{count_text(row['denominator'], edition)} women and girls"}
            london_text = f"{float(ref['per_year_per_1000']):.1f}"
            also_text = {h: RATE_NOT_SHOWN if shown.hidden(o.loc[source, "unit"], "volume", "numerator")
                         else f"{float(o.loc[source, 'per_year_per_1000']):.1f}" for h, o in others.items()}
            previous = year = "see crimes recorded"
        else:
            cells = _headline_cells(row, edition, metric, shown)
            london_text = _headline_cells(ref, "restricted", metric)["value"]
            also_text = {h: _headline_cells(o.loc[source], edition, metric, shown)["value"] for h, o in others.items()}
            percent = metric != "volume" and metric != "median_days_to_charge"
            if metric == "median_days_to_charge":
                previous, year = _days_change_text(row, "previous", edition), _days_change_text(row, "year", edition)
            else:
                previous = _change_text(row, "previous", percent, edition)
                year = _change_text(row, "year", percent, edition)
        if metric == "rate_per_1000":
            cells["counts"] += population_year_text(row)
        rows.append({"Measure": METRIC_LABELS[metric], "Value": cells["value"] + gap_note(row),
                     "95% interval": cells["interval"], "Counts": cells["counts"],
                     "Change on previous period": previous, "Change on a year earlier": year,
                     **also_text, "London": london_text})
    return _comparison_columns(pd.DataFrame(rows), headline_table)


def _comparison_columns(table: pd.DataFrame, headline_table: pd.DataFrame) -> pd.DataFrame:
    """Title the change columns with the follow-up note; one column when previous = a year earlier."""
    if same_comparison(headline_table) and "Change on a year earlier" in table.columns:
        table = table.drop(columns="Change on previous period")
        return table.rename(columns={"Change on a year earlier": change_heading(headline_table, "year")})
    return table.rename(columns={"Change on previous period": change_heading(headline_table, "previous"),
                                 "Change on a year earlier": change_heading(headline_table, "year")})


def gap_note(row: pd.Series) -> str:
    """Beside a figure for a period containing gap months in the data (:mod:`vawgstats.coverage`):
    e.g. " (incomplete: no data for Nov 2024)"; "" otherwise."""
    months = row.get("gap_months")
    if not isinstance(months, str) or not months:
        return ""
    listed = ", ".join(pd.Period(m, freq="M").strftime("%b %Y") for m in months.split(","))
    return f" (incomplete: gap in the data, {listed})"


def population_year_text(row: pd.Series) -> str:
    """Beside a rate per 1,000: the population estimate's year, e.g. " (ONS mid-2019 population)"."""
    year = row.get("population_year")
    if year is None or _missing(year):
        return ""
    return f" (ONS mid-{int(year)} population)"


def population_note(manifest: dict) -> str:
    """The note under a table or chart of rates per 1,000: which population estimate, which year."""
    from ..population import rate_note

    return rate_note(int(manifest.get("population_year", 2019)))


def _months(row: pd.Series) -> float:
    value, per_year = float(row["value"]), float(row["per_year_per_1000"])
    return 12.0 * value / per_year if per_year else 12.0


def boroughs(headline_table: pd.DataFrame, bcu: str, edition: str) -> pd.DataFrame:
    """One row per borough of a BCU: crimes, rate per 1,000, and the three outcome rates."""
    shown = protect(headline_table, "headline", edition)
    rows = []
    for borough in BCU_BY_CODE[bcu].boroughs:
        mine = headline_table[(headline_table["unit_type"] == "borough") & (headline_table["unit"] == borough)]
        mine = mine.set_index("metric")
        volume = mine.loc["volume"]
        hidden = shown.hidden(borough, "volume", "numerator")    # population x rate = count
        row = {"Borough": borough, "Crimes": shown.count(volume["numerator"], borough, "volume", "numerator"),
               "Per 1,000 women and girls (annualised)": RATE_NOT_SHOWN if hidden
               else f"{float(volume['per_year_per_1000']):.1f}{population_year_text(volume)}"}
        for metric in ("charge_rate", "positive_outcome_rate", "repeat_victimisation_rate"):
            m = mine.loc[metric]
            hidden = shown.rate_hidden(m["numerator"], m["denominator"], (borough, metric, "numerator"),
                                       (borough, metric, "denominator"))
            row[METRIC_LABELS[metric]] = RATE_NOT_SHOWN if hidden else (
                f"{pct(m['value'])} ({interval(m['ci_low'], m['ci_high'])})")
        rows.append(row)
    return pd.DataFrame(rows)


def funnel_positions(funnel_table: pd.DataFrame, unit: str, edition: str) -> pd.DataFrame:
    """Where a unit sits in each funnel plot, in words."""
    rows = []
    for metric in ("charge_rate", "positive_outcome_rate", "sanction_detection_rate", "repeat_victimisation_rate"):
        row = funnel_table[(funnel_table["metric"] == metric) & (funnel_table["unit"] == unit)]
        if row.empty:
            continue
        row = row.iloc[0]
        hidden = rate_hidden(row["numerator"], row["denominator"], edition)
        rows.append({"Measure": METRIC_LABELS[metric],
                     "This unit": RATE_NOT_SHOWN if hidden else pct(row["rate"]),
                     "London": pct(row["london_rate"]),
                     "Position against London": position_phrase(row["position"], _overdispersed(row))})
    return pd.DataFrame(rows)


def _bcu_link(code: str, linked: list[str] | None) -> str:
    label = f"{BCU_BY_CODE[code].name} ({code})"
    return f"[{label}](bcu-{code}.html)" if linked is None or code in linked else label


def report_links(names: dict[str, str], linked: list[str]) -> str:
    """A list of the BCU reports, linked where the report exists in this output."""
    return "\n".join(f"- {_bcu_link(code, linked)}" + ("" if code in linked else " (not rendered in this run)")
                     for code in names) + "\n"


def league(headline_table: pd.DataFrame, metric: str, edition: str, linked: list[str] | None = None) -> pd.DataFrame:
    """All 12 BCUs ranked on a metric, with intervals and change on the previous period.

    BCU names link to their reports when ``linked`` is None (all) or contains the code.
    """
    shown = protect(headline_table, "headline", edition)
    rows = headline_table[(headline_table["unit_type"] == "bcu") & (headline_table["metric"] == metric)]
    rows = rows.sort_values("value", ascending=False, na_position="last")
    out = []
    for rank, (_, row) in enumerate(rows.iterrows(), start=1):
        unit = row["unit"]
        hidden = shown.rate_hidden(row["numerator"], row["denominator"], (unit, metric, "numerator"),
                                   (unit, metric, "denominator"))
        out.append({
            "Rank": str(rank), "BCU": _bcu_link(row["unit"], linked),
            METRIC_LABELS[metric]: RATE_NOT_SHOWN if hidden else pct(row["value"]),
            "95% interval": "" if hidden else interval(row["ci_low"], row["ci_high"]),
            "Counts": f"{shown.count(row['numerator'], unit, metric, 'numerator')} of "
                      f"{shown.count(row['denominator'], unit, metric, 'denominator')}",
            "Change on previous period": _change_text(row, "previous", True, edition),
        })
    return _comparison_columns(pd.DataFrame(out), headline_table)
