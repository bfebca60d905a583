"""GRADE certainty of evidence and the summary of findings (benefits and harms).

Stage "synthesis" (after the plan has run). Every domain is rated by an explicit rule, kept in
this module only and documented in docs/certainty.md; the panel can override any domain for any
outcome in the plan (``certainty.overrides``), with a reason, and the finding shows the override
next to the rule's rating.

Sources: GRADE Handbook (Schünemann et al. 2013); GRADE guidelines 4-8 (J Clin Epidemiol 2011;
64:407, 1283, 1294, 1303, 1277) for the five domains; Guyatt et al. 2011 (64:1283) for the
imprecision thresholds and the optimal information size; Santesso et al. 2020 (GRADE guidelines
26, J Clin Epidemiol 119:126) for the wording of the statements. Evidence from uncontrolled case
series starts at the plan's ``certainty.start`` (low).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..evidence.plan import AnalysisPlan, PlanOutcome
from ..stats.format import level_percent
from ..stats.results import json_float
from .analysis import PlanResults

LEVELS = ("very low", "low", "moderate", "high")
SEVERITY = {"not serious": 0, "serious": 1, "very serious": 2}
DOMAINS = ("risk_of_bias", "inconsistency", "indirectness", "imprecision", "publication_bias")
DOMAIN_LABELS = {"risk_of_bias": "risk of bias", "inconsistency": "inconsistency",
                 "indirectness": "indirectness", "imprecision": "imprecision",
                 "publication_bias": "publication bias"}
I2_SERIOUS = 50.0  # I2 (%) from which inconsistency is serious (Higgins 2003: substantial)
I2_VERY_SERIOUS = 75.0  # ... and very serious together with a PI crossing a threshold
MAJORITY = 0.5  # share of patients above which a concern about series applies to the outcome
PUBLICATION_BIAS_MIN_K = 10  # fewer series: small-study tests are not possible (Sterne 2011)
SOF_COLUMNS = ["outcome", "role", "series", "patients", "estimate", "ci_lower", "ci_upper",
               "pi_lower", "pi_upper", "certainty", "downgrades", "statement"]


@dataclass(frozen=True)
class SeriesEvidence:
    """What the rules need to know about one contributing series."""

    study: str
    label: str
    patients: int
    risk_of_bias: str  # JBI overall judgement: low, moderate, high
    directness: str  # direct, indirect
    comparable: str  # outcome construct: yes, partly, no, not judged
    design: str  # case_series, cohort, ...


@dataclass(frozen=True)
class OutcomeEvidence:
    """One outcome's body of evidence: its estimate, intervals, thresholds and series."""

    outcome: PlanOutcome
    estimate: float | None
    ci_lower: float | None
    ci_upper: float | None
    pi_lower: float | None
    pi_upper: float | None
    series: tuple[SeriesEvidence, ...]
    thresholds: tuple[float, ...]
    inconsistency: tuple[float | None, float | None, float | None, float | None, float | None, int]
    # (I2, ci_lower, ci_upper, pi_lower, pi_upper, k) of the analysis that rates inconsistency
    indirect: str = ""  # indirect series with counts ("Beckett 2024: 1/10"), never rated
    interval: str = "95% CI"  # "95% CrI" when the estimate is Bayesian (a credible interval)

    @property
    def patients(self) -> int:
        return sum(s.patients for s in self.series)


@dataclass(frozen=True)
class DomainRating:
    """One GRADE domain for one outcome: the level, its reason, and any panel override."""

    domain: str
    level: str  # not serious, serious, very serious
    reason: str
    rule_level: str  # what the rule gave (equals level unless overridden)
    override_reason: str = ""

    @property
    def downgrade(self) -> int:
        return SEVERITY[self.level]

    @property
    def overridden(self) -> bool:
        return bool(self.override_reason)

    def __str__(self) -> str:
        text = f"{DOMAIN_LABELS[self.domain]}: {self.level} ({self.reason})"
        if self.overridden:
            text += f" [panel override of the rule's '{self.rule_level}': {self.override_reason}]"
        return text

    def to_dict(self) -> dict:
        return {"domain": self.domain, "level": self.level, "reason": self.reason,
                "rule_level": self.rule_level, "overridden": self.overridden,
                "override_reason": self.override_reason or None}


