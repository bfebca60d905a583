"""Harms as outcomes: each harm of the plan's question, per series, pooled or tabulated.

Stage "synthesis" (running the plan). For every harm outcome of ``question.outcomes`` (role
``harm``) each series contributes its extraction's harm outcome (``extraction_outcome``, or a
per-series choice of the plan) with events/total, ``not reported`` (the paper does not say), or
``not extracted`` (the extraction has no such outcome). "Not reported" is never counted as zero.

Only direct evidence (``directness``) is pooled; indirect series are listed with their counts,
never pooled. With two or more direct series reporting counts, the harm is pooled with the plan's
primary model (:func:`~jakisynth.stats.proportions.pool_proportions`; R: ``rma(measure = "PLO", ...)``);
with one it is that series' proportion with its exact Clopper-Pearson 95% CI (R:
``binom.test(x, n)$conf.int``); with none there is no estimate.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..evidence.plan import AnalysisPlan, PlanOutcome
from ..evidence.series import NOT_REPORTED, as_series
from ..stats.effects import check_counts, study_intervals
from ..stats.proportions import fit_proportions
from ..stats.results import PooledProportion, json_float

NOT_EXTRACTED = "not extracted"


@dataclass(frozen=True)
class HarmRow:
    """One series' count of one harm (``events``/``total`` are None unless ``status`` is
    ``reported``)."""

    study: str
    label: str
    directness: str  # "direct" or "indirect"
    outcome: str  # the extraction's outcome id
    status: str  # "reported", "not reported" or "not extracted"
    events: int | None
    total: int | None
    source: str  # location of the count, or its derivation rule


@dataclass(frozen=True)
class HarmResult:
    """One harm: every series' row and the estimate from the direct series that report it.

    ``method``: ``pooled`` (k >= 2 direct series), ``single series`` (k = 1, exact CI) or
    ``no direct evidence`` (k = 0; ``estimate`` and the intervals are None).
    """

    outcome: PlanOutcome
    rows: tuple[HarmRow, ...]
    method: str
    estimate: float | None
    ci_lower: float | None
    ci_upper: float | None
    pi_lower: float | None
    pi_upper: float | None
    pooled: PooledProportion | None = None

    @property
    def contributing(self) -> tuple[HarmRow, ...]:
        """The direct series with counts: what the estimate rests on."""
        return tuple(r for r in self.rows if r.directness == "direct" and r.status == "reported")

    @property
    def k(self) -> int:
        return len(self.contributing)

    @property
    def events(self) -> int:
        return sum(r.events for r in self.contributing)

    @property
    def total(self) -> int:
        return sum(r.total for r in self.contributing)

    @property
    def i2(self) -> float | None:
        return None if self.pooled is None else self.pooled.i2

    def to_dict(self) -> dict:
        return {"outcome": self.outcome.id, "label": self.outcome.label, "method": self.method,
                "k": self.k, "events": self.events, "total": self.total,
                "estimate": json_float(self.estimate), "ci_lower": json_float(self.ci_lower),
                "ci_upper": json_float(self.ci_upper), "pi_lower": json_float(self.pi_lower),
                "pi_upper": json_float(self.pi_upper),
                "rows": [{"study": r.study, "directness": r.directness, "outcome": r.outcome,
                          "status": r.status, "events": r.events, "total": r.total,
                          "source": r.source} for r in self.rows],
                "pooled": None if self.pooled is None else self.pooled.to_dict()}

    def to_frame(self):
        """Tidy: one row per series; ``events`` says ``not reported`` / ``not extracted`` (never
        0, never empty) where the series gives no count."""
        import pandas as pd

        return pd.DataFrame([{"outcome": self.outcome.id, "label": self.outcome.label,
                              "study": r.label, "directness": r.directness,
                              "extraction_outcome": r.outcome, "status": r.status,
                              "events": r.events if r.status == "reported" else r.status,
                              "total": r.total if r.status == "reported" else r.status,
                              "proportion": None if r.events is None else r.events / r.total,
                              "source": r.source} for r in self.rows],
                            columns=["outcome", "label", "study", "directness",
                                     "extraction_outcome", "status", "events", "total",
                                     "proportion", "source"])

    def __str__(self) -> str:
        head = f"{self.outcome.label}: "
        if self.estimate is None:
            head += "no direct series reports it"
        else:
            head += (f"{100 * self.estimate:.1f}% (95% CI {100 * self.ci_lower:.1f}% to "
                     f"{100 * self.ci_upper:.1f}%), {self.events}/{self.total}, k = {self.k} "
                     f"({self.method})")
        lines = [head]
        for r in self.rows:
            count = f"{r.events}/{r.total}" if r.status == "reported" else r.status
            lines.append(f"  {r.label} ({r.directness}): {count}")
        return "\n".join(lines)


def _source(result: dict) -> str:
    if result.get("location"):
        return str(result["location"])
    derived = result.get("derived")
    if isinstance(derived, dict):
        return "; ".join(f"{k}: {v}" for k, v in derived.items())
    return str(derived or "")


def harm_rows(plan: AnalysisPlan, outcome: PlanOutcome, studies: dict[str, dict],
              order: list[str]) -> list[HarmRow]:
    """Every series' row for one harm, in plot order."""
    choices = {c.study: c for c in outcome.series}
    rows = []
    for sid in order:
        study = studies[sid]
        choice = choices.get(sid)
        oid = choice.outcome if choice else outcome.extraction_outcome or outcome.id
        scope = choice.scope if choice else "all"
        found = [o for o in study.get("outcomes", []) if o.get("id") == oid]
        result = next((r for o in found for r in o.get("results", []) if r.get("scope") == scope),
                      None)
        directness = plan.directness_of(sid).judgement
        label = as_series(sid, study).label
        if result is None:
            rows.append(HarmRow(sid, label, directness, oid, NOT_EXTRACTED, None, None, ""))
            continue
        events, total = result.get("events"), result.get("total")
        if isinstance(events, bool) or not isinstance(events, int) or not isinstance(total, int):
            rows.append(HarmRow(sid, label, directness, oid, NOT_REPORTED, None, None,
                                _source(result)))
            continue
        rows.append(HarmRow(sid, label, directness, oid, "reported", events, total,
                            _source(result)))
    return rows


