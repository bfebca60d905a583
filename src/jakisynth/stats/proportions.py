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

from functools import lru_cache
from typing import Sequence

from .effects import (METAFOR_MEASURE, TRANSFORMS, StudyProportions, back_transform, check_counts,
                      check_level, check_transform, effect_sizes, study_intervals)
from ..errors import InputError
from .caveats import Caveat, emit
from .pooling import CI_METHODS, few_studies_caveat, heterogeneity_statistics, pool_inverse_variance
from .results import ModelScale, PooledProportion, StudyProportion
from .lean import SMALL_K, lean_inverse
from .tau2 import TAU2_METHODS

METHODS = ("inverse", "glmm")

FT_CAVEAT = Caveat("ft_back_transform",
                   "Freeman-Tukey back-transformation uses the harmonic mean of the study sizes "
                   "(metafor transf.ipft.hm); it can mislead when study sizes differ "
                   "(Schwarzer et al. 2019, Res Synth Methods 10:476)")


def pool_proportions(events: Sequence[int], totals: Sequence[int], *,
                     studies: Sequence[str] | None = None, method: str = "inverse",
                     transform: str = "logit", tau2: str = "REML", ci: str = "z",
                     level: float = 0.95, study_ci: str = "exact",
                     pi_df: str = "metafor", n_agq: int = 7,
                     tau2_ci: bool = True) -> PooledProportion:
    """Pool proportions ``events/totals`` with a random-effects model.

    ``method="inverse"``: inverse-variance pooling of ``transform``-ed proportions, τ² by
    ``tau2``, CI by ``ci`` ("z" Wald or "hk" Hartung-Knapp). Equivalent R::

        es <- escalc(measure = "PLO", xi = events, ni = totals)   # PFT, PAS, PLN, PR
        res <- rma(yi, vi, data = es, method = "REML", test = "z")  # test = "knha" for hk
        predict(res, transf = transf.ilogit); confint(res)

    ``method="glmm"``: random-intercept logistic model fitted by ML with adaptive Gauss-Hermite
    quadrature (``n_agq`` nodes); ``transform`` must be "logit"; ``tau2`` is ignored (ML).
    Equivalent R: ``rma.glmm(measure = "PLO", xi = events, ni = totals, method = "ML")``
    (lme4::glmer with nAGQ = 7).

    Lean fit: ``study_ci=None`` skips the per-study CIs (their fields are then ``None``) and
    ``tau2_ci=False`` the Q-profile CI of τ² (``None``); every other number is unchanged. This
    is the fit to loop over in simulations (or use :func:`jakisynth.pool_many`).

    Returns a :class:`~jakisynth.stats.results.PooledProportion`; each of its caveats is also
    raised as a :class:`~jakisynth.errors.JakisynthWarning`. Bad arguments raise
    :class:`~jakisynth.errors.InputError` naming the argument.
    """
    result = fit_proportions(events, totals, studies=studies, method=method, transform=transform,
                             tau2=tau2, ci=ci, level=level, study_ci=study_ci, pi_df=pi_df,
                             n_agq=n_agq, tau2_ci=tau2_ci)
    emit(result.caveats)
    return result


def fit_proportions(events, totals, *, studies=None, method="inverse", transform="logit",
                    tau2="REML", ci="z", level=0.95, study_ci="exact", pi_df="metafor",
                    n_agq=7, tau2_ci=True) -> PooledProportion:
    """:func:`pool_proportions` without raising the caveats as Python warnings (for callers
    that collect them, such as the sensitivity analyses and the plan runner)."""
    x, n = check_counts(events, totals, totals_name="totals")
    labels = _study_labels(studies, len(x))
    if method not in METHODS:
        raise InputError(f"method: expected 'inverse' or 'glmm'; got {method!r}")
    check_transform(transform)
    if tau2 not in TAU2_METHODS:
        raise InputError(f"tau2: expected one of {', '.join(TAU2_METHODS)}; got {tau2!r}")
    if ci not in CI_METHODS:
        raise InputError(f"ci: expected 'z' or 'hk'; got {ci!r}")
    level = check_level(level)
    observed = _observed(x, n, study_ci, level)
    if method == "glmm":
        if transform != "logit":
            raise InputError(f"transform: the GLMM is a logistic model; use transform='logit' "
                             f"(got {transform!r})")
        return _pool_glmm(x, n, labels, observed, ci, level, n_agq)
    return _pool_inverse(x, n, labels, observed, transform, tau2, ci, level, pi_df, tau2_ci)


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
        converged=fit.converged, caveats=tuple(caveats))


def _pool_lean(x, n, labels, observed, transform, tau2, ci, level, pi_df) -> PooledProportion:
    """The lean fit (no per-study CIs, no τ² CI) for small k: :func:`.lean.lean_inverse`."""
    if pi_df != "metafor":
        return _pool_inverse(x, n, labels, _observed(x, n, "exact", level), transform, tau2,
                             ci, level, pi_df, False)
    r, c, heterogeneity, weights, converged, caveats, back = lean_inverse(
        x, n, transform, tau2, ci, level)
    if transform == "ft":
        caveats.append(FT_CAVEAT)
    values = back([r.estimate, r.ci_lower, r.ci_upper, r.pi_lower, r.pi_upper, c.estimate,
                   c.ci_lower, c.ci_upper])
    common = {"estimate": values[5], "ci_lower": values[6], "ci_upper": values[7],
              "transformed": c.to_dict()}
    return PooledProportion(
        k=len(labels), estimate=values[0], ci_lower=values[1], ci_upper=values[2],
        pi_lower=values[3], pi_upper=values[4], heterogeneity=heterogeneity, transformed=r,
        studies=_study_rows(labels, observed, weights), method="inverse", transform=transform,
        tau2_method=tau2, ci_method=ci, level=level, study_ci=None, common=common,
        converged=converged, caveats=tuple(caveats))


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
    half = z * (fit.tau2 + fit.se**2) ** 0.5
    transformed = ModelScale(fit.estimate, fit.se, fit.ci_lower, fit.ci_upper,
                             fit.estimate - half, fit.estimate + half)
    expit = special.expit
    caveats = list(fit.caveats)
    if 1 < len(x) < 5:
        caveats.append(few_studies_caveat(len(x)))
    return PooledProportion(
        k=len(x), estimate=float(expit(fit.estimate)), ci_lower=float(expit(fit.ci_lower)),
        ci_upper=float(expit(fit.ci_upper)), pi_lower=float(expit(transformed.pi_lower)),
        pi_upper=float(expit(transformed.pi_upper)), heterogeneity=heterogeneity,
        transformed=transformed, studies=_study_rows(labels, observed, None), method="glmm",
        transform="logit", tau2_method="ML", ci_method="z", level=level,
        study_ci=observed.ci, common=None, converged=fit.converged, caveats=tuple(caveats))


__all__ = ["pool_proportions", "fit_proportions", "METHODS", "TRANSFORMS", "TAU2_METHODS", "CI_METHODS"]
