"""The index page of an output folder: the front door to the reports.

A map of London's 12 BCUs (inline SVG, each BCU a link to its report, reachable by
keyboard, with titles for screen readers), a table of every report with its headline
figures and change verdicts and links to its HTML and PDF, borough reports under their
BCU, the period, the data source and edition, and the synthetic banner. Self-contained:
no scripts, styles or fonts from the network.
"""

from __future__ import annotations

import json
import math
import os
from functools import lru_cache
from html import escape
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__
from ..geography import BCU_BY_CODE, BCU_CODES
from .jobs import JobResult

if TYPE_CHECKING:  # pandas is imported by the tables the index reads, when it reads them
    import pandas as pd

#: Index table columns: (heading, metric of the records' headline, label in the open-data headline).
RECORD_COLUMNS = (("In-scope crimes", "volume"), ("Rate per 1,000 women and girls", "rate_per_1000"),
                  ("Charge/summons rate", "charge_rate"), ("Repeat victimisation", "repeat_victimisation_rate"))
MAP_WIDTH = 600


@lru_cache(maxsize=1)
def bcu_outlines() -> dict:
    """The 12 BCU outlines (dissolved from the boroughs; ``tools/make_boundaries.py``)."""
    path = resources.files("vawgstats") / "data" / "london_bcus.geojson"
    with path.open("r", encoding="utf-8") as handle:
        return json.load(handle)


def _projection(features: list[dict]):
    """lon/lat -> SVG x/y (equirectangular at London's latitude), and the picture's height."""
    points = [p for f in features for polygon in _polygons(f["geometry"]) for ring in polygon for p in ring]
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    west, east, south, north = min(lons), max(lons), min(lats), max(lats)
    squash = math.cos(math.radians((south + north) / 2))
    scale = (MAP_WIDTH - 20) / ((east - west) * squash)
    height = (north - south) * scale + 20

    def project(lon: float, lat: float) -> tuple[float, float]:
        return 10 + (lon - west) * squash * scale, 10 + (north - lat) * scale

    return project, height


def _polygons(geometry: dict) -> list:
    return geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]


def bcu_map_svg(links: dict[str, str], descriptions: dict[str, str] | None = None) -> str:
    """An inline SVG map of the 12 BCUs: each BCU in ``links`` ({code: href}) is a link (a
    keyboard stop) with a ``<title>`` (its name, boroughs and ``descriptions[code]``); the others
    are drawn grey, without a link."""
    features = bcu_outlines()["features"]
    project, height = _projection(features)
    shapes, labels = [], []
    for feature in sorted(features, key=lambda f: BCU_CODES.index(f["properties"]["code"])):
        code = feature["properties"]["code"]
        bcu = BCU_BY_CODE[code]
        path = " ".join("M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in (project(*p) for p in ring)) + " Z"
                        for polygon in _polygons(feature["geometry"]) for ring in polygon)
        title = f"{bcu.name} ({code}): {', '.join(bcu.boroughs)}"
        if descriptions and descriptions.get(code):
            title += f". {descriptions[code]}"
        x, y = project(*feature["properties"]["label"])
        labels.append(f'<text x="{x:.1f}" y="{y:.1f}" aria-hidden="true">{code}</text>')
        if code in links:
            shapes.append(f'<a href="{escape(links[code])}" aria-label="{escape(title)}">'
                          f'<title>{escape(title)}</title><path class="bcu" d="{path}"/></a>')
        else:
            shapes.append(f'<g><title>{escape(title)}: no report in this folder</title>'
                          f'<path class="bcu absent" d="{path}"/></g>')
    return (f'<svg class="bcu-map" viewBox="0 0 {MAP_WIDTH} {height:.0f}" role="group" '
            f'aria-labelledby="bcu-map-title" xmlns="http://www.w3.org/2000/svg">\n'
            f'<title id="bcu-map-title">Map of London\'s 12 Basic Command Units; each links to its report</title>\n'
            + "\n".join(shapes) + '\n<g class="labels">' + "".join(labels) + "</g>\n</svg>")


def _change_column(rows: pd.DataFrame) -> str | None:
    """The report's first change column ("Change on previous period ...", or on a year earlier when
    that is the previous period): its heading carries how the periods were compared."""
    return next((c for c in rows.columns if str(c).startswith("Change on")), None)


def _verdict(change: str) -> str:
    """"significant increase (from 10,706, p<0.001)" -> "significant increase"."""
    return str(change).split(" (")[0].strip()


