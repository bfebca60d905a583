"""Validation of the evidence base: JSON Schema, then cross-field checks; one Problem per finding.

Stage "validated models". ``jakisynth validate`` prints one line per problem,
``FILE:LINE: field.path: message``, exits 1 if there is any, and never writes anything.
The schema is ``schema/extraction.schema.json`` (JSON Schema 2020-12, exported to
``evidence/schema/``); the cross-field checks are listed in docs/extraction-schema.md.

Source blocks in the schema take their provenance fields from ``$defs/provenance`` and close
themselves with ``unevaluatedProperties: false``. An ``integer`` is a Python ``int``: ``2.0`` and
``true`` are not counts here (plain JSON Schema would accept ``2.0``). Cross-field checks run only on
files without schema problems; the quote check (``--sources``) runs with them.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from ..errors import EvidenceError, Problem
from .crosscheck import date_problems, duplicate_citations
from .placeholders import placeholder_problems
from .schema_messages import extraction_schema, schema_messages, strict_validator
from .series import NOT_REPORTED, Series
from .yamlio import Loaded, format_path, load_yaml, one_line

PLAN_FILE = "analysis.yaml"
DOI = re.compile(r"^10\.\d{4,9}/\S+$")
PMID = re.compile(r"^[0-9]{1,9}$")


def schema_problems(loaded: Loaded, schema: dict) -> list[Problem]:
    """Validate ``loaded.data`` against ``schema``; one Problem per error (deduplicated)."""
    validator = strict_validator(schema)
    problems = set()
    for error in validator.iter_errors(loaded.data):
        for path, message in schema_messages(error):
            problems.add(Problem(loaded.file, loaded.line_of(path), format_path(path),
                                 one_line(message)))
    return sorted(problems, key=lambda p: (p.line or 0, p.path, p.message))


# ---- loading a directory ----------------------------------------------------------------------

def extraction_files(path) -> list[Path]:
    root = Path(path)
    if root.is_file():
        return [root]
    return sorted(p for p in root.iterdir()
                  if p.is_file() and p.suffix in (".yaml", ".yml") and p.name != PLAN_FILE)


def validate_paths(path, sources=None) -> tuple[dict[str, Loaded], list[Problem]]:
    """Load and check every extraction under ``path`` (a directory or one file)."""
    root = Path(path)
    if not root.exists():
        return {}, [Problem(str(path), None, "", "no such file or directory")]
    if sources is not None and not Path(sources).is_dir():
        return {}, [Problem(str(sources), None, "", "--sources: no such directory")]
    files = extraction_files(root)
    if not files:
        return {}, [Problem(str(path), None, "", "no extraction files (*.yaml) found")]
    problems: list[Problem] = []
    studies: dict[str, Loaded] = {}
    seen: dict[str, str] = {}
    schema = extraction_schema()
    for file in files:
        try:
            loaded = load_yaml(file)
        except EvidenceError as err:
            problems.extend(err.problems)
            continue
        unfilled = placeholder_problems(loaded)
        found = schema_problems(loaded, schema)
        if not found and not unfilled:
            found = cross_field_problems(loaded) + date_problems(loaded)
            if sources is not None:
                from .sources import check_sources

                found += check_sources(loaded, Path(sources))
        found = unfilled + found
        problems.extend(found)
        sid = loaded.data.get("study_id")
        if isinstance(sid, str):
            if sid in seen:
                problems.append(Problem(loaded.file, loaded.line_of(("study_id",)), "study_id",
                                        f"study id {sid!r} is also used by {seen[sid]}"))
            seen[sid] = loaded.file
            if not found:
                studies[sid] = loaded
    problems.extend(duplicate_citations(studies))
    return studies, problems


def load_evidence(path, sources=None) -> dict[str, Loaded]:
    """The validated extractions by study id; raise :class:`EvidenceError` if any problem."""
    studies, problems = validate_paths(path, sources)
    if problems:
        raise EvidenceError(problems)
    return studies


def validate_command(path, sources, plan_check=None) -> int:
    """``jakisynth validate``: print problems, return the exit code; never raises, never writes.

    ``path`` is a directory (every extraction in it and, when ``plan_check`` is given, its
    analysis plan), one extraction file, or the plan file itself (then its whole directory is
    checked, since the plan refers to the extractions). ``plan_check(directory, studies)``
    returns the plan's problems (``plan.plan_problems``; a later stage, passed in by the CLI)."""
    root = Path(path)
    if root.name == PLAN_FILE and root.is_file():
        root = root.parent
    checked_plan = False
    try:
        studies, problems = validate_paths(root, sources)
        if not problems and plan_check is not None and root.is_dir():
            problems = plan_check(root, studies)
            checked_plan = True
        if not (root / PLAN_FILE).is_file() and root.is_dir() and studies:
            # no plan to record a decision: every overlapping pair is a problem too
            problems = list(problems) + list(_undecided_overlaps(root, studies))
    except EvidenceError as err:
        problems, studies = list(err.problems), {}
    except OSError as err:
        problems, studies = [Problem(str(path), None, "", f"cannot read ({err.strerror})")], {}
    problems = sorted(set(problems), key=lambda p: (p.file, p.line or 0, p.path, p.message))
    for problem in problems:
        print(Problem(problem.file, problem.line, problem.path, one_line(problem.message)))
    if problems:
        files = len({p.file for p in problems})
        print(f"{_plural(len(problems), 'problem')} in {_plural(files, 'file')}", file=sys.stderr)
        return 1
    plan = f" and the analysis plan ({PLAN_FILE})" if checked_plan else ""
    print(f"evidence valid: {_plural(len(studies), 'file')}{plan}")  # the result: stdout
    return 0


