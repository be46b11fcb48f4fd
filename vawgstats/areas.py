"""Small areas: in-scope crimes by LSOA and VAWG offences by ward in a period, the names of
each LSOA's ward and borough, and the shading classes of an area map.

The boundaries and the LSOA-to-ward lookup are ONS data shipped in ``vawgstats/data/``
(simplified by ``tools/make_boundaries.py``; attribution in docs/data_log.md).
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from . import definitions as d
from .periods import Period, as_period

#: Below this a count is not shown in the public edition (the areas share one "fewer than 10" class).
SMALL = 10
FEWER_THAN_10 = "fewer than 10"

#: Dashboard ward names (``ward_name_clean_2``) that differ from the ONS May 2022 names.
WARD_ALIASES = {("Tower Hamlets", "Bethnal Green East"): "Bethnal Green",
                ("Tower Hamlets", "Bethnal Green West"): "St Peter's"}


_BOUNDARY_FILES = {"wards": "london_wards_2022.geojson", "lsoas": "london_lsoa_2021.geojson",
                   "bcus": "london_bcus.geojson", "boroughs": "london_boroughs.geojson"}


def _read_boundaries(layer: str) -> dict:
    with (resources.files("vawgstats") / "data" / _BOUNDARY_FILES[layer]).open("r", encoding="utf-8") as handle:
        return json.load(handle)


@lru_cache(maxsize=4)
def boundaries(layer: str) -> dict:
    """``wards`` (May 2022) or ``lsoas`` (2021): a GeoJSON FeatureCollection whose features have
    ``code``, ``borough`` (and for wards ``name``) properties; also ``bcus`` and ``boroughs``
    (features with ``name`` and ``code``)."""
    return _read_boundaries(layer)


@lru_cache(maxsize=4)
def shapes(layer: str) -> tuple[tuple[dict, tuple[np.ndarray, ...]], ...]:
    """The features of a :func:`boundaries` layer as ``(properties, outer rings)``, each ring an
    array of its vertices, closed (the last vertex repeats the first) as GeoJSON has them.

    Read once per process: arrays, not GeoJSON's nested lists, so that the maps of each report
    neither convert the rings again nor leave the garbage collector a hundred thousand lists to scan.
    """
    shaped = []
    for feature in _read_boundaries(layer)["features"]:
        geometry = feature["geometry"]
        polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        rings = []
        for polygon in polygons:
            ring = np.asarray(polygon[0], dtype=float)
            if len(ring) and (ring[0] != ring[-1]).any():
                ring = np.concatenate([ring, ring[:1]])
            ring.setflags(write=False)
            rings.append(ring)
        shaped.append((feature["properties"], tuple(rings)))
    return tuple(shaped)


@lru_cache(maxsize=1)
def lsoa_wards() -> pd.DataFrame:
    """LSOA 2021 code -> ``ward_code``, ``ward_name`` (May 2022) and ``borough``."""
    with (resources.files("vawgstats") / "data" / "lsoa_ward_2022.csv").open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle, dtype=str).set_index("lsoa_code")


def ward_of(lsoa_codes: pd.Series) -> pd.Series:
    """The ward name of each LSOA code ("" where the code is not a 2021 London LSOA)."""
    names = lsoa_wards()["ward_name"]
    return pd.Series(lsoa_codes).astype(str).map(names).fillna("").set_axis(pd.Series(lsoa_codes).index)


def lsoa_counts(df: pd.DataFrame, *, start: str, end: str) -> pd.DataFrame:
    """In-scope crimes recorded in the period per LSOA: ``bcu``, ``borough``, ``lsoa_code``, ``crimes``
    (LSOAs with none are absent; crimes with no LSOA are left out)."""
    period = as_period(start, end)
    scoped = df[d.in_vawg_scope(df) & period.contains(df["recorded_date"]) & df["lsoa_code"].notna()]
    counts = (scoped.groupby(["bcu", "borough", "lsoa_code"], observed=True).size().rename("crimes").reset_index())
    counts = counts[counts["crimes"] > 0]
    for column in ("bcu", "borough", "lsoa_code"):
        counts[column] = counts[column].astype(str)
    return counts.sort_values(["bcu", "borough", "lsoa_code"]).reset_index(drop=True)[
        ["bcu", "borough", "lsoa_code", "crimes"]]


def ward_counts(counts: pd.DataFrame, period: Period) -> pd.DataFrame:
    """VAWG offences recorded in the period per ward (published counts): ``bcu``, ``borough``,
    ``ward`` (the ONS May 2022 name, dashboard aliases resolved), ``offences``."""
    from .counts import in_bcu_totals
    from .open_data import location_counts

    frame = location_counts(counts, "offences")
    frame = frame[in_bcu_totals(frame).to_numpy() & frame["ward"].astype(str).str.strip().ne("").to_numpy()]
    months = frame["month"].astype(str)
    frame = frame[(months >= str(period.start)) & (months <= str(period.end))]
    columns = ["bcu", "borough", "ward", "offences"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    table = (frame.assign(bcu=frame["bcu"].astype(str), borough=frame["borough"].astype(str),
                          ward=frame["ward"].astype(str))
             .groupby(["bcu", "borough", "ward"])["count"].sum().rename("offences").reset_index())
    table["ward"] = [WARD_ALIASES.get((b, w), w) for b, w in zip(table["borough"], table["ward"])]
    table = table.groupby(["bcu", "borough", "ward"], as_index=False)["offences"].sum()
    table["offences"] = table["offences"].astype("int64")
    return table.sort_values(["bcu", "borough", "ward"]).reset_index(drop=True)[columns]


def shade_classes(values: pd.Series, edition: str, classes: int = 5) -> tuple[pd.Series, list[str]]:
    """Each area's shading class and the classes' labels, lightest first.

    Counts are split into up to ``classes`` bands of roughly equal size (quantiles of the
    counts shown). In the public edition every count below 10 (including none) falls in one
    "fewer than 10" class, so the map discloses no small count; the other bands start at 10.
    Areas with no value get class -1 (not drawn as data).
    """
    values = pd.to_numeric(pd.Series(values), errors="coerce")
    result = pd.Series(-1, index=values.index, dtype="int64")
    labels: list[str] = []
    small = values < SMALL if edition == "public" else pd.Series(False, index=values.index)
    offset = 0
    if edition == "public":
        labels.append(FEWER_THAN_10)
        result[small.fillna(False)] = 0
        offset = 1
    shown = values[values.notna() & ~small.fillna(False)]
    if shown.empty:
        return result, labels
    edges = np.unique(np.quantile(shown, np.linspace(0, 1, classes + 1)).round())
    if len(edges) < 2:
        edges = np.array([shown.min(), shown.max()])
    bands = np.clip(np.searchsorted(edges[1:-1], shown, side="right"), 0, len(edges) - 2)
    result[shown.index] = bands + offset
    for i in range(len(edges) - 1):
        low, high = int(edges[i]), int(edges[i + 1])
        low = low if i == 0 else low + 1
        labels.append(f"{low:,} to {high:,}" if high > low else f"{low:,}")
    return result, labels
