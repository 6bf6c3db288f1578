"""BexioAdapter's choices for the settings pages and its master-data cache, on the emulator."""

from __future__ import annotations

from saleor_bexio_app.bexio.adapter import BexioAdapter
from saleor_bexio_app.sandbox.bexio import BexioEmulator
from saleor_bexio_app.sync.master_data import MasterDataPort
from tests.bexio.test_adapter import adapter, clock, emulator

__all__ = ["adapter", "clock", "emulator"]


def _count(emulator: BexioEmulator, path: str) -> int:
    return sum(1 for _, called in emulator.calls if called == path)


async def test_the_adapter_is_the_master_data_port(adapter: BexioAdapter) -> None:
    assert isinstance(adapter, MasterDataPort)


async def test_a_user_without_a_name_is_shown_by_email(
    adapter: BexioAdapter, emulator: BexioEmulator
) -> None:
    emulator.company.users[2] = {
        "id": 2,
        "salutation_type": None,
        "firstname": None,
        "lastname": " ",
        "email": "webshop@example.ch",
        "is_superadmin": False,
        "is_accountant": False,
    }
    users = await adapter.list_users()
    assert [(int(user.id), user.name) for user in users] == [
        (1, "Mustermann Maxmilian"),
        (2, "webshop@example.ch"),
    ]


async def test_a_bank_account_without_iban_or_currency_has_none(
    adapter: BexioAdapter, emulator: BexioEmulator
) -> None:
    emulator.company.bank_accounts[2] = {
        **emulator.company.bank_accounts[1],
        "id": 2,
        "name": "Kasse",
        "iban_nr": "",
        "currency_id": None,
        "type": "cash",
    }
    accounts = await adapter.list_bank_accounts()
    assert [(a.name, a.iban, a.currency) for a in accounts] == [
        ("Musterbank", "CH8781223780488303006", "CHF"),
        ("Kasse", None, None),
    ]


async def test_forgetting_the_document_settings_keeps_the_other_master_data(
    adapter: BexioAdapter, emulator: BexioEmulator
) -> None:
    # given cached taxes and document settings
    await adapter.list_taxes()
    assert await adapter.uses_automatic_numbering("KbInvoice") is True
    emulator.set_numbering(False)
    assert await adapter.uses_automatic_numbering("KbInvoice") is True
    # when only the document settings are forgotten
    adapter.forget_document_settings()
    # then bexio's new numbering is read, and the taxes still come from the cache
    assert await adapter.uses_automatic_numbering("KbInvoice") is False
    await adapter.list_taxes()
    assert _count(emulator, "/2.0/kb_item_setting") == 2
    assert _count(emulator, "/3.0/taxes") == 1
