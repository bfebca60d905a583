"""The Bayesian binomial-normal model (jakisynth.stats.bayes, priors, method="bayes") against an
independent brute-force posterior (tests/bayes_bruteforce.py), plus its inner integral, priors,
determinism and API.

Reference values: tests/data/bayes_bruteforce.json, made by tests/make_bayes_refs.py.
"""

import json
import math
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from jakisynth import pool_proportions
from jakisynth.errors import InputError
from jakisynth.stats.bayes import _Likelihood
from jakisynth.stats.priors import parse_mu_prior, parse_tau_prior

from tolerances import TOLERANCES

sys.path.insert(0, str(Path(__file__).parent))
from bayes_bruteforce import brute_force  # noqa: E402

REFERENCE = json.loads((Path(__file__).parent / "data/bayes_bruteforce.json").read_text())
PROPORTIONS = ("estimate", "ci_lower", "ci_upper", "pi_lower", "pi_upper")
TAU = ("tau_median", "tau_ci_lower", "tau_ci_upper")


def ours(case):
    result = pool_proportions(case["events"], case["totals"], method="bayes",
                              tau_prior=case["tau_prior"], mu_prior=case["mu_prior"],
                              level=case["level"])
    d = result.to_dict()
    out = {k: d[k] for k in PROPORTIONS}
    out.update({k: d["posterior"][k] for k in (*TAU, "mu_mean", "mu_sd")})
    out["probability_above"] = {p: result.probability_above(float(p)) for p in ("0.5", "0.8")}
    out["predictive_probability_above"] = {p: result.predictive_probability_above(float(p))
                                           for p in ("0.5", "0.8")}
    return result, out


def differences(mine, ref):
    bad = {}
    for key in (*PROPORTIONS, "mu_mean", "mu_sd"):
        if abs(mine[key] - ref[key]) > TOLERANCES["bayes_abs"]:
            bad[key] = (mine[key], ref[key])
    for key in TAU:
        if abs(mine[key] - ref[key]) > TOLERANCES["bayes_tau"] * ref[key]:
            bad[key] = (mine[key], ref[key])
    for kind in ("probability_above", "predictive_probability_above"):
        for p, value in mine[kind].items():
            if abs(value - ref[kind][p]) > TOLERANCES["bayes_abs"]:
                bad[f"{kind}({p})"] = (value, ref[kind][p])
    return bad


@pytest.mark.parametrize("name", sorted(REFERENCE["cases"]))
def test_agrees_with_the_brute_force_posterior(name):
    case = REFERENCE["cases"][name]
    _, mine = ours(case)
    assert not differences(mine, case["brute_force"])


def test_agrees_with_a_brute_force_run_now():
    """The brute force run in the test (coarser, small prior range, k = 2; about 6 s), not a
    stored number: its own error here is 4e-6 (against steps halved)."""
    case = {"events": [2, 7], "totals": [9, 8], "tau_prior": "halfnormal(0.5)",
            "mu_prior": "normal(0, 2)", "level": 0.9}
    ref = brute_force(case["events"], case["totals"], case["tau_prior"], case["mu_prior"],
                      level=0.9, h=0.02, tau_step=0.01, tau_max=3.2)
    _, mine = ours(case)
    assert not differences(mine, ref)


def trapezoid_log_likelihood(y, n, mu, tau):
    """log ∫ Bin-kernel(t) N(t; μ, τ²) dt by a dense trapezoid rule on a window found by scanning."""
    def log_g(t):
        return (y * t - n * np.logaddexp(0.0, t) - 0.5 * ((t - mu) / tau) ** 2
                - math.log(tau * math.sqrt(2 * math.pi)))
    coarse = np.linspace(mu - 40 * tau - 40, mu + 40 * tau + 40, 400001)
    values = log_g(coarse)
    keep = coarse[values > values.max() - 60]
    t = np.linspace(keep[0] - 1e-3, keep[-1] + 1e-3, 2000001)
    v = log_g(t)
    top = v.max()
    f = np.exp(v - top)
    return top + math.log(float(np.sum((f[1:] + f[:-1]) * np.diff(t)) / 2))


