"""File helpers shared by every stage that writes: atomic writes, content hashes and the
precision at which numbers are written."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

#: significant digits of every float written to an output (results.json, evidence.json, CSV,
#: figure inputs). Iterative fits (REML, GLMM) can differ in the last bits between CPUs and
#: BLAS builds; 10 digits keep the outputs byte-identical across machines and are far finer
#: than the 1e-6 agreement with metafor (R prints 7).
SIGNIFICANT_DIGITS = 10


def stable_float(value: float) -> float:
    """``value`` rounded to :data:`SIGNIFICANT_DIGITS` significant digits (0.0 for -0.0)."""
    rounded = float(f"{value:.{SIGNIFICANT_DIGITS}g}")
    return rounded + 0.0


def stable_floats(obj):
    """A copy of a JSON-like structure with every float passed through :func:`stable_float`."""
    if isinstance(obj, float):
        return stable_float(obj) if obj == obj and abs(obj) != float("inf") else obj
    if isinstance(obj, dict):
        return {key: stable_floats(value) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [stable_floats(value) for value in obj]
    return obj


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def atomic_write(path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (same-directory temporary file, then ``os.replace``):
    a reader never sees half a file, and a failure leaves the old file and no temporary one.
    The file gets the mode a new file gets under the umask (0644 under umask 022), not
    ``mkstemp``'s 0600."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~current_umask())
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def current_umask() -> int:
    """The process umask (read by setting it and putting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
