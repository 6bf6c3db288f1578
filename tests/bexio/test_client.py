"""BexioClient on an httpx.MockTransport: requests as bexio expects them, answers as recorded."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from saleor_bexio_app.bexio.client import MAX_PAGE_SIZE, BexioClient
from saleor_bexio_app.bexio.limiter import RateLimiter
from saleor_bexio_app.bexio.wire import (
    BexioArticleIn,
    BexioArticleUpdate,
    BexioContactIn,
    BexioContactType,
    BexioInvoiceIn,
    BexioInvoiceSendIn,
    BexioInvoiceStatus,
    BexioInvoiceUpdate,
    BexioOrderIn,
    BexioPaymentIn,
    BexioPositionArticleIn,
    BexioPositionCustomIn,
    BexioPositionRef,
    BexioSearch,
)
from saleor_bexio_app.errors import AuthError, RejectedError
from saleor_bexio_app.ids import (
    BexioArticleId,
    BexioBankAccountId,
    BexioContactId,
    BexioDeliveryId,
    BexioInvoiceId,
    BexioOrderId,
    BexioTaxId,
    BexioUserId,
)

PAYLOADS = Path(__file__).parents[1] / "payloads" / "bexio_client"
API = "https://api.bexio.test"
Handler = Callable[[httpx.Request], httpx.Response]


class FakeTokens:
    """AccessTokens that hand out the given tokens in order, one more per refresh."""

    def __init__(self, *tokens: str) -> None:
        self.current, *self._next = tokens
        self.rejected: list[str] = []

    async def access_token(self) -> str:
        return self.current

    async def refreshed_after(self, rejected: str) -> str:
        self.rejected.append(rejected)
        self.current = self._next.pop(0)
        return self.current


def recorded_response(name: str, *, status: int | None = None) -> httpx.Response:
    """A recorded bexio answer: its status, rate-limit headers and body."""
    envelope = json.loads((PAYLOADS / name).read_text())
    headers = {
        key: value
        for key, value in envelope["headers"].items()
        if key.lower() not in {"transfer-encoding", "content-length", "connection"}
    }
    return httpx.Response(
        status or envelope["status"],
        headers=headers,
        content=json.dumps(envelope["body"]).encode(),
    )


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, headers=headers, content=json.dumps(body).encode())


class Recorder:
    """A mock bexio that answers with `handler` and keeps every request it saw."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)


MakeClient = Callable[..., BexioClient]


@pytest.fixture
async def make_client() -> AsyncIterator[MakeClient]:
    """Build BexioClients over MockTransports; their httpx clients close after the test."""
    opened: list[httpx.AsyncClient] = []

    def build(
        handler: Handler,
        *,
        tokens: FakeTokens | None = None,
        limiter: RateLimiter | None = None,
        **options: Any,
    ) -> BexioClient:
        http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        opened.append(http)
        return BexioClient(
            http,
            api_url=API,
            tokens=tokens or FakeTokens("token-1"),
            limiter=limiter,
            **options,
        )

    yield build
    for http in opened:
        await http.aclose()


def _contact_in() -> BexioContactIn:
    return BexioContactIn(
        contact_type_id=BexioContactType.PERSON,
        name_1="Muster",
        name_2="Anna",
        user_id=BexioUserId(1),
        owner_id=BexioUserId(1),
        mail="anna@example.com",
    )


def _invoice_in() -> BexioInvoiceIn:
    return BexioInvoiceIn(
        contact_id=BexioContactId(1),
        user_id=BexioUserId(1),
        api_reference="saleor:T3JkZXI6MQ==",
        positions=[BexioPositionCustomIn(amount="1", unit_price="100", tax_id=BexioTaxId(14))],
    )


