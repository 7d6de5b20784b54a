"""The example project behind ``steward init DIR`` and ``steward demo``.

It writes a small, realistic shop into a directory and a commented ``steward.yml`` that
uses every check type (``anomaly`` stays commented out until there is history), so a
newcomer can run ``steward scan`` and see checks pass and fail::

    DIR/
    ├── steward.yml              commented checks (DESIGN.md section 3)
    └── data/
        ├── customers.csv        clean customer list
        └── orders/orders.parquet    orders with problems planted on purpose

The data is deterministic for a ``seed`` and a reference time ``now``; the timestamps end
just before ``now`` so the freshness check passes on a fresh demo. The planted problems
have known counts, returned as :class:`PlantedDefects`, so tests and the demo can state
what a scan must find. ``.steward/`` is left to the tool.
"""

from __future__ import annotations

import math
import os
import random
import string
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from string import Template

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from datasteward.errors import UsageError

__all__ = [
    "DEFAULT_ORDERS",
    "MIN_ORDERS",
    "STATUSES",
    "ExampleProject",
    "PlantedDefects",
    "write_example_project",
]

DEFAULT_ORDERS = 20_000
MIN_ORDERS = 200
STATUSES = ("new", "paid", "shipped", "cancelled")

_HOUR_S = 3_600
_DAY_S = 86_400
_HISTORY_DAYS = 90
_FIRST_ORDER_ID = 100_001
_DISCOUNTS = (0.05, 0.10, 0.15, 0.20, 0.25)
_BAD_STATUSES = ("PAID", "Shipped", "refunded", "pending", "canceled")
# ISO 3166 alpha-2 → alpha-3: the planted "wrong code" is the right country, wrong standard.
_COUNTRIES = {
    "US": "USA", "GB": "GBR", "DE": "DEU", "FR": "FRA", "NL": "NLD", "ES": "ESP", "IT": "ITA",
    "SE": "SWE", "PL": "POL", "CA": "CAN", "AU": "AUS", "BR": "BRA", "JP": "JPN", "IN": "IND",
}  # fmt: skip
_COUNTRY_WEIGHTS = (30, 12, 11, 8, 5, 5, 5, 3, 3, 6, 4, 3, 2, 3)
_FIRST_NAMES = (
    "Emma", "Liam", "Olivia", "Noah", "Ava", "Lucas", "Mia", "Elias", "Sofia", "Mateo",
    "Chloé", "Zoë", "José", "Hannah", "Omar", "Aisha", "Kenji", "Priya", "Lars", "Ingrid",
    "Mohammed", "Grace", "Tomasz", "Léa", "Diego", "Yuki", "Arjun", "Freya", "Marco", "Nora",
)  # fmt: skip
_LAST_NAMES = (
    "Smith", "Müller", "García", "Rossi", "Dubois", "de Vries", "Kowalski", "Andersson",
    "Tanaka", "Sharma", "O'Brien", "Silva", "Jones", "Schmidt", "Martin", "Nowak", "Khan",
    "Johansson", "Fernández", "Brown", "Lefèvre", "Bianchi", "Patel", "Sato", "Wilson",
)  # fmt: skip
_DOMAINS = ("gmail.com", "outlook.com", "yahoo.co.uk", "web.de", "orange.fr", "proton.me")

