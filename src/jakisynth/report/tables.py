"""Every table a run writes, as (title, tidy DataFrame) pairs; formatting only, no statistics.

Stage "tables" (after pooling). Names are the output file stems under ``outputs/tables/``.
"""

from __future__ import annotations

from ..evidence.series import NOT_REPORTED, as_series
from ..evidence.series import block_value as _value
from ..synthesis.analysis import PlanResults
from ..synthesis.constructs import constructs_table, directness_table
from ..synthesis.decision import robustness_panel, threshold_probabilities
from ..synthesis.harms import harms_table
from ..synthesis.prior_therapy import (
    agents_per_patient,
    concomitant_long,
    prior_therapy_long,
    prior_therapy_table,
)


def build_tables(results: PlanResults, studies: dict[str, dict], sof=None) -> dict:
    """Every table; ``sof`` (a certainty.SummaryOfFindings) comes first when given."""
    tables = {}
    if sof is not None:
        tables["summary_of_findings"] = ("Summary of findings (GRADE)", sof.to_frame())
    tables.update({
        "pooled_analyses": ("Pooled analyses", pooled_analyses_table(results)),
        "threshold_probabilities": ("Probabilities above the decision thresholds (Bayesian analyses)",
                                    threshold_probabilities(results).to_frame()),
        "robustness": ("Robustness of the primary outcome to the model", robustness_panel(results).to_frame()),
        "directness": ("Directness of each series to the question", directness_table(results.plan, studies)),
        "outcome_constructs": ("Outcome constructs: definition, time point, assessor, co-interventions",
                               constructs_table(results.plan, studies)),
        "study_characteristics": ("Study characteristics", study_characteristics_table(studies, results)),
        "prior_therapy": ("Prior therapies by series", prior_therapy_table(studies)),
        "prior_therapy_long": ("Prior therapies (tidy)", prior_therapy_long(studies)),
        "prior_agents_per_patient": ("Number of prior agents per patient", agents_per_patient(studies)),
        "concomitant_therapy": ("Concomitant (co- or rescue) therapies, not prior therapies",
                                concomitant_long(studies)),
        "risk_of_bias": ("Risk of bias (JBI checklist for case series)", risk_of_bias_table(studies)),
        "harms": ("Harms by series (not reported is not zero)", harms_table(results.harms)),
    })
    for sid, sg in results.subgroups:
        frame = sg.to_frame()
        frame["Q_between"] = sg.Q_between
        frame["df"] = sg.df
        frame["p_between"] = sg.p_value
        tables[f"subgroups_{sid}"] = (f"Subgroups by {sg.variable}", frame)
    if results.leave_one_out is not None:
        tables["leave_one_out"] = ("Leave-one-out (primary model)", results.leave_one_out.to_frame())
    if results.cumulative is not None:
        tables["cumulative"] = ("Cumulative meta-analysis by publication date",
                                results.cumulative.to_frame())
    return tables


def pooled_analyses_table(results: PlanResults):
    import pandas as pd

    rows = []
    for a in results.analyses:
        d = a.result.to_dict()
        rows.append({
            "analysis": a.spec.id, "role": a.spec.role, "label": a.spec.label, "unit": a.spec.unit,
            "method": d["method"], "transform": d["transform"],  # what was fitted
            "tau2_method": d["tau2_method"], "ci_method": d["ci_method"], "k": d["k"],
            "events": sum(r.events for r in a.rows), "total": sum(r.total for r in a.rows),
            "estimate": d["estimate"], "ci_lower": d["ci_lower"], "ci_upper": d["ci_upper"],
            "pi_lower": d["pi_lower"], "pi_upper": d["pi_upper"], "tau2": d["tau2"],
            "tau2_ci_lower": d["tau2_ci_lower"], "tau2_ci_upper": d["tau2_ci_upper"],
            "I2": d["I2"], "Q": d["Q"], "Q_pvalue": d["Q_pvalue"],
            "warnings": len(d["warnings"]), "r_call": a.r_call()})
    return pd.DataFrame(rows)