Operation = Callable[[BexioClient], Awaitable[Any]]
OPERATIONS: list[tuple[str, Operation, str, str, str]] = [
    ("list_contacts", lambda c: c.list_contacts(), "GET", "/2.0/contact", "GET_2.0_contact.json"),
    (
        "get_contact",
        lambda c: c.get_contact(BexioContactId(1)),
        "GET",
        "/2.0/contact/1",
        "GET_2.0_contact_ID.json",
    ),
    (
        "create_contact",
        lambda c: c.create_contact(_contact_in()),
        "POST",
        "/2.0/contact",
        "POST_2.0_contact.json",
    ),
    (
        "update_contact",
        lambda c: c.update_contact(BexioContactId(32), _contact_in()),
        "POST",
        "/2.0/contact/32",
        "POST_2.0_contact_ID.json",
    ),
    (
        "search_contacts",
        lambda c: c.search_contacts([BexioSearch(field="name_1", value="Muster")]),
        "POST",
        "/2.0/contact/search",
        "POST_2.0_contact_search.json",
    ),
    ("list_articles", lambda c: c.list_articles(), "GET", "/2.0/article", "GET_2.0_article.json"),
    (
        "get_article",
        lambda c: c.get_article(BexioArticleId(11)),
        "GET",
        "/2.0/article/11",
        "GET_2.0_article_ID.json",
    ),
    (
        "create_article",
        lambda c: c.create_article(BexioArticleIn(intern_code="SKU-1", intern_name="Mug")),
        "POST",
        "/2.0/article",
        "POST_2.0_article.json",
    ),
    (
        "update_article",
        lambda c: c.update_article(BexioArticleId(12), BexioArticleUpdate(intern_name="Cup")),
        "POST",
        "/2.0/article/12",
        "POST_2.0_article_ID.json",
    ),
    (
        "search_articles",
        lambda c: c.search_articles([BexioSearch(field="intern_name", value="Mug")]),
        "POST",
        "/2.0/article/search",
        "POST_2.0_article_search.json",
    ),
    (
        "create_order",
        lambda c: c.create_order(
            BexioOrderIn(contact_id=BexioContactId(1), user_id=BexioUserId(1))
        ),
        "POST",
        "/2.0/kb_order",
        "POST_2.0_kb_offer_ID_order.json",
    ),
    (
        "get_order",
        lambda c: c.get_order(BexioOrderId(11)),
        "GET",
        "/2.0/kb_order/11",
        "POST_2.0_kb_offer_ID_order.json",
    ),
    (
        "search_orders",
        lambda c: c.search_orders([BexioSearch(field="kb_item_status_id", value=5)]),
        "POST",
        "/2.0/kb_order/search",
        "POST_2.0_article_search.json",
    ),
    (
        "create_invoice_from_order",
        lambda c: c.create_invoice_from_order(BexioOrderId(11)),
        "POST",
        "/2.0/kb_order/11/invoice",
        "POST_2.0_kb_offer_ID_invoice.json",
    ),
    (
        "list_invoices",
        lambda c: c.list_invoices(),
        "GET",
        "/2.0/kb_invoice",
        "GET_2.0_kb_invoice.json",
    ),
    (
        "get_invoice",
        lambda c: c.get_invoice(BexioInvoiceId(1)),
        "GET",
        "/2.0/kb_invoice/1",
        "GET_2.0_kb_invoice_ID.json",
    ),
    (
        "create_invoice",
        lambda c: c.create_invoice(_invoice_in()),
        "POST",
        "/2.0/kb_invoice",
        "POST_2.0_kb_invoice.json",
    ),
    (
        "update_invoice",
        lambda c: c.update_invoice(BexioInvoiceId(188), BexioInvoiceUpdate(title="Edited")),
        "POST",
        "/2.0/kb_invoice/188",
        "POST_2.0_kb_invoice_ID.json",
    ),
    (
        "search_invoices",
        lambda c: c.search_invoices([BexioSearch(field="title", value="Test")]),
        "POST",
        "/2.0/kb_invoice/search",
        "POST_2.0_kb_invoice_search.json",
    ),
    (
        "issue_invoice",
        lambda c: c.issue_invoice(BexioInvoiceId(186)),
        "POST",
        "/2.0/kb_invoice/186/issue",
        "POST_2.0_kb_invoice_ID_issue.json",
    ),
    (
        "revert_invoice_issue",
        lambda c: c.revert_invoice_issue(BexioInvoiceId(186)),
        "POST",
        "/2.0/kb_invoice/186/revert_issue",
        "POST_2.0_kb_invoice_ID_issue.json",
    ),
    (
        "cancel_invoice",
        lambda c: c.cancel_invoice(BexioInvoiceId(186)),
        "POST",
        "/2.0/kb_invoice/186/cancel",
        "POST_2.0_kb_invoice_ID_cancel.json",
    ),
    (
        "mark_invoice_as_sent",
        lambda c: c.mark_invoice_as_sent(BexioInvoiceId(186)),
        "POST",
        "/2.0/kb_invoice/186/mark_as_sent",
        "POST_2.0_kb_invoice_ID_issue.json",
    ),
    (
        "send_invoice",
        lambda c: c.send_invoice(
            BexioInvoiceId(186),
            BexioInvoiceSendIn(
                recipient_email="anna@example.com", subject="Invoice", message="[Network Link]"
            ),
        ),
        "POST",
        "/2.0/kb_invoice/186/send",
        "POST_2.0_kb_invoice_ID_issue.json",
    ),
    (
        "list_invoice_payments",
        lambda c: c.list_invoice_payments(BexioInvoiceId(190)),
        "GET",
        "/2.0/kb_invoice/190/payment",
        "GET_2.0_kb_invoice_ID_payment__with-payment.json",
    ),
    (
        "create_invoice_payment",
        lambda c: c.create_invoice_payment(BexioInvoiceId(198), BexioPaymentIn(value="100.00")),
        "POST",
        "/2.0/kb_invoice/198/payment",
        "POST_2.0_kb_invoice_ID_payment.json",
    ),
    (
        "issue_delivery",
        lambda c: c.issue_delivery(BexioDeliveryId(3)),
        "POST",
        "/2.0/kb_delivery/3/issue",
        "POST_2.0_kb_invoice_ID_issue.json",
    ),
    (
        "list_taxes",
        lambda c: c.list_taxes(scope="active", types="sales_tax"),
        "GET",
        "/3.0/taxes",
        "GET_3.0_taxes__scope-active_types-sales_tax.json",
    ),
    (
        "get_tax",
        lambda c: c.get_tax(BexioTaxId(7)),
        "GET",
        "/3.0/taxes/7",
        "GET_3.0_taxes_ID.json",
    ),
    ("list_accounts", lambda c: c.list_accounts(), "GET", "/2.0/accounts", "GET_2.0_accounts.json"),
    (
        "search_accounts",
        lambda c: c.search_accounts([BexioSearch(field="account_type", value=1)]),
        "POST",
        "/2.0/accounts/search",
        "POST_2.0_accounts_search.json",
    ),
    (
        "list_currencies",
        lambda c: c.list_currencies(),
        "GET",
        "/3.0/currencies",
        "GET_3.0_currencies.json",
    ),
    (
        "list_countries",
        lambda c: c.list_countries(),
        "GET",
        "/2.0/country",
        "GET_2.0_country.json",
    ),
    (
        "list_languages",
        lambda c: c.list_languages(),
        "GET",
        "/2.0/language",
        "GET_2.0_language.json",
    ),
    ("list_units", lambda c: c.list_units(), "GET", "/2.0/unit", "GET_2.0_unit.json"),
    (
        "list_payment_types",
        lambda c: c.list_payment_types(),
        "GET",
        "/2.0/payment_type",
        "GET_2.0_payment_type.json",
    ),
    (
        "list_bank_accounts",
        lambda c: c.list_bank_accounts(),
        "GET",
        "/3.0/banking/accounts",
        "GET_3.0_banking_accounts.json",
    ),
    ("list_users", lambda c: c.list_users(), "GET", "/3.0/users", "GET_3.0_users.json"),
    (
        "get_current_user",
        lambda c: c.get_current_user(),
        "GET",
        "/3.0/users/me",
        "GET_3.0_users_me.json",
    ),
    (
        "list_company_profiles",
        lambda c: c.list_company_profiles(),
        "GET",
        "/2.0/company_profile",
        "GET_2.0_company_profile.json",
    ),
    (
        "list_item_settings",
        lambda c: c.list_item_settings(),
        "GET",
        "/2.0/kb_item_setting",
        "GET_2.0_kb_item_setting.json",
    ),
]


