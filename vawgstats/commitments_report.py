"""The commitments sections of the reports: tables, sentences and charts from the prepared tables.

Every function takes prepared tables (``commitment_figures``,
``commitment_monthly``, ``police_perpetrated``, ``outcomes_by_age`` and the
crime tables) and returns display strings, DataFrames of display strings or a
figure; the numbers come from :mod:`vawgstats.commitments`.

Disclosure: in the public edition a disclosive measure's count below the
threshold is shown as "<10" (:mod:`vawgstats.suppression`); its previous value
and change are hidden with it, and so is any figure derived from it (a sum of
parts or a share of the workforce), since the other parts would give it back.
"""

from __future__ import annotations

import math

import pandas as pd

from .commitments import (AGE_BANDS, NO_RETURN, STATUS_NONE, STATUS_SYNTHETIC, age_pattern, prorated_target,
                          target_check, target_text)
from .returns import COMMITMENTS, DERIVED, FORCE, MEASURES, PILLARS, measures_of
from .suppression import (COMPLEMENTARY, COMPLEMENTARY_LABEL, COMPLEMENTARY_NOTE, SUPPRESSION_STATEMENT, Protected,
                          count_text, is_suppressed, protect)
from .tables import markdown, rate_text

SUPPRESSED = count_text(0, "public")  # the label a suppressed count shows ("<10")
HIDDEN = "not shown"


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _kind(measure: str) -> str:
    if measure in MEASURES:
        return MEASURES[measure].kind
    return "percent" if DERIVED[measure][2] else "flow"


def _disclosive_parts(measure: str) -> tuple[str, ...]:
    """The disclosive measures a figure is made of (itself, or a derived figure's parts)."""
    if measure in MEASURES:
        return (measure,) if MEASURES[measure].disclosive else ()
    return tuple(p for p in DERIVED[measure][1] if MEASURES[p].disclosive)


def protection(figures: pd.DataFrame, edition: str) -> Protected:
    """The public edition's suppression pattern of the returns' figures: primary (a disclosive count
    below the threshold) and complementary ("[c]") under the relations declared in
    :func:`vawgstats.suppression.returns_relations` (MPS = the 12 BCUs; a sum = its parts)."""
    return protect(figures, "commitment_figures", edition)


def state(figures: pd.DataFrame, unit: str, measure: str, column: str, edition: str,
          shown: Protected | None = None, at: dict | None = None) -> str | None:
    """"primary", "complementary" or None (shown) for ``column`` (value or previous_value) of a figure.

    A share (a derived percent) is hidden ("primary") when any disclosive part of it is hidden.
    """
    if edition != "public":
        return None
    shown = shown if shown is not None else protection(figures, edition)
    if measure in MEASURES or not DERIVED[measure][2]:
        found = shown.state(unit, measure, column)
        if found is None and _disclosive_parts(measure):
            row = _row(figures, unit, measure, at)   # a small count the pattern did not see (no relation)
            if row is not None and is_suppressed(row[column], edition):
                return "primary"
        return found
    hidden_parts = [state(figures, unit, p, column, edition, shown, at) for p in _disclosive_parts(measure)]
    return "primary" if any(hidden_parts) else None


def hidden(figures: pd.DataFrame, unit: str, measure: str, column: str, edition: str,
           shown: Protected | None = None) -> bool:
    """True when the public edition must hide ``column`` (value or previous_value) of a figure."""
    return state(figures, unit, measure, column, edition, shown) is not None


def value_text(measure: str, value, edition: str, *, suppressed: bool | str = False) -> str:
    """A figure for display: "1,234", "35.0%", "<10" (suppressed), "[c]" (complementary) or "–" (missing)."""
    if _missing(value):
        return "–"
    if suppressed:
        if _kind(measure) == "percent":
            return HIDDEN
        return COMPLEMENTARY_LABEL if suppressed == COMPLEMENTARY else SUPPRESSED
    if _kind(measure) == "percent":
        return f"{float(value):.1f}%"
    return f"{float(value):,.0f}"


