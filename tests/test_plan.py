"""The analysis plan: schema and cross-checks against the extractions, one problem per line."""

import shutil
from pathlib import Path

import pytest

from jakisynth.errors import EvidenceError
from jakisynth.plan import load_plan
from jakisynth.validate import load_evidence

EVIDENCE = Path(__file__).resolve().parent.parent / "evidence"


@pytest.fixture()
def evidence(tmp_path):
    target = tmp_path / "evidence"
    shutil.copytree(EVIDENCE, target)
    return target


def problems_for(evidence, old, new):
    plan = evidence / "analysis.yaml"
    text = plan.read_text()
    assert old in text
    plan.write_text(text.replace(old, new, 1))
    studies = load_evidence(evidence)
    with pytest.raises(EvidenceError) as err:
        load_plan(evidence, studies)
    return [str(p) for p in err.value.problems]


def test_the_seed_plan_is_valid():
    studies = load_evidence(EVIDENCE)
    plan = load_plan(EVIDENCE, studies)
    assert plan.primary.id == "primary" and plan.primary.model["tau2"] == "REML"
    choices = {c.study: (c.outcome, c.scope) for c in plan.primary.series}
    assert choices == {"beckett2024": ("cutaneous_improvement", "all"),
                       "liu2024": ("remission", "all"), "wang2023": ("response", "all")}
    assert [c.study for c in plan.sensitivity[-2].series] == ["liu2024", "wang2023"]


@pytest.mark.parametrize("old,new,expected", [
    ("    outcome: cutaneous_improvement", "    outcome: skin_response",
     "series[0].outcome: beckett2024 has no outcome 'skin_response'"),
    ("  model: {method: inverse, transform: logit, tau2: REML, ci: z}\n  reason",
     "  model: {method: inverse, transform: logit, tau2: RMEL, ci: z}\n  reason",
     "primary.model.tau2: the text 'RMEL' is not one of"),
    ("leave_one_out: true", "leave_one_out: true\nleave_one_uot: true",
     "leave_one_uot: unknown field"),
    ("  - id: glmm\n", "  - id: hartung_knapp\n", "analysis id 'hartung_knapp' is used twice"),
    ("    exclude: [beckett2024]", "    exclude: [becket2024]", "no extraction with study_id 'becket2024'"),
    ("row_order: publication_date", "row_order: [liu2024, wang2023]",
     "row_order: an explicit row order must list every series exactly once"),
])
def test_bad_plans_name_file_line_and_field(evidence, old, new, expected):
    lines = problems_for(evidence, old, new)
    assert len(lines) == 1, lines
    assert expected in lines[0]
    assert lines[0].startswith(str(evidence / "analysis.yaml") + ":")


def test_an_unlisted_series_without_the_plan_outcome_is_named(evidence):
    lines = problems_for(evidence, "  - study: wang2023\n    outcome: response\n    scope: all\n",
                         "  - study: liu2024\n    outcome: remission\n    scope: all\n")
    assert any("wang2023 is not listed and has no outcome 'remission'" in line for line in lines)


def test_validate_command_checks_the_plan_too(evidence):
    """`jakisynth validate` (a directory or the plan file) reports the plan's problems, the same
    ones `jakisynth run` refuses, one line each, exit 1; writes nothing."""
    from click.testing import CliRunner

    from jakisynth.cli import main

    ok = CliRunner().invoke(main, ["validate", str(evidence)])
    assert ok.exit_code == 0 and "and the analysis plan (analysis.yaml)" in ok.output
    plan = evidence / "analysis.yaml"
    plan.write_text(plan.read_text() + "primary:\n  bogus: 1\n")
    before = {p.name: p.read_bytes() for p in evidence.iterdir() if p.is_file()}
    for target in (evidence, plan):  # the plan file alone is checked with its directory
        result = CliRunner().invoke(main, ["validate", str(target)])
        assert result.exit_code == 1
        lines = [line for line in result.output.splitlines() if line.startswith(str(plan))]
        assert len(lines) == 1 and "primary: duplicate key 'primary' (first on line" in lines[0]
        assert "Traceback" not in result.output
    assert {p.name: p.read_bytes() for p in evidence.iterdir() if p.is_file()} == before


BAYES = ('  - id: bayes\n    label: "Bayesian random effects"\n'
         '    model: {method: bayes, tau_prior: "halfnormal(1)"}\n')


def test_a_bayesian_analysis_is_loaded_with_its_defaults_and_run(evidence):
    from jakisynth.analysis import run_plan

    plan_file = evidence / "analysis.yaml"
    plan_file.write_text(plan_file.read_text().replace("  - id: glmm\n", BAYES + "  - id: glmm\n", 1))
    studies = load_evidence(evidence)
    plan = load_plan(evidence, studies)
    spec = next(a for a in plan.analyses if a.id == "bayes")
    assert spec.model == {"method": "bayes", "tau_prior": "halfnormal(1)",
                          "mu_prior": "normal(0, 10)"}
    results = run_plan(plan, {k: v.data for k, v in studies.items()})
    bayes = next(a for a in results.analyses if a.spec.id == "bayes")
    assert bayes.result.method == "bayes" and bayes.result.tau_prior == "halfnormal(1)"
    assert "prior(normal(0, 1), class = sd)" in bayes.r_call()


@pytest.mark.parametrize("model,expected", [
    ('{method: bayes, tau_prior: "halfnormal(-1)"}',
     "sensitivity[0].model.tau_prior: expected 'halfnormal(s)' or 'halfcauchy(s)'"),
    ('{method: bayes, mu_prior: "cauchy(0, 1)"}',
     "sensitivity[0].model.mu_prior: expected 'normal(m, s)'"),
    ("{method: bayes, tau2: DL}", "sensitivity[0].model.tau2: tau2 is not used by method bayes"),
    ("{method: bayes, transform: ft}", "sensitivity[0].model.transform: the Bayesian"),
    ('{method: inverse, tau_prior: "halfnormal(1)"}',
     "sensitivity[0].model.tau_prior: tau_prior is used by method bayes only"),
    ("{method: mcmc}", "sensitivity[0].model.method: the text 'mcmc' is not one of"),
])
def test_bad_bayesian_models_are_named(evidence, model, expected):
    lines = problems_for(evidence, "    model: {method: glmm}\n", f"    model: {model}\n")
    assert len(lines) == 1, lines
    assert expected in lines[0]
