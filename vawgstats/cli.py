"""The ``vawgstats`` command: thin wrappers that parse options and call the library.

Every error the library raises on purpose (:class:`~vawgstats.errors.VawgstatsError`)
is printed as one paragraph on standard error with exit status 2; no traceback.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import click

from . import __version__
from .errors import VawgstatsError


def friendly_errors(command):
    """Turn the package's own errors into a message and exit status 2."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except VawgstatsError as exc:
            click.echo(f"vawgstats: error: {exc}", err=True)
            sys.exit(exc.exit_status)

    return wrapper


@click.group()
@click.version_option(__version__, prog_name="vawgstats")
def main() -> None:
    """Reproducible VAWG reporting for London's 12 Basic Command Units."""


@main.command()
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the records (.parquet or .csv).")
@click.option("--seed", default=None, type=int, help="Random seed (default 2021).")
@click.option("--start", default=None, help="First month recorded, YYYY-MM (default 2021-04).")
@click.option("--end", default=None, help="Last month recorded, YYYY-MM (default 2026-03).")
@click.option("--scale", default=1.0, show_default=True, type=float,
              help="Volume relative to London (1 = about 200,000 records a year).")
@friendly_errors
def synth(out: Path, seed: int | None, start: str | None, end: str | None, scale: float) -> None:
    """Write a deterministic synthetic London (clearly marked as synthetic)."""
    from . import synthetic
    from .periods import as_period
    from .schema import write_records

    period = as_period(start or synthetic.DEFAULT_START, end or synthetic.DEFAULT_END)
    if scale <= 0:
        raise click.BadParameter("must be positive", param_hint="--scale")
    frame = synthetic.generate(seed=synthetic.DEFAULT_SEED if seed is None else seed,
                               start=str(period.start), end=str(period.end), scale=scale)
    write_records(frame, out)
    click.echo(f"Wrote {len(frame):,} synthetic records ({period.label()}) to {out}")


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--as-of", "as_of", default=None,
              help="Extraction date YYYY-MM-DD; no date may be later (default: today).")
@click.option("--strict", is_flag=True, help="Treat warnings (gap months in the data) as errors: exit 2.")
@click.option("--params", "params_dir", default=None, type=click.Path(file_okay=False, path_type=Path),
              help="Folder holding defaults.yaml (gap_share; default: ./params or the repository's).")
@friendly_errors
def validate(path: Path, as_of: str | None, strict: bool, params_dir: Path | None) -> None:
    """Check a records file against the data contract (exit 0 valid, 2 invalid).

    Months with no or too few records (gaps, see vawgstats.coverage) are warnings;
    with --strict they make the file invalid (exit 2).
    """
    from . import coverage
    from .definitions import in_vawg_scope
    from .errors import DataError
    from .params import load_defaults
    from .schema import load

    share = load_defaults(params_dir).gap_share
    frame = load(path, as_of=as_of)
    warnings = coverage.gap_warnings(coverage.manifest_entry(coverage.coverage_table(frame, share), share))
    if warnings and strict:
        raise DataError(f"{path}: {len(warnings)} gap month{'s' if len(warnings) != 1 else ''} in the data "
                        f"(--strict): " + " ".join(warnings))
    for warning in warnings:
        click.echo(f"vawgstats: warning: {path}: {warning}", err=True)
    first, last = frame["recorded_date"].min(), frame["recorded_date"].max()
    click.echo(f"{path}: valid{' with warnings' if warnings else ''}. {len(frame):,} records recorded "
               f"{first:%Y-%m-%d} to {last:%Y-%m-%d}; {int(in_vawg_scope(frame).sum()):,} in VAWG scope"
               + (f"; {len(warnings)} gap month{'s' if len(warnings) != 1 else ''} (see the warnings)."
                  if warnings else "."))


@main.command()
@click.option("--bcu", "bcus", multiple=True, metavar="CODE", help="A BCU to render (repeatable), e.g. NA.")
@click.option("--all", "all_bcus", is_flag=True, help="Render all 12 BCU reports.")
@click.option("--borough", "boroughs", multiple=True, metavar="NAME",
              help="A borough to render (repeatable): its name in any case, e.g. Enfield, or ONS code E09...")
