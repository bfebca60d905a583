"""The rows and texts of a forest plot, from a result dict (formatting only, no statistics).

Stage "report". Input: the plain dict of :meth:`jakisynth.stats.results.PooledProportion.to_dict`
(estimate, CI, prediction interval, τ², I², Q p, weights, per-study proportions with their CIs,
the common-effect estimate, caveats). Every number of a row is one of those numbers, formatted
with :mod:`jakisynth.stats.format`; caveats are selected by code, never by their wording.
"""

from __future__ import annotations

import math

from ..errors import InputError
from ..stats import format as fmt

#: caveat codes that make the "Caution" line of a plot (the k < 5 / k = 1 warning)
CAUTION_CODES = ("few_studies", "single_study")

_NEEDED = ("k", "estimate", "ci_lower", "ci_upper", "studies")


def check_result(result, name: str) -> None:
    """Raise InputError (naming ``name``) unless ``result`` is a usable result dict."""
    if not isinstance(result, dict):
        raise InputError(f"{name}: expected the dict of PooledProportion.to_dict(), "
                         f"got {type(result).__name__}")
    missing = [key for key in _NEEDED if key not in result]
    if missing:
        raise InputError(f"{name}: missing key(s) {', '.join(missing)}")
    studies = result["studies"]
    for i, s in enumerate(studies):
        for key in ("study", "events", "total", "proportion", "ci_lower", "ci_upper"):
            if key not in s:
                raise InputError(f"{name}.studies[{i}]: missing key {key!r}")
    weights = result.get("weights")
    if weights is not None and len(weights) != len(studies):
        raise InputError(f"{name}.weights: {len(weights)} weights for {len(studies)} studies")
    for key in ("estimate", "ci_lower", "ci_upper"):
        v = result[key]
        if v is None or not (0.0 <= v <= 1.0):
            raise InputError(f"{name}.{key}: expected a proportion in [0, 1], got {v!r}")


def heterogeneity_text(result: dict) -> str:
    """'Heterogeneity: τ² = 0.1183; I² = 34.5%; Q p = 0.21' from the given numbers.

    A value that is None (not defined for the model) is left out."""
    parts = []
    if result.get("tau2") is not None:
        parts.append(f"τ² = {fmt.tau2(result['tau2'])}")
    if result.get("I2") is not None:
        parts.append(f"I² = {fmt.share(result['I2'])}")
    if result.get("Q_pvalue") is not None:
        parts.append(f"Q p = {fmt.p_value(result['Q_pvalue'])}")
    return "Heterogeneity: " + ("; ".join(parts) if parts else "not available")


def subgroup_test_text(test: dict) -> str:
    """'Test for subgroup differences: Q = 1.23, df = 1, p = 0.27' (meta's 'test.subgroup')."""
    if test.get("Q") is None or test.get("p") is None:
        return "Test for subgroup differences: not available"
    return (f"Test for subgroup differences: Q = {fmt.number(test['Q'], 2)}, df = {int(test['df'])}, "
            f"p = {fmt.p_value(test['p'])}")


def default_model_label(result: dict) -> str:
    """The label of the pooled row: the result's own (``PooledProportion.model_label()``)."""
    return str(result["model_label"])


def caution_lines(result: dict) -> tuple[str | None, list[str]]:
    """(caution line when k < 5, the other caveats' messages), selected by caveat code: the
    result's own ``few_studies`` or ``single_study`` caveat is the caution line."""
    k = int(result["k"])
    caveats = result.get("caveats") or []
    own = [c["message"] for c in caveats if c["code"] in CAUTION_CODES]
    rest = [c["message"] for c in caveats if c["code"] not in CAUTION_CODES]
    if k >= 5:
        return None, own + rest
    if own:
        return own[0], own[1:] + rest
    if k == 1:
        return "k = 1: a single study; τ² cannot be estimated; interpret with caution", rest
    return (f"k = {k} < 5: τ² and the prediction interval are poorly estimated; "
            "interpret with caution"), rest


def interval_name(result: dict) -> str:
    """What the pooled result's ``pi_lower``/``pi_upper`` are called: the predictive interval
    of a new series for a Bayesian result, else the prediction interval."""
    return "predictive interval" if result.get("method") == "bayes" else "prediction interval"


def unweighted_model(result: dict) -> str:
    """The model without study weights, in words (the GLMM or the Bayesian model)."""
    return "the Bayesian model" if result.get("method") == "bayes" else "the GLMM"


def has_weights(result: dict) -> bool:
    """Whether the model gives study weights (the GLMM does not)."""
    return result.get("weights") is not None


