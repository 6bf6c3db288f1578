"""Connecting a shop to bexio: connect URL, OAuth callback, status, disconnect."""

from __future__ import annotations

import logging
from html import escape
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from saleor_bexio_app.bexio.oauth import new_pkce
from saleor_bexio_app.errors import AppError, AuthError, FailureReason
from saleor_bexio_app.ids import InstallationId, JobId
from saleor_bexio_app.jobs.queue import requeue_parked
from saleor_bexio_app.saleor.dashboard_token import TokenError
from saleor_bexio_app.store.connections import BexioConnection, ConnectedAccount, StateError
from saleor_bexio_app.store.repos import Installation
from saleor_bexio_app.store.tables import JobRow
from saleor_bexio_app.web.auth import API_URL_HEADER, TOKEN_HEADER, authenticate_dashboard
from saleor_bexio_app.web.pages import render_page
from saleor_bexio_app.web.services import Services, services_of

log = logging.getLogger(__name__)

READ_PERMISSION = "MANAGE_ORDERS"
CHANGE_PERMISSION = "MANAGE_APPS"
NOT_CONFIGURED = (
    "This app has no bexio client configured. Ask its operator to set "
    "BEXIO_CLIENT_ID and BEXIO_CLIENT_SECRET."
)

_CLOSE_SCRIPT = "<script>setTimeout(function () { window.close(); }, 1500);</script>"


async def _caller(request: Request, permission: str) -> Installation | Response:
    try:
        installation, _user = await authenticate_dashboard(
            services_of(request),
            request.headers.get(API_URL_HEADER),
            request.headers.get(TOKEN_HEADER),
            [permission],
        )
    except TokenError as exc:
        status = 403 if exc.forbidden else 401
        message = (
            f"You need the {permission} permission for this."
            if exc.forbidden
            else "Your dashboard session could not be verified; reload the page."
        )
        return JSONResponse({"error": message}, status_code=status)
    return installation


def connection_json(connection: BexioConnection | None) -> dict[str, Any]:
    """The connection as the dashboard shows it (never any token)."""
    if connection is None:
        return {"status": "disconnected"}
    return {
        "status": connection.status.value,
        "companyId": connection.company_id,
        "companyName": connection.company_name,
        "userId": connection.user_id,
        "userName": connection.user_name,
        "brokenReason": connection.broken_reason,
        "connectedAt": connection.connected_at.isoformat() if connection.connected_at else None,
    }


async def start_connect(services: Services, installation_id: InstallationId) -> str | None:
    """A fresh bexio login URL for the shop, or None when this app has no bexio client."""
    if not services.settings.bexio_client_id or not services.settings.bexio_client_secret:
        return None
    pkce = new_pkce()
    async with services.sessions.begin() as session:
        state = await services.connections.create_state(
            session, installation_id, pkce.verifier, services.clock()
        )
    return services.oauth.authorize_url(state=state, code_challenge=pkce.challenge)


async def read_connection(
    services: Services, installation_id: InstallationId
) -> BexioConnection | None:
    """The shop's bexio connection, or None when it was never connected."""
    async with services.sessions() as session:
        return await services.connections.get(session, installation_id)


async def disconnect_shop(services: Services, installation_id: InstallationId) -> bool:
    """Delete the shop's bexio tokens; whether bexio confirmed revoking the refresh token."""
    async with services.sessions.begin() as session:
        refresh_token = await services.connections.disconnect(
            session, installation_id, services.clock()
        )
    return await services.oauth.revoke(refresh_token) if refresh_token else False


async def connect_url(request: Request) -> Response:
    """A bexio login URL for the calling shop (opened by the dashboard in a new tab)."""
    caller = await _caller(request, CHANGE_PERMISSION)
    if isinstance(caller, Response):
        return caller
    url = await start_connect(services_of(request), caller.id)
    if url is None:
        return JSONResponse({"error": NOT_CONFIGURED}, status_code=503)
    return JSONResponse({"url": url})


async def connection_status(request: Request) -> Response:
    caller = await _caller(request, READ_PERMISSION)
    if isinstance(caller, Response):
        return caller
    return JSONResponse(connection_json(await read_connection(services_of(request), caller.id)))


async def disconnect(request: Request) -> Response:
    """Delete the shop's bexio tokens and revoke the refresh token at bexio (best effort)."""
    caller = await _caller(request, CHANGE_PERMISSION)
    if isinstance(caller, Response):
        return caller
    revoked = await disconnect_shop(services_of(request), caller.id)
    return JSONResponse({"status": "disconnected", "revokedAtBexio": revoked})


