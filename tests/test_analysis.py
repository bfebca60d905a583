"""Running a plan: rows per series or stratum, exclusions, subgroups, leave-one-out, cumulative."""

import pytest

from jakisynth import pool_proportions
from jakisynth.evidence.plan import AnalysisPlan, AnalysisSpec, SeriesChoice, SubgroupSpec
from jakisynth.evidence.series import Series
from jakisynth.synthesis.analysis import pooled_rows, row_order, run_plan


def study(author, year, date, drug, results, strata=()):
    return {"citation": {"authors": [author], "year": year, "publication_date": date},
            "intervention": {"drug": drug},
            "strata": [{"id": s, "label": s.replace("_", " ")} for s in strata],
            "outcomes": [{"id": "remission", "results": [
                {"scope": scope, "events": e, "total": n} for scope, e, n in results]}]}


STUDIES = {
    "liu2024": study("Liu Q", 2024, "2024-08-29", "tofacitinib",
                     [("all", 47, 53), ("lt", 6, 11), ("sr", 29, 30), ("tf", 12, 12)],
                     strata=("lt", "sr", "tf")),
    "wang2023": study("Wang M", 2023, "2023-12-20", "tofacitinib", [("all", 3, 3)]),
    "beckett2024": study("Beckett M", 2024, "2024-01-19", "upadacitinib", [("all", 9, 10)]),
}
MODEL = {"method": "inverse", "transform": "logit", "tau2": "REML", "ci": "z", "pi_df": "metafor"}
CHOICES = tuple(SeriesChoice(s, "remission", "all", "reported remission") for s in sorted(STUDIES))


def plan(**kw):
    spec = AnalysisSpec("primary", "Primary", MODEL, "series", CHOICES, role="primary")
    args = dict(file="analysis.yaml", title="T", outcome_id="remission", outcome_label="R",
                outcome_definition="D", primary=spec, sensitivity=(), subgroups=(),
                leave_one_out=False, cumulative=False, row_order="publication_date")
    args.update(kw)
    return AnalysisPlan(**args)


def test_rows_follow_publication_date_and_labels():
    order = row_order(plan(), STUDIES)
    assert order == ["wang2023", "beckett2024", "liu2024"]
    rows = pooled_rows(plan().primary, STUDIES, order)
    assert [(r.label, r.events, r.total) for r in rows] == [
        ("Wang 2023", 3, 3), ("Beckett 2024", 9, 10), ("Liu 2024", 47, 53)]
    assert Series("liu2024", STUDIES["liu2024"]).label == "Liu 2024"


def test_primary_equals_pool_proportions_and_r_call():
    res = run_plan(plan(), STUDIES)
    direct = pool_proportions([3, 9, 47], [3, 10, 53])
    assert res.primary.result.estimate == pytest.approx(direct.estimate, rel=1e-14)
    assert res.primary.r_call() == ('rma(measure = "PLO", xi = c(3, 9, 47), ni = c(3, 10, 53), '
                                    'method = "REML", test = "z")')


def test_strata_as_units_and_exclusions():
    strata = AnalysisSpec("strata", "Strata", MODEL, "strata", CHOICES)
    irae = AnalysisSpec("irae", "irAE only", MODEL, "series",
                        tuple(c for c in CHOICES if c.study != "beckett2024"),
                        exclude=("beckett2024",))
    res = run_plan(plan(sensitivity=(strata, irae)), STUDIES)
    rows = res.analyses[1].rows
    assert [(r.label, r.events, r.total) for r in rows] == [
        ("Wang 2023", 3, 3), ("Beckett 2024", 9, 10), ("Liu 2024: lt", 6, 11),
        ("Liu 2024: sr", 29, 30), ("Liu 2024: tf", 12, 12)]
    assert [r.study for r in res.analyses[2].rows] == ["wang2023", "liu2024"]
    assert res.analyses[2].result.k == 2


def test_subgroups_loo_and_cumulative_use_the_primary_model():
    sg = SubgroupSpec("drug", "Drug", "drug", {})
    res = run_plan(plan(subgroups=(sg,), leave_one_out=True, cumulative=True), STUDIES)
    (sid, analysis), = res.subgroups
    assert sid == "drug" and list(analysis.subgroups) == ["tofacitinib", "upadacitinib"]
    assert analysis.subgroups["tofacitinib"].k == 2 and analysis.df == 1
    assert list(res.leave_one_out.to_frame()["omitted"]) == ["Wang 2023", "Beckett 2024", "Liu 2024"]
    assert list(res.cumulative.to_frame()["k"]) == [1, 2, 3]
    d = res.to_dict()
    assert [a["id"] for a in d["analyses"]] == ["primary"]
