"""Subgroup analysis, leave-one-out, cumulative meta-analysis and influence.

Stage "pooling" (analyses built from repeated fits of :func:`pool_proportions`). Every function
takes the data as ``events``, ``totals``, ``studies`` and passes the model options (``method``,
``transform``, ``tau2``, ``ci``, ``level``...) through unchanged, so each sub-analysis is the
same model as the main one.

- Subgroups: a separate random-effects model per subgroup (own τ², R meta's default
  ``tau.common = FALSE``) and the test for subgroup differences
  Q_between = Σ_g (μ̂_g - μ̂_w)²/se_g², μ̂_w = Σ(μ̂_g/se_g²)/Σ(1/se_g²), on G-1 df (Borenstein et
  al. 2009, ch. 19). R: ``metaprop(event, n, subgroup = g, tau.common = FALSE)$Q.b.random``
  (meta), or with metafor one ``rma()`` per subgroup, then ``rma(est_g, sei = se_g,
  method = "EE")$QE``.
- Leave-one-out: refit without each study (metafor ``leave1out()``); influence = the change in
  the pooled estimate and in τ² when the study is left out.
- Cumulative: refit adding studies one at a time in a given order (metafor ``cumul()``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from types import SimpleNamespace

import numpy as np
from scipy import special

from ..errors import InputError
from .caveats import Caveat, emit, messages
from .proportions import fit_proportions
from .results import PooledProportion

HK_SWITCH = Caveat("ci_switched", "Hartung-Knapp needs at least 2 studies: this fit of one study "
                   "uses the Wald (z) CI")


def _prepare(events, totals, studies):
    events = list(events)
    totals = list(totals)
    if len(events) != len(totals):
        raise InputError(f"events and totals differ in length ({len(events)} and {len(totals)})")
    if studies is None:
        studies = [f"Study {i + 1}" for i in range(len(events))]
    studies = [str(s) for s in studies]
    if len(studies) != len(events):
        raise InputError(f"studies: {len(studies)} labels for {len(events)} studies")
    return events, totals, studies


def _pick(values, index):
    return [values[i] for i in index]


def _refit(events, totals, studies, index, model) -> PooledProportion:
    """The same model on the studies ``index``; Hartung-Knapp on one study (undefined) falls back
    to the Wald CI, recorded as a ``ci_switched`` caveat of that fit."""
    sub_model = dict(model)
    switched = len(index) == 1 and sub_model.get("ci") == "hk"
    if switched:
        sub_model["ci"] = "z"
    fit = fit_proportions(_pick(events, index), _pick(totals, index),
                          studies=_pick(studies, index), **sub_model)
    return replace(fit, caveats=fit.caveats + (HK_SWITCH,)) if switched else fit


def _emit_unique(fits) -> None:
    """Raise each distinct caveat of ``fits`` once as a JakisynthWarning."""
    emit(list({(c.code, c.message): c for fit in fits for c in fit.caveats}.values()))


def _records(frame) -> list[dict]:
    """``frame``'s rows as dicts, with None where pandas holds NaN (a value that does not
    exist, e.g. the prediction interval of a step with k = 1): JSON-ready."""
    return [{k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()}
            for row in frame.to_dict(orient="records")]


def _summary_row(label: str, result: PooledProportion) -> dict:
    d = result.to_dict()
    return {"label": label, "k": d["k"], "estimate": d["estimate"], "ci_lower": d["ci_lower"],
            "ci_upper": d["ci_upper"], "pi_lower": d["pi_lower"], "pi_upper": d["pi_upper"],
            "tau2": d["tau2"], "I2": d["I2"], "Q_pvalue": d["Q_pvalue"]}


# ---- subgroups -------------------------------------------------------------------------------

@dataclass(frozen=True)
class SubgroupAnalysis:
    """Per-subgroup pooled results, the overall result and the test for subgroup differences."""

    variable: str
    subgroups: dict[str, PooledProportion]
    overall: PooledProportion
    Q_between: float | None
    df: int
    p_value: float | None
    caveats: tuple[Caveat, ...] = field(default_factory=tuple)

    @property
    def warnings(self) -> list[str]:
        return messages(self.caveats)

    def to_dict(self) -> dict:
        return {"variable": self.variable,
                "subgroups": {k: v.to_dict() for k, v in self.subgroups.items()},
                "overall": self.overall.to_dict(),
                "test": {"Q": self.Q_between, "df": self.df, "p": self.p_value},
                "warnings": self.warnings, "caveats": [c.to_dict() for c in self.caveats]}

    def to_frame(self):
        import pandas as pd

        rows = [{"subgroup": g, **_summary_row(g, r)} for g, r in self.subgroups.items()]
        rows.append({"subgroup": "Overall", **_summary_row("Overall", self.overall)})
        return pd.DataFrame(rows).drop(columns="label")

    def __str__(self) -> str:
        lines = [f"Subgroups by {self.variable}:"]
        for g, r in self.subgroups.items():
            lines.append(f"  {g}: k = {r.k}, {100 * r.estimate:.1f}% "
                         f"[{100 * r.ci_lower:.1f}%, {100 * r.ci_upper:.1f}%]")
        lines.append(f"  Overall: k = {self.overall.k}, {100 * self.overall.estimate:.1f}%")
        if self.Q_between is None:
            lines.append("  test for subgroup differences: not available (fewer than 2 subgroups)")
        else:
            lines.append(f"  test for subgroup differences: Q = {self.Q_between:.2f}, "
                         f"df = {self.df}, p = {self.p_value:.4f}")
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def subgroup_analysis(events, totals, groups: Sequence[str], *, studies=None,
                      variable: str = "subgroup", **model) -> SubgroupAnalysis:
    """Pool within each subgroup and test the subgroup differences (see module docstring).

    ``groups[i]`` is the subgroup of study i; subgroups keep their order of first appearance.
    """
    events, totals, studies = _prepare(events, totals, studies)
    groups = [str(g) for g in groups]
    if len(groups) != len(events):
        raise InputError(f"groups: {len(groups)} values for {len(events)} studies")
    order = list(dict.fromkeys(groups))
    subgroups = {}
    for g in order:
        index = [i for i, x in enumerate(groups) if x == g]
        subgroups[g] = _refit(events, totals, studies, index, model)
    overall = fit_proportions(events, totals, studies=studies, **model)
    caveats = []
    if any(r.k == 1 for r in subgroups.values()):
        caveats.append(Caveat("subgroup_single_study",
                              "a subgroup with one study is that study's own estimate (Wald CI)"))
    _emit_unique([SimpleNamespace(caveats=tuple(caveats)), overall, *subgroups.values()])
    if len(order) < 2:
        return SubgroupAnalysis(variable, subgroups, overall, None, 0, None, tuple(caveats))
    est = np.array([r.transformed.estimate for r in subgroups.values()])
    se = np.array([r.transformed.se for r in subgroups.values()])
    w = 1 / se**2
    mean = np.dot(w, est) / w.sum()
    q_between = float(np.dot(w, (est - mean) ** 2))
    df = len(order) - 1
    return SubgroupAnalysis(variable, subgroups, overall, q_between, df,
                            float(special.chdtrc(df, q_between)), tuple(caveats))


# ---- leave-one-out and influence -------------------------------------------------------------

@dataclass(frozen=True)
class LeaveOneOut:
    """Refits without each study in turn, with the change each omission makes (influence)."""

    full: PooledProportion
    omitted: tuple[str, ...]
    fits: tuple[PooledProportion, ...]

    def to_frame(self):
        """One row per omitted study: estimate, CI, PI, τ², I², and ``delta_estimate``
        (proportion scale), ``delta_transformed`` (model scale), ``delta_tau2``."""
        import pandas as pd

        rows = []
        for name, fit in zip(self.omitted, self.fits):
            row = {"omitted": name, **_summary_row(name, fit)}
            row["delta_estimate"] = fit.estimate - self.full.estimate
            row["delta_transformed"] = fit.transformed.estimate - self.full.transformed.estimate
            row["delta_tau2"] = fit.tau2 - self.full.tau2
            rows.append(row)
        return pd.DataFrame(rows).drop(columns="label")

    def to_dict(self) -> dict:
        return {"full": self.full.to_dict(), "rows": _records(self.to_frame())}

    def __str__(self) -> str:
        lines = ["Leave-one-out:"]
        for name, fit in zip(self.omitted, self.fits):
            lines.append(f"  without {name}: {100 * fit.estimate:.1f}% [{100 * fit.ci_lower:.1f}%, "
                         f"{100 * fit.ci_upper:.1f}%], tau2 = {fit.tau2:.4f} "
                         f"(change {100 * (fit.estimate - self.full.estimate):+.1f} points)")
        return "\n".join(lines)


def leave_one_out(events, totals, *, studies=None, **model) -> LeaveOneOut:
    """Refit leaving out each study (R: ``leave1out(rma(...))``); needs k >= 2."""
    events, totals, studies = _prepare(events, totals, studies)
    k = len(events)
    if k < 2:
        raise InputError("leave-one-out needs at least 2 studies")
    full = fit_proportions(events, totals, studies=studies, **model)
    fits = tuple(_refit(events, totals, studies, [j for j in range(k) if j != i], model)
                 for i in range(k))
    _emit_unique((full,) + fits)
    return LeaveOneOut(full, tuple(studies), fits)


# ---- cumulative ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Cumulative:
    """Fits after adding each study in ``order`` (the first fit has one study)."""

    added: tuple[str, ...]
    keys: tuple[str, ...]
    fits: tuple[PooledProportion, ...]

    def to_frame(self):
        import pandas as pd

        rows = [{"added": name, "order_key": key, **_summary_row(name, fit)}
                for name, key, fit in zip(self.added, self.keys, self.fits)]
        return pd.DataFrame(rows).drop(columns="label")

    def to_dict(self) -> dict:
        return {"rows": _records(self.to_frame())}

    def __str__(self) -> str:
        lines = ["Cumulative meta-analysis:"]
        for name, key, fit in zip(self.added, self.keys, self.fits):
            lines.append(f"  + {name} ({key}): k = {fit.k}, {100 * fit.estimate:.1f}% "
                         f"[{100 * fit.ci_lower:.1f}%, {100 * fit.ci_upper:.1f}%]")
        return "\n".join(lines)


def cumulative(events, totals, order_keys: Sequence, *, studies=None, **model) -> Cumulative:
    """Cumulative meta-analysis in ascending ``order_keys`` (ties keep input order).

    R: ``cumul(rma(...), order = order_keys)``. Each step is a full refit with the same model;
    where the model cannot be fitted with that few studies (Hartung-Knapp with k = 1) that step
    uses the Wald CI and says so in its warnings.
    """
    events, totals, studies = _prepare(events, totals, studies)
    if len(order_keys) != len(events):
        raise InputError(f"order_keys: {len(order_keys)} values for {len(events)} studies")
    order = sorted(range(len(events)), key=lambda i: (order_keys[i], i))
    fits = tuple(_refit(events, totals, studies, order[:step], model)
                 for step in range(1, len(order) + 1))
    _emit_unique(fits)
    return Cumulative(tuple(studies[i] for i in order), tuple(str(order_keys[i]) for i in order),
                      fits)
