"""bexio's OpenID Connect endpoints: authorize URL (code + PKCE S256), tokens, revoke."""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx

from saleor_bexio_app.bexio import messages
from saleor_bexio_app.errors import AuthError, MessageCode, RejectedError, TransientError

log = logging.getLogger(__name__)

# Write implies read at bexio; `general` is not requestable (API.md §a "Scopes").
SCOPES = (
    "openid",
    "offline_access",
    "company_profile",
    "email",
    "profile",
    "contact_edit",
    "article_edit",
    "stock_edit",
    "kb_order_edit",
    "kb_invoice_edit",
    "kb_delivery_edit",
    "bank_account_show",
    "accounting",
)


@dataclass(frozen=True, slots=True)
class TokenSet:
    """Tokens from bexio's token endpoint; bexio rotates the refresh token on every refresh."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Pkce:
    verifier: str = field(repr=False)
    challenge: str


def new_pkce() -> Pkce:
    """A PKCE verifier (RFC 7636, 86 characters) and its S256 challenge."""
    verifier = secrets.token_urlsafe(64)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return Pkce(verifier=verifier, challenge=challenge)


class BexioOAuth:
    """The OAuth client of this deployment (client id/secret from configuration)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        auth_url: str,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
    ) -> None:
        self._http = http
        self._auth_url = auth_url.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self.redirect_uri = redirect_uri

    def __repr__(self) -> str:
        return f"BexioOAuth({self._auth_url!r}, client_id={self._client_id!r})"

    def authorize_url(self, *, state: str, code_challenge: str) -> str:
        """Where the merchant logs in at bexio and allows the app."""
        query = urlencode(
            {
                "client_id": self._client_id,
                "redirect_uri": self.redirect_uri,
                "response_type": "code",
                "scope": " ".join(SCOPES),
                "state": state,
                "code_challenge": code_challenge,
                "code_challenge_method": "S256",
            }
        )
        return f"{self._auth_url}/auth?{query}"

    async def exchange_code(self, code: str, *, code_verifier: str, now: datetime) -> TokenSet:
        """Trade the authorization code for tokens."""
        return await self._token_request(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self.redirect_uri,
                "code_verifier": code_verifier,
            },
            now=now,
        )

    async def refresh(self, refresh_token: str, *, now: datetime) -> TokenSet:
        """New tokens for a refresh token; the old refresh token is dead afterwards."""
        return await self._token_request(
            {"grant_type": "refresh_token", "refresh_token": refresh_token},
            now=now,
            keep_refresh_token=refresh_token,
        )

    async def revoke(self, refresh_token: str) -> bool:
        """Revoke a refresh token at bexio (RFC 7009); best effort, False if it failed."""
        try:
            response = await self._http.post(
                f"{self._auth_url}/revoke",
                data={"token": refresh_token, "token_type_hint": "refresh_token"},
                auth=(self._client_id, self._client_secret),
            )
        except httpx.HTTPError as exc:
            log.warning("bexio token revocation failed: %s", type(exc).__name__)
            return False
        return response.is_success

    async def userinfo(self, access_token: str) -> dict[str, Any]:
        """The OIDC claims of the connecting user (company_id, company_name, …)."""
        try:
            response = await self._http.get(
                f"{self._auth_url}/userinfo", headers={"Authorization": f"Bearer {access_token}"}
            )
        except httpx.HTTPError as exc:
            raise TransientError("bexio could not be reached.", detail=type(exc).__name__) from exc
        if response.status_code in (401, 403):
            raise AuthError("bexio did not accept the new connection.", detail="userinfo refused")
        if not response.is_success:
            raise TransientError(
                "bexio is not answering right now.", detail=f"userinfo HTTP {response.status_code}"
            )
        data = response.json()
        return data if isinstance(data, dict) else {}

    async def _token_request(
        self, form: dict[str, str], *, now: datetime, keep_refresh_token: str = ""
    ) -> TokenSet:
        try:
            response = await self._http.post(
                f"{self._auth_url}/token",
                data=form,
                auth=(self._client_id, self._client_secret),
                headers={"Accept": "application/json"},
            )
        except httpx.HTTPError as exc:
            raise TransientError("bexio could not be reached.", detail=type(exc).__name__) from exc
        grant = form["grant_type"]
        if response.status_code >= 500 or response.status_code == 429:
            raise TransientError(
                "bexio is not answering right now.", detail=f"{grant}: HTTP {response.status_code}"
            )
        try:
            data = response.json()
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        if not response.is_success:
            error = str(data.get("error", ""))
            if error == "invalid_client":
                raise RejectedError(
                    "bexio does not know this app's client id or secret. "
                    "Ask the app's operator to check BEXIO_CLIENT_ID and BEXIO_CLIENT_SECRET.",
                    detail=f"{grant}: invalid_client",
                )
            raise AuthError(
                messages.REVOKED,
                detail=f"{grant}: HTTP {response.status_code} {error}".strip(),
                code=MessageCode.BEXIO_CONNECTION_REVOKED,
            )
        refresh_token = data.get("refresh_token") or keep_refresh_token
        if not data.get("access_token") or not refresh_token:
            # bexio rotates refresh tokens; the old one is kept only if none came back.
            raise TransientError(
                "bexio sent an unexpected answer.", detail=f"{grant}: token response incomplete"
            )
        try:
            expires_in = int(data.get("expires_in", 300))
        except (TypeError, ValueError):
            expires_in = 300
        return TokenSet(
            access_token=str(data["access_token"]),
            refresh_token=str(refresh_token),
            expires_at=now + timedelta(seconds=expires_in),
        )
