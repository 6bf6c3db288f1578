"""Processes the benchmarks measure: `saleor-bexio serve`, the bare baseline, the load generator.

Servers run as real processes on loopback ports, started the way an operator starts them; the
Saleor double they install against runs in the benchmark's own event loop (tests/net.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from saleor_bexio_app.sandbox.saleor_double import InstalledApp, SaleorDouble
from tests.conftest import TEST_SECRET_KEY, _create_database
from tests.net import free_port
from tests.pg_cluster import start_cluster

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 60.0


@dataclass
class Server:
    """A server process on 127.0.0.1:`port`, with what it printed going to `log`."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    started_in: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss_kib(self) -> int:
        """Resident memory now (VmRSS from /proc), in KiB."""
        return _proc_status(self.process.pid, "VmRSS")

    def peak_rss_kib(self) -> int:
        """The most resident memory so far (VmHWM from /proc), in KiB."""
        return _proc_status(self.process.pid, "VmHWM")


def _proc_status(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/{pid}/status has no {field}")


def app_env(database_url: str, port: int, *, embedded_worker: bool) -> dict[str, str]:
    """The environment `saleor-bexio serve` gets: nothing inherited that could configure it."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "SECRET_", "APP_", "EMBEDDED_", "LOG_", "WORKER_"))
    }
    env.update(
        SECRET_KEY=TEST_SECRET_KEY,
        DATABASE_URL=database_url,
        APP_URL=f"http://127.0.0.1:{port}",
        EMBEDDED_WORKER="true" if embedded_worker else "false",
        # uvicorn logs every request at INFO; both servers run at WARNING so neither pays for it.
        LOG_LEVEL="WARNING",
    )
    return env


def _spawn(name: str, argv: Sequence[str], env: dict[str, str], port: int, logs: Path) -> Server:
    log = logs / f"{name}-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    return Server(name, process, port, log)


def start_app(name: str, database_url: str, logs: Path, *, embedded_worker: bool) -> Server:
    """`saleor-bexio serve` on a free port."""
    port = free_port()
    argv = [sys.executable, "-m", "saleor_bexio_app", "serve", "--port", str(port)]
    env = app_env(database_url, port, embedded_worker=embedded_worker)
    return _spawn(name, argv, env, port, logs)


def start_bare(logs: Path) -> Server:
    """The bare Starlette baseline (bench/bare.py) on a free port."""
    port = free_port()
    argv = [sys.executable, "-m", "bench.bare", "--port", str(port)]
    return _spawn("bare", argv, dict(os.environ), port, logs)


async def wait_for_200(server: Server, path: str = "/api/manifest") -> float:
    """Poll `path` until it answers 200; the seconds since the process was started."""
    started = time.perf_counter()
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
    while time.perf_counter() - started < START_TIMEOUT:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited early:\n{server.log.read_text()[-3000:]}")
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        except OSError:
            await asyncio.sleep(0.005)
            continue
        try:
            writer.write(request)
            status_line = await reader.readline()
        finally:
            writer.close()
        if status_line.split(b" ")[1:2] == [b"200"]:
            return time.perf_counter() - started
        await asyncio.sleep(0.005)
    raise RuntimeError(f"{server.name} did not answer 200 on {path} in {START_TIMEOUT:.0f} s")


def stop(server: Server) -> None:
    """SIGTERM, then SIGKILL if it does not end within 20 s."""
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


@contextlib.asynccontextmanager
async def running(server: Server) -> AsyncIterator[Server]:
    """The server, up (first 200 on /api/manifest timed in `started_in`), stopped afterwards."""
    try:
        server.started_in = await wait_for_200(server)
        yield server
    finally:
        stop(server)


async def install(server: Server, double: SaleorDouble, installed: InstalledApp) -> None:
    """Register an app the double created (`double.install_app()`) through the app's
    /api/register, as Saleor does after the merchant clicked "Install"."""
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        response = await client.post(
            "/api/register",
            json={"auth_token": installed.token},
            headers={"Saleor-Api-Url": double.api_url, "Saleor-Schema-Version": "3.24"},
        )
    if response.status_code != 200:
        raise RuntimeError(f"install failed: {response.status_code} {response.text}")


async def run_load(
    url: str,
    requests: Path,
    *,
    seconds: float,
    connections: int,
    rate: float = 0.0,
    warmup: float = 0.0,
) -> dict[str, Any]:
    """Run bench/load.py in its own process against `url`; its JSON figures."""
    argv = [
        sys.executable,
        "-m",
        "bench.load",
        f"--url={url}",
        f"--requests={requests}",
        f"--seconds={seconds}",
        f"--connections={connections}",
        f"--rate={rate}",
        f"--warmup={warmup}",
    ]
    process = await asyncio.create_subprocess_exec(
        *argv, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"load generator failed:\n{err.decode()[-3000:]}")
    figures: dict[str, Any] = json.loads(out)
    return figures


@contextlib.contextmanager
def postgres_server(url: str | None) -> Iterator[str]:
    """A PostgreSQL server URL without database: `url` if given, else a private cluster
    (tests/pg_cluster.py) that is stopped and deleted afterwards."""
    if url:
        yield url.rstrip("/")
        return
    cluster = start_cluster()
    try:
        yield cluster.admin_url.rsplit("/", 1)[0]
    finally:
        cluster.stop()


async def new_postgres_database(server: str) -> str:
    """A new, empty database on the server; its URL."""
    return await _create_database(server)
