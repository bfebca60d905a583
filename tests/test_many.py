"""pool_many (issue 13) against pool_proportions, group by group.

Each group's numbers must equal fit_proportions on that group alone (tolerance "pool_many",
relative, with the absolute floor): every transform x tau2 estimator x CI method on random groups
with fixed seeds (k = 1, 2, 3, 5 and 12; 0% and 100% studies; tiny and large totals), a
hypothesis property, forced non-convergence, chunked evaluation, several ``by`` columns and the
GLMM loop.
"""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jakisynth import pool_many
from jakisynth.errors import InputError
from jakisynth.stats import many_tau2
from jakisynth.stats import tau2 as tau2_module
from jakisynth.stats.proportions import fit_proportions

from tolerances import I2_ABSOLUTE_FLOOR, TOLERANCES, close

TOL = TOLERANCES["pool_many"]
NUMBERS = ("estimate", "ci_lower", "ci_upper", "pi_lower", "pi_upper", "tau2", "tau2_ci_lower",
           "tau2_ci_upper", "I2", "H2", "Q", "Q_pvalue")
TRANSFORMS = ("logit", "ft", "arcsine", "log", "raw")
TAU2 = ("REML", "DL", "ML", "PM", "SJ", "HE", "EB", "HS")


def random_frame(seed: int, groups: int = 30) -> pd.DataFrame:
    """Groups of k = 1, 2, 3, 5, 12 with totals 1..60, heterogeneous true logits; some groups
    are all 0% or all 100%, and 0% / 100% studies occur inside groups."""
    rng = np.random.default_rng(seed)
    rows = []
    for g in range(groups):
        k = int(rng.choice([1, 2, 3, 5, 12]))
        n = rng.integers(1, 60, size=k)
        if g % 10 == 3:
            x = np.zeros(k, dtype=int)
        elif g % 10 == 7:
            x = n.copy()
        else:
            logit = rng.normal(0, 1.5) + rng.normal(0, rng.choice([0.0, 0.5, 1.5]), size=k)
            x = rng.binomial(n, 1 / (1 + np.exp(-logit)))
        rows += [(f"m{g:03d}", int(a), int(b)) for a, b in zip(x, n)]
    return pd.DataFrame(rows, columns=["meta_id", "events", "total"])


def one_group(fit) -> dict:
    d = fit.to_dict()
    return {**{c: d[c] for c in NUMBERS}, "k": d["k"], "converged": d["converged"],
            "caveats": ";".join(c["code"] for c in d["caveats"])}


def compare(frame, out, *, skip_multimodal=True, **model):
    """Every group of ``out`` against fit_proportions; returns the number of groups compared."""
    compared = 0
    for (_, group), (_, row) in zip(frame.groupby("meta_id", sort=True), out.iterrows()):
        assert row["meta_id"] == group["meta_id"].iloc[0]
        if "tau2_multimodal" in row["caveats"] and skip_multimodal:
            continue  # pool_many keeps the global maximum; checked in test_many_tau2.py
        ref = one_group(fit_proportions(group["events"].to_numpy(), group["total"].to_numpy(),
                                        **model))
        assert row["k"] == ref["k"]
        for name in NUMBERS:
            value = None if math.isnan(row[name]) else float(row[name])
            floor = I2_ABSOLUTE_FLOOR if name == "I2" else 1e-10
            assert close(value, ref[name], TOL, floor), (row["meta_id"], name, value, ref[name])
        assert bool(row["converged"]) == ref["converged"]
        ours, theirs = row["caveats"].split(";"), ref["caveats"].split(";")
        ours, theirs = [c for c in ours if c], [c for c in theirs if c]
        if "hk_narrower" in theirs and "hk_narrower" not in ours:
            # hk_narrower on rounding noise: with PM (and REML for k = 2) the HK factor is 1 up
            # to rounding, which pool_many does not flag (many.HK_TOLERANCE)
            x, n = group["events"].to_numpy(), group["total"].to_numpy()
            hk = fit_proportions(x, n, **model).transformed.se
            wald = fit_proportions(x, n, **{**model, "ci": "z"}).transformed.se
            assert abs(hk / wald - 1) < 1e-10, (row["meta_id"], hk, wald)
            theirs.remove("hk_narrower")
        assert ours == theirs, (row["meta_id"], ours, theirs)
        compared += 1
    return compared


