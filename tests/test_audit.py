"""The disclosure audit: leaked identifiers and unsuppressed small counts in rendered output."""

from __future__ import annotations

import base64
import json
import shutil
import sys

import pandas as pd
import pytest
from click.testing import CliRunner

from vawgstats import audit as A
from vawgstats.cli import main
from vawgstats.errors import ParamsError

VICTIM = "V00000742"
SUSPECT = "S00000042"
CRIME = "SYN00000001"
IDS = {"victim_id": [VICTIM, "V-0001"], "suspect_id": [SUSPECT], "crime_id": [CRIME, "SYN00000002"]}


def _page(body: str, edition: str | None = "public") -> str:
    meta = f'<meta name="vawgstats-edition" content="{edition}">' if edition else ""
    return f"<!DOCTYPE html>\n<html><head>{meta}<title>r</title></head>\n<body>\n{body}\n</body></html>\n"


def _table(rows: list[list[str]], header: list[str], thead: bool = True, attrs: str = "") -> str:
    head = "<tr>" + "".join(f"<th>{h}</th>" for h in header) + "</tr>"
    body = "".join("<tr><th>" + r[0] + "</th>" + "".join(f"<td>{c}</td>" for c in r[1:]) + "</tr>\n"
                   for r in rows)
    if thead:
        return f"<table{attrs}>\n<thead>{head}</thead>\n<tbody>\n{body}</tbody></table>"
    return f"<table{attrs}>\n{head}\n{body}</table>"


def _kinds(findings) -> list[str]:
    return [f.kind for f in findings]


