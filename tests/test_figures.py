"""Figure specifications: data only (picklable, drawn by kind in spawned processes), keys that
change with any drawing code, labels from the vocabulary in one capitalisation style."""

from __future__ import annotations

import ast
import pickle
from pathlib import Path

import pytest

from jakisynth.report import figures
from jakisynth.report.figures import figure_specs, group_label, subgroup_title

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "src" / "jakisynth" / "report"


@pytest.fixture(scope="module")
def seed_specs():
    from jakisynth.evidence.plan import load_plan
    from jakisynth.evidence.validate import load_evidence
    from jakisynth.synthesis.analysis import run_plan

    loaded = load_evidence(ROOT / "evidence")
    studies = {sid: item.data for sid, item in loaded.items()}
    results = run_plan(load_plan(ROOT / "evidence", loaded), studies)
    return {s.name: s for s in figure_specs(results, studies)}


def test_specs_are_data_only_and_pickle(seed_specs):
    # one forest plot per analysis and subgroup variable, the cumulative plot, one matrix per
    # series with patient rows (the seed plan: 8 analyses, 1 subgroup variable, Beckett's rows)
    assert sorted(seed_specs) == sorted(
        ["cumulative", "forest_bayes_halfcauchy", "forest_bayes_halfnormal_1",
         "forest_cotherapy_attribution", "forest_freeman_tukey_dl", "forest_glmm",
         "forest_hartung_knapp", "forest_primary", "forest_reml_wald", "forest_strata",
         "forest_subgroups_scenario", "forest_with_indirect", "forest_with_indirect_continuation",
         "prior_therapy_beckett2024", "robustness"])
    for spec in seed_specs.values():
        assert spec.kind in ("forest", "cumulative", "prior_therapy", "robustness")
        copy = pickle.loads(pickle.dumps(spec))
        assert copy == spec and copy.key == spec.key


def test_spawned_workers_draw_the_same_bytes(seed_specs):
    """Drawing is dispatched by kind in fresh (spawned/forkserver) processes; the bytes equal
    those drawn in this process."""
    from jakisynth.run import _render, _render_one

    chosen = [seed_specs["forest_glmm"], seed_specs["cumulative"]]
    parallel = _render(chosen)
    for spec in chosen:
        assert parallel[spec.name] == _render_one(spec), spec.name


def test_key_covers_every_drawing_module(seed_specs, monkeypatch):
    """Every report module a drawing module imports is hashed into the key."""
    drawing = set(figures.DRAWING_MODULES)
    for name in drawing:
        tree = ast.parse((REPORT / f"{name}.py").read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                imported = (node.module or "").split(".")[0] or None
                names = [imported] if imported else [a.name for a in node.names]
                for module in names:
                    if (REPORT / f"{module}.py").exists() and module != "files":
                        assert module in drawing, f"{name} imports {module}, not in the key"
    spec = seed_specs["forest_primary"]
    before = spec.key
    original = Path.read_bytes

    def patched(self):
        data = original(self)
        return data + b"\n# changed" if self.name == "cumulative_plot.py" else data

    monkeypatch.setattr(Path, "read_bytes", patched)
    assert spec.key != before  # a change to any drawing module changes every key


def test_labels_from_the_vocabulary_in_sentence_case(seed_specs):
    # the seed plan's only subgroup variable is the scenario; the drug and condition titles and
    # labels are checked on the functions that make them
    assert seed_specs["forest_subgroups_scenario"].inputs["title"] == \
        "Subgroups by clinical scenario"
    assert subgroup_title("JAK inhibitor") == "Subgroups by JAK inhibitor"
    assert subgroup_title("Condition treated") == "Subgroups by condition treated"
    assert [group_label("drug", d) for d in ("tofacitinib", "upadacitinib")] == [
        "Tofacitinib", "Upadacitinib"]
    matrix = seed_specs["prior_therapy_beckett2024"].inputs
    assert "mycophenolate_mofetil" in matrix["therapies"]
    assert matrix["labels"]["mycophenolate_mofetil"] == "mycophenolate mofetil"
    assert matrix["labels"]["ivig"] == "intravenous immunoglobulin"
    assert not any("_" in label for label in matrix["labels"].values())
    assert subgroup_title("Clinical scenario") == "Subgroups by clinical scenario"
    assert group_label("drug", "ivig") == "Intravenous immunoglobulin"


def test_cumulative_draws_the_prediction_intervals_its_note_promises(seed_specs):
    from matplotlib.patches import Rectangle

    from jakisynth.report.figures import draw

    spec = seed_specs["cumulative"]
    rows = spec.inputs["rows"]
    # the seed primary is Bayesian: every step, k = 1 included, has a predictive interval
    with_pi = [r for r in rows if r["pi_lower"] is not None]
    assert len(with_pi) == len(rows)
    fig = draw(spec)
    bars = [p for p in fig.axes[0].patches if isinstance(p, Rectangle)]
    assert len(bars) == len(with_pi)
    for bar, r in zip(bars, with_pi):
        assert bar.get_x() == pytest.approx(100 * r["pi_lower"])
        assert bar.get_x() + bar.get_width() == pytest.approx(100 * r["pi_upper"])
    note = " ".join(t.get_text() for t in fig.texts)
    assert "red bar: prediction interval" in note
