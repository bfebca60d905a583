"""Properties of the pooling engine that hold for any data (hypothesis, derandomised).

- permuting the studies changes nothing;
- swapping events and non-events mirrors the estimate (logit: -mu; Freeman-Tukey: pi/2 - mu);
- adding a study whose estimate equals the pooled one does not increase tau2 (ML, PM, EB: for
  ML the new study adds -log(v + tau2)/2, decreasing in tau2, and leaves the log-likelihood at
  the old estimate otherwise unchanged; for PM/EB it adds 0 to Q(tau2_hat) while k - 1 grows,
  and Q decreases in tau2);
- the result is finite (no NaN, no infinity) or a clear InputError.
"""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jakisynth import pool_proportions
from jakisynth.errors import InputError
from jakisynth.stats.pooling import pool_inverse_variance

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])
IV_METHODS = ("REML", "ML", "PM", "EB", "DL", "SJ", "HE", "HS")
REL, ABS = 1e-7, 1e-9  # rounding of sums in another order; the global search is deterministic


@st.composite
def studies(draw, min_k=2, max_k=8, max_n=80):
    k = draw(st.integers(min_k, max_k))
    n = draw(st.lists(st.integers(1, max_n), min_size=k, max_size=k))
    x = [draw(st.integers(0, ni)) for ni in n]
    return x, n


def _numbers(result) -> list[float]:
    """Every number of a PooledProportion's to_dict (None allowed), flattened."""
    out = []

    def walk(value):
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(v)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out.append(float(value))

    walk(result.to_dict())
    return out


@SETTINGS
@given(studies(), st.sampled_from(IV_METHODS), st.sampled_from(("logit", "ft")),
       st.randoms(use_true_random=False))
def test_permuting_studies_changes_nothing(data, method, transform, rng):
    x, n = data
    order = list(range(len(x)))
    rng.shuffle(order)
    a = pool_proportions(x, n, tau2=method, transform=transform)
    b = pool_proportions([x[i] for i in order], [n[i] for i in order], tau2=method,
                         transform=transform)
    for ours, theirs in ((a.heterogeneity.tau2, b.heterogeneity.tau2),
                         (a.transformed.estimate, b.transformed.estimate),
                         (a.transformed.se, b.transformed.se), (a.heterogeneity.Q, b.heterogeneity.Q)):
        assert ours == pytest.approx(theirs, rel=REL, abs=ABS)


@SETTINGS
@given(studies(), st.sampled_from(IV_METHODS), st.sampled_from(("logit", "ft")))
def test_swapping_events_and_non_events_mirrors_the_estimate(data, method, transform):
    x, n = data
    a = pool_proportions(x, n, tau2=method, transform=transform)
    b = pool_proportions([ni - xi for xi, ni in zip(x, n)], n, tau2=method, transform=transform)
    centre = 0.0 if transform == "logit" else math.pi / 2
    assert b.transformed.estimate == pytest.approx(centre - a.transformed.estimate, rel=REL,
                                                   abs=ABS)
    assert b.heterogeneity.tau2 == pytest.approx(a.heterogeneity.tau2, rel=REL, abs=ABS)
    if transform == "logit":
        assert b.estimate == pytest.approx(1 - a.estimate, rel=REL, abs=ABS)


@SETTINGS
@given(studies(), st.sampled_from(("ML", "PM", "EB")), st.floats(0.01, 10.0))
def test_a_study_at_the_pooled_estimate_does_not_increase_tau2(data, method, v_new):
    x, n = data
    a = pool_proportions(x, n, tau2=method)
    yi = [s for s in _logits(x, n)]
    vi = _logit_variances(x, n)
    before = pool_inverse_variance(yi, vi, tau2=method)
    assert before.heterogeneity.tau2 == pytest.approx(a.heterogeneity.tau2, rel=1e-12, abs=1e-15)
    after = pool_inverse_variance(yi + [before.random.estimate], vi + [v_new], tau2=method)
    assert after.heterogeneity.tau2 <= before.heterogeneity.tau2 * (1 + 1e-9) + 1e-12


def _logits(x, n):
    return [math.log((a + 0.5) / (b - a + 0.5)) if a in (0, b) else math.log(a / (b - a))
            for a, b in zip(x, n)]


def _logit_variances(x, n):
    return [1 / (a + 0.5) + 1 / (b - a + 0.5) if a in (0, b) else 1 / a + 1 / (b - a)
            for a, b in zip(x, n)]


@SETTINGS
@given(studies(min_k=1, max_k=8, max_n=10**15), st.sampled_from(IV_METHODS),
       st.sampled_from(("logit", "ft", "arcsine", "raw", "log")), st.sampled_from(("z", "hk")))
def test_inverse_variance_result_is_finite_or_a_clear_error(data, method, transform, ci):
    x, n = data
    try:
        result = pool_proportions(x, n, tau2=method, transform=transform, ci=ci)
    except InputError as error:
        assert str(error)  # a message naming the problem
        return
    assert all(math.isfinite(v) for v in _numbers(result))


@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(studies(min_k=1, max_k=6, max_n=80))
def test_glmm_result_is_finite_or_a_clear_error(data):
    x, n = data
    try:
        result = pool_proportions(x, n, method="glmm")
    except InputError as error:
        assert "every study has" in str(error)
        return
    assert all(math.isfinite(v) for v in _numbers(result))
    # never narrower than tau2 allows: se >= sqrt(tau2/k)
    assert result.transformed.se >= math.sqrt(result.heterogeneity.tau2 / len(x)) * (1 - 1e-12)


def test_log_transform_of_zero_events_is_an_input_error_or_finite():
    """A concrete case of the finite-or-error rule that hypothesis also covers."""
    result = pool_proportions([0, 0, 3], [5, 7, 9], transform="log")
    assert all(math.isfinite(v) for v in _numbers(result))
    assert np.isfinite(result.heterogeneity.tau2)
