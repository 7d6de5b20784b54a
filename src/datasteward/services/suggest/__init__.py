"""``steward suggest``: checks inferred from the data that pass on the data.

The dataset is measured by its engine (:mod:`.stats`), the rules turn the statistics into
checks with margins (:mod:`.rules`), checks the dataset already has are left out, and
every remaining suggestion is verified by a real scan (nothing recorded) before anyone
sees it: a suggestion that does not pass is dropped, with the scan's reason.
:mod:`.config_edit` adds the result to ``steward.yml`` without touching the rest of it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from datasteward.checks.base import Check
from datasteward.checks.catalogue import build_checks
from datasteward.config.models import CheckSpec
from datasteward.model import CheckStatus
from datasteward.services.scan import scan, select_datasets
from datasteward.services.sources import SourcePool
from datasteward.services.suggest.config_edit import ConfigUpdate, add_checks
from datasteward.services.suggest.report import Dropped, SuggestionReport
from datasteward.services.suggest.rules import Suggestion, infer
from datasteward.services.suggest.stats import measure
from datasteward.services.suggest.yaml_text import entries

if TYPE_CHECKING:
    from datasteward.config.models import Project

__all__ = [
    "ConfigUpdate",
    "Dropped",
    "Suggestion",
    "SuggestionReport",
    "suggest_checks",
    "write_suggestions",
]


def suggest_checks(
    project: Project, dataset: str, *, as_of: datetime | None = None
) -> SuggestionReport:
    """Suggest checks for a configured dataset that pass on its current data.

    ``as_of`` is the logical time freshness is judged at (default now). Raises
    UsageError for an unknown dataset and SourceError when the data cannot be read.
    """
    (name,) = select_datasets(project, [dataset])
    moment = (as_of or datetime.now(UTC)).astimezone(UTC)
    config = project.datasets[name]
    covered = {_covers(check) for spec in config.checks for check in build_checks(spec)}
    # Verification scans only the suggestions: no column monitoring, nothing recorded.
    quiet = _with_checks(project, name, [])
    with SourcePool(quiet) as pool:
        stats = measure(pool.dataset(name))
        candidates, existing = _new_ones(infer(stats, key=config.key, as_of=moment), covered)
        passed, dropped = _verify(quiet, name, candidates, moment, pool)
    return SuggestionReport(name, moment, stats.rows, passed, dropped, existing)


Subject = tuple[str, tuple[str, ...]]


def _covers(check: Check) -> Subject:
    columns = check.columns or ((check.column,) if check.column else ())
    return _subject(check.type, columns)


def _subject(kind: str, columns: tuple[str, ...]) -> Subject:
    """What a check is about; column order does not matter (``unique: [a, b]``)."""
    return (kind, tuple(sorted(columns)))


def _new_ones(
    found: list[Suggestion], covered: set[Subject]
) -> tuple[list[Suggestion], list[Suggestion]]:
    """Suggestions the dataset has no check for yet (first of equals wins), and the others."""
    fresh: list[Suggestion] = []
    existing: list[Suggestion] = []
    seen = set(covered)
    for suggestion in found:
        subject = _subject(*suggestion.covers)
        if subject in covered:
            existing.append(suggestion)
        elif subject not in seen:
            fresh.append(suggestion)
        seen.add(subject)
    return fresh, existing


def _verify(
    project: Project,
    dataset: str,
    candidates: list[Suggestion],
    as_of: datetime,
    pool: SourcePool,
) -> tuple[list[Suggestion], list[Dropped]]:
    """Scan the candidates (one check each, so results line up) and keep those that pass."""
    if not candidates:
        return [], []
    specs = [CheckSpec(type=s.type, params=s.params, file="<suggest>") for s in candidates]
    trial = _with_checks(project, dataset, specs)
    run = scan(trial, [dataset], as_of=as_of, record=False, pool=pool)
    results = run.datasets[0].checks
    assert len(results) == len(candidates), "each suggestion is one check"
    passed, dropped = [], []
    for suggestion, result in zip(candidates, results, strict=True):
        if result.status is CheckStatus.PASS:
            passed.append(suggestion)
        else:
            dropped.append(Dropped(suggestion, result.status.value, result.message))
    return passed, dropped


def _with_checks(project: Project, dataset: str, specs: list[CheckSpec]) -> Project:
    config = project.datasets[dataset].model_copy(update={"checks": specs, "monitor": "off"})
    return project.model_copy(update={"datasets": {**project.datasets, dataset: config}})


def write_suggestions(
    config: Path, report: SuggestionReport, *, backup: bool = True
) -> ConfigUpdate:
    """Add the report's checks to the dataset in ``config``, each under its evidence.

    The rest of the file is kept as written; with ``backup`` the previous version is kept
    as ``<config>.bak``.
    """
    heading = [
        f"Suggested by `steward suggest` at {report.as_of:%Y-%m-%d %H:%M} UTC; "
        f"each passed on the {report.rows:,} rows then:"
    ]
    return add_checks(
        config, report.dataset, entries(report.suggestions), heading=heading, backup=backup
    )
