"""Global search for the ML and REML estimates of tau²: every local maximum, then the best.

Stage "pooling" (helper of ``tau2``). Fisher scoring from one start (metafor's ``rma.uni``) finds
*a* local maximum of the log-likelihood; for the normal-normal model with unequal ``vi`` the
(restricted) log-likelihood in τ² can have several (Hardy & Thompson 1996, Stat Med 15:619;
Viechtbauer 2005, J Educ Behav Stat 30:261, section 3, on the ML/REML score). This module
brackets every sign change of the score on a deterministic grid of τ² (0, the DL and HE estimates
and a log-spaced grid up to a bound beyond which the score is negative), solves each one by
Brent's method, and adds the boundary τ² = 0 when the score there is not positive.

Intercept-only model, w = 1/(v + τ²), r = y - μ̂_w, S = Σw (Viechtbauer 2005, eqs. 7-11):

- ML   log L  = -½[k log 2π + Σ log(v + τ²) + Σ w r²];      score = ½[Σ w² r² - Σ w]
- REML log L  = -½[(k-1) log 2π + Σ log(v + τ²) + log S - log k + Σ w r²] (the last constant,
  ½ log|X'X|, is metafor's);                            score = ½[Σ w² r² - tr P],
  tr P = Σ w_i (S - w_i)/S, with S - w_i summed over the other studies (no cancellation when one
  w is many orders above the rest, the case where Fisher scoring's tr(PP) becomes 0).

Equivalent R: ``rma.uni(yi, vi, method = "ML")`` (or "REML") converged tightly; metafor itself
returns the boundary when Fisher scoring is stuck there, and otherwise the maximum it reaches.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize


@dataclass(frozen=True)
class SearchControl:
    """Numerical controls of the global search."""

    grid_points: int = 64  # log-spaced grid points of τ² between lowest and the upper bound
    grid_span: float = 1e-9  # the lowest grid point is grid_span * upper bound
    bound_doublings: int = 60  # tries to find an upper bound where the score is negative
    root_xtol: float = 1e-15  # Brent's absolute tolerance on τ² (plus 4 eps relative)
    max_root_iterations: int = 500
    same_optimum: float = 1e-6  # two maxima closer than this (relative, τ²) are one
    loglik_tie: float = 1e-9  # log-likelihoods within this (absolute) count as equal


CONTROL = SearchControl()


@dataclass(frozen=True)
class LocalMaximum:
    tau2: float
    loglik: float


def _other_sums(w: np.ndarray) -> np.ndarray:
    """Σ_{j≠i} w_j for each i, from prefix and suffix sums (all terms positive)."""
    prefix = np.concatenate([[0.0], np.cumsum(w)[:-1]])
    suffix = np.concatenate([np.cumsum(w[::-1])[:-1][::-1], [0.0]])
    return prefix + suffix


def loglik(yi: np.ndarray, vi: np.ndarray, tau2: float, method: str) -> float:
    """ML or REML log-likelihood of the intercept-only model at ``tau2`` (see module docstring)."""
    k = yi.size
    w = 1.0 / (vi + tau2)
    s = w.sum()
    r = yi - np.dot(w, yi) / s
    value = -0.5 * (float(np.sum(np.log(vi + tau2))) + float(np.dot(w, r * r)))
    if method == "REML":  # with metafor's constant ½ log|X'X| = ½ log k: its logLik()
        return value - 0.5 * ((k - 1) * np.log(2 * np.pi) + float(np.log(s)) - np.log(k))
    return value - 0.5 * k * np.log(2 * np.pi)


def score(yi: np.ndarray, vi: np.ndarray, tau2: float, method: str) -> float:
    """d log L / dτ² for ML or REML, computed without cancellation in tr P."""
    w = 1.0 / (vi + tau2)
    s = w.sum()
    r = yi - np.dot(w, yi) / s
    wr = w * r
    if method == "REML":
        trace = float(np.dot(w, _other_sums(w)) / s)
    else:
        trace = float(s)
    return 0.5 * (float(np.dot(wr, wr)) - trace)


def _upper_bound(yi, vi, method, control: SearchControl) -> float:
    """A τ² beyond which the score is negative: starts at 4·range(y)² (the ML estimate is at most
    max r² <= range²; REML's at most k/(k-1) times that), doubled while the score is positive."""
    spread = float(np.ptp(yi))
    upper = max(4.0 * spread * spread, 1e-8 * float(np.max(vi)), 1e-300)
    for _ in range(control.bound_doublings):
        if score(yi, vi, upper, method) < 0:
            return upper
        upper *= 2.0
    return upper


def local_maxima(yi, vi, method: str, starts=(), control: SearchControl = CONTROL
                 ) -> list[LocalMaximum]:
    """Every local maximum of the ML/REML log-likelihood in τ² >= 0 found by the grid search,
    sorted by τ². ``starts`` (e.g. the DL and HE estimates, the Fisher-scoring result) are added
    to the grid, so a maximum found from them is bracketed too."""
    yi = np.asarray(yi, dtype=float)
    vi = np.asarray(vi, dtype=float)
    if float(np.ptp(yi)) == 0.0:
        return [LocalMaximum(0.0, loglik(yi, vi, 0.0, method))]
    upper = _upper_bound(yi, vi, method, control)
    grid = np.geomspace(control.grid_span * upper, upper, control.grid_points)
    extra = [t for t in starts if np.isfinite(t) and 0.0 < t < upper]
    grid = np.unique(np.concatenate([[0.0], grid, extra]))
    scores = np.array([score(yi, vi, t, method) for t in grid])
    found: list[LocalMaximum] = []
    if scores[0] <= 0:
        found.append(LocalMaximum(0.0, loglik(yi, vi, 0.0, method)))
    for i in np.flatnonzero((scores[:-1] > 0) & (scores[1:] <= 0)):
        if scores[i + 1] == 0:
            root = float(grid[i + 1])
        else:
            root = float(optimize.brentq(lambda t: score(yi, vi, t, method), grid[i], grid[i + 1],
                                         xtol=control.root_xtol,
                                         maxiter=control.max_root_iterations))
        found.append(LocalMaximum(root, loglik(yi, vi, root, method)))
    return _distinct(found, control)


def _distinct(found: list[LocalMaximum], control: SearchControl) -> list[LocalMaximum]:
    out: list[LocalMaximum] = []
    for m in sorted(found, key=lambda m: m.tau2):
        if out and abs(m.tau2 - out[-1].tau2) <= control.same_optimum * max(m.tau2, 1e-12):
            if m.loglik > out[-1].loglik:
                out[-1] = m
            continue
        out.append(m)
    return out
