"""The output directory: ownership, the lock, the staged switch, leftovers of killed runs.

The kill test SIGKILLs forked runs at every kind of point of the write phase (before each file
written or linked, before the exchange, after it) and checks that the output directory then
holds the old set or the new one, byte for byte, and that the next run gives a clean set. The
race test runs two real processes on one directory: both entries end up in the changelog.
"""

import hashlib
import json
import os
import random
import select
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from jakisynth.errors import OutputError
from jakisynth.report import staging
from jakisynth.report.outputs import OutputSet, write_outputs

ROOT = Path(__file__).resolve().parent.parent


def tree(path: Path) -> dict[str, str]:
    """sha256 of every file under ``path`` (symlinks as their target), the lock file left out."""
    out = {}
    for p in sorted(Path(path).rglob("*")):
        rel = p.relative_to(path).as_posix()
        if p.name == staging.LOCK:
            continue
        if p.is_symlink():
            out[rel] = "-> " + os.readlink(p)
        elif p.is_file():
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if ".jakisynth-" in p.name)


def _one(name: str, text: str) -> OutputSet:
    outputs = OutputSet()
    outputs.add(name, text)
    return outputs


# ---- ownership ------------------------------------------------------------------------------

def test_only_an_empty_new_or_own_directory_is_accepted(tmp_path):
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    (tmp_path / "file").write_text("x")
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "thesis.docx").write_text("years")
    cases = {
        "file": "is a file, not a directory",
        "evidence": "is the evidence directory",
        "evidence/out": "inside the evidence directory",
        ".": "contains the evidence directory",
        "foreign": "was not written by jakisynth",
    }
    cwd = os.getcwd()
    try:
        os.chdir(ROOT)
        for name, message in cases.items():
            with pytest.raises(OutputError, match=message):
                staging.check_target(tmp_path / name, evidence_dir=evidence)
        with pytest.raises(OutputError, match="current directory"):
            os.chdir(foreign)
            staging.check_target(foreign)
    finally:
        os.chdir(cwd)
    assert staging.check_target(tmp_path / "new" / "deeper") == (tmp_path / "new/deeper").resolve()
    (tmp_path / "empty").mkdir()
    assert staging.check_target(tmp_path / "empty") == (tmp_path / "empty").resolve()


@pytest.mark.parametrize("manifest", ["[]", "{}", '{"outputs": {}}', "not json",
                                      '{"generator": "jakisynth", "outputs": []}'])
def test_a_manifest_jakisynth_did_not_write_makes_the_directory_foreign(tmp_path, manifest):
    (tmp_path / "manifest.json").write_text(manifest)
    before = tree(tmp_path)
    with pytest.raises(OutputError, match="not written by jakisynth"):
        write_outputs(_one("a.txt", "a"), tmp_path, inputs={}, version="0")
    assert tree(tmp_path) == before


def test_user_files_in_an_owned_directory_are_carried_over(tmp_path):
    out = tmp_path / "out"
    first = OutputSet()
    first.add("figures/a.png", b"A")
    first.add("b.txt", "B")
    write_outputs(first, out, inputs={}, version="0")
    (out / "notes").mkdir()
    (out / "notes/todo.txt").write_text("call Liu")
    (out / "figures/mine.png").write_bytes(b"drawn by hand")
    os.symlink("b.txt", out / "link")
    (out / "b.txt").write_text("edited by the user")  # ours, edited: rewritten
    write_outputs(_one("b.txt", "B2"), out, inputs={}, version="0")
    assert tree(out) == {
        "b.txt": hashlib.sha256(b"B2").hexdigest(),
        "figures/mine.png": hashlib.sha256(b"drawn by hand").hexdigest(),
        "link": "-> b.txt",
        "manifest.json": tree(out)["manifest.json"],
        "notes/todo.txt": hashlib.sha256(b"call Liu").hexdigest(),
    }
    assert leftovers(out) == [] and not (out / staging.LOCK).exists()


def test_a_stale_output_the_user_edited_is_kept(tmp_path):
    write_outputs(_one("old.txt", "ours"), tmp_path / "o", inputs={}, version="0")
    (tmp_path / "o/old.txt").write_text("annotated by the user")
    write_outputs(OutputSet(), tmp_path / "o", inputs={}, version="0")
    assert (tmp_path / "o/old.txt").read_text() == "annotated by the user"


