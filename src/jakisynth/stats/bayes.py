"""Bayesian random-effects pooling of proportions (binomial-normal model) by deterministic quadrature.

Stage "pooling" (wrapped by ``proportions.pool_proportions(method="bayes")``).

Model: y_i ~ Binomial(n_i, expit θ_i), θ_i ~ N(μ, τ²), μ ~ normal(m, s), τ ~ a prior of
:mod:`jakisynth.priors`; no continuity correction. Conventions of R's bayesmeta (Röver 2020,
J Stat Softw 93(6); its help page, "Credible intervals": posterior median, central (equal-tailed)
intervals as the alternative to its default shortest ones, and the posterior predictive
distribution of a new study's θ_{k+1}), applied to the binomial likelihood instead of
bayesmeta's normal one.

1. Study effects integrated out: L_i(μ, τ) = ∫ exp g_i(t) dt with
   g_i(t) = y t − n log(1 + eᵗ) − (t − μ)²/(2τ²) − log(τ√(2π)) (concave). Its mode lies in
   [μ − τ²(n − y), μ + τ²y]; Newton stays inside that bracket (bisecting when a step leaves it,
   which plain Newton from t = μ does when τ is large and μ far from the data).
   Where τ ≤ 1.5 or −g''(mode) ≥ 4: adaptive Gauss-Hermite quadrature (Liu & Pierce 1994,
   Biometrika 81:624) with 32 nodes at the mode, scaled by the curvature there (12 nodes where
   −g'' ≥ 16, 8 where −g'' ≥ 64: the integrand is then nearly normal). Elsewhere (τ > 1.5
   and a wide integrand: with 0% and 100% studies a wide normal cut by a logistic step, which
   Gauss-Hermite misses, by up to 0.1 in log L at τ = 30) a composite Gauss-Legendre rule, 16
   nodes per panel, over the range where g_i is within 40 of its maximum, with panels broken at
   the mode, at mode ± 1.5τ and ± 4τ, and where the binomial log-likelihood has fallen by 1/2, 4
   and 16 from its supremum. L_i(μ, 0) = Bin(y | n, expit μ). Checked against adaptive
   quadrature (scipy quad) in corners up to τ = 30, |μ| = 30, y/n from 0/50 to 500/1000:
   |error in log L_i| < 2e-9 (tests/test_bayes.py).
2. The grid variable v: τ itself for the half-normal and uniform priors (density p(τ)), the
   prior CDF w = F(τ) for the heavy-tailed half-Cauchy (τ = s tan(πw/2), density 1, so the
   grid is bounded); the posterior density of (μ, v) is p(μ) p_v(v) ∏ L_i(μ, τ(v)), smooth and
   even about v = 0. Rows of constant v: a pilot over [0, v_max] (v_max leaves out 1e-7 of the
   prior, none for the uniform), then rows trimmed to where the (approximate) row mass is within
   e⁻²⁵ of the largest and spaced a quarter (half-Cauchy: a seventh) of the posterior SD of v apart. On each row, μ runs
   between the points where the log density is 25 below the row's mode (the density is
   log-concave in μ: Prékopa; the mode by bracketed regula falsi on the score, the ends by
   safeguarded Newton), in N equal steps of at most 1/3.5 of the smaller one-sided
   normal-equivalent SD of every row (at most 1/3.5 of it).
3. Integrals: trapezoid rule in μ (exponentially accurate for a smooth density that vanishes at
   both ends) and in v (trapezoid at v = 0, where the density is even; Gregory's end correction
   at a prior's upper end that carries mass); CDFs for quantiles by integrating a cubic spline
   of the density, interpolated 8-fold from a spline of its logarithm (μ: on a common fine grid
   from per-row splines). Predictive CDF of θ_new = μ + τz: Σ_v ∫ p(μ, v) Φ((t − μ)/τ) dμ, on the
   row's points where τ is at least their step, on the fine grid where τ is at least its step,
   and as F(t) − τ²f'(t)/2 below that.
The summaries (step 3) are in :mod:`jakisynth.bayes_summaries`. No random numbers: every number
is a fixed function of the data and the priors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

from .priors import MuPrior, TauPrior

_HERMITE = np.polynomial.hermite.hermgauss(32)
_HERMITE_PILOT = np.polynomial.hermite.hermgauss(10)
# fewer nodes where the integrand is narrow: -g'' >= 16 (12 nodes), >= 64 (8 nodes), each
# within 1e-8 of adaptive quadrature on 700 random (y, n, μ, τ) (tests/test_bayes.py checks corners)
_HERMITE_12 = np.polynomial.hermite.hermgauss(12)
_HERMITE_8 = np.polynomial.hermite.hermgauss(8)
_LEGENDRE = np.polynomial.legendre.leggauss(16)
_AGQ_MAX_TAU = 1.5  # and where -g'' >= 4 at the mode
_INNER_DROP = 40.0  # inner integral: limits where g_i is this far below its maximum
_OUTER_DROP = 25.0  # posterior grid: trimmed where the density is this far below its maximum
_LIK_DROPS = (0.5, 4.0, 16.0)
_MAX_STAGES = 8


class _Likelihood:
    """Σ_i log L_i(μ, τ) over distinct (y, n) (binomial coefficients left out)."""

    def __init__(self, x: np.ndarray, n: np.ndarray):
        pairs, counts = np.unique(np.stack([x, n], axis=1), axis=0, return_counts=True)
        self.y = pairs[:, 0].astype(float)
        self.n = pairs[:, 1].astype(float)
        self.count = counts.astype(float)
        self.breaks = _likelihood_breaks(self.y, self.n)  # (U, B)

    def __call__(self, mu, tau, accurate: bool = True):
        """Σ_i log L_i and its derivative in μ, Σ_i (E[θ_i | y_i, μ, τ] − μ)/τ², for flat
        arrays ``mu`` and ``tau`` of one shape."""
        shape = np.shape(mu)
        mu = np.asarray(mu, dtype=float).reshape(-1, 1)
        tau = np.broadcast_to(np.asarray(tau, dtype=float), shape).reshape(-1, 1)
        y, n = self.y[None, :], self.n[None, :]
        value = np.empty((mu.shape[0], y.shape[1]))
        score = np.empty_like(value)
        zero = tau[:, 0] == 0.0
        value[zero] = y * mu[zero] - n * np.logaddexp(0.0, mu[zero])
        score[zero] = y - n * special.expit(mu[zero])
        # every (point, study) with τ > 0, flattened
        rows = np.flatnonzero(~zero)
        if rows.size:
            shape2 = (rows.size, y.shape[1])
            ye, ne = np.broadcast_to(y, shape2).ravel(), np.broadcast_to(n, shape2).ravel()
            me = np.broadcast_to(mu[rows], shape2).ravel()
            te = np.broadcast_to(tau[rows], shape2).ravel()
            study = np.broadcast_to(np.arange(y.shape[1]), shape2).ravel()
            mode, curv = _mode(ye, ne, me, te)
            # Gauss-Hermite where it is accurate to 1e-8 (τ ≤ 1.5, or a narrow integrand, sd ≤ 0.5)
            # (the pilot, which only places the grid, uses Gauss-Hermite with 10 nodes throughout)
            agq = (te <= _AGQ_MAX_TAU) | (curv >= 4.0) | (not accurate)
            v, m = np.empty(ye.size), np.empty(ye.size)
            groups = [(agq, _agq, _HERMITE_PILOT)] if not accurate else [
                (agq & (curv >= 64.0), _agq, _HERMITE_8), (agq & (curv >= 16.0) & (curv < 64.0),
                                                            _agq, _HERMITE_12),
                (agq & (curv < 16.0), _agq, _HERMITE), (~agq, _composite, _LEGENDRE)]
            for mask, method, rule in groups:
                if mask.any():
                    v[mask], m[mask] = method(ye[mask], ne[mask], me[mask], te[mask],
                                              mode[mask], curv[mask], rule,
                                              self.breaks[study[mask]])
            value[rows] = v.reshape(shape2)
            score[rows] = ((m - me) / te**2).reshape(shape2)
        return (value @ self.count).reshape(shape), (score @ self.count).reshape(shape)


def _sum_and_mean(terms, t):
    """log Σ exp(terms) and the exp(terms)-weighted mean of t over the last axis."""
    top = terms.max(axis=-1, keepdims=True)
    e = np.exp(terms - top)
    total = e.sum(axis=-1)
    return np.log(total) + top[..., 0], (e * t).sum(axis=-1) / total


def _log_integrand(t, y, n, mu, tau, normalised: bool = True):
    """g(t); without the constant −log(τ√(2π)) when not ``normalised``."""
    z = (t - mu) / tau
    core = y * t - n * np.logaddexp(0.0, t) - 0.5 * z * z
    return core - (np.log(tau) + 0.5 * math.log(2 * math.pi)) if normalised else core


def _mode(y, n, mu, tau):
    """Mode of g (shape of broadcast(y, mu)) and the curvature -g'' there; bracketed Newton."""
    s2 = tau * tau
    lo = mu - s2 * (n - y)
    hi = mu + s2 * y
    # start: the precision-weighted mean of μ and the study's corrected logit
    v = 1.0 / (y + 0.5) + 1.0 / (n - y + 0.5)
    t = np.clip((mu * v + np.log((y + 0.5) / (n - y + 0.5)) * s2) / (v + s2), lo, hi)
    for _ in range(200):
        p = special.expit(t)
        score = y - n * p - (t - mu) / s2
        curv = n * p * (1.0 - p) + 1.0 / s2
        lo = np.where(score > 0, t, lo)
        hi = np.where(score < 0, t, hi)
        new = t + score / curv
        done = np.abs(new - t) <= 1e-13 * (1.0 + np.abs(t))
        t = np.where(done | ((new > lo) & (new < hi)), new, 0.5 * (lo + hi))
        if done.all():
            break
    p = special.expit(t)
    return t, n * p * (1.0 - p) + 1.0 / s2


def _agq(y, n, mu, tau, mode, curv, rule, breaks=None):
    nodes, weights = rule
    scale = np.sqrt(2.0 / curv)
    t = mode[..., None] + scale[..., None] * nodes
    terms = _log_integrand(t, y[..., None], n[..., None], mu[..., None], tau[..., None], False)
    value, mean_t = _sum_and_mean(terms + (nodes * nodes + np.log(weights)), t)
    return np.log(scale / tau) - 0.5 * math.log(2 * math.pi) + value, mean_t


def _edge(y, n, mu, tau, mode, curv, top, sign):
    """Distance d > 0 from the mode with g(mode + sign d) = top − _INNER_DROP (g concave, and
    g'' ≤ −1/τ², so d ≤ τ√(2·drop)); Newton safeguarded by bisection."""
    lo = np.zeros_like(mode)
    hi = tau * math.sqrt(2.0 * _INNER_DROP) + 0.0 * mode
    d = np.minimum(np.sqrt(2.0 * _INNER_DROP / curv), hi)
    for _ in range(100):
        t = mode + sign * d
        h = _log_integrand(t, y, n, mu, tau) - top + _INNER_DROP
        slope = sign * (y - n * special.expit(t) - (t - mu) / (tau * tau))
        lo = np.where(h > 0, d, lo)
        hi = np.where(h <= 0, d, hi)
        new = np.where(slope < 0, d - h / np.where(slope < 0, slope, -1.0), 0.5 * (lo + hi))
        done = np.abs(new - d) <= 1e-6 * (1.0 + d)
        d = np.where(done | ((new > lo) & (new < hi)), new, 0.5 * (lo + hi))
        if done.all():
            break
    return d


def _composite(y, n, mu, tau, mode, curv, rule, breaks):
    top = _log_integrand(mode, y, n, mu, tau)
    a = mode - _edge(y, n, mu, tau, mode, curv, top, -1.0)
    b = mode + _edge(y, n, mu, tau, mode, curv, top, 1.0)
    shape = mode.shape
    points = [a, b, mode] + [mode + k * tau + 0.0 * mode for k in (-4.0, -1.5, 1.5, 4.0)]
    points += [breaks[:, j] for j in range(breaks.shape[1])]
    edges = np.sort(np.clip(np.stack(points, axis=-1), a[..., None], b[..., None]), axis=-1)
    left, width = edges[..., :-1], np.diff(edges, axis=-1)
    x, w = rule
    t = left[..., None] + width[..., None] * (0.5 * (x + 1.0))
    terms = _log_integrand(t, y[..., None, None], n[..., None, None], mu[..., None, None],
                           tau[..., None, None])
    with np.errstate(divide="ignore"):
        logw = np.log(0.5 * width[..., None] * w)
    return _sum_and_mean((terms + logw).reshape(*shape, -1), t.reshape(*shape, -1))


def _likelihood_breaks(y, n):
    """t where y t − n log(1 + eᵗ) is 1/2, 4 and 16 below its supremum, on each side that has
    one (NaN-free: a missing side repeats the first point)."""
    out = []
    for yi, ni in zip(y, n):
        pts = []
        if yi == ni or yi == 0:
            for drop in _LIK_DROPS:
                t = -math.log(math.expm1(drop / ni))
                pts.append(t if yi == ni else -t)
        else:
            top_t = math.log(yi / (ni - yi))
            top = yi * top_t - ni * np.logaddexp(0.0, top_t)
            for drop in _LIK_DROPS:
                for sign in (-1.0, 1.0):
                    # called within this iteration only (brentq below): the closure is current
                    f = lambda t: yi * t - ni * np.logaddexp(0.0, t) - top + drop  # noqa: E731, B023
                    step = 1.0
                    while f(top_t + sign * step) > 0:
                        step *= 2.0
                    pts.append(optimize.brentq(f, *sorted((top_t, top_t + sign * step)),
                                               xtol=1e-12))
        out.append(pts)
    width = max(len(p) for p in out)
    return np.array([p + [p[0]] * (width - len(p)) for p in out])




@dataclass(frozen=True)
class Grid:
    """The posterior of (μ, w) on rows of constant w (τ = tau[j]), each with its own uniform μ
    points ``mu[j]`` (spacing ``h[j]``); ``logp`` the unnormalised log density; ``weight`` the
    quadrature weights in w; ``converged`` False where the adaptation did not resolve it."""

    w: np.ndarray
    tau: np.ndarray
    mu: np.ndarray  # (W, N)
    h: np.ndarray  # (W,)
    logp: np.ndarray  # (W, N)
    weight: np.ndarray  # (W,)
    converged: bool


def _row_log_post(lik, prior: MuPrior, mu, tau, accurate):
    value, score = lik(mu, tau, accurate)
    return value + prior.log_density(mu), score - (mu - prior.mean) / prior.sd**2


def _row_modes(lik, prior, tau, lo, hi, accurate):
    """Mode of μ ↦ log p(μ) + Σ log L_i(μ, τ_j) for every row (concave: Prékopa), by
    Illinois regula falsi on the score inside [lo, hi], widened until it brackets the mode."""
    lo, hi = lo.copy(), hi.copy()
    for _ in range(60):
        s_lo, s_hi = _row_log_post(lik, prior, lo, tau, accurate)[1], _row_log_post(lik, prior, hi, tau, accurate)[1]
        bad_lo, bad_hi = s_lo <= 0, s_hi >= 0
        if not (bad_lo.any() or bad_hi.any()):
            break
        span = hi - lo
        lo, hi = np.where(bad_lo, lo - span, lo), np.where(bad_hi, hi + span, hi)
    side = np.zeros(lo.shape)
    x = lo
    for _ in range(200):
        x = (lo * s_hi - hi * s_lo) / (s_hi - s_lo)
        x = np.where((x > lo) & (x < hi), x, 0.5 * (lo + hi))
        s_x = _row_log_post(lik, prior, x, tau, accurate)[1]
        right = s_x < 0
        hi, lo = np.where(right, x, hi), np.where(right, lo, x)
        s_lo = np.where(right, np.where(side == 1, 0.5 * s_lo, s_lo), s_x)
        s_hi = np.where(right, s_x, np.where(side == -1, 0.5 * s_hi, s_hi))
        side = np.where(right, 1, -1)
        if (hi - lo <= 1e-4 * (1.0 + np.abs(x))).all():
            break
    return 0.5 * (lo + hi)


def _row_edges(lik, prior, tau, mode, top, sign, accurate, guess=None):
    """μ on the ``sign`` side of each row's mode where the log density is _OUTER_DROP below
    ``top`` (its value at the mode): safeguarded Newton, the bracket widened as needed
    (starting from ``guess``, the previous stage's ends, when given)."""
    near = mode.copy()
    far = mode + sign * (1.0 if guess is None else np.maximum(1.1 * sign * (guess - mode), 1e-3))
    for _ in range(60):
        h = _row_log_post(lik, prior, far, tau, accurate)[0] - top + _OUTER_DROP
        inside = h > 0
        if not inside.any():
            break
        near = np.where(inside, far, near)
        far = np.where(inside, far + 2.0 * (far - mode), far)
    x = far
    for _ in range(100):
        value, score = _row_log_post(lik, prior, x, tau, accurate)
        h = value - top + _OUTER_DROP
        near, far = np.where(h > 0, x, near), np.where(h > 0, far, x)
        step = np.where(score != 0, h / np.where(score != 0, score, 1.0), np.inf)
        new = x - step
        done = np.abs(new - x) <= 1e-3 * (1.0 + np.abs(x))
        x = np.where(done | ((new - near) * (new - far) < 0), new, 0.5 * (near + far))
        if done.all():
            break
    return x


def _rows(lik, prior, tau_prior, w, box, accurate, previous=None):
    """Per row of ``w``: τ, the mode of μ, the log density there, and the two ends. With
    ``previous`` (w, mode, left, right of an earlier stage) the searches start from its values
    interpolated in w (brackets are widened when they do not hold)."""
    tau = tau_prior.grid_tau(w)
    if previous is None:
        lo, hi = np.full(w.shape, box[0]), np.full(w.shape, box[1])
        guess_left = guess_right = None
    else:
        pw, pmode, pleft, pright = previous
        centre = np.interp(w, pw, pmode)
        guess_left, guess_right = np.interp(w, pw, pleft), np.interp(w, pw, pright)
        lo = centre - 0.1 * (centre - guess_left) - 1e-3
        hi = centre + 0.1 * (guess_right - centre) + 1e-3
    mode = _row_modes(lik, prior, tau, lo, hi, accurate)
    top = _row_log_post(lik, prior, mode, tau, accurate)[0] + tau_prior.grid_log_density(w)
    top_mu = top - tau_prior.grid_log_density(w)
    left = _row_edges(lik, prior, tau, mode, top_mu, -1.0, accurate, guess_left)
    right = _row_edges(lik, prior, tau, mode, top_mu, 1.0, accurate, guess_right)
    return tau, mode, top, left, right


def posterior_grid(x, n, tau_prior: TauPrior, mu_prior: MuPrior) -> Grid:
    """The posterior of (μ, w = F_prior(τ)) on an adapted grid (see the module docstring)."""
    lik = _Likelihood(np.asarray(x), np.asarray(n))
    raw = np.log((x + 0.5) / (n - x + 0.5))
    box = (min(mu_prior.mean - 9 * mu_prior.sd, raw.min() - 10.0),
           max(mu_prior.mean + 9 * mu_prior.sd, raw.max() + 10.0))
    w_max = tau_prior.grid_max
    w_lo, w_hi, n_w, converged, previous = 0.0, w_max, 21, False, None
    # rows per posterior SD of v: in the half-Cauchy's w = F(τ) the density is skewed towards
    # w = 1, and the τ quantiles need 7 (4 gave 0.7% error in an upper τ quantile)
    per_sd = 7.0 if tau_prior.kind == "halfcauchy" else 4.0
    for stage in range(_MAX_STAGES):  # the range and spacing of w, from Laplace-like row masses
        w = np.linspace(w_lo, w_hi, n_w)
        tau, mode, top, left, right = _rows(lik, mu_prior, tau_prior, w, box, False, previous)
        previous = (w, mode, left, right)
        log_mass = top + np.log(right - left)
        keep = np.flatnonzero(log_mass > log_mass.max() - _OUTER_DROP)
        p = np.exp(log_mass - log_mass.max())
        p /= p.sum()
        sd_w = math.sqrt(max(p @ (w - p @ w) ** 2, 1e-30))
        r0, r1 = keep[0], keep[-1]
        span = w_hi - w_lo
        new_lo = w[r0 - 1] if r0 > 0 else max(w_lo - 0.5 * span, 0.0)
        new_hi = w[r1 + 1] if r1 < n_w - 1 else min(w_hi + 0.5 * span, w_max)
        inside = (r0 > 0 or w[0] == 0.0) and (r1 < n_w - 1 or w[-1] == w_max)
        if stage > 0 and inside and w[1] - w[0] <= sd_w / (per_sd - 0.5):
            converged = True
            break
        w_lo, w_hi = new_lo, new_hi
        n_w = int(min(max(math.ceil((w_hi - w_lo) / (sd_w / per_sd)) + 1, 21), 161))
    # the rows of the last stage, with the pilot's accuracy: enough for ranges that end 25 below
    # each row's mode
    sd_side = np.minimum(mode - left, right - mode) / math.sqrt(2.0 * _OUTER_DROP)
    n_mu = int(min(max(np.max(np.ceil((right - left) / (sd_side / 3.5))) + 1, 31), 801))
    u = np.linspace(0.0, 1.0, n_mu)
    mu = left[:, None] + (right - left)[:, None] * u
    value, _ = lik(mu, np.broadcast_to(tau[:, None], mu.shape))
    logp = value + mu_prior.log_density(mu) + tau_prior.grid_log_density(w)[:, None]
    weight = _w_weights(w, w_max, logp)
    return Grid(w, tau, mu, (right - left) / (n_mu - 1), logp, weight, converged)


def _w_weights(w, w_max, logp):
    """Trapezoid weights in w; Gregory's end correction at w = w_max when the density is not
    negligible there (at w = 0 the density is even, and the trapezoid rule is exact to all
    orders of Euler-Maclaurin)."""
    h = w[1] - w[0]
    weight = np.full(w.shape, h)
    weight[0] = weight[-1] = 0.5 * h
    if w[-1] == w_max and w.size >= 6 and logp[-1].max() > logp.max() - _OUTER_DROP:
        weight[-3:] = h * np.array([23 / 24, 7 / 6, 3 / 8])
    return weight
