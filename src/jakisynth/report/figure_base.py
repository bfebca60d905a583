"""What every figure shares: the font, sizes, the canvas in inches, text measurement, saving.

Stage "report" (drawing; no statistics). Figures are built with the object-oriented API
(``Figure`` + ``FigureCanvasAgg``, no pyplot state), in one fixed font (DejaVu Sans, bundled with
matplotlib). Text is measured exactly as it will be drawn: ``Text.get_window_extent`` with the
Agg renderer (the same layout code that draws the PNG), so columns are as wide as their widest
text and no fudge factor is needed. :func:`figure_bytes` writes PNG (300 dpi), SVG and PDF
byte-identically across runs and processes (fixed ``svg.hashsalt``, no dates, no software or
version strings, glyphs as paths). matplotlib is imported inside the functions, so that
``jakisynth --help`` does not import it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError

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

#: rcParams used while building AND saving every figure (see figure_bytes for why each is set).
RC = {
    "font.family": "sans-serif",
    "font.sans-serif": [FONT],
    "font.size": FONT_SIZE,
    "svg.hashsalt": "jakisynth",  # glyph/clip ids derive from this, not from a random uuid
    "svg.fonttype": "path",  # glyphs as paths: same look in every viewer, no font needed
    # Type 3 subset of DejaVu Sans: 8x faster to write than a TrueType (42) subset (0.1 s vs
    # 0.8 s per figure); same look.
    "pdf.fonttype": 3,
    "pdf.compression": 6,
    "axes.unicode_minus": True,
    "text.usetex": False,
}

#: Metadata removed per backend (matplotlib documents the keys of each: ``savefig(metadata=)``).
METADATA = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None},
}


# ---- text measurement: the Agg renderer's own layout ----------------------------------------

@functools.lru_cache(maxsize=1)
def _measuring_figure():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(1, 1), dpi=PNG_DPI)  # measured at the resolution of the PNG
    FigureCanvasAgg(fig)
    return fig, fig.canvas.get_renderer()


@functools.lru_cache(maxsize=16)
def _font(size: float, weight: str, style: str):
    from matplotlib.font_manager import FontProperties

    return FontProperties(family=FONT, size=size, weight=weight, style=style)


@functools.lru_cache(maxsize=8192)
def width(text: str, size: float = FONT_SIZE, weight: str = "normal",
          style: str = "normal") -> float:
    """Width of ``text`` in inches as drawn in the PNG: the Agg renderer's layout of a one-line
    text at 300 dpi (``RendererAgg.get_text_width_height_descent``, which is what
    ``Text.get_window_extent`` sums for each line; kerning and hinting included)."""
    if not text:
        return 0.0
    import matplotlib

    with matplotlib.rc_context(RC):
        _, renderer = _measuring_figure()
        w, _, _ = renderer.get_text_width_height_descent(text, _font(size, weight, style),
                                                         ismath=False)
    return w / PNG_DPI


def wrap(text: str, room: float, size: float = FONT_SIZE, weight: str = "normal",
         style: str = "normal") -> list[str]:
    """Greedy word wrap of ``text`` to ``room`` inches (a word longer than a line is kept)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        trial = word if not current else f"{current} {word}"
        if current and width(trial, size, weight, style) > room:
            lines.append(current)
            current = word
        else:
            current = trial
    if current:
        lines.append(current)
    return lines or [""]


def shorten(text: str, room: float, weight: str = "normal", style: str = "normal") -> str:
    """``text``, cut with an ellipsis to fit ``room`` inches."""
    room += 1e-9  # a column exactly as wide as its text (sums of floats)
    if width(text, weight=weight, style=style) <= room:
        return text
    while text and width(text + "…", weight=weight, style=style) > room:
        text = text[:-1]
    return text + "…"


# ---- the canvas: a figure laid out in inches -------------------------------------------------

