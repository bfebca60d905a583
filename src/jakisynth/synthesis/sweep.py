"""The full-text sweep: every numeric claim of a paper checked against the extraction and
against every other statement of the same quantity (issue 11; docs/consistency.md).

Stage "synthesis". The consistency check recomputes what was extracted; papers restate their
numbers in the Abstract, Results, Discussion and tables, and a restatement can disagree. The
claims are read by :func:`jakisynth.evidence.claims.parse_claims`; each gives one
:class:`~jakisynth.synthesis.consistency.ConsistencyRow` (location "source text, <section>,
line N"). Verdicts, precision first (a false alarm costs a panel more than a missed check):

- a percentage with its count and denominator (``n/N (p%)``, or a table cell under a column
  header "(N = ...)"): ``consistent`` when 100 n/N rounds to p at p's printed precision (half up
  or half even), ``rounding`` when it is one unit in the last place off (a column adjusted to add
  up to 100, or truncation), else ``inconsistent``;
- a percentage with a count only (``n (p%)``): ``consistent`` when a denominator the extraction
  knows (the series, its strata, outcome totals, condition and category counts, statistic
  totals) gives it; ``inconsistent`` when no integer denominator at all gives n (p%) (GRIM,
  Brown & Heathers 2017) in a sentence that cites no other study; else ``not_checkable``;
- a percentage alone: ``consistent`` when some count over a known denominator gives it, else
  ``not_checkable`` (it may describe another denominator or another study);
- a median, mean or other central value with its range, IQR or SD: compared with the other
  statements with the same spread in other lines: ``consistent`` when one of them prints the
  same value (at the coarser precision), ``inconsistent`` when the spread identifies one
  statement in each line and the values differ, else ``not_checkable``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from ..evidence.claims import Claim, parse_claims
from ..stats.rounding import fmt, matches, within_one_unit

MAX_DENOMINATOR = 100_000


@dataclass(frozen=True)
class SweepCounts:
    """Per study: claims read, checked (a verdict other than not_checkable), flagged."""

    study: str
    read: int
    checked: int
    flagged: int
    rounding: int

    def to_dict(self) -> dict:
        return {"study": self.study, "read": self.read, "checked": self.checked,
                "flagged": self.flagged, "rounding": self.rounding}


def known_denominators(data) -> dict[int, list[str]]:
    """Every N the extraction records, with what it is the N of."""
    found: dict[int, list[str]] = {}

    def put(value, name):
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            found.setdefault(value, []).append(name)

    population = data.get("population") or {}
    put((population.get("n") or {}).get("value") if isinstance(population.get("n"), dict) else None, "the series")
    for s in data.get("strata") or []:
        put((s.get("n") or {}).get("value") if isinstance(s.get("n"), dict) else None, f"stratum {s.get('id')}")
    for c in population.get("conditions") or [] if isinstance(population.get("conditions"), list) else []:
        if isinstance(c, dict):
            put(c.get("count"), f"condition {c.get('term')}")
    for o in data.get("outcomes") or []:
        for r in o.get("results") or []:
            put(r.get("total"), f"{o.get('id')} ({r.get('scope')})")
    for s in data.get("reported_statistics") or []:
        put(s.get("total"), s.get("id"))
        put(s.get("n"), s.get("id"))
        put(s.get("count"), s.get("id"))
    for t in data.get("characteristics") or []:
        for row in t.get("rows") or []:
            for column, cell in (row.get("values") or {}).items():
                if isinstance(cell, dict):
                    put(cell.get("count"), f"{t.get('id')}: {row.get('label')} ({column})")
    return found


def sweep_text(study: str, data, text: str):
    """(rows, counts) of one source text against its extraction ``data``."""
    from .consistency import ConsistencyRow

    claims = parse_claims(text)
    denominators = known_denominators(data)
    rows = []
    for claim in claims:
        if claim.kind == "percentage":
            verdict, recomputed, detail = _percentage(claim, denominators)
        else:
            verdict, recomputed, detail = _central(claim, claims)
        rows.append([claim, verdict, recomputed, detail])
    _restatements(rows)
    rows = [ConsistencyRow(study, c.location, _quantity(c), c.text, recomputed, verdict,
                           _reason(verdict, detail), detail)
            for c, verdict, recomputed, detail in rows]
    counts = SweepCounts(study, len(rows), sum(r.verdict != "not_checkable" for r in rows),
                         sum(r.verdict == "inconsistent" for r in rows),
                         sum(r.verdict == "rounding" for r in rows))
    return rows, counts


def _restatements(rows: list[list]) -> None:
    """Percentages of one count over one denominator (printed, the column's, or the extraction's
    that reproduces it) stated in several places (rows of one table are different quantities,
    so a table is compared with the text, not with itself): each row names the others. The
    verdict stays the row's own: each statement was already checked against its denominator, so
    a restatement that disagrees beyond rounding is flagged by its own check."""
    groups: dict[tuple[int, int], list[list]] = {}
    for row in rows:
        claim, verdict, recomputed = row[0], row[1], row[2]
        if claim.kind != "percentage" or claim.count is None:
            continue
        total = claim.total if claim.total is not None else (
            int(recomputed.split("/")[1]) if verdict == "consistent" and "/" in recomputed else None)
        if total is not None:
            groups.setdefault((claim.count, total), []).append(row)
    for row in rows:  # a count no denominator explains: show where else the count is printed
        claim = row[0]
        if claim.kind == "percentage" and row[1] == "inconsistent" and claim.total is None:
            same = [key for key in groups if key[0] == claim.count]
            if same:
                shown = "; ".join(f"line {m[0].line} ({m[0].section}): {m[0].text} = {k[0]}/{k[1]}"
                                  for k in same for m in groups[k][:2])
                row[3] += f"; the same count elsewhere: {shown}"
    for members in groups.values():
        for row in members:
            own = row[0]
            others = [m[0] for m in members if m[0].line != own.line
                      and not (own.in_table and m[0].in_table and m[0].section == own.section)]
            if not others:
                continue
            shown = "; ".join(f"line {o.line} ({o.section}): {o.text}"
                              + ("" if _same_value(own.percent, o.percent) else " (differs)")
                              for o in others[:4])
            row[3] += f"; also stated as {shown}"


def _quantity(claim: Claim) -> str:
    return {"percentage": "percentage in the text", "median_range": "median (range) in the text",
            "median_iqr": "median (IQR) in the text", "mean_sd": "mean (SD) in the text",
            "central_range": "value (range) in the text"}[claim.kind]


def _named(n_value: int, denominators) -> str:
    return ", ".join(denominators.get(n_value, [])[:2]) or "a column header"


def _reason(verdict: str, detail: str) -> str:
    """The short reason of a sweep row's verdict (the detail gives every number)."""
    if verdict == "inconsistent":
        if "GRIM" in detail:
            return "no denominator at all gives it (GRIM)"
        if "another value" in detail:
            return "restated elsewhere with another value"
        return "the stated count does not give it"
    if verdict == "rounding":
        return "one unit off so that the category adds up to 100%"
    if verdict == "consistent":
        return "restated with the same value" if "also stated" in detail else \
            "a known denominator gives it"
    return "no denominator or restatement to compare with"


