"""Orders, invoices and deliveries of the emulated company, with bexio's document rules.

Status ids are bexio's (API.md correction 5): invoice 7 draft, 8 pending, 9 paid, 16 partial,
19 cancelled; order 5 pending, 6 done, 15 partial, 21 cancelled; delivery 10 draft, 18 done.
Totals follow `bexio_totals.py`; number formats differ between create and GET answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal

from saleor_bexio_app.sandbox.bexio_company import (
    BexioCompany,
    DocKind,
    Json,
    RenderStyle,
    display_name,
)
from saleor_bexio_app.sandbox.bexio_forms import (
    INVALID,
    NOT_BLANK,
    REQUIRED,
    Form,
    forbidden,
    form_error,
    nest_field_errors,
    not_found,
    rejected,
)
from saleor_bexio_app.sandbox.bexio_totals import (
    ZERO,
    Discount,
    TaxedLine,
    document_totals,
    fixed,
    json_number,
    plain,
    position_total,
    to_decimal,
)

INVOICE_DRAFT, INVOICE_PENDING, INVOICE_PAID = 7, 8, 9
INVOICE_PARTIAL, INVOICE_CANCELLED, INVOICE_UNPAID = 16, 19, 31
ORDER_PENDING, ORDER_DONE, ORDER_PARTIAL, ORDER_CANCELLED = 5, 6, 15, 21
DELIVERY_DRAFT, DELIVERY_DONE, DELIVERY_CANCELLED = 10, 18, 20
OPEN_INVOICE = (INVOICE_PENDING, INVOICE_PARTIAL, INVOICE_UNPAID)
_PRICED = ("KbPositionCustom", "KbPositionArticle")
_INLINE_TYPES = (
    "KbPositionCustom",
    "KbPositionArticle",
    "KbPositionText",
    "KbPositionSubtotal",
    "KbPositionPagebreak",
    "KbPositionDiscount",
)
POSITION_TYPES = {
    "kb_position_custom": "KbPositionCustom",
    "kb_position_article": "KbPositionArticle",
    "kb_position_text": "KbPositionText",
    "kb_position_subtotal": "KbPositionSubtotal",
    "kb_position_pagebreak": "KbPositionPagebreak",
    "kb_position_discount": "KbPositionDiscount",
    "kb_position_subposition": "KbPositionSubposition",
}
INVOICE_KEYS = (
    "id", "document_nr", "title", "contact_id", "contact_sub_id", "user_id", "project_id",
    "logopaper_id", "language_id", "bank_account_id", "currency_id", "payment_type_id", "header",
    "footer", "total_gross", "total_net", "total_taxes", "total_received_payments",
    "total_credit_vouchers", "total_remaining_payments", "total", "total_rounding_difference",
    "mwst_type", "mwst_is_net", "show_position_taxes", "is_valid_from", "is_valid_to",
    "contact_address", "kb_item_status_id", "reference", "api_reference", "viewed_by_client_at",
    "updated_at", "esr_id", "qr_invoice_id", "template_slug", "taxs", "positions", "network_link",
)  # fmt: skip
ORDER_KEYS = (
    "id", "document_nr", "title", "contact_id", "contact_sub_id", "user_id", "project_id",
    "logopaper_id", "language_id", "bank_account_id", "currency_id", "payment_type_id", "header",
    "footer", "total_gross", "total_net", "total_taxes", "total", "total_rounding_difference",
    "mwst_type", "mwst_is_net", "show_position_taxes", "is_valid_from", "contact_address",
    "delivery_address_type", "delivery_address", "kb_item_status_id", "is_recurring",
    "api_reference", "viewed_by_client_at", "updated_at", "template_slug", "taxs", "positions",
    "network_link",
)  # fmt: skip
DELIVERY_KEYS = (
    "id", "document_nr", "title", "contact_id", "contact_sub_id", "user_id", "logopaper_id",
    "language_id", "bank_account_id", "currency_id", "header", "footer", "total_gross",
    "total_net", "total_taxes", "total", "total_rounding_difference", "mwst_type", "mwst_is_net",
    "is_valid_from", "contact_address", "delivery_address_type", "delivery_address",
    "kb_item_status_id", "api_reference", "viewed_by_client_at", "updated_at", "taxs",
    "positions",
)  # fmt: skip
_DOC_WRITABLE = (
    "title", "contact_id", "contact_sub_id", "user_id", "pr_project_id", "logopaper_id",
    "language_id", "bank_account_id", "currency_id", "payment_type_id", "header", "footer",
    "mwst_type", "mwst_is_net", "show_position_taxes", "is_valid_from", "contact_address_manual",
    "api_reference", "template_slug", "document_nr",
)  # fmt: skip
_INVOICE_WRITABLE = (*_DOC_WRITABLE, "is_valid_to", "reference")
_ORDER_WRITABLE = (*_DOC_WRITABLE, "delivery_address_type", "delivery_address_manual")
_DOC_READ_ONLY = (
    "id", "project_id", "total_gross", "total_net", "total_taxes", "total_received_payments",
    "total_credit_vouchers", "total_remaining_payments", "total", "total_rounding_difference",
    "contact_address", "delivery_address", "kb_item_status_id", "is_recurring",
    "viewed_by_client_at", "updated_at", "esr_id", "qr_invoice_id", "taxs", "network_link",
)  # fmt: skip
PAYMENT_KEYS = (
    "id", "date", "value", "bank_account_id", "title", "payment_service_id",
    "is_client_account_redemption", "is_cash_discount", "kb_invoice_id", "kb_credit_voucher_id",
    "kb_credit_voucher_text", "kb_bill_id",
)  # fmt: skip
_POSITION_FIELDS: dict[str, tuple[str, ...]] = {
    "KbPositionCustom": (
        "amount", "unit_id", "account_id", "tax_id", "text", "unit_price", "discount_in_percent",
        "parent_id", "is_optional",
    ),
    "KbPositionArticle": (
        "amount", "unit_id", "account_id", "tax_id", "text", "unit_price", "discount_in_percent",
        "parent_id", "is_optional", "article_id",
    ),
    "KbPositionText": ("text", "show_pos_nr", "parent_id"),
    "KbPositionSubtotal": ("text",),
    "KbPositionPagebreak": ("pagebreak",),
    "KbPositionDiscount": ("text", "is_percentual", "value"),
    "KbPositionSubposition": ("text", "show_pos_nr", "parent_id", "show_pos_prices"),
}  # fmt: skip
_POSITION_READ_ONLY = (
    "id", "type", "amount_reserved", "amount_open", "amount_completed", "unit_name",
    "tax_value", "position_total", "pos", "internal_pos", "discount_total", "total_sum",
)  # fmt: skip


class BexioDocuments:
    """The documents of one company: kb_order, kb_invoice (with payments), kb_delivery."""

    def __init__(self, company: BexioCompany, *, payment_bumps_updated_at: bool = True) -> None:
        self.company = company
        self.payment_bumps_updated_at = payment_bumps_updated_at
        self.orders: dict[int, Json] = {}
        self.invoices: dict[int, Json] = {}
        self.deliveries: dict[int, Json] = {}
        self.payments: dict[int, Json] = {}
        self.sent_emails: list[Json] = []
        self._order_invoiced: dict[int, dict[tuple[str, int], Decimal]] = {}
        self._delivery_sources: dict[tuple[int, str, int], tuple[int, int]] = {}

    def table(self, kind: DocKind) -> dict[int, Json]:
        """The records of a document kind."""
        return {"invoice": self.invoices, "order": self.orders, "delivery": self.deliveries}[kind]

    def document(self, kind: DocKind, doc_id: int) -> Json:
        """A document, or 404."""
        record = self.table(kind).get(doc_id)
        if record is None:
            raise not_found()
        return record

    def create_document(self, kind: Literal["invoice", "order"], body: object) -> Json:
        """POST /2.0/kb_invoice or /2.0/kb_order with inline positions."""
        writable = _INVOICE_WRITABLE if kind == "invoice" else _ORDER_WRITABLE
        form = Form(body, (*writable, "positions"), _DOC_READ_ONLY)
        form.require("contact_id", "user_id")
        header = self._document_header(kind, form, creating=True)
        raw_positions = form.data.get("positions") or []
        if not isinstance(raw_positions, list):
            form.errors.append(f"positions: {INVALID}")
            raw_positions = []
        positions = self._parse_positions(kind, raw_positions, header["mwst_type"], form.errors)
        form.check()
        if kind == "order":
            for position in positions:
                if position["type"] in _PRICED:
                    position["amount_open"] = position["amount"]
        record = self._new_document(kind, self.company.next_id(kind), header, positions)
        if kind == "order":
            self._reserve_stock(record, sign=1)
        return record

    def update_document(self, kind: Literal["invoice", "order"], doc_id: int, body: object) -> Json:
        """POST /2.0/kb_invoice/{id} or /2.0/kb_order/{id}: partial edit, never positions."""
        record = self.document(kind, doc_id)
        writable = _INVOICE_WRITABLE if kind == "invoice" else _ORDER_WRITABLE
        form = Form(body, writable, _DOC_READ_ONLY)
        if kind == "invoice" and record["kb_item_status_id"] != INVOICE_DRAFT:
            raise rejected("Only invoices in draft status can be edited.")
        for key in ("contact_id", "user_id"):
            if key in form:
                form.require(key)
        header = self._document_header(kind, form, creating=False, current=record)
        form.check()
        manual = header.get("contact_address_manual")
        record.update({k: v for k, v in header.items() if k in record})
        if "contact_id" in header or manual:
            contact = self.company.contacts.get(int(record["contact_id"] or 0))
            record["contact_address"] = manual or self._address(contact)
        self._refresh_document(kind, record)
        return record

    def _document_header(
        self, kind: DocKind, form: Form, *, creating: bool, current: Json | None = None
    ) -> Json:
        setting = self.company.setting(kind)
        out: Json = {}
        refs: dict[str, Mapping[int, Any]] = {
            "contact_id": self.company.contacts,
            "user_id": self.company.users,
            "language_id": self.company.languages,
            "bank_account_id": self.company.bank_accounts,
            "currency_id": self.company.currencies,
            "payment_type_id": self.company.payment_types,
        }
        for key, table in refs.items():
            if key in form:
                out[key] = form.integer(key, valid=table.__contains__)
        for key in ("contact_sub_id", "pr_project_id"):
            if key in form:
                out["project_id" if key == "pr_project_id" else key] = form.integer(
                    key,
                    valid=self.company.contacts.__contains__ if key == "contact_sub_id" else None,
                )
        if "mwst_type" in form:
            out["mwst_type"] = form.integer("mwst_type", valid=lambda v: v in (0, 1, 2))
        for key in ("mwst_is_net", "show_position_taxes"):
            if key in form:
                out[key] = form.boolean(key)
        for key in ("is_valid_from", "is_valid_to"):
            if key in form:
                out[key] = form.day(key)
        for key in ("title", "reference", "template_slug", "header", "footer"):
            if key in form:
                out[key] = form.text(key, null_as=None)
        if "api_reference" in form:
            out["api_reference"] = form.text("api_reference", null_as=None)
        if "contact_address_manual" in form:
            out["contact_address_manual"] = form.text("contact_address_manual", null_as=None)
        if "delivery_address_type" in form:
            out["delivery_address_type"] = form.integer(
                "delivery_address_type", valid=lambda v: v in (0, 1)
            )
        if "delivery_address_manual" in form:
            out["delivery_address_manual"] = form.text("delivery_address_manual", null_as=None)
        if "logopaper_id" in form:
            out["logopaper_id"] = form.integer("logopaper_id")
        if "document_nr" in form or creating:
            out["document_nr"] = self._document_nr(kind, form, current)
        if not creating:
            for key in ("title", "reference", "template_slug"):
                if key in out and out[key] is None:
                    out[key] = ""
            nullable = ("contact_sub_id", "project_id", "api_reference")
            return {k: v for k, v in out.items() if v is not None or k in nullable}
        defaults: Json = {
            "language_id": setting["default_language_id"],
            "bank_account_id": setting["default_client_bank_account_new_id"] or 1,
            "currency_id": setting["default_currency_id"],
            "payment_type_id": setting["default_payment_type_id"] or 1,
            "mwst_type": setting["default_mwst_type"],
            "mwst_is_net": setting["default_mwst_is_net"],
            "show_position_taxes": setting["default_show_position_taxes"],
            "logopaper_id": setting["default_logopaper_id"],
            "is_valid_from": self.company.today(),
            "title": "",
            "reference": "",
            "template_slug": "",
        }
        for key, value in defaults.items():
            if out.get(key) is None:
                out[key] = value
        if kind == "invoice" and not out.get("is_valid_to"):
            start = date.fromisoformat(out["is_valid_from"])
            days = int(setting["default_time_period_in_days"])
            out["is_valid_to"] = (start + timedelta(days=days)).isoformat()
        return out

    def _document_nr(self, kind: DocKind, form: Form, current: Json | None) -> str | None:
        given = form.text("document_nr", null_as=None) if "document_nr" in form else None
        if self.company.automatic_numbering(kind):
            # Spec: document_nr "can not be used if automatic numbering is activated"; whether
            # bexio then answers 422 or ignores it is unverified (API.md §e): we answer 422.
            if given and not (current and given == current["document_nr"]):
                form.errors.append(f"document_nr: {NOT_BLANK}")
            return current["document_nr"] if current else None
        if not given:
            if current is None or "document_nr" in form:
                form.errors.append(f"document_nr: {REQUIRED}")
            return current["document_nr"] if current else None
        return given

    def _automatic_nr(self, kind: DocKind, doc_id: int) -> str:
        setting = self.company.setting(kind)
        number = str(doc_id).zfill(int(setting["nr_min_length"]))
        # Live: automatic numbers followed the document id (RE-00002 for id 2, API.md §e).
        return str(setting["enumeration_format"] or "%nummer%").replace("%nummer%", number)

    def _new_document(
        self, kind: DocKind, doc_id: int, header: Json, positions: list[Json]
    ) -> Json:
        keys = {"invoice": INVOICE_KEYS, "order": ORDER_KEYS, "delivery": DELIVERY_KEYS}[kind]
        record: Json = dict.fromkeys(keys)
        record.update({k: v for k, v in header.items() if k in keys})
        record["id"] = doc_id
        record["document_nr"] = header.get("document_nr") or self._automatic_nr(kind, doc_id)
        contact = self.company.contacts.get(int(header.get("contact_id") or 0))
        name = display_name(contact)
        user = self.company.users.get(int(header.get("user_id") or 1)) or {}
        signature = f"{user.get('firstname', '')} {user.get('lastname', '')}".strip()
        greeting = {
            "invoice": "Danke für Ihr Vertrauen. Ihre Rechnung setzt sich wie folgt zusammen:",
            "order": "Danke für Ihren Auftrag. Nachfolgend finden Sie Ihre Auftragsbestätigung.",
            "delivery": "Nachfolgend finden Sie die gelieferten Positionen.",
        }[kind]
        # Recorded: null header/footer are filled from the document defaults (correction 7).
        if not record.get("header"):
            record["header"] = f"Guten Tag {name}<br/><br/>{greeting}"
        if not record.get("footer"):
            record["footer"] = (
                "Sie haben Fragen? Melden Sie sich bei uns.<br/><br/>"
                f"Freundliche Grüsse<br/>{signature}"
            )
        manual_address = header.get("contact_address_manual")
        record["contact_address"] = manual_address or self._address(contact)
        record["viewed_by_client_at"] = None
        record["positions"] = positions
        if kind == "invoice":
            record.update(
                kb_item_status_id=INVOICE_DRAFT,
                esr_id=doc_id,
                qr_invoice_id=doc_id,
                network_link="",
                total_credit_vouchers=fixed(ZERO, 6),
            )
        else:
            if record.get("delivery_address_type") is None:
                record["delivery_address_type"] = 0
            manual = header.get("delivery_address_manual")
            record["delivery_address"] = (
                manual
                if record["delivery_address_type"] == 1 and manual
                else record["contact_address"]
            )
        if kind == "order":
            record.update(kb_item_status_id=ORDER_PENDING, is_recurring=False, network_link="")
        if kind == "delivery":
            record["kb_item_status_id"] = DELIVERY_DRAFT
        self.table(kind)[doc_id] = record
        self._refresh_document(kind, record)
        return record

    def _address(self, contact: Json | None) -> str:
        if contact is None:
            return ""
        lines = [display_name(contact)]
        if contact.get("address"):
            lines.append(contact["address"])
        place = f"{contact.get('postcode') or ''} {contact.get('city') or ''}".strip()
        if place:
            lines.append(place)
        country = self.company.countries.get(int(contact.get("country_id") or 0))
        if country:
            lines.append(country["name"])
        return "\n".join(lines)

    def _parse_positions(
        self, kind: DocKind, raw: list[Any], mwst_type: int | None, errors: list[str]
    ) -> list[Json]:
        parsed: list[Json] = []
        for index, item in enumerate(raw):
            problems: list[str] = []
            position = self._parse_position(kind, item, mwst_type, problems)
            if problems:
                inner = ", ".join(problems)
                errors.append(f"positions: {index} [{inner}]")
            elif position is not None:
                parsed.append(position)
        return parsed

    def _parse_position(
        self,
        kind: DocKind,
        item: object,
        mwst_type: int | None,
        problems: list[str],
        *,
        inline: bool = True,
        type_name: str | None = None,
    ) -> Json | None:
        if not isinstance(item, Mapping):
            problems.append(f"type [{INVALID}]")
            return None
        ptype = type_name or item.get("type")
        allowed_types = _INLINE_TYPES if inline else tuple(_POSITION_FIELDS)
        if ptype not in allowed_types:
            problems.append(f"type [{INVALID}]")
            return None
        fields = _POSITION_FIELDS[str(ptype)]
        form = Form(item, fields, (*_POSITION_READ_ONLY, "type"))
        if kind == "invoice":
            form.data.pop("is_optional", None)
        position: Json = {"type": ptype}
        if ptype in _PRICED:
            self._parse_priced(form, position, mwst_type)
        elif ptype == "KbPositionText":
            position.update(
                text=form.text("text"),
                show_pos_nr=form.boolean("show_pos_nr") if "show_pos_nr" in form else True,
                parent_id=form.integer("parent_id"),
            )
        elif ptype == "KbPositionSubtotal":
            form.require("text")
            position["text"] = form.text("text")
        elif ptype == "KbPositionPagebreak":
            position["pagebreak"] = True
        elif ptype == "KbPositionDiscount":
            form.require("value")
            value = form.decimal("value")
            position.update(
                text=form.text("text"),
                is_percentual=bool(form.boolean("is_percentual")),
                value=fixed(value if value is not None else ZERO, 6),
            )
        else:
            position.update(
                text=form.text("text"),
                show_pos_nr=form.boolean("show_pos_nr") if "show_pos_nr" in form else True,
                parent_id=form.integer("parent_id"),
                show_pos_prices=(
                    form.boolean("show_pos_prices") if "show_pos_prices" in form else True
                ),
            )
        problems.extend(nest_field_errors(form.errors))
        return position

    def _parse_priced(self, form: Form, position: Json, mwst_type: int | None) -> None:
        article: Json | None = None
        if position["type"] == "KbPositionArticle":
            form.require("article_id")
            article_id = form.integer("article_id", valid=self.company.articles.__contains__)
            article = self.company.articles.get(article_id or 0)
            position["article_id"] = article_id
        form.require("amount")
        amount = form.decimal("amount")
        price = form.decimal("unit_price")
        if price is None and article and article["sale_price"] is not None:
            price = Decimal(article["sale_price"])
        if price is None:
            form.require("unit_price")
        discount = form.decimal("discount_in_percent") or ZERO
        tax_id = form.integer("tax_id", valid=self.company.sales_tax_ok)
        if tax_id is None and "tax_id" not in form and article:
            tax_id = article["tax_income_id"]
        if tax_id is None and "tax_id" not in form and mwst_type != 2:
            form.require("tax_id")
        account_id = form.integer("account_id", valid=self.company.account_ok)
        if account_id is None and "account_id" not in form:
            # Guess: a position without account books to the company's 3200 "Handelserlös".
            account_id = (article or {}).get("account_id") or _default_revenue(
                self.company.accounts
            )
        unit_id = form.integer("unit_id", valid=self.company.units.__contains__)
        if unit_id is None and article:
            unit_id = article["unit_id"]
        text = form.text("text") if "text" in form else (article or {}).get("intern_name", "")
        tax = self.company.taxes.get(tax_id or 0)
        position.update(
            amount=fixed(amount or ZERO, 6),
            amount_reserved=fixed(ZERO, 6),
            amount_open=fixed(ZERO, 6),
            amount_completed=fixed(ZERO, 6),
            unit_id=unit_id,
            account_id=account_id,
            unit_name=(self.company.units.get(unit_id or 0) or {}).get("name", ""),
            tax_id=tax_id,
            tax_value=fixed(Decimal(str(tax["value"])), 2) if tax else "0.00",
            text=text,
            unit_price=fixed(price or ZERO, 6),
            discount_in_percent=fixed(discount, 4),
            position_total=fixed(position_total(amount or ZERO, price or ZERO, discount), 6),
            parent_id=form.integer("parent_id"),
            is_optional=bool(form.boolean("is_optional")),
        )

    def _refresh_document(self, kind: DocKind, record: Json) -> None:
        """Renumber positions, recompute totals and bump `updated_at`."""
        pos = internal = 0
        running = ZERO
        lines: list[TaxedLine] = []
        discounts: list[Discount] = []
        for position in record["positions"]:
            ptype = position["type"]
            if position.get("id") is None:
                position["id"] = self.company.next_id(f"position:{ptype}")
            if ptype != "KbPositionDiscount":
                internal += 1
                position["internal_pos"] = internal
            if ptype in (*_PRICED, "KbPositionSubposition") or (
                ptype == "KbPositionText" and position.get("show_pos_nr")
            ):
                pos += 1
                position["pos"] = str(pos)
            elif ptype == "KbPositionText":
                position["pos"] = None
            if ptype in _PRICED:
                total = Decimal(position["position_total"])
                if not position.get("is_optional"):
                    running += total
                    tax = self.company.taxes.get(position["tax_id"] or 0)
                    rate = Decimal(str(tax["value"])) if tax else None
                    lines.append(TaxedLine(total=total, rate=rate))
            elif ptype == "KbPositionSubtotal":
                position["value"] = fixed(running, 6)
            elif ptype == "KbPositionDiscount":
                discounts.append(Discount(position["is_percentual"], Decimal(position["value"])))
        record["positions"] = [_order_position_keys(p) for p in record["positions"]]
        currency = self.company.currencies.get(record["currency_id"]) or {"round_factor": 0.01}
        totals = document_totals(
            lines,
            discounts,
            mwst_type=int(record["mwst_type"]),
            mwst_is_net=bool(record["mwst_is_net"]),
            round_factor=Decimal(str(currency["round_factor"])),
        )
        discount_positions = [p for p in record["positions"] if p["type"] == "KbPositionDiscount"]
        for position, discount_total in zip(
            discount_positions, totals.discount_totals, strict=True
        ):
            position["discount_total"] = fixed(discount_total, 6)
        record.update(
            total_gross=fixed(totals.gross, 6),
            total_net=fixed(totals.net, 6),
            total_taxes=fixed(totals.total_taxes, 4),
            total=fixed(totals.total, 6),
            total_rounding_difference=json_number(totals.rounding_difference),
            taxs=[
                {"percentage": fixed(rate, 2), "value": fixed(value, 4)}
                for rate, value in totals.taxes.items()
            ],
            updated_at=self.company.timestamp(),
        )
        if kind == "invoice":
            self._refresh_payments(record)

    def _refresh_payments(self, record: Json) -> None:
        received = sum(
            (
                Decimal(p["value"])
                for p in self.payments.values()
                if p["kb_invoice_id"] == record["id"]
            ),
            ZERO,
        )
        remaining = Decimal(record["total"]) - received
        if record["kb_item_status_id"] == INVOICE_CANCELLED:
            # Live: cancelled invoices mostly show total_remaining_payments "0.0000".
            remaining = ZERO
        elif record["kb_item_status_id"] in (*OPEN_INVOICE, INVOICE_PAID):
            if received > 0 and remaining <= 0:
                record["kb_item_status_id"] = INVOICE_PAID
            elif received > 0:
                record["kb_item_status_id"] = INVOICE_PARTIAL
            elif record["kb_item_status_id"] in (INVOICE_PAID, INVOICE_PARTIAL):
                record["kb_item_status_id"] = INVOICE_PENDING
        record["total_received_payments"] = fixed(received, 6)
        record["total_remaining_payments"] = fixed(max(remaining, ZERO), 4)

    def delete_document(self, kind: Literal["invoice", "order"], doc_id: int) -> None:
        """DELETE: permanent; invoices only while draft (recorded 403 otherwise)."""
        record = self.document(kind, doc_id)
        if kind == "invoice" and record["kb_item_status_id"] != INVOICE_DRAFT:
            raise forbidden()
        if kind == "order":
            self._reserve_stock(record, sign=-1)
        del self.table(kind)[doc_id]

    # --- invoice actions ----------------------------------------------------------------------

    def issue_invoice(self, invoice_id: int) -> None:
        """Draft (7) to pending (8)."""
        record = self.document("invoice", invoice_id)
        if record["kb_item_status_id"] != INVOICE_DRAFT:
            raise rejected("The invoice must be in the draft status.")
        self._set_status("invoice", record, INVOICE_PENDING)

    def revert_invoice_issue(self, invoice_id: int) -> None:
        """Pending (8) without payments back to draft (7)."""
        record = self.document("invoice", invoice_id)
        if record["kb_item_status_id"] != INVOICE_PENDING:
            raise rejected("Only pending invoices without payments can be set back to draft.")
        self._set_status("invoice", record, INVOICE_DRAFT)

    def cancel_invoice(self, invoice_id: int) -> None:
        """An issued, not fully paid invoice becomes cancelled (19)."""
        record = self.document("invoice", invoice_id)
        if record["kb_item_status_id"] not in OPEN_INVOICE:
            raise rejected("Only issued invoices can be cancelled.")
        self._set_status("invoice", record, INVOICE_CANCELLED)

    def mark_invoice_sent(self, invoice_id: int) -> None:
        """A draft counts as issued once marked as sent; other states stay as they are."""
        record = self.document("invoice", invoice_id)
        if record["kb_item_status_id"] == INVOICE_CANCELLED:
            raise rejected("A cancelled invoice cannot be marked as sent.")
        if record["kb_item_status_id"] == INVOICE_DRAFT:
            self._set_status("invoice", record, INVOICE_PENDING)

    def send_invoice(self, invoice_id: int, body: object) -> None:
        """POST .../send: e-mail with the network link; a draft is issued by sending it."""
        record = self.document("invoice", invoice_id)
        form = Form(body, ("recipient_email", "subject", "message", "mark_as_open", "attach_pdf"))
        form.require("recipient_email", "subject", "message")
        recipient = form.email("recipient_email")
        message = form.text("message") or ""
        if message and "[Network Link]" not in message:
            form.errors.append(f"message: {INVALID}")
        form.check()
        if record["kb_item_status_id"] == INVOICE_CANCELLED:
            raise rejected("A cancelled invoice cannot be sent.")
        self.sent_emails.append(
            {
                "kb_invoice_id": invoice_id,
                "recipient_email": recipient,
                "subject": form.text("subject"),
                "message": message,
                "attach_pdf": bool(form.boolean("attach_pdf")),
                "mark_as_open": bool(form.boolean("mark_as_open")),
            }
        )
        if record["kb_item_status_id"] == INVOICE_DRAFT:
            self._set_status("invoice", record, INVOICE_PENDING)

    def copy_invoice(self, invoice_id: int, body: object) -> Json:
        """POST .../copy: a new draft with the same positions for `contact_id`."""
        source = self.document("invoice", invoice_id)
        form = Form(body, ("contact_id", "contact_sub_id", "is_valid_from", "title", "document_nr"))
        form.require("contact_id")
        contact_id = form.integer("contact_id", valid=self.company.contacts.__contains__)
        sub_id = form.integer("contact_sub_id", valid=self.company.contacts.__contains__)
        valid_from = form.day("is_valid_from")
        title = form.text("title")
        number = self._document_nr("invoice", form, None)
        form.check()
        header = {k: source[k] for k in _copied_header_keys("invoice")}
        header.update(
            contact_id=contact_id,
            contact_sub_id=sub_id,
            title=title,
            api_reference=None,
            reference="",
            document_nr=number,
        )
        header["is_valid_from"] = valid_from or self.company.today()
        header["is_valid_to"] = self._valid_to(header["is_valid_from"])
        positions = [_fresh_position(p) for p in source["positions"]]
        return self._new_document("invoice", self.company.next_id("invoice"), header, positions)

    def _valid_to(self, valid_from: str) -> str:
        days = int(self.company.setting("invoice")["default_time_period_in_days"])
        return (date.fromisoformat(valid_from) + timedelta(days=days)).isoformat()

    def _set_status(self, kind: DocKind, record: Json, status: int) -> None:
        record["kb_item_status_id"] = status
        record["updated_at"] = self.company.timestamp()
        if kind == "invoice":
            self._refresh_payments(record)

    def add_payment(self, invoice_id: int, body: object) -> Json:
        """POST .../payment: paid (9) once payments cover the total, else partial (16)."""
        record = self.document("invoice", invoice_id)
        form = Form(
            body,
            ("value", "date", "bank_account_id", "payment_service_id"),
            ("id", "title", "is_client_account_redemption", "is_cash_discount", "kb_invoice_id"),
        )
        form.require("value")
        value = form.decimal("value")
        if value is not None and value <= 0:
            form.errors.append(f"value: {INVALID}")
        day = form.day("date") or self.company.today()
        bank = form.integer("bank_account_id", valid=self.company.bank_accounts.__contains__)
        service = form.integer("payment_service_id", valid=lambda v: v in (0, 1, 2, 3))
        form.check()
        if record["kb_item_status_id"] not in OPEN_INVOICE:
            raise rejected("Payments can only be added to issued, open invoices.")
        payment_id = self.company.next_id("payment")
        payment: Json = {
            "id": payment_id,
            "date": day,
            "value": fixed(value or ZERO, 6),
            "bank_account_id": bank,
            "title": "Zahlungseingang",
            "payment_service_id": service,
            "is_client_account_redemption": False,
            "is_cash_discount": False,
            "kb_invoice_id": invoice_id,
            "kb_credit_voucher_id": None,
            "kb_credit_voucher_text": "",
            "kb_bill_id": None,
        }
        self.payments[payment_id] = payment
        self._payment_changed(record)
        return payment

    def delete_payment(self, invoice_id: int, payment_id: int) -> None:
        """DELETE .../payment/{id}: the invoice falls back to partial or pending."""
        record = self.document("invoice", invoice_id)
        payment = self.payments.get(payment_id)
        if payment is None or payment["kb_invoice_id"] != invoice_id:
            raise not_found()
        del self.payments[payment_id]
        self._payment_changed(record)

    def _payment_changed(self, record: Json) -> None:
        self._refresh_payments(record)
        # Whether bexio bumps updated_at on a payment is unverified (API.md §c); configurable.
        if self.payment_bumps_updated_at:
            record["updated_at"] = self.company.timestamp()

    def invoice_payments(self, invoice_id: int) -> list[Json]:
        """The payments of an invoice (404 for an unknown invoice)."""
        self.document("invoice", invoice_id)
        return [p for p in self.payments.values() if p["kb_invoice_id"] == invoice_id]

    # --- orders and deliveries ----------------------------------------------------------------

    def order_to_invoice(self, order_id: int, body: object) -> Json:
        """POST /2.0/kb_order/{id}/invoice: all positions, or the listed ones with amounts."""
        order = self.document("order", order_id)
        form = Form(body, ("positions", "document_nr"))
        header = {k: order[k] for k in _copied_header_keys("order") if k in INVOICE_KEYS}
        # Recorded (POST_2.0_kb_offer_ID_invoice.json): a derived invoice has reference null.
        header.update(
            is_valid_from=self.company.today(),
            reference=None,
            document_nr=self._document_nr("invoice", form, None),
        )
        header["is_valid_to"] = self._valid_to(header["is_valid_from"])
        selected = self._selected_positions(order, form)
        form.check()
        if order["kb_item_status_id"] == ORDER_CANCELLED:
            raise rejected("A cancelled order cannot be invoiced.")
        positions = [position for position, _ in selected]
        invoice = self._new_document("invoice", self.company.next_id("invoice"), header, positions)
        invoiced = self._order_invoiced.setdefault(order_id, {})
        for position, source_id in selected:
            if position["type"] in _PRICED:
                key = (position["type"], source_id)
                invoiced[key] = invoiced.get(key, ZERO) + Decimal(position["amount"])
        self._update_order_status(order)
        return invoice

    def order_to_delivery(self, order_id: int, body: object) -> Json:
        """POST /2.0/kb_order/{id}/delivery: a draft delivery (10); numbered automatically."""
        order = self.document("order", order_id)
        form = Form(body, ("positions",))
        header = {k: order[k] for k in _copied_header_keys("order") if k in DELIVERY_KEYS}
        header.update(
            is_valid_from=self.company.today(),
            delivery_address_type=order["delivery_address_type"],
        )
        selected = self._selected_positions(order, form)
        form.check()
        if order["kb_item_status_id"] == ORDER_CANCELLED:
            raise rejected("A cancelled order cannot be delivered.")
        positions = [position for position, _ in selected]
        delivery = self._new_document(
            "delivery", self.company.next_id("delivery"), header, positions
        )
        delivery["delivery_address"] = order["delivery_address"]
        for stored, (_, source_id) in zip(delivery["positions"], selected, strict=True):
            self._delivery_sources[(delivery["id"], stored["type"], stored["id"])] = (
                order_id,
                source_id,
            )
        return delivery

    def _selected_positions(self, source: Json, form: Form) -> list[tuple[Json, int]]:
        wanted = form.data.get("positions")
        if wanted is None:
            return [(_fresh_position(p), p["id"]) for p in source["positions"]]
        if not isinstance(wanted, list):
            form.errors.append(f"positions: {INVALID}")
            return []
        chosen: list[tuple[Json, int]] = []
        for index, item in enumerate(wanted):
            match = None
            if isinstance(item, Mapping):
                match = next(
                    (
                        p
                        for p in source["positions"]
                        if p["id"] == item.get("id") and p["type"] == item.get("type")
                    ),
                    None,
                )
            if match is None:
                form.errors.append(f"positions: {index} [id [{INVALID}]]")
                continue
            position = _fresh_position(match)
            amount = to_decimal(item.get("amount")) if isinstance(item, Mapping) else None
            if amount is not None and match["type"] in _PRICED:
                discount = Decimal(match["discount_in_percent"])
                price = Decimal(match["unit_price"])
                position["amount"] = fixed(amount, 6)
                position["position_total"] = fixed(position_total(amount, price, discount), 6)
            chosen.append((position, match["id"]))
        return chosen

    def _update_order_status(self, order: Json) -> None:
        invoiced = self._order_invoiced.get(order["id"], {})
        priced = [p for p in order["positions"] if p["type"] in _PRICED]
        done = all(invoiced.get((p["type"], p["id"]), ZERO) >= Decimal(p["amount"]) for p in priced)
        # Guess (API.md §c has the ids, not the rule): fully invoiced = done, else partial.
        status = ORDER_DONE if done else ORDER_PARTIAL if invoiced else ORDER_PENDING
        self._set_status("order", order, status)

    def issue_delivery(self, delivery_id: int) -> None:
        """Draft (10) to done (18); books stock out of the articles (API.md §c, AUTOMATOR)."""
        delivery = self.document("delivery", delivery_id)
        if delivery["kb_item_status_id"] != DELIVERY_DRAFT:
            raise rejected("The delivery must be in the draft status.")
        for position in delivery["positions"]:
            source = self._delivery_sources.get((delivery_id, position["type"], position["id"]))
            amount = Decimal(position.get("amount") or 0)
            if position["type"] == "KbPositionArticle":
                article = self.company.articles.get(position["article_id"])
                if article is not None and article["is_stock"]:
                    self.company.booked_articles.add(article["id"])
                    reserved = min(int(amount), article["stock_reserved_nr"])
                    article["stock_reserved_nr"] -= reserved
                    article["stock_nr"] -= int(amount)
                    article["stock_available_nr"] = (
                        article["stock_nr"] - article["stock_reserved_nr"]
                    )
            if source and source[0] in self.orders:
                for order_position in self.orders[source[0]]["positions"]:
                    if order_position["id"] == source[1] and order_position["type"] in _PRICED:
                        done = Decimal(order_position["amount_completed"]) + amount
                        order_position["amount_completed"] = fixed(done, 6)
                        left = max(Decimal(order_position["amount"]) - done, ZERO)
                        order_position["amount_open"] = fixed(left, 6)
        self._set_status("delivery", delivery, DELIVERY_DONE)

    def _reserve_stock(self, order: Json, *, sign: int) -> None:
        for position in order["positions"]:
            if position["type"] != "KbPositionArticle":
                continue
            article = self.company.articles.get(position["article_id"])
            if article is None or not article["is_stock"]:
                continue
            amount = int(Decimal(position["amount"]))
            article["stock_reserved_nr"] = max(article["stock_reserved_nr"] + sign * amount, 0)
            article["stock_available_nr"] = article["stock_nr"] - article["stock_reserved_nr"]
            if sign > 0:
                position["amount_reserved"] = position["amount"]
                position["amount_open"] = position["amount"]

    # --- positions endpoints ------------------------------------------------------------------

    def create_position(
        self, kind: Literal["invoice", "order"], doc_id: int, ptype: str, body: object
    ) -> Json:
        """POST /2.0/{kb_document_type}/{id}/kb_position_<type>."""
        record = self.document(kind, doc_id)
        self._editable(kind, record)
        problems: list[str] = []
        position = self._parse_position(
            kind, body, record["mwst_type"], problems, inline=False, type_name=ptype
        )
        if problems or position is None:
            raise form_error(problems)
        record["positions"].append(position)
        self._refresh_document(kind, record)
        created: Json = record["positions"][-1]
        return created

    def update_position(
        self,
        kind: Literal["invoice", "order"],
        doc_id: int,
        ptype: str,
        position_id: int,
        body: object,
    ) -> Json:
        """POST /2.0/{kb_document_type}/{id}/kb_position_<type>/{position_id}: partial edit."""
        record = self.document(kind, doc_id)
        index, current = self.position(record, ptype, position_id)
        self._editable(kind, record)
        merged = {k: v for k, v in current.items() if k in _POSITION_FIELDS[ptype]}
        if isinstance(body, Mapping):
            merged.update(body)
        problems: list[str] = []
        position = self._parse_position(
            kind, merged, record["mwst_type"], problems, inline=False, type_name=ptype
        )
        if problems or position is None:
            raise form_error(problems)
        position["id"] = position_id
        record["positions"][index] = position
        self._refresh_document(kind, record)
        updated: Json = record["positions"][index]
        return updated

    def delete_position(
        self, kind: Literal["invoice", "order"], doc_id: int, ptype: str, position_id: int
    ) -> None:
        """DELETE /2.0/{kb_document_type}/{id}/kb_position_<type>/{position_id}."""
        record = self.document(kind, doc_id)
        index, _ = self.position(record, ptype, position_id)
        self._editable(kind, record)
        del record["positions"][index]
        self._refresh_document(kind, record)

    def position(self, record: Json, ptype: str, position_id: int) -> tuple[int, Json]:
        """The index and record of one position of a document, or 404."""
        for index, position in enumerate(record["positions"]):
            if position["type"] == ptype and position["id"] == position_id:
                return index, position
        raise not_found()

    def _editable(self, kind: DocKind, record: Json) -> None:
        if kind == "invoice" and record["kb_item_status_id"] != INVOICE_DRAFT:
            raise rejected("Only invoices in draft status can be edited.")

    # --- rendering ----------------------------------------------------------------------------

    def render_document(
        self, record: Json, *, style: RenderStyle = "get", positions: bool = True
    ) -> Json:
        """A document as one of bexio's endpoints shows it (API.md correction 7)."""
        out = dict(record)
        if not positions:
            out.pop("positions", None)
        elif style != "get":
            out["positions"] = [render_position(p, style) for p in record["positions"]]
        else:
            out["positions"] = [render_position(p, "get") for p in record["positions"]]
        if style in ("create", "derived", "edit"):
            for key in ("total_gross", "total_net", "total"):
                out[key] = plain(Decimal(record[key]))
        if style in ("create", "derived"):
            for key in ("total_received_payments", "total_credit_vouchers"):
                if key in out:
                    out[key] = plain(Decimal(record[key]))
        return out


