"""jakisynth: living evidence synthesis of small clinical case series.

The data flow, one module per stage (each imports only from earlier ones)::

    YAML -> yamlio (safe loading, line numbers) -> schema/validate (validated evidence)
         -> tables (tidy DataFrames) -> effects (per-study yi, vi) -> tau2 / pooling / glmm
         -> results (typed result objects) -> consistency, prior_therapy, plotting, report
         -> run / living (outputs) -> cli

Heavy libraries are imported lazily so that ``jakisynth --help`` stays fast.
"""

__version__ = "0.1.0"

__all__ = ["pool_proportions", "__version__"]


def __getattr__(name):  # PEP 562: lazy import of the public API
    if name == "pool_proportions":
        from .proportions import pool_proportions

        return pool_proportions
    raise AttributeError(f"module 'jakisynth' has no attribute {name!r}")
