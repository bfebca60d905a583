"""The cumulative meta-analysis plot (drawing only, no statistics).

Stage "report". One row per step (a series added, in order of publication), the pooled
proportion after that step as a diamond with its CI, and the prediction interval as a thin red
bar under it where the step has one (k > 1). R equivalent: ``forest(cumul(rma(...), order =
date))`` (metafor) or ``forest(metacum(m, sortvar = date))`` (meta).
"""

from __future__ import annotations

from ..stats import format as fmt
from . import figure_base as base
from .figure_base import GAP, MARGIN, MAX_LABEL_W, PLOT_W, ROW_H, width

NEEDED = ("added", "order_key", "k", "estimate", "ci_lower", "ci_upper")
PI_COLOUR = "#B2182B"


def cumulative_plot(rows, *, title: str, level: float = 0.95):
    """Forest-style plot of a cumulative meta-analysis.

    ``rows`` are the records of :meth:`jakisynth.stats.sensitivity.Cumulative.to_frame` (keys
    ``added``, ``order_key``, ``k``, ``estimate``, ``ci_lower``, ``ci_upper``, optionally
    ``pi_lower``, ``pi_upper``; None or NaN where a step has no prediction interval); a
    DataFrame is accepted too. ``level`` labels the intervals. Nothing is computed.
    """
    return _cumulative(base.row_records(rows, NEEDED, "cumulative steps"), title, level)


@base.with_rc
def _cumulative(rows, title, level):
    ci = fmt.ci_label(level)
    head = f"Proportion, % [{ci}]"
    labels = [f"+ {r['added']} ({r['order_key']})" for r in rows]
    texts = [f"{fmt.percent(r['estimate'], sign=False)} "
             f"{fmt.interval(r['ci_lower'], r['ci_upper'], 'meta')}" for r in rows]
    label_w = min(max(width(s) for s in labels + ["Study added (date)"]), MAX_LABEL_W)
    k_w = width("k = 000")
    text_w = max([width(s) for s in texts] + [width(head, weight="bold")])
    plot_x = MARGIN + label_w + GAP + k_w + GAP + 0.1
    total_w = plot_x + PLOT_W + 0.1 + GAP + text_w + MARGIN
    any_pi = any(base.has_pi(r) for r in rows)
    note = (f"Each row: the model refitted with the series published up to that date. "
            f"Diamond and black line: pooled estimate and {ci}"
            + ("; red bar: prediction interval (none for k = 1)." if any_pi else "."))
    figure = base.row_figure(title=title, note=note, label_head="Study added (date)", head=head,
                             label_w=label_w, plot_x=plot_x, total_w=total_w, body_rows=len(rows),
                             axis_label="Remission, % (cumulative pooled estimate)")
    canvas, ax, top, x_k, x_text = figure.canvas, figure.ax, figure.top, figure.x_k, figure.x_text
    ax.set_ylim(len(rows) - 0.5, -0.5)
    for i, (r, label, value) in enumerate(zip(rows, labels, texts)):
        y = top - (i + 1.5) * ROW_H
        canvas.text(MARGIN, y, base.shorten(label, label_w))
        canvas.text(x_k, y, f"{r['k']}")
        canvas.text(x_text, y, value)
        _mark(ax, i, r)
    figure.draw_note()
    return canvas.fig


def _mark(ax, i: int, r: dict) -> None:
    """Row ``i``: CI line, diamond at the estimate, PI bar just under it (when given)."""
    from matplotlib.patches import Polygon, Rectangle

    lo, hi, est = 100 * r["ci_lower"], 100 * r["ci_upper"], 100 * r["estimate"]
    ax.plot([lo, hi], [i, i], color="black", lw=1.0, clip_on=False, zorder=2)
    half_w = 1.6  # percent points: a diamond of ~0.1 in on the 3 in axis
    ax.add_patch(Polygon([(est - half_w, i), (est, i - 0.28), (est + half_w, i), (est, i + 0.28)],
                         closed=True, facecolor="#08306B", edgecolor="none", zorder=3,
                         clip_on=False))
    if base.has_pi(r):
        pl, pu = 100 * r["pi_lower"], 100 * r["pi_upper"]
        ax.add_patch(Rectangle((pl, i + 0.3), pu - pl, 0.12, facecolor=PI_COLOUR,
                               edgecolor="none", zorder=2, clip_on=False))