def render_position(position: Json, style: RenderStyle) -> Json:
    """A position in the number format of the answering endpoint."""
    out = dict(position)
    if style == "get" or position["type"] not in _PRICED:
        return out
    if style in ("create", "derived"):
        out.update(amount_reserved=None, amount_open=None, amount_completed=None)
        out["amount"] = plain(Decimal(position["amount"]))
        out["position_total"] = plain(Decimal(position["position_total"]))
    if style == "create":
        out["unit_price"] = plain(Decimal(position["unit_price"]))
        out["discount_in_percent"] = plain(Decimal(position["discount_in_percent"]))
    return out


def render_payment(payment: Json, *, style: RenderStyle) -> Json:
    """The create answer shows the value unformatted ("100"), GET with 6 decimals."""
    out = dict(payment)
    if style != "get":
        out["value"] = plain(Decimal(payment["value"]))
    return out


def _default_revenue(accounts: Mapping[int, Json]) -> int | None:
    return next((a["id"] for a in accounts.values() if a["account_no"] == "3200"), None)


def _copied_header_keys(kind: DocKind) -> tuple[str, ...]:
    keys = (
        "title", "contact_id", "contact_sub_id", "user_id", "project_id", "logopaper_id",
        "language_id", "bank_account_id", "currency_id", "payment_type_id", "mwst_type",
        "mwst_is_net", "show_position_taxes", "api_reference", "template_slug",
    )  # fmt: skip
    return keys if kind != "delivery" else tuple(k for k in keys if k in DELIVERY_KEYS)


