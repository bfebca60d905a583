"""Time to draw and save forest plots of 3 and 300 studies (PNG 300 dpi, SVG, PDF). Run by hand:

    .venv/bin/python benchmarks/bench_plotting.py [--repeat 3] [--out DIR]

Prints, per size, the best of ``--repeat`` runs of: building the figure, saving each format,
and the total; plus the file sizes. The input dicts are synthetic (no statistics are computed).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def synthetic_result(k: int) -> dict:
    studies = []
    for i in range(k):
        total = 20 + (13 * i) % 60
        events = 1 + (7 * i) % (total - 1)
        p = events / total
        studies.append({"study": f"Author{i:03d} et al. {2000 + i % 25}", "events": events,
                        "total": total, "proportion": p, "ci_lower": max(0.0, p - 0.15),
                        "ci_upper": min(1.0, p + 0.15)})
    return {"k": k, "estimate": 0.62, "ci_lower": 0.55, "ci_upper": 0.68, "pi_lower": 0.2,
            "pi_upper": 0.9, "tau2": 0.4, "tau2_ci_lower": 0.2, "tau2_ci_upper": 0.9,
            "I2": 71.2, "H2": 3.5, "Q": 900.0, "Q_pvalue": 1e-9,
            "weights": [100.0 / k] * k, "transformed": {}, "studies": studies,
            "method": "inverse", "transform": "logit", "tau2_method": "REML", "ci_method": "z",
            "level": 0.95, "study_ci": "exact",
            "warnings": [f"k = {k} < 5: tau2 and the prediction interval are poorly estimated"]
            if k < 5 else []}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None, help="keep the files here")
    args = parser.parse_args()

    t0 = time.perf_counter()
    from jakisynth.report.plotting import forest_plot, save_figure
    import matplotlib  # noqa: F401  (imported by the first call anyway; timed here)

    print(f"import matplotlib + jakisynth.report.plotting: {time.perf_counter() - t0:.2f} s")
    out = args.out or Path(tempfile.mkdtemp(prefix="bench_plotting_"))
    out.mkdir(parents=True, exist_ok=True)
    for k in (3, 300):
        result = synthetic_result(k)
        best: dict[str, float] = {}
        for _ in range(args.repeat):
            times = {}
            t = time.perf_counter()
            fig = forest_plot(result, title=f"Synthetic forest plot, k = {k}")
            times["build"] = time.perf_counter() - t
            for fmt in ("png", "svg", "pdf"):
                t = time.perf_counter()
                save_figure(fig, out / f"forest_{k}", formats=(fmt,))
                times[fmt] = time.perf_counter() - t
            times["total"] = sum(times.values())
            best = {key: min(v, best.get(key, v)) for key, v in times.items()}
        w, h = fig.get_size_inches()
        sizes = ", ".join(f"{fmt} {(out / f'forest_{k}.{fmt}').stat().st_size / 1024:.0f} KiB"
                          for fmt in ("png", "svg", "pdf"))
        print(f"k = {k:3d} ({w:.1f} x {h:.1f} in): " + ", ".join(
            f"{key} {v:.2f} s" for key, v in best.items()) + f"  [{sizes}]")
    print(f"files in {out}")


if __name__ == "__main__":
    main()
