"""SaleorProducts: Saleor's products, variants, channels and warehouses for the product sync.

Reads come back as `sync.products.Variant`s; writes are the four product mutations. Everything
goes through `SaleorClient.execute`, so transport, token and query failures map to `AppError`
kinds exactly as for orders. Mutation `errors` become a `RejectedError` with Saleor's messages
(they name the rule broken, never customer data); an unknown object becomes a `NotFoundError`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from gql import gql
from pydantic import BaseModel, ConfigDict, ValidationError

from saleor_bexio_app.errors import AppError, NotFoundError, RejectedError
from saleor_bexio_app.ids import SaleorId
from saleor_bexio_app.saleor.client import SaleorClient
from saleor_bexio_app.saleor.wire import SaleorMutationError
from saleor_bexio_app.sync.ports import ShopChannel, ShopWarehouse
from saleor_bexio_app.sync.products import ChannelPrice, Variant, Weight, WeightUnit

# Saleor serves at most 100 nodes per page and takes at most 100 SKUs per filter here.
MAX_PAGE = 100
_PERCENT = Decimal(100)

_FIELDS = """
fragment SyncTaxClass on TaxClass { id countries { country { code } rate } }
fragment SyncProductFields on Product {
  id name description
  weight { unit value }
  taxClass { ...SyncTaxClass }
  productType { taxClass { ...SyncTaxClass } }
}
fragment SyncVariantFields on ProductVariant {
  id sku name
  weight { unit value }
  channelListings {
    channel { slug currencyCode taxConfiguration { pricesEnteredWithTax } }
    price { amount currency }
  }
  stocks { warehouse { id } quantity }
}
"""

PRODUCT_VARIANTS_QUERY = gql(
    """
query ProductForSync($id: ID!) {
  product(id: $id) { ...SyncProductFields variants { ...SyncVariantFields } }
}
"""
    + _FIELDS
)

# Oldest first: a product created during the walk lands on a later page, and renames or other
# updates (which the sync itself makes) never move a product between pages.
PRODUCTS_PAGE_QUERY = gql(
    """
