"""Who is calling from the dashboard: the AppBridge JWT checked against the shop's installation."""

from __future__ import annotations

from collections.abc import Collection

from saleor_bexio_app.ids import SaleorApiUrl
from saleor_bexio_app.saleor.dashboard_token import (
    DashboardUser,
    TokenError,
    verify_dashboard_token,
)
from saleor_bexio_app.store.repos import Installation
from saleor_bexio_app.web.services import Services

TOKEN_HEADER = "authorization-bearer"
API_URL_HEADER = "saleor-api-url"


async def authenticate_dashboard(
    services: Services,
    api_url: str | None,
    token: str | None,
    required_permissions: Collection[str] = (),
) -> tuple[Installation, DashboardUser]:
    """The installation and staff user behind a dashboard request; raise TokenError to refuse.

    The JWKS comes only from the installation found by the `Saleor-Api-Url` header (never
    from the token's unverified issuer); the token's `iss` must equal that URL exactly.
    """
    if not api_url or not token:
        raise TokenError("missing Saleor-Api-Url or Authorization-Bearer header")
    async with services.sessions() as session:
        installation = await services.installations.find(session, SaleorApiUrl(api_url))
    if installation is None or not installation.active:
        raise TokenError("this Saleor is not installed")
    started = services.jwks.now()
    jwks = installation.jwks
    for attempt in range(2):
        try:
            user = verify_dashboard_token(
                token,
                jwks=jwks,
                saleor_api_url=installation.saleor_api_url,
                app_id=installation.app_id,
                now=services.clock(),
                required_permissions=required_permissions,
            )
            return installation, user
        except TokenError as exc:
            if not exc.unknown_key or attempt:
                raise
        fresh = await services.refreshed_jwks(installation, since=started)
        if fresh is None:
            raise TokenError("token key id is not in the shop's JWKS")
        jwks = fresh
    raise TokenError("token refused")  # unreachable: the loop returns or raises
