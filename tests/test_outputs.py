"""The outputs writer: atomic, deterministic, manifest, stale-output removal, nothing else touched."""

import json

import pandas as pd
import pytest

from jakisynth.errors import OutputError
from jakisynth.report.files import sha256
from jakisynth.report.outputs import OutputSet, frame_to_csv, frame_to_markdown, write_outputs


def test_manifest_lists_inputs_and_outputs_with_hashes(tmp_path):
    outputs = OutputSet()
    outputs.add("a.txt", "alpha\n")
    outputs.add("sub/b.bin", b"\x00\x01")
    manifest = write_outputs(outputs, tmp_path, inputs={"evidence/x.yaml": b"x: 1\n"},
                             version="0.1.0", extra={"evidence_version": "abc"})
    assert (tmp_path / "a.txt").read_text() == "alpha\n"
    assert (tmp_path / "sub/b.bin").read_bytes() == b"\x00\x01"
    on_disk = json.loads((tmp_path / "manifest.json").read_text())
    assert on_disk == manifest
    assert on_disk["outputs"] == {"a.txt": sha256(b"alpha\n"), "sub/b.bin": sha256(b"\x00\x01")}
    assert on_disk["inputs"] == {"evidence/x.yaml": sha256(b"x: 1\n")}
    assert on_disk["evidence_version"] == "abc" and on_disk["version"] == "0.1.0"
    assert not list(tmp_path.rglob("*.tmp"))


def test_second_write_changes_no_byte_and_stale_outputs_are_removed(tmp_path):
    first = OutputSet()
    first.add("keep.txt", "same\n")
    first.add("old/gone.txt", "bye\n")
    write_outputs(first, tmp_path, inputs={}, version="0.1.0")
    (tmp_path / "user-notes.txt").write_text("not ours")
    before = (tmp_path / "keep.txt").stat().st_mtime_ns
    second = OutputSet()
    second.add("keep.txt", "same\n")
    write_outputs(second, tmp_path, inputs={}, version="0.1.0")
    assert (tmp_path / "keep.txt").stat().st_mtime_ns == before  # unchanged file not rewritten
    assert not (tmp_path / "old").exists()  # stale output and its empty directory removed
    assert (tmp_path / "user-notes.txt").read_text() == "not ours"  # never ours: kept


def test_tables_are_deterministic_csv_and_markdown():
    frame = pd.DataFrame({"study": ["Liu 2024", "Wang|2023"], "estimate": [0.8867924528301887, None]})
    # floats at 10 significant digits (files.SIGNIFICANT_DIGITS), missing as empty
    assert frame_to_csv(frame) == "study,estimate\nLiu 2024,0.8867924528\nWang|2023,\n"
    assert frame_to_markdown(frame).splitlines() == [
        "| study | estimate |", "|---|---|", "| Liu 2024 | 0.8868 |", "| Wang\\|2023 |  |"]


def test_a_tampered_manifest_cannot_delete_outside_the_output_directory(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    # without the generator mark the directory is not ours: refused, nothing touched
    (out / "manifest.json").write_text(json.dumps({"outputs": {"../victim.txt": "0"}}))
    with pytest.raises(OutputError, match="not written by jakisynth"):
        write_outputs(OutputSet(), out, inputs={}, version="0.1.0")
    # with it, a listed path outside the directory is never touched
    (out / "manifest.json").write_text(json.dumps(
        {"generator": "jakisynth", "outputs": {"../victim.txt": sha256(b"precious")}}))
    write_outputs(OutputSet(), out, inputs={}, version="0.1.0")
    assert victim.read_text() == "precious"


def test_a_listed_file_is_removed_only_with_the_recorded_hash(tmp_path):
    (tmp_path / "thesis.docx").write_bytes(b"years of work")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes/todo.txt").write_text("call Liu")
    (tmp_path / "manifest.json").write_text(json.dumps(
        {"generator": "jakisynth", "outputs": {"thesis.docx": sha256(b"other"),
                                               "notes/todo.txt": "0" * 64}}))
    write_outputs(OutputSet(), tmp_path, inputs={}, version="0.1.0")
    assert (tmp_path / "thesis.docx").read_bytes() == b"years of work"
    assert (tmp_path / "notes/todo.txt").read_text() == "call Liu"


def test_a_foreign_file_with_an_output_name_is_refused(tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps({"generator": "jakisynth", "outputs": {}}))
    (tmp_path / "report.html").write_text("my own report")
    outputs = OutputSet()
    outputs.add("report.html", "generated")
    with pytest.raises(OutputError, match="report.html: exists and was not written by jakisynth"):
        write_outputs(outputs, tmp_path, inputs={}, version="0.1.0")
    assert (tmp_path / "report.html").read_text() == "my own report"
    assert sorted(p.name for p in tmp_path.parent.iterdir() if "jakisynth-" in p.name) == []


def test_outputs_get_the_mode_the_umask_gives(tmp_path):
    import os
    import stat

    old = os.umask(0o022)
    try:
        outputs = OutputSet()
        outputs.add("tables/a.csv", "x\n")
        write_outputs(outputs, tmp_path / "out", inputs={}, version="0.1.0")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "out/tables/a.csv").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "out/manifest.json").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "out").stat().st_mode) == 0o755


def test_written_floats_do_not_depend_on_the_last_bits():
    """Two fits that differ in the last bits (another CPU, another BLAS) write the same bytes."""
    from jakisynth.report.files import stable_float, stable_floats

    a, b = 1.2075643099483737, 1.2075643099483735  # seen: one GLMM tau2 before/after a refactor
    assert a != b and stable_float(a) == stable_float(b) == 1.20756431
    assert repr(stable_float(-0.0)) == "0.0"
    assert stable_floats({"x": [0.30000000000000004, None, 3, "a"], "y": (1e-300,)}) == \
        {"x": [0.3, None, 3, "a"], "y": [1e-300]}


def test_atomic_write_gives_the_umask_mode_not_0600(tmp_path):
    import os
    import stat

    from jakisynth.report.files import atomic_write

    old = os.umask(0o022)
    try:
        atomic_write(tmp_path / "x.csv", b"a\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "x.csv").stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["x.csv"]
