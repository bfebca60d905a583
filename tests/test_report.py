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


def test_one_capitalisation_style_and_vocabulary_labels():
    assert ">Subgroups by JAK inhibitor</h3>" in REPORT
    assert ">Subgroups by condition treated</h3>" in REPORT
    assert "Subgroups by jak inhibitor" not in REPORT and "by Condition treated" not in REPORT
    assert "Tofacitinib: " in REPORT  # subgroup values by their vocabulary name
    assert "mycophenolate_mofetil" not in REPORT


def test_captions_say_what_is_drawn():
    glmm = REPORT.split('id="fig-glmm"')[1].split("</figure>")[0]
    assert "sized by study size (the GLMM has no study weights)" in glmm
    primary = REPORT.split('id="fig-primary"')[1].split("</figure>")[0]
    assert "sized by weight" in primary and "white: common effect" in primary
    assert "red bar: prediction interval" in primary


def test_consistency_verdicts_carry_their_reason():
    flagged = REPORT.split(">Consistency of the reported statistics</h2>")[1]
    assert "<th>Why</th>" in flagged
    assert "<td>test named in Methods does not reproduce; signed-rank does</td>" in flagged


def test_numeric_headers_are_marked_like_their_cells():
    """Every column whose cells are all numeric (td.n) has a th.n header (the browser test checks
    the computed alignment)."""
    tables = re.findall(r"<table>.*?</table>", REPORT, flags=re.S)
    assert len(tables) >= 8
    for table in tables:
        heads = re.findall(r"<th( class=\"n\")?>", table.split("</thead>")[0])
        body = table.split("<tbody>")[1] if "<tbody>" in table else ""
        rows = [re.findall(r"<td( class=\"n\")?>(.*?)</td>", r, flags=re.S)
                for r in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)]
        for i, head in enumerate(heads):
            cells = [r[i] for r in rows if i < len(r) and r[i][1].strip()]
            if cells and all(c[0] for c in cells):
                assert head, (i, table[:120])
