"""Estimators of the between-study variance tau² and its Q-profile confidence interval.

Stage "pooling" (first half): functions of per-study ``yi`` and ``vi`` only. Each estimator is the
one of R's metafor ``rma.uni(yi, vi, method = ...)`` for the intercept-only model (Viechtbauer
2005, J Educ Behav Stat 30:261; Veroniki et al. 2016, Res Synth Methods 7:55; metafor's
``rma.uni`` help, section "Specifying the Model"):

- DL  DerSimonian & Laird (1986): (Q - (k-1)) / (Σw - Σw²/Σw), w = 1/v.
- HE  Hedges (1983): Σ(y - ȳ)²/(k-1) - Σv/k (unweighted method of moments).
- HS  Hunter & Schmidt (2004): (Q - k) / Σw.
- SJ  Sidik & Jonkman (2005): τ₀² = Σ(y - ȳ)²/k, then τ₀² · Q(τ₀²)/(k-1).
- ML, REML, EB  by Fisher scoring from the HE estimate, halving steps that would go below 0
  (metafor's algorithm), to a tolerance far tighter than metafor's default 1e-5; at τ² = 0 with
  a score pointing below 0 the estimate is 0 at once.
- PM  Paule & Mandel (1982): the root of Q(τ²) = k-1 (0 when Q(0) < k-1).

Here Q(τ²) = Σ w_i (y_i - μ̂)² with w_i = 1/(v_i + τ²) is the generalised Q statistic.
All estimates are truncated at 0. With k = 1 no estimator is defined: τ² = 0 with a warning.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import special

from ..errors import InputError
from .caveats import Caveat
from .control import setting
from .options import TAU2_METHODS
from .tau2_search import SearchControl, local_maxima, loglik

#: Convergence threshold on tau² for the iterative estimators (metafor's default is 1e-5; the
#: reference values were made with 1e-12, which is what a panel re-running metafor tightly sees).
THRESHOLD = 1e-12
MAX_ITERATIONS = 1000
#: step halvings per Fisher-scoring iteration before a step is clipped at 0
MAX_HALVINGS = 60
#: iteration cap of the safeguarded Newton root finder for Q(τ²) = target
MAX_ROOT_ITERATIONS = 500
SEARCH = SearchControl()
#: Σw - Σw²/Σw below this fraction of Σw is recomputed without cancellation (``weight_spread``)
CANCELLATION = 1e-4


@dataclass(frozen=True)
class Tau2Estimate:
    """An estimate of tau² with how it was obtained."""

    tau2: float
    method: str
    converged: bool = True
    iterations: int = 0
    caveats: tuple[Caveat, ...] = field(default_factory=tuple)

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(c.message for c in self.caveats)


def generalised_q(yi: np.ndarray, vi: np.ndarray, tau2: float) -> float:
    """Q(τ²) = Σ w (y - μ̂_w)², w = 1/(v + τ²) (Q for τ² = 0 is Cochran's Q)."""
    w = 1.0 / (vi + tau2)
    mu = np.dot(w, yi) / w.sum()
    return float(np.dot(w, (yi - mu) ** 2))


def estimate_tau2(yi, vi, method: str = "REML") -> Tau2Estimate:
    """Estimate tau² with ``method``, as ``metafor::rma.uni(yi, vi, method = method)$tau2``."""
    if method not in TAU2_METHODS:
        raise InputError(f"tau2: expected one of {', '.join(TAU2_METHODS)}; got {method!r}")
    yi = np.asarray(yi, dtype=float)
    vi = np.asarray(vi, dtype=float)
    if yi.size == 1:
        return Tau2Estimate(0.0, method, caveats=(
            Caveat("single_study", "k = 1: tau2 cannot be estimated and is set to 0"),))
    return _ESTIMATORS[method](yi, vi)


def weight_spread(w) -> float:
    """Σw - Σw²/Σw (the DL denominator). When one weight dominates, the difference cancels
    (relative error about eps·Σw/result); below CANCELLATION·Σw it is computed as
    Σ w_i (Σ_{j≠i} w_j)/Σw instead, a sum of positive terms."""
    w = np.asarray(w, dtype=float)
    total = w.sum()
    spread = float(total - np.dot(w, w) / total)
    if spread >= CANCELLATION * total:
        return spread
    others = np.concatenate([[0.0], np.cumsum(w)[:-1]]) + np.concatenate(
        [np.cumsum(w[::-1])[:-1][::-1], [0.0]])
    return float(np.dot(w, others) / total)


def _dl(yi, vi):
    w = 1.0 / vi
    q = generalised_q(yi, vi, 0.0)
    c = weight_spread(w)
    return Tau2Estimate(max(0.0, (q - (yi.size - 1)) / c), "DL")


def _he(yi, vi):
    k = yi.size
    tau2 = np.sum((yi - yi.mean()) ** 2) / (k - 1) - vi.sum() / k
    return Tau2Estimate(max(0.0, float(tau2)), "HE")


def _hs(yi, vi):
    w = 1.0 / vi
    q = generalised_q(yi, vi, 0.0)
    return Tau2Estimate(max(0.0, float((q - yi.size) / w.sum())), "HS")


def _sj(yi, vi):
    k = yi.size
    tau2_0 = float(np.sum((yi - yi.mean()) ** 2) / k)
    if tau2_0 == 0.0:
        return Tau2Estimate(0.0, "SJ")
    return Tau2Estimate(max(0.0, tau2_0 * generalised_q(yi, vi, tau2_0) / (k - 1)), "SJ")


def _pm(yi, vi):
    k = yi.size
    target = k - 1
    if generalised_q(yi, vi, 0.0) <= target:
        return Tau2Estimate(0.0, "PM")
    root, iterations, converged = solve_q(yi, vi, target)
    caveats = () if converged else (
        Caveat("not_converged", "PM: root finding did not converge; last value kept"),)
    return Tau2Estimate(root, "PM", converged, iterations, caveats)


SMALL_K = 64  # below this, plain floats are faster than numpy's per-call overhead


def _q_and_slope(yi, vi, tau2: float) -> tuple[float, float]:
    """Q(τ²) and dQ/dτ² = -Σ w²(y - μ̂_w)², w = 1/(v + τ²)."""
    if len(yi) <= SMALL_K:
        w = [1.0 / (v + tau2) for v in vi]
        sw = math.fsum(w)
        mu = math.fsum(a * b for a, b in zip(w, yi)) / sw
        q = slope = 0.0
        for wi, y in zip(w, yi):
            r = wi * (y - mu)
            q += r * (y - mu)
            slope -= r * r
        return q, slope
    w = 1.0 / (vi + tau2)
    resid = yi - np.dot(w, yi) / w.sum()
    wr = w * resid
    return float(np.dot(wr, resid)), -float(np.dot(wr, wr))


def solve_q(yi, vi, target: float) -> tuple[float, int, bool]:
    """The τ² > 0 with Q(τ²) = target, given Q(0) > target: safeguarded Newton.

    Q decreases in τ² with dQ/dτ² = -Σ w²(y - μ̂_w)² (the μ̂ terms vanish as Σw(y - μ̂) = 0).
    Newton steps from 0; a step leaving the bracket [lo, hi] known so far is replaced by
    bisection (or doubling while no upper bound is known). Stops when the step is below 1e-15
    relative: the exact root, as the reference values (metafor with tolerance 1e-12) require.
    """
    max_root = setting("max_root_iterations", MAX_ROOT_ITERATIONS)
    if len(yi) <= SMALL_K:
        yi, vi = [float(a) for a in yi], [float(b) for b in vi]
    lo, hi = 0.0, math.inf
    tau2 = 0.0
    for iteration in range(1, max_root + 1):
        q, slope = _q_and_slope(yi, vi, tau2)
        f = q - target
        if f > 0:
            lo = tau2
        elif f < 0:
            hi = tau2
        else:
            return tau2, iteration, True
        candidate = tau2 - f / slope if slope < 0 else math.inf
        if not (math.isfinite(candidate) and lo < candidate < hi):
            candidate = 0.5 * (lo + hi) if math.isfinite(hi) else max(2 * lo, lo + 1.0)
        if abs(candidate - tau2) <= 1e-15 * abs(candidate):
            return candidate, iteration, True
        tau2 = candidate
    return tau2, max_root, False


def _scoring_step(yi, vi, tau2: float, method: str) -> float:
    """One Fisher-scoring step for ML, REML or EB at tau2 (metafor's rma.uni, intercept only)."""
    k = yi.size
    w = 1.0 / (vi + tau2)
    sw = w.sum()
    resid = yi - np.dot(w, yi) / sw
    py = w * resid  # P y for the intercept-only model, P = W - w w'/Σw
    if method == "ML":
        return float((np.dot(py, py) - sw) / np.dot(w, w))
    if method == "REML":
        sw2 = np.dot(w, w)
        tr_p = sw - sw2 / sw
        tr_pp = sw2 - 2 * np.dot(w, w * w) / sw + sw2**2 / sw**2
        if not tr_pp > 0:  # lost to cancellation (one weight dominates): no step
            return math.inf
        return float((np.dot(py, py) - tr_p) / tr_pp)
    return float((k / (k - 1) * np.dot(py, resid) - k) / sw)  # EB


def _fisher_scoring(yi, vi, method: str) -> Tau2Estimate:
    """ML, REML and EB by Fisher scoring as metafor's ``rma.uni`` (step halving at 0), then
    checked globally: ML and REML against every local maximum of the log-likelihood
    (``tau2_search``), EB against the root of Q(τ²) = k - 1 (its estimating equation for the
    intercept-only model, which has one root as Q decreases in τ²)."""
    tau2, iterations, converged, change = _scoring_iterations(yi, vi, method)
    if method == "EB":
        return _checked_eb(yi, vi, tau2, iterations, converged, change)
    return _checked_likelihood(yi, vi, method, tau2, iterations, converged, change)


def _scoring_iterations(yi, vi, method: str) -> tuple[float, int, bool, float]:
    """Fisher scoring from the HE estimate: (τ², iterations, converged, last change). Stops
    after MAX_ITERATIONS or at a step that is not finite (never loops)."""
    threshold = setting("threshold", THRESHOLD)
    max_iterations = setting("max_iterations", MAX_ITERATIONS)
    max_halvings = setting("max_halvings", MAX_HALVINGS)
    tau2 = _he(yi, vi).tau2
    change = np.inf
    iterations = 0
    while change > threshold and iterations < max_iterations:
        iterations += 1
        adj = _scoring_step(yi, vi, tau2, method)
        if not math.isfinite(adj):
            return tau2, iterations, False, math.inf
        if tau2 + adj < 0 and (tau2 == 0.0 or _scoring_step(yi, vi, 0.0, method) <= 0):
            # The step would leave the parameter space and the score at 0 points below 0: the
            # estimate is on the boundary (metafor reaches the same point by halving the step
            # until the change is below its threshold).
            return 0.0, iterations, True, 0.0
        for _ in range(max_halvings):
            if tau2 + adj >= 0:
                break
            adj /= 2
        tau2 = max(0.0, tau2 + adj)
        change = abs(adj)
    return tau2, iterations, change <= threshold, change


def _not_converged(method: str, iterations: int, change: float) -> Caveat:
    return Caveat("not_converged", f"{method}: Fisher scoring did not converge in {iterations} "
                  f"iterations (last change {change:.2g}); the last value is used")


def _checked_likelihood(yi, vi, method, tau2, iterations, converged, change) -> Tau2Estimate:
    """Keep the Fisher-scoring result when it is the global maximum; otherwise the global one."""
    maxima = local_maxima(yi, vi, method, starts=(tau2, _dl(yi, vi).tau2, _he(yi, vi).tau2))
    caveats: list[Caveat] = []
    best = max(maxima, key=lambda m: m.loglik, default=None)
    if best is not None:
        scored = loglik(yi, vi, tau2, method)
        if not (converged and scored >= best.loglik - SEARCH.loglik_tie):
            tau2, converged = best.tau2, True
        if len(maxima) > 1:
            where = ", ".join(f"tau2 = {m.tau2:.4g} (log-likelihood {m.loglik:.4f})"
                              for m in maxima)
            caveats.append(Caveat(
                "tau2_multimodal", f"{method}: the log-likelihood has {len(maxima)} local maxima "
                f"in tau2 ({where}); the global maximum, tau2 = {tau2:.4g}, is reported"))
    if not converged:
        caveats.append(_not_converged(method, iterations, change))
    return Tau2Estimate(tau2, method, converged, iterations, tuple(caveats))


def _checked_eb(yi, vi, tau2, iterations, converged, change) -> Tau2Estimate:
    """EB solves Q(τ²) = k - 1 (metafor's EB step is (k/(k-1)·Q(τ²) - k)/Σw); where Fisher
    scoring failed, the safeguarded root finder gives the root (or 0 when Q(0) <= k - 1)."""
    if converged:
        return Tau2Estimate(tau2, "EB", True, iterations)
    target = yi.size - 1
    if generalised_q(yi, vi, 0.0) <= target:
        return Tau2Estimate(0.0, "EB", True, iterations)
    root, more, ok = solve_q(yi, vi, target)
    if ok:
        return Tau2Estimate(root, "EB", True, iterations + more)
    return Tau2Estimate(root, "EB", False, iterations + more,
                        (_not_converged("EB", iterations, change),))


_ESTIMATORS = {
    "DL": _dl,
    "HE": _he,
    "HS": _hs,
    "SJ": _sj,
    "PM": _pm,
    "ML": lambda y, v: _fisher_scoring(y, v, "ML"),
    "REML": lambda y, v: _fisher_scoring(y, v, "REML"),
    "EB": lambda y, v: _fisher_scoring(y, v, "EB"),
}


@dataclass(frozen=True)
class Tau2Interval:
    """Q-profile confidence interval for tau² (either bound may be 0)."""

    lower: float
    upper: float
    level: float


def tau2_qprofile_ci(yi, vi, level: float = 0.95) -> Tau2Interval | None:
    """Q-profile CI for tau² (Viechtbauer 2007, Stat Med 26:37), as ``confint(rma(yi, vi))``.

    The bounds solve Q(τ²) = χ²_{k-1, 1-α/2} (lower) and Q(τ²) = χ²_{k-1, α/2} (upper); a bound
    whose equation has no root above 0 is 0. ``None`` when k = 1.
    """
    yi = np.asarray(yi, dtype=float)
    vi = np.asarray(vi, dtype=float)
    df = yi.size - 1
    if df < 1:
        return None
    alpha = 1 - level
    crit_lower = float(special.chdtri(df, alpha / 2))  # upper quantile: gives the lower bound
    crit_upper = float(special.chdtri(df, 1 - alpha / 2))
    q0 = generalised_q(yi, vi, 0.0)
    return Tau2Interval(_q_root(yi, vi, q0, crit_lower), _q_root(yi, vi, q0, crit_upper), level)


def _q_root(yi, vi, q0: float, target: float) -> float:
    if q0 <= target:
        return 0.0
    root, _, converged = solve_q(yi, vi, target)
    if not converged:  # a bug, not bad input: solve_q brackets the root
        raise ArithmeticError("Q-profile: root finding did not converge")
    return root
