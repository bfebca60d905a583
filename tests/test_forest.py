"""Forest plots at publication grade (compared with R meta's forest() and RevMan): nothing clipped
at 0 % or 100 %, weights or an explicit note where the model has none, box sizes from the
weights or the study sizes, the optional common-effect row, no prediction interval or
heterogeneity for a single study, the CI level from the result."""

from __future__ import annotations

import math

import numpy as np
import pytest

from jakisynth.report.forest import forest_plot
from jakisynth.report.forest_rows import block_rows
from test_plotting import make_result, strings, texts

EDGE = [  # 3/3 and 8/8 at 100 %, 0/5 at 0 %
    {"study": "Wang 2023", "events": 3, "total": 3, "proportion": 1.0, "ci_lower": 0.292,
     "ci_upper": 1.0},
    {"study": "Beckett 2024", "events": 8, "total": 8, "proportion": 1.0, "ci_lower": 0.631,
     "ci_upper": 1.0},
    {"study": "Nil 2020", "events": 0, "total": 5, "proportion": 0.0, "ci_lower": 0.0,
     "ci_upper": 0.522},
    {"study": "Liu 2024", "events": 47, "total": 53, "proportion": 47 / 53, "ci_lower": 0.7697,
     "ci_upper": 0.9573},
]


def _squares(fig):
    """The study squares: (x0, x1) in data units and the side in pixels."""
    from matplotlib.collections import PatchCollection

    ax = fig.axes[0]
    (squares,) = [c for c in ax.collections if isinstance(c, PatchCollection)]
    return squares, ax


def test_squares_at_0_and_100_percent_are_drawn_whole():
    fig = forest_plot(make_result(EDGE, weights=[5.0, 10.0, 5.0, 80.0]), title="Edges")
    squares, ax = _squares(fig)
    assert not squares.get_clip_on()  # no clipping at the axis ends
    assert all(not p.get_clip_on() for p in ax.patches)
    assert all(not c.get_clip_on() for c in ax.collections)
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    boxes = [p.get_extents() for p in squares.get_paths()]  # data units
    centres = [(b.x0 + b.x1) / 2 for b in boxes]
    assert centres[:3] == pytest.approx([100.0, 100.0, 0.0])
    assert boxes[0].x1 > 100 and boxes[2].x0 < 0  # whole squares, beyond the axis ends
    # ... and the half outside the axis still lies left of the CI column's text
    to_px = ax.transData.transform
    right_edge = max(to_px((b.x1, 0))[0] for b in boxes)
    ci_left = min(t.get_window_extent(renderer).x0 for t in texts(fig)
                  if t.get_text().startswith("100.0 ["))
    assert right_edge < ci_left
    left_edge = min(to_px((b.x0, 0))[0] for b in boxes)
    n_right = max(t.get_window_extent(renderer).x1 for t in texts(fig) if t.get_text() == "47/53")
    assert left_edge > n_right


def test_square_area_follows_the_weights():
    rows = block_rows(make_result(EDGE, weights=[5.0, 10.0, 5.0, 80.0]), "RE", True, True)
    rel = [r["rel"] for r in rows if r["kind"] == "study"]
    assert rel == pytest.approx([math.sqrt(5 / 80), math.sqrt(10 / 80), math.sqrt(5 / 80), 1.0])


def test_glmm_without_weights_says_so_and_sizes_squares_by_study_size():
    r = make_result(EDGE)
    r.update(method="glmm", tau2_method="ML", weights=None)
    fig = forest_plot(r, title="GLMM")
    s = strings(fig)
    assert "Weight" not in s and "Weight (random)" not in s  # no header over an empty column
    assert any("Weights: none (the GLMM has no study weights); squares sized by study size" in x
               for x in s)
    rows = block_rows(r, "GLMM", True, True)
    rel = [x["rel"] for x in rows if x["kind"] == "study"]
    assert rel == pytest.approx([math.sqrt(3 / 53), math.sqrt(8 / 53), math.sqrt(5 / 53), 1.0])
    squares, _ = _squares(fig)
    widths = [p.get_extents().width for p in squares.get_paths()]
    assert widths[3] > 2 * widths[0]  # 47/53 is not drawn like 3/3


def test_common_effect_row_is_on_by_default_and_optional():
    r = make_result()
    r["common"] = {"estimate": 0.85, "ci_lower": 0.7, "ci_upper": 0.93}
    s = strings(forest_plot(r, title="T"))
    assert "Common effect model" in s and "85.0 [70.0; 93.0]" in s
    assert "Weight (random)" in s  # the weights given are the random-effects ones
    s = strings(forest_plot(r, title="T", common=False))
    assert "Common effect model" not in s and "85.0 [70.0; 93.0]" not in s
    assert "Weight" in s


def test_single_study_has_no_prediction_interval_or_heterogeneity():
    one = make_result(EDGE[3:], weights=[100.0], warnings=["k = 1: tau2 cannot be estimated"])
    one["pi_lower"], one["pi_upper"] = 0.77, 0.957  # even when given (metafor's PI = CI)
    s = strings(forest_plot(one, title="One"))
    assert "Prediction interval" not in s
    assert not any(x.startswith("Heterogeneity") for x in s)
    # as a subgroup: the block of one study has neither, the other block both
    two = make_result(EDGE[:2], weights=[40.0, 60.0], warnings=[])
    fig = forest_plot(make_result(), title="By drug",
                      subgroups=[{"label": "Tofacitinib", "result": two},
                                 {"label": "Upadacitinib", "result": one}])
    s = strings(fig)
    assert s.count("Prediction interval") == 2  # the first block and the overall
    assert sum(x.startswith("Heterogeneity") for x in s) == 2
    assert "Upadacitinib" in s


def test_level_labels_follow_the_result():
    r = make_result()
    r["level"] = 0.9
    s = strings(forest_plot(r, title="T"))
    assert "Proportion, % [90% CI]" in s
    assert any("Per-study 90% CIs: exact" in x for x in s)
    assert not any("95%" in x for x in s)


def test_row_texts_do_not_overlap_the_squares_column():
    """The plot column holds only marks: every text lies left or right of it."""
    fig = forest_plot(make_result(EDGE, weights=[5.0, 10.0, 5.0, 80.0]), title="Edges")
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    x0, x1 = ax.transData.transform((0, 0))[0], ax.transData.transform((100, 0))[0]
    axis_texts = set(strings(fig)[:1]) | {"0", "20", "40", "60", "80", "100", "Proportion (%)"}
    for t in texts(fig):
        b = t.get_window_extent(renderer)
        if t.get_text() in axis_texts or b.y1 < ax.bbox.y0 or b.y0 > ax.bbox.y1:
            continue  # axis labels, title, header and footer lines
        assert b.x1 <= x0 or b.x0 >= x1, t.get_text()
    assert np.isfinite([x0, x1]).all()
