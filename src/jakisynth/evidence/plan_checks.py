"""Checks of the analysis plan against the evidence base that issue 11 added.

Stage "evidence", called by :func:`jakisynth.evidence.plan.check_plan`:

- *plan drift*: a subgroup with a ``values:`` map lists every series, each value from the one
  subgroup vocabulary of its ``by`` (:func:`jakisynth.evidence.vocab.subgroup_vocabulary`,
  listed by ``jakisynth vocab``), so a new series is never silently put into a new subgroup and
  a plural and a singular cannot split one;
- *overlapping cohorts*: every pair of series that may report the same patients
  (:mod:`~jakisynth.evidence.overlaps`) has a decision in ``overlaps:``, and every decision
  names two series of the evidence base, one of which it keeps.
"""

from __future__ import annotations

from ..errors import Problem
from . import vocab
from .overlaps import find_overlaps
from .yamlio import Loaded, format_path


def _adder(loaded: Loaded, problems: list[Problem]):
    def add(path: tuple, message: str):
        problems.append(Problem(loaded.file, loaded.line_of(path), format_path(path), message))
    return add


def subgroup_problems(loaded: Loaded, studies: dict) -> list[Problem]:
    """Series missing from a subgroup's ``values:`` map; values outside the vocabulary.

    Subgroups split the primary analysis, which pools direct evidence only, so a series the plan
    judges indirect need not be listed."""
    problems: list[Problem] = []
    add = _adder(loaded, problems)
    indirect = {x.get("study") for x in loaded.data.get("directness", []) or []
                if isinstance(x, dict) and x.get("judgement") == "indirect"}
    for i, s in enumerate(loaded.data.get("subgroups", [])):
        values = s.get("values")
        if values is None:
            continue
        for sid in sorted(set(studies) - set(values) - indirect):
            add(("subgroups", i, "values"),
                f"series {sid} is not in the values of subgroup {s['id']!r}: add "
                f"'{sid}: <one of {_options(s['by'])}>' (a series outside the map would form "
                "a subgroup of its own)")
        for sid, value in values.items():
            if vocab.subgroup_id(s["by"], value) is None:
                close = vocab.suggest_subgroup(s["by"], value)
                hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
                add(("subgroups", i, "values", sid),
                    f"{value!r} is not a {s['by']} subgroup of the vocabulary (jakisynth vocab: "
                    f"{_options(s['by'])}){hint}")
    return problems


def _options(by: str) -> str:
    return ", ".join(repr(label) for label in vocab.subgroup_vocabulary(by).values())


def overlap_problems(loaded: Loaded, studies: dict) -> list[Problem]:
    """Overlapping pairs without a decision; decisions that name unknown series."""
    problems: list[Problem] = []
    add = _adder(loaded, problems)
    decided = {}
    for i, o in enumerate(loaded.data.get("overlaps", [])):
        pair = o["series"]
        for j, sid in enumerate(pair):
            if sid not in studies:
                add(("overlaps", i, "series", j), f"no extraction with study_id {sid!r}")
        if len(set(pair)) != 2:
            add(("overlaps", i, "series"), "an overlap is a pair of two different series")
        if o.get("keep") is not None and o["keep"] not in pair:
            add(("overlaps", i, "keep"), f"keep names {o['keep']!r}, which is not one of {pair}")
        decided[frozenset(pair)] = i
    data = {sid: item.data for sid, item in studies.items()}
    for overlap in find_overlaps(data):
        if overlap.pair not in decided:
            line = loaded.line_of(("overlaps",)) if "overlaps" in loaded.data else None
            problems.append(Problem(loaded.file, line, "overlaps", undecided_message(overlap)))
    return problems


def undecided_message(overlap) -> str:
    return (f"{overlap}. Record the decision in the plan: overlaps: - {{series: [{overlap.a}, "
            f"{overlap.b}], resolution: keep_both | keep_one | subset, keep: <id>, reason: ...}}")