@pytest.mark.parametrize("transform", TRANSFORMS)
@pytest.mark.parametrize("tau2", TAU2)
def test_equals_pool_proportions_with_z(transform, tau2):
    frame = random_frame(13 + TAU2.index(tau2), groups=25)
    out = pool_many(frame, transform=transform, tau2=tau2)
    assert list(out.columns) == ["meta_id", "k", "estimate", "ci_lower", "ci_upper", "pi_lower",
                                 "pi_upper", "tau2", "tau2_ci_lower", "tau2_ci_upper", "I2",
                                 "H2", "Q", "Q_pvalue", "converged", "caveats"]
    assert compare(frame, out, transform=transform, tau2=tau2) >= 20


@pytest.mark.parametrize("transform", TRANSFORMS)
@pytest.mark.parametrize("tau2", TAU2)
def test_equals_pool_proportions_with_hartung_knapp(transform, tau2):
    frame = random_frame(31 + TAU2.index(tau2), groups=25)
    out = pool_many(frame, transform=transform, tau2=tau2, ci="hk")
    single = out["k"] == 1
    assert out.loc[single, "caveats"].str.contains("ci_switched").all()
    # k = 1: pool_proportions refuses Hartung-Knapp; pool_many gives the Wald CI instead
    wald = pool_many(frame, transform=transform, tau2=tau2, ci="z")
    assert np.array_equal(out.loc[single, "ci_lower"], wald.loc[single, "ci_lower"])
    several = frame[frame["meta_id"].isin(out.loc[~single, "meta_id"])]
    assert compare(several, out[~single], transform=transform, tau2=tau2, ci="hk") >= 15


@settings(max_examples=25, deadline=None)
@given(st.lists(st.lists(st.tuples(st.integers(1, 300), st.floats(0, 1)), min_size=1,
                         max_size=8), min_size=1, max_size=6),
       st.sampled_from(TRANSFORMS), st.sampled_from(TAU2))
def test_property_random_groups(groups, transform, tau2):
    rows = [(g, round(n * p), n) for g, studies in enumerate(groups) for n, p in studies]
    frame = pd.DataFrame(rows, columns=["meta_id", "events", "total"])
    out = pool_many(frame, transform=transform, tau2=tau2)
    assert len(out) == len(groups)
    compare(frame, out, transform=transform, tau2=tau2)


def test_k1_k2_and_extreme_groups_explicitly():
    frame = pd.DataFrame({"meta_id": ["a", "b", "b", "c", "c", "c", "d", "d"],
                          "events": [3, 0, 5, 7, 7, 0, 4, 9],
                          "total": [10, 12, 9, 7, 7, 5, 4, 9]})
    out = pool_many(frame, tau2="REML")
    assert out["k"].tolist() == [1, 2, 3, 2]
    assert out.loc[0, "caveats"] == "single_study"
    assert math.isnan(out.loc[0, "tau2_ci_lower"]) and math.isnan(out.loc[0, "Q_pvalue"])
    assert math.isnan(out.loc[0, "pi_lower"]) and math.isnan(out.loc[0, "pi_upper"])  # k = 1: NA
    assert "continuity_correction" in out.loc[3, "caveats"]  # d: both studies 100%
    assert compare(frame, out, transform="logit", tau2="REML") == 4


