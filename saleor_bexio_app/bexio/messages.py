"""bexio's error answers in words a merchant understands (English).

bexio's messages are German ("Pflichtfeld", API.md "Corrections" 11) or repeat the values that
were sent (3.0: "Must be unique. JPY is already taken"). So what the app shows and logs is built
from field names and recognised reasons only; bexio's own text is kept in `detail` only when it
is one of the fixed texts listed in `_SAFE_MESSAGES`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

RECONNECT = "Reconnect bexio on the app's settings page."
UNAUTHORIZED = f"bexio no longer accepts the app's connection. {RECONNECT}"
REVOKED = (
    "bexio no longer accepts the connection (access was revoked or the bexio user was removed). "
    + RECONNECT
)
GONE = f"The bexio company or the bexio user of this connection no longer exists. {RECONNECT}"
RATE_LIMITED = "bexio is receiving too many requests right now; the app will try again later."
TIMEOUT = "bexio did not answer in time; the app will try again later."
UNREACHABLE = "bexio could not be reached; the app will try again later."
UNREADABLE = "bexio sent an answer the app could not read; the app will try again later."
MALFORMED_REQUEST = "The app sent bexio a request bexio could not process (a bug in the app)."


class Reason(StrEnum):
    """Why bexio refused one field, as far as the app could recognise it."""

    REQUIRED = "required"
    INVALID = "invalid"
    TOO_LONG = "too_long"
    NOT_EMAIL = "not_email"
    TAKEN = "taken"
    WRONG_TYPE = "wrong_type"
    UNEXPECTED_FIELD = "unexpected_field"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One refused field: its path (e.g. ("positions", "1", "account_id")) and the reason."""

    path: tuple[str, ...]
    reason: Reason


@dataclass(frozen=True, slots=True)
class Explanation:
    """A merchant message and an operator detail, both free of values that were sent."""

    user_message: str
    detail: str


