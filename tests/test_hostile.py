"""Hostile input: every case ends in one clear line (exit 1) or a correct result, never a
traceback, a hang or a lost byte (issue 15).

Each command case checks the exit code, the absence of "Traceback", and the sha256 of every file
of the evidence and output directories (and of the user's files) before and after. The
interrupted and concurrent runs are in test_staging.py; hypothesis drives the CSV reader, the
YAML loader and the pooling API at the end.
"""

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jakisynth.cli import main
from jakisynth.errors import EvidenceError, InputError

ROOT = Path(__file__).resolve().parent.parent
PLAN_PRIMARY = "primary:\n  id: primary\n"  # the primary's model line follows its label


def tree(path: Path) -> dict[str, str]:
    path = Path(path)
    if path.is_file():
        return {"": hashlib.sha256(path.read_bytes()).hexdigest()}
    return {p.relative_to(path).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(path.rglob("*")) if p.is_file() and not p.is_symlink()}


def invoke(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    text = result.stdout + result.stderr
    assert "Traceback" not in text, text
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def refused(result, message: str):
    """Exit 1 with ``message`` on one line."""
    assert result.exit_code == 1, result.output
    lines = [line for line in (result.stdout + result.stderr).splitlines() if message in line]
    assert lines, result.stdout + result.stderr
    assert all(len(line) < 400 for line in lines)


@pytest.fixture
def ws(tmp_path):
    """A workspace: a copy of the evidence, a copy of the committed outputs."""
    shutil.copytree(ROOT / "evidence", tmp_path / "evidence")
    shutil.copytree(ROOT / "outputs", tmp_path / "outputs")
    return tmp_path


def _unchanged(*paths):
    before = {str(p): tree(p) for p in paths}
    return lambda: {str(p): tree(p) for p in paths} == before


# ---- where run writes -----------------------------------------------------------------------

@pytest.mark.parametrize("target, message", [
    ("afile", "is a file, not a directory"),
    ("evidence", "is the evidence directory"),
    ("evidence/out", "inside the evidence directory"),
    ("foreign", "was not written by jakisynth"),
    ("own_report", "was not written by jakisynth"),
    ("manifest_list", "was not written by jakisynth"),
])
def test_run_refuses_a_directory_it_does_not_own_before_any_work(ws, target, message):
    (ws / "afile").write_text("my data")
    (ws / "foreign/notes").mkdir(parents=True)
    (ws / "foreign/thesis.docx").write_bytes(b"years of work")
    (ws / "foreign/notes/todo.txt").write_text("call Liu")
    (ws / "own_report").mkdir()
    (ws / "own_report/report.html").write_text("<p>my own report</p>")
    (ws / "manifest_list").mkdir()
    (ws / "manifest_list/manifest.json").write_text("[]")
    same = _unchanged(ws / "evidence", ws / "afile", ws / "foreign", ws / "own_report",
                      ws / "manifest_list")
    refused(invoke("run", "--evidence", ws / "evidence", "--out", ws / target), message)
    assert same()
    assert not (ws / "evidence/out").exists()


@pytest.mark.slow
def test_run_keeps_files_a_forged_manifest_lists(ws):
    out = ws / "outputs"
    manifest = json.loads((out / "manifest.json").read_text())
    (out / "thesis.docx").write_bytes(b"years of work")
    (out / "notes").mkdir()
    (out / "notes/todo.txt").write_text("call Liu")
    manifest["outputs"].update({"thesis.docx": "0" * 64, "notes/todo.txt": "1" * 64,
                                "../outside.txt": "2" * 64})
    (out / "manifest.json").write_text(json.dumps(manifest))
    (ws / "outside.txt").write_text("outside")
    result = invoke("run", "--evidence", ws / "evidence", "--out", out)
    assert result.exit_code == 0, result.output
    assert (out / "thesis.docx").read_bytes() == b"years of work"
    assert (out / "notes/todo.txt").read_text() == "call Liu"
    assert (ws / "outside.txt").read_text() == "outside"
    assert result.stderr == ""  # no library warning leaks


@pytest.mark.parametrize("corrupt, message", [
    ("changelog_latin1", "is not UTF-8 text"),
    ("figures_file", "jakisynth writes a directory there"),
])
def test_corrupted_previous_outputs_are_one_line_and_touch_nothing(ws, corrupt, message):
    out = ws / "outputs"
    if corrupt == "changelog_latin1":
        (out / "CHANGELOG.md").write_bytes("# Änderungen\n".encode("latin-1"))
    else:
        shutil.rmtree(out / "figures")
        (out / "figures").write_text("not a directory")
    same = _unchanged(ws / "evidence", out)
    refused(invoke("run", "--evidence", ws / "evidence", "--out", out), message)
    assert same()


@pytest.mark.slow
@pytest.mark.parametrize("corrupt", ["evidence_no_key", "results_garbage", "changelog_doubled"])
def test_corrupted_previous_snapshots_still_give_a_correct_run(ws, corrupt):
    out = ws / "outputs"
    entries = (out / "CHANGELOG.md").read_text().count("## Evidence version")
    if corrupt == "evidence_no_key":
        (out / "evidence.json").write_text("{}")
    elif corrupt == "results_garbage":
        (out / "results.json").write_text('{"analyses": [1, 2]}')
    else:  # an entry twice (what an interrupted older version left): repaired to once
        text = (out / "CHANGELOG.md").read_text()
        head, _, rest = text.partition("\n## ")
        newest, sep, older = rest.partition("\n## ")
        newest = newest if newest.endswith("\n") else newest + "\n"
        (out / "CHANGELOG.md").write_text(f"{head}\n## {newest}\n## {newest}{sep}{older}")
    result = invoke("run", "--evidence", ws / "evidence", "--out", out)
    assert result.exit_code == 0, result.output
    # the evidence is unchanged: no new entry, and a doubled entry is kept once
    assert (out / "CHANGELOG.md").read_text().count("## Evidence version") == entries


def test_run_with_a_file_or_nothing_as_evidence(ws):
    refused(invoke("run", "--evidence", ws / "evidence/liu2024.yaml", "--out", ws / "o"),
            "--evidence takes the evidence directory")
    refused(invoke("run", "--evidence", ws / "nowhere", "--out", ws / "o"), "no such directory")
    assert not (ws / "o").exists()


@pytest.mark.skipif(sys.platform == "win32" or __import__("os").geteuid() == 0,
                    reason="root ignores permissions")
def test_run_into_a_read_only_directory_is_refused_before_any_work(ws):
    (ws / "ro").mkdir()
    (ws / "ro").chmod(0o555)
    try:
        refused(invoke("run", "--evidence", ws / "evidence", "--out", ws / "ro/out"),
                "permission denied")
    finally:
        (ws / "ro").chmod(0o755)


# ---- validate: everything run needs ---------------------------------------------------------

def _edit(path: Path, old: str, new: str):
    text = path.read_text()
    if old == PLAN_PRIMARY:  # replace the primary analysis's model (whatever it is) by `new`
        head, _, rest = text.partition(PLAN_PRIMARY)
        assert rest, "the plan has no primary analysis"
        label, _, body = rest.partition("\n  model: ")
        _, _, after = body.partition("\n")
        path.write_text(f"{head}{PLAN_PRIMARY}{label}\n  model: {new}\n{after}")
        return
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


PLAN_CASES = {
    "every_series_excluded": ("    model: {method: inverse, transform: ft, tau2: DL, ci: z}\n",
                              "    model: {method: inverse, transform: ft, tau2: DL, ci: z}\n"
                              "    exclude: [liu2024, wang2023]\n",
                              "every series is excluded"),
    "glmm_with_hk": ("model: {method: glmm}", "model: {method: glmm, ci: hk}",
                     "the GLMM gives Wald (z) intervals only"),
    "hk_with_one_series": ("    model: {method: inverse, transform: logit, tau2: REML, ci: hk}\n",
                           "    model: {method: inverse, transform: logit, tau2: REML, ci: hk}\n"
                           "    exclude: [liu2024]\n",
                           "Hartung-Knapp needs at least 2 series"),
    "glmm_on_100_percent_only": ("    model: {method: glmm}\n",
                                 "    model: {method: glmm}\n    exclude: [liu2024]\n",
                                 "the GLMM cannot be fitted"),
    "primary_glmm_subsets": (PLAN_PRIMARY, "{method: glmm}", "the primary GLMM cannot be fitted"),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(PLAN_CASES))
def test_plans_run_cannot_fit_are_refused_by_validate_and_run(ws, case):
    old, new, message = PLAN_CASES[case]
    _edit(ws / "evidence/analysis.yaml", old, new)
    same = _unchanged(ws / "evidence", ws / "outputs")
    refused(invoke("validate", ws / "evidence"), message)
    refused(invoke("run", "--evidence", ws / "evidence", "--out", ws / "outputs"), message)
    assert same()


@pytest.mark.slow
def test_a_figure_that_refuses_the_results_is_one_line_and_nothing_is_written(ws):
    """A log-scale, PM, HK primary analysis whose subgroup CI passes 100%: the forest plot
    refuses it (a fix for the plot itself belongs to report/plotting.py); the run says so in
    one line and the previous outputs stay as they were."""
    _edit(ws / "evidence/analysis.yaml", PLAN_PRIMARY,
          "{method: inverse, transform: log, tau2: PM, ci: hk}")
    same = _unchanged(ws / "evidence", ws / "outputs")
    result = invoke("run", "--evidence", ws / "evidence", "--out", ws / "outputs")
    if result.exit_code == 0:  # the plot draws it: then the new set is complete
        assert "ci_upper" not in result.output
        return
    refused(result, "the outputs cannot be built")
    assert same()
    assert sorted(p.name for p in ws.iterdir() if ".jakisynth-" in p.name) == []


@pytest.mark.parametrize("case, message", [
    ("missing", "the analysis plan is missing"), ("directory", "the analysis plan is not a file")])
def test_validate_needs_the_plan_file(ws, case, message):
    (ws / "evidence/analysis.yaml").unlink()
    if case == "directory":
        (ws / "evidence/analysis.yaml").mkdir()
    refused(invoke("validate", ws / "evidence"), message)


@pytest.mark.parametrize("date, message", [("2024-02-30", "February 2024 has no day 30"),
                                           ("2024-13-01", "there is no month 13")])
def test_dates_must_be_calendar_dates(ws, date, message):
    _edit(ws / "evidence/liu2024.yaml", 'publication_date: "2024-08-29"', f'publication_date: "{date}"')
    refused(invoke("validate", ws / "evidence"), message)


def test_one_doi_in_two_files_is_refused(ws):
    text = (ws / "evidence/liu2024.yaml").read_text()
    doi = "10.1186/s12967-024-05617-6"
    beckett = (ws / "evidence/beckett2024.yaml").read_text()
    start = beckett.index("  doi: ")
    end = beckett.index("\n", start)
    (ws / "evidence/beckett2024.yaml").write_text(f'{beckett[:start]}  doi: "{doi.upper()}"{beckett[end:]}')
    assert doi in text
    refused(invoke("validate", ws / "evidence"), "is also the DOI of")


def test_ids_are_matched_whole(ws):
    _edit(ws / "evidence/wang2023.yaml", "study_id: wang2023", 'study_id: "wang2023\\n"')
    refused(invoke("validate", ws / "evidence"), "study_id")
    result = invoke("new", "smith2025\n", "--evidence", ws / "evidence")
    refused(result, "is not a valid study id")
    assert sorted(p.name for p in (ws / "evidence").iterdir() if "smith" in p.name) == []
    refused(invoke("new", "a" * 296 + "2025", "--evidence", ws / "evidence"), "at most 64")


@pytest.mark.slow
def test_counts_beyond_float64_precision_are_refused(ws):
    path = ws / "evidence/wang2023.yaml"
    text = path.read_text()
    assert "events: 3" in text and "total: 3" in text
    big = "99999999999999999999"
    path.write_text(text.replace("events: 3", f"events: {big}").replace("total: 3", f"total: {big}")
                    .replace("value: 3\n", f"value: {big}\n"))
    same = _unchanged(ws / "outputs")
    refused(invoke("validate", ws / "evidence"), "beyond 2^53")
    refused(invoke("run", "--evidence", ws / "evidence", "--out", ws / "outputs"), "beyond 2^53")
    assert same()


# ---- bounded work on any input --------------------------------------------------------------

def _validate_in_a_subprocess(path: Path) -> subprocess.CompletedProcess:
    """A hang guard: a generous timeout, never a timing assertion."""
    return subprocess.run([sys.executable, "-m", "jakisynth.cli", "validate", str(path)],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("name, text, message", [
    ("deep2099.yaml", "a: " + "[" * 10_000 + "]" * 10_000 + "\n", "nested too deeply"),
    ("wide2099.yaml", "a:\n" + "  - 1\n" * 60_000, "the document is too large"),
    ("huge2099.yaml", "a:\n" + "  - 1\n" * 600_000, "the file is too large"),
    ("longkey2099.yaml", "k" * 100_000 + ": 1\n", "a field name has at most 1024"),
])
def test_pathological_yaml_is_refused_quickly(tmp_path, name, text, message):
    (tmp_path / name).write_text(text)
    done = _validate_in_a_subprocess(tmp_path / name)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert message in done.stdout and max(map(len, done.stdout.splitlines())) < 400


@pytest.mark.slow
def test_a_50_megabyte_extraction_is_refused_before_parsing(tmp_path):
    with open(tmp_path / "big2099.yaml", "w") as handle:
        for _ in range(50):
            handle.write("a:\n" + "  - 1\n" * 200_000)
    done = _validate_in_a_subprocess(tmp_path / "big2099.yaml")
    assert done.returncode == 1 and "the file is too large" in done.stdout, done.stderr


@pytest.mark.slow
def test_reml_next_to_a_huge_series_does_not_hang(tmp_path):
    (tmp_path / "c.csv").write_text("e,n\n470000000000000,530000000000000\n8,8\n")
    # a hang fails the test through the timeout (it used to loop forever: Fisher scoring's step
    # became -inf); the global search returns tau2 = 0, as metafor does
    done = subprocess.run([sys.executable, "-m", "jakisynth.cli", "pool", str(tmp_path / "c.csv"),
                           "--events", "e", "--total", "n"], capture_output=True, text=True,
                          timeout=60)
    assert "Traceback" not in done.stderr and done.returncode == 0, done.stderr
    assert "tau2 = 0" in done.stdout


# ---- the command line and the API -----------------------------------------------------------

def test_usage_errors_and_unreadable_paths_exit_1_in_one_line(tmp_path):
    refused(invoke("run", "--bogus"), "No such option")
    refused(invoke("pool"), "Missing argument")
    refused(invoke("validate", tmp_path / "nowhere"), "no such file or directory")
    refused(invoke("pool", tmp_path / "nowhere.csv", "--events", "e", "--total", "n"), "no such file")
    refused(invoke("nonsense"), "No such command")


@pytest.mark.parametrize("row, message", [
    ("18446744073709551616,18446744073709551617", "above 2^53"),
    ("-1,5", "negative count"),
    ("x,5", "expected a whole number"),
])
def test_count_csv_edge_cases(tmp_path, row, message):
    (tmp_path / "c.csv").write_text(f"e,n\n{row}\n3,4\n")
    refused(invoke("pool", tmp_path / "c.csv", "--events", "e", "--total", "n"), message)


def test_api_messages_name_the_problem():
    import numpy as np

    from jakisynth.stats.proportions import pool_proportions

    with pytest.raises(InputError, match=r"totals\[0\]: 9223372036854775808 is too large"):
        pool_proportions(np.array([1], dtype=np.uint64), np.array([2**63], dtype=np.uint64))
    with pytest.raises(InputError, match="^study_ci: expected one of 'exact', 'wilson'"):
        pool_proportions([1], [2], study_ci="clopper")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.sampled_from('0123456789,-.e \n"ab\x00é'), max_size=80))
