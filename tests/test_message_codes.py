"""Coded merchant messages: each `MessageCode` comes from its real producer with safe params.

What the producers write (code, params and English text) is committed to
dashboard_extension/src/test/coded-messages.json; the dashboard's tests render every entry from
its code and params and expect the backend's English text back (src/i18n.errors.test.ts). A
stale file is rewritten and the test fails, like the GraphQL schema snapshot.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from saleor_bexio_app.bexio.client import BexioClient
from saleor_bexio_app.bexio.oauth import BexioOAuth
from saleor_bexio_app.bexio.tokens import disconnected_error
from saleor_bexio_app.bexio.wire import BexioContactIn, BexioContactType
from saleor_bexio_app.errors import AppError, AuthError, MessageCode
from saleor_bexio_app.ids import (
    BexioContactId,
    BexioCountryId,
    BexioCurrencyId,
    BexioTaxId,
    BexioUserId,
)
from saleor_bexio_app.jobs.queue import HALTED_MESSAGE
from saleor_bexio_app.sync.actions import BexioAction
from saleor_bexio_app.sync.contacts import plan_contact
from saleor_bexio_app.sync.model import Money, Order
from saleor_bexio_app.sync.orders import plan_invoice, plan_refund, send_unconfirmed_error
from saleor_bexio_app.sync.products import duplicate_article_error, stock_refused_error
from saleor_bexio_app.sync.vat import BexioTax, resolve_tax
from tests.bexio.test_client import API, FakeTokens
from tests.builders import (
    bexio_taxes,
    d,
    make_customer,
    make_line,
    make_order,
    make_settings,
    make_shipping,
    make_tax_mapping,
)

CONTRACT = (
    Path(__file__).parents[1] / "dashboard_extension" / "src" / "test" / "coded-messages.json"
)
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


async def _raised(work: Awaitable[object]) -> AppError:
    with pytest.raises(AppError) as caught:
        await work
    return caught.value


def _sync_raised(work: Callable[[], object]) -> AppError:
    with pytest.raises(AppError) as caught:
        work()
    return caught.value


async def _client_error(answer: Callable[[httpx.Request], httpx.Response]) -> AppError:
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        client = BexioClient(http, api_url=API, tokens=FakeTokens("token-1", "token-2"))
        contact = BexioContactIn(
            contact_type_id=BexioContactType.PERSON,
            name_1="Muster",
            user_id=BexioUserId(1),
            owner_id=BexioUserId(1),
            mail="anna@example.com",
        )
        return await _raised(client.create_contact(contact))


async def _refresh_refused() -> AppError:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"error": "invalid_grant"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        oauth = BexioOAuth(
            http,
            auth_url="https://auth.bexio.test/realms/bexio/protocol/openid-connect",
            client_id="client",
            client_secret="secret-value",
            redirect_uri="https://app.test/bexio/oauth/callback",
        )
        return await _raised(oauth.refresh("refresh-token-value", now=NOW))


def _invoice_error(
    order: Order | None = None, *, taxes: list[BexioTax] | None = None, **settings: Any
) -> AppError:
    """The error `plan_invoice` raises for the order (a one-line order unless given)."""
    return _sync_raised(
        lambda: plan_invoice(
            order or make_order(),
            make_settings(**settings),
            make_tax_mapping(),
            {"CHF": BexioCurrencyId(1)},
            {},
            contact_id=BexioContactId(501),
            bexio_taxes=bexio_taxes() if taxes is None else taxes,
            bexio_automatic_numbering=True,
        )
    )


async def _refund(invoice_nr: str | None) -> AppError:
    order = make_order(total_charged=d("60"), total_refunded=d("40.00"))
    plan = plan_refund(
        order,
        make_settings(),
        done=frozenset({BexioAction.CREATE_INVOICE}),
        invoice_paid=True,
        invoice_nr=invoice_nr,
    )
    assert plan.amount == Money(d("40.00"), "CHF")
    return plan.error()


async def _done(error: AppError) -> AppError:
    return error


def _halted() -> AppError:
    # The reaper parks with these values (jobs/queue.py); tests/jobs check the stored row.
    return AppError(HALTED_MESSAGE, code=MessageCode.SYNC_HALTED)


def _inactive_taxes() -> list[BexioTax]:
    return [BexioTax(BexioTaxId(14), "UN81", d("8.1"), False)]


def _other_rate_taxes() -> list[BexioTax]:
    return [BexioTax(BexioTaxId(14), "UN77", d("7.7"), True)]


Producer = Callable[[], Awaitable[AppError]]
PRODUCERS: dict[str, Producer] = {
    "vat-unmapped-any-line": lambda: _done(
        _sync_raised(
            lambda: resolve_tax(
                make_line(tax_rate="0.055", tax_class_name=""), make_tax_mapping(), bexio_taxes()
            )
        )
    ),
    "vat-unmapped-line": lambda: _done(
        _invoice_error(make_order([make_line(tax_rate="0.055", tax_class_name="Reduced")]))
    ),
    "vat-unmapped-shipping": lambda: _done(
        _invoice_error(make_order(shipping=make_shipping(tax_rate="0.055")))
    ),
    "vat-inactive": lambda: _done(_invoice_error(taxes=_inactive_taxes())),
    "vat-rate-mismatch": lambda: _done(_invoice_error(taxes=_other_rate_taxes())),
    "not-connected": lambda: _done(disconnected_error()),
    "connection-revoked": _refresh_refused,
    "unauthorized": lambda: _client_error(lambda r: httpx.Response(401)),
    "unavailable": lambda: _client_error(lambda r: httpx.Response(503, json={})),
    "unreachable": lambda: _client_error(_refuse_connection),
    "timeout": lambda: _client_error(_time_out),
    "rejected-fields": lambda: _client_error(
        lambda r: httpx.Response(
            422,
            json={"error_code": 422, "errors": ["mail: Pflichtfeld", "user_id: ungültig"]},
        )
    ),
    "rejected-plain": lambda: _client_error(lambda r: httpx.Response(400, json={})),
    "setting-revenue-account": lambda: _done(_invoice_error(revenue_account_id=None)),
    "setting-bexio-user": lambda: _done(
        _sync_raised(
            lambda: plan_contact(
                make_customer(),
                None,
                settings=make_settings(bexio_user_id=None),
                countries={"CH": BexioCountryId(1)},
            )
        )
    ),
    "stock-refused": lambda: _done(stock_refused_error("SHIRT-M", 12)),
    "duplicate-article": lambda: _done(duplicate_article_error("SHIRT-M")),
    "refund-with-invoice": lambda: _refund("RE-00042"),
    "refund-without-invoice": lambda: _refund(None),
    "send-unconfirmed": lambda: _done(send_unconfirmed_error("RE-00042", "1001")),
    "sync-halted": lambda: _done(_halted()),
}


def _refuse_connection(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("refused", request=request)


def _time_out(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("timed out", request=request)


async def _entries() -> list[dict[str, Any]]:
    entries = []
    for name, produce in PRODUCERS.items():
        error = await produce()
        entries.append(
            {
                "name": name,
                "code": None if error.code is None else str(error.code),
                "params": error.params,
                "userMessage": error.user_message,
            }
        )
    return entries


async def test_every_message_code_has_a_producer_in_the_contract() -> None:
    codes = {entry["code"] for entry in await _entries()}

    assert codes == {str(code) for code in MessageCode}


async def test_params_hold_only_strings_and_numbers_without_tokens_or_customer_data() -> None:
    for entry in await _entries():
        for value in entry["params"].values():
            assert isinstance(value, str | int)
            assert not isinstance(value, bool)
        shown = json.dumps(entry["params"])
        for secret in ("token-1", "token-2", "refresh-token-value", "secret-value", "anna@"):
            assert secret not in shown


async def test_producers_set_their_codes_and_params() -> None:
    by_name = {entry["name"]: entry for entry in await _entries()}

    assert by_name["vat-unmapped-line"]["params"] == {
        "item": "line",
        "line": "T-Shirt — M",
        "taxClass": "Reduced",
        "rate": "5.5 %",
    }
    assert by_name["vat-unmapped-any-line"]["params"]["line"] == ""
    assert by_name["vat-unmapped-shipping"]["params"]["item"] == "shipping"
    assert by_name["vat-inactive"]["code"] == "vat_tax_inactive"
    assert by_name["vat-inactive"]["params"]["tax"] == "UN81 (8.1 %)"
    assert by_name["vat-rate-mismatch"]["code"] == "vat_rate_mismatch"
    assert by_name["unavailable"]["params"] == {"status": 503}
    assert by_name["rejected-fields"]["params"] == {"what": "contact", "fields": "mail,user_id"}
    assert by_name["rejected-plain"]["params"] == {"what": "contact", "fields": ""}
    assert by_name["setting-revenue-account"]["params"] == {"setting": "revenue_account"}
    assert by_name["setting-bexio-user"]["params"] == {"setting": "bexio_user"}
    assert by_name["stock-refused"]["params"] == {"sku": "SHIRT-M", "quantity": 12}
    assert by_name["refund-with-invoice"]["params"] == {
        "order": "1001",
        "amount": "CHF 40.00",
        "invoice": "RE-00042",
    }
    assert by_name["refund-without-invoice"]["params"]["invoice"] == ""
    assert by_name["send-unconfirmed"]["params"] == {"invoice": "RE-00042", "order": "1001"}


async def test_an_auth_error_the_app_has_no_words_for_keeps_no_code() -> None:
    broken = disconnected_error("bexio said something new.", detail="connection broken")

    assert isinstance(broken, AuthError)
    assert (broken.code, broken.params) == (None, {})
    assert disconnected_error(None).code == MessageCode.BEXIO_NOT_CONNECTED


def test_existing_constructors_keep_working_without_a_code() -> None:
    error = AppError("Something failed.", detail="operator detail")

    assert (error.user_message, error.detail, error.code, error.params) == (
        "Something failed.",
        "operator detail",
        None,
        {},
    )


async def test_the_dashboards_contract_file_is_up_to_date() -> None:
    """A stale file is rewritten and the test fails: review the diff and commit it."""
    printed = json.dumps(await _entries(), indent=2, ensure_ascii=False) + "\n"
    current = CONTRACT.read_text() if CONTRACT.exists() else ""
    if current != printed:
        CONTRACT.write_text(printed)
        pytest.fail(f"{CONTRACT.name} was stale and has been rewritten: review and commit it")
