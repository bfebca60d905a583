"""τ² for many meta-analyses at once: the estimators of :mod:`.tau2`, vectorised across groups.

Stage "pooling" (engine of :func:`jakisynth.pool_many`). Studies of all groups sit in flat arrays,
group after group; every per-group sum is a segment sum (``np.add.reduceat``), so time and
memory are linear in the total number of studies and no Python loop runs over groups. The
iterative estimators follow the scalar algorithms of :mod:`.tau2` step by step on all groups
together, each group stopping on its own (per-group convergence, per-group fallback):

- ML, REML, EB: Fisher scoring from the HE estimate with metafor's step halving at 0, a
  finite-step guard and an iteration cap; for ML and REML the interior solution is compared with
  the boundary τ² = 0 and the higher (restricted) log-likelihood wins (caveat
  ``tau2_multimodal`` when the boundary wins: the likelihood then has two local maxima).
- PM and the Q-profile CI (Viechtbauer 2007): the root of Q(τ²) = target by the safeguarded
  Newton iteration of :func:`.tau2.solve_q`, for all groups together.

Formulas and sources: :mod:`.tau2` (metafor's ``rma.uni``; Veroniki et al. 2016).
"""

from __future__ import annotations

import numpy as np
from scipy import special

from .tau2 import MAX_ITERATIONS, THRESHOLD, estimate_tau2

#: Iteration cap of the vectorised Q root finder (as :func:`.tau2.solve_q`).
Q_ITERATIONS = 500
LOG_2PI = float(np.log(2 * np.pi))
#: When this few groups are still iterating, they finish on the scalar estimator.
SCALAR_TAIL = 4


class Segments:
    """Studies of G groups in flat arrays, group after group: ``y``, ``v``; ``k`` studies each.

    ``sum(x)`` is the per-group sum of a per-study array (``np.add.reduceat`` over the
    contiguous segments), ``at(g)`` spreads a per-group array over the studies (``np.repeat``).
    """

    __slots__ = ("y", "v", "k", "starts", "size")

    def __init__(self, y: np.ndarray, v: np.ndarray, k: np.ndarray):
        self.y, self.v, self.k = y, v, k
        self.starts = np.concatenate(([0], np.cumsum(k[:-1])))
        self.size = k.size

    def sum(self, values: np.ndarray) -> np.ndarray:
        return np.add.reduceat(values, self.starts)

    def at(self, per_group: np.ndarray) -> np.ndarray:
        return np.repeat(per_group, self.k)

    def rows(self, group: int) -> slice:
        return slice(int(self.starts[group]), int(self.starts[group] + self.k[group]))

    def subset(self, groups: np.ndarray) -> Segments:
        """The groups whose indices are in ``groups`` (sorted), renumbered 0..len-1."""
        mask = np.zeros(self.size, dtype=bool)
        mask[groups] = True
        keep = np.repeat(mask, self.k)
        return Segments(self.y[keep], self.v[keep], self.k[groups])


def weighted_mean(seg: Segments, tau2: np.ndarray):
    """w = 1/(v + τ²), Σw and μ̂ = Σwy/Σw per group."""
    w = 1.0 / (seg.v + seg.at(tau2))
    sw = seg.sum(w)
    return w, sw, seg.sum(w * seg.y) / sw


def q_statistic(seg: Segments, tau2: np.ndarray) -> np.ndarray:
    """The generalised Q(τ²) = Σ w (y - μ̂_w)² per group."""
    w, _, mu = weighted_mean(seg, tau2)
    resid = seg.y - seg.at(mu)
    return seg.sum(w * resid * resid)


def _q_and_slope(seg: Segments, tau2: np.ndarray):
    w, _, mu = weighted_mean(seg, tau2)
    resid = seg.y - seg.at(mu)
    wr = w * resid
    return seg.sum(wr * resid), -seg.sum(wr * wr)


def _unweighted_ss(seg: Segments) -> np.ndarray:
    mean = seg.sum(seg.y) / seg.k
    d = seg.y - seg.at(mean)
    return seg.sum(d * d)


def tau2_many(seg: Segments, method: str):
    """τ² per group by ``method``; returns (tau2, converged, multimodal) arrays.

    Groups with k = 1 get τ² = 0 (no estimator is defined; the caller adds ``single_study``).
    """
    g = seg.size
    converged = np.ones(g, dtype=bool)
    multimodal = np.zeros(g, dtype=bool)
    tau2 = np.zeros(g)
    many = np.flatnonzero(seg.k > 1)
    if many.size == 0:
        return tau2, converged, multimodal
    sub = seg if many.size == g else seg.subset(many)
    with np.errstate(divide="ignore", invalid="ignore"):
        if method in ("ML", "REML", "EB"):
            t, ok, multi = _fisher_scoring(sub, method)
            converged[many], multimodal[many] = ok, multi
        elif method == "PM":
            t, ok = _pm(sub)
            converged[many] = ok
        else:
            t = _CLOSED_FORM[method](sub)
    tau2[many] = np.maximum(0.0, t)
    return tau2, converged, multimodal


