"""bexio's REST endpoints (/2.0 and /3.0) over a `BexioCompany`: parsing, search, paging.

Each endpoint is an `Endpoint` (method, path, scopes, handler); `bexio.py` wraps them with
authentication, rate limits and scripted faults.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from saleor_bexio_app.sandbox.bexio_company import BexioCompany, DocKind, Json, render_article
from saleor_bexio_app.sandbox.bexio_documents import (
    POSITION_TYPES,
    BexioDocuments,
    render_payment,
    render_position,
)
from saleor_bexio_app.sandbox.bexio_forms import (
    ApiError,
    form_error,
    not_found,
    validation_error_v3,
)
from saleor_bexio_app.sandbox.bexio_totals import to_decimal

MAX_LIMIT = 2000
DEFAULT_LIMIT = 500
SUCCESS = {"success": True}

# fields.json "search_fields"; orders: no `api_reference` (API.md correction 3).
SEARCH_FIELDS: dict[str, tuple[str, ...]] = {
    "contact": (
        "id", "name_1", "name_2", "nr", "address", "mail", "mail_second", "postcode", "city",
        "country_id", "contact_group_ids", "contact_type_id", "updated_at", "user_id",
        "phone_fixed", "phone_mobile", "fax",
    ),
    "article": ("intern_name", "intern_code"),
    "invoice": (
        "id", "kb_item_status_id", "document_nr", "title", "api_reference", "contact_id",
        "contact_sub_id", "user_id", "currency_id", "total_gross", "total_net", "total",
        "is_valid_from", "is_valid_to", "updated_at",
    ),
    "order": (
        "id", "kb_item_status_id", "document_nr", "title", "contact_id", "contact_sub_id",
        "user_id", "currency_id", "total_gross", "total_net", "total", "is_valid_from",
        "is_valid_to", "updated_at",
    ),
    "accounts": ("account_no", "fibu_account_group_id", "name", "account_type"),
    "country": ("name", "name_short"),
    "language": ("name", "iso_639_1"),
    "unit": ("name",),
    "payment_type": ("name",),
}  # fmt: skip
ORDER_FIELDS: dict[str, tuple[str, ...]] = {
    "contact": ("id", "nr", "name_1", "updated_at"),
    "article": ("id", "intern_name"),
    "document": ("id", "total", "total_net", "total_gross", "updated_at"),
    "country": ("id", "name", "name_short"),
    "language": ("id", "name"),
    "payment_type": ("id", "name", "name_short"),
    "kb_item_setting": ("id", "text"),
    "none": ("id",),
}
_CRITERIA = {
    "=": "eq", "equal": "eq", "!=": "ne", "not_equal": "ne", ">": "gt", "greater_than": "gt",
    ">=": "ge", "greater_equal": "ge", "<": "lt", "less_than": "lt", "<=": "le",
    "less_equal": "le", "like": "like", "not_like": "not_like", "is_null": "is_null",
    "not_null": "not_null", "in": "in", "not_in": "not_in",
}  # fmt: skip
_SEARCH_GROUP_PATHS = ("contact", "article", "kb_invoice", "kb_order", "kb_delivery", "kb_offer")

Handler = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One bexio operation: what the gate needs to know around its handler."""

    method: str
    path: str
    handler: Handler
    scopes: tuple[str, ...] = ()
    version: Literal["2.0", "3.0"] = "2.0"


def rate_group(method: str, path: str) -> str:
    """bexio's rate-limit bucket of a call (API.md correction 1; recorded headers)."""
    parts = path.strip("/").split("/")
    resource = parts[1] if len(parts) > 1 else ""
    if method == "POST" and parts[-1] == "search" and resource in _SEARCH_GROUP_PATHS:
        return "search"
    if parts[0] == "2.0" and resource == "article":
        return "article"
    return "default"


async def read_json(request: Request) -> object:
    """The request's JSON body; None when empty; ApiError 400 when it is not JSON."""
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise ApiError(400, {"error_code": 400, "message": "Invalid JSON in request body"}) from exc


