"""The example project of `steward init` / `steward demo`: files, steward.yml, planted defects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest
from ruamel.yaml import YAML

from datasteward.errors import UsageError
from datasteward.services.example_project import (
    DEFAULT_ORDERS,
    MIN_ORDERS,
    STATUSES,
    ExampleProject,
    write_example_project,
)

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$"
ORDERS = "read_parquet('{dir}/data/orders/*.parquet')"
CUSTOMERS = "read_csv('{dir}/data/customers.csv')"


@pytest.fixture(scope="module")
def default_project(tmp_path_factory: pytest.TempPathFactory) -> ExampleProject:
    return write_example_project(tmp_path_factory.mktemp("default") / "shop", now=NOW)


@pytest.fixture(scope="module")
def small_project(tmp_path_factory: pytest.TempPathFactory) -> ExampleProject:
    directory = tmp_path_factory.mktemp("small") / "shop"
    return write_example_project(directory, orders=MIN_ORDERS, seed=11, now=NOW)


@pytest.fixture(params=["default_project", "small_project"])
def project(request: pytest.FixtureRequest) -> ExampleProject:
    """The default-size project and the smallest allowed one (defect counts scale down)."""
    built: ExampleProject = request.getfixturevalue(request.param)
    return built


def scalar(project: ExampleProject, query: str) -> Any:
    sql = (
        query.replace("{orders}", ORDERS.format(dir=project.directory))
        .replace("{customers}", CUSTOMERS.format(dir=project.directory))
        .replace("{now}", project.now.isoformat())
    )
    return fetchall(sql)[0][0]


def fetchall(sql: str) -> list[tuple[Any, ...]]:
    relation = duckdb.sql(sql)
    assert relation is not None, "the query returned no result set"
    return relation.fetchall()


def files_under(root: Path) -> set[Path]:
    return {p.relative_to(root) for p in root.rglob("*") if p.is_file()}


def load_config(project: ExampleProject) -> dict[str, Any]:
    config: dict[str, Any] = YAML(typ="safe").load(project.config_path.read_text("utf-8"))
    return config


def check_types(checks: list[dict[str, Any]]) -> set[str]:
    return {next(iter(check)) for check in checks}


def test_writes_a_complete_project_and_nothing_else(project: ExampleProject) -> None:
    assert files_under(project.directory) == {
        Path("steward.yml"),
        Path("data/customers.csv"),
        Path("data/orders/orders.parquet"),
    }
    assert project.config_path == project.directory / "steward.yml"
    assert project.orders_path == project.directory / "data/orders/orders.parquet"
    assert project.customers_path == project.directory / "data/customers.csv"
    assert not (project.directory / ".steward").exists()
    assert scalar(project, "SELECT count(*) FROM {orders}") == project.order_rows
    assert scalar(project, "SELECT count(*) FROM {customers}") == project.customer_rows


def test_writes_only_inside_the_directory(tmp_path: Path) -> None:
    write_example_project(tmp_path / "a" / "b", orders=MIN_ORDERS, now=NOW)
    assert {p.parts[:2] for p in files_under(tmp_path)} == {("a", "b")}


def test_orders_have_the_documented_schema(project: ExampleProject) -> None:
    schema = pq.read_schema(project.orders_path)
    assert {name: str(schema.field(name).type) for name in schema.names} == {
        "order_id": "int64",
        "customer_id": "int64",
        "order_date": "date32[day]",
        "created_at": "timestamp[us, tz=UTC]",
        "shipped_at": "timestamp[us, tz=UTC]",
        "status": "string",
        "amount": "double",
        "discount": "double",
        "email": "string",
        "country": "string",
    }
    customers = fetchall(f"DESCRIBE SELECT * FROM {CUSTOMERS.format(dir=project.directory)}")
    assert [row[:2] for row in customers] == [
        ("customer_id", "BIGINT"),
        ("name", "VARCHAR"),
        ("email", "VARCHAR"),
        ("country", "VARCHAR"),
        ("signup_date", "DATE"),
    ]


def test_config_follows_the_contract(project: ExampleProject) -> None:
    config = load_config(project)
    assert config["version"] == 1
    assert config["store"] == "sqlite:///.steward/steward.db"
    assert config["backups"] == {"repository": ".steward/backups"}
    assert config["sources"] == {"lake": {"type": "files", "root": "data"}}
    datasets = config["datasets"]
    assert {name: (d["source"], d["path"], d["key"]) for name, d in datasets.items()} == {
        "orders": ("lake", "orders/*.parquet", ["order_id"]),
        "customers": ("lake", "customers.csv", ["customer_id"]),
    }


def test_config_uses_every_check_type_and_option(project: ExampleProject) -> None:
    checks: list[dict[str, Any]] = load_config(project)["datasets"]["orders"]["checks"]
    assert check_types(checks) == {
        "row_count", "not_null", "unique", "between", "in_set", "regex", "length",
        "missing_percent", "metric", "freshness", "row_condition", "foreign_key", "schema", "sql",
    }  # fmt: skip
    params = [next(iter(c.values())) for c in checks]
    uniques = [p for c, p in zip(checks, params, strict=True) if "unique" in c]
    assert any(isinstance(u, str) for u in uniques)
    assert any(isinstance(u, list) and len(u) > 1 for u in uniques)
    options = [p for p in params if isinstance(p, dict)]
    assert any(p.get("severity") == "warn" for p in options)
    assert any(p.get("mostly") == 0.95 for p in options)
    assert any("where" in p for p in options)
    assert len([p for p in options if "stat" in p]) >= 2
    assert {"column": "customer_id", "references": "customers.customer_id"} in options
    sql = next(c["sql"] for c in checks if "sql" in c)
    assert sql["max"] == 0 and "now()" in sql["query"]


def test_config_comments_state_the_planted_counts(project: ExampleProject) -> None:
    text = project.config_path.read_text("utf-8")
    defects = project.defects
    assert f"{defects.duplicate_order_rows} rows share {defects.duplicate_order_ids}" in text
    assert f"Fails: {defects.null_customer_ids} orders have no customer_id" in text
    assert "$" not in text.replace("$'", "").replace("${", "")  # no unfilled placeholder
    assert all(len(line) <= 100 for line in text.splitlines())


DEFECT_QUERIES = {
    "duplicate_order_ids": "SELECT count(*) FROM (SELECT order_id FROM {orders} "
    "GROUP BY order_id HAVING count(*) > 1)",
    "duplicate_order_rows": "SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM {orders} "
    "GROUP BY order_id HAVING count(*) > 1)",
    "null_customer_ids": "SELECT count(*) FROM {orders} WHERE customer_id IS NULL",
    "malformed_emails": "SELECT count(*) FROM {orders} "
    f"WHERE NOT regexp_full_match(email, '{EMAIL_PATTERN}')",
    "negative_amounts": "SELECT count(*) FROM {orders} WHERE amount < 0",
    "excessive_amounts": "SELECT count(*) FROM {orders} WHERE amount > 10000",
    "orphan_customer_ids": "SELECT count(*) FROM {orders} o WHERE customer_id IS NOT NULL "
    "AND customer_id NOT IN (SELECT customer_id FROM {customers})",
    "invalid_statuses": "SELECT count(*) FROM {orders} "
    f"WHERE status NOT IN ({', '.join(repr(s) for s in STATUSES)})",
    "late_shipments": "SELECT count(*) FROM {orders} WHERE shipped_at < created_at",
    "three_letter_countries": "SELECT count(*) FROM {orders} WHERE length(country) = 3",
    "large_discounts": "SELECT count(*) FROM {orders} WHERE discount > 0.5",
}


@pytest.mark.parametrize("defect", sorted(DEFECT_QUERIES))
def test_planted_defect_counts_match_the_data(project: ExampleProject, defect: str) -> None:
    expected = project.defects.as_dict()[defect]
    assert expected >= 1
    assert scalar(project, DEFECT_QUERIES[defect]) == expected


def test_defaults_plant_the_documented_counts(default_project: ExampleProject) -> None:
    assert default_project.order_rows == DEFAULT_ORDERS
    assert default_project.defects.as_dict() == {
        "duplicate_order_ids": 6,
        "duplicate_order_rows": 12,
        "null_customer_ids": 25,
        "malformed_emails": 40,
        "negative_amounts": 8,
        "excessive_amounts": 5,
        "orphan_customer_ids": 15,
        "invalid_statuses": 10,
        "late_shipments": 18,
        "three_letter_countries": 7,
        "large_discounts": 3,
    }
    assert default_project.defects.out_of_range_amounts == 13


PASSING_QUERIES = {
    "fresh: newest order under 24h old": "SELECT max(created_at) > TIMESTAMPTZ '{now}' "
    "- INTERVAL 24 HOUR FROM {orders}",
    "no future orders": "SELECT count(*) = 0 FROM {orders} WHERE created_at > TIMESTAMPTZ '{now}' "
    "OR shipped_at > TIMESTAMPTZ '{now}'",
    "order_date is the UTC day of created_at": "SELECT bool_and(order_date = "
    "CAST(timezone('UTC', created_at) AS DATE)) FROM {orders}",
    "unique (order_id, created_at)": "SELECT count(*) = count(DISTINCT (order_id, created_at)) "
    "FROM {orders}",
    "shipped orders have a ship time": "SELECT count(*) = 0 FROM {orders} "
    "WHERE status = 'shipped' AND shipped_at IS NULL",
    "discount mostly missing, at most 95%": "SELECT avg((discount IS NULL)::INT) "
    "BETWEEN 0.5 AND 0.95 FROM {orders}",
    "mean amount in [50, 150]": "SELECT avg(amount) BETWEEN 50 AND 150 FROM {orders}",
    "median amount in [20, 200]": "SELECT median(amount) BETWEEN 20 AND 200 FROM {orders}",
    "discount <= 0.5 for >= 95% of non-null": "SELECT avg((discount <= 0.5)::INT) >= 0.95 "
    "FROM {orders} WHERE discount IS NOT NULL",
    "customers are clean": "SELECT count(*) = count(DISTINCT customer_id) "
    "AND count(*) = count(DISTINCT email) "
    f"AND bool_and(regexp_full_match(email, '{EMAIL_PATTERN}')) "
    "AND bool_and(length(country) = 2) AND count(name) = count(*) FROM {customers}",
}


@pytest.mark.parametrize("name", sorted(PASSING_QUERIES))
def test_checks_meant_to_pass_hold(project: ExampleProject, name: str) -> None:
    assert scalar(project, PASSING_QUERIES[name]) is True


def test_same_seed_gives_the_same_project(tmp_path: Path) -> None:
    first = write_example_project(tmp_path / "one", orders=1_000, seed=3, now=NOW)
    second = write_example_project(tmp_path / "two", orders=1_000, seed=3, now=NOW)
    other = write_example_project(tmp_path / "three", orders=1_000, seed=4, now=NOW)
    assert first.defects == second.defects
    for name in ("steward.yml", "data/customers.csv", "data/orders/orders.parquet"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()
    assert pq.read_table(first.orders_path) != pq.read_table(other.orders_path)


def test_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    write_example_project(tmp_path, orders=MIN_ORDERS, seed=1, now=NOW)
    before = (tmp_path / "data/customers.csv").read_bytes()
    with pytest.raises(UsageError) as error:
        write_example_project(tmp_path, orders=MIN_ORDERS, seed=2, now=NOW)
    assert "steward.yml already exists" in error.value.message
    assert error.value.hint is not None and "--force" in error.value.hint
    assert (tmp_path / "data/customers.csv").read_bytes() == before

    write_example_project(tmp_path, orders=MIN_ORDERS, seed=2, now=NOW, force=True)
    assert (tmp_path / "data/customers.csv").read_bytes() != before
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]


def test_rejects_a_path_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("not a directory")
    with pytest.raises(UsageError):
        write_example_project(tmp_path / "taken", orders=MIN_ORDERS, now=NOW)


def test_rejects_too_few_orders(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=str(MIN_ORDERS)):
        write_example_project(tmp_path, orders=MIN_ORDERS - 1, now=NOW)
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 1, 5, 12, 0), NOW),  # naive: taken as UTC
        (datetime(2026, 1, 5, 13, 0, tzinfo=timezone(timedelta(hours=1))), NOW),
    ],
)
def test_reference_time(tmp_path: Path, now: datetime, expected: datetime) -> None:
    assert write_example_project(tmp_path, orders=MIN_ORDERS, now=now).now == expected


def test_default_reference_time_is_the_current_hour(tmp_path: Path) -> None:
    before = datetime.now(UTC)
    project = write_example_project(tmp_path, orders=MIN_ORDERS)
    assert project.now.tzinfo is not None
    assert (project.now.minute, project.now.second, project.now.microsecond) == (0, 0, 0)
    assert before - timedelta(hours=1) < project.now <= datetime.now(UTC)
