"""End to end: the `vawgstats render` command on small synthetic data, as an analyst runs it.

One rendering (two BCUs and the overview, nbconvert, two workers) is shared by the tests
below: files and sections, headline numbers equal to the metrics library, no identifiers
or small counts leaked, incremental re-rendering, and the same report from the same input.
"""

from __future__ import annotations

import re
import subprocess
import sys
from html import escape
from pathlib import Path

import pandas as pd
import pytest

from vawgstats import metrics, synthetic
from vawgstats.params import load_bcu_params
from vawgstats.schema import load, write_records
from vawgstats.tables import pct

from . import pdf_checks

pytestmark = pytest.mark.slow

START, END = "2025-04", "2026-03"
SECTIONS = ("Summary", "The commander&#39;s aims|The commander's aims", "Headline figures", "Trends",
            "Boroughs", "Compared with London", "Outcomes and attrition by offence type",
            "Repeat victimisation", "Where crimes happen", "Data quality", "Methods and definitions",
            "Provenance")


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vawgstats.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=900, check=False)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    data = root / "crimes.csv"
    write_records(synthetic.generate(seed=11, start="2024-01", end="2026-03", scale=0.05), data)
    return root, data


@pytest.fixture(scope="module")
def rendered(workspace):
    root, data = workspace
    result = run_cli("render", "--bcu", "NA", "--bcu", "EA", "--data", str(data), "--start", START, "--end", END,
                     "--out", "out", "--build", "build", "--renderer", "nbconvert", "-j", "2", cwd=root)
    assert result.returncode == 0, result.stderr[-3000:]
    return root, data, result


def test_files_and_summary(rendered):
    root, _, result = rendered
    out = root / "out"
    names = sorted(p.name for p in out.iterdir() if not p.name.startswith("."))
    assert names == ["bcu-EA.html", "bcu-EA.pdf", "bcu-NA.html", "bcu-NA.pdf", "index.html", "london.html",
                     "london.pdf"]
    assert "Rendered 3 report(s) with nbconvert" in result.stdout
    assert "Rendering reports" in result.stderr                              # progress bar
    assert not list(out.glob("*.ipynb")) and not list(out.glob("*.part"))   # nothing restricted, no debris


def test_bcu_report_has_every_section_and_is_self_contained(rendered):
    root, _, _ = rendered
    html = (root / "out" / "bcu-NA.html").read_text(encoding="utf-8")
    for section in SECTIONS:
        assert re.search(f">({section})<", html), section
    assert "SYNTHETIC DATA" in html
    assert "Enfield" in html and "Haringey" in html
    assert html.count("<img") >= 4 and "data:image/png;base64" in html
    assert not re.search(r"<script[^>]+src=", html)             # no scripts from anywhere
    assert not re.search(r"(src|href)=\"https?://", html)      # no network references
    assert "def " not in html and "import " not in html          # code hidden
    for img in re.findall(r"<img[^>]*>", html):
        assert 'alt="' in img and 'alt="Chart"' not in img
    index = (root / "out" / "index.html").read_text(encoding="utf-8")
    assert 'href="bcu-NA.html"' in index and 'href="london.html"' in index and "April 2025 to March 2026" in index
    london = (root / "out" / "london.html").read_text(encoding="utf-8")
    assert 'href="bcu-EA.html"' in london and "League tables" in london


def _headline_section(html: str) -> str:
    start = html.index(">Headline figures<")
    return html[start:html.index(">Trends<")]


def _headline_values(html: str) -> dict[str, str]:
    """{Measure: Value} of a report's headline table."""
    from html import unescape

    table = _headline_section(html)
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)
    cells = [[unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)]
             for r in rows]
    return {c[0]: c[1] for c in cells if len(c) > 1}


def test_index_is_a_front_door(rendered):
    """The BCU map (links for the reports present, titles for screen readers), a table of every
    report with the figures its own headline table shows, and HTML and PDF links."""
    root, _, _ = rendered
    index = (root / "out" / "index.html").read_text(encoding="utf-8")
    svg = index[index.index("<svg"):index.index("</svg>")]
    assert svg.count('<path class="bcu"') == 2 and svg.count('<path class="bcu absent"') == 10
    assert '<a href="bcu-NA.html" aria-label="North Area (NA): Enfield, Haringey"' in svg
    assert "<title>North Area (NA): Enfield, Haringey</title>" in svg and 'id="bcu-map-title"' in svg
    assert not re.search(r"(src|href)=\"https?://", index) and "<script" not in index
    for name in ("bcu-NA", "bcu-EA", "london"):
        assert f'href="{name}.html"' in index and f'href="{name}.pdf"' in index
    assert "SYNTHETIC DATA" in index and "April 2025 to March 2026" in index and "Edition: public" in index
    row = re.search(r'<tr><th scope="row"><a href="bcu-NA.html">.*?</tr>', index, re.S).group(0)
    values = _headline_values((root / "out" / "bcu-NA.html").read_text(encoding="utf-8"))
    for measure in ("In-scope VAWG crimes recorded", "Charge/summons rate", "Repeat victimisation rate"):
        assert f'<td class="num">{escape(values[measure])}<br><span class="verdict">' in row, measure
    assert re.search(r'class="verdict">(significant (increase|decrease)|no significant change)<', row)