class Canvas:
    """A ``width`` x ``height`` inch figure with text placed in inches from the bottom left."""

    def __init__(self, width_in: float, height_in: float, what: str):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        if max(width_in, height_in) * PNG_DPI > MAX_PIXELS:
            raise InputError(f"{what}: {width_in:.1f} x {height_in:.1f} in is too large for a "
                             f"{PNG_DPI} dpi PNG; split the figure")
        self.width, self.height = width_in, height_in
        self.fig = Figure(figsize=(width_in, height_in), dpi=PNG_DPI)  # as measured
        FigureCanvasAgg(self.fig)

    def text(self, x, y, s, *, ha="left", weight="normal", style="normal", size=FONT_SIZE,
             color="black", **kw):
        """``s`` (literal, never mathtext) vertically centred at (x, y) inches."""
        return self.fig.text(x, y, s, ha=ha, va=kw.pop("va", "center"), fontsize=size,
                             fontweight=weight, fontstyle=style, fontfamily=FONT, color=color,
                             transform=self.fig.dpi_scale_trans, parse_math=False, **kw)

    def title(self, lines: list[str]) -> None:
        """The wrapped title at the top left (see :func:`title_height`)."""
        step = (TITLE_SIZE / FONT_SIZE) * ROW_H
        for i, t in enumerate(lines):
            self.text(MARGIN, self.height - MARGIN - (i + 0.5) * step, t, weight="bold",
                      size=TITLE_SIZE)

    def axes(self, x, y, w, h):
        """Axes at (x, y) with size (w, h), all in inches."""
        return self.fig.add_axes((x / self.width, y / self.height, w / self.width,
                                  h / self.height))


def title_lines(title: str, room: float) -> list[str]:
    return wrap(title, room, TITLE_SIZE, "bold")


def title_height(lines: list[str]) -> float:
    return len(lines) * (TITLE_SIZE / FONT_SIZE) * ROW_H


def percent_axis(ax, label: str) -> None:
    """A 0-100 % x axis at the bottom, no y axis (forest and cumulative plots)."""
    ax.set_xlim(0, 100)
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.set_xticks([0, 20, 40, 60, 80, 100])
    ax.tick_params(axis="x", labelsize=FONT_SIZE, labelfontfamily=FONT)
    ax.set_xlabel(label, fontsize=FONT_SIZE, fontfamily=FONT)
    ax.patch.set_visible(False)


def row_records(rows, needed: tuple[str, ...], what: str) -> list[dict]:
    """The rows of a row figure as dicts (a DataFrame is accepted), each ``needed`` key checked,
    NaN (pandas' missing value) as None."""
    import math

    from ..errors import InputError

    if hasattr(rows, "to_dict"):
        rows = rows.to_dict(orient="records")
    if not isinstance(rows, list) or not rows:
        raise InputError(f"rows: expected a non-empty list of {what}")
    missing = [c for c in needed if any(c not in r for r in rows)]
    if missing:
        raise InputError(f"rows: missing column(s) {', '.join(missing)}")
    return [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
            for r in rows]


def has_pi(row: dict) -> bool:
    """Whether a row has a prediction (or predictive) interval to draw."""
    return row.get("pi_lower") is not None and row.get("pi_upper") is not None


@dataclass
class RowFigure:
    """A one-row-per-item figure (cumulative, robustness): the canvas, its percent axis, the top
    of the body, the x of the k and text columns, and the wrapped note lines."""

    canvas: Canvas
    ax: object
    top: float
    x_k: float
    x_text: float
    note_lines: list[str]

    def draw_note(self) -> None:
        n = len(self.note_lines)
        for j, line in enumerate(self.note_lines):
            self.canvas.text(MARGIN, MARGIN + (n - j - 0.5) * ROW_H, line, size=FONT_SIZE - 1,
                             style="italic")


