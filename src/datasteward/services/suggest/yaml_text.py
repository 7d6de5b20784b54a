"""Suggestions as ``steward.yml`` text: one list item per check, its evidence above it.

Rendered by ruamel.yaml, so what ``steward suggest`` prints and what ``--write`` adds to
the file are the same lines, quoted the way the loader reads them back.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from datasteward.services.suggest.rules import Suggestion

__all__ = [
    "Entry",
    "Layout",
    "comment_entries",
    "entries",
    "entry_node",
    "flow_entry",
    "render_entries",
]

# Plain words a YAML 1.1 reader would take for booleans or null: always quoted.
_AMBIGUOUS = frozenset(["y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"])


@dataclass(frozen=True)
class Entry:
    """One item of a ``checks:`` list and the comment line(s) explaining it."""

    check: dict[str, Any]
    comment: str


@dataclass(frozen=True)
class Layout:
    """Where list items go, relative to the column of the ``checks:`` key."""

    offset: int = 2  # the dash
    sequence: int = 4  # the item's content
    mapping: int = 2


def entries(suggestions: Sequence[Suggestion]) -> list[Entry]:
    """One entry per suggestion, except that all ``not_null`` columns share one entry."""
    found: list[Entry] = []
    nulls = [s for s in suggestions if s.type == "not_null"]
    for suggestion in suggestions:
        if suggestion.type != "not_null":
            found.append(Entry(suggestion.entry(), suggestion.evidence))
        elif suggestion is nulls[0]:
            columns = [c for s in nulls for c in s.columns]
            found.append(Entry({"not_null": columns}, suggestion.evidence))
    return found


def render_entries(
    items: Sequence[Entry],
    *,
    layout: Layout = Layout(),
    indent: int = 0,
    heading: Sequence[str] = (),
    with_key: bool = False,
    with_comments: bool = True,
) -> list[str]:
    """The lines (with newlines) of the items as a block list under ``checks:``.

    ``indent`` is the column of the ``checks:`` key; the key line itself is included only
    ``with_key``. ``heading`` lines become comments above the first item.
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    sequence = CommentedSeq([entry_node(item) for item in items])
    if with_comments:
        comment_entries(sequence, items, start=0, column=layout.offset, heading=heading)
    yaml = YAML(typ="rt")
    yaml.width = 4096  # one check, one line: never folded
    yaml.indent(mapping=layout.mapping, sequence=layout.sequence, offset=layout.offset)
    text = io.StringIO()
    yaml.dump(CommentedMap({"checks": sequence}), text)
    lines = text.getvalue().splitlines(keepends=True)
    if not with_key:
        lines = lines[1:]
    return [" " * indent + line if line.strip() else line for line in lines]


def entry_node(item: Entry, *, flow: bool = False) -> Any:
    """A list item for ruamel.yaml: ``type: {params}``, the parameters in flow style."""
    from ruamel.yaml.comments import CommentedMap

    node = CommentedMap({kind: _node(params) for kind, params in item.check.items()})
    if flow:
        node.fa.set_flow_style()
    return node


def flow_entry(item: Entry) -> str:
    """The item in flow style, for a flow list: ``{between: {column: a, min: 0}}``."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.width = 4096
    text = io.StringIO()
    yaml.dump(entry_node(item, flow=True), text)
    return text.getvalue().strip()


def comment_entries(
    sequence: Any, items: Sequence[Entry], *, start: int, column: int, heading: Sequence[str]
) -> None:
    """Put each item's comment above it (and ``heading`` above the first) at ``column``."""
    for index, item in enumerate(items):
        lines = [*(heading if index == 0 else ()), *item.comment.splitlines()]
        sequence.yaml_set_comment_before_after_key(
            start + index, before="\n".join(lines), indent=column
        )


def _node(value: Any, key: str | None = None) -> Any:
    """Mappings and lists in flow style (``{column: a, min: 0}``); regex patterns
    single-quoted as in the README (backslashes stay as typed); words a YAML 1.1 reader
    would take for booleans quoted."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import SingleQuotedScalarString

    if isinstance(value, dict):
        node: CommentedMap | CommentedSeq = CommentedMap(
            {name: _node(item, name) for name, item in value.items()}
        )
    elif isinstance(value, list):
        node = CommentedSeq([_node(item) for item in value])
    elif isinstance(value, str) and (key == "pattern" or value.lower() in _AMBIGUOUS):
        return SingleQuotedScalarString(value)
    else:
        return value
    node.fa.set_flow_style()
    return node