def _row(figures: pd.DataFrame, unit: str, measure: str, at: dict | None = None) -> pd.Series | None:
    """The first row of ``figures`` for ``unit`` and ``measure``, or None. ``at``: the table's
    :func:`_positions`, when the caller looks up many (a boolean mask for each costs far more)."""
    if at is not None:
        found = at.get((unit, measure))
        return None if found is None else figures.iloc[found]
    found = figures[(figures["unit"] == unit) & (figures["measure"] == measure)]
    return None if found.empty else found.iloc[0]


def _positions(figures: pd.DataFrame) -> dict:
    """Where each (unit, measure)'s first row is in ``figures`` (for :func:`_row`)."""
    from .tables.outcomes import first_rows

    return first_rows(figures, "unit", "measure")


def _cells(figures: pd.DataFrame, unit: str, measure: str, edition: str, targets: dict,
           months: int = 12, shown: Protected | None = None, at: dict | None = None) -> dict[str, str]:
    row = _row(figures, unit, measure, at)
    spec = targets.get(measure)
    if row is None:
        return {"This period": NO_RETURN, "Previous period": "–", "Change": "–", "Target": target_text(
            spec, measure, months) if spec else "none set", "Met?": NO_RETURN if spec else "–"}
    months = int(row["months"])
    shown = shown if shown is not None else protection(figures, edition)
    now_hidden = state(figures, unit, measure, "value", edition, shown, at)
    before_hidden = state(figures, unit, measure, "previous_value", edition, shown, at)
    now = value_text(measure, row["value"], edition, suppressed=now_hidden)
    if _kind(measure) == "flow" and int(row["months_covered"]) < months:
        now += f" ({int(row['months_covered'])} of {months} months)"
    before = value_text(measure, row["previous_value"], edition, suppressed=before_hidden)
    if now_hidden or before_hidden:
        change = HIDDEN
    elif _missing(row["change"]):
        change = "–"
    elif row["change"] == 0 or (_kind(measure) == "percent" and round(float(row["change"]), 1) == 0):
        change = "no change"
    elif _kind(measure) == "percent":
        change = f"{row['change']:+.1f} points"
    else:
        change = f"{row['change']:+,.0f}"
    met = target_check(spec, row, measure, months) if spec else "–"
    if spec and now_hidden and met in ("yes", "no"):
        met = HIDDEN
    return {"This period": now, "Previous period": before, "Change": change,
            "Target": target_text(spec, measure, months) if spec else "none set", "Met?": met}


def _label(measure: str) -> str:
    return MEASURES[measure].label if measure in MEASURES else DERIVED[measure][0]


#: Derived figures shown with each commitment, after its measures.
DERIVED_WITH = {1: ("police_perpetrated_share_percent",), 4: ("workforce_female_percent",)}


def commitment_measures(commitment: int) -> list[str]:
    """The measures (and derived figures) shown for a commitment, in order."""
    return [m.name for m in measures_of(commitment)] + list(DERIVED_WITH.get(commitment, ()))


def delivery_detail(figures: pd.DataFrame, unit: str, targets: dict, edition: str, months: int = 12) -> pd.DataFrame:
    """One row per measure of every commitment: this period, previous, change, target and whether met.

    A measure with no return for the unit shows "no return supplied".
    """
    rows = []
    shown, at = protection(figures, edition), _positions(figures)
    for number, (pillar, title) in COMMITMENTS.items():
        for measure in commitment_measures(number):
            rows.append({"Commitment": f"C{number}", "Measure": _label(measure),
                         **_cells(figures, unit, measure, edition, targets, months, shown, at)})
    return pd.DataFrame(rows, columns=["Commitment", "Measure", "This period", "Previous period", "Change",
                                       "Target", "Met?"])


# --------------------------------------------------------------------------- evidence from crime figures


def _headline_rate(headline: pd.DataFrame, unit: str, metric: str, edition: str) -> str | None:
    row = headline[(headline["unit"] == unit) & (headline["metric"] == metric)]
    if row.empty:
        return None
    row = row.iloc[0]
    return rate_text(row["value"], row["numerator"], row["denominator"], edition)


