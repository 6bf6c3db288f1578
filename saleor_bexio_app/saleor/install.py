"""The install handshake at `tokenTargetUrl` (PROTOCOL.md §b), independent of the HTTP framework."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from saleor_bexio_app.errors import AppError, AuthError
from saleor_bexio_app.ids import AppId, SaleorApiUrl
from saleor_bexio_app.saleor.jwks import Jwks, JwksFetcher


class InstallError(Exception):
    """The install is refused; `message` is shown to the merchant by Saleor's dashboard."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class VerifiedInstall:
    """What the handshake proved: the token works for this app on this Saleor."""

    api_url: SaleorApiUrl
    app_id: AppId
    token: str
    jwks: Jwks


AppIdLookup = Callable[[SaleorApiUrl, str], Awaitable[AppId]]


def parse_install_request(api_url_header: str | None, body: Any) -> tuple[SaleorApiUrl, str]:
    """Validate the install request's header and JSON body (400 on anything missing)."""
    if not api_url_header:
        raise InstallError(
            400, "MISSING_SALEOR_API_URL", "The install request has no Saleor-Api-Url header."
        )
    parts = urlsplit(api_url_header)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InstallError(
            400, "INVALID_SALEOR_API_URL", "The Saleor-Api-Url header is not an absolute URL."
        )
    token = body.get("auth_token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token.strip():
        raise InstallError(400, "MISSING_AUTH_TOKEN", "The install request has no auth_token.")
    # Saleor's app tokens are plain ASCII; anything else cannot go into an HTTP header.
    if not (token.isascii() and token.isprintable()) or " " in token:
        raise InstallError(
            400, "INVALID_AUTH_TOKEN", "The install request's auth_token is invalid."
        )
    return SaleorApiUrl(api_url_header), token


async def verify_install(
    api_url: SaleorApiUrl,
    token: str,
    *,
    allowed: re.Pattern[str],
    app_id_lookup: AppIdLookup,
    fetch_jwks: JwksFetcher,
) -> VerifiedInstall:
    """Check the allow-list, prove the token with `{ app { id } }`, fetch the JWKS."""
    if not allowed.search(api_url):
        raise InstallError(
            403,
            "SALEOR_URL_PROHIBITED",
            "This app may not be installed on this Saleor instance. "
            "Ask the app's operator to allow it (ALLOWED_SALEOR_URLS).",
        )
    try:
        app_id = await app_id_lookup(api_url, token)
    except AuthError as exc:
        raise InstallError(
            401, "UNKNOWN_APP_ID", "Saleor did not confirm the app token; please install again."
        ) from exc
    except AppError as exc:
        raise InstallError(
            401,
            "UNKNOWN_APP_ID",
            "The app could not reach your Saleor API to confirm the installation. "
            "Check that the app can reach the Saleor API URL, then install again.",
        ) from exc
    try:
        jwks = await fetch_jwks(api_url)
    except AppError as exc:
        raise InstallError(
            401,
            "JWKS_NOT_AVAILABLE",
            "The app could not read your Saleor's public keys (/.well-known/jwks.json); "
            "install again when Saleor is reachable.",
        ) from exc
    return VerifiedInstall(api_url=api_url, app_id=app_id, token=token, jwks=jwks)
