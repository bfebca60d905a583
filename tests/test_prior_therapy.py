"""Prior-therapy tables: counts from patient rows or reported aggregates; '-' vs 'not reported'."""

from jakisynth.synthesis.prior_therapy import (
    agents_per_patient,
    patient_therapy_matrix,
    prior_therapy_long,
    prior_therapy_table,
)


def series(author, year, **extra):
    return {"citation": {"authors": [author], "year": year}, **extra}


PATIENT_LEVEL = series("Beck M", 2024, patients={
    "columns": [{"key": "prior", "header": "Prior", "type": "therapies", "status": "failed"}],
    "footnotes": [{"marker": "*", "meaning": "active_at_start"}],
    "rows": [
        {"id": "P1", "values": {"prior": [{"drug": "methotrexate", "printed": "MTX*", "markers": ["*"]},
                                          {"drug": "azathioprine", "printed": "AZA", "markers": []}]}},
        {"id": "P2", "values": {"prior": [{"drug": "methotrexate", "printed": "MTX", "markers": []}]}},
    ]})
AGGREGATE = series("Lee K", 2023, prior_therapies={"level": "aggregate", "aggregate": [
    {"drug": "infliximab", "status": "failed", "scope": "all", "count": 4, "total": 10},
    {"drug": "tocilizumab", "status": "received", "scope": "all", "count": "not reported", "total": 10}]})


def test_matrix_from_patient_rows_keeps_active_at_start():
    matrix = patient_therapy_matrix(PATIENT_LEVEL)
    assert matrix.patients == ["P1", "P2"]
    assert matrix.status[("P1", "methotrexate")] == "active_at_start"
    assert matrix.status[("P2", "methotrexate")] == "failed"
    assert patient_therapy_matrix(AGGREGATE) is None


def test_wide_table_cells_and_not_reported_distinct_from_absent():
    table = prior_therapy_table({"beck2024": PATIENT_LEVEL, "lee2023": AGGREGATE})
    cells = {row["therapy"]: row for row in table.to_dict(orient="records")}
    assert cells["methotrexate"]["Beck 2024"] == "2/2 (100.0%) failed; 1/2 (50.0%) active at start"
    assert cells["methotrexate"]["Lee 2023"] == "-"
    assert cells["infliximab"]["Lee 2023"] == "4/10 (40.0%) failed"
    assert cells["tocilizumab"]["Lee 2023"] == "not reported (received)"
    assert cells["infliximab"]["atc"] == "L04AB02"
    long = prior_therapy_long({"lee2023": AGGREGATE})
    assert list(long["count"]) == [4, "not reported"]


def test_agents_per_patient():
    frame = agents_per_patient({"beck2024": PATIENT_LEVEL, "lee2023": AGGREGATE})
    row = frame.iloc[0]
    assert (row["study"], row["patients"], row["mean"], row["median"], row["min"], row["max"]) == (
        "Beck 2024", 2, 1.5, 1.5, 1, 2)


# A series with a "failed" and a "received" therapies column: the validator's cross-check and the
# tables read the same rule (evidence/series.py), so they cannot disagree again.
TWO_COLUMNS = {
    "study_id": "two2099", **series("Two A", 2099, patients={
        "columns": [{"key": "failed", "header": "Failed", "type": "therapies", "status": "failed"},
                    {"key": "other", "header": "Other", "type": "therapies"}],
        "rows": [
            {"id": "P1", "values": {"failed": [{"drug": "methotrexate", "printed": "MTX",
                                                "markers": []}]}},
            {"id": "P2", "values": {"other": [{"drug": "methotrexate", "printed": "MTX",
                                               "markers": []}]}},
        ]})}


def test_two_therapy_columns_give_failed_and_received_counts():
    from jakisynth.evidence.series import Series
    from jakisynth.synthesis.prior_therapy import therapy_counts

    assert Series("two2099", TWO_COLUMNS).therapy_counts() == {
        ("methotrexate", "received"): 2, ("methotrexate", "failed"): 1}
    got = {(c.status, c.count, c.total) for c in therapy_counts("two2099", TWO_COLUMNS)}
    assert got == {("failed", 1, 2), ("received", 2, 2)}
    cell = prior_therapy_table({"two2099": TWO_COLUMNS}).iloc[0]["Two 2099"]
    assert cell == "1/2 (50.0%) failed; 2/2 (100.0%) received"
    matrix = patient_therapy_matrix(TWO_COLUMNS)
    assert matrix.status == {("P1", "methotrexate"): "failed", ("P2", "methotrexate"): "received"}


def test_validate_accepts_the_aggregate_that_the_rows_give():
    import yaml

    from jakisynth.evidence.validate import cross_field_problems
    from jakisynth.evidence.yamlio import load_yaml_text

    data = dict(TWO_COLUMNS, prior_therapies={"aggregate": [
        {"drug": "methotrexate", "status": "failed", "scope": "all", "count": 1, "total": 2},
        {"drug": "methotrexate", "status": "received", "scope": "all", "count": 3, "total": 2}]})
    loaded = load_yaml_text(yaml.safe_dump(data), "two2099.yaml")
    messages = [p.message for p in cross_field_problems(loaded)]
    assert any("reported 3 patients with methotrexate (received), but the patient rows give 2" in m
               for m in messages)
    assert not any("(failed)" in m for m in messages)
def test_concomitant_therapies_are_tabulated_apart_from_prior_therapies():
    from pathlib import Path

    from jakisynth.evidence.validate import load_evidence
    from jakisynth.synthesis.prior_therapy import concomitant_long, prior_therapy_long

    root = Path(__file__).resolve().parent.parent
    studies = {sid: item.data for sid, item in load_evidence(root / "evidence").items()}
    concomitant = concomitant_long(studies)
    liu = concomitant[(concomitant.study == "Liu 2024") & (concomitant.scope == "all")]
    assert dict(zip(liu.therapy, liu["count"])) == {
        "intravenous immunoglobulin": 30, "tocilizumab": 2, "abatacept": 1, "plasma exchange": 2,
        "ciclosporin": 2, "hydroxychloroquine": 2, "tacrolimus": 1, "mycophenolate mofetil": 1}
    prior = prior_therapy_long(studies)
    assert set(prior[prior.study == "liu2024"].drug) == {"systemic_glucocorticoid"}
    wang = prior[prior.study == "wang2023"]
    assert list(wang["count"]) == ["not reported", "not reported"]
