"""The dashboard API as the errors page uses it: filters by status, kind and reason; the pause
reason as a code the page translates."""

from __future__ import annotations

from datetime import UTC, datetime

from saleor_bexio_app.ids import InstallationId
from saleor_bexio_app.store.error_log import evaluate_pause
from saleor_bexio_app.store.tables import SyncErrorRow
from tests.api.test_graphql import _gql, _park_unmapped_vat_order
from tests.web import conftest as web_conftest
from tests.web.conftest import Harness
from tests.web.shop import ready_shop

harness = web_conftest.harness

QUERY = """query($status: String, $kind: String, $reason: String) {
  errors(status: $status, kind: $kind, reason: $reason) { key kind reason status }
}"""


async def test_errors_are_filtered_by_kind_and_reason_together_with_status(
    harness: Harness,
) -> None:
    # given an order parked for a settings problem and a customer bexio rejected
    double, app, _ = await ready_shop(harness)
    order_id = await _park_unmapped_vat_order(harness, double, app)
    [installation] = await harness.installations()
    now = datetime.now(UTC)
    async with harness.services.sessions.begin() as session:
        session.add(
            SyncErrorRow(
                installation_id=installation.id,
                kind="sync_customer",
                key="VXNlcjox",
                reason="rejected",
                user_message="bexio refused the contact.",
                first_seen_at=now,
                last_seen_at=now,
            )
        )

    async def keys(**filters: str | None) -> list[str]:
        variables = {"status": "open", "kind": None, "reason": None, **filters}
        data = await _gql(harness, double, app, QUERY, variables)
        return [error["key"] for error in data["errors"]]

    # then each filter narrows the list, and they combine
    assert sorted(await keys()) == sorted([order_id, "VXNlcjox"])
    assert await keys(reason="config") == [order_id]
    assert await keys(reason="rejected") == ["VXNlcjox"]
    assert await keys(kind="sync_order", reason="rejected") == []
    assert await keys(kind="sync_customer") == ["VXNlcjox"]
    assert await keys(status="dismissed", reason="config") == []


PAUSE_QUERY = "{ syncPause { reason code openErrors } }"


async def test_the_pause_reason_comes_with_a_code_and_the_error_count(harness: Harness) -> None:
    double, app, _ = await ready_shop(harness)
    await _park_unmapped_vat_order(harness, double, app)
    [installation] = await harness.installations()
    shop = InstallationId(installation.id)
    assert (await _gql(harness, double, app, PAUSE_QUERY))["syncPause"] is None

    async def pause(*, broken: bool) -> dict[str, object]:
        async with harness.services.sessions.begin() as session:
            await evaluate_pause(
                session, shop, threshold=1, connection_broken=broken, now=datetime.now(UTC)
            )
        data = await _gql(harness, double, app, PAUSE_QUERY)
        paused: dict[str, object] = data["syncPause"]
        return paused

    assert await pause(broken=False) == {
        "reason": "1 unresolved errors",
        "code": "unresolved_errors",
        "openErrors": 1,
    }
    assert await pause(broken=True) == {
        "reason": "bexio connection broken",
        "code": "connection_broken",
        "openErrors": None,
    }


MESSAGE_QUERY = """{ errors(status: "open") { kind userMessage messageCode messageParams } }"""


async def test_errors_carry_the_message_code_and_params_the_page_translates(
    harness: Harness,
) -> None:
    # given an order the sync parked for its unmapped 3.8 % rate, and an entry without a code
    double, app, _ = await ready_shop(harness)
    await _park_unmapped_vat_order(harness, double, app)
    [installation] = await harness.installations()
    now = datetime.now(UTC)
    async with harness.services.sessions.begin() as session:
        session.add(
            SyncErrorRow(
                installation_id=installation.id,
                kind="sync_customer",
                key="VXNlcjox",
                reason="rejected",
                user_message="bexio refused the contact.",
                first_seen_at=now,
                last_seen_at=now,
            )
        )

    data = await _gql(harness, double, app, MESSAGE_QUERY)

    by_kind = {error["kind"]: error for error in data["errors"]}
    order = by_kind["sync_order"]
    assert order["messageCode"] == "vat_rate_unmapped"
    assert order["messageParams"]["rate"] == "3.8 %"
    assert order["messageParams"]["item"] == "line"
    assert "3.8 %" in order["userMessage"]
    assert (by_kind["sync_customer"]["messageCode"], by_kind["sync_customer"]["messageParams"]) == (
        None,
        {},
    )
