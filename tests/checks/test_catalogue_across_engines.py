"""Every case of cases.yml gives the expected result on every engine, and the same one.

Engines: a DuckDB file, a SQLite file, a real PostgreSQL database (through steward.yml and
the scan service) and a pandas DataFrame (through ``datasteward.validate``). The cases and
their tables are described at the top of cases.yml; the parametrisation (one test per case
and engine) and the engines live in conftest.py.
"""

from __future__ import annotations

from numbers import Number
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from datasteward.model import CheckResult

    from .conftest import Case, Catalogue

REFERENCE_ENGINE = "duckdb"
TOLERANCE = 1e-6


class Contains:
    """Equal to any text containing ``part`` (for expected message substrings)."""

    def __init__(self, part: str) -> None:
        self.part = part

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and self.part in other

    def __hash__(self) -> int:
        return hash(self.part)

    def __repr__(self) -> str:
        return f"<text containing {self.part!r}>"


def _number(value: Any) -> Any:
    if isinstance(value, Number) and not isinstance(value, bool):
        return pytest.approx(value, abs=TOLERANCE, rel=TOLERANCE)
    return value


def _expected_view(expected: dict[str, Any]) -> dict[str, Any]:
    view = dict(expected)
    if "observed" in view:
        view["observed"] = _number(expected["observed"])
    if "message" in view:
        view["message"] = Contains(str(expected["message"]))
    if "samples_of" in view:
        view["samples_of"] = {
            column: list(values) for column, values in expected["samples_of"].items()
        }
    return view


def _actual_view(result: CheckResult, expected: dict[str, Any]) -> dict[str, Any]:
    """The result's fields that the expectation names, in the expectation's terms."""
    fields: dict[str, Any] = {
        "status": result.status.value,
        "failed_rows": result.failed_rows,
        "observed": result.observed,
        "message": result.message,
        "name": result.name,
        "column": result.column,
        "samples": len(result.samples),
        "samples_of": {
            column: sorted(sample.get(column) for sample in result.samples)
            for column in expected.get("samples_of", {})
        },
    }
    unknown = expected.keys() - fields.keys()
    assert not unknown, f"unknown expectation keys {unknown}"
    return {key: fields[key] for key in expected}


def _comparable(result: CheckResult, *, approximate: bool) -> tuple[Any, ...]:
    """What must agree between engines: status, failed rows and a numeric observed value
    (schema checks observe engine type names and errors carry engine messages)."""
    observed = result.observed
    if observed is not None and not isinstance(observed, Number):
        observed = "<engine-specific>"
    elif approximate:
        observed = _number(observed)
    return (result.name, result.status.value, result.failed_rows, observed)


def test_check_gives_the_expected_result(case: Case, engine: str, catalogue: Catalogue) -> None:
    results = catalogue.results(engine, case)
    assert len(results) == len(case.expect), [r.name for r in results]
    for result, expected in zip(results, case.expect, strict=True):
        actual = _actual_view(result, expected)
        assert actual == _expected_view(expected), result.message

    if engine == REFERENCE_ENGINE:
        return
    try:
        reference = catalogue.results(REFERENCE_ENGINE, case)
    except Exception:
        return  # the reference engine's own test reports it
    assert [_comparable(r, approximate=False) for r in results] == [
        _comparable(r, approximate=True) for r in reference
    ], f"{engine} differs from {REFERENCE_ENGINE}"