def _undecided_overlaps(root: Path, studies: dict[str, Loaded]) -> list[Problem]:
    from .overlaps import find_overlaps
    from .plan_checks import undecided_message

    found = find_overlaps({sid: item.data for sid, item in studies.items()})
    return [Problem(str(root / PLAN_FILE), None, "overlaps", undecided_message(o)) for o in found]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


# ---- cross-field checks -----------------------------------------------------------------------

def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def cross_field_problems(loaded: Loaded) -> list[Problem]:
    """Checks the schema cannot express (docs/extraction-schema.md, last section)."""
    d = loaded.data
    problems: list[Problem] = []

    def add(path: tuple, message: str):
        problems.append(Problem(loaded.file, loaded.line_of(path), format_path(path), message))

    stem = Path(loaded.file).stem
    if d.get("study_id") != stem:
        add(("study_id",), f"study id {d.get('study_id')!r} differs from the file name {stem!r}")
    _check_citation(d, add)
    n = _value(d.get("population", {}).get("n"))
    strata = d.get("strata") or []
    scope_n = {"all": n}
    for s in strata:
        scope_n[s["id"]] = _value(s.get("n"))
    if strata and _is_count(n) and not any(s.get("overlapping") for s in strata):
        values = [_value(s.get("n")) for s in strata]
        if all(_is_count(v) for v in values) and sum(values) != n:
            add(("strata",), f"strata N add up to {sum(values)}, not population.n = {n}")
    for i, outcome in enumerate(d.get("outcomes", [])):
        for j, r in enumerate(outcome.get("results", [])):
            path = ("outcomes", i, "results", j)
            scope = r.get("scope")
            if scope not in scope_n:
                add((*path, "scope"), f"unknown scope {scope!r} (defined: {', '.join(scope_n)})")
                continue
            events, total = r.get("events"), r.get("total")
            if _is_count(events) and _is_count(total) and events > total:
                add((*path, "events"), f"{events} events exceed the total {total}")
            expected = scope_n[scope]
            if (_is_count(total) and _is_count(expected) and total != expected
                    and "total_note" not in r):
                add((*path, "total"), f"total {total} differs from the N of {scope!r} ({expected}) "
                                      "without a total_note")
    _check_drugs(d, add)
    _check_patients(d, n, add)
    _check_characteristics(d, scope_n, add)
    _check_derived(d, (), add)
    _check_statistic_links(d, add)
    return problems


def _check_statistic_links(d, add):
    """A p value's ``statistic`` names a reported statistic of the same extraction."""
    stats = d.get("reported_statistics") or []
    kinds = {s.get("id"): s.get("kind") for s in stats if isinstance(s, dict)}
    for i, s in enumerate(stats):
        target = s.get("statistic") if isinstance(s, dict) else None
        if target is None:
            continue
        if s.get("kind") != "p_value":
            add(("reported_statistics", i, "statistic"), "only a p_value names the statistic it tests")
        elif target not in kinds or target == s.get("id"):
            add(("reported_statistics", i, "statistic"),
                f"no other reported statistic with id {target!r} (ids: {', '.join(map(str, kinds))})")


def _value(block):
    return block.get("value") if isinstance(block, dict) else block


def _check_citation(d, add):
    citation = d.get("citation", {})
    doi, pmid = citation.get("doi"), citation.get("pmid")
    if doi == NOT_REPORTED and pmid == NOT_REPORTED:
        add(("citation", "doi"), "give a DOI or a PMID (both are 'not reported')")
    if isinstance(doi, str) and doi != NOT_REPORTED and not DOI.match(doi):
        add(("citation", "doi"), f"{doi!r} is not a DOI (10.<registrant>/<suffix>)")
    if isinstance(pmid, str) and pmid != NOT_REPORTED and not PMID.match(pmid):
        add(("citation", "pmid"), f"{pmid!r} is not a PMID (digits only)")


