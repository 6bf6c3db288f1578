"""What the flows need from the outside world, as Protocols the adapters satisfy structurally.

`SaleorPort` and `BexioPort` are bound to one installation (the flow gets one per job), so their
methods take no shop argument; `SyncRepo` serves every shop and takes the installation id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import IntEnum
from typing import Protocol

from saleor_bexio_app.ids import (
    BexioArticleId,
    BexioContactId,
    BexioCountryId,
    BexioCurrencyId,
    BexioDeliveryId,
    BexioInvoiceId,
    BexioLanguageId,
    BexioOrderId,
    BexioPaymentId,
    InstallationId,
    SaleorId,
)
from saleor_bexio_app.sync.actions import BexioAction
from saleor_bexio_app.sync.contacts import BexioContactSnapshot, ContactDraft
from saleor_bexio_app.sync.model import Customer, Link, LinkKind, Order, ShopSettings
from saleor_bexio_app.sync.orders import InvoiceDraft, OrderDraft, PaymentDraft, SendDraft
from saleor_bexio_app.sync.products import Article, ArticleDraft, Variant, Weight
from saleor_bexio_app.sync.vat import BexioTax, ShopTaxRate, TaxMapping


class BexioInvoiceStatus(IntEnum):
    """bexio's kb_invoice status ids (API.md "Corrections" 5)."""

    DRAFT = 7
    PENDING = 8
    PAID = 9
    PARTIAL = 16
    CANCELLED = 19
    UNPAID = 31


@dataclass(frozen=True, slots=True)
class BexioInvoiceState:
    """What the flows need to know about a bexio invoice."""

    id: BexioInvoiceId
    document_nr: str
    status: BexioInvoiceStatus
    total: Decimal
    api_reference: str | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class BexioPaymentState:
    """A payment booked on a bexio invoice (by the app, or by hand in bexio)."""

    id: BexioPaymentId
    value: Decimal
    bank_account_id: int | None


class SaleorPort(Protocol):
    """Reads from and transitions in one Saleor shop."""

    async def get_order(self, order_id: SaleorId) -> Order | None:
        """The order's current state, or None when it no longer exists."""
        ...

    async def get_customer(self, customer_id: SaleorId) -> Customer | None:
        """The customer's current state, or None when it no longer exists."""
        ...

    async def list_tax_rates(self) -> Sequence[ShopTaxRate]:
        """Every tax class rate per country, plus the countries' default rates."""
        ...

    async def mark_order_as_paid(self, order_id: SaleorId, reference: str) -> None:
        """Mark the order paid (orderMarkAsPaid) with the bexio invoice as reference."""
        ...

    async def confirm_order(self, order_id: SaleorId) -> None:
        """Confirm an unconfirmed order (orderConfirm)."""
        ...

    async def fulfill_order(self, order_id: SaleorId) -> None:
        """Fulfil every remaining line of the order (orderFulfill)."""
        ...

    async def cancel_order(self, order_id: SaleorId) -> None:
        """Cancel the order (orderCancel)."""
        ...

    async def add_order_note(self, order_id: SaleorId, message: str) -> None:
        """Add a note to the order's history (orderNoteAdd)."""
        ...