@pytest.mark.parametrize(
    ("operation", "method", "path", "recording"),
    [op[1:] for op in OPERATIONS],
    ids=[op[0] for op in OPERATIONS],
)
async def test_operation_calls_its_endpoint_and_reads_the_recorded_answer(
    make_client: MakeClient, operation: Operation, method: str, path: str, recording: str
) -> None:
    bexio = Recorder(lambda request: recorded_response(recording))
    client = make_client(bexio)

    result = await operation(client)

    (request,) = bexio.requests
    assert (request.method, request.url.path) == (method, path)
    assert request.headers["Authorization"] == "Bearer token-1"
    assert request.headers["Accept"] == "application/json"
    if request.content:
        assert request.headers["Content-Type"] == "application/json"
        json.loads(request.content)
    envelope = json.loads((PAYLOADS / recording).read_text())
    if isinstance(result, list):
        assert len(result) == len(envelope["body"])
    elif result is not None:
        assert result.id == envelope["body"]["id"]


# --- request bodies and queries, exactly ---------------------------------------------------------


async def _only_request(make_client: MakeClient, call: Operation, answer: Any) -> httpx.Request:
    bexio = Recorder(lambda request: json_response(200, answer))
    await call(make_client(bexio))
    (request,) = bexio.requests
    return request


