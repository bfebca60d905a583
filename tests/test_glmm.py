"""GLMM (random-intercept logistic, ML, adaptive Gauss-Hermite quadrature) against R.

Reference: tests/data/metafor_glmm.json, made by tests/data/make_metafor_glmm.R (R 4.x, metafor
3.8-1, lme4 1.1-31). Each run holds the R call that made it (`call`), metafor's
`rma.glmm(measure = "PLO", xi, ni, method = "ML", nAGQ)` with its default optimiser (`metafor`),
and `lme4::glmer(cbind(xi, ni - xi) ~ 1 + (1 | study), family = binomial, nAGQ)` optimised
tightly (`tight`: bobyqa rhoend = 1e-12, tolPwrss = 1e-12; se from vcov(use.hessian = TRUE)).
The pritz1997/debruin2009/edge_* numbers at nAGQ = 7 equal those of
../shared/reference/metafor_proportions.json (make_metafor_refs.R), also copied in
tests/data/reference/.
"""

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import special

from jakisynth import pool_proportions
from jakisynth.errors import InputError
from jakisynth.stats.glmm import GlmmFit, fit_glmm_logit

from tolerances import TOLERANCES, close

DATA = json.loads((Path(__file__).parent / "data/metafor_glmm.json").read_text())
RUNS = DATA["runs"]
ORIGINAL = ["pritz1997_agq7", "debruin2009_agq7", "edge_zero_events_agq7", "edge_all_events_agq7"]
SHARED = json.loads((Path(__file__).parent / "data/reference/metafor_proportions.json").read_text())


def _fit(run, **kwargs) -> GlmmFit:
    return fit_glmm_logit(run["xi"], run["ni"], n_agq=run["nAGQ"], **kwargs)


@pytest.mark.parametrize("name", ORIGINAL)
def test_agrees_with_rma_glmm_defaults(name):
    """rma.glmm as metafor runs it (default optimiser), nAGQ = 7: relative 1e-4 / 2e-3 (tau2)."""
    ref = RUNS[name]["metafor"]
    fit = _fit(RUNS[name])
    tol = TOLERANCES["glmm_estimate"]
    expit = special.expit
    pairs = {"est": fit.estimate, "se": fit.se, "ci_lb": fit.ci_lower, "ci_ub": fit.ci_upper,
             "prop": expit(fit.estimate), "prop_ci_lb": expit(fit.ci_lower),
             "prop_ci_ub": expit(fit.ci_upper)}
    for key, ours in pairs.items():
        assert close(ours, ref[key], tol), (key, ours, ref[key])
    assert close(fit.tau2, ref["tau2"], TOLERANCES["glmm_tau2"]), (fit.tau2, ref["tau2"])
    assert fit.converged and fit.n_agq == 7


@pytest.mark.parametrize("name", ORIGINAL)
def test_reference_copy_equals_the_shared_one(name):
    """The numbers copied here are those of make_metafor_refs.R (guards against a stale copy)."""
    dataset = name.removesuffix("_agq7")
    shared = SHARED["datasets"][dataset]["glmm"]
    assert RUNS[name]["xi"] == SHARED["datasets"][dataset]["xi"]
    for key, value in shared.items():
        assert RUNS[name]["metafor"][key] == pytest.approx(value, rel=1e-12, abs=1e-15), key


@pytest.mark.parametrize("name", sorted(RUNS))
def test_agrees_with_tightly_optimised_glmer(name):
    """All cases (k = 2, 0%/100% studies, large tau2, nAGQ 1/7/15) against glmer run to 1e-12."""
    run = RUNS[name]
    ref = run["tight"]
    fit = _fit(run)
    tol = TOLERANCES["glmm_tight"] if run["nAGQ"] > 1 else TOLERANCES["glmm_tight_laplace"]
    assert close(fit.estimate, ref["beta"], tol), (fit.estimate, ref["beta"])
    assert close(fit.se, ref["se"], tol), (fit.se, ref["se"])
    # glmer stops at sigma ~ 1e-8 where the optimum is the boundary: absolute floor 1e-12
    assert close(fit.tau2, ref["sigma"] ** 2, tol, floor=1e-12), (fit.tau2, ref["sigma"] ** 2)


@pytest.mark.parametrize("name", sorted(RUNS))
def test_loglik_constant_is_documented_one(name):
    """nAGQ = 1: our loglik is glmer's logLik; nAGQ > 1: glmer's logLik is ours minus the
    binomial coefficients and the saturated log-likelihood (see the module docstring)."""
    run = RUNS[name]
    fit = _fit(run)
    x, n = np.array(run["xi"], float), np.array(run["ni"], float)
    if run["nAGQ"] == 1:
        expected = run["tight"]["logLik"]
    else:
        coefficients = np.sum(special.gammaln(n + 1) - special.gammaln(x + 1)
                              - special.gammaln(n - x + 1))
        saturated = np.sum(special.xlogy(x, x / n) + special.xlogy(n - x, 1 - x / n))
        expected = run["tight"]["logLik"] + coefficients + saturated
    assert fit.loglik == pytest.approx(expected, rel=1e-7, abs=1e-7)


def test_metafor_defaults_stop_early_on_large_tau2():
    """Documents why the extra cases are checked against the tight fit: with tau2 ~ 10,
    rma.glmm's default optimiser stops 1.5e-4 (absolute) short in beta; we match the tight fit."""
    run = RUNS["heterogeneous_agq7"]
    fit = _fit(run)
    assert abs(fit.estimate - run["metafor"]["est"]) > 1e-4
    assert abs(fit.estimate - run["tight"]["beta"]) < 1e-6


