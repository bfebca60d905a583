"""Stage 4, report: result objects -> tables, figures, the HTML report and the written outputs.

Output tables (``tables``); figure specifications, data only and drawn by kind (``figures``);
drawing (``forest`` with its rows in ``forest_rows``, ``cumulative_plot``, ``matrix_plot``, the
shared canvas, text measurement and saving in ``figure_base``; ``plotting`` gathers the entry
points); the self-contained HTML report (``html``) and atomic, deterministic writing
(``outputs``, ``files``). Drawing computes no statistics.

May import every earlier stage (tests/test_architecture.py).
"""
