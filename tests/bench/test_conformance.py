"""Steward agrees with Great Expectations' own expectation tests (``bench/conformance.py``).

Every case GX runs on pandas, mapped to Steward checks, must agree with GX's expected
result or be a documented difference (``DIFFERENCES`` in the script, explained in
docs/conformance.md); this runs on DuckDB and on a real PostgreSQL server.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
GX_DIR = REPO.parent / "shared" / "conformance" / "gx"  # resolved as the script does

pytestmark = pytest.mark.skipif(not GX_DIR.is_dir(), reason=f"no GX test definitions at {GX_DIR}")


@pytest.fixture(scope="module")
def conformance() -> ModuleType:
    spec = importlib.util.spec_from_file_location("conformance", REPO / "bench" / "conformance.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while they build
    spec.loader.exec_module(module)
    return module


def _listing(outcomes: list[Any]) -> str:
    return "\n".join(
        f"  {o.engine}: {o.case.expectation} / {o.case.title} {o.case.kwargs}: {o.detail}"
        for o in outcomes
    )


def _check_report(report: Any, engine: str) -> None:
    outcomes = report.of(engine)
    disagreements = [o for o in outcomes if o.verdict == "disagree"]
    assert not disagreements, (
        f"Steward disagrees with Great Expectations on {len(disagreements)} case(s); fix "
        f"Steward, or document a deliberate difference in bench/conformance.py:\n"
        + _listing(disagreements)
    )
    stale = [o for o in outcomes if o.stale]
    assert not stale, "documented differences that now agree (remove them):\n" + _listing(stale)
    compared = [o for o in outcomes if o.verdict in {"agree", "documented"}]
    assert len(compared) >= 0.7 * len(outcomes), "most cases should be mapped and compared"


def test_duckdb_agrees_with_great_expectations(conformance: ModuleType) -> None:
    _check_report(conformance.run(GX_DIR, ["duckdb"]), "duckdb")


def test_postgres_agrees_with_great_expectations(
    conformance: ModuleType, postgres_url: str
) -> None:
    report = conformance.run(GX_DIR, ["postgres"], postgres_url=postgres_url)
    _check_report(report, "postgres")


def test_every_expectation_type_is_mapped_or_explained(conformance: ModuleType) -> None:
    cases, _ = conformance.load(GX_DIR)
    on_pandas = {c.expectation for c in cases if c.on_pandas}
    unknown = on_pandas - set(conformance.MAPPERS) - set(conformance.UNMAPPED)
    assert not unknown, f"map these expectation types or say why not (UNMAPPED): {unknown}"


def test_every_documented_difference_is_explained_in_the_docs(conformance: ModuleType) -> None:
    docs = (REPO / "docs" / "conformance.md").read_text(encoding="utf-8")
    for reason, (key, _engines) in conformance.DIFFERENCES.items():
        assert key in conformance.REASONS, f"{reason} cites an unknown reason {key!r}"
    for key, text in conformance.REASONS.items():
        assert f"**{key}**" in docs and text in docs, f"docs/conformance.md lacks reason {key!r}"
