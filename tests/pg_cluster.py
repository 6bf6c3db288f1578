"""A private PostgreSQL 15 cluster for the tests (run as the `postgres` user under root)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.net import free_port

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def _as_cluster_owner(args: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


@dataclass
class PgCluster:
    directory: Path
    port: int

    @property
    def admin_url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        subprocess.run(
            _as_cluster_owner(
                [
                    str(PG_BIN / "pg_ctl"),
                    "-D",
                    str(self.directory / "data"),
                    "-m",
                    "immediate",
                    "stop",
                ]
            ),
            check=False,
            capture_output=True,
        )
        shutil.rmtree(self.directory, ignore_errors=True)


def start_cluster() -> PgCluster:
    """initdb + pg_ctl start on a free loopback port; trust auth, fsync off (test data only)."""
    if not (PG_BIN / "initdb").exists():
        raise RuntimeError(
            f"PostgreSQL binaries not found in {PG_BIN}; install postgresql-15 or set PG_BIN"
        )
    directory = Path(tempfile.mkdtemp(prefix="saleor-bexio-pg-"))
    os.chmod(directory, 0o777)
    data = directory / "data"
    port = free_port()
    subprocess.run(
        _as_cluster_owner(
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ]
        ),
        check=True,
        capture_output=True,
    )
    options = (
        f"-p {port} -k {directory} -h 127.0.0.1 -F -c max_connections=200 -c synchronous_commit=off"
    )
    subprocess.run(
        _as_cluster_owner(
            [
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(directory / "log"),
                "-w",
                "start",
            ]
        ),
        check=True,
        capture_output=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return PgCluster(directory, port)
        time.sleep(0.1)
    raise RuntimeError("PostgreSQL did not start listening within 30 s")


if __name__ == "__main__":
    cluster = start_cluster()
    print(cluster.admin_url)
