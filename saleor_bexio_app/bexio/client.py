"""BexioClient: one typed async method per bexio operation the app uses.

Runs over an injected `httpx.AsyncClient`. Every failure leaves as an `AppError` kind, never as
an httpx or pydantic exception: 400/409/422 → RejectedError (or the kind an operation names for
a refused field, e.g. StockRefusedError for an article's `stock_nr`); 401 (after one token
refresh), 403, 410 → AuthError; 404 → NotFoundError; 429 (after bounded waiting), 5xx,
timeouts and connection errors → TransientError. Messages and details never carry tokens,
bodies or values.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Final, Literal, Protocol, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from saleor_bexio_app.bexio import messages
from saleor_bexio_app.bexio.limiter import DEFAULT_GROUP, RateLimiter
from saleor_bexio_app.bexio.wire import (
    BexioAccount,
    BexioActionResult,
    BexioArticle,
    BexioArticleIn,
    BexioArticleUpdate,
    BexioBankAccount,
    BexioCompanyProfile,
    BexioContact,
    BexioContactIn,
    BexioCountry,
    BexioCurrency,
    BexioDelivery,
    BexioInvoice,
    BexioInvoiceIn,
    BexioInvoiceSendIn,
    BexioInvoiceUpdate,
    BexioItemSetting,
    BexioLanguage,
    BexioOrder,
    BexioOrderIn,
    BexioPayment,
    BexioPaymentIn,
    BexioPaymentType,
    BexioPositionRef,
    BexioSearch,
    BexioSearchCriteria,
    BexioTax,
    BexioUnit,
    BexioUser,
    dumps,
    loads,
)
from saleor_bexio_app.errors import (
    AppError,
    AuthError,
    MessageCode,
    NotFoundError,
    RejectedError,
    StockRefusedError,
    TransientError,
)
from saleor_bexio_app.ids import (
    BexioArticleId,
    BexioContactId,
    BexioDeliveryId,
    BexioInvoiceId,
    BexioOrderId,
    BexioTaxId,
)

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

MAX_PAGE_SIZE: Final = 2000
DEFAULT_PAGE_SIZE: Final = 500
DEFAULT_RATE_LIMIT_WAIT: Final = 5.0

# Searchable fields per 2.0 resource (fields.json "search_fields"). bexio answers an unknown
# field or a wrongly shaped body with 200 and [] (API.md "Corrections" 4), so check them here.
# fmt: off
SEARCH_FIELDS: Final[Mapping[str, frozenset[str]]] = {
    "contact": frozenset(
        {
            "id", "name_1", "name_2", "nr", "address", "mail", "mail_second", "postcode",
            "city", "country_id", "contact_group_ids", "contact_type_id", "updated_at",
            "user_id", "phone_fixed", "phone_mobile", "fax",
        }
    ),
    "article": frozenset({"intern_name", "intern_code"}),
    "kb_invoice": frozenset(
        {
            "id", "kb_item_status_id", "document_nr", "title", "api_reference", "contact_id",
            "contact_sub_id", "user_id", "currency_id", "total_gross", "total_net", "total",
            "is_valid_from", "is_valid_to", "updated_at",
        }
    ),
    # Orders can't be searched by api_reference (API.md "Corrections" 3).
    "kb_order": frozenset(
        {
            "id", "kb_item_status_id", "document_nr", "title", "contact_id", "contact_sub_id",
            "user_id", "currency_id", "total_gross", "total_net", "total", "is_valid_from",
            "is_valid_to", "updated_at",
        }
    ),
    "accounts": frozenset({"account_no", "fibu_account_group_id", "name", "account_type"}),
}
# fmt: on

_NO_BODY: Final = object()


class AccessTokens(Protocol):
    """Hands the client bexio access tokens for one connection."""

    async def access_token(self) -> str:
        """A currently valid access token."""
        ...

    async def refreshed_after(self, rejected: str) -> str:
        """A token newer than `rejected`, which bexio answered with 401."""
        ...


@dataclass(frozen=True, slots=True)
class _Call:
    method: str
    path: str
    what: str  # merchant words for the object, e.g. "invoice"
    scopes: tuple[str, ...] = ()
    params: Mapping[str, str | int] | None = None
    body: Any = _NO_BODY
    # A 4xx naming one of these fields raises the given kind instead of RejectedError.
    refusals: Mapping[str, type[RejectedError]] = field(default_factory=dict)


class BexioClient:
    """Talks to bexio's REST API for one company; raises AppError kinds only."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        api_url: str,
        tokens: AccessTokens,
        limiter: RateLimiter | None = None,
        company_key: str = "default",
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        max_rate_limit_retries: int = 3,
        max_rate_limit_wait: float = 60.0,
    ) -> None:
        self._http = http
        self._api_url = api_url.rstrip("/")
        self._tokens = tokens
        self._limiter = limiter
        self._company_key = company_key
        self._sleep = sleep
        self._max_rate_limit_retries = max_rate_limit_retries
        self._max_rate_limit_wait = max_rate_limit_wait

    def __repr__(self) -> str:
        return f"BexioClient({self._api_url!r}, company_key={self._company_key!r})"

    # --- contacts --------------------------------------------------------------------------------

    async def list_contacts(
        self,
        *,
        limit: int = DEFAULT_PAGE_SIZE,
        offset: int = 0,
        order_by: str | None = None,
        show_archived: bool = False,
    ) -> list[BexioContact]:
        """One page of contacts."""
        call = _Call("GET", "/2.0/contact", "contacts", ("contact_show",))
        params = _archived(_order(_page(limit, offset), order_by), show_archived)
        return _many(BexioContact, await self._send(replace(call, params=params)), call)

    def iterate_contacts(
        self,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        order_by: str = "id",
        show_archived: bool = False,
    ) -> AsyncIterator[BexioContact]:
        """All contacts, page by page."""
        params = _archived(_order({}, order_by), show_archived)
        call = _Call("GET", "/2.0/contact", "contacts", ("contact_show",), params)
        return self._iterate(call, BexioContact, page_size)

    async def get_contact(self, contact_id: BexioContactId) -> BexioContact:
        """One contact."""
        call = _Call("GET", f"/2.0/contact/{int(contact_id)}", "contact", ("contact_show",))
        return _one(BexioContact, await self._send(call), call)

    async def create_contact(self, contact: BexioContactIn) -> BexioContact:
        """Create a contact."""
        call = _Call("POST", "/2.0/contact", "contact", ("contact_edit",), body=contact.to_wire())
        return _one(BexioContact, await self._send(call), call)

    async def update_contact(
        self, contact_id: BexioContactId, contact: BexioContactIn
    ) -> BexioContact:
        """Edit a contact (2.0 edits are POSTs); only the fields set on `contact` are sent."""
        call = _Call(
            "POST",
            f"/2.0/contact/{int(contact_id)}",
            "contact",
            ("contact_edit",),
            body=contact.to_wire(),
        )
        return _one(BexioContact, await self._send(call), call)

    async def search_contacts(
        self,
        criteria: Sequence[BexioSearch],
        *,
        limit: int = DEFAULT_PAGE_SIZE,
        offset: int = 0,
        order_by: str | None = None,
        show_archived: bool = False,
    ) -> list[BexioContact]:
        """One page of contacts matching all `criteria`."""
        call = self._search_call("contact", criteria, "contacts", ("contact_show",))
        params = _archived(_order(_page(limit, offset), order_by), show_archived)
        return _many(BexioContact, await self._send(replace(call, params=params)), call)

    def iterate_search_contacts(
        self,
        criteria: Sequence[BexioSearch],
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        order_by: str = "id",
        show_archived: bool = False,
    ) -> AsyncIterator[BexioContact]:
        """All contacts matching all `criteria`, page by page."""
        call = self._search_call("contact", criteria, "contacts", ("contact_show",))
        params = _archived(_order({}, order_by), show_archived)
        return self._iterate(replace(call, params=params), BexioContact, page_size)

    async def search_contacts_by_mail(self, mail: str) -> list[BexioContact]:
        """Contacts whose `mail` equals `mail` (bexio does not keep it unique), lowest id first."""
        criteria = [BexioSearch(field="mail", value=mail, criteria=BexioSearchCriteria.EQUAL)]
        return [contact async for contact in self.iterate_search_contacts(criteria)]

    # --- articles --------------------------------------------------------------------------------

    async def list_articles(
        self, *, limit: int = DEFAULT_PAGE_SIZE, offset: int = 0, order_by: str | None = None
    ) -> list[BexioArticle]:
        """One page of articles (products)."""
        call = _Call("GET", "/2.0/article", "products", ("article_show",))
        params = _order(_page(limit, offset), order_by)
        return _many(BexioArticle, await self._send(replace(call, params=params)), call)

    def iterate_articles(
        self, *, page_size: int = DEFAULT_PAGE_SIZE, order_by: str = "id"
    ) -> AsyncIterator[BexioArticle]:
        """All articles, page by page."""
        call = _Call("GET", "/2.0/article", "products", ("article_show",), _order({}, order_by))
        return self._iterate(call, BexioArticle, page_size)

    async def get_article(self, article_id: BexioArticleId) -> BexioArticle:
        """One article."""
        call = _Call("GET", f"/2.0/article/{int(article_id)}", "product", ("article_show",))
        return _one(BexioArticle, await self._send(call), call)

    async def create_article(self, article: BexioArticleIn) -> BexioArticle:
        """Create an article."""
        call = _Call("POST", "/2.0/article", "product", ("article_edit",), body=article.to_wire())
        return _one(BexioArticle, await self._send(call), call)

    async def update_article(
        self, article_id: BexioArticleId, article: BexioArticleUpdate
    ) -> BexioArticle:
        """Edit an article; only the fields set on `article` are sent.

        A refusal naming `stock_nr` is a StockRefusedError: bexio takes it only until the
        article's first stock booking (API.md "Corrections" 9).
        """
        call = _Call(
            "POST",
            f"/2.0/article/{int(article_id)}",
            "product",
            ("article_edit",),
            body=article.to_wire(),
            refusals={"stock_nr": StockRefusedError},
        )
        return _one(BexioArticle, await self._send(call), call)

    async def delete_article(self, article_id: BexioArticleId) -> None:
        """Delete an article (bexio answers `{"success": true}`)."""
        call = _Call("DELETE", f"/2.0/article/{int(article_id)}", "product", ("article_edit",))
        await self._action(call, "delete")

    async def search_articles(
        self,
        criteria: Sequence[BexioSearch],
        *,
        limit: int = DEFAULT_PAGE_SIZE,
        offset: int = 0,
        order_by: str | None = None,
    ) -> list[BexioArticle]:
        """One page of articles matching all `criteria`."""
        call = self._search_call("article", criteria, "products", ("article_show",))
        params = _order(_page(limit, offset), order_by)
        return _many(BexioArticle, await self._send(replace(call, params=params)), call)

    def iterate_search_articles(
        self,
        criteria: Sequence[BexioSearch],
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        order_by: str = "id",
    ) -> AsyncIterator[BexioArticle]:
        """All articles matching all `criteria`, page by page."""
        call = self._search_call("article", criteria, "products", ("article_show",))
        return self._iterate(replace(call, params=_order({}, order_by)), BexioArticle, page_size)

    async def search_articles_by_intern_code(self, intern_code: str) -> list[BexioArticle]:
        """Articles whose `intern_code` (the SKU) equals `intern_code`, lowest id first."""
        criteria = [BexioSearch(field="intern_code", value=intern_code)]
        return [article async for article in self.iterate_search_articles(criteria)]

    # --- orders and deliveries -------------------------------------------------------------------

    async def create_order(self, order: BexioOrderIn) -> BexioOrder:
        """Create an order, positions included."""
        call = _Call("POST", "/2.0/kb_order", "order", ("kb_order_edit",), body=order.to_wire())
        return _one(BexioOrder, await self._send(call), call)

    async def get_order(self, order_id: BexioOrderId) -> BexioOrder:
        """One order with its positions."""
        call = _Call("GET", f"/2.0/kb_order/{int(order_id)}", "order", ("kb_order_show",))
        return _one(BexioOrder, await self._send(call), call)

    async def search_orders(
        self,
        criteria: Sequence[BexioSearch],
        *,
        limit: int = DEFAULT_PAGE_SIZE,
        offset: int = 0,
        order_by: str | None = None,
    ) -> list[BexioOrder]:
        """One page of orders matching all `criteria` (not searchable by api_reference)."""
        call = self._search_call("kb_order", criteria, "orders", ("kb_order_show",))
        params = _order(_page(limit, offset), order_by)
        return _many(BexioOrder, await self._send(replace(call, params=params)), call)

    def iterate_search_orders(
        self,
        criteria: Sequence[BexioSearch],
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        order_by: str = "id",
    ) -> AsyncIterator[BexioOrder]:
        """All orders matching all `criteria`, page by page."""
        call = self._search_call("kb_order", criteria, "orders", ("kb_order_show",))
        return self._iterate(replace(call, params=_order({}, order_by)), BexioOrder, page_size)

    async def create_invoice_from_order(
        self,
        order_id: BexioOrderId,
        positions: Sequence[BexioPositionRef] | None = None,
        *,
        document_nr: str | None = None,
    ) -> BexioInvoice:
        """Invoice an order: all its positions, or only `positions` with their amounts.

        `document_nr` is required by bexio when it does not number invoices itself (API.md §e).
        """
        body = _positions_body(positions)
        if document_nr is not None:
            body = {**(body if isinstance(body, dict) else {}), "document_nr": document_nr}
        call = _Call(
            "POST",
            f"/2.0/kb_order/{int(order_id)}/invoice",
            "invoice",
            ("kb_order_edit", "kb_invoice_edit"),
            body=body,
        )
        return _one(BexioInvoice, await self._send(call), call)

    async def create_delivery_from_order(
        self, order_id: BexioOrderId, positions: Sequence[BexioPositionRef] | None = None
    ) -> BexioDelivery:
        """Create a delivery from an order: all its positions, or only `positions`."""
        call = _Call(
            "POST",
            f"/2.0/kb_order/{int(order_id)}/delivery",
            "delivery",
            ("kb_order_edit", "kb_delivery_edit"),
            body=_positions_body(positions),
        )
        return _one(BexioDelivery, await self._send(call), call)

    async def get_delivery(self, delivery_id: BexioDeliveryId) -> BexioDelivery:
        """One delivery with its positions."""
        path = f"/2.0/kb_delivery/{int(delivery_id)}"
        call = _Call("GET", path, "delivery", ("kb_delivery_show",))
        return _one(BexioDelivery, await self._send(call), call)

    async def issue_delivery(self, delivery_id: BexioDeliveryId) -> None:
        """Issue a draft delivery (this books the stock out)."""
        path = f"/2.0/kb_delivery/{int(delivery_id)}/issue"
        await self._action(_Call("POST", path, "delivery", ("kb_delivery_edit",)), "issue")

    # --- invoices --------------------------------------------------------------------------------

    async def list_invoices(
        self, *, limit: int = DEFAULT_PAGE_SIZE, offset: int = 0, order_by: str | None = None
    ) -> list[BexioInvoice]:
        """One page of invoices (without positions)."""
        call = _Call("GET", "/2.0/kb_invoice", "invoices", ("kb_invoice_show",))
        params = _order(_page(limit, offset), order_by)
        return _many(BexioInvoice, await self._send(replace(call, params=params)), call)

    def iterate_invoices(
        self, *, page_size: int = DEFAULT_PAGE_SIZE, order_by: str = "id"
    ) -> AsyncIterator[BexioInvoice]:
        """All invoices, page by page."""
        params = _order({}, order_by)
        call = _Call("GET", "/2.0/kb_invoice", "invoices", ("kb_invoice_show",), params)
        return self._iterate(call, BexioInvoice, page_size)

    async def get_invoice(self, invoice_id: BexioInvoiceId) -> BexioInvoice:
        """One invoice with its positions."""
        path = f"/2.0/kb_invoice/{int(invoice_id)}"
        call = _Call("GET", path, "invoice", ("kb_invoice_show",))
        return _one(BexioInvoice, await self._send(call), call)

    async def create_invoice(self, invoice: BexioInvoiceIn) -> BexioInvoice:
        """Create an invoice, positions included; set `api_reference` to find it again."""
        call = _Call(
            "POST", "/2.0/kb_invoice", "invoice", ("kb_invoice_edit",), body=invoice.to_wire()
        )
        return _one(BexioInvoice, await self._send(call), call)

    async def update_invoice(
        self, invoice_id: BexioInvoiceId, invoice: BexioInvoiceUpdate
    ) -> BexioInvoice:
        """Edit an invoice's header fields; only the fields set on `invoice` are sent."""
        call = _Call(
            "POST",
            f"/2.0/kb_invoice/{int(invoice_id)}",
            "invoice",
            ("kb_invoice_edit",),
            body=invoice.to_wire(),
        )
        return _one(BexioInvoice, await self._send(call), call)

    async def search_invoices(
        self,
        criteria: Sequence[BexioSearch],
        *,
        limit: int = DEFAULT_PAGE_SIZE,
        offset: int = 0,
        order_by: str | None = None,
    ) -> list[BexioInvoice]:
        """One page of invoices matching all `criteria`."""
        call = self._search_call("kb_invoice", criteria, "invoices", ("kb_invoice_show",))
        params = _order(_page(limit, offset), order_by)
        return _many(BexioInvoice, await self._send(replace(call, params=params)), call)

    def iterate_search_invoices(
        self,
        criteria: Sequence[BexioSearch],
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        order_by: str = "id",
    ) -> AsyncIterator[BexioInvoice]:
        """All invoices matching all `criteria`, page by page."""
        call = self._search_call("kb_invoice", criteria, "invoices", ("kb_invoice_show",))
        return self._iterate(replace(call, params=_order({}, order_by)), BexioInvoice, page_size)

    async def search_invoices_by_api_reference(self, api_reference: str) -> list[BexioInvoice]:
        """Invoices whose `api_reference` equals `api_reference` (bexio doesn't keep it unique)."""
        criteria = [BexioSearch(field="api_reference", value=api_reference)]
        return [invoice async for invoice in self.iterate_search_invoices(criteria)]

    def iterate_invoices_updated_after(
        self, after: datetime, *, page_size: int = DEFAULT_PAGE_SIZE
    ) -> AsyncIterator[BexioInvoice]:
        """Invoices with `updated_at` > `after`, oldest change first.

        `after` is naive bexio local time, as bexio's own `updated_at` values are.
        """
        if after.tzinfo is not None:
            raise ValueError("bexio's updated_at is naive local time; pass a naive datetime")
        criteria = [
            BexioSearch(field="updated_at", value=after, criteria=BexioSearchCriteria.GREATER)
        ]
        return self.iterate_search_invoices(
            criteria, page_size=page_size, order_by="updated_at_asc,id_asc"
        )

    async def issue_invoice(self, invoice_id: BexioInvoiceId) -> None:
        """Issue a draft invoice (draft → pending)."""
        await self._action(self._invoice_action(invoice_id, "issue"), "issue")

    async def revert_invoice_issue(self, invoice_id: BexioInvoiceId) -> None:
        """Turn an issued invoice back into a draft."""
        await self._action(self._invoice_action(invoice_id, "revert_issue"), "reopen")

    async def delete_invoice(self, invoice_id: BexioInvoiceId) -> None:
        """Delete a draft invoice for good (bexio refuses issued ones)."""
        call = _Call(
            "DELETE", f"/2.0/kb_invoice/{int(invoice_id)}", "invoice", ("kb_invoice_edit",)
        )
        await self._action(call, "delete")

    async def cancel_invoice(self, invoice_id: BexioInvoiceId) -> None:
        """Cancel an issued invoice (status 19)."""
        await self._action(self._invoice_action(invoice_id, "cancel"), "cancel")

    async def mark_invoice_as_sent(self, invoice_id: BexioInvoiceId) -> None:
        """Mark an invoice as sent without sending it."""
        await self._action(self._invoice_action(invoice_id, "mark_as_sent"), "mark as sent")

    async def send_invoice(self, invoice_id: BexioInvoiceId, mail: BexioInvoiceSendIn) -> None:
        """Send an invoice by e-mail through bexio."""
        call = replace(self._invoice_action(invoice_id, "send"), body=mail.to_wire())
        await self._action(call, "send")

    async def list_invoice_payments(self, invoice_id: BexioInvoiceId) -> list[BexioPayment]:
        """All payments of an invoice."""
        path = f"/2.0/kb_invoice/{int(invoice_id)}/payment"
        call = _Call("GET", path, "payments", ("kb_invoice_show",))
        return [payment async for payment in self._iterate(call, BexioPayment, MAX_PAGE_SIZE)]

    async def create_invoice_payment(
        self, invoice_id: BexioInvoiceId, payment: BexioPaymentIn
    ) -> BexioPayment:
        """Record a payment on an issued invoice."""
        call = _Call(
            "POST",
            f"/2.0/kb_invoice/{int(invoice_id)}/payment",
            "payment",
            ("kb_invoice_edit",),
            body=payment.to_wire(),
        )
        return _one(BexioPayment, await self._send(call), call)

    # --- master data -----------------------------------------------------------------------------

    async def list_taxes(
        self,
        *,
        scope: Literal["active", "inactive"] | None = None,
        types: Literal["sales_tax", "pre_tax"] | None = None,
        valid_on: date | None = None,
    ) -> list[BexioTax]:
        """All taxes; positions accept only `scope="active", types="sales_tax"` ones."""
        params: dict[str, str | int] = {}
        if scope is not None:
            params["scope"] = scope
        if types is not None:
            params["types"] = types
        if valid_on is not None:
            params["date"] = valid_on.isoformat()
        return await self._all(_Call("GET", "/3.0/taxes", "VAT rates", params=params), BexioTax)

    async def get_tax(self, tax_id: BexioTaxId) -> BexioTax:
        """One tax."""
        call = _Call("GET", f"/3.0/taxes/{int(tax_id)}", "VAT rate")
        return _one(BexioTax, await self._send(call), call)

    async def list_accounts(self) -> list[BexioAccount]:
        """All ledger accounts."""
        return await self._all(_Call("GET", "/2.0/accounts", "accounts"), BexioAccount)

    async def search_accounts(self, criteria: Sequence[BexioSearch]) -> list[BexioAccount]:
        """All ledger accounts matching all `criteria` (e.g. account_type = 1: revenue)."""
        return await self._all(self._search_call("accounts", criteria, "accounts"), BexioAccount)

    async def list_currencies(self) -> list[BexioCurrency]:
        """All currencies."""
        return await self._all(_Call("GET", "/3.0/currencies", "currencies"), BexioCurrency)

    async def list_countries(self) -> list[BexioCountry]:
        """All countries."""
        call = _Call("GET", "/2.0/country", "countries", params={"order_by": "id"})
        return await self._all(call, BexioCountry)

    async def list_languages(self) -> list[BexioLanguage]:
        """All languages."""
        call = _Call("GET", "/2.0/language", "languages", params={"order_by": "id"})
        return await self._all(call, BexioLanguage)

    async def list_units(self) -> list[BexioUnit]:
        """All units."""
        return await self._all(_Call("GET", "/2.0/unit", "units"), BexioUnit)

    async def list_payment_types(self) -> list[BexioPaymentType]:
        """All payment types."""
        call = _Call("GET", "/2.0/payment_type", "payment types", params={"order_by": "id"})
        return await self._all(call, BexioPaymentType)

    async def list_bank_accounts(self) -> list[BexioBankAccount]:
        """All bank accounts."""
        call = _Call("GET", "/3.0/banking/accounts", "bank accounts", ("bank_account_show",))
        return await self._all(call, BexioBankAccount)

    async def list_users(self) -> list[BexioUser]:
        """All bexio users of the company."""
        return await self._all(_Call("GET", "/3.0/users", "users"), BexioUser)

    async def get_current_user(self) -> BexioUser:
        """The user who connected the app (`/3.0/users/me`)."""
        call = _Call("GET", "/3.0/users/me", "current user")
        return _one(BexioUser, await self._send(call), call)

    async def list_company_profiles(self) -> list[BexioCompanyProfile]:
        """The company profile (bexio answers a list with one entry)."""
        call = _Call("GET", "/2.0/company_profile", "company profile")
        return _many(BexioCompanyProfile, await self._send(call), call)

    async def list_item_settings(self) -> list[BexioItemSetting]:
        """Document settings per document class, including automatic numbering."""
        call = _Call("GET", "/2.0/kb_item_setting", "document settings")
        return _many(BexioItemSetting, await self._send(call), call)

    # --- plumbing --------------------------------------------------------------------------------

    def _search_call(
        self,
        resource: str,
        criteria: Sequence[BexioSearch],
        what: str,
        scopes: tuple[str, ...] = (),
    ) -> _Call:
        if not criteria:
            raise ValueError("a bexio search needs at least one condition")
        unknown = sorted({c.field for c in criteria} - SEARCH_FIELDS[resource])
        if unknown:
            raise ValueError(f"bexio cannot search {resource} by {', '.join(unknown)}")
        body = [condition.to_wire() for condition in criteria]
        return _Call("POST", f"/2.0/{resource}/search", what, scopes, body=body)

    @staticmethod
    def _invoice_action(invoice_id: BexioInvoiceId, action: str) -> _Call:
        path = f"/2.0/kb_invoice/{int(invoice_id)}/{action}"
        return _Call("POST", path, "invoice", ("kb_invoice_edit",))

    async def _action(self, call: _Call, verb: str) -> None:
        result = _one(BexioActionResult, await self._send(call), call)
        if not result.success:
            raise RejectedError(
                f"bexio did not {verb} the {call.what}.",
                detail=f"{call.method} {call.path} answered success=false",
            )

    async def _all(self, call: _Call, model: type[M]) -> list[M]:
        return [item async for item in self._iterate(call, model, MAX_PAGE_SIZE)]

    async def _iterate(self, call: _Call, model: type[M], page_size: int) -> AsyncIterator[M]:
        _check_page_size(page_size)
        offset = 0
        while True:
            params = {**(call.params or {}), "limit": page_size, "offset": offset}
            page = _many(model, await self._send(replace(call, params=params)), call)
            for item in page:
                yield item
            # 2.0 lists carry no total: a short page is the last one (API.md §b "Pagination").
            if len(page) < page_size:
                return
            offset += page_size

    async def _send(self, call: _Call) -> Any:
        content = None if call.body is _NO_BODY else dumps(call.body)
        headers = {"Accept": "application/json"}
        if content is not None:
            headers["Content-Type"] = "application/json"
        group = self._limiter.group_for(call.method, call.path) if self._limiter else DEFAULT_GROUP
        token = await self._tokens.access_token()
        refreshed = False
        throttled = 0
        while True:
            headers["Authorization"] = f"Bearer {token}"
            response = await self._exchange(call, content, headers, group)
            status = response.status_code
            if status == 401 and not refreshed:
                refreshed = True
                token = await self._tokens.refreshed_after(token)
                continue
            if status == 429 and throttled < self._max_rate_limit_retries:
                wait = _retry_after(response, rate_limited=True)
                wait = DEFAULT_RATE_LIMIT_WAIT if wait is None else wait
                if wait <= self._max_rate_limit_wait:
                    throttled += 1
                    logger.info("bexio answered 429 (%s calls); waiting %.1fs", group, wait)
                    await self._wait(group, wait)
                    continue
            if not response.is_success:
                raise _error(call, response)
            return _decode(call, response)

    async def _exchange(
        self, call: _Call, content: bytes | None, headers: Mapping[str, str], group: str
    ) -> httpx.Response:
        if self._limiter is not None:
            await self._limiter.acquire(self._company_key, group)
        answered: httpx.Headers | None = None
        try:
            response = await self._http.request(
                call.method,
                self._api_url + call.path,
                params=call.params,
                content=content,
                headers=headers,
            )
            answered = response.headers
            return response
        except httpx.TimeoutException as exc:
            raise TransientError(
                messages.TIMEOUT,
                detail=f"{type(exc).__name__} on {call.method} {call.path}",
                code=MessageCode.BEXIO_TIMEOUT,
                not_carried_out=isinstance(exc, httpx.ConnectTimeout),
            ) from exc
        except httpx.RequestError as exc:
            raise TransientError(
                messages.UNREACHABLE,
                detail=f"{type(exc).__name__} on {call.method} {call.path}",
                code=MessageCode.BEXIO_UNREACHABLE,
                # A connection that was never made carried nothing to bexio.
                not_carried_out=isinstance(exc, httpx.ConnectError),
            ) from exc
        finally:
            if self._limiter is not None:
                self._limiter.release(self._company_key, group, answered)

    async def _wait(self, group: str, seconds: float) -> None:
        if self._limiter is not None:
            # The next acquire() waits; other calls of this group wait with it.
            self._limiter.back_off(self._company_key, group, seconds)
        else:
            await self._sleep(seconds)


