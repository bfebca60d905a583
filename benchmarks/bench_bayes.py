"""Time per Bayesian fit (method="bayes") for k = 3, 10 and 100, run by hand (issue 9).

    .venv/bin/python benchmarks/bench_bayes.py [--pymc]

Targets: k = 10 <= 50 ms, k = 100 <= 0.5 s per fit. Data: totals 5..60, true logit 1 with
tau = 0.5 (seed 9), default priors (tau ~ halfnormal(0.5), mu ~ normal(0, 10)). In the same run,
the same data sets with the GLMM (method="glmm"), and, with --pymc and PyMC installed, one PyMC
fit per k with its default sampling (NUTS, 4 chains x 1000 draws after 1000 tuning steps; the
model is compiled once per k, and the time includes sampling only).
"""

import statistics
import sys
import time

import numpy as np

from jakisynth.stats.proportions import fit_proportions  # caveats kept, not printed

FITS = {3: 20, 10: 20, 100: 5}


def data_sets(k: int, count: int, rng) -> list:
    out = []
    while len(out) < count:
        totals = rng.integers(5, 60, size=k)
        events = rng.binomial(totals, 1 / (1 + np.exp(-(1 + 0.5 * rng.normal(size=k)))))
        if 0 < events.sum() < totals.sum():
            out.append((events.tolist(), totals.tolist()))
    return out


def timed(events, totals, method) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one fit (CPU time is steadier on a shared machine)."""
    wall, cpu = time.perf_counter(), time.process_time()
    fit_proportions(events, totals, method=method)
    return time.perf_counter() - wall, time.process_time() - cpu


def pymc_time(events, totals) -> float | None:
    try:
        import pymc as pm
    except ImportError:
        return None
    with pm.Model():
        mu = pm.Normal("mu", 0.0, 10.0)
        tau = pm.HalfNormal("tau", 0.5)
        z = pm.Normal("z", 0.0, 1.0, shape=len(events))
        pm.Binomial("y", n=np.array(totals), p=pm.math.invlogit(mu + tau * z),
                    observed=np.array(events))
        start = time.perf_counter()
        pm.sample(progressbar=False, random_seed=1)
        return time.perf_counter() - start


def main() -> None:
    rng = np.random.default_rng(9)
    fit_proportions([3, 5], [9, 10], method="bayes")  # warm-up (imports)
    for k, count in FITS.items():
        sets = data_sets(k, count, rng)
        for method in ("bayes", "glmm"):
            both = [timed(e, t, method) for e, t in sets]
            wall, cpu = sorted(b[0] for b in both), sorted(b[1] for b in both)
            print(f"k = {k:3d} {method:5s} {count} fits: median {1e3 * statistics.median(wall):8.1f} ms"
                  f" wall ({1e3 * statistics.median(cpu):8.1f} ms CPU), best {1e3 * wall[0]:8.1f} ms,"
                  f" worst {1e3 * wall[-1]:8.1f} ms")
        if "--pymc" in sys.argv:
            seconds = pymc_time(*sets[0])
            print(f"k = {k:3d} PyMC  1 fit: " + ("not installed" if seconds is None
                                                 else f"{1e3 * seconds:.0f} ms (sampling)"))


if __name__ == "__main__":
    main()
