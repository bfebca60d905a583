"""Plan drift and overlapping cohorts (evidence/plan_checks.py, evidence/overlaps.py): a fourth
series missing from the subgroup maps, one subgroup vocabulary, a clone of a seed series from the
same centres and years (issue 11)."""

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from jakisynth.cli import main
from jakisynth.evidence.overlaps import find_overlaps, institutions, pair_evidence
from jakisynth.evidence.plan import load_plan, plan_problems
from jakisynth.evidence.validate import load_evidence
from jakisynth.evidence.vocab import subgroup_id

ROOT = Path(__file__).resolve().parent.parent
FOURTH = Path(__file__).parent / "data/fourth_series/smith2025.yaml"


@pytest.fixture()
def evidence(tmp_path):
    target = tmp_path / "evidence"
    shutil.copytree(ROOT / "evidence", target)
    return target


def _problems(evidence):
    return [str(p) for p in plan_problems(evidence, load_evidence(evidence))]


def test_a_series_missing_from_a_values_map_is_a_problem_naming_both(evidence):
    shutil.copy(FOURTH, evidence / "smith2025.yaml")
    problems = _problems(evidence)
    assert len(problems) == 1, problems  # the seed plan has one subgroup map: the scenario
    assert "series smith2025 is not in the values of subgroup 'scenario'" in problems[0]
    assert all("analysis.yaml:" in p for p in problems)
    result = CliRunner().invoke(main, ["validate", str(evidence)])
    assert result.exit_code == 1 and "smith2025" in result.output


def test_a_singular_cannot_split_a_group(evidence):
    plan = evidence / "analysis.yaml"
    text = plan.read_text()
    condition = ('  - id: condition\n    label: "Condition treated"\n    by: condition\n'
                 '    values:\n      liu2024: "immune-related adverse events"\n'
                 '      wang2023: "immune-related adverse event"\n    reason: "x"\n')
    plan.write_text(text.replace("subgroups:\n", "subgroups:\n" + condition, 1))
    problems = _problems(evidence)
    assert len(problems) == 1
    assert "'immune-related adverse event' is not a condition subgroup" in problems[0]
    assert "did you mean 'immune-related adverse events'" in problems[0]


def test_one_vocabulary_for_plan_values_and_defaults():
    assert subgroup_id("condition", "immune-related adverse events") == "irae"
    assert subgroup_id("condition", "irae") == "irae"
    assert subgroup_id("condition", "immune-related adverse event") is None
    assert subgroup_id("scenario", "mixed (life-threatening, steroid-resistant, taper failure)") == "mixed"
    assert subgroup_id("scenario", "refractory to prior immunosuppression") == "refractory"
    from types import SimpleNamespace

    from jakisynth.synthesis.analysis import subgroup_labels

    rows = [SimpleNamespace(study=s, drug="tofacitinib") for s in ("a2024", "b2024", "c2024")]
    studies = {"a2024": {}, "b2024": {}, "c2024": {"population": {"conditions": [{"term": "ir_colitis"}]}}}
    sg = SimpleNamespace(by="condition", values={"a2024": "immune-related adverse events",
                                                 "b2024": "irae"})
    # three spellings of one group (plan label, id, the vocabulary's default): one subgroup
    assert subgroup_labels(sg, rows, studies) == ["immune-related adverse events"] * 3


def clone(evidence, source="liu2024", new="liu2025", start="2021-01", end="2024-06"):
    """A second publication of the same centres, enrolment extended: the double-counting case."""
    text = (evidence / f"{source}.yaml").read_text()
    text = text.replace(f"study_id: {source}", f"study_id: {new}", 1).replace("  year: 2024", "  year: 2025", 1)
    text = text.replace('doi: "10.1186/s12967-024-05617-6"', 'doi: "10.1186/s12967-025-00001-9"', 1)  # another paper
    text = re.sub(r'title: ".*"', 'title: "Tofacitinib for irAEs: an extended multi-center series"', text, count=1)
    text = text.replace('start: "2019-08"', f'start: "{start}"', 1).replace('end: "2023-03"', f'end: "{end}"', 1)
    (evidence / f"{new}.yaml").write_text(text)


