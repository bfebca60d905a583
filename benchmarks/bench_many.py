"""Benchmark of pool_many and the lean single fit, side by side with their peers (issue 13).

    .venv/bin/python benchmarks/bench_many.py [--groups 10000] [--metafor-groups 10000]

Run by hand (figures go in the closing note, never in tests). In one run:

1. Lean single fit, k = 10, DL and PM: ``pool_proportions(..., study_ci=None, tau2_ci=False)``
   against statsmodels' ``combine_effects`` with the same work on both sides (from counts:
   logit yi/vi with metafor's continuity correction, common and random effects with CIs, Q, I²);
   the full fit too. Median CPU time of interleaved rounds over 200 data sets (CPU time, as the
   machine is shared). Target: lean <= 0.5 x peer.
2. 10,000 meta-analyses x k = 10 (true logit N(0, 1) per group, τ² = 0.3, totals 5..59,
   seed 7): pool_many REML (and DL) against a loop of pool_proportions (full and lean), a loop of
   statsmodels DL, and a loop of metafor's ``rma(method = "REML")`` in Rscript (when present;
   the loop alone is timed inside R, without R's start-up). Wall clock and CPU time (R:
   user + system of ``system.time``). Targets: pool_many <= 1 s, >= 20x
   the statsmodels loop, >= 500x the metafor loop. The largest difference of the pooled logit
   between pool_many and metafor is printed as a check that the loops do the same work.
3. Peak memory (tracemalloc) of pool_many REML at 10^4, 10^5 and 10^6 studies (k = 10), and at
   10^6 studies streamed in chunks of 10^5 studies.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from jakisynth import pool_many, pool_proportions

warnings.simplefilter("ignore")  # caveats are raised as warnings; not what is timed here


def logit_effects(x, n):
    """metafor's escalc("PLO") with the 1/2 correction, as the statsmodels side needs it."""
    x, n = x.astype(float), n.astype(float)
    c = (x == 0) | (x == n)
    x, n = np.where(c, x + 0.5, x), np.where(c, n + 1, n)
    return np.log(x / (n - x)), 1 / x + 1 / (n - x)


