"""Suggest round trip: suggested checks pass on the data they came from, and each one
catches the defect it is about, on DuckDB, SQLite, PostgreSQL and Parquet/CSV files."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pytest

from datasteward.config import load_project
from datasteward.model import Run
from datasteward.services.example_project import write_example_project
from datasteward.services.scan import scan
from datasteward.services.suggest import suggest_checks, write_suggestions

from .conftest import NOW, Catalogue

SOURCES = {"products": "warehouse", "legacy_products": "legacy", "pg_products": "shop"}

# What the catalogue's shapes must produce: (type, columns).
EXPECTED = {
    ("row_count", ()),
    ("not_null", ("product_id",)),
    ("unique", ("product_id",)),
    ("unique", ("email",)),
    ("between", ("price",)),
    ("between", ("quantity",)),
    ("between", ("created_at",)),
    ("in_set", ("category",)),
    ("regex", ("country",)),
    ("regex", ("email",)),
    ("regex", ("sku",)),
    ("length", ("code",)),
    ("missing_percent", ("note",)),
    ("freshness", ("created_at",)),
}

# (defect, statement, the one suggested check that must fail)
DEFECTS = [
    ("a NULL key", "UPDATE products SET product_id = NULL WHERE product_id = 1005",
     "not_null(product_id)"),
    ("a duplicate key", "UPDATE products SET product_id = 1001 WHERE product_id = 1002",
     "unique(product_id)"),
    ("an out-of-range price", "UPDATE products SET price = 100000 WHERE product_id = 1003",
     "between(price)"),
    ("a negative quantity", "UPDATE products SET quantity = -1 WHERE product_id = 1004",
     "between(quantity)"),
    ("an unknown category", "UPDATE products SET category = 'weapons' WHERE product_id = 1006",
     "in_set(category)"),
    ("a three-letter country", "UPDATE products SET country = 'USA' WHERE product_id = 1007",
     "regex(country)"),
    ("a code too long", "UPDATE products SET code = 'ABCDEFGH' WHERE product_id = 1008",
     "length(code)"),
    ("a malformed email", "UPDATE products SET email = 'buyer at shop' WHERE product_id = 1009",
     "regex(email)"),
    ("an epoch timestamp",
     "UPDATE products SET created_at = '1970-01-01 00:00:00' WHERE product_id = 1010",
     "between(created_at)"),
    ("notes mostly gone", "UPDATE products SET note = NULL WHERE product_id % 5 <> 0",
     "missing_percent(note)"),
    ("most rows gone", "DELETE FROM products WHERE product_id >= 1100", "row_count"),
]  # fmt: skip


@pytest.fixture(params=sorted(SOURCES))
def dataset(request: pytest.FixtureRequest, catalogue: Catalogue) -> str:
    """Each copy of the catalogue in turn (PostgreSQL: a real embedded server)."""
    if SOURCES[request.param] == "shop":
        catalogue.add_postgres(request.getfixturevalue("postgres_url"))
    return str(request.param)


def _suggest_and_write(config: Path, dataset: str) -> set[str]:
    """Suggest for the dataset, write into steward.yml and return the new checks' names."""
    report = suggest_checks(load_project(config), dataset, as_of=NOW)
    assert report.suggestions and not report.dropped, report.dropped
    write_suggestions(config, report)
    return {result.name for result in _scan(config, dataset).datasets[0].checks} - {"schema"}


def _scan(config: Path, dataset: str, *, as_of: object = NOW) -> Run:
    return scan(load_project(config), [dataset], as_of=as_of, record=False)  # type: ignore[arg-type]


def _failing(run: Run) -> set[str]:
    return {c.name for c in run.datasets[0].checks if c.status.value != "pass"}


def test_suggestions_pass_on_the_data_they_came_from(catalogue: Catalogue, dataset: str) -> None:
    report = suggest_checks(load_project(catalogue.config), dataset, as_of=NOW)
    assert {s.covers for s in report.suggestions} >= EXPECTED
    assert not report.dropped
    write_suggestions(catalogue.config, report)
    run = _scan(catalogue.config, dataset)
    assert len(run.datasets[0].checks) > len(EXPECTED)
    assert _failing(run) == set()


