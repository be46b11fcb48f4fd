"""London's geography: the Met's 12 Basic Command Units and 32 boroughs.

BCU codes and membership follow the Metropolitan Police's BCU structure (as
recorded in the MPS VAWG dashboard's ``bcu_location`` column).  ONS codes are
the GSS codes of the London boroughs (E09...).  Female population is the ONS
mid-2019 small-area estimate (LSOA 2011) summed by borough, shipped as
``vawgstats/data/borough_population_mid2019.csv`` (Open Government Licence).
The City of London is policed by the City of London Police, not the Met, so it
is not one of the 32 boroughs here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from ._lazy import lazy_module
from .errors import ParamsError

np = lazy_module("numpy", globals(), "np")  # imported on first use
pd = lazy_module("pandas", globals(), "pd")  # imported on first use


@dataclass(frozen=True)
class BCU:
    """A Basic Command Unit: its code, name and boroughs."""

    code: str
    name: str
    boroughs: tuple[str, ...]


#: The 12 BCUs, in the Met's usual order.
BCUS: tuple[BCU, ...] = (
    BCU("AW", "Central West", ("Hammersmith and Fulham", "Kensington and Chelsea", "Westminster")),
    BCU("CN", "Central North", ("Camden", "Islington")),
    BCU("CE", "Central East", ("Hackney", "Tower Hamlets")),
    BCU("AS", "Central South", ("Lambeth", "Southwark")),
    BCU("NA", "North Area", ("Enfield", "Haringey")),
    BCU("NW", "North West", ("Barnet", "Brent", "Harrow")),
    BCU("NE", "North East", ("Newham", "Waltham Forest")),
    BCU("EA", "East Area", ("Barking and Dagenham", "Havering", "Redbridge")),
    BCU("SN", "South Area", ("Bromley", "Croydon", "Sutton")),
    BCU("SE", "South East", ("Bexley", "Greenwich", "Lewisham")),
    BCU("SW", "South West", ("Kingston upon Thames", "Merton", "Richmond upon Thames", "Wandsworth")),
    BCU("WA", "West Area", ("Ealing", "Hillingdon", "Hounslow")),
)

BCU_CODES: tuple[str, ...] = tuple(b.code for b in BCUS)
BCU_BY_CODE: dict[str, BCU] = {b.code: b for b in BCUS}
BCU_NAME_TO_CODE: dict[str, str] = {b.name: b.code for b in BCUS}

#: The 32 London boroughs policed by the Met, alphabetically.
BOROUGHS: tuple[str, ...] = tuple(sorted(n for b in BCUS for n in b.boroughs))
BOROUGH_TO_BCU: dict[str, str] = {n: b.code for b in BCUS for n in b.boroughs}

#: ONS (GSS) codes of the 32 boroughs.
ONS_CODES: dict[str, str] = {
    "Barking and Dagenham": "E09000002", "Barnet": "E09000003", "Bexley": "E09000004",
    "Brent": "E09000005", "Bromley": "E09000006", "Camden": "E09000007",
    "Croydon": "E09000008", "Ealing": "E09000009", "Enfield": "E09000010",
    "Greenwich": "E09000011", "Hackney": "E09000012", "Hammersmith and Fulham": "E09000013",
    "Haringey": "E09000014", "Harrow": "E09000015", "Havering": "E09000016",
    "Hillingdon": "E09000017", "Hounslow": "E09000018", "Islington": "E09000019",
    "Kensington and Chelsea": "E09000020", "Kingston upon Thames": "E09000021",
    "Lambeth": "E09000022", "Lewisham": "E09000023", "Merton": "E09000024",
    "Newham": "E09000025", "Redbridge": "E09000026", "Richmond upon Thames": "E09000027",
    "Southwark": "E09000028", "Sutton": "E09000029", "Tower Hamlets": "E09000030",
    "Waltham Forest": "E09000031", "Wandsworth": "E09000032", "Westminster": "E09000033",
}

#: Spellings seen in source files, mapped to the canonical borough name.
#: Keys are compared after :func:`_key` (lower case, '&' -> 'and', no punctuation).
_ALIASES: dict[str, str] = {
    "kingston": "Kingston upon Thames",
    "kingston on thames": "Kingston upon Thames",
    "royal borough of kingston upon thames": "Kingston upon Thames",
    "richmond": "Richmond upon Thames",
    "richmond on thames": "Richmond upon Thames",
    "kensington": "Kensington and Chelsea",
    "royal borough of kensington and chelsea": "Kensington and Chelsea",
    "hammersmith": "Hammersmith and Fulham",
    "barking": "Barking and Dagenham",
    "city of westminster": "Westminster",
    "royal borough of greenwich": "Greenwich",
    "tower hamlet": "Tower Hamlets",
}


def _key(text: str) -> str:
    text = str(text).strip().lower().replace("&", " and ")
    text = re.sub(r"[^a-z0-9 ]+", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(r"^(london borough of|lb) ", "", text)


@lru_cache(maxsize=1)
def _lookup() -> dict[str, str]:
    table = {_key(name): name for name in BOROUGHS}
    table.update({_key(code): name for name, code in ONS_CODES.items()})
    table.update({_key(alias): name for alias, name in _ALIASES.items()})
    return table


def normalise_borough(name: object) -> str | None:
    """Canonical borough name for a spelling or ONS code, or ``None`` if unknown.

    Accepts e.g. ``"Barking & Dagenham"``, ``"Kingston"``, ``"Richmond"``,
    ``"E09000013"``, and any case or spacing of the canonical names.
    """
    if name is None or (isinstance(name, float) and pd.isna(name)):
        return None
    return _lookup().get(_key(name))


def normalise_boroughs(values: pd.Series) -> pd.Series:
    """Vectorised :func:`normalise_borough` (maps each distinct value once)."""
    distinct = pd.unique(values.dropna())
    mapping = {value: normalise_borough(value) for value in distinct}
    return values.map(mapping)


def bcu_code(value: str) -> str:
    """The BCU code for a code or BCU name (``"NA"``, ``"North Area"``); ParamsError if unknown."""
    text = str(value).strip()
    if text.upper() in BCU_BY_CODE:
        return text.upper()
    for name, code in BCU_NAME_TO_CODE.items():
        if name.lower() == text.lower():
            return code
    raise ParamsError(
        f"Unknown BCU {value!r}: expected one of {', '.join(BCU_CODES)} "
        f"or a BCU name such as 'North Area'."
    )


def bcu_of(borough: str) -> str:
    """The BCU code of a canonical borough name."""
    return BOROUGH_TO_BCU[borough]


def boroughs_table() -> pd.DataFrame:
    """One row per borough: borough, ons_code, bcu, bcu_name, female_population, population."""
    population = _population_table()
    rows = [
        {"borough": n, "ons_code": ONS_CODES[n], "bcu": BOROUGH_TO_BCU[n],
         "bcu_name": BCU_BY_CODE[BOROUGH_TO_BCU[n]].name}
        for n in BOROUGHS
    ]
    table = pd.DataFrame(rows).merge(population, on="ons_code", how="left", validate="one_to_one")
    return table


#: Where the female population figures come from (printed in reports).
POPULATION_SOURCE = (
    "ONS small area population estimates, mid-2019 (LSOA 2011), Females_All-Ages "
    "summed by borough; Open Government Licence."
)


@lru_cache(maxsize=1)
def _population_table() -> pd.DataFrame:
    path = resources.files("vawgstats") / "data" / "borough_population_mid2019.csv"
    with path.open("r", encoding="utf-8") as handle:
        table = pd.read_csv(handle, dtype={"ons_code": "string"})
    return table[["ons_code", "female_population", "population"]]


def female_population(by: str = "borough") -> pd.Series:
    """Female residents (all ages) by ``"borough"`` or ``"bcu"``, or London total for ``"london"``."""
    table = boroughs_table()
    if by == "borough":
        return table.set_index("borough")["female_population"]
    if by == "bcu":
        return table.groupby("bcu")["female_population"].sum().reindex(list(BCU_CODES))
    if by == "london":
        return pd.Series({"London": int(table["female_population"].sum())})
    raise ValueError(f"by must be 'borough', 'bcu' or 'london', not {by!r}")


@lru_cache(maxsize=1)
def lsoa_table() -> pd.DataFrame:
    """LSOA (2011 and 2021) codes of the 32 boroughs: lsoa_code, borough, lsoa_vintage."""
    path = resources.files("vawgstats") / "data" / "lsoa_borough.csv"
    with path.open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle, dtype="string")


# --------------------------------------------------------------------------- borough reports

#: Councils whose name is not "London Borough of <borough>".
_COUNCIL_NAMES: dict[str, str] = {
    "Greenwich": "Royal Borough of Greenwich",
    "Kensington and Chelsea": "Royal Borough of Kensington and Chelsea",
    "Kingston upon Thames": "Royal Borough of Kingston upon Thames",
    "Westminster": "Westminster City Council",
}


def council_name(borough: str) -> str:
    """The council of a canonical borough name, e.g. "London Borough of Enfield"."""
    return _COUNCIL_NAMES.get(borough, f"London Borough of {borough}")


def borough_slug(borough: str) -> str:
    """A borough's name in lower case with spaces as hyphens: "Barking and Dagenham" -> "barking-and-dagenham"."""
    return re.sub(r"\s+", "-", str(borough).strip().lower())


