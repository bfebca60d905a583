"""Numeric claims in the text of a paper: the statements the full-text sweep checks.

Stage "evidence" (pure text; the checks are in :mod:`jakisynth.synthesis.sweep`). Each line of
a source text is normalised as the quote check does (:func:`~jakisynth.evidence.sources.normalise`:
ligatures, non-breaking spaces, en dashes and minus signs, LaTeX fragments such as ``$n = 48$``)
and read for these forms:

- percentages: ``n (p%)`` (n also as a number word: "Three (30.0%)"), ``n/N (p%)`` (also
  "n of N", "n out of N"), ``p% (n/N)``, ``(n = N, p%)``, a percentage alone ("72.7% of
  patients"; not "95% CI"), and in a table row under a "No. (%)" header the cell ``n (p)``,
  whose denominator is the column's ``(N = ...)`` when the header prints it;
- central values with a spread: ``median X (range a-b)``, ``X (IQR a-b)``, ``median ... X,
  ranging from a to b``, ``mean X (SD s)``, ``X ± s``, and table cells ``X (a-b)`` /
  ``X (s)`` in rows labelled median [range] / (IQR) / mean [SD].

Sections: the paper's headings (Abstract and its Background/Methods/Results/Conclusion
paragraphs, Introduction, Methods, Results, Discussion; a heading line ending in "?" in a
summary); table rows (tab- or pipe-separated lines) belong to the last "Table N" caption.
Nothing is read after References, Footnotes, Acknowledgements or the like. A count directly
after grade, stage, type, day, month, year, Fig., Table, a dose unit and the like is not read as
a count of patients.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .sources import _TENS, _WORDS, normalise

NUM = r"\d+(?:\.\d+)?"
_HEADINGS = {"abstract", "objectives", "objective", "background", "introduction", "methods",
             "materials and methods", "patients and methods", "results", "discussion",
             "conclusion", "conclusions"}
_STOP = ("references", "footnotes", "acknowledgments", "acknowledgements", "ethics statements",
         "associated data", "supplementary materials", "paper cited", "about the ",
         "declarations", "author information", "funding")
_ABSTRACT_PARTS = ("background", "objectives", "methods", "results", "conclusion", "conclusions")
_NOT_COUNT = {"grade", "grades", "stage", "stages", "type", "types", "day", "days", "week", "weeks",
              "month", "months", "year", "years", "fig", "fig.", "figure", "table", "cycle",
              "cycles", "dose", "doses", "line", "lines", "mg", "kg", "ml", "g", "version",
              "phase", "level", "score", "ref", "reference", "aged", "age", "n", "p"}
_NUMBER_WORD = "|".join(sorted(list(_WORDS) + list(_TENS) + [f"{t}-{u}" for t in _TENS for u in
                                                             list(_WORDS)[1:10]], key=len, reverse=True))
_COUNT = rf"(\d+|{_NUMBER_WORD})"
_NOUNS = r"(?:\s+(?:patients?|cases?|subjects?|participants?|individuals?|people|of them|of whom))?"

PCT_N_OF_N = re.compile(rf"(?<![\d.,/])(\d+)\s*(?:/|out of|of)\s*(\d+)(?:\s+[a-z-]+){{0,3}}\s*\(\s*({NUM})\s*%\s*\)")
PCT_ONLY = re.compile(rf"(?<![\d.,/])({NUM})\s*%(?!\s*(?:ci\b|confidence|-))")
PCT_FIRST = re.compile(rf"(?<![\d.])({NUM})\s*%\s*\(\s*(\d+)\s*/\s*(\d+)\s*\)")
PCT_N_EQ = re.compile(rf"\(\s*n\s*=\s*(\d+)\s*,\s*({NUM})\s*%\s*\)")
PCT_COUNT = re.compile(rf"(?<![\d.,/\w-]){_COUNT}{_NOUNS}\s*\(\s*({NUM})\s*%\s*\)")
RANGE = re.compile(rf"(?<![\d.])({NUM})(?:\s+[a-z]+)?\s*\(\s*(range|iqr)[,:]?\s*({NUM})\s*(?:-|to)\s*({NUM})\s*\)")
RANGING = re.compile(rf"median[^.;%()]{{0,80}}?(?<![\d.])({NUM})(?:\s+[a-z]+)?,?\s*rang\w*\s+from\s+"
                     rf"({NUM})\s+to\s+({NUM})")
MEAN_SD = re.compile(rf"(?<![\d.])({NUM})\s*(?:\(\s*sd[,:=]?\s*({NUM})\s*\)|±\s*({NUM}))")
CELL_PCT = re.compile(rf"^(\d+)\s*\(\s*({NUM})\s*\)$")
CELL_SPREAD = re.compile(rf"^({NUM})\s*\(\s*({NUM})\s*-\s*({NUM})\s*\)$")
CELL_SD = re.compile(rf"^({NUM})\s*\(\s*({NUM})\s*\)$")
COLUMN_N = re.compile(r"\(\s*n\s*=\s*(\d+)\s*\)")


@dataclass(frozen=True)
class Claim:
    """One numeric statement of a paper, as printed (numbers are the printed strings)."""

    kind: str  # "percentage", "median_range", "median_iqr", "mean_sd", "central_range"
    section: str
    line: int
    text: str  # the matched text (normalised)
    count: int | None = None
    total: int | None = None  # printed or (for a table cell) the column's N
    percent: str | None = None
    value: str | None = None
    lower: str | None = None
    upper: str | None = None
    in_table: bool = False
    total_from_column: bool = False
    cited: bool = False  # the sentence carries a reference marker ([12]): another study's number

    @property
    def location(self) -> str:
        return f"source text, {self.section}, line {self.line}"


def word_number(token: str) -> int | None:
    """``"3"`` -> 3, ``"three"`` -> 3, ``"fifty-three"`` -> 53; else ``None``."""
    if token.isdigit():
        return int(token)
    token = token.casefold()
    if token in _WORDS:
        return _WORDS[token]
    if token in _TENS:
        return _TENS[token]
    tens, _, unit = token.partition("-")
    if tens in _TENS and unit in _WORDS and 0 < _WORDS[unit] < 10:
        return _TENS[tens] + _WORDS[unit]
    return None


def sections(lines: list[str]):
    """(line number from 1, raw line, section, is a table row) for every line to read."""
    section, table, in_abstract = "front matter", None, False
    for number, raw in enumerate(lines, start=1):
        stripped = raw.strip()
        low = normalise(stripped).rstrip(".:")
        is_table = "\t" in raw.strip("\n") or stripped.count("|") >= 2
        if not stripped:
            continue
        if any(low.startswith(s) for s in _STOP) and len(stripped) < 80:
            return
        if re.match(r"^table\s+\d+", low) and not is_table:
            table = re.match(r"^(table\s+\d+)", low).group(1).capitalize()
            continue
        if is_table:
            yield number, raw, table or section, True
            continue
        table = None
        if low in _HEADINGS or (stripped.endswith("?") and len(stripped) < 80):
            in_abstract = low == "abstract" or (in_abstract and low in _ABSTRACT_PARTS)
            section = (f"Abstract, {stripped.rstrip('.:')}" if in_abstract and low != "abstract"
                       else stripped.rstrip(".:"))
            continue
        first = low.split(" ", 1)[0]
        if in_abstract and first in _ABSTRACT_PARTS and len(low) > 40:
            yield number, raw, f"Abstract, {stripped.split(' ', 1)[0]}", False
            continue
        yield number, raw, section, False


def parse_claims(text: str) -> list[Claim]:
    """Every claim of a source text, in text order."""
    claims: list[Claim] = []
    column_n: list[int | None] = []
    percent_rows = False
    for number, raw, section, is_table in sections(text.splitlines()):
        if is_table:
            cells = [normalise(c) for c in re.split(r"\t|\|", raw.strip("\n"))]
            found = [COLUMN_N.search(c) for c in cells]
            if any(found[1:]) and not any(CELL_PCT.match(c) for c in cells):
                column_n = [int(f.group(1)) if f else None for f in found]
                continue
            percent_rows = _table_row(claims, cells, number, section, column_n, percent_rows)
        else:
            _prose(claims, normalise(raw), number, section)
    return claims


def _table_row(claims, cells, number, section, column_n, percent_rows) -> bool:
    label = cells[0] if cells else ""
    if "%" in label:
        percent_rows = True
    elif any(w in label for w in ("median", "mean", "sd", "iqr", "range")):
        percent_rows = False
    kind = _spread_kind(label)
    for j, cell in enumerate(cells[1:], start=1):
        n_col = column_n[j] if j < len(column_n) else None
        m = CELL_PCT.match(cell)
        if m and percent_rows and kind is None:
            claims.append(Claim("percentage", section, number, cell, count=int(m.group(1)),
                                total=n_col, percent=m.group(2), in_table=True,
                                total_from_column=n_col is not None))
            continue
        m = CELL_SPREAD.match(cell)
        if m and kind in ("median_range", "median_iqr", "central_range"):
            claims.append(Claim(kind, section, number, cell, value=m.group(1), lower=m.group(2),
                                upper=m.group(3), in_table=True))
            continue
        m = CELL_SD.match(cell)
        if m and kind == "mean_sd":
            claims.append(Claim(kind, section, number, cell, value=m.group(1), upper=m.group(2),
                                in_table=True))
    return percent_rows


def _spread_kind(label: str) -> str | None:
    if "median" in label or "mean" in label:
        if "iqr" in label:
            return "median_iqr"
        if "range" in label:
            return "median_range" if "median" in label else "central_range"
        if "sd" in label:
            return "mean_sd"
    return None


def _prose(claims: list[Claim], line: str, number: int, section: str):
    for sentence in re.split(r"(?<=[a-z%)\]])\.\s+(?=[a-z])", line):
        cited = bool(re.search(r"\[\d+(?:[,-]\s*\d+)*\]", sentence))
        taken: list[tuple[int, int]] = []

        def add(m, claim):
            # used within this sentence's iteration only: the closure's `taken` is current
            if any(a < m.end() and m.start() < b for a, b in taken):  # noqa: B023
                return
            taken.append(m.span())  # noqa: B023
            claims.append(claim)

        for m in PCT_N_OF_N.finditer(sentence):
            add(m, Claim("percentage", section, number, m.group(0), count=int(m.group(1)),
                         total=int(m.group(2)), percent=m.group(3), cited=cited))
        for m in PCT_FIRST.finditer(sentence):
            add(m, Claim("percentage", section, number, m.group(0), count=int(m.group(2)),
                         total=int(m.group(3)), percent=m.group(1), cited=cited))
        for m in PCT_N_EQ.finditer(sentence):
            add(m, Claim("percentage", section, number, m.group(0), count=int(m.group(1)),
                         percent=m.group(2), cited=cited))
        for m in PCT_COUNT.finditer(sentence):
            before = sentence[:m.start()].split()
            if before and before[-1].strip("(,;:") in _NOT_COUNT:
                continue
            count = word_number(m.group(1))
            if count is not None:
                add(m, Claim("percentage", section, number, m.group(0), count=count,
                             percent=m.group(2), cited=cited))
        for m in PCT_ONLY.finditer(sentence):
            add(m, Claim("percentage", section, number, m.group(0), percent=m.group(1), cited=cited))
        for m in RANGE.finditer(sentence):
            head = sentence[:m.start()]
            kind = "median_iqr" if m.group(2) == "iqr" else (
                "median_range" if "median" in head else "central_range")
            add(m, Claim(kind, section, number, m.group(0), value=m.group(1), lower=m.group(3),
                         upper=m.group(4), cited=cited))
        for m in RANGING.finditer(sentence):
            add(m, Claim("median_range", section, number, m.group(0), value=m.group(1),
                         lower=m.group(2), upper=m.group(3), cited=cited))
        for m in MEAN_SD.finditer(sentence):
            if "mean" in sentence[:m.start()] or m.group(3):
                add(m, Claim("mean_sd", section, number, m.group(0), value=m.group(1),
                             upper=m.group(2) or m.group(3), cited=cited))
