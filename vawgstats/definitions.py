"""Definitions: the single source of truth for code sets and scope.

Everything a report says about *what* is counted is defined here once, and
both the metrics and the report's methods appendix read it from here.

Sources
-------
- Home Office, *Crime outcomes in England and Wales: user guide* (outcome
  types 1-22, with 1A "charged/summonsed - alternative offence"; type 19
  is not in use).
- Metropolitan Police, VAWG Action Plan (2022) and published sanction
  detection definition.
"""

from __future__ import annotations

from types import MappingProxyType

from ._lazy import lazy_module

pd = lazy_module("pandas", globals(), "pd")  # imported on first use

#: Home Office outcome types allowed in the data (empty = no outcome yet).
OUTCOME_CODES: tuple[str, ...] = (
    "1", "1A", "2", "3", "4", "5", "6", "7", "8", "9",
    "10", "11", "12", "13", "14", "15", "16", "17", "18", "20", "21", "22",
)

#: Human-readable names of the Home Office outcome types.
OUTCOME_LABELS = MappingProxyType({
    "1": "Charged/summonsed",
    "1A": "Charged/summonsed - alternative offence",
    "2": "Caution - youths",
    "3": "Caution - adults",
    "4": "Taken into consideration (TIC)",
    "5": "Offender died",
    "6": "Penalty Notice for Disorder",
    "7": "Cannabis/khat warning",
    "8": "Community resolution",
    "9": "Prosecution not in the public interest (CPS)",
    "10": "Formal action not in the public interest (police)",
    "11": "Prosecution prevented - suspect under age",
    "12": "Prosecution prevented - suspect too ill",
    "13": "Prosecution prevented - victim/key witness dead or too ill",
    "14": "Evidential difficulties: suspect not identified; victim does not support",
    "15": "Evidential difficulties: suspect identified; victim supports",
    "16": "Evidential difficulties: suspect identified; victim does not support",
    "17": "Prosecution time limit expired",
    "18": "Investigation complete - no suspect identified",
    "20": "Further action undertaken by another body/agency",
    "21": "Further investigation not in the public interest (police)",
    "22": "Diversionary, educational or intervention activity",
})

#: Charge rate numerator: charged or summonsed (Home Office outcomes 1, 1A).
CHARGE_CODES: frozenset[str] = frozenset({"1", "1A"})

#: Positive outcome ("detection") numerator: charge/summons, cautions, TIC,
#: penalty notice, cannabis/khat warning, community resolution.
POSITIVE_OUTCOME_CODES: frozenset[str] = frozenset({"1", "1A", "2", "3", "4", "6", "7", "8"})

#: Sanction detection numerator (the Met's published definition): charge/summons,
#: caution, TIC, penalty notice, cannabis/khat warning. Excludes community resolution.
SANCTION_DETECTION_CODES: frozenset[str] = frozenset({"1", "1A", "2", "3", "4", "6", "7"})

#: Attrition: evidential difficulties (outcomes 14, 15, 16), reported separately and together.
ATTRITION_CODES = MappingProxyType({
    "evidential_difficulties_no_suspect_victim_unsupportive": frozenset({"14"}),
    "evidential_difficulties_suspect_victim_supports": frozenset({"15"}),
    "evidential_difficulties_suspect_victim_unsupportive": frozenset({"16"}),
    "evidential_difficulties_all": frozenset({"14", "15", "16"}),
})

#: Investigation complete, no suspect identified.
NO_SUSPECT_CODES: frozenset[str] = frozenset({"18"})

#: Offence groups of the data contract.
OFFENCE_GROUPS: tuple[str, ...] = (
    "rape", "other_sexual", "stalking", "harassment", "coercive_control",
    "violence_with_injury", "violence_without_injury", "other",
)

#: police.uk's "Violence and sexual offences" crime type, the only grouping that
#: open record-level data offers; used as the VAWG proxy for police.uk data.
POLICEUK_PROXY_GROUP = "violence_and_sexual_offences"

