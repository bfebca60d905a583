"""The committed evidence base: valid, and every quote found in its source text.

The quote check needs the seed texts, which live outside the repository (../shared/seeds/); it
runs when they are there (as in CI) and is skipped otherwise.
"""

from pathlib import Path

import pytest
from click.testing import CliRunner

from jakisynth.cli import main
from jakisynth.evidence.validate import load_evidence

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"


def test_evidence_is_valid():
    studies = load_evidence(ROOT / "evidence")
    assert sorted(studies) == ["beckett2024", "liu2024", "wang2023"]
    assert len(studies["beckett2024"].data["patients"]["rows"]) == 10
    liu_rows = sum(len(t["rows"]) for t in studies["liu2024"].data["characteristics"])
    assert liu_rows == 62  # every row of Tables 1 (28) and 2 (34)


@pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/seeds/ not present")
def test_every_quote_occurs_in_its_source_and_contains_its_numbers():
    result = CliRunner().invoke(main, ["validate", str(ROOT / "evidence"), "--sources", str(SEEDS)])
    assert result.exit_code == 0, result.output


# --- Issue 10: extraction fixes and omissions found by reading the seeds -------------------------

def _data():
    return {sid: item.data for sid, item in load_evidence(ROOT / "evidence").items()}


def _outcome(study, oid):
    return next(o for o in study["outcomes"] if o["id"] == oid)


def test_beckett_publication_date_is_the_year_only():
    # the source gives volume and issue (2024;10(1)) but no month
    assert _data()["beckett2024"]["citation"]["publication_date"] == "2024"


def test_wang_prior_therapy_counts_are_not_reported_and_the_statement_is_kept():
    wang = _data()["wang2023"]["prior_therapies"]
    assert [(a["drug"], a["count"]) for a in wang["aggregate"]] == [
        ("systemic_glucocorticoid", "not reported"), ("antimetabolite", "not reported")]
    assert "such as systemic glucocorticoid" in wang["statement"]["quote"]


def test_beckett_patient_1_is_counted_separately_off_upadacitinib():
    beckett = _data()["beckett2024"]
    p1 = next(r for r in beckett["patients"]["rows"] if r["id"] == "P1")
    assert "UPA" not in p1["values"]["current_dmards"]  # current drugs CP, TAC
    on_drug = _outcome(beckett, "cutaneous_improvement_on_upadacitinib")["results"][0]
    assert (on_drug["events"], on_drug["total"]) == (7, 8)
    assert (_outcome(beckett, "cutaneous_improvement")["results"][0]["events"]) == 8


def test_beckett_improvement_has_no_authors_definition():
    outcome = _outcome(_data()["beckett2024"], "cutaneous_improvement")
    assert outcome["definition"] == "not reported"
    assert "CDASI" in outcome["measure"]["quote"]  # the instrument, not a responder definition


def test_beckett_dagger_footnote_belongs_to_time_on_upa():
    beckett = _data()["beckett2024"]
    dagger = next(f for f in beckett["patients"]["footnotes"] if f["marker"] == "†")
    assert dagger["applies_to"] == ["time_on_upa"]
    assessed = _outcome(beckett, "cutaneous_improvement")["assessed"]
    assert "†" not in assessed["location"] and assessed["quote"] == "CDASI, current"


def test_footnote_on_a_column_without_its_marker_is_refused(tmp_path):
    text = (ROOT / "evidence" / "beckett2024.yaml").read_text("utf-8")
    text = text.replace("applies_to: [time_on_upa]", "applies_to: [cdasi_current]")
    (tmp_path / "beckett2024.yaml").write_text(text, "utf-8")
    from jakisynth.evidence.validate import validate_paths

    _, problems = validate_paths(tmp_path / "beckett2024.yaml")
    assert any("cdasi_current" in p.message and "'†'" in p.message for p in problems)


def test_liu_fatal_infections_are_serious():
    events = _data()["liu2024"]["safety"]["adverse_events"]
    fatal = next(e for e in events if "fatal (septic shock)" in e["event"])
    assert (fatal["count"], fatal["serious"]) == (2, True)
    assert sum(e["count"] for e in events) == 4


def test_liu_co_therapies_are_concomitant_not_prior():
    liu = _data()["liu2024"]
    prior = {a["drug"] for a in liu["prior_therapies"]["aggregate"]}
    assert prior == {"systemic_glucocorticoid"}
    concomitant = {c["drug"]: c["count"] for c in liu["intervention"]["concomitant"]
                   if "scope" not in c}
    assert concomitant == {"ivig": 30, "tocilizumab": 2, "abatacept": 1, "plasma_exchange": 2,
                           "cyclosporine": 2, "hydroxychloroquine": 2, "tacrolimus": 1,
                           "mycophenolate_mofetil": 1}