@pytest.mark.parametrize("y,n,mu,tau", [
    (0, 50, 30.0, 30.0), (1, 1, 30.0, 30.0), (12, 12, -10.0, 10.0), (3, 3, 10.0, 30.0),
    (0, 1, -10.0, 30.0), (47, 53, 0.0, 5.0), (500, 1000, -3.0, 0.5), (5, 10, 2.0, 1.0),
    (0, 50, 30.0, 1.0), (8, 8, 2.0, 1.5), (1, 2, 0.0, 0.01), (100, 100, -20.0, 3.0),
])
def test_study_integral_in_corners(y, n, mu, tau):
    """statistics.md: large τ with μ far from the data, 0% and 100% studies."""
    lik = _Likelihood(np.array([y]), np.array([n]))
    value, _ = lik(np.array([mu]), np.array([tau]))
    assert value[0] == pytest.approx(trapezoid_log_likelihood(y, n, mu, tau),
                                     abs=TOLERANCES["bayes_log_likelihood"])


def test_results_are_identical_to_the_last_bit():
    first = pool_proportions([47, 3, 8], [53, 3, 8], method="bayes")
    second = pool_proportions([47, 3, 8], [53, 3, 8], method="bayes")
    assert json.dumps(first.to_dict()) == json.dumps(second.to_dict())
    assert first.probability_above(0.8) == second.probability_above(0.8)


def test_probabilities_are_consistent_with_the_quantiles():
    result = pool_proportions([4, 9, 2], [10, 12, 9], method="bayes")
    assert result.probability_above(result.estimate) == pytest.approx(0.5, abs=1e-7)
    assert result.probability_above(result.ci_lower) == pytest.approx(0.975, abs=1e-7)
    assert result.predictive_probability_above(result.pi_upper) == pytest.approx(0.025, abs=1e-7)
    probs = [result.probability_above(p) for p in (0.2, 0.4, 0.5, 0.6, 0.8)]
    assert probs == sorted(probs, reverse=True)
    assert result.tau2 == pytest.approx(result.posterior["tau_median"] ** 2, rel=1e-12)


def test_to_dict_keeps_the_keys_of_the_other_methods():
    bayes = pool_proportions([3, 12, 6], [3, 12, 11], method="bayes").to_dict()
    inverse = pool_proportions([3, 12, 6], [3, 12, 11]).to_dict()
    assert set(inverse) <= set(bayes)
    assert set(bayes) - set(inverse) == {"tau_prior", "mu_prior", "posterior"}
    assert bayes["method"] == "bayes" and bayes["weights"] is None
    assert bayes["tau_prior"] == "halfnormal(0.5)" and bayes["mu_prior"] == "normal(0, 10)"
    assert set(bayes["posterior"]) == {"mu_mean", "mu_sd", "tau_median", "tau_ci_lower",
                                       "tau_ci_upper"}
    json.dumps(bayes, allow_nan=False)
    # I2, H2, Q as the GLMM reports them: metafor's corrected logits at the posterior median tau2
    glmm = pool_proportions([3, 12, 6], [3, 12, 11], method="glmm").to_dict()
    assert bayes["Q"] == pytest.approx(glmm["Q"], rel=1e-12)


