"""bexio rotates refresh tokens: three processes needing a refresh at once cause exactly one."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from saleor_bexio_app.bexio.oauth import BexioOAuth, new_pkce
from saleor_bexio_app.ids import AppId, SaleorApiUrl
from saleor_bexio_app.sandbox.bexio import BexioEmulator
from saleor_bexio_app.store.connections import ConnectedAccount, ConnectionRepo
from saleor_bexio_app.store.db import session_factory
from saleor_bexio_app.store.repos import InstallationRepo
from saleor_bexio_app.store.secrets import SecretBox
from saleor_bexio_app.store.tables import utcnow
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.browser import click_at_bexio
from tests.net import free_port, serving

pytestmark = pytest.mark.slow
SCRIPT = Path(__file__).with_name("refresh_process.py")
ROOT = Path(__file__).parents[2]


async def test_three_processes_refreshing_at_once_cause_one_refresh(
    engine: AsyncEngine, db_url: str
) -> None:
    # given bexio on a real port and a connected shop whose access token has expired
    emulator = BexioEmulator(client_id="sandbox-client", client_secret="sandbox-secret")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    async with serving(emulator.app, port):
        box = SecretBox(TEST_SECRET_KEY)
        sessions = session_factory(engine)
        async with httpx.AsyncClient() as http:
            oauth = BexioOAuth(
                http,
                auth_url=f"{base}/realms/bexio/protocol/openid-connect",
                client_id="sandbox-client",
                client_secret="sandbox-secret",
                redirect_uri="http://app.test/bexio/oauth/callback",
            )
            pkce = new_pkce()
            location = await click_at_bexio(
                http, oauth.authorize_url(state="s", code_challenge=pkce.challenge), "allow"
            )
            code = httpx.URL(location).params["code"]
            tokens = await oauth.exchange_code(code, code_verifier=pkce.verifier, now=utcnow())
        async with sessions.begin() as session:
            installation = await InstallationRepo(box).upsert(
                session,
                api_url=SaleorApiUrl("http://shop-a.test/graphql/"),
                app_id=AppId("QXBwOjE="),
                token="saleor-token",
                jwks={"keys": []},
                now=utcnow(),
            )
            await ConnectionRepo(box).connect(
                session,
                installation.id,
                access_token=tokens.access_token,
                refresh_token=tokens.refresh_token,
                expires_at=utcnow() - timedelta(minutes=5),
                account=ConnectedAccount("c1", "Muster AG", 1, "Anna"),
                now=utcnow(),
            )
        # when three processes ask for a token at the same moment
        start_at = time.time() + 2.0
        processes = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                str(SCRIPT),
                db_url,
                TEST_SECRET_KEY,
                base,
                str(installation.id),
                str(start_at),
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for _ in range(3)
        ]
        outputs = [await asyncio.wait_for(p.communicate(), timeout=60) for p in processes]
        # then bexio saw one refresh, and every process called bexio successfully with it
        results = []
        for process, (out, err) in zip(processes, outputs, strict=True):
            assert process.returncode == 0, err.decode()
            results.append(json.loads(out))
        assert emulator.refresh_count == 1
        assert {r["status"] for r in results} == {200}
        assert len({r["token"] for r in results}) == 1
