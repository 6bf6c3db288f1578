"""The app manifest Saleor reads at install (PROTOCOL.md §a), built from settings and `manifest/`.

The subscription documents live in the repository's top-level `manifest/` directory, beside the
package. Running from a source checkout or an editable install (`pip install -e .`) is what we
support; a wheel does not carry `manifest/`, so `subscription_document` fails loudly there.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from saleor_bexio_app import __version__
from saleor_bexio_app.saleor.events import WEBHOOK_EVENTS, WebhookEvent
from saleor_bexio_app.settings import Settings

MANIFEST_DIR = Path(__file__).resolve().parents[2] / "manifest"

APP_ID = "ch.saleor-bexio-app"
APP_NAME = "bexio"
# Tax classes, tax configurations and channels are readable with the app token alone
# (AUTHENTICATED_APP), so HANDLE_TAXES/MANAGE_TAXES are not requested. Every subscribed event's
# permission is one of these three; a missing one would mean silent non-delivery.
APP_PERMISSIONS: tuple[str, ...] = ("MANAGE_ORDERS", "MANAGE_USERS", "MANAGE_PRODUCTS")
# Widget extensions (ORDER_DETAILS_WIDGETS, target WIDGET) arrived with Saleor 3.22
# (https://saleor.io/blog/dashboard-extensions-overhaul); older cores reject the manifest.
REQUIRED_SALEOR_VERSION = ">=3.22 <4"


@cache
def _read_document(file_name: str) -> str:
    path = MANIFEST_DIR / file_name
    if not path.is_file():
        raise FileNotFoundError(
            f"subscription document {path} is missing: run the app from a source checkout or an "
            "editable install, where manifest/ sits beside the package"
        )
    return path.read_text(encoding="utf-8")


def subscription_document(event: WebhookEvent) -> str:
    """The subscription query Saleor runs to build this event's payload."""
    return _read_document(event.document_file)


def _extensions() -> list[dict[str, Any]]:
    return [
        {
            "identifier": "bexio-errors",
            "label": "bexio",
            "mount": "NAVIGATION_ORDERS",
            "target": "APP_PAGE",
            "url": "/app/errors",
            "permissions": ["MANAGE_ORDERS"],
        },
        {
            "identifier": "bexio-order-widget",
            "label": "bexio",
            "mount": "ORDER_DETAILS_WIDGETS",
            "target": "WIDGET",
            "url": "/app/order-widget",
            "permissions": ["MANAGE_ORDERS"],
            "options": {"widgetTarget": {"method": "GET"}},
        },
        {
            "identifier": "bexio-order-sync",
            "label": "Sync to bexio",
            "mount": "ORDER_DETAILS_MORE_ACTIONS",
            "target": "POPUP",
            "url": "/app/order-sync",
            "permissions": ["MANAGE_ORDERS"],
        },
    ]


def _webhook(app_url: str, event: WebhookEvent) -> dict[str, Any]:
    return {
        "identifier": event.path_slug,
        "name": f"bexio {event.name.lower().replace('_', ' ')}",
        "targetUrl": f"{app_url}/api/webhooks/{event.path_slug}",
        "query": subscription_document(event),
        "asyncEvents": [event.name],
        "isActive": True,
    }


def build_manifest(settings: Settings) -> dict[str, Any]:
    """The manifest JSON; every URL follows `settings.app_url`."""
    app_url = settings.app_url.rstrip("/")
    return {
        "id": APP_ID,
        "version": __version__,
        "name": APP_NAME,
        "about": (
            "Keeps your Saleor shop and bexio accounting in step: customers, orders, invoices, "
            "payments, products and VAT, without copying data by hand."
        ),
        "author": "saleor-bexio-app",
        "permissions": list(APP_PERMISSIONS),
        "appUrl": f"{app_url}/app",
        "tokenTargetUrl": f"{app_url}/api/register",
        "homepageUrl": f"{app_url}/",
        "supportUrl": f"{app_url}/support",
        "dataPrivacyUrl": f"{app_url}/privacy",
        "requiredSaleorVersion": REQUIRED_SALEOR_VERSION,
        "brand": {"logo": {"default": f"{app_url}/static/logo.png"}},
        "extensions": _extensions(),
        "webhooks": [_webhook(app_url, event) for event in WEBHOOK_EVENTS],
    }
