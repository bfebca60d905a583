"""The command line: thin wrappers that parse options and call one function per command.

Each command returns an exit code: 0 success, 1 invalid input (one line per problem, no
traceback), 2 usage error (click's own). Heavy modules are imported inside the commands.
"""

from __future__ import annotations

import sys

import click

from . import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="jakisynth")
def main() -> None:
    """Living evidence synthesis of small clinical case series."""


@main.command()
@click.argument("path", default="evidence", type=click.Path())
@click.option("--sources", type=click.Path(), default=None,
              help="Directory of source texts: every quote must occur in its source.")
def validate(path: str, sources: str | None) -> None:
    """Validate the extraction files in PATH (default: evidence/) and, for a directory, its
    analysis plan (analysis.yaml). Writes nothing."""
    from .evidence.plan import plan_problems
    from .evidence.validate import validate_command

    sys.exit(validate_command(path, sources, plan_check=plan_problems))


@main.command()
@click.argument("file", type=click.Path())
@click.option("--events", "events_col", required=True, help="Column of event counts.")
@click.option("--total", "total_col", required=True, help="Column of totals (patients).")
@click.option("--study", "study_col", default=None, help="Column of study labels.")
@click.option("--method", type=click.Choice(["inverse", "glmm"]), default="inverse",
              show_default=True)
@click.option("--transform", type=click.Choice(["logit", "ft", "arcsine", "log", "raw"]),
              default="logit", show_default=True)
@click.option("--tau2", type=click.Choice(["REML", "DL", "ML", "PM", "SJ", "HE", "EB", "HS"]),
              default="REML", show_default=True)
@click.option("--ci", type=click.Choice(["z", "hk"]), default="z", show_default=True)
@click.option("--level", type=float, default=0.95, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the result's to_dict() as JSON.")
@click.option("--by", "by_cols", multiple=True, help="Column naming the meta-analysis of each "
              "row (repeat for several): pool every group (pool_many) and print one row per "
              "group as CSV, or JSON records with --json.")
def pool(file, events_col, total_col, study_col, method, transform, tau2, ci, level, as_json,
         by_cols):
    """Pool the proportions events/total of a CSV file (one row per study)."""
    import json

    if by_cols:
        sys.exit(_pool_by(file, events_col, total_col, study_col, list(by_cols), as_json,
                          method=method, transform=transform, tau2=tau2, ci=ci, level=level))

    from .errors import InputError
    from .stats.proportions import pool_proportions
    from .evidence.counts import read_count_table

    try:
        table = read_count_table(file, events=events_col, total=total_col, study=study_col)
        result = pool_proportions(table.events, table.totals, studies=table.studies,
                                  method=method, transform=transform, tau2=tau2, ci=ci,
                                  level=level)
    except InputError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, allow_nan=False))
    else:
        click.echo(str(result))


def _pool_by(file, events_col, total_col, study_col, by, as_json, **model) -> int:
    """`jakisynth pool --by`: many meta-analyses in one call; the tidy table on stdout."""
    import json

    from .errors import InputError
    from .evidence.counts import read_grouped_counts
    from .stats.many import pool_many

    try:
        frame = read_grouped_counts(file, events=events_col, total=total_col, by=by,
                                    study=study_col)
        table = pool_many(frame, events=events_col, total=total_col, by=by, study=study_col,
                          **model)
    except InputError as err:
        click.echo(f"error: {err}", err=True)
        return 1
    if as_json:
        records = [{key: None if isinstance(value, float) and value != value else value
                    for key, value in row.items()} for row in table.to_dict(orient="records")]
        click.echo(json.dumps(records, indent=2, allow_nan=False))
    else:
        click.echo(table.to_csv(index=False, lineterminator="\n"), nl=False)
    return 0


@main.command()
@click.option("--evidence", "evidence_dir", default="evidence", show_default=True,
              type=click.Path(), help="Evidence directory (extractions and analysis.yaml).")
@click.option("--out", "out_dir", default="outputs", show_default=True, type=click.Path(),
              help="Output directory.")
def run(evidence_dir: str, out_dir: str) -> None:
    """Validate the evidence, pool, and write every table, figure and the report."""
    from .errors import EvidenceError
    from .run import run as run_synthesis

    try:
        summary = run_synthesis(evidence_dir, out_dir)
    except EvidenceError as err:
        _refuse(err)
    click.echo(str(summary))


def _refuse(err) -> None:
    """Print an EvidenceError's problems one per line and exit 1 (nothing was written)."""
    for problem in err.problems:
        click.echo(str(problem))
    click.echo(f"{len(err.problems)} problem(s): nothing written", err=True)
    sys.exit(1)


@main.command()
@click.option("--evidence", "evidence_dir", default="evidence", show_default=True,
              type=click.Path(), help="Evidence directory.")
@click.option("--out", "out_dir", default="outputs", show_default=True, type=click.Path(),
              help="Output directory (writes consistency.csv there).")
@click.option("--strict", is_flag=True, help="Exit 1 when any statistic is inconsistent.")
def check(evidence_dir: str, out_dir: str, strict: bool) -> None:
    """Recompute every reported statistic; write consistency.csv."""
    from pathlib import Path

    from .synthesis.consistency import check_evidence
    from .errors import EvidenceError
    from .report.files import atomic_write
    from .report.outputs import frame_to_csv
    from .evidence.validate import load_evidence

    try:
        studies = load_evidence(evidence_dir)
    except EvidenceError as err:
        _refuse(err)
    report = check_evidence(studies)
    atomic_write(Path(out_dir) / "consistency.csv", frame_to_csv(report.to_frame()).encode("utf-8"))
    click.echo(str(report))
    if strict and report.counts()["inconsistent"]:
        sys.exit(1)


@main.command()
@click.argument("study_id", metavar="ID")
@click.option("--evidence", "evidence_dir", default="evidence", show_default=True,
              type=click.Path(), help="Evidence directory.")
def new(study_id: str, evidence_dir: str) -> None:
    """Write a commented template extraction evidence/ID.yaml for a new series."""
    from .errors import InputError
    from .evidence.template import new_extraction

    try:
        path = new_extraction(evidence_dir, study_id)
    except InputError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(1)
    click.echo(f"wrote {path}: fill it in, then `jakisynth validate {path}` and `jakisynth run`")


if __name__ == "__main__":  # pragma: no cover
    main()
