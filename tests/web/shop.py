"""A shop ready for end-to-end sync tests: installed, connected to bexio, configured."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from saleor_bexio_app.ids import BexioAccountId, BexioBankAccountId, BexioTaxId, InstallationId
from saleor_bexio_app.sandbox.bexio import BexioEmulator
from saleor_bexio_app.sandbox.saleor_double import InstalledApp, SaleorDouble
from saleor_bexio_app.sync.vat import TaxMapping
from tests.builders import make_settings
from tests.web.conftest import SHOP_A, Harness

UN81, UR26 = BexioTaxId(14), BexioTaxId(15)


async def ready_shop(
    harness: Harness,
    *,
    connect: bool = True,
    bexio_options: dict[str, Any] | None = None,
    **settings: Any,
) -> tuple[SaleorDouble, InstalledApp, BexioEmulator]:
    """An installed shop; connected to bexio with complete settings and VAT mapping if asked."""
    emulator = harness.add_bexio(**(bexio_options or {}))
    double = harness.add_saleor(SHOP_A)
    app = await harness.install(double)
    await harness.run_jobs()
    if not connect:
        return double, app, emulator
    assert (await harness.connect_bexio(double, app)).status_code == 200
    [installation] = await harness.installations()
    repo = harness.services.sync_repo
    shop = InstallationId(installation.id)
    await repo.save_shop_settings(
        shop,
        make_settings(
            revenue_account_id=BexioAccountId(101),
            bank_account_id=BexioBankAccountId(1),
            payment_type_id=None,
            language_id=None,
            **settings,
        ),
    )
    await repo.save_tax_mapping(
        shop, TaxMapping(by_rate={Decimal("8.1"): UN81, Decimal("2.6"): UR26})
    )
    return double, app, emulator


async def deliver_order_event(
    harness: Harness, double: SaleorDouble, app: InstalledApp, event: str, order_id: str
) -> None:
    """A signed order webhook from the double into the app, accepted."""
    headers, body = double.order_webhook(event, order_id, app.id)
    slug = event.lower().replace("_", "-")
    response = await harness.client.post(f"/api/webhooks/{slug}", content=body, headers=headers)
    assert response.status_code == 200, response.text


async def deliver_product_event(
    harness: Harness,
    double: SaleorDouble,
    app: InstalledApp,
    event: str,
    product_id: str,
    *,
    variant_id: str | None = None,
    warehouse_id: str | None = None,
) -> None:
    """A signed product or variant webhook from the double into the app, accepted."""
    headers, body = double.product_webhook(
        event, product_id, app.id, variant_id=variant_id, warehouse_id=warehouse_id
    )
    slug = event.lower().replace("_", "-")
    response = await harness.client.post(f"/api/webhooks/{slug}", content=body, headers=headers)
    assert response.status_code == 200, response.text


async def run_all(harness: Harness) -> None:
    """Run jobs until none is due."""
    while await harness.run_jobs():
        pass
