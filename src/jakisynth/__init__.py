"""jakisynth: living evidence synthesis of small clinical case series.

The data flow, one subpackage per stage (each imports only from earlier ones; a test,
tests/test_architecture.py, enforces it)::

    YAML -> evidence/   (yamlio, schema, validate, vocab, sources, plan, series view)
         -> stats/      (effects yi, vi -> tau2 -> pooling / glmm -> results, caveats)
         -> synthesis/  (the plan run on the evidence, consistency, prior therapy, living)
         -> report/     (tables, figures, HTML report, written outputs)
         -> run.py (orchestration), cli.py (command line), errors.py (shared errors)

Heavy libraries are imported lazily so that ``jakisynth --help`` stays fast.
"""

__version__ = "0.1.0"

__all__ = ["pool_proportions", "pool_many", "__version__"]


def __getattr__(name):  # PEP 562: lazy import of the public API
    if name == "pool_proportions":
        from .stats.proportions import pool_proportions

        return pool_proportions
    if name == "pool_many":
        from .stats.many import pool_many

        return pool_many
    raise AttributeError(f"module 'jakisynth' has no attribute {name!r}")
