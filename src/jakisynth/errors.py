"""Problems and exceptions shared by every stage (the first module of the data flow).

A :class:`Problem` is one finding about one input: the file, the line where known, the dotted
field path and a message. It prints as ``FILE:LINE: field.path: message``, the one-line format
every command uses for bad input. Commands collect problems, print them one per line and exit 1;
they never print a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One problem found in one input file.

    ``line`` is 1-based, or ``None`` when the problem has no single line (a missing file,
    a cross-file check). ``path`` is the dotted field path (``outcomes[0].results[1].events``),
    or ``""`` for the whole file.
    """

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        field = self.path if self.path else "(file)"
        return f"{where}: {field}: {self.message}"


class JakisynthError(Exception):
    """Base class of the errors jakisynth raises on bad input (never on its own bugs)."""


class InputError(JakisynthError, ValueError):
    """Bad input to an API function or command: the message names the argument or column."""


class OutputError(JakisynthError):
    """The output directory cannot be used (not ours, not writable, locked...): one line."""


class EvidenceError(JakisynthError):
    """Invalid evidence: carries every :class:`Problem` found, printed one per line."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.file, p.line or 0, p.path, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))


class JakisynthWarning(UserWarning):
    """A caveat about a result (k < 5, tau2 on the boundary, non-convergence...).

    Results keep their caveats in a ``warnings`` list and print them; this class exists so that a
    caller who wants Python warnings can raise them with a filterable category.
    """