def test_a_clone_from_the_same_centres_and_years_is_an_error_until_decided(evidence):
    clone(evidence)
    problems = _problems(evidence)
    overlap = [p for p in problems if "may report the same patients" in p]
    assert len(overlap) == 1, problems
    assert "liu2024 and liu2025" in overlap[0]
    assert "shared centre 'zhongshan hospital'" in overlap[0] and "shared author(s) " in overlap[0]
    assert "liu q" in overlap[0].split("shared author(s) ")[1]
    assert "enrolment 2019-08 to 2023-03 and 2021-01 to 2024-06 overlap" in overlap[0]
    plan = evidence / "analysis.yaml"
    text = plan.read_text()
    for line in re.findall(r"\n( +liu2024: .*)", text):  # the clone in every subgroup map
        text = text.replace(line, line + "\n" + line.replace("liu2024", "liu2025"))
    plan.write_text(text + (
        "overlaps:\n  - series: [liu2024, liu2025]\n    resolution: keep_one\n    keep: liu2025\n"
        "    reason: \"The extended series includes every patient of the first.\"\n"))
    studies = load_evidence(evidence)
    assert _problems(evidence) == []
    decided = load_plan(evidence, studies)
    # beckett2024 is indirect evidence, never in the primary analysis
    assert [c.study for c in decided.primary.series] == ["liu2025", "wang2023"]
    assert decided.overlaps[0].dropped == "liu2024"
    out = evidence.parent / "outputs"
    result = CliRunner().invoke(main, ["run", "--evidence", str(evidence), "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = (out / "report.html").read_text()
    section = report.split("<h2>Overlapping cohorts</h2>")[1].split("</section>")[0]
    assert "<td>liu2024 and liu2025</td>" in section and "keep one (liu2025)" in section
    assert "shared centre &#39;zhongshan hospital&#39;" in section
    assert "The extended series includes every patient of the first." in section


def test_no_overlap_without_evidence(evidence):
    clone(evidence, start="2023-04", end="2024-06")  # same centre and authors, later years
    assert not [p for p in _problems(evidence) if "same patients" in p]
    seeds = {sid: item.data for sid, item in load_evidence(ROOT / "evidence").items()}
    assert find_overlaps(seeds) == []  # the seeds: three countries, no shared author
    assert institutions("Vancouver General Hospital") != institutions("Massachusetts General Hospital")
    a = {"design": {"setting": {"text": "X"}, "enrolment_period": "not reported"}, "citation": {"authors": ["A B"]}}
    assert pair_evidence(a, a) == ()  # a period not reported cannot be placed in time


def test_decisions_are_checked(evidence):
    plan = evidence / "analysis.yaml"
    text = plan.read_text()
    plan.write_text(text + (
        "overlaps:\n  - series: [liu2024, nobody2020]\n    resolution: keep_one\n    keep: wang2023\n"
        "    reason: \"x\"\n"))
    problems = _problems(evidence)
    assert any("no extraction with study_id 'nobody2020'" in p for p in problems)
    assert any("keep names 'wang2023', which is not one of" in p for p in problems)
    plan.write_text(text + (
        "overlaps:\n  - series: [liu2024, wang2023]\n    resolution: subset\n    keep: liu2024\n"
        "    reason: \"x\"\n"))
    problems = _problems(evidence)
    assert any("overlaps[0].subset: required field missing" in p for p in problems), problems


def test_without_a_plan_every_overlapping_pair_is_a_problem(evidence):
    clone(evidence)
    (evidence / "analysis.yaml").unlink()
    result = CliRunner().invoke(main, ["validate", str(evidence)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if "may report the same patients" in line]
    assert len(lines) == 1 and "analysis.yaml: overlaps: liu2024 and liu2025" in lines[0]