@pytest.mark.parametrize(("defect", "statement", "catches"), DEFECTS, ids=[d[0] for d in DEFECTS])
def test_each_planted_defect_fails_exactly_its_suggested_check(
    catalogue: Catalogue, dataset: str, defect: str, statement: str, catches: str
) -> None:
    suggested = _suggest_and_write(catalogue.config, dataset)
    assert catches in suggested
    catalogue.execute(SOURCES[dataset], statement)
    assert _failing(_scan(catalogue.config, dataset)) == {catches}, defect


def test_stale_data_fails_the_suggested_freshness(catalogue: Catalogue, dataset: str) -> None:
    _suggest_and_write(catalogue.config, dataset)
    late = _scan(catalogue.config, dataset, as_of=NOW + timedelta(days=3))
    assert _failing(late) == {"freshness(created_at)"}


# -- the example project (Parquet orders with planted problems, a clean customers CSV) --


@pytest.fixture
def example(tmp_path: Path) -> Path:
    return write_example_project(tmp_path / "shop", orders=2000, now=NOW).config_path


def test_example_customers_round_trip(example: Path) -> None:
    suggested = _suggest_and_write(example, "customers")
    assert {"in_set(country)", "between(signup_date)", "not_null(country)"} <= suggested
    assert _failing(_scan(example, "customers")) == set()
    customers = example.parent / "data" / "customers.csv"
    table = pa_csv.read_csv(customers)
    countries = table.column("country").to_pylist()
    countries[3] = "XX"  # a country nobody ever had
    table = table.set_column(
        table.schema.get_field_index("country"), "country", pa.array(countries)
    )
    pa_csv.write_csv(table, customers)
    assert _failing(_scan(example, "customers")) == {"in_set(country)"}


def test_example_orders_suggestions_pass_despite_the_planted_problems(example: Path) -> None:
    """Orders already fails some hand-written checks; what suggest adds passes, and
    suggests nothing the dataset already checks."""
    before = _failing(_scan(example, "orders"))
    assert before  # the example plants problems on purpose
    project = load_project(example)
    report = suggest_checks(project, "orders", as_of=NOW)
    configured = {(spec.type) for spec in project.datasets["orders"].checks}
    assert report.already_configured and configured
    assert not {s.covers for s in report.suggestions} & {
        s.covers for s in report.already_configured
    }
    write_suggestions(example, report)
    assert _failing(_scan(example, "orders")) == before


def test_a_second_run_suggests_nothing_new(example: Path) -> None:
    _suggest_and_write(example, "customers")
    again = suggest_checks(load_project(example), "customers", as_of=NOW)
    assert again.suggestions == []
    assert again.already_configured


def test_checks_already_configured_are_not_suggested_again(catalogue: Catalogue) -> None:
    text = catalogue.config.read_text(encoding="utf-8")
    text = text.replace("    key: [product_id]\n", "    key: [product_id, sku]\n").replace(
        "      - schema: {columns: {product_id: integer, price: double}}\n",
        "      - schema: {columns: {product_id: integer, price: double}}\n"
        "      - unique: [sku, product_id]\n"
        "      - between: {column: price, min: 0, max: 1, severity: warn}\n",
    )
    catalogue.config.write_text(text, encoding="utf-8")
    report = suggest_checks(load_project(catalogue.config), "products", as_of=NOW)
    suggested = {s.covers for s in report.suggestions}
    assert ("between", ("price",)) not in suggested  # even though the configured one fails
    assert not any(
        kind == "unique" and set(cols) == {"sku", "product_id"} for kind, cols in suggested
    )
    configured = {s.covers for s in report.already_configured}
    assert ("between", ("price",)) in configured
    assert ("unique", ("product_id", "sku")) in configured
