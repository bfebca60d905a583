"""Inverse-variance pooling of per-study estimates: common- and random-effects models.

Stage "pooling". Works on any ``yi``/``vi`` (proportions are transformed in ``effects``). The
formulas are metafor's ``rma.uni`` for the intercept-only model (Viechtbauer 2010; the project's
``statistics.md`` guide):

- weights w_i = 1/(v_i + τ̂²); μ̂ = Σw y/Σw; se = 1/√Σw; Wald CI μ̂ ± z·se (``test = "z"``).
- Hartung-Knapp (``test = "knha"``): se² = Σw(y-μ̂)²/((k-1)Σw), CI with t_{k-1}
  (Hartung & Knapp 2001; Sidik & Jonkman 2002); no truncation of the scaling factor.
- Prediction interval μ̂ ± crit·√(τ̂² + se²), crit = z for Wald, t_{k-1} for Hartung-Knapp
  (metafor's ``predict.rma``); ``pi_df="k-2"`` gives t_{k-2} (Higgins et al. 2009, R's meta).
- Q = Σ(y-μ̂_FE)²/v with p from χ²_{k-1}; I² = 100 τ̂²/(τ̂² + s²), H² = (τ̂² + s²)/s² with the
  typical within-study variance s² = (k-1)Σw/((Σw)² - Σw²), w = 1/v (metafor).
- k = 1: no prediction interval and no Q p value (None). A test on 0 degrees of freedom and an
  interval for a new study's effect need τ², which one study cannot estimate; R's meta gives NA
  for both (``metaprop``: ``pval.Q``, ``lower.predict``), whereas metafor 3.8 prints
  ``Q(df = 0) = 0, p-val = 1`` and a prediction interval equal to the CI.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from ..errors import InputError
from .caveats import Caveat
from .options import CI_METHODS, PI_DF
from .results import Heterogeneity, ModelFit, ModelScale
from .tau2 import CANCELLATION, estimate_tau2, generalised_q, tau2_qprofile_ci, weight_spread

HK_NARROWER = Caveat("hk_narrower", "Hartung-Knapp: the scaling factor is below 1, so the CI is "
                     "narrower than the Wald CI would be with the t quantile; metafor's test = "
                     "'adhoc' (Knapp & Hartung 2003) would not narrow it")


def pool_inverse_variance(yi, vi, *, tau2: str = "REML", ci: str = "z", level: float = 0.95,
                          pi_df: str = "metafor", tau2_ci: bool = True) -> ModelFit:
    """Common- and random-effects pooling of ``yi`` with sampling variances ``vi``.

    Equivalent R: ``metafor::rma.uni(yi, vi, method = tau2, test = c(z = "z", hk = "knha")[ci],
    level = 100 * level)`` with ``predict()`` for the prediction interval and ``confint()`` for
    the Q-profile CI of τ² (skipped, ``None``, when ``tau2_ci`` is False).
    """
    if ci not in CI_METHODS:
        raise InputError(f"ci: expected 'z' or 'hk'; got {ci!r}")
    if pi_df not in PI_DF:
        raise InputError(f"pi_df: expected 'metafor' or 'k-2'; got {pi_df!r}")
    yi = np.asarray(yi, dtype=float)
    vi = np.asarray(vi, dtype=float)
    k = yi.size
    if k == 0:
        raise InputError("yi: no studies given")
    if ci == "hk" and k < 2:
        raise InputError("ci: Hartung-Knapp needs at least 2 studies (k = 1 given); use ci='z'")
    if np.any(~np.isfinite(yi)) or np.any(~np.isfinite(vi)) or np.any(vi <= 0):
        raise InputError("vi: every sampling variance must be finite and positive")
    caveats: list[Caveat] = []
    estimate = estimate_tau2(yi, vi, tau2)
    caveats.extend(estimate.caveats)
    tau2_hat = estimate.tau2

    common = _fit(yi, vi, 0.0, "z", level, pi_df)
    random = _fit(yi, vi, tau2_hat, ci, level, pi_df)
    heterogeneity = heterogeneity_statistics(yi, vi, tau2_hat, level, tau2_ci=tau2_ci)
    w = 1.0 / (vi + tau2_hat)
    weights = tuple(float(x) for x in 100 * w / w.sum())
    caveats.extend(_caveats(k, tau2_hat, tau2, ci, pi_df))
    if ci == "hk" and random.se < 1.0 / np.sqrt(w.sum()):
        caveats.append(HK_NARROWER)
    return ModelFit(k=k, random=random, common=common, heterogeneity=heterogeneity,
                    weights=weights, tau2_method=tau2, ci_method=ci, level=level,
                    converged=estimate.converged, caveats=tuple(caveats))


def _fit(yi, vi, tau2_hat: float, ci: str, level: float, pi_df: str) -> ModelScale:
    k = yi.size
    w = 1.0 / (vi + tau2_hat)
    sw = w.sum()
    mu = float(np.dot(w, yi) / sw)
    alpha = 1 - level
    if ci == "hk":
        se = float(np.sqrt(np.dot(w, (yi - mu) ** 2) / ((k - 1) * sw)))
        crit = float(special.stdtrit(k - 1, 1 - alpha / 2))
    else:
        se = float(np.sqrt(1.0 / sw))
        crit = float(special.ndtri(1 - alpha / 2))
    pi_crit = crit if k > 1 else None  # k = 1: no prediction interval (meta: NA)
    if pi_df == "k-2":
        pi_crit = float(special.stdtrit(k - 2, 1 - alpha / 2)) if k > 2 else None
    if pi_crit is None:
        pi_lower = pi_upper = None
    else:
        half = pi_crit * np.sqrt(tau2_hat + se**2)
        pi_lower, pi_upper = mu - half, mu + half
    return ModelScale(mu, se, mu - crit * se, mu + crit * se, pi_lower, pi_upper)


def heterogeneity_statistics(yi, vi, tau2_hat: float, level: float,
                             tau2_ci: bool = True) -> Heterogeneity:
    """Q (Cochran's, common-effect weights) with its χ²_{k-1} p value, I² and H² for ``tau2_hat``
    (metafor's typical within-study variance), and the Q-profile CI of τ² unless ``tau2_ci`` is
    False (for the GLMM's τ², where ``rma.glmm`` reports QE.Wld, I² and H² the same way and no
    τ² CI)."""
    yi = np.asarray(yi, dtype=float)
    vi = np.asarray(vi, dtype=float)
    k = yi.size
    q = generalised_q(yi, vi, 0.0)
    df = k - 1
    q_p = float(special.chdtrc(df, q)) if df > 0 else None  # df = 0: no test (meta: NA)
    s2 = typical_variance(vi)
    i2 = 100 * tau2_hat / (s2 + tau2_hat)
    h2 = (s2 + tau2_hat) / s2
    interval = tau2_qprofile_ci(yi, vi, level) if tau2_ci else None
    return Heterogeneity(
        tau2=tau2_hat,
        tau2_ci_lower=None if interval is None else interval.lower,
        tau2_ci_upper=None if interval is None else interval.upper,
        I2=float(i2), H2=float(h2), Q=q, df=df, Q_pvalue=q_p)


def typical_variance(vi) -> float:
    """metafor's "typical" within-study variance s² = (k-1)Σw/((Σw)² - Σw²), w = 1/v.

    Higgins & Thompson (2002, Stat Med 21:1539); used for I² and H². With k = 1, the variance.
    """
    w = 1.0 / np.asarray(vi, dtype=float)
    if w.size < 2:
        return float(np.mean(1.0 / w))
    denominator = w.sum() ** 2 - np.dot(w, w)
    if denominator < CANCELLATION * w.sum() ** 2:  # one weight dominates: no cancellation
        return float((w.size - 1) / weight_spread(w))
    return float((w.size - 1) * w.sum() / denominator)


def few_studies_caveat(k: int) -> Caveat:
    """The caveat for 1 < k < 5 (Veroniki et al. 2016; IntHout et al. 2014)."""
    return Caveat("few_studies", f"k = {k} < 5: tau2 and the prediction interval are poorly "
                  "estimated (Veroniki et al. 2016; IntHout et al. 2014)")


def _caveats(k: int, tau2_hat: float, tau2_method: str, ci: str, pi_df: str) -> list[Caveat]:
    out = []
    if 1 < k < 5:
        out.append(few_studies_caveat(k))
    if k > 1 and tau2_hat == 0.0:
        out.append(Caveat("tau2_boundary", f"tau2 estimated at the boundary (0) by {tau2_method}: "
                          "the random-effects model equals the common-effect model"))
    if pi_df == "k-2" and k < 3:
        out.append(Caveat("pi_not_available",
                          "prediction interval with t(k-2) needs k >= 3: not given"))
    return out
