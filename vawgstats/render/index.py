"""The index page of an output folder: links to every report present."""

from __future__ import annotations

import os
from html import escape
from pathlib import Path

from .. import __version__
from ..geography import BCU_BY_CODE, BCU_CODES
from .jobs import JobResult


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


def write_index(out_dir: Path, results: list[JobResult], manifest: dict, edition: str, rendered_at: str) -> Path:
    """``index.html``: links to every report present, with the period and the render date."""
    items = []
    for code in BCU_CODES:
        name = f"bcu-{code}"
        boroughs = _borough_items(out_dir, code)
        if (out_dir / f"{name}.html").exists():
            pdf = f' (<a href="{name}.pdf">PDF</a>)' if (out_dir / f"{name}.pdf").exists() else ""
            items.append(f'<li><a href="{name}.html">{escape(BCU_BY_CODE[code].name)} ({code})</a>{pdf}{boroughs}</li>')
        elif boroughs:
            items.append(f'<li>{escape(BCU_BY_CODE[code].name)} ({code}){boroughs}</li>')
    london = ('<p><a href="london.html"><strong>London overview</strong></a>'
              + (' (<a href="london.pdf">PDF</a>)' if (out_dir / "london.pdf").exists() else "") + "</p>"
              if (out_dir / "london.html").exists() else "")
    failed = [r for r in results if r.status == "failed"]
    failures = ("<p><strong>Not rendered in this run:</strong> "
                + ", ".join(escape(r.name) for r in failed) + "</p>") if failed else ""
    banner = ("<p class=\"banner\"><strong>SYNTHETIC DATA — NOT REAL CRIMES.</strong></p>"
              if manifest.get("synthetic") else "")
    if manifest.get("kind") == "counts":
        source = "published counts (open-data edition: volumes and rates, no outcomes)"
    elif manifest.get("policeuk_proxy"):
        source = "police.uk records (VAWG approximated by violence and sexual offences)"
    else:
        source = "crime records"
    html = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="vawgstats-edition" content="{escape(edition)}">
<title>VAWG reports, {escape(manifest['period_label'])}</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", Arial, sans-serif; max-width: 46rem;
       margin: 2rem auto; padding: 0 1rem; color: #0b0c0c; line-height: 1.5; }}
h1 {{ font-size: 1.6rem; }} a {{ color: #12436D; }}
.banner {{ border: 2px solid #0b0c0c; padding: 0.5rem 1rem; }}
</style>
</head>
<body>
<h1>Violence against women and girls: BCU and borough reports</h1>
{banner}
<p>Period: {escape(manifest['period_label'])} (recorded {escape(manifest['start'])} to {escape(manifest['end'])}).
Data: <code>{escape(manifest['data_file'])}</code>, {escape(source)}.
Data as at {escape(manifest['as_of'])}. Edition: {escape(edition)}. Rendered {escape(rendered_at)}.</p>
{london}
<h2>Basic Command Units</h2>
<ul>
{chr(10).join(items)}
</ul>
{failures}
<p>Made with vawgstats {escape(__version__)}.</p>
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
