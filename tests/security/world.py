"""Two shops on one app, both connected to bexio; shop B holds data shop A must never see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from saleor_bexio_app.ids import BexioAccountId, BexioBankAccountId, InstallationId
from saleor_bexio_app.jobs.backfill import BackfillEntity, start_backfill
from saleor_bexio_app.sandbox.bexio import BexioEmulator
from saleor_bexio_app.sandbox.saleor_double import InstalledApp, SaleorDouble, address
from tests.builders import make_settings, make_tax_mapping
from tests.web.conftest import SHOP_A, SHOP_B, Harness
from tests.web.shop import deliver_order_event, run_all

# Text only shop B's data carries: its invoice title and e-mail subject.
B_MARKER = "Velo-B-7731"
CUSTOMER_EMAIL = "vreni.b@kunde-b.ch"
CUSTOMER_STREET = "Rosenweg 77b"


@dataclass(frozen=True)
class World:
    harness: Harness
    bexio: BexioEmulator
    a: SaleorDouble
    app_a: InstalledApp
    b: SaleorDouble
    app_b: InstalledApp
    shop_a: InstallationId
    shop_b: InstallationId
    b_invoiced_order: str
    b_parked_order: str


async def _connected(harness: Harness, api_url: str) -> tuple[SaleorDouble, InstalledApp]:
    double = harness.add_saleor(api_url)
    app = await harness.install(double)
    await run_all(harness)
    assert (await harness.connect_bexio(double, app)).status_code == 200
    return double, app


async def two_shops(harness: Harness) -> World:
    """Shops A and B installed and connected; B has settings, VAT, an invoice, an error, a backfill.

    B's orders are created after a few others, so their ids are ones shop A never had.
    """
    bexio = harness.add_bexio()
    a, app_a = await _connected(harness, SHOP_A)
    b, app_b = await _connected(harness, SHOP_B)
    ids = {row.saleor_api_url: InstallationId(row.id) for row in await harness.installations()}
    shop_a, shop_b = ids[SHOP_A], ids[SHOP_B]
    repo = harness.services.sync_repo
    await repo.save_shop_settings(
        shop_b,
        make_settings(
            revenue_account_id=BexioAccountId(101),
            bank_account_id=BexioBankAccountId(1),
            payment_type_id=None,
            language_id=None,
            invoice_title=f"{B_MARKER} {{number}}",
            email_subject=f"{B_MARKER} invoice {{number}}",
        ),
    )
    await repo.save_tax_mapping(shop_b, make_tax_mapping())
    for _ in range(5):
        b.add_order()
    billing = address(streetAddress1=CUSTOMER_STREET, firstName="Vreni", lastName="Beispiel")
    invoiced = b.add_order(
        userEmail=CUSTOMER_EMAIL, billingAddress=billing, shippingAddress=billing
    )
    parked = b.add_order(
        lines=[b.order_line("Wine", quantity=1, unit_price="20.00", tax_rate="0.038")]
    )
    for order in (invoiced, parked):
        await deliver_order_event(harness, b, app_b, "ORDER_CREATED", order["id"])
    await run_all(harness)
    await start_backfill(
        harness.services.sessions,
        shop_b,
        BackfillEntity.ORDERS,
        date(2026, 1, 1),
        now=harness.clock(),
    )
    return World(harness, bexio, a, app_a, b, app_b, shop_a, shop_b, invoiced["id"], parked["id"])
