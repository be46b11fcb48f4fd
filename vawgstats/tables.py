"""Report tables: formatted, suppressed for the public edition, written as Markdown.

Every function takes prepared tables (see :mod:`vawgstats.prepare`) and returns
a DataFrame of display strings; :func:`markdown` turns it into a pipe table
with a Quarto caption and label.  Markdown rather than HTML keeps Quarto's
output free of CDN scripts (see QUARTO.md) and prints cleanly.
"""

from __future__ import annotations

import math

import pandas as pd

from . import definitions as d
from .geography import BCU_BY_CODE
from .suppression import (COMPLEMENTARY_LABEL, COMPLEMENTARY_NOTE, RATE_NOT_SHOWN, Protected, count_text,
                          is_suppressed, protect, rate_hidden)

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
    from .population import rate_note

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


def offence_outcomes(table: pd.DataFrame, unit: str, edition: str) -> pd.DataFrame:
    """Outcomes and attrition by offence type for a unit: one row per measure, one column per type."""
    shown = protect(table, "offence_outcomes", edition)
    mine = table[table["unit"] == unit]
    types = list(d.REPORT_OFFENCE_GROUPS)
    rows = []
    crimes = {t: mine[(mine["offence_type"] == t) & (mine["measure"] == "charge_rate")]["denominator"] for t in types}
    rows.append({"Measure": "In-scope crimes recorded",
                 **{t: shown.count(crimes[t].iloc[0] if len(crimes[t]) else None, unit, t, "charge_rate",
                                   "denominator") for t in types}})
    for measure, label in MEASURE_LABELS.items():
        row = {"Measure": label}
        for offence_type in types:
            cell = mine[(mine["offence_type"] == offence_type) & (mine["measure"] == measure)]
            if cell.empty:
                row[offence_type] = "–"
                continue
            cell = cell.iloc[0]
            hidden = shown.rate_hidden(cell["numerator"], cell["denominator"],
                                       (unit, offence_type, measure, "numerator"),
                                       (unit, offence_type, measure, "denominator"))
            row[offence_type] = RATE_NOT_SHOWN if hidden else pct(cell["rate"])
        rows.append(row)
    return pd.DataFrame(rows)


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


def places(table: pd.DataFrame, unit: str, edition: str, kind: str = "BCU") -> pd.DataFrame:
    """The busiest LSOAs of a unit, a BCU or a borough (counts suppressed in the public edition), with
    each LSOA's ward (May 2022; empty for a code that is not a 2021 London LSOA) and borough."""
    from .areas import ward_of

    mine = table[table["unit"] == unit].sort_values("rank")
    return pd.DataFrame({
        "Rank": mine["rank"].astype(int).astype(str),
        "LSOA": mine["lsoa_code"], "Ward": ward_of(mine["lsoa_code"]).to_numpy(), "Borough": mine["borough"],
        "In-scope crimes": [count_text(c, edition) for c in mine["crimes"]],
        # a share of a known total would give a suppressed count back, so it is hidden with it
        f"Share of the {kind}'s located crimes": [RATE_NOT_SHOWN if rate_hidden(c, c, edition) else pct(s)
                                              for c, s in zip(mine["crimes"], mine["share"])],
    })


def quality(table: pd.DataFrame, units: list[str], edition: str) -> pd.DataFrame:
    """Data-quality counts for the given units."""
    shown = protect(table, "quality", edition)
    rows = []
    for unit in units:
        row = table[table["unit"] == unit].iloc[0]
        scope = row["in_scope"]

        def cell(column):
            return shown.count(row[column], unit, column)

        pending_hidden = shown.rate_hidden(row["pending"], scope, (unit, "pending"), (unit, "in_scope"))
        pending_share = RATE_NOT_SHOWN if pending_hidden else pct(row["pending"] / scope if scope else float("nan"))
        out = {
            "Area": unit if unit not in BCU_BY_CODE else f"{BCU_BY_CODE[unit].name} ({unit})",
            "Records recorded in the period": cell("records"),
            "In VAWG scope": cell("in_scope"),
            "No outcome yet": f"{cell('pending')} ({pending_share})",
            "No victim ID": cell("missing_victim_id"),
            "No LSOA": cell("missing_lsoa"),
            "Outside London": cell("outside_london"),
        }
        if "lsoa_other_borough" in table.columns:
            out[QUALITY_LSOA_OTHER_BOROUGH] = cell("lsoa_other_borough")
        if _has_gaps(table):
            out["Gap months in the period (records)"] = gap_months_text(row.get("gap_months"), edition)
        rows.append(out)
    return pd.DataFrame(rows)


