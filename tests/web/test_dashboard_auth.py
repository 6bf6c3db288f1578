"""Dashboard JWTs: verified against the installed shop's JWKS, for this app and this shop only."""

from __future__ import annotations

from typing import Any

import pytest

from saleor_bexio_app.saleor.dashboard_token import TokenError
from saleor_bexio_app.web.auth import authenticate_dashboard
from tests.web.conftest import SHOP_A, SHOP_B, Harness

PERMS = ["MANAGE_ORDERS", "MANAGE_USERS", "MANAGE_PRODUCTS"]


async def _token(harness: Harness, **overrides: Any) -> tuple[Any, str]:
    double = harness.add_saleor(SHOP_A)
    app = await harness.install(double)
    kwargs: dict[str, Any] = {"permissions": PERMS, "user_permissions": [*PERMS, "MANAGE_APPS"]}
    kwargs.update(overrides)
    return double, double.dashboard_token(app.id, **kwargs)


async def test_valid_token_names_the_staff_user(harness: Harness) -> None:
    _double, token = await _token(harness, email="anna@shop.ch")
    installation, user = await authenticate_dashboard(
        harness.services, SHOP_A, token, required_permissions=["MANAGE_ORDERS"]
    )
    assert installation.saleor_api_url == SHOP_A
    assert user.email == "anna@shop.ch"
    assert "MANAGE_APPS" in user.user_permissions
    assert set(PERMS) <= user.permissions


async def test_missing_user_permission_is_forbidden(harness: Harness) -> None:
    _, token = await _token(harness, user_permissions=["MANAGE_ORDERS"])
    with pytest.raises(TokenError) as caught:
        await authenticate_dashboard(harness.services, SHOP_A, token, ["MANAGE_APPS"])
    assert caught.value.forbidden


async def test_expired_token_is_refused(harness: Harness) -> None:
    _, token = await _token(harness, ttl=-60)
    with pytest.raises(TokenError):
        await authenticate_dashboard(harness.services, SHOP_A, token)


async def test_token_for_another_app_is_refused(harness: Harness) -> None:
    double = harness.add_saleor(SHOP_A)
    await harness.install(double)
    other = double.install_app()
    token = double.dashboard_token(other.id, permissions=PERMS, user_permissions=PERMS)
    with pytest.raises(TokenError, match="another app"):
        await authenticate_dashboard(harness.services, SHOP_A, token)


@pytest.mark.parametrize(
    "claims",
    [
        {"iss": "http://shop-b.test/graphql/"},
        {"iss": "http://shop-a.test/graphql"},
        {"type": "access"},
    ],
)
async def test_wrong_issuer_or_type_is_refused(harness: Harness, claims: dict[str, Any]) -> None:
    _, token = await _token(harness, overrides=claims)
    with pytest.raises(TokenError):
        await authenticate_dashboard(harness.services, SHOP_A, token)


async def test_token_signed_by_another_key_is_refused(harness: Harness) -> None:
    double = harness.add_saleor(SHOP_A)
    app = await harness.install(double)
    impostor = harness.add_saleor(SHOP_B)
    token = impostor.dashboard_token(
        app.id, permissions=PERMS, user_permissions=PERMS, overrides={"iss": SHOP_A}
    )
    with pytest.raises(TokenError):
        await authenticate_dashboard(harness.services, SHOP_A, token)


async def test_token_of_shop_a_gets_nothing_of_shop_b(harness: Harness) -> None:
    shop_a, shop_b = harness.add_saleor(SHOP_A), harness.add_saleor(SHOP_B)
    app_a = await harness.install(shop_a)
    await harness.install(shop_b)
    token_a = shop_a.dashboard_token(app_a.id, permissions=PERMS, user_permissions=PERMS)
    with pytest.raises(TokenError):
        await authenticate_dashboard(harness.services, SHOP_B, token_a)


async def test_rotated_key_is_refetched_once_then_accepted(harness: Harness) -> None:
    double, _ = await _token(harness)
    [row] = await harness.installations()
    fetched = double.jwks_fetches
    double.rotate_key()
    token = double.dashboard_token(row.app_id, permissions=PERMS, user_permissions=PERMS)
    _, user = await authenticate_dashboard(harness.services, SHOP_A, token)
    assert user.permissions == frozenset(PERMS)
    assert double.jwks_fetches == fetched + 1


@pytest.mark.parametrize(("api_url", "token"), [(None, "x"), (SHOP_A, None), (SHOP_A, "garbage")])
async def test_missing_or_garbage_credentials_are_refused(
    harness: Harness, api_url: str | None, token: str | None
) -> None:
    harness.add_saleor(SHOP_A)
    with pytest.raises(TokenError):
        await authenticate_dashboard(harness.services, api_url, token)
