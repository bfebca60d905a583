"""The quote check: every quote occurs in its source text and contains the numbers it supports.

Stage "validated models" (``jakisynth validate --sources DIR``). Both the source text and the
quote are normalised the same way: Unicode NFKC (ligatures ﬁ -> fi, non-breaking and thin spaces
-> spaces, superscripts -> digits), every dash and minus sign -> "-", curly quotes -> straight,
LaTeX fragments (``$P < 0.01$``, ``\\le``, ``\\pm``) -> plain text, whitespace collapsed, case
folded. A number of a source block must occur in its quote as a number token (``5`` does not
match inside ``53`` or ``0.5``), written as printed, or as an English number word ("three",
"Fifty-three"). Numbers named in the block's ``derived`` mapping are exempt, as are structural
numbers (``schema_version``, ``citation.year``, risk-of-bias item numbers).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from ..errors import Problem
from .yamlio import Loaded, format_path

_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d"), "-")
_QUOTES = {ord("\u2018"): "'", ord("\u2019"): "'", ord("\u201c"): '"', ord("\u201d"): '"'}
_LATEX = [(re.compile(r"\\(le|leq)\b"), "≤"), (re.compile(r"\\(ge|geq)\b"), "≥"),
          (re.compile(r"\\pm\b"), "±"), (re.compile(r"\\times\b"), "×"),
          (re.compile(r"\\text\{([^}]*)\}"), r"\1"), (re.compile(r"\^\{([^}]*)\}"), r"\1"),
          (re.compile(r"\\[,;! ]"), " "), (re.compile(r"\$"), "")]
STRUCTURAL_KEYS = {"schema_version", "item", "year"}
_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen".split())}
_TENS = {w: 10 * (i + 2) for i, w in enumerate(
    "twenty thirty forty fifty sixty seventy eighty ninety".split())}


def normalise(text: str) -> str:
    """The comparison form of a source text or a quote (see the module docstring)."""
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(_DASHES).translate(_QUOTES)
    for pattern, replacement in _LATEX:
        text = pattern.sub(replacement, text)
    return re.sub(r"\s+", " ", text).strip().casefold()


def number_words(value: int) -> set[str]:
    """English spellings of 0..99 ("fifty-three", "fifty three")."""
    out = set()
    for word, number in _WORDS.items():
        if number == value:
            out.add(word)
    for word, tens in _TENS.items():
        if tens == value:
            out.add(word)
        elif tens < value < tens + 10:
            unit = next(w for w, n in _WORDS.items() if n == value - tens)
            out.update({f"{word}-{unit}", f"{word} {unit}"})
    return out


def number_in_quote(raw: str, value, quote_norm: str) -> bool:
    """Whether the number (as written in the YAML, ``raw``) occurs in the normalised quote."""
    candidates = {raw.strip().lstrip("+")}
    if isinstance(value, float) and value.is_integer():
        candidates.add(str(int(value)))
    for candidate in candidates:
        pattern = rf"(?<![\d.]){re.escape(candidate)}(?!\.?\d)"
        if re.search(pattern, quote_norm):
            return True
    if isinstance(value, int) and 0 <= value < 100:
        return any(re.search(rf"\b{re.escape(w)}\b", quote_norm) for w in number_words(value))
    return False


@lru_cache(maxsize=32)
def _source_text(path: str) -> str:
    return normalise(Path(path).read_text(encoding="utf-8"))


def check_sources(loaded: Loaded, source_dir: Path) -> list[Problem]:
    """Quote and number problems of one extraction against its source text."""
    data = loaded.data
    file = data.get("citation", {}).get("source", {}).get("file")
    problems: list[Problem] = []

    def add(path, message):
        problems.append(Problem(loaded.file, loaded.line_of(path), format_path(path), message))

    source = Path(source_dir) / str(file)
    if not source.is_file():
        add(("citation", "source", "file"), f"source text {file!r} not found in {source_dir}")
        return problems
    text = _source_text(str(source))
    _walk(data, (), None, loaded, text, add)
    return problems


def _walk(node, path, block, loaded, text, add):
    """``block`` is (normalised quote, exempt keys or True) of the nearest source block."""
    if isinstance(node, dict):
        if isinstance(node.get("quote"), str):
            quote = normalise(node["quote"])
            if quote not in text:
                add((*path, "quote"), f"quote not found in the source text: '{node['quote'][:60]}'")
            derived = node.get("derived")
            exempt = True if isinstance(derived, str) else set(derived or {})
            block = (quote, exempt)
        elif isinstance(node.get("derived"), str):
            block = ("", True)
        elif isinstance(node.get("derived"), dict) and block is None:
            block = ("", set(node["derived"]))
        for key, value in node.items():
            if key in ("derived", "quote", "location"):
                continue
            child = block
            if block is not None and block[1] is not True and key in block[1]:
                child = (block[0], True)  # a derived field: everything inside it is exempt
            _walk(value, (*path, key), child, loaded, text, add)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _walk(value, (*path, i), block, loaded, text, add)
    elif isinstance(node, (int, float)) and not isinstance(node, bool):
        key = path[-1] if path else ""
        if key in STRUCTURAL_KEYS or path[:1] == ("risk_of_bias",):
            return
        if block is None:
            add(path, f"number {node} has no source (no quote or derived rule above it)")
            return
        quote, exempt = block
        if exempt is True or key in exempt:
            return
        raw = loaded.raw.get(path, str(node))
        if not number_in_quote(raw, node, quote):
            add(path, f"number {raw} does not occur in its quote")
