"""The Bayesian binomial-normal model as a pooled result: posterior summaries and caveats.

Stage "statistics". :func:`pool_bayes` turns the posterior of :mod:`.bayes` (deterministic
quadrature, no MCMC) into a :class:`~jakisynth.stats.results.BayesianProportion` with the keys of
every other method (Röver 2020, J Stat Softw 93(6), bayesmeta: posterior medians, equal-tailed
intervals, the predictive distribution of a new study's effect).
"""

from __future__ import annotations

from dataclasses import replace

from scipy import special

from .bayes_summaries import bayes_posterior
from .caveats import Caveat
from .effects import effect_sizes
from .pooling import heterogeneity_statistics
from .priors import parse_mu_prior, parse_tau_prior
from .results import BayesianProportion, ModelScale


def pool_bayes(x, n, observed, study_rows, *, level: float, tau_prior: str,
               mu_prior: str) -> BayesianProportion:
    """The Bayesian binomial-normal model on checked counts (``fit_proportions(method="bayes")``):
    posterior median and equal-tailed credible interval of expit(μ), the predictive interval of
    expit(θ_new), the posterior of τ² (median, interval) and, as the GLMM reports them, I², H²
    and Q on the logit scale. Equivalent R (by MCMC): ``brms::brm(events | trials(totals) ~ 1 +
    (1 | study), family = binomial, prior = ...)``; bayesmeta's conventions (Röver 2020)."""

    tau_p, mu_p = parse_tau_prior(tau_prior), parse_mu_prior(mu_prior)
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
        studies=study_rows, method="bayes", transform="logit",
        tau2_method=None, ci_method="equal-tailed", level=level, study_ci=observed.ci,
        common=None, converged=fit.grid.converged,
        caveats=tuple(bayes_caveats(x, n, tau_p, mu_p, fit.grid.converged)),
        tau_prior=str(tau_p), mu_prior=str(mu_p), posterior=posterior, fit=fit)


def bayes_caveats(x, n, tau_prior, mu_prior, converged: bool) -> list[Caveat]:
    """Caveats of a Bayesian fit, one stable message and code each."""
    k = len(x)
    out = []
    if k == 1:
        out.append(Caveat("single_study", f"k = 1: tau cannot be learnt from one study; its "
                          f"posterior is close to its prior (tau ~ {tau_prior}), which sets the "
                          "predictive interval"))
    elif k < 5:
        out.append(Caveat("few_studies", f"k = {k} < 5: the posterior of tau (and the predictive "
                          f"interval) depends strongly on its prior (tau ~ {tau_prior}); report a "
                          "prior-sensitivity analysis (Röver et al. 2021)"))
    if int(x.sum()) == int(n.sum()):
        out.append(Caveat("bayes_prior_dominates", f"every study has all events: the upper end of "
                          "the posterior of the pooled proportion comes from the prior of mu "
                          f"({mu_prior}), not from the data"))
    elif int(x.sum()) == 0:
        out.append(Caveat("bayes_prior_dominates", f"every study has 0 events: the lower end of "
                          "the posterior of the pooled proportion comes from the prior of mu "
                          f"({mu_prior}), not from the data"))
    if not converged:
        out.append(Caveat("not_converged", "Bayesian quadrature: the posterior grid did not "
                          "resolve the posterior within its limits; the summaries may be "
                          "inaccurate"))
    return out
