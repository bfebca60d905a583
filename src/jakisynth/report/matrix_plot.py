"""The patients x prior-therapies matrix of one series (drawing only, no statistics).

Stage "report". No direct R equivalent; it follows the look of a ``ggplot2::geom_tile`` heat map
with a discrete fill. Column labels are the names of the vocabulary (``evidence/vocab.py``),
given by the caller.
"""

from __future__ import annotations

from ..errors import InputError
from . import figure_base as base
from .figure_base import FONT, FONT_SIZE, GAP, MARGIN, width

#: Status colours (Okabe-Ito, colour-blind safe) and cell letters (so the matrix also reads in
#: greyscale).
STATUS_STYLE = {
    "failed": ("#D55E00", "F", "failed"),
    "received": ("#56B4E9", "R", "received"),
    "active_at_start": ("#009E73", "A", "active at start"),
}
CELL = 0.25  # inches


def prior_therapy_matrix_plot(patients: list[str], therapies: list[str],
                              status: dict[tuple[str, str], str], *, title: str,
                              labels: dict[str, str] | None = None):
    """Patients x prior therapies grid, each cell coloured by status, with a legend.

    ``status[(patient, therapy)]`` is ``"failed"``, ``"received"`` or ``"active_at_start"``; an
    absent key is drawn as an empty cell (not received / not reported). Each coloured cell also
    carries a letter (F, R, A). Rows and columns are drawn in the given order; ``labels`` maps a
    therapy to its column label (default: the therapy itself).
    """
    _check(patients, therapies, status)
    labels = labels or {}
    return _matrix(list(patients), [labels.get(t, t) for t in therapies], list(therapies),
                   status, title)


def _check(patients, therapies, status) -> None:
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


@base.with_rc
def _matrix(patients, column_labels, therapies, status, title):
    from matplotlib.patches import Patch, Rectangle

    label_w = max(width(p) for p in patients)
    head_h = max(width(t) for t in column_labels) + 0.1  # rotated labels
    grid_w, grid_h = CELL * len(therapies), CELL * len(patients)
    entries = list(STATUS_STYLE.values())
    legend_w = max(width(f"{letter}  {name}") for _, letter, name in entries) + 0.5
    total_w = MARGIN + label_w + GAP + max(grid_w, legend_w) + MARGIN
    title_lines = base.title_lines(title, total_w - 2 * MARGIN)
    title_h = base.title_height(title_lines)
    legend_h = (len(entries) + 1) * 0.16 + 0.1  # 8 pt entries, labelspacing 0.4
    height = MARGIN + title_h + head_h + grid_h + GAP + legend_h + MARGIN
    canvas = base.Canvas(total_w, height, "patients/therapies")
    canvas.title(title_lines)
    x0 = MARGIN + label_w + GAP
    y_top = height - MARGIN - title_h - head_h
    ax = canvas.axes(x0, y_top - grid_h, grid_w, grid_h)
    ax.set_xlim(0, len(therapies))
    ax.set_ylim(len(patients), 0)
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ax.spines.values():
        side.set_linewidth(0.6)
    for j, label in enumerate(column_labels):
        canvas.text(x0 + (j + 0.5) * CELL, y_top + 0.05, label, rotation=90, ha="center",
                    va="bottom")
    for i, p in enumerate(patients):
        canvas.text(x0 - GAP / 2, y_top - (i + 0.5) * CELL, p, ha="right")
        for j, t in enumerate(therapies):
            s = status.get((p, t))
            colour, letter = (STATUS_STYLE[s][0], STATUS_STYLE[s][1]) if s else ("white", "")
            ax.add_patch(Rectangle((j, i), 1, 1, facecolor=colour, edgecolor="#BBBBBB", lw=0.5))
            if letter:
                ax.text(j + 0.5, i + 0.5, letter, ha="center", va="center", color="white",
                        fontsize=FONT_SIZE - 1, fontweight="bold", fontfamily=FONT,
                        parse_math=False)
    handles = [Patch(facecolor=colour, edgecolor="#BBBBBB", label=f"{letter}  {name}")
               for colour, letter, name in entries]
    handles.append(Patch(facecolor="white", edgecolor="#BBBBBB", label="     not recorded"))
    canvas.fig.legend(handles=handles, loc="upper left", frameon=False,
                      prop={"family": FONT, "size": FONT_SIZE},
                      bbox_to_anchor=(MARGIN / total_w, (y_top - grid_h - GAP) / height),
                      borderaxespad=0, borderpad=0, labelspacing=0.4, handlelength=1.2)
    return canvas.fig
