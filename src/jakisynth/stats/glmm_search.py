"""The GLMM's safety net: an accurate integral at any τ and a global search over τ.

Stage "pooling" (helper of ``glmm``; numpy/scipy only). Two checks of the AGQ fit in ``glmm``:

1. **Exact integral.** With n_agq Gauss-Hermite nodes the approximation of
   L_i = ∫ exp g_i(u) du, g_i(u) = x_i η - n_i log(1 + e^η) - u²/2 - log(2π)/2, η = β + σu,
   fails when σ is large: the integrand then falls from its mode on one side within
   1/√h_i ≪ 1 while the other side has the normal's width 1, and no 7-point rule fits both
   (Pinheiro & Bates 1995, section 3, on AGQ's assumption of a near-Gaussian integrand).
   ``exact_per_study`` integrates each side of the mode û_i with 16-point Gauss-Legendre rules
   on panels of geometrically growing width (û_i ± c·2^j, c = min(1/√h_i, 1/(σn_i)): the
   binomial factor turns over within 1/(σn_i), near the mode or not), up to |u - û_i| = 9:
   g_i'' <= -1, so beyond 9 the integrand is below e^{-40.5} of its peak. Accurate to about
   1e-9 (absolute, on log L_i) at every τ, whatever the data (tests: against QUADPACK).
2. **Global search over σ.** The profile log-likelihood p(σ) = max_β log L(β, σ) on a grid of σ
   from 0 to SIGMA_MAX (β by a vectorised golden-section search; log L is concave in β for
   fixed σ, being an integral of log-concave functions: Prékopa 1973). The best grid point is
   the start of the final Newton polish; a profile at SIGMA_MAX within ``better`` of its maximum
   means the likelihood has no maximum at a finite τ² (one study at 0% and one at 100%: the
   supremum is reached only as τ → ∞; every n = 1: the likelihood is flat in τ at β = 0).

Equivalent R: none in lme4 (glmer's AGQ uses the nAGQ-point rule at every τ); the brute-force
reference, tests/data/reference/make_glmm_bruteforce.py, integrates with scipy's QUADPACK.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .caveats import Caveat

GL_NODES, GL_WEIGHTS = np.polynomial.legendre.leggauss(16)


@dataclass(frozen=True)
class GlmmSearchControl:
    """Numerical controls of the exact integral and the global search."""

    panels: int = 28  # panels per side of the mode, widths c/8, c/4, ... (c = min(1/√h, 1/(σn)))
    reach: float = 9.0  # |u - û| beyond which the integrand is negligible (e^{-40.5})
    sigma_max: float = 1000.0  # largest σ searched (τ² = 1e6); a best σ there = unbounded
    sigma_min: float = 0.02  # smallest positive σ of the grid
    grid_points: int = 16  # positive σ values (log-spaced), plus σ = 0
    golden_iterations: int = 32  # golden-section steps for β at each σ
    beta_reach: float = 10.0  # β searched within β_fixed ± (beta_reach + beta_slope·σ)
    beta_slope: float = 4.0
    better: float = 1e-6  # a log-likelihood higher by more than this is a different optimum
    quadrature_tolerance: float = 1e-3  # |AGQ - exact| log-likelihood above this: AGQ inaccurate
    decrement_tolerance: float = 1e-6  # a Newton step would gain more than this: not a maximum


CONTROL = GlmmSearchControl()
_GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0


def exact_per_study(x, n, beta, sigma, u_hat, h, control: GlmmSearchControl = CONTROL):
    """log L_i (without the binomial coefficient), shape (m, k), for beta, sigma of shape
    (m, 1) and the modes u_hat and curvatures h of shape (m, k)."""
    # the binomial factor turns over within 1/(σn) in u, wherever that is: no panel near the
    # mode may be wider than that or the local sd 1/√h
    with np.errstate(divide="ignore"):
        c = np.minimum(1.0 / np.sqrt(h), 1.0 / (sigma * n))
    powers = 2.0 ** np.arange(-3, control.panels - 3)
    edges = np.minimum(c[..., None] * powers, control.reach)
    edges = np.concatenate([np.zeros_like(edges[..., :1]), edges], axis=-1)
    half = 0.5 * (edges[..., 1:] - edges[..., :-1])  # (m, k, P)
    mid = 0.5 * (edges[..., 1:] + edges[..., :-1])
    offsets = mid[..., None] + half[..., None] * GL_NODES  # (m, k, P, G)
    with np.errstate(divide="ignore"):
        log_w = np.log(half)[..., None] + np.log(GL_WEIGHTS)  # -inf for empty panels
    sides = []
    for sign in (1.0, -1.0):
        u = u_hat[..., None, None] + sign * offsets
        eta = beta[..., None, None] + sigma[..., None, None] * u
        sides.append(x[:, None, None] * eta - n[:, None, None] * np.logaddexp(0.0, eta)
                     - 0.5 * u * u - 0.5 * np.log(2 * np.pi) + log_w)
    terms = np.concatenate([s.reshape(*s.shape[:2], -1) for s in sides], axis=-1)
    peak = terms.max(axis=-1)
    return peak + np.log(np.exp(terms - peak[..., None]).sum(axis=-1))


@dataclass(frozen=True)
class Profile:
    """The profile log-likelihood on the σ grid (σ[0] = 0) and the β maximising it at each σ."""

    sigma: np.ndarray
    beta: np.ndarray
    value: np.ndarray

    @property
    def best(self) -> int:
        return int(np.argmax(self.value))

    def unbounded(self, tie: float) -> bool:
        """The profile at the largest σ searched is within ``tie`` of its maximum: it rises or
        stays flat up to there (e.g. every n = 1, where β = 0 fits every σ equally well)."""
        return bool(self.value[-1] >= self.value[self.best] - tie)

    def local_maxima(self) -> int:
        v = self.value
        inner = np.sum((v[1:-1] > v[:-2]) & (v[1:-1] >= v[2:]))
        return int(inner + (v[0] >= v[1]) + (v[-1] > v[-2]))


def profile(model, beta_fixed: float, control: GlmmSearchControl = CONTROL) -> Profile:
    """p(σ) = max_β log L(β, σ) on the grid; ``model`` has ``per_study(beta, sigma, start)``
    for (m, 1) arrays (returning (m, k) values and the modes) and ``constant``. The modes of one
    golden-section step start the next (the search moves β little)."""
    sigma = np.concatenate([[0.0], np.geomspace(control.sigma_min, control.sigma_max,
                                                control.grid_points)])
    reach = control.beta_reach + control.beta_slope * sigma
    lo, hi = beta_fixed - reach, beta_fixed + reach
    s2 = np.concatenate([sigma, sigma])[:, None]
    modes = None
    for _ in range(control.golden_iterations):
        c = hi - _GOLDEN * (hi - lo)
        d = lo + _GOLDEN * (hi - lo)
        values, modes = model.per_study(np.concatenate([c, d])[:, None], s2, modes)
        values = values.sum(axis=1)
        fc, fd = values[: sigma.size], values[sigma.size:]
        hi = np.where(fc > fd, d, hi)
        lo = np.where(fc > fd, lo, c)
    beta = 0.5 * (lo + hi)
    values, _ = model.per_study(beta[:, None], sigma[:, None], modes[: sigma.size])
    return Profile(sigma, beta, values.sum(axis=1) + model.constant)


def maximum_check(model, beta: float, sigma: float, control: GlmmSearchControl = CONTROL):
    """A caveat if (β, σ > 0) is not a maximum by the final gradient and Hessian: the Hessian
    is not negative definite, or one more Newton step would raise the log-likelihood by more
    than ``decrement_tolerance`` (the Newton decrement -gᵀH⁻¹g/2). None when it is."""
    _, grad, hess, _ = model.derivatives(beta, sigma)
    eigenvalues = np.linalg.eigvalsh(hess)
    if not np.all(eigenvalues < 0):
        return Caveat("glmm_hessian_not_negative_definite",
                      "GLMM: the Hessian of the log-likelihood at the estimate is not negative "
                      f"definite (eigenvalues {eigenvalues[0]:.3g}, {eigenvalues[1]:.3g}): it may "
                      "not be a maximum")
    decrement = -0.5 * float(grad @ np.linalg.solve(hess, grad))
    if decrement > control.decrement_tolerance:
        return Caveat("glmm_gradient_not_zero",
                      "GLMM: the gradient at the estimate is not 0 (a Newton step would raise the "
                      f"log-likelihood by {decrement:.2g}): it may not be the maximum")
    return None
