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

from collections.abc import Sequence
from functools import lru_cache

from ..errors import InputError
from .caveats import Caveat, emit
from .control import Control, using
from .effects import (
    METAFOR_MEASURE,
    StudyProportions,
    back_transform,
    check_counts,
    check_level,
    effect_sizes,
    study_intervals,
)
from .lean import SMALL_K, lean_inverse
from .options import CI_METHODS, METHODS, TAU2_METHODS, TRANSFORMS, check_choice, resolve
from .pooling import few_studies_caveat, heterogeneity_statistics, pool_inverse_variance
from .results import ModelScale, PooledProportion, StudyProportion

FT_CAVEAT = Caveat("ft_back_transform",
                   "Freeman-Tukey back-transformation uses the harmonic mean of the study sizes "
                   "(metafor transf.ipft.hm); it can mislead when study sizes differ "
                   "(Schwarzer et al. 2019, Res Synth Methods 10:476)")


def pool_proportions(events: Sequence[int], totals: Sequence[int], *,
                     studies: Sequence[str] | None = None, method: str = "inverse",
                     transform: str | None = None, tau2: str | None = None,
                     ci: str | None = None, level: float = 0.95, study_ci: str = "exact",
                     pi_df: str | None = None, n_agq: int | None = None,
                     tau_prior: str | None = None, mu_prior: str | None = None,
                     tau2_ci: bool = True, control: Control | None = None) -> PooledProportion:
    """Pool proportions ``events/totals`` with a random-effects model.

    ``method="inverse"``: inverse-variance pooling of ``transform``-ed proportions (default
    "logit"), τ² by ``tau2`` (default "REML"), CI by ``ci`` ("z" Wald, the default, or "hk"
    Hartung-Knapp), prediction interval on ``pi_df`` ("metafor": z, or t(k-1) with "hk"; "k-2":
    t(k-2), Higgins 2009, as R meta). Equivalent R::

        es <- escalc(measure = "PLO", xi = events, ni = totals)   # PFT, PAS, PLN, PR
        res <- rma(yi, vi, data = es, method = "REML", test = "z")  # test = "knha" for hk
        predict(res, transf = transf.ilogit); confint(res)

    ``method="glmm"``: random-intercept logistic model fitted by ML with adaptive Gauss-Hermite
    quadrature (``n_agq`` nodes, default 7); ``transform`` can only be "logit" and ``ci`` only
    "z"; ``tau2`` and ``pi_df`` are not used (setting them is an error). Equivalent R:
    ``rma.glmm(measure = "PLO", xi = events, ni = totals, method = "ML")`` (lme4::glmer, nAGQ 7).

    ``method="bayes"``: the Bayesian binomial-normal model y_i ~ Bin(n_i, expit θ_i),
    θ_i ~ N(μ, τ²), with priors ``tau_prior`` ("halfnormal(s)", "halfcauchy(s)",
    "uniform(0, u)"; default "halfnormal(0.5)", Röver et al. 2021, Res Synth Methods 12:448) and
    ``mu_prior`` ("normal(m, s)", logit scale; default "normal(0, 10)": see
    :mod:`jakisynth.stats.priors`), computed by deterministic quadrature
    (:mod:`jakisynth.stats.bayes`). Returns a :class:`~jakisynth.stats.results.BayesianProportion`:
    posterior median, equal-tailed credible interval and predictive interval at ``level``, with
    ``probability_above(p)`` and ``predictive_probability_above(p)``. ``transform`` can only be
    "logit" and ``ci`` only "z"; ``tau2``, ``pi_df`` and ``n_agq`` are not used (an error), and
    the priors are used by this method only. Equivalent R (by MCMC):
    ``brms::brm(events | trials(totals) ~ 1 + (1 | study), family = binomial,
    prior = c(prior(normal(0, 10), class = Intercept), prior(normal(0, 0.5), class = sd)))``.

    ``study_ci`` is the per-study interval: "exact" (Clopper-Pearson, R ``binom.test``) or
    "wilson" (R ``prop.test(correct = FALSE)``), or None for none. ``tau2_ci=False`` skips the
    Q-profile CI of τ². Both off give the lean fit (the same numbers, for simulations and many
    fits; :mod:`jakisynth.stats.lean`). ``control`` (a :class:`~jakisynth.stats.control.Control`)
    sets the τ² estimators' numerical controls for this fit (metafor's ``control=``). Options are checked by
    :func:`jakisynth.stats.options.resolve`.

    Returns a :class:`~jakisynth.stats.results.PooledProportion`; each of its caveats is also
    raised as a :class:`~jakisynth.errors.JakisynthWarning`. Bad arguments raise
    :class:`~jakisynth.errors.InputError` naming the argument.
    """
    result = fit_proportions(events, totals, studies=studies, method=method, transform=transform,
                             tau2=tau2, ci=ci, level=level, study_ci=study_ci, pi_df=pi_df,
                             n_agq=n_agq, tau_prior=tau_prior, mu_prior=mu_prior, tau2_ci=tau2_ci,
                             control=control)
    emit(result.caveats)
    return result


