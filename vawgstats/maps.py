"""Maps of places in a report: a unit's wards or LSOAs shaded by count (matplotlib).

The shading classes come from :func:`vawgstats.areas.shade_classes`: in the public edition
every area with fewer than 10 crimes is in one "fewer than 10" class. Colours are a
sequential blue (readable in greyscale); the small class is pale grey.
"""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd

from .areas import FEWER_THAN_10, SMALL, boundaries, shade_classes

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

SMALL_COLOUR = "#e6e6e6"


def _rings(geometry: dict) -> list[np.ndarray]:
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    return [np.asarray(polygon[0]) for polygon in polygons]


def _count_text(value: float, edition: str) -> str:
    return "<10" if edition == "public" and value < SMALL else f"{int(value):,}"


def area_map(layer: str, boroughs: list[str], counts: dict, *, edition: str, title: str, what: str,
             labels: dict | None = None, key: str = "code"):
    """Shade the ``layer`` (``wards`` or ``lsoas``) areas of ``boroughs`` by ``counts`` ({area key: count};
    areas missing count 0). ``key``: ``code``, or ``name`` to match wards by (borough, name).
    ``labels``: {area key: text} written on the map (e.g. the top wards' names, or hotspot ranks).

    Returns (figure, alt text). The alt text names the areas labelled, with their counts as the
    edition allows.
    """
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import Patch, Polygon

    features = [f for f in boundaries(layer)["features"] if f["properties"]["borough"] in boroughs]
    keys = [(f["properties"]["borough"], f["properties"]["name"]) if key == "name" else f["properties"]["code"]
            for f in features]
    values = pd.Series([float(counts.get(k, 0)) for k in keys])
    classes, names = shade_classes(values, edition)
    bands = len(names) - (1 if edition == "public" else 0)
    blues = matplotlib.colormaps["Blues"]
    palette = ([SMALL_COLOUR] if edition == "public" else []) + [
        blues(0.25 + 0.7 * i / max(bands - 1, 1)) for i in range(bands)]
    fig, ax = plt.subplots(figsize=(7, 6.2))
    patches, colours = [], []
    for feature, cls in zip(features, classes):
        for ring in _rings(feature["geometry"]):
            patches.append(Polygon(ring, closed=True))
            colours.append(palette[cls] if cls >= 0 else "white")
    ax.add_collection(PatchCollection(patches, facecolor=colours, edgecolor="#ffffff" if layer == "lsoas" else "#555555",
                                      linewidth=0.15 if layer == "lsoas" else 0.4))
    for feature, area in zip(features, keys):
        if labels and area in labels:
            ring = max(_rings(feature["geometry"]), key=len)
            ax.annotate(labels[area], ring.mean(axis=0), ha="center", va="center", fontsize=6.5, zorder=4,
                        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "#0b0c0c", "lw": 0.4, "alpha": 0.85})
    ax.autoscale_view()
    ax.set_aspect(1.6)
    ax.axis("off")
    handles = [Patch(facecolor=colour, edgecolor="#555555", linewidth=0.4, label=label)
               for colour, label in zip(palette, names)]
    ax.legend(handles=handles, title=what, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7,
              title_fontsize=7.5, frameon=False)
    ax.set_title(title, loc="left")
    fig.tight_layout()
    described = ", ".join(f"{text} ({_count_text(counts.get(area, 0), edition)})"
                          for area, text in (labels or {}).items())
    alt = (f"Map of the {len(features)} {'wards' if layer == 'wards' else 'LSOAs'} of {', '.join(boroughs)}, "
           f"shaded by {what[0].lower() + what[1:]} in {len(names)} classes"
           + (f" (areas with fewer than 10 in one class, '{FEWER_THAN_10}')" if edition == "public" else "")
           + (f". Labelled: {described}." if described else "."))
    return fig, alt


def ward_map(ward_table: pd.DataFrame, boroughs: list[str], *, edition: str, title: str, top: int = 5):
    """The wards of ``boroughs`` shaded by VAWG offences (:func:`vawgstats.areas.ward_counts`),
    the ``top`` wards by count labelled with their names."""
    mine = ward_table[ward_table["borough"].isin(boroughs)]
    counts = {(b, w): int(c) for b, w, c in zip(mine["borough"], mine["ward"], mine["offences"])}
    ranked = mine.sort_values(["offences", "borough", "ward"], ascending=[False, True, True]).head(top)
    labels = {(b, w): w for b, w in zip(ranked["borough"], ranked["ward"])}
    return area_map("wards", boroughs, counts, edition=edition, title=title, what="VAWG offences recorded",
                    labels=labels, key="name")


def lsoa_map(lsoa_table: pd.DataFrame, boroughs: list[str], *, edition: str, title: str, top: int = 10):
    """The LSOAs of ``boroughs`` shaded by in-scope crimes (:func:`vawgstats.areas.lsoa_counts`), the
    ``top`` LSOAs numbered by rank (as in the hotspot table)."""
    mine = lsoa_table[lsoa_table["borough"].isin(boroughs)]
    counts = {code: int(c) for code, c in zip(mine["lsoa_code"], mine["crimes"])}
    ranked = mine.sort_values(["crimes", "lsoa_code"], ascending=[False, True]).head(top)
    labels = {code: str(rank) for rank, code in enumerate(ranked["lsoa_code"], start=1)}
    return area_map("lsoas", boroughs, counts, edition=edition, title=title, what="In-scope crimes recorded",
                    labels=labels)