#: Column of the data-quality table counting records whose LSOA lies in another borough.
QUALITY_LSOA_OTHER_BOROUGH = "Records with LSOA in another borough"


def _has_gaps(table: pd.DataFrame) -> bool:
    return "gap_months" in table.columns and table["gap_months"].fillna("").astype(str).ne("").any()


def gap_months_text(gap_months, edition: str) -> str:
    """``"2024-11:0,2025-02:310"`` -> ``"Nov 2024 (<10), Feb 2025 (310)"``; "none" when empty."""
    if not isinstance(gap_months, str) or not gap_months:
        return "none"
    parts = []
    for item in gap_months.split(","):
        month, _, records = item.partition(":")
        parts.append(f"{pd.Period(month, freq='M').strftime('%b %Y')} ({count_text(int(records or 0), edition)})")
    return ", ".join(parts)


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


def code_sets() -> pd.DataFrame:
    """The outcome code sets used, for the methods appendix."""
    rows = [
        ("Charge/summons", d.CHARGE_CODES),
        ("Positive outcome (detection)", d.POSITIVE_OUTCOME_CODES),
        ("Sanction detection (Met definition)", d.SANCTION_DETECTION_CODES),
        *((MEASURE_LABELS[name], codes) for name, codes in d.ATTRITION_CODES.items()),
        ("No suspect identified", d.NO_SUSPECT_CODES),
    ]
    return pd.DataFrame([{"Measure": label, "Home Office outcome types": d.code_set_text(codes),
                          "Meaning": "; ".join(d.OUTCOME_LABELS[c] for c in d.OUTCOME_CODES if c in codes)}
                         for label, codes in rows])


# --------------------------------------------------------------------------- narrative blocks

SYNTHETIC_BANNER = (
    "**SYNTHETIC DATA — NOT REAL CRIMES.** Every figure in this report comes from the "
    "package's synthetic London, generated to have a realistic shape. It says nothing about "
    "any real BCU, borough, victim or suspect."
)
POLICEUK_NOTE = (
    "**Open data proxy.** These records come from police.uk, which has no victim sex or domestic "
    "abuse flag: VAWG scope is approximated by the crime type 'Violence and sexual offences', "
    "which also includes violence against men and boys."
)


def header(manifest: dict, *, title: str, areas: str, edition: str, unit: str | None = None) -> str:
    """The report header: area, period, edition, data date, and the synthetic banner where due.

    The period says when it is shorter than asked for because the data are
    (``manifest["period_text"]``), and a banner names any gap month in the
    period (London's and, with ``unit``, the unit's; without it every BCU's).
    """
    lines = [
        f"Area: {areas}  ",
        f"Period: {manifest.get('period_text') or manifest['period_label']} "
        f"(recorded {manifest['start']} to {manifest['end']})  ",
        f"Edition: **{edition}**{' — not for publication' if edition == 'restricted' else ''}  ",
        f"Data as at: {manifest['as_of']}",
    ]
    blocks = ["\n".join(lines)]
    if manifest.get("coverage"):
        from .coverage import banner
        from .periods import as_period

        gap = banner(manifest["coverage"], as_period(manifest["start"], manifest["end"]), unit, edition)
        if gap:
            blocks.append(f"> **{gap}**")
    if manifest.get("synthetic"):
        blocks.append(f"> {SYNTHETIC_BANNER}")
    if manifest.get("policeuk_proxy"):
        blocks.append(f"> {POLICEUK_NOTE}")
    if edition == "public":
        from .suppression import SUPPRESSION_STATEMENT

        blocks.append(f"*{SUPPRESSION_STATEMENT}*")
    return "\n\n".join(blocks) + "\n"


