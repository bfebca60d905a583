"""A typed, read-only view of one validated series: every later stage reads an extraction here.

Stage "evidence". The raw extraction (a dict from :mod:`~jakisynth.evidence.yamlio`) follows the
schema in ``schema/extraction.schema.json``; this view names what the synthesis, the tables and
the report need, so that a domain rule (the study label, "not reported", an outcome's result, the
therapy status of a patient) is written once. It never changes the extraction.

The therapy-status rule (docs/extraction-schema.md, "Patient rows"): a patient listed in a
``therapies`` column *received* that drug; a column whose ``status`` is ``failed`` says the
therapy also *failed*; a footnote marker whose meaning is ``active_at_start`` says it was still
active when the JAK inhibitor started. The statuses nest (active or failed ⊂ received), so
"received" counts every patient listed in any therapies column.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

NOT_REPORTED = "not reported"
STATUSES = ("received", "failed", "active_at_start")  # in increasing specificity


def reported(value):
    """``value``, or ``None`` when the extraction says it is not reported."""
    return None if value == NOT_REPORTED else value


def block_value(block, key: str = "value"):
    """The ``key`` of a provenance block, or ``NOT_REPORTED`` (absent, null or not reported)."""
    if isinstance(block, Mapping):
        found = block.get(key, NOT_REPORTED)
        return NOT_REPORTED if found is None else found
    return NOT_REPORTED if block is None else block


@dataclass(frozen=True)
class Series:
    """Read-only view of the extraction of series ``id`` (``data`` is the validated dict)."""

    id: str
    data: Mapping[str, Any]

    def __post_init__(self):
        object.__setattr__(self, "data", MappingProxyType(dict(self.data)))

    # ---- citation --------------------------------------------------------------------------
    @property
    def citation(self) -> Mapping[str, Any]:
        return self.data["citation"]

    @property
    def label(self) -> str:
        """'Surname Year' from the first author ("Liu Q" -> "Liu 2024")."""
        authors = self.citation.get("authors") or ["Anonymous"]
        return f"{str(authors[0]).split(' ')[0]} {self.citation['year']}"

    @property
    def publication_date(self) -> str:
        return str(self.citation["publication_date"])

    @property
    def drug(self) -> str:
        return str(self.data["intervention"]["drug"])


    # ---- outcomes --------------------------------------------------------------------------
    def outcome(self, outcome_id: str) -> Mapping[str, Any]:
        for o in self.data.get("outcomes") or []:
            if o["id"] == outcome_id:
                return o
        raise KeyError(f"{self.id}: no outcome {outcome_id!r}")

    def result(self, outcome_id: str, scope: str) -> Mapping[str, Any]:
        """The ``results`` entry of ``outcome_id`` for ``scope`` (``all`` or a stratum id)."""
        for r in self.outcome(outcome_id)["results"]:
            if r["scope"] == scope:
                return r
        raise KeyError(f"{self.id}: outcome {outcome_id!r} has no result for scope {scope!r}")

    def strata_scopes(self, outcome_id: str) -> list[str]:
        """The stratum scopes that ``outcome_id`` reports results for (``all`` excluded)."""
        return [r["scope"] for r in self.outcome(outcome_id)["results"] if r["scope"] != "all"]

    def stratum_label(self, scope: str) -> str:
        for s in self.data.get("strata") or []:
            if isinstance(s, Mapping) and s.get("id") == scope:
                return s.get("label", scope)
        return scope

    # ---- patient rows and therapies --------------------------------------------------------
    @property
    def patients(self) -> Mapping[str, Any] | None:
        patients = self.data.get("patients")
        return patients if isinstance(patients, Mapping) else None

    def patient_ids(self) -> list[str]:
        return [str(row["id"]) for row in (self.patients or {}).get("rows", [])]

    def therapy_columns(self) -> list[Mapping[str, Any]]:
        return [c for c in (self.patients or {}).get("columns", []) if c.get("type") == "therapies"]

    def _marker_meanings(self) -> dict[str, str]:
        return {f.get("marker"): f.get("meaning")
                for f in (self.patients or {}).get("footnotes", []) or [] if isinstance(f, Mapping)}

    def _row_statuses(self) -> list[dict[str, set[str]]]:
        """Per patient row (in order): drug id -> the statuses that apply to it."""
        columns = self.therapy_columns()
        meanings = self._marker_meanings()
        out = []
        for row in (self.patients or {}).get("rows", []) if columns else []:
            found: dict[str, set[str]] = {}
            for column in columns:
                items = row.get("values", {}).get(column["key"])
                for item in items if isinstance(items, list) else []:
                    statuses = found.setdefault(item["drug"], {"received"})
                    statuses.add(column.get("status", "received"))
                    if "active_at_start" in {meanings.get(m) for m in item.get("markers", [])}:
                        statuses.add("active_at_start")
            out.append(found)
        return out

    def therapy_statuses(self) -> dict[tuple[str, str], frozenset[str]]:
        """(patient id, drug id) -> the statuses that apply (the rule in the module docstring)."""
        merged: dict[tuple[str, str], set[str]] = {}
        for pid, found in zip(self.patient_ids(), self._row_statuses()):
            for drug, statuses in found.items():
                merged.setdefault((pid, drug), set()).update(statuses)
        return {key: frozenset(value) for key, value in merged.items()}

    def therapy_counts(self) -> dict[tuple[str, str], int]:
        """(drug id, status) -> number of patient rows with that status."""
        counts: dict[tuple[str, str], int] = {}
        for found in self._row_statuses():
            for drug, statuses in found.items():
                for status in statuses:
                    counts[(drug, status)] = counts.get((drug, status), 0) + 1
        return counts


def most_specific(statuses) -> str:
    """The status a matrix cell shows: active at start, else failed, else received."""
    return max(statuses, key=STATUSES.index)


def as_series(study_id: str, study) -> Series:
    """``study`` as a :class:`Series` (it may already be one)."""
    return study if isinstance(study, Series) else Series(study_id, study)
