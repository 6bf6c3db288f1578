"""Verification of the JWT the Saleor dashboard hands to the app's pages (AppBridge token)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jwt

from saleor_bexio_app.ids import AppId, SaleorApiUrl
from saleor_bexio_app.saleor.signatures import find_key

LEEWAY_SECONDS = 5


class TokenError(Exception):
    """The dashboard token is refused; `unknown_key` asks the caller to refetch the JWKS once."""

    def __init__(self, detail: str, *, unknown_key: bool = False, forbidden: bool = False) -> None:
        super().__init__(detail)
        self.unknown_key = unknown_key
        self.forbidden = forbidden


@dataclass(frozen=True, slots=True)
class DashboardUser:
    """A staff user acting through the app's dashboard pages."""

    saleor_api_url: SaleorApiUrl
    app_id: AppId
    email: str
    user_id: str
    permissions: frozenset[str]
    user_permissions: frozenset[str]


def verify_dashboard_token(
    token: str,
    *,
    jwks: Mapping[str, Any],
    saleor_api_url: SaleorApiUrl,
    app_id: AppId,
    now: datetime,
    required_permissions: Collection[str] = (),
) -> DashboardUser:
    """Check signature, expiry, issuer, app, type and the user's permissions; raise TokenError.

    Permissions are checked against `user_permissions` (what the staff user may do), as
    Saleor's app-sdk does; `permissions` (app ∩ user) is kept for the pages to read.
    """
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise TokenError("malformed token") from None
    if header.get("alg") != "RS256":
        raise TokenError("token is not RS256")
    kid = header.get("kid")
    key = find_key(jwks, kid) if isinstance(kid, str) else None
    if key is None:
        raise TokenError("token key id is not in the shop's JWKS", unknown_key=True)
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key=key,
            algorithms=["RS256"],
            issuer=saleor_api_url,
            leeway=LEEWAY_SECONDS,
            # Time claims are checked below against the app's clock, not PyJWT's wall clock.
            options={
                "require": ["exp", "iss", "app"],
                "verify_aud": False,
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
    except jwt.PyJWTError as exc:
        raise TokenError(f"token refused: {type(exc).__name__}") from None
    try:
        expires = float(claims["exp"])
        not_before = float(claims.get("nbf", 0))
    except (TypeError, ValueError):
        raise TokenError("token has unreadable time claims") from None
    if expires + LEEWAY_SECONDS < now.timestamp():
        raise TokenError("token expired")
    if not_before - LEEWAY_SECONDS > now.timestamp():
        raise TokenError("token not valid yet")
    if claims.get("type") != "thirdparty" or claims.get("owner", "saleor") != "saleor":
        raise TokenError("token is not a dashboard app token")
    if claims.get("app") != app_id:
        raise TokenError("token was issued for another app")
    user_permissions = frozenset(_names(claims.get("user_permissions")))
    missing = set(required_permissions) - user_permissions
    if missing:
        raise TokenError(f"missing permissions {sorted(missing)}", forbidden=True)
    return DashboardUser(
        saleor_api_url=saleor_api_url,
        app_id=app_id,
        email=str(claims.get("email") or ""),
        user_id=str(claims.get("user_id") or ""),
        permissions=frozenset(_names(claims.get("permissions"))),
        user_permissions=user_permissions,
    )


def _names(value: object) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else []
