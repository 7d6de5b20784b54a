"""A writer killed with SIGKILL mid-backup leaves a repository that verifies clean."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from datasteward.repository import Repository

from .conftest import PASSPHRASE

WRITER = textwrap.dedent(
    """
    import os, sys
    from datasteward.repository import Repository

    repo = Repository.open(sys.argv[1], passphrase=sys.argv[2] or None)
    with repo.writer_lock(purpose="crash test"):
        number = 0
        while True:
            ids = [repo.put_chunk(os.urandom(20_000)).id for _ in range(8)]
            ids.append(repo.put_chunk(b"shared chunk" * 1000).id)
            repo.write_manifest(f"s{number:06d}", {"chunks": ids, "dataset": "t"})
            number += 1
            if number == 3:
                print("ready", flush=True)
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
@pytest.mark.parametrize("passphrase", [None, PASSPHRASE], ids=["plain", "encrypted"])
def test_a_killed_writer_leaves_a_consistent_repository(
    tmp_path: Path, passphrase: str | None
) -> None:
    location = tmp_path / "repo"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(location), passphrase or ""],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None and writer.stdout.readline() == "ready\n"
    time.sleep(random.uniform(0.05, 0.3))  # somewhere in the middle of a write
    writer.send_signal(signal.SIGKILL)
    assert writer.wait(timeout=10) == -signal.SIGKILL

    repo = Repository.open(location, passphrase=passphrase, create=False)
    report = repo.verify(read_data=True)
    assert report.ok, report.messages()
    assert report.snapshots >= 3
    with repo.writer_lock(wait=5):  # the dead writer's lock is broken, not waited for
        pruned = repo.prune()
    assert pruned.chunks_deleted == report.unreferenced_chunks
    assert repo.verify(read_data=True).temp_files == 0
    for manifest in repo.manifests():
        assert all(repo.get_chunk(chunk_id) for chunk_id in manifest["chunks"])