async def test_search_contacts_by_mail_sends_the_exact_search_body(
    make_client: MakeClient,
) -> None:
    request = await _only_request(
        make_client, lambda c: c.search_contacts_by_mail("anna@example.com"), []
    )

    assert request.url.path == "/2.0/contact/search"
    assert request.content == b'[{"field":"mail","value":"anna@example.com","criteria":"="}]'
    assert dict(request.url.params) == {"order_by": "id", "limit": "500", "offset": "0"}


async def test_search_articles_by_intern_code_sends_the_exact_search_body(
    make_client: MakeClient,
) -> None:
    request = await _only_request(
        make_client, lambda c: c.search_articles_by_intern_code("SKU-1"), []
    )

    assert request.url.path == "/2.0/article/search"
    assert request.content == b'[{"field":"intern_code","value":"SKU-1","criteria":"="}]'


async def test_search_invoices_by_api_reference_sends_the_exact_search_body(
    make_client: MakeClient,
) -> None:
    request = await _only_request(
        make_client, lambda c: c.search_invoices_by_api_reference("saleor:T3JkZXI6MQ=="), []
    )

    assert request.url.path == "/2.0/kb_invoice/search"
    assert request.content == (
        b'[{"field":"api_reference","value":"saleor:T3JkZXI6MQ==","criteria":"="}]'
    )


async def test_invoices_updated_after_search_with_greater_than_oldest_first(
    make_client: MakeClient,
) -> None:
    async def collect(client: BexioClient) -> list[Any]:
        after = datetime(2026, 6, 18, 14, 55, 15)
        return [invoice async for invoice in client.iterate_invoices_updated_after(after)]

    request = await _only_request(make_client, collect, [])

    assert request.url.path == "/2.0/kb_invoice/search"
    assert request.content == (
        b'[{"field":"updated_at","value":"2026-06-18 14:55:15","criteria":">"}]'
    )
    # `order_by`, never `orderBy`: bexio ignores the latter silently.
    assert dict(request.url.params) == {
        "order_by": "updated_at_asc,id_asc",
        "limit": "500",
        "offset": "0",
    }


async def test_invoices_updated_after_refuses_an_aware_datetime(make_client: MakeClient) -> None:
    client = make_client(Recorder(lambda request: json_response(200, [])))

    with pytest.raises(ValueError, match="naive"):
        client.iterate_invoices_updated_after(datetime.fromisoformat("2026-06-18T12:00:00+00:00"))


async def test_several_conditions_are_one_array_in_the_given_order(
    make_client: MakeClient,
) -> None:
    criteria = [
        BexioSearch(field="account_type", value=1),
        BexioSearch(field="name", value="%Erlös%", criteria="like"),
    ]

    request = await _only_request(make_client, lambda c: c.search_accounts(criteria), [])

    assert json.loads(request.content) == [
        {"field": "account_type", "value": "1", "criteria": "="},
        {"field": "name", "value": "%Erlös%", "criteria": "like"},
    ]


@pytest.mark.parametrize(
    "search",
    [
        lambda c: c.search_orders([BexioSearch(field="api_reference", value="x")]),
        lambda c: c.search_contacts([BexioSearch(field="email", value="x")]),
        lambda c: c.search_invoices([]),
    ],
    ids=["orders-by-api_reference", "contacts-by-unknown-field", "no-condition"],
)
async def test_searches_bexio_would_answer_with_a_silent_empty_list_are_refused(
    make_client: MakeClient, search: Operation
) -> None:
    bexio = Recorder(lambda request: json_response(200, []))

    with pytest.raises(ValueError):
        await search(make_client(bexio))
    assert bexio.requests == []


async def test_list_taxes_sends_scope_types_and_date(make_client: MakeClient) -> None:
    request = await _only_request(
        make_client,
        lambda c: c.list_taxes(scope="active", types="sales_tax", valid_on=date(2026, 7, 1)),
        [],
    )

    assert dict(request.url.params) == {
        "scope": "active",
        "types": "sales_tax",
        "date": "2026-07-01",
        "limit": "2000",
        "offset": "0",
    }


