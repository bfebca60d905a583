"""Per-study effect sizes for proportions: ``yi``, ``vi`` on a model scale, back-transforms, CIs.

Stage "per-study effects" of the data flow. Everything here follows R's metafor (Viechtbauer 2010,
J Stat Softw 36(3)), the reference the project is checked against:

====================  ==========================================  ====================
transform             yi, vi (x events of n, p = x/n)               R (metafor)
====================  ==========================================  ====================
``"raw"``   (PR)      p, p(1-p)/n                                   escalc("PR", ...)
``"log"``   (PLN)     log p, 1/x - 1/n                              escalc("PLN", ...)
``"logit"`` (PLO)     log(x/(n-x)), 1/x + 1/(n-x)                   escalc("PLO", ...)
``"arcsine"`` (PAS)   asin(sqrt p), 1/(4n)                          escalc("PAS", ...)
``"ft"``    (PFT)     ½[asin√(x/(n+1)) + asin√((x+1)/(n+1))],       escalc("PFT", ...)
                      1/(4n+2)
====================  ==========================================  ====================

Continuity correction, metafor's default (``add = 1/2, to = "only0"``): for PR, PLN and PLO a
study with x = 0 or x = n gets 1/2 added to x and to n - x (so n + 1); PAS and PFT get none.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from ..errors import InputError
from .options import TRANSFORMS, check_choice

#: metafor's names of the measures, for messages and the methods text.
METAFOR_MEASURE = {"logit": "PLO", "ft": "PFT", "arcsine": "PAS", "log": "PLN", "raw": "PR"}
METAFOR_TEST = {"z": "z", "hk": "knha"}  # our ci method -> metafor's test argument
CORRECTED_TRANSFORMS = ("logit", "log", "raw")
CONTINUITY_CORRECTION = 0.5


def check_counts(events, totals, *, events_name: str = "events", totals_name: str = "totals"):
    """Validate event counts and totals; return them as int64 arrays.

    Raises :class:`InputError` naming the argument and the first offending position for: different
    lengths, no studies, non-integer or non-finite values, booleans, negative counts, a total of
    0, or events greater than the total.
    """
    ev = _as_count_array(events, events_name)
    tot = _as_count_array(totals, totals_name)
    if ev.shape != tot.shape:
        raise InputError(f"{events_name} and {totals_name} differ in length ({ev.size} and {tot.size})")
    if ev.size == 0:
        raise InputError(f"{events_name}: no studies given")
    if ev.size <= 64:  # the common case, fastest on Python ints; the checks below name the problem
        if all(0 <= a <= b and b > 0 for a, b in zip(ev.tolist(), tot.tolist())):
            return ev, tot
    elif (ev >= 0).all() and (ev <= tot).all() and (tot > 0).all():
        return ev, tot
    for name, arr in ((events_name, ev), (totals_name, tot)):
        bad = np.flatnonzero(arr < 0)
        if bad.size:
            raise InputError(f"{name}[{bad[0]}]: negative count {arr[bad[0]]}")
    bad = np.flatnonzero(tot == 0)
    if bad.size:
        raise InputError(f"{totals_name}[{bad[0]}]: a total of 0 patients gives no proportion")
    bad = np.flatnonzero(ev > tot)
    if bad.size:
        i = bad[0]
        raise InputError(f"{events_name}[{i}]: {ev[i]} events exceed the total {tot[i]}")
    return ev, tot


def _as_count_array(values, name: str) -> np.ndarray:
    if isinstance(values, (str, bytes)) or np.ndim(values) != 1:
        raise InputError(f"{name}: expected a list of whole numbers, got {values!r:.60}")
    if not isinstance(values, np.ndarray) and any(isinstance(v, (bool, np.bool_)) for v in values):
        index = next(i for i, v in enumerate(values) if isinstance(v, (bool, np.bool_)))
        raise InputError(f"{name}[{index}]: expected a whole number, got {values[index]!r}")
    arr = np.asarray(values)
    if arr.dtype.kind == "b":
        raise InputError(f"{name}[0]: expected a whole number, got a boolean")
    if arr.dtype.kind in "iu":  # fast path: integer arrays need no per-value check
        _check_exact(arr, name)
        return arr.astype(np.int64, copy=False)
    if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
        _check_exact(arr, name)
        return arr.astype(np.int64)
    for i, value in enumerate(arr.tolist()):
        if isinstance(value, bool) or value is None:
            raise InputError(f"{name}[{i}]: expected a whole number, got {value!r}")
        try:
            as_float = float(value)
        except (TypeError, ValueError):
            raise InputError(f"{name}[{i}]: expected a whole number, got {value!r}") from None
        if not np.isfinite(as_float) or as_float != int(as_float):
            raise InputError(f"{name}[{i}]: expected a whole number, got {value!r}")
        if isinstance(value, int) and abs(value) > MAX_EXACT_COUNT:
            raise InputError(_too_large(name, i, value))
    values = [int(v) if isinstance(v, int) else int(float(v)) for v in arr.tolist()]
    _check_exact(np.asarray(values, dtype=object), name)
    return np.asarray(values, dtype=np.int64)


#: The largest count every step of the computations (in float64) carries exactly: 2^53.
MAX_EXACT_COUNT = 2**53


def _too_large(name: str, index: int, value) -> str:
    return (f"{name}[{index}]: {value} is too large: counts above 2^53 = {MAX_EXACT_COUNT:,} "
            "cannot be computed with exactly (float64); check the data")


def _check_exact(arr: np.ndarray, name: str) -> None:
    """Refuse counts beyond 2^53 (before any cast: a uint64 2^63 would wrap to a negative)."""
    if arr.dtype.kind in "fiu":
        big = np.flatnonzero((arr > MAX_EXACT_COUNT) | (arr < -MAX_EXACT_COUNT))
    else:
        big = np.flatnonzero([abs(int(v)) > MAX_EXACT_COUNT for v in arr.tolist()])
    if big.size:
        raise InputError(_too_large(name, int(big[0]), arr.tolist()[big[0]]))


@dataclass(frozen=True)
class EffectSizes:
    """Per-study ``yi`` and ``vi`` on one model scale, after the continuity correction.

    ``corrected[i]`` says whether study i received the correction (metafor's ``to = "only0"``).
    """

    transform: str
    yi: np.ndarray
    vi: np.ndarray
    corrected: np.ndarray


def escalc(events, totals, transform: str = "logit") -> EffectSizes:
    """Per-study effect sizes, as ``metafor::escalc(measure, xi = events, ni = totals)``.

    Formulas in the module docstring (metafor's ``escalc`` help, "Outcome Measures for Individual
    Groups"; Miller 1978 for PFT; continuity correction ``add = 1/2, to = "only0"``).
    """
    check_transform(transform)
    x, n = check_counts(events, totals)
    return effect_sizes(x, n, transform)


def effect_sizes(x: np.ndarray, n: np.ndarray, transform: str) -> EffectSizes:
    """:func:`escalc` on counts already checked by :func:`check_counts` (no re-validation)."""
    x = x.astype(float)
    n = n.astype(float)
    corrected = np.zeros(x.shape, dtype=bool)
    if transform in CORRECTED_TRANSFORMS:
        corrected = (x == 0) | (x == n)
        x = np.where(corrected, x + CONTINUITY_CORRECTION, x)
        n = np.where(corrected, n + 2 * CONTINUITY_CORRECTION, n)
    p = x / n
    with np.errstate(divide="ignore"):
        if transform == "raw":
            yi, vi = p, p * (1 - p) / n
        elif transform == "log":
            yi, vi = np.log(p), 1 / x - 1 / n
        elif transform == "logit":
            yi, vi = np.log(x / (n - x)), 1 / x + 1 / (n - x)
        elif transform == "arcsine":
            yi, vi = np.arcsin(np.sqrt(p)), 1 / (4 * n)
        else:  # ft
            yi = 0.5 * (np.arcsin(np.sqrt(x / (n + 1))) + np.arcsin(np.sqrt((x + 1) / (n + 1))))
            vi = 1 / (4 * n + 2)
    return EffectSizes(transform, yi, np.broadcast_to(vi, yi.shape).astype(float), corrected)


def check_transform(transform: str) -> None:
    if transform not in TRANSFORMS:
        raise InputError(f"transform: expected one of {', '.join(TRANSFORMS)}; got {transform!r}")


def harmonic_mean(totals) -> float:
    """Harmonic mean of the study sizes, the ``ni`` metafor's ``transf.ipft.hm`` uses."""
    n = np.asarray(totals, dtype=float)
    return float(n.size / np.sum(1.0 / n))


def back_transform(values, transform: str, totals=None):
    """Back-transform model-scale values to proportions (metafor's ``transf.*`` functions).

    logit: ``transf.ilogit``; arcsine: ``transf.iarcsin`` (sin² y, 0 below 0 and 1 above π/2);
    log: ``exp``; raw: identity; ft: ``transf.ipft.hm`` (Miller 1978's inverse with the harmonic
    mean of ``totals``; 0 below the transform of p = 0, 1 above that of p = 1). ``None`` stays
    ``None``. Note that log and raw can leave [0, 1], as in metafor.
    """
    check_transform(transform)
    scalar = np.ndim(values) == 0
    if scalar and values is None:
        return None
    y = np.asarray(values, dtype=float)
    if transform == "logit":
        out = special.expit(y)
    elif transform == "arcsine":
        out = np.where(y < 0, 0.0, np.where(y > np.pi / 2, 1.0, np.sin(y) ** 2))
    elif transform == "log":
        out = np.exp(y)
    elif transform == "raw":
        out = y.copy()
    else:
        if totals is None:
            raise InputError("totals: needed to back-transform the Freeman-Tukey scale")
        out = _ipft(y, harmonic_mean(totals))
    return float(out) if scalar else out


def pft(p, n: float):
    """Freeman-Tukey double arcsine of a proportion p for a study of size n (``transf.pft``)."""
    return 0.5 * (np.arcsin(np.sqrt(p * n / (n + 1))) + np.arcsin(np.sqrt((p * n + 1) / (n + 1))))


def _ipft(y: np.ndarray, n: float) -> np.ndarray:
    """Miller's (1978) inverse of the double arcsine (metafor ``transf.ipft``), clamped to [0, 1]."""
    s = np.sin(2 * y)
    with np.errstate(divide="ignore", invalid="ignore"):
        inner = 1 - (s + (s - 1 / s) / n) ** 2
        p = 0.5 * (1 - np.sign(np.cos(2 * y)) * np.sqrt(inner))
    p = np.where(y > pft(1.0, n), 1.0, np.where(y < pft(0.0, n), 0.0, p))
    # Inside the admissible range the formula is finite; keep a guard so no NaN ever leaves.
    return np.where(np.isnan(p), np.where(y > np.pi / 4, 1.0, 0.0), p)


@dataclass(frozen=True)
class StudyProportions:
    """Observed proportions with a per-study CI (``ci`` is ``"exact"`` or ``"wilson"``)."""

    events: np.ndarray
    totals: np.ndarray
    proportion: np.ndarray
    ci_lower: np.ndarray
    ci_upper: np.ndarray
    ci: str
    level: float


def study_intervals(x: np.ndarray, n: np.ndarray, *, ci: str, level: float) -> StudyProportions:
    """Each study's proportion with its CI, on counts already checked by :func:`check_counts`.

    ``exact``: Clopper-Pearson from the beta quantiles (R ``binom.test(x, n)$conf.int``).
    ``wilson``: the score interval (R ``prop.test(x, n, correct = FALSE)$conf.int``).
    """
    alpha = 1 - level
    xf, nf = x.astype(float), n.astype(float)
    if ci == "exact":
        with np.errstate(invalid="ignore"):
            lower = np.where(x == 0, 0.0, special.betaincinv(xf, nf - xf + 1, alpha / 2))
            upper = np.where(x == n, 1.0, special.betaincinv(xf + 1, nf - xf, 1 - alpha / 2))
    elif ci == "wilson":
        z = special.ndtri(1 - alpha / 2)
        p = xf / nf
        centre = (p + z**2 / (2 * nf)) / (1 + z**2 / nf)
        half = z * np.sqrt(p * (1 - p) / nf + z**2 / (4 * nf**2)) / (1 + z**2 / nf)
        lower = np.where(x == 0, 0.0, np.maximum(centre - half, 0.0))
        upper = np.where(x == n, 1.0, np.minimum(centre + half, 1.0))
    else:
        check_choice("study_ci", ci)
        raise AssertionError("unreachable: study_ci was checked")  # pragma: no cover
    return StudyProportions(x, n, xf / nf, lower, upper, ci, level)


def check_level(level) -> float:
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < level < 1:
        raise InputError(f"level: expected a number between 0 and 1 (e.g. 0.95); got {level!r}")
    return float(level)
