"""The self-contained HTML report (``outputs/report.html``): formatting only, no statistics.

Stage "report". Renders ``templates/report.html.j2`` (Jinja2, autoescaped) with the plan's
results, the tables, the figures (inline SVG, ids made unique per figure) and the consistency
findings. No network requests (inline CSS, no fonts, scripts or external images), no dates: the
same inputs give the same bytes.
"""

from __future__ import annotations

import re

from ..evidence.series import as_series
from ..stats import format as fmt
from ..synthesis.analysis import PlanResults
from .figures import group_label, subgroup_title
from .forest_rows import has_prediction_interval, has_weights, interval_name, unweighted_model

MEASURE = {"logit": "logit (log odds)", "ft": "Freeman-Tukey double arcsine",
           "arcsine": "arcsine square root", "log": "log", "raw": "untransformed proportion"}
TAU2 = {"REML": "restricted maximum likelihood (REML)", "DL": "DerSimonian-Laird",
        "ML": "maximum likelihood", "PM": "Paule-Mandel", "SJ": "Sidik-Jonkman",
        "HE": "Hedges", "EB": "empirical Bayes", "HS": "Hunter-Schmidt"}


def model_text(result) -> str:
    """One sentence describing the model that was fitted, read from the result (no statistics)."""
    if result.method == "bayes":
        return ("Bayesian binomial-normal random-effects model (events ~ binomial, logit of each "
                f"series' proportion ~ normal(mu, tau²); tau ~ {result.tau_prior}, "
                f"mu ~ {result.mu_prior} on the logit scale), the posterior computed by "
                "deterministic quadrature (no MCMC); posterior median with equal-tailed "
                f"{fmt.level_percent(result.level)} credible interval and the predictive interval "
                "of a new series; no continuity correction")
    if result.method == "glmm":
        nodes = f"{result.n_agq} node{'s' if result.n_agq != 1 else ''}"
        return ("random-intercept logistic model (GLMM) fitted by maximum likelihood, the random "
                f"effects integrated out by adaptive Gauss-Hermite quadrature with {nodes}; Wald "
                "(z) confidence interval and prediction interval; no continuity correction")
    corrected = [c for c in result.caveats if c.code == "continuity_correction"]
    correction = (" with a continuity correction of 1/2 for the series with 0% or 100% events "
                  "(metafor's default)" if corrected else "")
    ci = ("Hartung-Knapp confidence interval (t on k-1 degrees of freedom)"
          if result.ci_method == "hk" else "Wald (z) confidence interval")
    if result.pi_df == "k-2":
        pi = "prediction interval with t on k-2 degrees of freedom (Higgins et al. 2009)"
    elif result.ci_method == "hk":
        pi = "prediction interval with t on k-1 degrees of freedom"
    else:
        pi = "prediction interval with z"
    return (f"inverse-variance random-effects model on the {MEASURE[result.transform]} scale"
            f"{correction}; τ² by {TAU2[result.tau2_method]}; {ci}; {pi}")


def _svg_inline(name: str, svg: bytes) -> str:
    """SVG text without the XML prolog, with element ids prefixed so figures cannot clash."""
    text = svg.decode("utf-8")
    text = re.sub(r"<\?xml[^>]*\?>\s*", "", text)
    text = re.sub(r"<!DOCTYPE[^>]*>\s*", "", text)
    prefix = re.sub(r"[^A-Za-z0-9_-]", "-", name) + "-"
    text = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}{m.group(1)}"', text)
    text = re.sub(r'url\(#([^)]+)\)', lambda m: f"url(#{prefix}{m.group(1)})", text)
    text = re.sub(r'xlink:href="#([^"]+)"', lambda m: f'xlink:href="#{prefix}{m.group(1)}"', text)
    text = re.sub(r'(?<![:\w])href="#([^"]+)"', lambda m: f'href="#{prefix}{m.group(1)}"', text)
    return text


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _frame_rows(frame):
    """Rows of ``frame`` for a table (missing values as ""), its columns, and which columns are
    numeric (every value a number or missing): their headers align right like their cells."""
    if frame is None:
        return None
    rows = []
    for record in frame.to_dict(orient="records"):
        rows.append({k: ("" if v is None or (isinstance(v, float) and v != v) else v)
                     for k, v in record.items()})
    columns = list(frame.columns)
    numeric = {c for c in columns if any(_is_number(r[c]) for r in rows)
               and all(_is_number(r[c]) or r[c] == "" for r in rows)}
    return {"columns": columns, "rows": rows, "numeric": numeric}


