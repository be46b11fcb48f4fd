"""Make the simplified boundary files that vawgstats ships (run by hand; needs shapely).

    python tools/make_boundaries.py ../shared/data/real/geography

Writes into vawgstats/data/:
- london_bcus.geojson: the 12 BCU outlines, dissolved from the borough polygons of
  london_boroughs.geojson (a small buffer closes the slivers between independently
  simplified boroughs), simplified for a page-sized map;
- london_wards_2022.geojson: the May 2022 wards of the 32 Met boroughs (ONS, BSC), simplified;
- london_lsoa_2021.geojson: the 2021 LSOAs of the 32 Met boroughs (ONS, BGC), simplified hard;
- lsoa_ward_2022.csv: LSOA 2021 code -> ward (May 2022) code and name, and borough.

Nothing reads ../shared at run time: the outputs are package data (attribution in docs/data_log.md).
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

from shapely.geometry import mapping, shape
from shapely.ops import unary_union

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from vawgstats.geography import BOROUGH_TO_BCU, BOROUGHS, ONS_CODES  # noqa: E402

DATA = ROOT / "vawgstats" / "data"
MET_CODES = {ONS_CODES[name]: name for name in BOROUGHS}


def _rounded(geometry, digits: int):
    def walk(value):
        if isinstance(value, (list, tuple)) and value and isinstance(value[0], (int, float)):
            return [round(value[0], digits), round(value[1], digits)]
        return [walk(v) for v in value]

    return {"type": geometry.geom_type, "coordinates": walk(mapping(geometry)["coordinates"])}


def _write(path: Path, features: list[dict]) -> None:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":")),
                    encoding="utf-8")
    print(f"{path.relative_to(ROOT)}: {len(features)} features, {path.stat().st_size:,} bytes")


def bcus() -> None:
    boroughs = json.loads((DATA / "london_boroughs.geojson").read_text(encoding="utf-8"))
    parts: dict[str, list] = {}
    for feature in boroughs["features"]:
        code = BOROUGH_TO_BCU.get(feature["properties"]["name"])
        if code:
            parts.setdefault(code, []).append(shape(feature["geometry"]).buffer(0.0004))
    features = []
    for code in sorted(parts):
        outline = unary_union(parts[code]).buffer(-0.0004).simplify(0.0008, preserve_topology=True)
        point = outline.representative_point()
        features.append({"type": "Feature", "properties": {"code": code, "label": [round(point.x, 4), round(point.y, 4)]},
                         "geometry": _rounded(outline, 4)})
    _write(DATA / "london_bcus.geojson", features)


def _met_features(path: Path, tolerance: float, digits: int, properties) -> list[dict]:
    """The features of an ONS GeoJSON file that lie in the 32 Met boroughs, simplified by
    ``tolerance`` (degrees), coordinates rounded to ``digits``, with ``properties(props)``."""
    data = json.loads(path.read_text(encoding="utf-8"))
    features = []
    for feature in data["features"]:
        props = feature["properties"]
        if props["LAD22CD"] not in MET_CODES:
            continue  # the City of London is not policed by the Met
        geometry = shape(feature["geometry"]).simplify(tolerance, preserve_topology=True)
        features.append({"type": "Feature", "properties": properties(props), "geometry": _rounded(geometry, digits)})
    return features


def wards(source: Path) -> None:
    _write(DATA / "london_wards_2022.geojson", _met_features(
        source / "london_wards_2022_bsc.geojson", 0.0002, 5,
        lambda props: {"code": props["WD22CD"], "name": props["WD22NM"], "borough": MET_CODES[props["LAD22CD"]]}))


def lsoas(source: Path) -> None:
    _write(DATA / "london_lsoa_2021.geojson", _met_features(
        source / "london-2021-lsoa_bgc.geojson", 0.0004, 4,
        lambda props: {"code": props["LSOA21CD"], "borough": MET_CODES[props["LAD22CD"]]}))


def lookup(source: Path) -> None:
    rows = []
    with (source / "london-2021-lsoa_to_ward22_lookup.csv").open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["LAD22CD"] in MET_CODES:
                rows.append((row["LSOA21CD"], row["WD22CD"], row["WD22NM"], MET_CODES[row["LAD22CD"]]))
    path = DATA / "lsoa_ward_2022.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["lsoa_code", "ward_code", "ward_name", "borough"])
        writer.writerows(sorted(rows))
    print(f"{path.relative_to(ROOT)}: {len(rows)} rows, {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    bcus()
    if len(sys.argv) > 1:
        folder = Path(sys.argv[1])
        wards(folder)
        lsoas(folder)
        lookup(folder)