def _dl(seg):
    w = 1.0 / seg.v
    sw = seg.sum(w)
    q = q_statistic(seg, np.zeros(seg.size))
    return (q - (seg.k - 1)) / (sw - seg.sum(w * w) / sw)


def _he(seg):
    return _unweighted_ss(seg) / (seg.k - 1) - seg.sum(seg.v) / seg.k


def _hs(seg):
    q = q_statistic(seg, np.zeros(seg.size))
    return (q - seg.k) / seg.sum(1.0 / seg.v)


def _sj(seg):
    tau2_0 = _unweighted_ss(seg) / seg.k
    positive = tau2_0 > 0
    out = np.zeros(seg.size)
    q = q_statistic(seg, np.where(positive, tau2_0, 1.0))  # 1.0: a placeholder, discarded
    out[positive] = (tau2_0 * q / (seg.k - 1))[positive]
    return out


_CLOSED_FORM = {"DL": _dl, "HE": _he, "HS": _hs, "SJ": _sj}


def _pm(seg):
    target = (seg.k - 1).astype(float)
    q0 = q_statistic(seg, np.zeros(seg.size))
    tau2 = np.zeros(seg.size)
    converged = np.ones(seg.size, dtype=bool)
    above = np.flatnonzero(q0 > target)
    if above.size:
        root, ok = solve_q_many(seg.subset(above) if above.size < seg.size else seg, target[above])
        tau2[above], converged[above] = root, ok
    return tau2, converged


def solve_q_many(seg: Segments, target: np.ndarray):
    """Per group, the τ² > 0 with Q(τ²) = target, given Q(0) > target (returns root, converged).

    :func:`.tau2.solve_q` on all groups at once: Newton steps from 0 kept inside the bracket
    [lo, hi] known so far (else bisection, or doubling while no upper bound is known); a group
    stops when its step is below 1e-15 relative or Q equals the target exactly.
    """
    g = seg.size
    lo, hi, tau2 = np.zeros(g), np.full(g, np.inf), np.zeros(g)
    root, done = np.zeros(g), np.zeros(g, dtype=bool)
    active, sub = np.arange(g), seg
    for _ in range(Q_ITERATIONS):
        q, slope = _q_and_slope(sub, tau2[active])
        t = tau2[active]
        f = q - target[active]
        lo[active] = np.where(f > 0, t, lo[active])
        hi[active] = np.where(f < 0, t, hi[active])
        a_lo, a_hi = lo[active], hi[active]
        # Newton on 1/Q(τ²) - 1/target, nearly linear in τ² (Q ~ c/(v + τ²)): the Newton step
        # on Q scaled by Q/target; the bracket below keeps it safe, and the root is the same.
        scale = q / target[active]
        cand = np.where(slope < 0, t - scale * f / np.where(slope < 0, slope, -1.0), np.inf)
        outside = ~((a_lo < cand) & (cand < a_hi))
        fallback = np.where(np.isfinite(a_hi), 0.5 * (a_lo + a_hi),
                            np.maximum(2 * a_lo, a_lo + 1.0))
        cand = np.where(outside, fallback, cand)
        exact = f == 0
        small = np.abs(cand - t) <= 1e-15 * np.abs(cand)
        finished = exact | small
        root[active] = np.where(exact, t, cand)
        done[active[finished]] = True
        tau2[active] = cand
        if finished.all():
            break
        keep = ~finished
        active = active[keep]
        sub = sub.subset(np.flatnonzero(keep))
    return root, done


def _scoring_step(seg: Segments, tau2: np.ndarray, method: str) -> np.ndarray:
    """One Fisher-scoring step per group (as :func:`.tau2._scoring_step`)."""
    w, sw, mu = weighted_mean(seg, tau2)
    resid = seg.y - seg.at(mu)
    py = w * resid
    if method == "ML":
        return (seg.sum(py * py) - sw) / seg.sum(w * w)
    if method == "REML":
        sw2 = seg.sum(w * w)
        tr_p = sw - sw2 / sw
        tr_pp = sw2 - 2 * seg.sum(w * w * w) / sw + sw2**2 / sw**2
        return (seg.sum(py * py) - tr_p) / tr_pp
    k = seg.k
    return (k / (k - 1) * seg.sum(py * resid) - k) / sw  # EB


