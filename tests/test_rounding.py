"""Printed precision (stats/rounding.py): GRIM-style matching, largest remainder, p values."""

from decimal import Decimal

from jakisynth.stats.rounding import (
    decimals,
    fmt,
    largest_remainder,
    matches,
    p_matches,
    within_one_unit,
)


def test_decimals_and_matches():
    assert decimals("100.0") == 1 and decimals("57") == 0 and decimals(" 0.0625 ") == 4
    assert matches(0.01415, "0.014") and not matches(0.0155, "0.014")
    assert matches(100 * 47 / 53, "88.7") and not matches(100 * 47 / 53, "88.6")
    assert matches(62.5, "62") and matches(62.5, "63")  # a tie: half even and half up
    assert fmt(100 * 44 / 53, 1) == "83.0"


def test_within_one_unit():
    assert within_one_unit(100 * 44 / 53, "83.1") and not within_one_unit(100 * 44 / 53, "83.2")


def test_largest_remainder_adds_up_to_100():
    shares = largest_remainder([4, 44, 5], 53, 1)
    assert sum(shares) == 100
    # 7.547, 83.019, 9.434: floors add up to 99.9; the largest remainder (0.047) gets the unit
    assert shares == [Decimal("7.6"), Decimal("83.0"), Decimal("9.4")]


def test_p_matches_relations():
    assert p_matches(0.0009, "0.01", "<") and not p_matches(0.02, "0.01", "<")
    assert p_matches(0.3, "0.05", ">") and p_matches(0.1319, "0.13", "=")
