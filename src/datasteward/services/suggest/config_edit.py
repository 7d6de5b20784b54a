"""``steward suggest --write``: add checks to ``steward.yml`` and change nothing else.

The file is read in ruamel.yaml's round-trip mode, which knows where the dataset's
``checks:`` list starts, where its items are and how it is indented. The new items,
rendered by ruamel.yaml in that indentation, are then inserted as lines right after the
list (or after the dataset's last key when it has no list yet), so every other byte of
the file — comments, blank lines, key order, quoting, flow or block style, aligned values
— stays as the user wrote it. Layouts that lines cannot be added to (a flow-style
``checks: [...]``, a dataset written as ``{source: …}``, an empty ``checks:``) are
handled by a full ruamel.yaml round trip instead, which keeps comments, key order,
quoting and styles but may normalise spacing; items added to a flow list get no comments
(flow collections cannot hold them).

Either way the result must prove itself before it is written: it is loaded again, and its
configuration must equal the old one plus exactly the new checks, with every comment of
the old file still present. The file is then replaced atomically (temporary file, fsync,
rename), after the previous version is kept as ``steward.yml.bak`` (unless disabled).
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datasteward.config.loader import parse_project
from datasteward.errors import ConfigError, UsageError
from datasteward.services.files import write_text_atomically
from datasteward.services.suggest.yaml_text import (
    Entry,
    Layout,
    comment_entries,
    entry_node,
    flow_entry,
    render_entries,
)

__all__ = ["ConfigUpdate", "add_checks"]

# ``checks:`` with nothing (or ``~``, ``null``, ``[]``) after it but perhaps a comment
_EMPTY_CHECKS = re.compile(r"^(\s*checks\s*:)\s*(~|null|Null|NULL|\[\s*\])?\s*(#.*)?$")


@dataclass(frozen=True)
class ConfigUpdate:
    path: Path
    added: int  # list items added (all not_null columns share one item)
    backup: Path | None


def add_checks(
    config: Path,
    dataset: str,
    items: Sequence[Entry],
    *,
    heading: Sequence[str] = (),
    backup: bool = True,
) -> ConfigUpdate:
    """Append ``items`` to the ``checks:`` of ``dataset`` in the configuration file."""
    target = config.resolve()
    try:
        original = _read(target)
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read {str(config)!r}: {error}") from None
    if not items:
        return ConfigUpdate(config, 0, None)
    updated = _updated_text(original, dataset, items, heading, target)
    if _read(target) != original:
        raise UsageError(
            f"{config} changed while the checks were being suggested", hint="run it again"
        )
    backup_path = target.with_name(target.name + ".bak") if backup else None
    if backup_path is not None:
        write_text_atomically(backup_path, original)
    write_text_atomically(target, updated)
    return ConfigUpdate(config, len(items), backup_path)


def _read(path: Path) -> str:
    """The file's text with its line endings as they are (CRLF files stay CRLF)."""
    return path.read_bytes().decode("utf-8")


def _updated_text(
    original: str, dataset: str, items: Sequence[Entry], heading: Sequence[str], path: Path
) -> str:
    newline = "\r\n" if "\r\n" in original else "\n"
    attempts = (_insert_lines, _round_trip)
    for attempt in attempts:
        text = attempt(original.replace("\r\n", "\n"), dataset, items, heading)
        if text is not None:
            text = text.replace("\n", newline) if newline != "\n" else text
            if _faithful(original, text, dataset, items, path):
                return text
    raise UsageError(
        f"cannot add the checks to {path.name} without changing the rest of it",
        hint=f"add the printed checks under datasets.{dataset}.checks by hand",
    )


def _load(text: str) -> Any:
    from ruamel.yaml import YAML

    return YAML(typ="rt").load(text)


# -- inserting lines -------------------------------------------------------------------


def _insert_lines(
    text: str, dataset: str, items: Sequence[Entry], heading: Sequence[str]
) -> str | None:
    """The text with the items inserted as new lines (or, into a one-line flow collection,
    as new flow items), or None when the layout needs the full round trip."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    document = _load(text)
    node = document["datasets"][dataset]
    if not isinstance(node, CommentedMap) or not node:
        return None
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    if node.fa.flow_style():
        # ``orders: {source: lake, path: o.csv}`` → ``…, checks: [{…}, {…}]}``
        added = f"checks: [{', '.join(flow_entry(item) for item in items)}]"
        return _extend_flow_line(lines, node.lc.line, "}", added)
    checks = node.get("checks")
    if isinstance(checks, CommentedSeq) and checks and checks.fa.flow_style():
        return _extend_flow_line(lines, checks.lc.line, "]", *map(flow_entry, items))
    mapping = _mapping_indent(document, dataset)
    if isinstance(checks, CommentedSeq) and checks:
        key_col = node.lc.key("checks")[1]
        layout = Layout(
            offset=checks.lc.col - key_col,
            sequence=checks.lc.item(0)[1] - key_col,
            mapping=mapping,
        )
        end = _block_end(lines, checks.lc.item(len(checks) - 1)[0], checks.lc.col)
        new = render_entries(items, layout=layout, indent=key_col, heading=heading)
        return "".join(lines[:end] + new + lines[end:])
    layout = _file_layout(document, mapping)
    if "checks" in node:  # ``checks:`` with no items: empty, ``~`` or ``[]``
        key_line, key_col = node.lc.key("checks")
        bare = _EMPTY_CHECKS.match(lines[key_line].rstrip("\n"))
        if bare is None:
            return None
        if bare.group(2):  # the empty value goes: the items follow as a block list
            key, comment = bare.group(1), bare.group(3)
            lines[key_line] = f"{key} {comment}\n" if comment else f"{key}\n"
        new = render_entries(items, layout=layout, indent=key_col, heading=heading)
        return "".join(lines[: key_line + 1] + new + lines[key_line + 1 :])
    last_line, key_col = node.lc.key(list(node)[-1])
    end = _block_end(lines, last_line, key_col)
    new = render_entries(items, layout=layout, indent=key_col, heading=heading, with_key=True)
    return "".join(lines[:end] + new + lines[end:])


def _extend_flow_line(lines: list[str], line: int, closing: str, *added: str) -> str | None:
    """Insert flow items before the ``closing`` bracket that ends ``lines[line]``."""
    code, comment = _split_comment(lines[line].rstrip("\n"))
    body = code.rstrip()
    if not body.endswith(closing):
        return None  # the collection goes on over more lines
    inside = body[:-1].rstrip()
    separator = "" if inside.endswith(("[", "{")) else ", "
    lines[line] = f"{inside}{separator}{', '.join(added)}{closing}{code[len(body) :]}{comment}\n"
    return "".join(lines)


def _split_comment(line: str) -> tuple[str, str]:
    """A line's YAML and its trailing ``# comment`` (a ``#`` inside quotes is not one)."""
    quote = ""
    for index, char in enumerate(line):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or line[index - 1] in " \t"):
            return line[:index], line[index:]
    return line, ""


