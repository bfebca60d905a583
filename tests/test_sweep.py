"""The full-text sweep (synthesis/sweep.py): each verdict on a small synthetic text, the rows in
consistency.csv via `jakisynth check --sources`, and the seeds (skipped without ../shared)."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from jakisynth.cli import main
from jakisynth.synthesis.sweep import _any_denominator, known_denominators, sweep_text

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"

DATA = {"population": {"n": {"value": 40}},
        "strata": [{"id": "a", "n": {"value": 10}}, {"id": "b", "n": {"value": 30}}],
        "population_conditions": []}

TEXT = """Results

Remission in 30/40 patients (75.0%) and 9/10 (90.0%); 31/40 (77.6%) were alive; 29/40 (72.4%) relapsed.
Seven (70.0%) patients of group A and 21 (52.5%) had colitis. 48 patients (92.5%) had stage IV.
IVIG was given to 33.3% of patients. Another 17 (85%) patients were seen.
The median time was 12 (range, 2-90) days.

Table 2 Outcomes

\tAll (N = 40)\tA (N = 10)
Remission, No. (%)\t30 (75.0)\t9 (90.0)
Time (median [range])\t14 (2-90)\t10 (2-30)
"""


def rows():
    found, counts = sweep_text("t2099", DATA, TEXT)
    return {r.reported: r for r in found}, counts


def test_percentages_against_printed_and_known_denominators():
    found, _ = rows()
    assert found["30/40 patients (75.0%)"].verdict == "consistent"
    assert found["31/40 (77.6%)"].verdict == "rounding"  # 77.5: one unit off
    assert found["29/40 (72.4%)"].verdict == "rounding"  # 72.5 truncated
    assert found["seven (70.0%)"].verdict == "consistent" and found["seven (70.0%)"].recomputed == "7/10"
    assert found["21 (52.5%)"].verdict == "consistent" and "21/40" in found["21 (52.5%)"].detail
    grim = found["48 patients (92.5%)"]
    assert grim.verdict == "inconsistent" and "no denominator at all" in grim.detail
    assert found["33.3%"].verdict == "consistent" and found["33.3%"].recomputed == "10/30"
    assert found["17 (85%)"].verdict == "not_checkable" and "17/20" in found["17 (85%)"].detail


def test_restatements_and_central_values():
    found, counts = rows()
    assert "also stated as line" in found["30/40 patients (75.0%)"].detail
    table = found["30 (75.0)"]
    assert table.verdict == "consistent" and table.location == "source text, Table 2, line 11"
    median = found["12 (range, 2-90)"]
    assert median.verdict == "inconsistent" and "14 (2-90)" in median.detail  # the table says 14
    assert found["10 (2-30)"].verdict == "not_checkable"
    assert (counts.read, counts.flagged) == (len(found), 3)  # 48 (92.5%), the median in both places


def test_denominators_and_grim():
    assert known_denominators(DATA) == {40: ["the series"], 10: ["stratum a"], 30: ["stratum b"]}
    assert _any_denominator(48, "92.5") is None  # 48/52 = 92.3, 48/51 = 94.1
    assert _any_denominator(48, "90.6") == 53
    assert _any_denominator(0, "0.0") == 1 and _any_denominator(0, "5") is None


def test_check_writes_the_sweep_rows(tmp_path):
    evidence = tmp_path / "evidence"
    sources = tmp_path / "sources"
    evidence.mkdir()
    sources.mkdir()
    valid = (ROOT / "tests/data/valid/minimal2099.yaml").read_text()
    (evidence / "minimal2099.yaml").write_text(valid)
    import yaml

    source = yaml.safe_load(valid)["citation"]["source"]["file"]
    quotes = _quotes(yaml.safe_load(valid))
    (sources / source).write_text("Results\n\n" + "\n".join(quotes) + "\nIn all, 2 (40.0%) relapsed.\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["check", "--evidence", str(evidence), "--out", str(out),
                                       "--sources", str(sources)])
    assert result.exit_code == 0, result.output
    assert "full-text sweep, minimal2099" in result.output
    csv = (out / "consistency.csv").read_text()
    assert "source text, Results, line" in csv and "2 (40.0%)" in csv


def _quotes(node):
    if isinstance(node, dict):
        return [q for k, v in node.items() for q in ([v] if k == "quote" else _quotes(v))]
    if isinstance(node, list):
        return [q for v in node for q in _quotes(v)]
    return []


@pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/seeds not available")
def test_the_seeds_every_finding_verified_by_hand():
    """docs/consistency.md explains each: Liu's Discussion says 48 patients (92.5%) had stage IV
    tumours where Table 1 prints 48 (90.6) of 53 (no N gives 92.5%); three Table 2 cells are
    adjusted so a column adds up to 100 (rounding)."""
    from jakisynth.evidence.validate import load_evidence
    from jakisynth.synthesis.sweep import sweep_evidence

    found, counts = sweep_evidence(load_evidence(ROOT / "evidence", SEEDS), SEEDS)
    by_study = {c.study: (c.read, c.checked, c.flagged, c.rounding) for c in counts}
    assert by_study["liu2024"][2:] == (1, 3) and by_study["beckett2024"][2] == 0
    assert by_study["wang2023"] == (0, 0, 0, 0)
    flagged = [r for r in found if r.verdict == "inconsistent"]
    assert [(r.study, r.location, r.reported) for r in flagged] == [
        ("liu2024", "source text, Discussion, line 246", "48 patients (92.5%)")]
    assert {r.reported for r in found if r.verdict == "rounding"} == {"44 (83.1)", "8 (26.6)", "1 (8.4)"}


@pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/seeds not available")
def test_validate_sources_on_the_whole_evidence_directory():
    result = CliRunner().invoke(main, ["validate", str(ROOT / "evidence"), "--sources", str(SEEDS)])
    assert result.exit_code == 0, result.output
    assert "evidence valid: 3 files and the analysis plan" in result.output
