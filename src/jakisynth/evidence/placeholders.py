"""Half-filled extractions: placeholders left from the template (``jakisynth new``).

Stage "evidence". The template (``templates/extraction.yaml``) marks every field to fill in with
``<...>`` (``"<title>"``, ``<N>``, ``"<verbatim>"``) and the study id with ``__STUDY_ID__``. A file
that still holds any of them is refused by ``jakisynth validate`` with one problem per field,
whether or not the rest of the file is valid, so that a template with only its numbers filled in
cannot pass as evidence (issue 11: a report once showed "<Surname 2025" as a study label).

A placeholder is a text that is wholly ``<...>``, or contains ``<`` directly followed by a letter
and closed by ``>`` (``"see <Methods, paragraph 1>"``); inequalities in quotes (``P < 0.01``,
``x<5 and y>3``) are not placeholders.
"""

from __future__ import annotations

import re

from ..errors import Problem
from .template import PLACEHOLDER_ID
from .yamlio import Loaded, format_path

_WHOLE = re.compile(r"^\s*<[^<>]*>\s*$")
_INNER = re.compile(r"<[A-Za-z][^<>]*>")


def placeholder_in(text: str) -> str | None:
    """The first template placeholder in ``text``, or ``None``."""
    if PLACEHOLDER_ID in text:
        return PLACEHOLDER_ID
    found = _WHOLE.match(text) or _INNER.search(text)
    return found.group(0).strip() if found else None


def placeholder_problems(loaded: Loaded) -> list[Problem]:
    """One problem per field (key or value) that still holds a template placeholder."""
    problems: list[Problem] = []

    def walk(node, path):
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(key, str) and placeholder_in(key):
                    problems.append(_problem(loaded, (*path, key), placeholder_in(key)))
                walk(value, (*path, key))
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, (*path, i))
        elif isinstance(node, str) and placeholder_in(node):
            problems.append(_problem(loaded, path, placeholder_in(node)))

    walk(loaded.data, ())
    return problems


def _problem(loaded: Loaded, path: tuple, found: str) -> Problem:
    return Problem(loaded.file, loaded.line_of(path), format_path(path),
                   f"template placeholder {found[:50]!r} left unfilled: replace it with what the "
                   "paper reports (or 'not reported')")
