"""What the pooled analyses say about the plan's decision thresholds (no new fits).

Stage "pooling -> result objects". Two read-outs of :class:`~.analysis.PlanResults`, both typed
with ``to_dict()`` and a tidy ``to_frame()``:

- :func:`threshold_probabilities`: for each Bayesian analysis (primary first) and each decision
  threshold, the posterior probability that the pooled proportion expit(μ) exceeds it and the
  posterior predictive probability that a new series' true proportion expit(θ_new) does. Both
  come from the result's own methods (``BayesianProportion.probability_above`` /
  ``predictive_probability_above``). R: with a brms fit, ``mean(plogis(draws$b_Intercept) > p)``
  and ``mean(plogis(draws$b_Intercept + rnorm(n, 0, draws$sd_study__Intercept)) > p)``.
- :func:`robustness_panel`: the primary outcome's estimate under each model the plan already
  fitted (taken by analysis id, never refitted), plus the common-effect model of the REML fit,
  and :func:`robustness_flags`, the plain-words warnings when the models disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..stats import format as fmt
from ..stats.results import json_float

#: The robustness panel's models: (analysis id, label); the common-effect row comes from the
#: REML fit's ``common``. Ids the plan does not have are skipped.
PANEL = (("primary", None), ("reml_wald", "Inverse-variance logit, REML, Wald (z) CI"),
         ("hartung_knapp", "Inverse-variance logit, REML, Hartung-Knapp CI"),
         ("freeman_tukey_dl", "Inverse-variance Freeman-Tukey, DerSimonian-Laird"),
         ("glmm", "Random-intercept logistic model (GLMM)"))
COMMON_FROM = "reml_wald"
SPAN_POINTS = 5.0  # percentage points: estimates spanning more are flagged


# ---- threshold probabilities -----------------------------------------------------------------

@dataclass(frozen=True)
class ThresholdProbability:
    analysis: str  # analysis id
    label: str  # analysis label
    threshold: float
    threshold_label: str
    p_pooled_above: float  # P(expit(mu) > threshold | data)
    p_new_series_above: float  # P(expit(theta_new) > threshold | data)

    def to_dict(self) -> dict:
        return {"analysis": self.analysis, "label": self.label, "threshold": self.threshold,
                "threshold_label": self.threshold_label,
                "p_pooled_above": json_float(self.p_pooled_above),
                "p_new_series_above": json_float(self.p_new_series_above)}


@dataclass(frozen=True)
class ThresholdProbabilities:
    rows: tuple[ThresholdProbability, ...]

    def to_dict(self) -> dict:
        return {"rows": [r.to_dict() for r in self.rows]}

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame([r.to_dict() for r in self.rows],
                            columns=["analysis", "label", "threshold", "threshold_label",
                                     "p_pooled_above", "p_new_series_above"])

    def for_analysis(self, analysis_id: str) -> tuple[ThresholdProbability, ...]:
        return tuple(r for r in self.rows if r.analysis == analysis_id)

    def __str__(self) -> str:
        return "\n".join(f"{r.analysis}: P(pooled > {r.threshold:g}) = {r.p_pooled_above:.3f}; "
                         f"P(new series > {r.threshold:g}) = {r.p_new_series_above:.3f}"
                         for r in self.rows)


def threshold_probabilities(results) -> ThresholdProbabilities:
    """Posterior (and posterior predictive) probabilities above each of the plan's decision
    thresholds, for every Bayesian analysis in plan order (the primary first when Bayesian)."""
    rows = []
    for a in results.analyses:
        if not hasattr(a.result, "probability_above"):
            continue
        for t in results.plan.decision_thresholds:
            value = float(t["value"])
            rows.append(ThresholdProbability(
                a.spec.id, a.spec.label, value, str(t.get("label", "")),
                a.result.probability_above(value), a.result.predictive_probability_above(value)))
    return ThresholdProbabilities(tuple(rows))


# ---- robustness panel ------------------------------------------------------------------------

@dataclass(frozen=True)
class RobustnessRow:
    model: str
    analysis: str  # the analysis id the row comes from
    k: int
    estimate: float
    ci_lower: float
    ci_upper: float
    pi_lower: float | None
    pi_upper: float | None
    tau2: float | None
    interval_kind: str  # "confidence" or "credible"

    def to_dict(self) -> dict:
        return {"model": self.model, "analysis": self.analysis, "k": self.k,
                **{k: json_float(getattr(self, k)) for k in
                   ("estimate", "ci_lower", "ci_upper", "pi_lower", "pi_upper", "tau2")},
                "interval_kind": self.interval_kind}


@dataclass(frozen=True)
class RobustnessPanel:
    rows: tuple[RobustnessRow, ...]
    thresholds: tuple[float, ...]
    level: float

    def to_dict(self) -> dict:
        return {"rows": [r.to_dict() for r in self.rows], "thresholds": list(self.thresholds),
                "level": self.level, "flags": robustness_flags(self)}

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame([r.to_dict() for r in self.rows],
                            columns=["model", "analysis", "k", "estimate", "ci_lower", "ci_upper",
                                     "pi_lower", "pi_upper", "tau2", "interval_kind"])


def _row(model: str, analysis_id: str, result) -> RobustnessRow:
    bayes = result.method == "bayes"
    return RobustnessRow(model, analysis_id, result.k, result.estimate, result.ci_lower,
                         result.ci_upper, result.pi_lower, result.pi_upper, result.tau2,
                         "credible" if bayes else "confidence")


def robustness_panel(results) -> RobustnessPanel:
    """The primary outcome under each model of :data:`PANEL` the plan fitted (by analysis id),
    then the common-effect model from the ``reml_wald`` result's ``common`` (no τ², no
    prediction interval)."""
    by_id = {a.spec.id: a for a in results.analyses}
    rows = []
    for aid, label in PANEL:
        a = by_id.get(aid)
        if a is None:
            continue
        model = label or _primary_label(a.result)
        rows.append(_row(model, aid, a.result))
    reml = by_id.get(COMMON_FROM)
    if reml is not None and reml.result.common:
        c = reml.result.common
        rows.append(RobustnessRow("Common-effect model (inverse-variance logit)", COMMON_FROM,
                                  reml.result.k, c["estimate"], c["ci_lower"], c["ci_upper"],
                                  None, None, None, "confidence"))
    thresholds = tuple(float(t["value"]) for t in results.plan.decision_thresholds)
    return RobustnessPanel(tuple(rows), thresholds, results.primary.result.level)


def _primary_label(result) -> str:
    if result.method == "bayes":
        return f"Bayesian binomial-normal, tau ~ {result.tau_prior} (primary)"
    return f"{result.model_label()} (primary)"


def robustness_flags(panel: RobustnessPanel) -> list[str]:
    """Plain-words warnings: the estimates span more than :data:`SPAN_POINTS` percentage points;
    a decision threshold lies inside some models' intervals (CI or credible interval) and
    outside others (naming the threshold and the models)."""
    rows = panel.rows
    if not rows:
        return []
    flags = []
    estimates = [r.estimate for r in rows]
    span = 100.0 * (max(estimates) - min(estimates))
    if span > SPAN_POINTS:
        low = min(rows, key=lambda r: r.estimate)
        high = max(rows, key=lambda r: r.estimate)
        flags.append(f"The estimates span {span:.1f} percentage points (more than "
                     f"{SPAN_POINTS:g}): from {fmt.percent(low.estimate)} ({low.model}) to "
                     f"{fmt.percent(high.estimate)} ({high.model}).")
    for t in panel.thresholds:
        inside = [r.model for r in rows if r.ci_lower <= t <= r.ci_upper]
        outside = [r.model for r in rows if not r.ci_lower <= t <= r.ci_upper]
        if inside and outside:
            flags.append(f"The decision threshold {fmt.percent(t, 0)} lies inside the interval of "
                         f"{_join(inside)} but outside that of {_join(outside)}: whether the "
                         f"interval excludes {fmt.percent(t, 0)} depends on the model.")
    return flags


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
