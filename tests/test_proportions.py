"""pool_proportions against metafor 3.8-1: every scale x tau2 estimator x CI method x data set.

Reference values: tests/data/reference/metafor_proportions.json (R call in make_metafor_refs.R).
"""

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jakisynth import pool_proportions
from jakisynth.errors import InputError

from tolerances import ABSOLUTE_FLOOR, I2_ABSOLUTE_FLOOR, TOLERANCES, close

REFERENCE = json.loads((Path(__file__).parent / "data/reference/metafor_proportions.json").read_text())
TRANSFORM = {"PLO": "logit", "PFT": "ft", "PAS": "arcsine", "PR": "raw", "PLN": "log"}
CI = {"z": "z", "knha": "hk"}

CASES = [(name, fit) for name, ds in REFERENCE["datasets"].items() for fit in ds["fits"]]


def test_reference_covers_every_combination():
    combos = {(f["measure"], f["method"], f["test"]) for _, f in CASES}
    assert len(combos) == 5 * 8 * 2
    assert len(CASES) == 4 * 80


@pytest.mark.parametrize("name,fit", CASES,
                         ids=[f"{n}-{f['measure']}-{f['method']}-{f['test']}" for n, f in CASES])
def test_agrees_with_metafor(name, fit):
    ds = REFERENCE["datasets"][name]
    result = pool_proportions(ds["xi"], ds["ni"], studies=ds["study"],
                              transform=TRANSFORM[fit["measure"]], tau2=fit["method"],
                              ci=CI[fit["test"]]).to_dict()
    t = result["transformed"]
    ours = {"est": t["estimate"], "se": t["se"], "ci_lb": t["ci_lower"], "ci_ub": t["ci_upper"],
            "pi_lb": t["pi_lower"], "pi_ub": t["pi_upper"], "prop": result["estimate"],
            "prop_ci_lb": result["ci_lower"], "prop_ci_ub": result["ci_upper"],
            "prop_pi_lb": result["pi_lower"], "prop_pi_ub": result["pi_upper"],
            "tau2": result["tau2"], "I2": result["I2"], "H2": result["H2"], "Q": result["Q"],
            "Qp": result["Q_pvalue"]}
    tol = TOLERANCES["metafor_estimate"]
    bad = {k: (v, fit[k]) for k, v in ours.items()
           if not close(v, fit[k], tol, I2_ABSOLUTE_FLOOR if k == "I2" else ABSOLUTE_FLOOR)}
    for key, ref_key in (("tau2_ci_lower", "tau2_ci_lb"), ("tau2_ci_upper", "tau2_ci_ub")):
        if not close(result[key], fit[ref_key], TOLERANCES["metafor_tau2_ci"]):
            bad[key] = (result[key], fit[ref_key])
    for i, (w, ref) in enumerate(zip(result["weights"], fit["weights_pct"])):
        if not close(w, ref, tol):
            bad[f"weights[{i}]"] = (w, ref)
    assert not bad, bad
    assert result["k"] == len(ds["xi"])
    assert [s["study"] for s in result["studies"]] == ds["study"]


@pytest.mark.parametrize("name", sorted(REFERENCE["datasets"]))
def test_per_study_exact_and_wilson_cis(name):
    ds = REFERENCE["datasets"][name]
    for study_ci, key in (("exact", "exact_ci"), ("wilson", "wilson_ci")):
        result = pool_proportions(ds["xi"], ds["ni"], study_ci=study_ci).to_dict()
        for row, (lo, hi) in zip(result["studies"], ds[key]):
            assert abs(row["ci_lower"] - lo) <= TOLERANCES["per_study_ci"]
            assert abs(row["ci_upper"] - hi) <= TOLERANCES["per_study_ci"]
            assert row["proportion"] == row["events"] / row["total"]


def test_to_dict_keys_are_the_public_interface():
    result = pool_proportions([3, 12, 6], [3, 12, 11], studies=["a", "b", "c"]).to_dict()
    required = {"k", "estimate", "ci_lower", "ci_upper", "pi_lower", "pi_upper", "tau2",
                "tau2_ci_lower", "tau2_ci_upper", "I2", "H2", "Q", "Q_pvalue", "weights",
                "transformed", "studies", "method", "transform", "tau2_method", "ci_method",
                "warnings"}
    assert required <= set(result)
    assert set(result["transformed"]) == {"estimate", "se", "ci_lower", "ci_upper", "pi_lower",
                                          "pi_upper"}
    assert set(result["studies"][0]) == {"study", "events", "total", "proportion", "ci_lower",
                                         "ci_upper"}
    assert result["method"] == "inverse" and result["transform"] == "logit"
    assert result["tau2_method"] == "REML" and result["ci_method"] == "z"
    assert math.isclose(sum(result["weights"]), 100.0, rel_tol=1e-12)
    json.dumps(result, allow_nan=False)  # JSON-ready, no NaN