def summary(headline_table: pd.DataFrame, funnel_table: pd.DataFrame, unit: str, name: str,
            edition: str) -> str:
    """A few plain sentences on the headline measures, all read from the prepared tables."""
    shown = protect(headline_table, "headline", edition)
    mine = headline_table[headline_table["unit"] == unit].set_index("metric")
    london = headline_table[headline_table["unit_type"] == "london"].set_index("metric")
    sentences = []
    volume = mine.loc["volume"]
    volume_hidden = shown.hidden(unit, "volume", "numerator")
    london_rate = f"{float(london.loc['volume', 'per_year_per_1000']):.1f}"
    rate = (f"(London: {london_rate} a year per 1,000 women and girls)" if volume_hidden else
            f"{float(volume['per_year_per_1000']):.1f} a year per 1,000 women and girls (London: {london_rate})")
    sentences.append(
        f"{name} recorded {shown.count(volume['numerator'], unit, 'volume', 'numerator')} crimes in VAWG scope "
        f"in the period, {rate}; "
        f"compared with a year earlier: {_flag_only(volume, 'year')}.")
    for metric in ("charge_rate", "positive_outcome_rate", "repeat_victimisation_rate"):
        row = mine.loc[metric]
        label = METRIC_LABELS[metric].lower()
        if shown.rate_hidden(row["numerator"], row["denominator"], (unit, metric, "numerator"),
                             (unit, metric, "denominator")):
            sentences.append(f"The {label} is not shown because its counts are below 10 or would give one away.")
            continue
        position = funnel_table[(funnel_table["metric"] == metric) & (funnel_table["unit"] == unit)]
        where = (f"; against London it is "
                 f"{position_phrase(position['position'].iloc[0], _overdispersed(position.iloc[0]))}"
                 if not position.empty else "")
        sentences.append(
            f"The {label} was {pct(row['value'])} (95% interval {interval(row['ci_low'], row['ci_high'])}), "
            f"London {pct(london.loc[metric, 'value'])}; on the previous period: {_flag_only(row, 'previous')}"
            f"{where}.")
    note = follow_up_note(headline_table)
    if note:
        sentences.append(f"In each change, {note}, so that outcomes have had the same time to be reached.")
    return " ".join(sentences) + "\n"


def funnel_note(rows: pd.DataFrame) -> str:
    """What a funnel plot's limits mean, for its caption: widened for the usual spread between areas or not."""
    if "overdispersed" in rows.columns and rows["overdispersed"].fillna(False).astype(bool).any():
        return ("The limits allow for the usual spread between areas (real differences in population, "
                "deprivation and recording, not only chance), estimated from the areas themselves "
                "(Spiegelhalter's over-dispersion adjustment): an area outside the 99.8% limits is further "
                "from London than areas usually are. Methods explains the unadjusted limits.")
    return ("The areas spread no more than chance allows, so the limits are the exact binomial ones: an area "
            "outside the 99.8% limits differs from London by more than chance would explain.")


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


def _flag_only(row: pd.Series, prefix: str) -> str:
    flag = row.get(f"{prefix}_flag")
    return "not comparable" if _missing(flag) else str(flag)


def provenance(manifest: dict, *, parameters: dict, render_time: str | None) -> str:
    """The provenance footer: data file hash, rows, period, as-of date, version, parameters."""
    shown = ", ".join(f"{key}={value}" for key, value in sorted(parameters.items()))
    if manifest.get("kind") == "counts":  # a counts table (open data): rows of counts, months, sheets
        holding = (f"{manifest['rows']:,} rows of counts, months recorded {manifest['first_recorded']} to "
                   f"{manifest['last_recorded']}; sheets: {', '.join(manifest.get('sources', []))}")
    else:
        holding = f"{manifest['rows']:,} records, recorded {manifest['first_recorded']} to {manifest['last_recorded']}"
    return (
        f"Data file: `{manifest['data_file']}` (SHA-256 `{manifest['data_sha256']}`), {holding}.  \n"
        f"Period: {manifest['start']} to {manifest['end']}. Data as at: {manifest['as_of']}.  \n"
        f"vawgstats version {manifest['version']}; prepared tables {manifest['key']}.  \n"
        f"Parameters: {shown}.  \n"
        f"Rendered: {render_time or 'not recorded'}.\n"
    )


