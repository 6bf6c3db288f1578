"""SaleorClient: one typed async method per GraphQL operation the app sends (gql over httpx)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import httpx
from gql import Client, GraphQLRequest, gql
from gql.transport.exceptions import (
    TransportConnectionFailed,
    TransportProtocolError,
    TransportQueryError,
    TransportServerError,
)
from gql.transport.httpx import HTTPXAsyncTransport
from graphql import GraphQLError
from pydantic import BaseModel, ValidationError

from saleor_bexio_app.errors import AppError, AuthError, RejectedError, TransientError
from saleor_bexio_app.ids import AppId, SaleorApiUrl, SaleorId
from saleor_bexio_app.saleor.wire import (
    SaleorFulfilmentOrder,
    SaleorMutationError,
    SaleorOrder,
    SaleorTaxClass,
    SaleorTaxConfiguration,
    SaleorTaxCountryConfiguration,
    SaleorUser,
    to_customer,
    to_order,
    to_tax_rates,
)
from saleor_bexio_app.sync.model import Customer, Order
from saleor_bexio_app.sync.vat import ShopTaxRate

APP_ID_QUERY = gql("query AppId { app { id } }")
SHOP_INFO_QUERY = gql("query ShopInfo { shop { name version } }")

_ADDRESS = """
fragment AddressFields on Address {
  firstName lastName companyName streetAddress1 streetAddress2
  postalCode city countryArea country { code } phone
}
"""
_TAXED = """
fragment Taxed on TaxedMoney { net { amount } gross { amount } }
"""

ORDER_QUERY = gql(
    """
query Order($id: ID!) {
  order(id: $id) {
    id number status chargeStatus created updatedAt
    userEmail user { id } languageCodeEnum taxExemption voucherCode
    channel { slug currencyCode taxConfiguration { pricesEnteredWithTax } }
    billingAddress { ...AddressFields }
    lines {
      id productName variantName productSku quantity taxRate
      unitPrice { ...Taxed }
      totalPrice { ...Taxed }
      undiscountedUnitPrice { ...Taxed }
      unitDiscount { amount }
      taxClass { id } taxClassName taxClassMetadata { key value }
    }
    shippingMethodName shippingPrice { ...Taxed } undiscountedShippingPrice { amount }
    shippingTaxRate shippingTaxClass { id } shippingTaxClassName
    shippingTaxClassMetadata { key value }
    discounts { type name valueType value reason amount { amount } }
    giftCards {
      id last4CodeChars
      events(filter: { type: USED_IN_ORDER, orders: [$id] }) {
        orderId balance { currentBalance { amount } oldCurrentBalance { amount } }
      }
    }
    total { ...Taxed }
    totalCharged { amount }
    totalRefunded { amount }
  }
}
"""
    + _ADDRESS
    + _TAXED
)

CUSTOMER_QUERY = gql(
    """
query Customer($id: ID!) {
  user(id: $id) {
    id email firstName lastName languageCode updatedAt
    defaultBillingAddress { ...AddressFields }
  }
}
"""
    + _ADDRESS
)

TAX_CLASSES_QUERY = gql(
    """
