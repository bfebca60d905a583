"""Plan feasibility: the rules on counts that every fit of the plan needs (validate and run)."""

from types import SimpleNamespace

import pytest

from jakisynth.evidence.plan import AnalysisSpec, SeriesChoice, model_with_defaults
from jakisynth.synthesis.feasibility import _glmm_infeasible, feasibility_problems


def _study(sid, events, total, date="2024-01-01"):
    return {"study_id": sid, "citation": {"authors": [sid.title()], "year": 2024,
                                          "publication_date": date},
            "intervention": {"drug": "tofacitinib"}, "population": {"conditions": []},
            "outcomes": [{"id": "remission", "results": [{"scope": "all", "events": events,
                                                            "total": total}]}]}


def _plan(*analyses, subgroups=(), loo=False, cumulative=False):
    def spec(aid, model, exclude=(), role="sensitivity"):
        series = tuple(SeriesChoice(s, "remission", "all", "r") for s in ("a2024", "b2024")
                       if s not in exclude)
        model = model_with_defaults({"method": "inverse", **model})  # as the plan builds it
        return AnalysisSpec(aid, aid, model, "series", series, "", role, exclude)
    specs = [spec(*a) for a in analyses]
    specs[0] = AnalysisSpec(*[getattr(specs[0], f) for f in ("id", "label", "model", "unit", "series",
                                                             "reason")], "primary", specs[0].exclude)
    return SimpleNamespace(file="/nonexistent/analysis.yaml", analyses=tuple(specs), primary=specs[0],
                           subgroups=tuple(subgroups), leave_one_out=loo, cumulative=cumulative,
                           row_order="study_id")


STUDIES = {"a2024": _study("a2024", 5, 5), "b2024": _study("b2024", 3, 4, "2023-01-01")}


@pytest.mark.parametrize("analysis, message", [
    (("x", {}, ("a2024", "b2024")), "every series is excluded"),
    (("x", {"ci": "hk"}, ("a2024",)), "Hartung-Knapp needs at least 2 series, this analysis has 1"),
    (("x", {"method": "glmm", "ci": "hk"}), "the GLMM gives Wald (z) intervals only"),
    (("x", {"method": "glmm"}, ("b2024",)), "every series has all patients with the event"),
])
def test_each_rule_names_the_analysis(analysis, message):
    problems = feasibility_problems(_plan(("p", {}), analysis), STUDIES)
    assert len(problems) == 1 and message in problems[0].message
    assert problems[0].message.startswith("analysis 'x'")


def test_a_feasible_plan_has_no_problem():
    plan = _plan(("p", {}), ("g", {"method": "glmm"}), ("h", {"ci": "hk"}), loo=True, cumulative=True)
    assert feasibility_problems(plan, STUDIES) == []


def test_the_primary_glmm_is_checked_on_every_subset_it_is_refitted_on():
    plan = _plan(("p", {"method": "glmm"}), loo=True, cumulative=True)
    messages = [p.message for p in feasibility_problems(plan, STUDIES)]
    assert any(m.startswith("leaving out B2024 2024") for m in messages)  # leaves a2024 alone: 5/5
    # cumulative by publication date: b2024 (3/4) first, then both: feasible
    assert not any("cumulative" in m for m in messages)


def test_glmm_rules_on_counts():
    assert _glmm_infeasible([(5, 5), (4, 4)]) and _glmm_infeasible([(0, 5), (0, 4)])
    assert _glmm_infeasible([(0, 5), (4, 4)]) is None  # tau2 unbounded: a caveat of the fit
    assert _glmm_infeasible([(3, 5)]) is None
