"""``pool_proportions``: the public API for pooling proportions (events out of totals).

Stage "pooling" (public face). Defaults are metafor's: inverse-variance pooling on the logit
scale, REML τ², Wald (z) intervals; per-study exact (Clopper-Pearson) CIs. We chose metafor's
defaults rather than meta's GLMM default because every number of the inverse-variance model can
be traced by hand (yi, vi, weights) and checked against ``rma()`` with its default arguments; the
GLMM (``method="glmm"``), which needs no continuity correction and is preferred for 0% and 100%
series (Stijnen et al. 2010; Schwarzer et al. 2019), is one argument away and is the primary model
of the seed analysis plan where that plan says so.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

from .effects import (METAFOR_MEASURE, TRANSFORMS, back_transform, check_counts, check_level,
                      check_transform, effect_sizes, study_intervals)
from .errors import InputError
from .pooling import CI_METHODS, heterogeneity_statistics, pool_inverse_variance
from .priors import DEFAULT_MU_PRIOR, DEFAULT_TAU_PRIOR, parse_mu_prior, parse_tau_prior
from .results import BayesianProportion, ModelScale, PooledProportion, StudyProportion
from .tau2 import TAU2_METHODS

METHODS = ("inverse", "glmm", "bayes")

FT_CAVEAT = ("Freeman-Tukey back-transformation uses the harmonic mean of the study sizes "
             "(metafor transf.ipft.hm); it can mislead when study sizes differ "
             "(Schwarzer et al. 2019, Res Synth Methods 10:476)")


def pool_proportions(events: Sequence[int], totals: Sequence[int], *,
                     studies: Sequence[str] | None = None, method: str = "inverse",
                     transform: str = "logit", tau2: str | None = None, ci: str = "z",
                     level: float = 0.95, study_ci: str = "exact",
                     pi_df: str | None = None, n_agq: int | None = None,
                     tau_prior: str = DEFAULT_TAU_PRIOR,
                     mu_prior: str = DEFAULT_MU_PRIOR) -> PooledProportion:
    """Pool proportions ``events/totals`` with a random-effects model.

    ``method="inverse"``: inverse-variance pooling of ``transform``-ed proportions, τ² by
    ``tau2`` (default "REML"), CI by ``ci`` ("z" Wald or "hk" Hartung-Knapp), prediction
    interval with ``pi_df`` ("metafor", the default, or "k-2"). Equivalent R::

        es <- escalc(measure = "PLO", xi = events, ni = totals)   # PFT, PAS, PLN, PR
        res <- rma(yi, vi, data = es, method = "REML", test = "z")  # test = "knha" for hk
        predict(res, transf = transf.ilogit); confint(res)

    ``method="glmm"``: random-intercept logistic model fitted by ML with adaptive Gauss-Hermite
    quadrature (``n_agq`` nodes, default 7); ``transform`` must be "logit"; ``tau2`` is ignored
    (ML). Equivalent R: ``rma.glmm(measure = "PLO", xi = events, ni = totals, method = "ML")``
    (lme4::glmer with nAGQ = 7).

    ``method="bayes"``: the Bayesian binomial-normal model y_i ~ Bin(n_i, expit θ_i),
    θ_i ~ N(μ, τ²), with priors ``tau_prior`` ("halfnormal(s)", "halfcauchy(s)",
    "uniform(0, u)"; default halfnormal(0.5), Röver et al. 2021, Res Synth Methods 12:448) and
    ``mu_prior`` ("normal(m, s)"; default normal(0, 10), very diffuse on the logit scale: see
    :mod:`jakisynth.priors`), computed by deterministic quadrature (:mod:`jakisynth.bayes`).
    Returns a :class:`~jakisynth.results.BayesianProportion` (posterior median, equal-tailed
    credible and predictive intervals at ``level``). ``transform`` other than "logit", ``tau2``,
    ``ci="hk"``, ``pi_df`` and ``n_agq`` are not used by this model and raise InputError.
    Equivalent R (by MCMC): ``brms::brm(events | trials(totals) ~ 1 + (1 | study),
    family = binomial, prior = c(prior(normal(0, 10), class = Intercept),
    prior(normal(0, 0.5), class = sd)))``.

    Returns a :class:`~jakisynth.results.PooledProportion`. Bad arguments raise
    :class:`~jakisynth.errors.InputError` naming the argument.
    """
    x, n = check_counts(events, totals, totals_name="totals")
    labels = _study_labels(studies, len(x))
    if method not in METHODS:
        raise InputError(f"method: expected 'inverse', 'glmm' or 'bayes'; got {method!r}")
    check_transform(transform)
    if method == "bayes":
        return _pool_bayes(x, n, labels, transform=transform, tau2=tau2, ci=ci, level=level,
                           study_ci=study_ci, pi_df=pi_df, n_agq=n_agq, tau_prior=tau_prior,
                           mu_prior=mu_prior)
    for name, value, default in (("tau_prior", tau_prior, DEFAULT_TAU_PRIOR),
                                 ("mu_prior", mu_prior, DEFAULT_MU_PRIOR)):
        if value != default:
            raise InputError(f"{name}: only method='bayes' uses a prior (method={method!r})")
    tau2 = "REML" if tau2 is None else tau2
    pi_df = "metafor" if pi_df is None else pi_df
    n_agq = 7 if n_agq is None else n_agq
    if tau2 not in TAU2_METHODS:
        raise InputError(f"tau2: expected one of {', '.join(TAU2_METHODS)}; got {tau2!r}")
    if ci not in CI_METHODS:
        raise InputError(f"ci: expected 'z' or 'hk'; got {ci!r}")
    level = check_level(level)
    observed = study_intervals(x, n, ci=study_ci, level=level)
    if method == "glmm":
        if transform != "logit":
            raise InputError(f"transform: the GLMM is a logistic model; use transform='logit' "
                             f"(got {transform!r})")
        return _pool_glmm(x, n, labels, observed, ci, level, n_agq)
    return _pool_inverse(x, n, labels, observed, transform, tau2, ci, level, pi_df)


def _study_labels(studies, k: int) -> list[str]:
    if studies is None:
        return [f"Study {i + 1}" for i in range(k)]
    labels = [str(s) for s in studies]
    if len(labels) != k:
        raise InputError(f"studies: {len(labels)} labels for {k} studies")
    return labels


def _pool_inverse(x, n, labels, observed, transform, tau2, ci, level, pi_df) -> PooledProportion:
    effects = effect_sizes(x, n, transform)
    fit = pool_inverse_variance(effects.yi, effects.vi, tau2=tau2, ci=ci, level=level, pi_df=pi_df)

    def back(value):
        return None if value is None else back_transform(value, transform, n)

    r, c = fit.random, fit.common
    warnings = list(fit.warnings)
    if effects.corrected.any():
        warnings.append(f"continuity correction 1/2 added to {int(effects.corrected.sum())} "
                        f"stud{'y' if effects.corrected.sum() == 1 else 'ies'} with 0 or all "
                        f"events ({METAFOR_MEASURE[transform]}, metafor's default)")
    if transform == "ft":
        warnings.append(FT_CAVEAT)
    rows = _study_rows(labels, observed, fit.weights)
    common = {"estimate": back(c.estimate), "ci_lower": back(c.ci_lower),
              "ci_upper": back(c.ci_upper), "transformed": c.to_dict()}
    return PooledProportion(
        k=fit.k, estimate=back(r.estimate), ci_lower=back(r.ci_lower), ci_upper=back(r.ci_upper),
        pi_lower=back(r.pi_lower), pi_upper=back(r.pi_upper), heterogeneity=fit.heterogeneity,
        transformed=r, studies=rows, method="inverse", transform=transform, tau2_method=tau2,
        ci_method=ci, level=level, study_ci=observed.ci, common=common,
        converged=fit.converged, warnings=tuple(warnings))


def _study_rows(labels, observed, weights) -> tuple[StudyProportion, ...]:
    return tuple(
        StudyProportion(study=labels[i], events=int(observed.events[i]),
                        total=int(observed.totals[i]), proportion=float(observed.proportion[i]),
                        ci_lower=float(observed.ci_lower[i]), ci_upper=float(observed.ci_upper[i]),
                        weight=None if weights is None else float(weights[i]))
        for i in range(len(labels)))


def _pool_glmm(x, n, labels, observed, ci, level, n_agq) -> PooledProportion:
    from scipy import special

    from .glmm import fit_glmm_logit

    if ci != "z":
        raise InputError("ci: the GLMM gives Wald (z) intervals only; use ci='z'")
    fit = fit_glmm_logit(x, n, n_agq=n_agq, level=level)
    # Heterogeneity statistics on the logit scale with metafor's continuity correction, as
    # rma.glmm reports them (QE.Wld, I2 and H2 from the typical within-study variance).
    effects = effect_sizes(x, n, "logit")
    heterogeneity = heterogeneity_statistics(effects.yi, effects.vi, fit.tau2, level, tau2_ci=False)
    z = float(special.ndtri(1 - (1 - level) / 2))
    half = z * (fit.tau2 + fit.se**2) ** 0.5
    transformed = ModelScale(fit.estimate, fit.se, fit.ci_lower, fit.ci_upper,
                             fit.estimate - half, fit.estimate + half)
    expit = special.expit
    warnings = list(fit.warnings)
    if 1 < len(x) < 5:
        warnings.append(f"k = {len(x)} < 5: tau2 and the prediction interval are poorly "
                        "estimated (Veroniki et al. 2016)")
    return PooledProportion(
        k=len(x), estimate=float(expit(fit.estimate)), ci_lower=float(expit(fit.ci_lower)),
        ci_upper=float(expit(fit.ci_upper)), pi_lower=float(expit(transformed.pi_lower)),
        pi_upper=float(expit(transformed.pi_upper)), heterogeneity=heterogeneity,
        transformed=transformed, studies=_study_rows(labels, observed, None), method="glmm",
        transform="logit", tau2_method="ML", ci_method="z", level=level,
        study_ci=observed.ci, common=None, converged=fit.converged, warnings=tuple(warnings))


def _pool_bayes(x, n, labels, *, transform, tau2, ci, level, study_ci, pi_df, n_agq, tau_prior,
                mu_prior) -> BayesianProportion:
    from scipy import special

    from .bayes_summaries import bayes_posterior

    unused = [name for name, bad in (("transform", transform != "logit"), ("tau2", tau2 is not None),
                                     ("ci", ci != "z"), ("pi_df", pi_df is not None),
                                     ("n_agq", n_agq is not None)) if bad]
    if unused:
        raise InputError(f"{', '.join(unused)}: not used by method='bayes' (the binomial-normal "
                         "model on the logit scale with credible intervals); leave "
                         f"{'it' if len(unused) == 1 else 'them'} out")
    tau_p, mu_p = parse_tau_prior(tau_prior), parse_mu_prior(mu_prior)
    level = check_level(level)
    observed = study_intervals(x, n, ci=study_ci, level=level)
    fit = bayes_posterior(x, n, tau_p, mu_p)
    alpha = (1.0 - level) / 2.0
    mu = [fit.mu_quantile(q) for q in (0.5, alpha, 1.0 - alpha)]
    pred = [fit.predictive_quantile(q) for q in (alpha, 1.0 - alpha)]
    tau = [fit.tau_quantile(q, tau_p) for q in (0.5, alpha, 1.0 - alpha)]
    effects = effect_sizes(x, n, "logit")
    heterogeneity = heterogeneity_statistics(effects.yi, effects.vi, tau[0] ** 2, level,
                                             tau2_ci=False)
    heterogeneity = replace(heterogeneity, tau2_ci_lower=tau[1] ** 2, tau2_ci_upper=tau[2] ** 2)
    transformed = ModelScale(mu[0], fit.mu_sd, mu[1], mu[2], pred[0], pred[1])
    expit = special.expit
    posterior = {"mu_mean": fit.mu_mean, "mu_sd": fit.mu_sd, "tau_median": tau[0],
                 "tau_ci_lower": tau[1], "tau_ci_upper": tau[2]}
    return BayesianProportion(
        k=len(x), estimate=float(expit(mu[0])), ci_lower=float(expit(mu[1])),
        ci_upper=float(expit(mu[2])), pi_lower=float(expit(pred[0])),
        pi_upper=float(expit(pred[1])), heterogeneity=heterogeneity, transformed=transformed,
        studies=_study_rows(labels, observed, None), method="bayes", transform="logit",
        tau2_method=None, ci_method="equal-tailed", level=level, study_ci=observed.ci,
        common=None, converged=fit.grid.converged,
        warnings=tuple(bayes_warnings(x, n, tau_p, mu_p, fit.grid.converged)),
        tau_prior=str(tau_p), mu_prior=str(mu_p), posterior=posterior, fit=fit)


def bayes_warnings(x, n, tau_prior, mu_prior, converged: bool) -> list[str]:
    """Caveats of a Bayesian fit, one stable message each (see the report of issue 9 for codes)."""
    k = len(x)
    out = []
    if k == 1:
        out.append(f"k = 1: tau cannot be learnt from one study; its posterior is close to its "
                   f"prior (tau ~ {tau_prior}), which sets the predictive interval")
    elif k < 5:
        out.append(f"k = {k} < 5: the posterior of tau (and the predictive interval) depends "
                   f"strongly on its prior (tau ~ {tau_prior}); report a prior-sensitivity "
                   "analysis (Röver et al. 2021)")
    if int(x.sum()) == int(n.sum()):
        out.append(f"every study has all events: the upper end of the posterior of the pooled "
                   f"proportion comes from the prior of mu ({mu_prior}), not from the data")
    elif int(x.sum()) == 0:
        out.append(f"every study has 0 events: the lower end of the posterior of the pooled "
                   f"proportion comes from the prior of mu ({mu_prior}), not from the data")
    if not converged:
        out.append("Bayesian quadrature: the posterior grid did not resolve the posterior within "
                   "its limits; the summaries may be inaccurate")
    return out


__all__ = ["pool_proportions", "METHODS", "TRANSFORMS", "TAU2_METHODS", "CI_METHODS"]
