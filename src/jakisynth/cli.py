"""The command line: thin wrappers that parse options and call one function per command.

Each command returns an exit code: 0 success, 1 invalid input or usage (one line per problem,
no traceback). Heavy modules are imported inside the commands.
"""

from __future__ import annotations

import sys

import click

from . import __version__
from .stats import options


class _Commands(click.Group):
    """The command group, with click's usage errors (a bad option, an unreadable path) as one
    line and exit code 1, like every other user error."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except click.exceptions.UsageError as err:
            where = f" (see `{err.ctx.command_path} --help`)" if err.ctx is not None else ""
            _fail(f"error: {err.format_message()}{where}")
        except click.ClickException as err:
            _fail(f"error: {err.format_message()}")
        except click.exceptions.Abort:
            _fail("aborted")
        sys.exit(code if isinstance(code, int) else 0)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="jakisynth")
def main() -> None:
    """Living evidence synthesis of small clinical case series."""


@main.command(short_help="Check extractions and the analysis plan; writes nothing.")
@click.argument("path", default="evidence", type=click.Path())
@click.option("--sources", type=click.Path(), default=None,
              help="Directory of source texts: every quote must occur in its source.")
def validate(path: str, sources: str | None) -> None:
    """Validate the extraction files in PATH (default: evidence/) and, for a directory, its
    analysis plan (analysis.yaml). Writes nothing."""
    from .evidence.validate import validate_command
    from .synthesis.feasibility import plan_problems

    sys.exit(validate_command(path, sources, plan_check=plan_problems))


@main.command(short_help="Pool events/total of a CSV file (one row per study).")
@click.argument("file", type=click.Path())
@click.option("--events", "events_col", default="events", show_default=True,
              help="Column of event counts.")
@click.option("--total", "total_col", default="total", show_default=True,
              help="Column of totals (patients).")
@click.option("--study", "study_col", default=None,
              help="Column of study labels  [default: 'study' if the file has it, else "
                   "Study 1, Study 2, ...]")
@click.option("--method", type=click.Choice(options.METHODS), default="inverse",
              show_default=True, help="inverse: inverse-variance random effects (rma); "
              "glmm: random-intercept logistic model (rma.glmm); bayes: Bayesian binomial-normal "
              "model (posterior by quadrature).")
@click.option("--transform", type=click.Choice(options.TRANSFORMS), default=None,
              help="Scale the inverse-variance model pools on (escalc measure PLO, PFT, PAS, "
                   "PLN, PR)  [default: logit]")
@click.option("--tau2", type=click.Choice(options.TAU2_METHODS), default=None,
              help="Estimator of tau2 (rma method)  [default: REML; not for glmm]")
@click.option("--ci", type=click.Choice(options.CI_METHODS), default=None,
              help="z: Wald CI; hk: Hartung-Knapp CI with t on k-1 df (rma test)  [default: z]")
@click.option("--tau-prior", "tau_prior", default=None,
              help='bayes: prior of tau, "halfnormal(s)", "halfcauchy(s)" or "uniform(0, u)"  '
                   '[default: halfnormal(0.5)]')
@click.option("--mu-prior", "mu_prior", default=None,
              help='bayes: prior of mu (logit scale), "normal(m, s)"  [default: normal(0, 10)]')
@click.option("--level", type=float, default=0.95, show_default=True,
              help="Confidence (credible) level of the intervals.")
@click.option("--json", "as_json", is_flag=True, help="Print the result's to_dict() as JSON.")
@click.option("--by", "by_cols", multiple=True, help="Column naming the meta-analysis of each "
              "row (repeat for several): pool every group (pool_many) and print one row per "
              "group as CSV, or JSON records with --json.")
def pool(file, events_col, total_col, study_col, method, transform, tau2, ci, tau_prior, mu_prior,
         level, as_json, by_cols):
    """Pool the proportions events/total of a CSV file (one row per study).

    --method bayes: Bayesian random effects on the binomial scale; the text output adds the
    posterior probabilities that the pooled proportion (and a new series) exceed 50% and 80%.
    --by COL: many meta-analyses at once (pool_many), one output row per group.
    """
    import json

    from .errors import InputError
    from .evidence.counts import read_count_table
    from .stats.proportions import fit_proportions

    given = {name: value for name, value in (("transform", transform), ("tau2", tau2),
                                              ("ci", ci), ("tau_prior", tau_prior),
                                              ("mu_prior", mu_prior)) if value is not None}
    if by_cols:
        sys.exit(_pool_by(file, events_col, total_col, study_col, list(by_cols), as_json,
                          method=method, level=level, **given))
    try:
        table = read_count_table(file, events=events_col, total=total_col, study=study_col)
        # the caveats are printed with the result (its "warning:" lines), not again on stderr
        result = fit_proportions(table.events, table.totals, studies=table.studies,
                                 method=method, level=level, **given)
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


@main.command(short_help="Validate, pool, write every table, figure and the report.")
@click.option("--evidence", "evidence_dir", default="evidence", show_default=True,
              type=click.Path(), help="Evidence directory (extractions and analysis.yaml).")
@click.option("--out", "out_dir", default="outputs", show_default=True, type=click.Path(),
              help="Output directory.")
@click.option("--sources", type=click.Path(), default=None,
              help="Directory of source texts: add the full-text sweep to consistency.csv.")
def run(evidence_dir: str, out_dir: str, sources: str | None) -> None:
    """Validate the evidence, pool, and write every table, figure and the report."""
    from .errors import EvidenceError, OutputError
    from .run import run as run_synthesis

    try:
        summary = run_synthesis(evidence_dir, out_dir, sources)
    except EvidenceError as err:
        _refuse(err)
    except OutputError as err:
        _fail(f"error: {err}")
    except OSError as err:  # the disk, permissions: outside the evidence
        _fail(f"error: {_os_message(err)}; the previous outputs are unchanged")
    click.echo(str(summary))


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


def _os_message(err: OSError) -> str:
    where = f"{err.filename}: " if err.filename else ""
    return f"{where}{err.strerror or err}"


def _refuse(err) -> None:
    """Print an EvidenceError's problems one per line and exit 1 (nothing was written)."""
    for problem in err.problems:
        click.echo(str(problem))
    click.echo(f"{len(err.problems)} problem(s): nothing written", err=True)
    sys.exit(1)


