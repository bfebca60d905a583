"""Dual extraction (evidence/compare.py, `jakisynth compare`): two extractions of one paper that
differ in one number and one quote give exactly two lines; whitespace in quotes is not a
difference; exit 0 when they agree, 1 when they differ; --csv for the reconciliation meeting."""

import csv
from pathlib import Path

from click.testing import CliRunner

from jakisynth.cli import main
from jakisynth.evidence.compare import compare_extractions
from jakisynth.evidence.yamlio import load_yaml

SEED = Path(__file__).resolve().parent.parent / "evidence" / "wang2023.yaml"
QUOTE = "consecutive patients referred to the Massachusetts General Hospital"


def second_extraction(tmp_path, number=True, quote=True, whitespace=False):
    text = SEED.read_text()
    if number:
        assert "    value: 3\n" in text
        text = text.replace("    value: 3\n", "    value: 4\n", 1)
    if quote:
        assert QUOTE in text
        text = text.replace(QUOTE, "patients referred to the Massachusetts General Hospital", 1)
    if whitespace:
        text = text.replace(QUOTE, QUOTE.replace(" the ", "  the "), 1)
    path = tmp_path / "b" / "wang2023.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    return path


def test_one_number_and_one_quote(tmp_path):
    other = second_extraction(tmp_path)
    found = compare_extractions(load_yaml(SEED), load_yaml(other))
    assert [d.path for d in found] == ["design.setting.quote", "population.n.value"]
    assert str(found[1]) == "population.n.value: 3 | 4"
    assert found[0].a.startswith(QUOTE[:20]) and found[0].b.startswith("patients referred")
    out = tmp_path / "meeting.csv"
    result = CliRunner().invoke(main, ["compare", str(SEED), str(other), "--csv", str(out)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line]
    assert "population.n.value: 3 | 4" in lines and any(line.startswith("design.setting.quote: ") for line in lines)
    rows = list(csv.reader(out.open()))
    assert rows[0] == ["path", str(SEED), str(other), "agreed", "note"]
    assert rows[2][:3] == ["population.n.value", "3", "4"]


def test_whitespace_in_quotes_is_not_a_difference(tmp_path):
    other = second_extraction(tmp_path, number=False, quote=False, whitespace=True)
    assert other.read_text() != SEED.read_text()
    assert compare_extractions(load_yaml(SEED), load_yaml(other)) == []
    result = CliRunner().invoke(main, ["compare", str(SEED), str(other)])
    assert result.exit_code == 0 and "agree" in result.output


def test_printed_precision_and_missing_fields_differ(tmp_path):
    a = tmp_path / "a.yaml"
    b = tmp_path / "b.yaml"
    a.write_text("x: 88.7\nl: [1, 2]\nonly_a: yes_text\n")
    b.write_text("x: 88.70\nl: [1, 2, 3]\n")
    found = [str(d) for d in compare_extractions(load_yaml(a), load_yaml(b))]
    assert found == ["x: 88.7 | 88.70", "l[2]: absent | 3", "only_a: yes_text | absent"]
