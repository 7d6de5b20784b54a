"""``steward suggest --write``: the new checks go in, nothing of the user's file goes out."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from datasteward.config import load_project, parse_project
from datasteward.errors import UsageError
from datasteward.services.example_project import write_example_project
from datasteward.services.suggest import suggest_checks, write_suggestions
from datasteward.services.suggest.config_edit import add_checks
from datasteward.services.suggest.yaml_text import Entry

from .conftest import NOW

ITEMS = [
    Entry({"not_null": ["a", "b"]}, "no NULLs in 10 rows"),
    Entry({"between": {"column": "x", "min": 0, "max": 5500}}, "values 1 to 5,000"),
    Entry({"regex": {"column": "c", "pattern": r"^[^@\s]+@x$"}}, "all 10 values are emails"),
    Entry({"in_set": {"column": "s", "values": ["yes", "no", "2024-01-01"]}}, "3 values"),
]
ADDED = [next(iter(item.check.items())) for item in ITEMS]

HEAD = "version: 1\nsources:\n  lake: {type: files, root: data}   # aligned\n"

# (layout, the text of steward.yml, lines the insertion may rewrite)
LAYOUTS = [
    ("block list", HEAD + "datasets:\n  d:\n    source: lake\n    path: d.csv\n    checks:\n"
     "      - row_count: {min: 1}   # keep\n      # a closing comment\n\n# the end\n", 0),
    ("block list at the key's column",
     HEAD + "datasets:\n    d:\n        source:   lake\n        path: 'd.csv'\n        checks:\n"
     "        - not_null:\n            - id\n        - unique: id\n    e:\n        source: lake\n"
     "        path: e.csv\n", 0),
    ("last item spans lines",
     HEAD + "datasets:\n  d:\n    source: lake\n    path: d.csv\n    checks:\n"
     "      - row_condition:\n          name: r\n          condition: |\n            a > 0\n\n"
     "            AND b > 0\n", 0),
    ("no checks yet", HEAD + "datasets:\n  d:\n    source: lake\n    path: d.csv  # here\n"
     "    # about d\n  e: {source: lake, path: e.csv}\n", 0),
    ("empty checks with a comment",
     HEAD + "datasets:\n  d:\n    source: lake\n    path: d.csv\n    checks:   # none yet\n", 0),
    ("checks: ~", HEAD + "datasets:\n  d:\n    source: lake\n    path: d.csv\n    checks: ~\n", 1),
    ("checks: []", HEAD + "datasets:\n  d:\n    source: lake\n    path: d.csv\n    checks: []\n", 1),
    ("one-line flow list",
     HEAD + "datasets:\n  d:\n    source: lake\n    path: d.csv\n"
     "    checks: [{row_count: {min: 1}}]   # flow\n", 1),
    ("one-line flow dataset", HEAD + "datasets:\n  d: {source: lake, path: d.csv}  # short\n", 1),
    ("document start and CRLF",
     ("---\n" + HEAD + "datasets:\n  d:\n    source: lake\n    path: d.csv\n    checks:\n"
      "    - row_count: {min: 1}").replace("\n", "\r\n"), 0),
]  # fmt: skip


def _comments(text: str) -> Counter[str]:
    return Counter(line[line.index("#") :].strip() for line in text.splitlines() if "#" in line)


@pytest.mark.parametrize(("layout", "text", "rewritten"), LAYOUTS, ids=[x[0] for x in LAYOUTS])
def test_checks_are_added_and_the_rest_is_kept(
    tmp_path: Path, layout: str, text: str, rewritten: int
) -> None:
    config = tmp_path / "steward.yml"
    config.write_bytes(text.encode())
    before = parse_project(text)
    update = add_checks(config, "d", ITEMS, heading=["Suggested by steward suggest"])
    new = config.read_bytes().decode()
    after = parse_project(new)
    old_checks = [(s.type, s.params) for s in before.datasets["d"].checks]
    assert [(s.type, s.params) for s in after.datasets["d"].checks] == old_checks + ADDED
    assert {n: d.model_dump() for n, d in after.datasets.items() if n != "d"} == {
        n: d.model_dump() for n, d in before.datasets.items() if n != "d"
    }
    assert not _comments(text) - _comments(new), "a comment was lost"
    # Every original line survives as it was, except the one that held an empty or flow value.
    assert sum((Counter(text.splitlines()) - Counter(new.splitlines())).values()) == rewritten
    assert ("\r\n" in new) == ("\r\n" in text)
    assert update.backup is not None and update.backup.read_bytes().decode() == text
    if "flow" not in layout:
        assert "# values 1 to 5,000" in new  # block lists carry the evidence


def test_the_example_project_keeps_every_line_and_comment(tmp_path: Path) -> None:
    example = write_example_project(tmp_path / "shop", orders=2000, now=NOW)
    original = example.config_path.read_text(encoding="utf-8")
    project = load_project(example.config_path)
    for dataset in ("orders", "customers"):
        report = suggest_checks(load_project(example.config_path), dataset, as_of=NOW)
        assert report.suggestions
        write_suggestions(example.config_path, report)
    new = example.config_path.read_text(encoding="utf-8")
    remaining = iter(new.splitlines())
    assert all(line in remaining for line in original.splitlines()), "lines only inserted"
    reloaded = load_project(example.config_path)
    for dataset in ("orders", "customers"):
        old = project.datasets[dataset].checks
        grown = reloaded.datasets[dataset].checks
        assert [(s.type, s.params) for s in grown[: len(old)]] == [(s.type, s.params) for s in old]
        assert len(grown) > len(old)
    assert "Suggested by `steward suggest`" in new


def test_no_backup_leaves_no_bak_file(tmp_path: Path) -> None:
    config = tmp_path / "steward.yml"
    config.write_text(LAYOUTS[0][1], encoding="utf-8")
    update = add_checks(config, "d", ITEMS, backup=False)
    assert update.backup is None
    assert not (tmp_path / "steward.yml.bak").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["steward.yml"]  # no temporary left


def test_a_layout_that_cannot_be_kept_is_refused_untouched(tmp_path: Path) -> None:
    text = HEAD + (
        "datasets:\n  d:\n    source: lake\n    path: d.csv\n"
        "    checks: [\n      {row_count: {min: 1}},   # inside a flow list\n    ]\n"
    )
    config = tmp_path / "steward.yml"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(UsageError, match="without changing the rest"):
        add_checks(config, "d", ITEMS)
    assert config.read_text(encoding="utf-8") == text
    assert not (tmp_path / "steward.yml.bak").exists()


def test_writing_through_a_symlink_updates_its_target(tmp_path: Path) -> None:
    real = tmp_path / "real.yml"
    real.write_text(LAYOUTS[0][1], encoding="utf-8")
    link = tmp_path / "steward.yml"
    link.symlink_to(real)
    add_checks(link, "d", ITEMS)
    assert link.is_symlink()
    assert "not_null: [a, b]" in real.read_text(encoding="utf-8")