_PHRASES: dict[str, Reason] = {
    "pflichtfeld": Reason.REQUIRED,
    "required": Reason.REQUIRED,
    "dieser wert sollte nicht leer sein": Reason.REQUIRED,
    "dieser wert sollte nicht null sein": Reason.REQUIRED,
    "this value should not be blank": Reason.REQUIRED,
    "this value should not be null": Reason.REQUIRED,
    "champ obligatoire": Reason.REQUIRED,
    "campo obbligatorio": Reason.REQUIRED,
    "diese eingabe ist nicht korrekt": Reason.INVALID,
    "dieser wert ist ungültig": Reason.INVALID,
    "dieser wert ist nicht gültig": Reason.INVALID,
    "ungültig": Reason.INVALID,
    "invalid": Reason.INVALID,
    "this value is not valid": Reason.INVALID,
    "dieser wert ist keine gültige e-mail-adresse": Reason.NOT_EMAIL,
    "this value is not a valid email address": Reason.NOT_EMAIL,
    "dieser wert wird bereits verwendet": Reason.TAKEN,
    "this value is already used": Reason.TAKEN,
}
_PREFIXES: tuple[tuple[str, Reason], ...] = (
    ("diese zeichenkette ist zu lang", Reason.TOO_LONG),
    ("dieser wert ist zu lang", Reason.TOO_LONG),
    ("this value is too long", Reason.TOO_LONG),
    ("dieser wert sollte vom typ", Reason.WRONG_TYPE),
    ("this value should be of type", Reason.WRONG_TYPE),
    ("unexpected extra form field", Reason.UNEXPECTED_FIELD),
)
# 3.0 validation errors carry a machine-readable `type` next to the message.
_TYPES: dict[str, Reason] = {
    "unique_object": Reason.TAKEN,
    "unique": Reason.TAKEN,
    "not_blank": Reason.REQUIRED,
    "not_null": Reason.REQUIRED,
    "required": Reason.REQUIRED,
    "invalid": Reason.INVALID,
    "choice": Reason.INVALID,
    "email": Reason.NOT_EMAIL,
    "length": Reason.TOO_LONG,
    "too_long": Reason.TOO_LONG,
    "type": Reason.WRONG_TYPE,
}
_PHRASING: dict[Reason, str] = {
    Reason.REQUIRED: "is required",
    Reason.INVALID: "is not valid",
    Reason.TOO_LONG: "is too long",
    Reason.NOT_EMAIL: "is not a valid e-mail address",
    Reason.TAKEN: "is already used by another record in bexio",
    Reason.WRONG_TYPE: "has the wrong format",
    Reason.UNEXPECTED_FIELD: "contains a field bexio does not accept",
    Reason.UNKNOWN: "was not accepted",
}
_LABELS: dict[str, str] = {
    "global": "the request",
    "contact_type_id": "contact type",
    "name_1": "name (last name or company)",
    "name_2": "first name or company addition",
    "mail": "e-mail address",
    "mail_second": "second e-mail address",
    "user_id": "bexio user",
    "owner_id": "bexio owner",
    "country_id": "country",
    "language_id": "language",
    "street_name": "street",
    "house_number": "house number",
    "phone_fixed": "phone number",
    "phone_mobile": "mobile number",
    "contact_id": "customer (bexio contact)",
    "account_id": "revenue account",
    "tax_id": "VAT rate",
    "tax_income_id": "VAT rate",
    "unit_id": "unit",
    "unit_price": "price",
    "amount": "quantity",
    "article_id": "bexio article",
    "intern_code": "SKU (bexio article number)",
    "intern_name": "product name",
    "intern_description": "product description",
    "sale_price": "sale price",
    "currency_id": "currency",
    "bank_account_id": "bank account",
    "payment_type_id": "payment type",
    "document_nr": "document number",
    "is_valid_from": "document date",
    "is_valid_to": "due date",
    "mwst_type": "VAT mode",
    "api_reference": "reference",
    "value": "amount",
    "recipient_email": "recipient e-mail address",
    "message": "e-mail text",
    "stock_nr": "stock",
    "is_stock": "stock tracking",
}
_HINTS: dict[str, str] = {
    "tax_id": "Check the VAT mapping: bexio accepts only active sales taxes.",
    "account_id": "Check the revenue account in the app settings.",
    "user_id": "Check the bexio user in the app settings.",
    "owner_id": "Check the bexio user in the app settings.",
    "document_nr": "Check the document numbering setting against bexio's.",
    "bank_account_id": "Check the bank account in the app settings.",
}
# bexio's fixed texts: safe to keep for operators, some worth telling the merchant.
_SAFE_MESSAGES: dict[str, str | None] = {
    "the form could not be saved due to the following errors:": None,
    "validation failed": None,
    "unprocessable entity": None,
    "page not found": None,
    "not found": None,
    "you are not allowed to access this resource.": None,
    "client does not exist on shard": None,
    "internal server error": None,
    "tax can not be deleted": "the VAT rate is still in use",
    "business year is closed": "the business year is closed in bexio",
}
_TOKEN = re.compile(r"[A-Za-z0-9_]{1,64}")
_NESTED = re.compile(r"^(\d+) \[(\w+) \[(.*)\]\]$", re.DOTALL)


def field_problems(body: object) -> list[FieldProblem]:
    """The refused fields of a 2.0 (list of "field: text") or 3.0 (dict by field) answer."""
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list):
        return [_problem_2_0(item) for item in errors if isinstance(item, str)]
    if isinstance(errors, dict):
        return [_problem_3_0(str(field), item) for field, item in errors.items()]
    return []


def explain_rejection(body: object, *, what: str) -> Explanation:
    """Merchant text and operator detail for a 400/409/422 answer about `what` (e.g. "invoice")."""
    problems = field_problems(body)
    message = _message(body)
    known = _SAFE_MESSAGES.get(message.lower()) if message is not None else None
    if problems:
        parts = [_describe(problem) for problem in problems]
        hints = dict.fromkeys(
            _HINTS[problem.path[-1]] for problem in problems if problem.path[-1] in _HINTS
        )
        text = f"bexio rejected the {what}: {'; '.join(parts)}."
        if hints:
            text += " " + " ".join(hints)
    elif known:
        text = f"bexio rejected the {what}: {known}."
    else:
        text = f"bexio rejected the {what}."
    return Explanation(user_message=text, detail=_detail(body, problems))


