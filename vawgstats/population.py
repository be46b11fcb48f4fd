"""Female population estimates: the package's own (ONS mid-2019) or a user's file.

Rates per 1,000 women and girls divide by the female residents (all ages) of
each borough, summed for BCUs and London.  The package carries ONS mid-2019
estimates (:data:`vawgstats.geography.POPULATION_SOURCE`); a user with newer ONS
mid-year estimates supplies them with ``--population FILE``:

- a CSV file with the columns ``borough`` (a name or ONS code of one of the 32
  boroughs), ``year`` (the mid-year of the estimate, e.g. 2022) and ``female``
  (female residents, all ages, a positive whole number); other columns are
  ignored;
- each year present must give all 32 boroughs, once each.

The estimate used for a report is the year nearest the middle of its period
(:func:`choose_year`; the middle of a period is compared with 30 June of each
estimate's year, and a tie goes to the later year), and every rate per 1,000
says which (:func:`population_text`).  Bad files raise
:class:`~vawgstats.errors.DataError` naming the file, the column and the rows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .errors import DataError
from .geography import BOROUGHS, POPULATION_SOURCE, boroughs_table, normalise_boroughs
from .periods import Period

COLUMNS = ("borough", "year", "female")
#: The year of the package's own estimates (:data:`vawgstats.geography.POPULATION_SOURCE`).
EMBEDDED_YEAR = 2019


def embedded() -> pd.DataFrame:
    """The package's estimates as a population table (borough, year, female)."""
    table = boroughs_table()
    return pd.DataFrame({"borough": table["borough"], "year": EMBEDDED_YEAR,
                         "female": table["female_population"].astype("int64")})


def _rows(mask: pd.Series, values: pd.Series | None = None, most: int = 5) -> str:
    """``"rows 3, 7 ('x', 'y')"``: file line numbers (the header is line 1)."""
    lines = (np.flatnonzero(mask.to_numpy()) + 2).tolist()
    shown = ", ".join(str(n) for n in lines[:most]) + (f" and {len(lines) - most} more" if len(lines) > most else "")
    word = "line" if len(lines) == 1 else "lines"
    if values is not None:
        sample = ", ".join(repr(str(v)) for v in values[mask].head(most))
        return f"{word} {shown} ({sample})"
    return f"{word} {shown}"


def load_population(path: str | Path) -> pd.DataFrame:
    """Read and check a population file; the table (borough, year, female), boroughs canonical."""
    path = Path(path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except FileNotFoundError:
        raise DataError(f"{path}: population file not found.") from None
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: not a readable CSV population file ({exc}). Expected the columns "
                        f"{', '.join(COLUMNS)}.") from None
    raw.columns = [str(c).strip().lower() for c in raw.columns]
    missing = [c for c in COLUMNS if c not in raw.columns]
    if missing:
        raise DataError(f"{path}: missing column(s): {', '.join(missing)}. A population file needs the "
                        f"columns {', '.join(COLUMNS)} (borough name or ONS code, mid-year, female residents).")
    if raw.empty:
        raise DataError(f"{path}: has a header but no data rows.")
    text = {c: raw[c].astype(str).str.strip() for c in COLUMNS}
    borough = normalise_boroughs(text["borough"])
    bad = borough.isna()
    if bad.any():
        raise DataError(f"{path}: column 'borough': not one of the 32 London boroughs policed by the Met on "
                        f"{_rows(bad, text['borough'])}.")
    year = pd.to_numeric(text["year"], errors="coerce")
    bad = year.isna() | (year % 1 != 0) | (year < 1990) | (year > 2100)
    if bad.any():
        raise DataError(f"{path}: column 'year': not a year from 1990 to 2100 on {_rows(bad, text['year'])}.")
    female = pd.to_numeric(text["female"].str.replace(",", "", regex=False), errors="coerce")
    bad = female.isna() | (female % 1 != 0) | (female <= 0)
    if bad.any():
        raise DataError(f"{path}: column 'female': not a positive whole number of female residents on "
                        f"{_rows(bad, text['female'])}.")
    table = pd.DataFrame({"borough": borough.astype(str), "year": year.astype("int64"),
                          "female": female.astype("int64")})
    duplicate = table.duplicated(["borough", "year"], keep=False)
    if duplicate.any():
        raise DataError(f"{path}: columns 'borough', 'year': a borough appears more than once for a year on "
                        f"{_rows(duplicate, text['borough'])}.")
    for year_value, rows in table.groupby("year"):
        absent = [b for b in BOROUGHS if b not in set(rows["borough"])]
        if absent:
            raise DataError(f"{path}: column 'borough': the year {year_value} lacks {len(absent)} of the 32 "
                            f"boroughs ({', '.join(absent[:5])}{' ...' if len(absent) > 5 else ''}); each "
                            "year must give every borough.")
    return table.sort_values(["year", "borough"]).reset_index(drop=True)


def choose_year(table: pd.DataFrame, period: Period) -> int:
    """The estimate's year nearest the period's middle (30 June of each year; ties: the later year)."""
    middle = period.first_day + (period.last_day - period.first_day) / 2
    years = sorted(set(int(y) for y in table["year"]))
    distance = [abs((pd.Timestamp(year=y, month=6, day=30) - middle).days) for y in years]
    best = min(distance)
    return max(y for y, dist in zip(years, distance) if dist == best)


def female_by_borough(table: pd.DataFrame, year: int) -> pd.Series:
    """Female residents per borough (the 32, in order) for one year of a population table."""
    rows = table[table["year"] == year]
    return rows.set_index("borough")["female"].reindex(list(BOROUGHS)).astype(float)


def population_text(year: int, file: str | None = None) -> str:
    """Where the population figures come from and which year, for the reports."""
    if file is None:
        return POPULATION_SOURCE
    return (f"ONS mid-{year} female population estimates, all ages, from {file} (supplied with "
            "--population; the estimate nearest the middle of the reporting period).")


def choose(period: Period, path: str | Path | None = None) -> tuple[pd.Series | None, int, str]:
    """(female residents per borough or None for the package's own, year, source text) for a period."""
    if path is None:
        return None, EMBEDDED_YEAR, POPULATION_SOURCE
    table = load_population(path)
    year = choose_year(table, period)
    return female_by_borough(table, year), year, population_text(year, Path(path).name)


def rate_note(year: int) -> str:
    """The note beside every rate per 1,000: the estimate's year."""
    return f"Rates per 1,000 women and girls use ONS mid-{year} female population estimates."
