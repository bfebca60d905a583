"""The declared options (stats/options.py) tie the CLI, the plan schema, the report's name maps
and the R-call maps together: a value added in one place and forgotten in another fails here."""

import json
from pathlib import Path

import pytest

from jakisynth.cli import main
from jakisynth.errors import InputError
from jakisynth.report import html
from jakisynth.stats import options
from jakisynth.stats.effects import METAFOR_MEASURE, METAFOR_TEST

ROOT = Path(__file__).resolve().parents[1]
MODEL = json.loads((ROOT / "src/jakisynth/evidence/schema/analysis.schema.json").read_text())


def _schema_enums():
    found = {}

    def walk(node):
        if isinstance(node, dict):
            props = node.get("properties", {})
            if {"method", "transform", "tau2", "ci"} <= set(props):
                found.update({k: v["enum"] for k, v in props.items() if "enum" in v})
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(MODEL)
    return found


def _cli_choices():
    pool = main.commands["pool"]
    return {p.name: tuple(p.type.choices) for p in pool.params if hasattr(p.type, "choices")}


def test_cli_choices_are_the_declared_tuples():
    choices = _cli_choices()
    assert choices["method"] == options.METHODS
    assert choices["transform"] == options.TRANSFORMS
    assert choices["tau2"] == options.TAU2_METHODS
    assert choices["ci"] == options.CI_METHODS


def test_plan_schema_enums_are_the_declared_tuples():
    enums = _schema_enums()
    assert tuple(enums["method"]) == options.METHODS
    assert tuple(enums["transform"]) == options.TRANSFORMS
    assert tuple(enums["tau2"]) == options.TAU2_METHODS
    assert tuple(enums["ci"]) == options.CI_METHODS
    assert tuple(enums["pi_df"]) == options.PI_DF


def test_report_and_r_maps_cover_every_value():
    assert set(html.MEASURE) == set(options.TRANSFORMS) == set(METAFOR_MEASURE)
    assert set(html.TAU2) == set(options.TAU2_METHODS)
    assert set(METAFOR_TEST) == set(options.CI_METHODS)


def test_every_method_declares_what_it_uses():
    assert set(options.USES) == set(options.METHODS)
    for used in options.USES.values():
        assert used <= set(options.DEFAULTS)


def test_resolve_fills_defaults_and_refuses_unused_options():
    assert options.resolve("inverse") == {"ci": "z", "control": None, "pi_df": "metafor",
                                          "tau2": "REML", "transform": "logit"}
    assert options.resolve("glmm", ci="z") == {"ci": "z", "n_agq": 7, "transform": "logit"}
    with pytest.raises(InputError, match="tau2: method='glmm' does not use tau2"):
        options.resolve("glmm", tau2="REML")


def test_control_overrides_the_tau2_iterations_for_one_fit():
    from jakisynth import pool_proportions
    from jakisynth.stats.control import Control

    events, totals = [0, 2, 5, 1, 9, 4, 3, 7, 6, 10], [10, 12, 15, 8, 20, 11, 9, 14, 13, 25]
    default = pool_proportions(events, totals, tau2="REML")
    capped = pool_proportions(events, totals, tau2="REML",
                              control=Control(max_iterations=1, threshold=1e-30))
    assert default.converged and "not_converged" not in [c.code for c in default.caveats]
    # one Fisher-scoring step cannot reach 1e-30: the fit says so (and the global search of the
    # likelihood still gives the maximum, so the estimate is the default one)
    assert capped.tau2 == pytest.approx(default.tau2, rel=1e-9)
    after = pool_proportions(events, totals, tau2="REML")  # the control applied to that fit only
    assert after.to_dict() == default.to_dict()
    with pytest.raises(InputError, match="control.max_iterations: expected a positive whole number"):
        Control(max_iterations=0)
    with pytest.raises(InputError, match="control: method='glmm' does not use control"):
        pool_proportions(events, totals, method="glmm", control=Control(threshold=1e-8))
