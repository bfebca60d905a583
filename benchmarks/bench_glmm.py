"""Time per GLMM fit for k = 10 (run by hand; target <= 10 ms per fit, issue 3).

    .venv/bin/python benchmarks/bench_glmm.py

Fits 200 data sets of k = 10 studies (totals 5..60, true logit 1 with tau2 = 0.5, seed 3) with
nAGQ = 7 and prints the median, the 90th percentile and the best time per fit, and how many
fits ended on the boundary (tau2 = 0) or did not converge.
"""

import statistics
import time

import numpy as np

from jakisynth.stats.glmm import fit_glmm_logit

REPETITIONS = 200


def main() -> None:
    rng = np.random.default_rng(3)
    data = []
    while len(data) < REPETITIONS:
        totals = rng.integers(5, 60, size=10)
        events = rng.binomial(totals, 1 / (1 + np.exp(-(1 + np.sqrt(0.5) * rng.normal(size=10)))))
        if 0 < events.sum() < totals.sum():
            data.append((events.tolist(), totals.tolist()))
    fit_glmm_logit(*data[0])  # warm-up (imports, first calls)
    times, boundary, failed = [], 0, 0
    for events, totals in data:
        start = time.perf_counter()
        fit = fit_glmm_logit(events, totals)
        times.append(time.perf_counter() - start)
        boundary += fit.tau2 == 0.0
        failed += not fit.converged
    times.sort()
    print(f"GLMM k = 10, nAGQ = 7, {REPETITIONS} fits: median {1e3 * statistics.median(times):.2f} ms, "
          f"90% {1e3 * times[int(0.9 * len(times))]:.2f} ms, best {1e3 * times[0]:.2f} ms per fit; "
          f"{boundary} on the boundary, {failed} not converged")


if __name__ == "__main__":
    main()
