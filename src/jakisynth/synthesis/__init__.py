"""Stage 3, synthesis: the plan run on the evidence.

Running every analysis of the plan (``analysis``), the consistency walk over the extractions
(``consistency``), prior therapies (``prior_therapy``) and living updates (``living``).

May import ``evidence``, ``stats`` and ``errors``; never ``report`` (tests/test_architecture.py).
"""
