"""The command line's entry point: version and help without importing the heavy libraries."""

import subprocess
import sys

from click.testing import CliRunner

from jakisynth import __version__
from jakisynth.cli import main


def test_version_matches_package():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"jakisynth, version {__version__}"


def test_help_does_not_import_heavy_libraries():
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from jakisynth.cli import main\n"
        "r = CliRunner().invoke(main, ['--help'])\n"
        "assert r.exit_code == 0, r.output\n"
        "heavy = [m for m in ('pandas', 'numpy', 'scipy', 'matplotlib', 'statsmodels') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
