"""Cross-file checks and exact patterns: calendar dates, one paper per file, whole-text ids."""

import pytest

from jakisynth.evidence.crosscheck import calendar_date_error, duplicate_citations
from jakisynth.evidence.validate import extraction_schema, schema_problems
from jakisynth.evidence.yamlio import Loaded


@pytest.mark.parametrize("text, expected", [
    ("2024", None), ("2024-02", None), ("2024-02-29", None),
    ("2023-02-29", "February 2023 has no day 29"), ("2024-02-30", "February 2024 has no day 30"),
    ("2024-13-01", "there is no month 13"), ("2024-00", "there is no month 0"),
    ("2024-04-31", "April 2024 has no day 31"), ("2024-1-01", "is not a date"),
    ("2024-02-01\n", "is not a date"),
])
def test_calendar_dates(text, expected):
    error = calendar_date_error(text)
    assert (error is None) if expected is None else (expected in error)


def _loaded(file, doi="not reported", pmid="not reported"):
    return Loaded(file, {"citation": {"doi": doi, "pmid": pmid}}, lines={("citation", "doi"): 3,
                                                                          ("citation", "pmid"): 4})


def test_one_doi_or_pmid_in_two_files():
    studies = {"a2024": _loaded("a2024.yaml", doi="10.1000/ABC"),
               "b2024": _loaded("b2024.yaml", doi="10.1000/abc"),
               "c2024": _loaded("c2024.yaml", pmid="123"),
               "d2024": _loaded("d2024.yaml", pmid="0123"),
               "e2024": _loaded("e2024.yaml")}
    problems = duplicate_citations(studies)
    assert [(p.file, p.line, p.path) for p in problems] == [
        ("b2024.yaml", 3, "citation.doi"), ("d2024.yaml", 4, "citation.pmid")]
    assert "is also the DOI of a2024.yaml" in problems[0].message
    assert duplicate_citations({"e2024": _loaded("e"), "f2024": _loaded("f")}) == []


def test_schema_patterns_match_the_whole_text():
    schema = {"type": "object", "properties": {"id": {"type": "string", "pattern": "^[a-z]+[0-9]{4}$"}}}
    for value, bad in (("smith2025", False), ("smith2025\n", True), ("xsmith2025 ", True)):
        problems = schema_problems(Loaded("f.yaml", {"id": value}), schema)
        assert bool(problems) is bad, value
    assert extraction_schema()["properties"]["study_id"]["pattern"].endswith("$")