async def test_create_invoice_sends_decimal_strings_and_only_set_fields(
    make_client: MakeClient,
) -> None:
    invoice = BexioInvoiceIn(
        contact_id=BexioContactId(7),
        user_id=BexioUserId(1),
        mwst_type=0,
        mwst_is_net=False,
        api_reference="saleor:T3JkZXI6MQ==",
        positions=[
            BexioPositionArticleIn(
                article_id=BexioArticleId(3),
                amount=Decimal("2"),
                unit_price=Decimal("0.1") + Decimal("0.2"),
                tax_id=BexioTaxId(14),
            ),
            BexioPositionCustomIn(amount="1", unit_price="7.50", text="Shipping"),
        ],
    )

    request = await _only_request(
        make_client,
        lambda c: c.create_invoice(invoice),
        json.loads((PAYLOADS / "POST_2.0_kb_invoice.json").read_text())["body"],
    )

    assert request.content == (
        b'{"contact_id":7,"user_id":1,"mwst_type":0,"mwst_is_net":false,'
        b'"api_reference":"saleor:T3JkZXI6MQ==","positions":['
        b'{"type":"KbPositionArticle","article_id":3,"amount":"2","unit_price":"0.3","tax_id":14},'
        b'{"type":"KbPositionCustom","amount":"1","unit_price":"7.50","text":"Shipping"}]}'
    )


async def test_create_payment_sends_value_as_string_and_date(make_client: MakeClient) -> None:
    payment = BexioPaymentIn(
        value=Decimal("100.00"), date=date(2026, 6, 18), bank_account_id=BexioBankAccountId(1)
    )

    request = await _only_request(
        make_client,
        lambda c: c.create_invoice_payment(BexioInvoiceId(198), payment),
        json.loads((PAYLOADS / "POST_2.0_kb_invoice_ID_payment.json").read_text())["body"],
    )

    assert request.content == b'{"value":"100.00","date":"2026-06-18","bank_account_id":1}'


async def test_send_invoice_sends_the_mail_fields(make_client: MakeClient) -> None:
    mail = BexioInvoiceSendIn(
        recipient_email="anna@example.com",
        subject="Your invoice",
        message="Hello, see [Network Link]",
        mark_as_open=True,
        attach_pdf=True,
    )

    request = await _only_request(
        make_client, lambda c: c.send_invoice(BexioInvoiceId(5), mail), {"success": True}
    )

    assert json.loads(request.content) == {
        "recipient_email": "anna@example.com",
        "subject": "Your invoice",
        "message": "Hello, see [Network Link]",
        "mark_as_open": True,
        "attach_pdf": True,
    }


async def test_invoice_from_order_sends_no_body_or_the_chosen_positions(
    make_client: MakeClient,
) -> None:
    answer = json.loads((PAYLOADS / "POST_2.0_kb_offer_ID_invoice.json").read_text())["body"]
    refs = [BexioPositionRef(id=326, type="KbPositionCustom", amount=Decimal("1"))]

    whole = await _only_request(
        make_client, lambda c: c.create_invoice_from_order(BexioOrderId(11)), answer
    )
    part = await _only_request(
        make_client, lambda c: c.create_invoice_from_order(BexioOrderId(11), refs), answer
    )

    assert whole.content == b""
    assert part.content == b'{"positions":[{"id":326,"type":"KbPositionCustom","amount":1}]}'


async def test_delivery_from_order_returns_a_delivery(make_client: MakeClient) -> None:
    answer = json.loads((PAYLOADS / "POST_2.0_kb_offer_ID_order.json").read_text())["body"]
    answer.update({"id": 3, "document_nr": "LS-00003", "kb_item_status_id": 10})
    bexio = Recorder(lambda request: json_response(201, answer))

    delivery = await make_client(bexio).create_delivery_from_order(BexioOrderId(11))

    assert bexio.requests[0].url.path == "/2.0/kb_order/11/delivery"
    assert delivery.id == 3


async def test_action_answered_without_success_is_a_rejection(make_client: MakeClient) -> None:
    client = make_client(Recorder(lambda request: json_response(200, {"success": False})))

    with pytest.raises(RejectedError) as caught:
        await client.issue_invoice(BexioInvoiceId(1))

    assert caught.value.user_message == "bexio did not issue the invoice."


# --- paging --------------------------------------------------------------------------------------


