"""`saleor-bexio serve` as a real process: zero-configuration start, install, embedded worker."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from saleor_bexio_app.sandbox.saleor_double import SaleorDouble
from tests.conftest import TEST_SECRET_KEY, _create_database
from tests.net import free_port, serving

pytestmark = pytest.mark.slow


def _clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "SECRET_", "APP_"))
    }
    env.update(extra)
    return env


@pytest.fixture
async def saleor() -> AsyncIterator[SaleorDouble]:
    """A Saleor double listening on a real loopback port."""
    port = free_port()
    double = SaleorDouble(f"http://127.0.0.1:{port}/graphql/")
    async with serving(double.app, port):
        yield double


def _start(cwd: Path, env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "saleor_bexio_app", "serve", "--port", str(port)],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate()


def _stop_gracefully(process: subprocess.Popen[bytes]) -> str:
    process.send_signal(signal.SIGTERM)
    output = process.communicate(timeout=20)[0].decode()
    assert process.returncode in (0, -signal.SIGTERM)
    assert "Application shutdown complete" in output, output
    return output


async def _wait_until_up(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                output = process.communicate()[0].decode()
                raise AssertionError(f"serve exited early:\n{output}")
            try:
                if (await client.get(f"{base}/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError("serve did not answer within 30 s")


async def test_serve_without_configuration_installs_and_runs_jobs(
    tmp_path: Path, saleor: SaleorDouble, processes: list[subprocess.Popen[bytes]]
) -> None:
    # given: no DATABASE_URL, no SECRET_KEY, nothing but a port
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = _start(tmp_path, _clean_env(), port)
    processes.append(process)
    await _wait_until_up(base, process)
    async with httpx.AsyncClient(base_url=base) as client:
        manifest = (await client.get("/api/manifest")).json()
        assert manifest["tokenTargetUrl"] == "http://localhost:8000/api/register"
        # when Saleor installs the app
        installed = saleor.install_app()
        response = await client.post(
            "/api/register",
            json={"auth_token": installed.token},
            headers={"Saleor-Api-Url": saleor.api_url},
        )
        assert response.status_code == 200, response.text
        # (a merchant coming back from bexio's login: the one-time code is in the query string)
        back = await client.get("/bexio/oauth/callback?code=one-time-code-42&state=state-42")
        assert back.status_code == 400
    # then the embedded worker ran the install job against Saleor
    database = tmp_path / "saleor-bexio.sqlite3"
    deadline = time.monotonic() + 20
    shop_name = ""
    while time.monotonic() < deadline and not shop_name:
        with sqlite3.connect(database) as conn:
            shop_name = conn.execute("SELECT shop_name FROM installations").fetchone()[0]
        await asyncio.sleep(0.1)
    assert shop_name == saleor.shop_name
    assert (tmp_path / ".saleor-bexio-secret").exists()
    # and SIGTERM stops it cleanly (uvicorn re-raises the signal once it has shut down)
    output = _stop_gracefully(process)
    # the access log shows the callback without its query string
    assert "GET /bexio/oauth/callback HTTP/1.1" in output, output
    assert "one-time-code-42" not in output and "state-42" not in output


@pytest.mark.postgres
async def test_serve_on_postgresql_and_migrate_command(
    tmp_path: Path, pg_server: str, processes: list[subprocess.Popen[bytes]]
) -> None:
    url = await _create_database(pg_server)
    env = _clean_env(DATABASE_URL=url, SECRET_KEY=TEST_SECRET_KEY, EMBEDDED_WORKER="false")
    migrate = subprocess.run(
        [sys.executable, "-m", "saleor_bexio_app", "migrate"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert migrate.returncode == 0, migrate.stderr
    assert "up to date" in migrate.stdout
    port = free_port()
    process = _start(tmp_path, env, port)
    processes.append(process)
    await _wait_until_up(f"http://127.0.0.1:{port}", process)
    async with httpx.AsyncClient() as client:
        assert (await client.get(f"http://127.0.0.1:{port}/api/manifest")).status_code == 200
    assert not (tmp_path / "saleor-bexio.sqlite3").exists()
    _stop_gracefully(process)
