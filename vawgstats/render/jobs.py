"""The reports to make: one :class:`Job` each, its cache key, and the state file of an output folder.

A report is re-rendered only when its key (a hash of everything its output
depends on) differs from the one recorded in the output folder's state file,
or when its outputs are missing.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..fingerprint import code_fingerprint
from ..errors import RenderError
from ..geography import BCU_BY_CODE, BOROUGH_TO_BCU

STATE_FILE = ".vawgstats-state.json"
#: The output formats a render can write, in the order they are made; each a file ``<name>.<format>``.
FORMATS = ("html", "pdf")

#: The notebooks of each kind of prepared data: (BCU report, London overview).
#: ``records``: one row per crime (the data contract); ``counts``: published counts (open data).
NOTEBOOKS = {"records": ("bcu_report", "london_overview"), "counts": ("bcu_open_data", "london_open_data")}
#: The short report of a BCU or borough with no in-scope crime in the period (manifest ``empty_units``).
EMPTY_NOTEBOOK = "empty_unit"


def project_root() -> Path:
    """The repository folder holding notebooks/, params/ and _quarto.yml."""
    return Path(__file__).resolve().parent.parent.parent


def notebook_path(name: str) -> Path:
    """``bcu_report`` or ``london_overview`` in the repository's notebooks/ folder."""
    path = project_root() / "notebooks" / f"{name}.ipynb"
    if not path.exists():
        raise RenderError(f"The notebook {path} is missing; reinstall vawgstats from its repository.")
    return path


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Job:
    """One report to make: its name, notebook, parameters and where to work."""

    name: str
    notebook: str
    title: str
    parameters: dict
    workdir: str
    renderer: str
    jupyter_path: str
    edition: str
    key: str = ""
    #: The parameter files (relative to the parameters folder) the report reads: its key hashes
    #: these only, so a change in one BCU's file re-renders that BCU (and its boroughs) alone.
    params_files: tuple[str, ...] = ()
    period: str = ""                           # e.g. "April 2025 to March 2026", for the PDF's header
    formats: tuple[str, ...] = FORMATS         # which of html, pdf to write


@dataclass
class JobResult:
    """What happened to one report."""

    name: str
    status: str                   # written, skipped, failed
    files: list[str] = field(default_factory=list)
    seconds: float = 0.0
    error: str = ""



#: Job parameters left out of the cache key: the render time, and paths whose content the key
#: already covers (the data through the prepared key, the parameter files through their hash).
_NOT_KEYED = ("render_time", "prepared_dir", "data_path", "params_dir")


def _job_key(prepared_key: str, job: Job, notebook_sha: str, params_sha: str) -> str:
    """The cache key of one report: a hash of everything its output depends on.

    That is the prepared tables' key (data content, period, options, package
    version), the notebook's bytes, the parameter files' bytes, the job's other
    parameters (BCU, period, edition, linked reports), the renderer and the
    package's files (:func:`~vawgstats.fingerprint.code_fingerprint`); not the render time, the build or output folders, or
    where the data and parameter files are.
    """
    parameters = {k: v for k, v in job.parameters.items() if k not in _NOT_KEYED}
    text = json.dumps({"prepared": prepared_key, "notebook": notebook_sha, "params": params_sha,
                       "parameters": parameters, "renderer": job.renderer, "edition": job.edition,
                       "code": code_fingerprint()}, sort_keys=True, default=str)
    return _sha256(text.encode())[:16]


def _outputs(name: str, formats=FORMATS) -> list[str]:
    """The files a report writes: ``<name>.html`` and/or ``<name>.pdf``."""
    return [f"{name}.{fmt}" for fmt in FORMATS if fmt in formats]


def _read_state(out_dir: Path) -> dict:
    try:
        return json.loads((out_dir / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _write_state(out_dir: Path, state: dict) -> None:
    temporary = out_dir / f".{STATE_FILE}.part"
    temporary.write_text(json.dumps(state, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(temporary, out_dir / STATE_FILE)


def build_jobs(prepared, *, bcus: list[str], edition: str, renderer: str, build_root: Path,
               params_dir: Path | None, render_time: str, jupyter_path: Path,
               linked_bcus: list[str] | None = None, boroughs: list[str] = (),
               formats=FORMATS) -> list[Job]:
    """One job per BCU report, one per borough report (canonical names in ``boroughs``), plus the
    London overview (linking to ``linked_bcus``, default ``bcus``)."""
    from ..params import BOROUGHS_DIR, DEFAULTS_FILE
    from ..units import report_stem
    from ..params import default_params_dir

    params_root = Path(params_dir) if params_dir else default_params_dir()
    common = {"start": prepared.manifest["start"], "end": prepared.manifest["end"],
              "data_path": prepared.manifest["data_path"], "edition": edition,
              "as_of": prepared.manifest["as_of"], "prepared_dir": str(Path(prepared.directory).resolve()),
              "params_dir": str(params_root.resolve()), "render_time": render_time}
    jobs_root = (build_root / "jobs" / prepared.key).resolve()
    kind = prepared.manifest.get("kind", "records")
    bcu_notebook, london_notebook = NOTEBOOKS[kind]
    suffix = " (open data)" if kind == "counts" else ""
    jobs = []
    empty = set(prepared.manifest.get("empty_units", ()))

    def unit_notebook(unit: str) -> str:
        return str(notebook_path(EMPTY_NOTEBOOK if unit in empty else bcu_notebook))

    for code in bcus:
        name = f"bcu-{code}"
        jobs.append(Job(name, unit_notebook(code),
                        f"{BCU_BY_CODE[code].name} BCU ({code}): VAWG scrutiny report{suffix}",
                        {"bcu": code, **common}, str(jobs_root / name), renderer, str(jupyter_path), edition,
                        params_files=(DEFAULTS_FILE, f"{code}.yaml")))
    for borough in boroughs:
        name = report_stem("borough", borough)
        code = BOROUGH_TO_BCU[borough]
        jobs.append(Job(name, unit_notebook(borough),
                        f"{borough} ({BCU_BY_CODE[code].name} BCU): VAWG scrutiny report{suffix}",
                        {"unit_type": "borough", "unit": borough, **common}, str(jobs_root / name), renderer,
                        str(jupyter_path), edition,
                        params_files=(DEFAULTS_FILE, f"{code}.yaml",
                                      f"{BOROUGHS_DIR}/{name.removeprefix('borough-')}.yaml")))
    jobs.append(Job("london", str(notebook_path(london_notebook)), f"London overview: VAWG across the 12 BCUs{suffix}",
                    {"bcu": "London", "linked_bcus": linked_bcus or list(bcus), **common}, str(jobs_root / "london"), renderer, str(jupyter_path), edition,
                    params_files=(DEFAULTS_FILE,)))
    for job in jobs:
        job.period = prepared.manifest.get("period_label", "")
        job.formats = tuple(f for f in FORMATS if f in formats)
    return jobs



def _known_bcu(code: str) -> str:
    from ..geography import bcu_code

    return bcu_code(code)


def _params_sha(params_dir, files: tuple[str, ...] | None = None) -> str:
    """A hash of the parameter files ``files`` (names relative to the folder; an absent file counts
    as absent), or of every ``*.yaml`` in the folder when ``files`` is None or empty."""
    from ..params import default_params_dir

    root = Path(params_dir) if params_dir else default_params_dir()
    digest = hashlib.sha256()
    if not files:
        for path in sorted(root.glob("*.yaml")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        return digest.hexdigest()[:16]
    for name in files:
        path = root / name
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.is_file() else b"\0absent\0"))
    return digest.hexdigest()[:16]
