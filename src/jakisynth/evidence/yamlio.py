"""Safe, strict YAML loading with line numbers (the first stage: YAML -> plain data).

Built on PyYAML's composer (the node tree of ``yaml.SafeLoader``), converted by our own rules:

- duplicate keys at any depth are errors (naming the key and both lines);
- anchors, aliases and explicit tags (``!!python/object``, ``!!str``...) are errors;
- plain scalars: ``true``/``false`` -> bool; ``null``, ``~`` or empty -> None; decimal integers
  -> int; decimal floats (``88.7``, ``1e-3``) -> float; ``.nan``/``.inf`` -> error; everything else
  (``yes``, ``no``, ``on``, dates such as ``2024-08-29``, ``0x1F``, ``1_000``) stays a string;
  quoted scalars are always strings;
- mapping keys must be strings.

Every node's line is kept (``Loaded.lines``; for a mapping value, the line of its key) and every
scalar's text as written (``Loaded.raw``: ``100.0`` stays ``"100.0"``, so the number of decimals a
paper printed is not lost).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import EvidenceError, Problem

_INT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^[-+]?([0-9]+\.[0-9]*|\.[0-9]+|[0-9]+(?=[eE]))([eE][-+]?[0-9]+)?$")
_SIMPLE_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")
_SPECIAL_FLOAT = re.compile(r"^[-+]?\.(nan|NaN|NAN|inf|Inf|INF)$")
#: Bounds on any input, so that no file can make a command work for long: the size in bytes
#: (checked before parsing), and the number of nodes and the nesting depth (checked while the
#: parser reads, before anything is composed). The largest real extraction has ~50 kB, ~4,300
#: parser events (a node is one event, a list or mapping two) and depth ~10.
MAX_BYTES = 2_000_000
MAX_NODES = 50_000
MAX_DEPTH = 64
MAX_KEY_SHOWN = 60  # a longer field name is shortened in messages


@dataclass
class Loaded:
    """A loaded YAML document: plain data plus the line and raw text of every node."""

    file: str
    data: Any
    lines: dict[tuple, int] = field(default_factory=dict)
    raw: dict[tuple, str] = field(default_factory=dict)

    def line_of(self, path: tuple) -> int | None:
        """Line of ``path`` or of its nearest ancestor that has one."""
        path = tuple(path)
        while True:
            if path in self.lines:
                return self.lines[path]
            if not path:
                return None
            path = path[:-1]


def format_path(path: tuple) -> str:
    """``("outcomes", 0, "results", 1, "events")`` -> ``"outcomes[0].results[1].events"``."""
    out = ""
    for part in path:
        if isinstance(part, str) and len(part) > MAX_KEY_SHOWN:  # one readable line
            part = f"{part[:MAX_KEY_SHOWN]}..."
        if isinstance(part, int):
            out += f"[{part}]"
        elif _SIMPLE_KEY.match(str(part)):
            out += f".{part}" if out else str(part)
        else:  # a key with spaces or punctuation: quoted, whitespace escaped (one token)
            quoted = json.dumps(str(part), ensure_ascii=False)
            out += "[" + re.sub(r"\s", lambda m: f"\\u{ord(m.group()):04x}", quoted) + "]"
    return out


def one_line(text: str) -> str:
    """``text`` on one line (problems print one per line)."""
    return " ".join(str(text).split()) or "?"


class _Refused(Exception):
    def __init__(self, line: int | None, path: tuple, message: str):
        super().__init__(message)
        self.line = line
        self.path = path
        self.message = message


def load_yaml(path) -> Loaded:
    """Load a YAML file strictly; raise :class:`EvidenceError` with one :class:`Problem`."""
    file = str(path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise EvidenceError([Problem(file, None, "", "no such file")]) from None
    except OSError as err:
        raise EvidenceError([Problem(file, None, "", f"cannot read the file ({err.strerror})")]) from None
    if len(data) > MAX_BYTES:
        raise EvidenceError([Problem(file, None, "", f"the file is too large ({len(data):,} bytes; "
                                                     f"at most {MAX_BYTES:,})")])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise EvidenceError([Problem(file, line, "", "the file is not UTF-8 text")]) from None
    return load_yaml_text(text, file)


def load_yaml_text(text: str, file: str = "<string>") -> Loaded:
    """Load YAML text strictly (see the module docstring)."""
    import yaml

    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip() or all(not line.strip() or line.lstrip().startswith("#")
                               for line in text.splitlines()):
        raise EvidenceError([Problem(file, None, "", "the file is empty")])
    try:
        _check_events(text, file)
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else None
        message = one_line(" ".join(str(x) for x in (err.context, err.problem) if x))
        message = _long_key_message(text, err, line) or message
        raise EvidenceError([Problem(file, line, "", f"invalid YAML: {message}")]) from None
    except yaml.reader.ReaderError as err:
        line = text[: err.position].count("\n") + 1
        raise EvidenceError([Problem(file, line, "", "invalid YAML: the text contains a control "
                                                     f"character ({_char_name(err.character)})")]) from None
    except yaml.YAMLError as err:
        raise EvidenceError([Problem(file, None, "", f"invalid YAML: {one_line(err)}")]) from None
    if node is None:
        raise EvidenceError([Problem(file, None, "", "the file is empty")])
    loaded = Loaded(file, None)
    try:
        loaded.data = _convert(node, (), loaded, [0])
    except _Refused as err:
        raise EvidenceError([Problem(file, err.line, format_path(err.path), err.message)]) from None
    except RecursionError:
        raise EvidenceError([Problem(file, None, "", "the document is nested too deeply")]) from None
    if loaded.data is None:
        raise EvidenceError([Problem(file, None, "", "the file is empty")])
    if not isinstance(loaded.data, dict):
        raise EvidenceError([Problem(file, node.start_mark.line + 1, "",
                                     "the top level must be a mapping of fields")])
    return loaded


def _long_key_message(text: str, err, line: int | None) -> str | None:
    """PyYAML's "could not find expected ':'" or "mapping values are not allowed here" for a
    key longer than YAML's 1024-character limit for an implicit key, said plainly."""
    lines = text.splitlines()
    marks = [m.line for m in (err.context_mark, err.problem_mark) if m is not None]
    for index in marks:
        if 0 <= index < len(lines):
            key = lines[index].split(":", 1)[0]
            if len(key) > 1024:
                return (f"line {index + 1} has {len(key):,} characters before its first ':'; a "
                        "field name has at most 1024 (YAML's limit): is this a field name?")
    return None


