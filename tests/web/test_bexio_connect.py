"""Connecting a shop to bexio through the app, against the bexio emulator."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select

from saleor_bexio_app.errors import AuthError
from saleor_bexio_app.ids import InstallationId
from saleor_bexio_app.jobs.model import Job, JobKind
from saleor_bexio_app.jobs.queue import enqueue
from saleor_bexio_app.jobs.worker import HandlerRegistry, Worker
from saleor_bexio_app.sandbox.saleor_double import InstalledApp, SaleorDouble
from saleor_bexio_app.store.tables import BexioConnectionRow, JobRow, OAuthStateRow
from tests.fakes.browser import click_at_bexio
from tests.web.conftest import BEXIO, SHOP_A, SHOP_B, Harness

COMPANY = "Velo Muster AG"


async def _installed(harness: Harness, api_url: str = SHOP_A) -> tuple[SaleorDouble, InstalledApp]:
    double = harness.add_saleor(api_url)
    app = await harness.install(double)
    await harness.run_jobs()
    return double, app


async def _connect_url(harness: Harness, double: SaleorDouble, app: InstalledApp) -> str:
    response = await harness.client.post(
        "/api/bexio/connect", headers=harness.dashboard_headers(double, app)
    )
    assert response.status_code == 200, response.text
    url: str = response.json()["url"]
    return url


def _browser(harness: Harness) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=harness.network, base_url=BEXIO)


async def _callback(harness: Harness, location: str) -> httpx.Response:
    parts = urlsplit(location)
    assert parts.path == "/bexio/oauth/callback"
    return await harness.client.get(f"{parts.path}?{parts.query}")


async def _connect(harness: Harness, double: SaleorDouble, app: InstalledApp) -> httpx.Response:
    return await harness.connect_bexio(double, app)


async def _connection_row(harness: Harness) -> BexioConnectionRow | None:
    async with harness.services.sessions() as session:
        return await session.scalar(select(BexioConnectionRow))


async def test_connect_flow_stores_tokens_encrypted_and_shows_the_company(
    harness: Harness,
) -> None:
    # given an installed shop and a merchant with MANAGE_APPS
    harness.add_bexio(company_name=COMPANY)
    double, app = await _installed(harness)
    # when the merchant connects and allows at bexio
    url = await _connect_url(harness, double, app)
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(f"{BEXIO}/realms/bexio/protocol/openid-connect/auth?")
    assert query["code_challenge_method"] == ["S256"]
    assert {"openid", "offline_access", "company_profile"} <= set(query["scope"][0].split())
    assert query["redirect_uri"] == ["http://app.test/bexio/oauth/callback"]
    async with _browser(harness) as browser:
        location = await click_at_bexio(browser, url, "allow")
    page = await _callback(harness, location)
    # then the page says so, and the tokens are stored encrypted
    assert page.status_code == 200
    assert COMPANY in page.text
    row = await _connection_row(harness)
    assert row is not None and row.status == "connected"
    assert row.company_name == COMPANY
    async with harness.services.sessions() as session:
        tokens = await harness.services.connections.tokens(
            session, InstallationId(row.installation_id)
        )
    assert tokens is not None
    assert (
        row.access_token_encrypted
        and tokens.access_token.encode() not in row.access_token_encrypted
    )
    assert (
        row.refresh_token_encrypted
        and tokens.refresh_token.encode() not in row.refresh_token_encrypted
    )
    # and the stored token works at bexio
    async with _browser(harness) as browser:
        me = await browser.get(
            "/3.0/users/me", headers={"Authorization": f"Bearer {tokens.access_token}"}
        )
    assert me.status_code == 200
    # and the dashboard sees the company, never a token
    status = await harness.client.get(
        "/api/bexio/connection", headers=harness.dashboard_headers(double, app)
    )
    assert status.json()["status"] == "connected"
    assert status.json()["companyName"] == COMPANY
    assert tokens.access_token not in status.text


async def test_state_is_single_use(harness: Harness) -> None:
    harness.add_bexio()
    double, app = await _installed(harness)
    url = await _connect_url(harness, double, app)
    async with _browser(harness) as browser:
        location = await click_at_bexio(browser, url, "allow")
    assert (await _callback(harness, location)).status_code == 200
    replay = await _callback(harness, location)
    assert replay.status_code == 400
    assert "already used" in replay.text


async def test_state_expires_after_ten_minutes(harness: Harness) -> None:
    harness.add_bexio()
    double, app = await _installed(harness)
    url = await _connect_url(harness, double, app)
    async with _browser(harness) as browser:
        location = await click_at_bexio(browser, url, "allow")
    harness.clock.advance(10 * 60 + 1)
    response = await _callback(harness, location)
    assert response.status_code == 400
    assert await _connection_row(harness) is None


async def test_unknown_state_is_refused(harness: Harness) -> None:
    harness.add_bexio()
    await _installed(harness)
    response = await harness.client.get("/bexio/oauth/callback?code=abc&state=made-up")
    assert response.status_code == 400
    missing = await harness.client.get("/bexio/oauth/callback?code=abc")
    assert missing.status_code == 400
    assert await _connection_row(harness) is None


async def test_the_state_alone_decides_which_shop_is_connected(harness: Harness) -> None:
    # given two shops; shop B starts a connection
    harness.add_bexio()
    await _installed(harness, SHOP_A)
    double_b, app_b = await _installed(harness, SHOP_B)
    url = await _connect_url(harness, double_b, app_b)
    async with _browser(harness) as browser:
        location = await click_at_bexio(browser, url, "allow")
    # when the callback carries parameters naming shop A
    response = await harness.client.get(
        location.replace("http://app.test", "") + f"&saleorApiUrl={SHOP_A}&installation_id=1"
    )
    # then shop B is connected and shop A is not
    assert response.status_code == 200
    installations = {row.saleor_api_url: row.id for row in await harness.installations()}
    async with harness.services.sessions() as session:
        connected = (await session.scalars(select(BexioConnectionRow.installation_id))).all()
    assert connected == [installations[SHOP_B]]


async def test_deny_at_bexio_connects_nothing(harness: Harness) -> None:
    harness.add_bexio()
    double, app = await _installed(harness)
    url = await _connect_url(harness, double, app)
    async with _browser(harness) as browser:
        location = await click_at_bexio(browser, url, "deny")
    response = await _callback(harness, location)
    assert response.status_code == 400
    assert "did not grant access" in response.text
    assert await _connection_row(harness) is None


@pytest.mark.parametrize(("permissions", "status"), [(["MANAGE_ORDERS"], 403), (None, 401)])
async def test_connect_needs_a_verified_staff_user_with_manage_apps(
    harness: Harness, permissions: list[str] | None, status: int
) -> None:
    harness.add_bexio()
    double, app = await _installed(harness)
    headers = (
        harness.dashboard_headers(double, app, permissions)
        if permissions
        else {"Saleor-Api-Url": SHOP_A, "Authorization-Bearer": "not-a-jwt"}
    )
    response = await harness.client.post("/api/bexio/connect", headers=headers)
    assert response.status_code == status
    async with harness.services.sessions() as session:
        assert (await session.scalars(select(OAuthStateRow))).all() == []


async def test_disconnect_revokes_at_bexio_and_deletes_the_tokens(harness: Harness) -> None:
    emulator = harness.add_bexio()
    double, app = await _installed(harness)
    await _connect(harness, double, app)
    row = await _connection_row(harness)
    assert row is not None
    async with harness.services.sessions() as session:
        tokens = await harness.services.connections.tokens(
            session, InstallationId(row.installation_id)
        )
    assert tokens is not None
    response = await harness.client.post(
        "/api/bexio/disconnect", headers=harness.dashboard_headers(double, app)
    )
    assert response.json() == {"status": "disconnected", "revokedAtBexio": True}
    row = await _connection_row(harness)
    assert row is not None
    assert row.access_token_encrypted is None and row.refresh_token_encrypted is None
    # the refresh token is dead at bexio too
    settings = harness.settings
    async with _browser(harness) as browser:
        refresh = await browser.post(
            "/realms/bexio/protocol/openid-connect/token",
            data={"grant_type": "refresh_token", "refresh_token": tokens.refresh_token},
            auth=(settings.bexio_client_id, settings.bexio_client_secret),
        )
    assert refresh.status_code == 400
    assert emulator.token_requests[-1] == "refresh_token"


async def test_tokens_are_refreshed_before_expiry_once_for_concurrent_callers(
    harness: Harness,
) -> None:
    emulator = harness.add_bexio()
    double, app = await _installed(harness)
    await _connect(harness, double, app)
    row = await _connection_row(harness)
    assert row is not None
    tokens = harness.services.bexio_tokens(InstallationId(row.installation_id))
    first = await tokens.access_token()
    assert emulator.refresh_count == 0
    # when the access token is about to expire, ten callers ask at once
    harness.clock.advance(3600)
    fresh = await asyncio.gather(*(tokens.access_token() for _ in range(10)))
    # then bexio saw exactly one refresh and everyone got its token
    assert emulator.refresh_count == 1
    assert len(set(fresh)) == 1 and fresh[0] != first


async def test_a_401_triggers_one_refresh(harness: Harness) -> None:
    emulator = harness.add_bexio()
    double, app = await _installed(harness)
    await _connect(harness, double, app)
    row = await _connection_row(harness)
    assert row is not None
    tokens = harness.services.bexio_tokens(InstallationId(row.installation_id))
    rejected = await tokens.access_token()
    emulator.expire_access_tokens()
    renewed = await tokens.refreshed_after(rejected)
    assert renewed != rejected
    assert await tokens.refreshed_after(rejected) == renewed
    assert emulator.refresh_count == 1


async def test_revoked_access_breaks_the_connection_work_waits_and_resumes_on_reconnect(
    harness: Harness,
) -> None:
    # given a connected shop and a job that needs bexio
    emulator = harness.add_bexio()
    double, app = await _installed(harness)
    await _connect(harness, double, app)
    [installation] = await harness.installations()
    installation_id = InstallationId(installation.id)
    calls: list[int] = []

    async def needs_bexio(job: Job) -> None:
        token = await harness.services.bexio_tokens(job.installation_id).access_token()
        answer = await harness.services.bexio_http.get(
            f"{BEXIO}/3.0/users/me", headers={"Authorization": f"Bearer {token}"}
        )
        answer.raise_for_status()
        calls.append(answer.status_code)

    registry = HandlerRegistry()
    registry.register(JobKind.SYNC_CUSTOMER, needs_bexio)
    worker = Worker(
        harness.engine,
        registry,
        concurrency=1,
        lease_seconds=30,
        max_attempts=3,
        backoff_base=0,
        backoff_max=0,
        clock=harness.clock,
        on_parked=harness.services.after_park,
    )
    # when the merchant revokes the app's access in bexio and the token expires
    emulator.revoke_refresh_tokens()
    harness.clock.advance(3600)
    async with harness.services.sessions.begin() as session:
        await enqueue(
            session,
            installation_id=installation_id,
            kind=JobKind.SYNC_CUSTOMER,
            key="VXNlcjox",
            now=harness.clock(),
        )
    assert await worker.run_once() == 1
    # then the connection is broken with a reason, and the job waits (parked, not lost)
    row = await _connection_row(harness)
    assert row is not None and row.status == "broken"
    assert row.broken_reason and "Reconnect" in row.broken_reason
    [job] = await harness.jobs()
    assert (job.state, job.reason) == ("parked", "auth")
    assert calls == []
    with pytest.raises(AuthError):
        await harness.services.bexio_tokens(installation_id).access_token()
    status = await harness.client.get(
        "/api/bexio/connection", headers=harness.dashboard_headers(double, app)
    )
    assert status.json()["status"] == "broken"
    assert await harness.services.error_log.pause_state(installation_id) is not None
    # when the merchant reconnects
    assert (await _connect(harness, double, app)).status_code == 200
    # then the pause is lifted and the waiting job runs and succeeds
    assert await harness.services.error_log.pause_state(installation_id) is None
    async with harness.services.sessions() as session:
        [job] = (await session.scalars(select(JobRow))).all()
    assert job.state == "queued"
    assert await worker.run_once() == 1
    assert calls == [200]
    assert await harness.jobs() == []


async def test_uninstall_deletes_the_bexio_tokens_and_revokes_them(harness: Harness) -> None:
    emulator = harness.add_bexio()
    double, app = await _installed(harness)
    await _connect(harness, double, app)
    response = await harness.deliver(
        double,
        "APP_DELETED",
        {"__typename": "AppDeleted", "recipient": {"id": app.id}, "app": {"id": app.id}},
    )
    assert response.status_code == 200
    assert await harness.run_jobs() == 1
    row = await _connection_row(harness)
    assert row is not None
    assert row.access_token_encrypted is None and row.refresh_token_encrypted is None
    assert len(emulator.oauth.revoked_tokens) == 1


async def test_client_recovers_from_a_401_with_one_refresh(harness: Harness) -> None:
    emulator = harness.add_bexio()
    double, app = await _installed(harness)
    await _connect(harness, double, app)
    [installation] = await harness.installations()
    tokens = harness.services.bexio_tokens(InstallationId(installation.id))
    bexio = harness.services.bexio(tokens, "company")
    assert (await bexio.get_current_user()).id
    # bexio invalidates the access token before its expiry time
    emulator.expire_access_tokens()
    user = await bexio.get_current_user()
    assert user.id
    assert emulator.refresh_count == 1
    assert emulator.calls.count(("GET", "/3.0/users/me")) >= 3
