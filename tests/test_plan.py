"""The analysis plan: schema and cross-checks against the extractions, one problem per line."""

import shutil
from pathlib import Path

import pytest

from jakisynth.errors import EvidenceError
from jakisynth.evidence.plan import load_plan
from jakisynth.evidence.validate import load_evidence

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
    assert plan.primary.id == "primary" and plan.primary.model["method"] == "bayes"
    assert plan.analyses[1].id == "reml_wald" and plan.analyses[1].model["tau2"] == "REML"
    # the primary pools direct evidence only: Beckett (idiopathic myositis) is indirect
    choices = {c.study: (c.outcome, c.scope) for c in plan.primary.series}
    assert choices == {"liu2024": ("remission", "all"), "wang2023": ("response", "all")}
    assert plan.indirect == ("beckett2024",)
    with_indirect = {a.id: {c.study: c.outcome for c in a.series} for a in plan.sensitivity
                     if a.include_indirect}
    assert with_indirect == {
        "with_indirect": {"beckett2024": "cutaneous_improvement_on_upadacitinib",
                          "liu2024": "remission", "wang2023": "response"},
        "with_indirect_continuation": {"beckett2024": "remained_on_treatment",
                                       "liu2024": "remission", "wang2023": "response"}}
    for a in plan.sensitivity:  # every other sensitivity analysis answers the irAE question
        if not a.include_indirect:
            assert [c.study for c in a.series] == ["liu2024", "wang2023"], a.id
    cotherapy = next(a for a in plan.sensitivity if a.id == "cotherapy_attribution")
    assert {c.study: c.outcome for c in cotherapy.series}["liu2024"] == "remission_credited_to_tofacitinib"


