"""The analysis plan, ``evidence/analysis.yaml``: loaded safely, validated, typed.

Stage "validated models" (next to the extractions). The plan says which reported result counts
as remission for each series and why (harmonisation happens here, never in an extraction), the
primary model, the sensitivity analyses, the subgroups, the row order and the decision thresholds.
Its JSON Schema is ``schema/analysis.schema.json`` (exported to ``evidence/schema/``); the
cross-checks against the extractions are in :func:`check_plan`. Documented in
``docs/analysis-plan.md``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import EvidenceError, Problem
from .question import (
    NOT_JUDGED,
    Construct,
    Directness,
    Override,
    PlanOutcome,
    Question,
    question_problems,
)
from .validate import PLAN_FILE

__all__ = ["NOT_JUDGED", "AnalysisPlan", "AnalysisSpec", "Construct", "Directness", "Override",
           "PlanOutcome", "Question", "SeriesChoice", "SubgroupSpec", "load_plan", "plan_problems"]

if TYPE_CHECKING:  # yamlio is imported where it is used
    from .yamlio import Loaded

DEFAULT_MODEL = {"method": "inverse", "transform": "logit", "tau2": "REML", "ci": "z",
                 "pi_df": "metafor"}
def model_with_defaults(model: dict) -> dict:
    """A plan's model with metafor's defaults for an inverse-variance model filled in; other
    methods keep only what the plan says (they use no tau2 estimator or pi_df, and the engine
    refuses options a method does not use: jakisynth.stats.options)."""
    if model.get("method", "inverse") == "inverse":
        return {**DEFAULT_MODEL, **model}
    return dict(model)


@dataclass(frozen=True)
class SeriesChoice:
    """Which reported result of one series is pooled, and why."""

    study: str
    outcome: str
    scope: str
    reason: str


@dataclass(frozen=True)
class AnalysisSpec:
    """One pooled analysis: the model, the unit (whole series or strata) and the choices."""

    id: str
    label: str
    model: dict
    unit: str
    series: tuple[SeriesChoice, ...]
    reason: str = ""
    role: str = "sensitivity"  # "primary" or "sensitivity"
    exclude: tuple[str, ...] = ()
    include_indirect: bool = False  # True: series judged indirect are pooled too (sensitivity only)


@dataclass(frozen=True)
class SubgroupSpec:
    id: str
    label: str
    by: str
    values: dict[str, str]
    reason: str = ""


@dataclass(frozen=True)
class OverlapDecision:
    """What the plan does with two series that may report the same patients (``overlaps:``):
    ``keep_both`` pools both; ``keep_one`` pools only ``keep``; ``subset`` pools ``keep`` and
    uses the other series only for ``subset`` (it is left out of every pooled analysis)."""

    series: tuple[str, str]
    resolution: str
    reason: str
    keep: str | None = None
    subset: str | None = None

    @property
    def dropped(self) -> str | None:
        """The series left out of the pooled analyses, if any."""
        if self.resolution == "keep_both":
            return None
        return next((s for s in self.series if s != self.keep), None)

    def to_dict(self) -> dict:
        return {"series": list(self.series), "resolution": self.resolution, "keep": self.keep,
                "subset": self.subset, "reason": self.reason}


@dataclass(frozen=True)
class AnalysisPlan:
    file: str
    title: str
    outcome_id: str
    outcome_label: str
    outcome_definition: str
    primary: AnalysisSpec
    sensitivity: tuple[AnalysisSpec, ...]
    subgroups: tuple[SubgroupSpec, ...]
    leave_one_out: bool
    cumulative: bool
    row_order: object  # "publication_date", "study_id" or a list of study ids
    decision_thresholds: tuple[dict, ...] = field(default_factory=tuple)
    question: Question | None = None
    directness: tuple[Directness, ...] = ()
    constructs: tuple[Construct, ...] = ()
    certainty_start: str = "low"
    certainty_start_reason: str = "uncontrolled case series"
    overrides: tuple[Override, ...] = ()
    inconsistency_analysis: str = "primary"  # the analysis whose I2 and PI rate inconsistency
    inconsistency_reason: str = ""
    choices: tuple[SeriesChoice, ...] = ()  # the plan-level choice of every series (direct or not)
    overlaps: tuple[OverlapDecision, ...] = ()

    @property
    def analyses(self) -> tuple[AnalysisSpec, ...]:
        return (self.primary, *self.sensitivity)

    @property
    def indirect(self) -> tuple[str, ...]:
        """Study ids judged indirect evidence (never in the primary analysis)."""
        return tuple(d.study for d in self.directness if d.judgement == "indirect")

    def directness_of(self, study: str) -> Directness:
        for d in self.directness:
            if d.study == study:
                return d
        return Directness(study, "direct", NOT_JUDGED)

    def outcome(self, outcome_id: str) -> PlanOutcome:
        """The question's outcome with this id (the benefit outcome is always there)."""
        if self.question is not None:
            for o in self.question.outcomes:
                if o.id == outcome_id:
                    return o
        if outcome_id == self.outcome_id:
            return PlanOutcome(self.outcome_id, "benefit", self.outcome_label,
                               self.outcome_definition, self.outcome_id)
        raise KeyError(outcome_id)

    def thresholds_for(self, outcome_id: str) -> tuple[dict, ...]:
        """Decision thresholds of an outcome: its own, or the plan-level ones for the benefit."""
        own = self.outcome(outcome_id).thresholds
        return own if own or outcome_id != self.outcome_id else tuple(self.decision_thresholds)


