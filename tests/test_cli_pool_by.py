"""`jakisynth pool --by`: many meta-analyses from one CSV, as CSV or JSON (issue 13)."""

import io
import json

import pandas as pd
from click.testing import CliRunner

from jakisynth import pool_many
from jakisynth.cli import main

CSV = "meta_id,arm,x,n\n007,a,3,10\n007,a,5,12\n007,b,0,8\n9,a,4,4\n9,a,2,9\n"


def run(tmp_path, text, *args):
    path = tmp_path / "data.csv"
    path.write_text(text, encoding="utf-8")
    return CliRunner().invoke(main, ["pool", str(path), "--events", "x", "--total", "n", *args])


def expected(**model):
    frame = pd.DataFrame({"meta_id": ["007", "007", "007", "9", "9"],
                          "arm": ["a", "a", "b", "a", "a"], "x": [3, 5, 0, 4, 2],
                          "n": [10, 12, 8, 4, 9]})
    return pool_many(frame, events="x", total="n", **model)


def test_csv_equals_the_api_with_two_by_columns(tmp_path):
    result = run(tmp_path, CSV, "--by", "meta_id", "--by", "arm", "--tau2", "DL")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(io.StringIO(result.output), dtype={"meta_id": str, "arm": str},
                        keep_default_na=False,
                        na_values={c: [""] for c in ("tau2_ci_lower", "tau2_ci_upper", "pi_lower",
                                                     "pi_upper", "Q_pvalue")})
    api = expected(by=["meta_id", "arm"], tau2="DL")
    assert table["meta_id"].tolist() == ["007", "007", "9"]  # ids stay text
    pd.testing.assert_frame_equal(table, api, check_dtype=False, rtol=1e-15)


def test_json_records_with_null_for_missing(tmp_path):
    result = run(tmp_path, CSV, "--by", "meta_id", "--by", "arm", "--json")
    assert result.exit_code == 0, result.output
    records = json.loads(result.output)
    api = expected(by=["meta_id", "arm"])
    assert [r["estimate"] for r in records] == api["estimate"].tolist()
    assert records[1]["k"] == 1 and records[1]["tau2_ci_lower"] is None
    assert records[1]["caveats"] == "single_study;continuity_correction"


def test_bad_count_names_file_line_and_column(tmp_path):
    result = run(tmp_path, "meta_id,x,n\n1,3,10\n1,x,12\n", "--by", "meta_id")
    assert result.exit_code == 1
    assert "x: line 3: expected a whole number" in result.output


def test_missing_by_column(tmp_path):
    result = run(tmp_path, CSV, "--by", "trial")
    assert result.exit_code == 1 and "--by column 'trial' not found" in result.output