def crime_evidence(number: int, unit: str, edition: str, *, headline: pd.DataFrame | None = None,
                   offence_outcomes_table: pd.DataFrame | None = None, places: pd.DataFrame | None = None) -> str:
    """The crime figures that serve a commitment (C6: charge and positive outcome rates; C8: victim does
    not support, repeat victimisation; C9: where crimes happen), or "–"."""
    parts = []
    if number == 6 and headline is not None:
        for metric, label in (("charge_rate", "charge/summons rate"), ("positive_outcome_rate", "positive outcome rate")):
            if (text := _headline_rate(headline, unit, metric, edition)) is not None:
                parts.append(f"{label} {text}")
    if number == 8:
        if offence_outcomes_table is not None:
            rows = offence_outcomes_table[(offence_outcomes_table["unit"] == unit)
                                          & (offence_outcomes_table["offence_type"] == "Domestic abuse")
                                          & (offence_outcomes_table["measure"]
                                             == "evidential_difficulties_suspect_victim_unsupportive")]
            if len(rows):
                row = rows.iloc[0]
                parts.append("domestic abuse closed as victim does not support (16) "
                             + rate_text(row["rate"], row["numerator"], row["denominator"], edition))
        if headline is not None and (text := _headline_rate(headline, unit, "repeat_victimisation_rate", edition)):
            parts.append(f"repeat victimisation rate {text}")
    if number == 9:
        if headline is not None:
            row = headline[(headline["unit"] == unit) & (headline["metric"] == "volume")]
            if len(row) and not _missing(row.iloc[0]["per_year_per_1000"]):
                parts.append(f"{row.iloc[0]['per_year_per_1000']:.1f} in-scope crimes a year per 1,000 women and girls")
        key = "unit" if places is not None and "unit" in places.columns else "bcu"
        if places is not None and len(mine := places[places[key] == unit].sort_values("rank")):
            top = mine.iloc[0]
            parts.append(f"busiest neighbourhood {top['lsoa_code']} ({top['borough']}, "
                         f"{count_text(top['crimes'], edition)} crimes; see Where crimes happen)")
    if number == 1 and unit != FORCE:
        parts.append("police-perpetrated VAWG is reported force-wide: see the London overview")
    return "; ".join(parts) if parts else "–"


def _returns_evidence(figures: pd.DataFrame, unit: str, number: int, targets: dict, edition: str,
                      months: int = 12, shown: Protected | None = None, at: dict | None = None) -> str:
    """One commitment's returns as one line: each figure with its previous value, change, target and
    whether met, then the measures with no return."""
    parts, absent = [], []
    for measure in commitment_measures(number):
        if measure in DERIVED and _row(figures, unit, measure, at) is None:
            continue
        cells = _cells(figures, unit, measure, edition, targets, months, shown, at)
        if cells["This period"] == NO_RETURN:
            absent.append(_label(measure))
            continue
        details = []
        if cells["Previous period"] != "–":
            change = cells["Change"] if cells["Change"] in ("no change", "–") else f"change {cells['Change']}"
            details.append(f"previous {cells['Previous period']}, {change}")
        if cells["Target"] != "none set":
            details.append(f"target {cells['Target']}, met? {cells['Met?']}")
        parts.append(f"{_label(measure)}: {cells['This period']}" + (f" ({'; '.join(details)})" if details else ""))
    text = ". ".join(parts) + ("." if parts else "")
    if absent:
        text += (" " if text else "") + f"{', '.join(absent)}: {NO_RETURN}."
    return text or f"No measure declared: {NO_RETURN}."


def delivery_summary(figures: pd.DataFrame, unit: str, targets: dict, edition: str, *,
                     headline: pd.DataFrame | None = None, offence_outcomes_table: pd.DataFrame | None = None,
                     places: pd.DataFrame | None = None, months: int = 12) -> pd.DataFrame:
    """One row per commitment: its pillar, what was promised, the evidence from returns and from crimes."""
    rows = []
    shown, at = protection(figures, edition), _positions(figures)
    for number, (pillar, title) in COMMITMENTS.items():
        rows.append({"Pillar": f"{pillar}. {PILLARS[pillar]}", "Commitment": f"C{number}. {title}",
                     "Evidence from returns": _returns_evidence(figures, unit, number, targets, edition, months,
                                                                shown, at),
                     "Evidence from crime figures": crime_evidence(
                         number, unit, edition, headline=headline, offence_outcomes_table=offence_outcomes_table,
                         places=places)})
    return pd.DataFrame(rows)


