"""Adding a fourth series (a fixture) updates every pooled output and the changelog; removing it
again restores every other output byte for byte (issue 6)."""

import shutil
from pathlib import Path

from click.testing import CliRunner

from jakisynth.cli import main

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).parent / "data/fourth_series/smith2025.yaml"
REGENERATED = {"CHANGELOG.md", "manifest.json"}  # record the history, so they grow


def _tree(path: Path) -> dict[str, bytes]:
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def place_in_subgroups(plan: str) -> str:
    """The plan with smith2025 in every subgroup values: map (plan drift is a validation
    problem since issue 11: a series must not silently form a subgroup of its own)."""
    plan = plan.replace('      liu2024: "immune-related adverse events"\n',
                        '      liu2024: "immune-related adverse events"\n'
                        '      smith2025: "immune-related adverse events"\n')
    plan = plan.replace('      wang2023: "refractory to prior immunosuppression"\n',
                        '      wang2023: "refractory to prior immunosuppression"\n'
                        '      smith2025: "steroid-resistant"\n')
    assert plan.count("smith2025") == 1, "the seed plan's subgroup maps changed: update this fixture"
    return plan


def _run(evidence, out):
    result = CliRunner().invoke(main, ["run", "--evidence", str(evidence), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return result.output


def test_add_then_remove_a_series(tmp_path):
    evidence, out = tmp_path / "evidence", tmp_path / "outputs"
    shutil.copytree(ROOT / "evidence", evidence)
    shutil.copytree(ROOT / "outputs", out)
    before = _tree(out)

    shutil.copy(FIXTURE, evidence / "smith2025.yaml")  # one new file ...
    plan = (evidence / "analysis.yaml").read_text(encoding="utf-8")
    (evidence / "analysis.yaml").write_text(place_in_subgroups(plan), encoding="utf-8")
    printed = _run(evidence, out)  # ... and one command, which says what changed
    assert "changelog updated" in printed
    assert "Series added: smith2025." in printed and "The primary analysis moved from" in printed
    assert "Decision thresholds crossed:" in printed
    assert "Pooled analyses (before -> after)" not in printed  # the full list stays in the file
    added = _tree(out)
    changelog = added["CHANGELOG.md"].decode()
    entry = changelog.split("## Evidence version")[1]
    assert "Series added: smith2025." in entry
    # the primary pools direct evidence only (Liu, Wang); smith2025 is not judged: direct
    # (the primary is Bayesian: credible intervals)
    assert ("This version adds smith2025. The primary analysis moved from 90.2% (95% CrI 75.0% to "
            "97.4%, k = 2) to 80.8% (95% CrI 57.1% to 93.1%, k = 3)") in entry
    assert "crossed the decision threshold" in entry
    # every table and figure that shows pooled results changed
    for name in ("tables/pooled_analyses.csv", "tables/study_characteristics.csv",
                 "tables/prior_therapy.csv", "tables/cumulative.csv", "tables/leave_one_out.csv",
                 "figures/forest_primary.png", "figures/forest_primary.svg", "figures/cumulative.pdf",
                 "figures/forest_subgroups_scenario.svg", "report.html", "results.json", "evidence.json",
                 "tables/summary_of_findings.csv"):
        assert added[name] != before[name], name
    assert b"Smith 2025" in added["tables/study_characteristics.csv"]
    assert b"smith2025" in added["evidence.json"]

    assert "changelog updated" not in _run(evidence, out)  # same version again: no new entry
    assert _tree(out) == added

    (evidence / "smith2025.yaml").unlink()
    (evidence / "analysis.yaml").write_text(plan, encoding="utf-8")
    _run(evidence, out)
    restored = _tree(out)
    assert sorted(restored) == sorted(before)
    differ = [name for name in restored if restored[name] != before[name]]
    assert sorted(differ) == sorted(REGENERATED), differ
    history = restored["CHANGELOG.md"].decode()
    assert history.count("## Evidence version") == before["CHANGELOG.md"].decode().count("## Evidence version") + 2
    assert "Series removed: smith2025." in history
