"""Posterior summaries of the Bayesian binomial-normal model from the grid of :mod:`jakisynth.bayes`.

Stage "pooling". Quantiles, CDFs and probabilities of μ, τ and θ_new (step 3 of the
:mod:`jakisynth.bayes` docstring): trapezoid sums over the rows' μ points and the rows'
quadrature weights, CDFs as antiderivatives of cubic splines, the predictive distribution by
Φ((t − μ)/τ) on the rows or Gauss-Hermite over the row CDFs. Deterministic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import interpolate, optimize, special

from .bayes import Grid, posterior_grid
from .priors import MuPrior, TauPrior

_HERMITE_PREDICTIVE = np.polynomial.hermite.hermgauss(32)
_REFINE = 8


def _cdf_from_log_density(x, log_f, clamp_left: bool = False):
    """A normalised CDF (scipy PPoly) from log density values on a uniform grid ``x``: a cubic
    spline of log f (derivative 0 at x[0] when ``clamp_left``, for a density even about x[0]),
    interpolated to an 8 times finer grid, and the antiderivative of a cubic spline of exp."""
    bc = ((1, 0.0), "not-a-knot") if clamp_left else "not-a-knot"
    log_spline = interpolate.CubicSpline(x, log_f - log_f.max(), bc_type=bc)
    fine = np.linspace(x[0], x[-1], (x.size - 1) * _REFINE + 1)
    cdf = interpolate.CubicSpline(fine, np.exp(log_spline(fine))).antiderivative()
    total = float(cdf(fine[-1]))
    return interpolate.PPoly(cdf.c / total, cdf.x, extrapolate=False), fine


def _quantile(cdf, q: float) -> float:
    """The first x with cdf(x) = q: the interval from the values at the breakpoints, then the
    root of that interval's cubic."""
    at_breaks = cdf(cdf.x[:-1])
    i = int(np.searchsorted(np.maximum.accumulate(at_breaks), q)) - 1
    if i < 0:
        return float(cdf.x[0])
    piece = interpolate.PPoly(cdf.c[:, i:i + 1], cdf.x[i:i + 2], extrapolate=False)
    roots = piece.solve(q, extrapolate=False)
    return float(roots[0]) if roots.size else float(cdf.x[i + 1])


def _rows_on(grid: Grid, x: np.ndarray) -> np.ndarray:
    """Every row's density exp(logp − max) at the points ``x`` (0 outside the row's range), by
    one cubic spline of log p over the rows' common relative position u ∈ [0, 1]."""
    n = grid.mu.shape[1]
    u = np.linspace(0.0, 1.0, n)
    coef = interpolate.CubicSpline(u, (grid.logp - grid.logp.max()).T, axis=0).c  # (4, n-1, W)
    left, width = grid.mu[:, :1], grid.mu[:, -1:] - grid.mu[:, :1]
    at = (x[None, :] - left) / width
    inside = (at >= 0.0) & (at <= 1.0)
    at = np.clip(at, 0.0, 1.0)
    i = np.clip(np.searchsorted(u, at, side="right") - 1, 0, n - 2)
    d = at - u[i]
    cols = np.arange(grid.w.size)[:, None]
    value = ((coef[0][i, cols] * d + coef[1][i, cols]) * d + coef[2][i, cols]) * d + coef[3][i, cols]
    return np.where(inside, np.exp(value), 0.0)


