"""The strict YAML loader: one test per rule (scalars, refusals, lines, raw text)."""

from __future__ import annotations

import pytest

from jakisynth.errors import EvidenceError
from jakisynth.evidence.yamlio import Loaded, format_path, load_yaml, load_yaml_text


def problem_of(text: str):
    with pytest.raises(EvidenceError) as info:
        load_yaml_text(text, "x.yaml")
    assert len(info.value.problems) == 1
    return info.value.problems[0]


# ---- scalars ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("true", True), ("false", False),
    ("null", None), ("~", None), ("", None),
    ("0", 0), ("42", 42), ("-7", -7), ("+3", 3), ("007", 7),
    ("88.7", 88.7), ("-1.5", -1.5), ("1e-3", 0.001), ("2.5E2", 250.0), (".5", 0.5), ("100.0", 100.0),
    # YAML 1.1 conversions we do not make: these stay text
    ("yes", "yes"), ("no", "no"), ("on", "on"), ("off", "off"), ("True", "True"), ("NULL", "NULL"),
    ("2024-08-29", "2024-08-29"), ("2024-08", "2024-08"), ("0x1F", "0x1F"), ("0o17", "0o17"),
    ("1_000", "1_000"), ("1:30", "1:30"), ("not reported", "not reported"), ("5 mg bid", "5 mg bid"),
])
def test_plain_scalars_follow_our_rules(text, expected):
    value = load_yaml_text(f"a: {text}\n").data["a"]
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize("text", ['"true"', "'12'", '"1.5"', "'null'", '""', '"2024-08-29"'])
def test_quoted_scalars_are_always_text(text):
    value = load_yaml_text(f"a: {text}\n").data["a"]
    assert isinstance(value, str)
    assert value == text[1:-1]


def test_block_scalars_are_text():
    data = load_yaml_text("a: |\n  12\nb: >-\n  true\n").data
    assert data == {"a": "12\n", "b": "true"}


@pytest.mark.parametrize("text", [".nan", ".NaN", ".inf", "-.inf", "+.Inf", ".INF"])
def test_nan_and_inf_are_refused_with_path_and_line(text):
    problem = problem_of(f"outcomes:\n  - results:\n      - events: {text}\n")
    assert problem.line == 3
    assert problem.path == "outcomes[0].results[0].events"
    assert f"{text} is not allowed" in problem.message


def test_overflowing_float_is_refused():
    problem = problem_of("a:\n  b: 1e400\n")
    assert (problem.line, problem.path) == (2, "a.b")
    assert "too large" in problem.message


# ---- structure, lines, raw text -------------------------------------------------------------

DOC = """\
# a comment
study_id: x2024
outcomes:
  - id: remission
    results:
      - {scope: all, events: 47, total: 53}
      - scope: severe
        events: 6
        percent: 100.0
notes: >-
  folded
  text
"""


def test_mapping_order_and_types():
    loaded = load_yaml_text(DOC, "f.yaml")
    assert isinstance(loaded, Loaded)
    assert loaded.file == "f.yaml"
    assert list(loaded.data) == ["study_id", "outcomes", "notes"]
    assert loaded.data["outcomes"][0]["results"][1] == {"scope": "severe", "events": 6, "percent": 100.0}
    assert loaded.data["notes"] == "folded text"


def test_lines_of_keys_items_and_values():
    loaded = load_yaml_text(DOC)
    assert loaded.lines[("study_id",)] == 2
    assert loaded.lines[("outcomes",)] == 3
    assert loaded.lines[("outcomes", 0)] == 4
    assert loaded.lines[("outcomes", 0, "results", 0, "events")] == 6
    assert loaded.lines[("outcomes", 0, "results", 1)] == 7
    assert loaded.lines[("outcomes", 0, "results", 1, "events")] == 8
    assert loaded.lines[("notes",)] == 10


def test_line_of_falls_back_to_the_nearest_ancestor():
    loaded = load_yaml_text(DOC)
    assert loaded.line_of(("outcomes", 0, "results", 1, "total")) == 7
    assert loaded.line_of(("outcomes", 0, "label")) == 4
    assert loaded.line_of(("nothing", "here")) == 2  # the document's first line
    assert loaded.line_of(()) == 2


