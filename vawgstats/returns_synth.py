"""Synthetic delivery returns: realistic, deterministic, clearly marked as synthetic.

:func:`generate` makes a returns table (see :mod:`vawgstats.returns`) for the
12 BCUs and the force for the months ``start`` to ``end``: monthly activity
(Walk and Talks around the Met's 6 a month per BCU, some BCUs below it;
Project Vigilant and Op Verona operations; protective orders; MARAC and
Clare's Law), month-end stocks (wanted domestic abuse suspects, VAWG 100 and
Op Dauntless cohorts, workforce), a quarterly trust survey with respondents,
and the force's six-monthly police-perpetrated VAWG figures (the NPCC's
collection periods: October-March and April-September).  Every row's
``source`` is :data:`SYNTHETIC_SOURCE`.  The same seed and months give the
same table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .geography import BCU_CODES
from .periods import as_period
from .returns import COLUMNS, FORCE, MEASURES

SYNTHETIC_SOURCE = "synthetic (vawgstats returns synth)"
DEFAULT_SEED = 2021

#: Monthly means per BCU of the flows (Poisson counts), before a BCU's own level.
FLOW_MEANS = {
    "walk_and_talk": 6.0, "engagement_events": 4.0, "vigilant_operations": 1.0, "verona_patrols": 2.0,
    "streetsafe_reports": 12.0, "schools_sessions": 5.0, "vawg100_arrests": 3.0, "dvpn_issued": 9.0,
    "dvpo_granted": 7.0, "spo_granted": 1.5, "nmo_notifications": 30.0, "marac_cases": 40.0,
    "clares_law_applications": 25.0, "clares_law_disclosures": 9.0, "vawg_dismissals": 0.15,
}
#: Month-end levels per BCU of the stocks (a slow random walk around them).
STOCK_LEVELS = {
    "wanted_da_suspects": 190.0, "vawg100_cohort": 100.0, "dauntless_nominals": 40.0, "spo_in_force": 25.0,
    "public_protection_officers": 210.0, "workforce_headcount": 1600.0, "vawg_misconduct_investigations": 20.0,
    "vawg_problem_solving_plans": 6.0,
}
#: Force-wide six-monthly police-perpetrated VAWG figures (means; the Met's published order of size).
FORCE_SIX_MONTHLY = {
    "police_perpetrated_allegations": 280.0, "police_perpetrated_conduct_cases": 200.0,
    "police_perpetrated_complaint_cases": 28.0,
}


def _row(start, end, unit, measure, value) -> dict:
    return {"start": str(start), "end": str(end), "bcu": unit, "measure": measure, "value": float(value),
            "source": SYNTHETIC_SOURCE, "note": ""}


def generate(seed: int = DEFAULT_SEED, start: str = "2021-04", end: str = "2026-03") -> pd.DataFrame:
    """Synthetic returns for ``start`` to ``end`` (``YYYY-MM``), as a canonical returns table."""
    period = as_period(start, end)
    months = pd.period_range(period.start, period.end, freq="M")
    rng = np.random.default_rng(seed)
    rows: list[dict] = []
    for index, unit in enumerate(BCU_CODES):
        level = float(rng.uniform(0.75, 1.25))  # some BCUs do more than others
        for measure, mean in FLOW_MEANS.items():
            counts = rng.poisson(mean * level * rng.uniform(0.85, 1.15), size=len(months))
            rows += [_row(m, m, unit, measure, c) for m, c in zip(months, counts)]
        for measure, centre in STOCK_LEVELS.items():
            steps = rng.normal(0, 0.02, size=len(months)).cumsum()
            values = np.maximum(0, np.round(centre * level * np.exp(steps)))
            rows += [_row(m, m, unit, measure, v) for m, v in zip(months, values)]
            if measure == "workforce_headcount":
                headcount = values
        share = rng.uniform(0.28, 0.37)
        rows += [_row(m, m, unit, "workforce_female", round(h * share)) for m, h in zip(months, headcount)]
        for quarter_start in [m for m in months if m.month in (1, 4, 7, 10) and m + 2 <= period.end]:
            respondents = int(rng.integers(250, 450))
            trust = float(np.clip(rng.normal(68 + 4 * (level - 1), 3), 0, 100))
            rows.append(_row(quarter_start, quarter_start + 2, unit, "trust_percent", round(trust, 1)))
            rows.append(_row(quarter_start, quarter_start + 2, unit, "trust_percent_respondents", respondents))
    # the force: six-monthly police-perpetrated VAWG figures (Oct-Mar, Apr-Sep) and the workforce
    for first in [m for m in months if m.month in (4, 10) and m + 5 <= period.end]:
        last = first + 5
        figures = {name: rng.poisson(mean) for name, mean in FORCE_SIX_MONTHLY.items()}
        figures["police_perpetrated_allegations"] = max(figures["police_perpetrated_allegations"],
                                                        figures["police_perpetrated_conduct_cases"]
                                                        + figures["police_perpetrated_complaint_cases"])
        figures["police_perpetrated_conduct_individuals"] = (figures["police_perpetrated_conduct_cases"]
                                                             + rng.poisson(5))
        figures["police_perpetrated_complaint_individuals"] = (figures["police_perpetrated_complaint_cases"]
                                                               + rng.poisson(3))
        rows += [_row(first, last, FORCE, name, value) for name, value in figures.items()]
        workforce = round(rng.normal(46000, 500))
        rows.append(_row(last, last, FORCE, "workforce_headcount", workforce))
        rows.append(_row(last, last, FORCE, "workforce_female", round(workforce * rng.uniform(0.30, 0.32))))
    # valid by construction (the tests check it through parse_returns): built directly, as that is faster
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    assert set(table["measure"]) <= set(MEASURES)
    table["start"] = _months(table["start"])
    table["end"] = _months(table["end"])
    table["row"] = np.arange(2, len(table) + 2, dtype="int64")
    return table


def _months(text: pd.Series) -> pd.PeriodIndex:
    """``YYYY-MM`` texts as monthly periods, each distinct text parsed once (pandas parses each
    value of a long column on its own: 0.3 s for the returns' 36,000)."""
    codes, uniques = pd.factorize(text)
    return pd.PeriodIndex(uniques, freq="M")[codes]


def is_synthetic_returns(table: pd.DataFrame) -> bool:
    """True when any row carries the synthetic source marker."""
    return bool(len(table)) and bool(table["source"].astype(str).eq(SYNTHETIC_SOURCE).any())