def synthesise_harm(plan: AnalysisPlan, outcome: PlanOutcome, studies: dict[str, dict],
                    order: list[str]) -> HarmResult:
    """One harm: rows of every series; pooled (k >= 2 direct), single series or no estimate."""
    rows = tuple(harm_rows(plan, outcome, studies, order))
    direct = [r for r in rows if r.directness == "direct" and r.status == "reported"]
    if len(direct) >= 2:
        model = dict(plan.primary.model)
        pooled = fit_proportions([r.events for r in direct], [r.total for r in direct],
                                  studies=[r.label for r in direct], **model)
        return HarmResult(outcome, rows, "pooled", pooled.estimate, pooled.ci_lower,
                          pooled.ci_upper, pooled.pi_lower, pooled.pi_upper, pooled)
    if len(direct) == 1:
        x, n = check_counts([direct[0].events], [direct[0].total])
        one = study_intervals(x, n, ci="exact", level=0.95)
        return HarmResult(outcome, rows, "single series", float(one.proportion[0]),
                          float(one.ci_lower[0]), float(one.ci_upper[0]), None, None)
    return HarmResult(outcome, rows, "no direct evidence", None, None, None, None, None)


def synthesise_harms(plan: AnalysisPlan, studies: dict[str, dict],
                     order: list[str]) -> tuple[HarmResult, ...]:
    """Every harm of the plan's question (none when the plan states no question)."""
    if plan.question is None:
        return ()
    return tuple(synthesise_harm(plan, o, studies, order) for o in plan.question.harms)


def harms_table(harms) -> object:
    """All harms, tidy: one row per harm and series (``HarmResult.to_frame`` stacked)."""
    import pandas as pd

    frames = [h.to_frame() for h in harms]
    if not frames:
        return pd.DataFrame(columns=["outcome", "label", "study", "directness",
                                     "extraction_outcome", "status", "events", "total",
                                     "proportion", "source"])
    return pd.concat(frames, ignore_index=True)