def has_prediction_interval(result: dict) -> bool:
    """A prediction interval is drawn for k > 1 when the result gives one (meta: none for
    k = 1)."""
    return (int(result["k"]) > 1 and result.get("pi_lower") is not None
            and result.get("pi_upper") is not None)


def _estimate_text(estimate, lower, upper) -> str:
    return f"{fmt.percent(estimate, sign=False)} {fmt.interval(lower, upper, 'meta')}"


def block_rows(result: dict, label: str, overall: bool, common: bool) -> list[dict]:
    """Rows of one block: studies, the common-effect row (when ``common`` and the result has
    one), the pooled diamond, the prediction interval (k > 1 only).

    Squares: side proportional to the square root of the weight (area proportional to the
    weight, as in meta); a model without weights (the GLMM) sizes them by study size instead."""
    rows = []
    weights = result.get("weights")
    sizes = weights if weights is not None else [s["total"] for s in result["studies"]]
    top = max(sizes) if sizes else None
    for i, s in enumerate(result["studies"]):
        w = None if weights is None else weights[i]
        rows.append({
            "kind": "study", "label": str(s["study"]),
            "n": f"{int(s['events'])}/{int(s['total'])}",
            "ci": _estimate_text(s["proportion"], s["ci_lower"], s["ci_upper"]),
            "weight": "" if w is None else fmt.share(w),
            "est": s["proportion"], "lo": s["ci_lower"], "hi": s["ci_upper"],
            "rel": 1.0 if not top else math.sqrt(max(sizes[i], 0.0) / top),
        })
    c = result.get("common")
    if common and c:
        rows.append({"kind": "common", "label": "Common effect model", "n": "",
                     "ci": _estimate_text(c["estimate"], c["ci_lower"], c["ci_upper"]),
                     "weight": "", "bold": overall,
                     "est": c["estimate"], "lo": c["ci_lower"], "hi": c["ci_upper"]})
    rows.append({"kind": "pooled", "label": label, "n": "",
                 "ci": _estimate_text(result["estimate"], result["ci_lower"], result["ci_upper"]),
                 "weight": fmt.share(100.0) if weights is not None else "", "bold": overall,
                 "est": result["estimate"], "lo": result["ci_lower"], "hi": result["ci_upper"]})
    if has_prediction_interval(result):
        rows.append({"kind": "pi", "label": interval_name(result).capitalize(), "n": "",
                     "ci": fmt.interval(result["pi_lower"], result["pi_upper"], "meta"),
                     "weight": "", "lo": result["pi_lower"], "hi": result["pi_upper"]})
    return rows


def body_rows(result: dict, label: str, subgroups, common: bool) -> list[dict]:
    """Every row of the plot area: subgroup blocks (header, rows, heterogeneity for k > 1,
    caveats) and the overall rows, or the one block of ``result``."""
    if not subgroups:
        return block_rows(result, label, True, common)
    body: list[dict] = []
    for g in subgroups:
        r = g["result"]
        body.append({"kind": "group", "label": str(g["label"])})
        body += block_rows(r, g.get("model_label") or label, False, common)
        if int(r["k"]) > 1:  # one study: no heterogeneity (meta prints none)
            body.append({"kind": "note", "text": heterogeneity_text(r), "indent": True})
        caution, rest = caution_lines(r)
        for text in ([caution] if caution else []) + rest:
            body.append({"kind": "note", "text": f"{g['label']}: {text}", "indent": True,
                         "style": "italic"})
        body.append({"kind": "blank"})
    return body + [r for r in block_rows(result, label, True, common) if r["kind"] != "study"]


def footer_lines(result: dict, subgroup_test, subgroups, common: bool) -> list[tuple[str, str, str]]:
    """(text, style, colour) lines under the axis: heterogeneity (k > 1), subgroup test,
    caution, warnings, what the weights and per-study CIs are."""
    lines: list[tuple[str, str, str]] = []
    if int(result["k"]) > 1:
        lines.append((heterogeneity_text(result), "normal", "black"))
    if subgroups and subgroup_test is not None:
        lines.append((subgroup_test_text(subgroup_test), "normal", "black"))
    caution, rest = caution_lines(result)
    if caution:
        lines.append((f"Caution: {caution}", "italic", "#B00000"))
    lines += [(f"Warning: {w}", "italic", "black") for w in rest]
    notes = []
    if not has_weights(result):
        notes.append(f"Weights: none ({unweighted_model(result)} has no study weights); squares "
                     "sized by study size")
    elif common and result.get("common"):
        notes.append("Weights: random-effects model")
    if result.get("study_ci"):
        notes.append(f"Per-study {fmt.ci_label(result.get('level') or 0.95)}s: "
                     f"{result['study_ci']}")
    if notes:
        lines.append(("; ".join(notes) + ".", "normal", "#444444"))
    return lines
