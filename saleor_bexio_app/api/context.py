"""Who is asking: the verified dashboard token's shop and staff user, checked before execution.

`/graphql` answers HTTP 401 (token missing, invalid, expired, another app's or an unknown
shop's) or HTTP 403 (the staff user lacks MANAGE_ORDERS, needed to see the app's pages) as
JSON before any resolver runs. Inside the schema, writes also need MANAGE_APPS; without it a
mutation returns the typed `Forbidden` result.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from saleor_bexio_app.ids import InstallationId
from saleor_bexio_app.saleor.dashboard_token import DashboardUser, TokenError
from saleor_bexio_app.store.repos import Installation
from saleor_bexio_app.web.auth import API_URL_HEADER, TOKEN_HEADER, authenticate_dashboard
from saleor_bexio_app.web.connect import CHANGE_PERMISSION, READ_PERMISSION
from saleor_bexio_app.web.services import Services


@dataclass(frozen=True, slots=True)
class Context:
    """Services plus the installation and user from the verified token (never from arguments)."""

    services: Services
    installation: Installation
    user: DashboardUser

    @property
    def shop(self) -> InstallationId:
        return self.installation.id

    @property
    def can_change(self) -> bool:
        """Whether the staff user may change settings and connections."""
        return CHANGE_PERMISSION in self.user.user_permissions


async def dashboard_context(services: Services, request: Request) -> Context | Response:
    """The context of a verified request, or the 401/403 JSON response refusing it."""
    try:
        installation, user = await authenticate_dashboard(
            services,
            request.headers.get(API_URL_HEADER),
            request.headers.get(TOKEN_HEADER),
            [READ_PERMISSION],
        )
    except TokenError as exc:
        if exc.forbidden:
            return JSONResponse(
                {"error": f"You need the {READ_PERMISSION} permission to use this app."},
                status_code=403,
            )
        return JSONResponse(
            {"error": "Your dashboard session could not be verified; reload the page."},
            status_code=401,
        )
    return Context(services, installation, user)
