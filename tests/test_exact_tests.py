"""Exact and approximate tests (stats/exact_tests.py): known answers from R."""

import numpy as np
import pytest
from scipy import stats

from jakisynth.errors import InputError
from jakisynth.stats.exact_tests import (
    _compositions,
    fisher_exact,
    signed_rank_variants,
    table_variants,
    wald_p_from_ci,
)


def test_fisher_known_answers():
    assert fisher_exact([[1, 2], [3, 0]]) == pytest.approx(0.4, rel=1e-12)  # R fisher.test
    # Liu Table 2, tocilizumab by stratum: R fisher.test(matrix(c(2,9,0,30,0,12),2)) = 0.03991
    assert fisher_exact([[2, 0, 0], [9, 30, 12]]) == pytest.approx(0.0399129, rel=1e-4)
    # Liu Table 2, organs involved (1, 2, >= 3) by stratum; printed p = 0.21
    assert fisher_exact([[2, 11, 2], [1, 8, 5], [8, 11, 5]]) == pytest.approx(0.2110329, rel=1e-6)
    assert fisher_exact([[2, 11, 2], [1, 8, 5], [8, 11, 5]], max_tables=10) is None
    assert fisher_exact([[3, 1, 2]]) is None
    with pytest.raises(InputError, match="table"):
        fisher_exact([[1.5, 2], [3, 0]])


def test_fisher_enumerates_every_table_with_the_margins():
    """The vectorised enumeration visits exactly the tables with the observed margins (compared
    with itertools); a table and its transpose give one p; a 2 x 2 gives scipy's."""
    import itertools

    for total, bounds in [(5, (2, 3, 4)), (0, (1, 1)), (7, (3,)), (3, (1, 1)), (10, (4, 0, 9, 2))]:
        brute = sorted(v for v in itertools.product(*[range(b + 1) for b in bounds])
                       if sum(v) == total)
        assert sorted(map(tuple, _compositions(total, bounds).tolist())) == brute
    table = [[3, 1], [1, 5], [0, 6], [4, 2]]
    assert fisher_exact(table) == pytest.approx(fisher_exact(np.array(table).T), rel=1e-12)
    assert fisher_exact([[3, 1], [1, 3]]) == pytest.approx(
        stats.fisher_exact([[3, 1], [1, 3]]).pvalue, rel=1e-12)


def test_table_variants_and_signed_rank():
    p = table_variants([{"count": 6, "total": 11}, {"count": 29, "total": 30}, {"count": 12, "total": 12}])
    assert set(p) == {"Fisher's exact test", "chi-square"} and p["Fisher's exact test"] < 0.01
    p = signed_rank_variants([8, 9, 14], [1, 0, 7])
    assert p["signed-rank, normal approximation with continuity correction"] == pytest.approx(0.1736, abs=5e-5)


def test_wald_p_uses_the_ci_level():
    # Liu 2024: HR 0.53, 95% CI 0.23-1.20, printed P = 0.13;
    # R: 2*pnorm(-abs(log(0.53)/((log(1.2)-log(0.23))/(2*qnorm(0.975))))) = 0.1319477
    p95 = wald_p_from_ci(0.53, 0.23, 1.20, 95)
    assert p95["Wald test from the HR and its 95% CI"] == pytest.approx(0.1319477, rel=1e-6)
    p90 = wald_p_from_ci(0.53, 0.23, 1.20, 90)  # the same interval read as a 90% CI: larger SE
    assert p90["Wald test from the HR and its 90% CI"] > p95["Wald test from the HR and its 95% CI"]
    with pytest.raises(InputError, match="level"):
        wald_p_from_ci(0.53, 0.23, 1.20, 0.95 * 100 + 10)
