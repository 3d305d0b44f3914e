"""A PostgreSQL cluster of the bench's own, for the faults bench's restarts.

Restarting the shared server at 5432 under load broke whatever else was using it (the test
suite run beside ``make bench``), so the restart phase makes its own: ``pg_createcluster`` on a
free port with trust auth, dropped afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from bench._support import free_port


@dataclass
class OwnCluster:
    """A PostgreSQL cluster made for this bench alone, so restarting it disturbs nobody."""

    version: str
    name: str
    port: int

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def ctl(self, action: str) -> None:
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", self.version, self.name, action],
            capture_output=True,
            check=False,
            timeout=120,
        )

    def online(self) -> bool:
        out = subprocess.run(
            ["pg_lsclusters", "-h", self.version, self.name],
            capture_output=True,
            text=True,
            check=False,
        )
        return "online" in out.stdout


def _pg_version() -> str | None:
    """The newest PostgreSQL server installed the Debian way, if any."""
    if shutil.which("pg_createcluster") is None:
        return None
    root = Path("/usr/lib/postgresql")
    if not root.is_dir():
        return None
    versions = sorted((d.name for d in root.iterdir() if d.is_dir()), key=float)
    return versions[-1] if versions else None


@contextlib.asynccontextmanager
async def own_postgres() -> AsyncIterator[OwnCluster | None]:
    """A fresh cluster on a free port for the restart phase, or None where the Debian
    cluster tools are missing (then the phase runs without restarts)."""
    version = _pg_version()
    if version is None:
        yield None
        return
    cluster = OwnCluster(version, f"jejaring_faults_{os.getpid()}", free_port())
    create = ["pg_createcluster", version, cluster.name, "-p", str(cluster.port), "--start"]
    made = await asyncio.to_thread(
        subprocess.run,
        [*create, "--", "--auth=trust"],
        capture_output=True,
        check=False,
        timeout=300,
    )
    try:
        if made.returncode != 0:
            print(f"faults: no cluster of its own ({made.stderr[-200:]!r})", file=sys.stderr)
            yield None
            return
        yield cluster
    finally:
        await asyncio.to_thread(
            subprocess.run,
            ["pg_dropcluster", "--stop", version, cluster.name],
            capture_output=True,
            check=False,
            timeout=300,
        )
