"""Threshold probabilities (synthesis/decision.py): the table, its values, and the report text."""

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from jakisynth import pool_proportions
from jakisynth.evidence.plan import AnalysisSpec, load_plan
from jakisynth.evidence.validate import load_evidence
from jakisynth.report.tables import build_tables
from jakisynth.stats import format as fmt
from jakisynth.synthesis.analysis import AnalysisResult, PlanResults, run_plan
from jakisynth.synthesis.decision import threshold_probabilities

from tolerances import TOLERANCES

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = json.loads((Path(__file__).parent / "data/bayes_bruteforce.json").read_text())
COLUMNS = ["analysis", "label", "threshold", "threshold_label", "p_pooled_above",
           "p_new_series_above"]
THRESHOLDS = ({"value": 0.5, "label": "at least half"}, {"value": 0.8, "label": "at least 80%"})


def _analysis(aid, result, role="sensitivity"):
    return AnalysisResult(AnalysisSpec(aid, f"label {aid}", {}, "series", (), role=role), (), result)


def _results(analyses, thresholds=THRESHOLDS):
    plan = SimpleNamespace(decision_thresholds=thresholds)
    return PlanResults(plan, tuple(analyses), (), None, None)


def _fit(case, method="bayes", **kw):
    if method == "bayes":
        kw.update(tau_prior=case["tau_prior"], mu_prior=case["mu_prior"])
    return pool_proportions(case["events"], case["totals"], method=method, **kw)


@pytest.fixture(scope="module")
def seed_results():
    loaded = load_evidence(ROOT / "evidence")
    studies = {sid: item.data for sid, item in loaded.items()}
    return run_plan(load_plan(ROOT / "evidence", loaded), studies), studies


def test_probabilities_agree_with_the_independent_brute_force():
    """Two Bayesian analyses (the brute-force reference cases 'seeds' and 'seeds_halfnormal1',
    tests/data/bayes_bruteforce.json), a non-Bayesian one in between (skipped)."""
    a, b = REFERENCE["cases"]["seeds"], REFERENCE["cases"]["seeds_halfnormal1"]
    results = _results([_analysis("primary", _fit(a), "primary"),
                        _analysis("reml", _fit(a, method="inverse")),
                        _analysis("hn1", _fit(b))])
    frame = threshold_probabilities(results).to_frame()
    assert list(frame.columns) == COLUMNS
    assert list(frame["analysis"]) == ["primary", "primary", "hn1", "hn1"]
    assert list(frame["threshold"]) == [0.5, 0.8, 0.5, 0.8]
    assert list(frame["threshold_label"]) == ["at least half", "at least 80%"] * 2
    for row in frame.to_dict(orient="records"):
        case = a if row["analysis"] == "primary" else b
        ref = case["brute_force"]
        key = str(row["threshold"])
        assert abs(row["p_pooled_above"] - ref["probability_above"][key]) <= TOLERANCES["bayes_abs"]
        assert (abs(row["p_new_series_above"] - ref["predictive_probability_above"][key])
                <= TOLERANCES["bayes_abs"])
    # seeds case: P(pooled > 80%) = 0.9792, P(new series > 80%) = 0.9461 (brute force)
    assert abs(frame["p_pooled_above"][1] - 0.9792) < 1e-4
    assert abs(frame["p_new_series_above"][1] - 0.9461) < 1e-4


def test_no_bayesian_analysis_or_no_threshold_gives_an_empty_table():
    case = REFERENCE["cases"]["seeds"]
    assert threshold_probabilities(_results([_analysis("x", _fit(case, "inverse"))])).rows == ()
    empty = threshold_probabilities(_results([_analysis("x", _fit(case))], thresholds=()))
    assert empty.to_frame().empty and list(empty.to_frame().columns) == COLUMNS


def test_the_seed_table_is_the_results_own_methods(seed_results):
    results, studies = seed_results
    frame = build_tables(results, studies)["threshold_probabilities"][1]
    bayes = [a for a in results.analyses if a.result.method == "bayes"]
    thresholds = [t["value"] for t in results.plan.decision_thresholds]
    assert thresholds == [0.5, 0.8]
    assert len(frame) == len(bayes) * len(thresholds) and len(bayes) >= 3
    assert frame["analysis"].iloc[0] == results.primary.spec.id  # primary first
    by_id = {a.spec.id: a for a in bayes}
    for row in frame.to_dict(orient="records"):
        result = by_id[row["analysis"]].result
        assert row["p_pooled_above"] == result.probability_above(row["threshold"])
        assert row["p_new_series_above"] == result.predictive_probability_above(row["threshold"])
        assert 0.0 < row["p_new_series_above"] < 1.0
        # a new series is more uncertain than the pooled proportion: closer to 1/2 here
        assert row["p_new_series_above"] < row["p_pooled_above"]


def test_the_report_states_the_primary_probabilities(seed_results, tmp_path):
    from jakisynth.report.html import render_report

    results, studies = seed_results
    tables = {name: frame for name, (_, frame) in build_tables(results, studies).items()}
    html = render_report(plan_results=results, studies=studies, tables=tables, figures={},
                         consistency=None, evidence_version="x", software={})
    primary = results.primary.result
    p80, q80 = primary.probability_above(0.8), primary.predictive_probability_above(0.8)
    sentence = (f"exceeds 80% is {fmt.probability(p80)}; for a new series "
                f"{fmt.probability(q80)}.")
    assert sentence in html
    # right after the Summary box, before "What was pooled"
    assert html.index("Summary</h2>") < html.index(sentence) < html.index("What was pooled")


@pytest.mark.parametrize("value, text", [(0.9346, "0.93"), (0.8972, "0.90"), (0.9992, "> 0.99"),
                                         (0.996, "> 0.99"), (0.994, "0.99"), (0.004, "< 0.01"),
                                         (0.005, "0.01"), (None, fmt.NA)])
def test_probabilities_are_never_rounded_to_certainty(value, text):
    assert fmt.probability(value) == text
