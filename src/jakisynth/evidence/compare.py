"""Dual extraction: two extractions of the same paper compared field by field.

Stage "evidence" (``jakisynth compare A.yaml B.yaml``). The Cochrane Handbook (Li, Higgins &
Deeks 2023, section 5.5.2) asks for two independent extractions, reconciled in a meeting. Each
field that differs is one :class:`Difference`: its path (``population.n.value``), A's value and
B's value (``absent`` when one side lacks the field). Numbers compare as printed in the YAML
(``88.7`` and ``88.70`` differ: the printed precision is data); quotes and other texts compare
after whitespace normalisation (line breaks and runs of spaces are one space). Lists compare
item by item by position, so an inserted patient row shows as differences in every later row.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from .yamlio import Loaded, format_path

ABSENT = "absent"


@dataclass(frozen=True)
class Difference:
    path: str
    a: str
    b: str

    def __str__(self) -> str:
        return f"{self.path}: {self.a} | {self.b}"


def _text(value) -> str:
    return re.sub(r"\s+", " ", value).strip() if isinstance(value, str) else value


def _show(value, raw: str | None) -> str:
    if isinstance(value, str):
        return _text(value)
    if raw is not None:
        return raw.strip()
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


def compare_extractions(a: Loaded, b: Loaded) -> list[Difference]:
    """Every field where ``a`` and ``b`` differ, in the order of ``a`` (then fields only in b)."""
    out: list[Difference] = []

    def leaf(path, x, y):
        if isinstance(x, str) and isinstance(y, str):
            if _text(x) != _text(y):
                out.append(Difference(format_path(path), _text(x), _text(y)))
            return
        rx, ry = a.raw.get(path), b.raw.get(path)
        if _is_number(x) and _is_number(y) and rx is not None and ry is not None:
            same = rx.strip() == ry.strip()
        else:
            same = type(x) is type(y) and x == y
        if not same:  # a text beside a number or boolean is shown quoted: 'true' | true
            sx, sy = (repr(_show(v, r)) if isinstance(v, str) else _show(v, r)
                      for v, r in ((x, rx), (y, ry)))
            out.append(Difference(format_path(path), sx, sy))

    def walk(path, x, y):
        if isinstance(x, dict) and isinstance(y, dict):
            for key in list(x) + [k for k in y if k not in x]:
                if key not in y:
                    out.append(Difference(format_path((*path, key)), _summary(x[key]), ABSENT))
                elif key not in x:
                    out.append(Difference(format_path((*path, key)), ABSENT, _summary(y[key])))
                else:
                    walk((*path, key), x[key], y[key])
        elif isinstance(x, list) and isinstance(y, list):
            for i in range(max(len(x), len(y))):
                if i >= len(y):
                    out.append(Difference(format_path((*path, i)), _summary(x[i]), ABSENT))
                elif i >= len(x):
                    out.append(Difference(format_path((*path, i)), ABSENT, _summary(y[i])))
                else:
                    walk((*path, i), x[i], y[i])
        elif isinstance(x, (dict, list)) or isinstance(y, (dict, list)):
            out.append(Difference(format_path(path), _summary(x), _summary(y)))
        else:
            leaf(path, x, y)

    walk((), a.data, b.data)
    return out


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _summary(value) -> str:
    if isinstance(value, dict):
        return f"a block of {len(value)} fields"
    if isinstance(value, list):
        return f"a list of {len(value)} items"
    return _show(value, None)


def differences_csv(differences: list[Difference], a_name: str, b_name: str) -> str:
    """The differences as CSV for the reconciliation meeting (path, A, B, agreed value, note)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["path", a_name, b_name, "agreed", "note"])
    for d in differences:
        writer.writerow([d.path, d.a, d.b, "", ""])
    return buffer.getvalue()
