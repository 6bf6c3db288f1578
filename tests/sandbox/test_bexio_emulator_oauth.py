"""The emulator's identity provider behaves like bexio's Keycloak realm (API.md §a)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest

from saleor_bexio_app.sandbox.bexio import BexioEmulator

OIDC = "/realms/bexio/protocol/openid-connect"
REDIRECT = "https://app.example/bexio/oauth/callback"
SCOPE = "openid offline_access company_profile email contact_edit kb_invoice_edit"
RECORDED_USERINFO = json.loads(
    (Path(__file__).parents[1] / "payloads" / "bexio" / "GET_oidc_userinfo.json").read_text()
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_781_787_300.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def emulator(clock: FakeClock) -> BexioEmulator:
    return BexioEmulator(clock=clock, company_name="Muster AG", access_token_ttl=600)


@pytest.fixture
async def http(emulator: BexioEmulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emulator.app), base_url="http://bexio.test"
    ) as client:
        yield client


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(64)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def auth_params(challenge: str, **overrides: str) -> dict[str, str]:
    params = {
        "client_id": "sandbox-client",
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": SCOPE,
        "state": "st-123",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    params.update(overrides)
    return params


def query_of(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT)
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def authorize(http: httpx.AsyncClient, challenge: str, decision: str = "allow") -> str:
    response = await http.post(
        f"{OIDC}/auth", data={**auth_params(challenge), "decision": decision}
    )
    query = query_of(response)
    assert query["state"] == "st-123"
    return query["code"]


async def exchange(
    http: httpx.AsyncClient, code: str, verifier: str, **overrides: str
) -> httpx.Response:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
    }
    form.update(overrides)
    return await http.post(f"{OIDC}/token", data=form, auth=("sandbox-client", "sandbox-secret"))


async def refresh(http: httpx.AsyncClient, token: str) -> httpx.Response:
    form = {
        "grant_type": "refresh_token",
        "refresh_token": token,
        "client_id": "sandbox-client",
        "client_secret": "sandbox-secret",
    }
    return await http.post(f"{OIDC}/token", data=form)


async def me(http: httpx.AsyncClient, access_token: str) -> httpx.Response:
    return await http.get("/3.0/users/me", headers={"Authorization": f"Bearer {access_token}"})


async def connected(http: httpx.AsyncClient) -> dict[str, Any]:
    verifier, challenge = pkce()
    response = await exchange(http, await authorize(http, challenge), verifier)
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


async def test_consent_page_shows_company_scopes_and_both_buttons(http: httpx.AsyncClient) -> None:
    _, challenge = pkce()
    response = await http.get(f"{OIDC}/auth", params=auth_params(challenge))
    assert response.status_code == 200
    page = response.text
    assert "Muster AG" in page
    assert "<li>kb_invoice_edit</li>" in page
    assert 'value="allow"' in page and 'value="deny"' in page
    assert f'name="code_challenge" value="{challenge}"' in page
    assert f'action="{OIDC}/auth"' in page


async def test_code_flow_with_pkce_gives_tokens_that_open_the_api(
    http: httpx.AsyncClient, emulator: BexioEmulator
) -> None:
    # given
    verifier, challenge = pkce()
    code = await authorize(http, challenge)
    # when
    response = await exchange(http, code, verifier)
    # then
    assert response.status_code == 200
    tokens = response.json()
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 600
    assert tokens["refresh_expires_in"] == 0  # offline token
    assert tokens["scope"] == SCOPE
    assert response.headers["cache-control"] == "no-store"
    assert (await me(http, tokens["access_token"])).json()["id"] == 1
    assert emulator.token_requests == ["authorization_code"]
    assert emulator.issued_access_tokens == [tokens["access_token"]]
    jwks = (await http.get(f"{OIDC}/certs")).json()
    key = jwt.PyJWK(jwks["keys"][0]).key
    claims = jwt.decode(
        tokens["id_token"],
        key,
        algorithms=["RS256"],
        audience="sandbox-client",
        options={"verify_exp": False},  # the fake clock is not today
    )
    assert claims["exp"] == claims["iat"] + 600
    assert claims["company_name"] == "Muster AG"
    assert claims["iss"] == "http://bexio.test/realms/bexio"


async def test_wrong_verifier_is_refused_and_burns_the_code(http: httpx.AsyncClient) -> None:
    verifier, challenge = pkce()
    code = await authorize(http, challenge)
    wrong = await exchange(http, code, pkce()[0])
    assert wrong.status_code == 400
    assert wrong.json() == {
        "error": "invalid_grant",
        "error_description": "PKCE verification failed: Invalid code verifier",
    }
    assert (await exchange(http, code, verifier)).json()["error"] == "invalid_grant"


async def test_missing_verifier_is_refused(http: httpx.AsyncClient) -> None:
    _, challenge = pkce()
    response = await exchange(http, await authorize(http, challenge), "", code_verifier="")
    assert response.json()["error_description"] == "PKCE code verifier not specified"


async def test_code_reuse_is_refused_and_ends_the_first_session(http: httpx.AsyncClient) -> None:
    verifier, challenge = pkce()
    code = await authorize(http, challenge)
    first = (await exchange(http, code, verifier)).json()
    again = await exchange(http, code, verifier)
    assert again.status_code == 400
    assert again.json() == {"error": "invalid_grant", "error_description": "Code not valid"}
    assert (await me(http, first["access_token"])).status_code == 401


async def test_wrong_redirect_uri_is_refused(http: httpx.AsyncClient) -> None:
    verifier, challenge = pkce()
    code = await authorize(http, challenge)
    response = await exchange(http, code, verifier, redirect_uri="https://evil.example/cb")
    assert response.status_code == 400
    assert response.json()["error_description"] == "Incorrect redirect_uri"


async def test_code_expires_after_sixty_seconds(http: httpx.AsyncClient, clock: FakeClock) -> None:
    verifier, challenge = pkce()
    code = await authorize(http, challenge)
    clock.now += 61
    assert (await exchange(http, code, verifier)).json()["error"] == "invalid_grant"


async def test_deny_redirects_with_access_denied(http: httpx.AsyncClient) -> None:
    _, challenge = pkce()
    data = {**auth_params(challenge), "decision": "deny"}
    query = query_of(await http.post(f"{OIDC}/auth", data=data))
    assert query["error"] == "access_denied"
    assert query["state"] == "st-123"
    assert "code" not in query


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"scope": "openid general"}, "invalid_scope"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
    ],
)
async def test_bad_authorization_requests_return_to_the_app_with_an_error(
    http: httpx.AsyncClient, overrides: dict[str, str], error: str
) -> None:
    _, challenge = pkce()
    response = await http.get(f"{OIDC}/auth", params=auth_params(challenge, **overrides))
    assert query_of(response)["error"] == error


@pytest.mark.parametrize("overrides", [{"client_id": "other"}, {"redirect_uri": "not a url"}])
async def test_unknown_client_or_bad_redirect_uri_stays_at_bexio(
    http: httpx.AsyncClient, overrides: dict[str, str]
) -> None:
    _, challenge = pkce()
    response = await http.get(f"{OIDC}/auth", params=auth_params(challenge, **overrides))
    assert response.status_code == 400
    assert "location" not in response.headers


async def test_registered_redirect_uris_are_enforced(clock: FakeClock) -> None:
    emulator = BexioEmulator(clock=clock, redirect_uris=["https://allowed.example/cb"])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emulator.app), base_url="http://bexio.test"
    ) as http:
        _, challenge = pkce()
        response = await http.get(f"{OIDC}/auth", params=auth_params(challenge))
        assert response.status_code == 400


async def test_wrong_client_secret_is_invalid_client(http: httpx.AsyncClient) -> None:
    verifier, challenge = pkce()
    code = await authorize(http, challenge)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    response = await http.post(
        f"{OIDC}/token", data={**form, "code_verifier": verifier}, auth=("sandbox-client", "x")
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


async def test_refresh_rotates_and_the_old_refresh_token_is_refused(
    http: httpx.AsyncClient, emulator: BexioEmulator
) -> None:
    # given
    first = await connected(http)
    # when
    second = await refresh(http, first["refresh_token"])
    reused = await refresh(http, first["refresh_token"])
    # then
    assert second.status_code == 200
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    assert (await me(http, rotated["access_token"])).status_code == 200
    assert reused.status_code == 400
    assert reused.json() == {
        "error": "invalid_grant",
        "error_description": "Maximum allowed refresh token reuse exceeded",
    }
    assert (await refresh(http, rotated["refresh_token"])).status_code == 200
    assert emulator.token_requests == [
        "authorization_code",
        "refresh_token",
        "refresh_token",
        "refresh_token",
    ]
    assert emulator.refresh_count == 2


async def test_access_token_expires_and_refresh_still_works(
    http: httpx.AsyncClient, clock: FakeClock
) -> None:
    tokens = await connected(http)
    clock.now += 601
    assert (await me(http, tokens["access_token"])).status_code == 401
    assert (await refresh(http, tokens["refresh_token"])).status_code == 200


async def test_revoke_ends_the_connection_and_accepts_unknown_tokens(
    http: httpx.AsyncClient,
) -> None:
    tokens = await connected(http)
    auth = ("sandbox-client", "sandbox-secret")
    revoked = await http.post(
        f"{OIDC}/revoke",
        data={"token": tokens["refresh_token"], "token_type_hint": "refresh_token"},
        auth=auth,
    )
    assert revoked.status_code == 200
    assert (await refresh(http, tokens["refresh_token"])).json()["error"] == "invalid_grant"
    assert (await me(http, tokens["access_token"])).status_code == 401
    unknown = await http.post(f"{OIDC}/revoke", data={"token": "nope"}, auth=auth)
    assert unknown.status_code == 200


async def test_userinfo_has_the_recorded_claims(http: httpx.AsyncClient) -> None:
    tokens = await connected(http)
    response = await http.get(
        f"{OIDC}/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert response.status_code == 200
    claims = response.json()
    assert claims.keys() == RECORDED_USERINFO["body"].keys()
    assert claims["company_name"] == "Muster AG"
    assert isinstance(claims["company_user_id"], int)
    refused = await http.get(f"{OIDC}/userinfo", headers={"Authorization": "Bearer nope"})
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_token"


async def test_userinfo_needs_the_openid_scope(
    http: httpx.AsyncClient, emulator: BexioEmulator
) -> None:
    token = emulator.access_token(scope="contact_show")
    response = await http.get(f"{OIDC}/userinfo", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403


async def test_revoke_refresh_tokens_simulates_the_user_revoking_access(
    http: httpx.AsyncClient, emulator: BexioEmulator
) -> None:
    # given
    tokens = await connected(http)
    # when
    emulator.revoke_refresh_tokens()
    # then
    refused = await refresh(http, tokens["refresh_token"])
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_grant"
    api = await me(http, tokens["access_token"])
    assert api.status_code == 401
    assert api.json()["error_code"] == 401
    reconnected = await connected(http)
    assert (await me(http, reconnected["access_token"])).status_code == 200


async def test_expire_access_tokens_makes_the_next_api_call_401(
    http: httpx.AsyncClient, emulator: BexioEmulator
) -> None:
    tokens = await connected(http)
    emulator.expire_access_tokens()
    assert (await me(http, tokens["access_token"])).status_code == 401
    renewed = (await refresh(http, tokens["refresh_token"])).json()
    assert (await me(http, renewed["access_token"])).status_code == 200


async def test_token_endpoint_ignores_query_parameters(http: httpx.AsyncClient) -> None:
    verifier, challenge = pkce()
    code = await authorize(http, challenge)
    params = {"grant_type": "authorization_code", "code": code, "code_verifier": verifier}
    response = await http.post(
        f"{OIDC}/token", params=params, auth=("sandbox-client", "sandbox-secret")
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
