"""The lean single fit: :func:`jakisynth.pool_proportions` without the optional extras.

Stage "pooling". With ``study_ci=None`` and ``tau2_ci=False``, ``pool_proportions`` skips the
exact per-study CIs and the Q-profile CI of τ², and for up to :data:`SMALL_K` studies runs the
inverse-variance model on plain Python floats (numpy's per-call overhead dominates small k):
the formulas of :mod:`.effects` and :mod:`.pooling` (metafor's ``escalc`` and ``rma.uni``), τ²
from :func:`.tau2.estimate_tau2` itself. Every number equals the full fit's up to the order of
summation (relative differences ~1e-16; tests/test_lean.py); the full fit (what ``jakisynth
run`` uses) is unchanged.
"""

from __future__ import annotations

import math
from functools import lru_cache
from operator import mul

import numpy as np
from scipy import special

from .caveats import Caveat
from .effects import CONTINUITY_CORRECTION, CORRECTED_TRANSFORMS, METAFOR_MEASURE, back_transform
from .pooling import HK_NARROWER
from .pooling import _caveats as model_caveats
from .results import Heterogeneity, ModelScale
from .tau2 import Tau2Estimate, estimate_tau2

SMALL_K = 64


@lru_cache(maxsize=256)
def _crit(level: float, df: int | None) -> float:
    """z (df None) or t_df quantile at 1 - α/2."""
    q = 1 - (1 - level) / 2
    return float(special.ndtri(q)) if df is None else float(special.stdtrit(df, q))


def effect_sizes_small(x: list[int], n: list[int], transform: str):
    """yi, vi and the number of corrected studies, as :func:`.effects.effect_sizes`."""
    xs, ns = [float(a) for a in x], [float(b) for b in n]
    corrected = 0
    if transform in CORRECTED_TRANSFORMS:
        for i, (xi, ni) in enumerate(zip(xs, ns)):
            if xi == 0 or xi == ni:
                xs[i], ns[i] = xi + CONTINUITY_CORRECTION, ni + 2 * CONTINUITY_CORRECTION
                corrected += 1
    pairs = list(zip(xs, ns))
    if transform == "logit":
        return ([math.log(a / (b - a)) for a, b in pairs],
                [1 / a + 1 / (b - a) for a, b in pairs], corrected)
    if transform == "raw":
        return [a / b for a, b in pairs], [a / b * (1 - a / b) / b for a, b in pairs], corrected
    if transform == "log":
        return [math.log(a / b) for a, b in pairs], [1 / a - 1 / b for a, b in pairs], corrected
    if transform == "arcsine":
        return ([math.asin(math.sqrt(a / b)) for a, b in pairs], [1 / (4 * b) for _, b in pairs],
                corrected)
    return ([0.5 * (math.asin(math.sqrt(a / (b + 1))) + math.asin(math.sqrt((a + 1) / (b + 1))))
             for a, b in pairs], [1 / (4 * b + 2) for _, b in pairs], corrected)


def _weighted(yi, vi, tau2: float):
    """w = 1/(v + τ²), Σw, μ̂ and Σw(y - μ̂)²."""
    w = [1.0 / (v + tau2) for v in vi]
    sw = sum(w)
    mu = sum(map(mul, w, yi)) / sw
    d = [y - mu for y in yi]
    return w, sw, mu, sum(map(mul, map(mul, w, d), d))


def _model(weighted, k: int, tau2: float, hk: bool, level: float) -> ModelScale:
    _, sw, mu, rss = weighted
    if hk:
        se = math.sqrt(rss / ((k - 1) * sw))
        crit = _crit(level, k - 1)
    else:
        se = math.sqrt(1.0 / sw)
        crit = _crit(level, None)
    if k < 2:  # k = 1: no prediction interval (R meta: NA), as pooling._fit
        return ModelScale(mu, se, mu - crit * se, mu + crit * se, None, None)
    half = crit * math.sqrt(tau2 + se * se)
    return ModelScale(mu, se, mu - crit * se, mu + crit * se, mu - half, mu + half)


def _heterogeneity(fixed, vi, tau2: float) -> Heterogeneity:
    w, sw, _, q = fixed
    k = len(w)
    df = k - 1
    q_p = float(special.chdtrc(df, q)) if df > 0 else None  # df = 0: no test (meta: NA)
    denominator = sw * sw - sum(map(mul, w, w))
    s2 = (k - 1) * sw / denominator if denominator > 0 else sum(vi) / k
    return Heterogeneity(tau2=tau2, tau2_ci_lower=None, tau2_ci_upper=None,
                         I2=100 * tau2 / (s2 + tau2), H2=(s2 + tau2) / s2, Q=q, df=df, Q_pvalue=q_p)


def _closed_form(yi, vi, fixed, method: str) -> Tau2Estimate:
    """DL, HE and HS on floats (formulas of :mod:`.tau2`; truncated at 0)."""
    k = len(yi)
    if method == "HE":
        mean = sum(yi) / k
        value = sum((y - mean) ** 2 for y in yi) / (k - 1) - sum(vi) / k
        return Tau2Estimate(max(0.0, value), method)
    w, sw, _, q = fixed
    if method == "HS":
        return Tau2Estimate(max(0.0, (q - k) / sw), method)
    return Tau2Estimate(max(0.0, (q - (k - 1)) / (sw - sum(map(mul, w, w)) / sw)), method)


def lean_inverse(x, n, transform: str, tau2: str, ci: str, level: float):
    """The inverse-variance fit of ``x`` events of ``n`` for small k, on Python floats.

    Returns (random, common, heterogeneity, weights, converged, caveats, back) where ``back``
    back-transforms a list of model-scale values; the caller builds the result object.
    """
    from ..errors import InputError

    xs, ns = x.tolist(), n.tolist()
    k = len(xs)
    if ci == "hk" and k < 2:
        raise InputError("ci: Hartung-Knapp needs at least 2 studies (k = 1 given); use ci='z'")
    # From checked counts (with the continuity correction) every yi is finite and vi > 0.
    yi, vi, corrected = effect_sizes_small(xs, ns, transform)
    fixed = _weighted(yi, vi, 0.0)
    estimate = _closed_form(yi, vi, fixed, tau2) if k > 1 and tau2 in ("DL", "HE", "HS") else \
        estimate_tau2(np.array(yi), np.array(vi), tau2)
    t = estimate.tau2
    weighted = _weighted(yi, vi, t) if t > 0 else fixed
    random = _model(weighted, k, t, ci == "hk", level)
    common = _model(fixed, k, 0.0, False, level)
    w, sw = weighted[0], weighted[1]
    weights = tuple([100 * a / sw for a in w])
    caveats = list(estimate.caveats) + model_caveats(k, t, tau2, ci, "metafor")
    if ci == "hk" and random.se < 1.0 / math.sqrt(sw):
        caveats.append(HK_NARROWER)
    if corrected:
        caveats.append(Caveat(
            "continuity_correction", f"continuity correction 1/2 added to {corrected} "
            f"stud{'y' if corrected == 1 else 'ies'} with 0 or all events "
            f"({METAFOR_MEASURE[transform]}, metafor's default)"))

    def back(values):
        if transform == "logit":
            return [1.0 / (1.0 + math.exp(-v)) if v >= 0 else math.exp(v) / (1.0 + math.exp(v))
                    for v in values]
        return back_transform(np.array(values), transform, n).tolist()

    return (random, common, _heterogeneity(fixed, vi, t), weights, estimate.converged, caveats,
            back)