def test_hypothesis_count_csv(tmp_path, text):
    from jakisynth.evidence.counts import read_count_table
    from jakisynth.stats.proportions import fit_proportions

    (tmp_path / "c.csv").write_text("e,n\n" + text, encoding="utf-8")
    try:
        table = read_count_table(tmp_path / "c.csv", events="e", total="n")
        result = fit_proportions(table.events, table.totals, tau2="DL")
    except InputError as err:
        assert "\n" not in str(err)
        return
    json.dumps(result.to_dict(), allow_nan=False)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_hypothesis_yaml_text(text):
    from jakisynth.evidence.yamlio import load_yaml_text

    try:
        loaded = load_yaml_text(text, "f.yaml")
    except EvidenceError as err:
        assert err.problems and all("\n" not in str(p) for p in err.problems)
        return
    assert isinstance(loaded.data, dict)


_EXTRACTION = (ROOT / "evidence/wang2023.yaml").read_text()


@settings(max_examples=60, deadline=None)
@given(st.integers(0, len(_EXTRACTION) - 1), st.text(alphabet=':-[]{}"\'#&*!|>\n 0', max_size=6))
def test_hypothesis_mutated_extraction(position, insert):
    from jakisynth.evidence.validate import cross_field_problems, extraction_schema, schema_problems
    from jakisynth.evidence.yamlio import load_yaml_text

    try:
        loaded = load_yaml_text(_EXTRACTION[:position] + insert + _EXTRACTION[position:], "wang2023.yaml")
    except EvidenceError:
        return
    if not schema_problems(loaded, extraction_schema()):
        cross_field_problems(loaded)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(-2, 2**64), st.integers(-2, 2**64)), min_size=0, max_size=6),
       st.sampled_from(["logit", "ft", "arcsine", "log", "raw"]), st.sampled_from(["DL", "HE", "SJ"]),
       st.sampled_from(["z", "hk"]))
def test_hypothesis_pooling_api(pairs, transform, tau2, ci):
    from jakisynth.stats.proportions import fit_proportions

    try:
        result = fit_proportions([e for e, _ in pairs], [n for _, n in pairs], transform=transform,
                                 tau2=tau2, ci=ci)
    except InputError as err:
        assert "\n" not in str(err)
        return
    json.dumps(result.to_dict(), allow_nan=False)
