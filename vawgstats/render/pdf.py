"""PDF without Quarto: executed notebook -> Markdown (outputs only) -> pandoc -> Typst -> PDF.

Every engine comes from PyPI with its binary: nbconvert's Markdown exporter
(inputs excluded), pandoc from ``pypandoc-binary``, and the Typst compiler from
the ``typst`` package.  The look is the project's Typst template
(``vawgstats/templates/typst/``), which Quarto uses too (as template partials),
with the table filter ``tables.lua`` giving every table explicit column widths
and right-aligned numbers.
"""

from __future__ import annotations

import re
import shutil
import threading
from importlib import resources
from pathlib import Path

from ..errors import RenderError

#: The files of the shared Typst look: the pandoc template, Quarto's two partials, the table filter.
TYPST_FILES = ("vawgstats.typ", "typst-template.typ", "typst-show.typ", "tables.lua")
FIGURES = "figures"

_EXPORTERS = threading.local()
_CELL_OPTION = re.compile(r"^#\|\s*(?P<key>fig-cap|fig-alt)\s*:\s*(?P<value>.*)$", re.MULTILINE)


def typst_template_dir() -> Path:
    """The folder holding the project's Typst template, partials and table filter."""
    return Path(str(resources.files("vawgstats") / "templates" / "typst"))


def copy_typst_files(folder: Path) -> list[Path]:
    """Copy the template files into ``folder`` (Quarto finds partials and filters beside the document)."""
    copied = []
    for name in TYPST_FILES:
        copied.append(Path(shutil.copyfile(typst_template_dir() / name, folder / name)))
    return copied


def _markdown_exporter():
    exporter = getattr(_EXPORTERS, "markdown", None)
    if exporter is None:
        from nbconvert import MarkdownExporter

        exporter = _EXPORTERS.markdown = MarkdownExporter(
            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True, exclude_raw=True)
    return exporter


def _cell_options(source: str) -> dict[str, str]:
    options = {}
    for match in _CELL_OPTION.finditer(source):
        value = match.group("value").strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        options[match.group("key")] = value
    return options


def _bracketed(text: str) -> str:
    return re.sub(r"([\[\]\\])", r"\\\1", text)


def notebook_markdown(executed: Path) -> Path:
    """Write ``<name>.md`` beside ``executed``: its outputs as Markdown, images as PNG files.

    Each chart is written to ``figures/`` (relative to the Markdown, where Typst
    looks) and shown at text width with its caption (the cell's ``#| fig-cap``)
    and alt text (the cell's ``#| fig-alt``, or the output's ``alt`` metadata).
    """
    import base64

    import nbformat

    notebook = nbformat.read(executed, as_version=4)
    folder = executed.parent / FIGURES
    folder.mkdir(exist_ok=True)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        options = _cell_options(cell.source)
        outputs = []
        for number, output in enumerate(cell.get("outputs", [])):
            data = output.get("data", {})
            if "image/png" not in data:
                outputs.append(output)
                continue
            name = f"{executed.stem}-{index}-{number}.png"
            (folder / name).write_bytes(base64.b64decode(data["image/png"]))
            alt = (options.get("fig-alt") or output.get("metadata", {}).get("image/png", {}).get("alt")
                   or options.get("fig-cap") or "Chart")
            caption = options.get("fig-cap", "")
            alt_attr = alt.replace("\\", "\\\\").replace('"', '\\"')
            markdown = f'![{_bracketed(caption)}]({FIGURES}/{name}){{width=100% fig-alt="{alt_attr}"}}\n'
            outputs.append(nbformat.v4.new_output("display_data", data={"text/markdown": markdown}))
        cell.outputs = outputs
    body, _ = _markdown_exporter().from_notebook_node(notebook)
    target = executed.with_suffix(".md")
    target.write_text(body, encoding="utf-8")
    return target


def pandoc_command(markdown: Path, typ: Path, *, title: str, period: str, edition: str) -> list[str]:
    """The pandoc call: Markdown to Typst with the project's template and table filter."""
    import pypandoc

    folder = typst_template_dir()
    command = [pypandoc.get_pandoc_path(), str(markdown), "--from", "markdown-tex_math_dollars-raw_html",
               "--to", "typst", "--standalone", "--template", str(folder / "vawgstats.typ"),
               "--lua-filter", str(folder / "tables.lua"), "--output", str(typ),
               "--metadata", f"title={title}", "--metadata", f"edition={edition}"]
    if period:
        command += ["--metadata", f"period={period}"]
    if edition == "restricted":
        command += ["--metadata", "restricted=true"]
    return command


def convert_to_pdf(executed: Path, title: str, edition: str, period: str = "") -> Path:
    """``<name>.pdf`` beside ``executed`` through Markdown, pandoc and Typst; no Quarto, no LaTeX."""
    import subprocess

    import typst

    markdown = notebook_markdown(executed)
    typ = executed.with_suffix(".typ")
    command = pandoc_command(markdown, typ, title=title, period=period, edition=edition)
    completed = subprocess.run(command, cwd=executed.parent, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        tail = (completed.stderr or completed.stdout).strip().splitlines()[-3:]
        raise RenderError(f"pandoc could not convert {markdown.name} to Typst: {' | '.join(tail)}")
    target = executed.with_suffix(".pdf")
    try:
        # the fonts built into Typst only, so a PDF looks the same on every machine
        typst.compile(str(typ), output=str(target), root=str(executed.parent), ignore_system_fonts=True)
    except Exception as exc:  # noqa: BLE001 - Typst reports errors as its own exception types
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        raise RenderError(f"Typst could not make {target.name} from {typ.name}: {first}") from None
    return target