def test_raw_keeps_every_scalar_as_written():
    loaded = load_yaml_text(DOC)
    assert loaded.raw[("outcomes", 0, "results", 1, "percent")] == "100.0"
    assert loaded.raw[("outcomes", 0, "results", 0, "events")] == "47"
    assert loaded.raw[("study_id",)] == "x2024"
    assert loaded.raw[("outcomes", 0, "id")] == "remission"
    assert all(isinstance(v, str) for v in loaded.raw.values())
    scalar_count = 9  # study_id, id, scope/events/total, scope/events/percent, notes
    assert len(loaded.raw) == scalar_count


def test_format_path():
    assert format_path(("outcomes", 0, "results", 1, "events")) == "outcomes[0].results[1].events"
    assert format_path(()) == ""
    assert format_path(("study_id",)) == "study_id"
    assert format_path(("characteristics", 0, "rows")) == "characteristics[0].rows"
    # a key with spaces stays one token (problem lines are FILE:LINE: path: message)
    assert format_path(("samples", "Group A", 0)) == 'samples["Group\\u0020A"][0]'


# ---- refusals ---------------------------------------------------------------------------------

def test_duplicate_key_at_top_level():
    problem = problem_of("a: 1\nb: 2\na: 3\n")
    assert (problem.line, problem.path) == (3, "a")
    assert problem.message == "duplicate key 'a' (first on line 1)"


def test_duplicate_key_nested_in_a_list():
    problem = problem_of("x:\n  - a: 1\n    b: 2\n  - a: 1\n    c: 2\n    a: 4\n")
    assert (problem.line, problem.path) == (6, "x[1].a")
    assert "first on line 4" in problem.message


def test_duplicate_key_in_flow_mapping():
    problem = problem_of("x: {a: 1, a: 2}\n")
    assert (problem.line, problem.path) == (1, "x.a")


@pytest.mark.parametrize("text, line", [
    ("a: &anchor 1\nb: 2\n", 1),
    ("a: &anchor 1\nb: *anchor\n", 1),
    ("a:\n  - x\nb: &l [1]\n", 3),
    ("base: &b {x: 1}\nother:\n  <<: *b\n", 1),
])
def test_anchors_and_aliases_are_refused(text, line):
    problem = problem_of(text)
    assert problem.line == line
    assert problem.message == "anchors and aliases are not allowed"


@pytest.mark.parametrize("text", [
    "a: !!str 12\n", "a: !!python/object:os.system x\n", "a: !custom x\n", "a: ! x\n",
    "a: !!map {b: 1}\n", "a: !!binary aGVsbG8=\n", "a: !!timestamp 2024-01-01\n",
])
def test_explicit_tags_are_refused(text):
    problem = problem_of(text)
    assert problem.line == 1
    assert problem.message.startswith("tags are not allowed")


def test_merge_key_is_refused():
    problem = problem_of("a:\n  <<: {b: 1}\n")
    assert problem.line == 2
    assert "merge keys" in problem.message


@pytest.mark.parametrize("key", ["1", "true", "null", "1.5", "~"])
def test_non_text_keys_are_refused(key):
    problem = problem_of(f"a:\n  {key}: x\n")
    assert (problem.line, problem.path) == (2, "a")
    assert "is not a name" in problem.message


def test_complex_keys_are_refused():
    problem = problem_of("? [a, b]\n: 1\n")
    assert problem.line == 1
    assert "keys must be plain names" in problem.message


def test_quoted_numeric_key_is_text():
    assert load_yaml_text("'1': x\n").data == {"1": "x"}


@pytest.mark.parametrize("text, line", [
    ("a: [1, 2\n", 2),
    ("a: 1\n b: 2\n", 2),
    ("a: 'open\n", 2),
    ("a:\n- b\n  c: 1\n", 3),
    ("a: 1\n---\nb: 2\n", 2),
    ("\tb: 1\n", 1),
])
def test_syntax_errors_give_one_problem_with_a_line(text, line):
    problem = problem_of(text)
    assert problem.line == line
    assert problem.path == ""
    assert problem.message.startswith("invalid YAML: ")
    assert "\n" not in problem.message