def test_seed_like_series_warns_about_small_k_and_correction():
    result = pool_proportions([47, 3, 10], [53, 3, 10], studies=["Liu", "Wang", "Beckett"])
    text = " ".join(result.warnings)
    assert "k = 3 < 5" in text
    assert "continuity correction 1/2 added to 2 studies" in text
    assert "k = 3" in str(result) and "Liu" in str(result)


def test_freeman_tukey_caveat():
    result = pool_proportions([4, 5, 6], [10, 10, 10], transform="ft")
    assert any("Schwarzer" in w for w in result.warnings)


def test_to_frame_is_tidy():
    frame = pool_proportions([4, 5, 6], [10, 12, 10], studies=list("abc")).to_frame()
    assert list(frame.columns) == ["row", "kind", "events", "total", "proportion", "ci_lower",
                                   "ci_upper", "weight"]
    assert list(frame["kind"]) == ["study"] * 3 + ["random", "common", "prediction"]
    assert frame.loc[0, "proportion"] == pytest.approx(0.4)


# ---- edge cases: a result or a clear error, never NaN -------------------------------------

def _finite(result):
    d = result.to_dict()
    keys = ["estimate", "ci_lower", "ci_upper", "tau2", "I2", "H2", "Q"]
    if d["k"] > 1:  # k = 1: no Q p value and no prediction interval (None, meta's NA)
        keys += ["Q_pvalue", "pi_lower", "pi_upper"]
    elif any(d[k] is not None for k in ("Q_pvalue", "pi_lower", "pi_upper")):
        return False
    return all(d[k] is not None and math.isfinite(d[k]) for k in keys)


@pytest.mark.parametrize("transform", ["logit", "ft", "arcsine", "log", "raw"])
@pytest.mark.parametrize("events,totals", [
    ([5], [10]),  # k = 1
    ([3, 12], [3, 12]),  # k = 2, all 100%
    ([0, 0, 0], [5, 8, 3]),  # all 0%
    ([1, 0, 1], [1, 1, 1]),  # n = 1
    ([400000, 600000, 10], [1000000, 1000000, 20]),  # very large n, extreme heterogeneity
    ([5, 5, 5, 5], [10, 10, 10, 10]),  # identical studies
])
def test_edge_cases_give_finite_results(events, totals, transform):
    for tau2 in ("REML", "DL", "PM", "ML", "SJ", "HE", "EB", "HS"):
        result = pool_proportions(events, totals, transform=transform, tau2=tau2)
        assert _finite(result), (tau2, result.to_dict())


def test_k1_is_the_study_itself_with_a_warning():
    result = pool_proportions([5], [10])
    assert result.tau2 == 0.0
    assert result.estimate == pytest.approx(0.5, rel=1e-12)
    assert any("k = 1" in w for w in result.warnings)
    with pytest.raises(InputError, match="Hartung-Knapp needs at least 2"):
        pool_proportions([5], [10], ci="hk")


def test_identical_studies_have_no_heterogeneity():
    result = pool_proportions([5, 5, 5, 5], [10, 10, 10, 10])
    assert result.tau2 == 0.0 and result.heterogeneity.Q == pytest.approx(0.0, abs=1e-15)
    assert result.estimate == pytest.approx(0.5, rel=1e-12)
    assert any("boundary" in w for w in result.warnings)


