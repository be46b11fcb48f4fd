"""Maps of places in a report: a unit's wards or LSOAs shaded by count (matplotlib).

The shading classes come from :func:`vawgstats.areas.shade_classes`: in the public edition
every area with fewer than 10 crimes is in one "fewer than 10" class. Colours are a
sequential blue (readable in greyscale); the small class is pale grey.
"""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd

from .areas import FEWER_THAN_10, SMALL, shade_classes, shapes

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

SMALL_COLOUR = "#e6e6e6"


def polygons(rings, **style):
    """One :class:`~matplotlib.collections.PolyCollection` of closed rings (:func:`vawgstats.areas.shapes`),
    drawn as a collection of ``Polygon`` patches of the same rings would be, and made faster."""
    from matplotlib.collections import PolyCollection

    return PolyCollection([ring[:-1] for ring in rings], closed=True, **style)


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
    from matplotlib.patches import Patch

    wanted = set(boroughs)
    features = [(properties, rings) for properties, rings in shapes(layer) if properties["borough"] in wanted]
    keys = [(p["borough"], p["name"]) if key == "name" else p["code"] for p, _ in features]
    values = pd.Series([float(counts.get(k, 0)) for k in keys])
    classes, names = shade_classes(values, edition)
    bands = len(names) - (1 if edition == "public" else 0)
    blues = matplotlib.colormaps["Blues"]
    palette = ([SMALL_COLOUR] if edition == "public" else []) + [
        blues(0.25 + 0.7 * i / max(bands - 1, 1)) for i in range(bands)]
    fig, ax = plt.subplots(figsize=(7, 6.2))
    rings, colours = [], []
    for (_, feature_rings), cls in zip(features, classes):
        rings.extend(feature_rings)
        colours.extend([palette[cls] if cls >= 0 else "white"] * len(feature_rings))
    ax.add_collection(polygons(rings, facecolor=colours, edgecolor="#ffffff" if layer == "lsoas" else "#555555",
                               linewidth=0.15 if layer == "lsoas" else 0.4))
    for (_, feature_rings), area in zip(features, keys):
        if labels and area in labels:
            ring = max(feature_rings, key=len)
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
