"""SaleorAdapter: the SaleorClient seen through `sync.ports.SaleorPort`."""

from __future__ import annotations

from collections.abc import Sequence

from saleor_bexio_app.ids import SaleorId
from saleor_bexio_app.saleor.client import SaleorClient
from saleor_bexio_app.sync.model import Customer, Order
from saleor_bexio_app.sync.vat import ShopTaxRate


class SaleorAdapter:
    """Reads from and transitions in one Saleor shop; satisfies `SaleorPort` structurally."""

    def __init__(self, client: SaleorClient) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"SaleorAdapter({self._client!r})"

    async def get_order(self, order_id: SaleorId) -> Order | None:
        """The order's current state, or None when it no longer exists."""
        return await self._client.get_order(order_id)

    async def get_customer(self, customer_id: SaleorId) -> Customer | None:
        """The customer's current state, or None when it no longer exists."""
        return await self._client.get_customer(customer_id)

    async def list_tax_rates(self) -> Sequence[ShopTaxRate]:
        """Every tax class rate per country, plus the countries' default rates."""
        return await self._client.list_tax_rates()

    async def mark_order_as_paid(self, order_id: SaleorId, reference: str) -> None:
        """Mark the order paid; `reference` (the bexio invoice number) shows on the payment."""
        await self._client.order_mark_as_paid(order_id, reference)

    async def confirm_order(self, order_id: SaleorId) -> None:
        """Confirm an unconfirmed order."""
        await self._client.order_confirm(order_id)

    async def fulfill_order(self, order_id: SaleorId) -> None:
        """Fulfil every remaining line; an order with nothing left to fulfil is left alone."""
        await self._client.order_fulfill(order_id)

    async def cancel_order(self, order_id: SaleorId) -> None:
        """Cancel the order."""
        await self._client.order_cancel(order_id)

    async def add_order_note(self, order_id: SaleorId, message: str) -> None:
        """Add a note to the order's history."""
        await self._client.order_note_add(order_id, message)
