"""stats/tau2.py on metafor's stored yi/vi: every estimator and the Q-profile CI of tau²."""

import pytest

from jakisynth.errors import InputError
from jakisynth.stats.tau2 import estimate_tau2, tau2_qprofile_ci

from reference_cases import CASES, IDS
from tolerances import ABSOLUTE_FLOOR, TOLERANCES, close

# tau2 does not depend on the CI method: one case per (data set, measure, estimator)
UNIQUE = {(n, f["measure"], f["method"]): f for n, f in CASES if f["test"] == "z"}


@pytest.mark.parametrize("key", sorted(UNIQUE), ids="-".join)
def test_estimator_equals_rma(key):
    fit = UNIQUE[key]
    est = estimate_tau2(fit["yi"], fit["vi"], fit["method"])
    assert est.converged
    assert close(est.tau2, fit["tau2"], TOLERANCES["metafor_estimate"], ABSOLUTE_FLOOR), \
        (key, est.tau2, fit["tau2"])


@pytest.mark.parametrize("name,fit", [c for c in CASES if c[1]["method"] == "REML" and c[1]["test"] == "z"],
                         ids=[i for i, c in zip(IDS, CASES) if c[1]["method"] == "REML" and c[1]["test"] == "z"])
def test_qprofile_ci_equals_confint(name, fit):
    ci = tau2_qprofile_ci(fit["yi"], fit["vi"], 0.95)
    assert close(ci.lower, fit["tau2_ci_lb"], TOLERANCES["metafor_tau2_ci"])
    assert close(ci.upper, fit["tau2_ci_ub"], TOLERANCES["metafor_tau2_ci"])


def test_unknown_estimator_names_the_argument():
    with pytest.raises(InputError, match="tau2: expected one of"):
        estimate_tau2([0.1, 0.2], [0.1, 0.1], "XX")