@pytest.mark.parametrize("text", ["", "   \n\n", "# only a comment\n", "---\n", "--- \n...\n", "null\n", "~\n"])
def test_empty_documents(text):
    problem = problem_of(text)
    assert problem.message == "the file is empty"


@pytest.mark.parametrize("text", ["- a\n- b\n", "just text\n", "42\n", "true\n"])
def test_top_level_must_be_a_mapping(text):
    problem = problem_of(text)
    assert problem.message == "the top level must be a mapping of fields"
    assert problem.line == 1


def test_control_character_is_one_problem():
    problem = problem_of("a: 1\nb: x\x07y\n")
    assert problem.line == 2
    assert "U+0007" in problem.message


def test_byte_order_mark_is_accepted():
    assert load_yaml_text("\ufeffa: 1\n").data == {"a": 1}


# ---- files -------------------------------------------------------------------------------------

def test_load_yaml_reads_a_file(tmp_path):
    path = tmp_path / "s2024.yaml"
    path.write_text("a: 1.50\n", "utf-8")
    loaded = load_yaml(path)
    assert loaded.file == str(path)
    assert loaded.data == {"a": 1.5}
    assert loaded.raw[("a",)] == "1.50"


def test_not_utf8_file(tmp_path):
    path = tmp_path / "s2024.yaml"
    path.write_bytes(b"a: 1\nb: caf\xe9\n")
    with pytest.raises(EvidenceError) as info:
        load_yaml(path)
    (problem,) = info.value.problems
    assert (problem.file, problem.line, problem.path) == (str(path), 2, "")
    assert problem.message == "the file is not UTF-8 text"


def test_missing_file(tmp_path):
    with pytest.raises(EvidenceError) as info:
        load_yaml(tmp_path / "none.yaml")
    (problem,) = info.value.problems
    assert problem.line is None
    assert problem.message == "no such file"


def test_directory_is_not_a_file(tmp_path):
    with pytest.raises(EvidenceError) as info:
        load_yaml(tmp_path)
    (problem,) = info.value.problems
    assert problem.message.startswith("cannot read the file")


def test_problem_prints_as_one_line():
    problem = problem_of("a: 1\na: 2\n")
    assert str(problem) == "x.yaml:2: a: duplicate key 'a' (first on line 1)"


def test_bounds_are_checked_before_composition(monkeypatch, tmp_path):
    """Depth and node count on the event stream, size before parsing (issue 15)."""
    from jakisynth.evidence import yamlio

    monkeypatch.setattr(yamlio, "MAX_NODES", 20)
    monkeypatch.setattr(yamlio, "MAX_DEPTH", 3)
    with pytest.raises(EvidenceError, match="more than 20 parser events"):
        yamlio.load_yaml_text("a:\n" + "  - 1\n" * 25, "f.yaml")
    with pytest.raises(EvidenceError, match="nested too deeply"):
        yamlio.load_yaml_text("a: [[[1]]]\n", "f.yaml")
    assert yamlio.load_yaml_text("a: [[1]]\n", "f.yaml").data == {"a": [[1]]}
    monkeypatch.setattr(yamlio, "MAX_BYTES", 100)
    (tmp_path / "big.yaml").write_text("a: " + "x" * 200 + "\n")
    with pytest.raises(EvidenceError, match=r"too large \(204 bytes; at most 100\)"):
        yamlio.load_yaml(tmp_path / "big.yaml")


def test_a_long_key_is_named_plainly():
    with pytest.raises(EvidenceError, match="a field name has at most 1024") as err:
        load_yaml_text("k" * 5000 + ": 1\n", "f.yaml")
    assert all(len(str(p)) < 300 for p in err.value.problems)
    long_key_path = format_path(("x" * 500, 0))
    assert long_key_path == '["' + "x" * 60 + '..."][0]'
