"""Subgroups, leave-one-out / influence and cumulative meta-analysis."""

import numpy as np
import pytest
from scipy import stats

from jakisynth import pool_proportions
from jakisynth.errors import InputError
from jakisynth.stats.sensitivity import cumulative, leave_one_out, subgroup_analysis

EVENTS = [16, 10, 4, 43, 10, 25, 13, 12]
TOTALS = [17, 12, 8, 58, 10, 42, 14, 12]
NAMES = list("ABCDEFGH")
GROUPS = ["x", "x", "y", "y", "x", "y", "z", "z"]


def test_subgroup_difference_test_matches_hand_computation():
    res = subgroup_analysis(EVENTS, TOTALS, GROUPS, studies=NAMES, variable="drug", tau2="DL")
    assert list(res.subgroups) == ["x", "y", "z"]
    # Hand computation from each subgroup's own DL fit (independent formula in the test).
    est, se = [], []
    for g in "xyz":
        idx = [i for i, v in enumerate(GROUPS) if v == g]
        r = pool_proportions([EVENTS[i] for i in idx], [TOTALS[i] for i in idx], tau2="DL")
        est.append(r.transformed.estimate)
        se.append(r.transformed.se)
    est, w = np.array(est), 1 / np.array(se) ** 2
    q = np.sum(w * (est - np.sum(w * est) / w.sum()) ** 2)
    assert res.df == 2
    assert res.Q_between == pytest.approx(q, rel=1e-12)
    assert res.p_value == pytest.approx(stats.chi2.sf(q, 2), rel=1e-12)
    assert res.overall.k == 8
    frame = res.to_frame()
    assert list(frame["subgroup"]) == ["x", "y", "z", "Overall"]
    assert "test for subgroup differences: Q =" in str(res)


def test_single_subgroup_has_no_test():
    res = subgroup_analysis([3, 4], [5, 6], ["a", "a"])
    assert res.Q_between is None and res.p_value is None


def test_leave_one_out_refits_without_each_study():
    loo = leave_one_out(EVENTS, TOTALS, studies=NAMES)
    frame = loo.to_frame()
    assert list(frame["omitted"]) == NAMES
    assert (frame["k"] == 7).all()
    direct = pool_proportions(EVENTS[1:], TOTALS[1:])
    assert frame.loc[0, "estimate"] == pytest.approx(direct.estimate, rel=1e-12)
    assert frame.loc[0, "delta_estimate"] == pytest.approx(direct.estimate - loo.full.estimate,
                                                           rel=1e-12)
    assert frame.loc[0, "delta_tau2"] == pytest.approx(direct.tau2 - loo.full.tau2, abs=1e-15)


def test_leave_one_out_needs_two_studies():
    with pytest.raises(InputError, match="at least 2 studies"):
        leave_one_out([1], [2])


def test_cumulative_orders_by_key_and_grows():
    keys = ["2021", "2019", "2024", "2020", "2018", "2023", "2022", "2025"]
    cum = cumulative(EVENTS, TOTALS, keys, studies=NAMES, ci="hk")
    frame = cum.to_frame()
    assert list(frame["added"]) == ["E", "B", "D", "A", "G", "F", "C", "H"]
    assert list(frame["k"]) == list(range(1, 9))
    final = pool_proportions(EVENTS, TOTALS, ci="hk")
    assert frame.iloc[-1]["estimate"] == pytest.approx(final.estimate, rel=1e-12)
    # the one-study step falls back to Wald and the study's own proportion
    assert frame.iloc[0]["estimate"] == pytest.approx(10.5 / 11, rel=1e-12)
