"""bexio 2.0 form validation and the error answers of bexio 2.0 and 3.0 (API.md correction 11)."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from saleor_bexio_app.sandbox.bexio_totals import to_decimal

REQUIRED = "Pflichtfeld"
INVALID = "Diese Eingabe ist nicht korrekt."
NOT_BLANK = "Dieser Wert sollte leer sein."
BAD_EMAIL = "Dies ist keine gültige E-Mail-Adresse."
TAKEN = "Dieser Wert wird bereits verwendet."
FORM_MESSAGE = "The form could not be saved due to the following errors:"

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})")


class ApiError(Exception):
    """An error answer of bexio: HTTP status and JSON body."""

    def __init__(self, status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


def form_error(errors: list[str]) -> ApiError:
    """bexio 2.0 validation failure: a list of "field: message" strings (API.md correction 11)."""
    return ApiError(422, {"error_code": 422, "message": FORM_MESSAGE, "errors": errors})


def validation_error_v3(errors: Mapping[str, tuple[str, str]]) -> ApiError:
    """bexio 3.0 validation failure: an object keyed by field (API.md correction 11)."""
    body = {f: {"type": kind, "message": message} for f, (kind, message) in errors.items()}
    return ApiError(422, {"error_code": 422, "message": "validation failed", "errors": body})


def not_found() -> ApiError:
    """Unknown id on a known route."""
    return ApiError(404, {"error_code": 404, "message": "Page not found"})


def forbidden() -> ApiError:
    """Missing scope or right, or an action bexio does not allow on this record."""
    return ApiError(
        403, {"error_code": 403, "message": "You are not allowed to access this resource."}
    )


def rejected(message: str) -> ApiError:
    """A business-rule refusal: 422 with only a message (recorded for 3.0 and actions)."""
    return ApiError(422, {"error_code": 422, "message": message})


class Form:
    """Symfony-like form reading: unknown fields and bad values become bexio's error strings."""

    def __init__(self, body: object, allowed: Collection[str], ignored: Collection[str] = ()):
        self.errors: list[str] = []
        if isinstance(body, list):
            # Recorded: an array posted to /2.0/contact names each index as an extra field.
            self.errors += [
                f'global: Unexpected extra form field named "{i}".' for i in range(len(body))
            ]
            body = {}
        mapping: Mapping[str, Any] = body if isinstance(body, Mapping) else {}
        for key in mapping:
            if key not in allowed and key not in ignored:
                self.errors.append(f'global: Unexpected extra form field named "{key}".')
        self.data = {k: v for k, v in mapping.items() if k in allowed}

    def __contains__(self, key: str) -> bool:
        return key in self.data

    def _blank(self, key: str) -> bool:
        value = self.data.get(key)
        return value is None or value == ""

    def require(self, *keys: str) -> None:
        """Each key must be present and not blank ("Pflichtfeld")."""
        for key in keys:
            if self._blank(key):
                self.errors.append(f"{key}: {REQUIRED}")

    def integer(self, key: str, *, valid: Callable[[int], bool] | None = None) -> int | None:
        """An integer (or digit string) accepted by `valid`; None when absent or wrong."""
        value = self.data.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or (valid and not valid(value)):
            self.errors.append(f"{key}: {INVALID}")
            return None
        return value

    def text(self, key: str, *, null_as: str | None = "") -> str | None:
        """A string; null becomes `null_as` (bexio turns most null strings into "")."""
        value = self.data.get(key)
        if value is None:
            return null_as
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.errors.append(f"{key}: {INVALID}")
            return null_as
        return str(value)

    def boolean(self, key: str) -> bool | None:
        """A boolean (also 0/1 and "true"/"false"); None when absent."""
        value = self.data.get(key)
        if value is None:
            return None
        if value in (True, False, 0, 1, "0", "1", "true", "false"):
            return value in (True, 1, "1", "true")
        self.errors.append(f"{key}: {INVALID}")
        return None

    def decimal(self, key: str) -> Decimal | None:
        """A decimal number or decimal string; None when absent or wrong."""
        value = self.data.get(key)
        if value is None or value == "":
            return None
        number = to_decimal(value)
        if number is None:
            self.errors.append(f"{key}: {INVALID}")
        return number

    def day(self, key: str) -> str | None:
        """A date, "YYYY-MM-DD"; a date-time is cut to its date."""
        value = self.data.get(key)
        if value is None or value == "":
            return None
        # Recorded: "2026-06-18 02:06:18" is stored as 2026-06-18 (API.md correction 7).
        match = _DATE.match(value) if isinstance(value, str) else None
        if match:
            try:
                return date.fromisoformat(match.group(1)).isoformat()
            except ValueError:
                pass
        self.errors.append(f"{key}: {INVALID}")
        return None

    def email(self, key: str) -> str | None:
        """A string that must look like an e-mail address when not empty."""
        value = self.text(key)
        if value and not _EMAIL.match(value):
            self.errors.append(f"{key}: {BAD_EMAIL}")
        return value

    def check(self) -> None:
        """Raise the collected errors as bexio's 2.0 form error (422)."""
        if self.errors:
            raise form_error(self.errors)


def nest_field_errors(errors: list[str]) -> list[str]:
    """`field: message` to the nested position format `field [message]`."""
    out = []
    for error in errors:
        field, _, message = error.partition(": ")
        out.append(f"{field} [{message}]")
    return out
