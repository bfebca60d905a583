"""Numeric claims read from a source text (evidence/claims.py), on small synthetic texts with the
seeds' typography (en dashes, NBSP, LaTeX, tab- and pipe-separated tables)."""

from jakisynth.evidence.claims import parse_claims, word_number

TEXT = """Abstract

Results Forty patients were treated. Remission in 30/40 patients (75.0%). The median time was 12 (range, 2\u201390) days.

Introduction

Myocarditis occurs in 0.1 to 1.1% of patients [3]. Grade 3 (45%) events were rare.

Results

Twenty-one (52.5%) patients had colitis and 19 (47.5%) hepatitis ($n = 19$, 48%). Mean age 61.2 \u00b1 9.8 years; 80.0% (32/40) were male.
The median follow-up was 9.5 months, ranging from 2 to 33 months. Twelve (30%) stopped; 95% CI 1\u20132.

Table 1 Characteristics

\tAll (N = 40)\tGroup A (N = 10)
Male, No. (%)\t32 (80.0)\t9 (90.0)
Age (mean [SD])\t61.2 (9.8)\t60.0 (8.1)
Time to onset (median [range])\t12 (2\u201390)\t10 (2\u201330)

Discussion

In our cohort 31 patients (77.5%) responded.

References

1. Someone. 45 (50%) of 90 in another study.
"""


def by_text(claims):
    return {c.text: c for c in claims}


def test_every_form_is_read_with_its_section_and_line():
    claims = parse_claims(TEXT)
    found = by_text(claims)
    c = found["30/40 patients (75.0%)"]
    assert (c.count, c.total, c.percent, c.section, c.line) == (30, 40, "75.0", "Abstract, Results", 3)
    assert found["12 (range, 2-90)"].kind == "median_range"
    assert found["twenty-one (52.5%)"].count == 21 and found["twenty-one (52.5%)"].section == "Results"
    assert found["(n = 19, 48%)"].count == 19
    assert found["61.2 ± 9.8"].kind == "mean_sd"
    assert (found["80.0% (32/40)"].count, found["80.0% (32/40)"].total) == (32, 40)
    ranging = [c for c in claims if "ranging" in c.text][0]
    assert (ranging.value, ranging.lower, ranging.upper) == ("9.5", "2", "33")
    cell = [c for c in claims if c.text == "9 (90.0)"][0]
    assert (cell.count, cell.total, cell.total_from_column, cell.section) == (9, 10, True, "Table 1")
    assert [c.kind for c in claims if c.text == "60.0 (8.1)"] == ["mean_sd"]
    assert [c.kind for c in claims if c.text == "10 (2-30)"] == ["median_range"]
    assert found["31 patients (77.5%)"].section == "Discussion"


def test_what_is_not_read():
    texts = {c.text for c in parse_claims(TEXT)}
    # "Grade 3 (45%)": 3 is not a count (the percentage is read alone); references are not read
    assert "45%" in texts and not any("3 (45%)" in t or "(50%)" in t for t in texts)
    assert "95%" not in texts  # a confidence level
    cited = [c for c in parse_claims(TEXT) if c.cited]
    assert {c.text for c in cited} == {"1.1%"}


def test_number_words():
    assert word_number("three") == 3 and word_number("Fifty-three") == 53 and word_number("12") == 12
    assert word_number("many") is None