class BexioPort(Protocol):
    """Reads and writes in one connected bexio company; errors are `errors.py` kinds."""

    async def find_contact_by_mail(self, mail: str) -> BexioContactSnapshot | None:
        """The contact with this e-mail (lowest id when several share it), or None."""
        ...

    async def create_contact(self, draft: ContactDraft) -> BexioContactId:
        """Create a contact and return its id."""
        ...

    async def update_contact(self, contact_id: BexioContactId, draft: ContactDraft) -> None:
        """Overwrite the fields the app owns on a contact."""
        ...

    async def search_invoice_by_api_reference(self, reference: str) -> BexioInvoiceState | None:
        """The invoice created for this Saleor order id (idempotent create), or None."""
        ...

    async def get_invoice(self, invoice_id: BexioInvoiceId) -> BexioInvoiceState | None:
        """The invoice's current state, or None when it was deleted."""
        ...

    async def list_invoices_changed_since(self, since: datetime) -> Sequence[BexioInvoiceState]:
        """Invoices whose `updated_at` is at or after `since` (for the paid/cancelled poll)."""
        ...

    async def find_order_by_api_reference(
        self, reference: str, *, contact_id: BexioContactId
    ) -> BexioOrderId | None:
        """The contact's bexio order created for this Saleor order id (idempotent create)."""
        ...

    async def create_order(self, draft: OrderDraft) -> BexioOrderId:
        """Create a bexio order with its positions."""
        ...

    async def create_invoice(self, draft: InvoiceDraft) -> BexioInvoiceState:
        """Create a draft invoice with its positions."""
        ...

    async def create_invoice_from_order(
        self, order_id: BexioOrderId, draft: InvoiceDraft
    ) -> BexioInvoiceState:
        """Create the invoice from a bexio order, then set the draft's header fields on it."""
        ...

    async def issue_invoice(self, invoice_id: BexioInvoiceId) -> None:
        """Issue a draft invoice (draft → pending)."""
        ...

    async def send_invoice(self, invoice_id: BexioInvoiceId, mail: SendDraft) -> None:
        """Send the issued invoice by e-mail."""
        ...

    async def create_payment(
        self, invoice_id: BexioInvoiceId, payment: PaymentDraft
    ) -> BexioPaymentId:
        """Record a payment on an issued invoice."""
        ...

    async def list_payments(self, invoice_id: BexioInvoiceId) -> Sequence[BexioPaymentState]:
        """The payments booked on an invoice."""
        ...

    async def cancel_invoice(self, invoice_id: BexioInvoiceId) -> None:
        """Cancel an issued invoice."""
        ...

    async def delete_invoice(self, invoice_id: BexioInvoiceId) -> None:
        """Delete a draft invoice (bexio cancels only issued ones)."""
        ...

    async def create_delivery(self, order_id: BexioOrderId) -> BexioDeliveryId:
        """Create a delivery from a bexio order and issue it."""
        ...

    async def list_taxes(self) -> Sequence[BexioTax]:
        """Every sales tax, active and inactive."""
        ...

    async def list_currencies(self) -> Mapping[str, BexioCurrencyId]:
        """Currency ids by ISO code."""
        ...

    async def list_countries(self) -> Mapping[str, BexioCountryId]:
        """Country ids by ISO 3166 alpha-2 code."""
        ...

    async def list_languages(self) -> Mapping[str, BexioLanguageId]:
        """Language ids by ISO 639-1 code."""
        ...

    async def find_articles_by_sku(self, skus: Sequence[str]) -> Mapping[str, BexioArticleId]:
        """Article ids by `intern_code` for those SKUs that are bexio articles."""
        ...

    def forget_master_data(self) -> None:
        """Read taxes, currencies and settings from bexio again next time."""
        ...

    async def uses_automatic_numbering(self, document_class: str) -> bool:
        """bexio's `use_automatic_enumeration` for "KbInvoice" or "KbOrder"."""
        ...


@dataclass(frozen=True, slots=True)
class ShopChannel:
    """A Saleor channel, for choosing which channel's price is the price."""

    id: SaleorId
    slug: str
    name: str
    currency: str
    # The channel's tax configuration: whether its prices are entered gross.
    prices_entered_with_tax: bool


@dataclass(frozen=True, slots=True)
class ShopWarehouse:
    """A Saleor warehouse, for choosing which warehouse's stock is the stock."""

    id: SaleorId
    name: str


class ProductShopPort(Protocol):
    """Saleor's products for the product sync; bound to one installation.

    Every `Variant` carries all the fields the sync may need: SKU, product and variant name,
    the product's description (EditorJS JSON), weight with unit (the variant's, else the
    product's), prices by channel slug (gross when the channel enters prices with tax), stocks by
    warehouse id, the product's VAT rate as a fraction (None when unknown) and the product's
    variant count.
    """

    async def product_variants(self, product_id: SaleorId) -> Sequence[Variant] | None:
        """Every variant of the product; None when the product does not exist (any more)."""
        ...

    async def variants_page(
        self, after: str | None, first: int
    ) -> tuple[Sequence[Variant], str | None]:
        """The variants of one page of `first` products in a stable order, and the cursor of the
        next page (None after the last)."""
        ...

    async def variants_by_sku(self, skus: Sequence[str]) -> Sequence[Variant]:
        """The variants whose SKU is one of `skus`, in any order (missing ones left out)."""
        ...

    async def update_product(
        self, product_id: SaleorId, *, name: str | None = None, description: str | None = None
    ) -> None:
        """productUpdate: the name and/or the description (EditorJS JSON string)."""
        ...

    async def update_variant(
        self, variant_id: SaleorId, *, name: str | None = None, weight: Weight | None = None
    ) -> None:
        """productVariantUpdate: the variant's name and/or weight."""
        ...

    async def set_variant_price(
        self, variant_id: SaleorId, channel_slug: str, amount: Decimal
    ) -> None:
        """productVariantChannelListingUpdate: the price in that channel (as the channel enters
        prices). Raises NotFoundError when the channel does not exist."""
        ...

    async def set_variant_stock(
        self, variant_id: SaleorId, warehouse_id: SaleorId, quantity: int
    ) -> None:
        """productVariantStocksUpdate: the quantity in that warehouse (creating the stock row)."""
        ...

    async def channels(self) -> Sequence[ShopChannel]:
        """The shop's channels."""
        ...

    async def warehouses(self) -> Sequence[ShopWarehouse]:
        """The shop's warehouses."""
        ...


