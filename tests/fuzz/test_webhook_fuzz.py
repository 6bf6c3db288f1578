"""Random deliveries at `/api/webhooks/{event}`: never a 5xx, and only a genuine one writes."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from saleor_bexio_app.saleor.events import WEBHOOK_EVENTS
from saleor_bexio_app.sandbox.saleor_double import InstalledApp, SaleorDouble
from tests.fuzz.observed import (
    HEADER_TEXT,
    JSON_SCALARS,
    JSON_VALUES,
    TALLY,
    db_state,
    fuzz,
    json_error,
    mostly,
)
from tests.web.conftest import SHOP_A, SHOP_B, Harness

SLUGS = [event.path_slug for event in WEBHOOK_EVENTS]


@dataclass(frozen=True)
class Delivery:
    """One generated request; signatures are made when the doubles exist (inside the test)."""

    slug: str
    body: Any  # bytes, or a payload dict whose placeholders name our app
    signature: str  # none | garbage | shop | impostor | jws-shaped | resigned-header
    garbage_signature: str
    api_url: str  # installed | not-installed | none | garbage
    garbage_api_url: str
    event_header: str | None


def _payload_shapes() -> st.SearchStrategy[dict[str, Any]]:
    """Deliveries close to real ones: fields swapped for odd but JSON-typed values."""
    ids = st.one_of(
        st.just("T3JkZXI6MQ=="),
        st.text(max_size=40),
        st.text(min_size=290, max_size=400),
        st.sampled_from(["\x00", "a\x00b", "' OR 1=1 --", "../../etc/passwd", "🙂" * 80]),
        JSON_SCALARS,
    )
    recipients = mostly(st.just("<our app>"), st.text(max_size=20) | JSON_SCALARS)
    return st.fixed_dictionaries(
        {
            "__typename": st.sampled_from(["OrderCreated", "CustomerUpdated", "x"]),
            "issuedAt": st.one_of(st.just("2026-11-23T19:21:10+00:00"), JSON_VALUES),
            "recipient": st.one_of(st.fixed_dictionaries({"id": recipients}), JSON_VALUES),
            "order": st.one_of(st.fixed_dictionaries({"id": ids}), JSON_VALUES),
            "user": st.fixed_dictionaries({"id": ids}),
            "productVariant": st.fixed_dictionaries(
                {"product": st.fixed_dictionaries({"id": ids})}
            ),
            "product": st.fixed_dictionaries({"id": ids}),
        },
        optional={"errors": JSON_VALUES},
    )


DELIVERIES = st.builds(
    Delivery,
    slug=mostly(
        st.sampled_from(SLUGS), st.text("abcdefghijklmnopqrstuvwxyz-_", min_size=1, max_size=30)
    ),
    body=st.one_of(
        _payload_shapes(),
        _payload_shapes(),
        st.binary(max_size=200),
        JSON_VALUES.map(lambda value: json.dumps(value).encode()),
    ),
    signature=st.sampled_from(
        ["none", "garbage", *["shop"] * 4, "impostor", "jws-shaped", "resigned-header"]
    ),
    garbage_signature=HEADER_TEXT,
    api_url=st.sampled_from([*["installed"] * 4, "not-installed", "none", "garbage"]),
    garbage_api_url=HEADER_TEXT,
    event_header=mostly(st.sampled_from([None, "<matching>"]), HEADER_TEXT),
)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jws_shaped(header: Any) -> str:
    """A detached compact JWS with an arbitrary protected header and a made-up signature."""
    return f"{_b64(json.dumps(header).encode())}..{_b64(b'not a signature')}"


def _fill(value: Any, app_id: str) -> Any:
    if value == "<our app>":
        return app_id
    if isinstance(value, dict):
        return {key: _fill(item, app_id) for key, item in value.items()}
    return value


@dataclass(frozen=True)
class Shops:
    harness: Harness
    shop: SaleorDouble
    app: InstalledApp
    stranger: SaleorDouble


@pytest.fixture
async def shops(harness: Harness) -> Shops:
    """Shop A installed; shop B reachable on the network but never installed."""
    shop = harness.add_saleor(SHOP_A)
    app = await harness.install(shop)
    await harness.run_jobs()
    return Shops(harness, shop, app, harness.add_saleor(SHOP_B))


def _headers(shops: Shops, delivery: Delivery, body: bytes) -> dict[bytes, bytes]:
    shop, stranger = shops.shop, shops.stranger
    headers: dict[bytes, bytes] = {b"Content-Type": b"application/json"}
    signature = {
        "none": None,
        "garbage": delivery.garbage_signature,
        "shop": shop.sign(body),
        "impostor": stranger.sign(body),
        "jws-shaped": _jws_shaped({"alg": "none", "kid": shop.kid, "crit": ["b64"]}),
        # the shop's signature under a protected header without `b64`
        "resigned-header": _b64(json.dumps({"alg": "RS256", "kid": shop.kid}).encode())
        + shop.sign(body)[shop.sign(body).index(".") :],
    }[delivery.signature]
    if signature is not None:
        headers[b"Saleor-Signature"] = signature.encode("latin-1")
    api_url = {
        "installed": SHOP_A,
        "not-installed": SHOP_B,
        "none": None,
        "garbage": delivery.garbage_api_url,
    }[delivery.api_url]
    if api_url is not None:
        headers[b"Saleor-Api-Url"] = api_url.encode("latin-1")
    if delivery.event_header is not None:
        matching = delivery.slug.replace("-", "_")
        value = matching if delivery.event_header == "<matching>" else delivery.event_header
        headers[b"Saleor-Event"] = value.encode("latin-1")
    return headers


@fuzz(examples=150)
@given(delivery=DELIVERIES)
async def test_random_deliveries_get_4xx_and_write_nothing_unless_genuine(
    shops: Shops, delivery: Delivery
) -> None:
    harness = shops.harness
    before = await db_state(harness.engine)
    calls_before = len(harness.network.requests)
    body = (
        delivery.body
        if isinstance(delivery.body, bytes)
        else json.dumps(_fill(delivery.body, shops.app.id)).encode()
    )

    response = await harness.client.post(
        f"/api/webhooks/{delivery.slug}", content=body, headers=_headers(shops, delivery, body)
    )

    TALLY.record("POST /api/webhooks/{event}", response.status_code)
    assert response.status_code < 500, response.text
    # the app calls nothing but the installed shop's JWKS (a refetch on an unknown key)
    calls = harness.network.requests[calls_before:]
    assert {str(call.url) for call in calls} <= {"http://shop-a.test/.well-known/jwks.json"}
    assert shops.stranger.jwks_fetches == 0
    if response.status_code == 200:
        # only a delivery signed with the installed shop's key is accepted
        assert (delivery.signature, delivery.api_url) == ("shop", "installed")
        assert delivery.slug in SLUGS
        return
    assert response.status_code in (400, 401, 404), response.text
    json_error(response.json())
    assert await db_state(harness.engine) == before


@fuzz(examples=60)
@given(
    slug=st.sampled_from([slug for slug in SLUGS if slug != "app-deleted"]),
    object_id=st.one_of(
        st.text(max_size=40),
        st.text(min_size=250, max_size=400),
        st.sampled_from(["\x00", "a\x00b", "' OR 1=1 --", "🙂" * 80, " ", "T3JkZXI6MQ=="]),
    ),
    issued_at=st.one_of(st.text(max_size=40), st.just("2026-11-23T19:21:10+00:00")),
)
@example(slug="order-created", object_id="x" * 301, issued_at="")
@example(slug="customer-updated", object_id="VXNlcjox\x00", issued_at="\x00")
async def test_genuine_deliveries_with_odd_ids_are_queued_or_refused_never_5xx(
    shops: Shops, slug: str, object_id: str, issued_at: str
) -> None:
    harness = shops.harness
    before = await db_state(harness.engine)
    event = next(event for event in WEBHOOK_EVENTS if event.path_slug == slug)
    payload: dict[str, Any] = {"issuedAt": issued_at, "recipient": {"id": shops.app.id}}
    node = payload
    for name in event.object_path[:-1]:
        node = node.setdefault(name, {})
    node[event.object_path[-1]] = object_id

    headers, body = shops.shop.webhook(event.name, payload)
    response = await harness.client.post(f"/api/webhooks/{slug}", content=body, headers=headers)

    TALLY.record("POST /api/webhooks/{event} (signed)", response.status_code)
    assert response.status_code < 500, response.text
    if response.status_code == 200:
        assert object_id in {job.key for job in await harness.jobs()}
        return
    assert response.status_code == 400, response.text
    json_error(response.json())
    assert await db_state(harness.engine) == before
