"""GRADE certainty and the summary of findings (issue 10): every domain rule, overrides, wording.

The seed numbers come from tests/data/harms_reference.json (R 4.2.2, metafor 3.8.1)."""

import json
import shutil
from pathlib import Path

import pytest

from jakisynth.evidence.plan import Override, PlanOutcome, load_plan
from jakisynth.evidence.validate import load_evidence
from jakisynth.synthesis.analysis import run_plan
from jakisynth.synthesis.certainty import (
    SOF_COLUMNS,
    OutcomeEvidence,
    SeriesEvidence,
    certainty_level,
    rate_domains,
    rate_imprecision,
    rate_inconsistency,
    rate_indirectness,
    rate_publication_bias,
    rate_risk_of_bias,
    statement,
    summary_of_findings,
)

ROOT = Path(__file__).resolve().parent.parent
REF = json.loads((Path(__file__).parent / "data" / "harms_reference.json").read_text())
OUTCOME = PlanOutcome("remission", "benefit", "Remission of the irAE", min_patients=100)


def _series(*specs):
    return tuple(SeriesEvidence(f"s{i}", f"S{i}", n, rob, direct, comparable, "case_series")
                 for i, (n, rob, direct, comparable) in enumerate(specs))


def _ev(series, ci=(0.85, 0.95), pi=(None, None), i2=None, k=None, thresholds=(0.5, 0.8)):
    k = len(series) if k is None else k
    return OutcomeEvidence(OUTCOME, 0.9, ci[0], ci[1], pi[0], pi[1], series, thresholds,
                           (i2, ci[0], ci[1], pi[0], pi[1], k))


@pytest.mark.parametrize("robs,expected", [
    (("low", "low"), "not serious"),
    (("moderate", "low"), "serious"),  # 60 of 100 patients moderate
    (("low", "moderate"), "not serious"),  # 40 of 100
    (("high", "low"), "very serious"),
    (("high", "moderate"), "very serious"),
])
def test_risk_of_bias_from_jbi_weighted_by_patients(robs, expected):
    series = _series((60, robs[0], "direct", "yes"), (40, robs[1], "direct", "yes"))
    assert rate_risk_of_bias(_ev(series))[0] == expected


@pytest.mark.parametrize("i2,pi,expected", [
    (None, (None, None), "not serious"),  # one series: not assessable
    (0.0, (0.85, 0.95), "not serious"),
    (55.0, (0.85, 0.95), "serious"),
    (10.0, (0.4, 0.97), "serious"),  # the PI crosses 50%, which the CI does not
    (80.0, (0.4, 0.97), "very serious"),
    (10.0, (0.82, 0.97), "not serious"),  # PI = CI region: no threshold beyond the CI
])
def test_inconsistency_i2_and_prediction_interval_beyond_the_ci(i2, pi, expected):
    series = _series((50, "low", "direct", "yes"), (50, "low", "direct", "yes"))
    k = 1 if i2 is None else 2
    assert rate_inconsistency(_ev(series, ci=(0.81, 0.95), pi=pi, i2=i2, k=k), "primary")[0] == expected


def test_inconsistency_does_not_count_imprecision_twice():
    series = _series((50, "low", "direct", "yes"), (50, "low", "direct", "yes"))
    # CI and PI both cross 80%: that is imprecision, not inconsistency
    level, reason = rate_inconsistency(_ev(series, ci=(0.77, 0.95), pi=(0.77, 0.95), i2=0.0), "primary")
    assert level == "not serious" and "no threshold crossed beyond the CI" in reason


@pytest.mark.parametrize("specs,expected", [
    (((90, "direct", "yes"), (10, "direct", "partly")), "not serious"),
    (((40, "direct", "yes"), (60, "direct", "partly")), "serious"),
    (((40, "direct", "yes"), (60, "direct", "no")), "very serious"),
    (((40, "direct", "yes"), (60, "indirect", "yes")), "very serious"),
])
def test_indirectness_from_directness_and_constructs(specs, expected):
    series = _series(*[(n, "low", d, c) for n, d, c in specs])
    assert rate_indirectness(_ev(series))[0] == expected


@pytest.mark.parametrize("ci,n,expected", [
    ((0.85, 0.95), 200, "not serious"),
    ((0.85, 0.95), 56, "serious"),  # too few patients
    ((0.77, 0.95), 200, "serious"),  # crosses 80%
    ((0.77, 0.95), 56, "very serious"),
    ((0.40, 0.95), 200, "very serious"),  # crosses 50% and 80%
])
def test_imprecision_thresholds_and_patients(ci, n, expected):
    assert rate_imprecision(_ev(_series((n, "low", "direct", "yes")), ci=ci))[0] == expected