def _fresh_position(position: Json) -> Json:
    out = {k: v for k, v in position.items() if k not in ("id", "pos", "internal_pos")}
    if out["type"] in _PRICED:
        out.update(
            amount_reserved=fixed(ZERO, 6),
            amount_open=fixed(ZERO, 6),
            amount_completed=fixed(ZERO, 6),
        )
    return out


_POSITION_ORDER: dict[str, tuple[str, ...]] = {
    "KbPositionCustom": (
        "id", "type", "amount", "amount_reserved", "amount_open", "amount_completed", "unit_id",
        "account_id", "unit_name", "tax_id", "tax_value", "text", "unit_price",
        "discount_in_percent", "position_total", "pos", "internal_pos", "parent_id", "is_optional",
    ),
    "KbPositionText": (
        "id", "type", "text", "show_pos_nr", "pos", "internal_pos", "parent_id", "is_optional",
    ),
    "KbPositionSubtotal": (
        "id", "type", "text", "value", "internal_pos", "parent_id", "is_optional",
    ),
    "KbPositionPagebreak": ("id", "type", "internal_pos", "is_optional", "pagebreak", "parent_id"),
    "KbPositionDiscount": ("id", "type", "text", "is_percentual", "value", "discount_total"),
    "KbPositionSubposition": (
        "id", "type", "text", "pos", "internal_pos", "show_pos_nr", "parent_id", "is_optional",
        "total_sum", "show_pos_prices",
    ),
}  # fmt: skip
_POSITION_ORDER["KbPositionArticle"] = (*_POSITION_ORDER["KbPositionCustom"], "article_id")


def _order_position_keys(position: Json) -> Json:
    order = _POSITION_ORDER[position["type"]]
    out: Json = {key: position.get(key) for key in order}
    if "is_optional" in order and out["is_optional"] is None:
        out["is_optional"] = False
    if position["type"] == "KbPositionSubposition" and out["total_sum"] is None:
        out["total_sum"] = "0"
    return out
