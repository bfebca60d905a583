"""Prior therapies: counts per series and therapy, agents per patient, patient x therapy matrix.

Stage "tables" (from validated extractions; no pooling). Two sources, as the extraction holds
them (docs/extraction-schema.md):

- ``patients.rows[].values[<therapies column>]``: per-patient lists ``{drug, printed, markers}``
  with the column's ``status`` (``failed`` or ``received``; default ``received``: we do not
  upgrade "received" to "failed" unless the paper says so); a footnote marker whose meaning is
  ``active_at_start`` marks the entry as still active when the JAK inhibitor started (counted
  separately, as a subset of the patients listed);
- ``prior_therapies.aggregate``: counts the paper reports ``{drug, status, scope, count, total}``.

Counts derived from patient rows are used where a series has them; reported aggregate counts
otherwise. "not reported" stays distinct from 0.
"""

from __future__ import annotations

from dataclasses import dataclass

from .vocab import DRUGS

NOT_REPORTED = "not reported"


@dataclass(frozen=True)
class TherapyMatrix:
    label: str
    patients: list[str]
    therapies: list[str]  # drug ids, ordered by class then name
    status: dict[tuple[str, str], str]  # (patient, drug id) -> failed/received/active_at_start


def _label(study: dict) -> str:
    authors = study["citation"].get("authors") or ["Anonymous"]
    return f"{str(authors[0]).split(' ')[0]} {study['citation']['year']}"


def _therapy_columns(study: dict) -> list[dict]:
    patients = study.get("patients")
    if not isinstance(patients, dict):
        return []
    return [c for c in patients.get("columns", []) if c.get("type") == "therapies"]


def _marker_meanings(study: dict) -> dict[str, str]:
    patients = study.get("patients") or {}
    return {f.get("marker"): f.get("meaning") for f in patients.get("footnotes", []) or []
            if isinstance(f, dict)}


def _order(drug_ids) -> list[str]:
    def key(d):
        drug = DRUGS.get(d)
        return ((drug.drug_class if drug else "~").casefold(), (drug.name if drug else d).casefold())

    return sorted(set(drug_ids), key=key)


def patient_therapy_matrix(study: dict) -> TherapyMatrix | None:
    """The patients x prior-therapies matrix of a series with patient rows, else ``None``."""
    columns = _therapy_columns(study)
    if not columns:
        return None
    meanings = _marker_meanings(study)
    status: dict[tuple[str, str], str] = {}
    patients = []
    for row in study["patients"]["rows"]:
        pid = str(row["id"])
        patients.append(pid)
        for column in columns:
            items = row["values"].get(column["key"])
            if not isinstance(items, list):
                continue
            for item in items:
                marks = [meanings.get(m) for m in item.get("markers", [])]
                value = "active_at_start" if "active_at_start" in marks else column.get("status", "received")
                previous = status.get((pid, item["drug"]))
                if previous != "active_at_start":
                    status[(pid, item["drug"])] = value
    therapies = _order(d for _, d in status)
    return TherapyMatrix(_label(study), patients, therapies, status)


@dataclass(frozen=True)
class TherapyCount:
    study: str
    drug: str
    status: str
    count: int | None  # None: not reported
    total: int | None
    source: str  # "patient rows" or the location of the reported figure


def therapy_counts(study_id: str, study: dict) -> list[TherapyCount]:
    """Per therapy and status: counts from patient rows if any, else the reported aggregates."""
    matrix = patient_therapy_matrix(study)
    out = []
    if matrix is not None:
        n = len(matrix.patients)
        column_status = {c.get("status", "received") for c in _therapy_columns(study)}
        listed_status = "failed" if column_status == {"failed"} else "received"
        for drug in matrix.therapies:
            listed = sum(1 for p in matrix.patients if (p, drug) in matrix.status)
            active = sum(1 for p in matrix.patients if matrix.status.get((p, drug)) == "active_at_start")
            # every listed patient had the therapy (failed, as the column says); those marked
            # active at the start are a subset, reported separately
            out.append(TherapyCount(study_id, drug, listed_status, listed, n, "patient rows"))
            if active:
                out.append(TherapyCount(study_id, drug, "active_at_start", active, n, "patient rows"))
        return out
    prior = study.get("prior_therapies")
    aggregate = prior.get("aggregate", []) if isinstance(prior, dict) else []
    for item in aggregate if isinstance(aggregate, list) else []:
        if not isinstance(item, dict) or item.get("scope", "all") != "all":
            continue
        count = item.get("count")
        total = item.get("total")
        out.append(TherapyCount(
            study_id, item["drug"], item["status"],
            None if count == NOT_REPORTED else count,
            None if total == NOT_REPORTED else total,
            item.get("location", "derived")))
    return out


