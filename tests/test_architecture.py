"""The stage layout as a contract: what each subpackage may import, and module size.

evidence -> stats -> synthesis -> report: ``stats`` and ``evidence`` import nothing of jakisynth
but themselves and ``errors``; ``synthesis`` may add ``evidence`` and ``stats``; ``report`` may
import any stage; no stage imports the top (``run``, ``cli``, the package ``__init__``).
"""

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "src" / "jakisynth"
STAGES = ("evidence", "stats", "synthesis", "report")
ALLOWED = {
    "evidence": {"evidence", "errors"},
    "stats": {"stats", "errors"},
    "synthesis": {"synthesis", "evidence", "stats", "errors"},
    "report": {"report", "synthesis", "evidence", "stats", "errors"},
}
MAX_LINES = 420  # "about 400 lines per module at most"


def _modules():
    return sorted(PKG.rglob("*.py"))


def _stage(path: Path) -> str:
    parts = path.relative_to(PKG).parts
    return parts[0] if len(parts) > 1 else "top"


def _imported(path: Path) -> set[str]:
    """The first component below ``jakisynth`` of every import of ours in ``path``."""
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    package = path.relative_to(PKG).parent.parts  # () for top-level modules
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(package[:len(package) - (node.level - 1)]) if node.level > 1 else list(package)
                if node.level - 1 > len(package):
                    raise AssertionError(f"{path}: relative import beyond the package")
                target = base + (node.module.split(".") if node.module else [])
                names = [target[0]] if target else [a.name for a in node.names]
            elif node.module and node.module.split(".")[0] == "jakisynth":
                parts = node.module.split(".")[1:]
                names = [parts[0]] if parts else [a.name for a in node.names]
            else:
                continue
            found.update(names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "jakisynth" and len(parts) > 1:
                    found.add(parts[1])
    return found


def _as_stage(name: str) -> str:
    if name in STAGES:
        return name
    return "errors" if name == "errors" else "top"


@pytest.mark.parametrize("path", [p for p in _modules() if _stage(p) in STAGES],
                         ids=lambda p: str(p.relative_to(PKG)))
def test_stage_imports_only_earlier_stages(path):
    stage = _stage(path)
    bad = sorted(n for n in _imported(path) if _as_stage(n) not in ALLOWED[stage])
    assert not bad, f"{path.relative_to(PKG)} ({stage}) imports {bad}"


def test_the_contract_is_checked_against_real_imports():
    # The parser must see cross-stage imports, or the test above could never fail.
    assert {"evidence", "stats"} <= _imported(PKG / "synthesis" / "analysis.py")
    assert "synthesis" in _imported(PKG / "report" / "html.py")
    assert _imported(PKG / "stats" / "pooling.py") <= {"stats", "errors"}


def test_every_module_belongs_to_a_stage_or_the_top():
    top = {p.name for p in PKG.glob("*.py")}
    assert top == {"__init__.py", "cli.py", "run.py", "errors.py"}


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PKG)))
def test_module_size(path):
    lines = len(path.read_text("utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(PKG)} has {lines} lines (at most {MAX_LINES})"
