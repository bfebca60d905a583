"""Random-intercept logistic model (GLMM) for proportions, by ML with adaptive Gauss-Hermite quadrature.

Stage "pooling" (after ``pooling.py``; wrapped by ``proportions.pool_proportions(method="glmm")``).

Model (Stijnen, Hamza & Özdemir 2010, Stat Med 29:3046, the "binomial-normal" model):
x_i ~ Binomial(n_i, expit(β + σ u_i)), u_i ~ N(0, 1) independent, τ² = σ². The parameters are
lme4's: θ = σ (the relative covariance factor, here the sd of the random intercept) and the fixed
intercept β (Bates, Mächler, Bolker & Walker 2015, J Stat Softw 67(1), sections 1-3, and lme4's
``glmer`` help).

Adaptive Gauss-Hermite quadrature (Pinheiro & Bates 1995, J Comput Graph Stat 4:12; Liu & Pierce
1994, Biometrika 81:624), for one scalar random effect per study, as lme4 does it for ``nAGQ > 1``
(the penalised iteratively re-weighted least squares step gives the conditional modes; the GH
rule is centred on them and scaled by the conditional sd):

* g_i(u) = x_i η - n_i log(1 + e^η) - u²/2 - log(2π)/2 with η = β + σu (the log integrand,
  without the binomial coefficient);
* û_i maximises g_i (the conditional mode: σ(x_i - n_i p) = u at the mode);
* h_i = -g_i''(û_i) = 1 + σ² n_i p̂_i(1 - p̂_i) (lme4: the diagonal of L, L Lᵀ = ΛᵀZᵀWZΛ + I);
* with the Q-point Hermite rule (t_j, w_j) for the weight e^{-t²} and s_i = √(2/h_i):
  L_i ≈ s_i Σ_j w_j e^{t_j²} exp g_i(û_i + s_i t_j);
* Q = 1 is the Laplace approximation (√(2π/h_i) exp g_i(û_i)).

β and σ ≥ 0 maximise Σ log L_i (Newton on both with a central-difference gradient and Hessian of
the vectorised likelihood, a backtracking line search, and the boundary σ = 0 checked by the
score-test curvature Σ[(x_i - n_i p̄)² - n_i p̄(1 - p̄)]; the likelihood is even in σ).

Standard error of β: lme4's ``vcov()`` for a GLMM fitted with ``nAGQ > 0`` uses, by default
(``use.hessian = TRUE`` whenever the Hessian was computed, the default ``calc.derivs = TRUE``),
the β-block of 2 H⁻¹, H the Hessian of the deviance -2 log L over (θ, β) at the optimum, i.e. the
β-block of the inverse observed information of (σ, β). We compute the same Hessian by central
differences with the modes solved to 1e-13, Richardson-extrapolated from steps 2e-3 and 1e-3
(about 1e-9 relative error; lme4 uses a single finite-difference Hessian, ``deriv12``, step
1e-4). At σ = 0 (the boundary) the cross term vanishes and the standard error is the
logistic one, 1/√(Σ n_i p̄(1 - p̄)), p̄ = Σx/Σn, the value lme4 gives there.

Log-likelihood reported: the full binomial log-likelihood (AGQ approximation), including
Σ log C(n_i, x_i). It equals glmer's ``logLik()`` for ``nAGQ = 1``. For ``nAGQ > 1`` glmer's
``logLik()`` is on another constant: it is ours minus Σ log C(n_i, x_i) minus the saturated
log-likelihood Σ [x_i log(x_i/n_i) + (n_i - x_i) log(1 - x_i/n_i)] (checked against lme4 1.1-31;
compare deviances, not ``logLik()``, across nAGQ in R).

Safety net (issue 16; ``glmm_search``): the Newton fit is checked against the profile likelihood
on a grid of σ up to 1000 (and polished from its best point), the final gradient and Hessian are
checked, a likelihood still rising at σ = 1000 is reported as having no maximum (interval 0 to 1),
the standard error is at least √(τ²/k), and where the n_agq-point rule is off from the exact
integral a warning gives the exact-likelihood estimate (``integration="exact"`` maximises it).

Equivalent R: ``metafor::rma.glmm(measure = "PLO", xi = events, ni = totals, method = "ML")``,
i.e. ``lme4::glmer(cbind(xi, ni - xi) ~ 1 + (1 | study), family = binomial, nAGQ = 7)``.
metafor refuses k = 1 and data sets where every study has 0 events or every study has all events
("Cannot fit ML model"); here k = 1 is fitted with τ² = 0 and a warning, and the other two raise
:class:`~jakisynth.errors.InputError` (the MLE of β is infinite).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy import special

from ..errors import InputError
from .caveats import Caveat, messages
from .effects import check_counts, check_level
from .glmm_search import CONTROL as SEARCH
from .glmm_search import exact_per_study, maximum_check, profile

#: an interior optimum with σ below this is reported as the boundary, τ² = 0
BOUNDARY_SIGMA = 1e-4
_MODE_TOL = 1e-13
_MAX_NEWTON = 60
#: iteration cap of the bracketed Newton for the conditional modes (bisection alone needs
#: about 60 halvings to reach 1e-13 from a bracket of width 1e4)
MAX_MODE_ITERATIONS = 200


@dataclass(frozen=True)
class GlmmFit:
    """ML fit of the random-intercept logistic model (logit scale).

    ``loglik`` is the AGQ log-likelihood at the optimum including the binomial coefficients
    (glmer's ``logLik()`` constant for ``nAGQ = 1``; see the module docstring).
    """

    estimate: float  # pooled logit (β)
    se: float
    ci_lower: float  # Wald, z-based, logit scale
    ci_upper: float
    tau2: float  # σ², the variance of the random intercept
    loglik: float
    n_agq: int
    converged: bool
    iterations: int
    caveats: tuple[Caveat, ...] = ()

    @property
    def warnings(self) -> list[str]:
        return messages(self.caveats)

    def to_dict(self) -> dict:
        out = asdict(self)
        out["caveats"] = [c.to_dict() for c in self.caveats]
        out["warnings"] = self.warnings
        return out

    def __str__(self) -> str:
        lines = [f"GLMM (random-intercept logistic, ML, nAGQ = {self.n_agq})",
                 f"  logit {self.estimate:.4f} (se {self.se:.4f}), CI {self.ci_lower:.4f} to "
                 f"{self.ci_upper:.4f}",
                 f"  tau2 {self.tau2:.4f}, log-likelihood {self.loglik:.4f}, "
                 f"{'converged' if self.converged else 'NOT converged'} in {self.iterations} "
                 "iterations"]
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)


class _Agq:
    """The AGQ log-likelihood of one data set, vectorised over parameter points."""

    def __init__(self, x: np.ndarray, n: np.ndarray, n_agq: int, exact: bool = False):
        self.x, self.n = x, n
        self.exact = exact  # integrate by Gauss-Legendre panels (glmm_search), not AGQ
        nodes, weights = np.polynomial.hermite.hermgauss(n_agq)
        self.nodes = nodes
        self.log_w = np.log(weights) + nodes * nodes - 0.5 * np.log(2 * np.pi)  # per node
        self.constant = float(np.sum(special.gammaln(n + 1) - special.gammaln(x + 1)
                                     - special.gammaln(n - x + 1)))

    def modes(self, beta, sigma, start=None):
        """Conditional modes û (points x studies) of g and h = -g''(û); safeguarded Newton.

        The mode solves σ(x - n p(û)) = û, so it lies between σ(x - n) and σx."""
        x, n = self.x, self.n
        a, b = sigma * (x - n), sigma * x
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        u = np.clip(np.zeros_like(lo) if start is None else start, lo, hi)
        s2 = sigma * sigma
        last_step = hi - lo
        for _ in range(MAX_MODE_ITERATIONS):
            p = special.expit(beta + sigma * u)
            score = sigma * (x - n * p) - u  # g'(u), decreasing in u
            curv = s2 * n * p * (1.0 - p) + 1.0
            lo = np.where(score > 0, u, lo)
            hi = np.where(score < 0, u, hi)
            newton = score / curv
            # Newton inside the bracket, and only while it at least halves the step (else
            # bisect): plain Newton crawls or jumps across when σ is large and the logistic
            # curvature vanishes (rtsafe, Press et al., Numerical Recipes, section 9.4)
            done = np.abs(newton) <= _MODE_TOL * (1.0 + np.abs(u))  # converged: stay
            bisect = ~done & ((u + newton <= lo) | (u + newton >= hi)
                              | (np.abs(newton) > 0.5 * np.abs(last_step)))
            new = np.where(bisect, 0.5 * (lo + hi), u + newton)
            last_step = new - u
            u = new
            if np.abs(last_step).max(initial=0.0) < _MODE_TOL * (1.0 + np.abs(u).max(initial=0.0)):
                break
        p = special.expit(beta + sigma * u)
        return u, s2 * n * p * (1.0 - p) + 1.0

    def per_study(self, beta, sigma, start=None):
        """log L_i without the binomial coefficient for arrays beta, sigma of shape (m, 1);
        returns (m, k) and the modes."""
        u_hat, h = self.modes(beta, sigma, start)
        if self.exact:
            return exact_per_study(self.x, self.n, beta, sigma, u_hat, h), u_hat
        scale = np.sqrt(2.0 / h)  # (m, k)
        u = u_hat[..., None] + scale[..., None] * self.nodes  # (m, k, Q)
        eta = beta[..., None] + sigma[..., None] * u
        terms = (self.x[:, None] * eta - self.n[:, None] * np.logaddexp(0.0, eta)
                 - 0.5 * u * u + self.log_w)
        peak = terms.max(axis=-1)
        per_study = np.log(scale) + peak + np.log(np.exp(terms - peak[..., None]).sum(axis=-1))
        return per_study, u_hat

    def at(self, beta: float, sigma: float) -> float:
        """Σ_i log L_i, with the binomial coefficients."""
        value, _ = self.per_study(np.array([[beta]]), np.array([[sigma]]))
        return float(value[0].sum()) + self.constant

    def derivatives(self, beta: float, sigma: float, start=None, step: float = 1e-4):
        """Value, central-difference gradient and Hessian at (β, σ), in one vectorised call
        (relative step ``step``)."""
        hb = step * max(1.0, abs(beta))
        hs = step * max(1.0, abs(sigma))
        db = np.array([0, 1, -1, 0, 0, 1, 1, -1, -1], dtype=float) * hb
        ds = np.array([0, 0, 0, 1, -1, 1, -1, 1, -1], dtype=float) * hs
        per, modes = self.per_study((beta + db)[:, None], (sigma + ds)[:, None],
                                    None if start is None else np.broadcast_to(start, (9, start.size)))
        # differences to the centre study by study, then summed: less rounding than summing first
        f = np.concatenate([[0.0], (per[1:] - per[0]).sum(axis=1)])
        grad = np.array([(f[1] - f[2]) / (2 * hb), (f[3] - f[4]) / (2 * hs)])
        hbb = (f[1] - 2 * f[0] + f[2]) / hb**2
        hss = (f[3] - 2 * f[0] + f[4]) / hs**2
        hbs = (f[5] - f[6] - f[7] + f[8]) / (4 * hb * hs)
        value = float(per[0].sum()) + self.constant
        return value, grad, np.array([[hbb, hbs], [hbs, hss]]), modes[0]


INTEGRATIONS = ("agq", "exact")


def fit_glmm_logit(events, totals, *, n_agq: int = 7, level: float = 0.95,
                   integration: str = "agq") -> GlmmFit:
    """Fit the random-intercept logistic model by ML with adaptive Gauss-Hermite quadrature.

    ``events``/``totals``: counts per study; ``n_agq``: number of quadrature points (1 = Laplace;
    lme4 allows up to 25); ``level``: confidence level of the Wald interval for β;
    ``integration``: "agq" (the n_agq-point rule, as lme4) or "exact" (Gauss-Legendre panels,
    accurate at any τ: ``glmm_search``). Whatever the integration, the fit is checked against
    the profile likelihood on a grid of τ up to 1000 (a likelihood still rising there has no
    maximum: a warning, and an interval of 0 to 1), and the standard error is at least
    √(τ²/k). Formulas and sources: see the module docstring. Equivalent R:
    ``rma.glmm(measure = "PLO", xi = events, ni = totals, method = "ML", nAGQ = n_agq)``.

    Never returns NaN: a fit that did not converge says so (``converged=False`` and a warning).
    Raises :class:`InputError` for bad counts (naming the argument and position), a bad
    ``n_agq`` or ``level``, and when every study has 0 events or every study has all events
    (the MLE of β is then infinite; metafor's rma.glmm also stops there).
    """
    xi, ni = check_counts(events, totals, totals_name="totals")
    level = check_level(level)
    if isinstance(n_agq, bool) or not isinstance(n_agq, (int, np.integer)) or not 1 <= n_agq <= 100:
        raise InputError(f"n_agq: expected a whole number from 1 to 100 (lme4 allows up to 25), "
                         f"got {n_agq!r}")
    n_agq = int(n_agq)
    if integration not in INTEGRATIONS:
        raise InputError(f"integration: expected 'agq' or 'exact'; got {integration!r}")
    if xi.sum() == 0 or xi.sum() == ni.sum():
        which = "0 events" if xi.sum() == 0 else "all events"
        raise InputError(f"events: every study has {which}; the GLMM estimate (pooled logit) is "
                         "infinite and cannot be fitted (metafor's rma.glmm stops too); use the "
                         "inverse-variance model, whose continuity correction gives a finite "
                         "estimate")
    x, n = xi.astype(float), ni.astype(float)
    k = x.size
    model = _Agq(x, n, n_agq, exact=integration == "exact")
    caveats: list[Caveat] = []
    pooled = x.sum() / n.sum()
    beta_fixed = float(special.logit(pooled))  # the MLE at σ = 0
    boundary_value = model.at(beta_fixed, 0.0)
    curvature = float(np.sum((x - n * pooled) ** 2 - n * pooled * (1 - pooled)))

    beta, sigma, value = beta_fixed, 0.0, boundary_value
    converged, iterations, unbounded = True, 0, False
    if k == 1:
        caveats.append(Caveat("single_study", "k = 1: tau2 cannot be estimated from one study "
                              "and is set to 0 (metafor's rma.glmm refuses k = 1)"))
    else:
        # Newton from the DerSimonian-Laird start; if it fails (rare: mostly 0% and 100%
        # studies, where the AGQ surface is flat or bumpy at large sigma), from three more
        # starts, keeping the most likely converged optimum
        b, s, v, ok, iterations = _newton(model, beta_fixed, _start_sigma(x, n))
        for retry in (1.0, 0.3, 3.0) if not ok else ():
            rb, rs, rv, rok, rit = _newton(model, beta_fixed, retry)
            iterations += rit
            if (rok, rv) > (ok, v):
                b, s, v, ok = rb, rs, rv, rok
        if s > BOUNDARY_SIGMA and v > boundary_value:
            beta, sigma, value, converged = b, s, v, ok
        elif curvature > 0:  # the boundary is not a maximum, yet no interior optimum was found
            beta, sigma, value, converged = b, s, v, False
        (beta, sigma, value, converged), unbounded = _global_check(
            model, beta_fixed, (beta, sigma, value, converged), caveats)
        if sigma == 0.0:
            caveats.append(Caveat("tau2_boundary", "tau2 estimated at the boundary (0): the GLMM "
                                  "reduces to the fixed-intercept logistic model (pooled "
                                  "proportion sum(events)/sum(totals))"))
    if sigma > 0 and not unbounded and (caveat := maximum_check(model, beta, sigma)):
        caveats.append(caveat)
    if not converged and not unbounded:  # unbounded: there is no maximum to converge to
        caveats.append(Caveat("not_converged", f"GLMM: the optimiser did not converge in "
                              f"{iterations} Newton iterations; the last values are reported "
                              "and may be wrong"))
    se, from_hessian = (np.inf, True) if unbounded else _standard_error(model, beta, sigma, n,
                                                                         pooled)
    if not from_hessian:
        caveats.append(Caveat("glmm_information", "GLMM: the observed information of (sigma, "
                              "beta) is not positive definite; se is the conditional one given "
                              "tau2 (lme4's fallback 'var-cov estimated from RX')"))
    floor = sigma / np.sqrt(k)
    if unbounded:
        se = float(floor)  # at tau2 = 1e6: the interval is 0 to 1 on the proportion scale
    elif not se >= floor:  # also catches a non-finite se
        caveats.append(Caveat("glmm_se_floor", f"GLMM: the standard error from the Hessian ({se:.3g}) is below "
                        f"sqrt(tau2/k) = {floor:.3g}, the least uncertainty about the mean of k "
                        "random effects with variance tau2; sqrt(tau2/k) is used"))
        se = float(floor)
    z = float(special.ndtri(1 - (1 - level) / 2))
    return GlmmFit(estimate=beta, se=se, ci_lower=beta - z * se, ci_upper=beta + z * se,
                   tau2=sigma * sigma, loglik=value, n_agq=n_agq, converged=converged,
                   iterations=iterations, caveats=tuple(caveats))


def _global_check(model: _Agq, beta_fixed: float, fit, caveats: list[Caveat]):
    """Check the Newton fit against the profile likelihood on a grid of σ (``glmm_search``) and
    the AGQ likelihood against the exact integral there; returns (β, σ, value, converged).

    Where AGQ is off by more than the tolerance, the fit stays AGQ's (the documented model, as
    lme4 fits it) with a caveat giving the exact-integral estimate; but where the exact
    likelihood has no maximum (it rises as τ → ∞), the fit is reported as unbounded."""
    fit, unbounded = _best_on_profile(model, beta_fixed, fit)
    if not unbounded and not model.exact and model.nodes.size > 1:
        exact = _Agq(model.x, model.n, model.nodes.size, exact=True)
        error = model.at(fit[0], fit[1]) - exact.at(fit[0], fit[1])
        if abs(error) > SEARCH.quadrature_tolerance:
            exact_fit, unbounded = _best_on_profile(exact, beta_fixed, fit, start_over=True)
            caveats.append(Caveat(
                "glmm_quadrature_inaccurate",
                f"GLMM: at tau2 = {fit[1] ** 2:.4g} the {model.nodes.size}-point adaptive "
                f"Gauss-Hermite log-likelihood is off by {error:.2g} from the exact integral (tau "
                "large: the integrand is far from normal). "
                + ("With the exact integral the likelihood has no maximum (below)."
                   if unbounded else
                   f"Maximising the exact integral gives logit {exact_fit[0]:.4f}, tau2 "
                   f"{exact_fit[1] ** 2:.4g} (integration='exact'); lme4 keeps the "
                   f"{model.nodes.size}-point rule, as here.")))
            if unbounded:
                fit = exact_fit
    if unbounded:
        caveats.append(Caveat("glmm_tau2_unbounded",
                              "GLMM: the likelihood has no maximum at a finite tau2 (it does not "
                        f"fall as tau2 grows, searched up to tau2 = {fit[1] ** 2:.4g}); tau2 "
                        "and the pooled proportion are not identified by these data, and the "
                        "interval is 0 to 1"))
    return fit, unbounded


def _best_on_profile(model: _Agq, beta_fixed: float, fit, start_over: bool = False):
    """The better of ``fit`` and a Newton polish from the best point of the σ-profile, and
    whether the profile rises up to the largest σ searched (no maximum)."""
    beta, sigma, value, converged = fit
    if start_over:
        value, converged = -np.inf, False
    prof = profile(model, beta_fixed)
    best = prof.best
    if prof.unbounded(SEARCH.better):
        return (float(prof.beta[-1]), float(prof.sigma[-1]), float(prof.value[-1]), False), True
    if prof.value[best] <= value + SEARCH.better and converged:
        return (beta, sigma, value, converged), False
    boundary = (beta_fixed, 0.0, model.at(beta_fixed, 0.0), True), False
    if prof.sigma[best] == 0.0:
        return boundary
    b, s, v, ok, _ = _newton(model, float(prof.beta[best]), float(prof.sigma[best]))
    if s <= BOUNDARY_SIGMA:
        return boundary
    if v >= prof.value[best] - SEARCH.better:
        return (b, s, v, ok), False
    return (float(prof.beta[best]), float(prof.sigma[best]), float(prof.value[best]),
            False), False


def _start_sigma(x, n) -> float:
    """√(DerSimonian-Laird τ²) of the logits with metafor's 0.5 correction, at least 0.3."""
    y = np.log((x + 0.5) / (n - x + 0.5))
    w = 1 / (1 / (x + 0.5) + 1 / (n - x + 0.5))
    q = float(np.sum(w * (y - np.sum(w * y) / w.sum()) ** 2))
    dl = max(0.0, (q - (x.size - 1)) / (w.sum() - np.sum(w * w) / w.sum()))
    return max(np.sqrt(dl), 0.3)


def _newton(model: _Agq, beta: float, sigma: float):
    """Maximise over (β, σ > 0): Newton with a negative-definite-forced Hessian and backtracking.

    Returns β, σ (≥ 0), the log-likelihood, whether the gradient criterion was met, and the
    number of iterations."""
    modes = None
    value, grad, hess, modes = model.derivatives(beta, sigma, modes)
    for iteration in range(1, _MAX_NEWTON + 1):
        eigval, eigvec = np.linalg.eigh(hess)
        # ascent direction: -H⁻¹g with the eigenvalues forced below -1e-8·max|λ|
        floor = 1e-8 * max(1.0, np.abs(eigval).max())
        step = eigvec @ ((eigvec.T @ grad) / np.maximum(-eigval, floor))
        decrement = float(grad @ step)
        if decrement < 1e-16 or np.abs(step).max() < 1e-11:
            return beta, abs(sigma), value, True, iteration - 1
        t = 1.0
        while True:
            cand_b, cand_s = beta + t * step[0], abs(sigma + t * step[1])
            cand_v = model.at(cand_b, cand_s)
            if cand_v >= value - 1e-13 * abs(value) or t < 1e-10:
                break
            t *= 0.5
        if t < 1e-10:  # no ascent along the direction: the FD gradient is at its noise level
            return beta, abs(sigma), value, decrement < 1e-8, iteration
        beta, sigma = cand_b, cand_s
        if sigma < 0.1 * BOUNDARY_SIGMA:  # drifting onto the boundary
            return beta, 0.0, cand_v, True, iteration
        value, grad, hess, modes = model.derivatives(beta, sigma, modes)
    return beta, abs(sigma), value, False, _MAX_NEWTON


def _standard_error(model: _Agq, beta: float, sigma: float, n, pooled: float):
    """√ of the β-block of the inverse observed information of (σ, β) (lme4's vcov), and
    whether it came from there.

    Where that information is not positive definite, lme4 falls back to the RX-based variance,
    β given θ: 1/Σ w_i/(1 + σ² w_i), w_i = n_i p̂_i(1 - p̂_i) at the conditional modes (the
    Schur complement of the penalised weighted cross-product); at σ = 0 both are the
    logistic 1/Σ w_i."""
    if sigma == 0.0:
        return float(1.0 / np.sqrt(np.sum(n) * pooled * (1 - pooled))), True
    # Richardson extrapolation of two central-difference Hessians, (4 H(h/2) - H(h)) / 3: the
    # O(h²) truncation cancels, and the larger steps keep the rounding error near 1e-9
    # (a single step of 1e-4 leaves ~1e-7 relative noise in se)
    _, _, coarse, _ = model.derivatives(beta, sigma, step=2e-3)
    _, _, fine, _ = model.derivatives(beta, sigma, step=1e-3)
    info = -(4.0 * fine - coarse) / 3.0
    det = info[0, 0] * info[1, 1] - info[0, 1] ** 2
    if det > 0 and info[1, 1] > 0:
        return float(np.sqrt(info[1, 1] / det)), True
    u_hat, h = model.modes(np.array([[beta]]), np.array([[sigma]]))
    w = (h[0] - 1.0) / (sigma * sigma)
    information = float(np.sum(w / (1.0 + sigma * sigma * w)))
    return (float(1.0 / np.sqrt(information)) if information > 0 else np.inf), False