def _limit_offset(request: Request, version: str) -> tuple[int, int]:
    def number(name: str, default: int) -> int | None:
        raw = request.query_params.get(name)
        if raw is None or raw == "":
            return default
        return int(raw) if raw.isdigit() else None

    limit, offset = number("limit", DEFAULT_LIMIT), number("offset", 0)
    bad: dict[str, tuple[str, str]] = {}
    if limit is None or limit > MAX_LIMIT:
        bad["limit"] = (
            "less_than_or_equal",
            f"Dieser Wert sollte kleiner oder gleich {MAX_LIMIT} sein.",
        )
    if offset is None:
        bad["offset"] = ("type", "Dieser Wert sollte vom Typ integer sein.")
    if bad:
        # API.md §b: limit is capped at 2000 "enforced since 2021-10-18"; the answer is a guess.
        if version == "3.0":
            raise validation_error_v3(bad)
        raise form_error([f"{name}: {message}" for name, (_, message) in bad.items()])
    return limit or 0, offset or 0


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, "")
    number = to_decimal(value) if not isinstance(value, bool) else None
    if number is not None:
        return (1, number)
    return (2, str(value).lower())


def page(
    request: Request, rows: Iterable[Json], *, order: str = "none", version: str = "2.0"
) -> list[Json]:
    """Apply `order_by` (2.0: `field[_asc|_desc]`, comma separated), `offset` and `limit`."""
    limit, offset = _limit_offset(request, version)
    items = sorted(rows, key=lambda row: _sort_key(row.get("id")))
    spec = request.query_params.get("order_by", "") if version == "2.0" else ""
    for part in reversed([p.strip() for p in spec.split(",") if p.strip()]):
        field, descending = part, False
        for suffix in ("_asc", "_desc"):
            if part.endswith(suffix) and part[: -len(suffix)] in ORDER_FIELDS[order]:
                field, descending = part[: -len(suffix)], suffix == "_desc"
        if field in ORDER_FIELDS[order]:
            items.sort(key=_field_key(field), reverse=descending)
    return items[offset : offset + limit]


def _field_key(field: str) -> Callable[[Json], tuple[int, Any]]:
    return lambda row: _sort_key(row.get(field))


