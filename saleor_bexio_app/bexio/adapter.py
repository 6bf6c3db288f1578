"""BexioAdapter: the BexioClient seen through `sync.ports.BexioPort`.

Maps the sync drafts to bexio's wire models and bexio's answers back to sync types; every
failure is an `errors.py` kind, raised by the client (HTTP) or here (a draft bexio can't take).

Time: bexio's `updated_at` is naive Europe/Zurich local time (API.md §c "Detecting paid or
cancelled invoices"); the adapter hands out aware UTC datetimes and takes aware ones. In the
autumn hour that Zurich repeats, a naive stamp is read as its first occurrence (fold=0), and the
changed-since search then starts an hour early, so nothing is missed (some invoices come twice).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar, assert_never
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ValidationError

from saleor_bexio_app.bexio import wire
from saleor_bexio_app.bexio.client import BexioClient
from saleor_bexio_app.bexio.wire import (
    BexioContact,
    BexioContactIn,
    BexioContactType,
    BexioInvoice,
    BexioInvoiceIn,
    BexioInvoiceSendIn,
    BexioInvoiceUpdate,
    BexioItemSetting,
    BexioMwstType,
    BexioOrderIn,
    BexioPaymentIn,
    BexioPositionArticleIn,
    BexioPositionCustomIn,
    BexioPositionDiscountIn,
    BexioPositionIn,
    BexioPositionTextIn,
    BexioSearch,
    BexioSearchCriteria,
)
from saleor_bexio_app.errors import AppError, NotFoundError, RejectedError
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
)
from saleor_bexio_app.sync.contacts import BexioContactSnapshot, ContactDraft, ContactType
from saleor_bexio_app.sync.master_data import (
    BankAccountChoice,
    LanguageChoice,
    PaymentTypeChoice,
    RevenueAccountChoice,
    UserChoice,
)
from saleor_bexio_app.sync.orders import (
    ArticlePosition,
    CustomPosition,
    DiscountPosition,
    DocumentHeader,
    InvoiceDraft,
    OrderDraft,
    PaymentDraft,
    Position,
    SendDraft,
    TextPosition,
)
from saleor_bexio_app.sync.ports import BexioInvoiceState, BexioInvoiceStatus, BexioPaymentState
from saleor_bexio_app.sync.vat import BexioTax

logger = logging.getLogger(__name__)

BEXIO_ZONE = ZoneInfo("Europe/Zurich")
_M = TypeVar("_M", bound=BaseModel)
_T = TypeVar("_T")
_ZERO = Decimal(0)
_ONE_SECOND = timedelta(seconds=1)
_ONE_HOUR = timedelta(hours=1)


def from_bexio_time(value: datetime) -> datetime:
    """bexio's naive Zurich wall time as aware UTC (an aware value is only converted)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=BEXIO_ZONE)
    return value.astimezone(UTC)


def to_bexio_time(value: datetime) -> datetime:
    """An aware datetime as bexio's naive Zurich wall time, to the second."""
    if value.tzinfo is None:
        raise ValueError("pass an aware datetime")
    return value.astimezone(BEXIO_ZONE).replace(tzinfo=None, microsecond=0)


def _is_repeated_hour(local: datetime) -> bool:
    return local.replace(fold=0).utcoffset() != local.replace(fold=1).utcoffset()


