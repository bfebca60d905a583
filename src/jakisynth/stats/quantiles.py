"""Sample quantiles by R's nine definitions (Hyndman & Fan 1996, Am Stat 50:361).

Stage "stats". R's ``quantile(x, probs, type = k)`` for k = 1..9 is numpy's
``numpy.quantile(x, probs, method=...)`` with the Hyndman-Fan names below (numpy >= 1.22); R's
and numpy's default is type 7 (``linear``). A paper rarely says which definition it used, so the
consistency check tries all nine.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError

#: R's ``type`` -> numpy's ``method`` (numpy.quantile documentation, "H&F" column).
R_TYPES: dict[int, str] = {
    1: "inverted_cdf",
    2: "averaged_inverted_cdf",
    3: "closest_observation",
    4: "interpolated_inverted_cdf",
    5: "hazen",
    6: "weibull",
    7: "linear",
    8: "median_unbiased",
    9: "normal_unbiased",
}


def quantile(values, p: float, kind: int) -> float:
    """R's ``quantile(x, p, type = kind)`` (kind 1..9) via ``numpy.quantile(method=...)``."""
    if kind not in R_TYPES:
        raise InputError(f"kind: R's quantile types are 1..9, got {kind!r}")
    x = np.asarray(values, float)
    if x.size == 0:
        raise InputError("values: no values to take a quantile of")
    if not 0.0 <= p <= 1.0:
        raise InputError(f"p: a probability in [0, 1], got {p!r}")
    return float(np.quantile(x, p, method=R_TYPES[kind]))
