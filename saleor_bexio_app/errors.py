"""Expected failures, grouped by what happens next.

`user_message` is safe to show a merchant; `detail` is for operators and never holds tokens,
whole response bodies or customer data.
"""

from enum import StrEnum
from typing import ClassVar


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


class AppError(Exception):
    """Base for expected failures."""

    reason: ClassVar[FailureReason] = FailureReason.INTERNAL
    retryable: ClassVar[bool] = False

    def __init__(self, user_message: str, *, detail: str = "") -> None:
        super().__init__(detail or user_message)
        self.user_message = user_message
        self.detail = detail


class TransientError(AppError):
    """Timeout, 5xx, 429: try again later, honouring `retry_after` (seconds) when known."""

    reason = FailureReason.TRANSIENT
    retryable = True

    def __init__(
        self, user_message: str, *, detail: str = "", retry_after: float | None = None
    ) -> None:
        super().__init__(user_message, detail=detail)
        self.retry_after = retry_after


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
