"""Forest plots of pooled proportions (drawing only; rows and texts in :mod:`.forest_rows`).

Stage "report". The look follows R's ``meta::forest(metaprop(...), layout = "meta")`` and
RevMan: columns Study | Events/Total | plot | Proportion [CI] | Weight, square area proportional
to the weight (to the study size for a model without weights, the GLMM), the common-effect
diamond (optional, on by default as in meta), the random-effects diamond, the prediction
interval as a bar under it (k > 1), heterogeneity under the plot (k > 1). Marks at 0 % or 100 %
are drawn whole (nothing is clipped at the axis ends). ``metafor::forest(rma(...))`` draws the
same elements with another column layout.
"""

from __future__ import annotations

from ..errors import InputError
from ..stats import format as fmt
from . import figure_base as base
from .figure_base import GAP, MARGIN, MAX_LABEL_W, PLOT_W, ROW_H, width
from .forest_rows import body_rows, check_result, default_model_label, footer_lines

MAX_MODEL_LABEL_W = 6.0  # inches: pooled-row labels (the model) are cut only beyond this
PLOT_PAD = 0.1  # inches left and right of the 0-100 % axis: a square at 0 or 100 % stays whole
MAX_SIDE = 0.7 * ROW_H  # inches: side of the largest square


def forest_plot(result: dict, *, title: str, subgroups: list[dict] | None = None,
                subgroup_test: dict | None = None, model_label: str | None = None,
                common: bool = True):
    """Forest plot of a pooled proportion: one row per study, the common-effect and the pooled
    (random-effects) diamond, the prediction interval, heterogeneity, and the k < 5 caution and
    caveats of the result.

    ``result`` is ``PooledProportion.to_dict()`` (with ``subgroups``: the overall result). Each
    study row shows its label, ``events/total``, the proportion in percent with the per-study CI
    given in the result, the weight (percent, as given; no column for a model without weights)
    and a square on a 0-100 % axis. ``subgroups`` is a list of ``{"label": ..., "result": <dict>}``
    drawn as blocks before the overall rows; ``subgroup_test`` is ``{"Q", "df", "p"}``.
    ``common=False`` leaves out the common-effect rows (meta: ``common = FALSE``). No number is
    computed here. The figure height is rows x 0.2 in, so 3 to 300 rows are legible.

    Equivalent in R: ``meta::forest(metaprop(events, total, studlab), layout = "meta")`` with
    ``subgroup = ...`` for blocks.
    """
    check_result(result, "result")
    if not isinstance(title, str):
        raise InputError("title: expected a string")
    if subgroups is not None:
        if not isinstance(subgroups, list) or not subgroups:
            raise InputError("subgroups: expected a non-empty list of {'label', 'result'} dicts")
        for i, g in enumerate(subgroups):
            if not isinstance(g, dict) or "label" not in g or "result" not in g:
                raise InputError(f"subgroups[{i}]: expected a dict with 'label' and 'result'")
            check_result(g["result"], f"subgroups[{i}].result")
    if subgroup_test is not None and not isinstance(subgroup_test, dict):
        raise InputError("subgroup_test: expected a dict with 'Q', 'df' and 'p'")
    return _forest(result, title, subgroups, subgroup_test, model_label, bool(common))


def _columns(body: list[dict], ci_head: str, weighted: bool) -> dict:
    """x positions (inches) of the columns, from the widest text of each."""
    # subgroup headings have a row of their own: they run on up to the CI column (as in meta
    # and RevMan) and do not widen the study column
    label_w = min(MAX_LABEL_W, max([width("Study", weight="bold")]
                                   + [width(r["label"]) for r in body if r["kind"] == "study"]))
    n_w = max([width("Events/Total", weight="bold")]
              + [width(r["n"]) for r in body if r.get("n")])
    # pooled / PI labels (no events/total) may run on into the second column
    long_w = max(width(r["label"], weight="bold", style="italic") for r in body
                 if r["kind"] in ("pooled", "common", "pi"))
    label_w = min(MAX_LABEL_W, max(label_w, long_w - GAP - n_w))
    # a model label (e.g. a Bayesian model with its priors) is shown whole up to MAX_MODEL_LABEL_W
    label_w = max(label_w, min(long_w, MAX_MODEL_LABEL_W) - GAP - n_w)
    ci_w = max([width(ci_head, weight="bold")]
               + [width(r["ci"], weight="bold") for r in body if r.get("ci")])
    w_w = (max([width("Weight (random)", weight="bold")]
               + [width(r["weight"]) for r in body if r.get("weight")]) if weighted else 0.0)
    x = {"label": MARGIN, "label_w": label_w, "n_right": MARGIN + label_w + GAP + n_w}
    x["plot"] = x["n_right"] + GAP + PLOT_PAD
    x["ci"] = x["plot"] + PLOT_W + PLOT_PAD + GAP
    x["w_right"] = x["ci"] + ci_w + GAP + w_w
    x["width"] = (x["w_right"] if weighted else x["ci"] + ci_w) + MARGIN
    x["long_room"] = label_w + GAP + n_w
    x["group_room"] = x["ci"] - GAP - MARGIN
    return x


def _expand_notes(body: list[dict], room: float) -> list[dict]:
    """Note rows wrapped to ``room`` inches, one row per line."""
    out = []
    for r in body:
        if r["kind"] != "note":
            out.append(r)
            continue
        for t in base.wrap(r["text"], room - 0.1, style=r.get("style", "normal")):
            out.append({**r, "text": t})
    return out


