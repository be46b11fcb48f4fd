"""Delivery against the ten commitments: returns aggregated to a report period, with targets.

Pure functions on the canonical returns table (:func:`vawgstats.returns.load_returns`):

- :func:`aggregate`: one figure per unit and measure for a period.  Flows are
  summed over the rows whose span lies wholly inside the period (a six-monthly
  row counts in a 12-month period that contains it, never in a 3-month one);
  stocks take the value at the latest ``end`` within the period; percents are
  the mean of the rows inside the period, weighted by ``<measure>_respondents``
  when every row has its base.
- :func:`derived` adds the figures made of two measures where both exist
  (:data:`vawgstats.returns.DERIVED`): police-perpetrated cases and individuals
  (conduct + complaint), individuals as a share of the workforce, female share
  of the workforce.
- :func:`period_figures`: the period's figures beside the previous period's.
- :func:`target_check`: a target (``per_month``, ``per_year``, ``value`` or a
  direction) pro-rated to the period, and whether it was met.
- :func:`force_periods`: the force's (``MPS``) police-perpetrated figures, one
  row per period the file reports.
- :func:`prepared_tables`: the tables :mod:`vawgstats.prepare` writes beside
  the crime tables.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ._lazy import lazy_module
from .periods import Period, as_period
from .returns import COLUMNS, DERIVED, FORCE, MEASURES, RESPONDENTS_SUFFIX

np = lazy_module("numpy", globals(), "np")  # imported on first use
pd = lazy_module("pandas", globals(), "pd")  # imported on first use

FIGURE_COLUMNS = ["unit", "measure", "kind", "value", "respondents", "rows", "months_covered", "latest_end"]
#: Months of monthly returns kept for trend charts (to the period's end).
TREND_MONTHS = 24
#: ``status`` of the returns in a prepared manifest.
STATUS_SUPPLIED, STATUS_SYNTHETIC, STATUS_NONE = "supplied", "synthetic", "none"
NO_RETURN = "no return supplied"


def _empty_returns() -> pd.DataFrame:
    table = pd.DataFrame({c: pd.Series(dtype=object) for c in list(COLUMNS) + ["row"]})
    table["start"] = pd.PeriodIndex([], freq="M")
    table["end"] = pd.PeriodIndex([], freq="M")
    table["value"] = table["value"].astype(float)
    return table


def _months_covered(rows: pd.DataFrame) -> int:
    months: set = set()
    for first, last in zip(rows["start"], rows["end"]):
        months.update(pd.period_range(first, last, freq="M"))
    return len(months)


def aggregate(returns: pd.DataFrame, start, end) -> pd.DataFrame:
    """One figure per unit and measure present for the period ``start``-``end`` (``YYYY-MM``).

    Columns: ``unit``, ``measure``, ``kind``, ``value``, ``respondents`` (percents
    with a base), ``rows`` (rows used), ``months_covered`` (months of the period
    the rows used cover; 1 for a stock), ``latest_end`` (stocks: the month taken).
    """
    period = as_period(start, end)
    if returns.empty:
        return pd.DataFrame(columns=FIGURE_COLUMNS)
    kinds = returns["measure"].map(lambda m: MEASURES[m].kind)
    inside = (returns["start"] >= period.start) & (returns["end"] <= period.end)
    ends_inside = (returns["end"] >= period.start) & (returns["end"] <= period.end)
    out = []
    # flows (and respondents bases): summed over the rows wholly inside the period
    flows = returns[inside & (kinds == "flow")]
    if len(flows):
        spans = ((flows["end"] - flows["start"]).map(lambda offset: offset.n) + 1).to_numpy()
        months = pd.DataFrame({"bcu": np.repeat(flows["bcu"].to_numpy(), spans),
                               "measure": np.repeat(flows["measure"].to_numpy(), spans),
                               "month": np.concatenate([np.arange(s.ordinal, s.ordinal + n) for s, n
                                                        in zip(flows["start"], spans)])})
        keys = ["bcu", "measure"]
        summed = flows.groupby(keys, sort=True).agg(value=("value", "sum"), rows=("value", "size"),
                                                   latest_end=("end", "max"))
        summed["months_covered"] = months.groupby(keys, sort=True)["month"].nunique()
        out += [{"unit": unit, "measure": measure, "kind": "flow", "value": float(row.value), "respondents": np.nan,
                 "rows": int(row.rows), "months_covered": int(row.months_covered),
                 "latest_end": str(row.latest_end)} for (unit, measure), row in summed.iterrows()]
    # stocks: the value at the latest end within the period (the shortest span on a tie)
    stocks = returns[ends_inside & (kinds == "stock")].sort_values(["end", "start"])
    last = stocks.groupby(["bcu", "measure"], sort=True).tail(1).sort_values(["bcu", "measure"])
    out += [{"unit": r.bcu, "measure": r.measure, "kind": "stock", "value": float(r.value), "respondents": np.nan,
             "rows": 1, "months_covered": 1, "latest_end": str(r.end)} for r in last.itertuples(index=False)]
    # percents: mean of the rows inside the period, weighted by respondents when each has its base
    percents = returns[inside & (kinds == "percent")]
    bases = returns[inside & returns["measure"].str.endswith(RESPONDENTS_SUFFIX)]
    base_of = {(r.start, r.end, r.bcu, r.measure[: -len(RESPONDENTS_SUFFIX)]): r.value
               for r in bases.itertuples(index=False)}
    for (unit, measure), group in percents.groupby(["bcu", "measure"], sort=True):
        weights = [base_of.get((r.start, r.end, r.bcu, r.measure)) for r in group.itertuples(index=False)]
        if all(w is not None for w in weights) and sum(weights) > 0:
            value = float(np.average(group["value"], weights=weights))
            respondents = float(sum(weights))
        else:
            value, respondents = float(group["value"].mean()), np.nan
        out.append({"unit": unit, "measure": measure, "kind": "percent", "value": value,
                    "respondents": respondents, "rows": len(group), "months_covered": _months_covered(group),
                    "latest_end": str(group["end"].max())})
    table = pd.DataFrame(out, columns=FIGURE_COLUMNS)
    return table.sort_values(["unit", "measure"]).reset_index(drop=True)


def derived(figures: pd.DataFrame) -> pd.DataFrame:
    """The figures of :data:`~vawgstats.returns.DERIVED` for each unit where all their parts exist.

    Sums of parts keep the kind ``flow`` (months covered: the fewest of the
    parts'); shares are ``percent`` = 100 x parts / denominator.
    """
    out = []
    for unit, mine in figures.groupby("unit", sort=True):
        values = mine.set_index("measure")
        for name, (_label, parts, denominator) in DERIVED.items():
            needed = list(parts) + ([denominator] if denominator else [])
            if not all(p in values.index for p in needed):
                continue
            total = float(sum(values.loc[p, "value"] for p in parts))
            covered = int(min(values.loc[p, "months_covered"] for p in parts))
            if denominator:
                base = float(values.loc[denominator, "value"])
                if base <= 0:
                    continue
                value, kind = 100.0 * total / base, "percent"
            else:
                value, kind = total, "flow"
            out.append({"unit": unit, "measure": name, "kind": kind, "value": value, "respondents": np.nan,
                        "rows": int(sum(values.loc[p, "rows"] for p in parts)), "months_covered": covered,
                        "latest_end": str(max(values.loc[p, "latest_end"] for p in needed))})
    return pd.DataFrame(out, columns=FIGURE_COLUMNS)


def with_derived(figures: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([figures, derived(figures)], ignore_index=True) if len(figures) else figures


def period_figures(returns: pd.DataFrame, period: Period) -> pd.DataFrame:
    """The period's figures (with derived ones) beside the previous period's of the same length.

    Columns: those of :func:`aggregate` plus ``months`` (the period's length),
    ``previous_value``, ``previous_months_covered``, ``change`` (value minus
    previous value, when both are complete).
    """
    now = with_derived(aggregate(returns, str(period.start), str(period.end)))
    before = with_derived(aggregate(returns, str(period.previous().start), str(period.previous().end)))
    before = before[["unit", "measure", "value", "months_covered"]].rename(
        columns={"value": "previous_value", "months_covered": "previous_months_covered"})
    table = now.merge(before, on=["unit", "measure"], how="left")
    table["months"] = period.months
    table["change"] = table["value"] - table["previous_value"]
    for column in ("value", "previous_value", "change", "respondents"):
        table[column] = table[column].astype(float)
    return table.reset_index(drop=True)


def monthly_flows(returns: pd.DataFrame, period: Period, months: int = TREND_MONTHS) -> pd.DataFrame:
    """Single-month flow rows for the ``months`` months to the period's end: unit, month, measure, value."""
    if returns.empty:
        return pd.DataFrame(columns=["unit", "month", "measure", "value"])
    first = period.end - (months - 1)
    kinds = returns["measure"].map(lambda m: MEASURES[m].kind)
    rows = returns[(kinds == "flow") & (returns["start"] == returns["end"]) & (returns["start"] >= first)
                   & (returns["end"] <= period.end)]
    table = pd.DataFrame({"unit": rows["bcu"].astype(str), "month": rows["start"].astype(str),
                          "measure": rows["measure"].astype(str), "value": rows["value"].astype(float)})
    return table.sort_values(["unit", "measure", "month"]).reset_index(drop=True)


#: The force-wide police-perpetrated measures, in the order of the NPCC's statement.
FORCE_MEASURES = ("police_perpetrated_allegations", "police_perpetrated_conduct_cases",
                  "police_perpetrated_conduct_individuals", "police_perpetrated_complaint_cases",
                  "police_perpetrated_complaint_individuals")


def force_periods(returns: pd.DataFrame) -> pd.DataFrame:
    """The force's (``MPS``) police-perpetrated VAWG figures, one row per period reported.

    Columns: ``start``, ``end``, each of :data:`FORCE_MEASURES`, ``cases`` and
    ``individuals`` (conduct + complaint, when both are given), ``workforce``
    (the force's ``workforce_headcount`` at the period's last month, or at the
    latest month within the period) and ``share_percent`` (individuals as a
    share of the workforce).
    """
    columns = ["start", "end", *FORCE_MEASURES, "cases", "individuals", "workforce", "share_percent"]
    force = returns[returns["bcu"] == FORCE] if len(returns) else returns
    perpetrated = force[force["measure"].isin(FORCE_MEASURES)] if len(force) else force
    if perpetrated.empty:
        return pd.DataFrame(columns=columns)
    out = []
    for (first, last), group in perpetrated.groupby(["start", "end"], sort=True):
        row = {"start": str(first), "end": str(last)}
        values = dict(zip(group["measure"], group["value"]))
        row.update({m: values.get(m, np.nan) for m in FORCE_MEASURES})
        for name in ("police_perpetrated_cases", "police_perpetrated_individuals"):
            parts = DERIVED[name][1]
            row[name.replace("police_perpetrated_", "")] = (
                float(sum(values[p] for p in parts)) if all(p in values for p in parts) else np.nan)
        staff = force[(force["measure"] == "workforce_headcount") & (force["end"] >= first) & (force["end"] <= last)]
        row["workforce"] = float(staff.sort_values("end")["value"].iloc[-1]) if len(staff) else np.nan
        row["share_percent"] = (100 * row["individuals"] / row["workforce"]
                                if row["workforce"] == row["workforce"] and row["workforce"] > 0 else np.nan)
        out.append(row)
    table = pd.DataFrame(out, columns=columns)
    for column in columns[2:]:
        table[column] = table[column].astype(float)
    return table


# --------------------------------------------------------------------------- targets


def prorated_target(spec: dict, months: int) -> float | None:
    """The numeric target for a period of ``months`` months, or None for a direction only."""
    if spec.get("per_month") is not None:
        return float(spec["per_month"]) * months
    if spec.get("per_year") is not None:
        return float(spec["per_year"]) * months / 12
    if spec.get("value") is not None:
        return float(spec["value"])
    return None


def target_text(spec: dict | None, measure: str, months: int) -> str:
    """The target as a reader sees it, e.g. "6 a month (72 in 12 months)"."""
    if not spec:
        return "none set"
    percent = MEASURES[measure].kind == "percent" if measure in MEASURES else False
    number = prorated_target(spec, months)
    sign = "at most" if spec.get("direction") == "decrease" else "at least"
    if spec.get("per_month") is not None:
        return f"{spec['per_month']:g} a month ({number:,.0f} in {months} months)"
    if spec.get("per_year") is not None:
        return f"{spec['per_year']:g} a year ({number:,.0f} in {months} months)"
    if number is not None:
        return f"{sign} {number:,.1f}%" if percent else f"{sign} {number:,.0f}"
    return f"{spec.get('direction', 'increase')} on the previous period"


def target_check(spec: dict | None, figure: dict | pd.Series | None, measure: str, months: int) -> str:
    """Whether the figure met its target: "yes", "no", or why it cannot be judged.

    A flow is judged only when the returns cover every month of the period
    (otherwise "not judged: returns for N of M months"); a direction-only target
    compares with the previous period ("yes", "no", "no change", "no previous figure").
    """
    if figure is None or (isinstance(figure, pd.Series) and figure.empty):
        return NO_RETURN
    if not spec:
        return "–"
    kind = MEASURES[measure].kind if measure in MEASURES else figure.get("kind")
    value = float(figure["value"])
    decrease = spec.get("direction") == "decrease"
    number = prorated_target(spec, months)
    if number is not None:
        covered = int(figure.get("months_covered", months))
        if kind == "flow" and covered < months:
            return f"not judged: returns for {covered} of {months} months"
        met = value <= number if decrease else value >= number
        return "yes" if met else "no"
    previous = figure.get("previous_value")
    if previous is None or previous != previous:
        return "no previous figure"
    if value == previous:
        return "no change"
    return "yes" if (value < previous) == decrease else "no"


def targets_for(bcu_params, defaults) -> dict[str, dict]:
    """The returns measures' targets of a BCU: the defaults', overridden measure by measure by the BCU's."""
    merged = {}
    for source in (getattr(defaults, "targets", None) or {}, getattr(bcu_params, "targets", None) or {}):
        merged.update({m: spec for m, spec in source.items() if m in MEASURES})
    return merged


# --------------------------------------------------------------------------- the prepared tables


def age_outcomes_table(df: pd.DataFrame, period: Period) -> pd.DataFrame:
    """The outcomes-by-offence table split by victim age: ``age_band`` "under 18" / "18 and over".

    Crimes whose victim age is unknown are in neither band.
    """
    from .unit_tables import OUTCOME_COLUMNS, offence_outcomes_table

    # outcomes are counted for the crimes recorded in the period (cohort), so only those rows are needed
    df = df.loc[period.contains(df["recorded_date"]), [c for c in OUTCOME_COLUMNS + ("victim_age",) if c in df.columns]]
    age = df["victim_age"].astype("Float64")
    parts = [offence_outcomes_table(df[(age < 18).fillna(False).to_numpy(dtype=bool)], period).assign(
                 age_band="under 18"),
             offence_outcomes_table(df[(age >= 18).fillna(False).to_numpy(dtype=bool)], period).assign(
                 age_band="18 and over")]
    return pd.concat(parts, ignore_index=True)


AGE_BANDS = ("under 18", "18 and over")


def age_pattern(by_age: pd.DataFrame, all_ages: pd.DataFrame | None, edition: str) -> dict:
    """The public edition's suppression pattern of the outcomes-by-age table (cell -> state).

    Relations: the geography within each age band (London = BCUs, a BCU = its boroughs, as
    declared in :mod:`vawgstats.suppression`), and across bands: the all-ages count (shown in
    the outcomes table) = under 18 + 18 and over (+ unknown age; treated as exact, to be safe),
    so that a suppressed count of girls cannot be had by subtraction from the all-ages table.
    """
    from .suppression import Relation, declared_relations, is_suppressed, relations_of, suppression_pattern

    if edition != "public" or by_age.empty:
        return {}
    spec = declared_relations()["offence_outcomes"]
    values, relations = {}, []
    for band in AGE_BANDS:
        band_values, band_relations = relations_of(by_age[by_age["age_band"] == band], spec)
        values.update({(band, *cell): value for cell, value in band_values.items()})
        relations += [Relation((band, *r.total), tuple((band, *p) for p in r.parts)) for r in band_relations]
    if all_ages is not None and len(all_ages):
        all_values, _ = relations_of(all_ages, spec)
        for cell, value in all_values.items():
            parts = tuple((band, *cell) for band in AGE_BANDS)
            if all(p in values for p in parts):
                values[("all", *cell)] = value
                relations.append(Relation(("all", *cell), parts))
    # the relations never join cells of different (offence type, measure, count column): solve each slice alone
    slices: dict = {}
    for relation in relations:
        slices.setdefault(relation.total[2:], []).append(relation)
    pattern: dict = {}
    solved: dict = {}  # slices with the same values have the same pattern (e.g. every measure's denominator)
    for key, group in slices.items():
        cells = sorted({cell for relation in group for cell in relation.cells}, key=str)
        signature = tuple((cell[:2], values[cell]) for cell in cells)
        if signature not in solved:
            found = suppression_pattern({c: values[c] for c in cells}, group)
            solved[signature] = {cell[:2]: state for cell, state in found.items()}
        states = solved[signature]  # looked up once: a long tuple's hash is not cached
        pattern.update({cell: states[cell[:2]] for cell in cells if cell[:2] in states})
    for cell, value in values.items():  # cells in no relation: the primary rule alone
        if cell not in pattern and is_suppressed(value, edition):
            pattern[cell] = "primary"
    return pattern


SUPPRESSED_COLUMNS = ["age_band", "unit", "offence_type", "measure", "column", "state"]


def age_suppression(by_age: pd.DataFrame, all_ages: pd.DataFrame | None) -> pd.DataFrame:
    """The public edition's pattern of :func:`age_pattern` as a table (one row per hidden cell)."""
    pattern = age_pattern(by_age, all_ages, "public")
    rows = [(*cell, state) for cell, state in pattern.items() if cell[0] in AGE_BANDS]
    return pd.DataFrame(rows, columns=SUPPRESSED_COLUMNS).astype(str)


def pattern_of(table: pd.DataFrame) -> dict:
    """The pattern dict back from :func:`age_suppression`'s table."""
    return {tuple(row[:5]): row[5] for row in table[SUPPRESSED_COLUMNS].itertuples(index=False)}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def returns_key(returns_path) -> str | None:
    """The part of the prepared tables' cache key that the returns file gives (its SHA-256)."""
    if returns_path is None:
        return None
    path = Path(returns_path)
    return _sha256(path) if path.is_file() else str(path)


def load_for_report(returns_path, synthetic_crimes: bool, period: Period | None = None) -> tuple[pd.DataFrame, dict]:
    """The returns a report uses and what they are: the file's; synthetic (embedded synthetic
    crimes and no file); or none (real crimes and no file: every commitment shows "no return supplied")."""
    from .returns import load_returns

    if returns_path is not None:
        table = load_returns(returns_path)
        from .returns_synth import is_synthetic_returns

        status = STATUS_SYNTHETIC if is_synthetic_returns(table) else STATUS_SUPPLIED
        return table, {"status": status, "file": Path(returns_path).name, "sha256": returns_key(returns_path),
                       "rows": int(len(table))}
    if synthetic_crimes:
        from . import returns_synth, synthetic

        table = returns_synth.generate(seed=returns_synth.DEFAULT_SEED, start=synthetic.DEFAULT_START,
                                       end=synthetic.DEFAULT_END)
        return table, {"status": STATUS_SYNTHETIC, "file": None, "sha256": None, "rows": int(len(table))}
    return _empty_returns(), {"status": STATUS_NONE, "file": None, "sha256": None, "rows": 0}


def prepared_tables(df: pd.DataFrame, period: Period, returns_path, synthetic_crimes: bool,
                    all_ages: pd.DataFrame | None = None) -> tuple[dict[str, pd.DataFrame], dict]:
    """The commitments tables :mod:`vawgstats.prepare` writes beside the crime tables, and the
    manifest's ``returns`` entry.

    Tables: ``commitment_figures`` (:func:`period_figures`), ``commitment_monthly``
    (:func:`monthly_flows`), ``police_perpetrated`` (:func:`force_periods`) and
    ``outcomes_by_age`` (:func:`age_outcomes_table`, the girls' view) with
    ``outcomes_by_age_suppressed`` (its public-edition pattern, :func:`age_suppression`, computed
    once here against ``all_ages``, the prepared ``offence_outcomes`` table).
    """
    returns, info = load_for_report(returns_path, synthetic_crimes, period)
    tables = {
        "commitment_figures": period_figures(returns, period),
        "commitment_monthly": monthly_flows(returns, period),
        "police_perpetrated": force_periods(returns),
    }
    if "victim_age" in df.columns:
        tables["outcomes_by_age"] = age_outcomes_table(df, period)
        tables["outcomes_by_age_suppressed"] = age_suppression(tables["outcomes_by_age"], all_ages)
    return tables, info
