"""Tests of jakisynth.report.plotting: the numbers drawn are the numbers given, nothing overlaps from 3 to
300 rows, the k < 5 caution and warnings are shown, subgroup blocks are laid out in order, and
saved files are byte-identical across saves and processes (no dates).
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from jakisynth.errors import InputError
from jakisynth.report.plotting import forest_plot, prior_therapy_matrix_plot, save_figure

# Three studies with hand-set numbers (the plot must print exactly these, formatted).
STUDIES3 = [
    {"study": "Liu 2024", "events": 47, "total": 53, "proportion": 47 / 53,
     "ci_lower": 0.7697, "ci_upper": 0.9573},
    {"study": "Smith 2021", "events": 20, "total": 30, "proportion": 20 / 30,
     "ci_lower": 0.4719, "ci_upper": 0.8271},
    {"study": "Kim $x$ 2022", "events": 9, "total": 12, "proportion": 0.75,
     "ci_lower": 0.4281, "ci_upper": 0.9451},
]
K_WARNING = "k = 3 < 5: tau2 and the prediction interval are poorly estimated"


def make_result(studies=STUDIES3, *, estimate=0.88, weights=None, warnings=None, pi=True):
    k = len(studies)
    if weights is None:
        weights = [36.2, 38.9, 24.9] if k == 3 else [100.0 / k] * k
    return {
        "k": k, "estimate": estimate, "ci_lower": 0.60, "ci_upper": 0.898,
        "pi_lower": 0.45 if pi else None, "pi_upper": 0.942 if pi else None,
        "tau2": 0.12, "tau2_ci_lower": 0.0, "tau2_ci_upper": 2.1, "I2": 34.5, "H2": 1.53,
        "Q": 3.05, "Q_df": k - 1, "Q_pvalue": 0.21, "weights": weights,
        "transformed": {"estimate": 1.99, "se": 0.3, "ci_lower": 0.4, "ci_upper": 2.2,
                        "pi_lower": None, "pi_upper": None},
        "studies": list(studies), "method": "inverse", "transform": "logit",
        "tau2_method": "REML", "ci_method": "z", "level": 0.95, "study_ci": "exact",
        "common": None, "converged": True, "model_label": "Random effects (REML, logit, z)",
        **_caveats([K_WARNING] if (warnings is None and k < 5) else list(warnings or [])),
    }


def _caveats(messages):
    """A result dict's warnings and caveats: k messages get their codes, the rest a neutral one."""
    def code(m):
        return ("few_studies" if "< 5" in m else "single_study" if m.startswith("k = 1")
                else "continuity_correction")
    return {"warnings": messages, "caveats": [{"code": code(m), "message": m} for m in messages]}


def many_studies(n: int) -> list[dict]:
    return [{"study": f"Author{i:03d} et al. {2000 + i % 25}", "events": 1 + (7 * i) % 40,
             "total": 41 + i % 17, "proportion": (1 + (7 * i) % 40) / (41 + i % 17),
             "ci_lower": max(0.0, (1 + (7 * i) % 40) / (41 + i % 17) - 0.15),
             "ci_upper": min(1.0, (1 + (7 * i) % 40) / (41 + i % 17) + 0.15)} for i in range(n)]


def texts(fig):
    from matplotlib.text import Text

    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def strings(fig) -> list[str]:
    return [t.get_text() for t in texts(fig)]


def boxes(fig) -> np.ndarray:
    fig.draw_without_rendering()  # tick labels, axis label, legend are placed at draw time
    renderer = fig.canvas.get_renderer()
    return np.array([tuple(t.get_window_extent(renderer).extents) for t in texts(fig)])


def assert_no_overlap_and_inside(fig):
    b = boxes(fig)  # x0, y0, x1, y1 in pixels
    w, h = fig.bbox.width, fig.bbox.height
    assert (b[:, 0] >= 0).all() and (b[:, 1] >= 0).all(), "text outside the figure"
    assert (b[:, 2] <= w).all() and (b[:, 3] <= h).all(), "text outside the figure"
    x0, y0, x1, y1 = (b[:, i][:, None] for i in range(4))
    overlap = (x0 < x1.T) & (x0.T < x1) & (y0 < y1.T) & (y0.T < y1)
    np.fill_diagonal(overlap, False)
    pairs = np.argwhere(overlap)
    labels = strings(fig)
    assert pairs.size == 0, [(labels[i], labels[j]) for i, j in pairs[:5]]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---- content: the given numbers, formatted ------------------------------------------------------