# Planted-defect counts for DEFAULT_ORDERS rows; other sizes scale them (at least 1 each).
_BASE_DEFECTS = {
    "duplicate_order_ids": 6,
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

_UTC_TIME = pa.timestamp("us", tz="UTC")
_ORDERS_SCHEMA = pa.schema(
    {"order_id": pa.int64(), "customer_id": pa.int64(), "order_date": pa.date32(),
     "created_at": _UTC_TIME, "shipped_at": _UTC_TIME, "status": pa.string(),
     "amount": pa.float64(), "discount": pa.float64(), "email": pa.string(),
     "country": pa.string()}
)  # fmt: skip
_CUSTOMERS_SCHEMA = pa.schema(
    {"customer_id": pa.int64(), "name": pa.string(), "email": pa.string(),
     "country": pa.string(), "signup_date": pa.date32()}
)  # fmt: skip


@dataclass(frozen=True)
class PlantedDefects:
    """How many rows of each deliberate problem the example orders hold."""

    duplicate_order_ids: int  # order_id values used by two different orders
    duplicate_order_rows: int  # rows whose order_id is shared (2 per duplicated id)
    null_customer_ids: int
    malformed_emails: int  # fail the regex check of steward.yml
    negative_amounts: int
    excessive_amounts: int  # amount > 10000
    orphan_customer_ids: int  # non-null customer_id missing from customers.csv
    invalid_statuses: int  # status outside STATUSES
    late_shipments: int  # shipped_at < created_at
    three_letter_countries: int
    large_discounts: int  # discount > 0.5: tolerated by a `mostly` check

    @property
    def out_of_range_amounts(self) -> int:
        """Rows the ``between: {column: amount, min: 0, max: 10000}`` check fails."""
        return self.negative_amounts + self.excessive_amounts

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class ExampleProject:
    """What :func:`write_example_project` wrote, and what a scan of it should find."""

    directory: Path
    config_path: Path
    orders_path: Path
    customers_path: Path
    order_rows: int
    customer_rows: int
    seed: int
    now: datetime
    defects: PlantedDefects


def write_example_project(
    directory: Path,
    *,
    orders: int = DEFAULT_ORDERS,
    seed: int = 7,
    force: bool = False,
    now: datetime | None = None,
) -> ExampleProject:
    """Write example data and a commented ``steward.yml`` into ``directory``.

    ``now`` is the reference time the data ends just before (default: the current UTC
    hour; a naive datetime is taken as UTC). Refuses to replace an existing
    ``steward.yml`` unless ``force`` is true.
    """
    directory = Path(directory)
    _check_request(directory / "steward.yml", orders=orders, force=force)
    reference = _reference_time(now)
    rng = random.Random(seed)
    customers = _generate_customers(max(20, orders // 10), reference, rng)
    order_rows = _generate_orders(orders, customers, reference, rng)
    project = ExampleProject(
        directory=directory,
        config_path=directory / "steward.yml",
        orders_path=directory / "data" / "orders" / "orders.parquet",
        customers_path=directory / "data" / "customers.csv",
        order_rows=orders,
        customer_rows=len(customers.ids),
        seed=seed,
        now=reference,
        defects=_plant_defects(order_rows, len(customers.ids), rng),
    )
    _write_files(project, order_rows.to_arrow(), customers.to_arrow())
    return project


def _check_request(config_path: Path, *, orders: int, force: bool) -> None:
    if config_path.exists() and not force:
        raise UsageError(
            f"{config_path} already exists",
            hint="pass --force to overwrite it and the example data with a fresh example project",
        )
    if orders < MIN_ORDERS:
        raise UsageError(
            f"the example project needs at least {MIN_ORDERS} orders, got {orders}",
            hint=f"ask for {MIN_ORDERS} orders or more",
        )


def _write_files(project: ExampleProject, orders: pa.Table, customers: pa.Table) -> None:
    try:
        project.orders_path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as exc:
        raise UsageError(
            f"cannot create the example project in {project.directory}: {exc.strerror}",
            hint="choose a directory path that is not a file",
        ) from exc
    _replace_atomically(project.orders_path, lambda tmp: pq.write_table(orders, tmp))
    _replace_atomically(project.customers_path, lambda tmp: pa_csv.write_csv(customers, tmp))
    # steward.yml last: the project exists (and is refused without --force) once it does.
    text = _render_config(project.defects)
    _replace_atomically(project.config_path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _reference_time(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


def _replace_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """Write ``path`` through a temporary sibling, fsync it and rename it into place."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        write(tmp)
        with tmp.open("rb") as handle:
            os.fsync(handle.fileno())
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


# -- customers -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Customers:
    ids: list[int]
    names: list[str]
    emails: list[str]
    countries: list[str]
    signup_days: list[int]  # days since the epoch

    def to_arrow(self) -> pa.Table:
        columns = [self.ids, self.names, self.emails, self.countries, self.signup_days]
        return pa.Table.from_arrays(
            [pa.array(c, type=f.type) for c, f in zip(columns, _CUSTOMERS_SCHEMA, strict=True)],
            schema=_CUSTOMERS_SCHEMA,
        )


def _ascii_word(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch in string.ascii_lowercase)


def _generate_customers(count: int, now: datetime, rng: random.Random) -> _Customers:
    today = (now.date() - date(1970, 1, 1)).days
    customers = _Customers([], [], [], [], [])
    countries = list(_COUNTRIES)
    for customer_id in range(1, count + 1):
        first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
        local = f"{_ascii_word(first)}.{_ascii_word(last)}{customer_id}"
        customers.ids.append(customer_id)
        customers.names.append(f"{first} {last}")
        customers.emails.append(f"{local}@{rng.choice(_DOMAINS)}")
        customers.countries.append(rng.choices(countries, weights=_COUNTRY_WEIGHTS)[0])
        # Everyone signed up before the order history starts, so no order predates a signup.
        customers.signup_days.append(today - rng.randint(_HISTORY_DAYS + 1, 3 * 365))
    return customers


# -- orders ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Orders:
    order_id: list[int]
    customer_id: list[int | None]
    created_us: list[int]  # microseconds since the epoch, UTC
    shipped_us: list[int | None]
    status: list[str]
    amount: list[float]
    discount: list[float | None]
    email: list[str]
    country: list[str]

    def to_arrow(self) -> pa.Table:
        order_date = [us // (_DAY_S * 1_000_000) for us in self.created_us]
        columns: Sequence[Sequence[object]] = [
            self.order_id, self.customer_id, order_date, self.created_us, self.shipped_us,
            self.status, self.amount, self.discount, self.email, self.country,
        ]  # fmt: skip
        return pa.Table.from_arrays(
            [pa.array(c, type=f.type) for c, f in zip(columns, _ORDERS_SCHEMA, strict=True)],
            schema=_ORDERS_SCHEMA,
        )


def _order_ages(count: int, rng: random.Random) -> list[int]:
    """Distinct ages in seconds, oldest first; the newest order is under 30 minutes old."""
    older = rng.sample(range(1_801, _HISTORY_DAYS * _DAY_S), count - 1)
    return sorted([*older, rng.randint(60, 1_800)], reverse=True)


def _lifecycle(age_s: int, rng: random.Random) -> tuple[str, int | None]:
    """Status and shipping delay (seconds) of an order of the given age."""
    if rng.random() < 0.05:
        return "cancelled", None
    delay = rng.randint(2 * _HOUR_S, 96 * _HOUR_S)
    if delay < age_s:
        return "shipped", delay
    return ("new" if age_s < 6 * _HOUR_S else "paid"), None


def _generate_orders(
    count: int, customers: _Customers, now: datetime, rng: random.Random
) -> _Orders:
    now_us = int(now.timestamp()) * 1_000_000
    # A few loyal customers place many orders: Pareto weights, as in real shops.
    weights = [rng.paretovariate(1.2) for _ in customers.ids]
    buyers = rng.choices(range(len(customers.ids)), weights=weights, k=count)
    orders = _Orders([], [], [], [], [], [], [], [], [])
    for index, (age_s, buyer) in enumerate(zip(_order_ages(count, rng), buyers, strict=True)):
        created_us = now_us - age_s * 1_000_000
        status, delay = _lifecycle(age_s, rng)
        amount = min(max(rng.lognormvariate(math.log(60.0), 0.75), 1.0), 5_000.0)
        orders.order_id.append(_FIRST_ORDER_ID + index)
        orders.customer_id.append(customers.ids[buyer])
        orders.created_us.append(created_us)
        orders.shipped_us.append(None if delay is None else created_us + delay * 1_000_000)
        orders.status.append(status)
        orders.amount.append(round(amount, 2))
        orders.discount.append(rng.choice(_DISCOUNTS) if rng.random() < 0.12 else None)
        orders.email.append(customers.emails[buyer])
        orders.country.append(customers.countries[buyer])
    return orders


# -- planted defects -------------------------------------------------------------------


def _scaled_counts(rows: int) -> dict[str, int]:
    return {
        name: max(1, round(base * rows / DEFAULT_ORDERS)) for name, base in _BASE_DEFECTS.items()
    }


def _malformed(email: str, rng: random.Random) -> str:
    local, _, domain = email.partition("@")
    host = domain.split(".", 1)[0]
    return rng.choice(
        (
            f"{local}{domain}",  # lost the @
            f"{local}@{host}",  # no top-level domain
            f"{local}@@{domain}",
            f"{local.replace('.', ' ', 1)}@{domain}",  # typed a space
            f"{local}@{domain.replace('.', ',')}",
        )
    )


def _plant_defects(orders: _Orders, customer_count: int, rng: random.Random) -> PlantedDefects:
    """Corrupt disjoint sets of rows, so each count is exact and independent of the others."""
    counts = _scaled_counts(len(orders.order_id))
    taken: set[int] = set()

    def pick(pool: Sequence[int], k: int) -> list[int]:
        chosen = rng.sample([i for i in pool if i not in taken], k)
        taken.update(chosen)
        return chosen

    rows = range(len(orders.order_id))
    shipped = [i for i in rows if orders.status[i] == "shipped"]
    discounted = [i for i in rows if orders.discount[i] is not None]
    for i in pick(shipped, counts["late_shipments"]):  # a time-zone bug in the warehouse feed
        created = orders.created_us[i]
        orders.shipped_us[i] = created - rng.randint(_HOUR_S, 48 * _HOUR_S) * 1_000_000
    for i in pick(discounted, counts["large_discounts"]):  # staff discounts
        orders.discount[i] = rng.choice((0.6, 0.75, 0.9))
    duplicated = pick(rows, 2 * counts["duplicate_order_ids"])
    half = counts["duplicate_order_ids"]
    for original, clash in zip(duplicated[:half], duplicated[half:], strict=True):
        orders.order_id[clash] = orders.order_id[original]  # id clash, not a double load
    for i in pick(rows, counts["null_customer_ids"]):
        orders.customer_id[i] = None
    orphan_ids = rng.sample(range(customer_count + 1, 2 * customer_count + 100), len(rows) // 50)
    for i in pick(rows, counts["orphan_customer_ids"]):  # customers deleted upstream
        orders.customer_id[i] = rng.choice(orphan_ids)
    for i in pick(rows, counts["malformed_emails"]):
        orders.email[i] = _malformed(orders.email[i], rng)
    for i in pick(rows, counts["negative_amounts"]):  # refunds booked as orders
        orders.amount[i] = -round(rng.uniform(1.0, 300.0), 2)
    for i in pick(rows, counts["excessive_amounts"]):  # cents typed as euros
        orders.amount[i] = round(rng.uniform(10_001.0, 15_000.0), 2)
    for i in pick(rows, counts["invalid_statuses"]):
        orders.status[i] = rng.choice(_BAD_STATUSES)
    for i in pick(rows, counts["three_letter_countries"]):
        orders.country[i] = _COUNTRIES[orders.country[i]]
    return PlantedDefects(duplicate_order_rows=2 * half, **counts)


# -- steward.yml -----------------------------------------------------------------------

# A text template, not a dumped dict, so the comments that teach the format survive.
_CONFIG = Template(
    r"""# steward.yml: what Steward checks, where the data lives and where history is kept.
# Generated by `steward init` with example data that has problems planted on purpose;
# the comments say which checks find them. Edit freely: it is your project now.
#
#   steward scan                  run every check (exit code 1 when an error check fails)
#   steward scan --format json    the same, machine-readable
#   steward profile orders        what the data looks like
version: 1

# Run history, metrics and the audit log. SQLite needs no server; a team shares
# PostgreSQL instead:  postgresql://steward:$${PGPASSWORD}@db.internal/steward
store: sqlite:///.steward/steward.db

backups:
  repository: .steward/backups        # a local folder or an fsspec URL (s3://bucket/steward)
  # encryption: {passphrase_env: STEWARD_BACKUP_PASSPHRASE}

sources:
  lake: {type: files, root: data}     # CSV, Parquet and JSON files, read in place by DuckDB
  # warehouse: {type: duckdb, path: data/warehouse.duckdb}
  # shop: {type: postgres, url: "postgresql://app:$${SHOP_PW}@localhost:5432/shop"}

# Every check takes these options too: name, severity (error | warn), where (an SQL
# filter applied first), mostly (share of non-null rows that must pass) and samples.
datasets:
  orders:
    source: lake
    path: orders/*.parquet            # a glob: every Parquet file of the folder is one table
    key: [order_id]                   # used by diff, backups and maintenance
    checks:
      # Volume and completeness. A check of several columns reports one result per column.
      - row_count: {min: 1}
      # Fails: $null_customer_ids orders have no customer_id.
      - not_null: [order_id, customer_id, created_at]
      # Passes: most orders carry no discount, and that is fine up to 95%.
      - missing_percent: {column: discount, max: 95}

      # Uniqueness of one column, or of a composite key.
      # Fails: $duplicate_order_rows rows share $duplicate_order_ids order ids.
      - unique: order_id
      # Passes: each clashing id belongs to two different orders, not one order loaded twice.
      - unique: [order_id, created_at]

      # Validity of single values. Row-level checks ignore NULLs (not_null is for those).
      # Fails: $negative_amounts negative amounts (refunds) and $excessive_amounts above 10000.
      - between: {column: amount, min: 0, max: 10000}
      # Fails: $invalid_statuses rows spell their status differently.
      - in_set: {column: status, values: [new, paid, shipped, cancelled]}
      # Fails: $malformed_emails malformed addresses.
      - regex: {column: email, pattern: '^[^@\s]+@[^@\s]+\.[a-z]{2,}$$'}
      # Warns (a warning, not a failure): $three_letter_countries three-letter codes.
      - length: {column: country, min: 2, max: 2, severity: warn}
      # Passes: `mostly` tolerates a few exceptions, here $large_discounts staff discounts over 50%.
      - between: {name: discount_at_most_half, column: discount, min: 0, max: 0.5, mostly: 0.95}

      # Statistics: min, max, mean, median, stddev, sum, distinct_count, missing_percent, ...
      - metric: {column: amount, stat: mean, min: 50, max: 150}
      - metric: {column: amount, stat: median, min: 20, max: 200}

      # Timeliness: the newest created_at is at most 24h older than the run (--as-of).
      - freshness: {column: created_at, max_age: 24h}

      # Consistency across columns and datasets.
      # Fails: $late_shipments orders were shipped before they were created.
      - row_condition:
          name: shipped_after_created
          condition: "shipped_at IS NULL OR shipped_at >= created_at"
      # Passes: `where` narrows a check to the rows it is about.
      - row_condition:
          name: shipped_orders_have_a_ship_time
          condition: "shipped_at IS NOT NULL"
          where: "status = 'shipped'"
      # Fails: $orphan_customer_ids orders point at customers missing from customers.csv.
      - foreign_key: {column: customer_id, references: customers.customer_id}
      - schema: {columns: {order_id: integer, amount: double}, allow_extra: true}

      # Anything else is a query that returns one number.
      - sql:
          name: no_future_orders
          query: "SELECT count(*) FROM orders WHERE created_at > now()"
          max: 0

      # Learns the usual row count from past scans and flags a sudden jump or drop;
      # enable it once a few scans are in the history:
      # - anomaly: {metric: row_count}

  customers:
    source: lake
    path: customers.csv
    key: [customer_id]
    checks:
      - row_count: {min: 1}
      - not_null: [customer_id, name, email, signup_date]
      - unique: customer_id
      - unique: email
      - regex: {column: email, pattern: '^[^@\s]+@[^@\s]+\.[a-z]{2,}$$'}
      - length: {column: country, min: 2, max: 2}
"""
)


def _render_config(defects: PlantedDefects) -> str:
    return _CONFIG.substitute(defects.as_dict())
