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
    for heading in ("Summary of findings", "Summary", "What was pooled", "Methods", "Results",
                    "Harms", "Warnings",
                    "Study characteristics", "Prior therapies", "Risk of bias",
                    "Consistency of the reported statistics", "Limitations"):
        assert f">{heading}</h2>" in REPORT, heading
    assert "90.2%" in REPORT  # primary (Bayesian) pooled estimate, direct evidence only
    assert "47 / 53" in REPORT and "3 / 3" in REPORT
    assert "k = 2 &lt; 5" in REPORT
    assert 'rma(measure = &#34;PLO&#34;, xi = c(3, 47), ni = c(3, 53)' in REPORT
    assert 'xi = c(3, 7, 47), ni = c(3, 8, 53)' in REPORT  # with_indirect: Beckett 7/8
    assert "rma.glmm" in REPORT
    assert "only signed-rank, exact reproduces 0.0625" in REPORT  # a flagged consistency row
    assert REPORT.count("<svg") >= 10  # every figure inline (7 forest, 1 subgroup, cumulative, prior therapy)
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
def _fresh_report():
    """The report rendered from the evidence in memory (not the committed outputs), with a
    stand-in figure for every forest plot."""
    from jakisynth.evidence.plan import load_plan
    from jakisynth.evidence.validate import load_evidence
    from jakisynth.report.html import render_report
    from jakisynth.report.tables import build_tables
    from jakisynth.synthesis.analysis import run_plan
    from jakisynth.synthesis.certainty import summary_of_findings

    loaded = load_evidence(ROOT / "evidence")
    studies = {sid: item.data for sid, item in loaded.items()}
    results = run_plan(load_plan(ROOT / "evidence", loaded), studies)
    sof = summary_of_findings(results, studies)
    tables = {name: frame for name, (_, frame) in build_tables(results, studies, sof).items()}
    figures = {f"forest_{a.spec.id}": b'<svg xmlns="http://www.w3.org/2000/svg"><g id="a"/></svg>'
               for a in results.analyses}
    return render_report(plan_results=results, studies=studies, sof=sof, tables=tables,
                         figures=figures, consistency=None, evidence_version="x", software={})


def test_report_opens_with_the_summary_of_findings():
    html = _fresh_report()
    sof = html.index('<section id="summary-of-findings">')
    assert sof < html.index("<svg") and sof < html.index("<h2>Summary</h2>")
    assert html.index("<h2") == html.index('<h2 class="first">Summary of findings</h2>')
    table = html[sof:html.index("</section>", sof)]
    for text in ("Remission or response of the irAE", "Serious infections", "Deaths from infection",
                 "Discontinuation for adverse events", "very low", "not rated",
                 "The evidence is very uncertain about the effect of JAK inhibitors",
                 "90.2% (75.0% to 97.4%)", "7.5% (2.1% to 18.2%)"):
        assert text in table, text
    # the choice of direct evidence is explained, the constructs and harms are shown
    assert "The primary analysis pools direct evidence only" in html
    assert "Beckett 2024 is indirect evidence" in html
    assert "<h3>Outcome constructs</h3>" in html and "<h2>Harms</h2>" in html
    assert "Includes indirect evidence (beckett2024)" in html


def test_report_shows_panel_overrides(tmp_path):
    import shutil

    from jakisynth.evidence.plan import load_plan
    from jakisynth.evidence.validate import load_evidence
    from jakisynth.report.html import render_report
    from jakisynth.synthesis.analysis import run_plan
    from jakisynth.synthesis.certainty import summary_of_findings

    evidence = tmp_path / "evidence"
    shutil.copytree(ROOT / "evidence", evidence)
    plan = evidence / "analysis.yaml"
    plan.write_text(plan.read_text().replace("  overrides: []", (
        "  overrides:\n    - {outcome: remission, domain: publication_bias, level: not serious, "
        "reason: \"registries searched\"}")))
    loaded = load_evidence(evidence)
    studies = {sid: item.data for sid, item in loaded.items()}
    from jakisynth.report.tables import build_tables

    results = run_plan(load_plan(evidence, loaded), studies)
    sof = summary_of_findings(results, studies)
    tables = {name: frame for name, (_, frame) in build_tables(results, studies, sof).items()}
    html = render_report(plan_results=results, studies=studies, sof=sof, tables=tables,
                         figures={}, consistency=None, evidence_version="x", software={})
    assert "Panel override</strong> of the rule's “serious”: registries searched" in html
    assert "The panel overrode 1 rating(s)" in html
def test_one_capitalisation_style_and_vocabulary_labels():
    from jakisynth.report.figures import subgroup_title

    # the seed plan's only subgroup is the clinical scenario; the rule is checked on the others
    assert ">Subgroups by clinical scenario</h3>" in REPORT
    assert subgroup_title("JAK inhibitor") == "Subgroups by JAK inhibitor"
    assert subgroup_title("Condition treated") == "Subgroups by condition treated"
    assert "mycophenolate_mofetil" not in REPORT and ">ivig<" not in REPORT


def test_captions_say_what_is_drawn():
    glmm = REPORT.split('id="fig-glmm"')[1].split("</figure>")[0]
    assert "sized by study size (the GLMM has no study weights)" in glmm
    reml = REPORT.split('id="fig-reml_wald"')[1].split("</figure>")[0]
    assert "sized by weight" in reml and "white: common effect" in reml
    assert "red bar: prediction interval" in reml
    primary = REPORT.split('id="fig-primary"')[1].split("</figure>")[0]  # Bayesian: no weights
    assert "sized by study size" in primary


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
