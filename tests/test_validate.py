"""`jakisynth validate`: schema errors and cross-field checks as one-line problems, exit codes.

Each tests/data/malformed/*.yaml is one edit of tests/data/valid/minimal2099.yaml (regenerate with
tests/data/make_malformed.py) whose first line says the one problem it must produce:
``# expect: <field.path>: <message substring>`` and optionally ``# line: N``.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jakisynth.cli import main
from jakisynth.errors import EvidenceError, Problem
from jakisynth.evidence.validate import (
    extraction_schema,
    load_evidence,
    validate_command,
    validate_paths,
)

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"
VALID = DATA / "valid" / "minimal2099.yaml"
MALFORMED = sorted((DATA / "malformed").glob("*.yaml"))
LINE_FORMAT = re.compile(r"^[^:]+(:\d+)?: \S+: .+$")


def run_validate(*args: str):
    return CliRunner().invoke(main, ["validate", *args])


def read_expectation(path: Path) -> tuple[str, str, int | None]:
    lines = path.read_bytes().decode("utf-8", errors="replace").splitlines()
    match = re.match(r"^# expect: (\S+): (.+)$", lines[0])
    if match is None:
        raise ValueError(f"{path}: the first line must be '# expect: <path>: <message>'")
    line = None
    if len(lines) > 1 and lines[1].startswith("# line: "):
        line = int(lines[1][len("# line: "):])
    return match.group(1), match.group(2), line


def test_enough_malformed_cases():
    assert len(MALFORMED) >= 30


@pytest.mark.parametrize("path", MALFORMED, ids=[p.stem for p in MALFORMED])
def test_malformed_file_gives_exactly_one_problem(path):
    field, message, line = read_expectation(path)
    result = run_validate(str(path))
    assert result.exit_code == 1, result.output
    out = result.stdout.splitlines()
    assert len(out) == 1, result.stdout
    where = str(path) if line is None else f"{path}:{line}"
    assert out[0].startswith(f"{where}: {field}: "), out[0]
    assert message in out[0]
    assert LINE_FORMAT.match(out[0])
    assert result.stderr.strip() == "1 problem in 1 file"
    assert "Traceback" not in result.output


def test_valid_minimal_file_passes():
    result = run_validate(str(VALID))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "evidence valid: 1 file"  # the result goes to stdout
    assert result.stderr == ""


def test_repository_evidence_is_valid():
    result = run_validate(str(ROOT / "evidence"))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "evidence valid: 3 files and the analysis plan (analysis.yaml)"


@pytest.mark.parametrize("name", ["extraction.schema.json", "analysis.schema.json"])
def test_exported_schema_is_identical(name):
    from jakisynth.evidence.plan import plan_schema

    packaged = ROOT / "src" / "jakisynth" / "evidence" / "schema" / name
    exported = ROOT / "evidence" / "schema" / name
    assert packaged.read_bytes() == exported.read_bytes()
    loaded = extraction_schema() if name.startswith("extraction") else plan_schema()
    assert json.loads(packaged.read_text("utf-8")) == loaded


def test_schema_is_2020_12_and_closed():
    schema = extraction_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(schema)

    def objects(node):
        if isinstance(node, dict):
            if node.get("type") == "object":
                yield node
            for value in node.values():
                yield from objects(value)
        elif isinstance(node, list):
            for value in node:
                yield from objects(value)

    provenance = schema["$defs"].pop("provenance")  # mixed into blocks that close themselves
    assert set(provenance["properties"]) == {"location", "quote", "derived"}
    found = list(objects(schema))
    assert len(found) > 20
    for node in found:  # every object is closed (fixed fields) or a map with typed values
        closed = node.get("additionalProperties") is False or node.get("unevaluatedProperties") is False
        assert closed or isinstance(node.get("additionalProperties"), dict), node


def test_jsonschema_integer_is_not_boolean():
    from jsonschema import Draft202012Validator

    plain = Draft202012Validator({"type": "integer"})
    assert not plain.is_valid(True)
    assert plain.is_valid(2.0)  # why validate.py uses a stricter integer: 2.0 is not a count


def test_directory_reports_problems_of_several_files_sorted(tmp_path):
    text = VALID.read_text("utf-8")
    (tmp_path / "a2099.yaml").write_text(
        text.replace("study_id: minimal2099", "study_id: a2099").replace("  drug: tofacitinib", "  drug: nodrug"),
        "utf-8")
    (tmp_path / "b2099.yml").write_text(
        text.replace("study_id: minimal2099", "study_id: b2099")
        .replace("        events: 1\n        total: 1\n", "        events: 5\n        total: 1\n")
        .replace("  year: 2099\n", "  year: 2099\n  year: 2099\n"), "utf-8")
    (tmp_path / "analysis.yaml").write_text("not: [an, extraction]\n", "utf-8")
    (tmp_path / "schema").mkdir()
    (tmp_path / "schema" / "x.yaml").write_text("- ignored\n", "utf-8")
    (tmp_path / "README.md").write_text("ignored\n", "utf-8")
    result = run_validate(str(tmp_path))
    assert result.exit_code == 1
    out = result.stdout.splitlines()
    assert len(out) == 2
    drug_line = text[: text.index("  drug: tofacitinib")].count("\n") + 1
    assert out[0].startswith(f"{tmp_path / 'a2099.yaml'}:{drug_line}: intervention.drug: "
                             "unknown drug 'nodrug'")
    assert out[1].startswith(f"{tmp_path / 'b2099.yml'}:7: citation.year: duplicate key 'year' (first on line 6)")
    assert result.stderr.strip() == "2 problems in 2 files"


def test_problems_sorted_by_line_within_a_file(tmp_path):
    text = VALID.read_text("utf-8")
    text = (text.replace("        events: 1\n        total: 1\n", "        events: 5\n        total: 1\n")
            .replace("  drug: tofacitinib", "  drug: nodrug"))
    path = tmp_path / "minimal2099.yaml"
    path.write_text(text, "utf-8")
    result = run_validate(str(path))
    lines = [int(line.split(":")[1]) for line in result.stdout.splitlines()]
    assert len(lines) == 2 and lines == sorted(lines)
    assert result.stderr.strip() == "2 problems in 1 file"


def test_duplicate_study_ids_across_files(tmp_path):
    shutil.copy(VALID, tmp_path / "minimal2099.yaml")
    shutil.copy(VALID, tmp_path / "minimal2099.yml")
    studies, problems = validate_paths(tmp_path)
    assert [p.path for p in problems] == ["study_id"]
    assert "also used by" in problems[0].message
    assert problems[0].file == str(tmp_path / "minimal2099.yml")


def test_missing_path_is_one_problem(tmp_path):
    result = run_validate(str(tmp_path / "nowhere"))
    assert result.exit_code == 1
    assert result.stdout.strip() == f"{tmp_path / 'nowhere'}: (file): no such file or directory"


def test_empty_directory_is_one_problem(tmp_path):
    result = run_validate(str(tmp_path))
    assert result.exit_code == 1
    assert result.stdout.strip() == f"{tmp_path}: (file): no extraction files (*.yaml) found"


def test_validate_writes_nothing(tmp_path):
    shutil.copy(VALID, tmp_path / "minimal2099.yaml")
    shutil.copy(DATA / "malformed" / "alias2099.yaml", tmp_path / "alias2099.yaml")
    before = sorted((p.name, p.stat().st_mtime_ns) for p in tmp_path.rglob("*"))
    result = run_validate(str(tmp_path))
    assert result.exit_code == 1
    assert sorted((p.name, p.stat().st_mtime_ns) for p in tmp_path.rglob("*")) == before


def test_load_evidence_returns_studies_by_id():
    studies = load_evidence(VALID)
    assert list(studies) == ["minimal2099"]
    assert studies["minimal2099"].data["population"]["n"]["value"] == 3


def test_load_evidence_raises_with_every_problem():
    with pytest.raises(EvidenceError) as info:
        load_evidence(DATA / "malformed" / "events_gt_total2099.yaml")
    assert [p.path for p in info.value.problems] == ["outcomes[0].results[2].events"]


def test_sources_are_checked_with_the_given_directory(tmp_path, monkeypatch):
    import jakisynth.evidence.sources

    calls = []

    def fake_check(loaded, source_dir):
        calls.append((loaded.file, source_dir))
        return [Problem(loaded.file, 9, "citation.title", "quote not found in the source")]

    monkeypatch.setattr(jakisynth.evidence.sources, "check_sources", fake_check)
    result = run_validate(str(VALID), "--sources", str(tmp_path))
    assert calls == [(str(VALID), tmp_path)]
    assert result.exit_code == 1
    assert result.stdout.strip() == f"{VALID}:9: citation.title: quote not found in the source"


def test_missing_sources_directory_is_one_problem(tmp_path):
    result = run_validate(str(VALID), "--sources", str(tmp_path / "none"))
    assert result.exit_code == 1
    assert result.stdout.strip() == f"{tmp_path / 'none'}: (file): --sources: no such directory"


def test_drugs_are_checked_against_the_vocabulary(monkeypatch):
    import jakisynth.evidence.vocab

    monkeypatch.setattr(jakisynth.evidence.vocab, "is_known_drug", lambda drug: drug != "methotrexate")
    _, problems = validate_paths(VALID)
    assert sorted(p.path for p in problems) == [
        "patients.rows[0].values.prior[0].drug",
        "patients.rows[1].values.prior[0].drug",
        "prior_therapies.aggregate[0].drug",
    ]


def test_overlapping_strata_need_not_sum(tmp_path):
    text = VALID.read_text("utf-8").replace(
        "      value: 1\n      location: \"Table 2\"\n      quote: \"Mild (n = 1)\"",
        "      value: 2\n      location: \"Table 2\"\n      quote: \"Mild (n = 2)\"")
    text = text.replace("        events: 1\n        total: 1\n", "        events: 1\n        total: 2\n")
    path = tmp_path / "minimal2099.yaml"
    path.write_text(text, "utf-8")
    assert [p.path for p in validate_paths(path)[1]] == ["strata"]
    path.write_text(text.replace("    scenario: refractory\n", "    scenario: refractory\n    overlapping: true\n"),
                    "utf-8")
    assert validate_paths(path)[1] == []


def test_total_note_allows_a_different_total(tmp_path):
    text = VALID.read_text("utf-8").replace(
        "        events: 1\n        total: 2\n",
        "        events: 1\n        total: 1\n        total_note: \"one patient not assessed\"\n")
    path = tmp_path / "minimal2099.yaml"
    path.write_text(text, "utf-8")
    assert validate_paths(path)[1] == []


def test_validate_command_never_raises_on_unreadable_file(tmp_path, capsys):
    path = tmp_path / "minimal2099.yaml"
    path.mkdir()  # a directory named like a file: nothing to read inside
    code = validate_command(str(tmp_path), None)
    assert code == 1
    assert capsys.readouterr().out.strip().endswith("no extraction files (*.yaml) found")


# ---- property: no input makes the command crash ----------------------------------------------

VALID_LINES = VALID.read_text("utf-8").splitlines(keepends=True)


@st.composite
def mutated_valid(draw):
    lines = list(VALID_LINES)
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["delete", "duplicate", "replace_line", "replace_char",
                                       "delete_char", "insert_char"]))
        if action == "delete":
            del lines[i]
        elif action == "duplicate":
            lines.insert(i, lines[i])
        elif action == "replace_line":
            lines[i] = draw(st.text(max_size=40)) + "\n"
        elif lines[i]:
            j = draw(st.integers(0, len(lines[i]) - 1))
            char = draw(st.sampled_from(list(":-[]{}&*!#'\" \t\n0123456789.ex,|>%@`")) | st.characters())
            if action == "replace_char":
                lines[i] = lines[i][:j] + char + lines[i][j + 1:]
            elif action == "delete_char":
                lines[i] = lines[i][:j] + lines[i][j + 1:]
            else:
                lines[i] = lines[i][:j] + char + lines[i][j:]
        if not lines:
            break
    return "".join(lines)


def check_cli_output(tmp_path: Path, content: str | bytes) -> None:
    path = tmp_path / "minimal2099.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, "utf-8", errors="surrogatepass")
    result = run_validate(str(path))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert result.exit_code in (0, 1), result.output
    if result.exit_code == 1:
        lines = result.stdout.splitlines()
        assert lines
        for line in lines:
            assert LINE_FORMAT.match(line), line
    assert "Traceback" not in result.output


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=mutated_valid())
def test_mutated_valid_file_never_crashes(tmp_path, text):
    check_cli_output(tmp_path, text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.text(max_size=300) | st.binary(max_size=200))
def test_random_text_never_crashes(tmp_path, content):
    if isinstance(content, str):
        content = content.encode("utf-8", errors="surrogatepass")
    check_cli_output(tmp_path, content)