@main.command(short_help="Recompute every reported statistic; write consistency.csv.")
@click.option("--evidence", "evidence_dir", default="evidence", show_default=True,
              type=click.Path(), help="Evidence directory.")
@click.option("--out", "out_dir", default="outputs", show_default=True, type=click.Path(),
              help="Output directory (writes consistency.csv there).")
@click.option("--strict", is_flag=True, help="Exit 1 when any statistic is inconsistent.")
@click.option("--sources", type=click.Path(), default=None,
              help="Directory of source texts: also sweep every numeric claim of each paper.")
def check(evidence_dir: str, out_dir: str, strict: bool, sources: str | None) -> None:
    """Recompute every reported statistic (and, with --sources, every numeric claim of the
    source texts); write consistency.csv."""
    from pathlib import Path

    from .errors import EvidenceError
    from .evidence.validate import load_evidence
    from .report.files import atomic_write
    from .report.outputs import frame_to_csv
    from .synthesis.consistency import check_evidence

    try:
        studies = load_evidence(evidence_dir)
    except EvidenceError as err:
        _refuse(err)
    report = check_evidence(studies, sources)
    try:
        atomic_write(Path(out_dir) / "consistency.csv", frame_to_csv(report.to_frame()).encode("utf-8"))
    except OSError as err:
        _fail(f"error: {_os_message(err)}")
    click.echo(str(report))
    if strict and report.counts()["inconsistent"]:
        sys.exit(1)


@main.command(short_help="Write a template extraction for a new series.")
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
    click.echo(next_step_hint(path, evidence_dir))


def next_step_hint(path, evidence_dir: str) -> str:
    """What to do after ``new``, in the command form of the README (``.venv/bin/jakisynth``)."""
    run = ".venv/bin/jakisynth run" + ("" if evidence_dir == "evidence" else f" --evidence {evidence_dir}")
    return (f"wrote {path}: fill it in from the paper, then `.venv/bin/jakisynth validate {path} "
            f"--sources DIR` (DIR: the directory of source texts) and `{run}`")


@main.command(short_help="Compare two extractions of one paper, field by field.")
@click.argument("a", type=click.Path())
@click.argument("b", type=click.Path())
@click.option("--csv", "csv_file", type=click.Path(), default=None,
              help="Also write the differences as CSV (path, A, B, agreed, note).")
def compare(a: str, b: str, csv_file: str | None) -> None:
    """Compare two extractions of the same paper field by field (dual extraction): one line per
    difference, `path: A value | B value`. Exit 0 when they agree, 1 when they differ."""
    sys.exit(compare_command(a, b, csv_file))


def compare_command(a: str, b: str, csv_file: str | None) -> int:
    from pathlib import Path

    from .errors import EvidenceError
    from .evidence.compare import compare_extractions, differences_csv
    from .evidence.yamlio import load_yaml

    try:
        loaded_a, loaded_b = load_yaml(a), load_yaml(b)
    except EvidenceError as err:
        _refuse(err)
    differences = compare_extractions(loaded_a, loaded_b)
    for d in differences:
        click.echo(str(d))
    if csv_file:
        Path(csv_file).write_text(differences_csv(differences, str(a), str(b)),
                                  encoding="utf-8")
    click.echo(f"{len(differences)} difference(s) between {a} and {b}" if differences
               else f"{a} and {b} agree", err=True)
    return 1 if differences else 0


@main.command(short_help="List the drug, condition and scenario ids and labels.")
def vocab() -> None:
    """List the drug, condition and scenario ids with their labels (and the subgroup labels)."""
    click.echo(vocab_text())


def vocab_text() -> str:
    from .evidence import vocab as v

    lines = ["Drugs (id: name, class, ATC):"]
    lines += [f"  {d.id}: {d.name}, {d.drug_class}, {d.atc or '-'}" for d in v.DRUGS.values()]
    lines.append("Conditions (id: label, condition group):")
    lines += [f"  {c.id}: {c.label}, {c.group}" for c in v.CONDITIONS.values()]
    lines.append("Scenarios (id: label):")
    lines += [f"  {key}: {label}" for key, label in v.SCENARIOS.items()]
    lines.append("Condition groups (id: label; the values of subgroups by condition):")
    lines += [f"  {key}: {label}" for key, label in v.CONDITION_GROUPS.items()]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    main()
