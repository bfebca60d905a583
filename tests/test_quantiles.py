"""R's nine quantile types via numpy (stats/quantiles.py), against the hand-written
Hyndman & Fan definitions the consistency check used before (kept here as the reference) and
against R values copied from tests/data/reference/extra_refs.json (test_extra_refs.py)."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jakisynth.errors import InputError
from jakisynth.stats.quantiles import R_TYPES, quantile


def hyndman_fan(values, p, kind):
    """The previous implementation (Hyndman & Fan 1996, section 2), verbatim in substance."""
    x = sorted(float(v) for v in values)
    n = len(x)
    if kind in (1, 2, 3):
        np_ = n * p - (0.5 if kind == 3 else 0.0)
        j = math.floor(np_)
        g = np_ - j
        if kind == 1:
            gamma = 0.0 if g == 0 else 1.0
        elif kind == 2:
            gamma = 0.5 if g == 0 else 1.0
        else:
            gamma = 0.0 if (g == 0 and j % 2 == 0) else 1.0
        lo, hi = x[min(max(j - 1, 0), n - 1)], x[min(max(j, 0), n - 1)]
        return (1 - gamma) * lo + gamma * hi
    m = {4: 0.0, 5: 0.5, 6: p, 7: 1 - p, 8: (p + 1) / 3, 9: p / 4 + 3 / 8}[kind]
    j = math.floor(n * p + m)
    g = n * p + m - j
    lo, hi = x[min(max(j - 1, 0), n - 1)], x[min(max(j, 0), n - 1)]
    return lo + g * (hi - lo)


SEEDS = [[12, 7, 27, 50, 2, 8, 9, 14], [8, 9, 14], [150, 127, 150, 150, 150], [4, 1, 5, 31, 0]]


@pytest.mark.parametrize("kind", sorted(R_TYPES))
@pytest.mark.parametrize("values", SEEDS)
def test_numpy_methods_equal_the_hand_written_definitions(values, kind):
    for p in (0.25, 0.5, 0.75):
        assert quantile(values, p, kind) == pytest.approx(hyndman_fan(values, p, kind), abs=1e-12)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(-50, 200), min_size=1, max_size=25),
       st.sampled_from([0.1, 0.25, 0.5, 0.75, 0.9]), st.sampled_from(sorted(R_TYPES)))
def test_agreement_on_random_samples(values, p, kind):
    assert quantile(values, p, kind) == pytest.approx(hyndman_fan(values, p, kind), abs=1e-9)


def test_known_values_and_input_checks():
    x = [2, 7, 8, 9, 12, 14, 27, 50]  # Beckett Table 1, CDASI before upadacitinib, 8 DM patients
    assert quantile(x, 0.75, 7) == 17.25 and quantile(x, 0.75, 6) == 23.75
    assert quantile([8, 9, 14], 0.25, 7) == 8.5
    with pytest.raises(InputError, match="kind"):
        quantile(x, 0.5, 10)
    with pytest.raises(InputError, match="values"):
        quantile([], 0.5, 7)
