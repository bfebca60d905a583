"""``pool_many``: thousands of meta-analyses of proportions in one vectorised call.

Stage "pooling" (public face, like :mod:`.proportions`). For simulation studies and re-analyses
of whole libraries: one tidy row per group of a long table (one row per study), with the numbers
:func:`jakisynth.pool_proportions` gives for that group alone: the same effect sizes and
continuity correction (:mod:`.effects`), the same τ² estimators (:mod:`.many_tau2`, vectorised
from :mod:`.tau2`), the same Wald or Hartung-Knapp intervals, prediction interval (metafor's
``predict.rma``), Q, I², H², Q-profile CI of τ², back-transforms and caveat codes. Equivalent R::

    by(dat, dat$meta_id, function(d) rma(measure = "PLO", xi = events, ni = total, data = d))

The inverse-variance engine runs on all groups at once (segment sums); memory is linear in the
number of studies, and frames above ``chunk_studies`` studies are processed group-chunk by
group-chunk. ``method="glmm"`` fits each group with :func:`.glmm.fit_glmm_logit`, in parallel
over cores (:mod:`.many_glmm`).
"""

from __future__ import annotations

import numpy as np
from scipy import special

from ..errors import InputError
from .effects import (
    CORRECTED_TRANSFORMS,
    TRANSFORMS,
    _ipft,
    back_transform,
    check_level,
    effect_sizes,
)
from .many_tau2 import Segments, qprofile_many, tau2_many
from .pooling import CI_METHODS
from .tau2 import TAU2_METHODS

RESULT_COLUMNS = ("k", "estimate", "ci_lower", "ci_upper", "pi_lower", "pi_upper", "tau2",
                  "tau2_ci_lower", "tau2_ci_upper", "I2", "H2", "Q", "Q_pvalue", "converged",
                  "caveats")
#: hk_narrower is flagged when the Hartung-Knapp se is below the Wald se by more than this
#: (relative): with PM, Σw(y-μ̂)² = k-1 at the root, so the two are equal up to rounding and an
#: exact comparison would flag half of such groups at random.
HK_TOLERANCE = 1e-10
#: Studies per chunk: above this many studies, groups are pooled chunk by chunk (a bound on the
#: temporaries, ~40 arrays of 8 bytes per study).
CHUNK_STUDIES = 1_000_000


def pool_many(frame, *, events: str = "events", total: str = "total", by="meta_id",
              study: str | None = None, method: str = "inverse", transform: str = "logit",
              tau2: str = "REML", ci: str = "z", level: float = 0.95,
              chunk_studies: int = CHUNK_STUDIES, workers: int | None = None):
    """Pool the proportions ``events/total`` of every group of ``frame`` (a pandas DataFrame
    with one row per study; ``by`` is a column name or a list of them).

    Returns a DataFrame with one row per group, sorted by the ``by`` columns: the ``by``
    columns, then ``k, estimate, ci_lower, ci_upper, pi_lower, pi_upper, tau2, tau2_ci_lower,
    tau2_ci_upper, I2, H2, Q, Q_pvalue, converged, caveats`` (caveat codes joined by ";";
    values that do not exist for a group, such as the τ² CI for k = 1, are NaN). Each group's
    numbers are those of ``pool_proportions(events, total, method=..., transform=..., tau2=...,
    ci=..., level=...)`` on that group alone, except that a group of one study with
    ``ci="hk"`` gets the Wald CI and the caveat ``ci_switched`` instead of an error.
    ``study`` names a column of labels (checked to exist; labels appear in no group-level
    output). Bad arguments or counts raise :class:`~jakisynth.errors.InputError` naming the
    column and row.
    """
    import pandas as pd

    keys = _check_arguments(frame, events, total, by, study, method, transform, tau2, ci)
    level = check_level(level)
    if not isinstance(chunk_studies, int) or chunk_studies < 1:
        raise InputError(f"chunk_studies: expected a positive whole number; got {chunk_studies!r}")
    x = _counts(frame, events)
    n = _counts(frame, total)
    _check_ranges(frame, x, n, events, total)
    codes = frame.groupby(keys, sort=True, dropna=False).ngroup().to_numpy()
    order = np.argsort(codes, kind="stable")
    codes, x, n = codes[order], x[order], n[order]
    k = np.bincount(codes)
    starts = np.concatenate(([0], np.cumsum(k)))
    labels = frame.iloc[order[starts[:-1]]][keys].reset_index(drop=True)
    if method == "glmm":
        from .many_glmm import glmm_many

        columns = glmm_many(x, n, starts, level=level, workers=workers)
    else:
        columns = _chunked(x, n, k, starts, chunk_studies, transform=transform, tau2=tau2,
                           ci=ci, level=level)
    out = labels.copy()
    for name in RESULT_COLUMNS:
        out[name] = columns[name]
    return pd.DataFrame(out)