#: Every offence_group value the loader accepts.
ALLOWED_OFFENCE_GROUPS: tuple[str, ...] = OFFENCE_GROUPS + (POLICEUK_PROXY_GROUP,)

#: Offence groups that are in VAWG scope whenever the victim is female.
VAWG_OFFENCE_GROUPS: frozenset[str] = frozenset(
    {"rape", "other_sexual", "stalking", "harassment", "coercive_control"}
)

#: Report groupings of offences, used for outcomes and attrition by offence
#: type. Each maps a label to a rule on (offence_group, domestic_abuse).
REPORT_OFFENCE_GROUPS = MappingProxyType({
    "Rape": ("offence_group", frozenset({"rape"})),
    "Other sexual offences": ("offence_group", frozenset({"other_sexual"})),
    "Domestic abuse": ("domestic_abuse", frozenset({True})),
    "Stalking and harassment": ("offence_group", frozenset({"stalking", "harassment"})),
    "Coercive control": ("offence_group", frozenset({"coercive_control"})),
})

#: Victim sex codes of the data contract.
VICTIM_SEXES: tuple[str, ...] = ("F", "M", "U")

#: Public edition: counts below this are suppressed (shown as "<10").
SUPPRESSION_THRESHOLD = 10

#: Text used in place of a suppressed count.
SUPPRESSED_LABEL = "<10"

#: Default window for repeat victimisation, in days.
REPEAT_WINDOW_DAYS = 365

#: Default fixed follow-up of the monthly charge-rate trend: "charged within 90 days of recording".
CHARGE_FOLLOW_UP_DAYS = 90

VAWG_SCOPE_DEFINITION = (
    "A crime is in VAWG scope when the victim is female (victim_sex = F) and "
    "either the offence group is rape, other sexual offences, stalking, harassment "
    "or coercive control, or the crime is flagged as domestic abuse. For police.uk "
    "open data, which has no victim fields, the proxy is the crime type "
    "'Violence and sexual offences'."
)


def in_vawg_scope(df: pd.DataFrame) -> pd.Series:
    """Return a boolean Series: is each crime in VAWG scope?

    In scope when ``victim_sex == "F"`` and (``offence_group`` is one of
    :data:`VAWG_OFFENCE_GROUPS` or ``domestic_abuse`` is true).  Rows imported
    from police.uk (``offence_group == "violence_and_sexual_offences"``) are
    in scope by proxy, because open data has no victim sex or domestic abuse
    flag.  See :data:`VAWG_SCOPE_DEFINITION`.
    """
    female = is_one_of(df["victim_sex"], ("F",))
    vawg_group = is_one_of(df["offence_group"], VAWG_OFFENCE_GROUPS)
    domestic = df["domestic_abuse"].fillna(False).astype(bool).to_numpy()
    proxy = is_one_of(df["offence_group"], (POLICEUK_PROXY_GROUP,))
    return pd.Series((female & (vawg_group | domestic)) | proxy, index=df.index, dtype=bool)


def is_one_of(values: pd.Series, wanted):
    """Whether each value is one of ``wanted``, as a boolean array (missing values: False).

    As ``values.astype(object).isin(wanted)``, without making a million Python objects: a
    categorical's codes are compared."""
    import numpy as np

    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = np.flatnonzero(values.cat.categories.isin(list(wanted)))
        return np.isin(values.cat.codes.to_numpy(), codes)
    if isinstance(values.dtype, pd.StringDtype):  # compared by pyarrow (missing: False)
        return values.isin(list(wanted)).to_numpy(dtype=bool)
    return values.astype("object").isin(list(wanted)).to_numpy(dtype=bool)


def code_set_text(codes: frozenset[str]) -> str:
    """The codes of a set in Home Office order, e.g. ``"1, 1A, 2"``."""
    return ", ".join(code for code in OUTCOME_CODES if code in codes)