@pytest.fixture
def out(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


# --------------------------------------------------------------------------- identifiers


def test_clean_folder_has_no_findings(out):
    (out / "bcu-NA.html").write_text(_page("<p>Charge rate 7.5% (95% CI 6.1% to 9.0%).</p>"
                                           + _table([["Enfield", "1,234", "12"]], ["", "Crimes", "Victims"])))
    (out / "notes.md").write_text("# Notes\nNothing to see; SYN is synthetic; V-000 is not an id.\n")
    assert A.audit_directory(out, identifiers=IDS) == []


@pytest.mark.parametrize("suffix", [".html", ".md", ".txt", ".csv", ".json"])
def test_identifier_in_each_text_type_is_found_and_masked(out, suffix):
    body = {".html": _page(f"<p>Victim <b>{VICTIM}</b> again</p>"),
            ".json": json.dumps({"rows": [{"who": VICTIM}]}),
            ".csv": f"borough,id\nEnfield,{VICTIM}\n"}.get(suffix, f"line one\nsee {VICTIM}.\n")
    (out / f"report{suffix}").write_text(body)
    findings = A.audit_directory(out, identifiers=IDS)
    assert _kinds(findings) == ["identifier"]
    text = str(findings[0])
    assert "victim_id" in text and str(out / f"report{suffix}") in text
    assert VICTIM not in text and "V0\u2026 (9 characters)" in text


def test_line_number_is_given_for_text_files(out):
    (out / "a.txt").write_text("one\ntwo\nthree " + SUSPECT + "\n")
    [finding] = A.audit_directory(out, identifiers=IDS)
    assert "suspect_id" in finding.detail and "line 3" in finding.detail


@pytest.mark.parametrize("text, found", [
    (f"x {CRIME} y", True),
    (f"({CRIME}),", True),
    (f"{CRIME.lower()}", True),                     # case-insensitive
    (f'<td>{CRIME}</td>', True),
    (f"{CRIME}0", False),                           # longer token
    (f"X{CRIME}", False),                           # longer token
    (f"{CRIME[:-1]}", False),                       # shorter token
    ("see V-0001/V-0002.", True),                   # identifier with a joiner, inside a path-like run
    ("see V-00012", False),
    ("see XV-0001", False),
    ("victim_V-0001.png", True),                    # underscore separates tokens, as in file names
    (f"victim_{CRIME}_x", True),
])
def test_whole_token_matching(out, text, found):
    (out / "a.txt").write_text(text)
    assert bool(A.audit_directory(out, identifiers=IDS)) is found


def test_many_identifiers_are_matched_by_token_lookup(out):
    many = [f"Q{i:07d}" for i in range(200_000)]
    index = A.IdentifierIndex.build({"victim_id": many})
    assert index.max_parts == 1 and index.joiners == ""
    (out / "a.html").write_text(_page("<p>" + " ".join(f"R{i:07d}" for i in range(50_000)) + " Q0123456</p>"))
    [finding] = A.audit_directory(out, identifiers=index)
    assert "Q0\u2026 (8 characters)" in finding.detail


def test_identifier_in_attribute_is_found_but_not_inside_embedded_images(out):
    (out / "a.html").write_text(_page(f'<img alt="victim {VICTIM}" src="x.png">'))
    assert _kinds(A.audit_directory(out, identifiers=IDS)) == ["identifier"]
    payload = base64.b64encode(b"\x89PNG....").decode() + "/" + CRIME + "/AAAA"
    (out / "a.html").write_text(_page(f'<img alt="chart" src="data:image/png;base64,{payload}">'))
    assert A.audit_directory(out, identifiers=IDS) == []


def _notebook(cells: list[dict]) -> str:
    return json.dumps({"cells": cells, "metadata": {"kernelspec": {"name": "python3"}},
                       "nbformat": 4, "nbformat_minor": 5}, indent=1)


def _code(source: str = "x = 1", outputs: list | None = None) -> dict:
    return {"cell_type": "code", "source": [source], "metadata": {}, "outputs": outputs or [],
            "execution_count": 1}


@pytest.mark.parametrize("cell", [
    _code(f"print('{VICTIM}')"),
    _code(outputs=[{"output_type": "stream", "name": "stdout", "text": ["ok\n", f"{VICTIM}\n"]}]),
    _code(outputs=[{"output_type": "execute_result", "execution_count": 1, "metadata": {},
                    "data": {"text/plain": [f"'{VICTIM}'"]}}]),
    _code(outputs=[{"output_type": "display_data", "metadata": {},
                    "data": {"text/html": [f"<table><tr><td>{VICTIM}</td></tr></table>"]}}]),
    _code(outputs=[{"output_type": "error", "ename": "KeyError", "evalue": f"'{VICTIM}'", "traceback": []}]),
    {"cell_type": "markdown", "metadata": {}, "source": [f"Victim {VICTIM}"]},
])
def test_identifier_anywhere_in_a_notebook(out, cell):
    (out / "bcu_report.ipynb").write_text(_notebook([_code(), cell]))
    findings = A.audit_directory(out, identifiers=IDS)
    assert _kinds(findings) == ["identifier"] and VICTIM not in str(findings[0])


def test_notebook_images_are_not_scanned_as_text(out):
    png = base64.b64encode(b"\x89PNG" + VICTIM.encode()).decode()
    cell = _code(outputs=[{"output_type": "display_data", "metadata": {},
                           "data": {"image/png": png, "text/plain": ["<Figure>"]}}])
    (out / "nb.ipynb").write_text(_notebook([cell]))
    assert A.audit_directory(out, identifiers={"victim_id": [png[:12]]}) == []


def test_identifiers_from_data_file_and_cli(out, synthetic_csv):
    frame = pd.read_csv(synthetic_csv, dtype=str, keep_default_na=False)
    victim, suspect, crime = frame.loc[5, ["victim_id", "suspect_id", "crime_id"]]
    (out / "index.html").write_text(_page("<p>Index</p>"))
    runner = CliRunner()
    clean = runner.invoke(main, ["audit", str(out), "--data", str(synthetic_csv)])
    assert clean.exit_code == 0, clean.output
    assert "no identifiers and no unsuppressed small counts" in clean.output

    (out / "bcu-NA.html").write_text(_page(f"<p>{victim} and {suspect}</p>"))
    (out / "notes.txt").write_text(f"crime {crime}\n")
    findings = A.audit_directory(out, synthetic_csv)
    assert sorted(f.detail.split(" value ")[0] for f in findings) == ["crime_id", "suspect_id", "victim_id"]
    leaked = runner.invoke(main, ["audit", str(out), "--data", str(synthetic_csv)])
    assert leaked.exit_code == 1
    assert "identifier" in leaked.output
    for value in (victim, suspect, crime):
        assert value not in leaked.output
    assert "Traceback" not in leaked.output


def test_cli_small_counts_without_data_and_missing_folder(out, tmp_path):
    runner = CliRunner()
    (out / "bcu-NA.html").write_text(_page(_table([["Enfield", "3"]], ["", "Count"])))
    result = runner.invoke(main, ["audit", str(out)])
    assert result.exit_code == 1 and "small_count" in result.output
    missing = runner.invoke(main, ["audit", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2 and "no such folder" in missing.output
    assert "Traceback" not in missing.output


# --------------------------------------------------------------------------- small counts


def _small_counts(out, html: str, **kwargs) -> list[A.Finding]:
    (out / "r.html").write_text(html)
    findings = A.audit_directory(out, **kwargs)
    assert set(_kinds(findings)) <= {"small_count"}
    return findings


@pytest.mark.parametrize("header", ["Count", "Crimes", "Victims (n)", "Offences", "Numerator",
                                    "Denominator", "Charged", "Suspects", "VAWG crimes recorded",
                                    "Records recorded in the period"])
def test_small_count_in_public_table_is_found(out, header):
    html = _page(_table([["Enfield", "1,200"], ["Haringey", "7"]], ["Borough", header]))
    [finding] = _small_counts(out, html)
    assert f"column '{header}'" in finding.detail and "'7'" in finding.detail and "Haringey" in finding.detail


@pytest.mark.parametrize("cell, flagged", [
    ("0", False), ("<10", False), ("&lt;10", False), ("10", False), ("1,234", False), ("", False),
    ("n/a", False), ("1", True), ("9", True), (" 5 ", True), ("5.0", True), ("4 (12%)", True),
    ("3.5", False),
])
def test_which_cell_values_count_as_small(out, cell, flagged):
    html = _page(_table([["Enfield", cell]], ["", "Crimes"]))
    assert bool(_small_counts(out, html)) is flagged


@pytest.mark.parametrize("cell, flagged", [
    ("976 of 11,229", False), ("7 of 120", True), ("120 of 1,007", False), ("11,229 crimes; 302,676 women", False),
    ("1,918 (17.1%)", False), ("significant increase (from 10,706, p<0.001)", False),
    ("no significant change (from 7, p=0.065)", True), ("2024-03", False), ("12:05", False),
    ("5 charged", True), ("1.5 to 2.5", False),
])
def test_every_whole_number_in_a_count_cell_is_checked(out, cell, flagged):
    html = _page(_table([["Charge rate", "8.7%", cell]], ["Measure", "Value", "Counts"]))
    assert bool(_small_counts(out, html)) is flagged


def test_rows_labelled_as_counts_are_checked_in_every_column(out):
    html = _page(_table([
        ["In-scope VAWG crimes recorded", "7", "significant increase (from 3, p=0.01)", "150,472"],
        ["Charge/summons rate", "8.7%", "no significant change", "7.4%"],
        ["Median days from recording to charge", "5 days", "", "40 days"],
    ], ["Measure", "Value", "Change on previous period", "London"]))
    findings = _small_counts(out, html)
    assert len(findings) == 2
    assert all("In-scope VAWG crimes recorded" in f.detail for f in findings)
    assert "shows 7," in findings[0].detail and "shows 3," in findings[1].detail


def test_data_count_attribute_marks_a_column_or_a_cell(out):
    marked_column = _page("""<table><thead><tr><th>Area</th><th data-count>No victim ID</th>
        <th>No outcome yet</th></tr></thead>
        <tbody><tr><th>Enfield</th><td>4</td><td>6</td></tr></tbody></table>""")
    [finding] = _small_counts(out, marked_column)
    assert "column 'No victim ID'" in finding.detail and "shows 4," in finding.detail
    marked_cell = _page("""<table><thead><tr><th>Area</th><th>In VAWG scope</th></tr></thead>
        <tbody><tr><th>Enfield</th><td data-count="1">3</td></tr>
        <tr><th>Haringey</th><td>3</td></tr></tbody></table>""")
    [finding] = _small_counts(out, marked_cell)
    assert "Enfield" in finding.detail


def test_rates_and_other_columns_are_not_counts(out):
    html = _page(_table([["Enfield", "5", "3", "2024"]], ["", "Charge rate (%)", "Median days", "Year"]))
    assert _small_counts(out, html) == []


def test_restricted_and_unmarked_documents_are_not_checked(out):
    table = _table([["Enfield", "3"]], ["", "Crimes"])
    assert _small_counts(out, _page(table, edition="restricted")) == []
    assert _small_counts(out, _page(table, edition=None)) == []


def test_data_edition_attribute_nearest_wins(out):
    public_table = _table([["Enfield", "3"]], ["", "Crimes"])
    inside_public = _page(f'<section data-edition="public"><div>{public_table}</div></section>', edition=None)
    assert len(_small_counts(out, inside_public)) == 1
    on_table = _page(_table([["Enfield", "3"]], ["", "Crimes"], attrs=' data-edition="public"'), edition=None)
    assert len(_small_counts(out, on_table)) == 1
    restricted_in_public = _page(f'<div data-edition="restricted">{public_table}</div>', edition="public")
    assert _small_counts(out, restricted_in_public) == []
    after_section = _page(f'<div data-edition="public"><p>x</p></div>{public_table}', edition=None)
    assert _small_counts(out, after_section) == []


def test_header_without_thead_multirow_header_and_colspan(out):
    no_thead = _page(_table([["Enfield", "2"]], ["", "Victims"], thead=False))
    assert len(_small_counts(out, no_thead)) == 1
    two_rows = _page("""<table><thead>
      <tr><th></th><th colspan="2">Rape</th><th colspan="2">Stalking</th></tr>
      <tr><th></th><th>crimes</th><th>rate</th><th>crimes</th><th>rate</th></tr>
      </thead><tbody>
      <tr><th>Enfield</th><td>120</td><td>4</td><td>6</td><td>2</td></tr>
      </tbody></table>""")
    [finding] = _small_counts(out, two_rows)
    assert "column 'Stalking crimes'" in finding.detail and "'6'" in finding.detail


def test_pandas_to_html_table_is_understood(out):
    frame = pd.DataFrame({"crimes": [250, 4], "charge_rate": [0.05, 0.5]}, index=["Enfield", "Haringey"])
    html = _page(f'<div data-edition="public">{frame.to_html()}</div>', edition=None)
    [finding] = _small_counts(out, html)
    assert "'4'" in finding.detail and "Haringey" in finding.detail


def test_unclosed_cells_and_nested_tables(out):
    html = _page("""<table><tr><th>Borough<th>Count
        <tr><th>Enfield<td>8
        <tr><th>Haringey<td>40</table>
        <table><tr><th>Outer</th><th>Offences</th></tr>
        <tr><td><table><tr><th>inner</th></tr><tr><td>x</td></tr></table></td><td>2</td></tr></table>""")
    findings = _small_counts(out, html)
    assert len(findings) == 2
    assert "'8'" in findings[0].detail and "'2'" in findings[1].detail


def test_threshold_parameter(out):
    html = _page(_table([["Enfield", "12"]], ["", "Crimes"]))
    assert _small_counts(out, html) == []
    assert len(_small_counts(out, html, threshold=20)) == 1


def test_small_counts_in_notebook_html_outputs(out):
    html = f'<div data-edition="public">{_table([["Enfield", "3"]], ["", "Crimes"])}</div>'
    cell = _code(outputs=[{"output_type": "display_data", "metadata": {}, "data": {"text/html": [html]}}])
    (out / "nb.ipynb").write_text(_notebook([cell]))
    [finding] = A.audit_directory(out)
    assert finding.kind == "small_count" and "notebook HTML output" in finding.detail


def test_findings_per_file_are_capped(out):
    rows = [[f"B{i}", "3"] for i in range(A.MAX_FINDINGS_PER_KIND + 5)]
    findings = _small_counts(out, _page(_table(rows, ["", "Crimes"])))
    assert len(findings) == A.MAX_FINDINGS_PER_KIND + 1
    assert findings[-1].detail == "and 5 more unsuppressed small counts"


# --------------------------------------------------------------------------- PDF and other files


def _pdf_with_text(path, text: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with matplotlib.rc_context({"pdf.fonttype": 42}):
        figure = plt.figure(figsize=(4, 2))
        figure.text(0.1, 0.5, text)
        figure.savefig(path, format="pdf")
        plt.close(figure)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed")
def test_identifier_in_pdf_is_found(out):
    _pdf_with_text(out / "bcu-NA.pdf", f"Victim {VICTIM} appears here")
    findings = A.audit_directory(out, identifiers=IDS)
    assert _kinds(findings) == ["identifier"] and VICTIM not in str(findings[0])
    _pdf_with_text(out / "bcu-NA.pdf", "Nothing to see")
    assert A.audit_directory(out, identifiers=IDS) == []


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed")
def test_damaged_pdf_is_unscanned(out):
    (out / "bad.pdf").write_bytes(b"%PDF-1.4\nthis is not really a pdf")
    [finding] = A.audit_directory(out, identifiers=IDS)
    assert finding.kind == "unscanned" and "pdftotext" in finding.detail


def test_pdf_without_any_extractor_is_unscanned(out, monkeypatch):
    (out / "bcu-NA.pdf").write_bytes(b"%PDF-1.4\n")
    monkeypatch.setattr(A.shutil, "which", lambda name: None)
    monkeypatch.setitem(sys.modules, "pypdf", None)  # import pypdf -> ImportError
    [finding] = A.audit_directory(out, identifiers=IDS)
    assert finding.kind == "unscanned" and "no PDF text extractor" in finding.detail
    assert "unscanned" in str(finding)


def test_other_file_types_and_subfolders(out):
    sub = out / "assets" / "deep"
    sub.mkdir(parents=True)
    (sub / "data.CSV").write_text(f"x\n{CRIME}\n")
    (sub / "picture.png").write_bytes(CRIME.encode())  # not a scanned type
    (out / "style.css").write_text(CRIME)               # not a scanned type
    [finding] = A.audit_directory(out, identifiers=IDS)
    assert finding.file.endswith("data.CSV")


def test_bad_arguments(out, tmp_path):
    with pytest.raises(ParamsError, match="no such folder"):
        A.audit_directory(tmp_path / "missing")
    with pytest.raises(ParamsError, match="threshold"):
        A.audit_directory(out, threshold=0)


def test_mask_never_shows_more_than_two_characters():
    assert A.mask("ABCDEFGH") == "AB\u2026 (8 characters)"
    assert str(A.Finding("f.html", "identifier", "x")) == "f.html: identifier: x"


def test_disclosive_returns_counts_below_10_are_findings(out):
    """The delivery returns table names its measure in a column, not the first cell: a disclosive
    measure's small count is found (the vocabulary's disclosure class), an activity count is not, nor
    the change, target or verdict columns."""
    from vawgstats.returns import MEASURES

    dismissals = MEASURES["vawg_dismissals"].label
    allegations = MEASURES["police_perpetrated_allegations"].label
    walks = MEASURES["walk_and_talk"].label
    assert MEASURES["vawg_dismissals"].disclosive and not MEASURES["walk_and_talk"].disclosive
    assert dismissals.lower() in A.disclosive_labels()
    frame = pd.DataFrame([
        ["C4", dismissals, "7", "12", "+5", "none set", "–"],
        ["C1", allegations, "<10", "[c]", "not shown", "3 a month (36 in 12 months)", "no"],
        ["C9", walks, "5", "4", "+1", "6 a month (72 in 12 months)", "no"],
    ], columns=["Commitment", "Measure", "This period", "Previous period", "Change", "Target", "Met?"])
    html = _page(f'<div data-edition="public">{frame.to_html(index=False)}</div>', edition=None)
    [finding] = _small_counts(out, html)
    assert "'7'" in finding.detail and dismissals[:30] in finding.detail and "This period" in finding.detail
    # a column headed by a disclosive measure's label is a count column too
    html = _page(_table([["Oct 2021 to Mar 2022", "4"], ["Sep 2022 to Feb 2023", "268"]], ["Period", allegations]))
    [finding] = _small_counts(out, html)
    assert "'4'" in finding.detail
    # the restricted edition may show them
    assert A.audit_directory(out) and not _small_counts(out, _page(frame.to_html(index=False), edition="restricted"))


# --------------------------------------------------------------------------- attacks (issue 11)

audit_directory = A.audit_directory

def _public_page(body: str) -> str:
    return ('<html><head><meta name="vawgstats-edition" content="public"></head><body>'
            f"{body}</body></html>")


REPEAT_TABLE = """<table><thead><tr><th>Victims</th><th>Victimised again within the window</th></tr></thead>
<tbody><tr><td>All</td><td>31</td></tr><tr><td>Domestic abuse</td><td>{da}</td></tr>
<tr><td>Not domestic abuse</td><td>&lt;10</td></tr></tbody></table>"""


def test_audit_recovers_a_suppressed_cell_by_subtraction(tmp_path):
    (tmp_path / "bcu-NA.html").write_text(_public_page(REPEAT_TABLE.format(da="26")), encoding="utf-8")
    findings = audit_directory(tmp_path)
    assert [f.kind for f in findings] == ["differencing"]
    assert "'Not domestic abuse'" in findings[0].detail and "5" not in findings[0].detail
    (tmp_path / "bcu-NA.html").write_text(_public_page(REPEAT_TABLE.format(da="[c]")), encoding="utf-8")
    assert audit_directory(tmp_path) == []


def test_audit_reads_a_bcu_and_its_boroughs_from_the_area_labels(tmp_path):
    table = ("<table><thead><tr><th>Area</th><th>No outcome yet</th></tr></thead><tbody>"
             "<tr><td>North Area (NA)</td><td>40 (12.0%)</td></tr>"
             "<tr><td>Enfield</td><td>&lt;10 (not shown)</td></tr>"
             "<tr><td>Haringey</td><td>33 (11.0%)</td></tr><tr><td>London</td><td>900 (11.0%)</td></tr></tbody></table>")
    (tmp_path / "bcu-NA.html").write_text(_public_page(table), encoding="utf-8")
    assert [f.kind for f in audit_directory(tmp_path)] == ["differencing"]


def test_audit_scans_alt_text_and_captions(tmp_path):
    page = _public_page('<img alt="Monthly crimes for NA: lowest 8, highest 40, mean 21, control limits 2 to 39.">'
                        '<figure><figcaption>Charge rate: control limits -7.2% to 12.5%</figcaption></figure>'
                        '<img alt="Monthly crimes: lowest 12, highest 40, control limits 0 to 45; '
                        'from 2024-01 to 2025-06.">')
    (tmp_path / "bcu-NA.html").write_text(page, encoding="utf-8")
    details = [f.detail for f in audit_directory(tmp_path)]
    assert any("lowest 8" in d for d in details) and not any("limits 2" in d for d in details)
    assert any("negative value" in d and "-7.2%" in d for d in details)
    assert not any("lowest 12" in d or "limits 0" in d for d in details)
    # the restricted edition may state small counts
    (tmp_path / "bcu-NA.html").write_text(page.replace('content="public"', 'content="restricted"'), encoding="utf-8")
    assert audit_directory(tmp_path) == []


def test_audit_fails_on_a_restricted_report_in_a_public_folder(tmp_path):
    (tmp_path / "london.html").write_text(_public_page("<p>overview</p>"), encoding="utf-8")
    (tmp_path / "bcu-NA.html").write_text(
        '<html><head><meta name="vawgstats-edition" content="restricted"></head><body>x</body></html>',
        encoding="utf-8")
    findings = audit_directory(tmp_path)
    assert [f.kind for f in findings] == ["edition"] and "bcu-NA.html" in findings[0].detail