@dataclass(frozen=True)
class Finding:
    """One row of the summary of findings: an outcome, its estimate and its GRADE certainty
    (``certainty`` is None when no direct series reports the outcome)."""

    outcome: str
    label: str
    role: str
    series: int
    patients: int
    estimate: float | None
    ci_lower: float | None
    ci_upper: float | None
    pi_lower: float | None
    pi_upper: float | None
    start: str
    certainty: str | None
    domains: tuple[DomainRating, ...]
    statement: str

    @property
    def downgrades(self) -> str:
        """Each rated-down domain with its reason ("none" when none is)."""
        if self.certainty is None:
            return "not rated: no direct evidence"
        down = [str(d) for d in self.domains if d.downgrade or d.overridden]
        return "; ".join(down) if down else "none"

    def to_dict(self) -> dict:
        return {"outcome": self.outcome, "label": self.label, "role": self.role,
                "series": self.series, "patients": self.patients,
                "estimate": json_float(self.estimate), "ci_lower": json_float(self.ci_lower),
                "ci_upper": json_float(self.ci_upper), "pi_lower": json_float(self.pi_lower),
                "pi_upper": json_float(self.pi_upper), "start": self.start,
                "certainty": self.certainty, "domains": [d.to_dict() for d in self.domains],
                "downgrades": self.downgrades, "statement": self.statement}

    def to_frame(self):
        """One row with the summary-of-findings columns (SOF_COLUMNS)."""
        import pandas as pd

        d = self.to_dict()
        d["outcome"] = self.label
        return pd.DataFrame([{c: d[c] for c in SOF_COLUMNS}], columns=SOF_COLUMNS)

    def __str__(self) -> str:
        if self.estimate is None:
            return f"{self.label} ({self.role}): no direct evidence. {self.statement}"
        return (f"{self.label} ({self.role}): {100 * self.estimate:.1f}% (95% CI "
                f"{100 * self.ci_lower:.1f}% to {100 * self.ci_upper:.1f}%), {self.series} series, "
                f"{self.patients} patients; certainty {self.certainty} (from {self.start}; "
                f"{self.downgrades}). {self.statement}")


@dataclass(frozen=True)
class SummaryOfFindings:
    findings: tuple[Finding, ...]

    def to_dict(self) -> dict:
        return {"findings": [f.to_dict() for f in self.findings]}

    def to_frame(self):
        import pandas as pd

        return pd.concat([f.to_frame() for f in self.findings], ignore_index=True)

    def __str__(self) -> str:
        return "\n".join(str(f) for f in self.findings)


# --- the rules ------------------------------------------------------------------------------

def _share(series, predicate) -> tuple[float, list[str]]:
    total = sum(s.patients for s in series)
    hit = [s for s in series if predicate(s)]
    share = sum(s.patients for s in hit) / total if total else 0.0
    return share, [f"{s.label} {s.patients}/{total} patients" for s in hit]


def _rob_who(series) -> str:
    total = sum(s.patients for s in series)
    return ", ".join(f"{s.label} {s.risk_of_bias} ({s.patients}/{total} patients)" for s in series)


def rate_risk_of_bias(ev: OutcomeEvidence) -> tuple[str, str]:
    """From the JBI overall judgements, weighted by patients: series judged high holding more
    than half the patients -> very serious; moderate or high -> serious; else not serious."""
    high, _ = _share(ev.series, lambda s: s.risk_of_bias == "high")
    concern, _ = _share(ev.series, lambda s: s.risk_of_bias in ("moderate", "high"))
    if high > MAJORITY:
        return "very serious", f"JBI overall: {_rob_who(ev.series)}; high for most patients"
    if concern > MAJORITY:
        return "serious", f"JBI overall: {_rob_who(ev.series)}; moderate or high for most patients"
    return "not serious", f"JBI overall: {_rob_who(ev.series)}; low for most patients"


def _crossed(lower, upper, thresholds) -> list[float]:
    if lower is None or upper is None:
        return []
    return [t for t in thresholds if lower < t < upper]


def _pcts(values) -> str:
    return ", ".join(f"{100 * v:g}%" for v in values)


def rate_inconsistency(ev: OutcomeEvidence, analysis: str) -> tuple[str, str]:
    """I2 >= 50%, or a prediction interval crossing a decision threshold that the CI does not
    cross (so that imprecision is not counted twice) -> serious; both with I2 >= 75% -> very
    serious. One unit of analysis: not assessable, not rated down."""
    i2, lo, hi, pi_lo, pi_hi, k = ev.inconsistency
    if k < 2 or i2 is None:
        return "not serious", "one series: inconsistency cannot be assessed"
    beyond = [t for t in _crossed(pi_lo, pi_hi, ev.thresholds) if t not in _crossed(lo, hi, ev.thresholds)]
    where = f"{analysis}: I2 = {i2:.1f}%, k = {k}"
    if beyond:
        where += f", prediction interval {100 * pi_lo:.1f}% to {100 * pi_hi:.1f}% crosses {_pcts(beyond)}"
    if i2 >= I2_VERY_SERIOUS and beyond:
        return "very serious", where
    if i2 >= I2_SERIOUS or beyond:
        return "serious", where
    return "not serious", where + ", no threshold crossed beyond the CI"