@dataclass(frozen=True, eq=False)
class BayesPosterior:
    """Posterior summaries of μ (logit scale), τ and θ_new computed from a :class:`Grid`."""

    grid: Grid
    mu_cdf: interpolate.PPoly
    w_cdf: interpolate.PPoly
    mu_mean: float
    mu_sd: float
    _rows: tuple  # per-row small-τ CDFs for the predictive distribution: (index, PPoly, deriv)
    _norm: float

    @classmethod
    def from_grid(cls, grid: Grid) -> BayesPosterior:
        dens = np.exp(grid.logp - grid.logp.max())  # (W, N)
        row_mass = grid.h * (dens.sum(axis=1) - 0.5 * (dens[:, 0] + dens[:, -1]))
        weights = grid.weight * row_mass
        z = weights.sum()
        mean = float((grid.weight * grid.h) @ (dens * grid.mu).sum(axis=1) / z)
        var = float((grid.weight * grid.h) @ (dens * (grid.mu - mean) ** 2).sum(axis=1) / z)
        w_cdf, _ = _cdf_from_log_density(grid.w, np.log(row_mass), clamp_left=grid.w[0] == 0.0)
        # μ marginal on a common fine grid from per-row cubic splines of the log density
        h_fine = grid.h.min() / 2.0
        lo, hi = grid.mu[:, 0].min(), grid.mu[:, -1].max()
        fine = np.linspace(lo, hi, int(min(math.ceil((hi - lo) / h_fine), 20000)) + 1)
        rows = _rows_on(grid, fine)  # (W, F)
        marginal = grid.weight @ rows
        small = []
        for j in np.flatnonzero(grid.tau < grid.h):  # too narrow a kernel for the row points
            row_spline = interpolate.CubicSpline(fine, rows[j])
            small.append((int(j), fine, rows[j], row_spline.antiderivative(), row_spline))
        # the fine grid is already twice finer than any row's steps: a cubic spline of the
        # density itself, integrated
        keep = np.flatnonzero(marginal > 0)
        x, f = fine[keep[0]:keep[-1] + 1], marginal[keep[0]:keep[-1] + 1]
        cdf = interpolate.CubicSpline(x, f).antiderivative()
        mu_cdf = interpolate.PPoly(cdf.c / float(cdf(x[-1])), cdf.x, extrapolate=False)
        return cls(grid, mu_cdf, w_cdf, mean, math.sqrt(var), tuple(small), float(z))

    def mu_quantile(self, q: float) -> float:
        return _quantile(self.mu_cdf, q)

    def mu_probability_below(self, value: float) -> float:
        lo, hi = self.mu_cdf.x[0], self.mu_cdf.x[-1]
        return 0.0 if value <= lo else 1.0 if value >= hi else float(self.mu_cdf(value))

    def tau_quantile(self, q: float, tau_prior: TauPrior) -> float:
        return float(tau_prior.grid_tau(_quantile(self.w_cdf, q)))

    def predictive_probability_below(self, t: float) -> float:
        """P(θ_new ≤ t) = Σ_rows weight ∫ p(μ, w) Φ((t − μ)/τ) dμ / Z (see the module docstring)."""
        g = self.grid
        dens = np.exp(g.logp - g.logp.max())
        small = {row[0] for row in self._rows}
        big = np.array([j for j in range(g.w.size) if j not in small], dtype=int)
        total = 0.0
        if big.size:
            z = (t - g.mu[big]) / g.tau[big, None]
            inner = dens[big] * special.ndtr(z)
            inner = inner.sum(axis=1) - 0.5 * (inner[:, 0] + inner[:, -1])
            total += float((g.weight[big] * g.h[big]) @ inner)
        x, w = _HERMITE_PREDICTIVE
        for j, fine, _row, cdf, _spline in self._rows:  # E F_j(t − τz), z ~ N(0, 1), Gauss-Hermite
            at = np.clip(t - g.tau[j] * math.sqrt(2.0) * x, fine[0], fine[-1])
            total += g.weight[j] * float(w @ cdf(at)) / math.sqrt(math.pi)
        return min(max(total / self._norm, 0.0), 1.0)

    def predictive_quantile(self, q: float) -> float:
        g = self.grid
        spread = 10.0 * float(g.tau.max()) + 1.0
        lo, hi = g.mu[:, 0].min() - spread, g.mu[:, -1].max() + spread
        return float(optimize.brentq(lambda t: self.predictive_probability_below(t) - q,
                                     lo, hi, xtol=1e-10, rtol=1e-12))


def bayes_posterior(events, totals, tau_prior: TauPrior, mu_prior: MuPrior) -> BayesPosterior:
    """The posterior of the binomial-normal model for counts ``events``/``totals`` (checked
    arrays) under the given priors: see the module docstring for the method."""
    x = np.asarray(events, dtype=np.int64)
    n = np.asarray(totals, dtype=np.int64)
    return BayesPosterior.from_grid(posterior_grid(x, n, tau_prior, mu_prior))