def returns_note(manifest: dict) -> str:
    """Where the delivery returns come from, as a sentence (synthetic ones say so plainly)."""
    info = manifest.get("returns") or {"status": STATUS_NONE}
    if info["status"] == STATUS_SYNTHETIC:
        return ("**The delivery returns in this section are synthetic** (made up by `vawgstats returns synth` "
                "to show the layout); they are not the BCU's figures.\n")
    if info["status"] == STATUS_NONE:
        return (f"No delivery returns were supplied with this run (`vawgstats render --returns FILE`), so every "
                f"commitment below shows \"{NO_RETURN}\"; the crime figures that serve it are shown.\n")
    return (f"Delivery returns from `{info.get('file')}` ({info.get('rows', 0):,} figures). Flows are summed over "
            "the period (a figure spanning several months counts only if it lies wholly inside it), stocks "
            "are taken at the latest month within it, and targets are pro-rated to the period's length.\n")


def returns_cover_note(bcu: str, borough: str) -> str:
    """For a borough's report (the one sentence saying so): delivery returns are made per BCU, so the
    returns shown are the whole BCU's, while the crime figures are the borough's."""
    from .geography import BCU_BY_CODE

    boroughs = list(BCU_BY_CODE[bcu].boroughs)
    names = boroughs[0] if len(boroughs) == 1 else ", ".join(boroughs[:-1]) + " and " + boroughs[-1]
    return (f"Delivery returns are made per BCU, not per borough: the returns below cover the whole of "
            f"{BCU_BY_CODE[bcu].name} BCU ({bcu}: {names}), not {borough} alone; the crime figures are "
            f"{borough}'s.")


def delivery_section(prepared, unit: str, targets: dict, edition: str, crime_unit: str | None = None) -> str:
    """The whole commitments section of a report as Markdown: note, summary and detail tables.

    ``unit``: the BCU whose returns are shown; ``crime_unit``: the unit whose crime figures serve
    the commitments (default ``unit``; a borough for a borough's report).
    """
    figures = prepared.table("commitment_figures")
    months = prepared.period.months
    crime_unit = crime_unit or unit
    summary = delivery_summary(figures, unit, targets, edition, headline=prepared.table("headline"),
                               offence_outcomes_table=prepared.table("offence_outcomes"),
                               places=prepared.table("places"), months=months)
    if crime_unit != unit:
        summary["Evidence from crime figures"] = [crime_evidence(
            number, crime_unit, edition, headline=prepared.table("headline"),
            offence_outcomes_table=prepared.table("offence_outcomes"), places=prepared.table("places"))
            for number in COMMITMENTS]
    detail = delivery_detail(figures, unit, targets, edition, months)
    text = returns_note(prepared.manifest) + "\n"
    if crime_unit != unit:
        text += returns_cover_note(unit, crime_unit) + "\n\n"
    text += markdown(summary, "The ten commitments: evidence from delivery returns and crime figures", "tbl-commitments")
    text += "\n" + markdown(detail, f"Delivery returns for {prepared.manifest['period_label']}, with the previous "
                            "period and targets pro-rated to the period", "tbl-commitment-detail")
    if edition == "public" and any(MEASURES[m].disclosive for m in MEASURES):
        text += f"\n{SUPPRESSION_STATEMENT} The same applies to the disclosive returns (police-perpetrated cases, misconduct and dismissals).\n"
        if (detail == COMPLEMENTARY_LABEL).any().any():
            text += f"\n{COMPLEMENTARY_NOTE}\n"
    return text


# --------------------------------------------------------------------------- charts


def monthly_series(monthly: pd.DataFrame, unit: str, measure: str = "walk_and_talk") -> pd.DataFrame:
    """One unit's monthly figures of one flow: month, value."""
    rows = monthly[(monthly["unit"] == unit) & (monthly["measure"] == measure)]
    return rows[["month", "value"]].sort_values("month").reset_index(drop=True)