def fit_proportions(events, totals, *, studies=None, method="inverse", transform=None,
                    tau2=None, ci=None, level=0.95, study_ci="exact", pi_df=None,
                    n_agq=None, tau_prior=None, mu_prior=None, tau2_ci=True,
                    control=None) -> PooledProportion:
    """:func:`pool_proportions` without raising the caveats as Python warnings (for callers
    that collect them, such as the sensitivity analyses and the plan runner)."""
    options = resolve(method, transform=transform, tau2=tau2, ci=ci, pi_df=pi_df, n_agq=n_agq,
                      tau_prior=tau_prior, mu_prior=mu_prior, control=control)
    if study_ci is not None:
        check_choice("study_ci", study_ci)
    x, n = check_counts(events, totals, totals_name="totals")
    labels = _study_labels(studies, len(x))
    level = check_level(level)
    observed = _observed(x, n, study_ci, level)
    if method == "glmm":
        return _pool_glmm(x, n, labels, observed, options["ci"], level, options["n_agq"])
    if method == "bayes":
        from .bayes_fit import pool_bayes

        return pool_bayes(x, n, observed, _study_rows(labels, observed, None), level=level,
                          tau_prior=options["tau_prior"], mu_prior=options["mu_prior"])
    with using(control):
        return _pool_inverse(x, n, labels, observed, options["transform"], options["tau2"],
                             options["ci"], level, options["pi_df"], tau2_ci)


def _observed(x, n, study_ci, level) -> StudyProportions:
    """Per-study proportions with their CIs, or without (``study_ci=None``, the lean fit)."""
    if study_ci is None:
        return StudyProportions(x, n, None, None, None, None, level)  # proportions: _study_rows
    return study_intervals(x, n, ci=study_ci, level=level)


@lru_cache(maxsize=64)
def _default_labels(k: int) -> tuple[str, ...]:
    return tuple(f"Study {i + 1}" for i in range(k))


def _study_labels(studies, k: int) -> list[str]:
    if studies is None:
        return list(_default_labels(k))
    labels = [str(s) for s in studies]
    if len(labels) != k:
        raise InputError(f"studies: {len(labels)} labels for {k} studies")
    return labels


def _pool_inverse(x, n, labels, observed, transform, tau2, ci, level, pi_df,
                  tau2_ci) -> PooledProportion:
    if observed.ci is None and not tau2_ci and len(x) <= SMALL_K:
        return _pool_lean(x, n, labels, observed, transform, tau2, ci, level, pi_df)
    effects = effect_sizes(x, n, transform)
    fit = pool_inverse_variance(effects.yi, effects.vi, tau2=tau2, ci=ci, level=level, pi_df=pi_df,
                                tau2_ci=tau2_ci)

    def back(value):
        return None if value is None else back_transform(value, transform, n)

    r, c = fit.random, fit.common
    caveats = list(fit.caveats)
    if effects.corrected.any():
        caveats.append(Caveat(
            "continuity_correction", f"continuity correction 1/2 added to "
            f"{int(effects.corrected.sum())} stud{'y' if effects.corrected.sum() == 1 else 'ies'} "
            f"with 0 or all events ({METAFOR_MEASURE[transform]}, metafor's default)"))
    if transform == "ft":
        caveats.append(FT_CAVEAT)
    rows = _study_rows(labels, observed, fit.weights)
    common = {"estimate": back(c.estimate), "ci_lower": back(c.ci_lower),
              "ci_upper": back(c.ci_upper), "transformed": c.to_dict()}
    return PooledProportion(
        k=fit.k, estimate=back(r.estimate), ci_lower=back(r.ci_lower), ci_upper=back(r.ci_upper),
        pi_lower=back(r.pi_lower), pi_upper=back(r.pi_upper), heterogeneity=fit.heterogeneity,
        transformed=r, studies=rows, method="inverse", transform=transform, tau2_method=tau2,
        ci_method=ci, level=level, study_ci=observed.ci, common=common,
        converged=fit.converged, caveats=tuple(caveats), pi_df=pi_df)


