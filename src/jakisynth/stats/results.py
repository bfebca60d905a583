"""Typed result objects of the pooling engine: readable ``str()``, ``to_dict()``, tidy ``to_frame()``.

Stage "result objects". No statistics are computed here; the objects hold what ``pooling``,
``glmm`` and ``proportions`` computed. ``to_dict()`` returns plain Python (floats, ints, strings,
lists, ``None``: JSON-ready); a value that does not exist for a model (e.g. a tau² CI for the
GLMM) is ``None``, never NaN.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from .caveats import Caveat, messages
from .effects import METAFOR_MEASURE, METAFOR_TEST
from .format import level_percent
from .format import number as _fmt
from .format import percent as _pct


def json_float(value):
    """Plain float (or None) for dicts; refuses NaN so it never leaves the engine silently."""
    if value is None:
        return None
    value = float(value)
    if math.isnan(value):
        raise ValueError("internal error: NaN in a result")  # a bug, not bad input
    return value


@dataclass(frozen=True)
class ModelScale:
    """Pooled estimate on the model (transformed) scale with its CI and prediction interval."""

    estimate: float
    se: float
    ci_lower: float
    ci_upper: float
    pi_lower: float | None
    pi_upper: float | None

    def to_dict(self) -> dict:
        return {"estimate": json_float(self.estimate), "se": json_float(self.se),
                "ci_lower": json_float(self.ci_lower), "ci_upper": json_float(self.ci_upper),
                "pi_lower": json_float(self.pi_lower), "pi_upper": json_float(self.pi_upper)}


@dataclass(frozen=True)
class Heterogeneity:
    """tau² (with its Q-profile CI), Cochran's Q with df and p, I² (percent) and H²."""

    tau2: float
    tau2_ci_lower: float | None
    tau2_ci_upper: float | None
    I2: float
    H2: float
    Q: float
    df: int
    Q_pvalue: float | None  # None for k = 1 (no test on 0 degrees of freedom)

    def to_dict(self) -> dict:
        out = {k: json_float(v) for k, v in asdict(self).items()}
        out["df"] = int(self.df)
        return out


@dataclass(frozen=True)
class ModelFit:
    """An inverse-variance fit of ``yi`` with variances ``vi`` (common and random effects).

    The equivalent R call is ``metafor::rma.uni(yi, vi, method = tau2_method, test = ci_method)``
    (``method = "EE"`` for the common-effect part).
    """

    k: int
    random: ModelScale
    common: ModelScale
    heterogeneity: Heterogeneity
    weights: tuple[float, ...]  # random-effects weights, percent, input order
    tau2_method: str
    ci_method: str
    level: float
    converged: bool
    caveats: tuple[Caveat, ...] = field(default_factory=tuple)

    @property
    def warnings(self) -> list[str]:
        return messages(self.caveats)

    def to_dict(self) -> dict:
        return {
            "k": self.k, "random": self.random.to_dict(), "common": self.common.to_dict(),
            "heterogeneity": self.heterogeneity.to_dict(),
            "weights": [json_float(w) for w in self.weights], "tau2_method": self.tau2_method,
            "ci_method": self.ci_method, "level": self.level, "converged": self.converged,
            "warnings": self.warnings, "caveats": [c.to_dict() for c in self.caveats],
        }


@dataclass(frozen=True)
class StudyProportion:
    """One study's observed proportion with its per-study CI and its weight in the pooled model."""

    study: str
    events: int
    total: int
    proportion: float
    ci_lower: float
    ci_upper: float
    weight: float | None  # percent; None for the GLMM (no inverse-variance weights)

    @classmethod
    def from_values(cls, study, events, total, proportion, ci_lower, ci_upper, weight):
        """The same object as ``cls(...)`` built without the frozen ``__init__``'s per-field
        ``object.__setattr__`` (a fit makes one per study; this is the lean fit's hot path)."""
        obj = object.__new__(cls)
        obj.__dict__.update(study=study, events=events, total=total, proportion=proportion,
                            ci_lower=ci_lower, ci_upper=ci_upper, weight=weight)
        return obj

    def to_dict(self) -> dict:
        return {"study": self.study, "events": int(self.events), "total": int(self.total),
                "proportion": json_float(self.proportion), "ci_lower": json_float(self.ci_lower),
                "ci_upper": json_float(self.ci_upper)}


