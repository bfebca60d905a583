"""Tidy tables: the inputs of the engine read from files, checked, as plain columns.

Stage "tidy tables". ``read_count_table`` reads the CSV of ``jakisynth pool``; the evidence-base
tables (one row per series and outcome) are built from validated extractions.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError

MAX_EXACT_COUNT = 2**53  # the same limit as stats.effects.check_counts (float64 integers)


@dataclass(frozen=True)
class CountTable:
    """Events and totals per study, read from a file (``file`` names it in messages)."""

    file: str
    studies: list[str]
    events: list[int]
    totals: list[int]


DEFAULT_STUDY = "study"  # the column of study labels when none is named


def read_count_table(path, *, events: str = "events", total: str = "total",
                     study: str | None = None) -> CountTable:
    """Read a CSV with one row per study; raise :class:`InputError` naming file, line and column.

    Columns: ``events`` and ``total`` (default: the columns named so); ``study`` labels the rows
    (default: a column named ``study`` if there is one, else "Study 1", "Study 2", ... as
    metafor and meta label unnamed studies). Checks: the file exists and is UTF-8 CSV with a
    header; the named columns exist; at least one data row; every count is a whole number >= 0;
    events <= total; total > 0.
    """
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{file}: no such file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"{file}: cannot be read as UTF-8 text ({err.__class__.__name__})") from None
    rows = list(csv.reader(text.splitlines()))
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise InputError(f"{file}: the file is empty")
    header = [h.strip() for h in rows[0]]
    if study is None and DEFAULT_STUDY in header:
        study = DEFAULT_STUDY
    columns = {}
    for option, name in (("--events", events), ("--total", total), ("--study", study)):
        if name is None:
            continue
        if name not in header:
            raise InputError(f"{file}:1: {option} column {name!r} not found "
                             f"(columns: {', '.join(header)})")
        columns[option] = header.index(name)
    if len(rows) == 1:
        raise InputError(f"{file}: no data rows under the header")
    out_study, out_events, out_totals = [], [], []
    for line, row in enumerate(rows[1:], start=2):
        x = _count(row, columns["--events"], file, line, events)
        n = _count(row, columns["--total"], file, line, total)
        if n == 0:
            raise InputError(f"{file}:{line}: {total}: a total of 0 gives no proportion")
        if x > n:
            raise InputError(f"{file}:{line}: {events}: {x} events exceed the total {n}")
        out_events.append(x)
        out_totals.append(n)
        name = row[columns["--study"]].strip() if "--study" in columns and columns["--study"] < len(row) else ""
        out_study.append(name or f"Study {line - 1}")
    return CountTable(file, out_study, out_events, out_totals)


def _count(row: list[str], index: int, file: str, line: int, column: str) -> int:
    cell = row[index].strip() if index < len(row) else ""
    if cell == "":
        raise InputError(f"{file}:{line}: {column}: missing value")
    try:
        value = int(cell)
    except ValueError:
        raise InputError(f"{file}:{line}: {column}: expected a whole number, got {cell!r}") from None
    if value < 0:
        raise InputError(f"{file}:{line}: {column}: negative count {value}")
    if value > MAX_EXACT_COUNT:
        raise InputError(f"{file}:{line}: {column}: {value} is too large: counts above 2^53 "
                         f"= {MAX_EXACT_COUNT:,} cannot be computed with exactly (float64)")
    return value


def read_grouped_counts(path, *, events: str, total: str, by: list[str],
                        study: str | None = None):
    """Read a CSV of many meta-analyses (one row per study, ``by`` columns naming the group) as a
    pandas DataFrame for :func:`jakisynth.pool_many`; the index is the file's line number, so
    messages about a row name its line. ``by`` and ``study`` columns are read as text (an id
    such as ``007`` stays ``007``). Raises :class:`InputError` naming the file and column."""
    import pandas as pd

    file = str(path)
    if not Path(path).is_file():
        raise InputError(f"{file}: no such file")
    text_columns = {name: str for name in [*by, study] if name is not None}
    try:
        frame = pd.read_csv(path, dtype=text_columns, keep_default_na=False,
                            na_values={events: [""], total: [""]}, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise InputError(f"{file}: cannot be read as a UTF-8 CSV table "
                         f"({err.__class__.__name__})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    for option, name in [("--events", events), ("--total", total), ("--study", study)] + [
            ("--by", b) for b in by]:
        if name is not None and name not in frame.columns:
            raise InputError(f"{file}:1: {option} column {name!r} not found "
                             f"(columns: {', '.join(frame.columns)})")
    if frame.empty:
        raise InputError(f"{file}: no data rows under the header")
    frame.index = pd.RangeIndex(2, len(frame) + 2, name="line")
    return frame
