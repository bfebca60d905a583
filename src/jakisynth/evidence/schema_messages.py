"""JSON Schema errors as readable messages: one (path, message) per finding.

Stage "evidence", used by :mod:`~jakisynth.evidence.validate` (extractions) and
:mod:`~jakisynth.evidence.plan` (the analysis plan). jsonschema's own messages quote Python
reprs and, for ``anyOf``/``oneOf``, every branch; these name the field, what was expected and
what was found, and for a branch choose the one that fits the value's type.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources

from .series import NOT_REPORTED


@cache
def _schema_text(name: str) -> str:
    return resources.files("jakisynth.evidence").joinpath(f"schema/{name}").read_text("utf-8")


def extraction_schema() -> dict:
    """The extraction JSON Schema (a fresh copy: callers may modify it)."""
    return json.loads(_schema_text("extraction.schema.json"))


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


def schema_messages(error) -> list[tuple[tuple, str]]:
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
            out.extend(schema_messages(sub))
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
            messages = schema_messages(branches[first][0])
            return [(p, f"{m} (or write 'not reported')") for p, m in messages]
    return [(path, f"{_type_name(error.instance)} is not a valid value here")]


def strict_validator(schema: dict):
    """Draft 2020-12 validator in which an integer is a Python int (not 2.0, not true) and a
    ``pattern`` must match the whole text (Python's ``$`` would accept a final newline)."""
    from jsonschema import Draft202012Validator, validators

    from .crosscheck import fullmatch_pattern

    checker = Draft202012Validator.TYPE_CHECKER.redefine(
        "integer", lambda _checker, value: isinstance(value, int) and not isinstance(value, bool))
    strict = validators.extend(Draft202012Validator, type_checker=checker,
                               validators={"pattern": fullmatch_pattern})
    return strict(schema)