def forest_caption(result: dict, subgroups=()) -> str:
    """What a forest plot of ``result`` draws, in words (only what is drawn)."""
    ci = fmt.ci_label(result.get("level") or 0.95)
    sizes = ("sized by weight" if has_weights(result)
             else f"sized by study size ({unweighted_model(result)} has no study weights)")
    parts = [f"Squares: series proportions with {result.get('study_ci', 'exact')} {ci}s, {sizes}",
             f"diamonds: pooled estimates with their {ci} (white: common effect; filled: "
             "random effects)" if result.get("common") else
             (f"diamond: posterior median with its {fmt.level_percent(result.get('level') or 0.95)}"
              " credible interval" if result.get("method") == "bayes" else
              f"diamond: pooled estimate with its {ci}")]
    blocks = [result] + [r.to_dict() if hasattr(r, "to_dict") else r for r in subgroups]
    if any(has_prediction_interval(b) for b in blocks):
        name = interval_name(result)
        of = " of a new series' true proportion" if name == "predictive interval" else ""
        parts.append(f"red bar: {name}{of} (none for a single study)")
    return "; ".join(parts) + "."


def render_report(*, plan_results: PlanResults, studies: dict[str, dict], sof=None, tables: dict,
                  figures: dict[str, bytes], consistency, evidence_version: str,
                  software: dict[str, str]) -> str:
    """The report's HTML (see the module docstring)."""
    from importlib import resources

    from jinja2 import Environment, StrictUndefined, select_autoescape

    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True)
    env.filters.update(pct=fmt.percent, num=fmt.number, pvalue=fmt.p_value, tau2=fmt.tau2,
                       sentence=fmt.sentence, ci_label=fmt.ci_label,
                       prob=fmt.probability, level_percent=fmt.level_percent, in_sentence=fmt.in_sentence,
                       lcfirst=fmt.in_sentence)
    template = env.from_string(resources.files("jakisynth.report").joinpath(
        "templates/report.html.j2").read_text("utf-8"))
    plan = plan_results.plan
    flagged, counts = [], {}
    if consistency is not None:
        for record in consistency.to_dict(orient="records"):
            counts[record["verdict"]] = counts.get(record["verdict"], 0) + 1
            if record["verdict"] in ("inconsistent", "rounding"):
                flagged.append(record)
    labels = {sid: as_series(sid, s).label for sid, s in studies.items()}
    from ..evidence.overlaps import find_overlaps

    why = {o.pair: "; ".join(o.evidence) for o in find_overlaps(studies)}
    overlaps = [{"decision": d, "evidence": why.get(frozenset(d.series), "")} for d in plan.overlaps]
    from ..synthesis.decision import robustness_flags, robustness_panel, threshold_probabilities

    panel = robustness_panel(plan_results)
    return template.render(
        threshold_probs=threshold_probabilities(plan_results), robustness=panel,
        robustness_flags=robustness_flags(panel), plan=plan, results=plan_results,
        analyses=plan_results.analyses, sof=sof,
        direct_labels=[labels[c.study] for c in plan.primary.series],
        indirect=[(labels[sid], plan.directness_of(sid).reason) for sid in plan.indirect
                  if sid in labels],
        model_text=model_text, labels=labels, studies=studies, forest_caption=forest_caption,
        subgroup_title=subgroup_title, group_label=group_label,
        subgroup_by={s.id: s.by for s in plan.subgroups},
        figures={name: _svg_inline(name, svg) for name, svg in sorted(figures.items())},
        tables={name: _frame_rows(frame) for name, frame in sorted(tables.items())},
        flagged=flagged, verdict_counts=sorted(counts.items()), overlaps=overlaps,
        evidence_version=evidence_version, software=sorted(software.items()))
