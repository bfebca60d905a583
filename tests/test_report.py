"""The committed report: self-contained, complete, parseable, with unique ids."""

import re
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORT = (ROOT / "outputs/report.html").read_text(encoding="utf-8")


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids = []
        self.tags = 0

    def handle_starttag(self, tag, attrs):
        self.tags += 1
        self.ids.extend(v for k, v in attrs if k == "id")


def test_no_network_requests():
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', REPORT)
    assert "@import" not in REPORT
    assert not re.search(r"url\((?!#)", REPORT)
    assert "<script" not in REPORT


def test_ids_unique_and_html_parses():
    parser = _Ids()
    parser.feed(REPORT)
    assert parser.tags > 500
    duplicates = {i for i in parser.ids if parser.ids.count(i) > 1}
    assert not duplicates


def test_sections_numbers_warnings_and_provenance():
    for heading in ("Summary", "What was pooled", "Methods", "Results", "Warnings",
                    "Study characteristics", "Prior therapies", "Risk of bias",
                    "Consistency of the reported statistics", "Limitations"):
        assert f">{heading}</h2>" in REPORT, heading
    assert "89.2%" in REPORT  # primary pooled estimate (results.json)
    assert "47 / 53" in REPORT and "8 / 8" in REPORT and "3 / 3" in REPORT
    assert "k = 3 &lt; 5" in REPORT
    assert 'rma(measure = &#34;PLO&#34;, xi = c(3, 8, 47), ni = c(3, 8, 53)' in REPORT
    assert "rma.glmm" in REPORT
    assert "only signed-rank, exact reproduces 0.0625" in REPORT  # a flagged consistency row
    assert REPORT.count("<svg") >= 12  # every figure inline
    assert "Evidence-base version" in REPORT


def test_deterministic_no_dates():
    assert not re.search(r"20\d\d-\d\d-\d\dT\d\d:", REPORT)
    assert "Generated on" not in REPORT


def test_methods_text_comes_from_what_was_fitted():
    from jakisynth import pool_proportions
    from jakisynth.report.html import model_text

    k2 = model_text(pool_proportions([3, 9, 47, 20], [5, 10, 53, 30], pi_df="k-2"))
    assert "prediction interval with t on k-2 degrees of freedom" in k2
    assert "continuity correction" not in k2  # no study at 0% or 100%
    glmm = model_text(pool_proportions([3, 9, 47], [3, 10, 53], method="glmm", n_agq=15))
    assert "quadrature with 15 nodes" in glmm
    hk = model_text(pool_proportions([3, 9, 47], [3, 10, 53], ci="hk"))
    assert "continuity correction of 1/2" in hk
    assert "Hartung-Knapp confidence interval (t on k-1 degrees of freedom)" in hk