def _drug_paths(d):
    yield ("intervention", "drug"), d.get("intervention", {}).get("drug")
    prior = d.get("prior_therapies", {})
    for i, item in enumerate(prior.get("aggregate", []) if isinstance(prior, dict) else []):
        if isinstance(item, dict):
            yield ("prior_therapies", "aggregate", i, "drug"), item.get("drug")
    concomitant = d.get("intervention", {}).get("concomitant")
    for i, item in enumerate(concomitant if isinstance(concomitant, list) else []):
        if isinstance(item, dict) and "drug" in item:
            yield ("intervention", "concomitant", i, "drug"), item.get("drug")
    patients = d.get("patients")
    if isinstance(patients, dict):
        keys = [c["key"] for c in patients.get("columns", []) if c.get("type") == "therapies"]
        for i, row in enumerate(patients.get("rows", [])):
            for key in keys:
                items = row.get("values", {}).get(key)
                if isinstance(items, list):
                    for j, item in enumerate(items):
                        if isinstance(item, dict):
                            yield ("patients", "rows", i, "values", key, j, "drug"), item.get("drug")


def _check_drugs(d, add):
    from . import vocab

    for path, drug in _drug_paths(d):
        if isinstance(drug, str) and drug != NOT_REPORTED and not vocab.is_known_drug(drug):
            close = getattr(vocab, "suggest_drug", lambda _: [])(drug)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            add(path, f"unknown drug {drug!r}: not in the drug vocabulary (jakisynth/vocab.py)"
                      f"{hint}")
    known_conditions = getattr(vocab, "CONDITIONS", None)
    if known_conditions is None:
        return
    for base in (("population", "conditions"), ("intervention", "indications")):
        items = d.get(base[0], {}).get(base[1])
        for i, item in enumerate(items if isinstance(items, list) else []):
            term = item.get("term") if isinstance(item, dict) else None
            if isinstance(term, str) and term != NOT_REPORTED and term not in known_conditions:
                add((*base, i, "term"), f"unknown condition {term!r}: not in the condition "
                                        "vocabulary (jakisynth/vocab.py)")


def _check_patients(d, n, add):
    patients = d.get("patients")
    if not isinstance(patients, dict):
        return
    rows = patients.get("rows", [])
    if _is_count(n) and len(rows) != n:
        add(("patients", "rows"), f"{len(rows)} patient rows, but population.n = {n}")
    keys = {c["key"] for c in patients.get("columns", [])}
    headers = {c["key"]: str(c.get("header", "")) for c in patients.get("columns", [])}
    for i, note in enumerate(patients.get("footnotes", []) or []):
        for j, key in enumerate(note.get("applies_to", []) if isinstance(note, dict) else []):
            if key not in keys:
                add(("patients", "footnotes", i, "applies_to", j), f"unknown column {key!r}")
            elif str(note.get("marker", "")) not in headers[key]:
                add(("patients", "footnotes", i, "applies_to", j),
                    f"column {key!r} (header {headers[key]!r}) does not carry the marker "
                    f"{note.get('marker')!r}")
    ids = set()
    for i, row in enumerate(rows):
        if row.get("id") in ids:
            add(("patients", "rows", i, "id"), f"duplicate patient id {row.get('id')!r}")
        ids.add(row.get("id"))
        for key in row.get("values", {}):
            if key not in keys:
                add(("patients", "rows", i, "values", key), f"unknown column {key!r} "
                                                            f"(columns: {', '.join(sorted(keys))})")
    counts = Series(str(d.get("study_id")), d).therapy_counts()
    if not counts:
        return
    prior = d.get("prior_therapies", {})
    for i, item in enumerate(prior.get("aggregate", []) if isinstance(prior, dict) else []):
        if not isinstance(item, dict) or item.get("scope", "all") != "all":
            continue
        count = item.get("count")
        if not _is_count(count):
            continue
        derived = counts.get((item.get("drug"), item.get("status")), 0)
        if derived != count:
            add(("prior_therapies", "aggregate", i, "count"),
                f"reported {count} patients with {item.get('drug')} ({item.get('status')}), "
                f"but the patient rows give {derived}")


def _check_characteristics(d, scope_n, add):
    for i, table in enumerate(d.get("characteristics") or []):
        if not table.get("exclusive"):
            continue
        for column in table.get("columns", []):
            counts = [r.get("values", {}).get(column, {}).get("count") for r in table.get("rows", [])]
            counts = [c for c in counts if _is_count(c)]
            expected = scope_n.get(column)
            if counts and _is_count(expected) and sum(counts) != expected:
                add(("characteristics", i, "columns"),
                    f"exclusive rows of {table.get('id')!r} add up to {sum(counts)} in column "
                    f"{column!r}, not its N {expected}")


def _check_derived(node, path, add):
    if isinstance(node, dict):
        derived = node.get("derived")
        if isinstance(derived, dict):
            for key in derived:
                if key not in node:
                    add((*path, "derived", key), f"derived names {key!r}, which is not a field of "
                                                 "this block")
        for key, value in node.items():
            _check_derived(value, (*path, key), add)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _check_derived(value, (*path, i), add)