def test_headline_numbers_equal_the_metrics_library(rendered):
    root, data, _ = rendered
    df = load(data)
    section = _headline_section((root / "out" / "bcu-NA.html").read_text(encoding="utf-8"))
    for function in (metrics.charge_rate, metrics.positive_outcome_rate, metrics.repeat_victimisation_rate):
        table = function(df, start=START, end=END, by=("bcu",))
        row = table[table["bcu"].astype(str) == "NA"].iloc[0]
        assert row["numerator"] >= 10  # large enough to be shown in the public edition
        assert f">{pct(row['rate'])}<" in section, function.__name__
        assert f"{pct(row['ci_low'])} to {pct(row['ci_high'])}" in section
    volume = metrics.per_population(df, start=START, end=END, by=("bcu",))
    crimes = int(volume.loc[volume["bcu"].astype(str) == "NA", "crimes"].iloc[0])
    assert f">{crimes:,}<" in section


def test_bcu_report_shows_its_targets_with_the_metrics_library_figures(rendered):
    root, data, _ = rendered
    html = (root / "out" / "bcu-NA.html").read_text(encoding="utf-8")
    aims = html[re.search(">The commander(&#39;|')s aims<", html).start():html.index(">Headline figures<")]
    df = load(data)
    targets = load_bcu_params("NA").targets
    assert targets
    for metric, spec in targets.items():
        assert escape(spec["note"], quote=False) in aims
        table = getattr(metrics, metric)(df, start=START, end=END, by=("bcu",))
        row = table[table["bcu"].astype(str) == "NA"].iloc[0]
        assert f"{pct(row['rate'])} ({pct(row['ci_low'])} to {pct(row['ci_high'])})" in aims, metric


