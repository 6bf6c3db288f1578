"""Install handshake at /api/register, as Saleor 3.24 performs it; reinstall; uninstall."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from saleor_bexio_app.ids import InstallationId
from saleor_bexio_app.jobs.model import JobKind
from tests.web.conftest import SHOP_A, Harness, order_payload

CAPTURED_REGISTER = json.loads(
    (Path(__file__).parents[1] / "payloads" / "register.json").read_text()
)


async def test_install_stores_the_shop_with_token_encrypted(harness: Harness) -> None:
    # given
    double = harness.add_saleor(SHOP_A)
    installed = double.install_app()
    # when: the same headers a real Saleor 3.24 sends
    headers = {
        k: v
        for k, v in CAPTURED_REGISTER["headers"].items()
        if k.lower().startswith(("saleor", "x-saleor", "user-agent"))
    }
    headers["Saleor-Api-Url"] = SHOP_A
    response = await harness.register(SHOP_A, {"auth_token": installed.token}, headers)
    # then
    assert response.status_code == 200
    assert response.json() == {"success": True}
    [row] = await harness.installations()
    assert (row.saleor_api_url, row.app_id, row.status) == (SHOP_A, installed.id, "active")
    assert row.token_encrypted and installed.token.encode() not in row.token_encrypted
    assert row.jwks == double.jwks()
    assert [(job.kind, job.key) for job in await harness.jobs()] == [(JobKind.APP_INSTALLED, "app")]
    async with harness.services.sessions() as session:
        assert (
            await harness.services.installations.token(session, InstallationId(row.id))
            == installed.token
        )


async def test_install_job_records_shop_name_through_saleor(harness: Harness) -> None:
    double = harness.add_saleor(SHOP_A)
    await harness.install(double)
    assert await harness.run_jobs() == 1
    [row] = await harness.installations()
    assert row.shop_name == double.shop_name
    assert row.saleor_version
    assert await harness.jobs() == []


@pytest.mark.parametrize(
    ("api_url", "body", "status", "code"),
    [
        ("", {"auth_token": "t"}, 400, "MISSING_SALEOR_API_URL"),
        ("not a url", {"auth_token": "t"}, 400, "INVALID_SALEOR_API_URL"),
        (SHOP_A, {}, 400, "MISSING_AUTH_TOKEN"),
        (SHOP_A, ["auth_token"], 400, "MISSING_AUTH_TOKEN"),
        (SHOP_A, {"auth_token": ""}, 400, "MISSING_AUTH_TOKEN"),
        ("https://evil.example.com/graphql/", {"auth_token": "t"}, 403, "SALEOR_URL_PROHIBITED"),
        (SHOP_A, {"auth_token": "not-a-token-saleor-knows-00000"}, 401, "UNKNOWN_APP_ID"),
    ],
)
async def test_install_failures_answer_with_code_and_message(
    harness: Harness, api_url: str, body: object, status: int, code: str
) -> None:
    harness.add_saleor(SHOP_A)
    response = await harness.register(api_url, body)
    assert response.status_code == status
    payload = response.json()
    assert payload["success"] is False
    assert payload["error"]["code"] == code
    assert payload["error"]["message"]
    assert await harness.installations() == []


async def test_install_refused_when_saleor_is_unreachable(harness: Harness) -> None:
    response = await harness.register(SHOP_A, {"auth_token": "x" * 30})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNKNOWN_APP_ID"
    assert "reach" in response.json()["error"]["message"]


async def test_install_refused_when_jwks_is_unavailable(harness: Harness) -> None:
    double = harness.add_saleor(SHOP_A)
    installed = double.install_app()
    harness.network.failing = lambda request: request.url.path.endswith("jwks.json")
    response = await harness.register(SHOP_A, {"auth_token": installed.token})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "JWKS_NOT_AVAILABLE"
    assert await harness.installations() == []


async def test_install_body_that_is_not_json_is_a_400(harness: Harness) -> None:
    response = await harness.client.post(
        "/api/register", content=b"{nope", headers={"Saleor-Api-Url": SHOP_A}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "MISSING_AUTH_TOKEN"


async def test_reinstall_replaces_app_id_and_token_on_the_same_shop(harness: Harness) -> None:
    # given an installed shop with queued work
    double = harness.add_saleor(SHOP_A)
    first = await harness.install(double)
    await harness.run_jobs()
    accepted = await harness.deliver(double, "ORDER_CREATED", order_payload(first))
    assert accepted.status_code == 200
    [before] = await harness.installations()
    # when the merchant uninstalls in Saleor and installs again
    double.uninstall_app(first.id)
    second = await harness.install(double)
    # then work accepted before the reinstall is still waiting, not lost
    assert [job.kind for job in await harness.jobs()].count("sync_order") == 1
    # then one shop row, now with the new app id and token
    [after] = await harness.installations()
    assert after.id == before.id
    assert (after.app_id, after.status) == (second.id, "active")
    assert first.id != second.id
    async with harness.services.sessions() as session:
        assert (
            await harness.services.installations.token(session, InstallationId(after.id))
            == second.token
        )
    # and a delivery addressed to the old app is refused while the new one is accepted
    old = await harness.deliver(double, "ORDER_CREATED", order_payload(first))
    new = await harness.deliver(double, "ORDER_CREATED", order_payload(second))
    assert (old.status_code, new.status_code) == (401, 200)


async def test_uninstall_disables_the_shop_and_deletes_its_secrets(harness: Harness) -> None:
    # given
    double = harness.add_saleor(SHOP_A)
    installed = await harness.install(double)
    await harness.run_jobs()
    assert (
        await harness.deliver(double, "ORDER_CREATED", order_payload(installed))
    ).status_code == 200
    # when Saleor sends APP_DELETED
    response = await harness.deliver(
        double,
        "APP_DELETED",
        {
            "__typename": "AppDeleted",
            "recipient": {"id": installed.id},
            "app": {"id": installed.id},
        },
    )
    # then
    assert response.status_code == 200
    [row] = await harness.installations()
    assert row.status == "uninstalled"
    assert row.token_encrypted is None
    assert row.uninstalled_at is not None
    assert await harness.run_jobs() == 1
    assert await harness.jobs() == []
    # and later deliveries for the shop are refused
    again = await harness.deliver(double, "ORDER_CREATED", order_payload(installed))
    assert again.status_code == 401


async def test_late_app_deleted_of_an_earlier_install_leaves_the_current_one(
    harness: Harness,
) -> None:
    double = harness.add_saleor(SHOP_A)
    first = await harness.install(double)
    second = await harness.install(double)
    response = await harness.deliver(
        double,
        "APP_DELETED",
        {"__typename": "AppDeleted", "recipient": {"id": first.id}, "app": {"id": first.id}},
    )
    assert response.status_code == 401
    [row] = await harness.installations()
    assert (row.app_id, row.status) == (second.id, "active")
    assert row.token_encrypted is not None


async def test_manifest_is_served_with_app_url(harness: Harness) -> None:
    response = await harness.client.get("/api/manifest")
    assert response.status_code == 200
    manifest = response.json()
    assert manifest["tokenTargetUrl"] == "http://app.test/api/register"
    assert all(
        hook["targetUrl"].startswith("http://app.test/api/webhooks/")
        for hook in manifest["webhooks"]
    )
    assert isinstance(httpx.URL(manifest["appUrl"]), httpx.URL)


async def test_pages_the_manifest_links_to_are_served(harness: Harness) -> None:
    manifest = (await harness.client.get("/api/manifest")).json()
    for key in ("homepageUrl", "supportUrl", "dataPrivacyUrl"):
        path = httpx.URL(manifest[key]).path
        response = await harness.client.get(path)
        assert response.status_code == 200, key
        assert response.headers["content-type"].startswith("text/html")
    home = await harness.client.get("/")
    assert "http://app.test/api/manifest" in home.text
