"""Harms as outcomes (issue 10): per series, direct evidence only, 'not reported' never zero.

Reference numbers: tests/data/harms_reference.json, made by tests/data/make_harms_reference.R
(R 4.2.2, metafor 3.8.1: binom.test for exact CIs, rma(measure = "PLO", method = "REML")).
"""

import json
import shutil
from pathlib import Path

import pytest

from jakisynth.evidence.plan import load_plan
from jakisynth.evidence.validate import load_evidence
from jakisynth.synthesis.analysis import row_order
from jakisynth.synthesis.harms import NOT_EXTRACTED, NOT_REPORTED, harms_table, synthesise_harms

from tolerances import TOLERANCES, close

ROOT = Path(__file__).resolve().parent.parent
REF = json.loads((Path(__file__).parent / "data" / "harms_reference.json").read_text())


def _harms(evidence):
    loaded = load_evidence(evidence)
    studies = {sid: item.data for sid, item in loaded.items()}
    plan = load_plan(evidence, loaded)
    return {h.outcome.id: h for h in synthesise_harms(plan, studies, row_order(plan, studies))}


def test_seed_harms_single_series_with_exact_ci():
    harms = _harms(ROOT / "evidence")
    infection = harms["serious_infection"]
    assert infection.method == "single series" and (infection.events, infection.total) == (4, 53)
    assert infection.estimate == pytest.approx(4 / 53, rel=1e-12)
    for value, ref in zip((infection.ci_lower, infection.ci_upper), REF["exact_4_53"]):
        assert close(value, ref, TOLERANCES["per_study_ci"], floor=1e-10)
    assert infection.pi_lower is None and infection.pi_upper is None
    death = harms["death_from_infection"]
    for value, ref in zip((death.ci_lower, death.ci_upper), REF["exact_2_53"]):
        assert close(value, ref, TOLERANCES["per_study_ci"], floor=1e-10)


def test_not_reported_is_not_zero_and_indirect_is_never_pooled():
    harms = _harms(ROOT / "evidence")
    rows = {r.study: r for r in harms["serious_infection"].rows}
    assert rows["wang2023"].status == NOT_REPORTED and rows["wang2023"].events is None
    assert rows["beckett2024"].directness == "indirect" and rows["beckett2024"].events == 0
    assert [r.study for r in harms["serious_infection"].contributing] == ["liu2024"]
    stop = harms["discontinuation_adverse_event"]
    assert stop.method == "no direct evidence" and stop.estimate is None and stop.k == 0
    # Beckett's 1/10 is shown, not used
    assert {r.study: (r.status, r.events) for r in stop.rows}["beckett2024"] == ("reported", 1)
    frame = harms_table(harms.values())
    wang = frame[(frame.study == "Wang 2023") & (frame.outcome == "serious_infection")].iloc[0]
    assert wang.status == NOT_REPORTED and wang.events == NOT_REPORTED


def test_two_direct_series_are_pooled_like_metafor(tmp_path):
    evidence = tmp_path / "evidence"
    shutil.copytree(ROOT / "evidence", evidence)
    plan = evidence / "analysis.yaml"
    text = plan.read_text().replace("judgement: indirect", "judgement: direct")
    # harms are pooled with the primary model: metafor's REML here, to compare with rma()
    text = text.replace('  model: {method: bayes, tau_prior: "halfnormal(0.5)", mu_prior: "normal(0, 10)"}\n',
                        '  model: {method: inverse, transform: logit, tau2: REML, ci: z}\n', 1)
    text = text.replace('      wang2023: "refractory to prior immunosuppression"\n',
                        '      wang2023: "refractory to prior immunosuppression"\n'
                        '      beckett2024: "refractory to prior immunosuppression"\n', 1)
    plan.write_text(text)
    infection = _harms(evidence)["serious_infection"]
    assert infection.method == "pooled" and infection.k == 2  # Beckett 0/10, Liu 4/53
    got = (infection.estimate, infection.ci_lower, infection.ci_upper, infection.pi_lower,
           infection.pi_upper)
    for value, ref in zip(got, REF["infection_0_10_4_53"]):
        assert close(value, ref, TOLERANCES["metafor_estimate"])


def test_a_series_without_the_harm_outcome_is_not_extracted(tmp_path):
    evidence = tmp_path / "evidence"
    shutil.copytree(ROOT / "evidence", evidence)
    wang = evidence / "wang2023.yaml"
    wang.write_text(wang.read_text().replace("  - id: infection\n", "  - id: infektion\n"))
    rows = {r.study: r for r in _harms(evidence)["serious_infection"].rows}
    assert rows["wang2023"].status == NOT_EXTRACTED


def test_harm_result_str_and_dict():
    infection = _harms(ROOT / "evidence")["serious_infection"]
    text = str(infection)
    assert "Serious infections: 7.5% (95% CI 2.1% to 18.2%), 4/53, k = 1" in text
    assert "Wang 2023 (direct): not reported" in text
    d = infection.to_dict()
    assert d["k"] == 1 and d["pi_lower"] is None and d["rows"][0]["status"] == NOT_REPORTED
    json.dumps(d, allow_nan=False)