def row_figure(*, title: str, note: str, label_head: str, head: str, label_w: float,
               plot_x: float, total_w: float, body_rows: int, axis_label: str) -> RowFigure:
    """The scaffolding of a row figure: title, the label/k/text headers, a percent axis spanning
    ``body_rows`` rows, and room for the note below (drawn by :meth:`RowFigure.draw_note`)."""
    note_lines = wrap(note, total_w - 2 * MARGIN, FONT_SIZE - 1, style="italic")
    titles = title_lines(title, total_w - 2 * MARGIN)
    title_h = title_height(titles)
    body_h = (body_rows + 1) * ROW_H
    axis_h = 0.45
    height = MARGIN + title_h + body_h + axis_h + (len(note_lines) + 1) * ROW_H + MARGIN
    canvas = Canvas(total_w, height, "rows")
    canvas.title(titles)
    top = height - MARGIN - title_h
    x_k, x_text = MARGIN + label_w + GAP, plot_x + PLOT_W + 0.1 + GAP
    canvas.text(MARGIN, top - 0.5 * ROW_H, label_head, weight="bold")
    canvas.text(x_k, top - 0.5 * ROW_H, "k", weight="bold")
    canvas.text(x_text, top - 0.5 * ROW_H, head, weight="bold")
    ax = canvas.axes(plot_x, top - body_h, PLOT_W, body_h - ROW_H)
    percent_axis(ax, axis_label)
    return RowFigure(canvas, ax, top, x_k, x_text, note_lines)


def with_rc(draw):
    """Run ``draw`` (a function building a figure) with :data:`RC` in force."""
    @functools.wraps(draw)
    def wrapped(*args, **kwargs):
        import matplotlib

        with matplotlib.rc_context(RC):
            return draw(*args, **kwargs)
    return wrapped


# ---- saving ------------------------------------------------------------------------------------

def figure_bytes(fig, fmt: str) -> bytes:
    """``fig`` rendered as ``fmt`` (png at 300 dpi, svg or pdf), deterministically: fixed
    ``svg.hashsalt`` (SVG ids), dates and software/version metadata removed per backend (PNG
    ``Software``; SVG ``Date``, ``Creator``; PDF ``CreationDate``, ``ModDate``, ``Creator``,
    ``Producer``), SVG glyphs as paths (the drawing does not depend on the viewer's fonts),
    PDF with a Type 3 subset of DejaVu Sans."""
    import io

    import matplotlib

    if fmt not in METADATA:
        raise InputError(f"fmt: unknown format {fmt!r}; expected one of {', '.join(METADATA)}")
    w, h = fig.get_size_inches()
    if fmt == "png" and max(w, h) * PNG_DPI > MAX_PIXELS:
        raise InputError(f"fig: {w:.1f} x {h:.1f} in is too large for a {PNG_DPI} dpi PNG")
    buffer = io.BytesIO()
    with matplotlib.rc_context(RC):
        fig.savefig(buffer, format=fmt, dpi=PNG_DPI, metadata=dict(METADATA[fmt]),
                    facecolor="white", edgecolor="none")
    return buffer.getvalue()


def save_figure(fig, stem: Path, formats=("png", "svg", "pdf")) -> list[Path]:
    """Write ``fig`` as ``stem.png`` (300 dpi), ``stem.svg`` and ``stem.pdf``; return the paths.

    Byte-identical across runs and processes (see :func:`figure_bytes`). Each file is written
    atomically (a same-directory temporary file moved into place with ``os.replace``).
    """
    from .files import atomic_write

    stem = Path(stem)
    unknown = [f for f in formats if f not in METADATA]
    if unknown:
        raise InputError(f"formats: unknown format(s) {', '.join(map(str, unknown))}; "
                         f"expected some of {', '.join(METADATA)}")
    if not stem.parent.is_dir():
        raise InputError(f"stem: directory {stem.parent} does not exist")
    written = []
    for fmt in formats:
        target = stem.with_name(f"{stem.name}.{fmt}")
        atomic_write(target, figure_bytes(fig, fmt))
        written.append(target)
    return written
