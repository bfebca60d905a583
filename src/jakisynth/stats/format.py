"""Numbers for people: the one place where proportions, intervals, τ² and p values become text.

Stage "statistics" (a result's ``str()`` needs it); used by the tables, figures, the report and
the changelog alike, so a number reads the same everywhere. Conventions follow R's meta
(``meta:::formatN``, ``formatPT``): proportions as percentages with one decimal, τ² with four
decimals ("0" on the boundary, "< 0.0001" when tiny), p values with two decimals from 0.1, three
below, "< 0.001" below that. A value that does not exist for a model is :data:`NA`.
"""

from __future__ import annotations

NA = "–"  # en dash: a value that does not exist (never "nan", never "None")


def percent(value, digits: int = 1, sign: bool = True) -> str:
    """A proportion as a percentage: 0.8868 -> '88.7%' (``sign=False``: '88.7')."""
    if value is None:
        return NA
    return f"{100 * value:.{digits}f}" + ("%" if sign else "")


def share(value, digits: int = 1) -> str:
    """A quantity already in percent (a weight, I²): 34.52 -> '34.5%'."""
    if value is None:
        return NA
    return f"{value:.{digits}f}%"


def number(value, digits: int = 4) -> str:
    """A number with ``digits`` decimals; integers as they are."""
    if value is None:
        return NA
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return f"{value:.{digits}f}"


def tau2(value) -> str:
    """τ² with 4 decimals as meta/metafor print it; '0' on the boundary, '< 0.0001' if tiny."""
    if value is None:
        return NA
    if value == 0:
        return "0"
    if 0 < value < 0.00005:
        return "< 0.0001"
    return f"{value:.4f}"


def p_value(value) -> str:
    """A p value: 2 decimals from 0.1, 3 decimals from 0.001, else '< 0.001'."""
    if value is None:
        return NA
    if value < 0.001:
        return "< 0.001"
    if value < 0.1:
        return f"{value:.3f}"
    return f"{value:.2f}"


def interval(lower, upper, style: str = "to", digits: int = 1) -> str:
    """Two proportions as an interval: '79.0% to 94.8%' (``style="to"``) or meta's bracket style
    '[79.0; 94.8]' (``style="meta"``, percent numbers without the sign)."""
    if style == "meta":
        return f"[{percent(lower, digits, False)}; {percent(upper, digits, False)}]"
    if lower is None and upper is None:
        return NA
    return f"{percent(lower, digits)} to {percent(upper, digits)}"


def level_percent(level: float) -> str:
    """The confidence level as a label: 0.95 -> '95%', 0.9 -> '90%', 0.995 -> '99.5%'."""
    return f"{100 * float(level):.10g}%"


def ci_label(level: float = 0.95) -> str:
    """'95% CI' for ``level`` 0.95."""
    return f"{level_percent(level)} CI"


def sentence(text: str) -> str:
    """Upper-case the first letter only (Jinja's ``capitalize`` lower-cases the rest)."""
    return text[:1].upper() + text[1:]


def in_sentence(text: str) -> str:
    """A label inside a sentence: the first letter lower-cased unless the first word is an
    acronym ('Condition treated' -> 'condition treated'; 'JAK inhibitor' stays)."""
    first = text.split(" ", 1)[0]
    if len(first) > 1 and first[:2].isupper():
        return text
    return text[:1].lower() + text[1:]


def probability(value, digits: int = 2) -> str:
    """A probability to ``digits`` decimals, never rounded to certainty: 0.9354 -> '0.94',
    0.9991 -> '> 0.99', 0.0004 -> '< 0.01'."""
    if value is None:
        return NA
    step = 10.0 ** -digits
    if value > 1 - step / 2:
        return f"> {1 - step:.{digits}f}"
    if value < step / 2:
        return f"< {step:.{digits}f}"
    return f"{value:.{digits}f}"