def rate_indirectness(ev: OutcomeEvidence) -> tuple[str, str]:
    """From the plan's directness and, for the benefit, outcome-construct judgements, weighted
    by patients: indirect or not comparable for more than half -> very serious; partly
    comparable for more than half -> serious; else not serious (naming the minority)."""
    bad, who_bad = _share(ev.series, lambda s: s.directness == "indirect" or s.comparable == "no")
    partly, who = _share(ev.series, lambda s: s.directness == "indirect"
                         or s.comparable in ("no", "partly"))
    if bad > MAJORITY:
        return "very serious", f"indirect or not comparable: {', '.join(who_bad)}"
    if partly > MAJORITY:
        return "serious", f"outcome only partly comparable: {', '.join(who)}"
    minority = f"; partly comparable outcome in {', '.join(who)}" if who else ""
    return "not serious", f"direct evidence for most patients{minority}"


def rate_imprecision(ev: OutcomeEvidence) -> tuple[str, str]:
    """The 95% CI crossing decision thresholds, and the total of patients against the plan's
    minimum (optimal information size): two thresholds crossed, or one with too few patients ->
    very serious; one of the two -> serious."""
    crossed = _crossed(ev.ci_lower, ev.ci_upper, ev.thresholds)
    minimum = ev.outcome.min_patients
    small = minimum is not None and ev.patients < minimum
    parts = []
    if crossed:
        parts.append(f"{ev.interval} {100 * ev.ci_lower:.1f}% to {100 * ev.ci_upper:.1f}% crosses "
                     f"{_pcts(crossed)}")
    if small:
        parts.append(f"{ev.patients} patients < {minimum}")
    reason = "; ".join(parts) or "CI within one decision region and enough patients"
    if len(crossed) >= 2 or (crossed and small):
        return "very serious", reason
    if crossed or small:
        return "serious", reason
    return "not serious", reason


def rate_publication_bias(ev: OutcomeEvidence) -> tuple[str, str]:
    """Uncontrolled case series only and fewer than 10 series -> serious (suspected: series with
    good outcomes are more likely to be published, and small-study tests are impossible)."""
    k = len(ev.series)
    if all(s.design == "case_series" for s in ev.series) and k < PUBLICATION_BIAS_MIN_K:
        return "serious", (f"{k} uncontrolled case series (< {PUBLICATION_BIAS_MIN_K}): selective "
                           "publication suspected, not testable")
    return "not serious", f"{k} series"


def rate_domains(ev: OutcomeEvidence, analysis: str, overrides) -> tuple[DomainRating, ...]:
    """Every domain by its rule, then the panel's overrides for this outcome."""
    rules = {"risk_of_bias": rate_risk_of_bias(ev), "inconsistency": rate_inconsistency(ev, analysis),
             "indirectness": rate_indirectness(ev), "imprecision": rate_imprecision(ev),
             "publication_bias": rate_publication_bias(ev)}
    chosen = {o.domain: o for o in overrides if o.outcome == ev.outcome.id}
    out = []
    for domain in DOMAINS:
        level, reason = rules[domain]
        if domain in chosen:
            out.append(DomainRating(domain, chosen[domain].level, reason, level, chosen[domain].reason))
        else:
            out.append(DomainRating(domain, level, reason, level))
    return tuple(out)


def certainty_level(start: str, domains) -> str:
    """The start level rated down by the domains' downgrades, never below very low."""
    return LEVELS[max(0, LEVELS.index(start) - sum(d.downgrade for d in domains))]


def _pct(value) -> str:
    return f"{100 * value:.1f}%"


def statement(level: str | None, outcome: PlanOutcome, intervention: str, population: str,
              ev: OutcomeEvidence) -> str:
    """GRADE's standard wording (Santesso et al. 2020) for a proportion without a comparator."""
    what = outcome.label[:1].lower() + outcome.label[1:]
    if level is None:
        shown = (f"indirect evidence ({ev.indirect}) is shown separately, not rated"
                 if ev.indirect else "no indirect evidence either")
        return f"No direct evidence: no series of {population} reports {what}; {shown}."
    numbers = (f"{_pct(ev.estimate)} ({ev.interval} {_pct(ev.ci_lower)} to {_pct(ev.ci_upper)}) of "
               f"{ev.patients} patients in {len(ev.series)} uncontrolled series")
    if level == "very low":
        return (f"The evidence is very uncertain about the effect of {intervention} on {what} in "
                f"{population}: {numbers}, without a comparator.")
    verb = {"low": "may be", "moderate": "are probably", "high": "are"}[level]
    return (f"In {population}, {intervention} {verb} followed by {what} in about {numbers}; "
            "without a comparator this does not show the effect of the drug itself.")