def test_forest_prints_given_numbers():
    fig = forest_plot(make_result(), title="Response")
    s = strings(fig)
    assert ["47/53", "20/30", "9/12"] == [x for x in s if re.fullmatch(r"\d+/\d+", x)]
    assert "88.7 [77.0; 95.7]" in s  # 47/53 = 88.68 %
    assert "66.7 [47.2; 82.7]" in s
    assert "88.0 [60.0; 89.8]" in s  # pooled: the given estimate, not one recomputed
    assert "[45.0; 94.2]" in s  # prediction interval
    assert ["36.2%", "38.9%", "24.9%", "100.0%"] == [x for x in s if x.endswith("%")
                                                     and x[0].isdigit()]
    assert "Heterogeneity: τ² = 0.1200; I² = 34.5%; Q p = 0.21" in s
    assert "Kim $x$ 2022" in s  # labels are literal, never mathtext
    assert "Random effects (REML, logit, z)" in s
    assert "Response" in s


def test_forest_custom_model_label_and_no_pi():
    fig = forest_plot(make_result(pi=False), title="T", model_label="Random-effects model")
    s = strings(fig)
    assert "Random-effects model" in s
    assert "Prediction interval" not in s


def test_glmm_result_without_weights():
    r = make_result()
    r.update(method="glmm", weights=None, tau2_method=None, model_label="Random effects (GLMM, logit)")
    s = strings(forest_plot(r, title="GLMM"))
    assert "Random effects (GLMM, logit)" in s
    assert not [x for x in s if x.endswith("%") and x[0].isdigit()]  # no weight column values


def test_k_below_5_caution_and_warnings():
    r = make_result(warnings=[K_WARNING, "continuity correction 1/2 added to 1 study"])
    s = strings(forest_plot(r, title="T"))
    assert f"Caution: {K_WARNING}" in s
    assert "Warning: continuity correction 1/2 added to 1 study" in s
    assert sum(K_WARNING in x for x in s) == 1  # the result's own k warning is not repeated

    # no k warning in the result: the plot still cautions
    s = strings(forest_plot(make_result(warnings=[]), title="T"))
    assert any(x.startswith("Caution: k = 3 < 5:") for x in s)

    # k = 1: the estimator's own "k = 1: ..." warning is the caution, not a second line
    one = make_result(many_studies(1), warnings=["k = 1: tau2 cannot be estimated and is set to 0"])
    s = strings(forest_plot(one, title="T"))
    assert "Caution: k = 1: tau2 cannot be estimated and is set to 0" in s
    assert not any("< 5" in x for x in s)

    # k >= 5: no caution
    r5 = make_result(many_studies(5), warnings=[])
    assert not any(x.startswith("Caution") for x in strings(forest_plot(r5, title="T")))


# ---- layout: nothing overlaps, height grows with rows --------------------------------------------

@pytest.mark.parametrize("n", [3, 30, 300])
def test_no_text_overlaps(n):
    r = make_result(STUDIES3 if n == 3 else many_studies(n),
                    warnings=["a long warning " * 20])  # wraps over several lines
    fig = forest_plot(r, title="A title " * 25)  # wraps too
    assert_no_overlap_and_inside(fig)
    assert len([x for x in strings(fig) if re.fullmatch(r"\d+/\d+", x)]) == n


def test_height_grows_with_rows():
    h3 = forest_plot(make_result(), title="T").get_size_inches()[1]
    h30 = forest_plot(make_result(many_studies(30)), title="T").get_size_inches()[1]
    assert h30 - h3 == pytest.approx(27 * 0.2, abs=0.25)  # 0.2 in per study row (+ caution line)


