"""Consistency checks on constructed cases: true positives and true negatives for each check."""

from pathlib import Path

import pytest

from jakisynth.evidence.yamlio import load_yaml_text
from jakisynth.synthesis.consistency import check_study

HEAD = """
study_id: test2099
population: {n: {value: 10}}
"""


def rows_for(yaml_text):
    return check_study(load_yaml_text(HEAD + yaml_text, "test2099.yaml"))


def only(rows, quantity):
    found = [r for r in rows if r.quantity == quantity]
    assert len(found) == 1, rows
    return found[0]


@pytest.mark.parametrize("value,count,total,verdict", [
    ("88.7", 47, 53, "consistent"),  # 88.679 -> 88.7
    ("88.6", 47, 53, "inconsistent"),
    ("100", 12, 12, "consistent"),
    ("30.0", 3, 10, "consistent"),
    ("57", 30, 53, "consistent"),  # 56.6 at 0 decimals
    ("62.5", 5, 8, "consistent"),  # exact half: both rounding rules accept .5 at 1 decimal
    ("33.4", 1, 3, "inconsistent"),
])
def test_percentages_grim(value, count, total, verdict):
    rows = rows_for(f"""
reported_statistics:
  - {{id: a, quantity: q, kind: percentage, value: {value}, count: {count}, total: {total}, location: here}}
""")
    assert only(rows, "q").verdict == verdict


def test_percentage_without_count_is_checked_for_any_count():
    rows = rows_for("""
reported_statistics:
  - {id: a, quantity: ok, kind: percentage, value: 87.5, count: not reported, total: 48, location: x}
  - {id: b, quantity: bad, kind: percentage, value: 87.6, count: not reported, total: 48, location: x}
""")
    assert only(rows, "ok").verdict == "consistent" and "42/48" in only(rows, "ok").detail
    assert only(rows, "bad").verdict == "inconsistent"


def grade_table(rows_yaml: str) -> dict[str, str]:
    """Verdicts by quantity for an exclusive one-column category of a 53-patient series."""
    rows = check_study(load_yaml_text("study_id: t2099\npopulation: {n: {value: 53}}\n" + """
characteristics:
  - id: grade
    label: grade
    exclusive: true
    columns: [all]
    rows:
""" + rows_yaml, "t2099.yaml"))
    return {r.quantity: r.verdict for r in rows}


G2 = "      - {label: G2, location: t, quote: q, values: {all: {count: 4, percent: 7.5}}}\n"


def test_category_adjusted_to_100_is_rounding_not_inconsistent():
    verdicts = grade_table(G2 + """\
      - {label: G3, location: t, quote: q, values: {all: {count: 44, percent: 83.1}}}
      - {label: G5, location: t, quote: q, values: {all: {count: 5, percent: 9.4}}}
""")
    assert verdicts["grade: G2 (all)"] == "consistent"
    assert verdicts["grade: G3 (all)"] == "rounding"
    assert verdicts["grade: G5 (all)"] == "consistent"
    assert verdicts["grade: categories add up"] == "consistent"


def test_off_by_one_without_a_sum_to_100_is_inconsistent():
    verdicts = grade_table(G2 + """\
      - {label: G3, location: t, quote: q, values: {all: {count: 49, percent: 92.6}}}
""")
    assert verdicts["grade: G3 (all)"] == "inconsistent"


PATIENTS = """
patients:
  location: T1
  quote: q
  columns:
    - {key: pre, header: pre, type: integer}
    - {key: post, header: post, type: integer}
  rows:
    - {id: P1, location: r, quote: q, values: {pre: 12, post: 4}}
    - {id: P2, location: r, quote: q, values: {pre: 7, post: 1}}
    - {id: P3, location: r, quote: q, values: {pre: 27, post: 5}}
    - {id: P4, location: r, quote: q, values: {pre: 50, post: 31}}
    - {id: P5, location: r, quote: q, values: {pre: 2, post: 0}}
"""


def test_median_iqr_names_the_matching_quantile_types():
    rows = rows_for(PATIENTS + """
reported_statistics:
  - {id: a, quantity: good, kind: median_iqr, value: 12, lower: 7, upper: 27, n: 5, from: pre, location: x}
  - {id: b, quantity: bad, kind: median_iqr, value: 12, lower: 7, upper: 30, n: 5, from: pre, location: x}
  - {id: c, quantity: mean, kind: mean_sd, value: 19.6, sd: 19.4, n: 5, from: pre, location: x}
  - {id: d, quantity: badsd, kind: mean_sd, value: 19.6, sd: 18.9, n: 5, from: pre, location: x}
""")
    assert only(rows, "good").verdict == "consistent" and "type(s)" in only(rows, "good").detail
    assert "7" in only(rows, "good").detail.split("type(s)")[1]
    assert only(rows, "bad").verdict == "inconsistent"
    assert only(rows, "mean").verdict == "consistent"  # mean 19.6, SD 19.40 (n-1)
    assert only(rows, "badsd").verdict == "inconsistent"  # 19.40 (n-1) and 17.35 (n)