def _statistic(block) -> str:
    if not isinstance(block, dict):
        return str(_value(block))
    kind = block.get("statistic")
    unit = f" {block['unit']}" if block.get("unit") not in (None, NOT_REPORTED) else ""
    if kind == "mean_sd":
        return f"mean {block.get('value')} (SD {block.get('sd')}){unit}"
    if kind in ("median_range", "median_iqr"):
        what = "range" if kind == "median_range" else "IQR"
        return f"median {block.get('value')} ({what} {block.get('lower')}-{block.get('upper')}){unit}"
    if kind == "range":
        return f"{block.get('lower')}-{block.get('upper')}{unit}"
    return f"{kind} {block.get('value')}{unit}" if kind else str(_value(block))


def study_characteristics_table(studies: dict[str, dict], results: PlanResults):
    """One row per series: source, design, setting, population, intervention, pooled result."""
    import pandas as pd

    pooled = {r.study: r for r in results.primary.rows}
    rows = []
    views = {sid: as_series(sid, s) for sid, s in studies.items()}
    for sid in sorted(views, key=lambda s: (views[s].publication_date, s)):
        view = views[sid]
        s = view.data
        design = s.get("design", {})
        population = s.get("population", {})
        period = design.get("enrolment_period")
        if isinstance(period, dict):
            period = f"{period.get('start', '?')} to {period.get('end', '?')}"
        countries = _value(design.get("countries"), "values")
        conditions = population.get("conditions")
        if isinstance(conditions, list):
            conditions = "; ".join(f"{c.get('label', c.get('term'))} ({c.get('count')})"
                                   for c in conditions if isinstance(c, dict))
        sex = population.get("sex")
        sex_text = (f"{_value(sex, 'male')} male, {_value(sex, 'female')} female"
                    if isinstance(sex, dict) else str(_value(sex)))
        doses = s.get("intervention", {}).get("doses")
        if isinstance(doses, list):
            doses = "; ".join(f"{d.get('label')} ({d.get('count')}/{d.get('total')})"
                              for d in doses if isinstance(d, dict))
        row = pooled.get(sid)
        rows.append({
            "study": view.label, "study_id": sid,
            "source": view.citation.get("source", {}).get("kind", NOT_REPORTED),
            "publication_date": view.citation.get("publication_date"),
            "design": design.get("type", NOT_REPORTED),
            "data_collection": design.get("data_collection", NOT_REPORTED),
            "setting": _value(design.get("setting"), "text"),
            "centres": _value(design.get("centres")),
            "countries": ", ".join(countries) if isinstance(countries, list) else countries,
            "enrolment_period": period if period else NOT_REPORTED,
            "n": _value(population.get("n")),
            "conditions": conditions if conditions else NOT_REPORTED,
            "age": _statistic(population.get("age", NOT_REPORTED)),
            "sex": sex_text,
            "drug": s.get("intervention", {}).get("drug", NOT_REPORTED),
            "doses": doses if doses else NOT_REPORTED,
            "duration": _statistic(s.get("intervention", {}).get("duration", NOT_REPORTED)),
            "pooled_outcome": f"{row.outcome} ({row.scope})" if row else "-",
            "events_total": f"{row.events}/{row.total}" if row else "-",
        })
    return pd.DataFrame(rows)


def risk_of_bias_table(studies: dict[str, dict]):
    """Tidy: one row per study and JBI item with the judgement and its reason, then overall."""
    import pandas as pd

    rows = []
    for sid in sorted(studies):
        rob = studies[sid].get("risk_of_bias")
        if not isinstance(rob, dict):
            continue
        label = as_series(sid, studies[sid]).label
        for item in rob.get("items", []):
            rows.append({"study": label, "item": item.get("item"), "question": item.get("question"),
                         "judgement": item.get("judgement"), "reason": item.get("reason")})
        overall = rob.get("overall", {})
        rows.append({"study": label, "item": "overall", "question": "Overall risk of bias",
                     "judgement": overall.get("judgement"), "reason": overall.get("reason")})
    return pd.DataFrame(rows, columns=["study", "item", "question", "judgement", "reason"])
