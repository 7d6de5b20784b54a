"""The outlier service finds planted rows on every engine, and explains them."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from sqlglot import exp

from datasteward.config.models import Project
from datasteward.errors import UsageError
from datasteward.services.outliers import OutlierReport, find_outliers
from datasteward.services.outliers.model import OutlierModel
from datasteward.services.sources import SourcePool

from .conftest import ROWS, SOURCE_KINDS, Orders

ProjectFor = Callable[[str], Project]


def _found(report: OutlierReport, orders: Orders) -> dict[int, list[str]]:
    """Planted rows among the reported ones → the columns their reasons name."""
    return {
        o.row["id"]: [r.column for r in o.reasons]
        for o in report.outliers
        if o.row["id"] in orders.planted
    }


@pytest.mark.parametrize("sample", [None, 10_000], ids=["whole-table", "sampled"])
@pytest.mark.parametrize("kind", SOURCE_KINDS)
def test_planted_rows_dominate_the_top_20(
    kind: str, sample: int | None, project_for: ProjectFor, orders: Orders
) -> None:
    options = {} if sample is None else {"sample_rows": sample}
    report = find_outliers(project_for(kind), "orders", top=20, **options)  # type: ignore[arg-type]

    assert report.rows_scored == ROWS
    assert report.columns == ["price", "amount", "weight", "delay"]  # numeric, key left out
    assert report.sample_rows == (ROWS if sample is None else pytest.approx(sample, rel=0.05))
    assert len(report.outliers) == 20
    scores = [o.score for o in report.outliers]
    assert scores == sorted(scores, reverse=True)
    found = _found(report, orders)
    assert len(found) >= 8, f"planted rows found: {sorted(found)}"
    # The planted rows come first, then ordinary rows from the tails.
    assert {o.row["id"] for o in report.outliers[:8]} <= set(orders.planted)
    for order_id, reasons in found.items():
        planted = orders.planted[order_id]
        assert set(reasons[: len(planted)]) == planted, (order_id, reasons)


def test_reasons_compare_with_the_column_and_with_the_other_columns(
    project_for: ProjectFor, orders: Orders
) -> None:
    report = find_outliers(project_for("parquet"), "orders", top=10)
    by_id = {o.row["id"]: o for o in report.outliers}
    for order_id, planted in orders.planted.items():
        outlier = by_id[order_id]
        assert outlier.flagged
        reason = outlier.reasons[0]
        assert reason.value == outlier.row[reason.column]
        if planted == {"price", "amount"}:
            # Each value is ordinary alone; what the other column predicts is far off.
            assert abs(reason.z) < 2.5 < 20 < abs(reason.z_given_others or 0)
            assert reason.expected is not None
            assert abs(reason.expected - reason.value) > 40
        else:
            # weight and delay are independent: the others predict nothing about them.
            assert abs(reason.z) > 10
            assert reason.expected is None and reason.z_given_others is None


def test_only_the_top_rows_are_kept_whatever_the_batch_size(project_for: ProjectFor) -> None:
    whole = find_outliers(project_for("duckdb"), "orders", top=15, batch_rows=ROWS)
    batched = find_outliers(project_for("duckdb"), "orders", top=15, batch_rows=777)
    assert [o.row["id"] for o in batched.outliers] == [o.row["id"] for o in whole.outliers]
    assert [o.score for o in batched.outliers] == pytest.approx([o.score for o in whole.outliers])
    assert batched.flagged_rows == whole.flagged_rows


def test_named_columns_and_contamination(project_for: ProjectFor, orders: Orders) -> None:
    report = find_outliers(
        project_for("parquet"), "orders", columns=["weight"], top=3, contamination=0.01
    )
    assert report.columns == ["weight"]
    weight_rows = {i for i, columns in orders.planted.items() if columns == {"weight"}}
    assert {o.row["id"] for o in report.outliers[:2]} == weight_rows
    assert all(o.reasons[0].z_given_others is None for o in report.outliers)
    # About 1% of rows are flagged when 1% is the expected share of outliers.
    assert 0.005 * ROWS < report.flagged_rows < 0.02 * ROWS
    document = report.to_json()
    assert document["contamination"] == 0.01
    assert document["flagged_rows"] == report.flagged_rows


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"columns": ["prise"]},
            "column 'prise' not found in dataset 'orders' (did you mean 'price'?)",
        ),
        ({"columns": ["status"]}, "column 'status' of dataset 'orders' is VARCHAR, not numeric"),
        ({"top": 0}, "--top must be at least 1"),
        ({"contamination": 0.7}, "--contamination must be 'auto' or a share in (0, 0.5]"),
    ],
)
def test_usage_errors(options: dict[str, object], message: str, project_for: ProjectFor) -> None:
    with pytest.raises(UsageError) as raised:
        find_outliers(project_for("parquet"), "orders", **options)  # type: ignore[arg-type]
    assert message in str(raised.value)


def test_unknown_dataset(project_for: ProjectFor) -> None:
    with pytest.raises(UsageError, match=r"unknown dataset 'order'.*did you mean 'orders'"):
        find_outliers(project_for("parquet"), "order")


@pytest.mark.parametrize("kind", SOURCE_KINDS)
def test_engine_sample_draws_from_the_whole_table(kind: str, project_for: ProjectFor) -> None:
    with SourcePool(project_for(kind)) as pool:
        ref = pool.dataset("orders")
        query = exp.select(exp.column("id")).from_(
            ref.engine.sample(ref.relation, 1_000).subquery("s")
        )
        ids = [row[0] for row in ref.engine.fetch(query).rows]
    assert 900 <= len(ids) <= 1_000 and len(set(ids)) == len(ids)
    # Spread over the table, not its first rows: about half on either side of the middle.
    assert 350 < sum(i < ROWS // 2 for i in ids) < 650


def test_nulls_do_not_make_a_row_look_unusual() -> None:
    rng = np.random.default_rng(3)
    price = rng.normal(100, 15, 5_000)
    sample = np.column_stack([price, 2 * price + rng.normal(0, 3, 5_000)])
    model = OutlierModel(["price", "amount"], sample, "auto")
    # A median in place of the missing price would make amount 300 look 30 deviations off.
    row = np.array([np.nan, 300.0])
    (reason,) = model.explain(row)[:1]
    assert reason.column == "amount"
    assert abs(reason.z_given_others or 0) < 1
    assert model.scores(row.reshape(1, -1))[0] < model.scores(np.array([[150.0, 200.0]]))[0]
