"""``drift`` against a real snapshot of a DuckDB table, with known magnitudes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.stats.contingency import association

from datasteward.model import CheckStatus, DatasetResult
from datasteward.services.backup import backup_dataset

from .conftest import Shop, check_named, day

ROWS = 20_000
SHIFT = 0.5  # standard deviations
CHECKS = [
    "drift: {column: amount, method: psi, max: 0.1, name: psi(amount)}",
    "drift: {column: amount, method: ks, max: 0.1, name: ks(amount)}",
    "drift: {column: status, max: 0.1}",
]
REFERENCE_SHARES = {"new": 0.5, "paid": 0.3, "shipped": 0.2}


def _frame(
    seed: int, shift: float = 0.0, shares: dict[str, float] = REFERENCE_SHARES
) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    statuses = [value for value, share in shares.items() for _ in range(int(share * ROWS))]
    return pd.DataFrame(
        {
            "order_id": np.arange(ROWS, dtype=np.int64),
            "amount": rng.normal(100 + 10 * shift, 10, ROWS),
            "status": rng.permutation(np.array(statuses, dtype=object)),
        }
    )


def _scan_against_snapshot(shop: Shop, current: pd.DataFrame) -> DatasetResult:
    shop.write(_frame(seed=1))
    project = shop.project(CHECKS)
    backup_dataset(project, "orders")
    shop.write(current)
    return shop.scan(project, day(1))


def _psi_of_a_shift(shift: float, bins: int = 10) -> float:
    """PSI between N(0, 1) and N(shift, 1) over the reference's quantile bins."""
    edges = stats.norm.ppf(np.arange(1, bins) / bins)
    cdf = np.concatenate([[0.0], stats.norm.cdf(edges - shift), [1.0]])
    actual = np.diff(cdf)
    expected = np.full(bins, 1 / bins)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def test_the_same_distribution_passes(shop: Shop) -> None:
    result = _scan_against_snapshot(shop, _frame(seed=2))
    for name in ("psi(amount)", "ks(amount)", "drift(status)"):
        check = check_named(result, name)
        assert check.status is CheckStatus.PASS, check.message
        assert check.observed < 0.02
    assert "against snapshot" in check_named(result, "psi(amount)").message


def test_a_shifted_normal_fails_psi_and_ks_with_known_magnitudes(shop: Shop) -> None:
    current = _frame(seed=2, shift=SHIFT)
    result = _scan_against_snapshot(shop, current)
    psi = check_named(result, "psi(amount)")
    assert psi.status is CheckStatus.FAIL
    assert psi.observed == pytest.approx(_psi_of_a_shift(SHIFT), abs=0.03)
    assert psi.message.startswith(f"psi = {psi.observed:.4f} against snapshot ")
    assert psi.message.endswith("(above max 0.1)")

    ks = check_named(result, "ks(amount)")
    assert ks.status is CheckStatus.FAIL
    reference = _frame(seed=1)["amount"]
    exact = stats.ks_2samp(reference, current["amount"]).statistic
    # The check compares CDFs at 20 reference quantiles: at most the exact gap, and
    # close to it for a smooth shift.
    assert ks.observed == pytest.approx(exact, abs=0.02)
    assert ks.observed <= exact + 1e-9
    assert exact == pytest.approx(2 * stats.norm.cdf(SHIFT / 2) - 1, abs=0.02)
    assert check_named(result, "drift(status)").status is CheckStatus.PASS


def test_a_category_frequency_change_fails_chi2(shop: Shop) -> None:
    shares = {"new": 0.2, "paid": 0.3, "shipped": 0.5}
    result = _scan_against_snapshot(shop, _frame(seed=2, shares=shares))
    check = check_named(result, "drift(status)")
    assert check.status is CheckStatus.FAIL
    table = np.array(
        [[int(REFERENCE_SHARES[v] * ROWS) for v in shares], [int(shares[v] * ROWS) for v in shares]]
    )
    assert check.observed == pytest.approx(association(table, method="cramer"), abs=1e-6)
    assert check.message.startswith("chi2 = ")
    assert check_named(result, "psi(amount)").status is CheckStatus.PASS


def test_without_a_snapshot_drift_is_an_error_saying_why(shop: Shop) -> None:
    shop.write(_frame(seed=1))
    result = shop.scan(shop.project(CHECKS), day(0))
    for name in ("psi(amount)", "ks(amount)", "drift(status)"):
        check = check_named(result, name)
        assert check.status is CheckStatus.ERROR
        assert check.message.startswith("no drift reference: "), check.message
        assert "snapshot" in check.message


def test_a_column_missing_from_the_snapshot_is_an_error(shop: Shop) -> None:
    shop.write(_frame(seed=1).drop(columns=["status"]))
    project = shop.project(CHECKS)
    backup_dataset(project, "orders")
    shop.write(_frame(seed=2))
    check = check_named(shop.scan(project, day(1)), "drift(status)")
    assert check.status is CheckStatus.ERROR
    assert check.message == "column 'status' is not in the reference snapshot"
