"""The committed evidence base: valid, and every quote found in its source text.

The quote check needs the seed texts, which live outside the repository (../shared/seeds/); it
runs when they are there (as in CI) and is skipped otherwise.
"""

from pathlib import Path

import pytest
from click.testing import CliRunner

from jakisynth.cli import main
from jakisynth.evidence.validate import load_evidence

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"


def test_evidence_is_valid():
    studies = load_evidence(ROOT / "evidence")
    assert sorted(studies) == ["beckett2024", "liu2024", "wang2023"]
    assert len(studies["beckett2024"].data["patients"]["rows"]) == 10
    liu_rows = sum(len(t["rows"]) for t in studies["liu2024"].data["characteristics"])
    assert liu_rows == 62  # every row of Tables 1 (28) and 2 (34)


@pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/seeds/ not present")
def test_every_quote_occurs_in_its_source_and_contains_its_numbers():
    result = CliRunner().invoke(main, ["validate", str(ROOT / "evidence"), "--sources", str(SEEDS)])
    assert result.exit_code == 0, result.output
