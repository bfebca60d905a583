"""Declared options of the pooling engine: the allowed values, which method uses which option,
and the one checker every entry point calls.

Stage "statistics". Like metafor, which checks every argument of ``rma.uni`` against an allowed
list before fitting, and PyMARE, which declares parameter constraints: an option that the chosen
method does not use is an error naming it, never silently ignored. The command line's choices,
the plan schema's enums, the report's name maps and the R-call map are tied to these tuples by
tests (tests/test_options.py). Imports nothing heavy, so ``jakisynth --help`` stays fast.
"""

from __future__ import annotations

from ..errors import InputError

METHODS = ("inverse", "glmm", "bayes")
TRANSFORMS = ("logit", "ft", "arcsine", "log", "raw")
TAU2_METHODS = ("REML", "DL", "ML", "PM", "SJ", "HE", "EB", "HS")
CI_METHODS = ("z", "hk")
PI_DF = ("metafor", "k-2")
STUDY_CI = ("exact", "wilson")

#: The defaults of the options that only some methods use.
DEFAULTS = {"transform": "logit", "tau2": "REML", "ci": "z", "pi_df": "metafor", "n_agq": 7,
            "tau_prior": "halfnormal(0.5)", "mu_prior": "normal(0, 10)", "control": None}
#: Which method-specific options each method uses; the others must be left unset (None).
USES = {
    "inverse": {"transform", "tau2", "ci", "pi_df", "control"},
    "glmm": {"transform", "ci", "n_agq"},
    "bayes": {"transform", "ci", "tau_prior", "mu_prior"},
}
ALLOWED = {"method": METHODS, "transform": TRANSFORMS, "tau2": TAU2_METHODS, "ci": CI_METHODS,
           "pi_df": PI_DF, "study_ci": STUDY_CI}
#: Values a method accepts for an option it uses, where it accepts fewer than all of them.
ONLY = {("glmm", "transform"): ("logit",), ("glmm", "ci"): ("z",),
        ("bayes", "transform"): ("logit",), ("bayes", "ci"): ("z",)}
WHY = {("glmm", "transform"): "the GLMM is a logistic model",
       ("glmm", "ci"): "the GLMM gives Wald (z) intervals only",
       ("bayes", "transform"): "the Bayesian model is binomial-normal on the logit scale",
       ("bayes", "ci"): "the Bayesian model gives equal-tailed credible intervals (ci='z')"}


def check_choice(name: str, value) -> str:
    """``value`` if it is one of ``ALLOWED[name]``, else an InputError naming ``name``."""
    allowed = ALLOWED[name]
    if value not in allowed:
        raise InputError(f"{name}: expected one of {', '.join(map(repr, allowed))}; got {value!r}")
    return value


def resolve(method: str, **given) -> dict:
    """Check ``method`` and the method-specific options in ``given`` (``None`` = not set) and
    return them with the defaults filled in for the options the method uses.

    An option the method does not use, set to anything but ``None``, is an InputError naming it
    (R's metafor stops with "Unknown argument" or an error for a value it cannot use)."""
    check_choice("method", method)
    used = USES[method]
    for name, value in given.items():
        if value is None:
            continue
        if name not in used:
            raise InputError(f"{name}: method={method!r} does not use {name} "
                             f"(got {value!r}); leave it unset")
        if name in ALLOWED:
            check_choice(name, value)
        only = ONLY.get((method, name))
        if only is not None and value not in only:
            raise InputError(f"{name}: {WHY[(method, name)]}; use {name}={only[0]!r} "
                             f"(got {value!r})")
    return {name: (given.get(name) if given.get(name) is not None else DEFAULTS[name])
            for name in sorted(used)}
