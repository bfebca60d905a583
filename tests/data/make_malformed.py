"""Regenerate tests/data/malformed/*.yaml from tests/data/valid/minimal2099.yaml (run by hand).

Each case is one edit of the valid file that must produce exactly one problem. The expected line
is where ``marker`` (a text of the edited file) occurs, found here, not taken from the validator.
Usage: python tests/data/make_malformed.py
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).parent
VALID = HERE / "valid" / "minimal2099.yaml"
OUT = HERE / "malformed"

AGG = "    - drug: methotrexate\n      status: received\n      scope: all\n      count: 2\n"
INTERVENTION = ("intervention:\n  drug: tofacitinib\n  doses:\n    - label: \"5 mg bid\"\n"
                "      count: 3\n      total: 3\n      location: \"Methods\"\n"
                "      quote: \"5 mg bid in all 3\"\n  duration: not reported\n")

# name: (old, new, path, message substring, marker of the expected line or None, occurrence)
CASES = {
    "dup_key_top": ("risk_of_bias:\n", "schema_version: 1\nrisk_of_bias:\n", "schema_version",
                    "duplicate key 'schema_version' (first on line 3)", "schema_version: 1\nrisk", 1),
    "dup_key_nested": ("  year: 2099\n", "  year: 2099\n  year: 2098\n", "citation.year",
                       "duplicate key 'year' (first on line", "  year: 2098", 1),
    "dup_key_flow": ("{count: 1, percent: 33.3}", "{count: 1, percent: 33.3, count: 1}",
                     "characteristics[0].rows[0].values.all.count", "duplicate key 'count'",
                     "percent: 33.3, count", 1),
    "unknown_field": ("    assessed: not reported\n", "    assessed: not reported\n    resutls: []\n",
                      "outcomes[0].resutls", "unknown field (allowed:", "resutls", 1),
    "unknown_top_field": ("risk_of_bias:\n", "note: \"typo of notes\"\nrisk_of_bias:\n", "note",
                          "unknown field (allowed:", "note: ", 1),
    "missing_required": ("  journal: \"Journal of Examples\"\n", "", "citation.journal",
                         "required field missing", "citation:", 1),
    "missing_top_required": (INTERVENTION, "", "intervention", "required field missing", "schema_version: 1", 1),
    "negative_count": ("        events: 1\n        total: 1\n", "        events: -1\n        total: 1\n",
                       "outcomes[0].results[2].events", "must be >= 0", "events: -1", 1),
    "bool_count": ("        events: 2\n        total: 3\n", "        events: true\n        total: 3\n",
                   "outcomes[0].results[0].events", "expected an integer, got true", "events: true", 1),
    "float_count": (AGG, AGG.replace("count: 2", "count: 2.0"), "prior_therapies.aggregate[0].count",
                    "expected an integer, got the number 2.0", "count: 2.0", 1),
    "string_count": (AGG, AGG.replace("count: 2", "count: \"2\""), "prior_therapies.aggregate[0].count",
                     "expected an integer, got the text '2'", "count: \"2\"", 1),
    "null_text": ("  journal: \"Journal of Examples\"\n", "  journal:\n", "citation.journal",
                  "expected a text, got an empty value", "  journal:", 1),
    "nan_value": ("    value: 66.7\n", "    value: .nan\n", "reported_statistics[0].value",
                  ".nan is not allowed", "value: .nan", 1),
    "inf_value": ("    upper: 70\n    unit: years\n", "    upper: .inf\n    unit: years\n",
                  "population.age.upper", ".inf is not allowed", "upper: .inf", 1),
    "events_gt_total": ("        events: 1\n        total: 1\n", "        events: 2\n        total: 1\n",
                        "outcomes[0].results[2].events", "2 events exceed the total 1", "events: 2\n        total: 1", 1),
    "total_not_scope_n": ("        events: 1\n        total: 2\n", "        events: 1\n        total: 3\n",
                          "outcomes[0].results[1].total",
                          "total 3 differs from the N of 'severe' (2) without a total_note",
                          "        total: 3\n        location: \"Table 2\"\n        quote: \"Remission 2 (66.7) 1 (50.0) 1 (100.0)\"\n      - scope: mild", 1),
    "strata_sum": ("      value: 1\n      location: \"Table 2\"\n      quote: \"Mild (n = 1)\"",
                   "      value: 2\n      location: \"Table 2\"\n      quote: \"Mild (n = 2)\"", "strata",
                   "strata N add up to 4, not population.n = 3", "strata:", 1),
    "patient_rows": ("    - id: P3\n      location: \"Table 1, row 3\"\n      quote: \"P3 | 70 | none\"\n"
                     "      values:\n        age: 70\n        prior: []\n", "", "patients.rows",
                     "2 patient rows, but population.n = 3", "  rows:\n    - id: P1", 1),
    "duplicate_patient_id": ("    - id: P2\n", "    - id: P1\n", "patients.rows[1].id",
                             "duplicate patient id 'P1'", "id: P1\n      location: \"Table 1, row 2\"", 1),
    "bad_doi": ("  doi: \"10.1234/example.2099.1\"\n", "  doi: \"doi:10.1234/example\"\n", "citation.doi",
                "is not a DOI", "  doi:", 1),
    "bad_pmid": ("  pmid: \"12345678\"\n", "  pmid: \"PMID 12345678\"\n", "citation.pmid",
                 "is not a PMID", "  pmid:", 1),
    "no_doi_no_pmid": ("  doi: \"10.1234/example.2099.1\"\n  pmid: \"12345678\"\n",
                       "  doi: not reported\n  pmid: not reported\n", "citation.doi",
                       "give a DOI or a PMID", "  doi:", 1),
    "unknown_drug": ("  drug: tofacitinib\n", "  drug: tofacitinb\n", "intervention.drug",
                     "unknown drug 'tofacitinb'", "drug: tofacitinb", 1),
    "unknown_drug_patient": ("        prior: []\n",
                             "        prior: [{drug: metotrexate, printed: \"MTX\", markers: []}]\n",
                             "patients.rows[2].values.prior[0].drug", "unknown drug 'metotrexate'",
                             "drug: metotrexate", 1),
    "unknown_condition": ("    - term: ir_hepatitis\n", "    - term: ir_hepatits\n",
                          "population.conditions[0].term", "unknown condition 'ir_hepatits'",
                          "term: ir_hepatits", 1),
    "unknown_scope": ("      - scope: mild\n", "      - scope: moderate\n", "outcomes[0].results[2].scope",
                      "unknown scope 'moderate'", "scope: moderate", 1),
    "study_id_mismatch": None,  # special: study_id differs from the file name
    "bad_study_id": None,  # special: study_id and file name both break the pattern
    "schema_version": ("schema_version: 1\n", "schema_version: 2\n", "schema_version", "must be 1",
                       "schema_version: 2", 1),
    "alias": ("  authors: [\"Doe J\", \"Roe R\"]\n", "  authors: &who [\"Doe J\", \"Roe R\"]\n  editors: *who\n",
              "(file)", "anchors and aliases are not allowed", "&who", 1),
    "custom_tag": ("  title: \"Tofacitinib in three patients\"\n",
                   "  title: !!python/object/apply:os.system [\"true\"]\n", "(file)",
                   "tags are not allowed", "  title: !!", 1),
    "str_tag": ("  journal: \"Journal of Examples\"\n", "  journal: !!str Journal of Examples\n",
                "(file)", "tags are not allowed", "  journal: !!str", 1),
    "syntax_error": ("  title: \"Tofacitinib in three patients\"\n",
                     "  title: \"Tofacitinib in three patients\n", "(file)", "invalid YAML",
                     "  journal:", 1),
    "bad_indent": ("  year: 2099\n", "  year: 2099\n   misplaced: 1\n", "(file)", "invalid YAML",
                   "misplaced", 1),
    "two_documents": ("risk_of_bias:\n", "---\nrisk_of_bias:\n", "(file)", "invalid YAML: expected a single document", "---", 1),
    "non_string_key": ("  year: 2099\n", "  year: 2099\n  2100: later\n", "citation",
                       "mapping key '2100' is not a name", "  2100:", 1),
    "empty": None,  # special
    "top_level_list": None,  # special
    "not_utf8": None,  # special
    "bad_date": ("  publication_date: \"2099-01-15\"\n", "  publication_date: \"15/01/2099\"\n",
                 "citation.publication_date", "is not a date (\"YYYY\", \"YYYY-MM\" or \"YYYY-MM-DD\")", "publication_date", 1),
    "bad_month": ("    start: \"2098-01\"\n", "    start: \"January 2098\"\n", "design.enrolment_period.start",
                  "is not a date", "start: \"January", 1),
    "bad_enum": ("  type: case_series\n", "  type: case_study\n", "design.type",
                 "'case_study' is not one of: case_series, cohort, case_report", "type: case_study", 1),
    "bad_judgement": ("judgement: unclear, reason: \"Not stated.\"}\n    - {item: 3",
                      "judgement: maybe, reason: \"Not stated.\"}\n    - {item: 3",
                      "risk_of_bias.items[1].judgement", "'maybe' is not one of", "judgement: maybe", 1),
    "yes_as_bool": ("    exclusive: true\n", "    exclusive: yes\n", "characteristics[0].exclusive",
                    "expected a boolean, got the text 'yes'", "exclusive: yes", 1),
    "year_as_text": ("  year: 2099\n", "  year: \"2099\"\n", "citation.year",
                     "expected an integer, got the text '2099'", "  year:", 1),
    "exclusive_sum": ("{count: 2, percent: 66.7}", "{count: 3, percent: 66.7}", "characteristics[0].columns",
                      "exclusive rows of 't1_sex' add up to 4 in column 'all', not its N 3",
                      "    columns: [all]", 1),
    "aggregate_mismatch": (AGG, AGG.replace("count: 2", "count: 1"), "prior_therapies.aggregate[0].count",
                           "reported 1 patients with methotrexate (received), but the patient rows give 2",
                           "      count: 1", 1),
    "active_at_start_mismatch": (AGG, AGG.replace("received", "active_at_start"),
                                 "prior_therapies.aggregate[0].count",
                                 "reported 2 patients with methotrexate (active_at_start), but the patient rows give 1",
                                 "      count: 2\n      total: 3\n      location: \"Results\"", 1),
    "derived_unknown_key": ("        events: 1\n        total: 1\n",
                            "        events: 1\n        total: 1\n        derived: {evnts: \"counted\"}\n",
                            "outcomes[0].results[2].derived.evnts", "derived names 'evnts'", "evnts", 1),
    "missing_provenance": ("    location: \"Results\"\n    quote: \"one infection\"\n", "",
                           "safety.infections", "give location and quote or derived", "  infections:", 1),
    "typo_in_block": ("  setting:\n    text: \"One hospital\"\n    location: \"Methods\"\n",
                      "  setting:\n    text: \"One hospital\"\n    locaton: \"Methods\"\n    location: \"Methods\"\n",
                      "design.setting.locaton", "unknown field (allowed: derived, location, quote, text)",
                      "locaton", 1),
    "block_not_mapping": ("  centres:\n    value: 1\n    location: \"Methods\"\n    quote: \"at one hospital\"\n",
                          "  centres: 1\n", "design.centres",
                          "expected a mapping, got the number 1 (or write 'not reported')", "centres: 1", 1),
}

# further edits of a case, applied after the first one (first occurrence)
EXTRA = {
    "strata_sum": [("        events: 1\n        total: 1\n", "        events: 1\n        total: 2\n")],
}


def _line(text: str, marker: str | None, header: int) -> int | None:
    if marker is None:
        return None
    index = text.index(marker)
    return text[:index].count("\n") + 1 + header


def main() -> None:
    valid = VALID.read_text("utf-8")
    body = valid.split("\n", 1)[1]  # drop the first comment line
    OUT.mkdir(exist_ok=True)
    for old in OUT.glob("*.yaml"):
        old.unlink()
    for name, case in CASES.items():
        stem = f"{name}2099"
        text = body.replace("study_id: minimal2099", f"study_id: {stem}")
        if case is None:
            continue
        old, new, path, message, marker, count = case
        if text.count(old) != count:
            raise SystemExit(f"{name}: the text to replace occurs {text.count(old)} times")
        text = text.replace(old, new)
        for extra_old, extra_new in EXTRA.get(name, []):
            text = text.replace(extra_old, extra_new, 1)
        header = 2 if marker is not None else 1
        line = _line(text, marker, header)
        head = f"# expect: {path}: {message}\n" + (f"# line: {line}\n" if line else "")
        (OUT / f"{stem}.yaml").write_text(head + text, "utf-8")
    # special cases
    text = body.replace("study_id: minimal2099", "study_id: other2099")
    (OUT / "study_id_mismatch2099.yaml").write_text(
        "# expect: study_id: study id 'other2099' differs from the file name 'study_id_mismatch2099'\n"
        f"# line: {_line(text, 'study_id:', 2)}\n" + text, "utf-8")
    text = body.replace("study_id: minimal2099", "study_id: Bad-Id2099")
    (OUT / "Bad-Id2099.yaml").write_text(
        "# expect: study_id: is not a study id\n"
        f"# line: {_line(text, 'study_id:', 2)}\n" + text, "utf-8")
    (OUT / "empty2099.yaml").write_text("# expect: (file): the file is empty\n\n# nothing else\n", "utf-8")
    (OUT / "top_level_list2099.yaml").write_text(
        "# expect: (file): the top level must be a mapping\n# line: 3\n- schema_version: 1\n- study_id: x\n",
        "utf-8")
    text = body.replace("study_id: minimal2099", "study_id: not_utf82099")
    raw = ("# expect: (file): not UTF-8\n" f"# line: {_line(text, '  title:', 2)}\n" + text).encode("utf-8")
    raw = raw.replace(b"Tofacitinib in three patients", "Tofacitinib in three patients \u00e9".encode("latin-1"))
    (OUT / "not_utf82099.yaml").write_bytes(raw)


if __name__ == "__main__":
    main()
