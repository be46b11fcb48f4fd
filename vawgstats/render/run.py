"""The whole run: prepare, decide what to render, execute, publish, write the index."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ..errors import ParamsError
from ..geography import BCU_CODES
from .convert import choose_renderer
from .execute import _execute, _start_pool, _terminate_pool
from .guard import EDITION_KEY, check_edition, run_lock
from .index import index_figures, write_index
from .jobs import (FORMATS, JobResult, _job_key, _known_bcu, _outputs, _params_sha, _read_state, _sha256, _write_state,
                   build_jobs)
from .kernel import ensure_kernel
from .publish import publish


@dataclass
class RenderSummary:
    """What a render run did."""

    out_dir: Path
    results: list[JobResult]
    seconds: float
    renderer: str
    prepared_key: str

    @property
    def failed(self) -> list[JobResult]:
        return [r for r in self.results if r.status == "failed"]

    def text(self) -> str:
        written = [r.name for r in self.results if r.status == "written"]
        skipped = [r.name for r in self.results if r.status == "skipped"]
        lines = [f"Rendered {len(written)} report(s) with {self.renderer} into {self.out_dir} "
                 f"in {self.seconds:.1f} s; {len(skipped)} unchanged and skipped; {len(self.failed)} failed."]
        if skipped:
            lines.append("Skipped (inputs unchanged, outputs present; --force re-renders): " + ", ".join(skipped))
        for result in self.failed:
            lines.append(f"FAILED {result.name}: {result.error}")
        return "\n".join(lines)



def parse_formats(formats) -> tuple[str, ...]:
    """``"html,pdf"`` or ``["pdf"]`` as a tuple in :data:`FORMATS` order; an unknown format is a ParamsError."""
    items = formats.split(",") if isinstance(formats, str) else list(formats)
    items = [str(item).strip().lower() for item in items if str(item).strip()]
    unknown = [item for item in items if item not in FORMATS]
    if unknown or not items:
        raise ParamsError(f"Unknown output format {', '.join(unknown) or '(none)'}: expected html, pdf or html,pdf.")
    return tuple(f for f in FORMATS if f in items)


def render(*, bcus: list[str] | None = None, boroughs: list[str] | None = None,
           data_path: str | Path | None = None, start: str | None = None,
           end: str | None = None, edition: str = "public", out_dir: str | Path = "reports",
           renderer: str = "auto", jobs: int | None = None, force: bool = False,
           build_root: str | Path = "build", params_dir: str | Path | None = None,
           as_of: str | None = None, dask_scheduler: str | None = None, progress: bool = True,
           render_time: str | None = None, formats=FORMATS, returns_path: str | Path | None = None,
           population: str | Path | None = None) -> RenderSummary:
    """Render the BCU reports (all 12 when ``bcus`` is None, none when it is empty), the borough reports
    (``boroughs``: names in any case or ONS codes), the London overview and the index.

    ``formats``: which of ``html`` and ``pdf`` to write for each report (default both;
    a comma-separated text such as ``"html,pdf"`` is accepted too).
    ``returns_path``: a delivery returns file for the commitments section (see :mod:`vawgstats.returns`).
    ``population``: a CSV of female population estimates (:mod:`vawgstats.population`).
    """
    from ..geography import borough_name
    from ..params import load_all_params, load_borough_params, load_defaults

    started = time.perf_counter()
    if edition not in ("public", "restricted"):
        raise ParamsError(f"Unknown edition {edition!r}: expected public or restricted.")
    formats = parse_formats(formats)
    codes = list(BCU_CODES) if bcus is None else list(dict.fromkeys(_known_bcu(code) for code in bcus))
    names = list(dict.fromkeys(borough_name(value) for value in (boroughs or [])))
    out_dir, build_root = Path(out_dir), Path(build_root)
    chosen = choose_renderer(renderer)
    load_all_params(params_dir)  # fail early, naming the file, on a bad parameter file
    follow_up_days = load_defaults(params_dir).charge_follow_up_days
    for name in names:
        load_borough_params(name, params_dir)
    if returns_path is not None:
        from ..returns import load_returns

        load_returns(returns_path)  # fail early, naming the file and rows, on a bad returns file
    gap_share = load_defaults(params_dir).gap_share
    with run_lock(build_root, out_dir):       # one run at a time per build and output folder
        check_edition(out_dir, edition, _read_state(out_dir))   # before anything is written
        return _render_locked(codes=codes, names=names, data_path=data_path, start=start, end=end,
                              edition=edition, out_dir=out_dir, chosen=chosen, jobs=jobs, force=force,
                              build_root=build_root, params_dir=params_dir, as_of=as_of,
                              dask_scheduler=dask_scheduler, progress=progress, render_time=render_time,
                              started=started, formats=formats, follow_up_days=follow_up_days,
                              returns_path=returns_path, gap_share=gap_share, population=population)


def _render_locked(*, codes, names, data_path, start, end, edition, out_dir, chosen, jobs, force, build_root,
                   params_dir, as_of, dask_scheduler, progress, render_time, started, formats,
                   follow_up_days, returns_path, gap_share, population) -> RenderSummary:
    from ..prepare import is_prepared, prepare

    workers = max(1, min(jobs or os.cpu_count() or 1, len(codes) + len(names) + 1))
    pool = None
    if not dask_scheduler and workers > 1 and not is_prepared(data_path, start=start, end=end, as_of=as_of,
                                                               build_root=build_root,
                                                               follow_up_days=follow_up_days,
                                                               returns_path=returns_path, gap_share=gap_share,
                                                               population=population):
        # the tables take a while to prepare: meanwhile the workers start, and their kernels
        pool = _start_pool(workers, warm_up_in=(ensure_kernel(build_root), (build_root / "jobs").resolve()),
                           converting=(chosen, formats))
    try:
        prepared = prepare(data_path, start=start, end=end, as_of=as_of, build_root=build_root,
                           follow_up_days=follow_up_days, returns_path=returns_path, gap_share=gap_share,
                           population=population)
    except BaseException:
        if pool is not None:
            _terminate_pool(pool)
        raise
    jupyter_path = ensure_kernel(build_root)
    rendered_at = render_time or datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out_dir.mkdir(parents=True, exist_ok=True)
    # the overview links to this run's BCU reports and to those already published in out_dir
    linked = [c for c in BCU_CODES if c in codes or (out_dir / f"bcu-{c}.html").exists()]
    job_list = build_jobs(prepared, bcus=codes, edition=edition, renderer=chosen, build_root=build_root,
                          params_dir=Path(params_dir) if params_dir else None, render_time=rendered_at,
                          jupyter_path=jupyter_path, linked_bcus=linked, boroughs=names, formats=formats)

    state = _read_state(out_dir)
    results, todo = [], []
    for job in job_list:
        job.key = _job_key(prepared.key, job, _sha256(Path(job.notebook).read_bytes()),
                           _params_sha(params_dir, job.params_files))
        present = all((out_dir / name).exists() for name in _outputs(job.name, formats))
        if not force and present and state.get(job.name) == job.key:
            results.append(JobResult(job.name, "skipped"))
        else:
            todo.append(job)

    # Nothing is published until every report has finished (written or failed): an interrupt
    # (Ctrl-C) or a crash part-way leaves the output folder exactly as it was.
    figures: dict = {}  # the index's, worked out while the last reports run

    def index_figures_meanwhile() -> None:
        figures.update(index_figures(prepared.table("headline"), edition, prepared.manifest.get("kind", "records")))

    finished = list(_execute(todo, jobs=jobs, dask_scheduler=dask_scheduler, progress=progress, pool=pool,
                             meanwhile=index_figures_meanwhile))
    if pool is not None:
        pool.shutdown(wait=True)  # done already, unless there was nothing to render
    for result in finished:
        if result.status == "written":
            publish([Path(f) for f in result.files], out_dir)
            state[result.name] = next(j.key for j in todo if j.name == result.name)
        results.append(result)
    if finished or state.get(EDITION_KEY) != edition:
        state[EDITION_KEY] = edition
        _write_state(out_dir, state)
    write_index(out_dir, results, prepared.manifest, edition, rendered_at, prepared.table("headline"),
                figures=figures or None)
    order = {job.name: i for i, job in enumerate(job_list)}
    results.sort(key=lambda r: order.get(r.name, 99))
    return RenderSummary(out_dir, results, time.perf_counter() - started, chosen, prepared.key)
