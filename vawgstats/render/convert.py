"""Converting an executed notebook: HTML with nbconvert (in-process), or HTML and PDF with Quarto
(the PDF without Quarto is :mod:`.pdf`)."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
import warnings
from html import escape
from importlib import resources
from pathlib import Path

from ..errors import ParamsError, RenderError
from .jobs import project_root
from .pdf import copy_typst_files

QUARTO_ADVICE = (
    "Quarto is not installed (no 'quarto' on PATH). Install it from https://quarto.org/docs/get-started/ "
    "(or `pip install vawgstats[quarto]` where that can download Quarto), or use --renderer nbconvert."
)
DEFAULT_QUARTO_YML = """\
project:
  type: default
execute:
  enabled: false
format:
  html:
    embed-resources: true
    theme: cosmo
    toc: true
  typst:
    toc: true
    papersize: a4
    template-partials: [typst-template.typ, typst-show.typ]
    filters: [tables.lua]
"""



def choose_renderer(requested: str = "auto") -> str:
    """``quarto`` or ``nbconvert``. ``auto`` uses Quarto when it is on PATH, else nbconvert with a warning."""
    if requested not in ("auto", "quarto", "nbconvert"):
        raise ParamsError(f"Unknown renderer {requested!r}: expected auto, quarto or nbconvert.")
    has_quarto = shutil.which("quarto") is not None
    if requested == "quarto" and not has_quarto:
        raise RenderError(QUARTO_ADVICE)
    if requested == "auto":
        if has_quarto:
            return "quarto"
        warnings.warn("Rendering with nbconvert (HTML) and pandoc + Typst (PDF). " + QUARTO_ADVICE, UserWarning,
                      stacklevel=2)
        return "nbconvert"
    return requested



_CAPTION = re.compile(r"^: (?P<caption>.+?) \{#(?P<label>tbl-[\w-]+)\}\s*$", re.MULTILINE)


def _nbconvert_captions(text: str) -> str:
    """Quarto's table caption line ``: Caption {#tbl-x}`` as an emphasised line for nbconvert."""
    return _CAPTION.sub(lambda m: f"*Table: {m.group('caption')}*", text)


def mark_edition(html: str, edition: str) -> str:
    """Add ``<meta name="vawgstats-edition">`` to a page (read by ``vawgstats audit``); a restricted
    page also gets its protective marking (OFFICIAL-SENSITIVE) as the first and last thing in its body."""
    from .guard import edition_marking

    tag = f'<meta name="vawgstats-edition" content="{escape(edition)}">'
    html = re.sub(r"<head([^>]*)>", lambda m: f"<head{m.group(1)}>\n{tag}", html, count=1)
    marking = edition_marking(edition)
    if marking:
        html = re.sub(r"<body([^>]*)>", lambda m: f"<body{m.group(1)}>\n{marking_html(marking, 'top')}", html,
                      count=1)
        at = html.rfind("</body>")
        if at >= 0:
            html = html[:at] + marking_html(marking, "bottom") + "\n" + html[at:]
    return html


def marking_html(marking: str, where: str) -> str:
    """A protective-marking banner (top or bottom of a page)."""
    return (f'<div class="protective-marking protective-marking-{where}" role="note" style="text-align:center;'
            f'font-weight:bold;letter-spacing:0.05em;border:2px solid #0b0c0c;padding:0.3rem;margin:0.5rem 0">'
            f'{escape(marking)}</div>')


_EXPORTER: dict = {}
#: One HTML exporter per process, shared by its threads and used by one at a time (converting is
#: Python work under the GIL, so the threads lose nothing by taking turns).
_EXPORTER_LOCK = threading.RLock()


def _html_exporter():
    """This process's HTML exporter, made once: loading its templates takes about 0.25 s."""
    with _EXPORTER_LOCK:
        if "html" not in _EXPORTER:
            from nbconvert import HTMLExporter

            templates = resources.files("vawgstats") / "templates"
            _EXPORTER["html"] = HTMLExporter(
                template_name="vawgstats_html", extra_template_basedirs=[str(templates)],
                exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True, exclude_raw=True,
                embed_images=True,
            )
        return _EXPORTER["html"]


def prime_html_exporter() -> None:
    """Make the exporter and compile its templates (its first conversion costs about 0.25 s more
    than later ones) on an empty notebook, while the kernels start."""
    import nbformat

    with _EXPORTER_LOCK:
        _html_exporter().from_notebook_node(nbformat.v4.new_notebook(), resources={"vawgstats_edition": "public"})


def convert_with_nbconvert(executed: Path, title: str, edition: str) -> Path:
    """Self-contained HTML without code, scripts or network references (nbconvert, in-process)."""
    import nbformat

    notebook = nbformat.read(executed, as_version=4)
    notebook.metadata["title"] = title
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "text/markdown" in data:
                data["text/markdown"] = _nbconvert_captions(data["text/markdown"])
    with _EXPORTER_LOCK:
        body, _ = _html_exporter().from_notebook_node(notebook, resources={"vawgstats_edition": edition})
    target = executed.with_suffix(".html")
    target.write_text(mark_edition(body, edition), encoding="utf-8")
    return target


def quarto_config() -> str:
    """The project's _quarto.yml text (or a built-in copy if the file is missing)."""
    path = project_root() / "_quarto.yml"
    return path.read_text(encoding="utf-8") if path.exists() else DEFAULT_QUARTO_YML


def quarto_commands(executed: Path, title: str, formats=("html", "pdf"), *, period: str = "",
                    edition: str = "public") -> list[list[str]]:
    """The Quarto commands for one executed notebook: HTML, then PDF through Typst (the project's
    Typst template as partials; the period, edition and restricted marking as metadata)."""
    commands = []
    if "html" in formats:
        commands.append(["quarto", "render", executed.name, "--to", "html", "-M", f"title:{title}"])
    if "pdf" in formats:
        command = ["quarto", "render", executed.name, "--to", "typst", "-M", f"title:{title}",
                   "-M", f"edition:{edition}"]
        if period:
            command += ["-M", f"period:{period}"]
        if edition == "restricted":
            command += ["-M", "restricted:true"]
        commands.append(command)
    return commands


def convert_with_quarto(executed: Path, title: str, edition: str, formats=("html", "pdf"),
                        period: str = "") -> list[Path]:
    """HTML (embedded resources) and Typst PDF of the stored outputs; Quarto does not re-execute.

    Each report renders in its own folder with its own copy of _quarto.yml and of
    the project's Typst template partials and table filter (:mod:`.pdf`), so
    concurrent renders never share a Quarto project directory, and the PDF looks
    as the pandoc path's does.
    """
    workdir = executed.parent
    (workdir / "_quarto.yml").write_text(quarto_config(), encoding="utf-8")
    copy_typst_files(workdir)
    for command in quarto_commands(executed, title, formats, period=period, edition=edition):
        completed = subprocess.run(command, cwd=workdir, capture_output=True, text=True, check=False)
        if completed.returncode != 0:
            tail = (completed.stderr or completed.stdout).strip().splitlines()[-5:]
            raise RenderError(f"quarto failed ({' '.join(command)}): {' | '.join(tail)}")
    wanted = [executed.with_suffix(f".{fmt}") for fmt in ("html", "pdf") if fmt in formats]
    missing = [p.name for p in wanted if not p.exists()]
    if missing:
        raise RenderError(f"quarto did not write {', '.join(missing)} in {workdir}")
    html = executed.with_suffix(".html")
    if "html" in formats:
        html.write_text(mark_edition(html.read_text(encoding="utf-8"), edition), encoding="utf-8")
    return wanted
