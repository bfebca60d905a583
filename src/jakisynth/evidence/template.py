"""``jakisynth new``: a new extraction file from the commented template.

Stage "evidence". The template (``templates/extraction.yaml``) carries every field of the
extraction schema with a comment; ``__STUDY_ID__`` is replaced by the new id.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from ..errors import InputError
from .ids import is_study_id

PLACEHOLDER_ID = "__STUDY_ID__"
MAX_ID_LENGTH = 64


def new_extraction(evidence_dir, study_id: str) -> Path:
    """Write ``<evidence_dir>/<study_id>.yaml`` from the commented template; never overwrite."""
    if not is_study_id(study_id):
        raise InputError(f"ID: {study_id!r} is not a valid study id: lower case letters, digits "
                         "and '_', starting with a letter and ending with the year, e.g. smith2025")
    if len(study_id) > MAX_ID_LENGTH:
        raise InputError(f"ID: {study_id[:20]!r}... has {len(study_id)} characters; a study id "
                         f"has at most {MAX_ID_LENGTH} (e.g. smith2025)")
    target = Path(evidence_dir) / f"{study_id}.yaml"
    if target.exists():
        raise InputError(f"{target}: already exists; refusing to overwrite it")
    if not Path(evidence_dir).is_dir():
        raise InputError(f"{evidence_dir}: no such evidence directory")
    template = resources.files(__package__).joinpath("templates/extraction.yaml").read_text("utf-8")
    text = template.replace(PLACEHOLDER_ID, study_id)
    try:
        with open(target, "x", encoding="utf-8") as handle:  # "x": fails if created meanwhile
            handle.write(text)
    except FileExistsError:
        raise InputError(f"{target}: already exists; refusing to overwrite it") from None
    except OSError as err:
        raise InputError(f"{target}: cannot be written ({err.strerror})") from None
    return target
