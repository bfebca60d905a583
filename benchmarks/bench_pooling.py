"""Benchmark of the pooling engine (run by hand; figures go in the closing note, not in tests).

    .venv/bin/python benchmarks/bench_pooling.py

Reports the median time per fit for k = 10 (DL, PM, REML and, when available, the GLMM), with
statsmodels' ``combine_effects`` (DL and PM on the same logit yi/vi) timed in the same run as the
peer; the time of one meta-analysis of 10,000 studies; and peak memory for growing k.
Targets (issue 3): DL and PM at most half statsmodels' time; REML <= 0.3 ms; GLMM <= 10 ms;
10,000 studies < 1 s; memory linear in k.
"""

from __future__ import annotations

import statistics
import time
import tracemalloc

import numpy as np

from jakisynth import pool_proportions
from jakisynth.stats.effects import escalc
from jakisynth.stats.pooling import pool_inverse_variance


def per_call(fn, repeat: int = 300) -> float:
    fn()  # warm up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    rng = np.random.default_rng(1)
    totals = rng.integers(5, 60, size=10)
    events = rng.binomial(totals, 0.7)
    es = escalc(events, totals, "logit")
    from statsmodels.stats.meta_analysis import combine_effects

    print("k = 10, median time per fit")
    rows = []
    for method in ("DL", "PM", "REML"):
        ours = per_call(lambda: pool_proportions(events, totals, tau2=method))
        engine = per_call(lambda: pool_inverse_variance(es.yi, es.vi, tau2=method))
        peer = None
        if method in ("DL", "PM"):
            sm = {"DL": "dl", "PM": "iterated"}[method]
            peer = per_call(lambda: combine_effects(es.yi, es.vi, method_re=sm))
        rows.append((method, ours, engine, peer))
    for method, ours, engine, peer in rows:
        ratio = "" if peer is None else f"  statsmodels combine_effects {1e3 * peer:.3f} ms  (ratio {ours / peer:.2f})"
        print(f"  {method:<5} pool_proportions {1e3 * ours:.3f} ms  (engine on yi/vi {1e3 * engine:.3f} ms){ratio}")
    try:
        glmm = per_call(lambda: pool_proportions(events, totals, method="glmm"), repeat=100)
        print(f"  GLMM  pool_proportions {1e3 * glmm:.3f} ms")
    except ImportError:
        print("  GLMM  not available")

    big_n = rng.integers(5, 200, size=10_000)
    big_x = rng.binomial(big_n, 0.3)
    for method in ("DL", "REML"):
        start = time.perf_counter()
        pool_proportions(big_x, big_n, tau2=method)
        print(f"k = 10,000 {method}: {time.perf_counter() - start:.3f} s")

    print("peak memory of one REML fit (tracemalloc)")
    for k in (1_000, 10_000, 100_000):
        n = rng.integers(5, 200, size=k)
        x = rng.binomial(n, 0.3)
        tracemalloc.start()
        pool_proportions(x, n)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"  k = {k:>7}: {peak / 1e6:.1f} MB ({peak / k:.0f} bytes per study)")


if __name__ == "__main__":
    main()
