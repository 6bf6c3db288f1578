"""The Saleor double behaves like Saleor 3.24 where the app can tell: GraphQL, JWKS, signatures."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from jwt.api_jws import PyJWS

from saleor_bexio_app.ids import AppId, SaleorApiUrl
from saleor_bexio_app.saleor.dashboard_token import verify_dashboard_token
from saleor_bexio_app.sandbox.saleor_double import (
    GraphQLCall,
    SaleorDouble,
    global_id,
    jwk_thumbprint,
)

API_URL = "http://saleor.test/graphql/"
CAPTURED = json.loads(
    (Path(__file__).parents[1] / "payloads" / "webhook_order_created.json").read_text()
)
# Added by the HTTP client and tracing on the way, not by Saleor's webhook code.
TRANSPORT_HEADERS = {
    "Accept-Encoding",
    "Accept",
    "Connection",
    "Content-Length",
    "Host",
    "traceparent",
}


@pytest.fixture
def double() -> SaleorDouble:
    return SaleorDouble(API_URL)


@pytest.fixture
async def client(double: SaleorDouble) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=double.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://saleor.test") as http:
        yield http


async def _graphql(
    client: httpx.AsyncClient,
    query: str,
    headers: Mapping[str, str] | None = None,
    variables: Mapping[str, Any] | None = None,
) -> httpx.Response:
    body: dict[str, Any] = {"query": query}
    if variables is not None:
        body["variables"] = variables
    return await client.post("/graphql/", json=body, headers=dict(headers or {}))


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _verify(signature: str, body: bytes, jwks: Mapping[str, Any]) -> None:
    """Verify as the app does: pick the JWK by kid, then PyJWS with the detached raw body."""
    kid = PyJWS().get_unverified_header(signature)["kid"]
    matching = [key for key in jwks["keys"] if key["kid"] == kid]
    if not matching:
        raise LookupError(f"kid {kid} is not in the JWKS")
    PyJWS().decode_complete(
        signature, key=jwt.PyJWK(matching[0]).key, algorithms=["RS256"], detached_payload=body
    )


def _header_json(signature: str) -> str:
    head = signature.split(".")[0]
    return base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)).decode()


def _flip_one_byte(body: bytes, index: int) -> bytes:
    return body[:index] + bytes([body[index] ^ 0x01]) + body[index + 1 :]


async def test_app_query_returns_the_app_the_token_belongs_to(
    double: SaleorDouble, client: httpx.AsyncClient
) -> None:
    double.install_app()
    installed = double.install_app()
    response = await _graphql(client, "{ app { id } }", _bearer(installed.token))
    assert response.status_code == 200
    assert response.json() == {"data": {"app": {"id": installed.id}}}
    assert installed.id == global_id("App", 2) == base64.b64encode(b"App:2").decode()
    assert len(installed.token) == 30


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "JWT {token}"},
        {"Authorization-Bearer": "{token}"},
    ],
)
async def test_app_query_accepts_saleors_other_token_headers(
    double: SaleorDouble, client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    installed = double.install_app()
    sent = {name: value.format(token=installed.token) for name, value in headers.items()}
    response = await _graphql(client, "{ app { id } }", sent)
    assert response.json() == {"data": {"app": {"id": installed.id}}}


@pytest.mark.parametrize("token", ["wrong-token-0000000000000000000", None, "uninstalled"])
async def test_app_query_without_a_valid_token_is_permission_denied(
    double: SaleorDouble, client: httpx.AsyncClient, token: str | None
) -> None:
    installed = double.install_app()
    if token == "uninstalled":
        double.uninstall_app(installed.id)
        token = installed.token
    response = await _graphql(client, "{ app { id } }", _bearer(token) if token else None)
    assert response.status_code == 200
    payload = response.json()
    assert payload["data"] == {"app": None}
    [error] = payload["errors"]
    assert error["extensions"]["exception"]["code"] == "PermissionDenied"
    assert error["path"] == ["app"]
    assert error["message"] == (
        "To access this path, you need one of the following permissions: "
        "AUTHENTICATED_STAFF_USER, AUTHENTICATED_APP"
    )


async def test_app_may_not_read_another_app(
    double: SaleorDouble, client: httpx.AsyncClient
) -> None:
    other = double.install_app()
    installed = double.install_app()
    query = "query($id: ID) { app(id: $id) { id } }"
    own = await _graphql(client, query, _bearer(installed.token), {"id": installed.id})
    foreign = await _graphql(client, query, _bearer(installed.token), {"id": other.id})
    assert own.json() == {"data": {"app": {"id": installed.id}}}
    assert foreign.json()["errors"][0]["extensions"]["exception"]["code"] == "PermissionDenied"


async def test_invalid_document_gets_errors_and_is_not_executed(
    double: SaleorDouble, client: httpx.AsyncClient
) -> None:
    installed = double.install_app()
    response = await _graphql(client, "{ app { id nope } }", _bearer(installed.token))
    assert response.status_code == 400
    payload = response.json()
    assert "data" not in payload
    [error] = payload["errors"]
    assert "Cannot query field 'nope' on type 'App'" in error["message"]
    assert error["locations"] == [{"line": 1, "column": 12}]
    assert double.executions == 0


@pytest.mark.parametrize("body", [b"{not json", b'{"query": 1}', b'["batched"]'])
async def test_unreadable_requests_are_a_400_with_errors(
    client: httpx.AsyncClient, body: bytes
) -> None:
    response = await client.post(
        "/graphql/", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"]


async def test_shop_query_returns_name_version_and_domain(
    double: SaleorDouble, client: httpx.AsyncClient
) -> None:
    installed = double.install_app()
    response = await _graphql(
        client, "{ shop { name version domain { host } } }", _bearer(installed.token)
    )
    assert response.json() == {
        "data": {
            "shop": {
                "name": double.shop_name,
                "version": "3.24.0-a.0",
                "domain": {"host": "saleor.test"},
            }
        }
    }


async def test_shop_version_needs_an_authenticated_app(client: httpx.AsyncClient) -> None:
    public = await _graphql(client, "{ shop { name } }")
    private = await _graphql(client, "{ shop { name version } }")
    assert public.json() == {"data": {"shop": {"name": "Saleor e-commerce"}}}
    # Shop.version and Query.shop are non-null, so the error nulls the whole response data.
    assert private.json()["data"] is None
    assert private.json()["errors"][0]["path"] == ["shop", "version"]


async def test_fields_without_a_resolver_are_null(
    double: SaleorDouble, client: httpx.AsyncClient
) -> None:
    installed = double.install_app()
    response = await _graphql(
        client, '{ order(id: "T3JkZXI6MQ==") { id } }', _bearer(installed.token)
    )
    assert response.json() == {"data": {"order": None}}


async def test_graphql_requests_are_recorded_with_variables_and_auth(
    double: SaleorDouble, client: httpx.AsyncClient
) -> None:
    installed = double.install_app()
    query = "query($id: ID) { app(id: $id) { id } }"
    await _graphql(client, query, _bearer(installed.token), {"id": installed.id})
    await _graphql(client, "{ nope }")
    assert double.graphql_requests == [
        GraphQLCall(query, {"id": installed.id}, f"Bearer {installed.token}"),
        GraphQLCall("{ nope }", None, None),
    ]
    assert double.executions == 1


async def test_jwks_serves_the_current_key_and_counts_fetches(
    double: SaleorDouble, client: httpx.AsyncClient
) -> None:
    first = await client.get("/.well-known/jwks.json")
    second = await client.get("/.well-known/jwks.json")
    assert double.jwks_fetches == 2
    assert first.json() == second.json() == double.jwks()
    [key] = first.json()["keys"]
    [captured_key] = CAPTURED["jwks"]["keys"]
    assert list(key) == list(captured_key)
    assert (key["kty"], key["alg"], key["use"], key["e"]) == ("RSA", "RS256", "sig", "AQAB")
    assert key["kid"] == double.kid == jwk_thumbprint(key)
    assert jwt.PyJWK(key).key.key_size == 2048


def test_captured_kid_is_the_rfc7638_thumbprint_of_the_captured_key() -> None:
    [captured_key] = CAPTURED["jwks"]["keys"]
    assert jwk_thumbprint(captured_key) == captured_key["kid"]


async def test_signed_webhook_verifies_against_the_served_jwks(
    double: SaleorDouble, client: httpx.AsyncClient
) -> None:
    headers, body = double.webhook("ORDER_CREATED", {"order": {"id": "T3JkZXI6MQ=="}})
    jwks = (await client.get("/.well-known/jwks.json")).json()
    _verify(headers["Saleor-Signature"], body, jwks)
    with pytest.raises(jwt.InvalidSignatureError):
        _verify(headers["Saleor-Signature"], _flip_one_byte(body, 5), jwks)


async def test_signatures_fail_after_key_rotation(
    double: SaleorDouble, client: httpx.AsyncClient
) -> None:
    # given a delivery signed before the rotation
    headers, body = double.webhook("ORDER_PAID", {"order": {"id": "T3JkZXI6MQ=="}})
    old_jwks = (await client.get("/.well-known/jwks.json")).json()
    # when Saleor's key is rotated
    double.rotate_key()
    new_jwks = (await client.get("/.well-known/jwks.json")).json()
    # then the old kid is gone and neither key set verifies a signature of the other key
    assert old_jwks["keys"][0]["kid"] not in {key["kid"] for key in new_jwks["keys"]}
    with pytest.raises(LookupError):
        _verify(headers["Saleor-Signature"], body, new_jwks)
    with pytest.raises(jwt.InvalidSignatureError):
        PyJWS().decode_complete(
            headers["Saleor-Signature"],
            key=jwt.PyJWK(new_jwks["keys"][0]).key,
            algorithms=["RS256"],
            detached_payload=body,
        )
    fresh = double.sign(body)
    _verify(fresh, body, new_jwks)
    with pytest.raises(LookupError):
        _verify(fresh, body, old_jwks)


def test_signature_has_exactly_saleors_protected_header(double: SaleorDouble) -> None:
    ours = double.sign(b"{}")
    theirs = CAPTURED["headers"]["Saleor-Signature"]
    assert ours.split(".")[1] == theirs.split(".")[1] == ""
    captured_kid = CAPTURED["jwks"]["keys"][0]["kid"]
    assert _header_json(ours).replace(double.kid, "KID") == _header_json(theirs).replace(
        captured_kid, "KID"
    )
    assert json.loads(_header_json(ours)) == {
        "alg": "RS256",
        "b64": False,
        "crit": ["b64"],
        "kid": double.kid,
        "typ": "JWT",
    }


def test_webhook_headers_are_those_of_a_real_delivery() -> None:
    double = SaleorDouble("http://127.0.0.1:8000/graphql/")
    headers, _body = double.webhook("ORDER_CREATED", {"order": {"id": "T3JkZXI6MQ=="}})
    captured = {k: v for k, v in CAPTURED["headers"].items() if k not in TRANSPORT_HEADERS}
    assert list(headers) == list(captured)
    for name in ("User-Agent", "Content-Type", "Saleor-Event", "Saleor-Domain", "Saleor-Api-Url"):
        assert headers[name] == captured[name], name
    for name in ("Event", "Domain", "Signature"):
        assert headers[f"X-Saleor-{name}"] == headers[f"Saleor-{name}"]


@pytest.mark.parametrize(
    ("event", "header"),
    [
        ("PRODUCT_VARIANT_STOCK_UPDATED", "product_variant_stock_updated"),
        ("app_deleted", "app_deleted"),
    ],
)
def test_webhook_event_header_is_lowercase_snake(
    double: SaleorDouble, event: str, header: str
) -> None:
    headers, _ = double.webhook(event, {})
    assert headers["Saleor-Event"] == header


def test_webhook_refuses_events_saleor_does_not_have(double: SaleorDouble) -> None:
    with pytest.raises(ValueError, match="ORDER_RETURNED"):
        double.webhook("ORDER_RETURNED", {})


def test_webhook_body_is_json_with_pythons_default_separators(double: SaleorDouble) -> None:
    captured_body = CAPTURED["body"].encode("utf-8")
    payload = json.loads(captured_body)
    _, body = double.webhook("ORDER_CREATED", payload)
    assert body == captured_body


def test_real_captured_delivery_verifies_with_its_jwks() -> None:
    body = CAPTURED["body"].encode("utf-8")
    signature = CAPTURED["headers"]["Saleor-Signature"]
    _verify(signature, body, CAPTURED["jwks"])
    assert CAPTURED["headers"]["X-Saleor-Signature"] == signature


@pytest.mark.parametrize("index", [0, 100, 541])
def test_real_captured_delivery_fails_with_one_byte_changed(index: int) -> None:
    body = CAPTURED["body"].encode("utf-8")
    with pytest.raises(jwt.InvalidSignatureError):
        _verify(
            CAPTURED["headers"]["Saleor-Signature"], _flip_one_byte(body, index), CAPTURED["jwks"]
        )


async def test_dashboard_token_carries_saleors_claims(
    double: SaleorDouble, client: httpx.AsyncClient
) -> None:
    installed = double.install_app()
    now = datetime.now(UTC)
    token = double.dashboard_token(
        installed.id,
        permissions=["MANAGE_ORDERS"],
        user_permissions=["MANAGE_ORDERS", "MANAGE_STAFF"],
        now=now,
    )
    jwks = (await client.get("/.well-known/jwks.json")).json()
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "RS256", "kid": double.kid, "typ": "JWT"}
    claims = jwt.decode(
        token, key=jwt.PyJWK(jwks["keys"][0]).key, algorithms=["RS256"], issuer=API_URL
    )
    assert set(claims) == {
        "iat", "exp", "iss", "owner", "type", "token", "email", "user_id", "is_staff", "app",
        "permissions", "user_permissions",
    }  # fmt: skip
    assert claims["exp"] - claims["iat"] == 300
    assert claims["iat"] == int(now.timestamp())
    assert (claims["owner"], claims["type"], claims["app"]) == (
        "saleor",
        "thirdparty",
        installed.id,
    )
    assert (claims["email"], claims["user_id"], claims["is_staff"]) == (
        "staff@example.com",
        global_id("User", 1),
        True,
    )
    assert claims["permissions"] == ["MANAGE_ORDERS"]
    assert claims["user_permissions"] == ["MANAGE_ORDERS", "MANAGE_STAFF"]
    # and the app's own verifier accepts it
    user = verify_dashboard_token(
        token,
        jwks=jwks,
        saleor_api_url=SaleorApiUrl(API_URL),
        app_id=AppId(installed.id),
        now=now,
        required_permissions=["MANAGE_ORDERS"],
    )
    assert user.email == "staff@example.com"


def test_dashboard_token_claims_can_be_overridden_for_negative_tests(
    double: SaleorDouble,
) -> None:
    token = double.dashboard_token(
        "QXBwOjk=",
        permissions=[],
        user_permissions=[],
        ttl=60,
        overrides={"type": "refresh", "aud": "somebody"},
        omit=["user_id"],
        kid="unknown-kid",
    )
    assert jwt.get_unverified_header(token)["kid"] == "unknown-kid"
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["type"] == "refresh"
    assert claims["aud"] == "somebody"
    assert "user_id" not in claims
    assert claims["exp"] - claims["iat"] == 60


def test_reinstall_gives_a_new_app_id_and_token(double: SaleorDouble) -> None:
    first = double.install_app()
    double.uninstall_app(first.id)
    second = double.install_app()
    assert second.id != first.id
    assert second.token != first.token
    with pytest.raises(ValueError, match="token"):
        double.install_app(second.token)


def test_each_double_has_its_own_key() -> None:
    assert SaleorDouble().kid != SaleorDouble("https://other.test/graphql/").kid
