"""Run the analysis plan on the evidence base: rows to pool, pooled results, sensitivity analyses.

Stage "pooling -> result objects" for the evidence base. Input: validated extractions (plain
dicts) and an :class:`~jakisynth.plan.AnalysisPlan`; output: :class:`PlanResults`, which the
tables, plots and report only format. The equivalent R for each analysis is stated by
:meth:`AnalysisResult.r_call`.
"""

from __future__ import annotations

from dataclasses import dataclass

from .plan import AnalysisPlan, AnalysisSpec
from .proportions import pool_proportions
from .results import PooledProportion
from .sensitivity import (Cumulative, LeaveOneOut, SubgroupAnalysis, cumulative, leave_one_out,
                          subgroup_analysis)


@dataclass(frozen=True)
class PooledRow:
    """One row of a pooled analysis: a series (or a stratum of one) with its events/total."""

    study: str  # study id
    label: str  # "Liu 2024" or "Liu 2024: life-threatening"
    events: int
    total: int
    outcome: str
    scope: str
    reason: str
    drug: str
    publication_date: str


@dataclass(frozen=True)
class AnalysisResult:
    spec: AnalysisSpec
    rows: tuple[PooledRow, ...]
    result: PooledProportion

    def r_call(self) -> str:
        """The metafor call that reproduces this analysis (xi/ni are the rows' counts)."""
        m = self.spec.model
        xi = ", ".join(str(r.events) for r in self.rows)
        ni = ", ".join(str(r.total) for r in self.rows)
        if m["method"] == "glmm":
            return f'rma.glmm(measure = "PLO", xi = c({xi}), ni = c({ni}), method = "ML")'
        if m["method"] == "bayes":
            from .priors import parse_mu_prior, parse_tau_prior

            tau, mu = parse_tau_prior(m["tau_prior"]), parse_mu_prior(m["mu_prior"])
            return (f"brms::brm(xi | trials(ni) ~ 1 + (1 | study), family = binomial, "
                    f"data = data.frame(xi = c({xi}), ni = c({ni}), study = seq_along(xi)), "
                    f"prior = c({mu.r_brms()}, {tau.r_brms()}))")
        measure = {"logit": "PLO", "ft": "PFT", "arcsine": "PAS", "log": "PLN", "raw": "PR"}
        test = {"z": "z", "hk": "knha"}[m["ci"]]
        return (f'rma(measure = "{measure[m["transform"]]}", xi = c({xi}), ni = c({ni}), '
                f'method = "{m["tau2"]}", test = "{test}")')

    def to_dict(self) -> dict:
        return {"id": self.spec.id, "label": self.spec.label, "role": self.spec.role,
                "unit": self.spec.unit, "model": dict(self.spec.model),
                "rows": [{"study": r.study, "label": r.label, "events": r.events,
                          "total": r.total, "outcome": r.outcome, "scope": r.scope,
                          "reason": r.reason} for r in self.rows],
                "r_call": self.r_call(), "result": self.result.to_dict()}


@dataclass(frozen=True)
class PlanResults:
    plan: AnalysisPlan
    analyses: tuple[AnalysisResult, ...]
    subgroups: tuple[tuple[str, SubgroupAnalysis], ...]
    leave_one_out: LeaveOneOut | None
    cumulative: Cumulative | None

    @property
    def primary(self) -> AnalysisResult:
        return self.analyses[0]

    def to_dict(self) -> dict:
        return {"analyses": [a.to_dict() for a in self.analyses],
                "subgroups": {sid: s.to_dict() for sid, s in self.subgroups},
                "leave_one_out": None if self.leave_one_out is None else self.leave_one_out.to_dict(),
                "cumulative": None if self.cumulative is None else self.cumulative.to_dict()}


def study_label(study: dict) -> str:
    """'Surname Year' from the first author ("Liu Q" -> "Liu 2024")."""
    authors = study["citation"].get("authors") or ["Anonymous"]
    surname = str(authors[0]).split(" ")[0]
    return f"{surname} {study['citation']['year']}"


def _result(study: dict, outcome: str, scope: str) -> dict:
    for o in study["outcomes"]:
        if o["id"] == outcome:
            for r in o["results"]:
                if r["scope"] == scope:
                    return r
    raise KeyError((outcome, scope))  # excluded by plan.check_plan


