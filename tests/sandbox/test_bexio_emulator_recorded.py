"""The bexio emulator answers like the recorded live bexio: same status, keys and value types.

Each case replays the recorded call (shared/bexio/recorded/, copied to tests/payloads/bexio/)
against a fresh emulator, after the set-up the live run had, and compares the answer's shape
recursively (lists pairwise), its status and its rate-limit headers.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from saleor_bexio_app.sandbox.bexio import BexioEmulator

PAYLOADS = Path(__file__).parents[1] / "payloads" / "bexio"
SHARED = Path("/work/shared/bexio/recorded")
CLOCK_START = 1_781_787_300.0  # 2026-06-18 14:55 in Zurich, the recording day

ORDER_BODY = {
    "title": "Test Quote",
    "contact_id": 1,
    "user_id": 1,
    "mwst_type": 1,
    "mwst_is_net": True,
    "positions": [
        {
            "type": "KbPositionCustom",
            "amount": "1",
            "unit_id": 1,
            "account_id": 95,
            "tax_id": 14,
            "text": "Beratung",
            "unit_price": "100",
        }
    ],
}

Case = Callable[[httpx.AsyncClient, BexioEmulator], Awaitable[httpx.Response]]
CASES: dict[str, Case] = {}
# Recorded calls the emulator does not offer, and why.
NOT_COVERED = {
    "ERR_403_PATCH_3.0_banking_bank_accounts_ID_iban_payments_ID.json": "no 3.0 banking payments",
    "ERR_409_DELETE_3.0_taxes_ID.json": "taxes cannot be deleted through the emulator",
    "ERR_410_GET_2.0_kb_item_setting.json": "no deleted companies",
    "ERR_422_POST_3.0_accounting_manual_entries.json": "no accounting journal",
}
# The same body, not only the same shape.
EXACT = {
    "ERR_422_POST_2.0_contact.json",
    "ERR_422_POST_2.0_kb_offer.json",
    "ERR_422_POST_3.0_currencies.json",
    "ERR_404_GET_2.0_kb_position.json",
    "ERR_404_GET_3.0_taxes_ID.json",
    "ERR_404_POST_2.0_contact_ID.json",
    "ERR_404_DELETE_2.0_contact_ID.json",
    "ERR_404_PATCH_2.0_contact_ID_restore.json",
    "ERR_403_DELETE_2.0_kb_invoice_ID.json",
    "ERR_500_POST_3.0_accounting_calendar_years.json",
    "GET_3.0_currencies_codes.json",
    "GET_2.0_unit.json",
    "GET_2.0_payment_type.json",
    "GET_2.0_language.json",
    "GET_2.0_accounts.json",
    "GET_2.0_kb_item_setting.json",
}


def recorded(name: str) -> dict[str, Any]:
    envelope: dict[str, Any] = json.loads((PAYLOADS / name).read_text())
    return envelope


def request_body(name: str) -> Any:
    return recorded(name)["request"]["body"]


def case(*names: str) -> Callable[[Case], Case]:
    def register(function: Case) -> Case:
        for name in names:
            CASES[name] = function
        return function

    return register


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def shape_differences(expected: Any, actual: Any, path: str = "$") -> list[str]:
    """Where `actual` differs from `expected` in keys or JSON value types."""
    if json_type(expected) != json_type(actual):
        return [f"{path}: {json_type(expected)} recorded, {json_type(actual)} emulated"]
    if isinstance(expected, dict):
        problems = [f"{path}.{key}: missing" for key in expected if key not in actual]
        problems += [f"{path}.{key}: not recorded" for key in actual if key not in expected]
        for key in expected:
            if key in actual:
                problems += shape_differences(expected[key], actual[key], f"{path}.{key}")
        return problems
    if isinstance(expected, list):
        problems = []
        for index, (left, right) in enumerate(zip(expected, actual, strict=False)):
            problems += shape_differences(left, right, f"{path}[{index}]")
        if expected and not actual:
            problems.append(f"{path}: recorded items, emulated none")
        return problems
    return []


def test_shape_differences_sees_types_keys_and_nested_lists() -> None:
    recorded_body = {"a": 1, "b": [{"c": "x"}], "d": None}
    assert shape_differences(recorded_body, {"a": 2.5, "b": [{"c": "y"}], "d": None}) == []
    assert shape_differences(recorded_body, {"a": "1", "b": [{"c": 1}], "e": 1}) == [
        "$.d: missing",
        "$.e: not recorded",
        "$.a: number recorded, string emulated",
        "$.b[0].c: string recorded, number emulated",
    ]


@pytest.fixture
def emulator() -> BexioEmulator:
    return BexioEmulator(clock=lambda: CLOCK_START, company_name="Mustermann AG")


@pytest.fixture
async def client(emulator: BexioEmulator) -> AsyncIterator[httpx.AsyncClient]:
    token = emulator.access_token()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emulator.app),
        base_url="http://bexio.test",
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
    ) as http:
        yield http


# --- set-up helpers: the state the live run had before the recorded call ---------------------


async def _invoice(c: httpx.AsyncClient, variant: str = "") -> int:
    response = await c.post(
        "/2.0/kb_invoice", json=request_body(f"POST_2.0_kb_invoice{variant}.json")
    )
    assert response.status_code == 201, response.text
    invoice_id: int = response.json()["id"]
    return invoice_id


async def _issued_invoice(c: httpx.AsyncClient) -> int:
    invoice_id = await _invoice(c)
    assert (await c.post(f"/2.0/kb_invoice/{invoice_id}/issue")).status_code == 200
    return invoice_id


async def _paid_invoice(c: httpx.AsyncClient) -> tuple[int, int]:
    invoice_id = await _issued_invoice(c)
    paid = await c.post(
        f"/2.0/kb_invoice/{invoice_id}/payment",
        json=request_body("POST_2.0_kb_invoice_ID_payment.json"),
    )
    assert paid.status_code == 201, paid.text
    payment_id: int = paid.json()["id"]
    return invoice_id, payment_id


async def _article(c: httpx.AsyncClient) -> int:
    response = await c.post("/2.0/article", json=request_body("POST_2.0_article.json"))
    assert response.status_code == 201, response.text
    article_id: int = response.json()["id"]
    return article_id


async def _order(c: httpx.AsyncClient) -> int:
    response = await c.post("/2.0/kb_order", json=ORDER_BODY)
    assert response.status_code == 201, response.text
    order_id: int = response.json()["id"]
    return order_id


# --- contacts -----------------------------------------------------------------------------------


@case("GET_2.0_contact.json")
async def _(c: httpx.AsyncClient, e: BexioEmulator) -> httpx.Response:
    return await c.get("/2.0/contact", params={"order_by": "id", "limit": 500, "offset": 0})


@case("GET_2.0_contact_ID.json")
async def _(c: httpx.AsyncClient, e: BexioEmulator) -> httpx.Response:
    return await c.get("/2.0/contact/1", params={"show_archived": "false"})


@case("POST_2.0_contact.json", "POST_2.0_contact__for-edit.json")
async def _(c: httpx.AsyncClient, e: BexioEmulator) -> httpx.Response:
    return await c.post("/2.0/contact", json=request_body("POST_2.0_contact.json"))


@case("POST_2.0_contact_ID.json")
async def _(c: httpx.AsyncClient, e: BexioEmulator) -> httpx.Response:
    created = await c.post("/2.0/contact", json=request_body("POST_2.0_contact__for-edit.json"))
    body = request_body("POST_2.0_contact_ID.json")
    return await c.post(f"/2.0/contact/{created.json()['id']}", json=body)


@case("POST_2.0_contact_search.json")
async def _(c: httpx.AsyncClient, e: BexioEmulator) -> httpx.Response:
    # The library's wrongly shaped body and `orderBy`: bexio silently finds nothing.
    envelope = recorded("POST_2.0_contact_search.json")["request"]
    return await c.post("/2.0/contact/search", params=envelope["query"], json=envelope["body"])


@case("ERR_404_POST_2.0_contact_ID.json")
async def _(c: httpx.AsyncClient, e: BexioEmulator) -> httpx.Response:
    return await c.post("/2.0/contact/6", json=request_body("ERR_404_POST_2.0_contact_ID.json"))


@case("ERR_422_POST_2.0_contact.json")
async def _(c: httpx.AsyncClient, e: BexioEmulator) -> httpx.Response:
    contact = {"contact_type_id": 1, "name_1": "Bulk", "user_id": 1, "owner_id": 1}
    return await c.post("/2.0/contact", json=[contact, contact])


@case("DELETE_2.0_contact_ID.json")
async def _(c: httpx.AsyncClient, e: BexioEmulator) -> httpx.Response:
    created = await c.post("/2.0/contact", json=request_body("POST_2.0_contact.json"))
    return await c.delete(f"/2.0/contact/{created.json()['id']}")


@case("PATCH_2.0_contact_ID_restore.json")
async def _(c: httpx.AsyncClient, e: BexioEmulator) -> httpx.Response:
    created = await c.post("/2.0/contact", json=request_body("POST_2.0_contact.json"))
    contact_id = created.json()["id"]
    await c.delete(f"/2.0/contact/{contact_id}")
    return await c.patch(f"/2.0/contact/{contact_id}/restore")


@case("ERR_404_DELETE_2.0_contact_ID.json")
async def _(c: httpx.AsyncClient, e: BexioEmulator) -> httpx.Response:
    return await c.delete("/2.0/contact/4")


@case("ERR_404_PATCH_2.0_contact_ID_restore.json")
async def _(c: httpx.AsyncClient, e: BexioEmulator) -> httpx.Response:
    return await c.patch("/2.0/contact/4/restore")


# --- articles -----------------------------------------------------------------------------------


@case("POST_2.0_article.json")
async def _(c: httpx.AsyncClient, e: BexioEmulator) -> httpx.Response:
    return await c.post("/2.0/article", json=request_body("POST_2.0_article.json"))


@case("GET_2.0_article.json")
async def _(c: httpx.AsyncClient, e: BexioEmulator) -> httpx.Response:
    await _article(c)
    return await c.get("/2.0/article", params={"order_by": "id", "limit": 500, "offset": 0})


@case("POST_2.0_article_ID.json")
async def _(c: httpx.AsyncClient, e: BexioEmulator) -> httpx.Response:
    article_id = await _article(c)
    return await c.post(f"/2.0/article/{article_id}", json=request_body("POST_2.0_article_ID.json"))


@case("GET_2.0_article_ID.json")
async def _(c: httpx.AsyncClient, e: BexioEmulator) -> httpx.Response:
    # The recorded article had been edited with currency_id null before.
    article_id = await _article(c)
    await c.post(f"/2.0/article/{article_id}", json=request_body("POST_2.0_article_ID.json"))
    return await c.get(f"/2.0/article/{article_id}")


@case("POST_2.0_article_search.json")
async def _(c: httpx.AsyncClient, e: BexioEmulator) -> httpx.Response:
    await _article(c)
    envelope = recorded("POST_2.0_article_search.json")["request"]
    return await c.post("/2.0/article/search", params=envelope["query"], json=envelope["body"])


@case("DELETE_2.0_article_ID.json")
async def _(c: httpx.AsyncClient, e: BexioEmulator) -> httpx.Response:
    return await c.delete(f"/2.0/article/{await _article(c)}")


# --- invoices -----------------------------------------------------------------------------------


def _create_invoice(name: str) -> Case:
    async def call(c: httpx.AsyncClient, e: BexioEmulator) -> httpx.Response:
        return await c.post("/2.0/kb_invoice", json=request_body(name))

    return call


for _variant in ("", "__for-cancel", "__for-copy", "__for-delete", "__for-edit", "__for-payment"):
    CASES[f"POST_2.0_kb_invoice{_variant}.json"] = _create_invoice(
        f"POST_2.0_kb_invoice{_variant}.json"
    )


@case("GET_2.0_kb_invoice.json")
async def _(c: httpx.AsyncClient, e: BexioEmulator) -> httpx.Response:
    await _invoice(c)
    return await c.get("/2.0/kb_invoice", params={"order_by": "id", "limit": 500, "offset": 0})


@case("GET_2.0_kb_invoice_ID.json")
async def _(c: httpx.AsyncClient, e: BexioEmulator) -> httpx.Response:
    invoice_id = await _issued_invoice(c)
    await c.post(f"/2.0/kb_invoice/{invoice_id}/cancel")
    return await c.get(f"/2.0/kb_invoice/{invoice_id}")


@case("GET_2.0_kb_invoice_ID__for-edit.json")
async def _(c: httpx.AsyncClient, e: BexioEmulator) -> httpx.Response:
    return await c.get(f"/2.0/kb_invoice/{await _invoice(c, '__for-edit')}")


@case("POST_2.0_kb_invoice_ID.json")
async def _(c: httpx.AsyncClient, e: BexioEmulator) -> httpx.Response:
    invoice_id = await _invoice(c, "__for-edit")
    return await c.post(f"/2.0/kb_invoice/{invoice_id}", json={"title": "Test Invoice"})


@case("POST_2.0_kb_invoice_ID_issue.json", "POST_2.0_kb_invoice_ID_issue__for-payment.json")
async def _(c: httpx.AsyncClient, e: BexioEmulator) -> httpx.Response:
    return await c.post(f"/2.0/kb_invoice/{await _invoice(c)}/issue")


@case("POST_2.0_kb_invoice_ID_cancel.json")
async def _(c: httpx.AsyncClient, e: BexioEmulator) -> httpx.Response:
    return await c.post(f"/2.0/kb_invoice/{await _issued_invoice(c)}/cancel")


@case("POST_2.0_kb_invoice_ID_payment.json")
async def _(c: httpx.AsyncClient, e: BexioEmulator) -> httpx.Response:
    invoice_id = await _issued_invoice(c)
    body = request_body("POST_2.0_kb_invoice_ID_payment.json")
    return await c.post(f"/2.0/kb_invoice/{invoice_id}/payment", json=body)


@case("GET_2.0_kb_invoice_ID_payment.json")
async def _(c: httpx.AsyncClient, e: BexioEmulator) -> httpx.Response:
    return await c.get(f"/2.0/kb_invoice/{await _invoice(c)}/payment")


@case("GET_2.0_kb_invoice_ID_payment__with-payment.json")
async def _(c: httpx.AsyncClient, e: BexioEmulator) -> httpx.Response:
    invoice_id, _ = await _paid_invoice(c)
    return await c.get(f"/2.0/kb_invoice/{invoice_id}/payment")


@case("GET_2.0_kb_invoice_ID_payment_ID.json")
async def _(c: httpx.AsyncClient, e: BexioEmulator) -> httpx.Response:
    invoice_id, payment_id = await _paid_invoice(c)
    return await c.get(f"/2.0/kb_invoice/{invoice_id}/payment/{payment_id}")


@case("POST_2.0_kb_invoice_search.json")
async def _(c: httpx.AsyncClient, e: BexioEmulator) -> httpx.Response:
    await _invoice(c)
    envelope = recorded("POST_2.0_kb_invoice_search.json")["request"]
    return await c.post("/2.0/kb_invoice/search", params=envelope["query"], json=envelope["body"])


@case("POST_2.0_kb_invoice_ID_copy.json")
async def _(c: httpx.AsyncClient, e: BexioEmulator) -> httpx.Response:
    invoice_id = await _invoice(c, "__for-copy")
    body = request_body("POST_2.0_kb_invoice_ID_copy.json")
    return await c.post(f"/2.0/kb_invoice/{invoice_id}/copy", json=body)


@case("DELETE_2.0_kb_invoice_ID.json")
async def _(c: httpx.AsyncClient, e: BexioEmulator) -> httpx.Response:
    return await c.delete(f"/2.0/kb_invoice/{await _invoice(c, '__for-delete')}")


@case("ERR_403_DELETE_2.0_kb_invoice_ID.json")
async def _(c: httpx.AsyncClient, e: BexioEmulator) -> httpx.Response:
    invoice_id = await _issued_invoice(c)
    await c.post(f"/2.0/kb_invoice/{invoice_id}/cancel")
    return await c.delete(f"/2.0/kb_invoice/{invoice_id}")


@case("ERR_422_POST_2.0_kb_offer.json")
async def _(c: httpx.AsyncClient, e: BexioEmulator) -> httpx.Response:
    body = request_body("POST_2.0_kb_invoice.json")
    body["positions"][1]["account_id"] = 99_999
    return await c.post("/2.0/kb_invoice", json=body)


@case("POST_2.0_DOC_ID_kb_position_custom.json")
async def _(c: httpx.AsyncClient, e: BexioEmulator) -> httpx.Response:
    body = {
        "amount": "1",
        "unit_id": 1,
        "account_id": 95,
        "tax_id": 14,
        "text": "Versand",
        "unit_price": "100",
        "discount_in_percent": "0",
    }
    return await c.post(f"/2.0/kb_invoice/{await _invoice(c)}/kb_position_custom", json=body)


@case("POST_2.0_DOC_ID_kb_position_subposition.json")
async def _(c: httpx.AsyncClient, e: BexioEmulator) -> httpx.Response:
    invoice_id = await _invoice(c)
    body = {"text": "Gruppe", "show_pos_nr": True}
    return await c.post(f"/2.0/kb_invoice/{invoice_id}/kb_position_subposition", json=body)


@case("GET_2.0_DOC_ID_kb_position_article.json")
async def _(c: httpx.AsyncClient, e: BexioEmulator) -> httpx.Response:
    # Recorded on a quote; the emulator offers the same position endpoints on invoices.
    invoice_id, article_id = await _invoice(c), await _article(c)
    position = {"article_id": article_id, "amount": "1", "unit_id": 1, "account_id": 95}
    position.update(tax_id=14, unit_price="100", text="Artikel")
    await c.post(f"/2.0/kb_invoice/{invoice_id}/kb_position_article", json=position)
    return await c.get(f"/2.0/kb_invoice/{invoice_id}/kb_position_article")


# --- orders -------------------------------------------------------------------------------------


@case("POST_2.0_kb_offer_ID_order.json")
async def _(c: httpx.AsyncClient, e: BexioEmulator) -> httpx.Response:
    # The only recorded order is one made from a quote; a created order has the same shape.
    return await c.post("/2.0/kb_order", json=ORDER_BODY)


@case("POST_2.0_kb_offer_ID_invoice.json")
async def _(c: httpx.AsyncClient, e: BexioEmulator) -> httpx.Response:
    return await c.post(f"/2.0/kb_order/{await _order(c)}/invoice")


@case("POST_2.0_DOC_ID_kb_position_article.json")
async def _(c: httpx.AsyncClient, e: BexioEmulator) -> httpx.Response:
    order_id, article_id = await _order(c), await _article(c)
    position = {"article_id": article_id, "amount": "1", "unit_id": 1, "account_id": 95}
    position.update(tax_id=14, unit_price="100", text="Artikel")
    return await c.post(f"/2.0/kb_order/{order_id}/kb_position_article", json=position)


# --- master data --------------------------------------------------------------------------------


def _replay(name: str) -> Case:
    async def call(c: httpx.AsyncClient, e: BexioEmulator) -> httpx.Response:
        envelope = recorded(name)["request"]
        return await c.request(
            envelope["method"], envelope["path"], params=envelope["query"], json=envelope["body"]
        )

    return call


for _name in (
    "GET_3.0_taxes.json",
    "GET_3.0_taxes_ID.json",
    "GET_3.0_taxes__scope-active_types-sales_tax.json",
    "ERR_404_GET_3.0_taxes_ID.json",
    "GET_2.0_accounts.json",
    "POST_2.0_accounts_search.json",
    "GET_3.0_currencies.json",
    "GET_3.0_currencies_ID.json",
    "GET_3.0_currencies_codes.json",
    "GET_2.0_country.json",
    "GET_2.0_language.json",
    "GET_2.0_unit.json",
    "GET_2.0_payment_type.json",
    "GET_3.0_banking_accounts.json",
    "GET_3.0_banking_accounts_ID.json",
    "GET_3.0_users.json",
    "GET_3.0_users_me.json",
    "GET_2.0_company_profile.json",
    "GET_2.0_company_profile_ID.json",
    "GET_2.0_kb_item_setting.json",
    "ERR_404_GET_2.0_kb_position.json",
):
    CASES[_name] = _replay(_name)


@case("GET_2.0_country_ID.json")
async def _(c: httpx.AsyncClient, e: BexioEmulator) -> httpx.Response:
    return await c.get("/2.0/country/14")


@case("POST_2.0_country_search.json")
async def _(c: httpx.AsyncClient, e: BexioEmulator) -> httpx.Response:
    # The recorded search found test countries ("TC") that a fresh company does not have.
    body = [{"field": "name_short", "value": "CH", "criteria": "like"}]
    return await c.post("/2.0/country/search", params={"order_by": "id"}, json=body)


@case("ERR_422_POST_3.0_currencies.json")
async def _(c: httpx.AsyncClient, e: BexioEmulator) -> httpx.Response:
    body = request_body("ERR_422_POST_3.0_currencies.json")
    assert (await c.post("/3.0/currencies", json=body)).status_code == 201
    return await c.post("/3.0/currencies", json=body)


@case("ERR_500_POST_3.0_accounting_calendar_years.json")
async def _(c: httpx.AsyncClient, e: BexioEmulator) -> httpx.Response:
    e.fail_next(1, 500)
    return await c.get("/3.0/users/me")


@case("GET_oidc_userinfo.json")
async def _(c: httpx.AsyncClient, e: BexioEmulator) -> httpx.Response:
    return await c.get("/realms/bexio/protocol/openid-connect/userinfo")


# --- the comparison -----------------------------------------------------------------------------


def test_every_recorded_call_is_compared_or_explained() -> None:
    files = {path.name for path in PAYLOADS.glob("*.json")}
    assert files == set(CASES) | set(NOT_COVERED)
    assert not set(CASES) & set(NOT_COVERED)


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared/bexio/recorded is not on this machine")
def test_payload_copies_equal_the_shared_recordings() -> None:
    for path in SHARED.glob("*.json"):
        assert (PAYLOADS / path.name).read_bytes() == path.read_bytes(), path.name


async def test_seeded_taxes_are_the_recorded_ones_and_the_old_rates(
    client: httpx.AsyncClient,
) -> None:
    taxes = (await client.get("/3.0/taxes")).json()
    live = recorded("GET_3.0_taxes.json")["body"]
    assert taxes[: len(live)] == live
    assert [(t["code"], t["is_active"], t["end_year"]) for t in taxes[len(live) :]] == [
        ("UN77", False, 2023),
        ("UR25", False, 2023),
        ("US37", False, 2023),
    ]


@pytest.mark.parametrize("name", sorted(CASES))
async def test_emulator_answers_like_the_recording(
    name: str, client: httpx.AsyncClient, emulator: BexioEmulator
) -> None:
    # given
    envelope = recorded(name)
    # when
    response = await CASES[name](client, emulator)
    # then
    assert response.status_code == envelope["status"], response.text
    body = response.json()
    if name in EXACT:
        assert body == envelope["body"]
    else:
        assert shape_differences(envelope["body"], body) == []
    headers = {key.lower(): value for key, value in envelope["headers"].items()}
    for header in ("ratelimit-limit", "x-ratelimit-limit-minute", "x-total-count"):
        if name.startswith("ERR_500"):
            break
        assert (header in response.headers) == (header in headers), header
        if header != "x-total-count" and header in headers:
            assert response.headers[header] == headers[header], header
