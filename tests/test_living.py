"""Living updates: `jakisynth new`, the changelog entry between two evidence versions."""

import json
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from jakisynth.cli import main
from jakisynth.evidence.template import new_extraction
from jakisynth.synthesis.living import (
    CHANGELOG_HEADER,
    changed_fields,
    changelog_entry,
    changelog_text,
)


def _results(estimate, lower, upper, k=3):
    return {"analyses": [{"id": "primary", "label": "Primary", "result": {
        "estimate": estimate, "ci_lower": lower, "ci_upper": upper, "pi_lower": None,
        "pi_upper": None, "tau2": 0.1, "I2": 12.5, "k": k}}]}


def test_entry_names_added_series_and_flags_threshold_crossings():
    old = {"evidence_version": "a" * 64, "series": {"liu2024": {"n": 53}}}
    new = {"evidence_version": "b" * 64, "series": {"liu2024": {"n": 53}, "smith2025": {"n": 9}}}
    entry = changelog_entry(old, new, _results(0.89, 0.81, 0.94), _results(0.70, 0.45, 0.86, k=4),
                            [{"value": 0.5, "label": "majority remission"}])
    assert entry.startswith(f"## Evidence version {'b' * 12} (previous {'a' * 12})")
    assert "Series added: smith2025." in entry
    assert "89.0% (95% CI 81.0% to 94.0%" in entry and "-> 70.0% (95% CI 45.0% to 86.0%" in entry
    assert "the lower CI bound crossed the decision threshold 50.0% (majority remission): 81.0% -> 45.0%" in entry
    assert "estimate crossed" not in entry  # 89% -> 70% stays above 50%


def test_no_crossing_is_said_explicitly():
    old = {"evidence_version": "a" * 64, "series": {"x2020": {"n": 1}}}
    new = {"evidence_version": "c" * 64, "series": {"x2020": {"n": 2}}}
    entry = changelog_entry(old, new, _results(0.8, 0.7, 0.9), _results(0.81, 0.7, 0.9), [])
    assert "Series changed: x2020 (1 fields: `n`)." in entry
    assert "No pooled analysis crossed a decision threshold" in entry


def test_changed_fields_paths():
    before = {"a": {"b": [1, {"c": 2}]}, "d": 1}
    after = {"a": {"b": [1, {"c": 3}]}, "e": 1}
    assert changed_fields(before, after) == ["a.b[1].c", "d (removed)", "e (added)"]


def test_changelog_unchanged_when_version_unchanged(tmp_path):
    snapshot = {"evidence_version": "d" * 64, "series": {}}
    (tmp_path / "evidence.json").write_text(json.dumps(snapshot))
    text = CHANGELOG_HEADER + "\n## Evidence version dddddddddddd (first recorded version)\n"
    (tmp_path / "CHANGELOG.md").write_text(text)
    plan = SimpleNamespace(decision_thresholds=())
    assert changelog_text(tmp_path, snapshot, _results(0.5, 0.4, 0.6), plan) == text


def _entry(version: str, body: str = "Series added: x.") -> str:
    return f"## Evidence version {version} (first recorded version)\n\n{body}\n"


def test_a_replayed_entry_is_kept_once_and_a_reverted_version_stays(tmp_path):
    from jakisynth.synthesis.living import changelog_entries

    a, b = "a" * 12, "b" * 12
    text = CHANGELOG_HEADER + "\n" + _entry(b) + "\n" + _entry(b) + "\n" + _entry(a) + "\n" + _entry(b)
    assert [v for v, _ in changelog_entries(text)] == [b, a, b]  # b twice in a row: a replay
    snapshot = {"evidence_version": b + "0" * 52, "series": {}}
    (tmp_path / "CHANGELOG.md").write_text(text)
    plan = SimpleNamespace(decision_thresholds=())
    repaired = changelog_text(tmp_path, snapshot, _results(0.5, 0.4, 0.6), plan)
    assert repaired == CHANGELOG_HEADER + "".join("\n" + _entry(v) for v in (b, a, b))


def test_an_unreadable_previous_snapshot_counts_as_absent(tmp_path):
    (tmp_path / "CHANGELOG.md").write_text(CHANGELOG_HEADER + "\n" + _entry("a" * 12))
    (tmp_path / "evidence.json").write_text('{"series": []}')
    (tmp_path / "results.json").write_text("[]")
    snapshot = {"evidence_version": "e" * 64, "series": {}}
    text = changelog_text(tmp_path, snapshot, _results(0.5, 0.4, 0.6), SimpleNamespace(decision_thresholds=()))
    assert text.count("## Evidence version") == 2
    assert text.index("## Evidence version eeeeeeeeeeee") < text.index("## Evidence version aaaaaaaaaaaa")


def test_a_changelog_that_is_not_utf8_is_refused(tmp_path):
    from jakisynth.errors import OutputError

    (tmp_path / "CHANGELOG.md").write_bytes("# Änderungen".encode("latin-1"))
    with pytest.raises(OutputError, match="is not UTF-8 text"):
        changelog_text(tmp_path, {"evidence_version": "e" * 64, "series": {}},
                       _results(0.5, 0.4, 0.6), SimpleNamespace(decision_thresholds=()))


def test_new_writes_template_and_refuses_overwrite_and_bad_ids(tmp_path):
    path = new_extraction(tmp_path, "smith2025")
    text = path.read_text()
    assert "study_id: smith2025" in text and "__STUDY_ID__" not in text
    runner = CliRunner()
    again = runner.invoke(main, ["new", "smith2025", "--evidence", str(tmp_path)])
    assert again.exit_code == 1 and "already exists; refusing to overwrite" in again.output
    assert path.read_text() == text
    for bad in ("../evil2025", "Smith2025", "smith", "a/b2025", "smith2025.yaml"):
        result = runner.invoke(main, ["new", bad, "--evidence", str(tmp_path)])
        assert result.exit_code == 1 and "is not a valid study id" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["smith2025.yaml"]


def test_the_template_validates_into_a_to_do_list(tmp_path):
    path = new_extraction(tmp_path, "smith2025")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert any(line.startswith(f"{path}:") and "citation.year: expected an integer" in line
               for line in lines)
    assert any("outcomes[0].results[0].events" in line for line in lines)
