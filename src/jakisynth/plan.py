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

from .errors import EvidenceError, Problem
from .validate import PLAN_FILE

if TYPE_CHECKING:  # yamlio is imported where it is used
    from .yamlio import Loaded

DEFAULT_MODEL = {"method": "inverse", "transform": "logit", "tau2": "REML", "ci": "z",
                 "pi_df": "metafor"}
#: the Bayesian model's defaults (priors as in jakisynth.priors); it takes no tau2, ci or pi_df
DEFAULT_BAYES_MODEL = {"method": "bayes", "tau_prior": "halfnormal(0.5)",
                       "mu_prior": "normal(0, 10)"}
#: model keys a Bayesian analysis must not set (values it would silently ignore)
BAYES_UNUSED = ("tau2", "ci", "pi_df")


def model_with_defaults(model: dict) -> dict:
    """The plan's model with the defaults of its method filled in."""
    defaults = DEFAULT_BAYES_MODEL if model["method"] == "bayes" else DEFAULT_MODEL
    return {**defaults, **model}


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


@dataclass(frozen=True)
class SubgroupSpec:
    id: str
    label: str
    by: str
    values: dict[str, str]
    reason: str = ""


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

    @property
    def analyses(self) -> tuple[AnalysisSpec, ...]:
        return (self.primary, *self.sensitivity)


def plan_schema() -> dict:
    text = resources.files("jakisynth").joinpath("schema/analysis.schema.json").read_text("utf-8")
    return json.loads(text)


def load_plan(evidence_dir, studies: dict[str, "Loaded"]) -> AnalysisPlan:
    """Load and check ``<evidence_dir>/analysis.yaml``; raise :class:`EvidenceError` if invalid."""
    from .validate import schema_problems
    from .yamlio import load_yaml

    path = Path(evidence_dir) / PLAN_FILE
    if not path.is_file():
        raise EvidenceError([Problem(str(path), None, "", "the analysis plan is missing")])
    loaded = load_yaml(path)
    problems = schema_problems(loaded, plan_schema())
    if problems:
        raise EvidenceError(problems)
    problems = check_plan(loaded, studies)
    if problems:
        raise EvidenceError(problems)
    return _build(loaded, sorted(studies))


def plan_problems(evidence_dir, studies: dict[str, "Loaded"]) -> list[Problem]:
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


def _build(loaded: "Loaded", study_ids: list[str]) -> AnalysisPlan:
    d = loaded.data
    listed = {c.study: c for c in _choices(d.get("series", []))}
    outcome_id = d["outcome"]["id"]
    base = [listed.get(sid) or default_choice(sid, outcome_id) for sid in study_ids]

    def spec(a, role):
        overrides = {c.study: c for c in _choices(a.get("series", []))}
        exclude = tuple(a.get("exclude", []))
        series = tuple(overrides.get(c.study, c) for c in base if c.study not in exclude)
        return AnalysisSpec(a["id"], a["label"], model_with_defaults(a["model"]),
                            a.get("unit", "series"), series, a.get("reason", ""), role, exclude)

    return AnalysisPlan(
        file=loaded.file, title=d["title"], outcome_id=d["outcome"]["id"],
        outcome_label=d["outcome"]["label"], outcome_definition=d["outcome"]["definition"],
        primary=spec(d["primary"], "primary"),
        sensitivity=tuple(spec(a, "sensitivity") for a in d.get("sensitivity", [])),
        subgroups=tuple(SubgroupSpec(s["id"], s["label"], s["by"], dict(s.get("values", {})),
                                     s.get("reason", "")) for s in d.get("subgroups", [])),
        leave_one_out=bool(d.get("leave_one_out", False)),
        cumulative="cumulative" in d, row_order=d["row_order"],
        decision_thresholds=tuple(d.get("decision_thresholds", [])))


def check_plan(loaded: "Loaded", studies: dict[str, "Loaded"]) -> list[Problem]:
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
        check_bayes_model(a["model"], lambda key, message, p=path: add((*p, "model", key), message))
        check_choices(a.get("series", []), (*path, "series"))
        for j, sid in enumerate(a.get("exclude", [])):
            if sid not in studies:
                add((*path, "exclude", j), f"no extraction with study_id {sid!r}")
        if path == ("primary",) and a.get("exclude"):
            add((*path, "exclude"), "the primary analysis pools every series; exclude series in a "
                                    "sensitivity analysis")
    for i, s in enumerate(d.get("subgroups", [])):
        for sid in s.get("values", {}):
            if sid not in studies:
                add(("subgroups", i, "values", sid), f"no extraction with study_id {sid!r}")
    order = d["row_order"]
    if isinstance(order, list) and sorted(order) != sorted(named):
        add(("row_order",), "an explicit row order must list every series exactly once")
    return problems


def check_bayes_model(model: dict, add) -> None:
    """Problems of a model's Bayesian keys: priors only with method bayes, prior strings that
    parse, no options the Bayesian model would ignore; ``add(key, message)`` reports one."""
    from .priors import parse_mu_prior, parse_tau_prior
    from .errors import InputError

    if model["method"] != "bayes":
        for key in ("tau_prior", "mu_prior"):
            if key in model:
                add(key, f"{key} is used by method bayes only (method is {model['method']!r})")
        return
    for key in BAYES_UNUSED:
        if key in model:
            add(key, f"{key} is not used by method bayes (the binomial-normal model with "
                     "credible intervals): remove it")
    if model.get("transform", "logit") != "logit":
        add("transform", "the Bayesian binomial-normal model is on the logit scale only")
    for key, parse in (("tau_prior", parse_tau_prior), ("mu_prior", parse_mu_prior)):
        if key in model:
            try:
                parse(model[key])
            except InputError as err:
                add(key, str(err).split(": ", 1)[1])
