"""Prior distributions of the Bayesian random-effects model, written as strings.

Stage "pooling" (used by ``bayes``; shared by the API, the command line and the analysis plan,
which all take the same strings).

Heterogeneity τ (the between-study SD on the logit scale), ``tau_prior``:

* ``"halfnormal(s)"``: density 2/(s√(2π)) exp(-τ²/(2s²)), τ ≥ 0 (median 0.674 s);
* ``"halfcauchy(s)"``: density 2/(πs(1 + τ²/s²)), τ ≥ 0 (median s; heavy tailed);
* ``"uniform(0, u)"``: density 1/u on [0, u].

Mean logit μ, ``mu_prior``: ``"normal(m, s)"``, s the SD on the logit scale.

Defaults and why: τ ~ halfnormal(0.5). Half-normal priors with scale 0.5 (and 1.0 for a more
cautious analysis) are the weakly informative choices for τ on the log-odds scale in
meta-analyses of few studies (Friede et al. 2017, Biom J 59:658; Röver et al. 2021, Res Synth
Methods 12:448): halfnormal(0.5) puts 95% of its mass below τ = 0.98, i.e. study-to-study odds
ratios up to about exp(2 × 1.96 × 0.98) ≈ 47 between extreme series, and gives τ = 0 (no
heterogeneity) no special weight. μ ~ normal(0, 10): a vague prior so that the data decide the
pooled proportion; note that on the logit scale it is very diffuse and, mapped to proportions,
it piles its mass near 0 and 1 (P(expit μ < 0.01 or > 0.99) ≈ 0.65), so with all-100% (or all-0%)
series the upper (lower) end of the posterior of μ comes from this prior; report it, and run a
prior-sensitivity analysis (e.g. normal(0, 1.5), roughly uniform on the proportion scale).

R (bayesmeta, Röver 2020, J Stat Softw 93(6)): ``dhalfnormal(tau, scale = s)``,
``dhalfcauchy(tau, scale = s)``; brms: ``prior(normal(0, s), class = sd)`` (half-normal since
sd ≥ 0), ``prior(cauchy(0, s), class = sd)``, ``prior(normal(m, s), class = Intercept)``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
from scipy import special

from ..errors import InputError

DEFAULT_TAU_PRIOR = "halfnormal(0.5)"
DEFAULT_MU_PRIOR = "normal(0, 10)"
TAU_FORMS = ("halfnormal(s)", "halfcauchy(s)", "uniform(0, u)")
MU_FORMS = ("normal(m, s)",)

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_CALL = re.compile(rf"^\s*([a-z]+)\s*\(\s*({_NUMBER})\s*(?:,\s*({_NUMBER})\s*)?\)\s*$")


def _number_text(value: float) -> str:
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


@dataclass(frozen=True)
class TauPrior:
    """Prior of τ: ``kind`` in halfnormal / halfcauchy / uniform, ``scale`` s (or u)."""

    kind: str
    scale: float

    def __str__(self) -> str:
        if self.kind == "uniform":
            return f"uniform(0, {_number_text(self.scale)})"
        return f"{self.kind}({_number_text(self.scale)})"

    # The variable v of the posterior grid (jakisynth.bayes): τ itself for the half-normal and
    # uniform priors (density p(τ)), the prior CDF w = F(τ) for the heavy-tailed half-Cauchy
    # (density 1 on [0, 1), τ = s tan(πw/2)); in both the density is even about v = 0.

    @property
    def grid_max(self) -> float:
        """The largest v of the grid: the prior mass beyond it, at most 1e-7, is left out."""
        if self.kind == "halfnormal":
            return float(self.scale * math.sqrt(2.0) * special.erfcinv(1e-7))
        if self.kind == "halfcauchy":
            return 1.0 - 1e-7
        return self.scale

    def grid_tau(self, v):
        v = np.asarray(v, dtype=float)
        return self.scale * np.tan(0.5 * math.pi * v) if self.kind == "halfcauchy" else v

    def grid_log_density(self, v):
        v = np.asarray(v, dtype=float)
        if self.kind == "halfnormal":
            return (0.5 * math.log(2.0 / math.pi) - math.log(self.scale)
                    - 0.5 * (v / self.scale) ** 2)
        if self.kind == "halfcauchy":
            return np.zeros_like(v)
        return np.full_like(v, -math.log(self.scale))

    def r_brms(self) -> str:
        if self.kind == "halfnormal":
            return f"prior(normal(0, {_number_text(self.scale)}), class = sd)"
        if self.kind == "halfcauchy":
            return f"prior(cauchy(0, {_number_text(self.scale)}), class = sd)"
        return f"prior(uniform(0, {_number_text(self.scale)}), class = sd, ub = {_number_text(self.scale)})"


@dataclass(frozen=True)
class MuPrior:
    """Normal prior of μ with mean ``mean`` and SD ``sd`` (logit scale)."""

    mean: float
    sd: float

    def __str__(self) -> str:
        return f"normal({_number_text(self.mean)}, {_number_text(self.sd)})"

    def log_density(self, mu):
        z = (np.asarray(mu, dtype=float) - self.mean) / self.sd
        return -0.5 * z * z - math.log(self.sd) - 0.5 * math.log(2.0 * math.pi)

    def r_brms(self) -> str:
        return f"prior(normal({_number_text(self.mean)}, {_number_text(self.sd)}), class = Intercept)"


def _bad(argument: str, forms, text) -> InputError:
    return InputError(f"{argument}: expected {' or '.join(repr(f) for f in forms)} with a "
                      f"positive, finite scale{' (s or u)' if argument == 'tau_prior' else ''}; "
                      f"got {text!r}")


def parse_tau_prior(text) -> TauPrior:
    """``"halfnormal(s)"``, ``"halfcauchy(s)"`` or ``"uniform(0, u)"`` (s, u > 0) as a
    :class:`TauPrior`; anything else raises :class:`InputError` naming ``tau_prior``."""
    if isinstance(text, TauPrior):
        return text
    match = _CALL.match(text) if isinstance(text, str) else None
    if match is None:
        raise _bad("tau_prior", TAU_FORMS, text)
    kind, first, second = match.group(1), float(match.group(2)), match.group(3)
    if kind in ("halfnormal", "halfcauchy") and second is None:
        scale = first
    elif kind == "uniform" and second is not None and first == 0.0:
        scale = float(second)
    else:
        raise _bad("tau_prior", TAU_FORMS, text)
    if not (math.isfinite(scale) and scale > 0):
        raise _bad("tau_prior", TAU_FORMS, text)
    return TauPrior(kind, scale)


def parse_mu_prior(text) -> MuPrior:
    """``"normal(m, s)"`` (s > 0, m finite) as a :class:`MuPrior`; anything else raises
    :class:`InputError` naming ``mu_prior``."""
    if isinstance(text, MuPrior):
        return text
    match = _CALL.match(text) if isinstance(text, str) else None
    if match is None or match.group(1) != "normal" or match.group(3) is None:
        raise _bad("mu_prior", MU_FORMS, text)
    mean, sd = float(match.group(2)), float(match.group(3))
    if not (math.isfinite(mean) and math.isfinite(sd) and sd > 0):
        raise _bad("mu_prior", MU_FORMS, text)
    return MuPrior(mean, sd)
