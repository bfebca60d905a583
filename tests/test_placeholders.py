"""No half-filled evidence (evidence/placeholders.py): a template with only its numbers filled in
is refused, naming every field that still holds a <...> placeholder; inequalities in quotes are
not placeholders; `new` hints in the README's command form (issue 11)."""

import re
from pathlib import Path

from click.testing import CliRunner

from jakisynth.cli import main, next_step_hint
from jakisynth.evidence.placeholders import placeholder_in
from jakisynth.evidence.template import new_extraction

ROOT = Path(__file__).resolve().parent.parent

NUMBERS = {"<year, e.g. 2025>": "2025", "<number of centres>": "2", "<N>": "12", "<count>": "12",
           "<events>": "6"}


def numbers_only(tmp_path) -> Path:
    path = new_extraction(tmp_path, "smith2025")
    text = path.read_text()
    for placeholder, number in NUMBERS.items():
        assert placeholder in text
        text = text.replace(placeholder, number)
    text = text.replace("total: <N>", "total: 12")
    path.write_text(text)
    return path


def test_a_template_with_only_its_numbers_is_refused_field_by_field(tmp_path):
    path = numbers_only(tmp_path)
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if "template placeholder" in line]
    fields = {line.split(": ")[1] for line in lines}
    for field in ("citation.title", "citation.journal", "citation.authors[0]", "citation.doi",
                  "design.setting.quote", "population.n.quote", "outcomes[0].results[0].quote",
                  "risk_of_bias.items[0].reason", "risk_of_bias.overall.reason", "notes"):
        assert field in fields, field
    remaining = re.findall(r"<[^<>\n]+>", path.read_text().split("schema_version")[1])
    assert len(lines) >= len(remaining) - 2  # every placeholder line but the commented ones
    assert all(line.startswith(f"{path}:") for line in lines)


def test_placeholder_detection():
    assert placeholder_in("<title>") == "<title>"
    assert placeholder_in("see <Methods, paragraph 1> above") == "<Methods, paragraph 1>"
    assert placeholder_in("__STUDY_ID__") == "__STUDY_ID__"
    assert placeholder_in("P < 0.01 and age > 65") is None
    assert placeholder_in("x<5 and y>3") is None
    assert placeholder_in("($P < 0.01$)") is None


def test_the_seeds_hold_no_placeholder():
    result = CliRunner().invoke(main, ["validate", str(ROOT / "evidence")])
    assert result.exit_code == 0 and "placeholder" not in result.output


def test_new_hints_in_the_readme_command_form(tmp_path):
    readme = (ROOT / "README.md").read_text()
    assert ".venv/bin/jakisynth validate [PATH] [--sources DIR]" in readme
    hint = next_step_hint(tmp_path / "smith2025.yaml", "evidence")
    assert f"`.venv/bin/jakisynth validate {tmp_path / 'smith2025.yaml'} --sources DIR`" in hint
    assert "`.venv/bin/jakisynth run`" in hint
    assert "--evidence ev" in next_step_hint(tmp_path / "x.yaml", "ev")
    result = CliRunner().invoke(main, ["new", "smith2025", "--evidence", str(tmp_path)])
    assert result.exit_code == 0 and ".venv/bin/jakisynth validate" in result.output


def test_vocab_lists_every_id_with_its_label():
    from jakisynth.evidence import vocab

    result = CliRunner().invoke(main, ["vocab"])
    assert result.exit_code == 0
    out = result.output
    for d in vocab.DRUGS.values():
        assert f"  {d.id}: {d.name}, " in out
    for c in vocab.CONDITIONS.values():
        assert f"  {c.id}: {c.label}, {c.group}" in out
    for key, label in vocab.SCENARIOS.items():
        assert f"  {key}: {label}" in out
    assert "  irae: immune-related adverse events" in out
