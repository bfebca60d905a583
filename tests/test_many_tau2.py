"""The vectorised τ² engine of pool_many: the bimodal ML likelihood, log-likelihoods vs metafor.

Reference: tests/data/reference/bimodal_refs.json (make_bimodal_refs.R, metafor 3.8-1): for
x = 0, 11, 14, 1, 28, 7, 0 of n = 79, 30, 14, 1, 60, 16, 1 on the logit scale, Fisher scoring for
ML stops at the interior stationary point τ² ≈ 2.147, whose log-likelihood (-15.298) is below
that at τ² = 0 (-14.923): the global maximum is the boundary, as metafor reports.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import optimize

from jakisynth import pool_many
from jakisynth.stats.effects import effect_sizes
from jakisynth.stats.many_tau2 import Segments, log_likelihood
from jakisynth.stats.proportions import fit_proportions

from tolerances import TOLERANCES, close

REF = json.loads((Path(__file__).parent / "data/reference/bimodal_refs.json").read_text())
X, N = np.array(REF["xi"]), np.array(REF["ni"])


def direct_ml_loglik(tau2: float) -> float:
    """The ML log-likelihood written out independently of the engine (Viechtbauer 2005, eq. 8)."""
    e = effect_sizes(X, N, "logit")
    var = e.vi + tau2
    mu = np.sum(e.yi / var) / np.sum(1 / var)
    return float(-0.5 * np.sum(np.log(2 * np.pi * var) + (e.yi - mu) ** 2 / var))


def segments() -> Segments:
    e = effect_sizes(X, N, "logit")
    return Segments(e.yi, e.vi, np.array([X.size]))


def frame() -> pd.DataFrame:
    return pd.DataFrame({"meta_id": 1, "events": X, "total": N})


def test_bimodal_ml_keeps_the_global_maximum_at_zero():
    interior = optimize.minimize_scalar(lambda t: -direct_ml_loglik(t), bounds=(1.0, 4.0),
                                        method="bounded", options={"xatol": 1e-10}).x
    assert abs(interior - REF["ml"]["interior_tau2"]) < 1e-3  # the local maximum inside
    assert direct_ml_loglik(0.0) > direct_ml_loglik(interior)  # ... is not the global one
    assert abs(direct_ml_loglik(0.0) - (-8.490 - 3.5 * np.log(2 * np.pi))) < 1e-3
    row = pool_many(frame(), tau2="ML").iloc[0]
    assert row["tau2"] == 0.0 and row["converged"]
    assert row["caveats"].split(";")[:2] == ["tau2_multimodal", "tau2_boundary"]
    assert REF["ml"]["tau2"] == 0


def test_log_likelihoods_equal_metafor_and_the_direct_formula():
    seg = segments()
    tol = TOLERANCES["loglik"]
    for tau2, ref in ((0.0, REF["ml"]["loglik_at_0"]),
                      (REF["ml"]["interior_tau2"], REF["ml"]["loglik_at_interior"])):
        ours = float(log_likelihood(seg, np.array([tau2]), "ML")[0])
        assert close(ours, ref, tol) and close(ours, direct_ml_loglik(tau2), tol)
    reml = float(log_likelihood(seg, np.array([REF["reml"]["tau2"]]), "REML")[0])
    assert close(reml, REF["reml"]["loglik"], tol)


def test_reml_of_the_bimodal_data_is_interior_and_equals_metafor():
    row = pool_many(frame(), tau2="REML").iloc[0]
    assert close(row["tau2"], REF["reml"]["tau2"], TOLERANCES["metafor_estimate"])
    # the interior maximum is the global one; the single fit's global search also finds the
    # boundary's local maximum and says so, and pool_many gives the same caveats
    single = fit_proportions(*frame()[["events", "total"]].to_numpy().T, tau2="REML")
    assert row["caveats"] == ";".join(c.code for c in single.caveats)
