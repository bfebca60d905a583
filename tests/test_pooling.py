"""stats/pooling.py on metafor's stored yi/vi: rma.uni's estimate, CI, PI, heterogeneity, weights."""

import pytest

from jakisynth.errors import InputError
from jakisynth.stats.pooling import pool_inverse_variance

from reference_cases import CASES, CI, IDS
from tolerances import ABSOLUTE_FLOOR, I2_ABSOLUTE_FLOOR, TOLERANCES, close


@pytest.mark.parametrize("name,fit", CASES, ids=IDS)
def test_equals_rma_uni(name, fit):
    r = pool_inverse_variance(fit["yi"], fit["vi"], tau2=fit["method"], ci=CI[fit["test"]])
    tol = TOLERANCES["metafor_estimate"]
    ours = {"est": r.random.estimate, "se": r.random.se, "ci_lb": r.random.ci_lower,
            "ci_ub": r.random.ci_upper, "pi_lb": r.random.pi_lower, "pi_ub": r.random.pi_upper,
            "tau2": r.heterogeneity.tau2, "H2": r.heterogeneity.H2, "Q": r.heterogeneity.Q,
            "Qp": r.heterogeneity.Q_pvalue}
    for key, value in ours.items():
        if fit.get(key) is None:
            continue
        assert close(value, fit[key], tol, ABSOLUTE_FLOOR), (key, value, fit[key])
    assert close(r.heterogeneity.I2, fit["I2"], tol, I2_ABSOLUTE_FLOOR)
    for w, ref in zip(r.weights, fit["weights_pct"]):
        assert close(w, ref, tol)


def test_bad_options_name_the_argument():
    with pytest.raises(InputError, match="ci: expected"):
        pool_inverse_variance([0.1, 0.2], [0.1, 0.1], ci="t")
    with pytest.raises(InputError, match="pi_df: expected"):
        pool_inverse_variance([0.1, 0.2], [0.1, 0.1], pi_df="k-3")
    with pytest.raises(InputError, match="Hartung-Knapp needs at least 2"):
        pool_inverse_variance([0.1], [0.1], ci="hk")
