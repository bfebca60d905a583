"""The study-id rule, in one place: read from the extraction schema's ``study_id`` pattern.

Stage "evidence". A study id is lower case letters, digits and ``_``, starting with a letter and
ending with the year (``liu2024``, ``liu2024b``). Python's ``re`` lets ``$`` match before a final
newline, so ids are always checked with :func:`re.fullmatch` (the whole text, ``\\A...\\Z``).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=1)
def study_id_pattern() -> re.Pattern:
    """The compiled ``study_id`` pattern of ``schema/extraction.schema.json`` (anchors dropped)."""
    schema = json.loads(resources.files(__package__).joinpath(
        "schema/extraction.schema.json").read_text("utf-8"))
    pattern = schema["properties"]["study_id"]["pattern"]
    return re.compile(pattern.removeprefix("^").removesuffix("$"))


def is_study_id(value) -> bool:
    """True when ``value`` is a text that is a study id as a whole (no trailing newline)."""
    return isinstance(value, str) and study_id_pattern().fullmatch(value) is not None
