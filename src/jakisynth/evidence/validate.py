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

import json
import re
import sys
from functools import lru_cache
from importlib import resources
from pathlib import Path

from ..errors import EvidenceError, Problem
from .crosscheck import date_problems, duplicate_citations
from .yamlio import Loaded, format_path, load_yaml, one_line

PLAN_FILE = "analysis.yaml"
NOT_REPORTED = "not reported"
DOI = re.compile(r"^10\.\d{4,9}/\S+$")
PMID = re.compile(r"^[0-9]{1,9}$")


@lru_cache(maxsize=None)
def _schema_text(name: str) -> str:
    return resources.files("jakisynth.evidence").joinpath(f"schema/{name}").read_text("utf-8")


def extraction_schema() -> dict:
    """The extraction JSON Schema (a fresh copy: callers may modify it)."""
    return json.loads(_schema_text("extraction.schema.json"))


# ---- JSON Schema -> Problems ------------------------------------------------------------------

def _type_name(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "an empty value"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the text {value[:40]!r}"
    return {dict: "a mapping", list: "a list"}.get(type(value), type(value).__name__)


_TYPE_NAMES = {"integer": "an integer", "number": "a number", "string": "a text",
               "boolean": "a boolean", "object": "a mapping", "array": "a list",
               "null": "an empty value"}
_MISMATCH = ("type", "const", "enum", "pattern")
_PATTERN_NAMES = {
    "^10\\.[0-9]{4,9}/\\S+$": "a DOI (10.<registrant>/<suffix>)",
    "^[0-9]{1,9}$": "a PMID (digits only)",
    "^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$": "a date (\"YYYY\", \"YYYY-MM\" or \"YYYY-MM-DD\")",
    "^[a-z][a-z0-9_]*[0-9]{4}[a-z]?$": "a study id (lower case, ending in the year: liu2024, liu2024b)",
    "^[a-z][a-z0-9_]*$": "a slug (lower case letters, digits and _, e.g. clinical_remission)",
}


def _expected(types) -> str:
    types = types if isinstance(types, list) else [types]
    return " or ".join(_TYPE_NAMES.get(t, t) for t in types)


def _messages(error) -> list[tuple[tuple, str]]:
    """Readable (path, message) pairs for one jsonschema error (several for an anyOf branch)."""
    path = tuple(error.absolute_path)
    v = error.validator
    if v == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed)) if isinstance(error.instance, dict) else []
        if extra:
            return [((*path, name), f"unknown field (allowed: {', '.join(allowed)})")
                    for name in extra]
    if v == "unevaluatedProperties" and isinstance(error.instance, dict):
        allowed = sorted(_property_names(error.schema))
        extra = sorted(set(error.instance) - set(allowed))
        if extra:
            return [((*path, name), f"unknown field (allowed: {', '.join(allowed)})")
                    for name in extra]
    if v == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        return [((*path, name), "required field missing") for name in missing or ["?"]]
    if v == "type":
        return [(path, f"expected {_expected(error.validator_value)}, "
                       f"got {_type_name(error.instance)}")]
    if v == "enum":
        options = ", ".join(str(o) for o in error.validator_value)
        return [(path, f"{_type_name(error.instance)} is not one of: {options}")]
    if v == "const":
        return [(path, f"must be {error.validator_value!r}, got {_type_name(error.instance)}")]
    if v == "minimum":
        return [(path, f"must be >= {error.validator_value}, got {error.instance!r}")]
    if v == "maximum":
        return [(path, f"must be <= {error.validator_value}, got {error.instance!r}")]
    if v in ("exclusiveMinimum", "exclusiveMaximum"):
        return [(path, f"out of range ({v} {error.validator_value}), got {error.instance!r}")]
    if v == "pattern":
        form = _PATTERN_NAMES.get(error.validator_value)
        if form:
            return [(path, f"{_type_name(error.instance)} is not {form}")]
        return [(path, f"{_type_name(error.instance)} does not match the required form "
                       f"{error.validator_value}")]
    if v in ("minItems", "minLength", "minProperties"):
        return [(path, "must not be empty")]
    if v in ("maxItems", "maxLength"):
        return [(path, f"too long (at most {error.validator_value})")]
    if v in ("oneOf", "anyOf"):
        return _branch_messages(error, path)
    return [(path, error.message)]


def _property_names(schema: dict) -> set[str]:
    """Field names a (closed) object schema allows, including those of its ``$ref``."""
    names = set(schema.get("properties", {}))
    ref = schema.get("$ref", "")
    if ref.startswith("#/$defs/"):
        names |= _property_names(extraction_schema()["$defs"].get(ref[len("#/$defs/"):], {}))
    return names


