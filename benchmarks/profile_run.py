"""Where the time of `jakisynth run` goes, phase by phase (run by hand; issue 13).

    .venv/bin/python benchmarks/profile_run.py [--changed]

Runs the synthesis in this process on a copy of evidence/ into a copy of outputs/ (the committed
files are never touched) and prints CPU and wall time of each phase. ``--changed`` first edits
one series in the copy (Liu 2024, clinical remission 47/53 -> 46/53), so the analyses that use it
and their figures are recomputed: the "one changed series" case. Figures are drawn in worker
processes, so their CPU time is not in this process's figures: read their wall time.
For a function-level profile: ``python -m cProfile -o prof.out -m jakisynth.cli run --out DIR``.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PHASES = [("jakisynth.evidence.validate", "load_evidence", "load evidence (YAML, schema)"),
          ("jakisynth.evidence.plan", "load_plan", "load plan"),
          ("jakisynth.synthesis.analysis", "run_plan", "run plan (every pooling fit)"),
          ("jakisynth.synthesis.consistency", "check_evidence", "consistency check"),
          ("jakisynth.synthesis.consistency", "signed_rank_variants", "  of which Wilcoxon (scipy.stats)"),
          ("jakisynth.synthesis.consistency", "fisher_rxc", "  of which Fisher r x c"),
          ("jakisynth.report.tables", "build_tables", "tables"),
          ("jakisynth.run", "_figures", "figures (reuse or draw)"),
          ("jakisynth.report.html", "render_report", "HTML report"),
          ("jakisynth.run", "write_outputs", "write outputs")]


def main() -> None:
    import importlib

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changed", action="store_true", help="change one series first")
    args = parser.parse_args()
    start = time.process_time()
    run_module = importlib.import_module("jakisynth.run")
    timings: dict[str, list[float]] = {}
    for module_name, name, label in PHASES:
        module = importlib.import_module(module_name)
        original = getattr(module, name)

        def timed(*a, _f=original, _label=label, **k):
            cpu, wall = time.process_time(), time.perf_counter()
            try:
                return _f(*a, **k)
            finally:
                entry = timings.setdefault(_label, [0.0, 0.0])
                entry[0] += time.process_time() - cpu
                entry[1] += time.perf_counter() - wall

        setattr(module, name, timed)
    imports = time.process_time() - start
    with tempfile.TemporaryDirectory() as tmp:
        evidence, out = Path(tmp) / "evidence", Path(tmp) / "outputs"
        shutil.copytree(ROOT / "evidence", evidence)
        shutil.copytree(ROOT / "outputs", out)
        if args.changed:
            path = evidence / "liu2024.yaml"
            text = path.read_text("utf-8")
            old = "events: 47, total: 53, percent: 88.7"
            if old not in text:
                raise SystemExit(f"{path.name}: {old!r} not found; update this script")
            path.write_text(text.replace(old, "events: 46, total: 53, percent: 86.8", 1), "utf-8")
        cpu, wall = time.process_time(), time.perf_counter()
        run_module.run(evidence, out)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(f"imports: {imports:.2f} s CPU; run(): {cpu:.2f} s CPU, {wall:.2f} s wall "
          f"({'one series changed' if args.changed else 'unchanged evidence'})")
    print("| phase | CPU s | wall s |\n|---|---|---|")
    for label, (c, w) in timings.items():
        print(f"| {label} | {c:.2f} | {w:.2f} |")


if __name__ == "__main__":
    main()
