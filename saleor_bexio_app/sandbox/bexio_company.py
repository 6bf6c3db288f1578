"""One emulated bexio company: master data, contacts, articles and their rules.

Records are kept exactly as bexio's GET endpoints return them (JSON-ready dicts, amounts as
decimal strings); every rule that can fail raises `ApiError` with bexio's error body. Documents
live in `bexio_documents.py`; the HTTP layer (`bexio_api.py`) only parses, pages and renders.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from saleor_bexio_app.sandbox import bexio_seed as seed
from saleor_bexio_app.sandbox.bexio_forms import (
    INVALID,
    TAKEN,
    Form,
    not_found,
    validation_error_v3,
)
from saleor_bexio_app.sandbox.bexio_totals import ZERO, fixed, json_number, plain, to_decimal

Json = dict[str, Any]
DocKind = Literal["invoice", "order", "delivery"]
RenderStyle = Literal["get", "create", "edit", "derived"]

_SETTING_CLASS: dict[DocKind, str] = {
    "invoice": "KbInvoice",
    "order": "KbOrder",
    "delivery": "KbDelivery",
}


CONTACT_KEYS = (
    "id", "nr", "contact_type_id", "name_1", "name_2", "salutation_id", "salutation_form",
    "title_id", "birthday", "address", "street_name", "house_number", "address_addition",
    "postcode", "city", "country_id", "mail", "mail_second", "phone_fixed", "phone_fixed_second",
    "phone_mobile", "fax", "url", "skype_name", "remarks", "language_id", "is_lead",
    "contact_group_ids", "contact_branch_ids", "user_id", "owner_id", "profile_image", "updated_at",
)  # fmt: skip
_CONTACT_TEXT = (
    "name_2", "postcode", "city", "phone_fixed", "phone_fixed_second",
    "phone_mobile", "fax", "url", "skype_name", "remarks",
)  # fmt: skip
_CONTACT_NULLABLE_TEXT = (
    "salutation_form", "birthday", "street_name", "house_number", "address_addition",
    "contact_group_ids", "contact_branch_ids",
)  # fmt: skip
_CONTACT_WRITABLE = (
    "nr", "contact_type_id", "name_1", "salutation_id", "titel_id", "title_id", "country_id",
    "mail", "mail_second", "language_id", "user_id", "owner_id", *_CONTACT_TEXT,
    *_CONTACT_NULLABLE_TEXT,
)  # fmt: skip
_CONTACT_READ_ONLY = ("id", "is_lead", "updated_at", "profile_image")

ARTICLE_KEYS = (
    "id", "user_id", "article_type_id", "contact_id", "deliverer_code", "deliverer_name",
    "deliverer_description", "intern_code", "intern_name", "intern_description", "purchase_price",
    "sale_price", "purchase_total", "sale_total", "currency_id", "tax_income_id", "tax_id",
    "tax_expense_id", "unit_id", "is_stock", "stock_id", "stock_place_id", "stock_nr",
    "stock_min_nr", "stock_reserved_nr", "stock_available_nr", "stock_picked_nr",
    "stock_disposed_nr", "stock_ordered_nr", "width", "height", "weight", "volume", "html_text",
    "remarks", "delivery_price", "article_group_id", "account_id", "expense_account_id",
)  # fmt: skip
_ARTICLE_TEXT = (
    "deliverer_code", "deliverer_name", "deliverer_description", "intern_description",
    "html_text", "remarks",
)  # fmt: skip
_ARTICLE_INTS = (
    "contact_id", "stock_id", "stock_place_id", "width", "height", "weight", "volume",
    "article_group_id", "expense_account_id", "tax_expense_id",
)  # fmt: skip
_ARTICLE_NUMBERS = ("purchase_total", "sale_total", "delivery_price")
_STOCK_COUNTERS = (
    "stock_nr", "stock_min_nr", "stock_reserved_nr", "stock_picked_nr", "stock_disposed_nr",
    "stock_ordered_nr",
)  # fmt: skip
_ARTICLE_WRITABLE = (
    "user_id", "article_type_id", "intern_code", "intern_name", "purchase_price", "sale_price",
    "currency_id", "tax_income_id", "unit_id", "is_stock", "stock_nr", "stock_min_nr",
    "account_id", *_ARTICLE_TEXT, *_ARTICLE_INTS, *_ARTICLE_NUMBERS,
)  # fmt: skip
_ARTICLE_READ_ONLY = (
    "id", "tax_id", "stock_reserved_nr", "stock_available_nr", "stock_picked_nr",
    "stock_disposed_nr", "stock_ordered_nr",
)  # fmt: skip


def _zurich() -> ZoneInfo | None:
    try:
        return ZoneInfo("Europe/Zurich")
    except ZoneInfoNotFoundError:
        return None


class BexioCompany:
    """One bexio company: master data seeded from recorded responses, contacts, articles."""

    def __init__(self, *, clock: Callable[[], float], company_name: str) -> None:
        self._clock = clock
        self._zone = _zurich()
        self.taxes = _by_id(seed.TAXES)
        self.accounts = _by_id(seed.ACCOUNTS)
        self.currencies = _by_id(seed.CURRENCIES)
        self.currency_codes = list(seed.CURRENCY_CODES)
        self.countries = _by_id(seed.COUNTRIES)
        self.languages = _by_id(seed.LANGUAGES)
        self.units = _by_id(seed.UNITS)
        self.payment_types = _by_id(seed.PAYMENT_TYPES)
        self.bank_accounts = _by_id(seed.BANK_ACCOUNTS)
        self.users = _by_id(seed.USERS)
        self.kb_item_settings = _by_id(seed.KB_ITEM_SETTINGS)
        self.company_profile: Json = {**copy.deepcopy(seed.COMPANY_PROFILE), "name": company_name}
        self.contacts: dict[int, Json] = {1: copy.deepcopy(seed.CONTACT_BEXIO_AG)}
        self.articles: dict[int, Json] = {}
        self.archived_contacts: set[int] = set()
        self.booked_articles: set[int] = set()
        self._ids: dict[str, int] = {"contact": 1, "contact_nr": 1}

    # --- time and ids -------------------------------------------------------------------------

    def now(self) -> datetime:
        """bexio's local time (Europe/Zurich; bexio's timestamps carry no zone)."""
        moment = datetime.fromtimestamp(self._clock(), tz=UTC)
        return moment.astimezone(self._zone) if self._zone else moment

    def timestamp(self) -> str:
        """`updated_at` format: "YYYY-MM-DD HH:MM:SS"."""
        return self.now().strftime("%Y-%m-%d %H:%M:%S")

    def today(self) -> str:
        """Today's date in bexio's time zone."""
        return self.now().date().isoformat()

    def next_id(self, table: str) -> int:
        """The next id of a table (bexio numbers every table on its own)."""
        self._ids[table] = self._ids.get(table, 0) + 1
        return self._ids[table]

    # --- master data helpers ------------------------------------------------------------------

    def set_numbering(self, automatic: bool) -> None:
        """Automatic (bexio assigns `document_nr`) or manual numbering of offers/orders/invoices."""
        for setting in self.kb_item_settings.values():
            if setting["kb_item_class"] in ("KbOffer", "KbOrder", "KbInvoice"):
                setting["use_automatic_enumeration"] = automatic

    def automatic_numbering(self, kind: DocKind) -> bool:
        """Whether bexio numbers documents of this kind itself."""
        return bool(self.setting(kind)["use_automatic_enumeration"])

    def add_tax(
        self,
        *,
        value: Decimal | str,
        code: str,
        type: str = "sales_tax",
        is_active: bool = True,
        digit: str = "303",
        account_id: int = 105,
        start_year: int | None = 2024,
        end_year: int | None = None,
    ) -> Json:
        """Add a tax like bexio's /3.0/taxes shows it; returns the record."""
        tax_id = max(self.taxes) + 1
        rate = Decimal(str(value))
        number = json_number(rate)
        self.taxes[tax_id] = {
            "id": tax_id,
            "uuid": str(uuid.uuid4()),
            "name": f"lib.model.tax.ch.custom_{code.lower()}.name",
            "code": code,
            "digit": digit,
            "type": type,
            "account_id": account_id,
            "tax_settlement_type": "none",
            "value": number,
            "net_tax_value": None,
            "start_year": start_year,
            "end_year": end_year,
            "is_active": is_active,
            "display_name": f"{code} - {fixed(rate, 2)}%",
            "start_month": 1 if start_year else None,
            "end_month": 12 if end_year else None,
        }
        return self.taxes[tax_id]

    def add_account(
        self, *, account_no: str, name: str, account_type: int = 1, is_active: bool = True
    ) -> Json:
        """Add a ledger account (account_type 1 = earnings); returns the record."""
        account_id = max(self.accounts) + 1
        self.accounts[account_id] = {
            "id": account_id,
            "uuid": str(uuid.uuid4()),
            "account_no": account_no,
            "name": name,
            "account_type": account_type,
            "tax_id": None,
            "fibu_account_group_id": 52,
            "is_active": is_active,
            "is_locked": False,
        }
        return self.accounts[account_id]

    def sales_tax_ok(self, tax_id: int) -> bool:
        """Positions accept only active sales taxes (fields.json, position tax_id)."""
        tax = self.taxes.get(tax_id)
        return bool(tax and tax["type"] == "sales_tax" and tax["is_active"])

    def account_ok(self, account_id: int) -> bool:
        """An existing, active account."""
        account = self.accounts.get(account_id)
        return bool(account and account["is_active"])

    def setting(self, kind: DocKind) -> Json:
        """The kb_item_setting of a document kind (numbering, defaults)."""
        cls = _SETTING_CLASS[kind]
        return next(s for s in self.kb_item_settings.values() if s["kb_item_class"] == cls)

    # --- contacts -----------------------------------------------------------------------------

    def create_contact(self, body: object) -> Json:
        """POST /2.0/contact."""
        form = Form(body, _CONTACT_WRITABLE, _CONTACT_READ_ONLY)
        form.require("contact_type_id", "name_1", "user_id", "owner_id")
        record: Json = dict.fromkeys(CONTACT_KEYS)
        self._apply_contact(record, form)
        form.check()
        contact_id = self.next_id("contact")
        nr = self.next_id("contact_nr")
        record.update(
            id=contact_id,
            is_lead=False,
            profile_image=seed.PNG_1PX,
            updated_at=self.timestamp(),
        )
        if not record["nr"]:
            record["nr"] = f"{nr:06d}"
        self.contacts[contact_id] = record
        return record

    def update_contact(self, contact_id: int, body: object) -> Json:
        """POST /2.0/contact/{id}: a partial edit (only the fields sent change)."""
        record = self.contact(contact_id)
        form = Form(body, _CONTACT_WRITABLE, _CONTACT_READ_ONLY)
        for key in ("contact_type_id", "name_1", "user_id", "owner_id"):
            if key in form:
                form.require(key)
        changed = dict(record)
        self._apply_contact(changed, form)
        form.check()
        changed["updated_at"] = self.timestamp()
        record.update(changed)
        return record

    def _apply_contact(self, record: Json, form: Form) -> None:
        user_ok = self.users.__contains__
        values: Json = {}
        if "contact_type_id" in form:
            values["contact_type_id"] = form.integer("contact_type_id", valid=lambda v: v in (1, 2))
        for key in ("user_id", "owner_id"):
            if key in form:
                values[key] = form.integer(key, valid=user_ok)
        if "country_id" in form:
            values["country_id"] = form.integer("country_id", valid=self.countries.__contains__)
        if "language_id" in form:
            values["language_id"] = form.integer("language_id", valid=self.languages.__contains__)
        for key in ("salutation_id", "titel_id", "title_id"):
            if key in form:
                values["title_id" if key == "titel_id" else key] = form.integer(key)
        if "name_1" in form:
            values["name_1"] = form.text("name_1")
        if "nr" in form:
            values["nr"] = form.text("nr", null_as=None)
        for key in _CONTACT_TEXT:
            if key in form:
                values[key] = form.text(key)
        for key in ("mail", "mail_second"):
            if key in form:
                values[key] = form.email(key)
        for key in _CONTACT_NULLABLE_TEXT:
            if key in form:
                values[key] = form.text(key, null_as=None)
        if record.get("id") is None:
            # Recorded: null strings come back as "" except street/house fields and a few ids.
            for key in (*_CONTACT_TEXT, "mail", "mail_second"):
                values.setdefault(key, "")
        record.update(values)
        street = record.get("street_name")
        if street:
            record["address"] = f"{street} {record.get('house_number') or ''}".strip()
        elif "street_name" in values:
            record["address"] = None

    def contact(self, contact_id: int) -> Json:
        """A contact, or 404."""
        record = self.contacts.get(contact_id)
        if record is None:
            raise not_found()
        return record

    def archive_contact(self, contact_id: int) -> None:
        """DELETE /2.0/contact/{id}: contacts are archived, not deleted."""
        if contact_id not in self.contacts or contact_id in self.archived_contacts:
            raise not_found()
        self.archived_contacts.add(contact_id)

    def restore_contact(self, contact_id: int) -> None:
        """PATCH /2.0/contact/{id}/restore."""
        if contact_id not in self.archived_contacts:
            raise not_found()
        self.archived_contacts.discard(contact_id)

    # --- articles -----------------------------------------------------------------------------

    def create_article(self, body: object) -> Json:
        """POST /2.0/article."""
        return self._insert_article(body, self._code_taken)

    def add_articles(
        self, rows: Iterable[Mapping[str, Any]], *, unique_codes: bool = True
    ) -> list[Json]:
        """Create many articles at once, each as POST /2.0/article would (for seeding tests).

        Checks each `intern_code` against a set instead of every article, so thousands are
        quick. `unique_codes=False` lets articles share an `intern_code`, to test how the app
        treats duplicate article numbers. Returns the records in the order given; a refused
        row raises bexio's 422 `ApiError`, keeping the rows before it.
        """
        codes = {record["intern_code"] for record in self.articles.values()}
        added: list[Json] = []
        for row in rows:
            record = self._insert_article(row, lambda code, _id: unique_codes and code in codes)
            codes.add(record["intern_code"])
            added.append(record)
        return added

    def book_stock(self, article_id: int, quantity: int | None = None) -> Json:
        """A stock booking in bexio (e.g. a user's stock correction): the stock becomes
        `quantity` (unchanged when None), stock tracking is on, and from now on the API refuses
        a `stock_nr` that differs from the current one."""
        record = self.article(article_id)
        record["is_stock"] = True
        if quantity is not None:
            record["stock_nr"] = quantity
        record["stock_available_nr"] = record["stock_nr"] - record["stock_reserved_nr"]
        self.booked_articles.add(article_id)
        return record

    def _insert_article(self, body: object, taken: Callable[[str, int | None], bool]) -> Json:
        form = Form(body, _ARTICLE_WRITABLE, _ARTICLE_READ_ONLY)
        form.require("intern_code", "intern_name")
        record: Json = dict.fromkeys(ARTICLE_KEYS)
        record.update(
            user_id=1,
            article_type_id=1,
            currency_id=1,
            is_stock=False,
            **dict.fromkeys(_ARTICLE_TEXT, ""),
            **dict.fromkeys(_STOCK_COUNTERS, 0),
            stock_available_nr=0,
        )
        self._apply_article(record, form, creating=True, taken=taken)
        form.check()
        article_id = self.next_id("article")
        record["id"] = article_id
        self.articles[article_id] = record
        return record

    def _code_taken(self, code: str, article_id: int | None) -> bool:
        return any(
            a["intern_code"] == code and a["id"] != article_id for a in self.articles.values()
        )

    def update_article(self, article_id: int, body: object) -> Json:
        """POST /2.0/article/{id}: partial edit; `article_type_id` is read-only here."""
        record = self.article(article_id)
        form = Form(body, _ARTICLE_WRITABLE, _ARTICLE_READ_ONLY)
        form.data.pop("article_type_id", None)
        for key in ("intern_code", "intern_name"):
            if key in form:
                form.require(key)
        changed = dict(record)
        self._apply_article(changed, form, creating=False, taken=self._code_taken)
        form.check()
        record.update(changed)
        return record

    def _apply_article(
        self,
        record: Json,
        form: Form,
        *,
        creating: bool,
        taken: Callable[[str, int | None], bool],
    ) -> None:
        if "user_id" in form:
            record["user_id"] = form.integer("user_id", valid=self.users.__contains__) or 1
        if "article_type_id" in form:
            record["article_type_id"] = form.integer("article_type_id", valid=lambda v: v in (1, 2))
        for key in ("intern_code", "intern_name"):
            if key in form:
                record[key] = form.text(key)
        code = record.get("intern_code")
        if code and taken(code, record["id"]):
            form.errors.append(f"intern_code: {TAKEN}")
        for key in _ARTICLE_TEXT:
            if key in form:
                record[key] = form.text(key)
        for key in ("purchase_price", "sale_price"):
            if key in form:
                number = form.decimal(key)
                record[key] = fixed(number, 6) if number is not None else None
        for key in _ARTICLE_NUMBERS:
            if key in form:
                number = form.decimal(key)
                record[key] = json_number(number) if number is not None else None
        for key in _ARTICLE_INTS:
            if key in form:
                record[key] = form.integer(key)
        if "currency_id" in form:
            currency = form.integer("currency_id", valid=self.currencies.__contains__)
            record["currency_id"] = currency if currency or not creating else 1
        if "tax_income_id" in form:
            record["tax_income_id"] = form.integer("tax_income_id", valid=self.sales_tax_ok)
            record["tax_id"] = record["tax_income_id"]
        if "unit_id" in form:
            record["unit_id"] = form.integer("unit_id", valid=self.units.__contains__)
        if "account_id" in form:
            record["account_id"] = form.integer("account_id", valid=self.account_ok)
        if "is_stock" in form:
            record["is_stock"] = bool(form.boolean("is_stock"))
        if "stock_min_nr" in form:
            record["stock_min_nr"] = form.integer("stock_min_nr") or 0
        if "stock_nr" in form:
            stock = form.integer("stock_nr") or 0
            # fields.json: stock_nr can only be set while the article has no bookings.
            if record.get("id") in self.booked_articles and stock != record["stock_nr"]:
                form.errors.append(f"stock_nr: {INVALID}")
            record["stock_nr"] = stock
        record["stock_available_nr"] = record["stock_nr"] - record["stock_reserved_nr"]

    def article(self, article_id: int) -> Json:
        """An article, or 404."""
        record = self.articles.get(article_id)
        if record is None:
            raise not_found()
        return record

    def delete_article(self, article_id: int) -> None:
        """DELETE /2.0/article/{id}."""
        self.article(article_id)
        del self.articles[article_id]

    # --- 3.0 currencies -----------------------------------------------------------------------

    def create_currency(self, body: object) -> Json:
        """POST /3.0/currencies: 3.0 validation errors are an object keyed by field."""
        data: Mapping[str, Any] = body if isinstance(body, Mapping) else {}
        errors: dict[str, tuple[str, str]] = {}
        name = data.get("name")
        factor = to_decimal(data.get("round_factor"))
        if not isinstance(name, str) or not name:
            errors["name"] = ("required", "This value should not be blank.")
        elif name not in self.currency_codes:
            errors["name"] = ("choice", "The value you selected is not a valid choice.")
        elif any(c["name"] == name for c in self.currencies.values()):
            errors["name"] = ("unique_object", f"Must be unique. {name} is already taken")
        if factor is None or factor <= 0:
            errors["round_factor"] = ("required", "This value should not be blank.")
        if errors:
            raise validation_error_v3(errors)
        currency_id = max(self.currencies) + 1
        record = {"id": currency_id, "name": name, "round_factor": json_number(factor or ZERO)}
        self.currencies[currency_id] = record
        return record


def render_article(record: Json, *, style: RenderStyle) -> Json:
    """Create/edit answers carry the stock counters as strings (API.md correction 9)."""
    out = dict(record)
    if style == "create":
        for key in _STOCK_COUNTERS:
            out[key] = str(record[key])
    elif style == "edit":
        for key in ("stock_nr", "stock_min_nr"):
            out[key] = str(record[key])
    if style != "get":
        for key in ("purchase_price", "sale_price"):
            if record[key] is not None:
                out[key] = plain(Decimal(record[key]))
    return out


def _by_id(rows: Iterable[Json]) -> dict[int, Json]:
    return {int(row["id"]): copy.deepcopy(row) for row in rows}


def display_name(contact: Json | None) -> str:
    """How bexio names a contact on documents: a company's name, a person's first and last."""
    if contact is None:
        return ""
    if contact.get("contact_type_id") == 2:
        return f"{contact.get('name_2') or ''} {contact.get('name_1') or ''}".strip()
    return str(contact.get("name_1") or "")