@base.with_rc
def _forest(result, title, subgroups, subgroup_test, model_label, common):
    level = result.get("level") or 0.95
    ci_head = f"Proportion, % [{fmt.ci_label(level)}]"
    weighted = result.get("weights") is not None
    body = body_rows(result, model_label or default_model_label(result), subgroups, common)
    x = _columns(body, ci_head, weighted)
    text_w = x["width"] - 2 * MARGIN
    body = _expand_notes(body, text_w)
    title_lines = base.title_lines(title, text_w)
    footer = []
    for t, style, colour in footer_lines(result, subgroup_test, subgroups, common):
        footer += [(line, style, colour) for line in base.wrap(t, text_w, style=style)]

    title_h = base.title_height(title_lines)
    n_top, n_axis, n_rows = 1.5, 2.75, len(body)  # header row plus space; ticks + axis label
    height = MARGIN + title_h + (n_top + n_rows + n_axis + len(footer)) * ROW_H + MARGIN
    if height * base.PNG_DPI > base.MAX_PIXELS:
        raise InputError(f"result: {n_rows} rows make a figure too tall for a {base.PNG_DPI} "
                         "dpi PNG; split the plot (e.g. by subgroup)")
    canvas = base.Canvas(x["width"], height, "result")
    canvas.title(title_lines)
    y_head = height - MARGIN - title_h - 0.5 * ROW_H
    canvas.text(x["label"], y_head, "Study", weight="bold")
    canvas.text(x["n_right"], y_head, "Events/Total", ha="right", weight="bold")
    canvas.text(x["ci"], y_head, ci_head, weight="bold")
    if weighted:
        head = "Weight (random)" if any(r["kind"] == "common" for r in body) else "Weight"
        canvas.text(x["w_right"], y_head, head, ha="right", weight="bold")

    y_bottom = height - MARGIN - title_h - (n_top + n_rows) * ROW_H
    ax = canvas.axes(x["plot"], y_bottom, PLOT_W, n_rows * ROW_H)
    base.percent_axis(ax, "Proportion (%)")
    ax.set_ylim(n_rows, 0)
    ax.axvline(100 * result["estimate"], color="#888888", lw=0.6, ls=(0, (2, 2)), zorder=0)
    _draw_rows(canvas, ax, body, x, lambda i: y_bottom + (n_rows - i - 0.5) * ROW_H)
    for j, (t, style, colour) in enumerate(footer):
        canvas.text(x["label"], y_bottom - (n_axis + j + 0.5) * ROW_H, t, style=style,
                    color=colour)
    return canvas.fig


def _draw_rows(canvas, ax, body, x, y_of) -> None:
    """Texts of every row, and its mark in ``ax`` (data x in percent, row i centred at
    i + 0.5). Nothing is clipped at the axis ends."""
    from matplotlib.collections import LineCollection, PatchCollection
    from matplotlib.patches import Polygon, Rectangle

    x_per_in, y_per_in = 100.0 / PLOT_W, 1.0 / ROW_H
    ci_lines, squares = [], []  # two collections: fast for 300 rows
    for i, r in enumerate(body):
        y, kind = y_of(i), r["kind"]
        if kind == "blank":
            continue
        if kind == "group":
            canvas.text(x["label"], y, base.shorten(r["label"], x["group_room"], "bold"),
                        weight="bold")
            continue
        if kind == "note":
            canvas.text(x["label"] + (0.1 if r.get("indent") else 0), y, r["text"],
                        style=r.get("style", "normal"),
                        color="#444444" if r.get("style") else "black")
            continue
        bold = "bold" if r.get("bold") else "normal"
        style = "italic" if kind == "pi" else "normal"
        room = x["label_w"] if kind == "study" else x["long_room"]
        canvas.text(x["label"], y, base.shorten(r["label"], room, bold, style), weight=bold,
                    style=style)
        if r["n"]:
            canvas.text(x["n_right"], y, r["n"], ha="right")
        canvas.text(x["ci"], y, r["ci"], weight=bold, style=style)
        if r["weight"]:
            canvas.text(x["w_right"], y, r["weight"], ha="right", weight=bold)
        cy, lo, hi = i + 0.5, 100 * r["lo"], 100 * r["hi"]
        if kind == "study":
            est = 100 * r["est"]
            ci_lines.append([(lo, cy), (hi, cy)])
            side = MAX_SIDE * max(r["rel"], 0.25)  # the smallest square stays visible
            squares.append(Rectangle((est - side / 2 * x_per_in, cy - side / 2 * y_per_in),
                                     side * x_per_in, side * y_per_in))
        elif kind in ("pooled", "common"):
            est, h = 100 * r["est"], 0.35  # half height in rows
            fill = "white" if kind == "common" else ("#1F4E79" if r.get("bold") else "#7F7F7F")
            ax.add_patch(Polygon([(lo, cy), (est, cy - h), (hi, cy), (est, cy + h)],
                                 closed=True, facecolor=fill, edgecolor="black", lw=0.6,
                                 zorder=3, clip_on=False))
        elif kind == "pi":
            h = 0.12
            ax.add_patch(Rectangle((lo, cy - h), hi - lo, 2 * h, facecolor="#B22222",
                                   edgecolor="none", zorder=3, clip_on=False))
    ax.add_collection(LineCollection(ci_lines, colors="black", linewidths=0.8, capstyle="butt",
                                     zorder=2, clip_on=False), autolim=False)
    ax.add_collection(PatchCollection(squares, facecolors="#4D4D4D", edgecolors="none",
                                      zorder=3, clip_on=False), autolim=False)
