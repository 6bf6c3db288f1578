"""The VAT tab: Saleor's tax rates beside bexio's taxes and the shop's stored mapping."""

from __future__ import annotations

from saleor_bexio_app.ids import InstallationId
from saleor_bexio_app.sync.vat import VatComparison, compare_vat
from saleor_bexio_app.web.services import Services


async def vat_overview(services: Services, installation_id: InstallationId) -> VatComparison:
    """Shop rates, bexio taxes, the mapping and every problem; AuthError when not connected.

    bexio's taxes are read afresh: the merchant opens the VAT tab right after changing them.
    """
    ports = await services.shop_ports(installation_id)
    ports.bexio.forget_master_data()
    shop_rates = await ports.saleor.list_tax_rates()
    bexio_taxes = await ports.bexio.list_taxes()
    mapping = await services.sync_repo.tax_mapping(installation_id)
    return compare_vat(shop_rates, bexio_taxes, mapping)