def test_boundary_is_the_logistic_model():
    fit = fit_glmm_logit([10, 8, 12], [10, 8, 13])
    assert fit.tau2 == 0.0
    assert fit.estimate == pytest.approx(math.log(30 / 1), rel=1e-12)
    assert fit.se == pytest.approx((1 / 30 + 1 / 1) ** 0.5, rel=1e-12)
    # binomial log-likelihood at p = 30/31 with C(10,10) C(8,8) C(13,12) = 13
    assert fit.loglik == pytest.approx(math.log(13) + 30 * math.log(30 / 31) - math.log(31),
                                       rel=1e-12)
    assert any("boundary (0)" in w for w in fit.warnings)


def test_interior_fit_has_no_warnings_and_is_order_invariant():
    run = RUNS["pritz1997_agq7"]
    fit = _fit(run)
    assert fit.caveats == () and fit.warnings == [] and fit.converged and fit.iterations >= 1
    order = np.random.default_rng(1).permutation(len(run["xi"]))
    shuffled = fit_glmm_logit(np.array(run["xi"])[order], np.array(run["ni"])[order])
    assert shuffled.estimate == pytest.approx(fit.estimate, rel=1e-9)
    assert shuffled.tau2 == pytest.approx(fit.tau2, rel=1e-7)
    assert shuffled.se == pytest.approx(fit.se, rel=1e-7)


def test_swapping_events_and_non_events_negates_the_logit():
    run = RUNS["mixed_full_agq7"]
    fit = _fit(run)
    mirrored = fit_glmm_logit([n - x for x, n in zip(run["xi"], run["ni"])], run["ni"])
    assert mirrored.estimate == pytest.approx(-fit.estimate, rel=1e-8)
    assert mirrored.tau2 == pytest.approx(fit.tau2, rel=1e-7)
    assert mirrored.se == pytest.approx(fit.se, rel=1e-7)
    assert mirrored.ci_lower == pytest.approx(-fit.ci_upper, rel=1e-7)


def test_more_nodes_converge_and_level_sets_the_interval():
    run = RUNS["heterogeneous_agq15"]
    fifteen, twentyfive = _fit(run), fit_glmm_logit(run["xi"], run["ni"], n_agq=25)
    assert twentyfive.estimate == pytest.approx(fifteen.estimate, abs=2e-3)
    assert twentyfive.tau2 == pytest.approx(fifteen.tau2, rel=1e-2)
    ninety = _fit(run, level=0.90)
    z = special.ndtri(0.95)
    assert ninety.ci_upper - ninety.estimate == pytest.approx(z * fifteen.se, rel=1e-12)


def test_k1_is_fitted_with_tau2_zero_and_a_warning():
    fit = fit_glmm_logit([3], [10])
    assert fit.tau2 == 0.0
    assert fit.estimate == pytest.approx(math.log(3 / 7), rel=1e-12)
    assert fit.se == pytest.approx((1 / 3 + 1 / 7) ** 0.5, rel=1e-12)
    assert any("k = 1" in w for w in fit.warnings)


def test_to_dict_and_str():
    fit = _fit(RUNS["k2_agq7"])
    d = fit.to_dict()
    assert set(d) == {"estimate", "se", "ci_lower", "ci_upper", "tau2", "loglik", "n_agq",
                      "converged", "iterations", "warnings", "caveats"}
    assert json.loads(json.dumps(d)) == d and d["tau2"] == fit.tau2
    assert "nAGQ = 7" in str(fit) and "converged" in str(fit)


@pytest.mark.parametrize("events,totals,kwargs,message", [
    ([3, 12], [3, 12], {}, "every study has all events"),
    ([0, 0], [5, 8], {}, "every study has 0 events"),
    ([0], [5], {}, "every study has 0 events"),
    ([1, 2], [2, 3, 4], {}, "differ in length"),
    ([1, 5], [2, 4], {}, r"events\[1\]: 5 events exceed the total 4"),
    ([1, -1], [2, 4], {}, r"events\[1\]: negative"),
    ([1, 2], [2, -4], {}, r"totals\[1\]: negative"),
    ([1.5, 2], [2, 4], {}, r"events\[0\]"),
    ([1, 2], [2, 0], {}, r"totals\[1\]"),
    ([1, 2], [2, 4], {"n_agq": 0}, "n_agq"),
    ([1, 2], [2, 4], {"n_agq": 2.5}, "n_agq"),
    ([1, 2], [2, 4], {"n_agq": True}, "n_agq"),
    ([1, 2], [2, 4], {"level": 1.5}, "level"),
])
def test_bad_or_infinite_input_is_a_clear_error(events, totals, kwargs, message):
    with pytest.raises(InputError, match=message):
        fit_glmm_logit(events, totals, **kwargs)


def test_pool_proportions_wraps_the_fit():
    run = RUNS["debruin2009_agq7"]
    pooled = pool_proportions(run["xi"], run["ni"], method="glmm").to_dict()
    fit = _fit(run)
    assert pooled["transformed"]["estimate"] == fit.estimate
    assert pooled["estimate"] == pytest.approx(special.expit(fit.estimate), rel=1e-15)
    assert pooled["tau2"] == fit.tau2
