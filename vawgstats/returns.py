"""Delivery returns: the second input, beside crime records.

A returns file records what a BCU (or the whole force, ``MPS``) *did* against
the Met's three VAWG pillars and ten commitments: Walk and Talks, Project
Vigilant operations, protective orders, police-perpetrated VAWG cases, the
workforce's make-up.  None of it is in crime records.

The file is long: one row per figure, CSV, Excel (``.xlsx``) or Parquet, with
the columns of :data:`COLUMNS`:

``start``    first month the figure covers, ``YYYY-MM``
``end``      last month it covers (default: ``start``); a figure may span months
``bcu``      one of the 12 BCU codes, or ``MPS`` for a force-wide figure
``measure``  a name from :data:`MEASURES` (the fixed vocabulary below)
``value``    a number >= 0; counts (kinds flow and stock) are whole numbers,
             percents are 0-100
``source``   optional text (where the figure comes from)
``note``     optional text

The vocabulary is declared once, here: each measure's pillar, commitment,
label, kind (``flow`` summed over a period, ``stock`` taken at the period's
latest month, ``percent`` 0-100 with an optional ``<measure>_respondents``
base) and whether it is disclosive (small counts are suppressed in the public
edition).  :func:`load_returns` reads and validates a file: any problem raises
one :class:`~vawgstats.errors.DataError` naming the file, the rows and the
values, and nothing is loaded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from ._lazy import lazy_module
from .errors import DataError
from .geography import BCU_CODES

pd = lazy_module("pandas", globals(), "pd")  # imported on first use

#: The columns of a returns file, in order; ``end``, ``source`` and ``note`` may be left out.
COLUMNS: tuple[str, ...] = ("start", "end", "bcu", "measure", "value", "source", "note")
REQUIRED_COLUMNS: tuple[str, ...] = ("start", "bcu", "measure", "value")
#: The force-wide unit.
FORCE = "MPS"
#: The units a row may be for: the 12 BCUs, then the force.
UNITS: tuple[str, ...] = BCU_CODES + (FORCE,)
KINDS: tuple[str, ...] = ("flow", "stock", "percent")
#: The suffix of a percent's optional base (number of respondents).
RESPONDENTS_SUFFIX = "_respondents"
#: The name of the data sheet in an Excel returns workbook (see :mod:`vawgstats.returns_template`).
DATA_SHEET = "returns"

PILLARS = MappingProxyType({
    1: "Building trust and confidence",
    2: "Relentless pursuit of perpetrators",
    3: "Safer spaces",
})

#: The Met's ten VAWG commitments (A New Met for London, 2023): number -> (pillar, short title).
COMMITMENTS = MappingProxyType({
    1: (1, "Eliminate police-perpetrated domestic abuse and sexual offences"),
    2: (1, "Listen to those affected by VAWG"),
    3: (1, "Prioritise VAWG: capacity and capability"),
    4: (1, "Tackle sexism and misogyny in the Met"),
    5: (1, "Look outside the Met: new approaches, data and evidence"),
    6: (2, "Identify and tackle the most dangerous perpetrators"),
    7: (2, "Better use of police powers: civil and protective orders"),
    8: (2, "Support victim-survivors through the justice process; reduce repeat victimisation"),
    9: (3, "Target high-harm places: safer public spaces"),
    10: (3, "Prevent VAWG through neighbourhood policing"),
})


@dataclass(frozen=True)
class Measure:
    """One measure of the returns vocabulary."""

    name: str
    pillar: int
    commitment: int
    label: str
    kind: str
    disclosive: bool
    definition: str
    #: for a ``<percent>_respondents`` base: the percent it is the base of
    base_of: str | None = None


def _m(name, commitment, label, kind, definition, disclosive=False) -> Measure:
    return Measure(name, COMMITMENTS[commitment][0], commitment, label, kind, disclosive, definition)


_NPCC = ("NPCC definition: new cases (or allegations) recorded in the period of police-perpetrated "
         "VAWG against officers and staff")

_DECLARED: tuple[Measure, ...] = (
    # Pillar 1: trust and confidence
    _m("police_perpetrated_allegations", 1, "Police-perpetrated VAWG allegations", "flow",
       f"{_NPCC}: allegations.", disclosive=True),
    _m("police_perpetrated_conduct_cases", 1, "Police-perpetrated VAWG conduct cases (internally reported)", "flow",
       f"{_NPCC}: internally reported conduct cases.", disclosive=True),
    _m("police_perpetrated_conduct_individuals", 1, "Individuals in police-perpetrated VAWG conduct cases",
       "flow", f"{_NPCC}: officers and staff subject of those conduct cases.", disclosive=True),
    _m("police_perpetrated_complaint_cases", 1, "Police-perpetrated VAWG public complaint cases", "flow",
       f"{_NPCC}: public complaint cases.", disclosive=True),
    _m("police_perpetrated_complaint_individuals", 1, "Individuals in police-perpetrated VAWG complaint cases",
       "flow", f"{_NPCC}: officers and staff subject of those complaint cases.", disclosive=True),
    _m("workforce_headcount", 1, "Workforce (officers and staff)", "stock",
       "Officers and staff employed (headcount) at the end of the month."),
    _m("engagement_events", 2, "VAWG engagement events", "flow",
       "Community engagement events on VAWG held (e.g. public events, victim advisory groups)."),
    _m("trust_percent", 2, "Trust in the police (%)", "percent",
       "Share of respondents who trust the police, e.g. MOPAC's Public Attitude Survey (0-100)."),
    _m("public_protection_officers", 3, "Officers and staff in public protection roles", "stock",
       "Officers and staff in public protection teams (domestic abuse, rape, child abuse) at month end."),
    _m("workforce_female", 4, "Female workforce (officers and staff)", "stock",
       "Female officers and staff employed (headcount) at the end of the month."),
    _m("vawg_misconduct_investigations", 4, "Officers and staff under misconduct investigation", "stock",
       "Officers and staff under investigation for (serious) misconduct, VAWG-related where known, at month end.",
       disclosive=True),
    _m("vawg_dismissals", 4, "Dismissals for VAWG-related misconduct", "flow",
       "Officers and staff dismissed for VAWG-related misconduct in the period.", disclosive=True),
    # Pillar 2: relentless pursuit of perpetrators
    _m("wanted_da_suspects", 6, "Wanted domestic abuse suspects", "stock",
       "Domestic abuse suspects wanted (outstanding) at month end."),
    _m("vawg100_cohort", 6, "VAWG 100 cohort", "stock",
       "Offenders in the BCU's VAWG 100 cohort (most dangerous VAWG offenders) at month end."),
    _m("vawg100_arrests", 6, "VAWG 100 arrests", "flow", "Arrests of VAWG 100 cohort members in the period."),
    _m("dauntless_nominals", 6, "Op Dauntless nominals", "stock",
       "Repeat domestic abuse offenders managed under Op Dauntless at month end."),
    _m("dvpn_issued", 7, "Domestic Violence Protection Notices issued", "flow", "DVPNs issued in the period."),
    _m("dvpo_granted", 7, "Domestic Violence Protection Orders granted", "flow", "DVPOs granted by courts in the period."),
    _m("spo_granted", 7, "Stalking Protection Orders granted", "flow", "SPOs (interim or full) granted in the period."),
    _m("nmo_notifications", 7, "Non-molestation order notifications", "flow",
       "Non-molestation order notifications processed (uploaded to PNC) in the period."),
    _m("spo_in_force", 7, "Stalking Protection Orders in force", "stock", "SPOs in force at month end."),
    _m("marac_cases", 8, "MARAC cases heard", "flow",
       "Cases heard at Multi-Agency Risk Assessment Conferences in the period."),
    _m("clares_law_applications", 8, "Clare's Law applications", "flow",
       "Domestic Violence Disclosure Scheme requests (right to ask and right to know) received in the period."),
    _m("clares_law_disclosures", 8, "Clare's Law disclosures", "flow",
       "Disclosures made under the Domestic Violence Disclosure Scheme in the period."),
    # Pillar 3: safer spaces
    _m("walk_and_talk", 9, "Walk and Talks", "flow",
       "Walk and Talks held: women walking with a female officer to share where they feel unsafe."),
    _m("vigilant_operations", 9, "Project Vigilant operations", "flow",
       "Project Vigilant operations (plain-clothes spotters and uniformed intervention) in the period."),
    _m("verona_patrols", 9, "Op Verona patrols", "flow",
       "Op Verona high-visibility patrols of VAWG hotspots in the period."),
    _m("streetsafe_reports", 9, "StreetSafe reports", "flow",
       "Reports of places where people feel unsafe made through StreetSafe in the period."),
    _m("schools_sessions", 10, "Schools sessions on VAWG", "flow",
       "Prevention sessions delivered in schools and to young people in the period."),
    _m("vawg_problem_solving_plans", 10, "VAWG problem-solving plans open", "stock",
       "Neighbourhood VAWG problem-solving plans open at month end."),
)


def _with_bases(declared: tuple[Measure, ...]) -> dict[str, Measure]:
    measures: dict[str, Measure] = {}
    for measure in declared:
        measures[measure.name] = measure
        if measure.kind == "percent":
            base = measure.name + RESPONDENTS_SUFFIX
            measures[base] = Measure(base, measure.pillar, measure.commitment, f"{measure.label}: respondents",
                                     "flow", False, f"Respondents on which {measure.name} rests (optional).",
                                     base_of=measure.name)
    return measures


#: The vocabulary: measure name -> :class:`Measure` (each percent followed by its respondents base).
MEASURES = MappingProxyType(_with_bases(_DECLARED))

#: Figures derived from two measures where both exist: name -> (label, numerator parts, denominator).
DERIVED = MappingProxyType({
    "police_perpetrated_cases": ("Police-perpetrated VAWG cases (conduct + complaint)",
                                 ("police_perpetrated_conduct_cases", "police_perpetrated_complaint_cases"), None),
    "police_perpetrated_individuals": ("Individuals in police-perpetrated VAWG cases (conduct + complaint)",
                                       ("police_perpetrated_conduct_individuals",
                                        "police_perpetrated_complaint_individuals"), None),
    "police_perpetrated_share_percent": ("Police-perpetrated individuals as a share of the workforce (%)",
                                         ("police_perpetrated_conduct_individuals",
                                          "police_perpetrated_complaint_individuals"), "workforce_headcount"),
    "workforce_female_percent": ("Female share of the workforce (%)", ("workforce_female",), "workforce_headcount"),
})


def measures_of(commitment: int) -> list[Measure]:
    """The declared measures (not respondents bases) serving a commitment, in vocabulary order."""
    return [m for m in MEASURES.values() if m.commitment == commitment and m.base_of is None]


def vocabulary() -> pd.DataFrame:
    """The vocabulary as a table: one row per measure (for the template and the reports' methods)."""
    return pd.DataFrame([{
        "measure": m.name, "pillar": m.pillar, "pillar_name": PILLARS[m.pillar], "commitment": m.commitment,
        "commitment_title": COMMITMENTS[m.commitment][1], "label": m.label, "kind": m.kind,
        "disclosive": m.disclosive, "definition": m.definition} for m in MEASURES.values()])


# --------------------------------------------------------------------------- reading


def read_raw(path: str | Path) -> pd.DataFrame:
    """The file's cells as text (CSV, ``.xlsx`` or Parquet), header names as given; DataError if unreadable."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such returns file.")
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            import openpyxl

            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
            sheet = book[DATA_SHEET] if DATA_SHEET in book.sheetnames else book.worksheets[0]
            rows = [list(row) for row in sheet.iter_rows(values_only=True)]
            book.close()
            while rows and all(_blank(c) for c in rows[-1]):
                rows.pop()
            if not rows:
                raise DataError(f"{path}: the sheet '{sheet.title}' is empty; expected a header row "
                                f"({', '.join(COLUMNS)}).")
            header = ["" if c is None else str(c) for c in rows[0]]
            width = max((i + 1 for i, h in enumerate(header) if h.strip()), default=0)
            body = [r[:width] + [None] * (width - len(r[:width])) for r in rows[1:]]
            frame = pd.DataFrame(body, columns=header[:width], dtype=object)
        elif suffix == ".parquet":
            frame = pd.read_parquet(path).astype(object)
        elif suffix in (".csv", ".txt") or suffix == ".gz":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        else:
            raise DataError(f"{path}: a returns file must be CSV (.csv), Excel (.xlsx) or Parquet (.parquet), "
                            f"not '{suffix or 'no extension'}'.")
    except DataError:
        raise
    except Exception as exc:  # a broken file: say so, naming it
        raise DataError(f"{path}: the returns file could not be read ({type(exc).__name__}: {exc}).") from None
    return frame


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or str(value).strip() == ""


def _month(value) -> pd.Period | None:
    """A month from ``YYYY-MM`` text (or an Excel date cell); None when it is not one."""
    if isinstance(value, pd.Period):
        return value.asfreq("M")
    if hasattr(value, "year") and hasattr(value, "month"):  # datetime / Timestamp from Excel or Parquet
        return pd.Period(year=value.year, month=value.month, freq="M")
    text = str(value).strip()
    if len(text) == 7 and text[4] == "-" and text[:4].isdigit() and text[5:].isdigit():
        if 1990 <= int(text[:4]) <= 2100 and 1 <= int(text[5:]) <= 12:
            return pd.Period(text, freq="M")
    return None


def _number(value) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(str(value).strip().replace(",", "")) if not isinstance(value, (int, float)) else float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


_UNIT_LOOKUP = {u.lower(): u for u in UNITS}
MAX_LISTED = 5


def parse_returns(raw: pd.DataFrame, source: str) -> pd.DataFrame:
    """Validate raw cells (as read by :func:`read_raw`) and return the canonical returns table.

    Columns: ``start`` and ``end`` (monthly Periods), ``bcu``, ``measure``,
    ``value`` (float), ``source``, ``note``, ``row`` (the file's row number, the
    header being row 1).  Any broken rule raises one DataError listing every
    problem (file, column, rows, values); nothing is returned then.
    """
    names = {str(c).strip().lower(): c for c in raw.columns}
    unknown = [str(c) for c in raw.columns if str(c).strip().lower() not in COLUMNS]
    if unknown:
        raise DataError(f"{source}: unknown column(s) {', '.join(repr(c) for c in unknown)}; a returns file has "
                        f"the columns {', '.join(COLUMNS)} ({', '.join(REQUIRED_COLUMNS)} required).")
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        raise DataError(f"{source}: missing column(s) {', '.join(missing)}; a returns file has the columns "
                        f"{', '.join(COLUMNS)} ({', '.join(REQUIRED_COLUMNS)} required).")
    frame = pd.DataFrame({c: raw[names[c]].tolist() if c in names else [None] * len(raw) for c in COLUMNS})
    frame = frame[~frame.apply(lambda r: all(_blank(v) for v in r), axis=1)]
    rows = frame.index.to_numpy() + 2
    problems: dict[str, list[str]] = {}

    def problem(rule: str, row: int, value) -> None:
        problems.setdefault(rule, []).append(f"row {row} ({value!r})" if value is not None else f"row {row}")

    out = []
    for row, record in zip(rows, frame.itertuples(index=False)):
        start = _month(record.start) if not _blank(record.start) else None
        if start is None:
            problem("start is not a month YYYY-MM", row, None if _blank(record.start) else record.start)
        end = start if _blank(record.end) else _month(record.end)
        if end is None and not _blank(record.end):
            problem("end is not a month YYYY-MM", row, record.end)
        if start is not None and end is not None and end < start:
            problem("end is before start", row, f"{record.start} to {record.end}")
        unit = _UNIT_LOOKUP.get(str(record.bcu).strip().lower()) if not _blank(record.bcu) else None
        if unit is None:
            problem(f"bcu is not one of {', '.join(UNITS)}", row, None if _blank(record.bcu) else record.bcu)
        name = str(record.measure).strip().lower() if not _blank(record.measure) else ""
        measure = MEASURES.get(name)
        if measure is None:
            problem("measure is not in the vocabulary (see `vawgstats returns template`)", row,
                    None if _blank(record.measure) else record.measure)
        value = None if _blank(record.value) else _number(record.value)
        if value is None:
            problem("value is not a number", row, None if _blank(record.value) else record.value)
        elif value < 0:
            problem("value is negative", row, record.value)
        elif measure is not None and measure.kind == "percent" and value > 100:
            problem(f"value of a percent ({measure.name}) is above 100", row, record.value)
        elif measure is not None and measure.kind != "percent" and value != int(value):
            problem(f"value of a count ({measure.name}) is not a whole number", row, record.value)
        text = {c: "" if _blank(getattr(record, c)) else str(getattr(record, c)).strip() for c in ("source", "note")}
        out.append({"start": start, "end": end, "bcu": unit, "measure": name, "value": value, **text, "row": row})
    table = pd.DataFrame(out, columns=list(COLUMNS) + ["row"])
    if not problems and len(table):
        keys = table[["start", "end", "bcu", "measure"]].astype(str).agg("|".join, axis=1)
        repeated = table[keys.duplicated(keep=False)]
        for _, group in repeated.groupby(keys[keys.duplicated(keep=False)], sort=False):
            first = group.iloc[0]
            problem(f"duplicate figure ({first['start']} to {first['end']}, {first['bcu']}, {first['measure']}; "
                    f"give each figure once)", int(first["row"]),
                    f"also row(s) {', '.join(str(r) for r in group['row'].iloc[1:])}")
    if problems:
        parts = []
        for rule, where in problems.items():
            more = f" and {len(where) - MAX_LISTED} more" if len(where) > MAX_LISTED else ""
            parts.append(f"{rule}: {', '.join(where[:MAX_LISTED])}{more}")
        count = sum(len(w) for w in problems.values())
        raise DataError(f"{source}: {count} problem(s) in the returns file (rows numbered as in the file, "
                        f"header = row 1); nothing was loaded. " + "; ".join(parts) + ".")
    if len(table):
        table["start"] = pd.PeriodIndex(table["start"], freq="M")
        table["end"] = pd.PeriodIndex(table["end"], freq="M")
    else:
        table["start"] = pd.PeriodIndex([], freq="M")
        table["end"] = pd.PeriodIndex([], freq="M")
    table["value"] = table["value"].astype(float)
    table["row"] = table["row"].astype("int64")
    return table.reset_index(drop=True)


def load_returns(path: str | Path) -> pd.DataFrame:
    """Read and validate a returns file (CSV, .xlsx or Parquet); see :func:`parse_returns`."""
    return parse_returns(read_raw(path), str(path))


def write_returns(table: pd.DataFrame, path: str | Path) -> Path:
    """Write a returns table as CSV, Parquet or .xlsx (by the file's extension), months as ``YYYY-MM``."""
    path = Path(path)
    out = table.reindex(columns=list(COLUMNS)).copy()
    for column in ("start", "end"):
        out[column] = out[column].astype(str)
    out["value"] = [int(v) if float(v).is_integer() else float(v) for v in out["value"]]
    suffix = path.suffix.lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".parquet":
        out.to_parquet(path, index=False)
    elif suffix == ".xlsx":
        from .returns_template import write_workbook

        write_workbook(path, out)
    elif suffix == ".csv":
        out.to_csv(path, index=False)
    else:
        raise DataError(f"{path}: write returns as .csv, .xlsx or .parquet, not '{suffix or 'no extension'}'.")
    return path
