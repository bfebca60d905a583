"""Writing outputs: in memory first, then atomically, with a manifest and stale-file removal.

Stage "outputs". A run collects every output as bytes in an :class:`OutputSet`; nothing touches
the output directory until everything has been computed. :func:`write_outputs` then writes each
file atomically (temporary file in the same directory, ``os.replace``), removes the files an
earlier run wrote (listed in its manifest) that this run no longer produces, and writes
``manifest.json`` last: every input and output with its sha256 and the package version. No
timestamps anywhere, so a second run changes no byte.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .files import atomic_write, sha256, stable_float

MANIFEST = "manifest.json"


@dataclass
class OutputSet:
    """Outputs of one run, by POSIX path relative to the output directory."""

    files: dict[str, bytes] = field(default_factory=dict)

    def add(self, relative: str, data: bytes | str) -> None:
        if relative in self.files:
            raise ValueError(f"internal error: output {relative} produced twice")
        self.files[relative] = data.encode("utf-8") if isinstance(data, str) else data

    def add_table(self, stem: str, frame, *, title: str, float_format: str = "{:.4f}") -> None:
        """A table as CSV (``stem.csv``) and Markdown (``stem.md``)."""
        self.add(f"{stem}.csv", frame_to_csv(frame))
        self.add(f"{stem}.md", f"# {title}\n\n{frame_to_markdown(frame, float_format)}\n")


def _cell(value, float_format: str) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:  # NaN from pandas for a missing cell
            return ""
        return float_format.format(value)
    return str(value)


def frame_to_csv(frame) -> str:
    """Deterministic CSV: '\\n' line ends, floats to 10 significant digits
    (:func:`~jakisynth.report.files.stable_float`), missing as empty."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(list(frame.columns))
    for row in frame.itertuples(index=False):
        writer.writerow(["" if v is None or (isinstance(v, float) and v != v) else
                         (repr(stable_float(v)) if isinstance(v, float) else v) for v in row])
    return buffer.getvalue()


def frame_to_markdown(frame, float_format: str = "{:.4f}") -> str:
    header = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(_cell(v, float_format).replace("|", "\\|") for v in row) + " |"
            for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *body])


def write_outputs(outputs: OutputSet, out_dir, *, inputs: dict[str, bytes], version: str,
                  extra: dict | None = None) -> dict:
    """Write ``outputs`` into ``out_dir``; remove stale files of the previous run; write the
    manifest. Returns the manifest as a dict.
    """
    out = Path(out_dir)
    previous = _previous_outputs(out)
    for relative, data in sorted(outputs.files.items()):
        target = out / relative
        if not target.exists() or target.read_bytes() != data:
            atomic_write(target, data)
    root = out.resolve()
    for relative in sorted(previous - set(outputs.files) - {MANIFEST}):
        stale = out / relative
        if not stale.resolve().is_relative_to(root):  # a tampered manifest: never leave out/
            continue
        if stale.is_file():
            stale.unlink()
            _remove_empty_parents(stale.parent, out)
    manifest = {
        "package": "jakisynth",
        "version": version,
        **(extra or {}),
        "inputs": {name: sha256(data) for name, data in sorted(inputs.items())},
        "outputs": {name: sha256(data) for name, data in sorted(outputs.files.items())},
    }
    text = json.dumps(manifest, indent=2, sort_keys=False) + "\n"
    target = out / MANIFEST
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        atomic_write(target, text.encode("utf-8"))
    return manifest


def _previous_outputs(out: Path) -> set[str]:
    try:
        manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        return set(manifest.get("outputs", {}))
    except (OSError, ValueError, AttributeError):
        return set()


def _remove_empty_parents(directory: Path, root: Path) -> None:
    while directory != root and directory.is_dir() and not any(directory.iterdir()):
        directory.rmdir()
        directory = directory.parent
