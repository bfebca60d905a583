"""stats/effects.py against metafor's escalc(): yi and vi of every measure on the stored data."""

import numpy as np
import pytest

from jakisynth.errors import InputError
from jakisynth.stats.effects import back_transform, escalc

from reference_cases import REFERENCE, TRANSFORM

# one fit per (data set, measure) carries escalc's yi and vi
YI_VI = {(name, f["measure"]): f for name, ds in REFERENCE["datasets"].items()
         for f in ds["fits"] if f["method"] == "DL" and f["test"] == "z"}


@pytest.mark.parametrize("name,measure", sorted(YI_VI))
def test_yi_vi_equal_escalc(name, measure):
    ds, ref = REFERENCE["datasets"][name], YI_VI[(name, measure)]
    es = escalc(ds["xi"], ds["ni"], TRANSFORM[measure])
    # escalc's values are exact formulas: agreement to the last few bits
    np.testing.assert_allclose(es.yi, ref["yi"], rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(es.vi, ref["vi"], rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("name,measure", sorted(YI_VI))
def test_back_transform_equals_metafor_transf(name, measure):
    ds, ref = REFERENCE["datasets"][name], YI_VI[(name, measure)]
    got = back_transform(np.array([ref["est"], ref["ci_lb"], ref["ci_ub"]]), TRANSFORM[measure],
                         ds["ni"])
    np.testing.assert_allclose(got, [ref["prop"], ref["prop_ci_lb"], ref["prop_ci_ub"]],
                               rtol=1e-12, atol=1e-15)


def test_bad_transform_names_the_argument():
    with pytest.raises(InputError, match="transform"):
        escalc([1], [2], "probit")