def activity_chart(series: pd.DataFrame, per_month: float | None, *, title: str, ylabel: str = "Walk and Talks"):
    """Monthly bars of a flow with the monthly target as a dashed line (None: no target line)."""
    import matplotlib.pyplot as plt

    from .charts import DARK_BLUE, ORANGE

    figure, ax = plt.subplots(figsize=(7.5, 3.0))
    months = series["month"].tolist()
    ax.bar(range(len(months)), series["value"], color=DARK_BLUE, label="Held")
    if per_month is not None:
        ax.axhline(per_month, color=ORANGE, linestyle="--", linewidth=1.5, label=f"Target: {per_month:g} a month")
    step = max(1, len(months) // 8)
    ax.set_xticks(range(0, len(months), step), months[::step], rotation=0, fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize=8)
    return figure


def activity_alt_text(series: pd.DataFrame, per_month: float | None, what: str, name: str) -> str:
    """Alt text of :func:`activity_chart`: the range and how many months met the target."""
    if series.empty:
        return f"No monthly {what} returns for {name}."
    text = (f"Bar chart of {what} per month for {name}, {series['month'].iloc[0]} to {series['month'].iloc[-1]}: "
            f"from {series['value'].min():,.0f} to {series['value'].max():,.0f} a month")
    if per_month is not None:
        met = int((series["value"] >= per_month).sum())
        text += f"; {met} of {len(series)} months at or above the target of {per_month:g}"
    return text + "."


def activity_sentence(series: pd.DataFrame, per_month: float | None, what: str) -> str:
    if series.empty:
        return f"No monthly {what} returns: {NO_RETURN}.\n"
    if per_month is None:
        return f"{len(series)} months of {what} returns.\n"
    met = int((series["value"] >= per_month).sum())
    return f"{met} of the {len(series)} months shown reached the target of {per_month:g} {what} a month.\n"


# --------------------------------------------------------------------------- London overview

#: Activity measures compared across the 12 BCUs.
ACROSS_BCUS = ("walk_and_talk", "vigilant_operations", "verona_patrols", "dvpo_granted", "spo_granted",
               "marac_cases", "clares_law_disclosures", "wanted_da_suspects")


def across_bcus(figures: pd.DataFrame, targets_by_unit: dict[str, dict], names: dict[str, str], edition: str,
                measures: tuple[str, ...] = ACROSS_BCUS, months: int = 12) -> pd.DataFrame:
    """The 12 BCUs side by side on the activity measures, with Walk and Talks against their target."""
    rows = []
    shown, at = protection(figures, edition), _positions(figures)
    for code, name in names.items():
        row = {"BCU": f"{name} ({code})"}
        targets = targets_by_unit.get(code, {})
        for measure in measures:
            cells = _cells(figures, code, measure, edition, targets, months, shown, at)
            row[_label(measure)] = cells["This period"]
            if measure in targets:
                row[f"{_label(measure)}: target"] = cells["Target"]
                row[f"{_label(measure)}: met?"] = cells["Met?"]
        rows.append(row)
    return pd.DataFrame(rows)


def bcu_activity_chart(figures: pd.DataFrame, targets_by_unit: dict[str, dict], names: dict[str, str],
                       measure: str = "walk_and_talk", *, title: str):
    """Horizontal bars of one flow per BCU for the period, with each BCU's pro-rated target marked."""
    import matplotlib.pyplot as plt

    from .charts import DARK_BLUE, LIGHT_GREY, ORANGE

    codes = list(names)
    values, marks = [], []
    for code in codes:
        row = _row(figures, code, measure)
        values.append(float(row["value"]) if row is not None else 0.0)
        spec = targets_by_unit.get(code, {}).get(measure)
        months = int(row["months"]) if row is not None else None
        marks.append(prorated_target(spec, months) if spec and months else None)
    figure, ax = plt.subplots(figsize=(7.5, 4.0))
    colours = [DARK_BLUE if _row(figures, c, measure) is not None else LIGHT_GREY for c in codes]
    ax.barh(range(len(codes)), values, color=colours, label="This period")
    shown = [(i, m) for i, m in enumerate(marks) if m is not None]
    if shown:
        ax.scatter([m for _, m in shown], [i for i, _ in shown], marker="|", s=400, color=ORANGE, linewidths=2.5,
                   label="Target (pro-rated)", zorder=3)
    ax.set_yticks(range(len(codes)), [f"{names[c]} ({c})" for c in codes], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(_label(measure))
    ax.set_title(title)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize=8)
    return figure


def bcu_activity_alt_text(figures: pd.DataFrame, targets_by_unit: dict[str, dict], names: dict[str, str],
                          measure: str = "walk_and_talk") -> str:
    rows = [(c, _row(figures, c, measure)) for c in names]
    given = [(c, r) for c, r in rows if r is not None]
    if not given:
        return f"No BCU supplied {_label(measure)} returns for the period."
    met = sum(1 for c, r in given if target_check(targets_by_unit.get(c, {}).get(measure), r, measure,
                                                   int(r["months"])) == "yes")
    return (f"Bar chart of {_label(measure)} in the period for the 12 BCUs, from "
            f"{min(r['value'] for _, r in given):,.0f} to {max(r['value'] for _, r in given):,.0f}, with each BCU's "
            f"pro-rated target marked; {met} of {len(given)} BCUs with returns met the target.")


def police_perpetrated(table: pd.DataFrame, edition: str, figures: pd.DataFrame | None = None,
                       period=None) -> pd.DataFrame:
    """The force's police-perpetrated VAWG figures, one row per period reported (suppressed in the
    public edition: a count below the threshold, and any sum or share it is part of).

    ``figures`` and ``period`` (the prepared ``commitment_figures`` and the report's period): a row
    for the report period or the previous one shows the force's cells as the returns' pattern has
    them (:func:`protection`), so a force total hidden there ("[c]") to protect a BCU is hidden here.
    """
    shown = protection(figures, edition) if figures is not None and period is not None else None
    columns = {}
    if shown is not None:
        columns = {(str(period.start), str(period.end)): "value",
                   (str(period.previous().start), str(period.previous().end)): "previous_value"}
    rows = []
    for record in table.itertuples(index=False):
        values = record._asdict()
        column = columns.get((str(values["start"]), str(values["end"])))

        def pattern(name: str) -> str | None:
            measure = name if name.startswith("police_perpetrated_") else f"police_perpetrated_{name}"
            return shown.state(FORCE, measure, column) if column else None

        def small(name: str) -> bool:
            return is_suppressed(values[name], edition) or pattern(name) is not None

        def count(name: str, parts: tuple[str, ...] = ()) -> str:
            if _missing(values[name]):
                return "–"
            if pattern(name) == COMPLEMENTARY:
                return COMPLEMENTARY_LABEL
            if small(name) or any(small(p) for p in parts if not _missing(values[p])):
                return SUPPRESSED if small(name) else HIDDEN
            return f"{values[name]:,.0f}"

        cases = ("police_perpetrated_conduct_cases", "police_perpetrated_complaint_cases")
        people = ("police_perpetrated_conduct_individuals", "police_perpetrated_complaint_individuals")
        share = values["share_percent"]
        share_hidden = any(small(p) for p in people if not _missing(values[p]))
        rows.append({
            "Period": f"{pd.Period(values['start'], 'M').strftime('%b %Y')} to {pd.Period(values['end'], 'M').strftime('%b %Y')}",
            "Cases (conduct + complaint)": count("cases", cases),
            "Allegations": count("police_perpetrated_allegations"),
            "Conduct cases": count("police_perpetrated_conduct_cases"),
            "Individuals (conduct)": count("police_perpetrated_conduct_individuals"),
            "Complaint cases": count("police_perpetrated_complaint_cases"),
            "Individuals (complaint)": count("police_perpetrated_complaint_individuals"),
            "Individuals (all)": count("individuals", people),
            "Share of the workforce": "–" if _missing(share) else (HIDDEN if share_hidden else f"{share:.1f}%"),
        })
    return pd.DataFrame(rows)


def police_perpetrated_section(table: pd.DataFrame, edition: str, figures: pd.DataFrame | None = None,
                               period=None) -> str:
    if table.empty:
        return (f"Police-perpetrated VAWG: {NO_RETURN} (force-wide rows, `bcu` = {FORCE}, measures "
                "police_perpetrated_*).\n")
    shown = police_perpetrated(table, edition, figures, period)
    text = markdown(shown, "Police-perpetrated VAWG in the Met (force-wide returns; NPCC definitions: new cases and "
                    "allegations in each period)", "tbl-police-perpetrated")
    if (shown == COMPLEMENTARY_LABEL).any().any():
        text += f"\n{COMPLEMENTARY_NOTE}\n"
    return text


# --------------------------------------------------------------------------- the girls' view

def age_outcomes(by_age: pd.DataFrame, unit: str, band: str, pattern: dict, edition: str) -> pd.DataFrame:
    """One age band's outcomes by offence type for a unit, under ``pattern`` (see :func:`age_pattern`)."""
    from . import definitions as d
    from .suppression import COMPLEMENTARY, COMPLEMENTARY_LABEL, RATE_NOT_SHOWN
    from .tables import MEASURE_LABELS, pct
    from .tables.outcomes import first_rows

    mine = by_age[(by_age["age_band"] == band) & (by_age["unit"] == unit)]
    types = list(d.REPORT_OFFENCE_GROUPS)
    first = first_rows(mine, "offence_type", "measure")

    def state(offence_type, measure, column):
        return pattern.get((band, str(unit), offence_type, measure, column))

    def cell(offence_type, measure):
        at = first.get((offence_type, measure))
        return None if at is None else mine.iloc[at]

    rows = [{"Measure": "In-scope crimes recorded"}]
    for offence_type in types:
        row = cell(offence_type, "charge_rate")
        how = state(offence_type, "charge_rate", "denominator")
        rows[0][offence_type] = ("–" if row is None else COMPLEMENTARY_LABEL if how == COMPLEMENTARY
                                 else count_text(row["denominator"], edition))
    for measure, label in MEASURE_LABELS.items():
        out = {"Measure": label}
        for offence_type in types:
            row = cell(offence_type, measure)
            if row is None:
                out[offence_type] = "–"
                continue
            states = (state(offence_type, measure, "numerator"), state(offence_type, measure, "denominator"))
            small = (is_suppressed(row["numerator"], edition) or is_suppressed(row["denominator"], edition)
                     or any(how is not None and how != COMPLEMENTARY for how in states))
            # a rate hidden only to protect a small count elsewhere is "[c]", not "not shown (<10)"
            out[offence_type] = (RATE_NOT_SHOWN if small else COMPLEMENTARY_LABEL if any(states)
                                 else pct(row["rate"]))
        rows.append(out)
    return pd.DataFrame(rows)


def girls_view(table: pd.DataFrame, unit: str, edition: str, all_ages: pd.DataFrame | None = None,
               suppressed: pd.DataFrame | None = None) -> str:
    """Outcomes by offence type for victims under 18 and for victims 18 and over, as two Markdown tables.

    ``suppressed``: the prepared ``outcomes_by_age_suppressed`` table (the public edition's pattern,
    :func:`vawgstats.commitments.age_suppression`); without it the pattern is computed here from
    ``all_ages`` (the prepared ``offence_outcomes`` table shown elsewhere in the report).
    """
    from .commitments import pattern_of
    from .suppression import COMPLEMENTARY, COMPLEMENTARY_NOTE

    complementary = None
    if edition != "public":
        pattern = {}
    elif suppressed is not None:
        # only this unit's cells are looked up; whether any cell is complementary is asked of them all
        pattern = pattern_of(suppressed[suppressed["unit"] == str(unit)])
        complementary = bool((suppressed["state"] == COMPLEMENTARY).any())
    else:
        pattern = age_pattern(table, all_ages, edition)
    if complementary is None:
        complementary = COMPLEMENTARY in pattern.values()
    text = ""
    for band, label in (("under 18", "tbl-outcomes-under18"), ("18 and over", "tbl-outcomes-adult")):
        text += markdown(age_outcomes(table, unit, band, pattern, edition), f"Outcomes and attrition by offence "
                         f"type, victims {band}", label) + "\n"
    text += "Crimes whose victim's age is not recorded are in neither table.\n"
    if complementary:
        text += f"\n{COMPLEMENTARY_NOTE}\n"
    return text