def _block_end(lines: list[str], start: int, column: int) -> int:
    """The line after the block that starts at line ``start`` at ``column``: its deeper
    lines, and comments and list dashes at its own column, belong to it."""
    end = start + 1
    for index in range(start + 1, len(lines)):
        stripped = lines[index].strip()
        if not stripped:
            continue
        indent = len(lines[index]) - len(lines[index].lstrip(" "))
        if indent > column or (indent == column and stripped.startswith(("#", "-"))):
            end = index + 1
            continue
        break
    return end


def _mapping_indent(document: Any, dataset: str) -> int:
    """How far the file indents a mapping in another: ``datasets:`` → its dataset names."""
    inner = int(document["datasets"].lc.key(dataset)[1]) - int(document.lc.key("datasets")[1])
    return inner if inner > 0 else 2


def _file_layout(document: Any, mapping: int) -> Layout:
    """The block-list indentation the file already uses (or: dash at mapping, item + 2)."""
    found = _first_block_list(document)
    if found is None:
        return Layout(offset=mapping, sequence=mapping + 2, mapping=mapping)
    key_col, sequence = found
    return Layout(
        offset=sequence.lc.col - key_col,
        sequence=sequence.lc.item(0)[1] - key_col,
        mapping=mapping,
    )


def _first_block_list(node: Any) -> tuple[int, Any] | None:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(node, CommentedMap):
        for key, value in node.items():
            if (
                isinstance(value, CommentedSeq)
                and value
                and not value.fa.flow_style()
                and value.lc.line > node.lc.key(key)[0]
            ):
                return node.lc.key(key)[1], value
            found = _first_block_list(value)
            if found is not None:
                return found
    elif isinstance(node, CommentedSeq):
        for value in node:
            found = _first_block_list(value)
            if found is not None:
                return found
    return None


# -- the full round trip ---------------------------------------------------------------


def _round_trip(
    text: str, dataset: str, items: Sequence[Entry], heading: Sequence[str]
) -> str | None:
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedSeq
    from ruamel.yaml.util import load_yaml_guess_indent

    _, sequence, offset = load_yaml_guess_indent(text)
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.explicit_start = text.lstrip().startswith("---")
    document = yaml.load(text)
    mapping = _mapping_indent(document, dataset)
    offset = mapping if offset is None else offset
    sequence = sequence if isinstance(sequence, int) and sequence > offset else offset + 2
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    node = document["datasets"][dataset]
    checks = node.get("checks")
    if not isinstance(checks, CommentedSeq):
        checks = CommentedSeq()
        if node.fa.flow_style():
            checks.fa.set_flow_style()
        node["checks"] = checks
    flow = bool(checks.fa.flow_style())
    start = len(checks)
    checks.extend(entry_node(item, flow=flow) for item in items)
    if not flow:
        column = int(document["datasets"].lc.key(dataset)[1]) + mapping + offset
        comment_entries(checks, items, start=start, column=column, heading=heading)
    out = io.StringIO()
    yaml.dump(document, out)
    return out.getvalue()


# -- proof -----------------------------------------------------------------------------


def _faithful(
    original: str, updated: str, dataset: str, items: Sequence[Entry], path: Path
) -> bool:
    """The new text configures exactly the old project plus the new checks of
    ``dataset``, and keeps every comment of the old text."""
    try:
        before = parse_project(original, file=str(path), base_dir=path.parent)
        after = parse_project(updated, file=str(path), base_dir=path.parent)
    except ConfigError:
        return False
    expected = _shape(before)
    expected[1][dataset] = (
        expected[1][dataset][0],
        expected[1][dataset][1] + [next(iter(i.check.items())) for i in items],
    )
    return _shape(after) == expected and not Counter(_comments(original)) - Counter(
        _comments(updated)
    )


def _shape(project: Any) -> tuple[Any, dict[str, tuple[Any, list[tuple[str, Any]]]]]:
    """The project without positions: settings, and each dataset's checks as written."""
    datasets = {
        name: (
            config.model_dump(exclude={"checks"}),
            [(spec.type, spec.params) for spec in config.checks],
        )
        for name, config in project.datasets.items()
    }
    return project.model_dump(exclude={"datasets"}), datasets


def _comments(text: str) -> list[str]:
    found = []
    for line in text.splitlines():
        match = re.search(r"(^|\s)(#.*)$", line)
        if match:
            found.append(match.group(2).rstrip())
    return found
