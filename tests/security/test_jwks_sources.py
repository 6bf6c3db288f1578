"""A JWKS is read only from a Saleor that is allowed and installed, whatever a request names.

Every Saleor here is reachable on the fake network and counts its JWKS fetches, so a fetch the
app should not make would show.
"""

from __future__ import annotations

import pytest

from tests.web.conftest import SHOP_A, SHOP_B, Harness, order_payload

DISALLOWED = "http://evil.test/graphql/"
DASHBOARD = [
    ("POST", "/graphql"),
    ("POST", "/api/bexio/connect"),
    ("GET", "/api/bexio/connection"),
    ("POST", "/api/bexio/disconnect"),
]
ALL = ["MANAGE_ORDERS", "MANAGE_APPS"]


def _hosts(harness: Harness, since: int) -> set[str]:
    return {call.url.host for call in harness.network.requests[since:]}


async def test_install_on_a_disallowed_saleor_calls_it_not_at_all(harness: Harness) -> None:
    evil = harness.add_saleor(DISALLOWED)
    app = evil.install_app()  # a genuine token of that Saleor
    response = await harness.register(DISALLOWED, {"auth_token": app.token})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "SALEOR_URL_PROHIBITED"
    assert (evil.jwks_fetches, evil.graphql_requests) == (0, [])
    assert harness.network.requests == []
    assert await harness.installations() == []


async def test_install_with_a_token_saleor_does_not_confirm_reads_no_jwks(
    harness: Harness,
) -> None:
    double = harness.add_saleor(SHOP_A)
    response = await harness.register(SHOP_A, {"auth_token": "not-the-apps-token"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNKNOWN_APP_ID"
    assert double.jwks_fetches == 0
    assert await harness.installations() == []


async def test_webhook_naming_a_shop_that_is_not_installed_reads_no_jwks(
    harness: Harness,
) -> None:
    installed = harness.add_saleor(SHOP_A)
    await harness.install(installed)
    await harness.run_jobs()
    stranger = harness.add_saleor(SHOP_B)
    since = len(harness.network.requests)
    # correctly signed by B, naming B: B is simply not installed
    response = await harness.deliver(
        stranger, "ORDER_CREATED", order_payload(stranger.install_app())
    )
    assert response.status_code == 401
    assert stranger.jwks_fetches == 0
    assert _hosts(harness, since) == set()
    assert await harness.jobs() == []


@pytest.mark.parametrize("api_url", [SHOP_B, DISALLOWED])
@pytest.mark.parametrize(("method", "path"), DASHBOARD)
async def test_dashboard_request_for_a_shop_that_is_not_installed_reads_no_jwks(
    harness: Harness, method: str, path: str, api_url: str
) -> None:
    await harness.install(harness.add_saleor(SHOP_A))
    stranger = harness.add_saleor(api_url)
    token = stranger.dashboard_token(
        stranger.install_app().id, permissions=ALL, user_permissions=ALL
    )
    since = len(harness.network.requests)
    response = await harness.client.request(
        method,
        path,
        headers={"Saleor-Api-Url": api_url, "Authorization-Bearer": token},
        json={"query": "{ shop { saleorApiUrl } }"},
    )
    assert response.status_code == 401
    assert stranger.jwks_fetches == 0
    assert _hosts(harness, since) == set()


async def test_token_naming_another_issuer_makes_the_app_read_only_the_installed_jwks(
    harness: Harness,
) -> None:
    double = harness.add_saleor(SHOP_A)
    app = await harness.install(double)
    evil = harness.add_saleor(DISALLOWED)
    fetched = double.jwks_fetches
    # issued by the other Saleor, under a key id shop A does not have
    token = evil.dashboard_token(app.id, permissions=ALL, user_permissions=ALL)
    since = len(harness.network.requests)
    response = await harness.client.post(
        "/graphql",
        headers={"Saleor-Api-Url": SHOP_A, "Authorization-Bearer": token},
        json={"query": "{ shop { saleorApiUrl } }"},
    )
    assert response.status_code == 401
    assert evil.jwks_fetches == 0
    assert _hosts(harness, since) <= {"shop-a.test"}
    assert double.jwks_fetches - fetched <= 1