def headline_cells(headline_table: pd.DataFrame, unit: str, edition: str, kind: str = "records") -> list[str]:
    """The index's figures for one unit, as the unit's own report shows them (same suppression):
    in-scope crimes, rate per 1,000, charge rate and repeat victimisation, each with its change on
    the previous period; for published counts, offences and their rate (no outcomes or repeats)."""
    from .. import tables

    if kind == "counts":
        rows = tables.open_headline(headline_table, unit, edition)
        rows = rows[rows["Measure"] == tables.OPEN_MEASURE_LABELS["offences"]]
        if rows.empty:
            return ["–"] * 4
        row = rows.iloc[0]
        column = _change_column(rows)
        verdict = _verdict(row[column]) if column else ""
        if not verdict:
            return [str(row["Count"]), str(row["A year per 1,000 women and girls"]), "not in open data",
                    "not in open data"]
        return [f"{row['Count']} ({verdict})", f"{row['A year per 1,000 women and girls']} ({verdict})",
                "not in open data", "not in open data"]
    rows = tables.headline(headline_table, unit, edition).set_index("Measure")
    column = _change_column(rows)
    volume_change = None
    cells = []
    for _, metric in RECORD_COLUMNS:
        label = tables.METRIC_LABELS[metric]
        if label not in rows.index:
            cells.append("–")
            continue
        row = rows.loc[label]
        change = row[column] if column else ""
        if metric == "volume":
            volume_change = change
        if metric == "rate_per_1000":  # a rate on a fixed population changes as the count does
            change = volume_change or change
        verdict = _verdict(change)
        cells.append(f"{row['Value']} ({verdict})" if verdict else str(row["Value"]))
    return cells


def _links(out_dir: Path, name: str, label: str) -> str:
    html = f'<a href="{name}.html">{escape(label)}</a>'
    if (out_dir / f"{name}.pdf").exists():
        html += f' <a class="pdf" href="{name}.pdf" aria-label="{escape(label)}, PDF">PDF</a>'
    return html


def _borough_items(out_dir: Path, code: str) -> str:
    """The borough reports of a BCU present in ``out_dir``, as a nested list (or nothing)."""
    from ..units import report_stem

    links = []
    for borough in BCU_BY_CODE[code].boroughs:
        name = report_stem("borough", borough)
        if (out_dir / f"{name}.html").exists():
            pdf = f' (<a href="{name}.pdf">PDF</a>)' if (out_dir / f"{name}.pdf").exists() else ""
            links.append(f'<li><a href="{name}.html">{escape(borough)}</a>{pdf}</li>')
    return f'\n<ul class="boroughs">\n{chr(10).join(links)}\n</ul>' if links else ""


def index_figures(headline_table: pd.DataFrame, edition: str, kind: str = "records") -> dict[str, str]:
    """The index table's figure cells (HTML ``<td>``s) of London and each BCU in ``headline_table``
    (the prepared ``headline`` table), as :func:`write_index` shows them.  A render works them out
    while its last reports run (:func:`vawgstats.render.execute._execute`'s ``meanwhile``)."""
    figures = {}
    shown = headline_table["unit_type"].isin(["london", "bcu"])
    for unit in dict.fromkeys(headline_table.loc[shown, "unit"]):
        try:
            cells = headline_cells(headline_table, unit, edition, kind)
        except (KeyError, IndexError, ValueError):  # a unit whose table lacks a measure: links only
            continue
        html = []
        for cell in cells:  # "11,229 (significant increase)": the verdict on a line of its own
            value, _, verdict = cell.partition(" (")
            verdict = f'<br><span class="verdict">{escape(verdict.rstrip(")"))}</span>' if verdict else ""
            html.append(f'<td class="num">{escape(value)}{verdict}</td>')
        figures[unit] = "".join(html)
    return figures


