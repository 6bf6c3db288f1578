"""Signed deliveries become durable jobs; forged or malformed ones are refused, writing nothing."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import text

from saleor_bexio_app.jobs.model import JobKind
from tests.web.conftest import SHOP_A, SHOP_B, Harness, order_payload


async def test_valid_delivery_is_accepted_as_one_job(harness: Harness) -> None:
    double = harness.add_saleor(SHOP_A)
    app = await harness.install(double)
    await harness.run_jobs()
    response = await harness.deliver(double, "ORDER_CREATED", order_payload(app, "T3JkZXI6NDI="))
    assert response.status_code == 200
    [job] = await harness.jobs()
    assert (job.kind, job.key, job.state) == (JobKind.SYNC_ORDER, "T3JkZXI6NDI=", "queued")
    assert job.payload["event"] == "ORDER_CREATED"


async def test_duplicate_deliveries_coalesce_into_one_queued_job(harness: Harness) -> None:
    double = harness.add_saleor(SHOP_A)
    app = await harness.install(double)
    await harness.run_jobs()
    for event in ("ORDER_CREATED", "ORDER_CREATED", "ORDER_UPDATED", "ORDER_FULLY_PAID"):
        assert (await harness.deliver(double, event, order_payload(app))).status_code == 200
    assert len(await harness.jobs()) == 1


async def test_tampered_body_is_refused(harness: Harness) -> None:
    double = harness.add_saleor(SHOP_A)
    app = await harness.install(double)
    await harness.run_jobs()
    _, body = double.webhook("ORDER_CREATED", order_payload(app))
    tampered = body.replace(b'"21"', b'"22"')
    response = await harness.deliver(double, "ORDER_CREATED", order_payload(app), body=tampered)
    assert response.status_code == 401
    assert await harness.jobs() == []


async def test_signature_from_another_key_is_refused(harness: Harness) -> None:
    double = harness.add_saleor(SHOP_A)
    app = await harness.install(double)
    await harness.run_jobs()
    impostor = harness.add_saleor(SHOP_B)  # a different RSA key
    headers, body = impostor.webhook("ORDER_CREATED", order_payload(app))
    response = await harness.deliver(
        double,
        "ORDER_CREATED",
        order_payload(app),
        headers={"Saleor-Signature": headers["Saleor-Signature"], "Saleor-Api-Url": SHOP_A},
        body=body,
    )
    assert response.status_code == 401
    assert await harness.jobs() == []


async def test_missing_signature_header_is_refused(harness: Harness) -> None:
    double = harness.add_saleor(SHOP_A)
    app = await harness.install(double)
    await harness.run_jobs()
    response = await harness.deliver(
        double, "ORDER_CREATED", order_payload(app), headers={"Saleor-Signature": ""}
    )
    assert response.status_code == 401
    assert await harness.jobs() == []


async def test_delivery_signed_by_another_installed_shop_is_refused(harness: Harness) -> None:
    # given two installed shops with their own keys
    shop_a, shop_b = harness.add_saleor(SHOP_A), harness.add_saleor(SHOP_B)
    app_a = await harness.install(shop_a)
    await harness.install(shop_b)
    await harness.run_jobs()
    # when shop B signs a body and claims to be shop A
    headers, body = shop_b.webhook("ORDER_CREATED", order_payload(app_a))
    response = await harness.deliver(
        shop_a,
        "ORDER_CREATED",
        order_payload(app_a),
        headers={**headers, "Saleor-Api-Url": SHOP_A},
        body=body,
    )
    # then
    assert response.status_code == 401
    assert await harness.jobs() == []


async def test_unknown_shop_is_refused(harness: Harness) -> None:
    double = harness.add_saleor(SHOP_A)
    app = double.install_app()
    response = await harness.deliver(double, "ORDER_CREATED", order_payload(app))
    assert response.status_code == 401


async def test_recipient_that_is_not_our_app_is_refused(harness: Harness) -> None:
    double = harness.add_saleor(SHOP_A)
    await harness.install(double)
    await harness.run_jobs()
    other = double.install_app()
    response = await harness.deliver(double, "ORDER_CREATED", order_payload(other))
    assert response.status_code == 401
    assert await harness.jobs() == []


async def test_malformed_bodies_are_400_and_write_nothing(harness: Harness) -> None:
    double = harness.add_saleor(SHOP_A)
    app = await harness.install(double)
    await harness.run_jobs()
    for body in (b"not json", b"[1, 2]", json.dumps({"recipient": {"id": app.id}}).encode()):
        headers, _ = double.webhook("ORDER_CREATED", {})
        headers = {**headers, "Saleor-Signature": double.sign(body)}
        response = await harness.deliver(double, "ORDER_CREATED", {}, headers=headers, body=body)
        assert response.status_code == 400, body
    assert await harness.jobs() == []


async def test_event_header_must_match_the_url(harness: Harness) -> None:
    double = harness.add_saleor(SHOP_A)
    app = await harness.install(double)
    response = await harness.deliver(
        double, "ORDER_CREATED", order_payload(app), headers={"Saleor-Event": "product_deleted"}
    )
    assert response.status_code == 400


async def test_key_rotation_costs_exactly_one_jwks_refetch(harness: Harness) -> None:
    double = harness.add_saleor(SHOP_A)
    app = await harness.install(double)
    await harness.run_jobs()
    fetched_at_install = double.jwks_fetches
    double.rotate_key()
    response = await harness.deliver(double, "ORDER_CREATED", order_payload(app))
    assert response.status_code == 200
    assert double.jwks_fetches == fetched_at_install + 1
    # the new key is stored: the next delivery needs no fetch
    again = await harness.deliver(double, "ORDER_UPDATED", order_payload(app, "T3JkZXI6Mg=="))
    assert again.status_code == 200
    assert double.jwks_fetches == fetched_at_install + 1
    [row] = await harness.installations()
    assert row.jwks == double.jwks()


async def test_twenty_concurrent_deliveries_during_rotation_fetch_jwks_once(
    harness: Harness,
) -> None:
    double = harness.add_saleor(SHOP_A)
    app = await harness.install(double)
    await harness.run_jobs()
    fetched_at_install = double.jwks_fetches
    double.rotate_key()
    responses = await asyncio.gather(
        *(
            harness.deliver(double, "ORDER_CREATED", order_payload(app, f"T3JkZXI6{n}"))
            for n in range(20)
        )
    )
    assert [r.status_code for r in responses] == [200] * 20
    assert double.jwks_fetches == fetched_at_install + 1
    assert len(await harness.jobs()) == 20


async def test_delivery_that_cannot_be_stored_gets_a_5xx_so_saleor_retries(
    harness: Harness,
) -> None:
    double = harness.add_saleor(SHOP_A)
    app = await harness.install(double)
    await harness.run_jobs()
    async with harness.engine.begin() as connection:
        await connection.execute(text("DROP TABLE jobs"))
    response = await harness.deliver(double, "ORDER_CREATED", order_payload(app))
    assert response.status_code == 503