def _percentage(c: Claim, denominators) -> tuple[str, str, str]:
    p = c.percent
    if c.count is not None and c.total is not None:
        if c.count > c.total:
            return "not_checkable", "", f"count {c.count} exceeds {c.total}: not a count of it"
        exact = 100 * c.count / c.total
        shown = f"{fmt(exact, _places(p))}%"
        source = "the column's N" if c.total_from_column else "printed"
        if matches(exact, p):
            return "consistent", shown, f"{c.count}/{c.total} ({source})"
        if within_one_unit(exact, p):
            return "rounding", shown, (f"{c.count}/{c.total} = {exact:.3f}% ({source}); one unit in "
                                       "the last place off: rounding adjusted (e.g. so a column adds "
                                       "up to 100%) or truncated")
        return "inconsistent", shown, f"{c.count}/{c.total} = {exact:.3f}% ({source}), not {p}%"
    if c.count is not None:
        return _count_only(c, denominators)
    hits = [(k, n) for n in sorted(denominators) for k in range(n + 1) if matches(100 * k / n, p)]
    if hits:
        k, n = hits[0]
        return "consistent", f"{k}/{n}", f"{k}/{n} ({_named(n, denominators)}) gives {p}%"
    return "not_checkable", "", "no count over a denominator of the extraction gives it"


