"""The review question of the plan: PICO, outcomes with their roles, directness of each series,
outcome constructs and the panel's certainty overrides (typed), and their cross-checks.

Stage "validated models" (part of the analysis plan, ``evidence/analysis.yaml``; loaded by
:mod:`jakisynth.evidence.plan`, which re-exports these names). Documented in docs/analysis-plan.md and
docs/certainty.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import Problem

if TYPE_CHECKING:
    from .plan import SeriesChoice
    from .yamlio import Loaded


@dataclass(frozen=True)
class PlanOutcome:
    """One outcome of the question (benefit or harm), with its decision thresholds and the
    number of patients below which its estimate counts as imprecise (GRADE imprecision)."""

    id: str
    role: str  # "benefit" or "harm"
    label: str
    definition: str = ""
    extraction_outcome: str = ""  # the extractions' outcome id (default: id)
    thresholds: tuple[dict, ...] = ()
    thresholds_reason: str = ""
    min_patients: int | None = None
    min_patients_reason: str = ""
    series: tuple[SeriesChoice, ...] = ()  # per-series overrides (harms), with reasons


@dataclass(frozen=True)
class Question:
    """The review question (PICO): population, intervention, comparator, outcomes."""

    population: str
    intervention: str
    comparator: str
    outcomes: tuple[PlanOutcome, ...]
    population_short: str = "patients"
    intervention_short: str = "the intervention"

    @property
    def harms(self) -> tuple[PlanOutcome, ...]:
        return tuple(o for o in self.outcomes if o.role == "harm")


@dataclass(frozen=True)
class Directness:
    """A series judged against the question: direct or indirect evidence, and why."""

    study: str
    judgement: str  # "direct" or "indirect"
    reason: str


@dataclass(frozen=True)
class Construct:
    """How a series' benefit outcome was assessed, and whether it is comparable."""

    study: str
    assessor: str
    cointerventions: str
    comparable: str  # "yes", "partly", "no"
    reason: str


@dataclass(frozen=True)
class Override:
    """The panel's rating of one GRADE domain for one outcome, replacing the rule's."""

    outcome: str
    domain: str
    level: str  # "not serious", "serious", "very serious"
    reason: str


NOT_JUDGED = "not judged in the plan: treated as direct evidence until the plan judges it"


def question_problems(loaded: Loaded, studies: dict[str, Loaded]) -> list[Problem]:
    """Cross-checks of the question, directness, constructs and certainty overrides.

    Directness and constructs name each existing series at most once; at least one series is
    direct (the primary pools direct evidence only); the question has exactly one benefit
    outcome, the plan's ``outcome``; a harm has decision thresholds (its imprecision is judged
    against them) and its series choices name existing harm outcomes; overrides name outcomes of
    the question.
    """
    from .yamlio import format_path

    d = loaded.data
    problems: list[Problem] = []

    def add(path: tuple, message: str):
        problems.append(Problem(loaded.file, loaded.line_of(path), format_path(path), message))

    for key in ("directness", "constructs"):
        seen = set()
        for i, x in enumerate(d.get(key, [])):
            if x["study"] not in studies:
                add((key, i, "study"), f"no extraction with study_id {x['study']!r}")
            if x["study"] in seen:
                add((key, i, "study"), f"{x['study']} is judged twice")
            seen.add(x["study"])
    judged = {x["study"]: x["judgement"] for x in d.get("directness", [])}
    if studies and all(judged.get(sid, "direct") == "indirect" for sid in studies):
        add(("directness",), "no series is direct evidence: the primary analysis would be empty")
    q = d.get("question")
    ids = [] if q is None else [o["id"] for o in q["outcomes"]]
    if q is not None:
        benefits = [o["id"] for o in q["outcomes"] if o["role"] == "benefit"]
        if benefits != [d["outcome"]["id"]]:
            add(("question", "outcomes"), f"the question needs exactly one benefit outcome, the "
                                          f"plan's outcome {d['outcome']['id']!r} (has: {benefits})")
        for i, o in enumerate(q["outcomes"]):
            if ids.count(o["id"]) > 1:
                add(("question", "outcomes", i, "id"), f"outcome id {o['id']!r} is used twice")
            if o["role"] == "harm" and not o.get("thresholds"):
                add(("question", "outcomes", i), f"harm {o['id']!r} needs decision thresholds "
                                                 "(its imprecision is judged against them)")
            for j, c in enumerate(o.get("series", [])):
                study = studies.get(c["study"])
                found = [] if study is None else [x.get("id") for x in study.data.get("outcomes", [])
                                                  if isinstance(x, dict)]
                if c["outcome"] not in found:
                    add(("question", "outcomes", i, "series", j, "outcome"),
                        f"{c['study']} has no outcome {c['outcome']!r}")
    named = d.get("certainty", {}).get("inconsistency_analysis")
    if named is not None:
        found = [a for a in [d["primary"], *d.get("sensitivity", [])] if a["id"] == named]
        if not found:
            add(("certainty", "inconsistency_analysis"), f"no analysis {named!r}")
        elif found[0].get("include_indirect"):
            add(("certainty", "inconsistency_analysis"),
                f"analysis {named!r} includes indirect evidence; rate inconsistency on direct evidence")
    for i, o in enumerate(d.get("certainty", {}).get("overrides", [])):
        if o["outcome"] not in ids and o["outcome"] != d["outcome"]["id"]:
            add(("certainty", "overrides", i, "outcome"), f"no outcome {o['outcome']!r} in the question")
    return problems
