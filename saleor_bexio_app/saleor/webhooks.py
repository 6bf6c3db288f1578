"""Webhook deliveries: header names and the payload fields the app reads."""

from __future__ import annotations

import json
from dataclasses import dataclass

from saleor_bexio_app.ids import SaleorId
from saleor_bexio_app.saleor.events import WebhookEvent

SIGNATURE_HEADER = "saleor-signature"
API_URL_HEADER = "saleor-api-url"
EVENT_HEADER = "saleor-event"
# Saleor ids are short base64 strings. Longer ones, or ones with NUL (which PostgreSQL text cannot
# hold), would fail at enqueue with a 5xx that Saleor retries; they are malformed deliveries.
MAX_OBJECT_ID_LENGTH = 300


class MalformedDelivery(ValueError):
    """The body is not the JSON the subscription document asks for."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """What the app keeps of a delivery: whose it is and which object changed."""

    recipient_id: str
    object_id: SaleorId
    issued_at: str
    had_errors: bool


def parse_delivery(event: WebhookEvent, body: bytes) -> Delivery:
    """Read recipient and object id from a verified body; raise MalformedDelivery."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise MalformedDelivery("body is not JSON") from None
    if not isinstance(data, dict):
        raise MalformedDelivery("body is not a JSON object")
    recipient = data.get("recipient")
    recipient_id = recipient.get("id") if isinstance(recipient, dict) else None
    if not isinstance(recipient_id, str) or not recipient_id:
        raise MalformedDelivery("body has no recipient id")
    node: object = data
    for name in event.object_path:
        node = node.get(name) if isinstance(node, dict) else None
    if not isinstance(node, str) or not node:
        raise MalformedDelivery(f"body has no {'.'.join(event.object_path)}")
    if len(node) > MAX_OBJECT_ID_LENGTH or "\x00" in node:
        raise MalformedDelivery(f"body's {'.'.join(event.object_path)} is not a Saleor id")
    issued_at = data.get("issuedAt")
    return Delivery(
        recipient_id=recipient_id,
        object_id=SaleorId(node),
        issued_at=issued_at if isinstance(issued_at, str) else "",
        had_errors=bool(data.get("errors")),
    )
