"""Report text: header, summary, funnel and trend notes, provenance and the code-set appendix."""

from __future__ import annotations

import pandas as pd

from .. import definitions as d
from ..suppression import protect
from .formatting import MEASURE_LABELS, METRIC_LABELS, _missing, _overdispersed, interval, pct, position_phrase
from .headline import follow_up_note


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
        from ..coverage import banner
        from ..periods import as_period

        gap = banner(manifest["coverage"], as_period(manifest["start"], manifest["end"]), unit, edition)
        if gap:
            blocks.append(f"> **{gap}**")
    if manifest.get("synthetic"):
        blocks.append(f"> {SYNTHETIC_BANNER}")
    if manifest.get("policeuk_proxy"):
        blocks.append(f"> {POLICEUK_NOTE}")
    if edition == "public":
        from ..suppression import SUPPRESSION_STATEMENT

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
