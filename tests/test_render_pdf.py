"""The PDF without Quarto (vawgstats.render.pdf): Markdown of the outputs, pandoc with the
project's Typst template and table filter, Typst. Small notebooks made here; the reports'
own PDFs are checked in test_end_to_end."""

from __future__ import annotations

import base64
import io
import re
import subprocess

import nbformat
import pytest

from vawgstats.errors import ParamsError
from vawgstats.render import pdf
from vawgstats.render.run import parse_formats

from . import pdf_checks

WIDE_TEXT = "A long explanatory note that wraps over several lines of a narrow column"


def _pandoc_typst(markdown: str, tmp_path) -> str:
    source = tmp_path / "t.md"
    source.write_text(markdown, encoding="utf-8")
    command = pdf.pandoc_command(source, tmp_path / "t.typ", title="T", period="P", edition="public")
    subprocess.run(command, check=True, capture_output=True)
    return (tmp_path / "t.typ").read_text(encoding="utf-8")


def _table(columns: list[str], rows: list[list[str]], caption: str = "") -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + (f"\n\n: {caption} {{#tbl-x}}\n" if caption else "\n")


def _columns(typst_text: str) -> tuple[list[float], list[str]]:
    typst_text = typst_text[typst_text.index("#table("):]
    widths = [float(w) for w in re.search(r"columns: \(([^)]*)\)", typst_text).group(1).replace("%", "").split(",")
              if w.strip()]
    aligns = [a.strip() for a in re.search(r"align: \(([^)]*)\)", typst_text).group(1).split(",") if a.strip()]
    return widths, aligns


def test_table_filter_right_aligns_numbers_and_gives_each_column_room_for_its_longest_word(tmp_path):
    # pipe-table dashes would give "Value" 3 of 12 parts; the filter sizes columns by content
    markdown = _table(["Measure", "Value", "95% interval", "Change on previous period", "Note"],
                      [["Charge/summons rate", "8.7%", "8.2% to 9.2%", "significant decrease (from 12.4%, p=0.001)",
                        WIDE_TEXT],
                       ["In-scope VAWG crimes recorded", "11,229", "", "no significant change", "<10"]],
                      caption="Headline figures")
    widths, aligns = _columns(_pandoc_typst(markdown, tmp_path))
    assert aligns == ["left", "right", "right", "left", "left"]
    assert sum(widths) <= 100.01
    # at 8 pt about 100 characters fill the A4 text width: "In-scope"/"recorded" (8), "11,229" (6),
    # "significant" (11) and "explanatory" (11) each fit their column with room to spare
    chars = [w / 100 * 100 for w in widths]
    for column, longest in zip(chars, [9, 6, 8, 11, 11]):
        assert column >= longest


def test_table_too_wide_for_portrait_goes_on_a_landscape_page(tmp_path):
    columns = [f"Column heading number {i}" for i in range(9)]
    rows = [[f"unbreakable-value-{i}-{j}" for j in range(9)] for i in range(3)]
    text = _pandoc_typst(_table(columns, rows), tmp_path)
    assert "#page(flipped: true)[" in text
    assert "#page(flipped: true)[" not in _pandoc_typst(_table(["a", "b"], [["1", "2"]]), tmp_path)


def _png() -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(4, 2))
    axes.plot([1, 2, 3], [3, 1, 2])
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=50)
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode()


def _notebook(tmp_path, rows: int = 60):
    chart = nbformat.v4.new_code_cell('#| fig-cap: "Monthly crimes, XmR chart"\n#| fig-alt: "A line chart"\nplot()')
    chart.outputs = [nbformat.v4.new_output("display_data", data={"image/png": _png(), "text/plain": "<Figure>"})]
    table = _table(["Area", "Crimes", "Rate per 1,000", "Note"],
                   [[f"Borough number {i}", f"{1000 + 37 * i:,}", f"{30 + i / 10:.1f}", WIDE_TEXT]
                    for i in range(rows)], caption="Crimes by area")
    shown = nbformat.v4.new_code_cell("show(table)")
    shown.outputs = [nbformat.v4.new_output("display_data", data={"text/markdown": "## Places\n\n" + table})]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_raw_cell("---\ntitle: x\n---"), chart, shown])
    path = tmp_path / "bcu-NA.ipynb"
    nbformat.write(notebook, path)
    return path


def test_markdown_has_outputs_only_and_charts_as_files_with_caption_and_alt(tmp_path):
    markdown = pdf.notebook_markdown(_notebook(tmp_path, rows=2)).read_text(encoding="utf-8")
    assert "plot()" not in markdown and "title: x" not in markdown      # no code, no front matter
    assert '![Monthly crimes, XmR chart](figures/bcu-NA-1-0.png){width=100% fig-alt="A line chart"}' in markdown
    assert (tmp_path / "figures" / "bcu-NA-1-0.png").read_bytes().startswith(b"\x89PNG")
    assert "| Borough number 0 |" in markdown


def test_restricted_pdf_is_marked_on_every_page_and_prints_cleanly(tmp_path):
    import pdfplumber

    target = pdf.convert_to_pdf(_notebook(tmp_path), "North Area BCU (NA): VAWG scrutiny report", "restricted",
                                "April 2025 to March 2026")
    assert target == tmp_path / "bcu-NA.pdf"
    with pdfplumber.open(target) as document:
        pages = [page.extract_text() or "" for page in document.pages]
        assert len(pages) >= 2 and document.pages[0].images                # the chart is in
    assert all("OFFICIAL-SENSITIVE" in page for page in pages)
    assert all(f"Page {n} of {len(pages)}" in page for n, page in enumerate(pages, start=1))
    assert "April 2025 to March 2026" in pages[1]                         # running header
    assert "Monthly crimes, XmR chart" in pages[0]                        # the chart's caption
    assert pdf_checks.overlaps(target) == []
    assert "1,037" in pdf_checks.pdf_text(target)


def test_public_pdf_has_no_restricted_marking(tmp_path):
    target = pdf.convert_to_pdf(_notebook(tmp_path, rows=3), "T", "public", "P")
    assert "OFFICIAL-SENSITIVE" not in pdf_checks.pdf_text(target)


def test_formats():
    assert parse_formats("html,pdf") == ("html", "pdf")
    assert parse_formats("PDF, html") == ("html", "pdf")
    assert parse_formats(["pdf"]) == ("pdf",)
    for bad in ("docx", "", "html,latex"):
        with pytest.raises(ParamsError, match="Unknown output format"):
            parse_formats(bad)