def test_groups_that_do_not_converge_fall_back_per_group(monkeypatch):
    # Two Fisher-scoring iterations in both engines: the groups that stop unconverged in the
    # vectorised loop fall back, one by one, to the scalar estimator (its global search), so
    # every group still equals pool_proportions, converged flag and caveats included.
    monkeypatch.setattr(many_tau2, "MAX_ITERATIONS", 2)
    monkeypatch.setattr(tau2_module, "MAX_ITERATIONS", 2)
    calls = []
    scalar = many_tau2._scalar_tail
    monkeypatch.setattr(many_tau2, "_scalar_tail",
                        lambda seg, groups, *a: (calls.append(len(groups)), scalar(seg, groups, *a)))
    frame = random_frame(5, groups=20)
    out = pool_many(frame, tau2="REML")
    assert sum(calls) >= 3  # several groups fell back
    assert compare(frame, out, transform="logit", tau2="REML") >= 15


def test_chunks_give_the_same_table():
    frame = random_frame(2, groups=30)
    whole = pool_many(frame, tau2="PM")
    chunked = pool_many(frame, tau2="PM", chunk_studies=7)
    pd.testing.assert_frame_equal(whole, chunked, rtol=1e-13)


def test_by_several_columns_sorted_and_input_order_free():
    frame = random_frame(3, groups=12)
    frame["arm"] = np.where(np.arange(len(frame)) % 2 == 0, "x", "y")
    shuffled = frame.sample(frac=1.0, random_state=1)
    out = pool_many(shuffled, by=["meta_id", "arm"], tau2="DL")
    assert list(out.columns[:2]) == ["meta_id", "arm"]
    assert out[["meta_id", "arm"]].values.tolist() == sorted(out[["meta_id", "arm"]].values.tolist())
    for _, row in out.iterrows():
        group = frame[(frame["meta_id"] == row["meta_id"]) & (frame["arm"] == row["arm"])]
        ref = fit_proportions(group["events"].to_numpy(), group["total"].to_numpy(), tau2="DL")
        assert close(row["estimate"], ref.estimate, TOL) and row["k"] == ref.k


def test_glmm_loop_equals_pool_proportions():
    frame = random_frame(4, groups=6)
    out = pool_many(frame, method="glmm", workers=1)
    for (_, group), (_, row) in zip(frame.groupby("meta_id"), out.iterrows()):
        x, n = group["events"].to_numpy(), group["total"].to_numpy()
        if x.sum() == 0 or x.sum() == n.sum():
            assert row["caveats"] == "not_estimable" and not row["converged"]
            assert math.isnan(row["estimate"])
            continue
        ref = fit_proportions(x, n, method="glmm")
        assert row["estimate"] == ref.estimate and row["tau2"] == ref.tau2
        assert row["caveats"] == ";".join(c.code for c in ref.caveats)


@pytest.mark.parametrize("kwargs,message", [
    ({"by": "nope"}, "by: column 'nope' not found"),
    ({"events": "x"}, "events: column 'x' not found"),
    ({"by": "k"}, "clashes"),
    ({"tau2": "XX"}, "tau2: expected"),
    ({"method": "glmm", "transform": "ft"}, "GLMM"),
    ({"chunk_studies": 0}, "chunk_studies"),
])
def test_bad_arguments_name_the_argument(kwargs, message):
    frame = random_frame(1, groups=3)
    frame["k"] = 1
    with pytest.raises(InputError, match=message):
        pool_many(frame, **kwargs)


@pytest.mark.parametrize("events,total,message", [
    ([1, -1], [5, 5], "events: row 1: negative count"),
    ([1, 6], [5, 5], "events: row 1: events exceed the total"),
    ([1, 0], [5, 0], "total: row 1: a total of 0"),
    ([1, 2.5], [5, 5], "events: row 1: expected a whole number"),
    ([1, "a"], [5, 5], "events: row 1: expected a whole number"),
    ([1, None], [5, 5], "events: row 1: expected a whole number"),
])
def test_bad_counts_name_column_and_row(events, total, message):
    frame = pd.DataFrame({"meta_id": [1, 1], "events": events, "total": total})
    with pytest.raises(InputError, match=message):
        pool_many(frame)