def _fisher_scoring(seg: Segments, method: str):
    """ML, REML or EB by Fisher scoring on all groups (metafor's step halving at 0)."""
    g = seg.size
    tau2 = np.maximum(0.0, _he(seg))
    multimodal = np.zeros(g, dtype=bool)
    change = np.full(g, np.inf)
    converged = np.zeros(g, dtype=bool)
    active, sub = np.arange(g), seg
    for _ in range(MAX_ITERATIONS):
        t = tau2[active]
        adj = _scoring_step(sub, t, method)
        finite = np.isfinite(adj)
        leave = finite & (t + adj < 0)
        boundary = np.zeros(active.size, dtype=bool)
        if leave.any():
            at_zero = np.zeros(active.size)
            leaving = np.flatnonzero(leave & (t > 0))
            if leaving.size:  # the score at 0, only for the groups whose step leaves [0, inf)
                at_zero[leaving] = _scoring_step(sub.subset(leaving), np.zeros(leaving.size),
                                                 method)
            boundary = leave & ((t == 0) | (at_zero <= 0))
        halve = leave & ~boundary
        while halve.any():
            adj = np.where(halve, adj / 2, adj)
            halve = halve & (t + adj < 0)
        new = np.where(boundary, 0.0, np.where(finite, t + adj, t))
        step = np.where(boundary, 0.0, np.abs(adj))
        tau2[active] = new
        change[active] = np.where(finite, step, change[active])
        small = step <= THRESHOLD
        converged[active] = finite & small
        stop = ~finite | small
        if stop.all():
            break
        keep = ~stop
        active = active[keep]
        sub = sub.subset(np.flatnonzero(keep))
        if active.size <= SCALAR_TAIL:
            break
    # per-group fallback: the groups that did not converge here (the slow tail, or Fisher
    # scoring stuck) get the scalar estimator, whose global search they then share
    scalar = ~converged
    if scalar.any():
        _scalar_tail(seg, np.flatnonzero(scalar), method, tau2, converged, multimodal)
    if method in ("ML", "REML"):
        interior = np.flatnonzero((tau2 > 0) & ~scalar)
        if interior.size:
            part = seg.subset(interior) if interior.size < g else seg
            worse = (log_likelihood(part, np.zeros(interior.size), method)
                     > log_likelihood(part, tau2[interior], method))
            tau2[interior[worse]] = 0.0
            multimodal[interior[worse]] = True
    return tau2, converged, multimodal


def _scalar_tail(seg: Segments, groups, method, tau2, converged, multimodal) -> None:
    """The last few slow groups (e.g. Fisher scoring oscillating for all its iterations) by the
    scalar estimator of :mod:`.tau2`, which follows the same steps from the same start: one
    group costs less there than an iteration of the vectorised loop over all of them."""
    for g in groups.tolist():
        rows = seg.rows(g)
        estimate = estimate_tau2(seg.y[rows], seg.v[rows], method)
        tau2[g], converged[g] = estimate.tau2, estimate.converged
        multimodal[g] = any(c.code == "tau2_multimodal" for c in estimate.caveats)


def log_likelihood(seg: Segments, tau2: np.ndarray, method: str) -> np.ndarray:
    """The (restricted) log-likelihood of τ² per group, as metafor's ``logLik(rma(...))``.

    ML: -½[k log 2π + Σ log(v + τ²) + Σ w (y - μ̂)²];
    REML: -½[(k-1) log 2π + Σ log(v + τ²) + log Σw + Σ w (y - μ̂)²] + ½ log k
    (Viechtbauer 2005, eqs. 8 and 9; metafor adds ½ log|X'X| = ½ log k).
    """
    w, sw, mu = weighted_mean(seg, tau2)
    resid = seg.y - seg.at(mu)
    core = seg.sum(np.log(seg.v + seg.at(tau2))) + seg.sum(w * resid * resid)
    if method == "ML":
        return -0.5 * (seg.k * LOG_2PI + core)
    return -0.5 * ((seg.k - 1) * LOG_2PI + core + np.log(sw)) + 0.5 * np.log(seg.k)


def qprofile_many(seg: Segments, level: float):
    """Q-profile CI of τ² for every group (NaN where k = 1), as :func:`.tau2.tau2_qprofile_ci`."""
    g = seg.size
    lower, upper = np.full(g, np.nan), np.full(g, np.nan)
    many = np.flatnonzero(seg.k > 1)
    if many.size == 0:
        return lower, upper
    sub = seg if many.size == g else seg.subset(many)
    df = (sub.k - 1).astype(float)
    alpha = 1 - level
    q0 = q_statistic(sub, np.zeros(sub.size))
    bounds = []
    for crit in (special.chdtri(df, alpha / 2), special.chdtri(df, 1 - alpha / 2)):
        out = np.zeros(sub.size)
        above = np.flatnonzero(q0 > crit)
        if above.size:
            part = sub.subset(above) if above.size < sub.size else sub
            root, ok = solve_q_many(part, crit[above])
            if not ok.all():  # a bug, not bad input: the iteration brackets the root
                raise ArithmeticError("Q-profile: root finding did not converge")
            out[above] = root
        bounds.append(out)
    lower[many], upper[many] = bounds
    return lower, upper
