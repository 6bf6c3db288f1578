"""One process asking for a bexio access token at a given moment (test_refresh_processes)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import sys
import time

import httpx

from saleor_bexio_app.bexio.oauth import BexioOAuth
from saleor_bexio_app.bexio.tokens import ConnectionTokens
from saleor_bexio_app.ids import InstallationId
from saleor_bexio_app.store.connections import ConnectionRepo
from saleor_bexio_app.store.db import create_engine, session_factory
from saleor_bexio_app.store.secrets import SecretBox
from saleor_bexio_app.store.tables import utcnow


async def main(db_url: str, secret: str, bexio: str, installation_id: int, start_at: float) -> None:
    engine = create_engine(db_url)
    async with httpx.AsyncClient() as http:
        oauth = BexioOAuth(
            http,
            auth_url=f"{bexio}/realms/bexio/protocol/openid-connect",
            client_id="sandbox-client",
            client_secret="sandbox-secret",
            redirect_uri="http://app.test/bexio/oauth/callback",
        )
        tokens = ConnectionTokens(
            session_factory(engine),
            ConnectionRepo(SecretBox(secret)),
            oauth,
            InstallationId(installation_id),
            clock=utcnow,
        )
        await asyncio.sleep(max(0.0, start_at - time.time()))
        token = await tokens.access_token()
        answer = await http.get(
            f"{bexio}/3.0/users/me", headers={"Authorization": f"Bearer {token}"}
        )
    await engine.dispose()
    digest = hashlib.sha256(token.encode()).hexdigest()
    print(json.dumps({"token": digest, "status": answer.status_code}))


if __name__ == "__main__":
    url, key, base, installation, start = sys.argv[1:6]
    asyncio.run(main(url, key, base, int(installation), float(start)))
