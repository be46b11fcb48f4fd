"""The renderer's pieces: renderer choice, Quarto commands, publishing, the index."""

import json
import os
import shutil
import stat
import subprocess
import sys

import nbformat
import pytest

from vawgstats.render import convert, kernel, publish
from vawgstats.render import pdf as pdf_module

from . import pdf_checks
from vawgstats.errors import ParamsError, RenderError

FAKE_QUARTO = """#!{python}
import json, pathlib, sys
args = sys.argv[1:]
pathlib.Path("quarto-calls.jsonl").open("a").write(json.dumps(args) + "\\n")
assert args[0] == "render" and pathlib.Path("_quarto.yml").exists()
source = pathlib.Path(args[1]); fmt = args[args.index("--to") + 1]
title = args[args.index("-M") + 1].split(":", 1)[1]
if fmt == "html":
    source.with_suffix(".html").write_text(f"<html><head><title>{{title}}</title></head><body>ok</body></html>")
else:
    source.with_suffix(".pdf").write_bytes(b"%PDF-1.7 fake")
"""


@pytest.fixture
def fake_quarto(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "quarto"
    script.write_text(FAKE_QUARTO.format(python=sys.executable))
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return script


def test_auto_falls_back_to_nbconvert_with_advice(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.warns(UserWarning, match="Install it from https://quarto.org"):
        assert convert.choose_renderer("auto") == "nbconvert"
    with pytest.raises(RenderError, match="Quarto is not installed"):
        convert.choose_renderer("quarto")
    with pytest.raises(ParamsError):
        convert.choose_renderer("latex")


def test_auto_uses_quarto_when_on_path(fake_quarto):
    assert convert.choose_renderer("auto") == "quarto"


def test_quarto_path_renders_stored_outputs_in_own_folder(fake_quarto, tmp_path):
    workdir = tmp_path / "job"
    workdir.mkdir()
    executed = workdir / "bcu-NA.ipynb"
    nbformat.write(nbformat.v4.new_notebook(), executed)
    html, pdf = convert.convert_with_quarto(executed, "North Area BCU (NA): VAWG scrutiny report", "restricted",
                                            period="April 2025 to March 2026")
    assert html.name == "bcu-NA.html" and pdf.name == "bcu-NA.pdf"
    calls = [json.loads(line) for line in (workdir / "quarto-calls.jsonl").read_text().splitlines()]
    assert [c[c.index("--to") + 1] for c in calls] == ["html", "typst"]
    assert all("--execute" not in c for c in calls)          # stored outputs only
    config = (workdir / "_quarto.yml").read_text()
    assert "enabled: false" in config
    # the PDF uses the project's Typst look, as the pandoc path does
    assert "template-partials: [typst-template.typ, typst-show.typ]" in config and "tables.lua" in config
    for name in ("typst-template.typ", "typst-show.typ", "tables.lua"):
        assert (workdir / name).read_bytes() == (pdf_module.typst_template_dir() / name).read_bytes()
    typst_call = calls[1]
    assert "period:April 2025 to March 2026" in typst_call and "restricted:true" in typst_call
    text = html.read_text()
    assert "North Area BCU (NA)" in text and 'name="vawgstats-edition" content="restricted"' in text


def test_quarto_failure_is_a_render_error(fake_quarto, tmp_path):
    executed = tmp_path / "x.ipynb"
    executed.write_text("{}")
    (tmp_path / "_quarto.yml").write_text("")
    fake_quarto.write_text("#!/bin/sh\necho 'ERROR: typst failed' >&2\nexit 1\n")
    with pytest.raises(RenderError, match="typst failed|quarto failed"):
        convert.convert_with_quarto(executed, "t", "public")


@pytest.mark.skipif(shutil.which("quarto") is None, reason="Quarto is not installed on this machine")
def test_real_quarto_renders_html_and_pdf(tmp_path):
    workdir = tmp_path / "job"
    workdir.mkdir()
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.metadata["language_info"] = {"name": "python"}
    cell = nbformat.v4.new_code_cell("x = 1")
    # a table whose dash counts would squeeze the numbers (the broken-PDF-tables case)
    table = ("| Measure | Value | 95% interval | Change on previous period |\n|---|-|-|---|\n"
             + "".join(f"| Charge/summons rate number {i} | 37.1 | 36.4 to 37.8 | significant increase "
                       f"(from 10,706, p<0.001) |\n" for i in range(60)) + "\n: Headline figures {#tbl-headline}\n")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/markdown": table})]
    notebook.cells = [nbformat.v4.new_raw_cell("---\ntitle: t\nexecute:\n  echo: false\n---"), cell]
    executed = workdir / "r.ipynb"
    nbformat.write(notebook, executed)
    html, pdf = convert.convert_with_quarto(executed, "Real Quarto", "restricted", period="April 2025 to March 2026")
    assert "Real Quarto" in html.read_text() and pdf.read_bytes().startswith(b"%PDF")
    # the same print checks as the pandoc path's PDFs: the project's template, nothing overprinted
    assert pdf_checks.overlaps(pdf) == []
    text = pdf_checks.pdf_text(pdf)
    assert "37.1" in text and "36.4 to 37.8" in text and "Page 1 of" in text
    assert text.count("OFFICIAL-SENSITIVE") >= pdf_checks.page_count(pdf) >= 2


def test_safe_output_path_refuses_escapes(tmp_path):
    assert publish.safe_output_path(tmp_path, "bcu-NA.html") == (tmp_path / "bcu-NA.html").resolve()
    for name in ("../x.html", "/etc/passwd", "sub/../../x.html"):
        with pytest.raises(ParamsError):
            publish.safe_output_path(tmp_path, name)


def test_publish_replaces_whole_files_and_leaves_no_parts(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "bcu-NA.html").write_text("old")
    new = tmp_path / "bcu-NA.html"
    new.write_text("new")
    publish.publish([new], out)
    assert (out / "bcu-NA.html").read_text() == "new"
    assert sorted(p.name for p in out.iterdir()) == ["bcu-NA.html"]


def test_captions_and_edition_marks():
    text = "| a |\n|---|\n| 1 |\n\n: Headline figures {#tbl-headline}\n"
    assert "*Table: Headline figures*" in convert._nbconvert_captions(text)
    assert "{#tbl" not in convert._nbconvert_captions(text)
    marked = convert.mark_edition("<html><head><title>x</title></head></html>", "public")
    assert '<head>\n<meta name="vawgstats-edition" content="public">' in marked


def test_nbconvert_page_is_the_exporters_own_document(tmp_path):
    """convert_with_nbconvert's page is the exporter's own document (captions rewritten, edition
    marked), with its tabindex and alt attributes for keyboard and screen-reader users."""
    import base64

    from bs4 import BeautifulSoup

    png = base64.b64encode(bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000105fe02fe0dd1e5a90000000049454e44ae426082")).decode()
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# Heading\n\nSome *text* & a [link](https://example.org)."),
        nbformat.v4.new_code_cell("x = 1", outputs=[
            nbformat.v4.new_output("display_data", data={"text/markdown": "| a |\n|---|\n| <10 |\n\n"
                                                                          ": Caption {#tbl-x}\n"}),
            nbformat.v4.new_output("display_data", data={"image/png": png},
                                   metadata={"image/png": {"alt": "A chart's alt text"}}),
            nbformat.v4.new_output("display_data", data={"image/png": png}),
            nbformat.v4.new_output("stream", name="stdout", text="printed\n")]),
    ]
    path = tmp_path / "report.ipynb"
    nbformat.write(notebook, path)
    page = convert.convert_with_nbconvert(path, "A title", "public").read_text(encoding="utf-8")
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if "text/markdown" in output.get("data", {}):
                output["data"]["text/markdown"] = convert._nbconvert_captions(output["data"]["text/markdown"])
    notebook.metadata["title"] = "A title"
    expected, _ = convert._html_exporter().from_notebook_node(notebook, resources={"vawgstats_edition": "public"})
    ours = BeautifulSoup(page, "html.parser")
    assert str(ours) == str(BeautifulSoup(convert.mark_edition(expected, "public"), "html.parser"))
    assert len(ours.select("div.jp-OutputArea-output[tabindex='0']")) == 4
    assert [img["alt"] for img in ours.select("img")] == ["A chart's alt text", "Chart"]


def test_kernel_runs_this_python(tmp_path):
    root = kernel.ensure_kernel(tmp_path)
    spec = json.loads((root / "kernels" / kernel.KERNEL_NAME / "kernel.json").read_text())
    assert spec["argv"][0] == sys.executable


# --------------------------------------------------------------------------- the CLI without Quarto


def _path_without_quarto() -> str:
    """PATH with every folder that holds a ``quarto`` program left out."""
    folders = [f for f in os.environ.get("PATH", "").split(os.pathsep) if f]
    return os.pathsep.join(f for f in folders if shutil.which("quarto", path=f) is None)


def _render_cli(tmp_path, *args):
    env = {**os.environ, "PATH": _path_without_quarto()}
    assert shutil.which("quarto", path=env["PATH"]) is None
    return subprocess.run([sys.executable, "-m", "vawgstats.cli", "render", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=900, check=False)


def test_cli_renderer_quarto_without_quarto_exits_2_with_advice_and_writes_nothing(tmp_path, synthetic_csv):
    result = _render_cli(tmp_path, "--bcu", "NA", "--data", str(synthetic_csv), "--renderer", "quarto",
                         "--out", "out", "--build", "build")
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Quarto is not installed" in result.stderr and "Install it from https://quarto.org" in result.stderr
    assert "--renderer nbconvert" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "build").exists()


@pytest.mark.slow
def test_cli_renderer_auto_without_quarto_warns_and_renders_with_nbconvert(tmp_path, synthetic_csv):
    result = _render_cli(tmp_path, "--bcu", "CN", "--data", str(synthetic_csv), "--start", "2024-01", "--end",
                         "2024-06", "--renderer", "auto", "--out", "out", "--build", "build", "--quiet")
    assert result.returncode == 0, result.stderr[-2000:]
    warning = next(line for line in result.stderr.splitlines() if line.startswith("vawgstats: warning:"))
    assert "Rendering with nbconvert (HTML) and pandoc + Typst (PDF)" in warning
    assert "Install it from https://quarto.org" in warning
    assert "with nbconvert" in result.stdout
    assert sorted(p.name for p in (tmp_path / "out").glob("*.html")) == ["bcu-CN.html", "index.html", "london.html"]
    # a PDF beside each report without Quarto (pandoc + Typst from PyPI)
    pdfs = sorted((tmp_path / "out").glob("*.pdf"))
    assert [p.name for p in pdfs] == ["bcu-CN.pdf", "london.pdf"]
    assert all(p.read_bytes().startswith(b"%PDF") for p in pdfs)


def test_cli_unknown_format_exits_2_and_writes_nothing(tmp_path, synthetic_csv):
    result = _render_cli(tmp_path, "--bcu", "CN", "--data", str(synthetic_csv), "--format", "html,docx",
                         "--out", "out", "--build", "build")
    assert result.returncode == 2 and "Unknown output format docx" in result.stderr, result.stderr[-2000:]
    assert "Traceback" not in result.stderr and not (tmp_path / "out").exists()
