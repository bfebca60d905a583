"""`jakisynth pool`: readable table, --json, and one clear line on bad input."""

import json

import pytest
from click.testing import CliRunner

from jakisynth import pool_proportions
from jakisynth.cli import main


def run(tmp_path, text, *args):
    path = tmp_path / "data.csv"
    path.write_text(text, encoding="utf-8")
    return CliRunner().invoke(main, ["pool", str(path), *args]), str(path)


def test_json_equals_the_api(tmp_path):
    result, _ = run(tmp_path, "study,x,n\nLiu,47,53\nWang,3,3\nBeckett,9,10\n",
                    "--events", "x", "--total", "n", "--study", "study", "--tau2", "DL",
                    "--transform", "ft", "--ci", "hk", "--json")
    assert result.exit_code == 0, result.output
    api = pool_proportions([47, 3, 9], [53, 3, 10], studies=["Liu", "Wang", "Beckett"],
                           tau2="DL", transform="ft", ci="hk").to_dict()
    assert json.loads(result.output) == json.loads(json.dumps(api))


def test_readable_table(tmp_path):
    result, _ = run(tmp_path, "x,n\n4,10\n6,12\n", "--events", "x", "--total", "n")
    assert result.exit_code == 0
    assert "Study 1" in result.output and "Study 2" in result.output  # metafor's labels
    assert "k = 2 < 5" in result.output


@pytest.mark.parametrize("text,args,message", [
    ("x,n\n4,10\n", ["--events", "y", "--total", "n"], ":1: --events column 'y' not found"),
    ("x,n\n4.5,10\n", ["--events", "x", "--total", "n"], ":2: x: expected a whole number, got '4.5'"),
    ("x,n\n4,10\n11,10\n", ["--events", "x", "--total", "n"], ":3: x: 11 events exceed the total 10"),
    ("x,n\n-1,10\n", ["--events", "x", "--total", "n"], ":2: x: negative count -1"),
    ("", ["--events", "x", "--total", "n"], ": the file is empty"),
    ("x,n\n", ["--events", "x", "--total", "n"], ": no data rows under the header"),
    ("x,n\n4,\n", ["--events", "x", "--total", "n"], ":2: n: missing value"),
])
def test_bad_input_is_one_line_exit_1(tmp_path, text, args, message):
    result, path = run(tmp_path, text, *args)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0] == f"error: {path}{message}" or lines[0].startswith(f"error: {path}{message}")
    assert "Traceback" not in result.output


def test_missing_file(tmp_path):
    result = CliRunner().invoke(main, ["pool", str(tmp_path / "nope.csv"), "--events", "x",
                                       "--total", "n"])
    assert result.exit_code == 1
    assert result.output.strip().endswith("nope.csv: no such file")


def test_columns_named_events_total_and_study_are_the_defaults(tmp_path):
    """`jakisynth pool small.csv` needs no option when the columns are named events, total and
    study; the result goes to stdout, and nothing but warnings to stderr."""
    result, _ = run(tmp_path, "study,events,total\nLiu 2024,47,53\nWang 2023,3,3\n", "--json")
    assert result.exit_code == 0, result.output
    d = json.loads(result.stdout)
    api = pool_proportions([47, 3], [53, 3], studies=["Liu 2024", "Wang 2023"]).to_dict()
    assert d == json.loads(json.dumps(api))
    assert [s["study"] for s in d["studies"]] == ["Liu 2024", "Wang 2023"]
    result, _ = run(tmp_path, "events,total\n4,10\n")  # no study column
    assert result.exit_code == 0 and "Study 1" in result.stdout and not result.stderr


def test_single_study_prints_no_q_p_value_and_no_prediction_interval(tmp_path):
    """k = 1: Q on 0 df has no p value, and there is no prediction interval (R meta: NA)."""
    result, _ = run(tmp_path, "events,total\n47,53\n")
    assert result.exit_code == 0, result.output
    assert "prediction interval NA" in result.stdout and "(df = 0, p = NA)" in result.stdout
    result, _ = run(tmp_path, "events,total\n47,53\n", "--json")
    d = json.loads(result.stdout)
    assert d["Q_pvalue"] is None and d["pi_lower"] is None and d["pi_upper"] is None


def test_every_option_has_help_and_summaries_are_whole():
    runner = CliRunner()
    top = runner.invoke(main, ["--help"]).output
    assert "..." not in top.split("Commands:")[1]  # no summary cut
    for command in ("validate", "pool", "run", "check", "new"):
        assert command in top
    import click

    ctx = click.Context(main)
    for name, command in main.commands.items():
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"{name} {param.opts[0]} has no help line"
        assert "..." not in command.get_short_help_str(limit=60), name
    del ctx
def test_bayes_json_equals_the_api_and_text_shows_probabilities(tmp_path):
    text = "study,x,n\nLiu,47,53\nWang,3,3\nBeckett,8,8\n"
    args = ["--events", "x", "--total", "n", "--study", "study", "--method", "bayes",
            "--tau-prior", "halfnormal(1)", "--mu-prior", "normal(0, 1.5)"]
    result, _ = run(tmp_path, text, *args, "--json")
    assert result.exit_code == 0, result.output
    api = pool_proportions([47, 3, 8], [53, 3, 8], studies=["Liu", "Wang", "Beckett"],
                           method="bayes", tau_prior="halfnormal(1)", mu_prior="normal(0, 1.5)")
    assert json.loads(result.output) == json.loads(json.dumps(api.to_dict()))
    shown, _ = run(tmp_path, text, *args)
    assert shown.exit_code == 0
    for p in (0.5, 0.8):
        assert (f"P(pooled proportion > {100 * p:.0f}%) = {api.probability_above(p):.3f}"
                in shown.output)
        assert (f"P(new series > {100 * p:.0f}%) = {api.predictive_probability_above(p):.3f}"
                in shown.output)


@pytest.mark.parametrize("args,message", [
    (["--method", "bayes", "--tau-prior", "halfnormal"], "error: tau_prior: expected"),
    (["--method", "bayes", "--mu-prior", "normal(0)"], "error: mu_prior: expected"),
    (["--method", "bayes", "--tau2", "DL"], "error: tau2: method='bayes' does not use tau2"),
    (["--method", "bayes", "--ci", "hk"], "error: ci: the Bayesian model gives equal-tailed"),
    (["--tau-prior", "halfnormal(1)"], "error: tau_prior: method='inverse' does not use tau_prior"),
])
def test_bayes_options_are_checked(tmp_path, args, message):
    result, _ = run(tmp_path, "x,n\n4,10\n6,12\n", "--events", "x", "--total", "n", *args)
    assert result.exit_code == 1
    assert result.output.strip().startswith(message)
