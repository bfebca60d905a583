"""Run the analysis plan on the evidence base: rows to pool, pooled results, sensitivity analyses.

Stage "pooling -> result objects" for the evidence base. Input: validated extractions (plain
dicts) and an :class:`~jakisynth.evidence.plan.AnalysisPlan`; output: :class:`PlanResults`, which the
tables, plots and report only format. The equivalent R for each analysis is stated by
:meth:`AnalysisResult.r_call`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

from ..errors import JakisynthWarning
from ..evidence.plan import AnalysisPlan, AnalysisSpec
from ..evidence.series import NOT_REPORTED, as_series
from ..stats.proportions import fit_proportions
from ..stats.results import PooledProportion
from ..stats.sensitivity import (
    Cumulative,
    LeaveOneOut,
    SubgroupAnalysis,
    cumulative,
    leave_one_out,
    subgroup_analysis,
)


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
        return self.result.r_call()

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
    harms: tuple = ()  # harms.HarmResult per harm outcome of the question

    @property
    def primary(self) -> AnalysisResult:
        return self.analyses[0]

    def to_dict(self) -> dict:
        return {"analyses": [a.to_dict() for a in self.analyses],
                "subgroups": {sid: s.to_dict() for sid, s in self.subgroups},
                "leave_one_out": None if self.leave_one_out is None else self.leave_one_out.to_dict(),
                "cumulative": None if self.cumulative is None else self.cumulative.to_dict(),
                "harms": [h.to_dict() for h in self.harms]}


def pooled_rows(spec: AnalysisSpec, studies: dict[str, dict], order: list[str]) -> list[PooledRow]:
    """The rows an analysis pools, in plot order: one per series, or per stratum (unit strata)."""
    choices = {c.study: c for c in spec.series}
    rows = []
    for sid in order:
        if sid not in choices:  # excluded by this analysis
            continue
        c = choices[sid]
        series = as_series(sid, studies[sid])
        scopes = [c.scope]
        if spec.unit == "strata":
            scopes = series.strata_scopes(c.outcome) or [c.scope]
        for scope in scopes:
            r = series.result(c.outcome, scope)
            row_label = (series.label if scope == "all"
                         else f"{series.label}: {series.stratum_label(scope)}")
            rows.append(PooledRow(sid, row_label, int(r["events"]), int(r["total"]), c.outcome,
                                  scope, c.reason, series.drug, series.publication_date))
    return rows


def row_order(plan: AnalysisPlan, studies: dict[str, dict]) -> list[str]:
    """Study ids in plot order: as listed, by publication date (then id), or by id."""
    if isinstance(plan.row_order, list):
        return list(plan.row_order)
    if plan.row_order == "publication_date":
        return sorted(studies, key=lambda s: (as_series(s, studies[s]).publication_date, s))
    return sorted(studies)


def default_group(by: str, study: dict, row: PooledRow) -> str:
    """A series' subgroup when the plan gives none: its drug; the vocabulary group of its
    conditions ("mixed" if several); the scenario of its strata ("mixed" if several)."""
    from ..evidence.vocab import CONDITIONS, SCENARIOS

    if by == "drug":
        return row.drug
    if by == "condition":
        terms = [c.get("term") for c in study["population"].get("conditions") or []]
        found = sorted({CONDITIONS[t].group for t in terms if t in CONDITIONS})
        return found[0] if len(found) == 1 else ("mixed" if found else NOT_REPORTED)
    scenarios = sorted({s.get("scenario") for s in study.get("strata") or []} - {NOT_REPORTED})
    if len(scenarios) == 1:
        return SCENARIOS.get(scenarios[0], scenarios[0])
    return "mixed" if scenarios else NOT_REPORTED


def subgroup_labels(sg, rows: list[PooledRow], studies: dict[str, dict]) -> list[str]:
    """The subgroup of each row: the plan's value, else :func:`default_group`; rows whose values
    name the same vocabulary entry (``vocab.subgroup_id``) share one group, labelled as the plan
    first writes it, so that two spellings of one group cannot split it."""
    from ..evidence.vocab import subgroup_id

    labels: dict[str, str] = {}
    out = []
    for r in rows:
        value = sg.values.get(r.study) or default_group(sg.by, studies[r.study], r)
        key = subgroup_id(sg.by, value) or value
        out.append(labels.setdefault(key, value))
    return out


def _fit(spec: AnalysisSpec, rows: list[PooledRow], **extra):
    model = {k: v for k, v in spec.model.items()}
    return dict(events=[r.events for r in rows], totals=[r.total for r in rows],
                studies=[r.label for r in rows], **model, **extra)


def run_plan(plan: AnalysisPlan, studies: dict[str, dict]) -> PlanResults:
    """Fit every analysis of the plan (primary first), then subgroups, leave-one-out and the
    cumulative meta-analysis, all with the primary model on the primary rows.

    Every caveat stays in its result (and so in results.json, the figures and the report); the
    sensitivity functions' JakisynthWarnings are therefore not repeated on stderr.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", JakisynthWarning)
        return _run_plan(plan, studies)


def _run_plan(plan: AnalysisPlan, studies: dict[str, dict]) -> PlanResults:
    order = row_order(plan, studies)
    analyses = []
    for spec in plan.analyses:
        rows = pooled_rows(spec, studies, order)
        analyses.append(AnalysisResult(spec, tuple(rows), fit_proportions(**_fit(spec, rows))))
    primary = analyses[0]
    rows = list(primary.rows)
    subgroups = []
    for sg in plan.subgroups:
        groups = subgroup_labels(sg, rows, studies)
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
    from .harms import synthesise_harms

    return PlanResults(plan, tuple(analyses), tuple(subgroups), loo, cum,
                       synthesise_harms(plan, studies, order))