class MasterDataCache:
    """bexio master data (taxes, currencies, countries, languages, document settings) per
    company, kept for `ttl` seconds so jobs do not re-read what rarely changes."""

    def __init__(self, *, ttl: float, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._monotonic = monotonic
        self._entries: dict[tuple[str, str], tuple[float, Any]] = {}

    async def get(self, company: str, name: str, load: Callable[[], Awaitable[_T]]) -> _T:
        """The cached value, or `load()`'s result cached for `ttl` seconds."""
        now = self._monotonic()
        hit = self._entries.get((company, name))
        if hit is not None and hit[0] > now:
            value: _T = hit[1]
            return value
        loaded = await load()
        self._entries[(company, name)] = (now + self._ttl, loaded)
        return loaded

    def forget(self, company: str, name: str | None = None) -> None:
        """Drop everything cached for the company, or only the entry `name`."""
        for key in [key for key in self._entries if key[0] == company]:
            if name is None or key[1] == name:
                del self._entries[key]


class BexioAdapter:
    """One connected bexio company through `BexioPort`; caches master data per instance.

    Taxes, currencies, countries, languages and document settings are read at most once per
    adapter; build one adapter per job so a change in bexio is seen by the next job.
    """

    def __init__(
        self,
        client: BexioClient,
        *,
        master_data: MasterDataCache | None = None,
        company_key: str = "default",
    ) -> None:
        self._client = client
        # Without a shared cache, master data is read once per adapter (one job).
        self._master = master_data or MasterDataCache(ttl=float("inf"))
        self._company = company_key

    def __repr__(self) -> str:
        return f"BexioAdapter({self._client!r})"

    # --- contacts --------------------------------------------------------------------------------

    async def find_contact_by_mail(self, mail: str) -> BexioContactSnapshot | None:
        """The contact with this e-mail (lowest id when several share it), or None.

        Its fingerprint is that of the contact's current fields read as a `ContactDraft`, so
        a contact that already matches the shop is planned as "skip"; None when the contact
        lacks fields the app writes (no user or owner, an unknown contact type).
        """
        wanted = mail.strip().casefold()
        if not wanted:
            return None
        found = [
            contact
            for contact in await self._client.search_contacts_by_mail(mail.strip())
            if (contact.mail or "").strip().casefold() == wanted
        ]
        if not found:
            return None
        contact = min(found, key=lambda c: c.id)
        draft = contact_draft_from_bexio(contact)
        fingerprint = draft.fingerprint() if draft is not None else None
        return BexioContactSnapshot(contact.id, contact.mail, fingerprint)

    async def create_contact(self, draft: ContactDraft) -> BexioContactId:
        """Create a contact and return its id."""
        body = _build(BexioContactIn, "contact", **_contact_fields(draft, clear=False))
        return (await self._client.create_contact(body)).id

    async def update_contact(self, contact_id: BexioContactId, draft: ContactDraft) -> None:
        """Overwrite the fields the app owns on a contact; empty ones are cleared in bexio."""
        body = _build(BexioContactIn, "contact", **_contact_fields(draft, clear=True))
        await self._client.update_contact(contact_id, body)

    # --- invoices --------------------------------------------------------------------------------

    async def search_invoice_by_api_reference(self, reference: str) -> BexioInvoiceState | None:
        """The invoice created for this Saleor order id: lowest id not cancelled, else lowest."""
        # Saleor ids are case-sensitive base64; bexio's `=` may compare without case.
        found = [
            invoice
            for invoice in await self._client.search_invoices_by_api_reference(reference)
            if invoice.api_reference == reference
        ]
        if not found:
            return None
        live = [i for i in found if i.kb_item_status_id != wire.BexioInvoiceStatus.CANCELLED]
        return _invoice_state(min(live or found, key=lambda i: i.id))

    async def get_invoice(self, invoice_id: BexioInvoiceId) -> BexioInvoiceState | None:
        """The invoice's current state, or None when it was deleted."""
        try:
            invoice = await self._client.get_invoice(invoice_id)
        except NotFoundError:
            return None
        return _invoice_state(invoice)

    async def list_invoices_changed_since(self, since: datetime) -> Sequence[BexioInvoiceState]:
        """Invoices whose `updated_at` is at or after `since` (aware), oldest change first.

        May include a few invoices changed shortly before `since` (second resolution, the
        repeated autumn hour); invoices with a status the app doesn't know are skipped.
        """
        local = to_bexio_time(since)
        if _is_repeated_hour(since.astimezone(BEXIO_ZONE)):
            local -= _ONE_HOUR
        states: list[BexioInvoiceState] = []
        # The client searches `>`; one second earlier makes it `>=` at bexio's resolution.
        async for invoice in self._client.iterate_invoices_updated_after(local - _ONE_SECOND):
            if invoice.kb_item_status_id not in _KNOWN_STATUSES:
                logger.warning(
                    "bexio invoice %s has unknown status %s; skipped",
                    invoice.id,
                    int(invoice.kb_item_status_id),
                )
                continue
            states.append(_invoice_state(invoice))
        return states

    async def create_invoice(self, draft: InvoiceDraft) -> BexioInvoiceState:
        """Create a draft invoice with its positions (api_reference set, for idempotency)."""
        body = _build(
            BexioInvoiceIn,
            "invoice",
            **_header_fields(draft.header),
            positions=_positions(draft.positions),
        )
        return _invoice_state(await self._client.create_invoice(body))

    async def create_invoice_from_order(
        self, order_id: BexioOrderId, draft: InvoiceDraft
    ) -> BexioInvoiceState:
        """Invoice a bexio order (all its positions), then set the draft's header fields on it.

        bexio copies contact, user, currency, VAT mode, title and api_reference from the order;
        texts and dates are set afterwards while the invoice is still a draft.
        """
        created = await self._client.create_invoice_from_order(
            order_id, document_nr=draft.header.document_nr
        )
        fields = _header_fields(draft.header)
        update = _build(
            BexioInvoiceUpdate,
            "invoice",
            **{key: fields[key] for key in _AFTER_ORDER_FIELDS if key in fields},
        )
        return _invoice_state(await self._client.update_invoice(created.id, update))

    async def issue_invoice(self, invoice_id: BexioInvoiceId) -> None:
        """Issue a draft invoice (draft → pending)."""
        await self._client.issue_invoice(invoice_id)

    async def send_invoice(self, invoice_id: BexioInvoiceId, mail: SendDraft) -> None:
        """Send the issued invoice by e-mail (the message carries bexio's "[Network Link]")."""
        body = _build(
            BexioInvoiceSendIn,
            "invoice e-mail",
            recipient_email=mail.recipient_email,
            subject=mail.subject,
            message=mail.message,
        )
        await self._client.send_invoice(invoice_id, body)

    async def list_payments(self, invoice_id: BexioInvoiceId) -> list[BexioPaymentState]:
        """The payments booked on an invoice."""
        return [
            BexioPaymentState(
                id=payment.id,
                value=payment.value,
                bank_account_id=None
                if payment.bank_account_id is None
                else int(payment.bank_account_id),
            )
            for payment in await self._client.list_invoice_payments(invoice_id)
        ]

    async def create_payment(
        self, invoice_id: BexioInvoiceId, payment: PaymentDraft
    ) -> BexioPaymentId:
        """Record a payment on an issued invoice; bexio keeps no note, so `note` is not sent."""
        body = _build(
            BexioPaymentIn,
            "payment",
            value=payment.value.amount,
            date=payment.date,
            bank_account_id=payment.bank_account_id,
        )
        return (await self._client.create_invoice_payment(invoice_id, body)).id

    async def cancel_invoice(self, invoice_id: BexioInvoiceId) -> None:
        """Cancel an issued invoice."""
        await self._client.cancel_invoice(invoice_id)

    async def delete_invoice(self, invoice_id: BexioInvoiceId) -> None:
        """Delete a draft invoice (bexio cancels only issued ones)."""
        await self._client.delete_invoice(invoice_id)

    # --- orders and deliveries -------------------------------------------------------------------

    async def find_order_by_api_reference(
        self, reference: str, *, contact_id: BexioContactId
    ) -> BexioOrderId | None:
        """bexio cannot search orders by `api_reference` (API.md "Corrections" 3): read the
        contact's orders and match it exactly."""
        criteria = [BexioSearch(field="contact_id", value=str(int(contact_id)))]
        async for order in self._client.iterate_search_orders(criteria):
            if order.api_reference == reference:
                return order.id
        return None

    async def create_order(self, draft: OrderDraft) -> BexioOrderId:
        """Create a bexio order with its positions."""
        body = _build(
            BexioOrderIn,
            "order",
            **_header_fields(draft.header),
            positions=_positions(draft.positions),
        )
        return (await self._client.create_order(body)).id

    async def create_delivery(self, order_id: BexioOrderId) -> BexioDeliveryId:
        """Create a delivery of all the order's positions and issue it (books stock out)."""
        delivery = await self._client.create_delivery_from_order(order_id)
        await self._client.issue_delivery(delivery.id)
        return delivery.id

    # --- master data -----------------------------------------------------------------------------

    async def list_taxes(self) -> Sequence[BexioTax]:
        """Every tax, active and inactive, sales and input taxes alike."""

        async def load() -> tuple[BexioTax, ...]:
            return tuple(_tax(tax) for tax in await self._client.list_taxes())

        return await self._master.get(self._company, "taxes", load)

    async def list_currencies(self) -> Mapping[str, BexioCurrencyId]:
        """Currency ids by upper-case ISO 4217 code (bexio's `name`)."""

        async def load() -> dict[str, BexioCurrencyId]:
            currencies = await self._client.list_currencies()
            return _by_code((c.name.strip().upper(), c.id) for c in currencies)

        return await self._master.get(self._company, "currencies", load)

    async def list_countries(self) -> Mapping[str, BexioCountryId]:
        """Country ids by upper-case ISO 3166 alpha-2 code; countries without one are left out.

        `name_short` is not used: it is bexio's own code ("D", "FL"), not ISO (API.md §c).
        """

        async def load() -> dict[str, BexioCountryId]:
            countries = await self._client.list_countries()
            return _by_code(((c.iso_3166_alpha2 or "").strip().upper(), c.id) for c in countries)

        return await self._master.get(self._company, "countries", load)

    async def list_languages(self) -> Mapping[str, BexioLanguageId]:
        """Language ids by lower-case ISO 639-1 code."""

        async def load() -> dict[str, BexioLanguageId]:
            languages = await self._client.list_languages()
            return _by_code(((lang.iso_639_1 or "").strip().lower(), lang.id) for lang in languages)

        return await self._master.get(self._company, "languages", load)

    def forget_master_data(self) -> None:
        """Read master data from bexio again next time (after a configuration error)."""
        self._master.forget(self._company)

    def forget_document_settings(self) -> None:
        """Read the document settings (numbering) from bexio again next time."""
        self._master.forget(self._company, _ITEM_SETTINGS)

    async def uses_automatic_numbering(self, document_class: str) -> bool:
        """bexio's `use_automatic_enumeration` for a document class ("KbInvoice", "KbOrder")."""

        async def load() -> tuple[BexioItemSetting, ...]:
            return tuple(await self._client.list_item_settings())

        for setting in await self._master.get(self._company, _ITEM_SETTINGS, load):
            if setting.kb_item_class == document_class:
                return setting.use_automatic_enumeration
        raise AppError(
            "bexio sent no document settings for this kind of document.",
            detail=f"kb_item_setting has no entry for {document_class}",
        )

    # --- choices for the settings pages ----------------------------------------------------------

    async def list_users(self) -> Sequence[UserChoice]:
        """Every user of the company, by id; the name is "first last", else the e-mail."""

        async def load() -> tuple[UserChoice, ...]:
            users = sorted(await self._client.list_users(), key=lambda u: u.id)
            return tuple(UserChoice(u.id, _user_name(u), u.email or None) for u in users)

        return await self._master.get(self._company, "user_choices", load)

    async def list_bank_accounts(self) -> Sequence[BankAccountChoice]:
        """Every bank account, by id, with its IBAN and currency code when bexio has them."""

        async def load() -> tuple[BankAccountChoice, ...]:
            codes = {
                currency_id: code for code, currency_id in (await self.list_currencies()).items()
            }
            accounts = sorted(await self._client.list_bank_accounts(), key=lambda a: a.id)
            return tuple(
                BankAccountChoice(
                    id=account.id,
                    name=account.name,
                    iban=_blank_to_none(account.iban_nr),
                    currency=None
                    if account.currency_id is None
                    else codes.get(account.currency_id),
                )
                for account in accounts
            )

        return await self._master.get(self._company, "bank_account_choices", load)

    async def list_payment_types(self) -> Sequence[PaymentTypeChoice]:
        """Every payment type, by id."""

        async def load() -> tuple[PaymentTypeChoice, ...]:
            types = sorted(await self._client.list_payment_types(), key=lambda t: t.id)
            return tuple(PaymentTypeChoice(t.id, t.name) for t in types)

        return await self._master.get(self._company, "payment_type_choices", load)

    async def list_language_choices(self) -> Sequence[LanguageChoice]:
        """Every language, by id, with its ISO 639-1 code when bexio names one."""

        async def load() -> tuple[LanguageChoice, ...]:
            languages = sorted(await self._client.list_languages(), key=lambda lang: lang.id)
            return tuple(
                LanguageChoice(lang.id, lang.name, _blank_to_none(lang.iso_639_1))
                for lang in languages
            )

        return await self._master.get(self._company, "language_choices", load)

    async def list_revenue_accounts(self) -> Sequence[RevenueAccountChoice]:
        """The active revenue (earnings, `account_type` 1) accounts, by account number."""

        async def load() -> tuple[RevenueAccountChoice, ...]:
            criteria = [
                BexioSearch(
                    field="account_type",
                    value=str(int(wire.BexioAccountType.EARNINGS)),
                    criteria=BexioSearchCriteria.EQUAL,
                )
            ]
            accounts = [
                account
                for account in await self._client.search_accounts(criteria)
                # Filtered again: bexio ignores a search it misreads (API.md "Corrections" 4).
                if account.account_type == wire.BexioAccountType.EARNINGS and account.is_active
            ]
            accounts.sort(key=lambda a: (a.account_no, a.id))
            return tuple(RevenueAccountChoice(a.id, a.account_no, a.name) for a in accounts)

        return await self._master.get(self._company, "revenue_account_choices", load)

    async def find_articles_by_sku(self, skus: Sequence[str]) -> Mapping[str, BexioArticleId]:
        """Article ids by `intern_code` for those SKUs that are bexio articles (exact match).

        One `=` search per distinct SKU, one after another under the client's rate limiter:
        the value format of bexio's `in` criterion is undocumented, and a search bexio doesn't
        understand answers an empty list (API.md "Corrections" 4), which would quietly turn
        every article into a custom position.
        """
        found: dict[str, BexioArticleId] = {}
        for sku in dict.fromkeys(s for s in skus if s.strip()):
            articles = await self._client.search_articles_by_intern_code(sku)
            exact = [article.id for article in articles if article.intern_code == sku]
            if exact:
                found[sku] = min(exact)
        return found


# --- contacts ------------------------------------------------------------------------------------

_CONTACT_OPTIONAL = (
    "name_2",
    "street_name",
    "house_number",
    "address_addition",
    "postcode",
    "city",
    "country_id",
    "phone_fixed",
    "language_id",
)


def _contact_fields(draft: ContactDraft, *, clear: bool) -> dict[str, object]:
    fields: dict[str, object] = {
        "contact_type_id": BexioContactType(int(draft.contact_type_id)),
        "name_1": draft.name_1,
        "user_id": draft.user_id,
        "owner_id": draft.owner_id,
        "mail": draft.mail,
    }
    for key in _CONTACT_OPTIONAL:
        value = getattr(draft, key)
        # On edit, None is sent as null so that bexio drops what the shop no longer has.
        if value is not None or clear:
            fields[key] = value
    return fields


def _blank_to_none(value: str | None) -> str | None:
    if value is None:
        return None
    return value.strip() or None


def contact_draft_from_bexio(contact: BexioContact) -> ContactDraft | None:
    """The contact's app-owned fields as the ContactDraft that would have written them.

    bexio answers "" for most empty strings, the planner uses None: blanks count as None.
    None when the contact lacks a user or owner or has a type the app doesn't write.
    """
    if contact.user_id is None or contact.owner_id is None:
        return None
    try:
        contact_type = ContactType(int(contact.contact_type_id))
    except ValueError:
        return None
    return ContactDraft(
        contact_type_id=contact_type,
        name_1=contact.name_1,
        name_2=_blank_to_none(contact.name_2),
        street_name=_blank_to_none(contact.street_name),
        house_number=_blank_to_none(contact.house_number),
        address_addition=_blank_to_none(contact.address_addition),
        postcode=_blank_to_none(contact.postcode),
        city=_blank_to_none(contact.city),
        country_id=contact.country_id,
        mail=(contact.mail or "").strip(),
        phone_fixed=_blank_to_none(contact.phone_fixed),
        language_id=contact.language_id,
        user_id=contact.user_id,
        owner_id=contact.owner_id,
    )


# --- documents -----------------------------------------------------------------------------------

# Header fields a bexio order doesn't pass on to its invoice, or that the invoice draft decides.
_AFTER_ORDER_FIELDS = (
    "title",
    "api_reference",
    "is_valid_from",
    "header",
    "footer",
    "language_id",
    "bank_account_id",
    "payment_type_id",
)
_KNOWN_STATUSES = frozenset(int(status) for status in BexioInvoiceStatus)


def _header_fields(header: DocumentHeader) -> dict[str, object]:
    fields: dict[str, object] = {
        "contact_id": header.contact_id,
        "user_id": header.user_id,
        "currency_id": header.currency_id,
        "mwst_type": BexioMwstType(header.mwst_type),
        "mwst_is_net": header.mwst_is_net,
        "api_reference": header.api_reference,
        "title": header.title,
        "is_valid_from": header.is_valid_from,
    }
    optional = {
        # Sent only in manual numbering: bexio refuses it when it numbers documents (API.md §e).
        "document_nr": header.document_nr,
        "language_id": header.language_id,
        "bank_account_id": header.bank_account_id,
        "payment_type_id": header.payment_type_id,
        # Left out when empty so that bexio fills in the company's default texts.
        "header": header.header or None,
        "footer": header.footer or None,
    }
    fields.update({key: value for key, value in optional.items() if value is not None})
    return fields


def _positions(positions: Sequence[Position]) -> list[BexioPositionIn]:
    return [_position(position) for position in positions]


def _position(position: Position) -> BexioPositionIn:
    if isinstance(position, ArticlePosition):
        return _build(
            BexioPositionArticleIn,
            "position",
            article_id=position.article_id,
            text=position.text,
            amount=position.amount,
            unit_price=position.unit_price,
            tax_id=position.tax_id,
            account_id=position.account_id,
        )
    if isinstance(position, CustomPosition):
        return _build(
            BexioPositionCustomIn,
            "position",
            text=position.text,
            amount=position.amount,
            unit_price=position.unit_price,
            tax_id=position.tax_id,
            account_id=position.account_id,
        )
    if isinstance(position, DiscountPosition):
        return _build(
            BexioPositionDiscountIn,
            "discount",
            text=position.text,
            is_percentual=position.is_percentual,
            value=position.value,
        )
    if isinstance(position, TextPosition):
        # A note such as "Paid with gift card": no position number, like a remark.
        return _build(BexioPositionTextIn, "text line", text=position.text, show_pos_nr=False)
    assert_never(position)


def _invoice_state(invoice: BexioInvoice) -> BexioInvoiceState:
    try:
        status = BexioInvoiceStatus(int(invoice.kb_item_status_id))
    except ValueError:
        raise AppError(
            "bexio reported an invoice status the app does not know.",
            detail=f"invoice {invoice.id}: kb_item_status_id {int(invoice.kb_item_status_id)}",
        ) from None
    return BexioInvoiceState(
        id=invoice.id,
        document_nr=invoice.document_nr or "",
        status=status,
        total=invoice.total if invoice.total is not None else _ZERO,
        api_reference=invoice.api_reference or None,
        updated_at=from_bexio_time(invoice.updated_at) if invoice.updated_at else None,
    )


# --- master data ---------------------------------------------------------------------------------

_ITEM_SETTINGS = "item_settings"


def _user_name(user: wire.BexioUser) -> str:
    name = " ".join(
        part.strip() for part in (user.firstname, user.lastname) if part and part.strip()
    )
    return name or (user.email or "").strip() or f"#{int(user.id)}"


def _tax(tax: wire.BexioTax) -> BexioTax:
    return BexioTax(
        id=tax.id,
        code=tax.code or "",
        percentage=tax.value,
        is_active=tax.is_active,
        type=tax.type,
        name=tax.display_name or tax.name,
    )


_I = TypeVar("_I", bound=int)


def _by_code(pairs: Iterable[tuple[str, _I]]) -> dict[str, _I]:
    # Several rows with one code: the lowest id wins, so the answer doesn't depend on order.
    out: dict[str, _I] = {}
    for code, row_id in sorted(pairs, key=lambda pair: pair[1]):
        if code:
            out.setdefault(code, row_id)
    return out


# --- building wire models ------------------------------------------------------------------------


def _build(model: type[_M], what: str, **fields: object) -> _M:
    """A request model from a draft; a draft bexio can't take is a RejectedError, not a crash."""
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        # Locations and error types only: the values may be customer data.
        problems = sorted(
            {
                ".".join(str(part) for part in error["loc"]) + ":" + error["type"]
                for error in exc.errors(include_input=False, include_url=False)
            }
        )
        raise RejectedError(
            f"The {what} cannot be sent to bexio as it is.",
            detail=f"{model.__name__}: {', '.join(problems[:10])}",
        ) from exc