def simulate(groups: int, k: int, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = rng.integers(5, 60, size=groups * k)
    theta = np.repeat(rng.normal(0, 1, groups), k) + rng.normal(0, np.sqrt(0.3), groups * k)
    x = rng.binomial(n, 1 / (1 + np.exp(-theta)))
    return pd.DataFrame({"meta_id": np.repeat(np.arange(groups), k), "events": x, "total": n})


def single_fit() -> None:
    from statsmodels.stats.meta_analysis import combine_effects

    frame = simulate(200, 10, seed=11)
    data = [(g["events"].to_numpy(), g["total"].to_numpy()) for _, g in frame.groupby("meta_id")]
    print("1. single fit, k = 10, median CPU microseconds per fit over 200 data sets "
          "(7 interleaved rounds)")
    print("| tau2 | lean pool_proportions | full pool_proportions | statsmodels combine_effects "
          "(+ escalc) | lean / statsmodels |")
    print("|---|---|---|---|---|")
    for method, sm in (("DL", "dl"), ("PM", "iterated")):
        runs = {"lean": lambda x, n: pool_proportions(x, n, tau2=method, study_ci=None,
                                                      tau2_ci=False),
                "full": lambda x, n: pool_proportions(x, n, tau2=method),
                "statsmodels": lambda x, n: combine_effects(*logit_effects(x, n), method_re=sm)}
        best = {name: [] for name in runs}
        for _ in range(7):
            for name, fn in runs.items():
                start = time.process_time()
                for x, n in data:
                    fn(x, n)
                best[name].append((time.process_time() - start) / len(data))
        med = {name: 1e6 * statistics.median(v) for name, v in best.items()}
        print(f"| {method} | {med['lean']:.1f} | {med['full']:.1f} | {med['statsmodels']:.1f} | "
              f"{med['lean'] / med['statsmodels']:.2f} |")


def metafor_loop(frame: pd.DataFrame) -> tuple[float, np.ndarray, float] | None:
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        data, out = Path(tmp) / "data.csv", Path(tmp) / "out.csv"
        frame.to_csv(data, index=False)
        script = f"""
suppressMessages(library(metafor))
d <- read.csv("{data}")
groups <- split(d, d$meta_id)
t <- system.time(est <- vapply(groups, function(g) tryCatch(
  as.numeric(rma(measure = "PLO", xi = g$events, ni = g$total, method = "REML")$b),
  error = function(e) NA_real_), 0.0))
write.csv(data.frame(elapsed = t[["elapsed"]], cpu = t[["user.self"]] + t[["sys.self"]],
                     est = est), "{out}", row.names = FALSE)
"""
        subprocess.run(["Rscript", "-e", script], check=True, capture_output=True)
        result = pd.read_csv(out)
    return float(result["elapsed"].iloc[0]), result["est"].to_numpy(), float(result["cpu"].iloc[0])


def many(groups: int, metafor_groups: int) -> None:
    from statsmodels.stats.meta_analysis import combine_effects

    frame = simulate(groups, 10)
    data = [(g["events"].to_numpy(), g["total"].to_numpy()) for _, g in frame.groupby("meta_id")]
    rows = []

    def timed(label, fn, repeat=1):
        walls, cpus = [], []
        for _ in range(repeat):
            start, cpu = time.perf_counter(), time.process_time()
            value = fn()
            walls.append(time.perf_counter() - start)
            cpus.append(time.process_time() - cpu)
        rows.append((label, statistics.median(walls), statistics.median(cpus), groups))
        return value

    pool_many(frame.iloc[:100])  # warm-up (imports)
    result = timed("pool_many REML (with Q-profile CI), median of 5",
                   lambda: pool_many(frame, tau2="REML"), repeat=5)
    timed("pool_many DL (with Q-profile CI), median of 5", lambda: pool_many(frame, tau2="DL"),
          repeat=5)
    timed("loop of pool_proportions REML (full)",
          lambda: [pool_proportions(x, n) for x, n in data])
    timed("loop of pool_proportions REML (lean)",
          lambda: [pool_proportions(x, n, study_ci=None, tau2_ci=False) for x, n in data])
    timed("loop of statsmodels combine_effects DL (+ escalc)",
          lambda: [combine_effects(*logit_effects(x, n), method_re="dl") for x, n in data])
    meta = metafor_loop(frame[frame["meta_id"] < metafor_groups])
    if meta is not None:
        scale = groups / metafor_groups
        rows.append(("loop of metafor rma REML (R, loop only)", meta[0] * scale, meta[2] * scale,
                     metafor_groups))
    wall0, cpu0 = rows[0][1], rows[0][2]
    print(f"\n2. {groups:,} meta-analyses x k = 10 (seconds, wall clock and CPU; the metafor "
          "loop is measured on 'count' groups and scaled to all)")
    print("| what | wall s | CPU s | count | x pool_many REML (wall) | x pool_many REML (CPU) |")
    print("|---|---|---|---|---|---|")
    for label, wall, cpu, count in rows:
        print(f"| {label} | {wall:.3f} | {cpu:.3f} | {count:,} | {wall / wall0:.1f} | "
              f"{cpu / cpu0:.1f} |")
    if meta is not None:
        logit = np.log(result["estimate"] / (1 - result["estimate"])).to_numpy()[:metafor_groups]
        ok = np.isfinite(meta[1])
        print(f"max |pooled logit pool_many - metafor| over {ok.sum()} groups "
              f"(metafor's default threshold 1e-5): {np.max(np.abs(logit[ok] - meta[1][ok])):.2e}"
              f"; {(~ok).sum()} groups where metafor stopped with an error; pool_many "
              f"not converged: {(~result['converged']).sum()}")


def memory() -> None:
    print("\n3. peak memory of pool_many REML, k = 10 (tracemalloc)")
    print("| studies | chunk_studies | peak MB | bytes per study | seconds |")
    print("|---|---|---|---|---|")
    for studies, chunk in ((10_000, None), (100_000, None), (1_000_000, None),
                           (1_000_000, 100_000)):
        frame = simulate(studies // 10, 10, seed=3)
        kwargs = {} if chunk is None else {"chunk_studies": chunk}
        tracemalloc.start()
        start = time.perf_counter()
        pool_many(frame, **kwargs)
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"| {studies:,} | {chunk or 'default (10^6)'} | {peak / 1e6:.1f} | "
              f"{peak / studies:.0f} | {seconds:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=10_000)
    parser.add_argument("--metafor-groups", type=int, default=10_000)
    parser.add_argument("--skip", nargs="*", default=[], choices=["single", "many", "memory"])
    args = parser.parse_args()
    if "single" not in args.skip:
        single_fit()
    if "many" not in args.skip:
        many(args.groups, min(args.metafor_groups, args.groups))
    if "memory" not in args.skip:
        memory()


if __name__ == "__main__":
    main()