def test_p_value_named_rank_sum_but_only_signed_rank_reproduces():
    rows = rows_for(PATIENTS + """
reported_statistics:
  - {id: p, quantity: p, kind: p_value, value: 0.0625, test: wilcoxon_rank_sum, paired: {before: pre, after: post}, location: x}
  - {id: s, quantity: s, kind: p_value, value: 0.0625, test: wilcoxon_signed_rank, paired: {before: pre, after: post}, location: x}
""")
    assert only(rows, "p").verdict == "inconsistent"
    assert "only signed-rank, exact" in only(rows, "p").detail
    assert only(rows, "s").verdict == "consistent"


def test_same_quantity_in_two_places():
    rows = rows_for("""
reported_statistics:
  - {id: a, quantity: m, kind: count, value: 3.9, location: text}
  - {id: b, quantity: m, kind: count, value: 4, location: abstract}
  - {id: c, quantity: n, kind: count, value: 16.1, location: abstract}
  - {id: d, quantity: n, kind: count, value: 16.4, location: text}
""")
    verdicts = {r.quantity: r.verdict for r in rows}
    assert verdicts["m (reported in 2 places)"] == "consistent"  # 3.9 rounds to 4
    assert verdicts["n (reported in 2 places)"] == "inconsistent"


def test_hazard_ratio_and_its_wald_p():
    rows = rows_for("""
reported_statistics:
  - {id: hr, quantity: hr, kind: hazard_ratio, value: 0.53, lower: 0.23, upper: 1.20, level: 95, location: x}
  - {id: hr_p, quantity: hrp, kind: p_value, value: 0.13, test: not reported, statistic: hr, location: x}
  - {id: hr90, quantity: hr90, kind: hazard_ratio, value: 0.53, lower: 0.267, upper: 1.052, level: 90, location: x}
  - {id: hr90_p, quantity: hr90p, kind: p_value, value: 0.13, statistic: hr90, location: x}
  - {id: hr_unlinked, quantity: unlinked, kind: p_value, value: 0.13, location: x}
  - {id: hr2, quantity: hr2, kind: hazard_ratio, value: 0.80, lower: 0.23, upper: 1.20, level: 95, location: x}
""")
    assert only(rows, "hr").verdict == "consistent"
    assert only(rows, "hrp").verdict == "consistent"
    assert "95% CI" in only(rows, "hrp").detail
    # the CI's own level: a 90% CI half as wide in z units gives the same Wald p
    assert only(rows, "hr90p").verdict == "consistent" and "90% CI" in only(rows, "hr90p").detail
    # no id convention: a p value that names no statistic is not linked to the hazard ratio
    assert only(rows, "unlinked").verdict == "not_checkable"
    assert only(rows, "hr2").verdict == "inconsistent"


def test_a_p_value_links_to_an_existing_statistic(tmp_path):
    from jakisynth.evidence.validate import validate_paths

    seed = (Path(__file__).resolve().parent.parent / "evidence" / "liu2024.yaml").read_text()
    broken = seed.replace("statistic: text_hr_taper_failure,", "statistic: text_hr_taper,", 1)
    assert broken != seed
    (tmp_path / "liu2024.yaml").write_text(broken)
    _, problems = validate_paths(tmp_path)
    assert len(problems) == 1 and problems[0].path.endswith(".statistic")
    assert "no other reported statistic with id 'text_hr_taper'" in problems[0].message
    no_level = seed.replace("upper: 1.20, level: 95,", "upper: 1.20,", 1)
    (tmp_path / "liu2024.yaml").write_text(no_level)
    _, problems = validate_paths(tmp_path)
    assert len(problems) == 1 and problems[0].message == "required field missing"
    assert problems[0].path.endswith(".level")


def test_every_verdict_has_a_short_reason_and_p_values_name_the_test_that_reproduces():
    """A row whose recomputed value equals the reported one but reads "inconsistent" (the paper's
    named test does not give it) says why in its reason column, not only in the long detail."""
    from jakisynth.evidence.validate import load_evidence
    from jakisynth.synthesis.consistency import COLUMNS, check_evidence

    frame = check_evidence(load_evidence(Path(__file__).parents[1] / "evidence")).to_frame()
    assert list(frame.columns) == list(COLUMNS) and "reason" in COLUMNS
    assert (frame["reason"].str.len() > 0).all() and (frame["reason"].str.len() <= 70).all()
    row = frame[frame["quantity"] == "cdm_cdasi_p"].iloc[0]
    assert (row["reported"], row["recomputed"], row["verdict"]) == ("0.0625", "0.0625", "inconsistent")
    assert row["reason"] == "test named in Methods does not reproduce; signed-rank does"
    rounding = frame[frame["verdict"] == "rounding"]
    assert set(rounding["reason"]) == {"one unit off so that the category adds up to 100%"}