def _pool_lean(x, n, labels, observed, transform, tau2, ci, level, pi_df) -> PooledProportion:
    """The lean fit (no per-study CIs, no τ² CI) for small k: :func:`.lean.lean_inverse`."""
    if pi_df != "metafor":
        return _pool_inverse(x, n, labels, _observed(x, n, "exact", level), transform, tau2,
                             ci, level, pi_df, False)
    r, c, heterogeneity, weights, converged, caveats, back = lean_inverse(
        x, n, transform, tau2, ci, level)
    if transform == "ft":
        caveats.append(FT_CAVEAT)
    values = back([r.estimate, r.ci_lower, r.ci_upper, c.estimate, c.ci_lower, c.ci_upper])
    pi = (None, None) if r.pi_lower is None else tuple(back([r.pi_lower, r.pi_upper]))  # k = 1
    common = {"estimate": values[3], "ci_lower": values[4], "ci_upper": values[5],
              "transformed": c.to_dict()}
    return PooledProportion(
        k=len(labels), estimate=values[0], ci_lower=values[1], ci_upper=values[2],
        pi_lower=pi[0], pi_upper=pi[1], heterogeneity=heterogeneity, transformed=r,
        studies=_study_rows(labels, observed, weights), method="inverse", transform=transform,
        tau2_method=tau2, ci_method=ci, level=level, study_ci=None, common=common,
        converged=converged, caveats=tuple(caveats), pi_df=pi_df)


def _study_rows(labels, observed, weights) -> tuple[StudyProportion, ...]:
    events, totals = observed.events.tolist(), observed.totals.tolist()
    if observed.proportion is None:  # the lean fit: x/n on ints is correctly rounded, as numpy's
        proportion = [a / b for a, b in zip(events, totals)]
    else:
        proportion = observed.proportion.tolist()
    none = [None] * len(labels)
    lower = none if observed.ci_lower is None else observed.ci_lower.tolist()
    upper = none if observed.ci_upper is None else observed.ci_upper.tolist()
    weights = none if weights is None else weights
    make = StudyProportion.from_values
    return tuple(map(make, labels, events, totals, proportion, lower, upper, weights))


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
    half = z * (fit.tau2 + fit.se**2) ** 0.5 if len(x) > 1 else None  # k = 1: no PI
    transformed = ModelScale(fit.estimate, fit.se, fit.ci_lower, fit.ci_upper,
                             None if half is None else fit.estimate - half,
                             None if half is None else fit.estimate + half)
    expit = special.expit
    caveats = list(fit.caveats)
    if 1 < len(x) < 5:
        caveats.append(few_studies_caveat(len(x)))
    return PooledProportion(
        k=len(x), estimate=float(expit(fit.estimate)), ci_lower=float(expit(fit.ci_lower)),
        ci_upper=float(expit(fit.ci_upper)), pi_lower=_expit_or_none(transformed.pi_lower),
        pi_upper=_expit_or_none(transformed.pi_upper), heterogeneity=heterogeneity,
        transformed=transformed, studies=_study_rows(labels, observed, None), method="glmm",
        transform="logit", tau2_method="ML", ci_method="z", level=level,
        study_ci=observed.ci, common=None, converged=fit.converged, caveats=tuple(caveats),
        n_agq=n_agq)


def _expit_or_none(value):
    from scipy import special

    return None if value is None else float(special.expit(value))


__all__ = ["pool_proportions", "fit_proportions", "METHODS", "TRANSFORMS", "TAU2_METHODS", "CI_METHODS"]