@dataclass(frozen=True)
class PooledProportion:
    """A pooled proportion: the result of :func:`jakisynth.pool_proportions`.

    Proportions (``estimate``, CI, prediction interval) are back-transformed from the model scale;
    ``transformed`` holds the model-scale values; ``common`` the common-effect (fixed) model.
    """

    k: int
    estimate: float
    ci_lower: float
    ci_upper: float
    pi_lower: float | None
    pi_upper: float | None
    heterogeneity: Heterogeneity
    transformed: ModelScale
    studies: tuple[StudyProportion, ...]
    method: str
    transform: str
    tau2_method: str | None
    ci_method: str
    level: float
    study_ci: str
    common: dict | None  # {"estimate", "ci_lower", "ci_upper", "transformed": {...}} or None
    converged: bool
    caveats: tuple[Caveat, ...] = field(default_factory=tuple)
    pi_df: str | None = None  # inverse variance: "metafor" or "k-2"
    n_agq: int | None = None  # GLMM: quadrature nodes

    @property
    def warnings(self) -> list[str]:
        """The caveats' messages (what metafor prints as warnings)."""
        return messages(self.caveats)

    @property
    def tau2(self) -> float:
        return self.heterogeneity.tau2

    @property
    def i2(self) -> float:
        return self.heterogeneity.I2

    @property
    def prediction_interval(self) -> tuple[float | None, float | None]:
        return (self.pi_lower, self.pi_upper)

    @property
    def weights(self) -> list[float | None]:
        return [s.weight for s in self.studies]

    def to_dict(self) -> dict:
        h = self.heterogeneity
        weights = None if self.method == "glmm" else [json_float(w) for w in self.weights]
        return {
            "k": self.k,
            "estimate": json_float(self.estimate), "ci_lower": json_float(self.ci_lower),
            "ci_upper": json_float(self.ci_upper), "pi_lower": json_float(self.pi_lower),
            "pi_upper": json_float(self.pi_upper),
            "tau2": json_float(h.tau2), "tau2_ci_lower": json_float(h.tau2_ci_lower),
            "tau2_ci_upper": json_float(h.tau2_ci_upper), "I2": json_float(h.I2), "H2": json_float(h.H2),
            "Q": json_float(h.Q), "Q_df": int(h.df), "Q_pvalue": json_float(h.Q_pvalue),
            "weights": weights,
            "transformed": self.transformed.to_dict(),
            "studies": [s.to_dict() for s in self.studies],
            "method": self.method, "transform": self.transform,
            "tau2_method": self.tau2_method, "ci_method": self.ci_method,
            "level": self.level, "study_ci": self.study_ci, "pi_df": self.pi_df,
            "n_agq": self.n_agq,
            "common": self.common, "converged": self.converged,
            "model_label": self.model_label(), "warnings": self.warnings,
            "caveats": [c.to_dict() for c in self.caveats],
        }

    def to_frame(self):
        """Tidy table: one row per study, then the random-effects, common-effect and PI rows.

        Columns: ``row``, ``kind`` (study / random / common / prediction), ``events``, ``total``,
        ``proportion``, ``ci_lower``, ``ci_upper``, ``weight`` (percent).
        """
        import pandas as pd

        rows = [{"row": s.study, "kind": "study", "events": s.events, "total": s.total,
                 "proportion": s.proportion, "ci_lower": s.ci_lower, "ci_upper": s.ci_upper,
                 "weight": s.weight} for s in self.studies]
        events = sum(s.events for s in self.studies)
        total = sum(s.total for s in self.studies)
        rows.append({"row": self.model_label(), "kind": "random", "events": events, "total": total,
                     "proportion": self.estimate, "ci_lower": self.ci_lower,
                     "ci_upper": self.ci_upper, "weight": 100.0 if self.method != "glmm" else None})
        if self.common is not None:
            rows.append({"row": "Common effect", "kind": "common", "events": events,
                         "total": total, "proportion": self.common["estimate"],
                         "ci_lower": self.common["ci_lower"], "ci_upper": self.common["ci_upper"],
                         "weight": None})
        if self.pi_lower is not None:
            rows.append({"row": "Prediction interval", "kind": "prediction", "events": None,
                         "total": None, "proportion": None, "ci_lower": self.pi_lower,
                         "ci_upper": self.pi_upper, "weight": None})
        return pd.DataFrame(rows, columns=["row", "kind", "events", "total", "proportion",
                                           "ci_lower", "ci_upper", "weight"])

    def r_call(self) -> str:
        """The metafor call that reproduces this fit (``xi``/``ni`` are the studies' counts)."""
        xi = ", ".join(str(s.events) for s in self.studies)
        ni = ", ".join(str(s.total) for s in self.studies)
        level = "" if self.level == 0.95 else f", level = {100 * self.level:.10g}"
        if self.method == "glmm":
            return f'rma.glmm(measure = "PLO", xi = c({xi}), ni = c({ni}), method = "ML"{level})'
        return (f'rma(measure = "{METAFOR_MEASURE[self.transform]}", xi = c({xi}), ni = c({ni}), '
                f'method = "{self.tau2_method}", test = "{METAFOR_TEST[self.ci_method]}"{level})')

    def _study_lines(self) -> list[str]:
        """The study table of ``str()``: a header, then one line per study (weights where the
        model has them)."""
        width = max([len(s.study) for s in self.studies] + [5])
        ci_head = f"{level_percent(self.level)} CI ({self.study_ci})"
        weighted = any(s.weight is not None for s in self.studies)
        lines = [f"  {'study':<{width}}  {'events/total':>12}  {'proportion':>10}  {ci_head:<18}"
                 + (f"  {'weight':>7}" if weighted else "")]
        for s in self.studies:
            weight = "" if s.weight is None else f"  {s.weight:6.1f}%"
            ci = f"[{_pct(s.ci_lower)}, {_pct(s.ci_upper)}]"
            lines.append(f"  {s.study:<{width}}  {f'{s.events}/{s.total}':>12}  {_pct(s.proportion):>10}"
                         f"  {ci:<18}{weight}")
        return [line.rstrip() for line in lines]

    def model_label(self) -> str:
        if self.method == "glmm":
            return "Random effects (GLMM, logit)"
        return f"Random effects ({self.tau2_method}, {self.transform}, {self.ci_method})"

    def __str__(self) -> str:
        h = self.heterogeneity
        pct = level_percent(self.level)
        lines = [f"Pooled proportion: {self.model_label()}, k = {self.k}", ""]
        lines += self._study_lines()
        pi = ("NA" if self.pi_lower is None
              else f"[{_pct(self.pi_lower)}, {_pct(self.pi_upper)}]")
        lines += ["", f"  estimate {_pct(self.estimate)}  {pct} CI [{_pct(self.ci_lower)}, "
                      f"{_pct(self.ci_upper)}]  prediction interval {pi}"]
        if self.common is not None:
            lines.append(f"  common effect {_pct(self.common['estimate'])}  {pct} CI "
                         f"[{_pct(self.common['ci_lower'])}, {_pct(self.common['ci_upper'])}]")
        tau2_ci = ("CI not available" if h.tau2_ci_lower is None
                   else f"CI {_fmt(h.tau2_ci_lower)} to {_fmt(h.tau2_ci_upper)}")
        lines.append(f"  tau2 = {_fmt(h.tau2)} ({tau2_ci})"
                     f"  I2 = {h.I2:.1f}%  H2 = {h.H2:.2f}  Q = {h.Q:.2f} (df = {h.df}, p = "
                     f"{'NA' if h.Q_pvalue is None else _fmt(h.Q_pvalue)})")
        t = self.transformed
        lines.append(f"  model scale ({self.transform}): {_fmt(t.estimate)} (se {_fmt(t.se)})"
                     f" [{_fmt(t.ci_lower)}, {_fmt(t.ci_upper)}]")
        for w in self.warnings:
            lines.append(f"  warning: {w}")
        return "\n".join(lines)


