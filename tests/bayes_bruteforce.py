"""Brute-force posterior of the binomial-normal model, written independently of jakisynth.bayes.

No code is shared with the engine: here the priors are parsed by their own few lines, the study
effects are integrated on a fixed uniform grid (a discrete convolution of the binomial
likelihood with the normal density, by FFT; for τ below 4 grid steps, a 401-point trapezoid rule
in z = (θ - μ)/τ), and the posterior of (μ, τ) is summed on fixed dense grids (μ step ``h``,
τ step ``tau_step`` to ``tau_max``). CDFs are cumulative trapezoid sums, quantiles linear
interpolation. Slow (seconds): used by tests/make_bayes_refs.py to make
tests/data/bayes_bruteforce.json and, on one small data set, by tests/test_bayes.py.
"""

from __future__ import annotations

import math
import re

import numpy as np
from scipy import signal, special


def _prior(text: str):
    name, args = re.match(r"\s*(\w+)\((.*)\)\s*$", text).groups()
    values = [float(a) for a in args.split(",")]
    return name, values


def _log_tau_density(name, values, tau):
    if name == "halfnormal":
        s = values[0]
        return math.log(2.0) - 0.5 * (tau / s) ** 2 - math.log(s * math.sqrt(2 * math.pi))
    if name == "halfcauchy":
        s = values[0]
        return math.log(2.0 / (math.pi * s)) - np.log1p((tau / s) ** 2)
    if name == "uniform":
        return np.where(tau <= values[1], -math.log(values[1]), -np.inf)
    raise ValueError(name)


def _trapezoid_weights(x):
    d = np.diff(x)
    w = np.zeros(x.size)
    w[:-1] += d / 2
    w[1:] += d / 2
    return w


def _cumulative(x, f):
    out = np.zeros(x.size)
    out[1:] = np.cumsum(np.diff(x) * (f[1:] + f[:-1]) / 2)
    return out / out[-1]


def _quantile(x, cdf, q):
    i = int(np.searchsorted(cdf, q))
    return float(x[i - 1] + (q - cdf[i - 1]) * (x[i] - x[i - 1]) / (cdf[i] - cdf[i - 1]))


def _study_likelihood(y, n, mu, tau, h):
    """L(μ, τ)/sup ℓ for every μ of the uniform grid ``mu`` (step ``h``)."""
    def log_l(t):
        return y * t - n * np.logaddexp(0.0, t)
    sup = 0.0 if y in (0, n) else log_l(math.log(y / (n - y)))
    if tau == 0.0:
        return np.exp(log_l(mu) - sup)
    if tau < 4 * h:
        z = np.linspace(-10, 10, 401)
        wz = _trapezoid_weights(z) * np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
        return np.exp(log_l(mu[:, None] + tau * z) - sup) @ wz
    K = int(math.ceil(12 * tau / h))
    theta = mu[0] + h * np.arange(-K, mu.size + K)
    kernel = h * np.exp(-0.5 * (h * np.arange(-K, K + 1) / tau) ** 2) / (tau * math.sqrt(2 * math.pi))
    out = signal.fftconvolve(np.exp(log_l(theta) - sup), kernel, mode="valid")
    return np.maximum(out, 1e-300)


def brute_force(events, totals, tau_prior="halfnormal(0.5)", mu_prior="normal(0, 10)",
                level=0.95, h=0.01, tau_step=0.005, tau_max=3.5, thresholds=(0.5, 0.8)):
    x, n = np.asarray(events), np.asarray(totals)
    tname, tvals = _prior(tau_prior)
    _, (m0, s0) = _prior(mu_prior)
    raw = np.log((x + 0.5) / (n - x + 0.5))
    lo = min(m0 - 9 * s0, raw.min() - 12)
    hi = max(m0 + 9 * s0, raw.max() + 12)
    mu = lo + h * np.arange(int((hi - lo) / h) + 1)
    if tname == "uniform":
        tau_max = tvals[1]
    tau = tau_step * np.arange(int(round(tau_max / tau_step)) + 1)
    logp = np.empty((tau.size, mu.size))
    for c, t in enumerate(tau):
        total = sum(np.log(_study_likelihood(float(y), float(m), mu, float(t), h))
                    for y, m in zip(x, n))
        logp[c] = total + _log_tau_density(tname, tvals, t) - 0.5 * ((mu - m0) / s0) ** 2
    joint = np.exp(logp - logp.max())
    wmu, wtau = _trapezoid_weights(mu), _trapezoid_weights(tau)
    f_tau = joint @ wmu
    f_mu = wtau @ joint
    z = f_tau @ wtau
    cdf_mu, cdf_tau = _cumulative(mu, f_mu), _cumulative(tau, f_tau)
    a = (1 - level) / 2
    mean = float((f_mu * wmu) @ mu / z)
    sd = float(math.sqrt((f_mu * wmu) @ (mu - mean) ** 2 / z))
    # predictive density of θ_new = μ + τ z: each τ row's μ density convolved with N(0, τ²)
    K = int(math.ceil(12 * tau_max / h))
    theta = mu[0] + h * np.arange(-K, mu.size + K)
    pred = np.zeros(theta.size)
    for c, t in enumerate(tau):
        row = np.concatenate([np.zeros(K), joint[c], np.zeros(K)])
        if t < 4 * h:
            zz = np.linspace(-10, 10, 401)
            wz = _trapezoid_weights(zz) * np.exp(-0.5 * zz * zz) / math.sqrt(2 * math.pi)
            conv = sum(wzj * np.interp(theta - t * zj, theta, row) for zj, wzj in zip(zz, wz))
        else:
            J = int(math.ceil(12 * t / h))
            kernel = h * np.exp(-0.5 * (h * np.arange(-J, J + 1) / t) ** 2) / (t * math.sqrt(2 * math.pi))
            conv = signal.fftconvolve(row, kernel, mode="same")
        pred += wtau[c] * conv
    cdf_pred = _cumulative(theta, np.maximum(pred, 0.0))
    expit = special.expit

    def above(grid, cdf, p):
        return float(1.0 - np.interp(math.log(p / (1 - p)), grid, cdf))

    return {
        "estimate": float(expit(_quantile(mu, cdf_mu, 0.5))),
        "ci_lower": float(expit(_quantile(mu, cdf_mu, a))),
        "ci_upper": float(expit(_quantile(mu, cdf_mu, 1 - a))),
        "pi_lower": float(expit(_quantile(theta, cdf_pred, a))),
        "pi_upper": float(expit(_quantile(theta, cdf_pred, 1 - a))),
        "tau_median": _quantile(tau, cdf_tau, 0.5),
        "tau_ci_lower": _quantile(tau, cdf_tau, a),
        "tau_ci_upper": _quantile(tau, cdf_tau, 1 - a),
        "mu_mean": mean, "mu_sd": sd,
        "probability_above": {str(p): above(mu, cdf_mu, p) for p in thresholds},
        "predictive_probability_above": {str(p): above(theta, cdf_pred, p) for p in thresholds},
    }
