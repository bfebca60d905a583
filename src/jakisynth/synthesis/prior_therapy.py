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

from ..evidence.series import NOT_REPORTED, as_series, most_specific, reported
from ..evidence.vocab import DRUGS


@dataclass(frozen=True)
class TherapyMatrix:
    label: str
    patients: list[str]
    therapies: list[str]  # drug ids, ordered by class then name
    status: dict[tuple[str, str], str]  # (patient, drug id) -> failed/received/active_at_start


def _order(drug_ids) -> list[str]:
    def key(d):
        drug = DRUGS.get(d)
        return ((drug.drug_class if drug else "~").casefold(), (drug.name if drug else d).casefold())

    return sorted(set(drug_ids), key=key)


def patient_therapy_matrix(study, study_id: str = "") -> TherapyMatrix | None:
    """The patients x prior-therapies matrix of a series with patient rows, else ``None``.

    Each cell shows the most specific status of that patient and drug (evidence/series.py)."""
    series = as_series(study_id, study)
    if not series.therapy_columns():
        return None
    status = {key: most_specific(found) for key, found in series.therapy_statuses().items()}
    therapies = _order(d for _, d in status)
    return TherapyMatrix(series.label, series.patient_ids(), therapies, status)


@dataclass(frozen=True)
class TherapyCount:
    study: str
    drug: str
    status: str
    count: int | None  # None: not reported
    total: int | None
    source: str  # "patient rows" or the location of the reported figure


def therapy_counts(study_id: str, study) -> list[TherapyCount]:
    """Per therapy and status: counts from patient rows if any, else the reported aggregates.

    From patient rows (the rule in evidence/series.py): "failed" and "active at start" where any
    patient has them, and "received" where it counts more patients than "failed" (a series with
    one failed-therapies column shows "failed" only, as its table says)."""
    series = as_series(study_id, study)
    if series.therapy_columns():
        n = len(series.patient_ids())
        counts = series.therapy_counts()
        out = []
        for drug in _order(d for d, _ in counts):
            failed, received = counts.get((drug, "failed"), 0), counts.get((drug, "received"), 0)
            if failed:
                out.append(TherapyCount(study_id, drug, "failed", failed, n, "patient rows"))
            if received != failed:
                out.append(TherapyCount(study_id, drug, "received", received, n, "patient rows"))
            active = counts.get((drug, "active_at_start"), 0)
            if active:
                out.append(TherapyCount(study_id, drug, "active_at_start", active, n, "patient rows"))
        return out
    prior = series.data.get("prior_therapies")
    aggregate = prior.get("aggregate", []) if isinstance(prior, dict) else []
    out = []
    for item in aggregate if isinstance(aggregate, list) else []:
        if not isinstance(item, dict) or item.get("scope", "all") != "all":
            continue
        out.append(TherapyCount(study_id, item["drug"], item["status"], reported(item.get("count")),
                                reported(item.get("total")), item.get("location", "derived")))
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
    labels = {sid: as_series(sid, studies[sid]).label for sid in sorted(studies)}
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
        matrix = patient_therapy_matrix(studies[sid], sid)
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
    with or after the JAK inhibitor, so never counted as prior therapies. Columns: study (label),
    therapy (vocabulary name), class, scope, count, total, text, source ("not reported" stays
    distinct from 0)."""
    import pandas as pd

    rows = []
    for sid in sorted(studies):
        items = studies[sid].get("intervention", {}).get("concomitant")
        for item in items if isinstance(items, list) else []:
            drug = item.get("drug", "")
            info = DRUGS.get(drug)
            rows.append({"study": as_series(sid, studies[sid]).label,
                         "therapy": info.name if info else (drug or NOT_REPORTED),
                         "class": info.drug_class if info else "",
                         "scope": item.get("scope", "all"),
                         "count": item.get("count", NOT_REPORTED),
                         "total": item.get("total", NOT_REPORTED), "text": item.get("text", ""),
                         "source": item.get("location", "derived")})
    return pd.DataFrame(rows, columns=["study", "therapy", "class", "scope", "count", "total",
                                       "text", "source"])
