"""Checks across the evidence base and the checks JSON Schema cannot make exactly.

Stage "validated models". JSON Schema's ``pattern`` searches with ``$``, which in Python also
matches before a final newline (``"smith2025\\n"`` would pass the study-id pattern):
:func:`fullmatch_pattern` replaces the keyword so that every pattern must match the whole text
(``\\A...\\Z``). :func:`date_problems` checks that dates are real calendar dates
(``2024-02-30`` and ``2024-13-01`` are not); :func:`duplicate_citations` that no two extraction
files cite the same paper (the same DOI, case-insensitively as DOIs are, or the same PMID), which
would pool one series twice.
"""

from __future__ import annotations

import datetime
import re

from ..errors import Problem
from .yamlio import Loaded, format_path

NOT_REPORTED = "not reported"
DATE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")
DATE_FIELDS = (("citation", "publication_date"), ("population", "enrolment_period", "start"),
               ("population", "enrolment_period", "end"))


def fullmatch_pattern(validator, pattern, instance, schema):
    """The JSON Schema ``pattern`` keyword with :func:`re.fullmatch` (the whole text)."""
    from jsonschema.exceptions import ValidationError

    if isinstance(instance, str) and re.fullmatch(pattern, instance) is None:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def calendar_date_error(text: str) -> str | None:
    """Why ``text`` ("YYYY", "YYYY-MM" or "YYYY-MM-DD") is not a real date, or None."""
    match = DATE.fullmatch(text)
    if match is None:
        return f"{text!r} is not a date (\"YYYY\", \"YYYY-MM\" or \"YYYY-MM-DD\")"
    year, month, day = (int(g) if g else None for g in match.groups())
    if month is not None and not 1 <= month <= 12:
        return f"{text!r} is not a calendar date: there is no month {month}"
    if day is not None:
        try:
            datetime.date(year, month, day)
        except ValueError:
            return f"{text!r} is not a calendar date: {_month_name(month)} {year} has no day {day}"
    return None


def _month_name(month: int) -> str:
    return datetime.date(2000, month, 1).strftime("%B")


def _get(data, path: tuple):
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def date_problems(loaded: Loaded) -> list[Problem]:
    """One problem per date field of an extraction that is not a real calendar date."""
    problems = []
    for path in DATE_FIELDS:
        value = _get(loaded.data, path)
        if isinstance(value, dict):  # a provenance block: {value: ..., quote: ...}
            value, path = value.get("value"), (*path, "value")
        if isinstance(value, str) and value != NOT_REPORTED:
            message = calendar_date_error(value)
            if message:
                problems.append(Problem(loaded.file, loaded.line_of(path), format_path(path),
                                        message))
    return problems


def duplicate_citations(studies: dict[str, Loaded]) -> list[Problem]:
    """Two extraction files with the same DOI or PMID: the same paper, pooled twice."""
    problems = []
    for key, normalise in (("doi", str.casefold), ("pmid", lambda s: s.lstrip("0"))):
        first: dict[str, Loaded] = {}
        for sid in sorted(studies):
            loaded = studies[sid]
            value = _get(loaded.data, ("citation", key))
            if not isinstance(value, str) or value == NOT_REPORTED:
                continue
            norm = normalise(value.strip())
            if norm in first:
                path = ("citation", key)
                problems.append(Problem(
                    loaded.file, loaded.line_of(path), format_path(path),
                    f"{key.upper()} {value} is also the {key.upper()} of {first[norm].file}: one "
                    "paper, one extraction file (merge them, or correct the citation)"))
            else:
                first[norm] = loaded
    return problems