# --------------------------------------------------------------------------- chart text (alt, notes)

PENDING_NOTE = (
    "Charge rates use the cohort method: recent months are low partly because many of their "
    "investigations have not finished yet (shaded where more than a quarter are still pending)."
)


def trend_months(monthly_table: pd.DataFrame) -> pd.DataFrame:
    """The months the charge-rate trend plots: complete months only (every crime followed up for
    the full fixed follow-up; see :func:`vawgstats.prepare.monthly_table`)."""
    if "complete" not in monthly_table.columns:
        return monthly_table
    return monthly_table[monthly_table["complete"].astype(bool)]


def trend_note(manifest: dict, monthly_table: pd.DataFrame | None = None) -> str:
    """What the monthly charge-rate trend shows, and why the latest months are left out."""
    days = manifest.get("charge_follow_up_days", d.CHARGE_FOLLOW_UP_DAYS)
    left_out = ""
    if monthly_table is not None and "complete" in monthly_table.columns:
        late = sorted(monthly_table.loc[~monthly_table["complete"].astype(bool), "month"].astype(str).unique())
        if late:
            first = pd.Period(late[0]).strftime("%B %Y")
            left_out = (f" Months from {first} are not shown: their crimes have not yet had {days} days "
                        "to reach a charge.")
    return (f"The trend shows the share of crimes charged within {days} days of recording, by month recorded, "
            f"so that every month is measured alike; the mean, limits and signals use complete months only."
            f"{left_out} The headline charge rate (Home Office cohort method, outcomes as at "
            f"{manifest.get('as_of', 'the extract')}) counts every charge so far.")


def pending_from(quality_table: pd.DataFrame, monthly_table: pd.DataFrame, unit: str) -> str | None:
    """The first month from which the monthly charge rate is shaded as 'outcomes pending'.

    Uses the share of crimes with no outcome: the months after the period's last month
    are not in the quality table, so this reads the monthly table's own counts.
    """
    mine = monthly_table[monthly_table["unit"] == unit].sort_values("month")
    if "pending" not in mine.columns or mine.empty:
        return None
    share = mine["pending"] / mine["crimes"].where(mine["crimes"] > 0)
    late = mine.loc[share > 0.25, "month"]
    return str(late.iloc[0]) if not late.empty else None


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
    from .charts import period_label

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
    from .charts import multiples_note, multiples_series

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


def places_section(places_table: pd.DataFrame, manifest: dict, unit: str, edition: str, kind: str = "BCU") -> str:
    """The hotspot table of LSOAs, or a sentence saying why there is none."""
    if not manifest.get("has_lsoa"):
        return ("The data have no locations (no LSOA codes or coordinates), so no hotspot map or table "
                "can be drawn for this period.\n")
    rows = places(places_table, unit, edition, kind)
    if rows.empty:
        return f"No in-scope crimes in this {kind} have a recorded LSOA in the period.\n"
    return markdown(rows, "The ten LSOAs with most in-scope crimes recorded in the period", "tbl-places")


# --------------------------------------------------------------------------- the commander's targets

#: Whether a change flag moved a measure the way its target seeks.
_SOUGHT = {("increase", "significant increase"): "yes", ("decrease", "significant decrease"): "yes",
           ("increase", "significant decrease"): "no: the opposite way",
           ("decrease", "significant increase"): "no: the opposite way"}


def _target_text(value, metric: str) -> str:
    if _missing(value):
        return "none stated"
    return f"{float(value):,.0f} crimes" if metric == "volume" else pct(value)


