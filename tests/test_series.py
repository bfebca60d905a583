"""evidence/series.py: the typed read-only view every later stage reads a series through."""

from pathlib import Path

import pytest

from jakisynth.evidence.series import NOT_REPORTED, Series, block_value, most_specific, reported
from jakisynth.evidence.validate import load_evidence

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def liu():
    loaded = load_evidence(ROOT / "evidence")
    return Series("liu2024", loaded["liu2024"].data)


def test_label_date_drug_and_results(liu):
    assert liu.label == "Liu 2024" and liu.drug == "tofacitinib"
    assert liu.publication_date.startswith("2024")
    outcome = liu.data["outcomes"][0]["id"]
    assert liu.result(outcome, "all")["total"] == 53
    scopes = liu.strata_scopes(outcome)
    assert sum(liu.result(outcome, s)["total"] for s in scopes) == 53
    assert all(liu.stratum_label(s) != s for s in scopes)


def test_missing_outcome_or_scope_names_the_series(liu):
    with pytest.raises(KeyError, match="liu2024: no outcome 'nope'"):
        liu.outcome("nope")
    with pytest.raises(KeyError, match="no result for scope 'x'"):
        liu.result(liu.data["outcomes"][0]["id"], "x")


def test_view_is_read_only(liu):
    with pytest.raises(TypeError):
        liu.data["study_id"] = "other2024"
    with pytest.raises(AttributeError):
        liu.id = "x"


def test_not_reported_stays_distinct_from_zero():
    assert block_value({"value": 0}) == 0
    assert block_value({"value": None}) == NOT_REPORTED
    assert block_value(None) == NOT_REPORTED and block_value({}) == NOT_REPORTED
    assert reported(NOT_REPORTED) is None and reported(0) == 0
    assert most_specific({"received", "failed"}) == "failed"
    assert most_specific({"received", "active_at_start", "failed"}) == "active_at_start"