def _places(raw: str) -> int:
    return len(raw.split(".", 1)[1]) if "." in raw else 0


def _count_only(c: Claim, denominators) -> tuple[str, str, str]:
    n, p = c.count, c.percent
    value = float(p)
    known = [N for N in sorted(denominators) if N >= n and matches(100 * n / N, p)]
    if known:
        N = known[0]
        return "consistent", f"{n}/{N}", (f"{n}/{N} = {100 * n / N:.3f}% ({_named(N, denominators)})"
                                          + (f"; also {', '.join(map(str, known[1:]))}" if known[1:] else ""))
    possible = _any_denominator(n, p)
    if possible is not None:
        return "not_checkable", "", (f"no denominator of the extraction gives {n} ({p}%); "
                                     f"{n}/{possible} would (a group the extraction does not record)")
    if c.cited or value > 100:
        return "not_checkable", "", f"no denominator gives {n} ({p}%), but the sentence cites another study"
    return "inconsistent", "", f"no denominator at all gives {n} ({p}%) at {_places(p)} decimals (GRIM)"


def _any_denominator(n: int, p: str) -> int | None:
    """The smallest N >= n with 100 n / N rounding to ``p``, or None (GRIM)."""
    value = float(p)
    if n == 0:
        return 1 if value == 0 else None
    half = 0.5 * 10 ** -_places(p)
    if value + half <= 0:
        return None
    low = max(n, math.floor(100 * n / (value + half)))
    high = MAX_DENOMINATOR if value - half <= 0 else min(MAX_DENOMINATOR, math.ceil(100 * n / (value - half)))
    for N in range(max(low, 1), high + 1):
        if matches(100 * n / N, p):
            return N
    return None


def _family(kind: str) -> str:
    return {"median_range": "range", "central_range": "range", "median_iqr": "iqr",
            "mean_sd": "sd"}[kind]


def _central(c: Claim, claims: list[Claim]) -> tuple[str, str, str]:
    key = (_family(c.kind), c.lower, c.upper)
    same = [o for o in claims if o.kind != "percentage" and (_family(o.kind), o.lower, o.upper) == key]
    others = [o for o in same if o.line != c.line]
    if not others:
        return "not_checkable", "", "stated once in the text: no other statement to compare it with"
    agree = [o for o in others if _same_value(c.value, o.value)]
    where = "; ".join(f"line {o.line} ({o.section}): {o.text}" for o in others[:4])
    if agree:
        return "consistent", agree[0].value, f"also stated as {where}"
    own_line = sum(1 for o in same if o.line == c.line)
    lines = {o.line for o in others}
    unique = own_line == 1 and all(sum(1 for o in others if o.line == ln) == 1 for ln in lines)
    if unique:
        return "inconsistent", others[0].value, f"the same spread with another value: {where}"
    return "not_checkable", "", f"the spread is shared by several statements in a line: {where}"


def _same_value(a: str, b: str) -> bool:
    """Two printed values of one quantity agree: the finer rounds to the coarser."""
    fine, coarse = (a, b) if _places(a) >= _places(b) else (b, a)
    return matches(float(fine), coarse)


def sweep_evidence(studies: dict, sources_dir) -> tuple[list, list[SweepCounts]]:
    """Sweep every study whose source text (``citation.source.file``) is in ``sources_dir``.

    A study without its source text gives one ``not_checkable`` row saying so."""
    from .consistency import ConsistencyRow

    rows, counts = [], []
    for sid in sorted(studies):
        loaded = studies[sid]
        data = getattr(loaded, "data", loaded)
        file = ((data.get("citation") or {}).get("source") or {}).get("file")
        path = Path(sources_dir) / str(file)
        if not file or not path.is_file():
            rows.append(ConsistencyRow(sid, "source text", "full-text sweep", "", "",
                                       "not_checkable", "source text not found",
                                       f"source text {file!r} not found in {sources_dir}"))
            continue
        found, count = sweep_text(sid, data, path.read_text(encoding="utf-8"))
        rows.extend(found)
        counts.append(count)
    return rows, counts