def write_index(out_dir: Path, results: list[JobResult], manifest: dict, edition: str, rendered_at: str,
                headline_table: pd.DataFrame | None = None, figures: dict[str, str] | None = None) -> Path:
    """``index.html``: the BCU map, a table of every report present (headline figures from
    ``headline_table``, the prepared ``headline`` table, when given; ``figures``: those cells
    worked out already, :func:`index_figures`), the period and the render date."""
    kind = manifest.get("kind", "records")
    london_unit = None
    if headline_table is not None:
        london = headline_table.loc[headline_table["unit_type"] == "london", "unit"]
        london_unit = london.iloc[0] if len(london) else None
        if figures is None:
            figures = index_figures(headline_table, edition, kind)
    empty = "<td></td>" * len(RECORD_COLUMNS)

    def figures_of(unit) -> str:
        return empty if figures is None or unit is None else figures.get(unit, empty)

    rows, links, descriptions = [], {}, {}
    if (out_dir / "london.html").exists():
        rows.append(f'<tr><th scope="row">{_links(out_dir, "london", "London overview")}</th>{figures_of(london_unit)}</tr>')
    for code in BCU_CODES:
        name = f"bcu-{code}"
        boroughs = _borough_items(out_dir, code)
        label = f"{BCU_BY_CODE[code].name} ({code})"
        if (out_dir / f"{name}.html").exists():
            links[code] = f"{name}.html"
            rows.append(f'<tr><th scope="row">{_links(out_dir, name, label)}{boroughs}</th>{figures_of(code)}</tr>')
        elif boroughs:
            rows.append(f'<tr><th scope="row">{escape(label)}{boroughs}</th>{"<td></td>" * len(RECORD_COLUMNS)}</tr>')
    headings = "".join(f'<th scope="col">{escape(h)}</th>' for h, _ in RECORD_COLUMNS)
    table = (f'<table class="reports">\n<caption>Every report, with its headline figures for the period and the '
             f'change its report shows (on the previous period, or the year earlier)</caption>\n<thead><tr><th scope="col">Report</th>'
             f'{headings}</tr></thead>\n<tbody>\n' + "\n".join(rows) + "\n</tbody>\n</table>")
    failed = [r for r in results if r.status == "failed"]
    failures = ("<p><strong>Not rendered in this run:</strong> "
                + ", ".join(escape(r.name) for r in failed) + "</p>") if failed else ""
    banner = ("<p class=\"banner\"><strong>SYNTHETIC DATA — NOT REAL CRIMES.</strong> Every figure comes from "
              "the package's synthetic London and says nothing about any real place or person.</p>"
              if manifest.get("synthetic") else "")
    if kind == "counts":
        source = "published counts (open-data edition: volumes and rates, no outcomes)"
    elif manifest.get("policeuk_proxy"):
        source = "police.uk records (VAWG approximated by violence and sexual offences)"
    else:
        source = "crime records"
    edition_note = ("Public edition: counts below 10 are shown as &lt;10 and rates built on them are not shown."
                    if edition == "public" else
                    "<strong>Restricted edition (OFFICIAL-SENSITIVE)</strong>: every count is shown; for internal use only.")
    html = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="vawgstats-edition" content="{escape(edition)}">
<title>VAWG reports, {escape(manifest['period_label'])}</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", Arial, sans-serif; max-width: 64rem;
       margin: 2rem auto; padding: 0 1rem; color: #0b0c0c; line-height: 1.5; }}
h1 {{ font-size: 1.6rem; }} a {{ color: #12436D; }}
.banner {{ border: 2px solid #0b0c0c; padding: 0.5rem 1rem; }}
.bcu-map {{ width: 100%; max-width: 40rem; height: auto; display: block; margin: 1rem 0; }}
.bcu-map .bcu {{ fill: #cfe0ef; stroke: #12436D; stroke-width: 1.2; }}
.bcu-map .absent {{ fill: #f3f2f1; stroke: #b1b4b6; }}
.bcu-map a:hover .bcu, .bcu-map a:focus .bcu {{ fill: #12436D; }}
.bcu-map a:focus {{ outline: none; }}
.bcu-map a:focus .bcu {{ stroke: #ffdd00; stroke-width: 4; }}
.bcu-map text {{ font-size: 13px; font-weight: 600; text-anchor: middle; dominant-baseline: middle;
                 pointer-events: none; fill: #0b0c0c; paint-order: stroke; stroke: #ffffff; stroke-width: 3; }}
table.reports {{ border-collapse: collapse; font-size: 0.9rem; width: 100%; }}
table.reports caption {{ text-align: left; font-weight: 600; padding: 0.3rem 0; }}
table.reports th, table.reports td {{ border-bottom: 1px solid #b1b4b6; padding: 0.35rem 0.5rem; vertical-align: top;
                                       text-align: left; }}
table.reports td.num {{ text-align: right; }}
table.reports ul {{ margin: 0.2rem 0 0; padding-left: 1.2rem; font-weight: normal; }}
a.pdf {{ font-size: 0.85em; margin-left: 0.3em; }}
.verdict {{ font-size: 0.8em; color: #505a5f; }}
</style>
</head>
<body>
<h1>Violence against women and girls: BCU and borough reports</h1>
{banner}
<p>Period: <strong>{escape(manifest['period_label'])}</strong> (recorded {escape(manifest['start'])} to {escape(manifest['end'])}).
Data: <code>{escape(manifest['data_file'])}</code>, {escape(source)}; data as at {escape(manifest['as_of'])}.
Edition: {escape(edition)}. {edition_note} Rendered {escape(rendered_at)}.</p>
<h2>Basic Command Units</h2>
<p>Choose a BCU on the map (or with the Tab key) to open its report.</p>
{bcu_map_svg(links)}
<h2>Reports</h2>
{table}
{failures}
<p>Each figure is as its report shows it; a change is called significant only when it is unlikely to be
chance (5% level). Made with vawgstats {escape(__version__)}.</p>
</body>
</html>
"""
    from .guard import edition_marking

    if edition_marking(edition):
        from .convert import marking_html

        html = html.replace("<body>\n", f"<body>\n{marking_html(edition_marking(edition), 'top')}\n", 1)
        html = html.replace("</body>", f"{marking_html(edition_marking(edition), 'bottom')}\n</body>", 1)
    path = out_dir / "index.html"
    temporary = out_dir / ".index.html.part"
    temporary.write_text(html, encoding="utf-8")
    os.replace(temporary, path)
    return path
