"""The dashboard API end to end: dashboard tokens in, strawberry over the running app."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from saleor_bexio_app.sandbox.saleor_double import InstalledApp, SaleorDouble
from saleor_bexio_app.store.settings_codec import shop_settings_to_json
from tests.builders import make_settings
from tests.web import conftest as web_conftest
from tests.web.conftest import BEXIO, SHOP_A, SHOP_B, Harness
from tests.web.shop import ready_shop as _shop

harness = web_conftest.harness

READ_ONLY = ["MANAGE_ORDERS"]

SETTINGS_QUERY = "{ settings { json problems { setting message severity } } }"
SAVE_SETTINGS = """
mutation Save($json: JSON!) {
  saveSettings(json: $json) {
    __typename
    ... on SettingsSaved { json warnings { setting severity } }
    ... on SettingsInvalid { problems { setting message severity } }
    ... on Forbidden { permission }
  }
}
"""
ERRORS_QUERY = "{ errors { id kind key reason userMessage detail occurrences status } }"


async def _installed(harness: Harness, api_url: str) -> tuple[SaleorDouble, InstalledApp]:
    double = harness.add_saleor(api_url)
    app = await harness.install(double)
    await harness.run_jobs()
    return double, app


async def _post(
    harness: Harness,
    headers: dict[str, str],
    query: str,
    variables: dict[str, Any] | None = None,
) -> httpx.Response:
    return await harness.client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )


async def _gql(
    harness: Harness,
    double: SaleorDouble,
    app: InstalledApp,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    permissions: list[str] | None = None,
) -> dict[str, Any]:
    headers = harness.dashboard_headers(double, app, permissions)
    response = await _post(harness, headers, query, variables)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def _park_unmapped_vat_order(
    harness: Harness, double: SaleorDouble, app: InstalledApp
) -> str:
    """Deliver an order with a 3.8 % line, which the VAT mapping lacks; the job parks."""
    order = double.add_order(
        lines=[double.order_line("Wine", quantity=1, unit_price="20.00", tax_rate="0.038")]
    )
    headers, body = double.order_webhook("ORDER_CREATED", order["id"], app.id)
    response = await harness.client.post(
        "/api/webhooks/order-created", content=body, headers=headers
    )
    assert response.status_code == 200, response.text
    while await harness.run_jobs():
        pass
    order_id: str = order["id"]
    return order_id


async def test_request_without_a_valid_token_is_refused_before_execution(
    harness: Harness,
) -> None:
    double, app = await _installed(harness, SHOP_A)
    headers = harness.dashboard_headers(double, app)
    for sent in (
        {},
        {"Saleor-Api-Url": SHOP_A},
        {"Saleor-Api-Url": SHOP_A, "Authorization-Bearer": "not-a-jwt"},
        {"Saleor-Api-Url": SHOP_B, "Authorization-Bearer": headers["Authorization-Bearer"]},
    ):
        response = await _post(harness, sent, "{ shop { saleorApiUrl } }")
        assert response.status_code == 401, sent
        assert "data" not in response.json()


async def test_staff_user_without_manage_orders_is_refused(harness: Harness) -> None:
    double, app = await _installed(harness, SHOP_A)
    headers = harness.dashboard_headers(double, app, ["MANAGE_PRODUCTS"])
    response = await _post(harness, headers, "{ shop { saleorApiUrl } }")
    assert response.status_code == 403
    assert "MANAGE_ORDERS" in response.json()["error"]


async def test_get_is_not_served(harness: Harness) -> None:
    response = await harness.client.get("/graphql")
    assert response.status_code == 405


async def test_malformed_body_is_a_400(harness: Harness) -> None:
    double, app = await _installed(harness, SHOP_A)
    headers = harness.dashboard_headers(double, app)
    response = await harness.client.post("/graphql", content=b"{", headers=headers)
    assert response.status_code == 400
    response = await harness.client.post("/graphql", json={"query": 1}, headers=headers)
    assert response.status_code == 400


async def test_reading_with_manage_orders_shows_the_shop_and_its_connection(
    harness: Harness,
) -> None:
    double, app, _ = await _shop(harness)
    data = await _gql(
        harness,
        double,
        app,
        """{
          shop { saleorApiUrl shopName }
          bexioConnection { status companyName userName brokenReason connectedAt }
          settings { json problems { setting } }
          orderActionMatrix { rows { row label actions } columns { action label } }
          vatMapping { json }
          errors { id }
          syncPause { pausedAt reason }
        }""",
        permissions=READ_ONLY,
    )
    assert data["shop"]["saleorApiUrl"] == SHOP_A
    connection = data["bexioConnection"]
    assert connection["status"] == "connected"
    assert connection["companyName"] and connection["connectedAt"]
    assert connection["brokenReason"] is None
    assert data["settings"]["json"]["revenue_account_id"] == 101
    assert data["settings"]["problems"] == []
    rows = {row["row"]: row for row in data["orderActionMatrix"]["rows"]}
    assert rows["unfulfilled"]["actions"] == ["create_invoice", "issue_invoice", "send_invoice"]
    assert rows["unfulfilled"]["label"] == "Confirmed (unfulfilled)"
    columns = [column["action"] for column in data["orderActionMatrix"]["columns"]]
    assert columns[:2] == ["create_order", "create_invoice"]
    assert data["vatMapping"]["json"]["by_rate"] == {"8.1": 14, "2.6": 15}
    assert data["errors"] == []
    assert data["syncPause"] is None


async def test_a_new_shop_reads_default_settings_with_their_problems(harness: Harness) -> None:
    double, app = await _installed(harness, SHOP_A)
    data = await _gql(harness, double, app, "{ bexioConnection { status } " + SETTINGS_QUERY[1:])
    assert data["bexioConnection"]["status"] == "disconnected"
    problems = {problem["setting"]: problem for problem in data["settings"]["problems"]}
    assert problems["revenue_account_id"]["severity"] == "ERROR"


async def test_other_shops_token_sees_only_its_own_shop(harness: Harness) -> None:
    # given shop A with a parked error, and shop B installed too
    double_a, app_a, _ = await _shop(harness)
    await _park_unmapped_vat_order(harness, double_a, app_a)
    double_b, app_b = await _installed(harness, SHOP_B)
    [error_a] = (await _gql(harness, double_a, app_a, ERRORS_QUERY))["errors"]
    # when shop B reads and writes
    data = await _gql(
        harness,
        double_b,
        app_b,
        "{ shop { saleorApiUrl } bexioConnection { status } vatMapping { json } "
        + ERRORS_QUERY[1:],
    )
    dismissed = await _gql(
        harness,
        double_b,
        app_b,
        "mutation($ids: [Int!]!) { dismissErrors(ids: $ids) { ... on ErrorsDismissed { count } } }",
        {"ids": [error_a["id"]]},
    )
    # then B sees nothing of A, and A's error is untouched
    assert data["shop"]["saleorApiUrl"] == SHOP_B
    assert data["bexioConnection"]["status"] == "disconnected"
    assert data["vatMapping"]["json"]["by_rate"] == {}
    assert data["errors"] == []
    assert dismissed["dismissErrors"]["count"] == 0
    assert [e["id"] for e in (await _gql(harness, double_a, app_a, ERRORS_QUERY))["errors"]] == [
        error_a["id"]
    ]


async def test_saving_settings_without_manage_apps_is_forbidden(harness: Harness) -> None:
    double, app, _ = await _shop(harness)
    document = shop_settings_to_json(make_settings(pause_threshold=3))
    data = await _gql(
        harness, double, app, SAVE_SETTINGS, {"json": document}, permissions=READ_ONLY
    )
    assert data["saveSettings"] == {"__typename": "Forbidden", "permission": "MANAGE_APPS"}
    settings = await _gql(harness, double, app, SETTINGS_QUERY)
    assert settings["settings"]["json"]["pause_threshold"] == 10


async def test_every_write_without_manage_apps_is_forbidden(harness: Harness) -> None:
    double, app, _ = await _shop(harness)
    data = await _gql(
        harness,
        double,
        app,
        """mutation {
          startBexioConnect { __typename }
          disconnectBexio { __typename }
          saveVatMapping(json: {version: 1}) { __typename }
          retryErrors(ids: [1]) { __typename }
          dismissErrors(ids: [1]) { __typename }
          resumeSync { __typename }
        }""",
        permissions=READ_ONLY,
    )
    assert {result["__typename"] for result in data.values()} == {"Forbidden"}
    connection = await _gql(harness, double, app, "{ bexioConnection { status } }")
    assert connection["bexioConnection"]["status"] == "connected"


async def test_invalid_settings_list_their_problems_and_nothing_is_saved(
    harness: Harness,
) -> None:
    double, app, _ = await _shop(harness)
    document = shop_settings_to_json(make_settings(pause_threshold=0, revenue_account_id=None))
    data = await _gql(harness, double, app, SAVE_SETTINGS, {"json": document})
    result = data["saveSettings"]
    assert result["__typename"] == "SettingsInvalid"
    settings = {problem["setting"] for problem in result["problems"]}
    assert {"pause_threshold", "revenue_account_id"} <= settings
    unreadable = await _gql(
        harness, double, app, SAVE_SETTINGS, {"json": {"version": 1, "colour": "red"}}
    )
    assert unreadable["saveSettings"]["__typename"] == "SettingsInvalid"
    assert "colour" in unreadable["saveSettings"]["problems"][0]["message"]
    stored = await _gql(harness, double, app, SETTINGS_QUERY)
    assert stored["settings"]["json"]["pause_threshold"] == 10
    assert stored["settings"]["json"]["revenue_account_id"] == 101


async def test_valid_settings_are_saved_and_read_back(harness: Harness) -> None:
    double, app, _ = await _shop(harness)
    document = shop_settings_to_json(
        make_settings(pause_threshold=3, invoice_title="Bestellung {number}")
    )
    document["order_actions"]["partially_paid"] = ["record_payment"]
    data = await _gql(harness, double, app, SAVE_SETTINGS, {"json": document})
    result = data["saveSettings"]
    assert result["__typename"] == "SettingsSaved"
    assert result["warnings"] == [{"setting": "order_actions", "severity": "WARNING"}]
    stored = await _gql(harness, double, app, SETTINGS_QUERY)
    assert stored["settings"]["json"] == result["json"] == document
    matrix = await _gql(harness, double, app, "{ orderActionMatrix { rows { row actions } } }")
    rows = {row["row"]: row["actions"] for row in matrix["orderActionMatrix"]["rows"]}
    assert rows["partially_paid"] == ["record_payment"]


async def test_vat_mapping_is_validated_and_saved(harness: Harness) -> None:
    double, app, _ = await _shop(harness)
    mutation = """
    mutation($json: JSON!) {
      saveVatMapping(json: $json) {
        __typename
        ... on VatMappingSaved { json }
        ... on VatMappingInvalid { message }
      }
    }"""
    bad = {"version": 1, "by_rate": {"8.1": 14, "8.10": 15}}
    invalid = await _gql(harness, double, app, mutation, {"json": bad})
    assert invalid["saveVatMapping"]["__typename"] == "VatMappingInvalid"
    assert "same rate" in invalid["saveVatMapping"]["message"]
    good = {"version": 1, "by_rate": {"8.1": 14, "3.8": 16}, "exempt_tax_id": 17}
    saved = await _gql(harness, double, app, mutation, {"json": good})
    assert saved["saveVatMapping"]["__typename"] == "VatMappingSaved"
    stored = await _gql(harness, double, app, "{ vatMapping { json } }")
    assert stored["vatMapping"]["json"]["by_rate"] == {"8.1": 14, "3.8": 16}
    assert stored["vatMapping"]["json"]["exempt_tax_id"] == 17


async def test_start_connect_returns_the_bexio_login_url(harness: Harness) -> None:
    harness.add_bexio()
    double, app = await _installed(harness, SHOP_A)
    data = await _gql(
        harness,
        double,
        app,
        "mutation { startBexioConnect { __typename ... on ConnectUrl { url } } }",
    )
    url = httpx.URL(data["startBexioConnect"]["url"])
    assert str(url).startswith(f"{BEXIO}/realms/bexio/protocol/openid-connect/auth")
    assert url.params["client_id"] == "sandbox-client"
    assert url.params["state"] and url.params["code_challenge"]


async def test_disconnect_removes_the_connection(harness: Harness) -> None:
    double, app, _ = await _shop(harness)
    data = await _gql(
        harness,
        double,
        app,
        "mutation { disconnectBexio { __typename ... on Disconnected { revokedAtBexio } } }",
    )
    assert data["disconnectBexio"]["__typename"] == "Disconnected"
    status = await _gql(harness, double, app, "{ bexioConnection { status } }")
    assert status["bexioConnection"]["status"] == "disconnected"


async def test_parked_order_is_listed_and_retry_queues_it_again(harness: Harness) -> None:
    # given an order whose VAT rate is not mapped: its job parks with one error
    double, app, _ = await _shop(harness)
    order_id = await _park_unmapped_vat_order(harness, double, app)
    [error] = (await _gql(harness, double, app, ERRORS_QUERY, permissions=READ_ONLY))["errors"]
    assert error["key"] == order_id
    assert error["status"] == "open"
    assert "3.8" in error["userMessage"]
    assert "Bearer" not in error["detail"]
    # when the merchant maps 3.8 % and retries
    await _gql(
        harness,
        double,
        app,
        "mutation($json: JSON!) { saveVatMapping(json: $json) { __typename } }",
        {"json": {"version": 1, "by_rate": {"8.1": 14, "2.6": 15, "3.8": 16}}},
    )
    retried = await _gql(
        harness,
        double,
        app,
        "mutation($ids: [Int!]!) { retryErrors(ids: $ids) { ... on ErrorsRetried { count } } }",
        {"ids": [error["id"]]},
    )
    # then the error leaves the open list and its job is queued again
    assert retried["retryErrors"]["count"] == 1
    assert (await _gql(harness, double, app, ERRORS_QUERY))["errors"] == []
    listed = await _gql(harness, double, app, '{ errors(status: "retried") { id } }')
    assert listed["errors"] == [{"id": error["id"]}]
    assert [job.state for job in await harness.jobs()] == ["queued"]


async def test_dismissed_error_drops_its_parked_job(harness: Harness) -> None:
    double, app, _ = await _shop(harness)
    await _park_unmapped_vat_order(harness, double, app)
    [error] = (await _gql(harness, double, app, ERRORS_QUERY))["errors"]
    dismissed = await _gql(
        harness,
        double,
        app,
        "mutation($ids: [Int!]!) { dismissErrors(ids: $ids) { ... on ErrorsDismissed { count } } }",
        {"ids": [error["id"], error["id"] + 1000]},
    )
    assert dismissed["dismissErrors"]["count"] == 1
    assert (await _gql(harness, double, app, ERRORS_QUERY))["errors"] == []
    listed = await _gql(harness, double, app, "{ errors(status: null) { id status } }")
    assert listed["errors"] == [{"id": error["id"], "status": "dismissed"}]
    assert await harness.jobs() == []


async def test_paused_sync_is_shown_and_resumed(harness: Harness) -> None:
    # given a shop that pauses at its first error
    double, app, _ = await _shop(harness, pause_threshold=1)
    await _park_unmapped_vat_order(harness, double, app)
    paused = await _gql(harness, double, app, "{ syncPause { pausedAt reason } }")
    assert paused["syncPause"]["reason"] == "1 unresolved errors"
    # when the merchant resumes, twice
    resume = "mutation { resumeSync { ... on SyncResumed { resumed } } }"
    first = await _gql(harness, double, app, resume)
    second = await _gql(harness, double, app, resume)
    # then the pause is lifted once
    assert first["resumeSync"]["resumed"] is True
    assert second["resumeSync"]["resumed"] is False
    assert (await _gql(harness, double, app, "{ syncPause { reason } }"))["syncPause"] is None


async def test_query_mistakes_are_reported_and_crashes_are_masked(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    double, app = await _installed(harness, SHOP_A)
    headers = harness.dashboard_headers(double, app)
    mistake = await _post(harness, headers, "{ shop { colour } }")
    assert mistake.status_code == 200
    assert "colour" in mistake.json()["errors"][0]["message"]

    async def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("internal detail with a token")

    monkeypatch.setattr(harness.services.error_log, "list_errors", crash)
    with caplog.at_level(logging.CRITICAL, logger="strawberry"):
        crashed = await _post(harness, headers, "{ errors { id } }")
    assert crashed.status_code == 200
    assert crashed.json()["errors"][0]["message"] == "Unexpected error."
    assert "token" not in crashed.text