def test_an_output_directory_where_a_file_is_refused(tmp_path):
    write_outputs(_one("figures/a.png", b"A"), tmp_path / "o", inputs={}, version="0")
    shutil.rmtree(tmp_path / "o/figures")
    (tmp_path / "o/figures").write_text("a file")
    before = tree(tmp_path / "o")
    with pytest.raises(OutputError, match="figures: jakisynth writes a directory there"):
        write_outputs(_one("figures/a.png", b"A"), tmp_path / "o", inputs={}, version="0")
    assert tree(tmp_path / "o") == before


def test_temporary_files_of_older_versions_are_removed(tmp_path):
    write_outputs(_one("CHANGELOG.md", "x"), tmp_path / "o", inputs={}, version="0")
    (tmp_path / "o/.CHANGELOG.md.k3j_x9ab.tmp").write_text("half")
    (tmp_path / "o/.mine.k3j_x9ab.tmp").write_text("not one of ours")
    write_outputs(_one("CHANGELOG.md", "y"), tmp_path / "o", inputs={}, version="0")
    assert sorted(tree(tmp_path / "o")) == [".mine.k3j_x9ab.tmp", "CHANGELOG.md", "manifest.json"]


# ---- switch, leftovers, lock ----------------------------------------------------------------

def test_the_two_rename_fallback_switches_too(tmp_path, monkeypatch):
    write_outputs(_one("a.txt", "1"), tmp_path / "o", inputs={}, version="0")
    monkeypatch.setattr(staging, "_renameat2_exchange", lambda a, b: False)
    write_outputs(_one("a.txt", "2"), tmp_path / "o", inputs={}, version="0")
    assert (tmp_path / "o/a.txt").read_text() == "2" and leftovers(tmp_path / "o") == []


def test_a_missing_directory_is_restored_from_an_interrupted_fallback_switch(tmp_path):
    write_outputs(_one("a.txt", "1"), tmp_path / "o", inputs={}, version="0")
    os.rename(tmp_path / "o", tmp_path / ".o.jakisynth-old-99999")
    (tmp_path / ".o.jakisynth-stage-99998").mkdir()  # a half-built new set
    write_outputs(_one("a.txt", "2"), tmp_path / "o", inputs={}, version="0")
    assert (tmp_path / "o/a.txt").read_text() == "2" and leftovers(tmp_path / "o") == []


def test_a_second_run_waits_for_the_lock(tmp_path):
    out = (tmp_path / "o").resolve()
    code = ("import sys; from jakisynth.report.outputs import OutputSet, write_outputs\n"
            "o = OutputSet(); o.add('a.txt', 'second')\n"
            f"write_outputs(o, {str(out)!r}, inputs={{}}, version='0')\n")
    with staging.output_lock(out):
        child = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True)
        ready, _, _ = select.select([child.stderr], [], [], 120)
        first = child.stderr.readline() if ready else ""
        assert "waiting for another jakisynth run" in first, first
        assert child.poll() is None and not (out / "a.txt").exists()
    _, err = child.communicate(timeout=120)
    assert child.returncode == 0, err
    assert (out / "a.txt").read_text() == "second" and not (out / staging.LOCK).exists()


# ---- kill and race --------------------------------------------------------------------------

HOOKS = ("recover", "_carry", "_place", "_write_new", "_prune_empty", "_lock_new", "_sync_dir",
         "_exchange")


def _evidence(tmp_path: Path, name: str, comment: str) -> Path:
    target = tmp_path / name
    shutil.copytree(ROOT / "evidence", target)
    with open(target / "liu2024.yaml", "a", encoding="utf-8") as handle:
        handle.write(f"# {comment}\n")
    return target


