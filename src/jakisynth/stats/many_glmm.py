"""GLMM fits for :func:`jakisynth.pool_many`: one fit per group, in parallel over cores.

Stage "pooling". The GLMM (:func:`.glmm.fit_glmm_logit`, adaptive Gauss-Hermite quadrature) is
an optimisation per group, so it is not vectorised: groups are fitted by
:func:`.proportions.fit_proportions` (``method="glmm"``), the numbers ``pool_proportions`` gives,
in worker processes when there are many groups, with a progress bar on stderr when it is a
terminal. Equivalent R: ``rma.glmm(measure = "PLO", xi, ni, method = "ML")`` per group.
A group the GLMM cannot fit (every study with 0 events, or every one with all events) gets NaN
numbers, ``converged`` False and the caveat ``not_estimable``.
"""

from __future__ import annotations

import os
import sys

import numpy as np

from ..errors import InputError

#: Below this many groups the fits run in this process (starting workers costs ~0.3 s).
PARALLEL_FROM = 40
BATCH = 25


def glmm_many(x, n, starts, *, level: float, workers: int | None = None) -> dict:
    """GLMM fits of the groups ``x[starts[g]:starts[g+1]]`` (result columns of pool_many)."""
    groups = [(x[a:b], n[a:b]) for a, b in zip(starts[:-1], starts[1:])]
    batches = [groups[i:i + BATCH] for i in range(0, len(groups), BATCH)]
    workers = workers if workers is not None else (os.cpu_count() or 1)
    bar = _Progress(len(groups)) if sys.stderr.isatty() else None
    rows = []
    if workers > 1 and len(groups) >= PARALLEL_FROM:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=workers) as pool:
            for part in pool.map(_fit_batch, batches, [level] * len(batches)):
                rows.extend(part)
                bar and bar.update(len(part))
    else:
        for batch in batches:
            rows.extend(_fit_batch(batch, level))
            bar and bar.update(len(batch))
    bar and bar.close()
    names = rows[0].keys()
    return {name: np.array([r[name] for r in rows], dtype=object if name == "caveats" else None)
            for name in names}


def _fit_batch(batch, level: float) -> list[dict]:
    return [_fit_one(x, n, level) for x, n in batch]


def _fit_one(x, n, level: float) -> dict:
    from .proportions import fit_proportions

    try:
        fit = fit_proportions(x, n, method="glmm", level=level, study_ci=None)
    except InputError:
        nan = float("nan")
        return {"k": len(x), **{c: nan for c in ("estimate", "ci_lower", "ci_upper", "pi_lower",
                                                  "pi_upper", "tau2", "tau2_ci_lower",
                                                  "tau2_ci_upper", "I2", "H2", "Q", "Q_pvalue")},
                "converged": False, "caveats": "not_estimable"}
    h = fit.heterogeneity
    nan_if_none = (lambda v: float("nan") if v is None else float(v))
    return {"k": fit.k, "estimate": fit.estimate, "ci_lower": fit.ci_lower,
            "ci_upper": fit.ci_upper, "pi_lower": nan_if_none(fit.pi_lower),
            "pi_upper": nan_if_none(fit.pi_upper), "tau2": h.tau2,
            "tau2_ci_lower": nan_if_none(h.tau2_ci_lower),
            "tau2_ci_upper": nan_if_none(h.tau2_ci_upper), "I2": h.I2, "H2": h.H2, "Q": h.Q,
            "Q_pvalue": h.Q_pvalue, "converged": bool(fit.converged),
            "caveats": ";".join(c.code for c in fit.caveats)}


class _Progress:
    """A one-line progress bar on stderr (only created when stderr is a terminal)."""

    def __init__(self, total: int):
        self.total, self.done = total, 0

    def update(self, count: int) -> None:
        self.done += count
        filled = int(30 * self.done / self.total)
        sys.stderr.write(f"\rGLMM fits [{'#' * filled}{'.' * (30 - filled)}] "
                         f"{self.done}/{self.total}")
        sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\n")
        sys.stderr.flush()