def targets(bcu_targets, headline_table: pd.DataFrame, unit: str, edition: str) -> pd.DataFrame:
    """The targets of a BCU's parameter file against the period's figures.

    ``bcu_targets``: the ``targets`` mapping of :class:`vawgstats.params.BCUParams` (or the
    params object itself): metric -> ``{"value", "direction", "note"}``.  One row per target,
    in the file's order: the direction sought, the numeric target or "none stated", the value
    in the period with its 95% interval (as in the headline table, suppressed alike in the
    public edition), the change on the previous period with its significance flag, whether
    that change goes the way sought, and the note.
    """
    bcu_targets = getattr(bcu_targets, "targets", bcu_targets) or {}
    mine = headline_table[headline_table["unit"] == unit].set_index("metric")
    rows = []
    for metric, spec in bcu_targets.items():
        if metric not in METRIC_LABELS:
            continue  # a delivery-returns target: shown in the commitments section
        direction = spec["direction"]
        if metric in mine.index:
            row = mine.loc[metric]
            cells = _headline_cells(row, edition, metric)
            now = cells["value"] + (f" ({cells['interval']})" if cells["interval"] else "")
            change = _change_text(row, "previous", metric != "volume", edition)
            flag = row.get("previous_flag")
            flag = "not comparable" if _missing(flag) else str(flag)
            sought = _SOUGHT.get((direction, flag), flag)
        else:
            now = change = sought = "–"
        rows.append({"Measure": METRIC_LABELS.get(metric, metric), "Direction sought": direction,
                     "Numeric target": _target_text(spec.get("value"), metric),
                     "This period (95% interval)": now, "Change on previous period": change,
                     "Moving the way sought?": sought, "Note": spec.get("note") or ""})
    table = pd.DataFrame(rows, columns=["Measure", "Direction sought", "Numeric target",
                                        "This period (95% interval)", "Change on previous period",
                                        "Moving the way sought?", "Note"])
    return _comparison_columns(table, headline_table)


def targets_table(bcu_params, headline_table: pd.DataFrame, unit: str, edition: str, kind: str = "BCU") -> str:
    """The targets as a Markdown table with a caption, or a sentence when the file states none.

    ``kind``: whose targets they are ("BCU" or "borough"), for the words.
    """
    rows = targets(bcu_params, headline_table, unit, edition)
    if rows.empty:
        return f"The {kind}'s parameter file states no targets for the measures in this report.\n"
    lead = ""
    if (rows["Numeric target"] == "none stated").all():
        lead = ("No numeric target is stated, only the direction sought: the table shows whether each "
                "measure changed significantly, and which way, since the previous period.\n\n")
    return lead + markdown(rows, f"The {kind}'s targets against the figures for the period", "tbl-targets")


# --------------------------------------------------------------------------- open-data edition (counts)

OPEN_MEASURE_LABELS = {"offences": "VAWG offences recorded", "victims": "VAWG victims"}

OPEN_DATA_NOTE = (
    "Built from the Metropolitan Police Service's published VAWG counts (London Datastore, Open "
    "Government Licence): offences and victims by BCU, borough, ward and month recorded."
)


def _count_change_text(row: pd.Series, prefix: str, edition: str) -> str:
    """A count's change on an earlier period: flag, earlier count and p-value."""
    earlier, flag = row.get(f"{prefix}_numerator"), row.get(f"{prefix}_flag")
    if _missing(earlier) or _missing(flag) or flag == "not comparable":
        return "not comparable"
    p_value = row.get(f"{prefix}_p")
    p_text = _p_text(p_value)
    return f"{flag} (from {count_text(earlier, edition)}{p_text})"


def _per_year(row: pd.Series, column: str) -> float:
    return float(row[column]) * 12 / _open_months(row)


def _open_months(row: pd.Series) -> float:
    return float(row["months"])


def open_headline(headline_table: pd.DataFrame, unit: str, edition: str,
                  also: dict[str, str] | None = None) -> pd.DataFrame:
    """Open-data headline for a unit: offences and victims, rate a year per 1,000 women and girls,
    95% interval, changes on the previous period and a year earlier, and London's rate.

    ``also``: further units whose rate is shown before London's, as ``{heading: unit}``.
    """
    rows = []
    london = headline_table[headline_table["unit_type"] == "london"].set_index("metric")
    mine = headline_table[headline_table["unit"] == unit].set_index("metric")
    others = {heading: headline_table[headline_table["unit"] == other].set_index("metric")
              for heading, other in (also or {}).items()}
    for measure, label in OPEN_MEASURE_LABELS.items():
        if measure not in mine.index:
            continue
        row = mine.loc[measure]
        hidden = rate_hidden(row["numerator"], row["denominator"], edition)
        rows.append({
            "Measure": label, "Count": count_text(row["numerator"], edition) + gap_note(row),
            "A year per 1,000 women and girls": RATE_NOT_SHOWN if hidden else
            f"{float(row['per_year_per_1000']):.1f}{population_year_text(row)}",
            "95% interval": "" if hidden else interval(_per_year(row, "ci_low"), _per_year(row, "ci_high"),
                                                       percent=False),
            "Change on previous period": _count_change_text(row, "previous", edition),
            "Change on a year earlier": _count_change_text(row, "year", edition),
            **{f"{heading}, a year per 1,000": _open_rate_text(other.loc[measure], edition)
               for heading, other in others.items()},
            "London, a year per 1,000": f"{float(london.loc[measure, 'per_year_per_1000']):.1f}",
        })
    return _comparison_columns(pd.DataFrame(rows), headline_table)


