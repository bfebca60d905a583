"""Structured caveats: codes in results, raised as JakisynthWarning, no silent switches."""

import pytest

from jakisynth import pool_proportions
from jakisynth.errors import JakisynthWarning
from jakisynth.stats.caveats import CODES, Caveat
from jakisynth.stats.sensitivity import cumulative, leave_one_out, subgroup_analysis


def _codes(result):
    return [c.code for c in result.caveats]


def test_result_keeps_codes_and_messages():
    r = pool_proportions([47, 3, 8], [53, 3, 8])
    assert _codes(r) == ["few_studies", "tau2_boundary", "continuity_correction"]
    d = r.to_dict()
    assert d["warnings"] == [c.message for c in r.caveats]
    assert [c["code"] for c in d["caveats"]] == _codes(r)


def test_pool_proportions_raises_each_caveat_as_a_jakisynth_warning():
    with pytest.warns(JakisynthWarning) as record:
        r = pool_proportions([47, 3, 8], [53, 3, 8])
    raised = [str(w.message) for w in record]
    assert raised == [f"{c.message} [{c.code}]" for c in r.caveats]


def test_an_unknown_code_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown caveat code"):
        Caveat("no_such_code", "x")


@pytest.mark.parametrize("analysis", ["leave_one_out", "cumulative", "subgroups"])
def test_hartung_knapp_on_one_study_is_switched_to_z_and_says_so(analysis):
    events, totals = [47, 3], [53, 3]
    with pytest.warns(JakisynthWarning, match=r"\[ci_switched\]"):
        if analysis == "leave_one_out":
            fits = leave_one_out(events, totals, ci="hk").fits
        elif analysis == "cumulative":
            fits = cumulative(events, totals, [1, 2], ci="hk").fits[:1]
        else:
            fits = list(subgroup_analysis(events, totals, ["a", "b"], ci="hk").subgroups.values())
    for fit in fits:
        assert fit.k == 1 and fit.ci_method == "z"
        assert "ci_switched" in _codes(fit)


def test_every_code_has_a_description():
    assert all(isinstance(v, str) and v for v in CODES.values())
    assert len(CODES) == len(set(CODES))
