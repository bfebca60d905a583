"""p values a paper may have printed, recomputed with the named test and its variants.

Stage "stats". Two-sided throughout, as R's defaults:

- Wilcoxon signed-rank (paired): exact (no ties, no zeros), normal approximation with and without
  continuity correction (zeros dropped, tie-corrected variance): R ``wilcox.test(after, before,
  paired = TRUE, exact = , correct = )``;
- Wilcoxon rank-sum / Mann-Whitney: exact (no ties), normal approximation with and without
  correction: R ``wilcox.test(x, y, exact = , correct = )``;
- a table of counts: Pearson's chi-square (with Yates' correction for 2 x 2) and Fisher's exact
  test, R ``chisq.test(x, correct = )`` and ``fisher.test(x)``;
- the Wald p of a ratio from its confidence interval (log scale; Altman & Bland 2011, BMJ
  343:d2304).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InputError

__all__ = ["signed_rank_variants", "rank_sum_variants", "table_variants", "fisher_exact",
           "wald_p_from_ci"]


def signed_rank_variants(before, after) -> dict[str, float]:
    """Two-sided Wilcoxon signed-rank p values (R ``wilcox.test(paired = TRUE)`` variants)."""
    from scipy import stats

    d = np.asarray(after, float) - np.asarray(before, float)
    out = {}
    nonzero = d[d != 0]
    if nonzero.size == 0:
        return out
    ties = len(np.unique(np.abs(nonzero))) < nonzero.size
    if not ties and nonzero.size == d.size:
        out["signed-rank, exact"] = float(stats.wilcoxon(d, method="exact").pvalue)
    for cc in (True, False):
        label = f"signed-rank, normal approximation{' with continuity correction' if cc else ''}"
        out[label] = _signed_rank_normal(nonzero, cc)
    return out


def _signed_rank_normal(d: np.ndarray, correct: bool) -> float:
    """R's normal approximation: zeros dropped, tie-corrected variance, optional correction."""
    from scipy import stats

    n = d.size
    ranks = stats.rankdata(np.abs(d))
    v = float(ranks[d > 0].sum())
    mean = n * (n + 1) / 4
    _, counts = np.unique(np.abs(d), return_counts=True)
    var = n * (n + 1) * (2 * n + 1) / 24 - float(np.sum(counts**3 - counts)) / 48
    z = v - mean
    if correct:
        z -= math.copysign(0.5, z) if z != 0 else 0.0
    return float(2 * stats.norm.sf(abs(z / math.sqrt(var)))) if var > 0 else 1.0


def rank_sum_variants(a, b) -> dict[str, float]:
    """Two-sided Wilcoxon rank-sum / Mann-Whitney p values (R ``wilcox.test(x, y)`` variants)."""
    from scipy import stats

    out = {}
    a, b = np.asarray(a, float), np.asarray(b, float)
    if len(np.unique(np.concatenate([a, b]))) == a.size + b.size:
        out["rank-sum, exact"] = float(stats.mannwhitneyu(a, b, method="exact").pvalue)
    for cc in (True, False):
        label = f"rank-sum, normal approximation{' with continuity correction' if cc else ''}"
        out[label] = float(stats.mannwhitneyu(a, b, method="asymptotic", use_continuity=cc).pvalue)
    return out


def table_variants(groups: list[dict]) -> dict[str, float]:
    """p values for the 2 x k table of ``groups`` ({count, total} each; events in the first row):
    Fisher's exact test, chi-square with Yates' correction (2 x 2 only) and without."""
    from scipy import stats

    table = np.array([[g["count"] for g in groups], [g["total"] - g["count"] for g in groups]], float)
    out = {}
    fisher = fisher_exact(table)
    if fisher is not None:
        out["Fisher's exact test"] = fisher
    if table.shape[1] == 2:
        out["chi-square with Yates' correction"] = float(stats.chi2_contingency(table, correction=True).pvalue)
    out["chi-square"] = float(stats.chi2_contingency(table, correction=False).pvalue)
    return out


def _compositions(total: int, bounds: tuple[int, ...]) -> np.ndarray:
    """Every vector a with 0 <= a_i <= bounds_i and sum(a) = total, one per row (int array)."""
    bounds_arr = np.array(bounds)
    after = np.concatenate([np.cumsum(bounds_arr[::-1])[::-1][1:], [0]])  # room in later rows
    partial = np.zeros((1, 0), int)
    sums = np.zeros(1, int)
    for i, bound in enumerate(bounds[:-1]):
        values = np.arange(bound + 1)
        partial = np.column_stack([np.repeat(partial, len(values), axis=0),
                                   np.tile(values, len(sums))])
        sums = np.repeat(sums, len(values)) + np.tile(values, len(sums))
        keep = (sums <= total) & (sums + after[i] >= total)
        partial, sums = partial[keep], sums[keep]
    last = total - sums
    keep = (last >= 0) & (last <= bounds[-1])
    return np.column_stack([partial[keep], last[keep]])


