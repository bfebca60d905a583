"""Stage 2, statistics: per-study effects -> pooling -> typed result objects.

Effect sizes and back-transformations (``effects``), τ² estimators (``tau2``), the
inverse-variance engine (``pooling``), the GLMM (``glmm``), the public ``pool_proportions``
(``proportions``), subgroups, leave-one-out and cumulative analyses (``sensitivity``), result
objects and caveats (``results``, ``caveats``), exact tests, rounding and quantile arithmetic.

Imports nothing of jakisynth but ``stats`` and ``errors`` (tests/test_architecture.py): numpy and
scipy in, typed results out, no files and no text formatting beyond a result's ``str()``.
"""