def field_names(problems: Sequence[FieldProblem]) -> str:
    """The refused fields' bexio names, comma-separated and each once ("" for none named)."""
    names = (problem.path[-1] for problem in problems if problem.path[-1] not in ("global", "?"))
    return ",".join(dict.fromkeys(names))


def safe_message(body: object) -> str | None:
    """bexio's `message` if it is one of its fixed texts, else None (it may carry data)."""
    message = _message(body)
    if message is not None and message.lower() in _SAFE_MESSAGES:
        return message
    return None


def forbidden(what: str, scopes: Sequence[str]) -> str:
    """Merchant text for a 403: which permission the connection lacks."""
    if scopes:
        needed = " and ".join(f'"{scope}"' for scope in scopes)
        return (
            f"bexio refused access to the {what}: the connection needs the permission {needed}, "
            "or the connected bexio user lacks the rights for it. Reconnect bexio with a user "
            "who has them."
        )
    return (
        f"bexio refused access to the {what}: the connected bexio user lacks the rights for it. "
        "Reconnect bexio with a user who has them."
    )


def not_found(what: str) -> str:
    """Merchant text for a 404."""
    return f"The {what} does not exist (any more) in bexio."


def unavailable(status: int) -> str:
    """Merchant text for a 5xx."""
    return f"bexio is not working right now (HTTP {status}); the app will try again later."


def _problem_2_0(item: str) -> FieldProblem:
    field, sep, text = item.partition(":")
    if not sep:
        return FieldProblem(("global",), _reason(item))
    path: tuple[str, ...] = (_token(field.strip()),)
    nested = _NESTED.match(text.strip())
    if nested:
        index, inner, text = nested.groups()
        path = (*path, index, _token(inner))
    return FieldProblem(path, _reason(text))


def _problem_3_0(field: str, item: object) -> FieldProblem:
    entry = item[0] if isinstance(item, list) and item else item
    reason = Reason.UNKNOWN
    if isinstance(entry, dict):
        kind = entry.get("type")
        if isinstance(kind, str) and kind in _TYPES:
            reason = _TYPES[kind]
        elif isinstance(entry.get("message"), str):
            reason = _reason(entry["message"])
    elif isinstance(entry, str):
        reason = _reason(entry)
    return FieldProblem((_token(field),), reason)


def _reason(text: str) -> Reason:
    normal = " ".join(text.lower().split()).rstrip(".")
    if normal in _PHRASES:
        return _PHRASES[normal]
    for prefix, reason in _PREFIXES:
        if normal.startswith(prefix):
            return reason
    return Reason.UNKNOWN


def _token(text: str) -> str:
    return text if _TOKEN.fullmatch(text) else "?"


def _label(field: str) -> str:
    return _LABELS.get(field, field.replace("_", " "))


def _describe(problem: FieldProblem) -> str:
    path = problem.path
    if len(path) == 3 and path[0] == "positions":
        subject = f"line {path[1]}: {_label(path[2])}"
    elif path == ("positions",):
        subject = "the lines"
    else:
        subject = _label(path[-1])
    if problem.reason is Reason.UNEXPECTED_FIELD:
        return "the request contains a field bexio does not accept"
    return f"{subject} {_PHRASING[problem.reason]}"


def _message(body: object) -> str | None:
    message = body.get("message") if isinstance(body, dict) else None
    return message.strip() if isinstance(message, str) else None


def _detail(body: object, problems: Sequence[FieldProblem]) -> str:
    parts: list[str] = []
    code = body.get("error_code") if isinstance(body, dict) else None
    if isinstance(code, int):
        parts.append(f"error_code={code}")
    if problems:
        parts.append("fields=" + ",".join(f"{'.'.join(p.path)}:{p.reason.value}" for p in problems))
    message = _message(body)
    if message is not None:
        safe = safe_message(body)
        parts.append(f"message={safe!r}" if safe else "message withheld (may contain data)")
    return "; ".join(parts) or "no error body"
