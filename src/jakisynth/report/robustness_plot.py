"""The robustness plot: the primary outcome under each model, one row per model (drawing only).

Stage "report". Each row: the pooled estimate as a diamond spanning its interval (confidence or
credible, as the row says), and the prediction (predictive, for a Bayesian row) interval as a
thin red bar under it where the model gives one; vertical dashed lines at the plan's decision
thresholds. The rows are the records of
:meth:`jakisynth.synthesis.decision.RobustnessPanel.to_frame`; nothing is computed here. R
equivalent: ``forest(x = est, ci.lb = lb, ci.ub = ub, slab = model)`` (metafor) with
``abline(v = thresholds, lty = 2)``.
"""

from __future__ import annotations

from ..stats import format as fmt
from . import figure_base as base
from .figure_base import GAP, MARGIN, MAX_LABEL_W, PLOT_W, ROW_H, width

NEEDED = ("model", "k", "estimate", "ci_lower", "ci_upper", "pi_lower", "pi_upper",
          "interval_kind")
PI_COLOUR = "#B2182B"
THRESHOLD_COLOUR = "#555555"


def robustness_plot(rows, *, thresholds=(), title: str, level: float = 0.95):
    """Forest-style plot of ``rows`` (list of dicts with :data:`NEEDED` keys, None where a model
    has no prediction interval; a DataFrame is accepted) with dashed lines at ``thresholds``
    (proportions)."""
    clean = base.row_records(rows, NEEDED, "models")
    return _robustness(clean, [float(t) for t in thresholds], title, level)


@base.with_rc
def _robustness(rows, thresholds, title, level):
    pct = fmt.level_percent(level)
    head = f"Proportion, % [{pct} interval]"
    texts = [f"{fmt.percent(r['estimate'], sign=False)} "
             f"{fmt.interval(r['ci_lower'], r['ci_upper'], 'meta')}" for r in rows]
    pi_texts = [fmt.interval(r["pi_lower"], r["pi_upper"], "meta") if base.has_pi(r) else ""
                for r in rows]
    label_w = min(max(width(r["model"]) for r in rows), MAX_LABEL_W)
    k_w = width("k = 000")
    text_w = max([width(s) for s in texts + pi_texts] + [width(head, weight="bold")])
    plot_x = MARGIN + label_w + GAP + k_w + GAP + 0.1
    total_w = plot_x + PLOT_W + 0.1 + GAP + text_w + MARGIN
    note = (f"Diamond: pooled estimate spanning its {pct} confidence interval (credible interval "
            "for the Bayesian model); red bar: prediction interval (predictive interval for the "
            "Bayesian model), none for the common-effect model"
            + ("; dashed lines: decision thresholds " + ", ".join(fmt.percent(t, 0)
                                                              for t in thresholds)
               if thresholds else "") + ".")
    n = len(rows)  # each model: its row and the interval row under it
    figure = base.row_figure(title=title, note=note, label_head="Model", head=head,
                             label_w=label_w, plot_x=plot_x, total_w=total_w, body_rows=2 * n,
                             axis_label="Proportion (%)")
    canvas, ax, top, x_k, x_text = figure.canvas, figure.ax, figure.top, figure.x_k, figure.x_text
    ax.set_ylim(2 * n - 0.5, -0.5)
    for t in thresholds:
        ax.axvline(100 * t, color=THRESHOLD_COLOUR, lw=0.8, ls=(0, (4, 3)), zorder=1)
    for i, r in enumerate(rows):
        y = top - (2 * i + 1.5) * ROW_H
        canvas.text(MARGIN, y, base.shorten(r["model"], label_w))
        canvas.text(x_k, y, f"{r['k']}")
        canvas.text(x_text, y, texts[i])
        if pi_texts[i]:
            kind = "Predictive" if r["interval_kind"] == "credible" else "Prediction"
            canvas.text(MARGIN + 0.1, y - ROW_H, base.shorten(f"{kind} interval", label_w),
                        style="italic", color="#444444")
            canvas.text(x_text, y - ROW_H, pi_texts[i], style="italic")
        _mark(ax, 2 * i, r)
    figure.draw_note()
    return canvas.fig


def _mark(ax, i: int, r: dict) -> None:
    """Row ``i``: a diamond spanning the interval, centred on the estimate (white for a model
    without a prediction interval, i.e. the common-effect model; filled otherwise); the PI bar on row ``i + 1``."""
    from matplotlib.patches import Polygon, Rectangle

    lo, hi, est = 100 * r["ci_lower"], 100 * r["ci_upper"], 100 * r["estimate"]
    fill = "white" if not base.has_pi(r) else "#1F4E79"
    ax.add_patch(Polygon([(lo, i), (est, i - 0.35), (hi, i), (est, i + 0.35)], closed=True,
                         facecolor=fill, edgecolor="black", lw=0.6, zorder=3, clip_on=False))
    if base.has_pi(r):
        pl, pu = 100 * r["pi_lower"], 100 * r["pi_upper"]
        ax.add_patch(Rectangle((pl, i + 1 - 0.12), pu - pl, 0.24, facecolor=PI_COLOUR,
                               edgecolor="none", zorder=2, clip_on=False))
