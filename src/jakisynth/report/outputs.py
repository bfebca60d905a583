"""Writing outputs: in memory first, then atomically, with a manifest and stale-file removal.

Stage "outputs". A run collects every output as bytes in an :class:`OutputSet`; nothing touches
the output directory until everything has been computed. :func:`write_outputs` then switches the
whole set in at once (:mod:`~jakisynth.report.staging`: only into a directory jakisynth owns,
one run at a time, staged beside it and exchanged), with ``manifest.json``: who wrote the
directory (``generator: jakisynth``), every input and output with its sha256 and the package
version. Outputs an earlier run wrote (listed in its manifest, unchanged) that this run no
longer produces are not carried over. No timestamps anywhere, so a second run changes no byte.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .files import sha256, stable_float

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
                  extra: dict | None = None, evidence_dir=None) -> dict:
    """Write ``outputs`` and the manifest as the new content of ``out_dir``, in one switch
    (:mod:`~jakisynth.report.staging`: refused unless the directory is ours, locked, staged and
    exchanged). Returns the manifest as a dict."""
    from .staging import check_target, claim, output_lock, restore_if_missing

    restore_if_missing(Path(out_dir).resolve())
    out = check_target(out_dir, evidence_dir=evidence_dir)
    with output_lock(out) as held:
        previous = claim(out, str(out_dir))
        return publish_outputs(outputs, out, held, previous, inputs=inputs, version=version,
                               extra=extra)


def publish_outputs(outputs: OutputSet, out: Path, held: list, previous: dict, *,
                    inputs: dict[str, bytes], version: str, extra: dict | None = None) -> dict:
    """Under the lock of ``out``: build the manifest and switch the new set in."""
    from .staging import publish

    manifest = manifest_dict(outputs, inputs=inputs, version=version, extra=extra)
    text = json.dumps(manifest, indent=2, sort_keys=False) + "\n"
    publish(out, outputs.files, text, dict(previous.get("outputs", {})), held)
    return manifest


def manifest_dict(outputs: OutputSet, *, inputs: dict[str, bytes], version: str,
                  extra: dict | None = None) -> dict:
    """The manifest: who wrote the directory, every input and output with its sha256."""
    from .staging import GENERATOR

    return {
        "generator": GENERATOR,
        "package": "jakisynth",
        "version": version,
        **(extra or {}),
        "inputs": {name: sha256(data) for name, data in sorted(inputs.items())},
        "outputs": {name: sha256(data) for name, data in sorted(outputs.files.items())},
    }