def fisher_exact(table, max_tables: int = 2_000_000) -> float | None:
    """Two-sided Fisher exact p for an r x c table of counts (r, c >= 2), by full enumeration of
    the tables with the observed margins: the sum of the probabilities of the tables no more
    probable than the observed one, with R's relative tolerance 1e-7: the p of R ``fisher.test(x)``,
    which R computes exactly with the network algorithm (Mehta & Patel 1986, ACM TOMS 12:154).

    Hand-written on purpose: ``scipy.stats.fisher_exact`` is 2 x 2 only, and scipy's r x c route
    is a Monte Carlo p (0.0385 where R's exact ``fisher.test`` gives 0.03991). ``None`` when the table has
    fewer than 2 rows or columns (R: "'x' must have at least 2 rows and columns") or more than
    ``max_tables`` tables to visit.
    """
    table = np.asarray(table)
    if table.ndim != 2:
        raise InputError(f"table: a two-dimensional table of counts, got {table.ndim} dimensions")
    if np.any(table < 0) or np.any(table != np.round(table)):
        raise InputError("table: counts must be non-negative integers")
    table = table.astype(int)
    if min(table.shape) < 2:
        return None
    rows = [int(v) for v in table.sum(axis=1)]
    cols = [int(v) for v in table.sum(axis=0)]
    n = sum(rows)
    lf = np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, n + 1)))])
    log_fact = lf.tolist()
    constant = sum(log_fact[v] for v in rows + cols) - log_fact[n]
    observed = constant - sum(log_fact[int(v)] for v in table.ravel())
    threshold = observed + math.log1p(1e-7)
    acc = {"total": 0.0, "extreme": 0.0, "visited": 0}

    def column(j: int, remaining: list[int], log_p: float):
        if j == len(cols) - 2:  # this column and the last one, for every split at once
            first = _compositions(cols[j], tuple(remaining))
            last = np.array(remaining) - first
            lp = log_p - lf[first].sum(axis=1) - lf[last].sum(axis=1)
            acc["visited"] += len(lp)
            if acc["visited"] > max_tables:
                raise OverflowError
            values = np.exp(lp - observed)
            acc["total"] += float(values.sum())
            acc["extreme"] += float(values[lp <= threshold].sum())
            return
        cells(j, 0, cols[j], remaining, log_p)

    def cells(j: int, i: int, left: int, remaining: list[int], log_p: float):
        if i == len(rows) - 1:
            if left > remaining[i]:
                return
            remaining[i] -= left
            column(j + 1, remaining, log_p - log_fact[left])
            remaining[i] += left
            return
        rest = sum(remaining[i + 1:])
        for a in range(max(0, left - rest), min(left, remaining[i]) + 1):
            remaining[i] -= a
            cells(j, i + 1, left - a, remaining, log_p - log_fact[a])
            remaining[i] += a

    try:
        column(0, list(rows), constant)
    except OverflowError:
        return None
    return acc["extreme"] / acc["total"]


def wald_p_from_ci(estimate: float, lower: float, upper: float, level: float) -> dict[str, float]:
    """Two-sided Wald p values of a ratio (hazard, odds, risk) from its confidence interval at
    ``level`` percent: SE = (log upper - log lower) / (2 z), z the (1 + level/100)/2 normal
    quantile; p from log(estimate) / SE and, as a variant, from the CI's midpoint on the log
    scale (the estimate is often printed rounded). Altman & Bland 2011, BMJ 343:d2304.
    R: ``2 * pnorm(-abs(log(est) / ((log(upper) - log(lower)) / (2 * qnorm((1 + level/100)/2)))))``.
    """
    from scipy import stats

    if not (0 < level < 100):
        raise InputError(f"level: a confidence level in percent (e.g. 95), got {level!r}")
    if not (0 < lower <= upper) or estimate <= 0:
        raise InputError("estimate, lower, upper: a ratio and its CI must be positive, lower <= upper")
    z_level = float(stats.norm.ppf((1 + level / 100) / 2))
    se = (math.log(upper) - math.log(lower)) / (2 * z_level)
    if se <= 0:
        return {}
    mid = (math.log(upper) + math.log(lower)) / 2
    return {f"Wald test from the HR and its {level:g}% CI": float(2 * stats.norm.sf(abs(math.log(estimate) / se))),
            "Wald test from the CI midpoint (log scale)": float(2 * stats.norm.sf(abs(mid / se)))}