def test_subgroup_layout():
    a = make_result(STUDIES3[:2], weights=[55.0, 45.0], warnings=[])
    a["estimate"], a["pi_lower"], a["pi_upper"] = 0.81, None, None
    b = make_result(STUDIES3[2:], weights=[100.0], warnings=[])
    b["estimate"] = 0.75
    overall = make_result()
    test = {"Q": 1.234, "df": 1, "p": 0.2667}
    fig = forest_plot(overall, title="By drug", subgroup_test=test,
                      subgroups=[{"label": "Tofacitinib", "result": a},
                                 {"label": "Baricitinib", "result": b}])
    assert_no_overlap_and_inside(fig)
    s = strings(fig)
    renderer = fig.canvas.get_renderer()
    y = {t.get_text(): t.get_window_extent(renderer).y0 for t in reversed(texts(fig))}

    def first_y(prefix):  # top-most text starting with prefix
        return max(t.get_window_extent(renderer).y0 for t in texts(fig)
                   if t.get_text().startswith(prefix))

    assert "Test for subgroup differences: Q = 1.23, df = 1, p = 0.27" in s
    # order top to bottom: header A, its studies, its diamond, header B, its study, overall
    order = [y["Tofacitinib"], y["47/53"], y["20/30"], y["81.0 [60.0; 89.8]"],
             y["Baricitinib"], y["9/12"], y["75.0 [60.0; 89.8]"], y["88.0 [60.0; 89.8]"],
             first_y("Test for subgroup")]
    assert order == sorted(order, reverse=True)
    # each subgroup of k > 1 shows its own heterogeneity (the one-study subgroup none, as in
    # meta), and every subgroup its k < 5 caution
    assert s.count("Heterogeneity: τ² = 0.1200; I² = 34.5%; Q p = 0.21") == 2
    assert any(x.startswith("Tofacitinib: k = 2 < 5") for x in s)
    assert any(x.startswith("Baricitinib: k = 1: a single study") for x in s)
    assert s.count("47/53") == 1  # overall studies are not drawn a second time


# ---- input checks --------------------------------------------------------------------------------

def test_bad_input_names_the_field():
    r = make_result()
    del r["estimate"]
    with pytest.raises(InputError, match="result: missing key"):
        forest_plot(r, title="T")
    r = make_result(weights=[50.0, 50.0])
    with pytest.raises(InputError, match="result.weights: 2 weights for 3 studies"):
        forest_plot(r, title="T")
    with pytest.raises(InputError, match=r"subgroups\[0\]"):
        forest_plot(make_result(), title="T", subgroups=[{"label": "x"}])
    with pytest.raises(InputError, match="formats"):
        save_figure(forest_plot(make_result(), title="T"), Path("/tmp/x"), formats=("gif",))


def test_real_pooling_result_is_accepted():
    from jakisynth.stats.proportions import pool_proportions

    d = pool_proportions([47, 20, 9], [53, 30, 12], studies=["A", "B", "C"]).to_dict()
    s = strings(forest_plot(d, title="T"))
    assert "47/53" in s and f"{100 * d['estimate']:.1f} [{100 * d['ci_lower']:.1f}; " \
        f"{100 * d['ci_upper']:.1f}]" in s


# ---- determinism ---------------------------------------------------------------------------------

SUBPROCESS = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from jakisynth.report.plotting import forest_plot, prior_therapy_matrix_plot, save_figure
    r = json.loads(Path(sys.argv[1]).read_text())
    save_figure(forest_plot(r, title="Response"), Path(sys.argv[2]) / "forest")
    m = prior_therapy_matrix_plot(["P1", "P2"], ["MTX", "CsA"],
                                  {("P1", "MTX"): "failed", ("P2", "CsA"): "active_at_start"},
                                  title="Prior")
    save_figure(m, Path(sys.argv[2]) / "matrix")
