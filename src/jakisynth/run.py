"""``jakisynth run``: from the evidence base to every table, figure and the report.

Stage "run" (last before the command line). Order: validate the extractions and the plan (refuse
invalid evidence with the validate messages, writing nothing); fit every analysis; build tables,
figures, the consistency check, the changelog entry and the report, all in memory; then write them
atomically, remove stale outputs of earlier runs, and write the manifest.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from . import __version__
from .errors import EvidenceError
from .report.files import stable_floats
from .report.outputs import OutputSet

SOFTWARE = ("numpy", "scipy", "pandas", "statsmodels", "matplotlib", "PyYAML", "jsonschema",
            "Jinja2", "click")
FIGURE_FORMATS = ("png", "svg", "pdf")


@dataclass(frozen=True)
class RunSummary:
    out_dir: str
    evidence_version: str
    written: int
    analyses: int
    warnings: int
    changelog_entry: bool
    changes: str = ""  # the new changelog entry, briefly (living.newest_entry), when there is one

    def __str__(self) -> str:
        line = (f"wrote {self.written} files to {self.out_dir} (evidence version "
                f"{self.evidence_version[:12]}; {self.analyses} analyses, {self.warnings} warnings"
                f"{'; changelog updated' if self.changelog_entry else ''})")
        if not self.changes:
            return line
        return (f"{line}\n\n{self.changes}\n\n(every analysis before and after: "
                f"{Path(self.out_dir) / 'CHANGELOG.md'})")


def evidence_files(evidence_dir) -> dict[str, bytes]:
    """The evidence: every YAML file of the evidence directory (extractions and the analysis
    plan), by name. The exported JSON Schemas in ``evidence/schema/`` are copies of the
    package's and are not evidence, so they do not change the evidence version."""
    root = Path(evidence_dir)
    return {p.name: p.read_bytes() for p in sorted(root.iterdir())
            if p.is_file() and p.suffix in (".yaml", ".yml") and not p.name.startswith(".")}


