"""Random dashboard tokens and headers on every dashboard endpoint: a JSON 401/403, nothing written.

Tokens are made from a genuine one with claims replaced or dropped, then signed by the shop's key,
by a stranger's key, with `alg: none`, HS256 keyed with the shop's public key, or not a JWT at all.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from hypothesis import given
from hypothesis import strategies as st

from saleor_bexio_app.sandbox.saleor_double import InstalledApp, SaleorDouble
from tests.fuzz.observed import HEADER_TEXT, JSON_VALUES, TALLY, db_state, fuzz, json_error, mostly
from tests.web.conftest import SHOP_A, SHOP_B, Harness

ENDPOINTS = [
    ("POST", "/graphql"),
    ("POST", "/api/bexio/connect"),
    ("GET", "/api/bexio/connection"),
    ("POST", "/api/bexio/disconnect"),
]
CLAIMS = ["iat", "owner", "iss", "exp", "token", "email", "type", "user_id", "is_staff", "app"]
CLAIMS += ["permissions", "user_permissions", "nbf"]
REMOVE = "<removed>"
PERMISSIONS = ["MANAGE_ORDERS", "MANAGE_APPS", "MANAGE_USERS", "MANAGE_PRODUCTS"]


@dataclass(frozen=True)
class Attempt:
    endpoint: tuple[str, str]
    changes: dict[str, Any]
    signer: str  # shop | stranger | none-alg | hs256 | garbage
    garbage: str
    kid: str  # shop | unknown | stranger
    api_url: str  # installed | not-installed | none | garbage
    garbage_api_url: str


CLAIM_VALUES = st.one_of(
    st.just(REMOVE),
    JSON_VALUES,
    st.integers(min_value=0, max_value=2**40),
    st.sampled_from([SHOP_B, "http://shop-a.test/graphql", "thirdparty", "access"]),
    st.lists(st.sampled_from(PERMISSIONS), max_size=4),
)
ATTEMPTS = st.builds(
    Attempt,
    endpoint=st.sampled_from(ENDPOINTS),
    changes=st.dictionaries(st.sampled_from(CLAIMS), CLAIM_VALUES, max_size=3),
    signer=mostly(
        st.sampled_from(["shop", "shop", "stranger"]),
        st.sampled_from(["none-alg", "hs256", "garbage"]),
    ),
    garbage=HEADER_TEXT,
    kid=mostly(st.just("shop"), st.sampled_from(["unknown", "stranger"])),
    api_url=mostly(st.just("installed"), st.sampled_from(["not-installed", "none", "garbage"])),
    garbage_api_url=HEADER_TEXT,
)


@dataclass(frozen=True)
class Shops:
    harness: Harness
    shop: SaleorDouble
    app: InstalledApp
    stranger: SaleorDouble


@pytest.fixture
async def shops(harness: Harness) -> Shops:
    """Shop A installed and connected to bexio; shop B reachable but never installed."""
    harness.add_bexio()
    shop = harness.add_saleor(SHOP_A)
    app = await harness.install(shop)
    await harness.run_jobs()
    assert (await harness.connect_bexio(shop, app)).status_code == 200
    return Shops(harness, shop, app, harness.add_saleor(SHOP_B))


def _unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part(claims)}."


def _genuine_claims(shops: Shops, now: datetime) -> dict[str, Any]:
    genuine = shops.shop.dashboard_token(
        shops.app.id, permissions=PERMISSIONS, user_permissions=PERMISSIONS, now=now
    )
    claims: dict[str, Any] = jwt.decode(genuine, options={"verify_signature": False})
    return claims


def _token(shops: Shops, attempt: Attempt, genuine: dict[str, Any]) -> str:
    claims = dict(genuine)
    for name, value in attempt.changes.items():
        if value == REMOVE:
            claims.pop(name, None)
        else:
            claims[name] = value
    kid = {"shop": shops.shop.kid, "unknown": "k" * 43, "stranger": shops.stranger.kid}[attempt.kid]
    if attempt.signer == "garbage":
        return attempt.garbage
    if attempt.signer == "none-alg":
        return _unsigned({"alg": "none", "typ": "JWT", "kid": kid}, claims)
    if attempt.signer == "hs256":
        public = shops.shop.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return _hs256(claims, public, kid)
    signer = shops.shop if attempt.signer == "shop" else shops.stranger
    # signed as raw JSON bytes: PyJWT's encode refuses some of the odd claim values
    return jwt.api_jws.encode(
        json.dumps(claims).encode(), signer.private_key, algorithm="RS256", headers={"kid": kid}
    )


def _hs256(claims: dict[str, Any], secret: bytes, kid: str) -> str:
    """HS256 keyed with the public key: the classic algorithm confusion (PyJWT refuses it)."""
    import hashlib
    import hmac

    head = _unsigned({"alg": "HS256", "typ": "JWT", "kid": kid}, claims).rstrip(".")
    mac = hmac.new(secret, head.encode(), hashlib.sha256).digest()
    return f"{head}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


@fuzz(examples=150)
@given(attempt=ATTEMPTS)
async def test_forged_or_mangled_tokens_are_refused_with_json_and_write_nothing(
    shops: Shops, attempt: Attempt
) -> None:
    harness = shops.harness
    before = await db_state(harness.engine)
    calls_before = len(harness.network.requests)
    headers: dict[bytes, bytes] = {}
    genuine = _genuine_claims(shops, harness.clock())
    token = _token(shops, attempt, genuine)
    headers[b"Authorization-Bearer"] = token.encode("latin-1")
    api_url = {
        "installed": SHOP_A,
        "not-installed": SHOP_B,
        "none": None,
        "garbage": attempt.garbage_api_url,
    }[attempt.api_url]
    if api_url is not None:
        headers[b"Saleor-Api-Url"] = api_url.encode("latin-1")
    method, path = attempt.endpoint

    response = await harness.client.request(
        method, path, headers=headers, json={"query": "{ shop { saleorApiUrl } }"}
    )

    TALLY.record(f"{method} {path} (tokens)", response.status_code)
    assert response.status_code < 500, response.text
    calls = harness.network.requests[calls_before:]
    assert shops.stranger.jwks_fetches == 0
    assert not any(call.url.host == "shop-b.test" for call in calls)
    if response.status_code == 200:
        # only the shop's own key, for this app, this issuer and a dashboard token, gets in
        assert (attempt.signer, attempt.kid, attempt.api_url) == ("shop", "shop", "installed")
        changed = {name for name, value in attempt.changes.items() if genuine.get(name) != value}
        assert not {"app", "iss", "type"} & changed
        return
    assert response.status_code in (401, 403), response.text
    json_error(response.json())
    assert "data" not in response.json()
    assert await db_state(harness.engine) == before
