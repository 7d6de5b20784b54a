"""What ``steward suggest`` found: the verified checks, as JSON or as ``steward.yml`` text."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from datasteward.services.suggest.rules import Suggestion
from datasteward.services.suggest.yaml_text import Layout, entries, render_entries

__all__ = ["Dropped", "SuggestionReport"]

_AT_COLUMN_ZERO = Layout(offset=0, sequence=2, mapping=2)


@dataclass(frozen=True)
class Dropped:
    """A suggestion the verifying scan did not pass, and what the scan said."""

    suggestion: Suggestion
    status: str
    reason: str


@dataclass(frozen=True)
class SuggestionReport:
    dataset: str
    as_of: datetime
    rows: int
    suggestions: list[Suggestion]  # verified: each passed a scan of the current data
    dropped: list[Dropped] = field(default_factory=list)
    #: left out because the dataset already has a check of that type on that column
    already_configured: list[Suggestion] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "as_of": self.as_of.isoformat().replace("+00:00", "Z"),
            "row_count": self.rows,
            "checks": [_suggestion_json(s) for s in self.suggestions],
            "dropped": [
                {**_suggestion_json(d.suggestion), "status": d.status, "reason": d.reason}
                for d in self.dropped
            ],
            "already_configured": [_suggestion_json(s) for s in self.already_configured],
        }

    def to_yaml(self) -> str:
        """A commented YAML list, ready to go under ``datasets.<name>.checks``."""
        lines = [
            f"# Checks for dataset {self.dataset!r}, inferred from its {self.rows:,} rows "
            f"at {self.as_of:%Y-%m-%d %H:%M} UTC.",
        ]
        if self.suggestions:
            lines += [
                "# Each one passed a scan of that data. Add them under "
                f"datasets.{self.dataset}.checks,",
                f"# or run: steward suggest {self.dataset} --write",
            ]
        else:
            lines.append("# Nothing new to suggest.")
        if self.already_configured:
            lines.append(
                f"# {len(self.already_configured)} more would duplicate checks already configured."
            )
        text = "\n".join(lines) + "\n"
        if self.suggestions:
            text += "".join(render_entries(entries(self.suggestions), layout=_AT_COLUMN_ZERO))
        if self.dropped:
            text += "# Dropped because they did not pass on the current data:\n"
            text += "".join(
                f"#   {_label(d.suggestion)}: {d.status}: {d.reason}\n" for d in self.dropped
            )
        return text


def _suggestion_json(suggestion: Suggestion) -> dict[str, Any]:
    return {
        "type": suggestion.type,
        "columns": list(suggestion.columns),
        "check": suggestion.entry(),
        "evidence": suggestion.evidence,
    }


def _label(suggestion: Suggestion) -> str:
    return f"{suggestion.type}({', '.join(suggestion.columns)})"
