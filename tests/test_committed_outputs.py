"""The committed outputs/ equal a fresh `jakisynth run` of evidence/, byte for byte.

This is what the README's first command promises a new user. The run goes into a copy of
outputs/ (the changelog keeps its history there), so the committed files are never touched.
"""

import shutil
from pathlib import Path

from click.testing import CliRunner

from jakisynth.cli import main

ROOT = Path(__file__).resolve().parent.parent


def _tree(path: Path) -> dict[str, bytes]:
    return {p.relative_to(path).as_posix(): p.read_bytes()
            for p in sorted(path.rglob("*")) if p.is_file()}


def test_committed_outputs_equal_a_fresh_run(tmp_path):
    committed = ROOT / "outputs"
    assert (committed / "manifest.json").is_file(), "outputs/ is not committed: run `jakisynth run`"
    out = tmp_path / "outputs"
    shutil.copytree(committed, out)
    result = CliRunner().invoke(main, ["run", "--evidence", str(ROOT / "evidence"),
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    fresh, before = _tree(out), _tree(committed)
    assert sorted(fresh) == sorted(before)
    changed = [name for name in fresh if fresh[name] != before[name]]
    assert not changed, f"outputs differ from a fresh run: {changed}"


def test_a_committed_figure_redrawn_from_scratch_is_byte_identical():
    """The run reuses figures whose inputs are unchanged; this redraws one without the cache."""
    import json

    from jakisynth.evidence.plan import load_plan
    from jakisynth.evidence.validate import load_evidence
    from jakisynth.report.figures import draw, figure_specs
    from jakisynth.report.plotting import figure_bytes
    from jakisynth.synthesis.analysis import run_plan

    loaded = load_evidence(ROOT / "evidence")
    studies = {sid: item.data for sid, item in loaded.items()}
    results = run_plan(load_plan(ROOT / "evidence", loaded), studies)
    spec = next(s for s in figure_specs(results, studies) if s.name == "forest_primary")
    manifest = json.loads((ROOT / "outputs/manifest.json").read_text())
    assert manifest["figure_keys"]["forest_primary"] == spec.key
    fig = draw(spec)
    for fmt in ("png", "svg", "pdf"):
        assert figure_bytes(fig, fmt) == (ROOT / f"outputs/figures/forest_primary.{fmt}").read_bytes()