def _stratum_label(study: dict, scope: str) -> str:
    for s in study.get("strata") or []:
        if isinstance(s, dict) and s.get("id") == scope:
            return s.get("label", scope)
    return scope


def pooled_rows(spec: AnalysisSpec, studies: dict[str, dict], order: list[str]) -> list[PooledRow]:
    """The rows an analysis pools, in plot order: one per series, or per stratum (unit strata)."""
    choices = {c.study: c for c in spec.series}
    rows = []
    for sid in order:
        if sid not in choices:  # excluded by this analysis
            continue
        c = choices[sid]
        study = studies[sid]
        label = study_label(study)
        scopes = [c.scope]
        if spec.unit == "strata":
            outcome = next(o for o in study["outcomes"] if o["id"] == c.outcome)
            strata = [r["scope"] for r in outcome["results"] if r["scope"] != "all"]
            scopes = strata or [c.scope]
        for scope in scopes:
            r = _result(study, c.outcome, scope)
            row_label = label if scope == "all" else f"{label}: {_stratum_label(study, scope)}"
            rows.append(PooledRow(sid, row_label, int(r["events"]), int(r["total"]), c.outcome,
                                  scope, c.reason, str(study["intervention"]["drug"]),
                                  str(study["citation"]["publication_date"])))
    return rows


def row_order(plan: AnalysisPlan, studies: dict[str, dict]) -> list[str]:
    """Study ids in plot order: as listed, by publication date (then id), or by id."""
    if isinstance(plan.row_order, list):
        return list(plan.row_order)
    if plan.row_order == "publication_date":
        return sorted(studies, key=lambda s: (str(studies[s]["citation"]["publication_date"]), s))
    return sorted(studies)


def default_group(by: str, study: dict, row: PooledRow) -> str:
    """A series' subgroup when the plan gives none: its drug; the vocabulary group of its
    conditions ("mixed" if several); the scenario of its strata ("mixed" if several)."""
    from .vocab import CONDITIONS, SCENARIOS

    if by == "drug":
        return row.drug
    if by == "condition":
        terms = [c.get("term") for c in study["population"].get("conditions") or []]
        found = sorted({CONDITIONS[t].group for t in terms if t in CONDITIONS})
        return found[0] if len(found) == 1 else ("mixed" if found else "not reported")
    scenarios = sorted({s.get("scenario") for s in study.get("strata") or []} - {"not reported"})
    if len(scenarios) == 1:
        return SCENARIOS.get(scenarios[0], scenarios[0])
    return "mixed" if scenarios else "not reported"


def _fit(spec: AnalysisSpec, rows: list[PooledRow], **extra):
    model = {k: v for k, v in spec.model.items()}
    return dict(events=[r.events for r in rows], totals=[r.total for r in rows],
                studies=[r.label for r in rows], **model, **extra)


def run_plan(plan: AnalysisPlan, studies: dict[str, dict]) -> PlanResults:
    """Fit every analysis of the plan (primary first), then subgroups, leave-one-out and the
    cumulative meta-analysis, all with the primary model on the primary rows."""
    order = row_order(plan, studies)
    analyses = []
    for spec in plan.analyses:
        rows = pooled_rows(spec, studies, order)
        analyses.append(AnalysisResult(spec, tuple(rows), pool_proportions(**_fit(spec, rows))))
    primary = analyses[0]
    rows = list(primary.rows)
    subgroups = []
    for sg in plan.subgroups:
        groups = [sg.values.get(r.study) or default_group(sg.by, studies[r.study], r) for r in rows]
        args = _fit(primary.spec, rows)
        subgroups.append((sg.id, subgroup_analysis(args.pop("events"), args.pop("totals"), groups,
                                                   variable=sg.label, **args)))
    loo = None
    if plan.leave_one_out and len(rows) >= 2:
        args = _fit(primary.spec, rows)
        loo = leave_one_out(args.pop("events"), args.pop("totals"), **args)
    cum = None
    if plan.cumulative:
        args = _fit(primary.spec, rows)
        keys = [r.publication_date for r in rows]
        cum = cumulative(args.pop("events"), args.pop("totals"), keys, **args)
    return PlanResults(plan, tuple(analyses), tuple(subgroups), loo, cum)
