"""The figures' public entry points, in one place (each is drawn by its own module).

Stage "report". Drawing computes NO statistics: every number in a figure is one given to it,
formatted by :mod:`jakisynth.stats.format`.

- :func:`forest_plot` (:mod:`.forest`, rows in :mod:`.forest_rows`): forest plots, as R's
  ``meta::forest``;
- :func:`cumulative_plot` (:mod:`.cumulative_plot`): the cumulative meta-analysis;
- :func:`prior_therapy_matrix_plot` (:mod:`.matrix_plot`): patients x prior therapies;
- :func:`figure_bytes`, :func:`save_figure` (:mod:`.figure_base`): deterministic PNG/SVG/PDF.
"""

from __future__ import annotations

from .cumulative_plot import cumulative_plot
from .figure_base import figure_bytes, save_figure
from .forest import forest_plot
from .forest_rows import caution_lines, default_model_label, heterogeneity_text, subgroup_test_text
from .matrix_plot import STATUS_STYLE, prior_therapy_matrix_plot

__all__ = ["forest_plot", "cumulative_plot", "prior_therapy_matrix_plot", "figure_bytes",
           "save_figure", "heterogeneity_text", "subgroup_test_text", "default_model_label",
           "caution_lines", "STATUS_STYLE"]