def _like(pattern: str) -> re.Pattern[str]:
    parts = (".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern)
    return re.compile("^" + "".join(parts) + "$", re.IGNORECASE | re.DOTALL)


def _compare(actual: Any, expected: Any) -> int | None:
    """-1/0/1 like SQL with a case-insensitive collation; None when a side is NULL."""
    if actual is None or expected is None:
        return None
    left, right = to_decimal(actual), to_decimal(expected)
    if left is not None and right is not None and not isinstance(actual, bool):
        return (left > right) - (left < right)
    a, b = str(actual).lower(), str(expected).lower()
    return (a > b) - (a < b)


def _matches(row: Json, field: str, criterion: str, value: Any) -> bool:
    actual = row.get(field)
    if criterion == "is_null":
        return actual is None or actual == ""
    if criterion == "not_null":
        return not (actual is None or actual == "")
    if criterion in ("in", "not_in"):
        options = value if isinstance(value, list) else str(value).split(",")
        hit = any(_compare(actual, str(o).strip()) == 0 for o in options)
        return hit if criterion == "in" else not hit and actual is not None
    if criterion in ("like", "not_like"):
        if actual is None:
            return False
        text = str(value)
        # Whether `like` needs explicit % is unverified (API.md §b): without %, a substring.
        hit = (
            bool(_like(text).match(str(actual)))
            if "%" in text or "_" in text
            else (text.lower() in str(actual).lower())
        )
        return hit if criterion == "like" else not hit
    result = _compare(actual, value)
    if result is None:
        return False
    return {
        "eq": result == 0,
        "ne": result != 0,
        "gt": result > 0,
        "ge": result >= 0,
        "lt": result < 0,
        "le": result <= 0,
    }[criterion]


def search(
    request: Request, rows: Iterable[Json], body: object, fields: Collection[str]
) -> list[Json]:
    """bexio's 2.0 search: an AND of `{field, value, criteria}`; any other shape finds nothing.

    API.md correction 4: a body that is not an array of such objects, or `orderBy` instead of
    `order_by` in the query, is answered 200 `[]`. A field outside the searchable list is
    treated the same way (unverified; bexio documents no error for it).
    """
    if "orderBy" in request.query_params or not isinstance(body, list):
        return []
    conditions: list[tuple[str, str, Any]] = []
    for item in body:
        if not isinstance(item, Mapping) or not isinstance(item.get("field"), str):
            return []
        criterion = _CRITERIA.get(str(item.get("criteria", "like")))
        if criterion is None or item["field"] not in fields:
            return []
        if "value" not in item and criterion not in ("is_null", "not_null"):
            return []
        conditions.append((item["field"], criterion, item.get("value")))
    return [row for row in rows if all(_matches(row, f, c, v) for f, c, v in conditions)]


def _int_param(request: Request, name: str) -> int:
    value: int = request.path_params[name]
    return value


def _truthy(request: Request, name: str) -> bool:
    return request.query_params.get(name, "").lower() in ("1", "true")


def _ok(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


def _total_headers(request: Request, total: int) -> dict[str, str]:
    limit, offset = _limit_offset(request, "3.0")
    return {"X-Total-Count": str(total), "X-Limit": str(limit), "X-Offset": str(offset)}


class BexioApi:
    """The endpoints of one company."""

    def __init__(self, company: BexioCompany, documents: BexioDocuments) -> None:
        self.company = company
        self.documents = documents

    def endpoints(self) -> list[Endpoint]:
        """Every emulated operation."""
        c, d = self.company, self.documents
        eps: list[Endpoint] = []

        def add(
            method: str,
            path: str,
            handler: Handler,
            *scopes: str,
            version: Literal["2.0", "3.0"] = "2.0",
        ) -> None:
            eps.append(Endpoint(method, path, handler, scopes, version))

        # contacts
        add("GET", "/2.0/contact", self._contacts, "contact_show")
        add("POST", "/2.0/contact", self._create_contact, "contact_edit")
        add("POST", "/2.0/contact/search", self._search_contacts, "contact_show")
        add("GET", "/2.0/contact/{id:int}", self._contact, "contact_show")
        add("POST", "/2.0/contact/{id:int}", self._edit_contact, "contact_edit")
        add("DELETE", "/2.0/contact/{id:int}", self._archive_contact, "contact_edit")
        add("PATCH", "/2.0/contact/{id:int}/restore", self._restore_contact, "contact_edit")
        # articles
        add("GET", "/2.0/article", self._articles, "article_show")
        add("POST", "/2.0/article", self._create_article, "article_edit")
        add("POST", "/2.0/article/search", self._search_articles, "article_show")
        add("GET", "/2.0/article/{id:int}", self._article, "article_show")
        add("POST", "/2.0/article/{id:int}", self._edit_article, "article_edit")
        add("DELETE", "/2.0/article/{id:int}", self._delete_article, "article_edit")
        # documents
        documents: tuple[tuple[Literal["invoice", "order"], str], ...] = (
            ("order", "/2.0/kb_order"),
            ("invoice", "/2.0/kb_invoice"),
        )
        for kind, prefix in documents:
            scope = f"kb_{kind}"
            add("GET", prefix, self._documents(kind), f"{scope}_show")
            add("POST", prefix, self._create_document(kind), f"{scope}_edit")
            add("POST", f"{prefix}/search", self._search_documents(kind), f"{scope}_show")
            add("GET", f"{prefix}/{{id:int}}", self._document(kind), f"{scope}_show")
            add("POST", f"{prefix}/{{id:int}}", self._edit_document(kind), f"{scope}_edit")
            add("DELETE", f"{prefix}/{{id:int}}", self._delete_document(kind), f"{scope}_edit")
            for slug, ptype in POSITION_TYPES.items():
                base = f"{prefix}/{{id:int}}/{slug}"
                add("GET", base, self._positions(kind, ptype), f"{scope}_show")
                add("POST", base, self._create_position(kind, ptype), f"{scope}_edit")
                add("GET", f"{base}/{{pid:int}}", self._position(kind, ptype), f"{scope}_show")
                add(
                    "POST", f"{base}/{{pid:int}}", self._edit_position(kind, ptype), f"{scope}_edit"
                )
                add(
                    "DELETE",
                    f"{base}/{{pid:int}}",
                    self._delete_position(kind, ptype),
                    f"{scope}_edit",
                )
        order = "/2.0/kb_order/{id:int}"
        add("POST", f"{order}/invoice", self._order_invoice, "kb_order_edit", "kb_invoice_edit")
        add("POST", f"{order}/delivery", self._order_delivery, "kb_order_edit", "kb_delivery_edit")
        invoice = "/2.0/kb_invoice/{id:int}"
        add("POST", f"{invoice}/issue", self._action(d.issue_invoice), "kb_invoice_edit")
        add(
            "POST",
            f"{invoice}/revert_issue",
            self._action(d.revert_invoice_issue),
            "kb_invoice_edit",
        )
        add("POST", f"{invoice}/cancel", self._action(d.cancel_invoice), "kb_invoice_edit")
        add("POST", f"{invoice}/mark_as_sent", self._action(d.mark_invoice_sent), "kb_invoice_edit")
        add("POST", f"{invoice}/send", self._send_invoice, "kb_invoice_edit")
        add("POST", f"{invoice}/copy", self._copy_invoice, "kb_invoice_edit")
        add("GET", f"{invoice}/payment", self._payments, "kb_invoice_show")
        add("POST", f"{invoice}/payment", self._create_payment, "kb_invoice_edit")
        add("GET", f"{invoice}/payment/{{pid:int}}", self._payment, "kb_invoice_show")
        add("DELETE", f"{invoice}/payment/{{pid:int}}", self._delete_payment, "kb_invoice_edit")
        add("GET", "/2.0/kb_delivery", self._documents("delivery"), "kb_delivery_show")
        add("GET", "/2.0/kb_delivery/{id:int}", self._document("delivery"), "kb_delivery_show")
        add("POST", "/2.0/kb_delivery/{id:int}/issue", self._issue_delivery, "kb_delivery_edit")
        # master data
        add("GET", "/3.0/taxes", self._taxes, version="3.0")
        add("GET", "/3.0/taxes/{id:int}", self._show(lambda: c.taxes), version="3.0")
        add("GET", "/2.0/accounts", self._list(lambda: c.accounts))
        add("POST", "/2.0/accounts/search", self._search(lambda: c.accounts, "accounts"))
        add("GET", "/3.0/currencies", self._list3(lambda: c.currencies), version="3.0")
        add("POST", "/3.0/currencies", self._create_currency, version="3.0")
        add("GET", "/3.0/currencies/codes", self._currency_codes, version="3.0")
        add("GET", "/3.0/currencies/{id:int}", self._show(lambda: c.currencies), version="3.0")
        add("GET", "/2.0/country", self._list(lambda: c.countries, "country"))
        add("GET", "/2.0/country/{id:int}", self._show(lambda: c.countries))
        add("POST", "/2.0/country/search", self._search(lambda: c.countries, "country"))
        add("GET", "/2.0/language", self._list(lambda: c.languages, "language"))
        add("POST", "/2.0/language/search", self._search(lambda: c.languages, "language"))
        add("GET", "/2.0/unit", self._list(lambda: c.units))
        add("GET", "/2.0/unit/{id:int}", self._show(lambda: c.units))
        add("POST", "/2.0/unit/search", self._search(lambda: c.units, "unit"))
        add("GET", "/2.0/payment_type", self._list(lambda: c.payment_types, "payment_type"))
        add(
            "POST",
            "/2.0/payment_type/search",
            self._search(lambda: c.payment_types, "payment_type"),
        )
        banks = "/3.0/banking/accounts"
        add("GET", banks, self._list3(lambda: c.bank_accounts), "bank_account_show", version="3.0")
        add(
            "GET",
            f"{banks}/{{id:int}}",
            self._show(lambda: c.bank_accounts),
            "bank_account_show",
            version="3.0",
        )
        add("GET", "/3.0/users", self._list3(lambda: c.users), version="3.0")
        add("GET", "/3.0/users/me", self._me, version="3.0")
        add("GET", "/3.0/users/{id:int}", self._show(lambda: c.users), version="3.0")
        add("GET", "/2.0/company_profile", self._company_profiles)
        add("GET", "/2.0/company_profile/{id:int}", self._company_profile)
        add(
            "GET", "/2.0/kb_item_setting", self._list(lambda: c.kb_item_settings, "kb_item_setting")
        )
        return eps

    # --- generic master data ------------------------------------------------------------------

    def _list(self, table: Callable[[], Mapping[int, Json]], order: str = "none") -> Handler:
        async def handler(request: Request) -> Response:
            return _ok(page(request, table().values(), order=order))

        return handler

    def _list3(self, table: Callable[[], Mapping[int, Json]]) -> Handler:
        async def handler(request: Request) -> Response:
            rows = list(table().values())
            # API.md correction 13: 3.0 lists carry X-Total-Count, X-Limit, X-Offset.
            headers = _total_headers(request, len(rows))
            return _ok(page(request, rows, version="3.0"), headers=headers)

        return handler

    def _show(self, table: Callable[[], Mapping[int, Json]]) -> Handler:
        async def handler(request: Request) -> Response:
            row = table().get(_int_param(request, "id"))
            if row is None:
                raise not_found()
            return _ok(row)

        return handler

    def _search(self, table: Callable[[], Mapping[int, Json]], name: str) -> Handler:
        async def handler(request: Request) -> Response:
            body = await _search_body(request)
            found = search(request, table().values(), body, SEARCH_FIELDS[name])
            return _ok(page(request, found, order=name if name in ORDER_FIELDS else "none"))

        return handler

    async def _taxes(self, request: Request) -> Response:
        scope = request.query_params.get("scope")
        types = request.query_params.get("types")
        day = request.query_params.get("date")
        bad: dict[str, tuple[str, str]] = {}
        if scope not in (None, "active", "inactive"):
            bad["scope"] = ("invalid_choice", "The value you selected is not a valid choice.")
        if types not in (None, "sales_tax", "pre_tax"):
            bad["types"] = ("invalid_choice", "The value you selected is not a valid choice.")
        at: date | None = None
        if day is not None:
            try:
                at = date.fromisoformat(day)
            except ValueError:
                bad["date"] = ("date", "This value is not a valid date.")
        if bad:
            raise validation_error_v3(bad)
        rows = [
            tax
            for tax in self.company.taxes.values()
            if (scope is None or tax["is_active"] == (scope == "active"))
            and (
                types is None
                or (types == "sales_tax" and tax["type"] == "sales_tax")
                or (types == "pre_tax" and str(tax["type"]).startswith("pre_"))
            )
            and (at is None or _tax_valid_at(tax, at))
        ]
        return _ok(page(request, rows, version="3.0"))

    async def _currency_codes(self, request: Request) -> Response:
        return _ok(self.company.currency_codes)

    async def _create_currency(self, request: Request) -> Response:
        return _ok(self.company.create_currency(await read_json(request)), 201)

    async def _me(self, request: Request) -> Response:
        return _ok(self.company.users[request.state.user_id])

    async def _company_profiles(self, request: Request) -> Response:
        return _ok([self.company.company_profile])

    async def _company_profile(self, request: Request) -> Response:
        if _int_param(request, "id") != self.company.company_profile["id"]:
            raise not_found()
        return _ok(self.company.company_profile)

    # --- contacts -----------------------------------------------------------------------------

    def _visible_contacts(self, request: Request) -> list[Json]:
        archived = _truthy(request, "show_archived")
        # The docs: show_archived=true shows archived contacts only.
        return [
            c
            for c in self.company.contacts.values()
            if (c["id"] in self.company.archived_contacts) == archived
        ]

    async def _contacts(self, request: Request) -> Response:
        rows = page(request, self._visible_contacts(request), order="contact")
        return _ok([_without(c, "profile_image") for c in rows])

    async def _search_contacts(self, request: Request) -> Response:
        body = await _search_body(request)
        found = search(request, self._visible_contacts(request), body, SEARCH_FIELDS["contact"])
        return _ok([_without(c, "profile_image") for c in page(request, found, order="contact")])

    async def _contact(self, request: Request) -> Response:
        contact_id = _int_param(request, "id")
        record = self.company.contact(contact_id)
        if (contact_id in self.company.archived_contacts) and not _truthy(request, "show_archived"):
            raise not_found()
        return _ok(record)

    async def _create_contact(self, request: Request) -> Response:
        return _ok(self.company.create_contact(await read_json(request)), 201)

    async def _edit_contact(self, request: Request) -> Response:
        contact_id = _int_param(request, "id")
        return _ok(self.company.update_contact(contact_id, await read_json(request)))

    async def _archive_contact(self, request: Request) -> Response:
        self.company.archive_contact(_int_param(request, "id"))
        return _ok(SUCCESS)

    async def _restore_contact(self, request: Request) -> Response:
        self.company.restore_contact(_int_param(request, "id"))
        return _ok(SUCCESS)

    # --- articles -----------------------------------------------------------------------------

    async def _articles(self, request: Request) -> Response:
        return _ok(page(request, self.company.articles.values(), order="article"))

    async def _search_articles(self, request: Request) -> Response:
        body = await _search_body(request)
        found = search(request, self.company.articles.values(), body, SEARCH_FIELDS["article"])
        return _ok(page(request, found, order="article"))

    async def _article(self, request: Request) -> Response:
        return _ok(self.company.article(_int_param(request, "id")))

    async def _create_article(self, request: Request) -> Response:
        record = self.company.create_article(await read_json(request))
        return _ok(render_article(record, style="create"), 201)

    async def _edit_article(self, request: Request) -> Response:
        record = self.company.update_article(_int_param(request, "id"), await read_json(request))
        return _ok(render_article(record, style="edit"))

    async def _delete_article(self, request: Request) -> Response:
        self.company.delete_article(_int_param(request, "id"))
        return _ok(SUCCESS)

    # --- documents ----------------------------------------------------------------------------

    def _documents(self, kind: DocKind) -> Handler:
        async def handler(request: Request) -> Response:
            rows = page(request, self.documents.table(kind).values(), order="document")
            return _ok([self.documents.render_document(r, positions=False) for r in rows])

        return handler

    def _search_documents(self, kind: Literal["invoice", "order"]) -> Handler:
        async def handler(request: Request) -> Response:
            body = await _search_body(request)
            rows = self.documents.table(kind).values()
            found = page(
                request, search(request, rows, body, SEARCH_FIELDS[kind]), order="document"
            )
            return _ok([self.documents.render_document(r, positions=False) for r in found])

        return handler

    def _document(self, kind: DocKind) -> Handler:
        async def handler(request: Request) -> Response:
            record = self.documents.document(kind, _int_param(request, "id"))
            return _ok(self.documents.render_document(record))

        return handler

    def _create_document(self, kind: Literal["invoice", "order"]) -> Handler:
        async def handler(request: Request) -> Response:
            record = self.documents.create_document(kind, await read_json(request))
            return _ok(self.documents.render_document(record, style="create"), 201)

        return handler

    def _edit_document(self, kind: Literal["invoice", "order"]) -> Handler:
        async def handler(request: Request) -> Response:
            body = await read_json(request)
            record = self.documents.update_document(kind, _int_param(request, "id"), body)
            return _ok(self.documents.render_document(record, style="edit"))

        return handler

    def _delete_document(self, kind: Literal["invoice", "order"]) -> Handler:
        async def handler(request: Request) -> Response:
            self.documents.delete_document(kind, _int_param(request, "id"))
            return _ok(SUCCESS)

        return handler

    def _positions(self, kind: Literal["invoice", "order"], ptype: str) -> Handler:
        async def handler(request: Request) -> Response:
            record = self.documents.document(kind, _int_param(request, "id"))
            rows = [p for p in record["positions"] if p["type"] == ptype]
            return _ok(page(request, rows))

        return handler

    def _position(self, kind: Literal["invoice", "order"], ptype: str) -> Handler:
        async def handler(request: Request) -> Response:
            record = self.documents.document(kind, _int_param(request, "id"))
            _, position = self.documents.position(record, ptype, _int_param(request, "pid"))
            return _ok(position)

        return handler

    def _create_position(self, kind: Literal["invoice", "order"], ptype: str) -> Handler:
        async def handler(request: Request) -> Response:
            body = await read_json(request)
            position = self.documents.create_position(kind, _int_param(request, "id"), ptype, body)
            return _ok(render_position(position, "create"), 201)

        return handler

    def _edit_position(self, kind: Literal["invoice", "order"], ptype: str) -> Handler:
        async def handler(request: Request) -> Response:
            body = await read_json(request)
            position = self.documents.update_position(
                kind, _int_param(request, "id"), ptype, _int_param(request, "pid"), body
            )
            return _ok(render_position(position, "create"))

        return handler

    def _delete_position(self, kind: Literal["invoice", "order"], ptype: str) -> Handler:
        async def handler(request: Request) -> Response:
            self.documents.delete_position(
                kind, _int_param(request, "id"), ptype, _int_param(request, "pid")
            )
            return _ok(SUCCESS)

        return handler

    async def _order_invoice(self, request: Request) -> Response:
        body = await read_json(request)
        record = self.documents.order_to_invoice(_int_param(request, "id"), body)
        # API.md correction 10: documents created from another document answer 201.
        return _ok(self.documents.render_document(record, style="derived"), 201)

    async def _order_delivery(self, request: Request) -> Response:
        body = await read_json(request)
        record = self.documents.order_to_delivery(_int_param(request, "id"), body)
        return _ok(self.documents.render_document(record, style="derived"), 201)

    async def _issue_delivery(self, request: Request) -> Response:
        self.documents.issue_delivery(_int_param(request, "id"))
        return _ok(SUCCESS)

    def _action(self, action: Callable[[int], None]) -> Handler:
        async def handler(request: Request) -> Response:
            action(_int_param(request, "id"))
            return _ok(SUCCESS)

        return handler

    async def _send_invoice(self, request: Request) -> Response:
        self.documents.send_invoice(_int_param(request, "id"), await read_json(request))
        return _ok(SUCCESS)

    async def _copy_invoice(self, request: Request) -> Response:
        record = self.documents.copy_invoice(_int_param(request, "id"), await read_json(request))
        return _ok(self.documents.render_document(record, style="derived"), 201)

    async def _payments(self, request: Request) -> Response:
        rows = self.documents.invoice_payments(_int_param(request, "id"))
        return _ok(page(request, rows))

    async def _payment(self, request: Request) -> Response:
        rows = self.documents.invoice_payments(_int_param(request, "id"))
        payment_id = _int_param(request, "pid")
        found = next((p for p in rows if p["id"] == payment_id), None)
        if found is None:
            raise not_found()
        return _ok(found)

    async def _create_payment(self, request: Request) -> Response:
        payment = self.documents.add_payment(_int_param(request, "id"), await read_json(request))
        return _ok(render_payment(payment, style="create"), 201)

    async def _delete_payment(self, request: Request) -> Response:
        self.documents.delete_payment(_int_param(request, "id"), _int_param(request, "pid"))
        return _ok(SUCCESS)


async def _search_body(request: Request) -> object:
    try:
        return await read_json(request)
    except ApiError:
        return None


def _without(row: Json, key: str) -> Json:
    return {k: v for k, v in row.items() if k != key}


def _tax_valid_at(tax: Json, at: date) -> bool:
    start = (tax.get("start_year") or 0, tax.get("start_month") or 1)
    end = (tax.get("end_year") or 9999, tax.get("end_month") or 12)
    return start <= (at.year, at.month) <= end
