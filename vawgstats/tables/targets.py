"""Local targets: each target set for a unit against its measured change."""

from __future__ import annotations

import pandas as pd

from .formatting import METRIC_LABELS, _change_text, _missing, markdown, pct
from .headline import _comparison_columns, _headline_cells


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