def _cell(count: TherapyCount) -> str:
    status = count.status.replace("_", " ")
    if count.count is None:
        return f"{NOT_REPORTED} ({status})"
    if count.total in (None, 0):
        return f"{count.count}/? ({status})"
    return f"{count.count}/{count.total} ({100 * count.count / count.total:.1f}%) {status}"


def prior_therapy_table(studies: dict[str, dict]):
    """Wide table: one row per therapy (grouped by class), one column per series.

    A cell is "n/N (%) status"; several statuses are joined by "; "; a therapy a series does not
    mention is "-" (not mentioned), distinct from a count of 0 and from "not reported".
    """
    import pandas as pd

    counts = [c for sid in sorted(studies) for c in therapy_counts(sid, studies[sid])]
    drugs = _order(c.drug for c in counts)
    labels = {sid: _label(studies[sid]) for sid in sorted(studies)}
    rows = []
    for drug in drugs:
        info = DRUGS.get(drug)
        row = {"class": info.drug_class if info else "unknown",
               "therapy": info.name if info else drug, "atc": (info.atc if info and info.atc else "")}
        for sid, label in labels.items():
            cells = [_cell(c) for c in counts if c.study == sid and c.drug == drug]
            row[label] = "; ".join(cells) if cells else "-"
        rows.append(row)
    return pd.DataFrame(rows, columns=["class", "therapy", "atc", *labels.values()])


def prior_therapy_long(studies: dict[str, dict]):
    """Tidy table: study, drug, class, atc, status, count, total, source (machine-readable)."""
    import pandas as pd

    rows = []
    for sid in sorted(studies):
        for c in therapy_counts(sid, studies[sid]):
            info = DRUGS.get(c.drug)
            rows.append({"study": sid, "drug": c.drug,
                         "class": info.drug_class if info else "unknown",
                         "atc": info.atc if info and info.atc else "", "status": c.status,
                         "count": NOT_REPORTED if c.count is None else c.count,
                         "total": NOT_REPORTED if c.total is None else c.total,
                         "source": c.source})
    return pd.DataFrame(rows, columns=["study", "drug", "class", "atc", "status", "count",
                                       "total", "source"])


def agents_per_patient(studies: dict[str, dict]):
    """Number of distinct prior agents per patient (mean, median, range) where rows allow."""
    import statistics

    import pandas as pd

    rows = []
    for sid in sorted(studies):
        matrix = patient_therapy_matrix(studies[sid])
        if matrix is None:
            continue
        per_patient = [sum(1 for d in matrix.therapies if (p, d) in matrix.status)
                       for p in matrix.patients]
        rows.append({"study": matrix.label, "patients": len(per_patient),
                     "mean": round(statistics.fmean(per_patient), 2),
                     "sd": round(statistics.stdev(per_patient), 2) if len(per_patient) > 1 else None,
                     "median": statistics.median(per_patient),
                     "min": min(per_patient), "max": max(per_patient)})
    return pd.DataFrame(rows, columns=["study", "patients", "mean", "sd", "median", "min", "max"])


def concomitant_long(studies: dict[str, dict]):
    """Tidy table of concomitant (co- or rescue) therapies, ``intervention.concomitant``: given
    with or after the JAK inhibitor, so never counted as prior therapies. Columns: study, drug,
    class, scope, count, total, text, source ("not reported" stays distinct from 0)."""
    import pandas as pd

    rows = []
    for sid in sorted(studies):
        items = studies[sid].get("intervention", {}).get("concomitant")
        for item in items if isinstance(items, list) else []:
            drug = item.get("drug", "")
            info = DRUGS.get(drug)
            rows.append({"study": sid, "drug": drug or NOT_REPORTED,
                         "class": info.drug_class if info else "",
                         "scope": item.get("scope", "all"),
                         "count": item.get("count", NOT_REPORTED),
                         "total": item.get("total", NOT_REPORTED), "text": item.get("text", ""),
                         "source": item.get("location", "derived")})
    return pd.DataFrame(rows, columns=["study", "drug", "class", "scope", "count", "total",
                                       "text", "source"])
