"""The self-contained HTML report (``outputs/report.html``): formatting only, no statistics.

Stage "report". Renders ``templates/report.html.j2`` (Jinja2, autoescaped) with the plan's
results, the tables, the figures (inline SVG, ids made unique per figure) and the consistency
findings. No network requests (inline CSS, no fonts, scripts or external images), no dates: the
same inputs give the same bytes.
"""

from __future__ import annotations

import re

from ..stats import format as fmt
from ..evidence.series import as_series
from ..synthesis.analysis import PlanResults

MEASURE = {"logit": "logit (log odds)", "ft": "Freeman-Tukey double arcsine",
           "arcsine": "arcsine square root", "log": "log", "raw": "untransformed proportion"}
TAU2 = {"REML": "restricted maximum likelihood (REML)", "DL": "DerSimonian-Laird",
        "ML": "maximum likelihood", "PM": "Paule-Mandel", "SJ": "Sidik-Jonkman",
        "HE": "Hedges", "EB": "empirical Bayes", "HS": "Hunter-Schmidt"}


def model_text(model: dict) -> str:
    """One sentence describing an analysis model, from the plan (no statistics)."""
    if model["method"] == "glmm":
        return ("random-intercept logistic model (GLMM) fitted by maximum likelihood, the random "
                "effects integrated out by adaptive Gauss-Hermite quadrature with 7 nodes; Wald "
                "(z) confidence interval; no continuity correction")
    correction = (" with a continuity correction of 1/2 for series with 0% or 100% events "
                  "(metafor's default)" if model["transform"] in ("logit", "log", "raw") else "")
    ci = ("Hartung-Knapp confidence interval and prediction interval with t on k-1 degrees of "
          "freedom" if model["ci"] == "hk" else "Wald (z) confidence interval and prediction "
          "interval")
    return (f"inverse-variance random-effects model on the {MEASURE[model['transform']]} scale"
            f"{correction}; τ² by {TAU2[model['tau2']]}; {ci}")


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


def _frame_rows(frame):
    if frame is None:
        return None
    rows = []
    for record in frame.to_dict(orient="records"):
        rows.append({k: ("" if v is None or (isinstance(v, float) and v != v) else v)
                     for k, v in record.items()})
    return {"columns": list(frame.columns), "rows": rows}


def render_report(*, plan_results: PlanResults, studies: dict[str, dict], tables: dict,
                  figures: dict[str, bytes], consistency, evidence_version: str,
                  software: dict[str, str]) -> str:
    """The report's HTML (see the module docstring)."""
    from importlib import resources

    from jinja2 import Environment, StrictUndefined, select_autoescape

    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True)
    env.filters.update(pct=fmt.percent, num=fmt.number, pvalue=fmt.p_value, tau2=fmt.tau2,
                       sentence=fmt.sentence, ci_label=fmt.ci_label)
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
    return template.render(
        plan=plan, results=plan_results, analyses=plan_results.analyses,
        model_text=model_text, labels=labels, studies=studies,
        figures={name: _svg_inline(name, svg) for name, svg in sorted(figures.items())},
        tables={name: _frame_rows(frame) for name, frame in sorted(tables.items())},
        flagged=flagged, verdict_counts=sorted(counts.items()), overlaps=overlaps,
        evidence_version=evidence_version, software=sorted(software.items()))