def _check_arguments(frame, events, total, by, study, method, transform, tau2, ci) -> list[str]:
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"frame: expected a pandas DataFrame; got {type(frame).__name__}")
    keys = [by] if isinstance(by, str) else list(by) if isinstance(by, (list, tuple)) else None
    if not keys or not all(isinstance(key, str) for key in keys):
        raise InputError(f"by: expected a column name or a list of column names; got {by!r}")
    for option, name in [("events", events), ("total", total), ("study", study)] + [
            ("by", key) for key in keys]:
        if name is not None and name not in frame.columns:
            raise InputError(f"{option}: column {name!r} not found (columns: "
                             f"{', '.join(map(str, frame.columns))})")
    clash = sorted(set(keys) & set(RESULT_COLUMNS))
    if clash:
        raise InputError(f"by: column {clash[0]!r} clashes with a result column; rename it")
    if len(frame) == 0:
        raise InputError("frame: no rows")
    if method not in ("inverse", "glmm"):
        raise InputError(f"method: pool_many fits 'inverse' or 'glmm' (for 'bayes', call "
                         f"pool_proportions on each group); got {method!r}")
    if transform not in TRANSFORMS:
        raise InputError(f"transform: expected one of {', '.join(TRANSFORMS)}; got {transform!r}")
    if tau2 not in TAU2_METHODS:
        raise InputError(f"tau2: expected one of {', '.join(TAU2_METHODS)}; got {tau2!r}")
    if ci not in CI_METHODS:
        raise InputError(f"ci: expected 'z' or 'hk'; got {ci!r}")
    if method == "glmm" and (transform != "logit" or ci != "z"):
        raise InputError("method: the GLMM is a logistic model with Wald (z) intervals; use "
                         f"transform='logit' and ci='z' (got {transform!r}, {ci!r})")
    if method == "glmm" and tau2 != "REML":  # the default, which the GLMM (ML) does not use
        raise InputError(f"tau2: method='glmm' does not use tau2 (got {tau2!r}); leave it unset")
    return keys


def _counts(frame, column: str) -> np.ndarray:
    values = frame[column].to_numpy()
    if values.dtype.kind in "iu":
        return values.astype(np.int64, copy=False)
    try:
        as_float = values.astype(float)
    except (TypeError, ValueError):
        bad = next(i for i, v in enumerate(values) if not _is_number(v))
        raise InputError(f"{column}: {_row(frame, bad)}: expected a whole number, "
                         f"got {values[bad]!r}") from None
    bad = np.flatnonzero(~np.isfinite(as_float) | (as_float != np.round(as_float)))
    if bad.size or values.dtype.kind == "b":
        i = bad[0] if bad.size else 0
        raise InputError(f"{column}: {_row(frame, i)}: expected a whole number, "
                         f"got {values[i]!r}")
    return as_float.astype(np.int64)


def _row(frame, position: int) -> str:
    """'row <index label>' (or 'line <n>' for a frame read from a file with a line index)."""
    return f"{frame.index.name or 'row'} {frame.index[position]!r}"


def _is_number(value) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return not isinstance(value, bool)


def _check_ranges(frame, x, n, events: str, total: str) -> None:
    for name, arr, problem in ((events, x < 0, "negative count"), (total, n < 0, "negative count"),
                               (total, n == 0, "a total of 0 gives no proportion"),
                               (events, x > n, "events exceed the total")):
        bad = np.flatnonzero(arr)
        if bad.size:
            i = bad[0]
            raise InputError(f"{name}: {_row(frame, i)}: {problem} "
                             f"({x[i]} events of {n[i]})")


def _chunked(x, n, k, starts, chunk_studies, **model) -> dict:
    """Pool groups chunk by chunk (each chunk about ``chunk_studies`` studies, whole groups)."""
    bounds = [0]
    while bounds[-1] < k.size:
        first = bounds[-1]
        last = int(np.searchsorted(starts, starts[first] + chunk_studies, side="right")) - 1
        bounds.append(min(k.size, max(last, first + 1)))
    parts = [_pool_segments(x[starts[a]:starts[b]], n[starts[a]:starts[b]], k[a:b], **model)
             for a, b in zip(bounds[:-1], bounds[1:])]
    return {name: np.concatenate([p[name] for p in parts]) for name in RESULT_COLUMNS}


