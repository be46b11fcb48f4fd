"""The embedded synthetic London: deterministic, realistic-shaped crime records.

Nothing here is real.  Every report built from these records says so in a
"SYNTHETIC DATA" banner (:data:`SYNTHETIC_SOURCE` is written into the
``source`` column, and :func:`is_synthetic` recognises it).

What the generator is calibrated to (public figures, rounded):

- **Volume**: about 150,000 VAWG offences a year London-wide (MPS VAWG
  dashboard, London Datastore, 2022: 153,513 offences).  At ``scale=1`` the
  generator makes about 140,000 in-scope crimes a year plus about 60,000
  out-of-scope ones (male victims, non-domestic violence against women), so
  five years is about a million records.
- **Offence mix** (same dashboard, 2022): stalking and harassment about 40%,
  violence with injury about a third, other sexual offences about 12%, rape
  about 8%; controlling or coercive behaviour a few per cent.
- **Geography**: volume per borough in proportion to its female population
  (ONS mid-2019), times a fixed BCU factor of about +/-15%, so BCUs differ.
- **Seasonality**: summer peak and December/February dip of about +/-7%
  (dashboard monthly totals, 2022), with a rising trend of about 3% a year.
- **Repeat victimisation**: about a third of domestic-abuse victims have a
  further in-scope crime, most within 12 months (ONS Crime Survey and Home
  Office repeat-victimisation findings put repeat DA victims at 30-45%).
- **Outcomes** (Home Office crime outcomes statistics, VAWG offences,
  2022-23): charge/summons about 2-5% for rape and stalking/harassment and up
  to about 10% for domestic violence with injury; evidential difficulties with
  the victim not supporting (outcome 16) the commonest closure for domestic
  abuse; no suspect identified (18) common for non-domestic offences.  Each
  BCU has a fixed charge-rate factor and charge rates improve by about 5% a
  year, so reports show differences and change to explain.  The generator
  knows this truth (:func:`truth`, :func:`true_change`), so tests can check
  that no comparison flags a change opposite to it.
- **Timeliness**: charges take a median of about 6 weeks for domestic
  violence and about a year for rape (CPS/Home Office timeliness data), so
  the latest months have many crimes with no outcome yet.
- **Missing data**: about 3% of crimes have no victim ID, about 2% no LSOA.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._lazy import lazy_module
from .geography import BCU_CODES, boroughs_table, lsoa_table
from .periods import Period, as_period

np = lazy_module("numpy", globals(), "np")  # imported on first use
pd = lazy_module("pandas", globals(), "pd")  # imported on first use

#: Written into the ``source`` column of every synthetic record.
SYNTHETIC_SOURCE = "vawgstats synthetic London (not real data)"

#: The default data set: five financial years, April 2021 to March 2026.
DEFAULT_SEED = 2021
DEFAULT_START = "2021-04"
DEFAULT_END = "2026-03"

IN_SCOPE_PER_YEAR = 140_000
OUT_OF_SCOPE_PER_YEAR = 60_000

# Monthly seasonal factors, January..December (from 2022 dashboard totals).
SEASONALITY = (0.98, 0.94, 1.03, 0.97, 1.06, 1.03, 1.08, 1.04, 0.98, 1.00, 0.97, 0.92)


@dataclass(frozen=True)
class _CareerType:
    """A kind of victim 'career': how many crimes, which offences, how spaced."""

    name: str
    share: float             # share of in-scope crimes
    p_single: float          # P(a victim has exactly one crime); geometric
    gap_days: float          # mean days between a victim's crimes
    domestic: bool
    groups: tuple[str, ...]
    group_p: tuple[float, ...]


_CAREERS = (
    _CareerType("domestic", 0.52, 0.62, 70.0, True,
                ("violence_with_injury", "violence_without_injury", "coercive_control", "harassment",
                 "stalking", "rape", "other_sexual"),
                (0.36, 0.30, 0.08, 0.14, 0.06, 0.04, 0.02)),
    _CareerType("stalking_harassment", 0.30, 0.90, 45.0, False,
                ("harassment", "stalking"), (0.72, 0.28)),
    _CareerType("sexual", 0.18, 0.95, 120.0, False,
                ("other_sexual", "rape"), (0.62, 0.38)),
)

# Final outcome distributions by offence group (before BCU and trend factors).
_OUTCOMES = ("1", "1A", "2", "3", "4", "8", "10", "14", "15", "16", "17", "18", "20", "21", "22")
_OUTCOME_P = {
    #                        1     1A    2     3     4     8     10    14    15    16    17    18    20    21    22
    "rape":                 (.035, .003, .001, .002, .000, .000, .005, .13, .16, .45, .002, .12, .010, .080, .000),
    "other_sexual":         (.060, .005, .006, .015, .001, .012, .010, .14, .10, .32, .010, .27, .015, .070, .004),
    "stalking":             (.055, .005, .002, .012, .000, .010, .010, .10, .14, .45, .010, .11, .010, .070, .006),
    "harassment":           (.040, .004, .002, .012, .000, .018, .012, .10, .11, .42, .015, .16, .010, .090, .006),
    "coercive_control":     (.045, .004, .000, .004, .000, .002, .008, .08, .16, .55, .003, .04, .010, .090, .004),
    "violence_with_injury": (.100, .008, .004, .018, .001, .014, .010, .09, .12, .45, .005, .09, .010, .070, .005),
    "violence_without_injury": (.070, .006, .004, .020, .001, .022, .012, .09, .10, .45, .010, .12, .010, .080, .005),
    "other":                (.060, .005, .004, .020, .001, .030, .012, .08, .08, .30, .010, .30, .020, .070, .008),
}

# Median days from recording to outcome, by outcome kind, and a slower factor for sexual offences.
_CHARGE_MEDIAN_DAYS = {"rape": 380.0, "other_sexual": 150.0}
_DEFAULT_CHARGE_DAYS = 42.0
_CLOSURE_MEDIAN_DAYS = {"rape": 240.0, "other_sexual": 90.0}
_DEFAULT_CLOSURE_DAYS = 35.0


def extraction_date(period: Period) -> pd.Timestamp:
    """The 'as at' date of a synthetic extract: 14 days after the period's last day."""
    return period.last_day + pd.Timedelta(days=14)