def borough_name(value: object) -> str:
    """The canonical borough for a name (any case), ONS code (E09...) or slug; ParamsError if unknown."""
    name = normalise_borough(value)
    if name is None:
        raise ParamsError(
            f"Unknown borough {value!r}: expected one of the 32 London boroughs policed by the Met "
            f"({', '.join(BOROUGHS)}), in any case, or its ONS code (E09000002 to E09000033; "
            f"the City of London, E09000001, is policed by the City of London Police).")
    return name


def lsoa_in_other_borough(lsoa_code: pd.Series, borough: pd.Series) -> pd.Series:
    """True where a record's LSOA lies outside the record's borough (a data-quality flag).

    An LSOA outside the 32 boroughs' lookup (E01000001 is in the City of London) lies in
    another borough too; an empty LSOA is not flagged (it is counted as missing).
    """
    table = lsoa_table()
    home = dict(zip(table["lsoa_code"].astype(str), table["borough"].astype(str)))
    # one look-up per distinct (LSOA, borough) pair, not per record
    lsoa_codes, lsoa_values = pd.factorize(lsoa_code, use_na_sentinel=True)
    borough_codes, borough_values = pd.factorize(borough, use_na_sentinel=True)
    width = max(len(borough_values), 1) + 1
    pair = lsoa_codes.astype(np.int64) * width + (borough_codes.astype(np.int64) + 1)
    distinct, inverse = np.unique(pair, return_inverse=True)
    lsoa_names, borough_names = [str(v) for v in lsoa_values], [str(v) for v in borough_values]
    flagged = np.zeros(len(distinct), dtype=bool)
    for i, key in enumerate(distinct.tolist()):
        lsoa_at, borough_at = divmod(key, width)
        if lsoa_at < 0:
            continue
        code = lsoa_names[lsoa_at]
        if code == "":
            continue
        flagged[i] = home.get(code) != (borough_names[borough_at - 1] if borough_at > 0 else None)
    return pd.Series(flagged[inverse.reshape(-1)], index=lsoa_code.index)
