"""Expected failures, grouped by what happens next.

`user_message` is safe to show a merchant; `detail` is for operators and never holds tokens,
whole response bodies or customer data. A `code` with its `params` lets the dashboard show the
message in the merchant's language (dashboard_extension/src/i18n.errors.ts); params
hold only values safe to show: order numbers, SKUs, rates, setting and field names, never tokens
or customer data.
"""

from collections.abc import Mapping
from enum import StrEnum
from typing import ClassVar

MessageParams = Mapping[str, str | int]


class FailureReason(StrEnum):
    TRANSIENT = "transient"
    REJECTED = "rejected"
    CONFIG = "config"
    AUTH = "auth"
    NOT_FOUND = "not_found"
    EXCEEDED = "exceeded"
    INTERNAL = "internal"
    # Not a failure: work the merchant must do by hand (e.g. a credit note in bexio).
    MANUAL = "manual"


class MessageCode(StrEnum):
    """Stable names of merchant messages the dashboard translates (with their params)."""

    VAT_RATE_UNMAPPED = "vat_rate_unmapped"  # item, line, taxClass, rate
    VAT_TAX_INACTIVE = "vat_tax_inactive"  # item, line, taxClass, rate, tax
    VAT_RATE_MISMATCH = "vat_rate_mismatch"  # item, line, taxClass, rate, tax
    BEXIO_NOT_CONNECTED = "bexio_not_connected"
    BEXIO_CONNECTION_REVOKED = "bexio_connection_revoked"
    BEXIO_UNAUTHORIZED = "bexio_unauthorized"
    BEXIO_UNAVAILABLE = "bexio_unavailable"  # status
    BEXIO_UNREACHABLE = "bexio_unreachable"
    BEXIO_TIMEOUT = "bexio_timeout"
    BEXIO_REJECTED = "bexio_rejected"  # what, fields (comma-separated bexio field names)
    SETTING_MISSING = "setting_missing"  # setting
    STOCK_REFUSED = "stock_refused"  # sku, quantity
    DUPLICATE_ARTICLE_NUMBER = "duplicate_article_number"  # number
    REFUND_CREDIT_NOTE = "refund_credit_note"  # order, amount, invoice ("" if unknown)
    SYNC_HALTED = "sync_halted"  # a job whose worker kept dying (jobs/queue.py `reap`)
    SEND_UNCONFIRMED = "send_unconfirmed"  # invoice, order


class AppError(Exception):
    """Base for expected failures."""

    reason: ClassVar[FailureReason] = FailureReason.INTERNAL
    retryable: ClassVar[bool] = False

    def __init__(
        self,
        user_message: str,
        *,
        detail: str = "",
        code: MessageCode | None = None,
        params: MessageParams | None = None,
    ) -> None:
        super().__init__(detail or user_message)
        self.user_message = user_message
        self.detail = detail
        self.code = code
        self.params: dict[str, str | int] = dict(params or {})


class TransientError(AppError):
    """Timeout, 5xx, 429: try again later, honouring `retry_after` (seconds) when known.

    `not_carried_out`: the other system certainly did not carry out the call (it was rate
    limited, or the request never reached it). Otherwise it may have, and only the answer got
    lost: a call that must not happen twice cannot simply be repeated.
    """

    reason = FailureReason.TRANSIENT
    retryable = True

    def __init__(
        self,
        user_message: str,
        *,
        detail: str = "",
        retry_after: float | None = None,
        code: MessageCode | None = None,
        params: MessageParams | None = None,
        not_carried_out: bool = False,
    ) -> None:
        super().__init__(user_message, detail=detail, code=code, params=params)
        self.retry_after = retry_after
        self.not_carried_out = not_carried_out


class RejectedError(AppError):
    """The other system refused the data: it must change before a retry can succeed."""

    reason = FailureReason.REJECTED


class StockRefusedError(RejectedError):
    """bexio refused an article's `stock_nr`: it can be set only before the first stock booking."""


class NotFoundError(AppError):
    """The object is gone on the other side."""

    reason = FailureReason.NOT_FOUND


class ConfigError(AppError):
    """The shop's configuration does not allow this work (e.g. an unmapped VAT rate)."""

    reason = FailureReason.CONFIG


class AuthError(ConfigError):
    """A token was refused or revoked; the merchant has to reconnect or reinstall."""

    reason = FailureReason.AUTH


class ManualActionError(AppError):
    """Not a failure of the app: the merchant must do something by hand (e.g. a credit note)."""

    reason = FailureReason.MANUAL