def _char_name(character) -> str:
    code = character if isinstance(character, int) else ord(str(character)[:1] or "?")
    return f"U+{code:04X}"


def _check_events(text: str, file: str) -> None:
    """Refuse anchors, aliases and explicit tags, and documents beyond :data:`MAX_NODES` nodes
    or :data:`MAX_DEPTH` levels, reading the event stream (lines from marks) before any node
    is composed."""
    import yaml

    if len(text) > MAX_BYTES:
        raise EvidenceError([Problem(file, None, "", f"the text is too large (at most "
                                                     f"{MAX_BYTES:,} characters)")])
    _check_bounds(text, file, getattr(yaml, "CSafeLoader", None))
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise EvidenceError([Problem(file, line, "", "anchors and aliases are not allowed")])
        tag = getattr(event, "tag", None)
        if tag is not None and not isinstance(event, yaml.DocumentStartEvent):
            raise EvidenceError([Problem(file, line, "", f"tags are not allowed (found {tag})")])


def _check_bounds(text: str, file: str, fast_loader) -> None:
    """Count nodes and levels on the event stream, with libyaml's parser when PyYAML has it
    (50 times faster, so a refusal takes well under a second). A syntax error is left to the
    pure-Python parser, which reports it as before (after no more events than counted here)."""
    import yaml

    depth = 0
    events = yaml.parse(text, Loader=fast_loader or yaml.SafeLoader)
    try:
        for count, event in enumerate(events):
            _bound(count, depth, event, file)
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except (yaml.YAMLError, ValueError):  # ValueError: text libyaml cannot encode
        if fast_loader is None:
            raise


def _bound(count: int, depth: int, event, file: str) -> None:
    import yaml

    line = event.start_mark.line + 1
    if count > MAX_NODES:
        raise EvidenceError([Problem(file, line, "", f"the document is too large (more than "
                                                     f"{MAX_NODES:,} parser events)")])
    if isinstance(event, yaml.CollectionStartEvent) and depth >= MAX_DEPTH:
        raise EvidenceError([Problem(file, line, "", f"the document is nested too deeply "
                                                     f"(more than {MAX_DEPTH} levels)")])


def _convert(node, path: tuple, loaded: Loaded, count: list[int]):
    import yaml

    count[0] += 1
    if count[0] > MAX_NODES:
        raise _Refused(node.start_mark.line + 1, path, "the document is too large")
    line = node.start_mark.line + 1
    loaded.lines.setdefault(path, line)
    if isinstance(node, yaml.MappingNode):
        out: dict = {}
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                raise _Refused(key_node.start_mark.line + 1, path,
                               "mapping keys must be plain names (no merge keys, lists or mappings)")
            key_line = key_node.start_mark.line + 1
            key = _scalar(key_node, (*path, key_node.value), key_line)
            if not isinstance(key, str):
                raise _Refused(key_line, path, f"mapping key {key_node.value!r} is not a name: "
                                               "keys must be text (quote it)")
            if key in seen:
                raise _Refused(key_line, (*path, key),
                               f"duplicate key {key!r} (first on line {seen[key]})")
            seen[key] = key_line
            loaded.lines[(*path, key)] = key_line
            out[key] = _convert(value_node, (*path, key), loaded, count)
            loaded.lines[(*path, key)] = key_line
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, (*path, i), loaded, count) for i, item in enumerate(node.value)]
    loaded.raw[path] = node.value
    return _scalar(node, path, line)


def _scalar(node, path: tuple, line: int):
    text = node.value
    if node.style in ("'", '"', "|", ">"):
        return text
    if text in ("true", "false"):
        return text == "true"
    if text in ("", "~", "null"):
        return None
    if _INT.match(text):
        return int(text)
    if _SPECIAL_FLOAT.match(text):
        raise _Refused(line, path, f"{text} is not allowed: write a number or 'not reported'")
    if _FLOAT.match(text):
        value = float(text)
        if not math.isfinite(value):
            raise _Refused(line, path, f"{text} is too large to be a number")
        return value
    return text