def plan_schema() -> dict:
    text = resources.files("jakisynth.evidence").joinpath("schema/analysis.schema.json").read_text("utf-8")
    return json.loads(text)


def load_plan(evidence_dir, studies: dict[str, Loaded]) -> AnalysisPlan:
    """Load and check ``<evidence_dir>/analysis.yaml``; raise :class:`EvidenceError` if invalid."""
    from .validate import schema_problems
    from .yamlio import load_yaml

    path = Path(evidence_dir) / PLAN_FILE
    if not path.is_file():
        why = "is not a file" if path.exists() else "is missing"
        raise EvidenceError([Problem(str(path), None, "", f"the analysis plan {why} (run needs "
                                                          f"{PLAN_FILE}: docs/analysis-plan.md)")])
    loaded = load_yaml(path)
    problems = schema_problems(loaded, plan_schema())
    if problems:
        raise EvidenceError(problems)
    problems = check_plan(loaded, studies)
    if problems:
        raise EvidenceError(problems)
    return _build(loaded, sorted(studies))


def plan_problems(evidence_dir, studies: dict[str, Loaded]) -> list[Problem]:
    """The problems of ``<evidence_dir>/analysis.yaml`` (empty when valid): what
    ``jakisynth validate`` reports for the plan, the same checks ``jakisynth run`` makes."""
    try:
        load_plan(evidence_dir, studies)
    except EvidenceError as err:
        return list(err.problems)
    return []


def _choices(items) -> tuple[SeriesChoice, ...]:
    return tuple(SeriesChoice(c["study"], c["outcome"], c.get("scope", "all"), c["reason"])
                 for c in items)


def default_choice(study_id: str, outcome_id: str) -> SeriesChoice:
    """The choice for a series the plan does not list: its outcome with the plan's id, all
    patients (so adding a series needs only its extraction)."""
    return SeriesChoice(study_id, outcome_id, "all",
                        f"default: the extraction's outcome '{outcome_id}' (the plan's outcome id), "
                        "whole series")


def _build(loaded: Loaded, study_ids: list[str]) -> AnalysisPlan:
    d = loaded.data
    listed = {c.study: c for c in _choices(d.get("series", []))}
    outcome_id = d["outcome"]["id"]
    overlaps = tuple(OverlapDecision(tuple(o["series"]), o["resolution"], o["reason"],
                                     o.get("keep"), o.get("subset")) for o in d.get("overlaps", []))
    dropped = {o.dropped for o in overlaps} - {None}
    base = [listed.get(sid) or default_choice(sid, outcome_id) for sid in study_ids
            if sid not in dropped]

    indirect = {x["study"] for x in d.get("directness", []) if x["judgement"] == "indirect"}

    def spec(a, role):
        overrides = {c.study: c for c in _choices(a.get("series", []))}
        exclude = tuple(a.get("exclude", []))
        with_indirect = bool(a.get("include_indirect", False))
        series = tuple(overrides.get(c.study, c) for c in base if c.study not in exclude
                       and (with_indirect or c.study not in indirect))
        return AnalysisSpec(a["id"], a["label"], model_with_defaults(a["model"]),
                            a.get("unit", "series"), series, a.get("reason", ""), role, exclude,
                            with_indirect)

    certainty = d.get("certainty", {})

    return AnalysisPlan(
        file=loaded.file, title=d["title"], outcome_id=d["outcome"]["id"],
        outcome_label=d["outcome"]["label"], outcome_definition=d["outcome"]["definition"],
        primary=spec(d["primary"], "primary"),
        sensitivity=tuple(spec(a, "sensitivity") for a in d.get("sensitivity", [])),
        subgroups=tuple(SubgroupSpec(s["id"], s["label"], s["by"], dict(s.get("values", {})),
                                     s.get("reason", "")) for s in d.get("subgroups", [])),
        leave_one_out=bool(d.get("leave_one_out", False)),
        cumulative="cumulative" in d, row_order=d["row_order"],
        decision_thresholds=tuple(d.get("decision_thresholds", [])), overlaps=overlaps,
        question=_question(d.get("question")),
        directness=tuple(Directness(x["study"], x["judgement"], x["reason"])
                         for x in d.get("directness", [])),
        constructs=tuple(Construct(x["study"], x["assessor"], x["cointerventions"],
                                   x["comparable"], x["reason"]) for x in d.get("constructs", [])),
        choices=tuple(base),
        certainty_start=certainty.get("start", "low"),
        inconsistency_analysis=certainty.get("inconsistency_analysis", "primary"),
        inconsistency_reason=certainty.get("inconsistency_reason", ""),
        certainty_start_reason=certainty.get("start_reason", "uncontrolled case series"),
        overrides=tuple(Override(x["outcome"], x["domain"], x["level"], x["reason"])
                        for x in certainty.get("overrides", [])))