class ArticlePort(Protocol):
    """bexio's articles (`/2.0/article`) for the product sync; bound to one connected company."""

    async def all_articles(self) -> Sequence[Article]:
        """Every article, read page by page (bexio has no change timestamp on articles)."""
        ...

    async def articles_by_code(self, codes: Sequence[str]) -> Sequence[Article]:
        """The articles whose `intern_code` is one of `codes` (exact), in any order."""
        ...

    async def get_article(self, article_id: BexioArticleId) -> Article | None:
        """One article, or None when it was deleted."""
        ...

    async def create_article(self, draft: ArticleDraft) -> Article:
        """Create an article from the draft's set fields; the article as bexio stored it."""
        ...

    async def update_article(self, article_id: BexioArticleId, draft: ArticleDraft) -> Article:
        """Change the draft's set fields only; the article as bexio stored it.

        Raises `StockRefusedError` when bexio refuses `stock_nr` (the article has bookings),
        NotFoundError when the article is gone, RejectedError for other refusals.
        """
        ...


class SyncRepo(Protocol):
    """Per-shop settings, links and the order-action ledger, stored by the app."""

    async def shop_settings(self, shop: InstallationId) -> ShopSettings:
        """The shop's validated settings (defaults for a new shop)."""
        ...

    async def tax_mapping(self, shop: InstallationId) -> TaxMapping:
        """The shop's VAT mapping."""
        ...

    async def link(self, shop: InstallationId, kind: LinkKind, saleor_id: SaleorId) -> Link | None:
        """The bexio object linked to a Saleor object, or None."""
        ...

    async def save_link(self, shop: InstallationId, link: Link) -> None:
        """Insert or replace a link (with its new fingerprint)."""
        ...

    async def actions_done(
        self, shop: InstallationId, order_id: SaleorId
    ) -> frozenset[BexioAction]:
        """The ledger: actions already done in bexio for the order."""
        ...

    async def record_action(
        self, shop: InstallationId, order_id: SaleorId, action: BexioAction, bexio_id: int | None
    ) -> None:
        """Add an action to the ledger; recording it twice is a no-op."""
        ...


class BackSyncLedger(Protocol):
    """What bexio reported about an order's invoice and the app already acted on."""

    async def events_done(self, shop: InstallationId, order_id: SaleorId) -> frozenset[str]:
        """Back-sync events already acted on for the order."""
        ...

    async def record_event(self, shop: InstallationId, order_id: SaleorId, event: str) -> None:
        """Remember that the app acted on an event; recording it twice is a no-op."""
        ...

    async def links_by_bexio_id(
        self, shop: InstallationId, kind: LinkKind, bexio_id: int
    ) -> Sequence[Link]:
        """The Saleor objects linked to a bexio object."""
        ...

    async def cursor(self, shop: InstallationId, name: str) -> str | None:
        """A forward-only bookmark (ISO datetime), or None before the first run."""
        ...

    async def advance_cursor(self, shop: InstallationId, name: str, value: str | datetime) -> bool:
        """Move the bookmark forward; a smaller value is ignored."""
        ...


class Clock(Protocol):
    """The current time, injectable in tests."""

    def now(self) -> datetime:
        """Now, timezone-aware UTC."""
        ...

    def today(self) -> date:
        """Today's date in UTC."""
        ...