@click.option("--all-boroughs", "all_boroughs", is_flag=True, help="Render all 32 borough reports.")
@click.option("--data", "data", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="Records (CSV/Parquet) or an imported counts table; default: the embedded synthetic London.")
@click.option("--start", default=None, help="First month, YYYY-MM (default: latest 12 complete months).")
@click.option("--end", default=None, help="Last month, YYYY-MM.")
@click.option("--as-of", "as_of", default=None, help="Date the data were extracted, YYYY-MM-DD (default: latest in data).")
@click.option("--edition", type=click.Choice(["public", "restricted"]), default="public", show_default=True)
@click.option("--out", "out", default="reports", show_default=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--renderer", type=click.Choice(["auto", "quarto", "nbconvert"]), default="auto", show_default=True,
              help="quarto: HTML and PDF with Quarto; nbconvert: HTML with nbconvert, PDF with pandoc and Typst; "
                   "auto: Quarto when it is on PATH.")
@click.option("--format", "formats", default="html,pdf", show_default=True, metavar="FORMATS",
              help="What to write for each report: html, pdf or html,pdf.")
@click.option("-j", "--jobs", "jobs", default=None, type=click.IntRange(min=1),
              help="Reports rendered at once (default: number of cores).")
@click.option("--force", is_flag=True, help="Re-render reports whose inputs are unchanged.")
@click.option("--build", "build", default="build", show_default=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for prepared tables and executed notebooks (restricted).")
@click.option("--params", "params_dir", default=None, type=click.Path(file_okay=False, path_type=Path),
              help="Folder of BCU parameter files (default: ./params or the repository's).")
@click.option("--dask-scheduler", "dask_scheduler", default=None, metavar="ADDRESS",
              help="Send the reports to this Dask scheduler (needs vawgstats[dask]).")
@click.option("--population", "population", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="CSV of female population estimates (columns borough, year, female); "
                   "default: the package's ONS mid-2019.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--returns", "returns_path", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="Delivery returns (CSV/.xlsx/Parquet) for the commitments section; default: synthetic "
                   "returns with the embedded synthetic data, none otherwise.")
@friendly_errors
def render(bcus, all_bcus, boroughs, all_boroughs, data, start, end, as_of, edition, out, renderer, formats, jobs, force,
           build, params_dir, dask_scheduler, population, quiet, returns_path) -> None:
    """Render the BCU and borough reports, the London overview and the index.

    --all: the 12 BCUs; --all-boroughs: the 32 boroughs (both: all 45 reports with the overview).
    """
    import warnings

    from .geography import BOROUGHS
    from .render import render as render_reports

    if bcus and all_bcus:
        raise click.UsageError("Give --all, or one or more --bcu CODE, not both.")
    if boroughs and all_boroughs:
        raise click.UsageError("Give --all-boroughs, or one or more --borough NAME, not both.")
    if not (bcus or all_bcus or boroughs or all_boroughs):
        raise click.UsageError("Give --all, or one or more --bcu CODE; and/or --all-boroughs, or one or more "
                               "--borough NAME.")
    chosen_bcus = None if all_bcus else list(bcus)
    chosen_boroughs = list(BOROUGHS) if all_boroughs else list(boroughs)

    def show_warning(message, category, *_args, **_kwargs) -> None:
        # at once (e.g. "no Quarto" before the progress bar), even if the run fails later
        if issubclass(category, UserWarning):
            click.echo(f"vawgstats: warning: {message}", err=True)

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", UserWarning)
            warnings.showwarning = show_warning
            summary = render_reports(bcus=chosen_bcus, boroughs=chosen_boroughs, data_path=data, start=start, end=end,
                                     edition=edition, out_dir=out, renderer=renderer, formats=formats, jobs=jobs,
                                     force=force,
                                     build_root=build, params_dir=params_dir, as_of=as_of,
                                     dask_scheduler=dask_scheduler, progress=not quiet,
                                     returns_path=returns_path, population=population)
    except KeyboardInterrupt:
        # reports are published only when every one has finished, so nothing was replaced
        click.echo("\nvawgstats: Interrupted; published reports left unchanged.", err=True)
        sys.exit(130)
    click.echo(summary.text())
    if summary.failed:
        sys.exit(1)


@main.command()
@click.option("--data", "data", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="Records or counts file; default: the embedded synthetic London.")
@click.option("--start", default=None, help="First month, YYYY-MM.")
@click.option("--end", default=None, help="Last month, YYYY-MM.")
@click.option("--as-of", "as_of", default=None, help="Extraction date YYYY-MM-DD.")
@click.option("--build", "build", default="build", show_default=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--returns", "returns_path", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="Delivery returns (CSV/.xlsx/Parquet) for the commitments tables.")
@click.option("--population", "population", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="CSV of female population estimates (columns borough, year, female).")
@friendly_errors
def prepare(data, start, end, as_of, build, returns_path, population) -> None:
    """Load and validate the data once and write the metric tables to the build folder."""
    from .prepare import prepare as prepare_tables

    prepared = prepare_tables(data, start=start, end=end, as_of=as_of, build_root=build, returns_path=returns_path,
                              population=population)
    click.echo(f"Prepared tables for {prepared.manifest['start']} to {prepared.manifest['end']} "
               f"in {prepared.directory}")


@main.group()
def returns() -> None:
    """Delivery returns against the ten VAWG commitments: template, validate, synth."""


@returns.command("template")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the Excel workbook (.xlsx).")
@friendly_errors
def returns_template(out: Path) -> None:
    """Write an Excel workbook to fill in: data sheet with drop-down lists, and every measure described."""
    from .errors import ParamsError
    from .returns import MEASURES
    from .returns_template import write_workbook

    if out.suffix.lower() != ".xlsx":
        raise ParamsError(f"{out}: the template is an Excel workbook; give a file name ending .xlsx.")
    write_workbook(out)
    click.echo(f"Wrote the returns template ({len(MEASURES)} measures) to {out}")


@returns.command("validate")
@click.argument("path", type=click.Path(path_type=Path))
@friendly_errors
def returns_validate(path: Path) -> None:
    """Check a returns file (CSV, .xlsx or Parquet) against the vocabulary (exit 0 valid, 2 invalid)."""
    from .returns import load_returns

    table = load_returns(path)
    if table.empty:
        click.echo(f"{path}: valid, but it holds no figures.")
        return
    click.echo(f"{path}: valid. {len(table):,} figures, {table['start'].min()} to {table['end'].max()}, "
               f"{table['bcu'].nunique()} unit(s), {table['measure'].nunique()} measure(s).")


@returns.command("synth")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the returns (.csv, .xlsx or .parquet).")
@click.option("--seed", default=None, type=int, help="Random seed (default 2021).")
@click.option("--start", required=True, help="First month, YYYY-MM.")
@click.option("--end", required=True, help="Last month, YYYY-MM.")
@friendly_errors
def returns_synth(out: Path, seed: int | None, start: str, end: str) -> None:
    """Write realistic synthetic returns (clearly marked as synthetic in their source column)."""
    from . import returns_synth as synth
    from .periods import as_period
    from .returns import write_returns

    period = as_period(start, end)
    table = synth.generate(seed=synth.DEFAULT_SEED if seed is None else seed, start=str(period.start),
                           end=str(period.end))
    write_returns(table, out)
    click.echo(f"Wrote {len(table):,} synthetic returns ({period.label()}) to {out}")


@main.command("import")
@click.argument("source", type=click.Choice(["mps-vawg", "policeuk", "mps-crime"]))
@click.argument("src", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the imported table (.parquet or .csv).")
@friendly_errors
def import_(source: str, src: tuple[Path, ...], out: Path) -> None:
    """Import published open data (MPS VAWG dashboard, police.uk, MPS recorded crime)."""
    from .sources import import_source

    summary = import_source(source, list(src), out)
    click.echo(summary)


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--data", "data", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="The records file the reports were built from (its identifiers are searched for).")
@friendly_errors
def audit(directory: Path, data: Path | None) -> None:
    """Check rendered reports for leaked identifiers and unsuppressed small counts."""
    from .audit import audit_directory

    findings = audit_directory(directory, data_path=data)
    for finding in findings:
        click.echo(str(finding), err=True)
    if findings:
        sys.exit(1)
    click.echo(f"{directory}: no identifiers and no unsuppressed small counts found.")


if __name__ == "__main__":  # pragma: no cover
    main()
