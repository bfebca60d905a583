"""Stage 1, evidence: YAML -> validated evidence -> the analysis plan.

Safe YAML loading with line numbers (``yamlio``), the controlled vocabulary (``vocab``), the
extraction schema and cross-field checks (``validate``, no printing), quote checks against the
source texts (``sources``), the analysis plan (``plan``), the study-id rule (``ids``), the
template of a new extraction (``template``), the count tables of ``jakisynth pool`` (``counts``)
and the typed read-only view of one series (``series``).

Imports nothing of jakisynth but ``evidence`` and ``errors`` (tests/test_architecture.py).
"""