def evidence_version(files: dict[str, bytes]) -> str:
    """sha256 over the sorted (path, sha256 of contents) pairs: the evidence-base version."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(f"{name}\0{hashlib.sha256(files[name]).hexdigest()}\n".encode())
    return digest.hexdigest()


def software_versions() -> dict[str, str]:
    from importlib import metadata

    versions = {"jakisynth": __version__}
    for name in SOFTWARE:
        versions[name] = metadata.version(name)
    return versions


def run(evidence_dir="evidence", out_dir="outputs", sources=None) -> RunSummary:
    """Run the synthesis; raise :class:`~jakisynth.errors.EvidenceError` on invalid evidence and
    :class:`~jakisynth.errors.OutputError` when ``out_dir`` may not be written (both before any
    work). The outputs are switched in as a whole, under the lock of ``out_dir``
    (:mod:`~jakisynth.report.staging`).

    ``sources``: the directory of source texts. When given, the full-text sweep's rows join
    consistency.csv (the quotes are checked by ``validate --sources``); when not (the default),
    the outputs depend on the repository alone (docs/consistency.md)."""
    from .evidence.plan import load_plan
    from .evidence.validate import load_evidence
    from .report.outputs import publish_outputs
    from .report.staging import check_target, claim, output_lock, restore_if_missing
    from .synthesis.analysis import run_plan
    from .synthesis.feasibility import check_feasible

    _check_evidence_dir(evidence_dir)
    restore_if_missing(Path(out_dir).resolve())
    out = check_target(out_dir, evidence_dir=evidence_dir)
    loaded = load_evidence(evidence_dir)
    studies = {sid: item.data for sid, item in loaded.items()}
    plan = load_plan(evidence_dir, loaded)
    check_feasible(plan, studies)
    with quiet_numerics():
        results = _fit_plan(run_plan, plan, studies)
    files = evidence_files(evidence_dir)
    version = evidence_version(files)
    with output_lock(out) as held:
        previous = claim(out, str(out_dir))
        old_changelog = _read(out / "CHANGELOG.md") if previous else None
        keys: dict[str, str] = {}
        with quiet_numerics():
            outputs = _build(results, loaded, studies, version, out, keys, previous, sources)
        manifest = publish_outputs(outputs, out, held, previous,
                                   inputs={f"evidence/{k}": v for k, v in files.items()},
                                   version=__version__,
                                   extra={"evidence_version": version,
                                          "figure_keys": {k: keys[k] for k in sorted(keys)}})
    from .synthesis.living import newest_entry

    n_warnings = sum(len(a.result.warnings) for a in results.analyses)
    changelog = outputs.files["CHANGELOG.md"]
    updated = changelog != old_changelog
    return RunSummary(str(out_dir), version, len(manifest["outputs"]) + 1, len(results.analyses),
                      n_warnings, updated,
                      newest_entry(changelog.decode("utf-8")) if updated else "")


def _fit_plan(run_plan, plan, studies):
    """``run_plan``; a fit the feasibility rules did not foresee is refused as a problem of the
    plan (one line), never a traceback."""
    from .errors import InputError, Problem

    try:
        return run_plan(plan, studies)
    except InputError as err:
        raise EvidenceError([Problem(plan.file, None, "", f"an analysis cannot be fitted: {err}")]) from None


def _build(results, loaded, studies, version, out, keys, previous, sources) -> OutputSet:
    """:func:`build_outputs`; a table or figure that refuses the results is one line."""
    from .errors import InputError, OutputError

    try:
        return build_outputs(results, loaded, studies, version, out, keys, previous, sources)
    except InputError as err:
        raise OutputError(f"the outputs cannot be built: {err}; nothing was written") from None


def _check_evidence_dir(evidence_dir) -> None:
    from .errors import Problem

    path = Path(evidence_dir)
    if not path.exists():
        problem = "no such directory"
    elif not path.is_dir():
        problem = ("is a file: --evidence takes the evidence directory (extractions and "
                   "analysis.yaml), e.g. evidence/")
    else:
        return
    raise EvidenceError([Problem(str(evidence_dir), None, "", problem)])


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


@contextmanager
def quiet_numerics():
    """No library warning between the result lines: numpy's floating-point warnings off, and
    RuntimeWarnings and pandas/matplotlib UserWarnings ignored while fitting and rendering.

    Deliberate: every edge case they flag is either refused before (counts beyond 2^53,
    infeasible models: :mod:`~jakisynth.synthesis.feasibility`) or carried by the results as a
    caveat (non-convergence, tau2 on the boundary...); results are written with
    ``allow_nan=False``, so a non-finite number cannot pass silently. The API functions
    (``pool_proportions``) are not wrapped: Python users see every warning.
    """
    import numpy as np

    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.filterwarnings("ignore", category=UserWarning, module="pandas")
        warnings.filterwarnings("ignore", category=UserWarning, module="matplotlib")
        yield


def build_outputs(results, loaded, studies, version: str, out_dir: Path, keys: dict,
                  previous: dict | None = None, sources=None) -> OutputSet:
    from .report.html import render_report
    from .report.outputs import frame_to_csv
    from .report.tables import build_tables
    from .synthesis.certainty import summary_of_findings
    from .synthesis.consistency import check_evidence
    from .synthesis.living import changelog_text, evidence_snapshot

    outputs = OutputSet()
    sof = summary_of_findings(results, studies)
    tables = build_tables(results, studies, sof)
    for name, (title, frame) in tables.items():
        outputs.add_table(f"tables/{name}", frame, title=title)
    svgs = _figures(results, studies, outputs, out_dir, keys, previous or {})
    consistency = check_evidence(loaded, sources).to_frame()
    outputs.add("consistency.csv", frame_to_csv(consistency))
    outputs.add("results.json", json.dumps(stable_floats({**results.to_dict(),
                                                         "summary_of_findings": sof.to_dict()}),
                                           indent=1, allow_nan=False) + "\n")
    snapshot = evidence_snapshot(studies, results.plan, version)
    outputs.add("evidence.json", json.dumps(stable_floats(snapshot), indent=1, sort_keys=True, allow_nan=False) + "\n")
    outputs.add("CHANGELOG.md", changelog_text(out_dir, snapshot, results.to_dict(), results.plan))
    outputs.add("report.html", render_report(
        plan_results=results, studies=studies, sof=sof,
        tables={name: frame for name, (_, frame) in tables.items()}, figures=svgs,
        consistency=consistency, evidence_version=version, software=software_versions()))
    return outputs


def _figures(results, studies, outputs: OutputSet, out_dir: Path, keys: dict,
             previous: dict) -> dict[str, bytes]:
    """Draw every figure (PNG, SVG, PDF into ``outputs``); return the SVGs for the report.

    A figure whose inputs, plotting code and matplotlib version are those recorded for the files
    already in ``out_dir`` (their key in the previous manifest, and their sha256 unchanged) is
    reused instead of redrawn: the bytes are the same either way, since drawing is deterministic.
    """
    from .report.figures import figure_specs

    specs = figure_specs(results, studies)
    rendered = {}
    for spec in specs:
        keys[spec.name] = spec.key
        rendered[spec.name] = _cached_figure(out_dir, previous, spec.name, keys[spec.name])
    missing = [spec for spec in specs if rendered[spec.name] is None]
    rendered.update(_render(missing, _progress_line("drawing figures")))
    svgs = {}
    for spec in specs:
        for fmt in FIGURE_FORMATS:
            outputs.add(f"figures/{spec.name}.{fmt}", rendered[spec.name][fmt])
        svgs[spec.name] = rendered[spec.name]["svg"]
    return svgs


def _progress_line(what: str, stream=None):
    """A callback ``(done, total)`` that keeps one line "what: done/total" up to date on
    ``stream`` (stderr) when it is a terminal, and clears it at the end; None otherwise (a pipe,
    a log file or CI gets no progress output)."""
    import sys

    stream = stream or sys.stderr
    if not getattr(stream, "isatty", lambda: False)():
        return None

    def progress(done: int, total: int) -> None:
        line = f"{what}: {done}/{total}"
        stream.write(f"\r{line}" if done < total else "\r" + " " * len(line) + "\r")
        stream.flush()
    return progress


def _render_one(spec) -> dict[str, bytes]:
    """Draw ``spec`` and render it in every format (a top-level function of a picklable
    argument: runs in a spawned or forkserver worker)."""
    from .report.figure_base import figure_bytes
    from .report.figures import draw

    fig = draw(spec)
    return {fmt: figure_bytes(fig, fmt) for fmt in FIGURE_FORMATS}


def _render(specs, progress=None) -> dict[str, dict[str, bytes]]:
    """Draw and render figures, on two worker processes when there are several (a
    ``forkserver`` context where the platform has one, else ``spawn``: no state is inherited,
    so the bytes are those of a fresh process; rendering is deterministic). ``progress(done,
    total)`` is called after each figure."""
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    specs = list(specs)
    progress = progress or (lambda done, total: None)
    if specs:
        progress(0, len(specs))
    workers = min(2, os.cpu_count() or 1, len(specs))
    if workers < 2:
        out = {}
        for spec in specs:
            out[spec.name] = _render_one(spec)
            progress(len(out), len(specs))
        return out
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        context.set_forkserver_preload(["jakisynth.report.forest", "jakisynth.report.figures"])
    out = {}
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        for spec, rendered in zip(specs, pool.map(_render_one, specs)):
            out[spec.name] = rendered
            progress(len(out), len(specs))
    return out


def _cached_figure(out_dir: Path, previous: dict, name: str, key: str):
    from .report.files import sha256

    figure_keys = previous.get("figure_keys")
    if not isinstance(figure_keys, dict) or figure_keys.get(name) != key:
        return None
    out = {}
    for fmt in FIGURE_FORMATS:
        relative = f"figures/{name}.{fmt}"
        try:
            data = (Path(out_dir) / relative).read_bytes()
        except OSError:
            return None
        if sha256(data) != previous.get("outputs", {}).get(relative):
            return None
        out[fmt] = data
    return out
