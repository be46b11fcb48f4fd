"""Places and data-quality tables: where crimes happen and how complete the records are."""

from __future__ import annotations

import pandas as pd

from ..geography import BCU_BY_CODE
from ..suppression import RATE_NOT_SHOWN, count_text, protect, rate_hidden
from .formatting import markdown, pct


def places(table: pd.DataFrame, unit: str, edition: str, kind: str = "BCU") -> pd.DataFrame:
    """The busiest LSOAs of a unit, a BCU or a borough (counts suppressed in the public edition), with
    each LSOA's ward (May 2022; empty for a code that is not a 2021 London LSOA) and borough."""
    from ..areas import ward_of

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