def test_liu_country_is_quoted_from_the_affiliations():
    countries = _data()["liu2024"]["design"]["countries"]
    assert countries["values"] == ["China"] and "Shanghai 200032, China" in countries["quote"]


def test_liu_remission_has_no_assessment_time_point():
    assert _outcome(_data()["liu2024"], "remission")["assessed"] == "not reported"


def test_liu_omissions_are_extracted():
    liu = _data()["liu2024"]
    indications = {i["term"]: i["count"] for i in liu["intervention"]["indications"]}
    assert indications == {"ir_myocarditis": 46, "ir_hepatitis": 2, "ir_pneumonitis": 2,
                           "ir_myositis": 3}
    assert sum(indications.values()) == 53
    remission = _outcome(liu, "remission")
    assert [(f["scope"], f["count"]) for f in remission["failures"]] == [
        ("life_threatening", 5), ("steroid_resistant", 1)]  # the 6 failures of Table 2
    assert "cTnT" in remission["measure"]["quote"]
    assert "pulmonary" in liu["safety"]["infections"]["text"]
    assert liu["safety"]["other"][0]["count"] == 1 and "rechallenge" in liu["safety"]["other"][0]["event"]
    stats = {s["id"]: s for s in liu["reported_statistics"]}
    assert [stats[f"text_median_os_{k}"]["value"] for k in
            ("life_threatening", "steroid_resistant", "taper_failure")] == [4.0, 16.6, 22.8]
    assert stats["text_os_strata_logrank_p"]["test"] == "log_rank"
    assert stats["text_os_strata_logrank_p"]["value"] == 0.07


def test_beckett_omissions_are_extracted():
    beckett = _data()["beckett2024"]
    for oid in ("arthritis_remission_assd", "ild_improvement_assd"):
        r = _outcome(beckett, oid)["results"][0]
        assert (r["scope"], r["events"], r["total"]) == ("assd", 2, 2)
    ivig = _outcome(beckett, "ivig_discontinued")["results"][0]
    assert (ivig["events"], ivig["total"]) == (1, 2)
    assert "no reported side effects" in beckett["safety"]["statements"][0]["quote"]
    assert "AbbVie" in beckett["citation"]["competing_interests"]["quote"]


def test_harm_outcomes_keep_not_reported_distinct_from_zero():
    data = _data()
    events = {sid: {o["id"]: o["results"][0]["events"] for o in s["outcomes"]
                    if o.get("role") == "harm"} for sid, s in data.items()}
    assert events == {
        "beckett2024": {"infection": 0, "death_from_infection": 0, "discontinuation_adverse_event": 1},
        "liu2024": {"infection": 4, "death_from_infection": 2,
                    "discontinuation_adverse_event": "not reported"},
        "wang2023": {"infection": "not reported", "death_from_infection": "not reported",
                     "discontinuation_adverse_event": "not reported"}}


def test_concomitant_drugs_and_indications_are_checked_against_the_vocabularies(tmp_path):
    text = (ROOT / "evidence" / "liu2024.yaml").read_text("utf-8")
    text = text.replace("drug: tocilizumab", "drug: tocilizumabb").replace(
        "term: ir_pneumonitis", "term: pneumonitiss")
    (tmp_path / "liu2024.yaml").write_text(text, "utf-8")
    from jakisynth.evidence.validate import validate_paths

    _, problems = validate_paths(tmp_path / "liu2024.yaml")
    where = {p.path for p in problems}
    assert "intervention.concomitant[1].drug" in where or any(
        "tocilizumabb" in p.message for p in problems)
    assert any("pneumonitiss" in p.message for p in problems)


def test_liu_remission_credited_to_abatacept_is_counted_apart():
    liu = _data()["liu2024"]
    credited = {r["scope"]: (r["events"], r["total"])
                for r in _outcome(liu, "remission_credited_to_tofacitinib")["results"]}
    table2 = {r["scope"]: (r["events"], r["total"]) for r in _outcome(liu, "remission")["results"]}
    assert credited == {"all": (46, 53), "life_threatening": (5, 11)}
    assert credited["all"][0] == table2["all"][0] - 1
    assert credited["life_threatening"][0] == table2["life_threatening"][0] - 1
