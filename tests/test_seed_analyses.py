"""The committed pooled analyses of the seed evidence base equal metafor's.

Reference: tests/data/reference/seed_refs.json, made by make_seed_refs.R beside it (the same
counts as evidence/analysis.yaml pools, fitted with rma()/rma.glmm()).
"""

import json
from pathlib import Path

import pytest

from tolerances import ABSOLUTE_FLOOR, I2_ABSOLUTE_FLOOR, TOLERANCES, close

ROOT = Path(__file__).resolve().parent.parent
REF = json.loads((Path(__file__).parent / "data/reference/seed_refs.json").read_text())["analyses"]
RESULTS = {a["id"]: a for a in json.loads((ROOT / "outputs/results.json").read_text())["analyses"]}


@pytest.mark.parametrize("analysis", sorted(REF))
def test_committed_analysis_equals_metafor(analysis):
    ours = RESULTS[analysis]["result"]
    tol = TOLERANCES["glmm_estimate"] if analysis == "glmm" else TOLERANCES["metafor_estimate"]
    for key, ref in REF[analysis].items():
        floor = I2_ABSOLUTE_FLOOR if key == "I2" else ABSOLUTE_FLOOR
        t = TOLERANCES["glmm_tau2"] if (analysis == "glmm" and key == "tau2") else tol
        assert close(ours[key], ref, t, floor), (analysis, key, ours[key], ref)
