"""The webhook events the app subscribes to, and what each one asks the worker to do."""

from __future__ import annotations

from dataclasses import dataclass

from saleor_bexio_app.jobs.model import JobKind


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    """One subscribed async event: its URL slug, subscription document and resulting job."""

    name: str
    job_kind: JobKind
    object_path: tuple[str, ...]

    @property
    def path_slug(self) -> str:
        """`ORDER_CREATED` -> `order-created`, the last segment of the webhook's target URL."""
        return self.name.lower().replace("_", "-")

    @property
    def header_value(self) -> str:
        """`ORDER_CREATED` -> `order_created`, as Saleor sends it in `Saleor-Event`."""
        return self.name.lower()

    @property
    def document_file(self) -> str:
        """File name of the subscription document in `manifest/`."""
        return f"{self.name.lower()}.graphql"


_ORDER = ("order", "id")
_USER = ("user", "id")
_PRODUCT = ("product", "id")
# Variant events are keyed by their product, so one product's jobs coalesce and never overlap.
_VARIANT_PRODUCT = ("productVariant", "product", "id")

# There is no ORDER_RETURNED async event in 3.24: returns change the order's status and arrive as
# ORDER_UPDATED (PARTIALLY_RETURNED / RETURNED); refunds have ORDER_REFUNDED / ORDER_FULLY_REFUNDED.
WEBHOOK_EVENTS: tuple[WebhookEvent, ...] = (
    WebhookEvent("ORDER_CREATED", JobKind.SYNC_ORDER, _ORDER),
    WebhookEvent("ORDER_CONFIRMED", JobKind.SYNC_ORDER, _ORDER),
    WebhookEvent("ORDER_UPDATED", JobKind.SYNC_ORDER, _ORDER),
    WebhookEvent("ORDER_PAID", JobKind.SYNC_ORDER, _ORDER),
    WebhookEvent("ORDER_FULLY_PAID", JobKind.SYNC_ORDER, _ORDER),
    WebhookEvent("ORDER_REFUNDED", JobKind.SYNC_ORDER, _ORDER),
    WebhookEvent("ORDER_FULLY_REFUNDED", JobKind.SYNC_ORDER, _ORDER),
    WebhookEvent("ORDER_FULFILLED", JobKind.SYNC_ORDER, _ORDER),
    WebhookEvent("ORDER_CANCELLED", JobKind.SYNC_ORDER, _ORDER),
    WebhookEvent("ORDER_EXPIRED", JobKind.SYNC_ORDER, _ORDER),
    WebhookEvent("CUSTOMER_CREATED", JobKind.SYNC_CUSTOMER, _USER),
    WebhookEvent("CUSTOMER_UPDATED", JobKind.SYNC_CUSTOMER, _USER),
    WebhookEvent("PRODUCT_CREATED", JobKind.SYNC_PRODUCT, _PRODUCT),
    WebhookEvent("PRODUCT_UPDATED", JobKind.SYNC_PRODUCT, _PRODUCT),
    WebhookEvent("PRODUCT_DELETED", JobKind.SYNC_PRODUCT, _PRODUCT),
    WebhookEvent("PRODUCT_VARIANT_CREATED", JobKind.SYNC_PRODUCT, _VARIANT_PRODUCT),
    WebhookEvent("PRODUCT_VARIANT_UPDATED", JobKind.SYNC_PRODUCT, _VARIANT_PRODUCT),
    WebhookEvent("PRODUCT_VARIANT_DELETED", JobKind.SYNC_PRODUCT, _VARIANT_PRODUCT),
    WebhookEvent("PRODUCT_VARIANT_STOCK_UPDATED", JobKind.SYNC_PRODUCT, _VARIANT_PRODUCT),
    WebhookEvent("APP_DELETED", JobKind.APP_UNINSTALLED, ("app", "id")),
)

_BY_SLUG = {event.path_slug: event for event in WEBHOOK_EVENTS}
_BY_HEADER = {event.header_value: event for event in WEBHOOK_EVENTS}


def event_by_slug(slug: str) -> WebhookEvent | None:
    """The event served at `/api/webhooks/{slug}`, or None."""
    return _BY_SLUG.get(slug)


def event_by_header(saleor_event_header: str) -> WebhookEvent | None:
    """The event named by a `Saleor-Event` header (`order_created`; case and spaces ignored)."""
    return _BY_HEADER.get(saleor_event_header.strip().lower())