def test_text_frame_and_warnings():
    result = pool_proportions([3, 12], [3, 12], studies=["a", "b"], method="bayes")
    text = str(result)
    assert "95% credible interval" in text and "predictive interval" in text
    assert "P(pooled proportion > 80%)" in text and "P(new series > 50%)" in text
    assert ("Bayesian random effects (binomial-normal; tau ~ halfnormal(0.5), "
            "mu ~ normal(0, 10))") in text
    frame = result.to_frame()
    assert list(frame["row"])[-1] == "Predictive interval"
    assert frame["weight"].isna().all()
    assert any(w.startswith("k = 2 < 5") for w in result.warnings)
    assert any(w.startswith("every study has all events") for w in result.warnings)
    zero = pool_proportions([0], [4], method="bayes")
    assert [w.split(":")[0] for w in zero.warnings] == ["k = 1", "every study has 0 events"]


@pytest.mark.parametrize("text,canonical", [
    ("halfnormal(0.5)", "halfnormal(0.5)"), (" halfcauchy( 1 ) ", "halfcauchy(1)"),
    ("uniform(0, 2.5)", "uniform(0, 2.5)"), ("halfnormal(5e-1)", "halfnormal(0.5)"),
])
def test_tau_priors_parse(text, canonical):
    assert str(parse_tau_prior(text)) == canonical


@pytest.mark.parametrize("text", ["halfnormal(0)", "halfnormal(-1)", "halfnormal", "normal(0, 1)",
                                  "uniform(1, 2)", "uniform(0)", "halfcauchy(1, 2)", "",
                                  "halfnormal(inf)", "halfnormal(nan)"])
def test_bad_tau_priors_are_named(text):
    with pytest.raises(InputError, match=r"^tau_prior: expected 'halfnormal\(s\)' or "
                                         r"'halfcauchy\(s\)' or 'uniform\(0, u\)'"):
        pool_proportions([1, 2], [3, 4], method="bayes", tau_prior=text)


def test_an_unset_prior_is_the_default():
    a = pool_proportions([1, 2], [3, 4], method="bayes", tau_prior=None)
    b = pool_proportions([1, 2], [3, 4], method="bayes", tau_prior="halfnormal(0.5)")
    assert a.tau_prior == "halfnormal(0.5)" and a.to_dict() == b.to_dict()


@pytest.mark.parametrize("text", ["normal(0)", "normal(0, 0)", "cauchy(0, 1)", "normal(0, -1)"])
def test_bad_mu_priors_are_named(text):
    with pytest.raises(InputError, match=r"^mu_prior: expected 'normal\(m, s\)'"):
        pool_proportions([1, 2], [3, 4], method="bayes", mu_prior=text)
    assert str(parse_mu_prior("normal( -1 , 2)")) == "normal(-1, 2)"


@pytest.mark.parametrize("kwargs,message", [
    (dict(transform="ft"), "transform: the Bayesian model is binomial-normal on the logit scale"),
    (dict(tau2="REML"), "tau2: method='bayes' does not use tau2"),
    (dict(ci="hk"), "ci: the Bayesian model gives equal-tailed credible intervals"),
    (dict(pi_df="k-2"), "pi_df: method='bayes' does not use pi_df"),
    (dict(n_agq=7), "n_agq: method='bayes' does not use n_agq"),
])
def test_options_the_model_does_not_use_are_refused(kwargs, message):
    with pytest.raises(InputError, match=f"^{re.escape(message)}"):
        pool_proportions([1, 2], [3, 4], method="bayes", **kwargs)


def test_priors_with_other_methods_and_bad_thresholds_are_refused():
    with pytest.raises(InputError, match="^tau_prior: method='inverse' does not use tau_prior"):
        pool_proportions([1, 2], [3, 4], tau_prior="halfnormal(1)")
    # even the default string is refused with another method: nothing is silently ignored
    with pytest.raises(InputError, match="^mu_prior: method='glmm' does not use mu_prior"):
        pool_proportions([1, 2], [3, 4], method="glmm", mu_prior="normal(0, 10)")
    result = pool_proportions([1, 2], [3, 4], method="bayes")
    for p in (0, 1, 1.5, "0.5", True):
        with pytest.raises(InputError, match="^p: expected a proportion strictly between 0 and 1"):
            result.probability_above(p)
