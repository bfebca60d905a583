"""stats/format.py: the one set of number formats used by tables, figures, report and changelog."""

from jakisynth.stats import format as fmt


def test_tau2_and_p_value():
    assert [fmt.tau2(v) for v in (0.0, 3e-13, 0.00012, 0.11834, None)] == [
        "0", "< 0.0001", "0.0001", "0.1183", "–"]
    assert [fmt.p_value(v) for v in (0.2667, 0.1, 0.0494, 0.001, 0.00099, None)] == [
        "0.27", "0.10", "0.049", "0.001", "< 0.001", "–"]


def test_percent_number_and_intervals():
    assert fmt.percent(0.88679) == "88.7%" and fmt.percent(0.88679, sign=False) == "88.7"
    assert fmt.percent(None) == "–" and fmt.number(None) == "–"
    assert fmt.number(3) == "3" and fmt.number(0.123456) == "0.1235" and fmt.number(1.5, 2) == "1.50"
    assert fmt.interval(0.79, 0.948) == "79.0% to 94.8%"
    assert fmt.interval(0.752, 0.954, "meta") == "[75.2; 95.4]"
    assert fmt.interval(None, None) == "–"


def test_labels_follow_the_level():
    assert [fmt.ci_label(v) for v in (0.95, 0.9, 0.995)] == ["95% CI", "90% CI", "99.5% CI"]
    assert fmt.sentence("subgroups by JAK inhibitor") == "Subgroups by JAK inhibitor"


def test_share_and_in_sentence():
    assert [fmt.share(v) for v in (34.52, 100.0, None)] == ["34.5%", "100.0%", fmt.NA]
    assert fmt.in_sentence("Condition treated") == "condition treated"
    assert fmt.in_sentence("JAK inhibitor") == "JAK inhibitor"
    assert fmt.in_sentence("IL-6 inhibitor") == "IL-6 inhibitor"
