"""A copy of the database gives away no secret: every column of every table, read raw.

tests/web/test_install.py and tests/web/test_bexio_connect.py check that the token columns are
encrypted; this sweeps all tables for each secret, also base64-encoded, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select, text

from saleor_bexio_app.store.secrets import SecretBox
from saleor_bexio_app.store.tables import Base, OAuthStateRow
from saleor_bexio_app.web.connect import start_connect
from tests.conftest import TEST_SECRET_KEY
from tests.security.world import two_shops
from tests.web.conftest import Harness


def _forms(secret: str) -> list[bytes]:
    raw = secret.encode()
    return [raw, base64.b64encode(raw), base64.urlsafe_b64encode(raw).rstrip(b"=")]


def _as_bytes(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode("utf-8", "surrogatepass")


async def _raw_cells(harness: Harness) -> list[tuple[str, str, bytes]]:
    """(table, column, raw bytes) of every cell, as a database dump would show them."""
    cells = []
    async with harness.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            result = await connection.execute(text(f"SELECT * FROM {table.name}"))
            columns = list(result.keys())
            for row in result.all():
                cells += [(table.name, c, _as_bytes(v)) for c, v in zip(columns, row, strict=True)]
    return cells


async def test_no_secret_is_readable_in_any_column(harness: Harness) -> None:
    # given two shops installed, connected and synced, and a bexio login still open
    world = await two_shops(harness)
    url = await start_connect(harness.services, world.shop_a)
    assert url is not None
    open_state = parse_qs(urlsplit(url).query)["state"][0]
    async with harness.services.sessions() as session:
        tokens = [
            await harness.services.connections.tokens(session, shop)
            for shop in (world.shop_a, world.shop_b)
        ]
        verifiers = [
            SecretBox(TEST_SECRET_KEY).decrypt(row.code_verifier_encrypted)
            for row in (await session.scalars(select(OAuthStateRow))).all()
        ]
    secrets = {
        "Saleor app token A": world.app_a.token,
        "Saleor app token B": world.app_b.token,
        "SECRET_KEY": TEST_SECRET_KEY,
        "bexio client secret": harness.settings.bexio_client_secret,
        "open OAuth state": open_state,
    }
    for number, stored in enumerate(tokens):
        assert stored is not None
        secrets[f"bexio access token {number}"] = stored.access_token
        secrets[f"bexio refresh token {number}"] = stored.refresh_token
    secrets.update({f"PKCE verifier {n}": verifier for n, verifier in enumerate(verifiers)})
    assert len(verifiers) == 3  # both connects, and the open one
    # when the database is read as a dump would read it
    cells = await _raw_cells(harness)
    # then no secret is in any cell, in plain text or base64
    assert cells
    for name, secret in secrets.items():
        leaks = [
            (table, column)
            for table, column, value in cells
            for form in _forms(secret)
            if form in value
        ]
        assert leaks == [], f"{name} readable in {leaks}"