def _branch_messages(error, path: tuple) -> list[tuple[tuple, str]]:
    """anyOf/oneOf: the errors of the one branch that fits the value's type, else a summary."""
    branches: dict[int, list] = {}
    for sub in error.context or []:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    options = error.validator_value
    allows_not_reported = any(isinstance(o, dict) and (o.get("const") == NOT_REPORTED
                                                        or o.get("$ref") == "#/$defs/not_reported")
                              for o in options)
    fitting = [i for i, errs in branches.items()
               if not any(e.validator in _MISMATCH and not e.relative_path for e in errs)]
    if len(fitting) == 1:
        out = []
        for sub in branches[fitting[0]]:
            out.extend(_messages(sub))
        return out
    if fitting and all(e.validator == "required" for i in fitting for e in branches[i]):
        names = [" and ".join(options[i].get("required", [])) if isinstance(options[i], dict)
                 else "?" for i in fitting]
        return [(path, f"give {' or '.join(names)}")]
    if not fitting:
        first = min(branches) if branches else None
        for sub in branches.get(first, []):
            if sub.validator == "type" and not sub.relative_path:
                hint = " (or write 'not reported')" if allows_not_reported else ""
                return [(path, f"expected {_expected(sub.validator_value)}, "
                               f"got {_type_name(sub.instance)}{hint}")]
        if allows_not_reported and first is not None:
            messages = _messages(branches[first][0])
            return [(p, f"{m} (or write 'not reported')") for p, m in messages]
    return [(path, f"{_type_name(error.instance)} is not a valid value here")]


def _strict_validator(schema: dict):
    """Draft 2020-12 validator in which an integer is a Python int (not 2.0, not true)."""
    from jsonschema import Draft202012Validator, validators

    checker = Draft202012Validator.TYPE_CHECKER.redefine(
        "integer", lambda _checker, value: isinstance(value, int) and not isinstance(value, bool))
    from .crosscheck import fullmatch_pattern

    strict = validators.extend(Draft202012Validator, type_checker=checker,
                               validators={"pattern": fullmatch_pattern})
    return strict(schema)


def schema_problems(loaded: Loaded, schema: dict) -> list[Problem]:
    """Validate ``loaded.data`` against ``schema``; one Problem per error (deduplicated)."""
    validator = _strict_validator(schema)
    problems = set()
    for error in validator.iter_errors(loaded.data):
        for path, message in _messages(error):
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
        found = schema_problems(loaded, schema)
        if not found:
            found = cross_field_problems(loaded) + date_problems(loaded)
            if sources is not None:
                from .sources import check_sources

                found += check_sources(loaded, Path(sources))
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
    print(f"evidence valid: {_plural(len(studies), 'file')}{plan}", file=sys.stderr)
    return 0


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
    for i, s in enumerate(strata):
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
    return problems


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
    conditions = d.get("population", {}).get("conditions")
    if known_conditions is None or not isinstance(conditions, list):
        return
    for i, item in enumerate(conditions):
        term = item.get("term") if isinstance(item, dict) else None
        if isinstance(term, str) and term != NOT_REPORTED and term not in known_conditions:
            add(("population", "conditions", i, "term"),
                f"unknown condition {term!r}: not in the condition vocabulary (jakisynth/vocab.py)")


def _patient_counts(d) -> dict[tuple[str, str], int]:
    """(drug, status) -> number of patient rows, from the therapies columns."""
    patients = d.get("patients")
    if not isinstance(patients, dict):
        return {}
    meanings = {f.get("marker"): f.get("meaning") for f in patients.get("footnotes", []) or []
                if isinstance(f, dict)}
    columns = [c for c in patients.get("columns", []) if c.get("type") == "therapies"]
    counts: dict[tuple[str, str], int] = {}
    for row in patients.get("rows", []):
        statuses: dict[str, set] = {}
        for column in columns:
            items = row.get("values", {}).get(column["key"])
            for item in items if isinstance(items, list) else []:
                marks = {meanings.get(m) for m in item.get("markers", [])}
                status = "active_at_start" if "active_at_start" in marks else column.get("status", "received")
                statuses.setdefault(item["drug"], set()).update({status, "received"})
        for drug, found in statuses.items():
            for status in found:
                counts[(drug, status)] = counts.get((drug, status), 0) + 1
    return counts


def _check_patients(d, n, add):
    patients = d.get("patients")
    if not isinstance(patients, dict):
        return
    rows = patients.get("rows", [])
    if _is_count(n) and len(rows) != n:
        add(("patients", "rows"), f"{len(rows)} patient rows, but population.n = {n}")
    keys = {c["key"] for c in patients.get("columns", [])}
    ids = set()
    for i, row in enumerate(rows):
        if row.get("id") in ids:
            add(("patients", "rows", i, "id"), f"duplicate patient id {row.get('id')!r}")
        ids.add(row.get("id"))
        for key in row.get("values", {}):
            if key not in keys:
                add(("patients", "rows", i, "values", key), f"unknown column {key!r} "
                                                            f"(columns: {', '.join(sorted(keys))})")
    counts = _patient_counts(d)
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