def _open_rate_text(row: pd.Series, edition: str) -> str:
    return (RATE_NOT_SHOWN if rate_hidden(row["numerator"], row["denominator"], edition)
            else f"{float(row['per_year_per_1000']):.1f}")


def open_boroughs(headline_table: pd.DataFrame, boroughs: list[str], edition: str) -> pd.DataFrame:
    """Offences and victims by borough, with rates a year per 1,000 women and girls and changes."""
    rows = []
    for borough in boroughs:
        mine = headline_table[headline_table["unit"] == borough].set_index("metric")
        offences, victims = mine.loc["offences"], mine.loc["victims"]
        hidden = rate_hidden(offences["numerator"], offences["denominator"], edition)
        rows.append({
            "Borough": borough, "Offences": count_text(offences["numerator"], edition),
            "Offences a year per 1,000": RATE_NOT_SHOWN if hidden else
            f"{float(offences['per_year_per_1000']):.1f}{population_year_text(offences)}",
            "95% interval": "" if hidden else interval(_per_year(offences, "ci_low"),
                                                       _per_year(offences, "ci_high"), percent=False),
            "Victims": count_text(victims["numerator"], edition),
            "Offences: change on a year earlier": _count_change_text(offences, "year", edition),
        })
    return pd.DataFrame(rows)


def open_funnel_positions(funnel_table: pd.DataFrame, unit: str, edition: str, kind: str = "BCU") -> pd.DataFrame:
    """Where a BCU (or borough: ``kind``) sits against London in the open-data funnel plots, in words."""
    rows = []
    for measure, label in OPEN_MEASURE_LABELS.items():
        row = funnel_table[(funnel_table["metric"] == measure) & (funnel_table["unit"] == unit)]
        if row.empty:
            continue
        row = row.iloc[0]
        hidden = rate_hidden(row["numerator"], row["denominator"], edition)
        rows.append({"Measure": f"{label}, per 1,000 women and girls",
                     f"This {kind}": RATE_NOT_SHOWN if hidden else f"{row['rate'] * 1000:.1f}",
                     "London (12 BCUs)": f"{row['london_rate'] * 1000:.1f}",
                     "Position against London": position_phrase(row["position"], _overdispersed(row))})
    return pd.DataFrame(rows)


def ward_hotspots(wards_table: pd.DataFrame, unit: str, edition: str, by: str = "count") -> pd.DataFrame:
    """A unit's (BCU's or borough's) top wards by offences (``by="count"``) or by rise on the previous
    period (``"change"``)."""
    rank = "rank_by_count" if by == "count" else "rank_by_change"
    key = wards_table["unit"] if "unit" in wards_table.columns else wards_table["bcu"]
    mine = wards_table[(key == unit) & wards_table[rank].notna()].sort_values(rank)
    rows = []
    for _, row in mine.iterrows():
        hidden = is_suppressed(row["offences"], edition) or is_suppressed(row["previous"], edition)
        change = ("not comparable" if _missing(row["change"]) else RATE_NOT_SHOWN if hidden
                  else f"{int(row['change']):+,}")
        rows.append({"Rank": str(int(row[rank])), "Ward": str(row["ward"]), "Borough": str(row["borough"]),
                     "Offences": count_text(row["offences"], edition),
                     "Previous period": count_text(row["previous"], edition), "Change": change})
    return pd.DataFrame(rows)


