"""Numerical controls of the iterative τ² estimators, overridable per fit like metafor's
``control=`` list (``rma(..., control = list(threshold = 1e-8, maxiter = 1000))``).

Stage "statistics". ``pool_proportions(..., control=Control(threshold=1e-8))`` applies the
controls to that fit only: they are held in a :mod:`contextvars` variable for the duration of the
call (thread- and task-safe), and :mod:`.tau2` reads them where it iterates. A field left as
``None`` keeps the module default (documented below). The GLMM's and the Bayesian model's own
numerical controls are ``glmm_search.GlmmSearchControl`` and the grids of :mod:`.bayes`.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, fields

from ..errors import InputError


@dataclass(frozen=True)
class Control:
    """Controls of Fisher scoring (ML, REML, EB) and of the Q-equation root finder (PM, EB).

    - ``threshold``: convergence of τ² between iterations (default 1e-12; metafor's 1e-5);
    - ``max_iterations``: Fisher-scoring iterations (default 1000; metafor's ``maxiter`` 100);
    - ``max_halvings``: step halvings that keep τ² >= 0, per iteration (default 60);
    - ``max_root_iterations``: iterations of the safeguarded root finder (default 500).
    A fit that reaches a cap says so in its caveats (``not_converged``), never loops.
    """

    threshold: float | None = None
    max_iterations: int | None = None
    max_halvings: int | None = None
    max_root_iterations: int | None = None

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            whole = f.name != "threshold"
            if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)) \
                    or not value > 0 or value != value:
                kind = "a positive whole number" if whole else "a positive number"
                raise InputError(f"control.{f.name}: expected {kind}; got {value!r}")


_ACTIVE: ContextVar[Control | None] = ContextVar("jakisynth_control", default=None)


def setting(name: str, default):
    """The active control ``name``, or ``default`` (the module's constant) when not set."""
    active = _ACTIVE.get()
    value = None if active is None else getattr(active, name)
    return default if value is None else value


@contextmanager
def using(control: Control | None):
    """Apply ``control`` to the fits inside the ``with`` block (None: the defaults)."""
    if control is None:
        yield
        return
    if not isinstance(control, Control):
        raise InputError(f"control: expected a jakisynth.stats.control.Control; got "
                         f"{type(control).__name__}")
    token = _ACTIVE.set(control)
    try:
        yield
    finally:
        _ACTIVE.reset(token)
