"""Rebuild the small real-data extracts in this folder (a developer tool, not run by the tests).

    python tests/data/real/make_extracts.py /path/to/shared/data/real

Reads the developer copy of the public files described in its SOURCES.md and
writes the trimmed copies listed in ATTRIBUTION.md.  Rows are copied as
published (same header, same values, same order); only rows are dropped.
"""

from __future__ import annotations

import csv
import gzip
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
SEED = 20240101


def _open(path: Path, mode: str):
    if path.name.endswith(".gz"):
        return gzip.open(path, mode + "t", encoding="utf-8", newline="")
    return open(path, mode, encoding="utf-8", newline="")


def _read(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.attrs["path"] = path
    return frame


def _write(frame: pd.DataFrame, path: Path) -> None:
    """Copy the header line and the selected rows' lines byte for byte (line ends kept)."""
    source = frame.attrs["path"]
    with _open(source, "r") as handle:
        lines = handle.readlines()
    with _open(source, "r") as handle:
        assert sum(1 for _ in csv.reader(handle)) == len(lines), f"{source}: a field spans lines"
    path.parent.mkdir(parents=True, exist_ok=True)
    with _open(path, "w") as handle:
        handle.write(lines[0])
        for position in sorted(frame.index):
            handle.write(lines[position + 1])
    print(f"{path.relative_to(HERE)}: {len(frame)} rows")


def vawg(shared: Path) -> None:
    src = shared / "london_datastore" / "mps_vawg_dashboard"
    out = HERE / "mps_vawg_dashboard"
    months = ["2022-11-01", "2022-12-01"]
    for kind in ("offences_offence_count_location", "victims_victim_count_location"):
        frame = _read(src / f"vawg-{kind.split('_')[0]}_{kind.split('_', 1)[1]}_2014-01_to_2022-12.csv.gz")
        keep = frame["recorded_date_months"].isin(months) & frame["borough_name"].isin(
            ["Enfield", "Haringey", "Other"])
        _write(frame[keep], out / f"vawg-{kind.split('_')[0]}_{kind.split('_', 1)[1]}_2022-11_to_2022-12_extract.csv.gz")
    frame = _read(src / "vawg-offences_offence_count_classification_2014-01_to_2022-12.csv.gz")
    keep = frame["recorded_date_months"].eq("2022-12-01") & frame["date_committed_from_date_months"].str[:4].isin(
        ["2022", ""])
    _write(frame[keep], out / "vawg-offences_offence_count_classification_2022-12_extract.csv")
    for kind in ("age_group", "ethnic_group"):
        frame = _read(src / f"vawg-victims_victim_count_{kind}_2014-01_to_2022-12.csv.gz")
        keep = frame["recorded_date_months"].isin(months) & frame["date_committed_from_date_months"].str[:4].isin(
            ["2022", ""])
        _write(frame[keep], out / f"vawg-victims_victim_count_{kind}_2022-11_to_2022-12_extract.csv")


def recorded_crime(shared: Path) -> None:
    src = shared / "london_datastore" / "mps_recorded_crime"
    out = HERE / "mps_recorded_crime"
    frame = _read(src / "recorded-crime-borough_most-recent-24-months_202403-202602.csv")
    keep = frame["boroughname"].isin(["Enfield", "Haringey", "Westminster", "Unknown"])
    _write(frame[keep], out / "recorded-crime-borough_most-recent-24-months_202403-202602_extract.csv")
    frame = _read(src / "recorded-crime-lsoa_most-recent-24-months_202402-202602.csv.gz")
    lsoas = []
    for borough in ("E09000010", "E09000014", "E09000033"):  # Enfield, Haringey, Westminster
        lsoas += sorted(frame.loc[frame["borough"].eq(borough), "lsoa_code"].unique())[:4]
    _write(frame[frame["lsoa_code"].isin(lsoas)],
           out / "recorded-crime-lsoa_most-recent-24-months_202402-202602_extract.csv.gz")


def police_uk(shared: Path) -> None:
    src = shared / "police_uk"
    out = HERE / "police_uk"
    # City of London, one month: every row outside the City's own LSOAs (other boroughs, no location)
    # and the first City rows, up to 300 rows, in the published order.
    city = _read(src / "city_of_london_all_crime_types/2022-12/2022-12-city-of-london-street.csv")
    outside_city = ~city["LSOA name"].str.startswith("City of London")
    budget = 300 - int(outside_city.sum())
    first_city = city.index[~outside_city][:budget]
    _write(city[outside_city | city.index.isin(first_city)],
           out / "city_of_london_all_crime_types/2022-12/2022-12-city-of-london-street.csv")
    # Met burglary, two months: rare outcomes, repeated Crime IDs, no-location and out-of-London rows,
    # crimes with outcomes events, then a seeded sample, 250 rows a month.
    for month in ("2023-11", "2023-12"):
        folder = src / "metropolitan_burglary_only" / month
        street = _read(folder / f"{month}-metropolitan-street.csv")
        outcomes = _read(folder / f"{month}-metropolitan-outcomes.csv")
        category = street["Last outcome category"]
        rare = ~category.isin(["Investigation complete; no suspect identified", "Unable to prosecute suspect",
                               "Court result unavailable", "Status update unavailable"])
        pick = set(street.index[rare][:40])
        pick |= set(street.index[category.eq("Unable to prosecute suspect")][:15])
        pick |= set(street.index[category.eq("Court result unavailable")][:15])
        pick |= set(street.index[category.eq("Status update unavailable")][:15])
        repeated = street["Crime ID"].duplicated(keep=False) & street["Crime ID"].ne("")
        repeated_ids = street.loc[repeated, "Crime ID"].unique()[:6]
        pick |= set(street.index[street["Crime ID"].isin(repeated_ids)])
        pick |= set(street.index[street["LSOA name"].eq("")][:8])
        authority = street["LSOA name"].str.replace(r" \d{3}[A-Z]$", "", regex=True)
        london = set(_read(shared / "geography/london-2021-lsoa_to_lad22_lookup.csv")["LAD22NM"])
        pick |= set(street.index[street["LSOA name"].ne("") & ~authority.isin(london)][:6])
        charged = outcomes.loc[outcomes["Outcome type"].ne("Investigation complete; no suspect identified"),
                               "Crime ID"]
        pick |= set(street.index[street["Crime ID"].isin(charged)][:25])
        rest = street.drop(index=list(pick)).sample(n=max(0, 250 - len(pick)), random_state=SEED)
        trimmed = street.loc[sorted(pick | set(rest.index))]
        _write(trimmed, out / f"metropolitan_burglary_only/{month}/{month}-metropolitan-street.csv")
        in_street = outcomes["Crime ID"].isin(trimmed["Crime ID"])
        orphans = outcomes.index[~in_street][:6]
        _write(outcomes[in_street | outcomes.index.isin(orphans)],
               out / f"metropolitan_burglary_only/{month}/{month}-metropolitan-outcomes.csv")


def vawg_counts(shared: Path) -> None:
    """The VAWG dashboard imported into a counts table, 2021-07 to 2022-12 (open-data render test)."""
    import tempfile

    from vawgstats.sources import import_source

    with tempfile.TemporaryDirectory() as work:
        imported = Path(work) / "counts.parquet"
        import_source("mps-vawg", [shared / "london_datastore" / "mps_vawg_dashboard"], imported)
        counts = pd.read_parquet(imported)
    counts = counts[counts["month"] >= "2021-07"]
    path = HERE / "mps_vawg_counts_2021-07_to_2022-12.csv.gz"
    counts.to_csv(path, index=False)
    print(f"{path.relative_to(HERE)}: {len(counts)} rows")


def main(shared: str) -> None:
    root = Path(shared)
    vawg(root)
    vawg_counts(root)
    recorded_crime(root)
    police_uk(root)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/real")