def _question(q) -> Question | None:
    if q is None:
        return None
    outcomes = tuple(PlanOutcome(
        o["id"], o["role"], o["label"], o.get("definition", ""),
        o.get("extraction_outcome", o["id"]), tuple(o.get("thresholds", [])),
        o.get("thresholds_reason", ""), o.get("min_patients"), o.get("min_patients_reason", ""),
        _choices(o.get("series", []))) for o in q["outcomes"])
    return Question(q["population"], q["intervention"], q["comparator"], outcomes,
                    q.get("population_short", "patients"),
                    q.get("intervention_short", "the intervention"))


def check_plan(loaded: Loaded, studies: dict[str, Loaded]) -> list[Problem]:
    """Cross-checks of the plan against the extractions (one :class:`Problem` each).

    Every series in the evidence base has exactly one choice; chosen outcomes and scopes exist
    in the extraction and have events and totals; analysis ids are unique; a subgroup by
    condition or scenario gives a value for every series; an explicit row order lists every
    series once; a GLMM is on the logit scale.
    """
    from .yamlio import format_path

    d = loaded.data
    problems: list[Problem] = []

    def add(path: tuple, message: str):
        problems.append(Problem(loaded.file, loaded.line_of(path), format_path(path), message))

    def check_choices(items, base_path):
        for i, c in enumerate(items):
            study = studies.get(c["study"])
            if study is None:
                add((*base_path, i, "study"), f"no extraction with study_id {c['study']!r}")
                continue
            outcomes = {o.get("id"): o for o in study.data.get("outcomes", [])
                        if isinstance(o, dict)}
            if c["outcome"] not in outcomes:
                add((*base_path, i, "outcome"),
                    f"{c['study']} has no outcome {c['outcome']!r} (has: {', '.join(map(str, outcomes))})")
                continue
            scope = c.get("scope", "all")
            scopes = [r.get("scope") for r in outcomes[c["outcome"]].get("results", [])
                      if isinstance(r, dict)]
            if scope not in scopes:
                add((*base_path, i, "scope"),
                    f"{c['study']} outcome {c['outcome']!r} has no result for scope {scope!r}")
                continue
            result = next(r for r in outcomes[c["outcome"]]["results"]
                          if isinstance(r, dict) and r.get("scope") == scope)
            for key in ("events", "total"):
                value = result.get(key)
                if isinstance(value, bool) or not isinstance(value, int):
                    add((*base_path, i, "outcome"),
                        f"{c['study']} outcome {c['outcome']!r} ({scope}): {key} is {value!r}, "
                        "not a count, so it cannot be pooled")

    series = d.get("series", [])
    listed = [c["study"] for c in series]
    for sid in sorted({s for s in listed if listed.count(s) > 1}):
        add(("series",), f"series {sid} is listed more than once")
    check_choices(series, ("series",))
    outcome_id = d["outcome"]["id"]
    for sid in sorted(set(studies) - set(listed)):
        ids = [o.get("id") for o in studies[sid].data.get("outcomes", []) if isinstance(o, dict)]
        if outcome_id not in ids:
            add(("series",), f"{sid} is not listed and has no outcome '{outcome_id}' to pool by "
                             f"default: add {{study: {sid}, outcome: <one of {', '.join(map(str, ids))}>, "
                             "reason: ...}")
    named = sorted(studies)
    analyses = [("primary",)] + [("sensitivity", i) for i in range(len(d.get("sensitivity", [])))]
    ids = []
    for path in analyses:
        a = d["primary"] if path == ("primary",) else d["sensitivity"][path[1]]
        if a["id"] in ids:
            add((*path, "id"), f"analysis id {a['id']!r} is used twice")
        ids.append(a["id"])
        if a["model"]["method"] == "glmm" and a["model"].get("transform", "logit") != "logit":
            add((*path, "model", "transform"), "the GLMM is on the logit scale only")
        check_choices(a.get("series", []), (*path, "series"))
        for j, sid in enumerate(a.get("exclude", [])):
            if sid not in studies:
                add((*path, "exclude", j), f"no extraction with study_id {sid!r}")
        if path == ("primary",) and a.get("exclude"):
            add((*path, "exclude"), "the primary analysis pools every direct series; exclude "
                                    "series in a sensitivity analysis")
        if path == ("primary",) and a.get("include_indirect"):
            add((*path, "include_indirect"), "the primary analysis pools direct evidence only; "
                                             "add indirect series in a sensitivity analysis")
    for i, s in enumerate(d.get("subgroups", [])):
        for sid in s.get("values", {}):
            if sid not in studies:
                add(("subgroups", i, "values", sid), f"no extraction with study_id {sid!r}")
    problems.extend(question_problems(loaded, studies))
    order = d["row_order"]
    if isinstance(order, list) and sorted(order) != sorted(named):
        add(("row_order",), "an explicit row order must list every series exactly once")
    from .plan_checks import overlap_problems, subgroup_problems

    problems.extend(subgroup_problems(loaded, studies))
    problems.extend(overlap_problems(loaded, studies))
    return problems

