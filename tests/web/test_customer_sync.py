"""Customers end to end: shop → bexio only, e-mail is the key, a changed e-mail updates."""

from __future__ import annotations

from typing import Any

from saleor_bexio_app.sandbox.bexio import BexioEmulator
from saleor_bexio_app.sandbox.saleor_double import InstalledApp, SaleorDouble
from tests.web.conftest import Harness
from tests.web.shop import ready_shop as _shop
from tests.web.shop import run_all as _run_all


async def _customer_event(
    harness: Harness, double: SaleorDouble, app: InstalledApp, event: str, customer: dict[str, Any]
) -> None:
    response = await harness.deliver(
        double,
        event,
        {
            "__typename": "CustomerUpdated",
            "issuedAt": "2026-11-23T19:21:10+00:00",
            "version": "3.24.0-a.0",
            "recipient": {"id": app.id},
            "user": {"id": customer["id"], "updatedAt": customer["updatedAt"]},
        },
    )
    assert response.status_code == 200, response.text


def _contacts(emulator: BexioEmulator, *mails: str) -> list[dict[str, Any]]:
    return [c for c in emulator.contacts.values() if c.get("mail") in mails]


async def test_new_customer_becomes_one_person_contact(harness: Harness) -> None:
    double, app, emulator = await _shop(harness)
    customer = double.add_customer(email="lea@example.ch", firstName="Lea", lastName="Keller")
    await _customer_event(harness, double, app, "CUSTOMER_CREATED", customer)
    await _customer_event(harness, double, app, "CUSTOMER_UPDATED", customer)
    await _run_all(harness)
    [contact] = _contacts(emulator, "lea@example.ch")
    assert contact["contact_type_id"] == 2
    assert (contact["name_1"], contact["name_2"]) == ("Keller", "Lea")
    assert (contact["street_name"], contact["house_number"]) == ("Bahnhofstrasse", "12a")


async def test_existing_bexio_contact_with_that_email_is_reused(harness: Harness) -> None:
    double, app, emulator = await _shop(harness)
    existing = emulator.add_contact(
        contact_type_id=2, name_1="Keller", mail="lea@example.ch", user_id=1, owner_id=1
    )
    customer = double.add_customer(email="lea@example.ch", firstName="Lea", lastName="Keller")
    await _customer_event(harness, double, app, "CUSTOMER_CREATED", customer)
    await _run_all(harness)
    [contact] = _contacts(emulator, "lea@example.ch")
    assert contact["id"] == existing["id"]
    assert contact["street_name"] == "Bahnhofstrasse"


async def test_changed_email_updates_the_linked_contact(harness: Harness) -> None:
    double, app, emulator = await _shop(harness)
    customer = double.add_customer(email="lea@example.ch", firstName="Lea", lastName="Keller")
    await _customer_event(harness, double, app, "CUSTOMER_CREATED", customer)
    await _run_all(harness)
    customer["email"] = "lea.keller@example.ch"
    await _customer_event(harness, double, app, "CUSTOMER_UPDATED", customer)
    await _run_all(harness)
    assert _contacts(emulator, "lea@example.ch") == []
    [contact] = _contacts(emulator, "lea.keller@example.ch")
    assert contact["name_1"] == "Keller"
