"""The outcome-construct and directness tables: how each series' outcome was defined, when and by
whom it was assessed, under which co-interventions, and whether it answers the question.

Stage "tables" (from validated extractions and the plan; no statistics). The authors' definition,
measure and time point come from the extraction (quoted, or "not reported"); the assessor,
co-interventions and the comparability judgement come from the plan (``constructs``), the
directness judgement from the plan (``directness``).
"""

from __future__ import annotations

from ..evidence.plan import AnalysisPlan
from ..evidence.series import NOT_REPORTED, as_series
from .analysis import row_order


def _quoted(block) -> str:
    if not isinstance(block, dict):
        return NOT_REPORTED
    if block.get("text") and block.get("quote"):
        return f"{block['text']} (\"{block['quote']}\", {block.get('location', '')})"
    if block.get("quote"):
        return f"\"{block['quote']}\" ({block.get('location', '')})"
    return str(block.get("text", NOT_REPORTED))


def _extraction_outcome(study: dict, outcome_id: str) -> dict:
    for o in study.get("outcomes", []):
        if o.get("id") == outcome_id:
            return o
    return {}


def constructs_table(plan: AnalysisPlan, studies: dict[str, dict]):
    """One row per series: directness, the result counted for the benefit outcome, the authors'
    definition, measure, time point, assessor, co-interventions and the comparability judgement."""
    import pandas as pd

    constructs = {c.study: c for c in plan.constructs}
    primary = {c.study for c in plan.primary.series}
    position = {sid: i for i, sid in enumerate(row_order(plan, studies))}
    ordered = sorted(plan.choices, key=lambda c: (c.study not in primary, position.get(c.study, 0)))
    rows = []
    for choice in ordered:
        study = studies[choice.study]
        outcome = _extraction_outcome(study, choice.outcome)
        c = constructs.get(choice.study)
        d = plan.directness_of(choice.study)
        rows.append({
            "study": as_series(choice.study, study).label, "study_id": choice.study,
            "directness": d.judgement,
            "analysis": "primary" if choice.study in primary else "indirect (sensitivity only)",
            "result_counted": f"{choice.outcome} ({choice.scope})",
            "authors_definition": _quoted(outcome.get("definition")),
            "measure": _quoted(outcome.get("measure")),
            "time_point": _quoted(outcome.get("assessed")),
            "assessor": c.assessor if c else NOT_REPORTED,
            "cointerventions": c.cointerventions if c else NOT_REPORTED,
            "comparable": c.comparable if c else "not judged",
            "reason": c.reason if c else "not judged in the plan",
            "plan_decision": choice.reason,
        })
    return pd.DataFrame(rows)


def directness_table(plan: AnalysisPlan, studies: dict[str, dict]):
    """One row per series: direct or indirect evidence for the question, with the reason."""
    import pandas as pd

    rows = []
    for sid in sorted(studies):
        d = plan.directness_of(sid)
        rows.append({"study": as_series(sid, studies[sid]).label, "study_id": sid,
                     "directness": d.judgement, "reason": d.reason})
    return pd.DataFrame(rows, columns=["study", "study_id", "directness", "reason"])
