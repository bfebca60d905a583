"""The robustness panel (synthesis/decision.py), its flags, its figure and the Bayesian forest."""

from pathlib import Path

import pytest

from jakisynth.evidence.plan import load_plan
from jakisynth.evidence.validate import load_evidence
from jakisynth.report.figures import FigureSpec, draw, figure_specs
from jakisynth.report.forest_rows import block_rows
from jakisynth.report.html import forest_caption
from jakisynth.report.tables import build_tables
from jakisynth.synthesis.analysis import run_plan
from jakisynth.synthesis.decision import RobustnessPanel, RobustnessRow, robustness_flags, robustness_panel

from tolerances import TOLERANCES, close

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = ["model", "analysis", "k", "estimate", "ci_lower", "ci_upper", "pi_lower", "pi_upper",
           "tau2", "interval_kind"]
TOL = TOLERANCES["metafor_estimate"]


@pytest.fixture(scope="module")
def seed_results():
    loaded = load_evidence(ROOT / "evidence")
    studies = {sid: item.data for sid, item in loaded.items()}
    return run_plan(load_plan(ROOT / "evidence", loaded), studies), studies


def test_rows_are_the_analyses_results(seed_results):
    results, studies = seed_results
    frame = build_tables(results, studies)["robustness"][1]
    assert list(frame.columns) == COLUMNS
    assert list(frame["analysis"]) == ["primary", "reml_wald", "hartung_knapp",
                                       "freeman_tukey_dl", "glmm", "reml_wald"]
    by_id = {a.spec.id: a.result.to_dict() for a in results.analyses}
    rows = frame.to_dict(orient="records")
    for row in rows[:-1]:
        d = by_id[row["analysis"]]
        for key in ("k", "estimate", "ci_lower", "ci_upper", "pi_lower", "pi_upper", "tau2"):
            assert close(row[key], d[key], TOL), (row["analysis"], key)
        assert row["interval_kind"] == ("credible" if d["method"] == "bayes" else "confidence")
    common = by_id["reml_wald"]["common"]
    last = rows[-1]
    assert last["model"].startswith("Common-effect")
    for key in ("estimate", "ci_lower", "ci_upper"):
        assert close(last[key], common[key], TOL)
    assert all(last[key] != last[key] for key in ("pi_lower", "pi_upper", "tau2"))  # NaN in CSV
    assert rows[0]["model"].endswith("(primary)")
    # Hartung-Knapp and Wald share the REML estimate; HK's interval differs
    assert close(rows[2]["estimate"], rows[1]["estimate"], TOL)
    assert rows[2]["ci_lower"] != rows[1]["ci_lower"]


def test_missing_analyses_are_skipped(seed_results):
    results, _ = seed_results
    kept = tuple(a for a in results.analyses if a.spec.id not in ("glmm", "reml_wald"))
    panel = robustness_panel(type(results)(results.plan, kept, (), None, None))
    assert [r.analysis for r in panel.rows] == ["primary", "hartung_knapp", "freeman_tukey_dl"]


def _row(model, est, lo, hi, kind="confidence"):
    return RobustnessRow(model, model, 3, est, lo, hi, None, None, None, kind)


def test_no_flag_when_models_agree():
    panel = RobustnessPanel((_row("A", 0.85, 0.81, 0.90), _row("B", 0.899, 0.82, 0.95)),
                            (0.5, 0.8), 0.95)
    assert robustness_flags(panel) == []  # 4.9 points, 80% below every interval


def test_span_over_five_points_is_flagged():
    panel = RobustnessPanel((_row("A", 0.85, 0.81, 0.90), _row("B", 0.902, 0.82, 0.95)),
                            (0.5,), 0.95)
    flags = robustness_flags(panel)
    assert len(flags) == 1
    assert "span 5.2 percentage points" in flags[0] and "85.0% (A)" in flags[0]
    assert "90.2% (B)" in flags[0]


def test_threshold_inside_some_intervals_is_flagged_with_the_models():
    panel = RobustnessPanel((_row("A", 0.85, 0.78, 0.90), _row("B", 0.86, 0.79, 0.95),
                             _row("C", 0.86, 0.82, 0.93, "credible")), (0.5, 0.8), 0.95)
    flags = robustness_flags(panel)
    assert flags == ["The decision threshold 80% lies inside the interval of A and B but outside "
                     "that of C: whether the interval excludes 80% depends on the model."]
    # inside every interval: no flag
    inside_all = RobustnessPanel((_row("A", 0.85, 0.78, 0.90), _row("B", 0.86, 0.79, 0.95)),
                                 (0.8,), 0.95)
    assert robustness_flags(inside_all) == []


def test_figure_spec_and_drawing(seed_results):
    results, studies = seed_results
    spec = next(s for s in figure_specs(results, studies) if s.kind == "robustness")
    assert spec.inputs["thresholds"] == [0.5, 0.8]
    assert len(spec.inputs["rows"]) == len(robustness_panel(results).rows)
    fig = draw(spec)
    texts = [t.get_text() for t in fig.texts]
    assert "Predictive interval" in texts and "Prediction interval" in texts
    ax = fig.axes[0]
    dashed = sorted(line.get_xdata()[0] for line in ax.lines)
    assert dashed == [50.0, 80.0]  # one dashed line per decision threshold, nothing else
    bad = FigureSpec("robustness", "robustness", {"rows": [], "thresholds": [], "level": 0.95,
                                                  "title": "x"})
    from jakisynth.errors import InputError

    with pytest.raises(InputError, match="rows"):
        draw(bad)


def test_bayesian_forest_calls_its_interval_predictive(seed_results):
    results, _ = seed_results
    d = results.primary.result.to_dict()
    assert d["method"] == "bayes"
    rows = block_rows(d, d["model_label"], True, True)
    pooled = next(r for r in rows if r["kind"] == "pooled")
    assert pooled["label"] == results.primary.result.model_label()
    assert next(r for r in rows if r["kind"] == "pi")["label"] == "Predictive interval"
    caption = forest_caption(d)
    assert "predictive interval of a new series" in caption and "prediction" not in caption
    assert "credible interval" in caption and "GLMM" not in caption
    reml = next(a for a in results.analyses if a.spec.id == "reml_wald").result.to_dict()
    assert "red bar: prediction interval" in forest_caption(reml)
