"""The manifest of a snapshot: what it holds and how to rebuild it.

Written last and atomically by the repository: a snapshot exists only once its manifest
does. Delta and full snapshots share one shape; a delta names its ``parent``.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

__all__ = ["Manifest", "new_snapshot_id"]

FORMAT = 1


def new_snapshot_id(moment: datetime) -> str:
    """Sortable by time (to the microsecond), unique without coordination:
    ``20260105T060000.123456Z-1a2b3c4d``."""
    return f"{moment.astimezone(UTC):%Y%m%dT%H%M%S.%fZ}-{secrets.token_hex(4)}"


@dataclass(frozen=True)
class Manifest:
    id: str
    dataset: str
    source: str
    created_at: str
    kind: str  # "full" or "delta"
    schema: str  # base64 Arrow IPC schema: exact types and column order
    rows: int
    bytes: int  # logical (uncompressed Arrow) size of the snapshot's data
    bytes_added: int  # bytes this snapshot newly stored in the repository
    data_chunks: list[str]  # full: every row; delta: rows to add
    delete_chunks: list[str] = field(default_factory=list)  # delta: row identities to drop
    parent: str | None = None
    depth: int = 0  # deltas since the last full snapshot
    key: list[str] = field(default_factory=list)
    fingerprint: str = ""
    tags: list[str] = field(default_factory=list)
    quality: str = "unknown"
    quality_run: str | None = None
    format: int = FORMAT

    @property
    def chunks(self) -> list[str]:
        return [*self.data_chunks, *self.delete_chunks]

    @property
    def arrow_schema(self) -> pa.Schema:
        return pa.ipc.read_schema(pa.py_buffer(base64.b64decode(self.schema)))

    @property
    def created(self) -> datetime:
        return datetime.fromisoformat(self.created_at)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "chunks": self.chunks}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})

    def summary(self) -> dict[str, Any]:
        """The ``steward snapshots --format json`` entry (DESIGN.md section 4)."""
        return {
            "id": self.id,
            "dataset": self.dataset,
            "created_at": self.created_at.replace("+00:00", "Z"),
            "rows": self.rows,
            "bytes": self.bytes,
            "bytes_added": self.bytes_added,
            "tags": self.tags,
            "quality": self.quality,
            "kind": self.kind,
            "parent": self.parent,
        }


def encode_schema(schema: pa.Schema) -> str:
    return base64.b64encode(schema.serialize().to_pybytes()).decode("ascii")
