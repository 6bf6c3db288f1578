"""bexio's business rules in the emulator: documents, totals, numbering, validation, search."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from saleor_bexio_app.sandbox.bexio import BexioEmulator

UN81, UR26, US38_INACTIVE, UN77_OLD = 14, 15, 16, 29
REVENUE_3200 = 101
FORM_ERROR = "The form could not be saved due to the following errors:"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_781_787_300.0  # 2026-06-18 14:55 in Zurich

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def emulator(clock: FakeClock) -> BexioEmulator:
    return BexioEmulator(clock=clock)


@pytest.fixture
async def bexio(emulator: BexioEmulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emulator.app),
        base_url="http://bexio.test",
        headers={"Authorization": f"Bearer {emulator.access_token()}"},
    ) as client:
        yield client


def line(price: str, tax_id: int = UN81, amount: str = "1", **extra: Any) -> dict[str, Any]:
    return {
        "type": "KbPositionCustom",
        "amount": amount,
        "unit_price": price,
        "tax_id": tax_id,
        "account_id": REVENUE_3200,
        "text": "Artikel",
        **extra,
    }


def invoice_body(*positions: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "contact_id": 1,
        "user_id": 1,
        "mwst_type": 0,
        "mwst_is_net": True,
        "positions": list(positions) or [line("100")],
        **fields,
    }


async def create(bexio: httpx.AsyncClient, path: str, body: Any) -> dict[str, Any]:
    response = await bexio.post(path, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def status_of(bexio: httpx.AsyncClient, invoice_id: int) -> int:
    status: int = (await bexio.get(f"/2.0/kb_invoice/{invoice_id}")).json()["kb_item_status_id"]
    return status


# --- invoice lifecycle --------------------------------------------------------------------------


async def test_invoice_goes_from_draft_to_pending_to_partial_to_paid(
    bexio: httpx.AsyncClient, emulator: BexioEmulator, clock: FakeClock
) -> None:
    # given a draft of CHF 108.10 (100 net + 8.1 %)
    invoice = await create(bexio, "/2.0/kb_invoice", invoice_body())
    invoice_id = invoice["id"]
    assert invoice["kb_item_status_id"] == 7
    assert invoice["total"] == "108.1"
    # when it is issued and paid in two parts
    assert (await bexio.post(f"/2.0/kb_invoice/{invoice_id}/issue")).json() == {"success": True}
    assert await status_of(bexio, invoice_id) == 8
    clock.now += 5
    first = await bexio.post(f"/2.0/kb_invoice/{invoice_id}/payment", json={"value": "50"})
    partial = (await bexio.get(f"/2.0/kb_invoice/{invoice_id}")).json()
    second = await bexio.post(
        f"/2.0/kb_invoice/{invoice_id}/payment",
        json={"value": "58.10", "date": "2026-06-19", "bank_account_id": 1},
    )
    # then
    assert first.status_code == second.status_code == 201
    assert partial["kb_item_status_id"] == 16
    assert partial["total_remaining_payments"] == "58.1000"
    assert partial["updated_at"] == emulator.company.timestamp() != invoice["updated_at"]
    paid = (await bexio.get(f"/2.0/kb_invoice/{invoice_id}")).json()
    assert paid["kb_item_status_id"] == 9
    assert paid["total_received_payments"] == "108.100000"
    assert paid["total_remaining_payments"] == "0.0000"
    payments = (await bexio.get(f"/2.0/kb_invoice/{invoice_id}/payment")).json()
    assert [p["value"] for p in payments] == ["50.000000", "58.100000"]
    assert emulator.invoices[invoice_id]["kb_item_status_id"] == 9


async def test_deleting_a_payment_reopens_the_invoice(bexio: httpx.AsyncClient) -> None:
    invoice_id = (await create(bexio, "/2.0/kb_invoice", invoice_body()))["id"]
    await bexio.post(f"/2.0/kb_invoice/{invoice_id}/issue")
    payment = await create(bexio, f"/2.0/kb_invoice/{invoice_id}/payment", {"value": "108.10"})
    assert await status_of(bexio, invoice_id) == 9
    await bexio.delete(f"/2.0/kb_invoice/{invoice_id}/payment/{payment['id']}")
    assert await status_of(bexio, invoice_id) == 8


async def test_actions_refuse_the_wrong_state(bexio: httpx.AsyncClient) -> None:
    invoice_id = (await create(bexio, "/2.0/kb_invoice", invoice_body()))["id"]
    base = f"/2.0/kb_invoice/{invoice_id}"
    draft_payment = await bexio.post(f"{base}/payment", json={"value": "1"})
    assert draft_payment.status_code == 422
    assert draft_payment.json()["error_code"] == 422
    assert (await bexio.post(f"{base}/cancel")).status_code == 422
    assert (await bexio.post(f"{base}/revert_issue")).status_code == 422
    await bexio.post(f"{base}/issue")
    assert (await bexio.post(f"{base}/issue")).status_code == 422
    edit = await bexio.post(base, json={"title": "Neu"})
    assert edit.status_code == 422


async def test_revert_issue_and_cancel(bexio: httpx.AsyncClient, emulator: BexioEmulator) -> None:
    invoice_id = (await create(bexio, "/2.0/kb_invoice", invoice_body()))["id"]
    base = f"/2.0/kb_invoice/{invoice_id}"
    await bexio.post(f"{base}/issue")
    assert (await bexio.post(f"{base}/revert_issue")).json() == {"success": True}
    assert await status_of(bexio, invoice_id) == 7
    await bexio.post(f"{base}/issue")
    await bexio.post(f"{base}/payment", json={"value": "8.10"})
    assert (await bexio.post(f"{base}/revert_issue")).status_code == 422
    assert (await bexio.post(f"{base}/cancel")).json() == {"success": True}
    cancelled = (await bexio.get(base)).json()
    assert cancelled["kb_item_status_id"] == 19
    assert cancelled["total_remaining_payments"] == "0.0000"
    assert (await bexio.delete(base)).status_code == 403


async def test_only_drafts_can_be_deleted(
    bexio: httpx.AsyncClient, emulator: BexioEmulator
) -> None:
    invoice_id = (await create(bexio, "/2.0/kb_invoice", invoice_body()))["id"]
    assert (await bexio.delete(f"/2.0/kb_invoice/{invoice_id}")).json() == {"success": True}
    assert invoice_id not in emulator.invoices
    assert (await bexio.get(f"/2.0/kb_invoice/{invoice_id}")).status_code == 404


async def test_mark_as_sent_and_send_issue_a_draft(
    bexio: httpx.AsyncClient, emulator: BexioEmulator
) -> None:
    first = (await create(bexio, "/2.0/kb_invoice", invoice_body()))["id"]
    await bexio.post(f"/2.0/kb_invoice/{first}/mark_as_sent")
    assert await status_of(bexio, first) == 8
    second = (await create(bexio, "/2.0/kb_invoice", invoice_body()))["id"]
    invalid = await bexio.post(
        f"/2.0/kb_invoice/{second}/send",
        json={"recipient_email": "kunde@example.ch", "subject": "Rechnung", "message": "Hallo"},
    )
    assert invalid.status_code == 422
    assert invalid.json()["errors"] == ["message: Diese Eingabe ist nicht korrekt."]
    sent = await bexio.post(
        f"/2.0/kb_invoice/{second}/send",
        json={
            "recipient_email": "kunde@example.ch",
            "subject": "Rechnung",
            "message": "Ihre Rechnung: [Network Link]",
            "mark_as_open": True,
        },
    )
    assert sent.json() == {"success": True}
    assert await status_of(bexio, second) == 8
    assert [m["recipient_email"] for m in emulator.sent_emails] == ["kunde@example.ch"]


async def test_hooks_book_payments_and_cancel_like_a_bexio_user(
    bexio: httpx.AsyncClient, emulator: BexioEmulator
) -> None:
    invoice_id = (await create(bexio, "/2.0/kb_invoice", invoice_body()))["id"]
    await bexio.post(f"/2.0/kb_invoice/{invoice_id}/issue")
    emulator.record_payment(invoice_id, Decimal("108.10"), date="2026-06-20")
    assert await status_of(bexio, invoice_id) == 9
    other = (await create(bexio, "/2.0/kb_invoice", invoice_body()))["id"]
    await bexio.post(f"/2.0/kb_invoice/{other}/issue")
    emulator.cancel_invoice(other)
    assert await status_of(bexio, other) == 19


# --- totals -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            invoice_body(line("100")),
            {"total_net": "100.000000", "total_taxes": "8.1000", "total": "108.100000"},
            id="net prices: VAT added",
        ),
        pytest.param(
            invoice_body(line("108.10"), mwst_is_net=False),
            {"total_net": "108.100000", "total_taxes": "8.1000", "total": "108.100000"},
            id="gross prices: VAT included",
        ),
        pytest.param(
            invoice_body(line("10.00", amount="3"), line("19.90", tax_id=UR26)),
            {"total_net": "49.900000", "total_taxes": "2.9474", "total": "52.850000"},
            id="two rates, rounded to 5 Rappen",
        ),
        pytest.param(
            invoice_body(line("100", discount_in_percent="10")),
            {"total_gross": "90.000000", "total_taxes": "7.2900", "total": "97.300000"},
            id="line discount",
        ),
        pytest.param(
            invoice_body(
                line("100"),
                {
                    "type": "KbPositionDiscount",
                    "text": "Gutschein",
                    "is_percentual": True,
                    "value": "10",
                },
            ),
            {"total_gross": "100.000000", "total_net": "90.000000", "total": "97.300000"},
            id="document discount",
        ),
        pytest.param(
            invoice_body(line("100"), mwst_type=1),
            {"total_taxes": "0.0000", "total": "100.000000", "taxs": []},
            id="mwst_type 1 computes no VAT, as recorded live",
        ),
        pytest.param(
            invoice_body(line("100"), mwst_type=2),
            {"total_taxes": "0.0000", "total": "100.000000"},
            id="exempt",
        ),
        pytest.param(
            invoice_body(line("10.01"), currency_id=2),
            {"total": "10.820000", "total_rounding_difference": 0},
            id="EUR rounds to cents",
        ),
    ],
)
async def test_totals_are_computed_like_bexio(
    bexio: httpx.AsyncClient, body: dict[str, Any], expected: dict[str, Any]
) -> None:
    invoice_id = (await create(bexio, "/2.0/kb_invoice", body))["id"]
    shown = (await bexio.get(f"/2.0/kb_invoice/{invoice_id}")).json()
    assert {key: shown[key] for key in expected} == expected


async def test_the_docs_example_total_and_rounding_difference(
    bexio: httpx.AsyncClient, emulator: BexioEmulator
) -> None:
    # docs.bexio.com sample: 17.80 net at 7.7 % -> VAT 1.3706, total 19.15, difference -0.02
    emulator.set_tax_active(UN77_OLD, True)
    body = invoice_body(line("17.80", UN77_OLD))
    invoice_id = (await create(bexio, "/2.0/kb_invoice", body))["id"]
    shown = (await bexio.get(f"/2.0/kb_invoice/{invoice_id}")).json()
    assert shown["total_taxes"] == "1.3706"
    assert shown["total"] == "19.150000"
    assert shown["total_rounding_difference"] == -0.02
    assert shown["taxs"] == [{"percentage": "7.70", "value": "1.3706"}]


async def test_create_answers_unpadded_numbers_and_get_padded_ones(
    bexio: httpx.AsyncClient,
) -> None:
    created = await create(bexio, "/2.0/kb_invoice", invoice_body(line("12.50")))
    position = created["positions"][0]
    assert (created["total_net"], position["unit_price"], position["amount_open"]) == (
        "12.5",
        "12.5",
        None,
    )
    shown = (await bexio.get(f"/2.0/kb_invoice/{created['id']}")).json()
    assert (shown["total_net"], shown["positions"][0]["unit_price"]) == ("12.500000", "12.500000")


# --- numbering ----------------------------------------------------------------------------------


async def test_automatic_numbering_assigns_document_numbers(bexio: httpx.AsyncClient) -> None:
    first = await create(bexio, "/2.0/kb_invoice", invoice_body())
    second = await create(bexio, "/2.0/kb_invoice", invoice_body())
    order = await create(bexio, "/2.0/kb_order", invoice_body())
    assert (first["document_nr"], second["document_nr"]) == ("RE-00001", "RE-00002")
    assert order["document_nr"] == "AU-00001"
    refused = await bexio.post("/2.0/kb_invoice", json=invoice_body(document_nr="SHOP-1"))
    assert refused.status_code == 422
    assert refused.json()["errors"] == ["document_nr: Dieser Wert sollte leer sein."]


async def test_manual_numbering_requires_a_document_number(
    bexio: httpx.AsyncClient, emulator: BexioEmulator
) -> None:
    # given
    emulator.set_numbering(automatic=False)
    settings = (await bexio.get("/2.0/kb_item_setting")).json()
    invoice_setting = next(s for s in settings if s["kb_item_class"] == "KbInvoice")
    assert invoice_setting["use_automatic_enumeration"] is False
    # when
    missing = await bexio.post("/2.0/kb_invoice", json=invoice_body())
    given = await create(bexio, "/2.0/kb_invoice", invoice_body(document_nr="SHOP-1001"))
    # then
    assert missing.status_code == 422
    assert missing.json() == {
        "error_code": 422,
        "message": FORM_ERROR,
        "errors": ["document_nr: Pflichtfeld"],
    }
    assert given["document_nr"] == "SHOP-1001"


# --- validation and error shapes ----------------------------------------------------------------


async def test_missing_required_fields_and_unknown_fields_are_2_0_form_errors(
    bexio: httpx.AsyncClient,
) -> None:
    response = await bexio.post("/2.0/kb_invoice", json={"title": "x", "shop_order": 1})
    assert response.status_code == 422
    assert response.json() == {
        "error_code": 422,
        "message": FORM_ERROR,
        "errors": [
            'global: Unexpected extra form field named "shop_order".',
            "contact_id: Pflichtfeld",
            "user_id: Pflichtfeld",
        ],
    }


@pytest.mark.parametrize(
    ("position", "error"),
    [
        (
            line("10", tax_id=US38_INACTIVE),
            "positions: 0 [tax_id [Diese Eingabe ist nicht korrekt.]]",
        ),
        (line("10", tax_id=21), "positions: 0 [tax_id [Diese Eingabe ist nicht korrekt.]]"),
        (line("10", account_id=1), "positions: 0 [account_id [Diese Eingabe ist nicht korrekt.]]"),
        (
            {"type": "KbPositionCustom", "unit_price": "1", "tax_id": UN81},
            "positions: 0 [amount [Pflichtfeld]]",
        ),
        ({"type": "KbPositionFancy"}, "positions: 0 [type [Diese Eingabe ist nicht korrekt.]]"),
    ],
    ids=["inactive tax", "pre-tax", "unknown account", "no amount", "unknown type"],
)
async def test_bad_positions_are_refused(
    bexio: httpx.AsyncClient, position: dict[str, Any], error: str
) -> None:
    response = await bexio.post("/2.0/kb_invoice", json=invoice_body(position))
    assert response.status_code == 422
    assert response.json()["errors"] == [error]


async def test_add_tax_makes_a_new_rate_usable(
    bexio: httpx.AsyncClient, emulator: BexioEmulator
) -> None:
    tax = emulator.add_tax(value="5.0", code="UX50")
    active = (
        await bexio.get("/3.0/taxes", params={"scope": "active", "types": "sales_tax"})
    ).json()
    assert [t["code"] for t in active] == ["UN81", "UR26", "UX50"]
    invoice = await create(bexio, "/2.0/kb_invoice", invoice_body(line("100", tax["id"])))
    assert invoice["total_taxes"] == "5.0000"


async def test_a_deactivated_account_or_tax_is_refused_from_then_on(
    bexio: httpx.AsyncClient, emulator: BexioEmulator
) -> None:
    emulator.set_account_active(REVENUE_3200, False)
    emulator.set_tax_active(UR26, False)
    response = await bexio.post("/2.0/kb_invoice", json=invoice_body(line("1", tax_id=UR26)))
    assert response.json()["errors"] == [
        "positions: 0 [tax_id [Diese Eingabe ist nicht korrekt.], "
        "account_id [Diese Eingabe ist nicht korrekt.]]"
    ]


async def test_3_0_validation_errors_are_keyed_by_field(bexio: httpx.AsyncClient) -> None:
    response = await bexio.get("/3.0/taxes", params={"scope": "everything"})
    assert response.status_code == 422
    body = response.json()
    assert body["message"] == "validation failed"
    assert body["errors"]["scope"]["type"] == "invalid_choice"
    duplicate = await bexio.post("/3.0/currencies", json={"name": "CHF", "round_factor": 0.05})
    assert duplicate.json()["errors"] == {
        "name": {"type": "unique_object", "message": "Must be unique. CHF is already taken"}
    }


async def test_unknown_ids_and_routes_have_their_own_404_shapes(bexio: httpx.AsyncClient) -> None:
    unknown_id = await bexio.get("/2.0/kb_invoice/404")
    assert unknown_id.json() == {"error_code": 404, "message": "Page not found"}
    assert "ratelimit-limit" in unknown_id.headers
    unknown_route = await bexio.get("/2.0/kb_credit_voucher")
    assert unknown_route.json() == {"status": 404, "error": "Not Found", "message": "Not Found"}
    assert "ratelimit-limit" not in unknown_route.headers


async def test_missing_scope_is_403(emulator: BexioEmulator) -> None:
    token = emulator.access_token(scope="openid contact_edit")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emulator.app),
        base_url="http://bexio.test",
        headers={"Authorization": f"Bearer {token}"},
    ) as bexio:
        assert (await bexio.get("/2.0/contact")).status_code == 200  # edit implies show
        refused = await bexio.post("/2.0/kb_invoice", json=invoice_body())
        assert refused.status_code == 403
        assert refused.json() == {
            "error_code": 403,
            "message": "You are not allowed to access this resource.",
        }


# --- search and paging --------------------------------------------------------------------------


async def test_invoice_search_by_api_reference_and_updated_at(
    bexio: httpx.AsyncClient, clock: FakeClock
) -> None:
    first = await create(bexio, "/2.0/kb_invoice", invoice_body(api_reference="saleor:o-1"))
    clock.now += 600
    second = await create(bexio, "/2.0/kb_invoice", invoice_body(api_reference="saleor:o-2"))
    by_reference = await bexio.post(
        "/2.0/kb_invoice/search",
        json=[{"field": "api_reference", "value": "saleor:o-2", "criteria": "="}],
    )
    assert [i["id"] for i in by_reference.json()] == [second["id"]]
    assert "positions" not in by_reference.json()[0]
    since = await bexio.post(
        "/2.0/kb_invoice/search",
        params={"order_by": "updated_at_desc", "limit": 2000},
        json=[{"field": "updated_at", "value": second["updated_at"], "criteria": ">="}],
    )
    assert [i["id"] for i in since.json()] == [second["id"]]
    everything = await bexio.post("/2.0/kb_invoice/search", params={"order_by": "id_desc"}, json=[])
    assert [i["id"] for i in everything.json()] == [second["id"], first["id"]]


@pytest.mark.parametrize(
    ("params", "body"),
    [
        ({}, {"field": "mail", "value": "anna@example.ch", "criteria": "="}),
        ({}, {"query": {"field": "mail", "value": "anna@example.ch", "criteria": "="}}),
        ({}, [{"field": "mail", "criteria": "="}]),
        ({}, [{"field": "mail", "value": "anna@example.ch", "criteria": "equals"}]),
        ({}, [{"field": "profile_image", "value": "x", "criteria": "="}]),
        ({"orderBy": "id"}, [{"field": "mail", "value": "anna@example.ch", "criteria": "="}]),
    ],
    ids=["object", "query wrapper", "no value", "unknown criteria", "unsearchable", "orderBy"],
)
async def test_wrongly_shaped_searches_silently_find_nothing(
    bexio: httpx.AsyncClient, emulator: BexioEmulator, params: dict[str, str], body: Any
) -> None:
    emulator.add_contact(name_1="Muster", name_2="Anna", mail="anna@example.ch")
    right = [{"field": "mail", "value": "Anna@Example.ch", "criteria": "="}]
    assert len((await bexio.post("/2.0/contact/search", json=right)).json()) == 1
    response = await bexio.post("/2.0/contact/search", params=params, json=body)
    assert response.status_code == 200
    assert response.json() == []


async def test_orders_cannot_be_searched_by_api_reference(bexio: httpx.AsyncClient) -> None:
    await create(bexio, "/2.0/kb_order", invoice_body(api_reference="saleor:o-1"))
    found = await bexio.post(
        "/2.0/kb_order/search",
        json=[{"field": "api_reference", "value": "saleor:o-1", "criteria": "="}],
    )
    assert found.json() == []
    by_status = await bexio.post(
        "/2.0/kb_order/search", json=[{"field": "kb_item_status_id", "value": "5", "criteria": "="}]
    )
    assert len(by_status.json()) == 1


async def test_like_and_in_criteria(bexio: httpx.AsyncClient, emulator: BexioEmulator) -> None:
    for code in ("SKU-1", "SKU-2", "OTHER"):
        emulator.add_article(intern_code=code, intern_name=f"Artikel {code}")
    like = await bexio.post(
        "/2.0/article/search", json=[{"field": "intern_code", "value": "SKU%", "criteria": "like"}]
    )
    assert [a["intern_code"] for a in like.json()] == ["SKU-1", "SKU-2"]
    among = await bexio.post(
        "/2.0/article/search",
        json=[{"field": "intern_code", "value": ["SKU-2", "OTHER"], "criteria": "in"}],
    )
    assert [a["intern_code"] for a in among.json()] == ["SKU-2", "OTHER"]


async def test_paging_with_limit_offset_and_order_by(
    bexio: httpx.AsyncClient, emulator: BexioEmulator
) -> None:
    for index in range(5):
        emulator.add_contact(name_1=f"Kunde {index}")
    ids = [c["id"] for c in (await bexio.get("/2.0/contact")).json()]
    assert ids == [1, 2, 3, 4, 5, 6]
    second_page = await bexio.get("/2.0/contact", params={"limit": 2, "offset": 2})
    assert [c["id"] for c in second_page.json()] == [3, 4]
    newest = await bexio.get("/2.0/contact", params={"order_by": "id_desc", "limit": 1})
    assert [c["id"] for c in newest.json()] == [6]
    too_many = await bexio.get("/2.0/contact", params={"limit": 2001})
    assert too_many.status_code == 422
    users = await bexio.get("/3.0/users", params={"limit": 1, "offset": 0})
    assert users.headers["x-total-count"] == "1"


# --- contacts, articles, orders and deliveries --------------------------------------------------


async def test_contact_create_edit_and_archive(
    bexio: httpx.AsyncClient, emulator: BexioEmulator
) -> None:
    contact = await create(
        bexio,
        "/2.0/contact",
        {
            "contact_type_id": 2,
            "name_1": "Muster",
            "name_2": "Anna",
            "user_id": 1,
            "owner_id": 1,
            "mail": "anna@example.ch",
            "street_name": "Bahnhofstrasse",
            "house_number": "7",
            "postcode": "8001",
            "city": "Zürich",
            "country_id": 1,
        },
    )
    assert contact["nr"] == "000002"
    assert contact["address"] == "Bahnhofstrasse 7"
    edited = await bexio.post(f"/2.0/contact/{contact['id']}", json={"city": "Bern"})
    assert (edited.json()["city"], edited.json()["mail"]) == ("Bern", "anna@example.ch")
    refused = await bexio.post("/2.0/contact", json={"name_1": "X", "address": "Weg 1"})
    assert 'global: Unexpected extra form field named "address".' in refused.json()["errors"]
    await bexio.delete(f"/2.0/contact/{contact['id']}")
    assert (await bexio.get(f"/2.0/contact/{contact['id']}")).status_code == 404
    archived = await bexio.get("/2.0/contact", params={"show_archived": "true"})
    assert [c["id"] for c in archived.json()] == [contact["id"]]
    assert contact["id"] in emulator.contacts


async def test_article_codes_are_unique_and_stock_counters_are_strings_on_create(
    bexio: httpx.AsyncClient,
) -> None:
    body = {"intern_code": "SKU-1", "intern_name": "Tasse", "sale_price": "12.50", "is_stock": True}
    created = await create(bexio, "/2.0/article", {**body, "stock_nr": 10})
    assert (created["stock_nr"], created["stock_available_nr"]) == ("10", 10)
    assert created["sale_price"] == "12.5"
    shown = (await bexio.get(f"/2.0/article/{created['id']}")).json()
    assert (shown["stock_nr"], shown["sale_price"]) == (10, "12.500000")
    duplicate = await bexio.post("/2.0/article", json=body)
    assert duplicate.json()["errors"] == ["intern_code: Dieser Wert wird bereits verwendet."]


async def test_order_to_invoice_and_delivery_with_stock(
    bexio: httpx.AsyncClient, emulator: BexioEmulator
) -> None:
    # given a stock article and an order for 2 + shipping
    article = emulator.add_article(
        intern_code="SKU-1", intern_name="Tasse", sale_price="12.50", is_stock=True, stock_nr=10
    )
    order = await create(
        bexio,
        "/2.0/kb_order",
        invoice_body(
            {
                "type": "KbPositionArticle",
                "article_id": article["id"],
                "amount": "2",
                "tax_id": UN81,
                "account_id": REVENUE_3200,
            },
            line("7.00"),
        ),
    )
    assert order["kb_item_status_id"] == 5
    assert emulator.articles[article["id"]]["stock_reserved_nr"] == 2
    article_position = order["positions"][0]
    # when part of it is invoiced, then the rest, and all is delivered
    partial = await bexio.post(
        f"/2.0/kb_order/{order['id']}/invoice",
        json={
            "positions": [{"id": article_position["id"], "type": "KbPositionArticle", "amount": 1}]
        },
    )
    assert partial.status_code == 201
    assert partial.json()["total"] == "13.5"
    assert (await bexio.get(f"/2.0/kb_order/{order['id']}")).json()["kb_item_status_id"] == 15
    rest = await create(bexio, f"/2.0/kb_order/{order['id']}/invoice", None)
    assert rest["kb_item_status_id"] == 7
    assert emulator.orders[order["id"]]["kb_item_status_id"] == 6
    delivery = await create(bexio, f"/2.0/kb_order/{order['id']}/delivery", None)
    assert (delivery["kb_item_status_id"], delivery["document_nr"]) == (10, "LS-00001")
    assert (await bexio.post(f"/2.0/kb_delivery/{delivery['id']}/issue")).json() == {
        "success": True
    }
    # then
    assert (await bexio.get(f"/2.0/kb_delivery/{delivery['id']}")).json()["kb_item_status_id"] == 18
    assert (await bexio.post(f"/2.0/kb_delivery/{delivery['id']}/issue")).status_code == 422
    stock = emulator.articles[article["id"]]
    assert (stock["stock_nr"], stock["stock_reserved_nr"], stock["stock_available_nr"]) == (8, 0, 8)
    edit_stock = await bexio.post(f"/2.0/article/{article['id']}", json={"stock_nr": 50})
    assert edit_stock.status_code == 422