@pytest.mark.parametrize("kwargs,message", [
    (dict(events=[5, 11], totals=[10, 10]), r"events\[1\]: 11 events exceed the total 10"),
    (dict(events=[-1, 2], totals=[10, 10]), r"events\[0\]: negative count -1"),
    (dict(events=[1.5, 2], totals=[10, 10]), r"events\[0\]: expected a whole number, got 1.5"),
    (dict(events=[True, 2], totals=[10, 10]), r"events\[0\]: expected a whole number"),
    (dict(events=[float("nan")], totals=[10]), r"events\[0\]: expected a whole number"),
    (dict(events=[1, 2], totals=[10]), r"differ in length"),
    (dict(events=[], totals=[]), r"no studies"),
    (dict(events=[0], totals=[0]), r"totals\[0\]: a total of 0"),
    (dict(events=[1], totals=[2], transform="probit"), r"transform: expected one of"),
    (dict(events=[1], totals=[2], tau2="XX"), r"tau2: expected one of"),
    (dict(events=[1], totals=[2], ci="t"), r"ci: expected one of 'z', 'hk'; got 't'"),
    (dict(events=[1], totals=[2], method="nope"), r"method: expected one of 'inverse', 'glmm', 'bayes'"),
    # honest options: what a method does not use is an error naming it, never ignored
    (dict(events=[1, 2], totals=[2, 3], method="glmm", tau2="DL"),
     r"tau2: method='glmm' does not use tau2 \(got 'DL'\)"),
    (dict(events=[1, 2], totals=[2, 3], method="glmm", pi_df="nonsense"),
     r"pi_df: method='glmm' does not use pi_df"),
    (dict(events=[1, 2], totals=[2, 3], method="glmm", ci="hk"),
     r"ci: the GLMM gives Wald \(z\) intervals only"),
    (dict(events=[1, 2], totals=[2, 3], method="glmm", transform="ft"),
     r"transform: the GLMM is a logistic model"),
    (dict(events=[1, 2], totals=[2, 3], n_agq=5), r"n_agq: method='inverse' does not use n_agq"),
    (dict(events=[1, 2], totals=[2, 3], pi_df="k-3"), r"pi_df: expected one of 'metafor', 'k-2'"),
    (dict(events=[1], totals=[2], study_ci="nope"), r"study_ci: expected one of 'exact', 'wilson'"),
    (dict(events=[1], totals=[2], level=95), r"level: expected a number between 0 and 1"),
    (dict(events=[1, 2], totals=[2, 3], studies=["a"]), r"studies: 1 labels for 2 studies"),
])
def test_bad_input_is_named(kwargs, message):
    events = kwargs.pop("events")
    totals = kwargs.pop("totals")
    with pytest.raises(InputError, match=message):
        pool_proportions(events, totals, **kwargs)


def test_large_meta_analysis_is_finite_and_consistent():
    rng = np.random.default_rng(20261123)
    totals = rng.integers(5, 200, size=10_000)
    events = rng.binomial(totals, 0.3)
    result = pool_proportions(events, totals, tau2="DL")
    assert 0.28 < result.estimate < 0.32
    assert _finite(result)


def test_t_k_minus_2_prediction_interval_is_wider():
    events, totals = [4, 9, 6, 12, 3], [10, 12, 11, 20, 9]
    metafor = pool_proportions(events, totals, tau2="DL")
    meta = pool_proportions(events, totals, tau2="DL", pi_df="k-2")
    assert meta.pi_lower < metafor.pi_lower and meta.pi_upper > metafor.pi_upper
    assert meta.estimate == metafor.estimate


# ---- property: random counts never give NaN or a traceback -------------------------------



@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 500), st.floats(0, 1)), min_size=1, max_size=12),
       st.sampled_from(["logit", "ft", "arcsine", "log", "raw"]),
       st.sampled_from(["REML", "DL", "ML", "PM", "SJ", "HE", "EB", "HS"]))
def test_random_counts_always_give_finite_results(studies, transform, tau2):
    totals = [n for n, _ in studies]
    events = [round(n * p) for n, p in studies]
    result = pool_proportions(events, totals, transform=transform, tau2=tau2)
    assert _finite(result), result.to_dict()
    d = result.to_dict()
    assert d["ci_lower"] <= d["estimate"] <= d["ci_upper"]
    json.dumps(d, allow_nan=False)


@pytest.mark.parametrize("method", ["inverse", "glmm"])
def test_single_study_has_no_q_p_value_and_no_prediction_interval(method):
    """k = 1: Q = 0 on df = 0 but no p value, and no prediction interval (R meta: NA for
    ``pval.Q`` and ``lower.predict``; metafor 3.8 prints p = 1 and PI = CI instead)."""
    result = pool_proportions([5], [10], method=method)
    d = result.to_dict()
    assert d["k"] == 1 and d["Q_df"] == 0
    assert d["Q_pvalue"] is None
    assert d["pi_lower"] is None and d["pi_upper"] is None
    assert "prediction interval NA" in str(result) and "p = NA" in str(result)