# --- building the summary of findings from the plan's results ---------------------------------

def series_evidence(plan: AnalysisPlan, studies: dict[str, dict], rows, role: str):
    """SeriesEvidence per contributing study (rows: (study id, label, patients))."""
    constructs = {c.study: c.comparable for c in plan.constructs}
    out = {}
    for sid, label, patients in rows:
        study = studies[sid]
        rob = study.get("risk_of_bias", {}).get("overall", {}).get("judgement", "high")
        comparable = constructs.get(sid, "not judged") if role == "benefit" else "yes"
        prev = out.get(sid)
        out[sid] = SeriesEvidence(sid, label.split(":")[0], patients + (prev.patients if prev else 0),
                                  rob, plan.directness_of(sid).judgement, comparable,
                                  str(study.get("design", {}).get("type", "case_series")))
    return tuple(out.values())


def _inconsistency_input(results: PlanResults):
    plan = results.plan
    analysis = next((a for a in results.analyses if a.spec.id == plan.inconsistency_analysis),
                    results.primary)
    r = analysis.result
    return analysis.spec.id, (r.i2, r.ci_lower, r.ci_upper, r.pi_lower, r.pi_upper, r.k)


def benefit_evidence(results: PlanResults, studies: dict[str, dict]) -> tuple[OutcomeEvidence, str]:
    plan = results.plan
    primary = results.primary
    r = primary.result
    series = series_evidence(plan, studies, [(row.study, row.label, row.total) for row in primary.rows],
                             "benefit")
    name, inconsistency = _inconsistency_input(results)
    thresholds = tuple(t["value"] for t in plan.thresholds_for(plan.outcome_id))
    interval = f"{level_percent(r.level)} {'CrI' if r.method == 'bayes' else 'CI'}"
    return OutcomeEvidence(plan.outcome(plan.outcome_id), r.estimate, r.ci_lower, r.ci_upper,
                           r.pi_lower, r.pi_upper, series, thresholds, inconsistency,
                           interval=interval), name


def harm_evidence(plan: AnalysisPlan, harm, studies: dict[str, dict]) -> OutcomeEvidence:
    rows = [(r.study, r.label, r.total) for r in harm.contributing]
    series = series_evidence(plan, studies, rows, "harm")
    pooled = harm.pooled
    inconsistency = ((pooled.i2, pooled.ci_lower, pooled.ci_upper, pooled.pi_lower,
                      pooled.pi_upper, pooled.k) if pooled is not None
                     else (None, None, None, None, None, harm.k))
    thresholds = tuple(t["value"] for t in plan.thresholds_for(harm.outcome.id))
    indirect = ", ".join(f"{r.label}: {r.events}/{r.total}" for r in harm.rows
                         if r.directness == "indirect" and r.status == "reported")
    return OutcomeEvidence(harm.outcome, harm.estimate, harm.ci_lower, harm.ci_upper,
                           harm.pi_lower, harm.pi_upper, series, thresholds, inconsistency, indirect)


def finding(plan: AnalysisPlan, ev: OutcomeEvidence, analysis: str) -> Finding:
    """Rate one outcome and word its statement."""
    q = plan.question
    intervention = q.intervention_short if q else "the intervention"
    population = q.population_short if q else "patients"
    if ev.estimate is None:
        return Finding(ev.outcome.id, ev.outcome.label, ev.outcome.role, 0, 0, None, None, None,
                       None, None, plan.certainty_start, None, (),
                       statement(None, ev.outcome, intervention, population, ev))
    domains = rate_domains(ev, analysis, plan.overrides)
    level = certainty_level(plan.certainty_start, domains)
    return Finding(ev.outcome.id, ev.outcome.label, ev.outcome.role, len(ev.series), ev.patients,
                   ev.estimate, ev.ci_lower, ev.ci_upper, ev.pi_lower, ev.pi_upper,
                   plan.certainty_start, level, domains,
                   statement(level, ev.outcome, intervention, population, ev))


def summary_of_findings(results: PlanResults, studies: dict[str, dict]) -> SummaryOfFindings:
    """The benefit (primary analysis, direct evidence) first, then each harm of the question."""
    plan = results.plan
    benefit, name = benefit_evidence(results, studies)
    findings = [finding(plan, benefit, name)]
    for harm in results.harms:
        findings.append(finding(plan, harm_evidence(plan, harm, studies), "pooled harm"))
    return SummaryOfFindings(tuple(findings))
