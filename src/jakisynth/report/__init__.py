"""Stage 4, report: result objects -> tables, figures, the HTML report and the written outputs.

Output tables (``tables``), figure specifications and drawing (``figures``, ``plotting``), the
self-contained HTML report (``html``) and atomic, deterministic writing (``outputs``, ``files``).
Plotting computes no statistics.

May import every earlier stage (tests/test_architecture.py).
"""