def _run_counting(evidence, out, kill_at=None) -> int:
    """Run in this process (kill_at None) or in a forked child killed before write-phase call
    number ``kill_at``; return the number of write-phase calls (parent) or the wait status."""
    from jakisynth.run import run

    calls = [0]
    originals = {name: getattr(staging, name) for name in HOOKS}

    def hooked(name):
        def call(*args, **kwargs):
            calls[0] += 1
            if kill_at is not None and calls[0] == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
            return originals[name](*args, **kwargs)
        return call

    if kill_at is None:
        for name in HOOKS:
            setattr(staging, name, hooked(name))
        try:
            run(evidence, out)
        finally:
            for name, fn in originals.items():
                setattr(staging, name, fn)
        return calls[0]
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            for name in HOOKS:
                setattr(staging, name, hooked(name))
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            run(evidence, out)
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    return status


def _memoise_the_pure_stages(monkeypatch):
    """Loading, fitting and the consistency check depend on the evidence only: computed once
    (the forked children inherit the cache), so each trial costs its write phase."""
    import jakisynth.evidence.plan as plan_module
    import jakisynth.evidence.validate as validate_module
    import jakisynth.synthesis.analysis as analysis_module
    import jakisynth.synthesis.consistency as consistency_module

    for module, name in ((validate_module, "load_evidence"), (plan_module, "load_plan"),
                         (analysis_module, "run_plan"), (consistency_module, "check_evidence")):
        cache = {}
        original = getattr(module, name)

        def memo(*args, _original=original, _cache=cache):
            first = args[0]  # the evidence directory, or an object cached upstream
            key = str(first) if isinstance(first, (str, Path)) else id(first)
            if key not in _cache:
                _cache[key] = _original(*args)
            return _cache[key]
        monkeypatch.setattr(module, name, memo)


@pytest.mark.slow
def test_sigkill_during_the_write_phase_leaves_the_old_or_the_new_set(tmp_path, monkeypatch):
    _memoise_the_pure_stages(monkeypatch)
    old_evidence = _evidence(tmp_path, "ev_old", "version one")
    new_evidence = _evidence(tmp_path, "ev_new", "version two")
    baseline = tmp_path / "baseline"
    _run_counting(old_evidence, baseline)
    reference = tmp_path / "reference"
    shutil.copytree(baseline, reference)
    points = _run_counting(new_evidence, reference)
    old, new = tree(baseline), tree(reference)
    assert old != new and points > 10
    rng = random.Random(15)
    kill_points = sorted({1, 2, points, points - 1, *rng.sample(range(3, points - 1), 4)})
    seen = {"old": 0, "new": 0}
    for i, point in enumerate(kill_points):
        out = tmp_path / f"trial{i}" / "outputs"
        shutil.copytree(baseline, out)
        status = _run_counting(new_evidence, out, kill_at=point)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, point
        state = tree(out)
        assert state in (old, new), f"killed at write-phase call {point}: a mixed set"
        seen["old" if state == old else "new"] += 1
        _run_counting(new_evidence, out)  # the next run: clean new set, no leftovers
        assert tree(out) == new, point
        assert leftovers(out) == [] and not (out / staging.LOCK).exists()
    assert seen["old"] and seen["new"], seen  # both sides of the switch were hit


@pytest.mark.slow
def test_two_concurrent_runs_both_record_their_changelog_entry(tmp_path):
    from jakisynth.run import evidence_files, evidence_version

    baseline = tmp_path / "outputs"
    shutil.copytree(ROOT / "outputs", baseline)
    evidence = [_evidence(tmp_path, f"ev{i}", f"race {i}") for i in (1, 2)]
    versions = [evidence_version(evidence_files(e))[:12] for e in evidence]
    procs = [subprocess.Popen([sys.executable, "-m", "jakisynth.cli", "run", "--evidence", str(e),
                               "--out", str(baseline)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, cwd=tmp_path) for e in evidence]
    outs = [p.communicate(timeout=600) for p in procs]
    for proc, (stdout, stderr) in zip(procs, outs):
        assert proc.returncode == 0, stderr
        assert "changelog updated" in stdout and "Traceback" not in stderr
    changelog = (baseline / "CHANGELOG.md").read_text()
    for version in versions:
        assert changelog.count(f"## Evidence version {version} ") == 1, version
    manifest = json.loads((baseline / "manifest.json").read_text())
    assert manifest["evidence_version"][:12] in versions
    assert leftovers(baseline) == [] and not (baseline / staging.LOCK).exists()