def _page(limit: int, offset: int) -> dict[str, str | int]:
    _check_page_size(limit)
    if offset < 0:
        raise ValueError("offset must not be negative")
    return {"limit": limit, "offset": offset}


def _check_page_size(size: int) -> None:
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ValueError(f"bexio pages hold 1 to {MAX_PAGE_SIZE} items, not {size}")


def _order(params: dict[str, str | int], order_by: str | None) -> dict[str, str | int]:
    # The parameter is `order_by`; `orderBy` is ignored silently (API.md "Corrections" 4).
    return params if order_by is None else {**params, "order_by": order_by}


def _archived(params: dict[str, str | int], show_archived: bool) -> dict[str, str | int]:
    return {**params, "show_archived": "true"} if show_archived else params


def _positions_body(positions: Sequence[BexioPositionRef] | None) -> Any:
    if positions is None:
        return _NO_BODY
    return {"positions": [position.to_wire() for position in positions]}


def _one(model: type[M], data: Any, call: _Call) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _unreadable(call, exc) from exc


def _many(model: type[M], data: Any, call: _Call) -> list[M]:
    if not isinstance(data, list):
        raise AppError(
            f"bexio sent {call.what} data the app could not read.",
            detail=f"{call.method} {call.path}: expected a JSON array",
        )
    try:
        return [model.model_validate(item) for item in data]
    except ValidationError as exc:
        raise _unreadable(call, exc) from exc


