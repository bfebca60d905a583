"""Benchmark of `jakisynth run` on the evidence base and of `jakisynth --help` (run by hand).

    .venv/bin/python benchmarks/bench_run.py

Targets (issue 4): `jakisynth run` on the seed evidence base under 5 s on the 2-core machine;
`jakisynth --help` under 0.5 s. Each is timed as a fresh process (what a user waits for), best
and median of 5, into a temporary output directory so the committed outputs are not touched.
Two cases: "warm", the output directory holds the committed outputs (a fresh clone, or a re-run:
figures whose inputs did not change are reused, see figures.FigureSpec.key), and "cold", an
empty output directory (every figure drawn: 12 figures x PNG 300 dpi, SVG, PDF).
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
JAKISYNTH = [sys.executable, "-m", "jakisynth.cli"]


def timed(args, repeat=5):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True, cwd=ROOT)
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def main() -> None:
    best, median = timed(JAKISYNTH + ["--help"])
    print(f"jakisynth --help: best {best:.3f} s, median {median:.3f} s (target < 0.5 s)")
    out = Path(tempfile.mkdtemp(prefix="jakisynth-bench-"))
    try:
        shutil.copytree(ROOT / "outputs", out, dirs_exist_ok=True)  # the changelog has history
        best, median = timed(JAKISYNTH + ["run", "--evidence", str(ROOT / "evidence"),
                                          "--out", str(out)])
        print(f"jakisynth run (warm): best {best:.3f} s, median {median:.3f} s (target < 5 s)")
    finally:
        shutil.rmtree(out)
    times = []
    for _ in range(3):
        out = Path(tempfile.mkdtemp(prefix="jakisynth-bench-cold-"))
        try:
            start = time.perf_counter()
            subprocess.run(JAKISYNTH + ["run", "--evidence", str(ROOT / "evidence"), "--out",
                                        str(out)], check=True, capture_output=True, cwd=ROOT)
            times.append(time.perf_counter() - start)
        finally:
            shutil.rmtree(out)
    print(f"jakisynth run (cold, empty output directory): best {min(times):.3f} s, "
          f"median {statistics.median(times):.3f} s (target < 5 s)")


if __name__ == "__main__":
    main()