def _callback_page(title: str, message: str, *, status: int = 200) -> HTMLResponse:
    page = render_page(title, f"<p>{escape(message)}</p>")
    page.status_code = status
    return page


async def oauth_callback(request: Request) -> Response:
    """bexio sends the merchant back here after "Allow"; the state alone says which shop it is."""
    services = services_of(request)
    state = request.query_params.get("state", "")
    if not state:
        return _callback_page(
            "bexio connection failed",
            'This link is incomplete. Start again with "Connect to bexio" in the app.',
            status=400,
        )
    now = services.clock()
    try:
        async with services.sessions.begin() as session:
            installation_id, verifier = await services.connections.consume_state(
                session, state, now
            )
    except StateError:
        return _callback_page(
            "bexio connection failed",
            "This bexio login link has expired or was already used. "
            'Start again with "Connect to bexio" in the app.',
            status=400,
        )
    if request.query_params.get("error") or not request.query_params.get("code"):
        return _callback_page(
            "bexio was not connected",
            'bexio did not grant access. Start again with "Connect to bexio" in the app '
            'and click "Allow" at bexio.',
            status=400,
        )
    try:
        tokens = await services.oauth.exchange_code(
            request.query_params["code"], code_verifier=verifier, now=now
        )
        account = await _read_account(services, tokens.access_token)
    except AppError as exc:
        log.warning("bexio connection of installation %s failed: %s", installation_id, exc.detail)
        # bexio refusing the code (forged, replayed, expired) is a bad request, not a bad gateway.
        status = 400 if isinstance(exc, AuthError) else 502
        return _callback_page("bexio connection failed", exc.user_message, status=status)
    async with services.sessions.begin() as session:
        await services.connections.connect(
            session,
            installation_id,
            access_token=tokens.access_token,
            refresh_token=tokens.refresh_token,
            expires_at=tokens.expires_at,
            account=account,
            now=services.clock(),
        )
        resumed = await resume_waiting_work(services, session, installation_id)
    log.info(
        "installation %s connected to bexio; %d waiting jobs resumed", installation_id, resumed
    )
    body = (
        f"<p>The shop is now connected to <strong>{escape(account.company_name)}</strong>"
        f" as {escape(account.user_name or 'your bexio user')}.</p>"
        "<p>You can close this tab and return to the Saleor dashboard.</p>" + _CLOSE_SCRIPT
    )
    return render_page("bexio is connected", body)


class _JustIssued:
    """The access token bexio has just issued; there is nothing to refresh yet."""

    def __init__(self, token: str) -> None:
        self._token = token

    async def access_token(self) -> str:
        return self._token

    async def refreshed_after(self, rejected: str) -> str:
        raise AuthError("bexio did not accept the new connection.", detail="fresh token refused")


async def _read_account(services: Services, access_token: str) -> ConnectedAccount:
    """The connected company (OIDC claims + company profile) and user (`/3.0/users/me`)."""
    claims = await services.oauth.userinfo(access_token)
    company_id = str(claims.get("company_id") or "")
    bexio = services.bexio(_JustIssued(access_token), company_id or "unknown")
    user = await bexio.get_current_user()
    profiles = await bexio.list_company_profiles()
    company_name = profiles[0].name if profiles else str(claims.get("company_name") or "")
    user_name = " ".join(part for part in (user.firstname, user.lastname) if part)
    return ConnectedAccount(
        company_id=company_id,
        company_name=company_name,
        user_id=int(user.id),
        user_name=user_name or (user.email or ""),
    )


async def resume_waiting_work(
    services: Services, session: AsyncSession, installation_id: InstallationId
) -> int:
    """Requeue the shop's jobs that were parked because bexio was not connected, and lift the
    pause the broken connection caused (a pause for piled-up errors stays)."""
    job_ids = (
        await session.scalars(
            select(JobRow.id).where(
                JobRow.installation_id == installation_id,
                JobRow.state == "parked",
                JobRow.reason == FailureReason.AUTH,
            )
        )
    ).all()
    resumed = 0
    for job_id in job_ids:
        resumed += await requeue_parked(session, JobId(job_id), now=services.clock())
    await services.error_log.refresh_pause(session, installation_id, now=services.clock())
    return resumed


def connect_routes() -> list[BaseRoute]:
    return [
        Route("/api/bexio/connect", connect_url, methods=["POST"]),
        Route("/api/bexio/connection", connection_status, methods=["GET"]),
        Route("/api/bexio/disconnect", disconnect, methods=["POST"]),
        Route("/bexio/oauth/callback", oauth_callback, methods=["GET"]),
    ]