def test_publication_bias_case_series_and_few_series():
    assert rate_publication_bias(_ev(_series((50, "low", "direct", "yes"))))[0] == "serious"
    cohorts = tuple(s.__class__(**{**s.__dict__, "design": "cohort"})
                    for s in _series((50, "low", "direct", "yes")))
    assert rate_publication_bias(_ev(cohorts))[0] == "not serious"


def test_certainty_starts_low_and_never_falls_below_very_low():
    series = _series((200, "low", "direct", "yes"))
    domains = rate_domains(_ev(series), "primary", ())
    assert certainty_level("low", domains) == "very low"  # publication bias: serious
    assert certainty_level("high", domains) == "moderate"
    worst = rate_domains(_ev(_series((20, "high", "indirect", "no")), ci=(0.3, 0.99)), "primary", ())
    assert sum(d.downgrade for d in worst) >= 6 and certainty_level("high", worst) == "very low"


def test_panel_override_replaces_the_rule_and_keeps_it_visible():
    series = _series((200, "low", "direct", "yes"))
    override = Override("remission", "publication_bias", "not serious", "searched trial registries")
    domains = {d.domain: d for d in rate_domains(_ev(series), "primary", (override,))}
    pub = domains["publication_bias"]
    assert (pub.level, pub.rule_level, pub.overridden) == ("not serious", "serious", True)
    assert "panel override of the rule's 'serious': searched trial registries" in str(pub)
    assert certainty_level("low", domains.values()) == "low"


def test_statements_use_grade_wording():
    ev = _ev(_series((56, "low", "direct", "yes")))
    text = statement("very low", OUTCOME, "JAK inhibitors", "patients with irAEs", ev)
    assert text.startswith("The evidence is very uncertain about the effect of JAK inhibitors on "
                           "remission of the irAE in patients with irAEs")
    assert "may be followed by" in statement("low", OUTCOME, "JAK inhibitors", "patients", ev)
    assert "are probably followed by" in statement("moderate", OUTCOME, "JAK inhibitors", "patients", ev)
    assert statement(None, OUTCOME, "JAK inhibitors", "patients", ev).startswith("No direct evidence")


def _sof(evidence):
    loaded = load_evidence(evidence)
    studies = {sid: item.data for sid, item in loaded.items()}
    return summary_of_findings(run_plan(load_plan(evidence, loaded), studies), studies)


def test_seed_summary_of_findings():
    sof = _sof(ROOT / "evidence")
    frame = sof.to_frame()
    assert list(frame.columns) == SOF_COLUMNS
    assert list(frame.role) == ["benefit", "harm", "harm", "harm"]
    remission, infection, death, stop = sof.findings
    # the primary answers the irAE question with direct evidence only (Liu 47/53, Wang 3/3)
    assert (remission.series, remission.patients) == (2, 56)
    # the benefit's numbers are the primary (Bayesian) analysis's, which tests/test_bayes.py
    # holds to an independent brute-force posterior
    from jakisynth import pool_proportions

    primary = pool_proportions([3, 47], [3, 53], method="bayes")
    assert (remission.estimate, remission.ci_lower, remission.ci_upper, remission.pi_lower,
            remission.pi_upper) == (primary.estimate, primary.ci_lower, primary.ci_upper,
                                    primary.pi_lower, primary.pi_upper)
    levels = {d.domain: d.level for d in remission.domains}
    assert levels == {"risk_of_bias": "serious", "inconsistency": "serious",
                      "indirectness": "not serious", "imprecision": "very serious",
                      "publication_bias": "serious"}
    assert [f.certainty for f in sof.findings] == ["very low", "very low", "very low", None]
    assert (infection.patients, death.patients) == (53, 53)
    assert stop.series == 0 and stop.downgrades == "not rated: no direct evidence"
    assert "Beckett 2024: 1/10" in stop.statement
    assert remission.statement.startswith("The evidence is very uncertain about the effect of "
                                          "JAK inhibitors on remission or response of the irAE")
    json.dumps(sof.to_dict(), allow_nan=False)


def test_a_plan_override_reaches_the_summary(tmp_path):
    evidence = tmp_path / "evidence"
    shutil.copytree(ROOT / "evidence", evidence)
    plan = evidence / "analysis.yaml"
    plan.write_text(plan.read_text().replace("  overrides: []", (
        "  overrides:\n    - {outcome: serious_infection, domain: imprecision, level: serious, "
        "reason: \"panel: 53 patients suffice for a 5-10% question\"}")))
    infection = _sof(evidence).findings[1]
    imprecision = {d.domain: d for d in infection.domains}["imprecision"]
    assert imprecision.level == "serious" and imprecision.rule_level == "very serious"
    assert "panel: 53 patients suffice" in infection.downgrades
