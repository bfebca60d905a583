"""Overlapping cohorts: two series that may report the same patients.

Stage "evidence". Groups publish a series, then an extended series from the same centre and years;
pooling both counts those patients twice. Two series *may overlap* when their enrolment periods
intersect and they share

- a centre: an institution named in both settings (``design.setting.text``: "Zhongshan
  Hospital", "University of Toronto"), or the same setting text; or
- an author (surname and initials, "Liu Q").

A series whose enrolment period is not reported cannot be placed in time and is not paired
(precision first: the pair is reported only on evidence). Each pair is an error of the analysis
plan until its ``overlaps:`` block records the decision (keep both, keep one, or use one for a
subset) with a reason (docs/analysis-plan.md); the report lists every pair and its decision.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from .series import NOT_REPORTED

_INSTITUTION = re.compile(
    r"((?:[A-Z][\w'’.-]*\s+){0,4}(?:Hospital|Clinic|Clinics|Centre|Center|Infirmary|Institute|"
    r"Medical School)\b|University of(?:\s+[A-Z][\w'’.-]*){1,4})")
_WEAK = {"hospital", "clinic", "clinics", "centre", "center", "institute", "infirmary",
         "general hospital", "university hospital", "medical center", "medical centre"}


@dataclass(frozen=True)
class Overlap:
    """Two series that may share patients, and why (``evidence``: one phrase per reason)."""

    a: str
    b: str
    evidence: tuple[str, ...]

    @property
    def pair(self) -> frozenset[str]:
        return frozenset((self.a, self.b))

    def __str__(self) -> str:
        return f"{self.a} and {self.b} may report the same patients: {'; '.join(self.evidence)}"


def institutions(text: str) -> set[str]:
    """Institution names in a setting text (case folded), without generic words alone."""
    found = {re.sub(r"\s+", " ", m.group(1)).strip().casefold() for m in _INSTITUTION.finditer(text)}
    return {f for f in found if f not in _WEAK}


def _setting(data: Mapping) -> str:
    setting = (data.get("design") or {}).get("setting")
    text = setting.get("text") if isinstance(setting, Mapping) else setting
    return "" if text in (None, NOT_REPORTED) else str(text)


def _period(data: Mapping) -> tuple[str, str] | None:
    period = (data.get("design") or {}).get("enrolment_period")
    if not isinstance(period, Mapping):
        return None
    start, end = period.get("start"), period.get("end")
    if not isinstance(start, str) or not isinstance(end, str) or NOT_REPORTED in (start, end):
        return None
    return start, end


def _authors(data: Mapping) -> set[str]:
    return {re.sub(r"\s+", " ", str(a)).strip().casefold()
            for a in (data.get("citation") or {}).get("authors") or [] if a != NOT_REPORTED}


def pair_evidence(a: Mapping, b: Mapping) -> tuple[str, ...]:
    """Why two extractions may overlap (empty: no evidence of overlap)."""
    pa, pb = _period(a), _period(b)
    if pa is None or pb is None or pa[0] > pb[1] or pb[0] > pa[1]:  # "YYYY-MM" sorts by date
        return ()
    reasons = []
    sa, sb = _setting(a), _setting(b)
    shared = sorted(institutions(sa) & institutions(sb))
    if shared:
        reasons.append(f"shared centre {', '.join(repr(s) for s in shared)}")
    elif sa and sa.casefold() == sb.casefold():
        reasons.append(f"the same setting {sa!r}")
    authors = sorted(_authors(a) & _authors(b))
    if authors:
        reasons.append(f"shared author(s) {', '.join(authors)}")
    if not reasons:
        return ()
    return (*reasons, f"enrolment {pa[0]} to {pa[1]} and {pb[0]} to {pb[1]} overlap")


def find_overlaps(studies: Mapping[str, Mapping]) -> list[Overlap]:
    """Every pair of series (by sorted study id) that may report the same patients."""
    ids = sorted(studies)
    out = []
    for i, x in enumerate(ids):
        for y in ids[i + 1:]:
            evidence = pair_evidence(studies[x], studies[y])
            if evidence:
                out.append(Overlap(x, y, evidence))
    return out
