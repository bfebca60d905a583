"""Brute-force maximum-likelihood references for the GLMM (issue 16), independent of jakisynth.

Usage (from tests/data/reference/):  python make_glmm_bruteforce.py adversarial_refs.json \
    glmm_bruteforce.json [SHARD COUNT]
(with SHARD and COUNT, only every COUNT-th set from the SHARD-th, 0-based, for running in
parallel; merge the outputs' "sets" afterwards). The output is rewritten after every set.

For the sets of adversarial_refs.json (made by make_adversarial_refs.R) where lme4 is in doubt
(glmer's or rma.glmm's tau2 above 5, or glmer failed; never all 0% or all 100%, which no GLMM
fits), the exact marginal log-likelihood of the random-intercept logistic
model, log L(β, τ) = Σ_i log ∫ Bin(x_i | n_i, expit(β + τ z)) φ(z) dz, the integrals by
scipy's adaptive Gauss-Kronrod quad_vec (split at each study's mode, relative tolerance 1e-11;
tests/test_glmm_search.py also checks jakisynth's integral against QUADPACK), is maximised
  1. on a grid: τ = 0 and 24 log-spaced values from 0.01 to 1000; at each τ, 25 values of β in
     logit(Σx/Σn) ± (10 + 4τ);
  2. by Nelder-Mead in (β, log τ) from the best grid point (xatol 1e-9, fatol 1e-13).
A best τ at the grid's upper end (1000), or Nelder-Mead leaving it, is recorded as
``unbounded``: the likelihood rises as τ → ∞. Deterministic (no random numbers). Needs numpy
and scipy only; takes about twenty minutes.
"""

import json
import sys

import numpy as np
from scipy import integrate, optimize, special, stats

TAU_MAX = 1000.0


def loglik(xs, ns, beta, tau):
    """Σ_i log ∫ Bin(x_i | n_i, expit(β + τz)) φ(z) dz; all studies in one vector-valued
    adaptive Gauss-Kronrod integral per side of each study's mode (scipy's quad_vec)."""
    x, n = np.asarray(xs, float), np.asarray(ns, float)
    log_coef = special.gammaln(n + 1) - special.gammaln(x + 1) - special.gammaln(n - x + 1)
    if tau == 0.0:
        return float(np.sum(stats.binom.logpmf(x, n, special.expit(beta))))
    def g(z):  # log integrand, without the binomial coefficient
        eta = beta + tau * z
        return x * eta - n * np.logaddexp(0.0, eta) - 0.5 * z * z
    modes = np.array([optimize.brentq(
        lambda z: tau * (xi - ni * special.expit(beta + tau * z)) - z,  # noqa: B023 (called at once)
        tau * (xi - ni) - 1.0, tau * xi + 1.0, xtol=1e-14) for xi, ni in zip(x, n)])
    peak = g(modes)
    total = np.zeros_like(x)
    for a, b in ((-12.0, 0.0), (0.0, 12.0)):
        value, _ = integrate.quad_vec(lambda t: np.exp(g(modes + t) - peak), a, b,
                                      epsabs=0.0, epsrel=1e-11, limit=2000)
        total += value
    return float(np.sum(log_coef + peak + np.log(total) - 0.5 * np.log(2 * np.pi)))


def maximise(xs, ns):
    beta0 = float(special.logit(sum(xs) / sum(ns)))
    points = []
    for tau in np.concatenate([[0.0], np.geomspace(0.01, TAU_MAX, 24)]):
        reach = 10.0 + 4.0 * tau
        betas = np.linspace(beta0 - reach, beta0 + reach, 25)
        values = [loglik(xs, ns, b, tau) for b in betas]
        i = int(np.argmax(values))
        points.append((float(values[i]), float(betas[i]), float(tau)))
    points.sort(reverse=True)
    grid_best = points[0]
    best = grid_best
    for _value, beta, tau in points[:1]:
        if tau == 0.0:
            continue
        res = optimize.minimize(lambda p: -loglik(xs, ns, p[0], min(np.exp(p[1]), 10 * TAU_MAX)),
                                [beta, np.log(tau)], method="Nelder-Mead",
                                options={"xatol": 1e-9, "fatol": 1e-13, "maxiter": 4000})
        if -res.fun > best[0]:
            best = (-res.fun, float(res.x[0]), float(np.exp(res.x[1])))
    unbounded = grid_best[2] >= TAU_MAX or best[2] >= TAU_MAX
    return {"beta": best[1], "tau2": best[2] ** 2, "loglik": best[0], "unbounded": unbounded,
            "grid_best": {"beta": grid_best[1], "tau2": grid_best[2] ** 2,
                          "loglik": grid_best[0]}}


def _in_doubt(glmm) -> bool:
    tight, default = glmm["tight"], glmm["metafor"]
    if "error" in tight:
        return True
    return tight["sigma"] ** 2 > 5 or default.get("tau2", 0.0) > 5


def main(source, target, shard="0", count="1"):
    sets = json.loads(open(source).read())["sets"]
    names = [name for name in sets
             if sets[name].get("glmm") is not None and _in_doubt(sets[name]["glmm"])
             and 0 < sum(sets[name]["xi"]) < sum(sets[name]["ni"])]
    names = names[int(shard)::int(count)]
    out = {"method": __doc__, "numpy": np.__version__,
           "scipy": __import__("scipy").__version__, "sets": {}}
    for name in names:
        xs, ns = sets[name]["xi"], sets[name]["ni"]
        out["sets"][name] = {"xi": xs, "ni": ns, **maximise(xs, ns)}
        print(name, out["sets"][name]["tau2"], out["sets"][name]["unbounded"], flush=True)
        open(target, "w").write(json.dumps(out, indent=1))


if __name__ == "__main__":
    main(*sys.argv[1:5])
