"""Thin HTTP routes: verify, parse, enqueue, commit, answer."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from saleor_bexio_app.ids import SaleorApiUrl
from saleor_bexio_app.jobs.model import JobKind
from saleor_bexio_app.jobs.queue import enqueue
from saleor_bexio_app.saleor.events import event_by_header, event_by_slug
from saleor_bexio_app.saleor.install import InstallError, parse_install_request, verify_install
from saleor_bexio_app.saleor.manifest import build_manifest
from saleor_bexio_app.saleor.signatures import SignatureError, verify_webhook_signature
from saleor_bexio_app.saleor.webhooks import (
    API_URL_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    MalformedDelivery,
    parse_delivery,
)
from saleor_bexio_app.store.repos import Installation
from saleor_bexio_app.web.services import Services, services_of

log = logging.getLogger(__name__)


async def manifest(request: Request) -> Response:
    return JSONResponse(build_manifest(services_of(request).settings))


async def healthz(request: Request) -> Response:
    return JSONResponse({"ok": True})


def _install_failure(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(
        {"success": False, "error": {"code": code, "message": message}}, status_code=status
    )


async def register(request: Request) -> Response:
    """Saleor's install handshake; every failure is a non-2xx with a merchant-readable message."""
    services = services_of(request)
    try:
        try:
            body: Any = await request.json()
        except ValueError:
            body = None
        api_url, token = parse_install_request(request.headers.get(API_URL_HEADER), body)
        verified = await verify_install(
            api_url,
            token,
            allowed=services.settings.allowed_saleor_urls,
            app_id_lookup=lambda url, tok: services.saleor(url, tok).get_app_id(),
            fetch_jwks=services.fetch_jwks,
        )
    except InstallError as exc:
        log.info("install refused: %s", exc.code)
        return _install_failure(exc.status, exc.code, exc.message)
    now = services.clock()
    try:
        async with services.sessions.begin() as session:
            installation = await services.installations.upsert(
                session,
                api_url=verified.api_url,
                app_id=verified.app_id,
                token=verified.token,
                jwks=verified.jwks,
                now=now,
            )
            await enqueue(
                session,
                installation_id=installation.id,
                kind=JobKind.APP_INSTALLED,
                key="app",
                now=now,
            )
    except SQLAlchemyError:
        log.exception("install could not be stored")
        return _install_failure(
            500, "INSTALL_FAILED", "The app could not save the installation. Please try again."
        )
    log.info("installed on %s as %s", verified.api_url, verified.app_id)
    return JSONResponse({"success": True})


def _reject(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _verify(
    services: Services, installation: Installation, signature: str, body: bytes
) -> bool:
    """Check the signature; on an unknown key or a mismatch, refetch the shop's JWKS once."""
    started = services.jwks.now()
    try:
        verify_webhook_signature(signature, body, installation.jwks)
        return True
    except SignatureError:
        pass
    fresh = await services.refreshed_jwks(installation, since=started)
    if fresh is None:
        return False
    try:
        verify_webhook_signature(signature, body, fresh)
    except SignatureError:
        return False
    return True


async def webhook(request: Request) -> Response:
    """A signed Saleor delivery becomes one durable job (or joins the queued one)."""
    services = services_of(request)
    event = event_by_slug(request.path_params["event"])
    if event is None:
        return _reject(404, "unknown webhook event")
    header_event = request.headers.get(EVENT_HEADER)
    if header_event is not None and event_by_header(header_event) != event:
        return _reject(400, "Saleor-Event header does not match the URL")
    signature = request.headers.get(SIGNATURE_HEADER)
    api_url = request.headers.get(API_URL_HEADER)
    if not signature or not api_url:
        return _reject(401, "missing Saleor-Signature or Saleor-Api-Url header")
    body = await request.body()
    async with services.sessions() as session:
        installation = await services.installations.find(session, SaleorApiUrl(api_url))
    if installation is None or not installation.active:
        return _reject(401, "this Saleor is not installed")
    if not await _verify(services, installation, signature, body):
        return _reject(401, "signature check failed")
    try:
        delivery = parse_delivery(event, body)
    except MalformedDelivery as exc:
        return _reject(400, str(exc))
    if delivery.recipient_id != installation.app_id:
        return _reject(401, "delivery is addressed to another app")
    if delivery.had_errors:
        log.warning("delivery %s for %s carried GraphQL errors", event.name, installation.id)
    now = services.clock()
    try:
        async with services.sessions.begin() as session:
            if event.job_kind == JobKind.APP_UNINSTALLED:
                await services.installations.uninstall(
                    session, installation.id, installation.app_id, now
                )
            queued = await enqueue(
                session,
                installation_id=installation.id,
                kind=event.job_kind,
                key=delivery.object_id,
                now=now,
                payload={"event": event.name, "issued_at": delivery.issued_at},
            )
    except SQLAlchemyError:
        log.exception("webhook job could not be stored")
        return _reject(503, "the job could not be stored; please retry")
    return JSONResponse({"accepted": True, "coalesced": not queued})


def api_routes() -> list[BaseRoute]:
    return [
        Route("/api/manifest", manifest, methods=["GET"]),
        Route("/api/register", register, methods=["POST"]),
        Route("/api/webhooks/{event}", webhook, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
    ]
