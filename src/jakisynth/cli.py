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
    from .plan import plan_problems
    from .validate import validate_command

    sys.exit(validate_command(path, sources, plan_check=plan_problems))


@main.command()
@click.argument("file", type=click.Path())
@click.option("--events", "events_col", required=True, help="Column of event counts.")
@click.option("--total", "total_col", required=True, help="Column of totals (patients).")
@click.option("--study", "study_col", default=None, help="Column of study labels.")
@click.option("--method", type=click.Choice(["inverse", "glmm", "bayes"]), default="inverse",
              show_default=True)
@click.option("--transform", type=click.Choice(["logit", "ft", "arcsine", "log", "raw"]),
              default=None, help="Scale of the inverse-variance model  [default: logit]")
@click.option("--tau2", type=click.Choice(["REML", "DL", "ML", "PM", "SJ", "HE", "EB", "HS"]),
              default=None, help="tau2 estimator of the inverse-variance model  [default: REML]")
@click.option("--ci", type=click.Choice(["z", "hk"]), default=None,
              help="CI of the inverse-variance model  [default: z]")
@click.option("--tau-prior", "tau_prior", default=None,
              help='bayes: prior of tau, "halfnormal(s)", "halfcauchy(s)" or "uniform(0, u)"  '
                   '[default: halfnormal(0.5)]')
@click.option("--mu-prior", "mu_prior", default=None,
              help='bayes: prior of mu (logit scale), "normal(m, s)"  [default: normal(0, 10)]')
@click.option("--level", type=float, default=0.95, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the result's to_dict() as JSON.")
def pool(file, events_col, total_col, study_col, method, transform, tau2, ci, tau_prior, mu_prior,
         level, as_json):
    """Pool the proportions events/total of a CSV file (one row per study).

    --method bayes: Bayesian random effects on the binomial scale; the text output adds the
    posterior probabilities that the pooled proportion (and a new series) exceed 50% and 80%.
    """
    import json

    from .errors import InputError
    from .proportions import pool_proportions
    from .tables import read_count_table

    options = {name: value for name, value in (("transform", transform), ("tau2", tau2),
                                                ("ci", ci), ("tau_prior", tau_prior),
                                                ("mu_prior", mu_prior)) if value is not None}
    try:
        table = read_count_table(file, events=events_col, total=total_col, study=study_col)
        result = pool_proportions(table.events, table.totals, studies=table.studies,
                                  method=method, level=level, **options)
    except InputError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, allow_nan=False))
    else:
        click.echo(str(result))


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

    from .consistency import check_evidence
    from .errors import EvidenceError
    from .files import atomic_write
    from .outputs import frame_to_csv
    from .validate import load_evidence

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
    from .living import new_extraction

    try:
        path = new_extraction(evidence_dir, study_id)
    except InputError as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(1)
    click.echo(f"wrote {path}: fill it in, then `jakisynth validate {path}` and `jakisynth run`")


if __name__ == "__main__":  # pragma: no cover
    main()