query ProductsForSync($first: Int!, $after: String) {
  products(first: $first, after: $after, sortBy: { field: CREATED_AT, direction: ASC }) {
    edges { node { ...SyncProductFields variants { ...SyncVariantFields } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
    + _FIELDS
)

VARIANTS_BY_SKU_QUERY = gql(
    """
query VariantsBySku($skus: [String!]!, $first: Int!, $after: String) {
  productVariants(filter: { sku: $skus }, first: $first, after: $after) {
    edges {
      node {
        ...SyncVariantFields
        product { ...SyncProductFields variants { id } }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""
    + _FIELDS
)

CHANNELS_QUERY = gql(
    """
query ChannelsForSync {
  channels {
    id slug name currencyCode
    defaultCountry { code }
    taxConfiguration { pricesEnteredWithTax }
  }
}
"""
)

WAREHOUSES_QUERY = gql(
    """
query WarehousesForSync($after: String) {
  warehouses(first: 100, after: $after) {
    edges { node { id name } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
)

PRODUCT_UPDATE = gql(
    """
mutation ProductUpdateForSync($id: ID!, $input: ProductInput!) {
  productUpdate(id: $id, input: $input) {
    errors { field code message }
    product { id }
  }
}
"""
)

VARIANT_UPDATE = gql(
    """
mutation VariantUpdateForSync($id: ID!, $input: ProductVariantInput!) {
  productVariantUpdate(id: $id, input: $input) {
    errors { field code message }
    productVariant { id }
  }
}
"""
)

VARIANT_PRICE_UPDATE = gql(
    """
mutation VariantPriceForSync($id: ID!, $input: [ProductVariantChannelListingAddInput!]!) {
  productVariantChannelListingUpdate(id: $id, input: $input) {
    errors { field code message }
    variant { id }
  }
}
"""
)

# Saleor's productVariantStocksUpdate creates a missing stock row itself (get_or_create per
# warehouse), so productVariantStocksCreate is never needed.
VARIANT_STOCK_UPDATE = gql(
    """
mutation VariantStockForSync($id: ID!, $stocks: [StockInput!]!) {
  productVariantStocksUpdate(variantId: $id, stocks: $stocks) {
    errors { field code message }
    productVariant { id }
  }
}
"""
)


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _Node(_Wire):
    id: str


class _Country(_Wire):
    code: str


class _Weight(_Wire):
    unit: WeightUnit
    value: float


class _Money(_Wire):
    amount: float
    currency: str


class _TaxConfiguration(_Wire):
    pricesEnteredWithTax: bool


class _ListingChannel(_Wire):
    slug: str
    currencyCode: str
    taxConfiguration: _TaxConfiguration


class _Listing(_Wire):
    channel: _ListingChannel
    price: _Money | None = None


class _Stock(_Wire):
    warehouse: _Node
    quantity: int


class _Rate(_Wire):
    country: _Country
    rate: float


class _TaxClass(_Wire):
    id: str
    countries: list[_Rate] = []


class _ProductType(_Wire):
    taxClass: _TaxClass | None = None


class _ProductFields(_Wire):
    id: str
    name: str
    # JSONString: EditorJS JSON as a string.
    description: str | dict[str, Any] | None = None
    weight: _Weight | None = None
    taxClass: _TaxClass | None = None
    productType: _ProductType | None = None


class _VariantFields(_Wire):
    id: str
    sku: str | None = None
    name: str = ""
    weight: _Weight | None = None
    channelListings: list[_Listing] | None = None
    stocks: list[_Stock] | None = None


class _Product(_ProductFields):
    variants: list[_VariantFields] | None = None


class _ProductWithVariantIds(_ProductFields):
    variants: list[_Node] | None = None


class _VariantWithProduct(_VariantFields):
    product: _ProductWithVariantIds


class _Channel(_Wire):
    id: str
    slug: str
    name: str
    currencyCode: str
    defaultCountry: _Country
    taxConfiguration: _TaxConfiguration


_M = TypeVar("_M", bound=BaseModel)


class SaleorProducts:
    """Saleor's products for the product sync; satisfies `ProductShopPort` structurally.

    VAT rate: a variant's `vat_rate` is the rate of the product's tax class (the product type's
    when the product has none, as Saleor's flat rates do) for one country, as a fraction; when
    the class has no rate for that country, the country's default rate. The country is the
    default country of `vat_channel` when given (pass the price channel's slug: its buyers'
    VAT is what separates its gross and net prices), else the default country all channels
    share. Channels with different default countries and no `vat_channel`, or no rate at all,
    leave the rate unknown (None) rather than guessed.

    Channels, the VAT country and the countries' default rates are read once per instance; make
    one instance per job.
    """

    def __init__(self, client: SaleorClient, *, vat_channel: str | None = None) -> None:
        self._client = client
        self._vat_channel = vat_channel
        self._channels: list[_Channel] | None = None
        self._default_rates: dict[str, Decimal] | None = None

    def __repr__(self) -> str:
        return f"SaleorProducts({self._client!r})"

    # reads

    async def product_variants(self, product_id: SaleorId) -> Sequence[Variant] | None:
        """Every variant of the product; None when the product does not exist (any more)."""
        data = await self._client.execute(PRODUCT_VARIANTS_QUERY, {"id": product_id})
        if data.get("product") is None:
            return None
        product = _parse(_Product, data["product"], "product")
        return await self._variants_of(product)

    async def variants_page(
        self, after: str | None, first: int
    ) -> tuple[Sequence[Variant], str | None]:
        """The variants of one page of `first` products (at most 100, Saleor's limit), oldest
        product first, and the cursor of the next page (None after the last)."""
        first = max(1, min(first, MAX_PAGE))
        data = await self._client.execute(PRODUCTS_PAGE_QUERY, {"first": first, "after": after})
        connection = data.get("products") or {}
        variants: list[Variant] = []
        for edge in connection.get("edges") or []:
            variants.extend(await self._variants_of(_parse(_Product, edge["node"], "product")))
        page = connection.get("pageInfo") or {}
        cursor = page.get("endCursor") if page.get("hasNextPage") else None
        return variants, cursor

    async def variants_by_sku(self, skus: Sequence[str]) -> Sequence[Variant]:
        """The variants whose SKU is one of `skus`, in any order (missing ones left out)."""
        wanted = list(dict.fromkeys(sku for sku in skus if sku))
        variants: list[Variant] = []
        for start in range(0, len(wanted), MAX_PAGE):
            batch = wanted[start : start + MAX_PAGE]
            after: str | None = None
            while True:
                variables = {"skus": batch, "first": MAX_PAGE, "after": after}
                data = await self._client.execute(VARIANTS_BY_SKU_QUERY, variables)
                connection = data.get("productVariants") or {}
                for edge in connection.get("edges") or []:
                    node = _parse(_VariantWithProduct, edge["node"], "product variant")
                    count = len(node.product.variants or ()) or 1
                    variants.append(await self._variant(node, node.product, count))
                page = connection.get("pageInfo") or {}
                after = page.get("endCursor")
                if not page.get("hasNextPage") or not after:
                    break
        return variants

    async def channels(self) -> Sequence[ShopChannel]:
        """The shop's channels."""
        return [
            ShopChannel(
                id=SaleorId(channel.id),
                slug=channel.slug,
                name=channel.name,
                currency=channel.currencyCode,
                prices_entered_with_tax=channel.taxConfiguration.pricesEnteredWithTax,
            )
            for channel in await self._all_channels()
        ]

    async def warehouses(self) -> Sequence[ShopWarehouse]:
        """The shop's warehouses, all pages."""
        warehouses: list[ShopWarehouse] = []
        after: str | None = None
        while True:
            data = await self._client.execute(WAREHOUSES_QUERY, {"after": after})
            connection = data.get("warehouses") or {}
            for edge in connection.get("edges") or []:
                node = edge["node"]
                warehouses.append(ShopWarehouse(SaleorId(str(node["id"])), str(node["name"])))
            page = connection.get("pageInfo") or {}
            after = page.get("endCursor")
            if not page.get("hasNextPage") or not after:
                return warehouses

    # writes

    async def update_product(
        self, product_id: SaleorId, *, name: str | None = None, description: str | None = None
    ) -> None:
        """productUpdate: the name and/or the description (EditorJS JSON string)."""
        product_input: dict[str, Any] = {}
        if name is not None:
            product_input["name"] = name
        if description is not None:
            product_input["description"] = description
        if not product_input:
            return
        data = await self._client.execute(
            PRODUCT_UPDATE, {"id": product_id, "input": product_input}
        )
        _check(data, "productUpdate", "update the product", "product")

    async def update_variant(
        self, variant_id: SaleorId, *, name: str | None = None, weight: Weight | None = None
    ) -> None:
        """productVariantUpdate: the variant's name and/or weight."""
        variant_input: dict[str, Any] = {}
        if name is not None:
            variant_input["name"] = name
        if weight is not None:
            # WeightScalar takes {unit, value} with Saleor's lower-case unit names.
            variant_input["weight"] = {
                "unit": WeightUnit(weight.unit).value.lower(),
                "value": float(weight.value),
            }
        if not variant_input:
            return
        data = await self._client.execute(
            VARIANT_UPDATE, {"id": variant_id, "input": variant_input}
        )
        _check(data, "productVariantUpdate", "update the product variant", "product variant")

    async def set_variant_price(
        self, variant_id: SaleorId, channel_slug: str, amount: Decimal
    ) -> None:
        """productVariantChannelListingUpdate: the price in that channel (as the channel enters
        prices). Raises NotFoundError when the channel does not exist."""
        channel_id = await self._channel_id(channel_slug)
        variables = {"id": variant_id, "input": [{"channelId": channel_id, "price": str(amount)}]}
        data = await self._client.execute(VARIANT_PRICE_UPDATE, variables)
        _check(
            data,
            "productVariantChannelListingUpdate",
            f"set the variant's price in channel {channel_slug}",
            "product variant or channel",
        )

    async def set_variant_stock(
        self, variant_id: SaleorId, warehouse_id: SaleorId, quantity: int
    ) -> None:
        """productVariantStocksUpdate: the quantity in that warehouse (creating the stock row)."""
        variables = {
            "id": variant_id,
            "stocks": [{"warehouse": warehouse_id, "quantity": quantity}],
        }
        data = await self._client.execute(VARIANT_STOCK_UPDATE, variables)
        _check(
            data,
            "productVariantStocksUpdate",
            "set the variant's stock",
            "product variant or warehouse",
        )

    # helpers

    async def _all_channels(self) -> list[_Channel]:
        if self._channels is None:
            data = await self._client.execute(CHANNELS_QUERY)
            self._channels = [
                _parse(_Channel, channel, "channel") for channel in data.get("channels") or []
            ]
        return self._channels

    async def _channel_id(self, slug: str) -> str:
        for fresh in (False, True):
            if fresh:
                # A channel created since the cache was filled.
                self._channels = None
            for channel in await self._all_channels():
                if channel.slug == slug:
                    return channel.id
        raise NotFoundError(
            f"Saleor has no channel {slug!r}; choose an existing channel in the product settings.",
            detail=f"channel slug {slug!r} not found",
        )

    async def _vat_country(self) -> str | None:
        channels = await self._all_channels()
        if self._vat_channel is not None:
            chosen = [c.defaultCountry.code for c in channels if c.slug == self._vat_channel]
            if chosen:
                return chosen[0]
        countries = {channel.defaultCountry.code for channel in channels}
        return countries.pop() if len(countries) == 1 else None

    async def _default_rate(self, country: str) -> Decimal | None:
        if self._default_rates is None:
            self._default_rates = {
                config.country.code: _fraction(rate.rate)
                for config in await self._client.list_tax_country_configurations()
                for rate in config.taxClassCountryRates
                if rate.taxClass is None
            }
        return self._default_rates.get(country)

    async def _vat_rate(self, product: _ProductFields) -> Decimal | None:
        country = await self._vat_country()
        if country is None:
            return None
        tax_class = product.taxClass
        if tax_class is None and product.productType is not None:
            tax_class = product.productType.taxClass
        for rate in tax_class.countries if tax_class is not None else ():
            if rate.country.code == country:
                return _fraction(rate.rate)
        return await self._default_rate(country)

    async def _variants_of(self, product: _Product) -> list[Variant]:
        nodes = product.variants or []
        return [await self._variant(node, product, len(nodes)) for node in nodes]

    async def _variant(
        self, node: _VariantFields, product: _ProductFields, variant_count: int
    ) -> Variant:
        weight = node.weight or product.weight
        return Variant(
            id=SaleorId(node.id),
            product_id=SaleorId(product.id),
            sku=node.sku,
            product_name=product.name,
            variant_name=node.name,
            description=product.description,
            weight=Weight(Decimal(str(weight.value)), weight.unit) if weight else None,
            prices=_prices(node.channelListings or []),
            stocks={SaleorId(stock.warehouse.id): stock.quantity for stock in node.stocks or []},
            vat_rate=await self._vat_rate(product),
            variant_count=variant_count,
        )


def _prices(listings: Sequence[_Listing]) -> Mapping[str, ChannelPrice]:
    return {
        listing.channel.slug: ChannelPrice(
            amount=Decimal(str(listing.price.amount)),
            gross=listing.channel.taxConfiguration.pricesEnteredWithTax,
            currency=listing.price.currency,
        )
        for listing in listings
        if listing.price is not None
    }


def _fraction(percent: float) -> Decimal:
    """Saleor's TaxClassCountryRate.rate is in percent (8.1); the sync wants 0.081."""
    return Decimal(str(percent)) / _PERCENT


def _parse(model: type[_M], value: Any, what: str) -> _M:
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        paths = sorted({".".join(map(str, error["loc"])) for error in exc.errors()})
        raise AppError(
            f"Saleor sent a {what} the app could not read.", detail=f"invalid fields: {paths}"
        ) from exc


def _check(data: Mapping[str, Any], field: str, action: str, what: str) -> None:
    payload = data.get(field)
    if payload is None:
        raise RejectedError(f"Saleor did not {action}.", detail=f"{field} returned null")
    errors = [SaleorMutationError.model_validate(error) for error in payload.get("errors") or []]
    if not errors:
        return
    codes = ", ".join(f"{error.field or '-'}:{error.code or '-'}" for error in errors)
    if any(error.code == "NOT_FOUND" for error in errors):
        raise NotFoundError(
            f"Saleor has no such {what} (any more), so the app could not {action}.",
            detail=f"{field} {codes}",
        )
    reasons = "; ".join(_error_text(error) for error in errors)
    raise RejectedError(f"Saleor refused to {action}: {reasons}", detail=f"{field} {codes}")


def _error_text(error: SaleorMutationError) -> str:
    text = (error.message or "").strip() or (error.code or "unknown error").replace("_", " ")
    field = f"{error.field}: " if error.field else ""
    return f"{field}{text} ({error.code})" if error.code else f"{field}{text}"