@pytest.mark.parametrize("old,new,expected", [
    ("    outcome: cutaneous_improvement_on_upadacitinib", "    outcome: skin_response",
     "series[0].outcome: beckett2024 has no outcome 'skin_response'"),
    ('  model: {method: bayes, tau_prior: "halfnormal(0.5)", mu_prior: "normal(0, 10)"}\n',
     '  model: {method: bayes, tau2: RMEL}\n',
     "primary.model.tau2: the text 'RMEL' is not one of"),
    ("leave_one_out: true", "leave_one_out: true\nleave_one_uot: true",
     "leave_one_uot: unknown field"),
    ("  - id: glmm\n", "  - id: hartung_knapp\n", "analysis id 'hartung_knapp' is used twice"),
    ("    include_indirect: true\n    reason", "    exclude: [becket2024]\n    reason",
     "no extraction with study_id 'becket2024'"),
    ("  - study: wang2023\n    judgement: direct", "  - study: liu2024\n    judgement: direct",
     "directness[1].study: liu2024 is judged twice"),
    ("    judgement: indirect", "    judgement: indirekt", "directness[2].judgement"),
    ("    comparable: partly", "    comparable: maybe", "constructs[1].comparable"),
    ("  outcomes:\n    - id: remission\n      role: benefit",
     "  outcomes:\n    - id: remision\n      role: benefit",
     "the question needs exactly one benefit outcome"),
    ("  overrides: []", "  overrides:\n    - {outcome: survival, domain: imprecision, level: serious, reason: x}",
     "certainty.overrides[0].outcome: no outcome 'survival' in the question"),
    ("  overrides: []", "  overrides:\n    - {outcome: remission, domain: bias, level: serious, reason: x}",
     "certainty.overrides[0].domain"),
    ("  reason: >-\n    Pools the direct evidence only", "  include_indirect: true\n  reason: >-\n    Pools the direct evidence only",
     "the primary analysis pools direct evidence only"),
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


def test_every_series_judged_indirect_is_refused(evidence):
    plan = evidence / "analysis.yaml"
    plan.write_text(plan.read_text().replace("judgement: direct", "judgement: indirect"))
    with pytest.raises(EvidenceError) as err:
        load_plan(evidence, load_evidence(evidence))
    assert any("no series is direct evidence" in str(p) for p in err.value.problems)


def test_question_outcomes_thresholds_and_directness_are_typed():
    plan = load_plan(EVIDENCE, load_evidence(EVIDENCE))
    q = plan.question
    assert [(o.id, o.role) for o in q.outcomes] == [
        ("remission", "benefit"), ("serious_infection", "harm"), ("death_from_infection", "harm"),
        ("discontinuation_adverse_event", "harm")]
    assert "checkpoint inhibitors" in q.population and q.comparator.startswith("None")
    assert plan.outcome("serious_infection").extraction_outcome == "infection"
    assert [t["value"] for t in plan.thresholds_for("remission")] == [0.5, 0.8]
    assert [t["value"] for t in plan.thresholds_for("serious_infection")] == [0.05, 0.10]
    assert plan.directness_of("beckett2024").judgement == "indirect"
    assert "never mentions cancer" in plan.directness_of("beckett2024").reason
    assert plan.certainty_start == "low"


def test_a_series_the_plan_does_not_judge_counts_as_direct_and_says_so():
    from jakisynth.evidence.plan import NOT_JUDGED

    plan = load_plan(EVIDENCE, load_evidence(EVIDENCE))
    assert plan.directness_of("smith2025").judgement == "direct"
    assert plan.directness_of("smith2025").reason == NOT_JUDGED
BAYES = ('  - id: bayes\n    label: "Bayesian random effects"\n'
         '    model: {method: bayes, tau_prior: "halfnormal(1)"}\n')


def test_a_bayesian_analysis_is_loaded_with_its_defaults_and_run(evidence):
    from jakisynth.synthesis.analysis import run_plan

    plan_file = evidence / "analysis.yaml"
    plan_file.write_text(plan_file.read_text().replace("  - id: glmm\n", BAYES + "  - id: glmm\n", 1))
    studies = load_evidence(evidence)
    plan = load_plan(evidence, studies)
    spec = next(a for a in plan.analyses if a.id == "bayes")
    assert spec.model == {"method": "bayes", "tau_prior": "halfnormal(1)"}  # as the plan says
    results = run_plan(plan, {k: v.data for k, v in studies.items()})
    bayes = next(a for a in results.analyses if a.spec.id == "bayes")
    assert bayes.result.method == "bayes" and bayes.result.tau_prior == "halfnormal(1)"
    assert bayes.result.mu_prior == "normal(0, 10)"  # the engine's default fills the rest
    assert "prior(normal(0, 1), class = sd)" in bayes.r_call()


@pytest.mark.parametrize("model,expected", [
    ('{method: bayes, tau_prior: "halfnormal(-1)"}',
     "sensitivity[3].model.tau_prior: analysis 'glmm': expected 'halfnormal(s)' or 'halfcauchy(s)'"),
    ('{method: bayes, mu_prior: "cauchy(0, 1)"}',
     "sensitivity[3].model.mu_prior: analysis 'glmm': expected 'normal(m, s)'"),
    ("{method: bayes, tau2: DL}",
     "sensitivity[3].model.tau2: analysis 'glmm': method='bayes' does not use tau2"),
    ("{method: bayes, transform: ft}",
     "sensitivity[3].model.transform: analysis 'glmm': the Bayesian model is binomial-normal"),
    ('{method: inverse, tau_prior: "halfnormal(1)"}',
     "sensitivity[3].model.tau_prior: analysis 'glmm': method='inverse' does not use tau_prior"),
    ("{method: mcmc}", "sensitivity[3].model.method: the text 'mcmc' is not one of"),
])
def test_bad_bayesian_models_are_named(evidence, model, expected):
    """What `jakisynth validate` reports for the plan (the engine's own option checker)."""
    from jakisynth.synthesis.feasibility import plan_problems

    plan = evidence / "analysis.yaml"
    text = plan.read_text()
    assert "    model: {method: glmm}\n" in text
    plan.write_text(text.replace("    model: {method: glmm}\n", f"    model: {model}\n", 1))
    lines = [str(p) for p in plan_problems(evidence, load_evidence(evidence))]
    assert len(lines) == 1, lines
    assert expected in lines[0]