query TaxClasses($after: String) {
  taxClasses(first: 100, after: $after) {
    edges { node { id name metadata { key value } countries { country { code } rate } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
)

TAX_COUNTRY_CONFIGURATIONS_QUERY = gql(
    """
query TaxCountryConfigurations {
  taxCountryConfigurations {
    country { code }
    taxClassCountryRates { country { code } rate taxClass { id } }
  }
}
"""
)

TAX_CONFIGURATIONS_QUERY = gql(
    """
query TaxConfigurations($after: String) {
  taxConfigurations(first: 100, after: $after) {
    edges {
      node {
        id channel { slug currencyCode }
        chargeTaxes taxCalculationStrategy pricesEnteredWithTax displayGrossPrices
        countries { country { code } chargeTaxes taxCalculationStrategy displayGrossPrices }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""
)

FULFILMENT_LINES_QUERY = gql(
    """
query OrderFulfilmentLines($id: ID!) {
  order(id: $id) {
    id
    lines { id quantityToFulfill allocations { quantity warehouse { id } } }
  }
}
"""
)

ORDER_MARK_AS_PAID = gql(
    """
mutation OrderMarkAsPaid($id: ID!, $reference: String) {
  orderMarkAsPaid(id: $id, transactionReference: $reference) {
    errors { field code message }
    order { id chargeStatus }
  }
}
"""
)

ORDER_CONFIRM = gql(
    """
mutation OrderConfirm($id: ID!) {
  orderConfirm(id: $id) {
    errors { field code message }
    order { id status }
  }
}
"""
)

ORDER_FULFILL = gql(
    """
mutation OrderFulfill($id: ID!, $lines: [OrderFulfillLineInput!]!) {
  orderFulfill(order: $id, input: { lines: $lines, notifyCustomer: false }) {
    errors { field code message }
    order { id status }
  }
}
"""
)

ORDER_CANCEL = gql(
    """
mutation OrderCancel($id: ID!) {
  orderCancel(id: $id) {
    errors { field code message }
    order { id status }
  }
}
"""
)

ORDER_NOTE_ADD = gql(
    """
mutation OrderNoteAdd($id: ID!, $message: String!) {
  orderNoteAdd(order: $id, input: { message: $message }) {
    errors { field code message }
    event { id }
  }
}
"""
)

ORDERS_CREATED_SINCE_QUERY = gql(
    """
query OrdersCreatedSince($since: DateTime!, $first: Int!, $after: String) {
  orders(
    where: { createdAt: { gte: $since } }
    sortBy: { field: CREATED_AT, direction: ASC }
    first: $first
    after: $after
  ) {
    totalCount
    edges { node { id } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
)

CUSTOMERS_JOINED_SINCE_QUERY = gql(
    """
query CustomersJoinedSince($since: DateTime!, $first: Int!, $after: String) {
  customers(
    where: { dateJoined: { gte: $since } }
    sortBy: { field: CREATED_AT, direction: ASC }
    first: $first
    after: $after
  ) {
    totalCount
    edges { node { id } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
)

DEFAULT_TIMEOUT = httpx.Timeout(20.0, connect=5.0)
_M = TypeVar("_M", bound=BaseModel)


@dataclass(frozen=True, slots=True)
class ShopInfo:
    name: str
    version: str


@dataclass(frozen=True, slots=True)
class IdPage:
    """One page of object ids, oldest first; `end_cursor` continues after the last of them."""

    ids: list[SaleorId]
    total: int
    end_cursor: str | None
    has_next: bool


class SaleorClient:
    """Talks to one Saleor API as the installed app; raises AppError kinds, never gql exceptions."""

    def __init__(
        self,
        api_url: SaleorApiUrl,
        token: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    ) -> None:
        self._api_url = api_url
        self._token = token
        self._transport = transport
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"SaleorClient({self._api_url!r})"

    async def get_app_id(self) -> AppId:
        """The id of the app the token belongs to; proves the token is valid."""
        data = await self._execute(APP_ID_QUERY)
        app = data.get("app")
        if not app or not app.get("id"):
            raise AuthError(
                "Saleor did not accept the app token.", detail="app { id } returned no app"
            )
        return AppId(str(app["id"]))

    async def get_shop_info(self) -> ShopInfo:
        """The shop's name and Saleor version."""
        data = await self._execute(SHOP_INFO_QUERY)
        shop = data.get("shop") or {}
        return ShopInfo(name=str(shop.get("name") or ""), version=str(shop.get("version") or ""))

    async def get_order(self, order_id: SaleorId) -> Order | None:
        """The order with everything the sync needs, or None when Saleor has no such order."""
        data = await self._execute(ORDER_QUERY, {"id": order_id})
        if data.get("order") is None:
            return None
        return to_order(_parse(SaleorOrder, data["order"], "order"))

    async def get_customer(self, customer_id: SaleorId) -> Customer | None:
        """The customer (a Saleor user), or None when Saleor has no such user."""
        data = await self._execute(CUSTOMER_QUERY, {"id": customer_id})
        if data.get("user") is None:
            return None
        return to_customer(_parse(SaleorUser, data["user"], "customer"))

    async def list_order_ids(
        self, since: datetime, *, first: int, after: str | None = None
    ) -> IdPage:
        """Ids of orders created at or after `since`, oldest first, one page."""
        return await self._id_page(ORDERS_CREATED_SINCE_QUERY, "orders", since, first, after)

    async def list_customer_ids(
        self, since: datetime, *, first: int, after: str | None = None
    ) -> IdPage:
        """Ids of customers who joined at or after `since`, oldest first, one page."""
        return await self._id_page(CUSTOMERS_JOINED_SINCE_QUERY, "customers", since, first, after)

    async def list_tax_classes(self) -> list[SaleorTaxClass]:
        """Every tax class with its per-country rates (percent), all pages."""
        return [
            _parse(SaleorTaxClass, node, "tax class")
            for node in await self._all_nodes(TAX_CLASSES_QUERY, "taxClasses")
        ]

    async def list_tax_configurations(self) -> list[SaleorTaxConfiguration]:
        """Each channel's tax settings (gross or net prices, flat rates or a tax app), all pages."""
        return [
            _parse(SaleorTaxConfiguration, node, "tax configuration")
            for node in await self._all_nodes(TAX_CONFIGURATIONS_QUERY, "taxConfigurations")
        ]

    async def list_tax_country_configurations(self) -> list[SaleorTaxCountryConfiguration]:
        """Each country's flat rates; a rate without a tax class is the country's default."""
        data = await self._execute(TAX_COUNTRY_CONFIGURATIONS_QUERY)
        return [
            _parse(SaleorTaxCountryConfiguration, config, "country tax configuration")
            for config in data.get("taxCountryConfigurations") or []
        ]

    async def list_tax_rates(self) -> list[ShopTaxRate]:
        """Tax class rates per country, then the countries' default rates."""
        return to_tax_rates(
            await self.list_tax_classes(), await self.list_tax_country_configurations()
        )

    async def order_mark_as_paid(self, order_id: SaleorId, transaction_reference: str) -> None:
        """Mark the order as paid in full (orderMarkAsPaid) with a reference shown in Saleor."""
        data = await self._execute(
            ORDER_MARK_AS_PAID, {"id": order_id, "reference": transaction_reference}
        )
        _raise_mutation_errors(data, "orderMarkAsPaid", "mark the order as paid")

    async def order_confirm(self, order_id: SaleorId) -> None:
        """Confirm an unconfirmed order (orderConfirm)."""
        data = await self._execute(ORDER_CONFIRM, {"id": order_id})
        _raise_mutation_errors(data, "orderConfirm", "confirm the order")

    async def order_fulfill(self, order_id: SaleorId) -> bool:
        """Fulfil every remaining line from the warehouses it is allocated in (orderFulfill).

        Returns False, without a mutation, when nothing is left to fulfil.
        """
        data = await self._execute(FULFILMENT_LINES_QUERY, {"id": order_id})
        if data.get("order") is None:
            raise RejectedError(
                "Saleor has no such order to fulfil.", detail=f"order {order_id} not found"
            )
        lines = _fulfilment_lines(_parse(SaleorFulfilmentOrder, data["order"], "order"))
        if not lines:
            return False
        data = await self._execute(ORDER_FULFILL, {"id": order_id, "lines": lines})
        _raise_mutation_errors(data, "orderFulfill", "fulfil the order")
        return True

    async def order_cancel(self, order_id: SaleorId) -> None:
        """Cancel the order (orderCancel)."""
        data = await self._execute(ORDER_CANCEL, {"id": order_id})
        _raise_mutation_errors(data, "orderCancel", "cancel the order")

    async def order_note_add(self, order_id: SaleorId, message: str) -> None:
        """Add a note to the order's history (orderNoteAdd; orderAddNote is gone in 3.24)."""
        data = await self._execute(ORDER_NOTE_ADD, {"id": order_id, "message": message})
        _raise_mutation_errors(data, "orderNoteAdd", "add a note to the order")

    async def execute(
        self, request: GraphQLRequest, variables: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Run one of the app's documents with this client's token and error mapping."""
        return await self._execute(request, variables)

    async def _id_page(
        self,
        request: GraphQLRequest,
        field: str,
        since: datetime,
        first: int,
        after: str | None,
    ) -> IdPage:
        variables = {"since": since.isoformat(), "first": first, "after": after}
        connection = (await self._execute(request, variables)).get(field) or {}
        page = connection.get("pageInfo") or {}
        return IdPage(
            ids=[SaleorId(str(edge["node"]["id"])) for edge in connection.get("edges") or []],
            total=int(connection.get("totalCount") or 0),
            end_cursor=page.get("endCursor"),
            has_next=bool(page.get("hasNextPage")),
        )

    async def _all_nodes(self, request: GraphQLRequest, field: str) -> list[Any]:
        """Every node of a connection, following `endCursor` (Saleor serves at most 100)."""
        nodes: list[Any] = []
        after: str | None = None
        while True:
            data = await self._execute(request, {"after": after})
            connection = data.get(field) or {}
            nodes.extend(edge["node"] for edge in connection.get("edges") or [])
            page = connection.get("pageInfo") or {}
            after = page.get("endCursor")
            if not page.get("hasNextPage") or not after:
                return nodes

    async def _execute(
        self, request: GraphQLRequest, variables: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        statuses: list[int] = []

        async def _record_status(response: httpx.Response) -> None:
            statuses.append(response.status_code)

        kwargs: dict[str, Any] = {
            "headers": {"Authorization": f"Bearer {self._token}"},
            "timeout": self._timeout,
            "event_hooks": {"response": [_record_status]},
        }
        if self._transport is not None:
            kwargs["transport"] = self._transport
        transport = HTTPXAsyncTransport(url=self._api_url, **kwargs)
        # No schema here: every document is checked against Saleor's schema by the tests, and
        # validating fixed documents again on each call would cost ~3 ms and the schema's
        # ~30 MiB in every process.
        client = Client(transport=transport)
        try:
            async with client as session:
                result: dict[str, Any] = await session.execute(
                    GraphQLRequest(request, variable_values=variables)
                )
                return result
        except TransportQueryError as exc:
            # gql reads a GraphQL error body even from a 4xx/5xx answer; the status decides.
            status = statuses[-1] if statuses else 200
            if status >= 500:
                raise TransientError(
                    "Saleor is not answering right now.", detail=f"HTTP {status}"
                ) from exc
            if status in (401, 403):
                raise AuthError("Saleor refused the app token.", detail=f"HTTP {status}") from exc
            raise _query_error(exc) from exc
        except TransportServerError as exc:
            if exc.code in (401, 403):
                raise AuthError("Saleor refused the app token.", detail=f"HTTP {exc.code}") from exc
            raise TransientError(
                "Saleor is not answering right now.", detail=f"HTTP {exc.code}"
            ) from exc
        except (TransportConnectionFailed, httpx.TransportError) as exc:
            raise TransientError("Saleor could not be reached.", detail=type(exc).__name__) from exc
        except TransportProtocolError as exc:
            raise TransientError(
                "Saleor sent an answer the app could not read.", detail="protocol error"
            ) from exc
        except GraphQLError as exc:
            # gql refused the request before sending it: a bug in the app, not in the shop.
            raise AppError("The app sent Saleor an invalid request.", detail=exc.message) from exc


def _parse(model: type[_M], value: Any, what: str) -> _M:
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        # Field paths only: the values may be customer data.
        paths = sorted({".".join(map(str, error["loc"])) for error in exc.errors()})
        raise AppError(
            f"Saleor sent a {what} the app could not read.", detail=f"invalid fields: {paths}"
        ) from exc


def _fulfilment_lines(order: SaleorFulfilmentOrder) -> list[dict[str, Any]]:
    """orderFulfill lines: each line's remaining quantity taken from its allocations in turn."""
    lines: list[dict[str, Any]] = []
    for line in order.lines:
        remaining = line.quantityToFulfill
        if remaining <= 0:
            continue
        allocations = line.allocations or []
        if not allocations:
            raise RejectedError(
                "An order line to fulfil is not allocated to any warehouse in Saleor; "
                "allocate it (or fulfil it in the dashboard) and retry.",
                detail=f"line {line.id} has no allocations",
            )
        stocks: dict[str, int] = {}
        for allocation in allocations:
            take = min(allocation.quantity, remaining)
            if take > 0:
                stocks[allocation.warehouse.id] = stocks.get(allocation.warehouse.id, 0) + take
                remaining -= take
        if remaining > 0:
            # Allocated less than ordered (stock changed): Saleor checks the stock itself.
            first = allocations[0].warehouse.id
            stocks[first] = stocks.get(first, 0) + remaining
        lines.append(
            {
                "orderLineId": line.id,
                "stocks": [{"warehouse": wh, "quantity": qty} for wh, qty in stocks.items()],
            }
        )
    return lines


def _raise_mutation_errors(data: dict[str, Any], field: str, action: str) -> None:
    payload = data.get(field)
    if payload is None:
        raise RejectedError(f"Saleor did not {action}.", detail=f"{field} returned null")
    errors = [SaleorMutationError.model_validate(error) for error in payload.get("errors") or []]
    if not errors:
        return
    reasons = "; ".join(_error_text(error) for error in errors)
    codes = ", ".join(f"{error.field or '-'}:{error.code or '-'}" for error in errors)
    raise RejectedError(f"Saleor refused to {action}: {reasons}", detail=f"{field} {codes}")


def _error_text(error: SaleorMutationError) -> str:
    # Saleor's mutation messages describe the rule broken, not the customer's data.
    text = (error.message or "").strip() or (error.code or "unknown error").replace("_", " ")
    return f"{text} ({error.code})" if error.code else text


def _query_error(exc: TransportQueryError) -> AppError:
    codes = {
        str(((error.get("extensions") or {}).get("exception") or {}).get("code", ""))
        for error in (exc.errors or [])
        if isinstance(error, dict)
    }
    if codes & {"PermissionDenied", "InvalidToken", "ExpiredSignatureError"}:
        return AuthError(
            "Saleor refused the app token or a permission is missing.",
            detail=f"codes={sorted(codes)}",
        )
    return RejectedError("Saleor rejected the request.", detail=f"codes={sorted(codes)}")