def _normalised(p: tuple[float, ...]) -> np.ndarray:
    array = np.asarray(p, dtype=float)
    return array / array.sum()


#: True trends of the generator: volume grows by this factor a year (smoothly, by day) ...
VOLUME_GROWTH = 1.03
#: ... and the chance of a charge by this factor a year (by calendar year of recording).
CHARGE_GROWTH = 1.05


def _day_weights(days: pd.DatetimeIndex, first_year: int, normalise: bool = True) -> np.ndarray:
    months = days.month.to_numpy() - 1
    years = days.year.to_numpy() + days.day_of_year.to_numpy() / 366.0 - first_year
    weights = np.asarray(SEASONALITY)[months] * (VOLUME_GROWTH ** years)
    return weights / weights.sum() if normalise else weights


def _bcu_factors(seed: int) -> tuple[dict[str, float], dict[str, float]]:
    # A fixed draw so that the BCUs differ in the same way for a seed.
    rng = np.random.default_rng([seed, 7])
    volume = dict(zip(BCU_CODES, np.exp(rng.normal(0, 0.15, len(BCU_CODES)))))
    charge = dict(zip(BCU_CODES, np.exp(rng.normal(0, 0.25, len(BCU_CODES)))))
    return volume, charge


def generate(seed: int = DEFAULT_SEED, start: str = DEFAULT_START, end: str = DEFAULT_END,
             scale: float = 1.0) -> pd.DataFrame:
    """Make a synthetic London: crime records following the data contract.

    Deterministic for ``(seed, start, end, scale)``.  Records are recorded in
    the months ``start``..``end``; outcomes are as they stood 14 days after the
    end (:func:`extraction_date`).  ``scale=1`` gives about 200,000 records a
    year.  Returns a DataFrame with the canonical columns plus ``source``.
    """
    if scale <= 0:
        raise ValueError("scale must be positive")
    period = as_period(start, end)
    rng = np.random.default_rng(seed)
    years = period.months / 12.0
    as_at = extraction_date(period)

    boroughs = boroughs_table()
    volume_factor, charge_factor = _bcu_factors(seed)
    borough_w = boroughs["female_population"].to_numpy() * boroughs["bcu"].map(volume_factor).to_numpy()
    borough_p = borough_w / borough_w.sum()
    borough_names = boroughs["borough"].to_numpy()

    # Careers start up to a year before the period so that early months have repeats.
    career_days = pd.date_range(period.first_day - pd.DateOffset(months=12), period.last_day, freq="D")
    career_weights = _day_weights(career_days, period.start.year)

    parts = []
    victim_offset = 0
    for career in _CAREERS:
        crimes_wanted = IN_SCOPE_PER_YEAR * career.share * scale * (years + 1.0)
        n_victims = max(1, int(round(crimes_wanted * career.p_single)))
        counts = rng.geometric(career.p_single, n_victims).clip(max=12)
        first = career_days.to_numpy()[rng.choice(len(career_days), n_victims, p=career_weights)]
        victim = np.repeat(np.arange(n_victims), counts)
        starts = np.cumsum(counts) - counts
        order = np.arange(len(victim)) - np.repeat(starts, counts)   # 0 for a victim's first crime
        gaps = rng.exponential(career.gap_days, len(victim)) * (order > 0)
        cumulative = np.cumsum(gaps)
        within = cumulative - np.repeat(cumulative[starts], counts)  # days since the first crime
        recorded = np.repeat(first, counts) + (within.astype("int64") * np.timedelta64(1, "D")).astype(
            "timedelta64[ns]")
        home = rng.choice(len(borough_names), n_victims, p=borough_p)
        borough = np.repeat(home, counts)
        moved = rng.random(len(victim)) < 0.08  # some repeat crimes happen in another borough
        borough = np.where(moved & (order > 0), rng.choice(len(borough_names), len(victim), p=borough_p), borough)
        group = rng.choice(np.array(career.groups), len(victim), p=_normalised(career.group_p))
        suspect_base = victim_offset + np.repeat(np.arange(n_victims), counts)
        parts.append(pd.DataFrame({
            "recorded_date": recorded,
            "borough_i": borough,
            "offence_group": group,
            "domestic_abuse": career.domestic,
            "victim_n": victim_offset + victim,
            "victim_sex": "F",
            "suspect_n": suspect_base,
            "career": career.name,
        }))
        victim_offset += n_victims

    # Out-of-scope records: male victims of the same offences and women victims of
    # non-domestic violence, so that scope rules matter.
    n_out = int(round(OUT_OF_SCOPE_PER_YEAR * scale * years))
    out_days = pd.date_range(period.first_day, period.last_day, freq="D")
    out_groups = np.array(["violence_with_injury", "violence_without_injury", "other", "harassment",
                           "stalking", "other_sexual", "rape", "coercive_control"])
    male = rng.random(n_out) < 0.55
    out_group = np.where(
        male, rng.choice(out_groups, n_out, p=_normalised((.25, .25, .1, .15, .05, .1, .05, .05))),
        rng.choice(out_groups[:3], n_out, p=_normalised((.45, .45, .10))))
    parts.append(pd.DataFrame({
        "recorded_date": out_days.to_numpy()[rng.choice(len(out_days), n_out,
                                                        p=_day_weights(out_days, period.start.year))],
        "borough_i": rng.choice(len(borough_names), n_out, p=borough_p),
        "offence_group": out_group,
        "domestic_abuse": male & (rng.random(n_out) < 0.45),
        "victim_n": victim_offset + np.arange(n_out),
        "victim_sex": np.where(male, "M", np.where(rng.random(n_out) < 0.5, "F", "U")),
        "suspect_n": victim_offset + np.arange(n_out),
        "career": "out_of_scope",
    }))
    frame = pd.concat(parts, ignore_index=True)
    frame = frame[period.contains(frame["recorded_date"])].reset_index(drop=True)
    frame = frame.sort_values(["recorded_date", "victim_n"], kind="stable").reset_index(drop=True)
    return _attributes(frame, rng, seed, borough_names, charge_factor, period, as_at)