def wards_section(wards_table: pd.DataFrame, manifest: dict, unit: str, edition: str) -> str:
    """Ward hotspot tables (by count and by rise), or a sentence saying why there are none."""
    if not manifest.get("has_wards"):
        return "The counts have no ward breakdown, so no ward hotspot table can be drawn.\n"
    blocks = []
    for by, caption, label in (("count", "Wards with most VAWG offences recorded in the period", "tbl-wards"),
                               ("change", "Wards with the largest rise on the previous period", "tbl-ward-rise")):
        rows = ward_hotspots(wards_table, unit, edition, by)
        if rows.empty:
            reason = ("the previous period is not in the data" if by == "change"
                      else "no ward has VAWG offences recorded in the period")
            blocks.append(f"No table of {caption[0].lower() + caption[1:]}: {reason}.\n")
        else:
            blocks.append(markdown(rows, caption, label))
    return "\n".join(blocks)


def breakdown(table: pd.DataFrame, heading: str, edition: str) -> pd.DataFrame:
    """A London-wide breakdown (classification, age or ethnic group): count, share and change."""
    rows = []
    for _, row in table.iterrows():
        hidden = is_suppressed(row["count"], edition)
        rows.append({heading: str(row["category"]), "Count": count_text(row["count"], edition),
                     "Share": RATE_NOT_SHOWN if hidden else pct(row["share"]),
                     "Change on previous period": str(row["flag"])})
    return pd.DataFrame(rows)


def open_quality(quality_table: pd.DataFrame, edition: str) -> pd.DataFrame:
    """What the counts hold for the period: London totals, rows outside the 12 BCUs, months."""
    rows = []
    for _, row in quality_table.iterrows():
        rows.append({"Measure": OPEN_MEASURE_LABELS.get(row["measure"], row["measure"]),
                     "London total": count_text(row["london_total"], edition),
                     "In the 12 BCUs": count_text(row["in_bcus"], edition),
                     "Outside the BCUs (Other, Unknown)": count_text(row["outside_bcus"], edition)})
    return pd.DataFrame(rows)


def open_months_sentence(quality_table: pd.DataFrame) -> str:
    """Which share of the period's months the counts cover, per measure, in words."""
    parts = [f"{OPEN_MEASURE_LABELS.get(r.measure, r.measure)}: {int(r.months_with_data)} of "
             f"{int(r.months_in_period)} months" for r in quality_table.itertuples()]
    gaps = (quality_table["months_with_data"] < quality_table["months_in_period"]).any()
    return ("Months of the period with published counts: " + "; ".join(parts) + "."
            + (" Months without counts lower the totals; compare with care." if gaps else "") + "\n")


def open_summary(headline_table: pd.DataFrame, funnel_table: pd.DataFrame, unit: str, name: str,
                 edition: str) -> str:
    """A few plain sentences on offences and victims, read from the prepared open-data tables."""
    mine = headline_table[headline_table["unit"] == unit].set_index("metric")
    london = headline_table[headline_table["unit_type"] == "london"].set_index("metric")
    offences, victims = mine.loc["offences"], mine.loc["victims"]
    sentences = [
        f"{name} recorded {count_text(offences['numerator'], edition)} VAWG offences against "
        f"{count_text(victims['numerator'], edition)} victims (counted per month) in the period: "
        f"{float(offences['per_year_per_1000']):.1f} offences a year per 1,000 women and girls "
        f"(London: {float(london.loc['offences', 'per_year_per_1000']):.1f}).",
        f"Compared with the previous period: {_flag_only(offences, 'previous')}; "
        f"with a year earlier: {_flag_only(offences, 'year')}.",
    ]
    position = funnel_table[(funnel_table["metric"] == "offences") & (funnel_table["unit"] == unit)]
    if not position.empty:
        kind = "borough" if position["unit_type"].iloc[0] == "borough" else "BCU"
        sentences.append(f"Against London's rate the {kind} is "
                         f"{position_phrase(position['position'].iloc[0], _overdispersed(position.iloc[0]))}.")
    return " ".join(sentences) + "\n"


