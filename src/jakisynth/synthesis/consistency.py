"""Consistency check: recompute every reported statistic from the extracted data.

Stage "tables" (after validation; no pooling). For every extraction it yields one
:class:`ConsistencyRow` per checkable statistic, with a verdict:

- ``consistent``: the recomputation reproduces the printed value at its printed precision;
- ``rounding``: it does only after the paper's rounding was adjusted so a category adds up to
  100% (largest remainder), the printed value being one unit off the plain rounding;
- ``inconsistent``: no count, quantile definition or test variant reproduces the printed value, or
  the same quantity is printed with different values in two places, or only a test other than the
  one the paper names reproduces a p value;
- ``not_checkable``: the data needed are not in the paper (e.g. a median without patient rows).

Checks (docs/consistency.md): percentages against counts at the printed precision (GRIM-style,
Brown & Heathers 2017) with round-half-up and round-half-even; categories and strata summing to
their totals; means/SDs and medians/IQRs/ranges recomputed from patient rows with R's nine
quantile definitions (Hyndman & Fan 1996); p values recomputed with the named test and its
variants (exact, normal approximation with and without continuity correction, paired or unpaired;
R's ``wilcox.test``, ``chisq.test``, ``fisher.test``); Wald p values from a hazard ratio's CI
at its ``level``; the same quantity reported in two places.

This module walks the extraction and owns the rows; the checks of reported statistics and
tables are in :mod:`.consistency_checks`, the arithmetic in ``stats`` (``rounding``,
``quantiles``, ``exact_tests``), and the full-text sweep of the source texts (``sources=``) in
:mod:`.sweep`. ``NOT_REPORTED`` is re-exported from :mod:`jakisynth.evidence.series`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..evidence.series import NOT_REPORTED, Series
from ..stats.rounding import decimals, matches
from .consistency_checks import check_reported, check_tables, n_of_block, percentage

COLUMNS = ("study", "location", "quantity", "reported", "recomputed", "verdict", "reason",
           "detail")
VERDICTS = ("consistent", "rounding", "inconsistent", "not_checkable")
#: the reason of a verdict when the check gives no more specific one
REASONS = {"consistent": "reproduced at the printed precision",
           "rounding": "one unit off so that the category adds up to 100%",
           "inconsistent": "the extracted data do not reproduce it",
           "not_checkable": "the data needed are not in the paper"}
__all__ = ["COLUMNS", "VERDICTS", "NOT_REPORTED", "ConsistencyRow", "ConsistencyReport",
           "check_study", "check_evidence"]


@dataclass(frozen=True)
class ConsistencyRow:
    study: str
    location: str
    quantity: str
    reported: str
    recomputed: str
    verdict: str
    reason: str  # the verdict's reason in a few words (the detail gives every number)
    detail: str


@dataclass(frozen=True)
class ConsistencyReport:
    rows: tuple[ConsistencyRow, ...]
    sweep: tuple = ()  # SweepCounts per study, when the full-text sweep ran


    def to_frame(self):
        import pandas as pd

        return pd.DataFrame([asdict(r) for r in self.rows], columns=list(COLUMNS))

    def counts(self) -> dict[str, int]:
        return {v: sum(1 for r in self.rows if r.verdict == v) for v in VERDICTS}

    def to_dict(self) -> dict:
        return {"rows": [asdict(r) for r in self.rows], "counts": self.counts(),
                "sweep": [c.to_dict() for c in self.sweep]}

    def __str__(self) -> str:
        counts = ", ".join(f"{k} {v}" for k, v in self.counts().items())
        lines = [f"Consistency check: {len(self.rows)} statistics ({counts})"]
        for c in self.sweep:
            lines.append(f"  full-text sweep, {c.study}: {c.read} claims read, {c.checked} checked, "
                         f"{c.flagged} inconsistent, {c.rounding} rounding")
        for r in self.rows:
            if r.verdict in ("inconsistent", "rounding"):
                lines.append(f"  {r.verdict}: {r.study} {r.location}: {r.quantity} reported "
                             f"{r.reported}, recomputed {r.recomputed} ({r.detail})")
        return "\n".join(lines)


# ---- per study --------------------------------------------------------------------------------

class _Study:
    """One extraction being checked: its typed view, the raw printed numbers, the rows so far."""

    def __init__(self, loaded):
        self.loaded = loaded
        self.data = loaded.data
        self.sid = self.data.get("study_id", "?")
        self.series = Series(str(self.sid), self.data)
        self.rows: list[ConsistencyRow] = []

    def raw(self, path: tuple, value) -> str:
        return self.loaded.raw.get(path, str(value))

    def add(self, location, quantity, reported, recomputed, verdict, detail, reason=None):
        self.rows.append(ConsistencyRow(self.sid, str(location), str(quantity), str(reported),
                                        str(recomputed), verdict, reason or REASONS[verdict],
                                        detail))

    def patients(self, ids=None):
        patients = self.series.patients
        if patients is None:
            return None
        rows = patients.get("rows", [])
        if ids:
            rows = [r for r in rows if r.get("id") in ids]
        return rows

    def column_values(self, key, ids=None):
        rows = self.patients(ids)
        if rows is None:
            return None
        out = []
        for r in rows:
            v = r.get("values", {}).get(key)
            if isinstance(v, list):
                out.append(len({item.get("drug") for item in v}))
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                out.append(float(v))
        return out


def _check_duplicates(st: _Study):
    seen: dict[str, list] = {}
    for i, s in enumerate(st.data.get("reported_statistics") or []):
        key = (s.get("quantity"), s.get("scope", "all"))
        values = tuple(s.get(k) for k in ("value", "lower", "upper", "sd") if k in s)
        seen.setdefault(key, []).append((s.get("location", "derived"), values,
                                         st.raw(("reported_statistics", i, "value"), s.get("value"))))
    for (quantity, _), entries in seen.items():
        if len(entries) < 2:
            continue
        distinct = {tuple(float(v) for v in e[1]) for e in entries}
        where = " vs ".join(f"{e[0]}: {e[2]}" for e in entries)
        verdict = "consistent" if len(distinct) == 1 else "inconsistent"
        if verdict == "inconsistent":  # the same value printed at another precision is rounding
            finest = max(entries, key=lambda e: decimals(e[2]))
            if all(matches(float(finest[2]), e[2]) for e in entries):
                verdict = "consistent"
                where += f" ({finest[2]} rounds to each printed value)"
        st.add("; ".join(e[0] for e in entries), f"{quantity} (reported in {len(entries)} places)",
               " / ".join(e[2] for e in entries), "", verdict,
               ("the same value in every place: " if verdict == "consistent" else "different values: ") + where,
               "printed with different values in two places" if verdict == "inconsistent" else None)


def _check_structure(st: _Study):
    """Strata adding up to the series; result percentages against events/total."""
    n = n_of_block(st.data.get("population", {}).get("n"))
    strata = st.data.get("strata") or []
    if strata and isinstance(n, int) and not any(s.get("overlapping") for s in strata):
        parts = [n_of_block(s.get("n")) for s in strata]
        if all(isinstance(p, int) for p in parts):
            st.add("strata", "strata add up to the series", f"{n}", f"{sum(parts)}",
                   "consistent" if sum(parts) == n else "inconsistent",
                   f"{' + '.join(map(str, parts))} = {sum(parts)}")
    for i, outcome in enumerate(st.data.get("outcomes", [])):
        for j, r in enumerate(outcome.get("results", [])):
            if "percent" in r:
                percentage(st, ("outcomes", i, "results", j, "percent"), r.get("location", "derived"),
                            f"{outcome.get('id')} ({r.get('scope')})", r["percent"], r.get("events"), r.get("total"))
    intervention = st.data.get("intervention", {})
    for i, d in enumerate(intervention.get("doses") if isinstance(intervention.get("doses"), list) else []):
        if "percent" in d:
            percentage(st, ("intervention", "doses", i, "percent"), d.get("location", "derived"),
                        f"dose {d.get('label')}", d["percent"], d.get("count"), d.get("total"))
    prior = st.data.get("prior_therapies", {})
    for i, a in enumerate(prior.get("aggregate", []) if isinstance(prior, dict) else []):
        if "percent" in a:
            percentage(st, ("prior_therapies", "aggregate", i, "percent"), a.get("location", "derived"),
                        f"prior {a.get('drug')} ({a.get('status')})", a["percent"], a.get("count"), a.get("total"))
    safety = st.data.get("safety", {})
    events = safety.get("adverse_events")
    blocks = [("adverse_events", i, e) for i, e in enumerate(events if isinstance(events, list) else [])]
    if isinstance(safety.get("infections"), dict):
        blocks.append(("infections", None, safety["infections"]))
    for key, i, e in blocks:
        if "percent" in e:
            path = ("safety", key, *(() if i is None else (i,)), "percent")
            percentage(st, path, e.get("location", "derived"), f"safety: {e.get('event', key)}",
                        e["percent"], e.get("count"), e.get("total"))
    sex = st.data.get("population", {}).get("sex")
    if isinstance(sex, dict) and "male_percent" in sex:
        percentage(st, ("population", "sex", "male_percent"), sex.get("location", "derived"), "male",
                    sex["male_percent"], sex.get("male"), n)
    for i, c in enumerate(st.data.get("population", {}).get("conditions") or []):
        if isinstance(c, dict) and "percent" in c:
            percentage(st, ("population", "conditions", i, "percent"), c.get("location", "derived"),
                        f"condition {c.get('term')}", c["percent"], c.get("count"), n)


def check_study(loaded) -> list[ConsistencyRow]:
    """Every consistency row of one extraction, in file order."""
    st = _Study(loaded)
    _check_structure(st)
    check_tables(st)
    check_reported(st)
    _check_duplicates(st)
    return st.rows


def check_evidence(studies: dict, sources=None) -> ConsistencyReport:
    """All studies, sorted by study id; with ``sources`` (the directory of source texts, as
    ``jakisynth validate --sources``), the full-text sweep's rows follow each study's own
    (:mod:`~jakisynth.synthesis.sweep`) and the report carries its counts."""
    rows = []
    sweep_rows: dict[str, list] = {}
    counts: tuple = ()
    if sources is not None:
        from .sweep import sweep_evidence

        found, found_counts = sweep_evidence(studies, sources)
        for row in found:
            sweep_rows.setdefault(row.study, []).append(row)
        counts = tuple(found_counts)
    for sid in sorted(studies):
        rows.extend(check_study(studies[sid]))
        rows.extend(sweep_rows.get(sid, []))
    return ConsistencyReport(tuple(rows), counts)