def _unreadable(call: _Call, exc: ValidationError) -> AppError:
    # Locations and error types only: the input values may be customer data.
    problems = sorted(
        {
            ".".join(str(part) for part in error["loc"]) + ":" + error["type"]
            for error in exc.errors(include_input=False, include_url=False)
        }
    )
    return AppError(
        f"bexio sent {call.what} data the app could not read.",
        detail=f"{call.method} {call.path}: {', '.join(problems[:10])}",
    )


def _decode(call: _Call, response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return loads(response.content)
    except ValueError as exc:
        raise TransientError(
            messages.UNREADABLE,
            detail=f"HTTP {response.status_code} on {call.method} {call.path}: body is not JSON",
        ) from exc


def _error_body(response: httpx.Response) -> Any:
    try:
        return loads(response.content) if response.content else None
    except ValueError:
        return None


def _error(call: _Call, response: httpx.Response) -> AppError:
    status = response.status_code
    where = f"HTTP {status} on {call.method} {call.path}"
    body = _error_body(response)
    safe = messages.safe_message(body)
    said = f"; bexio said {safe!r}" if safe else ""
    if status == 401:
        return AuthError(
            messages.UNAUTHORIZED,
            detail=f"{where} after one token refresh",
            code=MessageCode.BEXIO_UNAUTHORIZED,
        )
    if status == 403:
        needs = " + ".join(call.scopes) or "bexio user rights (no OAuth scope)"
        return AuthError(
            messages.forbidden(call.what, call.scopes), detail=f"{where}; needs {needs}"
        )
    if status == 410:
        return AuthError(messages.GONE, detail=f"{where}{said}")
    if status == 404:
        # An unknown route answers {"status":404,"error":"Not Found"} (API.md "Corrections" 11).
        route = isinstance(body, dict) and "error" in body and "error_code" not in body
        kind = "unknown route" if route else "no such object"
        return NotFoundError(messages.not_found(call.what), detail=f"{where}; {kind}")
    if status == 429:
        return TransientError(
            messages.RATE_LIMITED,
            detail=f"{where}; still rate limited after waiting",
            retry_after=_retry_after(response, rate_limited=True),
            not_carried_out=True,
        )
    if status >= 500:
        return TransientError(
            messages.unavailable(status),
            detail=f"{where}{said}",
            retry_after=_retry_after(response, rate_limited=False),
            code=MessageCode.BEXIO_UNAVAILABLE,
            params={"status": status},
        )
    if status in (411, 415):
        return AppError(messages.MALFORMED_REQUEST, detail=f"{where}{said}")
    if 400 <= status < 500:
        explanation = messages.explain_rejection(body, what=call.what)
        problems = messages.field_problems(body)
        refused = {problem.path[0] for problem in problems}
        refusal = next((k for f, k in call.refusals.items() if f in refused), RejectedError)
        return refusal(
            explanation.user_message,
            detail=f"{where}; {explanation.detail}",
            code=MessageCode.BEXIO_REJECTED,
            params={"what": call.what, "fields": messages.field_names(problems)},
        )
    return AppError(messages.UNREADABLE, detail=f"{where}; unexpected status")


def _retry_after(response: httpx.Response, *, rate_limited: bool) -> float | None:
    """Seconds to wait: `Retry-After`, else `RateLimit-Reset` when the budget is spent."""
    value = response.headers.get("Retry-After")
    if value:
        seconds = _seconds_until(value.strip(), response.headers.get("Date"))
        if seconds is not None:
            return seconds
    spent = response.headers.get("RateLimit-Remaining", "").strip() == "0"
    reset = response.headers.get("RateLimit-Reset")
    if reset and (rate_limited or spent):
        try:
            return max(0.0, float(reset))
        except ValueError:
            return None
    return None


def _seconds_until(value: str, server_date: str | None) -> float | None:
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
        now = parsedate_to_datetime(server_date) if server_date else datetime.now(UTC)
        return max(0.0, (when - now).total_seconds())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
