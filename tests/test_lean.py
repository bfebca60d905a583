"""The lean single fit (study_ci=None, tau2_ci=False): the full fit's numbers without the extras.

For k <= lean.SMALL_K the inverse-variance model runs on Python floats; every number must equal
the full fit's (tolerance "lean_fit": summation order only) for every transform x estimator x CI
method on the metafor reference data sets, and the caveats must be the same.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from jakisynth import pool_proportions
from jakisynth.stats.lean import SMALL_K
from jakisynth.stats.proportions import fit_proportions

from tolerances import TOLERANCES, close

REFERENCE = json.loads((Path(__file__).parent / "data/reference/metafor_proportions.json").read_text())
DATASETS = [(ds["xi"], ds["ni"]) for ds in REFERENCE["datasets"].values()] + [
    ([0, 3], [5, 3]), ([4], [9]), ([2, 7, 0, 5, 11], [9, 7, 4, 20, 30])]
SKIP = {"tau2_ci_lower", "tau2_ci_upper", "studies", "study_ci", "warnings", "caveats"}


def _flatten(d, prefix=""):
    for key, value in d.items():
        if isinstance(value, dict):
            yield from _flatten(value, f"{prefix}{key}.")
        elif isinstance(value, list):
            for i, v in enumerate(value):
                yield f"{prefix}{key}[{i}]", v
        else:
            yield prefix + key, value


@pytest.mark.parametrize("transform", ["logit", "ft", "arcsine", "log", "raw"])
@pytest.mark.parametrize("tau2", ["REML", "DL", "ML", "PM", "SJ", "HE", "EB", "HS"])
@pytest.mark.parametrize("ci", ["z", "hk"])
def test_lean_equals_full(transform, tau2, ci):
    for x, n in DATASETS:
        if ci == "hk" and len(x) == 1:
            continue
        full = fit_proportions(x, n, transform=transform, tau2=tau2, ci=ci)
        lean = fit_proportions(x, n, transform=transform, tau2=tau2, ci=ci, study_ci=None,
                               tau2_ci=False)
        f, g = full.to_dict(), lean.to_dict()
        for (key, a), (key2, b) in zip(_flatten({k: v for k, v in g.items() if k not in SKIP}),
                                       _flatten({k: v for k, v in f.items() if k not in SKIP})):
            assert key == key2
            if isinstance(b, float):
                assert close(a, b, TOLERANCES["lean_fit"]), (x, key, a, b)
            else:
                assert a == b, (x, key, a, b)
        codes = [c.code for c in full.caveats]
        lean_codes = [c.code for c in lean.caveats]
        if codes != lean_codes:  # hk_narrower decided on rounding noise (HK factor 1)
            assert set(codes) ^ set(lean_codes) == {"hk_narrower"}
            assert abs(full.transformed.se / fit_proportions(x, n, transform=transform, tau2=tau2)
                       .transformed.se - 1) < 1e-10
        assert g["tau2_ci_lower"] is None and g["tau2_ci_upper"] is None
        assert all(s["ci_lower"] is None and s["ci_upper"] is None for s in g["studies"])
        assert [s["proportion"] for s in g["studies"]] == [s["proportion"] for s in f["studies"]]


def test_lean_result_prints_and_serialises():
    result = pool_proportions([3, 12, 6], [3, 12, 11], tau2="DL", study_ci=None, tau2_ci=False)
    text = str(result)
    assert "CI not available" in text and "–" in text
    json.dumps(result.to_dict(), allow_nan=False)
    assert len(result.to_frame()) == 3 + 3


def test_large_k_takes_the_full_path_without_the_extras():
    rng = np.random.default_rng(0)
    n = rng.integers(5, 50, size=SMALL_K + 1)
    x = rng.binomial(n, 0.4)
    lean = fit_proportions(x, n, study_ci=None, tau2_ci=False)
    full = fit_proportions(x, n)
    assert lean.estimate == full.estimate and lean.heterogeneity.tau2_ci_lower is None
    assert lean.studies[0].ci_lower is None