def open_league(headline_table: pd.DataFrame, measure: str, edition: str,
                linked: list[str] | None = None) -> pd.DataFrame:
    """All 12 BCUs ranked by a measure's rate a year per 1,000 women and girls, with intervals."""
    rows = headline_table[(headline_table["unit_type"] == "bcu") & (headline_table["metric"] == measure)]
    rows = rows.sort_values("per_year_per_1000", ascending=False)
    out = []
    for rank, (_, row) in enumerate(rows.iterrows(), start=1):
        out.append({
            "Rank": str(rank), "BCU": _bcu_link(row["unit"], linked),
            "A year per 1,000 women and girls": f"{float(row['per_year_per_1000']):.1f}{population_year_text(row)}",
            "95% interval": interval(_per_year(row, "ci_low"), _per_year(row, "ci_high"), percent=False),
            "Count": count_text(row["numerator"], edition) + gap_note(row),
            "Change on previous period": _count_change_text(row, "previous", edition),
        })
    return _comparison_columns(pd.DataFrame(out), headline_table)


def open_interval_rows(headline_table: pd.DataFrame, measure: str, names: dict[str, str]) -> pd.DataFrame:
    """Rows for a dot-and-interval chart of the BCUs' rates a year per woman (``rate``, ``ci_low``, ``ci_high``)."""
    rows = headline_table[(headline_table["unit_type"] == "bcu") & (headline_table["metric"] == measure)].copy()
    months = rows.apply(_open_months, axis=1)
    rows["label"] = rows["unit"].map(lambda code: f"{names.get(code, code)} ({code})")
    rows["rate"] = rows["per_year_per_1000"] / 1000
    rows["ci_low"] = rows["ci_low"] * 12 / months / 1000
    rows["ci_high"] = rows["ci_high"] * 12 / months / 1000
    return rows[["unit", "label", "rate", "ci_low", "ci_high"]]


def open_interval_alt_text(rows: pd.DataFrame, what: str) -> str:
    """Alt text for the dot-and-interval chart of rates per 1,000."""
    ordered = rows.sort_values("rate", ascending=False)
    listed = "; ".join(f"{r.label} {r.rate * 1000:.1f} ({r.ci_low * 1000:.1f} to {r.ci_high * 1000:.1f})"
                       for r in ordered.itertuples())
    return f"{what} a year per 1,000 women and girls in each BCU with its 95% interval, highest first: {listed}."


def open_header(manifest: dict, *, title: str, areas: str, edition: str, unit: str | None = None) -> str:
    """The open-data report header: the usual header plus a note on the source and what it cannot show."""
    from .open_data import ABSENT_SECTIONS

    return header(manifest, title=title, areas=areas, edition=edition, unit=unit) + (
        f"\n> {OPEN_DATA_NOTE} {ABSENT_SECTIONS}\n")



def empty_unit_text(manifest: dict, headline_table: pd.DataFrame, unit: str, name: str, edition: str) -> str:
    """The short report of a unit with no in-scope crime in the period (instead of suppressed zeros).

    Rendered by ``notebooks/empty_unit.ipynb`` for the units in the manifest's
    ``empty_units``; for a unit that has in-scope crimes it says so (that unit gets
    the full report).
    """
    metric = "offences" if manifest.get("kind") == "counts" else "volume"
    rows = headline_table[headline_table["metric"] == metric]
    mine = rows[rows["unit"] == unit]
    crimes = float(mine["numerator"].iloc[0]) if len(mine) else 0.0
    london = float(rows.loc[rows["unit_type"] == "london", "numerator"].iloc[0]) if len(rows) else 0.0
    period = manifest.get("period_text") or manifest["period_label"]
    what = "VAWG offence" if metric == "offences" else "crime"
    if crimes > 0:
        return (f"{name} has {count_text(crimes, edition)} {what}s in VAWG scope in {period}; "
                "its full report gives the figures.")
    return (f"No {what} recorded in {name} in {period} is in VAWG scope, so this report has no figures: "
            "every table and chart would be empty, and a page of suppressed zeros would say nothing. "
            f"London as a whole has {count_text(london, edition)} in the period (see the London overview). "
            f"{d.VAWG_SCOPE_DEFINITION}")
