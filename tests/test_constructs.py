"""The outcome-construct and directness tables (issue 10)."""

from pathlib import Path

from jakisynth.evidence.plan import load_plan
from jakisynth.evidence.validate import load_evidence
from jakisynth.synthesis.constructs import constructs_table, directness_table

ROOT = Path(__file__).resolve().parent.parent


def _tables():
    loaded = load_evidence(ROOT / "evidence")
    studies = {sid: item.data for sid, item in loaded.items()}
    plan = load_plan(ROOT / "evidence", loaded)
    return constructs_table(plan, studies), directness_table(plan, studies)


def test_constructs_quote_the_extraction_and_judge_comparability():
    constructs, _ = _tables()
    rows = {r["study_id"]: r for r in constructs.to_dict(orient="records")}
    liu, wang, beckett = rows["liu2024"], rows["wang2023"], rows["beckett2024"]
    assert "irAE resolution to grade 1" in liu["authors_definition"]
    assert "cTnT" in liu["measure"] and liu["time_point"] == "not reported"
    assert "abatacept" in liu["cointerventions"] and liu["comparable"] == "yes"
    assert wang["authors_definition"] == "not reported" and wang["comparable"] == "partly"
    assert (beckett["directness"], beckett["analysis"]) == ("indirect", "indirect (sensitivity only)")
    assert beckett["authors_definition"] == "not reported" and beckett["comparable"] == "no"
    # the plan's decisions: any CDASI decrease counts; P1 (stopped upadacitinib) is not improved
    assert beckett["result_counted"] == "cutaneous_improvement_on_upadacitinib (all)"
    assert "any\ndecrease" in beckett["plan_decision"] or "any decrease" in beckett["plan_decision"]
    assert "P1" in beckett["plan_decision"] and "7/8" in beckett["plan_decision"]
    assert list(constructs.columns[:3]) == ["study", "study_id", "directness"]


def test_directness_table_has_a_reason_per_series():
    _, directness = _tables()
    judged = dict(zip(directness.study_id, directness.directness))
    assert judged == {"beckett2024": "indirect", "liu2024": "direct", "wang2023": "direct"}
    assert all(directness.reason.str.len() > 20)
