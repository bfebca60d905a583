"""Prior-therapy tables: counts from patient rows or reported aggregates; '-' vs 'not reported'."""

from jakisynth.prior_therapy import (agents_per_patient, patient_therapy_matrix,
                                     prior_therapy_long, prior_therapy_table)


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


def test_concomitant_therapies_are_tabulated_apart_from_prior_therapies():
    from pathlib import Path

    from jakisynth.prior_therapy import concomitant_long, prior_therapy_long
    from jakisynth.validate import load_evidence

    root = Path(__file__).resolve().parent.parent
    studies = {sid: item.data for sid, item in load_evidence(root / "evidence").items()}
    concomitant = concomitant_long(studies)
    liu = concomitant[(concomitant.study == "liu2024") & (concomitant.scope == "all")]
    assert dict(zip(liu.drug, liu["count"])) == {
        "ivig": 30, "tocilizumab": 2, "abatacept": 1, "plasma_exchange": 2, "cyclosporine": 2,
        "hydroxychloroquine": 2, "tacrolimus": 1, "mycophenolate_mofetil": 1}
    prior = prior_therapy_long(studies)
    assert set(prior[prior.study == "liu2024"].drug) == {"systemic_glucocorticoid"}
    wang = prior[prior.study == "wang2023"]
    assert list(wang["count"]) == ["not reported", "not reported"]
