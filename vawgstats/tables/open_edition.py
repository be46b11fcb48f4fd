"""Tables and text for reports made from open (count-only) data."""

from __future__ import annotations

import pandas as pd

from .. import definitions as d
from ..suppression import RATE_NOT_SHOWN, count_text, is_suppressed, rate_hidden
from .formatting import _missing, _overdispersed, _p_text, interval, markdown, pct, position_phrase
from .headline import _bcu_link, _comparison_columns, boroughs, gap_note, population_year_text
from .text import _flag_only, header


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
    from ..open_data import ABSENT_SECTIONS

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