def _paged_contacts(total: int) -> Handler:
    template = json.loads((PAYLOADS / "GET_2.0_contact.json").read_text())["body"][0]

    def handler(request: httpx.Request) -> httpx.Response:
        limit = int(request.url.params["limit"])
        offset = int(request.url.params["offset"])
        ids = range(offset + 1, min(offset + limit, total) + 1)
        return json_response(200, [{**template, "id": i} for i in ids])

    return handler


async def test_iterate_reads_three_pages_and_stops_on_the_short_one(
    make_client: MakeClient,
) -> None:
    bexio = Recorder(_paged_contacts(5))

    contacts = [c async for c in make_client(bexio).iterate_contacts(page_size=2)]

    assert [c.id for c in contacts] == [1, 2, 3, 4, 5]
    assert [dict(r.url.params) for r in bexio.requests] == [
        {"order_by": "id", "limit": "2", "offset": "0"},
        {"order_by": "id", "limit": "2", "offset": "2"},
        {"order_by": "id", "limit": "2", "offset": "4"},
    ]


async def test_iterate_asks_once_more_when_the_last_page_is_full(
    make_client: MakeClient,
) -> None:
    bexio = Recorder(_paged_contacts(4))

    contacts = [c async for c in make_client(bexio).iterate_contacts(page_size=2)]

    assert len(contacts) == 4
    assert [r.url.params["offset"] for r in bexio.requests] == ["0", "2", "4"]


async def test_search_pages_too(make_client: MakeClient) -> None:
    bexio = Recorder(_paged_contacts(3))
    criteria = [BexioSearch(field="name_1", value="%M%", criteria="like")]

    contacts = [c async for c in make_client(bexio).iterate_search_contacts(criteria, page_size=2)]

    assert len(contacts) == 3
    assert {r.url.path for r in bexio.requests} == {"/2.0/contact/search"}
    assert {r.content for r in bexio.requests} == {
        b'[{"field":"name_1","value":"%M%","criteria":"like"}]'
    }


async def test_lookups_page_with_the_largest_page_bexio_allows(make_client: MakeClient) -> None:
    bexio = Recorder(_paged_contacts(0))

    await make_client(bexio).list_countries()

    assert bexio.requests[0].url.params["limit"] == str(MAX_PAGE_SIZE)


@pytest.mark.parametrize("size", [0, MAX_PAGE_SIZE + 1])
async def test_page_sizes_outside_1_to_2000_are_refused(make_client: MakeClient, size: int) -> None:
    bexio = Recorder(_paged_contacts(0))
    client = make_client(bexio)

    with pytest.raises(ValueError, match="2000"):
        await client.list_contacts(limit=size)
    with pytest.raises(ValueError, match="2000"):
        [c async for c in client.iterate_contacts(page_size=size)]
    assert bexio.requests == []


async def test_a_page_of_2000_is_allowed(make_client: MakeClient) -> None:
    bexio = Recorder(_paged_contacts(2001))

    contacts = [c async for c in make_client(bexio).iterate_contacts(page_size=MAX_PAGE_SIZE)]

    assert len(contacts) == 2001
    assert [r.url.params["limit"] for r in bexio.requests] == ["2000", "2000"]


# --- tokens --------------------------------------------------------------------------------------


async def test_a_401_refreshes_the_token_once_and_retries(make_client: MakeClient) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers["Authorization"] == "Bearer token-1":
            return json_response(401, {"error_code": 401, "message": "Unauthorized"})
        return recorded_response("GET_2.0_kb_invoice_ID.json")

    tokens = FakeTokens("token-1", "token-2")
    bexio = Recorder(handler)

    invoice = await make_client(bexio, tokens=tokens).get_invoice(BexioInvoiceId(1))

    assert invoice.kb_item_status_id is BexioInvoiceStatus.CANCELLED
    assert tokens.rejected == ["token-1"]
    assert [r.headers["Authorization"] for r in bexio.requests] == [
        "Bearer token-1",
        "Bearer token-2",
    ]


async def test_a_second_401_is_an_auth_error_without_another_refresh(
    make_client: MakeClient,
) -> None:
    tokens = FakeTokens("token-1", "token-2", "token-3")
    bexio = Recorder(lambda request: json_response(401, {"error_code": 401}))

    with pytest.raises(AuthError) as caught:
        await make_client(bexio, tokens=tokens).get_invoice(BexioInvoiceId(1))

    assert tokens.rejected == ["token-1"]
    assert len(bexio.requests) == 2
    assert "Reconnect bexio" in caught.value.user_message