def test_audit_finds_no_identifiers_or_small_counts(rendered):
    root, data, _ = rendered
    result = run_cli("audit", "out", "--data", str(data), cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr


def test_unchanged_inputs_are_skipped_and_force_rerenders(rendered):
    root, data, _ = rendered
    before = (root / "out" / "bcu-NA.html").stat().st_mtime_ns
    again = run_cli("render", "--bcu", "NA", "--bcu", "EA", "--data", str(data), "--start", START, "--end", END,
                    "--out", "out", "--build", "build", "--renderer", "nbconvert", "--quiet", cwd=root)
    assert again.returncode == 0, again.stderr
    assert "3 unchanged and skipped" in again.stdout
    assert (root / "out" / "bcu-NA.html").stat().st_mtime_ns == before


#: Page budgets of the PDFs on this data (A4): a BCU report, the London overview.
PAGE_BUDGET = {"bcu": 12, "london": 14}  # + the commitments sections (issue 12)


@pytest.mark.parametrize("name", ["bcu-NA", "bcu-EA", "london"])
def test_pdfs_print_cleanly_and_carry_the_headline_figures(rendered, name):
    """Made without Quarto (pandoc + Typst): nothing printed over anything else, every figure of the
    HTML headline table in the PDF's text, and no more pages than the budget."""
    root, _, _ = rendered
    pdf = root / "out" / f"{name}.pdf"
    assert pdf_checks.overlaps(pdf) == []
    text = pdf_checks.pdf_text(pdf)
    figures = pdf_checks.headline_figures((root / "out" / f"{name}.html").read_text(encoding="utf-8"))
    assert len(figures) >= 10
    assert [f for f in figures if f not in text] == []
    assert "SYNTHETIC DATA" in text and "April 2025 to March 2026" in text
    assert re.search(r"Page 1 of (\d+)", text)
    pages = pdf_checks.page_count(pdf)
    assert f"Page {pages} of {pages}" in text
    assert 2 <= pages <= PAGE_BUDGET[name.split("-")[0]]
    assert "OFFICIAL-SENSITIVE" not in text                      # public edition
    assert "def " not in text and "import " not in text          # no code


def _without_timestamp(html: str) -> str:
    return re.sub(r"Rendered:? [^<]*", "Rendered", html)


def test_same_input_same_report(rendered):
    """Rendering again, sequentially this time, gives the same content as the parallel run."""
    root, data, _ = rendered
    again = run_cli("render", "--bcu", "NA", "--bcu", "EA", "--data", str(data), "--start", START, "--end", END,
                    "--out", "out2", "--build", "build", "--renderer", "nbconvert", "--quiet", "-j", "1", cwd=root)
    assert again.returncode == 0, again.stderr
    for name in ("bcu-NA.html", "bcu-EA.html", "london.html", "index.html"):
        first = _without_timestamp((root / "out" / name).read_text(encoding="utf-8"))
        second = _without_timestamp((root / "out2" / name).read_text(encoding="utf-8"))
        assert first == second, name


def test_restricted_edition_shows_small_counts(workspace):
    root, data = workspace
    result = run_cli("render", "--bcu", "CN", "--data", str(data), "--start", "2026-03", "--end", "2026-03",
                     "--edition", "restricted", "--out", "restricted", "--build", "build", "--renderer",
                     "nbconvert", "--quiet", cwd=root)
    assert result.returncode == 0, result.stderr[-2000:]
    html = (root / "restricted" / "bcu-CN.html").read_text(encoding="utf-8")
    assert "Edition: <strong>restricted</strong>" in html
    # the restricted PDF is marked on every page
    import pdfplumber

    with pdfplumber.open(root / "restricted" / "bcu-CN.pdf") as pdf:
        assert len(pdf.pages) >= 2
        assert all("OFFICIAL-SENSITIVE" in (page.extract_text() or "") for page in pdf.pages)
    assert "&lt;10" not in html.split(">Provenance<")[0].split(">Methods and definitions<")[0]


def test_bad_data_exits_2_and_writes_nothing(workspace):
    root, _ = workspace
    bad = root / "bad.csv"
    bad.write_text("crime_id,recorded_date\nA,2024-01-01\n")
    result = run_cli("render", "--all", "--data", str(bad), "--out", "bad-out", "--build", "build", cwd=root)
    assert result.returncode == 2
    assert "missing column(s)" in result.stderr and "Traceback" not in result.stderr
    assert not (root / "bad-out").exists() or not any((root / "bad-out").iterdir())


def test_params_bad_bcu_exits_2(workspace):
    root, data = workspace
    result = run_cli("render", "--bcu", "XX", "--data", str(data), "--out", "x", cwd=root)
    assert result.returncode == 2 and "Unknown BCU 'XX'" in result.stderr


# ----------------------------------------------------------------------------- open data

OPEN_COUNTS = Path(__file__).parent / "data" / "real" / "mps_vawg_counts_2021-07_to_2022-12.csv.gz"
OPEN_SECTIONS = ("Summary", "Headline figures", "Trends", "Boroughs", "Compared with London",
                 "Outcomes and repeat victimisation", "Where crimes happen", "Data quality",
                 "Methods and definitions", "Provenance")


def test_open_data_render_from_the_published_counts(tmp_path):
    """The open-data edition from real MPS VAWG dashboard counts: every section the data support."""
    from vawgstats import open_data
    from vawgstats.counts import load_counts
    from vawgstats.periods import as_period

    result = run_cli("render", "--bcu", "NA", "--data", str(OPEN_COUNTS), "--start", "2022-07", "--end",
                     "2022-12", "--out", "out", "--build", "build", "--renderer", "nbconvert", "-j", "2",
                     cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "bcu-NA.html", "bcu-NA.pdf", "index.html", "london.html", "london.pdf"]
    html = (out / "bcu-NA.html").read_text(encoding="utf-8")
    # the open-data PDFs (real counts) print cleanly and carry the headline figures
    for name in ("bcu-NA", "london"):
        pdf = out / f"{name}.pdf"
        assert pdf_checks.overlaps(pdf) == [], name
        text = pdf_checks.pdf_text(pdf)
        figures = pdf_checks.headline_figures((out / f"{name}.html").read_text(encoding="utf-8"))
        assert figures and [f for f in figures if f not in text] == [], name
        assert pdf_checks.page_count(pdf) <= PAGE_BUDGET[name.split("-")[0]]
    for section in OPEN_SECTIONS:
        assert re.search(f">({section})<", html), section
    assert "SYNTHETIC DATA" not in html and "open data" in html
    assert "Charge/summons rate" not in html and "one row per crime" in html   # absent, and says why
    assert html.count("<img") >= 4 and "Wards with most VAWG offences" in html   # 2 XmR, funnel, map
    headline = open_data.headline_table(load_counts(OPEN_COUNTS), as_period("2022-07", "2022-12"))
    row = headline[(headline["unit"] == "NA") & (headline["metric"] == "offences")].iloc[0]
    section = html[html.index(">Headline figures<"):html.index(">Trends<")]
    assert f">{int(row['numerator']):,}<" in section and f">{row['per_year_per_1000']:.1f} (ONS mid-2019 population)<" in section
    london = (out / "london.html").read_text(encoding="utf-8")
    for heading in ("League table", "Funnel plots", "Offences and victims across London"):
        assert f">{heading}<" in london
    assert "Aged 20 to 29 years" in london and 'href="bcu-NA.html"' in london
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "published counts (open-data edition" in index
    na_row = re.search(r'<tr><th scope="row"><a href="bcu-NA.html">.*?</tr>', index, re.S).group(0)
    assert f'<td class="num">{int(row["numerator"]):,}<br><span class="verdict">' in na_row
    assert f'<td class="num">{row["per_year_per_1000"]:.1f}' in na_row and "not in open data" in na_row
    audit = run_cli("audit", "out", cwd=tmp_path)
    assert audit.returncode == 0, audit.stdout + audit.stderr


def test_recorded_crime_counts_alone_exit_2(tmp_path):
    counts = pd.read_csv(OPEN_COUNTS, dtype=str, keep_default_na=False)
    only = counts[counts["source"] == "mps_vawg_victims_age_group"]
    only.to_csv(tmp_path / "ages.csv", index=False)
    result = run_cli("render", "--all", "--data", "ages.csv", "--out", "out", cwd=tmp_path)
    assert result.returncode == 2 and "ages.csv" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


@pytest.fixture(scope="module")
def small_editions(tmp_path_factory):
    """18 months of a small synthetic London (2% volume), rendered in both editions (issue 11)."""
    root = tmp_path_factory.mktemp("small")
    data = root / "crimes.csv"
    write_records(synthetic.generate(seed=2021, start="2024-10", end="2026-03", scale=0.02), data)
    for edition in ("public", "restricted"):
        result = run_cli("render", "--bcu", "NA", "--data", str(data), "--edition", edition, "--out", edition,
                         "--build", "build", "--renderer", "nbconvert", "--format", "html", "--quiet", "-j", "2",
                         cwd=root)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return root, data


def _tables_and_alts(html: str):
    from vawgstats.audit import _DATA_URI, _expand, _HTMLScanner

    scanner = _HTMLScanner()
    scanner.feed(_DATA_URI.sub(" ", html))
    scanner.close()
    tables = [[[cell[1] for cell in _expand(cells)] for _, cells in table.rows] for table in scanner.tables]
    return tables, scanner.alts


def test_small_public_edition_gives_nothing_away(small_editions):
    from vawgstats.audit_attack import differencing_findings

    root, data = small_editions
    audit = run_cli("audit", "public", "--data", str(data), cwd=root)
    assert audit.returncode == 0, audit.stdout + audit.stderr
    hidden_cells = 0
    for name in ("bcu-NA.html", "london.html"):
        public, public_alts = _tables_and_alts((root / "public" / name).read_text(encoding="utf-8"))
        restricted, restricted_alts = _tables_and_alts((root / "restricted" / name).read_text(encoding="utf-8"))
        assert len(public) == len(restricted), name
        for shown, full in zip(public, restricted):
            # every suppressed public cell is a figure of the restricted edition: the attack has targets
            for row_p, row_r in zip(shown, full):
                for cell_p, cell_r in zip(row_p, row_r):
                    if cell_p.startswith(("<10", "[c]")) and cell_r[:1].isdigit():
                        hidden_cells += 1
                        figure = cell_r.split(" ")[0].replace(",", "")
                        if not figure.isdigit():  # a rate (e.g. "10.9%") hidden with its count: not a count
                            assert cell_p.startswith("[c]"), (name, cell_p, cell_r)
                            continue
                        value = int(figure)
                        assert value < 10 if cell_p.startswith("<10") else value >= 10, (name, cell_p, cell_r)
            assert differencing_findings(shown[0], shown[1:], name) == []
        for alt in public_alts:
            for word, number in re.findall(r"\b(lowest|highest|mean) (-?\d[\d,]*)(?![\d.%])", alt):
                assert not 0 < int(number.replace(",", "")) < 10, (name, alt)
        for alt in public_alts + restricted_alts:
            assert not re.search(r"limits -", alt), alt
    assert hidden_cells > 0


def test_editions_are_marked_and_kept_apart(small_editions):
    root, data = small_editions
    assert "OFFICIAL-SENSITIVE" not in (root / "public" / "bcu-NA.html").read_text(encoding="utf-8")
    restricted = (root / "restricted" / "bcu-NA.html").read_text(encoding="utf-8")
    body = restricted[restricted.index("<body"):]
    assert body.count("OFFICIAL-SENSITIVE") >= 2
    before = {p.name: p.read_bytes() for p in (root / "public").iterdir()}
    into_public = run_cli("render", "--bcu", "NA", "--data", str(data), "--edition", "restricted", "--out",
                          "public", "--build", "build", "--renderer", "nbconvert", "--format", "html", "--quiet",
                          cwd=root)
    assert into_public.returncode == 2 and "holds the public edition" in into_public.stderr
    assert {p.name: p.read_bytes() for p in (root / "public").iterdir()} == before