@dataclass(frozen=True)
class BayesianProportion(PooledProportion):
    """A pooled proportion from the Bayesian binomial-normal model (``method="bayes"``).

    Keeps every ``to_dict()`` key of :class:`PooledProportion`, with Bayesian meanings:
    ``estimate`` the posterior median of expit(μ); ``ci_lower``/``ci_upper`` its equal-tailed
    credible interval; ``pi_lower``/``pi_upper`` the equal-tailed posterior predictive interval of
    a new series' true proportion expit(θ_new); ``tau2`` and its interval the posterior median and
    equal-tailed interval of τ²; I², H², Q as the GLMM reports them (logit scale, metafor's
    continuity correction, at the posterior median τ²). ``transformed`` holds, on the logit
    scale, the posterior median of μ, its posterior SD (as ``se``) and the same intervals. Adds
    ``tau_prior``, ``mu_prior`` and ``posterior`` (μ's posterior mean and SD, τ's posterior median
    and interval), and the methods :meth:`probability_above` and
    :meth:`predictive_probability_above`.
    """

    tau_prior: str = ""
    mu_prior: str = ""
    posterior: dict = field(default_factory=dict)
    fit: object = field(default=None, repr=False, compare=False)  # bayes_summaries.BayesPosterior

    def probability_above(self, p: float) -> float:
        """Posterior probability that the pooled proportion expit(μ) exceeds ``p``."""
        return 1.0 - self.fit.mu_probability_below(_logit_threshold(p))

    def predictive_probability_above(self, p: float) -> float:
        """Posterior predictive probability that a new series' true proportion expit(θ_new)
        exceeds ``p``."""
        return 1.0 - self.fit.predictive_probability_below(_logit_threshold(p))

    def to_dict(self) -> dict:
        out = super().to_dict()
        out["weights"] = None
        out["tau_prior"] = self.tau_prior
        out["mu_prior"] = self.mu_prior
        out["posterior"] = {k: json_float(v) for k, v in self.posterior.items()}
        return out

    def to_frame(self):
        """As :meth:`PooledProportion.to_frame`; the pooled row is the posterior median with
        its credible interval, the last row the predictive interval; no weights."""
        frame = super().to_frame()
        frame.loc[frame["kind"] == "random", "weight"] = None
        frame.loc[frame["kind"] == "prediction", "row"] = "Predictive interval"
        return frame

    def r_call(self) -> str:
        """The equivalent R model (fitted by MCMC there): brms with the same priors."""
        from .priors import parse_mu_prior, parse_tau_prior

        xi = ", ".join(str(s.events) for s in self.studies)
        ni = ", ".join(str(s.total) for s in self.studies)
        tau, mu = parse_tau_prior(self.tau_prior), parse_mu_prior(self.mu_prior)
        return (f"brms::brm(xi | trials(ni) ~ 1 + (1 | study), family = binomial, "
                f"data = data.frame(xi = c({xi}), ni = c({ni}), study = seq_along(xi)), "
                f"prior = c({mu.r_brms()}, {tau.r_brms()}))")

    def model_label(self) -> str:
        return (f"Bayesian random effects (binomial-normal; tau ~ {self.tau_prior}, "
                f"mu ~ {self.mu_prior})")

    def __str__(self) -> str:
        h = self.heterogeneity
        pct = level_percent(self.level)
        lines = [f"Pooled proportion: {self.model_label()}, k = {self.k}", ""]
        lines += self._study_lines()
        post = self.posterior
        lines += ["", f"  posterior median {_pct(self.estimate)}  {pct} credible interval "
                      f"[{_pct(self.ci_lower)}, {_pct(self.ci_upper)}]",
                  f"  {pct} predictive interval (new series) [{_pct(self.pi_lower)}, "
                  f"{_pct(self.pi_upper)}]",
                  f"  tau median {_fmt(post.get('tau_median'))} ({pct} credible interval "
                  f"{_fmt(post.get('tau_ci_lower'))} to {_fmt(post.get('tau_ci_upper'))});"
                  f"  tau2 median {_fmt(h.tau2)}",
                  f"  I2 = {h.I2:.1f}%  H2 = {h.H2:.2f} (at the median tau2)  Q = {h.Q:.2f} "
                  f"(df = {h.df}, p = {_fmt(h.Q_pvalue)})",
                  f"  model scale (logit): mu posterior mean {_fmt(post.get('mu_mean'))} "
                  f"(sd {_fmt(post.get('mu_sd'))}), median {_fmt(self.transformed.estimate)}"]
        if self.fit is not None:
            for p in (0.5, 0.8):
                lines.append(f"  P(pooled proportion > {_pct(p, 0)}) = "
                             f"{self.probability_above(p):.3f};  P(new series > {_pct(p, 0)}) = "
                             f"{self.predictive_probability_above(p):.3f}")
        for w in self.warnings:
            lines.append(f"  warning: {w}")
        return "\n".join(lines)


def _logit_threshold(p) -> float:
    from ..errors import InputError

    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 < float(p) < 1.0:
        raise InputError(f"p: expected a proportion strictly between 0 and 1, got {p!r}")
    return math.log(float(p) / (1.0 - float(p)))
