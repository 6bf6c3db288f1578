"""What the settings pages choose from in bexio, and bexio's document numbering beside the app's.

Reading needs what every request needs (MANAGE_ORDERS, checked in api/context.py). The lists
come from the shared master-data cache (a few minutes old at most); `refresh: true` reads them
afresh. bexio's numbering setting is always read afresh: the merchant compares it right after
changing it in bexio.
"""

from __future__ import annotations

from typing import Annotated

import strawberry

from saleor_bexio_app.api.vat_orders import BexioNotConnected, BexioUnavailable
from saleor_bexio_app.errors import AppError, AuthError
from saleor_bexio_app.ids import InstallationId
from saleor_bexio_app.sync import master_data as domain
from saleor_bexio_app.sync.master_data import MasterDataPort
from saleor_bexio_app.sync.numbering import check_numbering
from saleor_bexio_app.web.services import Services

INVOICE_CLASS = "KbInvoice"


@strawberry.type
class BexioUserOption:
    """A bexio user who can own contacts and documents."""

    id: int
    name: str
    email: str | None

    @classmethod
    def of(cls, user: domain.UserChoice) -> BexioUserOption:
        return cls(id=int(user.id), name=user.name, email=user.email)


@strawberry.type
class BexioBankAccountOption:
    """A bexio bank account; `currency` is the ISO code, null when bexio names none."""

    id: int
    name: str
    iban: str | None
    currency: str | None

    @classmethod
    def of(cls, account: domain.BankAccountChoice) -> BexioBankAccountOption:
        return cls(
            id=int(account.id), name=account.name, iban=account.iban, currency=account.currency
        )


@strawberry.type
class BexioPaymentTypeOption:
    """A bexio payment type."""

    id: int
    name: str

    @classmethod
    def of(cls, payment_type: domain.PaymentTypeChoice) -> BexioPaymentTypeOption:
        return cls(id=int(payment_type.id), name=payment_type.name)


@strawberry.type
class BexioLanguageOption:
    """A bexio language; `code` is ISO 639-1 (e.g. de), null when bexio names none."""

    id: int
    name: str
    code: str | None

    @classmethod
    def of(cls, language: domain.LanguageChoice) -> BexioLanguageOption:
        return cls(id=int(language.id), name=language.name, code=language.code)


@strawberry.type
class BexioRevenueAccountOption:
    """An active bexio revenue account; `accountNo` is its number in the chart, e.g. 3200."""

    id: int
    account_no: str
    name: str

    @classmethod
    def of(cls, account: domain.RevenueAccountChoice) -> BexioRevenueAccountOption:
        return cls(id=int(account.id), account_no=account.account_no, name=account.name)


@strawberry.type
class BexioMasterData:
    """The choices bexio offers for the shop's settings, each list in bexio's order."""

    users: list[BexioUserOption]
    bank_accounts: list[BexioBankAccountOption]
    payment_types: list[BexioPaymentTypeOption]
    languages: list[BexioLanguageOption]
    revenue_accounts: list[BexioRevenueAccountOption]


BexioMasterDataResult = Annotated[
    BexioMasterData | BexioNotConnected | BexioUnavailable,
    strawberry.union("BexioMasterDataResult"),
]


@strawberry.type
class BexioNumbering:
    """Whether bexio numbers invoices itself (`bexioAutomatic`, its document settings) and
    whether the app's settings expect it to (`appAutomatic`); `matches` when both agree, else
    `problem` says what to change (orders are not synced until they agree)."""

    bexio_automatic: bool
    app_automatic: bool
    matches: bool
    problem: str | None


BexioNumberingResult = Annotated[
    BexioNumbering | BexioNotConnected | BexioUnavailable,
    strawberry.union("BexioNumberingResult"),
]


async def _master_data_port(services: Services, shop: InstallationId) -> MasterDataPort:
    bexio = (await services.shop_ports(shop)).bexio
    if not isinstance(bexio, MasterDataPort):
        raise AppError(
            "The app cannot read bexio's lists.",
            detail=f"{type(bexio).__name__} does not read master data",
        )
    return bexio


async def read_master_data(
    services: Services, shop: InstallationId, *, refresh: bool
) -> BexioMasterDataResult:
    try:
        bexio = await _master_data_port(services, shop)
        if refresh:
            bexio.forget_master_data()
        return BexioMasterData(
            users=[BexioUserOption.of(user) for user in await bexio.list_users()],
            bank_accounts=[
                BexioBankAccountOption.of(account) for account in await bexio.list_bank_accounts()
            ],
            payment_types=[
                BexioPaymentTypeOption.of(kind) for kind in await bexio.list_payment_types()
            ],
            languages=[
                BexioLanguageOption.of(language) for language in await bexio.list_language_choices()
            ],
            revenue_accounts=[
                BexioRevenueAccountOption.of(account)
                for account in await bexio.list_revenue_accounts()
            ],
        )
    except AuthError as exc:
        return BexioNotConnected(message=exc.user_message)
    except AppError as exc:
        return BexioUnavailable(message=exc.user_message)


async def read_numbering(services: Services, shop: InstallationId) -> BexioNumberingResult:
    settings = await services.sync_repo.shop_settings(shop)
    try:
        bexio = await _master_data_port(services, shop)
        bexio.forget_document_settings()
        automatic = await bexio.uses_automatic_numbering(INVOICE_CLASS)
    except AuthError as exc:
        return BexioNotConnected(message=exc.user_message)
    except AppError as exc:
        return BexioUnavailable(message=exc.user_message)
    problem = check_numbering(settings, automatic)
    return BexioNumbering(
        bexio_automatic=automatic,
        app_automatic=settings.automatic_numbering,
        matches=problem is None,
        problem=None if problem is None else problem.message,
    )