def _pool_segments(x, n, k, *, transform, tau2, ci, level) -> dict:
    """The inverse-variance model for consecutive groups of sizes ``k`` (studies in order)."""
    effects = effect_sizes(x, n, transform)
    seg = Segments(effects.yi, effects.vi, k)
    tau2_hat, converged, multimodal = tau2_many(seg, tau2)
    single = k == 1
    hk = (ci == "hk") & ~single
    est, se, crit, se_wald = _random_effects(seg, tau2_hat, hk, level)
    half = crit * np.sqrt(tau2_hat + se**2)
    h = _heterogeneity(seg, tau2_hat, level)
    ft_n = seg.k / seg.sum(1.0 / n) if transform == "ft" else None
    back = (lambda y: _ipft(y, ft_n)) if transform == "ft" else (
        lambda y: back_transform(y, transform))
    corrected = (seg.sum(effects.corrected.astype(float))
                 if transform in CORRECTED_TRANSFORMS else None)
    flags = {"single_study": single, "not_converged": ~converged, "tau2_multimodal": multimodal,
             "few_studies": (k > 1) & (k < 5), "tau2_boundary": (k > 1) & (tau2_hat == 0.0),
             "ci_switched": (ci == "hk") & single,
             "hk_narrower": hk & (se < se_wald * (1 - HK_TOLERANCE)),
             "continuity_correction": None if corrected is None else corrected > 0,
             "ft_back_transform": np.full(k.size, transform == "ft")}
    return {"k": k, "estimate": back(est), "ci_lower": back(est - crit * se),
            "ci_upper": back(est + crit * se),
            # k = 1: no prediction interval (R meta: NA), as pool_proportions
            "pi_lower": np.where(single, np.nan, back(est - half)),
            "pi_upper": np.where(single, np.nan, back(est + half)), **h, "converged": converged,
            "caveats": _caveat_strings(flags, k.size)}


def _random_effects(seg: Segments, tau2_hat, hk, level):
    """μ̂, its se (Wald or Hartung-Knapp per group), the critical value and the Wald se."""
    w = 1.0 / (seg.v + seg.at(tau2_hat))
    sw = seg.sum(w)
    mu = seg.sum(w * seg.y) / sw
    se_wald = np.sqrt(1.0 / sw)
    alpha = 1 - level
    crit = np.full(seg.size, float(special.ndtri(1 - alpha / 2)))
    se = se_wald
    if hk.any():
        resid = seg.y - seg.at(mu)
        with np.errstate(divide="ignore", invalid="ignore"):
            se_hk = np.sqrt(seg.sum(w * resid * resid) / ((seg.k - 1) * sw))
            crit_t = special.stdtrit(np.maximum(seg.k - 1, 1), 1 - alpha / 2)
        se = np.where(hk, se_hk, se_wald)
        crit = np.where(hk, crit_t, crit)
    return mu, se, crit, se_wald


def _heterogeneity(seg: Segments, tau2_hat, level) -> dict:
    """Q, its p value, I², H² (metafor's typical variance) and the Q-profile CI of τ²."""
    k = seg.k
    w = 1.0 / seg.v
    sw = seg.sum(w)
    mu = seg.sum(w * seg.y) / sw
    resid = seg.y - seg.at(mu)
    q = seg.sum(w * resid * resid)
    df = k - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        q_p = np.where(df > 0, special.chdtrc(np.maximum(df, 1), q), np.nan)  # df = 0: no test
        denominator = sw**2 - seg.sum(w * w)
        s2 = np.where(denominator > 0, (k - 1) * sw / denominator, seg.sum(seg.v) / k)
    lower, upper = qprofile_many(seg, level)
    return {"tau2": tau2_hat, "tau2_ci_lower": lower, "tau2_ci_upper": upper,
            "I2": 100 * tau2_hat / (s2 + tau2_hat), "H2": (s2 + tau2_hat) / s2, "Q": q,
            "Q_pvalue": q_p}


#: Caveat codes in the order pool_proportions attaches them.
CAVEAT_ORDER = ("single_study", "not_converged", "tau2_multimodal", "few_studies",
                "tau2_boundary", "ci_switched", "hk_narrower", "continuity_correction",
                "ft_back_transform")


def _caveat_strings(flags: dict, g: int) -> np.ndarray:
    """Per group, the codes whose flag is set, joined by ";" (one string per distinct pattern)."""
    present = [(code, flags[code]) for code in CAVEAT_ORDER
               if flags.get(code) is not None and flags[code].any()]
    if not present:
        return np.full(g, "", dtype=object)
    bits = np.zeros(g, dtype=np.int64)
    for i, (_, flag) in enumerate(present):
        bits |= flag.astype(np.int64) << i
    patterns, inverse = np.unique(bits, return_inverse=True)
    text = np.array([";".join(code for i, (code, _) in enumerate(present) if p >> i & 1)
                     for p in patterns.tolist()], dtype=object)
    return text[inverse]
