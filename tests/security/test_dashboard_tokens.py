"""Bad dashboard tokens are refused by every dashboard endpoint, before anything is read or written.

tests/web/test_dashboard_auth.py checks the verification function itself; this matrix runs each
kind of bad token through HTTP on every endpoint that takes one, and watches the JWKS fetches.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from saleor_bexio_app.sandbox.saleor_double import InstalledApp, SaleorDouble
from tests.fuzz.observed import db_state, json_error
from tests.web.conftest import SHOP_A, SHOP_B, Harness

ENDPOINTS = [
    ("POST", "/graphql"),
    ("POST", "/api/bexio/connect"),
    ("GET", "/api/bexio/connection"),
    ("POST", "/api/bexio/disconnect"),
]
ALL = ["MANAGE_ORDERS", "MANAGE_APPS"]


@dataclass(frozen=True)
class Shops:
    harness: Harness
    a: SaleorDouble
    app_a: InstalledApp
    b: SaleorDouble
    app_b: InstalledApp


@pytest.fixture
async def shops(harness: Harness) -> Shops:
    """Shops A and B installed; A connected to bexio, so a refused disconnect would show."""
    harness.add_bexio()
    a, b = harness.add_saleor(SHOP_A), harness.add_saleor(SHOP_B)
    app_a, app_b = await harness.install(a), await harness.install(b)
    await harness.run_jobs()
    assert (await harness.connect_bexio(a, app_a)).status_code == 200
    return Shops(harness, a, app_a, b, app_b)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"


def _claims(shops: Shops) -> dict[str, Any]:
    token = shops.a.dashboard_token(
        shops.app_a.id, permissions=ALL, user_permissions=ALL, now=shops.harness.clock()
    )
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    return claims


def _alg_none(shops: Shops) -> str:
    return _unsigned({"alg": "none", "typ": "JWT", "kid": shops.a.kid}, _claims(shops)) + "."


def _hs256_with_public_key(shops: Shops) -> str:
    public = shops.a.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    head = _unsigned({"alg": "HS256", "typ": "JWT", "kid": shops.a.kid}, _claims(shops))
    return f"{head}.{_b64(hmac.new(public, head.encode(), hashlib.sha256).digest())}"


def _a(shops: Shops, **options: Any) -> str:
    """A token of shop A's double for A's app, with `options` of SaleorDouble.dashboard_token."""
    options.setdefault("now", shops.harness.clock())
    return shops.a.dashboard_token(
        options.pop("app_id", shops.app_a.id),
        permissions=options.pop("permissions", ALL),
        user_permissions=options.pop("user_permissions", ALL),
        **options,
    )


BAD_TOKENS: dict[str, Callable[[Shops], str]] = {
    "expired": lambda s: _a(s, ttl=-60),
    "not yet valid": lambda s: _a(s, overrides={"nbf": int(s.harness.clock().timestamp()) + 600}),
    "without expiry": lambda s: _a(s, omit=["exp"]),
    "signed by another key": lambda s: s.b.dashboard_token(
        s.app_a.id, permissions=ALL, user_permissions=ALL, overrides={"iss": SHOP_A}
    ),
    "signed by another key under A's kid": lambda s: s.b.dashboard_token(
        s.app_a.id, permissions=ALL, user_permissions=ALL, overrides={"iss": SHOP_A}, kid=s.a.kid
    ),
    "for another app": lambda s: _a(s, app_id=s.a.install_app().id),
    "issued by shop B": lambda s: _a(s, overrides={"iss": SHOP_B}),
    "issuer without the trailing slash": lambda s: _a(s, overrides={"iss": SHOP_A.rstrip("/")}),
    "of another type": lambda s: _a(s, overrides={"type": "access"}),
    "of another owner": lambda s: _a(s, overrides={"owner": "someone"}),
    "alg none": _alg_none,
    "HS256 keyed with the public key": _hs256_with_public_key,
    "not a JWT": lambda s: "not-a-jwt",
    "empty": lambda s: "",
}


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
async def test_bad_tokens_are_a_json_401_and_change_nothing(
    shops: Shops, method: str, path: str
) -> None:
    harness = shops.harness
    for kind, make in BAD_TOKENS.items():
        before = await db_state(harness.engine)
        fetched = (shops.a.jwks_fetches, shops.b.jwks_fetches)
        headers = {"Saleor-Api-Url": SHOP_A, "Authorization-Bearer": make(shops)}

        response = await harness.client.request(
            method, path, headers=headers, json={"query": "{ shop { saleorApiUrl } }"}
        )

        assert response.status_code == 401, (kind, response.text)
        assert "reload the page" in json_error(response.json()), kind
        assert await db_state(harness.engine) == before, kind
        # only the installed shop's JWKS may be read again, at most once (a key it does not know)
        assert shops.b.jwks_fetches == fetched[1], kind
        assert shops.a.jwks_fetches - fetched[0] <= 1, kind


@pytest.mark.parametrize(
    ("method", "path", "permission"),
    [
        ("POST", "/graphql", "MANAGE_ORDERS"),
        ("POST", "/api/bexio/connect", "MANAGE_APPS"),
        ("GET", "/api/bexio/connection", "MANAGE_ORDERS"),
        ("POST", "/api/bexio/disconnect", "MANAGE_APPS"),
    ],
)
async def test_a_staff_user_without_the_permission_gets_a_json_403_and_changes_nothing(
    shops: Shops, method: str, path: str, permission: str
) -> None:
    harness = shops.harness
    before = await db_state(harness.engine)
    others = [name for name in [*ALL, "MANAGE_PRODUCTS"] if name != permission]
    # the app holds every permission; only the staff user lacks one
    token = _a(shops, permissions=ALL, user_permissions=others)

    response = await harness.client.request(
        method,
        path,
        headers={"Saleor-Api-Url": SHOP_A, "Authorization-Bearer": token},
        json={"query": "{ shop { saleorApiUrl } }"},
    )

    assert response.status_code == 403, response.text
    assert permission in json_error(response.json())
    assert await db_state(harness.engine) == before


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
async def test_a_token_of_shop_a_sent_as_shop_b_is_refused(
    shops: Shops, method: str, path: str
) -> None:
    harness = shops.harness
    before = await db_state(harness.engine)
    response = await harness.client.request(
        method,
        path,
        headers={"Saleor-Api-Url": SHOP_B, "Authorization-Bearer": _a(shops)},
        json={"query": "{ shop { saleorApiUrl } }"},
    )
    assert response.status_code == 401, response.text
    json_error(response.json())
    assert await db_state(harness.engine) == before