""")


def _matrix():
    return prior_therapy_matrix_plot(["P1", "P2"], ["MTX", "CsA"],
                                     {("P1", "MTX"): "failed", ("P2", "CsA"): "active_at_start"},
                                     title="Prior")


def test_saved_files_byte_identical_across_saves_and_processes(tmp_path):
    r = make_result()
    first, second, fresh = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for d in (first, second, fresh):
        d.mkdir()
    (tmp_path / "r.json").write_text(json.dumps(r))
    # a fresh process draws and saves the same figures (started first: runs while we save)
    child = subprocess.Popen([sys.executable, "-c", SUBPROCESS, str(tmp_path / "r.json"),
                              str(fresh)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    fig = forest_plot(r, title="Response")
    paths = save_figure(fig, first / "forest")
    assert [p.name for p in paths] == ["forest.png", "forest.svg", "forest.pdf"]
    save_figure(fig, second / "forest")  # the same figure saved again
    save_figure(_matrix(), first / "matrix")
    _, err = child.communicate(timeout=120)
    assert child.returncode == 0, err.decode()
    names = sorted(p.name for p in first.iterdir())
    assert names == ["forest.pdf", "forest.png", "forest.svg", "matrix.pdf", "matrix.png",
                     "matrix.svg"]  # no temporary files left behind
    for name in names:
        assert sha(first / name) == sha(fresh / name), name
    for name in ("forest.pdf", "forest.png", "forest.svg"):
        assert sha(first / name) == sha(second / name), name


def test_files_carry_no_date_or_software(tmp_path):
    save_figure(forest_plot(make_result(), title="T"), tmp_path / "f")
    svg = (tmp_path / "f.svg").read_text()
    assert "<dc:date>" not in svg and "Matplotlib" not in svg
    assert not re.search(r"\d{4}-\d{2}-\d{2}", svg)
    assert "<text" not in svg  # svg.fonttype = "path": glyphs are paths
    pdf = (tmp_path / "f.pdf").read_bytes()
    assert b"CreationDate" not in pdf and b"ModDate" not in pdf and b"Producer" not in pdf
    png = (tmp_path / "f.png").read_bytes()
    assert b"tIME" not in png and b"Software" not in png
    assert b"pHYs" in png  # resolution chunk: 300 dpi = 11811 px/m
    i = png.index(b"pHYs")
    assert int.from_bytes(png[i + 4:i + 8], "big") == 11811


def test_matplotlib_is_imported_lazily():
    code = ("import sys, jakisynth.cli, jakisynth.report.plotting; "
            "sys.exit(1 if 'matplotlib' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


# ---- prior-therapy matrix ------------------------------------------------------------------------

def test_matrix_cells_and_legend():
    from matplotlib.patches import Rectangle

    fig = prior_therapy_matrix_plot(
        ["P1", "P2", "Patient 3"], ["Methotrexate", "Cyclosporine", "Dupilumab"],
        {("P1", "Methotrexate"): "failed", ("P2", "Dupilumab"): "active_at_start",
         ("Patient 3", "Cyclosporine"): "received", ("P1", "Dupilumab"): "failed"},
        title="Prior therapies")
    assert_no_overlap_and_inside(fig)
    s = strings(fig)
    assert sorted(x for x in s if x in "FRA") == ["A", "F", "F", "R"]
    for label in ("F  failed", "R  received", "A  active at start", "Methotrexate", "Patient 3"):
        assert label in s
    cells = [p for p in fig.axes[0].patches if isinstance(p, Rectangle)]
    colours = [tuple(np.round(p.get_facecolor(), 3)) for p in cells]
    assert len(cells) == 9
    assert colours.count((1.0, 1.0, 1.0, 1.0)) == 5  # absent cells are white


def test_matrix_bad_input():
    with pytest.raises(InputError, match="unknown status 'maybe'"):
        prior_therapy_matrix_plot(["P1"], ["MTX"], {("P1", "MTX"): "maybe"}, title="T")
    with pytest.raises(InputError, match="patient 'P9' is not in patients"):
        prior_therapy_matrix_plot(["P1"], ["MTX"], {("P9", "MTX"): "failed"}, title="T")
    with pytest.raises(InputError, match="therapies: duplicate"):
        prior_therapy_matrix_plot(["P1"], ["MTX", "MTX"], {}, title="T")
