"""Figures: forest plots of pooled proportions and the prior-therapy matrix (stage "plotting").

This module computes NO statistics: it draws and formats the numbers it is given. Its input is
the plain dict of :meth:`jakisynth.stats.results.PooledProportion.to_dict` (estimate, CI, prediction
interval, tau², I², Q p, weights, per-study proportions with their CIs, warnings). Every number
printed in a figure is one of those numbers, formatted; sizes of squares follow the given weights.

Reproducibility: figures are built with the object-oriented API (``Figure`` +
``FigureCanvasAgg``, no pyplot state), with one fixed font (DejaVu Sans, bundled with
matplotlib), and :func:`save_figure` writes PNG (300 dpi), SVG and PDF byte-identically across runs
and processes (fixed ``svg.hashsalt``, no dates, no software/version strings, glyphs as paths).
matplotlib is imported inside the functions so that ``jakisynth --help`` does not import it.

The look follows R's ``meta::forest`` (columns Study | Events/Total | plot | Proportion [CI] |
Weight, square area proportional to weight, diamond for the pooled estimate, prediction interval
as a bar under it, heterogeneity statistics printed under the plot) as drawn by
``meta::forest(metaprop(...), layout = "meta")``; ``metafor::forest(rma(...))`` draws the same
elements with another column layout.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

from ..errors import InputError
from ..stats import format as fmt

FONT = "DejaVu Sans"
FONT_SIZE = 8.0  # points: every row text
TITLE_SIZE = 10.0
ROW_H = 0.20  # inches per row (8 pt text is ~0.13 in tall with descent: no overlap)
MARGIN = 0.15  # inches around the content
GAP = 0.15  # inches between columns
PLOT_W = 3.0  # inches of the 0-100 % axis
MAX_LABEL_W = 4.0  # inches; longer study labels are shortened with an ellipsis
PNG_DPI = 300
MAX_PIXELS = 65_000  # Agg cannot draw images taller or wider than 2**16 pixels

#: rcParams used while building AND saving every figure (see save_figure for why each is set).
RC = {
    "font.family": "sans-serif",
    "font.sans-serif": [FONT],
    "font.size": FONT_SIZE,
    "svg.hashsalt": "jakisynth",  # glyph/clip ids derive from this, not from a random uuid
    "svg.fonttype": "path",  # glyphs as paths: same look in every viewer, no font needed
    # Type 3 subset of DejaVu Sans: 8x faster to write than a TrueType (42) subset (0.1 s vs
    # 0.8 s per figure, which decides whether `jakisynth run` stays under 5 s); same look.
    "pdf.fonttype": 3,
    "pdf.compression": 6,
    "axes.unicode_minus": True,
    "text.usetex": False,
}

#: Metadata removed per backend (matplotlib documents the keys of each: ``savefig(metadata=)``).
_METADATA = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None},
}

#: Status colours of the prior-therapy matrix (Okabe-Ito, colour-blind safe) and cell letters
#: (so the matrix also reads in greyscale).
STATUS_STYLE = {
    "failed": ("#D55E00", "F", "failed"),
    "received": ("#56B4E9", "R", "received"),
    "active_at_start": ("#009E73", "A", "active at start"),
}


# ---- text of the rows (no statistics: formats given numbers) ---------------------------------

def heterogeneity_text(result: dict) -> str:
    """'Heterogeneity: τ² = 0.1183; I² = 34.5%; Q p = 0.21' from the given numbers.

    A value that is None (not defined for the model) is left out."""
    parts = []
    if result.get("tau2") is not None:
        parts.append(f"τ² = {fmt.tau2(result['tau2'])}")
    if result.get("I2") is not None:
        parts.append(f"I² = {result['I2']:.1f}%")
    if result.get("Q_pvalue") is not None:
        parts.append(f"Q p = {fmt.p_value(result['Q_pvalue'])}")
    return "Heterogeneity: " + ("; ".join(parts) if parts else "not available")


def subgroup_test_text(test: dict) -> str:
    """'Test for subgroup differences: Q = 1.23, df = 1, p = 0.27' (meta's 'test.subgroup')."""
    if test.get("Q") is None or test.get("p") is None:
        return "Test for subgroup differences: not available"
    return (f"Test for subgroup differences: Q = {test['Q']:.2f}, df = {int(test['df'])}, "
            f"p = {fmt.p_value(test['p'])}")


def default_model_label(result: dict) -> str:
    """The label of the pooled row: the result's own (``PooledProportion.model_label()``)."""
    return str(result["model_label"])


def caution_lines(result: dict) -> tuple[str | None, list[str]]:
    """(caution line when k < 5, the other caveats' messages), selected by caveat code: the
    result's own ``few_studies`` or ``single_study`` caveat is the caution line."""
    k = int(result["k"])
    caveats = result.get("caveats") or []
    own = [c["message"] for c in caveats if c["code"] in ("few_studies", "single_study")]
    rest = [c["message"] for c in caveats if c["code"] not in ("few_studies", "single_study")]
    if k >= 5:
        return None, own + rest
    if own:
        return own[0], own[1:] + rest
    if k == 1:
        return "k = 1: a single study; τ² cannot be estimated; interpret with caution", rest
    return (f"k = {k} < 5: τ² and the prediction interval are poorly estimated; "
            "interpret with caution"), rest


# ---- text measurement (exact, no renderer needed) ------------------------------------------------

def _font(size: float = FONT_SIZE, weight: str = "normal", style: str = "normal"):
    from matplotlib.font_manager import FontProperties

    return FontProperties(family=FONT, size=size, weight=weight, style=style)


@functools.lru_cache(maxsize=4096)
def _char_width(char: str, weight: str, style: str) -> float:
    """Advance width of one character of DejaVu Sans at 100 pt, in points."""
    from matplotlib.textpath import TextToPath

    w, _, _ = TextToPath().get_text_width_height_descent(char, _font(100.0, weight, style),
                                                          ismath=False)
    return w


def _width(text: str, size: float = FONT_SIZE, weight: str = "normal",
           style: str = "normal") -> float:
    """Width of ``text`` in inches as drawn: the sum of its glyph advances in DejaVu Sans, plus
    4 % and 0.01 in (hinting at small sizes makes drawn text up to ~2 % wider; kerning, ignored
    here, only makes it narrower)."""
    points = sum(_char_width(c, weight, style) for c in text) * size / 100.0
    return points / 72.0 * 1.04 + 0.01 if text else 0.0


def _wrap(text: str, width: float, size: float = FONT_SIZE, weight: str = "normal",
          style: str = "normal") -> list[str]:
    """Greedy word wrap of ``text`` to ``width`` inches (a word longer than a line is kept)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        trial = word if not current else f"{current} {word}"
        if current and _width(trial, size, weight, style) > width:
            lines.append(current)
            current = word
        else:
            current = trial
    if current:
        lines.append(current)
    return lines or [""]


def _shorten(text: str, width: float, weight: str = "normal", style: str = "normal") -> str:
    """``text``, cut with an ellipsis to fit ``width`` inches."""
    if _width(text, weight=weight, style=style) <= width:
        return text
    while text and _width(text + "…", weight=weight, style=style) > width:
        text = text[:-1]
    return text + "…"


# ---- input checks --------------------------------------------------------------------------------

_NEEDED = ("k", "estimate", "ci_lower", "ci_upper", "studies")


def _check_result(result, name: str) -> None:
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


# ---- forest plot ---------------------------------------------------------------------------------

def _rows_for(result: dict, label: str, overall: bool) -> list[dict]:
    """Rows of one block: studies, pooled diamond, prediction interval (plot rows only)."""
    rows = []
    weights = result.get("weights")
    wmax = max(weights) if weights else None
    for i, s in enumerate(result["studies"]):
        w = None if weights is None else weights[i]
        rows.append({
            "kind": "study", "label": str(s["study"]),
            "n": f"{int(s['events'])}/{int(s['total'])}",
            "ci": f"{fmt.percent(s['proportion'], sign=False)} {fmt.interval(s['ci_lower'], s['ci_upper'], 'meta')}",
            "weight": "" if w is None else f"{w:.1f}%",
            "est": s["proportion"], "lo": s["ci_lower"], "hi": s["ci_upper"],
            # square side relative to the largest (area proportional to weight, as in meta)
            "rel": 1.0 if (w is None or not wmax) else math.sqrt(max(w, 0.0) / wmax),
        })
    rows.append({"kind": "pooled", "label": label, "n": "",
                 "ci": f"{fmt.percent(result['estimate'], sign=False)} {fmt.interval(result['ci_lower'], result['ci_upper'], 'meta')}",
                 "weight": "" if weights is None else "100.0%", "bold": overall,
                 "est": result["estimate"], "lo": result["ci_lower"], "hi": result["ci_upper"]})
    if result.get("pi_lower") is not None and result.get("pi_upper") is not None:
        rows.append({"kind": "pi", "label": "Prediction interval", "n": "",
                     "ci": fmt.interval(result["pi_lower"], result["pi_upper"], "meta"), "weight": "",
                     "lo": result["pi_lower"], "hi": result["pi_upper"]})
    return rows


def forest_plot(result: dict, *, title: str, subgroups: list[dict] | None = None,
                subgroup_test: dict | None = None, model_label: str | None = None):
    """Forest plot of a pooled proportion: one row per study, the pooled diamond, the prediction
    interval, heterogeneity, and the k < 5 caution and warnings of the result.

    ``result`` is ``PooledProportion.to_dict()`` (with ``subgroups``: the overall result). Each
    study row shows its label, ``events/total``, the proportion in percent with the per-study CI
    given in the result (exact Clopper-Pearson by default), the weight (percent, as given) and a
    square whose area is proportional to the weight on a 0-100 % axis. ``subgroups`` is a list of
    ``{"label": ..., "result": <dict>}`` drawn as blocks (header, studies, diamond, heterogeneity;
    weights as given, i.e. within the subgroup) before the overall diamond; ``subgroup_test`` is
    ``{"Q", "df", "p"}``. No number is computed here. The figure height is rows x 0.2 in, so 3 to
    300 rows are legible without overlap.

    Equivalent in R: ``meta::forest(metaprop(events, total, studlab), layout = "meta")`` with
    ``subgroup = ...`` for blocks (``metafor::forest(rma(...), transf = transf.ilogit)`` draws the
    same elements).
    """
    _check_result(result, "result")
    if not isinstance(title, str):
        raise InputError("title: expected a string")
    if subgroups is not None:
        if not isinstance(subgroups, list) or not subgroups:
            raise InputError("subgroups: expected a non-empty list of {'label', 'result'} dicts")
        for i, g in enumerate(subgroups):
            if not isinstance(g, dict) or "label" not in g or "result" not in g:
                raise InputError(f"subgroups[{i}]: expected a dict with 'label' and 'result'")
            _check_result(g["result"], f"subgroups[{i}].result")
    if subgroup_test is not None and not isinstance(subgroup_test, dict):
        raise InputError("subgroup_test: expected a dict with 'Q', 'df' and 'p'")

    import matplotlib

    with matplotlib.rc_context(RC):
        return _forest(result, title, subgroups, subgroup_test, model_label)


def _forest(result, title, subgroups, subgroup_test, model_label):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.collections import LineCollection, PatchCollection
    from matplotlib.patches import Polygon, Rectangle

    label = model_label or default_model_label(result)
    level = result.get("level") or 0.95
    ci_head = f"Proportion, % [{round(100 * level)}% CI]"

    # ---- rows of the plot area -----------------------------------------------------------
    body: list[dict] = []
    if subgroups:
        for g in subgroups:
            r = g["result"]
            body.append({"kind": "group", "label": str(g["label"])})
            body += _rows_for(r, model_label or default_model_label(r), False)
            body.append({"kind": "note", "text": heterogeneity_text(r), "indent": True})
            caution, rest = caution_lines(r)
            for text in ([caution] if caution else []) + rest:
                body.append({"kind": "note", "text": f"{g['label']}: {text}", "indent": True,
                             "style": "italic"})
            body.append({"kind": "blank"})
        body += [r for r in _rows_for(result, label, True) if r["kind"] != "study"]
    else:
        body += _rows_for(result, label, True)

    # ---- column widths (inches, measured) --------------------------------------------------
    # study and group labels set the first column; pooled / PI labels (no events/total) may run
    # on into the second column
    label_w = min(MAX_LABEL_W, max([_width("Study", weight="bold")]
                                   + [_width(r["label"]) for r in body if r["kind"] == "study"]
                                   + [_width(r["label"], weight="bold") for r in body
                                      if r["kind"] == "group"]))
    n_w = max([_width("Events/Total", weight="bold")] + [_width(r["n"]) for r in body
                                                          if r.get("n")])
    long_w = max(_width(r["label"], weight="bold", style="italic") for r in body
                 if r["kind"] in ("pooled", "pi"))
    label_w = min(MAX_LABEL_W, max(label_w, long_w - GAP - n_w))
    ci_w = max([_width(ci_head, weight="bold")]
               + [_width(r["ci"], weight="bold") for r in body if r.get("ci")])
    w_w = max([_width("Weight", weight="bold")] + [_width(r["weight"]) for r in body
                                                    if r.get("weight")])
    x_label = MARGIN
    x_n = x_label + label_w + GAP  # right-aligned at x_n + n_w
    x_plot = x_n + n_w + GAP
    x_ci = x_plot + PLOT_W + GAP
    x_w = x_ci + ci_w + GAP  # right-aligned at x_w + w_w
    width = x_w + w_w + MARGIN
    text_w = width - 2 * MARGIN

    # ---- full-width rows: title, footer ----------------------------------------------------
    title_lines = _wrap(title, text_w, TITLE_SIZE, "bold")
    footer: list[tuple[str, str, str]] = []  # (text, style, colour)
    footer += [(t, "normal", "black") for t in _wrap(heterogeneity_text(result), text_w)]
    if subgroups and subgroup_test is not None:
        footer += [(t, "normal", "black") for t in _wrap(subgroup_test_text(subgroup_test), text_w)]
    caution, rest = caution_lines(result)
    if caution:
        footer += [(t, "italic", "#B00000") for t in _wrap(f"Caution: {caution}", text_w,
                                                           style="italic")]
    for w in rest:
        footer += [(t, "italic", "black") for t in _wrap(f"Warning: {w}", text_w, style="italic")]
    study_ci = result.get("study_ci")
    if study_ci:
        footer.append((f"Per-study {round(100 * level)}% CIs: {study_ci}.", "normal", "#444444"))

    # note rows inside the plot area are wrapped to the figure width as well
    expanded: list[dict] = []
    for r in body:
        if r["kind"] == "note":
            for t in _wrap(r["text"], text_w - 0.1, style=r.get("style", "normal")):
                expanded.append({**r, "text": t})
        else:
            expanded.append(r)
    body = expanded

    title_h = len(title_lines) * (TITLE_SIZE / FONT_SIZE) * ROW_H
    n_top = 1.5  # header row plus space
    n_axis = 2.75  # tick labels + axis label
    n_rows = len(body)
    height = (MARGIN + title_h + (n_top + n_rows + n_axis + len(footer)) * ROW_H + MARGIN)
    if height * PNG_DPI > MAX_PIXELS:
        raise InputError(f"result: {n_rows} rows make a figure too tall for a {PNG_DPI} dpi PNG; "
                         "split the plot (e.g. by subgroup)")

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    inch = fig.dpi_scale_trans

    def y_of(row: float) -> float:  # centre of body row ``row`` (0 = first), inches from bottom
        return height - MARGIN - title_h - (n_top + row + 0.5) * ROW_H

    def text(x, y, s, *, ha="left", weight="normal", style="normal", size=FONT_SIZE,
             color="black"):
        fig.text(x, y, s, ha=ha, va="center", fontsize=size, fontweight=weight,
                 fontstyle=style, fontfamily=FONT, color=color, transform=inch,
                 parse_math=False)

    # title and header
    for i, t in enumerate(title_lines):
        text(x_label, height - MARGIN - (i + 0.5) * (TITLE_SIZE / FONT_SIZE) * ROW_H, t,
             weight="bold", size=TITLE_SIZE)
    y_head = height - MARGIN - title_h - 0.5 * ROW_H
    text(x_label, y_head, "Study", weight="bold")
    text(x_n + n_w, y_head, "Events/Total", ha="right", weight="bold")
    text(x_ci, y_head, ci_head, weight="bold")
    text(x_w + w_w, y_head, "Weight", ha="right", weight="bold")

    # plot axes: data x in percent, data y in body rows (row i centred at i + 0.5)
    y_bottom = y_of(n_rows - 1) - 0.5 * ROW_H
    ax = fig.add_axes((x_plot / width, y_bottom / height, PLOT_W / width,
                       n_rows * ROW_H / height))
    ax.set_xlim(0, 100)
    ax.set_ylim(n_rows, 0)
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.set_xticks([0, 20, 40, 60, 80, 100])
    ax.tick_params(axis="x", labelsize=FONT_SIZE, labelfontfamily=FONT)
    ax.set_xlabel("Proportion (%)", fontsize=FONT_SIZE, fontfamily=FONT)
    ax.patch.set_visible(False)

    x_per_in = 100.0 / PLOT_W  # data units per inch, horizontally
    y_per_in = 1.0 / ROW_H
    pooled_est = 100 * result["estimate"]
    ax.axvline(pooled_est, color="#888888", lw=0.6, ls=(0, (2, 2)), zorder=0)

    max_side = 0.7 * ROW_H  # inches
    ci_lines, squares = [], []  # drawn as two collections: fast for 300 rows
    for i, r in enumerate(body):
        y = y_of(i)
        kind = r["kind"]
        if kind == "blank":
            continue
        if kind == "group":
            text(x_label, y, _shorten(r["label"], label_w + GAP + n_w, "bold"), weight="bold")
            continue
        if kind == "note":
            text(x_label + (0.1 if r.get("indent") else 0), y, r["text"],
                 style=r.get("style", "normal"), color="#444444" if r.get("style") else "black")
            continue
        bold = "bold" if kind == "pooled" and r.get("bold") else "normal"
        style = "italic" if kind == "pi" else "normal"
        room = label_w if kind == "study" else label_w + GAP + n_w
        text(x_label, y, _shorten(r["label"], room, bold, style), weight=bold, style=style)
        if r["n"]:
            text(x_n + n_w, y, r["n"], ha="right")
        text(x_ci, y, r["ci"], weight=bold, style=style)
        if r["weight"]:
            text(x_w + w_w, y, r["weight"], ha="right", weight=bold)
        cy = i + 0.5
        lo, hi = 100 * r["lo"], 100 * r["hi"]
        if kind == "study":
            est = 100 * r["est"]
            ci_lines.append([(lo, cy), (hi, cy)])
            side = max_side * max(r["rel"], 0.25)  # the smallest square stays visible
            squares.append(Rectangle((est - side / 2 * x_per_in, cy - side / 2 * y_per_in),
                                     side * x_per_in, side * y_per_in))
        elif kind == "pooled":
            est = 100 * r["est"]
            h = 0.35  # half height in rows
            ax.add_patch(Polygon([(lo, cy), (est, cy - h), (hi, cy), (est, cy + h)],
                                 closed=True, facecolor="#1F4E79" if r.get("bold") else "#7F7F7F",
                                 edgecolor="black", lw=0.6, zorder=3))
        elif kind == "pi":
            h = 0.12
            ax.add_patch(Rectangle((lo, cy - h), hi - lo, 2 * h, facecolor="#B22222",
                                   edgecolor="none", zorder=3))

    ax.add_collection(LineCollection(ci_lines, colors="black", linewidths=0.8,
                                     capstyle="butt", zorder=2), autolim=False)
    ax.add_collection(PatchCollection(squares, facecolors="#4D4D4D", edgecolors="none",
                                      zorder=3), autolim=False)

    # footer under the axis
    for j, (t, style, colour) in enumerate(footer):
        y = y_bottom - (n_axis + j + 0.5) * ROW_H
        text(x_label, y, t, style=style, color=colour)
    return fig


# ---- prior-therapy matrix -----------------------------------------------------------------------

def prior_therapy_matrix_plot(patients: list[str], therapies: list[str],
                              status: dict[tuple[str, str], str], *, title: str):
    """Patients x prior therapies grid, each cell coloured by status, with a legend.

    ``status[(patient, therapy)]`` is ``"failed"``, ``"received"`` or ``"active_at_start"``; an
    absent key is drawn as an empty cell (not received / not reported). Each coloured cell also
    carries a letter (F, R, A) so that the grid reads in greyscale. Rows and columns are drawn in
    the given order. There is no direct R equivalent; it follows the look of a
    ``ggplot2::geom_tile`` heat map with a discrete fill.
    """
    for name, seq in (("patients", patients), ("therapies", therapies)):
        if not isinstance(seq, (list, tuple)) or not all(isinstance(s, str) for s in seq):
            raise InputError(f"{name}: expected a list of strings")
        if len(set(seq)) != len(seq):
            raise InputError(f"{name}: duplicate names")
        if not seq:
            raise InputError(f"{name}: empty list")
    if not isinstance(status, dict):
        raise InputError("status: expected a dict {(patient, therapy): status}")
    pset, tset = set(patients), set(therapies)
    for key, value in status.items():
        if not (isinstance(key, tuple) and len(key) == 2):
            raise InputError(f"status: key {key!r} is not a (patient, therapy) pair")
        if key[0] not in pset:
            raise InputError(f"status: patient {key[0]!r} is not in patients")
        if key[1] not in tset:
            raise InputError(f"status: therapy {key[1]!r} is not in therapies")
        if value not in STATUS_STYLE:
            raise InputError(f"status[{key!r}]: unknown status {value!r}; expected one of "
                             f"{', '.join(STATUS_STYLE)}")

    import matplotlib

    with matplotlib.rc_context(RC):
        return _matrix(list(patients), list(therapies), status, title)


def _matrix(patients, therapies, status, title):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch, Rectangle

    cell = 0.25  # inches
    label_w = max(_width(p) for p in patients)
    head_h = max(_width(t) for t in therapies) + 0.1  # rotated labels
    grid_w, grid_h = cell * len(therapies), cell * len(patients)
    legend_entries = list(STATUS_STYLE.items())
    legend_w = max(_width(f"{v[1]}  {v[2]}") for _, v in legend_entries) + 0.5
    width = MARGIN + label_w + GAP + max(grid_w, legend_w) + MARGIN
    title_lines = _wrap(title, width - 2 * MARGIN, TITLE_SIZE, "bold")
    title_h = len(title_lines) * (TITLE_SIZE / FONT_SIZE) * ROW_H
    legend_h = (len(legend_entries) + 1) * 0.16 + 0.1  # 8 pt entries, labelspacing 0.4
    height = MARGIN + title_h + head_h + grid_h + GAP + legend_h + MARGIN
    if max(width, height) * PNG_DPI > MAX_PIXELS:
        raise InputError("patients/therapies: grid too large for a 300 dpi PNG")

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    inch = fig.dpi_scale_trans
    for i, t in enumerate(title_lines):
        fig.text(MARGIN, height - MARGIN - (i + 0.5) * (TITLE_SIZE / FONT_SIZE) * ROW_H, t,
                 fontsize=TITLE_SIZE, fontweight="bold", fontfamily=FONT, va="center",
                 transform=inch, parse_math=False)
    x0 = MARGIN + label_w + GAP
    y_top = height - MARGIN - title_h - head_h
    ax = fig.add_axes((x0 / width, (y_top - grid_h) / height, grid_w / width, grid_h / height))
    ax.set_xlim(0, len(therapies))
    ax.set_ylim(len(patients), 0)
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ax.spines.values():
        side.set_linewidth(0.6)
    for j, t in enumerate(therapies):
        fig.text(x0 + (j + 0.5) * cell, y_top + 0.05, t, rotation=90, ha="center",
                 va="bottom", fontfamily=FONT, fontsize=FONT_SIZE, transform=inch,
                 parse_math=False)
    for i, p in enumerate(patients):
        fig.text(x0 - GAP / 2, y_top - (i + 0.5) * cell, p, ha="right", va="center",
                 fontfamily=FONT, fontsize=FONT_SIZE, transform=inch, parse_math=False)
        for j, t in enumerate(therapies):
            s = status.get((p, t))
            colour, letter = (STATUS_STYLE[s][0], STATUS_STYLE[s][1]) if s else ("white", "")
            ax.add_patch(Rectangle((j, i), 1, 1, facecolor=colour, edgecolor="#BBBBBB", lw=0.5))
            if letter:
                ax.text(j + 0.5, i + 0.5, letter, ha="center", va="center", color="white",
                        fontsize=FONT_SIZE - 1, fontweight="bold", fontfamily=FONT,
                        parse_math=False)
    handles = [Patch(facecolor=v[0], edgecolor="#BBBBBB", label=f"{v[1]}  {v[2]}")
               for _, v in legend_entries]
    handles.append(Patch(facecolor="white", edgecolor="#BBBBBB", label="     not recorded"))
    fig.legend(handles=handles, loc="upper left", frameon=False, fontsize=FONT_SIZE,
               prop={"family": FONT, "size": FONT_SIZE},
               bbox_to_anchor=(MARGIN / width, (y_top - grid_h - GAP) / height),
               borderaxespad=0, borderpad=0, labelspacing=0.4, handlelength=1.2)
    return fig


# ---- saving --------------------------------------------------------------------------------------

def figure_bytes(fig, fmt: str) -> bytes:
    """``fig`` rendered as ``fmt`` (png at 300 dpi, svg or pdf), deterministically (see
    :func:`save_figure` for what is fixed and removed)."""
    import io

    import matplotlib

    if fmt not in _METADATA:
        raise InputError(f"fmt: unknown format {fmt!r}; expected one of {', '.join(_METADATA)}")
    w, h = fig.get_size_inches()
    if fmt == "png" and max(w, h) * PNG_DPI > MAX_PIXELS:
        raise InputError(f"fig: {w:.1f} x {h:.1f} in is too large for a {PNG_DPI} dpi PNG")
    buffer = io.BytesIO()
    with matplotlib.rc_context(RC):
        fig.savefig(buffer, format=fmt, dpi=PNG_DPI, metadata=dict(_METADATA[fmt]),
                    facecolor="white", edgecolor="none")
    return buffer.getvalue()


def save_figure(fig, stem: Path, formats=("png", "svg", "pdf")) -> list[Path]:
    """Write ``fig`` as ``stem.png`` (300 dpi), ``stem.svg`` and ``stem.pdf``; return the paths.

    Byte-identical across runs and processes: ``svg.hashsalt`` is fixed (SVG ids), dates and
    software/version metadata are removed per backend (PNG ``Software``; SVG ``Date``,
    ``Creator``; PDF ``CreationDate``, ``ModDate``, ``Creator``, ``Producer``), SVG glyphs are
    written as paths (``svg.fonttype = "path"``: the drawing does not depend on the fonts of the
    viewer, whose substitutes would change text widths and make columns overlap), PDF embeds a
    Type 3 subset of DejaVu Sans. Each file is written to a temporary file in the same directory
    and moved into place with ``os.replace`` (atomic: a reader never sees half a file).
    """
    import matplotlib

    stem = Path(stem)
    unknown = [f for f in formats if f not in _METADATA]
    if unknown:
        raise InputError(f"formats: unknown format(s) {', '.join(map(str, unknown))}; "
                         f"expected some of {', '.join(_METADATA)}")
    if not stem.parent.is_dir():
        raise InputError(f"stem: directory {stem.parent} does not exist")
    w, h = fig.get_size_inches()
    if max(w, h) * PNG_DPI > MAX_PIXELS and "png" in formats:
        raise InputError(f"fig: {w:.1f} x {h:.1f} in is too large for a {PNG_DPI} dpi PNG")
    from .files import atomic_write

    written = []
    for fmt in formats:
        target = stem.with_name(f"{stem.name}.{fmt}")
        atomic_write(target, figure_bytes(fig, fmt))
        written.append(target)
    return written


# ---- cumulative meta-analysis -------------------------------------------------------------------

def cumulative_plot(frame, *, title: str):
    """Forest-style plot of a cumulative meta-analysis: one row per step (study added, in order),
    the pooled proportion after that step with its CI (and PI as a thin line when given).

    ``frame`` is :meth:`jakisynth.stats.sensitivity.Cumulative.to_frame` (columns ``added``,
    ``order_key``, ``k``, ``estimate``, ``ci_lower``, ``ci_upper``, ``pi_lower``, ``pi_upper``).
    Nothing is computed. R equivalent: ``forest(cumul(rma(...), order = date))`` (metafor) or
    ``forest(metacum(m, sortvar = date))`` (meta).
    """
    needed = ("added", "order_key", "k", "estimate", "ci_lower", "ci_upper")
    missing = [c for c in needed if c not in getattr(frame, "columns", [])]
    if missing:
        raise InputError(f"frame: missing column(s) {', '.join(missing)}")
    rows = frame.to_dict(orient="records")
    if not rows:
        raise InputError("frame: no rows")
    import matplotlib

    with matplotlib.rc_context(RC):
        return _cumulative(rows, title)


def _cumulative(rows, title):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    labels = [f"+ {r['added']} ({r['order_key']})" for r in rows]
    texts = [f"{fmt.percent(r['estimate'], sign=False)} {fmt.interval(r['ci_lower'], r['ci_upper'], 'meta')}" for r in rows]
    label_w = min(max(_width(s) for s in labels + ["Study added (date)"]), MAX_LABEL_W)
    k_w = _width("k = 000")
    text_w = max(_width(s) for s in texts + ["Proportion, % [95% CI]"])
    width = MARGIN + label_w + GAP + k_w + GAP + PLOT_W + GAP + text_w + MARGIN
    title_lines = _wrap(title, width - 2 * MARGIN, TITLE_SIZE, "bold")
    title_h = len(title_lines) * (TITLE_SIZE / FONT_SIZE) * ROW_H
    body_h = (len(rows) + 1) * ROW_H
    axis_h = 0.45
    note_h = ROW_H * 2
    height = MARGIN + title_h + body_h + axis_h + note_h + MARGIN
    if max(width, height) * PNG_DPI > MAX_PIXELS:
        raise InputError("frame: too many rows for a 300 dpi PNG; split the plot")
    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    inch = fig.dpi_scale_trans

    def text(x, y, s, **kw):
        fig.text(x, y, s, transform=inch, fontfamily=FONT, fontsize=kw.pop("size", FONT_SIZE),
                 va="center", parse_math=False, **kw)

    for i, t in enumerate(title_lines):
        text(MARGIN, height - MARGIN - (i + 0.5) * (TITLE_SIZE / FONT_SIZE) * ROW_H, t,
             size=TITLE_SIZE, fontweight="bold")
    top = height - MARGIN - title_h
    x_k = MARGIN + label_w + GAP
    x_plot = x_k + k_w + GAP
    x_text = x_plot + PLOT_W + GAP
    text(MARGIN, top - 0.5 * ROW_H, "Study added (date)", fontweight="bold")
    text(x_k, top - 0.5 * ROW_H, "k", fontweight="bold")
    text(x_text, top - 0.5 * ROW_H, "Proportion, % [95% CI]", fontweight="bold")
    plot_bottom = top - body_h
    ax = fig.add_axes((x_plot / width, plot_bottom / height, PLOT_W / width, (body_h - ROW_H) / height))
    ax.set_xlim(0, 100)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.set_xticks([0, 20, 40, 60, 80, 100])
    ax.set_xticklabels(["0", "20", "40", "60", "80", "100"], fontfamily=FONT, fontsize=FONT_SIZE)
    ax.set_xlabel("Remission, % (cumulative pooled estimate)", fontfamily=FONT, fontsize=FONT_SIZE)
    for i, (r, label, value) in enumerate(zip(rows, labels, texts)):
        y = top - (i + 1.5) * ROW_H
        text(MARGIN, y, _shorten(label, label_w))
        text(x_k, y, f"{r['k']}")
        text(x_text, y, value)
        if r.get("pi_lower") is not None and r.get("pi_upper") is not None:
            ax.plot([100 * r["pi_lower"], 100 * r["pi_upper"]], [i, i], color="#B2182B", lw=0.6)
        ax.plot([100 * r["ci_lower"], 100 * r["ci_upper"]], [i, i], color="black", lw=1.2)
        ax.plot([100 * r["estimate"]], [i], marker="D", color="#08306B", markersize=5)
    text(MARGIN, MARGIN + 0.5 * ROW_H,
         "Each row: the model refitted with the series published up to that date. "
         "Black: 95% CI; red: prediction interval.", size=FONT_SIZE - 1, style="italic")
    return fig
