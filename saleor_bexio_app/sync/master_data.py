"""bexio's master data as the merchant chooses from it: users, bank accounts, payment types,
languages and revenue accounts, plus the port that reads them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from saleor_bexio_app.ids import (
    BexioAccountId,
    BexioBankAccountId,
    BexioLanguageId,
    BexioPaymentTypeId,
    BexioUserId,
)


@dataclass(frozen=True, slots=True)
class UserChoice:
    """A bexio user who can own contacts and documents."""

    id: BexioUserId
    name: str
    email: str | None


@dataclass(frozen=True, slots=True)
class BankAccountChoice:
    """A bexio bank account; `currency` is the ISO code when bexio names one."""

    id: BexioBankAccountId
    name: str
    iban: str | None
    currency: str | None


@dataclass(frozen=True, slots=True)
class PaymentTypeChoice:
    """A bexio payment type."""

    id: BexioPaymentTypeId
    name: str


@dataclass(frozen=True, slots=True)
class LanguageChoice:
    """A bexio language; `code` is ISO 639-1 when bexio names one."""

    id: BexioLanguageId
    name: str
    code: str | None


@dataclass(frozen=True, slots=True)
class RevenueAccountChoice:
    """An active bexio revenue (earnings) account."""

    id: BexioAccountId
    account_no: str
    name: str


@runtime_checkable
class MasterDataPort(Protocol):
    """The choices bexio offers for the shop's settings; errors are `errors.py` kinds."""

    async def list_users(self) -> Sequence[UserChoice]:
        """Every user of the company, by id."""
        ...

    async def list_bank_accounts(self) -> Sequence[BankAccountChoice]:
        """Every bank account, by id."""
        ...

    async def list_payment_types(self) -> Sequence[PaymentTypeChoice]:
        """Every payment type, by id."""
        ...

    async def list_language_choices(self) -> Sequence[LanguageChoice]:
        """Every language, by id."""
        ...

    async def list_revenue_accounts(self) -> Sequence[RevenueAccountChoice]:
        """The active revenue accounts, by account number."""
        ...

    def forget_master_data(self) -> None:
        """Read master data from bexio again next time."""
        ...

    def forget_document_settings(self) -> None:
        """Read the document settings (numbering) from bexio again next time."""
        ...

    async def uses_automatic_numbering(self, document_class: str) -> bool:
        """bexio's `use_automatic_enumeration` for "KbInvoice" or "KbOrder"."""
        ...