def _attributes(frame: pd.DataFrame, rng: np.random.Generator, seed: int, borough_names: np.ndarray,
                charge_factor: dict[str, float], period: Period, as_at: pd.Timestamp) -> pd.DataFrame:
    n = len(frame)
    borough = borough_names[frame["borough_i"].to_numpy()]
    bcu = pd.Series(borough).map(dict(zip(boroughs_table()["borough"], boroughs_table()["bcu"]))).to_numpy()
    group = frame["offence_group"].to_numpy()
    recorded = frame["recorded_date"].to_numpy()

    # Identifiers: pseudonymised, stable for a seed.
    crime_id = np.char.add("SYN", np.char.zfill((np.arange(n) + 1).astype(str), 8))
    victim_key = rng.permutation(frame["victim_n"].max() + 1)[frame["victim_n"].to_numpy()]
    victim_id = np.char.add("V", np.char.zfill(victim_key.astype(str), 8)).astype(object)
    victim_id[rng.random(n) < 0.03] = None

    suspect_n = frame["suspect_n"].to_numpy().copy()
    serial = rng.random(n) < 0.04          # a small pool of repeat suspects across victims
    suspect_n[serial] = 10_000_000 + rng.integers(0, max(50, n // 400), serial.sum())
    suspect_key = np.char.zfill(suspect_n.astype(str), 8)
    suspect_id = np.char.add("S", suspect_key).astype(object)

    # Outcomes: a final outcome per crime, adjusted by BCU and year, then a delay.
    outcome = np.empty(n, dtype=object)
    for name, probabilities in _OUTCOME_P.items():
        mask = group == name
        outcome[mask] = rng.choice(np.array(_OUTCOMES), mask.sum(), p=_normalised(probabilities))
    years_in = (pd.DatetimeIndex(recorded).year - period.start.year).to_numpy()
    factor = pd.Series(bcu).map(charge_factor).to_numpy() * (CHARGE_GROWTH ** years_in)
    p_charge = np.array([_OUTCOME_P[g][0] + _OUTCOME_P[g][1] for g in _OUTCOME_P])
    p_charge_by_row = pd.Series(group).map(dict(zip(_OUTCOME_P, p_charge))).to_numpy()
    is_charge = np.isin(outcome, ("1", "1A"))
    upgrade = (~is_charge) & (rng.random(n) < np.clip((factor - 1) * p_charge_by_row / (1 - p_charge_by_row), 0, 1))
    downgrade = is_charge & (rng.random(n) < np.clip(1 - factor, 0, 1))
    outcome[upgrade] = "1"
    outcome[downgrade] = "16"
    no_suspect = np.isin(outcome, ("14", "18"))
    suspect_id[no_suspect | (rng.random(n) < 0.05)] = None

    charge_days = pd.Series(group).map(_CHARGE_MEDIAN_DAYS).fillna(_DEFAULT_CHARGE_DAYS).to_numpy()
    closure_days = pd.Series(group).map(_CLOSURE_MEDIAN_DAYS).fillna(_DEFAULT_CLOSURE_DAYS).to_numpy()
    charged = np.isin(outcome, ("1", "1A"))
    median = np.where(charged, charge_days, closure_days)
    delay = np.floor(median * rng.lognormal(0.0, 0.8, n)).astype("int64")
    never = rng.random(n) < 0.01  # a few investigations never conclude in the window
    outcome_date = recorded + delay * np.timedelta64(1, "D")
    pending = never | (outcome_date > np.datetime64(as_at))
    outcome[pending] = None
    outcome_date = np.where(pending, np.datetime64("NaT"), outcome_date)

    # Offence dates: mostly days before recording; some historic sexual offences.
    lag = np.where(rng.random(n) < 0.55, 0, rng.exponential(12, n)).astype("int64")
    historic = np.isin(group, ("rape", "other_sexual")) & (rng.random(n) < 0.12)
    lag = np.where(historic, rng.integers(365, 365 * 20, n), lag)
    offence_date = recorded - lag * np.timedelta64(1, "D")
    offence_date = np.where(rng.random(n) < 0.04, np.datetime64("NaT"), offence_date)

    # Places: LSOAs within the borough, some busier than others (hotspots).
    lsoa = lsoa_table()
    lsoa_code = np.empty(n, dtype=object)
    for number, name in enumerate(np.unique(borough)):
        codes = lsoa.loc[lsoa["borough"] == name, "lsoa_code"].to_numpy(dtype=object)
        weights = np.random.default_rng([seed, 11, number]).gamma(0.8, 1.0, len(codes))
        mask = borough == name
        lsoa_code[mask] = codes[rng.choice(len(codes), mask.sum(), p=weights / weights.sum())]
    lsoa_code[rng.random(n) < 0.02] = None

    age = np.clip(np.round(rng.gamma(6.0, 5.5, n) + 10), 10, 95).astype(float)
    age[rng.random(n) < 0.05] = np.nan

    return pd.DataFrame({
        "crime_id": crime_id.astype(object),
        "recorded_date": pd.to_datetime(recorded),
        "offence_date": pd.to_datetime(offence_date),
        "borough": borough,
        "lsoa_code": lsoa_code,
        "offence_group": group,
        "domestic_abuse": frame["domestic_abuse"].to_numpy(dtype=bool),
        "victim_id": victim_id,
        "victim_sex": frame["victim_sex"].to_numpy(),
        "victim_age": pd.array(age, dtype="Float64").round().astype("Int16"),
        "suspect_id": suspect_id,
        "outcome_code": outcome,
        "outcome_date": pd.to_datetime(outcome_date),
        "source": SYNTHETIC_SOURCE,
    })


def truth(seed: int = DEFAULT_SEED, start: str = DEFAULT_START, end: str = DEFAULT_END) -> pd.DataFrame:
    """The generator's known truth: its volume and charge factors by BCU and calendar year.

    One row per BCU and calendar year of ``start``..``end`` (the arguments of
    :func:`generate`): ``volume_factor`` (the BCU's fixed volume factor times
    :data:`VOLUME_GROWTH` to the years since ``start``'s year, at mid-year;
    volume also has a fixed seasonal pattern) and ``charge_factor`` (the BCU's
    fixed charge factor times :data:`CHARGE_GROWTH` to the years since
    ``start``'s year).  A crime's chance of being charged is its offence
    group's chance times ``charge_factor``; the offence mix does not change.
    """
    period = as_period(start, end)
    volume, charge = _bcu_factors(seed)
    years = range(period.start.year, period.end.year + 1)
    return pd.DataFrame([{"bcu": code, "year": year,
                          "volume_factor": volume[code] * VOLUME_GROWTH ** (year + 0.5 - period.start.year),
                          "charge_factor": charge[code] * CHARGE_GROWTH ** (year - period.start.year)}
                         for code in BCU_CODES for year in years])


#: Measures whose true direction :func:`true_change` knows (outcome measures move with the charge factor).
TRUE_MEASURES = ("volume", "charge_rate", "positive_outcome_rate", "sanction_detection_rate")


def _expected(period: Period, generated: Period) -> tuple[float, float]:
    """(expected volume, expected mean charge factor) of a period, relative, for any one BCU."""
    days = pd.date_range(period.first_day, period.last_day, freq="D")
    weights = _day_weights(days, generated.start.year, normalise=False)
    charge = CHARGE_GROWTH ** (days.year.to_numpy() - generated.start.year)
    return float(weights.sum()), float((weights * charge).sum() / weights.sum())


def true_change(measure: str, period: Period, comparison: Period, *, start: str = DEFAULT_START,
                end: str = DEFAULT_END, tolerance: float = 0.005) -> str:
    """The true direction of a measure from ``comparison`` to ``period`` in the generated data.

    ``"increase"``, ``"decrease"`` or ``"none"`` (a true relative change
    within ``tolerance``).  The same for London and every BCU: the BCU factors
    are fixed over time.  Volume follows the seasonal pattern and
    :data:`VOLUME_GROWTH`; the charge, positive outcome and sanction detection
    rates follow the charge factor (:data:`CHARGE_GROWTH` by calendar year;
    more charges come from crimes that would otherwise have had no positive
    outcome, or fewer charges become outcome 16), weighted by volume.
    ``start``/``end``: the generated months.  Repeat victimisation and
    attrition have no simple known truth.
    """
    if measure not in TRUE_MEASURES:
        raise ValueError(f"No known truth for {measure!r}: one of {', '.join(TRUE_MEASURES)}.")
    generated = as_period(start, end)
    now, before = _expected(period, generated), _expected(comparison, generated)
    index = 0 if measure == "volume" else 1
    ratio = now[index] / before[index]
    if ratio > 1 + tolerance:
        return "increase"
    if ratio < 1 - tolerance:
        return "decrease"
    return "none"


def is_synthetic(frame: pd.DataFrame) -> bool:
    """True when any record carries the synthetic source marker."""
    return "source" in frame.columns and bool(frame["source"].astype("string").eq(SYNTHETIC_SOURCE).any())
