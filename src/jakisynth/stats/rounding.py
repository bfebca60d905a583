"""Numbers at a printed precision: does a recomputed value round to what the paper printed?

Stage "stats" (pure arithmetic). A printed number carries its precision in its decimals
("88.7" -> 1, "100" -> 0). A recomputed value *matches* it when rounding to that many decimals,
half up (the school rule most papers follow) or half even (R's ``round()``, IEC 60559),
gives the printed number: the GRIM idea (Brown & Heathers 2017, Soc
Psychol Personal Sci 8:363). The arithmetic is decimal, on the shortest repr of the float
(``Decimal(repr(x))``), so a value that prints as 0.125 is a tie, as it is on paper.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

__all__ = ["decimals", "round_to", "matches", "fmt", "largest_remainder", "p_matches",
           "within_one_unit"]


def decimals(raw: str) -> int:
    """Number of decimals of a printed number ("88.7" -> 1, "100" -> 0)."""
    raw = str(raw).strip()
    return len(raw.split(".", 1)[1]) if "." in raw else 0


def round_to(value: float, places: int, mode=ROUND_HALF_UP) -> Decimal:
    """``value`` rounded to ``places`` decimals (half up by default)."""
    quantum = Decimal(1).scaleb(-places)
    return Decimal(repr(float(value))).quantize(quantum, rounding=mode)


def matches(value: float, raw: str) -> bool:
    """Whether ``value`` rounds (half up or half even) to the printed ``raw``."""
    places = decimals(raw)
    printed = Decimal(str(raw).strip())
    return round_to(value, places) == printed or round_to(value, places, ROUND_HALF_EVEN) == printed


def within_one_unit(value: float, raw: str) -> bool:
    """Whether ``value`` rounded to the printed precision is at most one unit in the last place
    away from ``raw`` (a percentage adjusted to add up to 100, or truncated instead of rounded)."""
    places = decimals(raw)
    unit = Decimal(1).scaleb(-places)
    return abs(round_to(value, places) - Decimal(str(raw).strip())) <= unit


def fmt(value: float, places: int) -> str:
    """``value`` printed with ``places`` decimals, rounded half up."""
    return str(round_to(value, places))


def largest_remainder(counts: list[int], total: int, places: int) -> list[Decimal]:
    """Percentages rounded to ``places`` and adjusted to add up to exactly 100 (largest remainder,
    Hare quota): every share is floored, then the missing units go to the largest remainders."""
    unit = Decimal(1).scaleb(-places)
    exact = [Decimal(c) * 100 / Decimal(total) for c in counts]
    floors = [(e / unit).to_integral_value(rounding="ROUND_FLOOR") * unit for e in exact]
    missing = int(((Decimal(100) - sum(floors)) / unit).to_integral_value())
    order = sorted(range(len(counts)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:max(missing, 0)]:
        floors[i] += unit
    return floors


def p_matches(p: float, raw: str, relation: str) -> bool:
    """Whether a recomputed p value agrees with the printed one: ``<``/``>`` as inequalities,
    ``=`` at the printed precision (:func:`matches`)."""
    if relation == "<":
        return p < float(raw)
    if relation == ">":
        return p > float(raw)
    return matches(p, raw)
