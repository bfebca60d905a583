"""Structured caveats: what a result's reader must know about how it was obtained.

Stage "statistics". Every warning attached to a result is a :class:`Caveat` with a stable
``code`` (figures and the report select caveats by code, never by their wording) and a
``message`` for people. The public functions (``pool_proportions`` and the sensitivity analyses)
also raise each caveat as a :class:`jakisynth.errors.JakisynthWarning`, as metafor raises R
``warning()``s, so Python users see them without reading the result.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

from ..errors import JakisynthWarning

#: Every caveat code, with what it means. A code not listed here is a programming error.
CODES = {
    "single_study": "k = 1: τ² cannot be estimated; the estimate is that study's own",
    "few_studies": "k < 5: τ² and the prediction interval are poorly estimated",
    "tau2_boundary": "τ² estimated at 0: the random-effects model equals the common-effect model",
    "not_converged": "an iterative method did not converge; the last value is reported",
    "tau2_multimodal": "the likelihood of τ² has more than one local optimum",
    "pi_not_available": "the prediction interval cannot be computed for this k and method",
    "hk_narrower": "the Hartung-Knapp scaling factor is below 1 (CI narrower than Wald with t)",
    "ci_switched": "a CI method was replaced by another one that this k allows",
    "continuity_correction": "1/2 added to the cells of studies with 0 or all events",
    "ft_back_transform": "Freeman-Tukey back-transformation by the harmonic mean of study sizes",
    "glmm_information": "the GLMM's observed information is not positive definite",
    "glmm_tau2_unbounded": "the GLMM likelihood has no maximum at a finite τ² (interval 0 to 1)",
    "glmm_quadrature_inaccurate": "the GLMM's adaptive Gauss-Hermite rule is off from the exact integral",
    "glmm_se_floor": "the GLMM's standard error is raised to sqrt(τ²/k), its least possible value",
    "glmm_hessian_not_negative_definite": "the GLMM estimate may not be a maximum (Hessian)",
    "glmm_gradient_not_zero": "the GLMM estimate may not be the maximum (gradient)",
    "bayes_prior_dominates": "one end of the posterior comes from the prior, not from the data",
    "subgroup_single_study": "a subgroup with one study is that study's own estimate",
    "not_estimable": "the model cannot be fitted to this group (pool_many: e.g. a GLMM with 0 "
                     "events in every study); its numbers are missing",
}


@dataclass(frozen=True)
class Caveat:
    """One caveat of a result: a stable ``code`` (a key of :data:`CODES`) and a ``message``."""

    code: str
    message: str

    def __post_init__(self):
        if self.code not in CODES:
            raise ValueError(f"internal error: unknown caveat code {self.code!r}")

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message}


def messages(caveats) -> list[str]:
    """The messages of ``caveats``, in order (what ``to_dict()["warnings"]`` holds)."""
    return [c.message for c in caveats]


def with_code(caveats, *codes: str) -> list[Caveat]:
    """The caveats whose code is one of ``codes``."""
    return [c for c in caveats if c.code in codes]


def emit(caveats, stacklevel: int = 3) -> None:
    """Raise each caveat as a :class:`JakisynthWarning` (R: ``warning()`` in metafor)."""
    for c in caveats:
        warnings.warn(f"{c.message} [{c.code}]", JakisynthWarning, stacklevel=stacklevel)
