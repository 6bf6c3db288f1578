"""SaleorDouble: an in-process Saleor 3.24 for tests and the local sandbox.

It validates every GraphQL document against Saleor's real schema, answers the operations the
app uses from an in-memory store, serves a JWKS with a real RSA key, and signs webhooks and
dashboard tokens exactly as Saleor does (PROTOCOL.md §b-§d).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import secrets
import string
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from inspect import isawaitable
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from graphql import (
    ExecutionResult,
    GraphQLEnumType,
    GraphQLError,
    GraphQLResolveInfo,
    execute,
    parse,
    validate,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from saleor_bexio_app.saleor.events import WEBHOOK_EVENTS
from saleor_bexio_app.saleor.manifest import subscription_document
from saleor_bexio_app.saleor.schema import saleor_schema
from saleor_bexio_app.sync.products import WeightUnit, from_grams, to_grams

SALEOR_VERSION = "3.24.0-a.0"
SCHEMA_VERSION = "3.24"
USER_AGENT = f"Saleor/{SCHEMA_VERSION}"
DEFAULT_API_URL = "http://saleor.test/graphql/"
_TOKEN_ALPHABET = string.ascii_letters + string.digits
_APP_OR_STAFF = ("AUTHENTICATED_STAFF_USER", "AUTHENTICATED_APP")
_ORDERS = ("MANAGE_ORDERS",)
_USERS = ("MANAGE_STAFF", "MANAGE_USERS", "MANAGE_ORDERS")
_PRODUCTS = ("MANAGE_PRODUCTS",)
_STOCKS = ("MANAGE_PRODUCTS", "MANAGE_ORDERS")
_WAREHOUSES = ("MANAGE_PRODUCTS", "MANAGE_ORDERS", "MANAGE_SHIPPING")
_CENT = Decimal("0.01")
_MAX_PAGE = 100
_SEEDED_AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def global_id(type_name: str, pk: int | str) -> str:
    """Saleor's global object id: base64 of `<Type>:<pk>`."""
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode("ascii")


def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 SHA-256 thumbprint of an RSA JWK, which Saleor uses as the key id."""
    members = {"e": jwk["e"], "kty": jwk["kty"], "n": jwk["n"]}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    digest = hashlib.sha256(canonical).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


class _SigningKey:
    def __init__(self) -> None:
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        numbers = self.private_key.public_key().public_numbers()
        n, e = _b64url_uint(numbers.n), _b64url_uint(numbers.e)
        self.kid = jwk_thumbprint({"kty": "RSA", "n": n, "e": e})
        # Member order as a real Saleor 3.24 serves it (tests/payloads/webhook_order_created.json).
        self.jwk: dict[str, Any] = {
            "kty": "RSA",
            "key_ops": ["verify"],
            "n": n,
            "e": e,
            "kid": self.kid,
            "use": "sig",
            "alg": "RS256",
        }


@dataclass(frozen=True, slots=True)
class InstalledApp:
    """An app installed in the double: its global id and its 30-character app token."""

    id: str
    token: str


class SeededProduct(NamedTuple):
    """The global ids of a product added with `SaleorDouble.add_product`."""

    id: str
    variant_ids: tuple[str, ...]


class GraphQLCall(NamedTuple):
    """One request to the GraphQL endpoint, as received."""

    query: str | None
    variables: Mapping[str, Any] | None
    auth: str | None


@dataclass(slots=True)
class AppRecord:
    """An app row in the double's store."""

    id: str
    token: str
    name: str
    permissions: tuple[str, ...]
    active: bool = True


@dataclass(slots=True)
class SaleorStore:
    """In-memory shop data; objects are dicts shaped like the GraphQL types, keyed by global id."""

    apps: dict[str, AppRecord] = field(default_factory=dict)
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Products and variants as stored (see `SaleorDouble.add_product`); views are built per query.
    products: dict[str, dict[str, Any]] = field(default_factory=dict)
    variants: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Deleted products and variants, kept for PRODUCT_DELETED payloads only.
    deleted_products: dict[str, dict[str, Any]] = field(default_factory=dict)
    deleted_variants: dict[str, dict[str, Any]] = field(default_factory=dict)
    tax_classes: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Country code -> percent: TaxClassCountryRate rows without a tax class.
    default_tax_rates: dict[str, Decimal] = field(default_factory=dict)
    warehouses: dict[str, dict[str, Any]] = field(default_factory=dict)
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    _next_pk: dict[str, int] = field(default_factory=dict)

    def next_id(self, type_name: str) -> str:
        """A fresh global id for a new object of this type."""
        pk = self._next_pk.get(type_name, 0) + 1
        self._next_pk[type_name] = pk
        return global_id(type_name, pk)


class PermissionDenied(GraphQLError):
    """Saleor's permission error: message and `extensions.exception.code` as Saleor formats them."""

    def __init__(self, permissions: Sequence[str]) -> None:
        super().__init__(
            "To access this path, you need one of the following permissions: "
            + ", ".join(permissions),
            extensions={"exception": {"code": "PermissionDenied"}},
        )


@dataclass(frozen=True, slots=True)
class _Context:
    app: AppRecord | None


_Info = GraphQLResolveInfo[_Context]


def _caller(info: _Info) -> AppRecord | None:
    return info.context.app


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() in ("bearer", "jwt") and value.strip():
        return value.strip()
    return request.headers.get("authorization-bearer") or None


def _request_error(message: str) -> JSONResponse:
    error = {"message": message, "extensions": {"exception": {"code": "GraphQLError"}}}
    return JSONResponse({"errors": [error]}, status_code=400)


def _formatted(error: GraphQLError) -> dict[str, Any]:
    formatted: dict[str, Any] = dict(error.formatted)
    formatted.setdefault("extensions", {"exception": {"code": "GraphQLError"}})
    return formatted


class SaleorDouble:
    """A Saleor at `api_url`: GraphQL (validated against the real schema), JWKS, signed webhooks."""

    def __init__(
        self, api_url: str = DEFAULT_API_URL, *, shop_name: str = "Saleor e-commerce"
    ) -> None:
        parts = urlsplit(api_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"api_url must be an absolute http(s) URL, got {api_url!r}")
        self.api_url = api_url
        self.domain = parts.netloc
        self.shop_name = shop_name
        self.version = SALEOR_VERSION
        self.store = SaleorStore()
        self.jwks_fetches = 0
        self.graphql_requests: list[GraphQLCall] = []
        # Mutations that changed the store, in order: (mutation field, its arguments).
        self.mutations: list[tuple[str, dict[str, Any]]] = []
        self.executions = 0
        # Saleor answers every weight in the shop's default unit (site settings; KG by default).
        self.default_weight_unit = "KG"
        self._key = _SigningKey()
        self._origin = f"{parts.scheme}://{parts.netloc}"
        self.app = Starlette(
            routes=[
                Route(parts.path or "/", self._graphql, methods=["POST"]),
                Route("/.well-known/jwks.json", self._jwks, methods=["GET"]),
            ]
        )

    def __repr__(self) -> str:
        return f"SaleorDouble({self.api_url!r})"

    # apps

    def install_app(
        self,
        token: str | None = None,
        *,
        name: str = "bexio",
        permissions: Sequence[str] = ("MANAGE_ORDERS", "MANAGE_USERS", "MANAGE_PRODUCTS"),
    ) -> InstalledApp:
        """Create an active app with a new global id; its token authenticates GraphQL calls."""
        token = token or "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(30))
        if self._app_by_token(token) is not None:
            raise ValueError("an active app already uses this token")
        app_id = self.store.next_id("App")
        self.store.apps[app_id] = AppRecord(app_id, token, name, tuple(permissions))
        return InstalledApp(id=app_id, token=token)

    def uninstall_app(self, app_id: str) -> None:
        """Soft-delete the app as Saleor does: its token stops working at once."""
        self.store.apps[app_id].active = False

    def _app_by_token(self, token: str | None) -> AppRecord | None:
        if not token:
            return None
        for app in self.store.apps.values():
            if app.active and secrets.compare_digest(app.token, token):
                return app
        return None

    # keys and signatures

    @property
    def kid(self) -> str:
        """Key id (RFC 7638 thumbprint) of the current signing key."""
        return self._key.kid

    @property
    def private_key(self) -> rsa.RSAPrivateKey:
        """The current signing key, for tests that forge tokens on purpose."""
        return self._key.private_key

    def jwks(self) -> dict[str, Any]:
        """The JWKS as served at `/.well-known/jwks.json`: exactly one key, like Saleor."""
        return {"keys": [copy.deepcopy(self._key.jwk)]}

    def rotate_key(self) -> None:
        """Replace the signing key; the old kid disappears from the JWKS, as in Saleor."""
        self._key = _SigningKey()

    def sign(self, body: bytes) -> str:
        """`Saleor-Signature` for a body: detached RS256 JWS with unencoded payload (RFC 7797)."""
        return jwt.api_jws.encode(
            body,
            self._key.private_key,
            algorithm="RS256",
            headers={"kid": self._key.kid, "crit": ["b64"]},
            is_payload_detached=True,
        )

    def webhook(self, event_name: str, payload: Mapping[str, Any]) -> tuple[dict[str, str], bytes]:
        """Headers and raw body of an async delivery of `event_name` (e.g. `ORDER_CREATED`)."""
        events = saleor_schema().get_type("WebhookEventTypeAsyncEnum")
        assert isinstance(events, GraphQLEnumType)
        if event_name.upper() not in events.values:
            raise ValueError(f"{event_name!r} is not an async webhook event of Saleor 3.24")
        body = json.dumps(payload).encode()
        event = event_name.lower()
        signature = self.sign(body)
        headers = {
            "User-Agent": USER_AGENT,
            "Content-Type": "application/json",
            "X-Saleor-Event": event,
            "X-Saleor-Domain": self.domain,
            "X-Saleor-Signature": signature,
            "Saleor-Event": event,
            "Saleor-Domain": self.domain,
            "Saleor-Signature": signature,
            "Saleor-Api-Url": self.api_url,
        }
        return headers, body

    def dashboard_token(
        self,
        app_id: str,
        *,
        permissions: Sequence[str],
        user_permissions: Sequence[str],
        ttl: int = 300,
        email: str = "staff@example.com",
        user_id: str | None = None,
        is_staff: bool = True,
        now: datetime | None = None,
        overrides: Mapping[str, Any] | None = None,
        omit: Collection[str] = (),
        kid: str | None = None,
    ) -> str:
        """A dashboard (AppBridge) JWT with Saleor's claims.

        `overrides` replaces or adds claims, `omit` drops some and `kid` replaces the header's key
        id, for negative tests.
        """
        issued = int((now or datetime.now(UTC)).timestamp())
        payload: dict[str, Any] = {
            "iat": issued,
            "owner": "saleor",
            "iss": self.api_url,
            "exp": issued + ttl,
            "token": secrets.token_urlsafe(9),
            "email": email,
            "type": "thirdparty",
            "user_id": user_id or global_id("User", 1),
            "is_staff": is_staff,
            "app": app_id,
            "permissions": list(permissions),
            "user_permissions": list(user_permissions),
            **(overrides or {}),
        }
        for name in omit:
            payload.pop(name, None)
        return jwt.encode(
            payload,
            self._key.private_key,
            algorithm="RS256",
            headers={"kid": kid or self._key.kid},
        )

    def order_webhook(
        self, event_name: str, order_id: str, app_id: str, *, issued_at: datetime | None = None
    ) -> tuple[dict[str, str], bytes]:
        """A signed order event with the payload of manifest/order_*.graphql's subscription."""
        order = self.store.orders[order_id]
        payload = {
            "__typename": "".join(part.capitalize() for part in event_name.split("_")),
            "issuedAt": (issued_at or datetime.now(UTC)).isoformat(),
            "version": self.version,
            "recipient": {"id": app_id},
            "order": {
                "id": order["id"],
                "number": order["number"],
                "status": order["status"],
                "updatedAt": order["updatedAt"],
            },
        }
        return self.webhook(event_name, payload)

    # shop data: builders store dicts shaped like Saleor's GraphQL types

    def add_warehouse(self, name: str = "Zürich") -> dict[str, Any]:
        """A warehouse that order lines can be allocated in."""
        warehouse: dict[str, Any] = {"id": self.store.next_id("Warehouse"), "name": name}
        self.store.warehouses[warehouse["id"]] = warehouse
        return warehouse

    def add_tax_class(
        self,
        name: str,
        rates: Mapping[str, str | Decimal] | None = None,
        *,
        metadata: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """A tax class with its rates per country in percent (`{"CH": "8.1"}`)."""
        tax_class: dict[str, Any] = {
            "id": self.store.next_id("TaxClass"),
            "name": name,
            "metadata": [{"key": k, "value": v} for k, v in (metadata or {}).items()],
            "rates": {country: Decimal(rate) for country, rate in (rates or {}).items()},
        }
        self.store.tax_classes[tax_class["id"]] = tax_class
        return tax_class

    def set_default_tax_rate(self, country_code: str, rate: str | Decimal) -> None:
        """The country's default rate in percent (a TaxClassCountryRate without a class)."""
        self.store.default_tax_rates[country_code] = Decimal(rate)

    def add_customer(self, **fields: Any) -> dict[str, Any]:
        """A customer (Saleor User) shaped like the `User` type; `fields` override defaults."""
        customer: dict[str, Any] = {
            "id": self.store.next_id("User"),
            "email": "anna@example.ch",
            "firstName": "Anna",
            "lastName": "Muster",
            "languageCode": "DE_CH",
            "isActive": True,
            "dateJoined": _SEEDED_AT.isoformat(),
            "updatedAt": _SEEDED_AT.isoformat(),
            "defaultBillingAddress": address(),
            "defaultShippingAddress": address(),
            **fields,
        }
        self.store.customers[customer["id"]] = customer
        return customer

    def order_line(
        self,
        product_name: str = "T-Shirt",
        *,
        variant_name: str = "M",
        sku: str | None = "TS-M",
        quantity: int = 1,
        unit_price: str | Decimal = "29.90",
        tax_rate: str | Decimal = "0.081",
        prices_entered_with_tax: bool = True,
        currency: str = "CHF",
        unit_discount: str | Decimal = "0",
        order_discount: str | Decimal = "0",
        tax_class: Mapping[str, Any] | None = None,
        warehouse_id: str | None = None,
    ) -> dict[str, Any]:
        """An `OrderLine` priced like Saleor, from the entered (gross or net) unit price.

        `unit_discount` is a line-level discount per unit; `order_discount` is the line's share
        of order-level discounts, both in entered prices.
        """
        rate = Decimal(tax_rate)
        undiscounted = Decimal(unit_price)
        unit_discount_amount = Decimal(unit_discount)
        total = (undiscounted - unit_discount_amount) * quantity - Decimal(order_discount)
        unit = _cents(total / quantity)
        taxed = _taxed_from_entered
        warehouse = warehouse_id or self._default_warehouse()
        line_id = self.store.next_id("OrderLine")
        return {
            "id": line_id,
            "productName": product_name,
            "variantName": variant_name,
            "productSku": sku,
            "quantity": quantity,
            "quantityFulfilled": 0,
            "quantityToFulfill": quantity,
            "isShippingRequired": True,
            "taxRate": float(rate),
            "unitPrice": taxed(unit, rate, prices_entered_with_tax, currency),
            "totalPrice": taxed(total, rate, prices_entered_with_tax, currency),
            "undiscountedUnitPrice": taxed(undiscounted, rate, prices_entered_with_tax, currency),
            "undiscountedTotalPrice": taxed(
                undiscounted * quantity, rate, prices_entered_with_tax, currency
            ),
            "unitDiscount": _money(unit_discount_amount, currency),
            "unitDiscountValue": float(unit_discount_amount),
            "taxClass": {"id": tax_class["id"], "name": tax_class["name"]} if tax_class else None,
            "taxClassName": tax_class["name"] if tax_class else None,
            "taxClassMetadata": list(tax_class["metadata"]) if tax_class else [],
            "taxClassPrivateMetadata": [],
            "allocations": [
                {
                    "id": self.store.next_id("Allocation"),
                    "quantity": quantity,
                    "warehouse": {"id": warehouse},
                }
            ],
        }

    def add_order(
        self,
        *,
        lines: Sequence[Mapping[str, Any]] | None = None,
        currency: str = "CHF",
        prices_entered_with_tax: bool = True,
        shipping_price: str | Decimal | None = "7.00",
        shipping_tax_rate: str | Decimal = "0.081",
        shipping_discount: str | Decimal = "0",
        gift_cards: Sequence[tuple[str, str | Decimal]] = (),
        **fields: Any,
    ) -> dict[str, Any]:
        """An order shaped like Saleor's `Order`; `fields` override any top-level field.

        Defaults: a confirmed, unpaid CHF order with two lines (2 x 29.90 at 8.1 %, 3 x 4.50
        at 2.6 %), shipping 7.00 at 8.1 %, prices entered gross, billed to Bahnhofstrasse 12a,
        8001 Zürich. `gift_cards` are (last 4 characters, amount used) and lower the total as
        in Saleor's checkout.
        """
        gross = prices_entered_with_tax
        if lines is None:
            standard = self._tax_class("Standard", "8.1")
            reduced = self._tax_class("Reduced rate", "2.6")
            lines = [
                self.order_line(
                    quantity=2, tax_class=standard, prices_entered_with_tax=gross, currency=currency
                ),
                self.order_line(
                    "Swiss Chocolate",
                    variant_name="100 g",
                    sku="CH-100",
                    quantity=3,
                    unit_price="4.50",
                    tax_rate="0.026",
                    tax_class=reduced,
                    prices_entered_with_tax=gross,
                    currency=currency,
                ),
            ]
        order_id = self.store.next_id("Order")
        ship_rate = Decimal(shipping_tax_rate)
        undiscounted_shipping = Decimal(shipping_price or "0")
        shipping = _taxed_from_entered(
            undiscounted_shipping - Decimal(shipping_discount), ship_rate, gross, currency
        )
        net = sum((Decimal(str(line["totalPrice"]["net"]["amount"])) for line in lines), _ZERO)
        gross_total = sum(
            (Decimal(str(line["totalPrice"]["gross"]["amount"])) for line in lines), _ZERO
        )
        net += Decimal(str(shipping["net"]["amount"]))
        gross_total += Decimal(str(shipping["gross"]["amount"]))
        cards = []
        for last_4, used in gift_cards:
            amount = Decimal(used)
            net -= amount
            gross_total -= amount
            cards.append(self._gift_card(order_id, last_4, amount, currency))
        number = str(1000 + len(self.store.orders) + 1)
        order: dict[str, Any] = {
            "id": order_id,
            "number": number,
            "status": "UNFULFILLED",
            "chargeStatus": "NONE",
            "authorizeStatus": "NONE",
            "paymentStatus": "NOT_CHARGED",
            "isPaid": False,
            "origin": "CHECKOUT",
            "created": _SEEDED_AT.isoformat(),
            "updatedAt": _SEEDED_AT.isoformat(),
            "userEmail": "anna@example.ch",
            "user": None,
            "languageCode": "de-ch",
            "languageCodeEnum": "DE_CH",
            "taxExemption": False,
            "voucherCode": None,
            "displayGrossPrices": gross,
            "channel": self._channel(currency, gross),
            "billingAddress": address(),
            "shippingAddress": address(),
            "lines": [dict(line) for line in lines],
            "shippingMethodName": "Post Economy" if shipping_price is not None else None,
            "shippingPrice": shipping,
            "undiscountedShippingPrice": _money(undiscounted_shipping, currency),
            "shippingTaxRate": float(ship_rate) if shipping_price is not None else 0.0,
            "shippingTaxClass": None,
            "shippingTaxClassName": "Standard" if shipping_price is not None else None,
            "shippingTaxClassMetadata": [],
            "discounts": [],
            "giftCards": cards,
            "total": _taxed(net, gross_total, currency),
            "totalCharged": _money(_ZERO, currency),
            "totalRefunded": _money(_ZERO, currency),
            "events": [],
            **fields,
        }
        self.store.orders[order_id] = order
        return order

    def add_channel(
        self,
        slug: str,
        *,
        currency: str = "CHF",
        prices_entered_with_tax: bool = True,
        default_country: str = "CH",
    ) -> dict[str, Any]:
        """A channel with flat-rate taxes; its tax configuration is part of it."""
        channel: dict[str, Any] = {
            "id": self.store.next_id("Channel"),
            "slug": slug,
            "name": slug.replace("-", " ").capitalize(),
            "currencyCode": currency,
            "isActive": True,
            "defaultCountry": _country(default_country),
        }
        channel["taxConfiguration"] = {
            "id": self.store.next_id("TaxConfiguration"),
            "chargeTaxes": True,
            "displayGrossPrices": prices_entered_with_tax,
            "pricesEnteredWithTax": prices_entered_with_tax,
            "taxCalculationStrategy": "FLAT_RATES",
            "countries": [],
            "metadata": [],
            "privateMetadata": [],
        }
        self.store.channels[slug] = channel
        return channel

    def _channel(self, currency: str, gross: bool) -> dict[str, Any]:
        # The default CHF gross channel, or one channel per other currency and price entry.
        slug = "default-channel"
        if (currency, gross) != ("CHF", True):
            slug = f"channel-{currency.lower()}-{'gross' if gross else 'net'}"
        channel = self.store.channels.get(slug)
        if channel is None:
            channel = self.add_channel(slug, currency=currency, prices_entered_with_tax=gross)
        return channel

    def _default_warehouse(self) -> str:
        if not self.store.warehouses:
            self.add_warehouse()
        return next(iter(self.store.warehouses))

    def _tax_class(self, name: str, ch_rate: str) -> dict[str, Any]:
        for tax_class in self.store.tax_classes.values():
            if tax_class["name"] == name:
                return tax_class
        return self.add_tax_class(name, {"CH": ch_rate})

    def _gift_card(
        self, order_id: str, last_4: str, used: Decimal, currency: str
    ) -> dict[str, Any]:
        initial = max(used, Decimal(50))
        return {
            "id": self.store.next_id("GiftCard"),
            "last4CodeChars": last_4,
            "stored_events": [
                {
                    "id": self.store.next_id("GiftCardEvent"),
                    "type": "USED_IN_ORDER",
                    "orderId": order_id,
                    "date": _SEEDED_AT.isoformat(),
                    "balance": {
                        "currentBalance": _money(initial - used, currency),
                        "oldCurrentBalance": _money(initial, currency),
                    },
                }
            ],
        }

    # HTTP

    async def _jwks(self, request: Request) -> Response:
        self.jwks_fetches += 1
        return JSONResponse(self.jwks())

    async def _graphql(self, request: Request) -> Response:
        auth = request.headers.get("authorization") or request.headers.get("authorization-bearer")
        try:
            body = json.loads(await request.body())
        except ValueError:
            self.graphql_requests.append(GraphQLCall(None, None, auth))
            return _request_error("Unable to parse query.")
        if not isinstance(body, dict):
            self.graphql_requests.append(GraphQLCall(None, None, auth))
            return _request_error("Batch queries are not supported by this double.")
        query, variables = body.get("query"), body.get("variables")
        self.graphql_requests.append(GraphQLCall(query, variables, auth))
        if not isinstance(query, str) or not query.strip():
            return _request_error("Must provide a query string.")
        if variables is not None and not isinstance(variables, dict):
            return _request_error("Variables are invalid JSON.")
        try:
            document = parse(query)
        except GraphQLError as exc:
            return JSONResponse({"errors": [_formatted(exc)]}, status_code=400)
        errors = validate(saleor_schema(), document)
        if errors:
            return JSONResponse({"errors": [_formatted(e) for e in errors]}, status_code=400)
        result = execute(
            saleor_schema(),
            document,
            root_value=self._root(),
            context_value=_Context(app=self._app_by_token(_bearer(request))),
            variable_values=variables,
            operation_name=body.get("operationName"),
        )
        if isawaitable(result):
            result = await result
        assert isinstance(result, ExecutionResult)
        self.executions += 1
        response: dict[str, Any] = {}
        if result.errors:
            response["errors"] = [_formatted(e) for e in result.errors]
        response["data"] = result.data
        return JSONResponse(response)

    # resolvers: root fields map to callables; graphql-core's default resolver reads dict keys
    # and calls callables with (info, **args), so nested objects are plain dicts.

    def _root(self) -> dict[str, Any]:
        return {
            "app": self._resolve_app,
            "shop": self._resolve_shop,
            "order": self._resolve_order,
            "user": self._resolve_user,
            "orders": self._resolve_orders,
            "customers": self._resolve_customers,
            "taxClasses": self._resolve_tax_classes,
            "taxCountryConfigurations": self._resolve_tax_country_configurations,
            "taxConfigurations": self._resolve_tax_configurations,
            "orderMarkAsPaid": self._order_mark_as_paid,
            "orderConfirm": self._order_confirm,
            "orderFulfill": self._order_fulfill,
            "orderCancel": self._order_cancel,
            "orderNoteAdd": self._order_note_add,
            "product": self._resolve_product,
            "products": self._resolve_products,
            "productVariants": self._resolve_product_variants,
            "channels": self._resolve_channels,
            "warehouses": self._resolve_warehouses,
            "productUpdate": self._product_update,
            "productVariantUpdate": self._product_variant_update,
            "productVariantChannelListingUpdate": self._product_variant_channel_listing_update,
            "productVariantStocksUpdate": self._product_variant_stocks_update,
        }

    def _resolve_app(self, info: _Info, id: str | None = None) -> dict[str, Any]:
        caller = _caller(info)
        if caller is None:
            raise PermissionDenied(_APP_OR_STAFF)
        if id is not None and id != caller.id:
            raise PermissionDenied(("MANAGE_APPS",))
        return {
            "id": caller.id,
            "name": caller.name,
            "isActive": caller.active,
            "permissions": [
                {"code": code, "name": code.replace("_", " ").capitalize()}
                for code in caller.permissions
            ],
        }

    def _resolve_shop(self, info: _Info) -> dict[str, Any]:
        return {
            "name": self.shop_name,
            "version": self._resolve_shop_version,
            "schemaVersion": SCHEMA_VERSION,
            "domain": {
                "host": self.domain,
                "sslEnabled": self._origin.startswith("https:"),
                "url": f"{self._origin}/",
            },
        }

    def _resolve_shop_version(self, info: _Info) -> str:
        if _caller(info) is None:
            raise PermissionDenied(_APP_OR_STAFF)
        return self.version

    def _resolve_order(self, info: _Info, **args: Any) -> dict[str, Any] | None:
        _require(info, _ORDERS)
        order = self.store.orders.get(args.get("id") or "")
        return _order_view(order) if order is not None else None

    def _resolve_user(self, info: _Info, **args: Any) -> dict[str, Any] | None:
        _require(info, _USERS)
        if args.get("id") is not None:
            return self.store.customers.get(args["id"])
        for customer in self.store.customers.values():
            if args.get("email") and customer["email"].lower() == args["email"].lower():
                return customer
        return None

    def _resolve_orders(self, info: _Info, **args: Any) -> dict[str, Any]:
        _require(info, _ORDERS)
        since = _since(args.get("where"), "createdAt")
        orders = [o for o in self.store.orders.values() if _at(o["created"]) >= since]
        orders.sort(key=lambda o: _at(o["created"]), reverse=_descending(args))
        return _connection([_order_view(o) for o in orders], args)

    def _resolve_customers(self, info: _Info, **args: Any) -> dict[str, Any]:
        _require(info, _USERS)
        since = _since(args.get("where"), "dateJoined")
        customers = [c for c in self.store.customers.values() if _at(c["dateJoined"]) >= since]
        customers.sort(key=lambda c: _at(c["dateJoined"]), reverse=_descending(args))
        return _connection(customers, args)

    def _resolve_tax_classes(self, info: _Info, **args: Any) -> dict[str, Any]:
        if _caller(info) is None:
            raise PermissionDenied(_APP_OR_STAFF)
        classes = sorted(self.store.tax_classes.values(), key=lambda c: str(c["name"]))
        return _connection([self._tax_class_view(c) for c in classes], args)

    def _resolve_tax_configurations(self, info: _Info, **args: Any) -> dict[str, Any]:
        if _caller(info) is None:
            raise PermissionDenied(_APP_OR_STAFF)
        channels = sorted(self.store.channels.values(), key=lambda c: str(c["slug"]))
        views = [{**c["taxConfiguration"], "channel": c} for c in channels]
        return _connection(views, args)

    def _resolve_tax_country_configurations(self, info: _Info) -> list[dict[str, Any]]:
        if _caller(info) is None:
            raise PermissionDenied(_APP_OR_STAFF)
        countries = set(self.store.default_tax_rates)
        for tax_class in self.store.tax_classes.values():
            countries.update(tax_class["rates"])
        configurations = []
        for code in sorted(countries):
            rows = [
                {"country": _country(code), "rate": float(rate), "taxClass": None}
                for country, rate in self.store.default_tax_rates.items()
                if country == code
            ]
            rows += [
                {
                    "country": _country(code),
                    "rate": float(tax_class["rates"][code]),
                    "taxClass": self._tax_class_view(tax_class),
                }
                for tax_class in self.store.tax_classes.values()
                if code in tax_class["rates"]
            ]
            configurations.append({"country": _country(code), "taxClassCountryRates": rows})
        return configurations

    def _tax_class_view(self, tax_class: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "id": tax_class["id"],
            "name": tax_class["name"],
            "metadata": list(tax_class["metadata"]),
            "privateMetadata": [],
            "countries": [
                {"country": _country(code), "rate": float(rate), "taxClass": None}
                for code, rate in sorted(tax_class["rates"].items())
            ],
        }

    # mutations: validation failures are `errors` in the payload, as in Saleor; only
    # successful mutations are recorded in `self.mutations`.

    def _mutation_order(
        self, info: _Info, order_id: str | None
    ) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        _require(info, _ORDERS)
        order = self.store.orders.get(order_id or "")
        if order is None:
            return None, [_error("id", "NOT_FOUND", f"Couldn't resolve to a node: {order_id}")]
        return order, []

    def _changed(self, name: str, order: dict[str, Any], args: Mapping[str, Any]) -> None:
        self.mutations.append((name, copy.deepcopy(dict(args))))
        updated = datetime.fromisoformat(order["updatedAt"]) + timedelta(seconds=1)
        order["updatedAt"] = max(updated, datetime.now(UTC)).isoformat()

    def _event(
        self, order: dict[str, Any], info: _Info, type_: str, **fields: Any
    ) -> dict[str, Any]:
        caller = _caller(info)
        event = {
            "id": self.store.next_id("OrderEvent"),
            "date": datetime.now(UTC).isoformat(),
            "type": type_,
            "app": {"id": caller.id, "name": caller.name} if caller else None,
            **fields,
        }
        order["events"].append(event)
        return event

    def _order_mark_as_paid(self, info: _Info, **args: Any) -> dict[str, Any]:
        order, errors = self._mutation_order(info, args.get("id"))
        if order is not None and order["chargeStatus"] in ("FULL", "OVERCHARGED"):
            errors = [
                _error(
                    "payment",
                    "PAYMENT_ERROR",
                    "Orders with payments can not be manually marked as paid.",
                )
            ]
        if order is None or errors:
            return _payload(order, errors)
        order.update(
            chargeStatus="FULL",
            isPaid=True,
            paymentStatus="FULLY_CHARGED",
            totalCharged=copy.deepcopy(order["total"]["gross"]),
        )
        self._event(
            order,
            info,
            "ORDER_MARKED_AS_PAID",
            transactionReference=args.get("transactionReference"),
        )
        self._changed("orderMarkAsPaid", order, args)
        return _payload(order, [])

    def _order_confirm(self, info: _Info, **args: Any) -> dict[str, Any]:
        order, errors = self._mutation_order(info, args.get("id"))
        if order is not None and order["status"] != "UNCONFIRMED":
            errors = [_error("id", "INVALID", "Provided order id belongs to non-unconfirmed order")]
        if order is None or errors:
            return _payload(order, errors)
        order["status"] = "UNFULFILLED"
        self._event(order, info, "CONFIRMED")
        self._changed("orderConfirm", order, args)
        return _payload(order, [])

    def _order_cancel(self, info: _Info, **args: Any) -> dict[str, Any]:
        order, errors = self._mutation_order(info, args.get("id"))
        fulfilled = order is not None and any(
            line["quantityFulfilled"] > 0 for line in order["lines"]
        )
        if order is not None and (fulfilled or order["status"] in ("CANCELED", "DRAFT")):
            errors = [_error("order", "CANNOT_CANCEL_ORDER", "This order can't be canceled.")]
        if order is None or errors:
            return _payload(order, errors)
        order["status"] = "CANCELED"
        for line in order["lines"]:
            line["allocations"] = []
        self._event(order, info, "CANCELED")
        self._changed("orderCancel", order, args)
        return _payload(order, [])

    def _order_fulfill(self, info: _Info, **args: Any) -> dict[str, Any]:
        order, errors = self._mutation_order(info, args.get("order"))
        if order is None:
            return _payload(order, errors)
        if order["status"] not in ("UNFULFILLED", "PARTIALLY_FULFILLED"):
            errors = [
                _error("order", "INVALID", "Only confirmed, unfulfilled orders can be fulfilled.")
            ]
        lines = {line["id"]: line for line in order["lines"]}
        wanted: list[tuple[dict[str, Any], str, int]] = []
        for item in args["input"]["lines"]:
            line = lines.get(item.get("orderLineId") or "")
            if line is None:
                errors.append(_error("orderLineId", "NOT_FOUND", "Order line not found."))
                continue
            quantity = sum(stock["quantity"] for stock in item["stocks"])
            if quantity > line["quantityToFulfill"]:
                errors.append(
                    _error(
                        "orderLineId",
                        "FULFILL_ORDER_LINE",
                        f"Only {line['quantityToFulfill']} items can be fulfilled.",
                    )
                )
            for stock in item["stocks"]:
                if stock["warehouse"] not in self.store.warehouses:
                    errors.append(_error("warehouse", "NOT_FOUND", "Warehouse not found."))
                wanted.append((line, stock["warehouse"], stock["quantity"]))
        if not wanted and not errors:
            errors = [_error("lines", "ZERO_QUANTITY", "Total quantity must be larger than 0.")]
        if errors:
            return _payload(order, errors)
        for line, warehouse, quantity in wanted:
            line["quantityToFulfill"] -= quantity
            line["quantityFulfilled"] += quantity
            for allocation in line["allocations"]:
                if allocation["warehouse"]["id"] == warehouse:
                    allocation["quantity"] = max(allocation["quantity"] - quantity, 0)
        done = all(line["quantityToFulfill"] == 0 for line in order["lines"])
        order["status"] = "FULFILLED" if done else "PARTIALLY_FULFILLED"
        self._event(order, info, "FULFILLMENT_FULFILLED_ITEMS")
        self._changed("orderFulfill", order, args)
        return {**_payload(order, []), "fulfillments": []}

    def _order_note_add(self, info: _Info, **args: Any) -> dict[str, Any]:
        order, errors = self._mutation_order(info, args.get("order"))
        message = str(args["input"].get("message") or "").strip()
        if order is not None and not message:
            errors = [
                {"field": "message", "code": "REQUIRED", "message": "Message can't be empty."}
            ]
        if order is None or errors:
            return {"order": None, "event": None, "errors": errors}
        event = self._event(order, info, "NOTE_ADDED", message=message)
        self._changed("orderNoteAdd", order, args)
        return {"order": _order_view(order), "event": event, "errors": []}

    # products: builders, views, resolvers, mutations and webhook payloads

    def add_product(
        self,
        name: str = "T-Shirt",
        *,
        description: Mapping[str, Any] | str | None = None,
        variants: Sequence[Mapping[str, Any]] | None = None,
        tax_class: Mapping[str, Any] | None = None,
        product_type_tax_class: Mapping[str, Any] | None = None,
        weight: tuple[Decimal | str, str] | None = None,
        channels: Sequence[str] = (),
        slug: str | None = None,
    ) -> SeededProduct:
        """A product with its variants; returns their global ids.

        Each variant is a mapping with any of `sku`, `name`, `weight` (`(Decimal("250"), "G")`),
        `prices` (channel slug -> price as the channel enters it) and `stocks` (warehouse id ->
        quantity). A channel named in `prices` or `channels` is created (CHF, gross) if missing;
        the product is listed in every channel one of its variants has a price in, plus
        `channels`. `description` is an EditorJS document (or its JSON string).
        """
        specs = list(variants) if variants is not None else [{}]
        for spec in specs:
            unknown = set(spec) - {"sku", "name", "weight", "prices", "stocks"}
            if unknown:
                raise TypeError(f"unknown variant fields: {sorted(unknown)}")
            for warehouse in spec.get("stocks") or {}:
                if warehouse not in self.store.warehouses:
                    raise KeyError(f"no warehouse {warehouse!r}; add it with add_warehouse()")
        product_id = self.store.next_id("Product")
        seq = _pk(product_id)
        created = (_SEEDED_AT + timedelta(seconds=seq)).isoformat()
        stored_description = (
            json.loads(description) if isinstance(description, str) else description
        )
        product: dict[str, Any] = {
            "id": product_id,
            "pk": seq,
            "name": name,
            "slug": slug or f"{_slugify(name)}-{seq}",
            "description": dict(stored_description) if stored_description else None,
            "weight": _stored_weight(weight),
            "taxClass": tax_class["id"] if tax_class else None,
            # One product type per tax class it carries (pk 1: the type without a class).
            "productType": {
                "id": global_id(
                    "ProductType",
                    _pk(product_type_tax_class["id"]) + 1 if product_type_tax_class else 1,
                ),
                "name": product_type_tax_class["name"] if product_type_tax_class else "Default",
                "taxClass": product_type_tax_class["id"] if product_type_tax_class else None,
            },
            "created": created,
            "updatedAt": created,
            "channels": [],
            "variants": [],
        }
        self.store.products[product_id] = product
        listed = list(channels)
        for spec in specs:
            variant_id = self.store.next_id("ProductVariant")
            prices = {ch: Decimal(price) for ch, price in (spec.get("prices") or {}).items()}
            listed += [ch for ch in prices if ch not in listed]
            self.store.variants[variant_id] = {
                "id": variant_id,
                "product": product_id,
                "sku": spec.get("sku"),
                "name": spec.get("name", ""),
                "weight": _stored_weight(spec.get("weight")),
                "prices": prices,
                "stocks": {wh: int(qty) for wh, qty in (spec.get("stocks") or {}).items()},
                "created": created,
                "updatedAt": created,
            }
            product["variants"].append(variant_id)
        for channel in listed:
            if channel not in self.store.channels:
                self.add_channel(channel)
        product["channels"] = list(dict.fromkeys(listed))
        return SeededProduct(product_id, tuple(product["variants"]))

    def delete_product(self, product_id: str) -> None:
        """Delete a product and its variants, as the dashboard does."""
        product = self.store.products.pop(product_id)
        self.store.deleted_products[product_id] = product
        for variant_id in product["variants"]:
            self.store.deleted_variants[variant_id] = self.store.variants.pop(variant_id)

    def product_webhook(
        self,
        event_name: str,
        product_id: str,
        app_id: str,
        *,
        variant_id: str | None = None,
        warehouse_id: str | None = None,
        issued_at: datetime | None = None,
    ) -> tuple[dict[str, str], bytes]:
        """A signed product or variant event whose payload is the app's subscription document
        (`manifest/<event>.graphql`) run against this double's data.

        Variant events are about `variant_id` (default: the product's first variant), the stock
        event about `warehouse_id` (default: the variant's first stock row).
        """
        event = next((e for e in WEBHOOK_EVENTS if e.name == event_name.upper()), None)
        if event is None or event.object_path[0] not in ("product", "productVariant"):
            raise ValueError(f"{event_name!r} is not a product event the app subscribes to")
        product = self._any_product(product_id)
        variant = None
        if event.object_path[0] == "productVariant":
            variant_id = variant_id or product["variants"][0]
            variant = self._any_variant(variant_id)
            warehouse_id = warehouse_id or next(iter(variant["stocks"]), None)
        warehouse = self.store.warehouses.get(warehouse_id or "")
        root = {
            "event": {
                "__typename": "".join(part.capitalize() for part in event.name.split("_")),
                "issuedAt": (issued_at or datetime.now(UTC)).isoformat(),
                "version": self.version,
                "recipient": {"id": app_id},
                "product": self._product_view(product),
                "category": None,
                "productVariant": self._variant_view(variant) if variant else None,
                "warehouse": self._warehouse_view(warehouse) if warehouse else None,
            }
        }
        document = parse(subscription_document(event))
        result = execute(saleor_schema(), document, root_value=root)
        assert not isawaitable(result) and isinstance(result, ExecutionResult)
        if result.errors or result.data is None:
            raise ValueError(f"the {event.document_file} payload failed: {result.errors}")
        return self.webhook(event.name, result.data["event"])

    def _any_variant(self, variant_id: str) -> dict[str, Any]:
        variant = self.store.variants.get(variant_id) or self.store.deleted_variants.get(variant_id)
        if variant is None:
            raise KeyError(f"no variant {variant_id!r}")
        return variant

    def _any_product(self, product_id: str) -> dict[str, Any]:
        return self.store.products.get(product_id) or self.store.deleted_products[product_id]

    def _weight_view(self, weight: tuple[Decimal, str] | None) -> dict[str, Any] | None:
        # Saleor converts to the default unit and answers at most three decimals.
        if weight is None:
            return None
        unit = WeightUnit(self.default_weight_unit)
        value = from_grams(to_grams(weight[0], WeightUnit(weight[1])), unit)
        return {"unit": unit.value, "value": round(float(value), 3)}

    def _product_view(self, product: Mapping[str, Any]) -> dict[str, Any]:
        tax_classes = self.store.tax_classes
        own_class = tax_classes.get(product["taxClass"] or "")
        type_class = tax_classes.get(product["productType"]["taxClass"] or "")
        variant_ids = list(product["variants"])
        description = product["description"]

        def variants(info: _Info) -> list[dict[str, Any]]:
            return [self._variant_view(self._any_variant(v)) for v in variant_ids]

        return {
            "id": product["id"],
            "name": product["name"],
            "slug": product["slug"],
            "description": json.dumps(description) if description is not None else None,
            "weight": self._weight_view(product["weight"]),
            "taxClass": self._tax_class_view(own_class) if own_class else None,
            "productType": {
                **product["productType"],
                "slug": "default",
                "hasVariants": True,
                "isShippingRequired": True,
                "kind": "NORMAL",
                "weight": None,
                "metadata": [],
                "privateMetadata": [],
                "taxClass": self._tax_class_view(type_class) if type_class else None,
            },
            "created": product["created"],
            "updatedAt": product["updatedAt"],
            "chargeTaxes": True,
            "metadata": [],
            "privateMetadata": [],
            "variants": variants,
        }

    def _variant_view(self, variant: Mapping[str, Any]) -> dict[str, Any]:
        product_id = variant["product"]

        def product(info: _Info) -> dict[str, Any]:
            return self._product_view(self._any_product(product_id))

        listings = []
        for slug, amount in variant["prices"].items():
            channel = self.store.channels[slug]
            listings.append(
                {
                    "id": global_id("ProductVariantChannelListing", f"{variant['id']}:{slug}"),
                    "channel": channel,
                    "price": _money(amount, channel["currencyCode"]),
                    "costPrice": None,
                    "priorPrice": None,
                }
            )
        return {
            "id": variant["id"],
            "sku": variant["sku"],
            "name": variant["name"],
            "weight": self._weight_view(variant["weight"]),
            "trackInventory": True,
            "quantityLimitPerCustomer": None,
            "created": variant["created"],
            "updatedAt": variant["updatedAt"],
            "metadata": [],
            "privateMetadata": [],
            "product": product,
            "channelListings": listings,
            "stocks": [
                {
                    "id": global_id("Stock", f"{variant['id']}:{warehouse_id}"),
                    "warehouse": self._warehouse_view(self.store.warehouses[warehouse_id]),
                    "quantity": _guarded(quantity, _STOCKS),
                    "quantityAllocated": _guarded(0, _STOCKS),
                    "quantityReserved": _guarded(0, _STOCKS),
                }
                for warehouse_id, quantity in variant["stocks"].items()
            ],
        }

    def _warehouse_view(self, warehouse: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "slug": _slugify(str(warehouse["name"])),
            "email": "",
            "isPrivate": True,
            "metadata": [],
            "privateMetadata": [],
            **warehouse,
        }

    def _resolve_product(self, info: _Info, **args: Any) -> dict[str, Any] | None:
        if _caller(info) is None:
            raise PermissionDenied(_APP_OR_STAFF)
        product = self.store.products.get(args.get("id") or "")
        return self._product_view(product) if product is not None else None

    def _resolve_products(self, info: _Info, **args: Any) -> dict[str, Any]:
        if _caller(info) is None:
            raise PermissionDenied(_APP_OR_STAFF)
        products: list[dict[str, Any]] = list(self.store.products.values())
        if args.get("channel"):
            products = [p for p in products if args["channel"] in p["channels"]]
        sort_field = (args.get("sortBy") or {}).get("field")
        keys: dict[str | None, str] = {"CREATED_AT": "created", "NAME": "name", None: "slug"}
        if sort_field not in keys:
            raise GraphQLError(f"Sorting products by {sort_field} is not supported in this double.")
        key = keys[sort_field]
        ordered = sorted(((str(p[key]), p["pk"]), p) for p in products)
        if _descending(args):
            ordered.reverse()
        return _keyset_connection(ordered, args, self._product_view)

    def _resolve_product_variants(self, info: _Info, **args: Any) -> dict[str, Any]:
        if _caller(info) is None:
            raise PermissionDenied(_APP_OR_STAFF)
        variants: list[dict[str, Any]] = list(self.store.variants.values())
        skus = (args.get("filter") or {}).get("sku")
        if skus is not None:
            wanted = set(skus)
            variants = [v for v in variants if v["sku"] in wanted]
        if args.get("ids") is not None:
            ids = set(args["ids"])
            variants = [v for v in variants if v["id"] in ids]
        return _connection([self._variant_view(v) for v in variants], args)

    def _resolve_channels(self, info: _Info) -> list[dict[str, Any]]:
        if _caller(info) is None:
            raise PermissionDenied(_APP_OR_STAFF)
        return list(self.store.channels.values())

    def _resolve_warehouses(self, info: _Info, **args: Any) -> dict[str, Any]:
        _require(info, _WAREHOUSES)
        views = [self._warehouse_view(w) for w in self.store.warehouses.values()]
        return _connection(views, args)

    def _product_changed(self, name: str, product: dict[str, Any], args: Mapping[str, Any]) -> None:
        self.mutations.append((name, copy.deepcopy(dict(args))))
        updated = datetime.fromisoformat(product["updatedAt"]) + timedelta(seconds=1)
        product["updatedAt"] = max(updated, datetime.now(UTC)).isoformat()

    def _variant_changed(self, name: str, variant: dict[str, Any], args: Mapping[str, Any]) -> None:
        updated = datetime.fromisoformat(variant["updatedAt"]) + timedelta(seconds=1)
        variant["updatedAt"] = max(updated, datetime.now(UTC)).isoformat()
        self._product_changed(name, self.store.products[variant["product"]], args)

    def _mutation_variant(
        self, info: _Info, variant_id: str | None, sku: str | None, field_name: str
    ) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        _require(info, _PRODUCTS)
        if variant_id is None and sku is not None:
            found = [v for v in self.store.variants.values() if v["sku"] == sku]
            if found:
                return found[0], []
            return None, [_error("sku", "NOT_FOUND", f"Couldn't resolve to a node: {sku}")]
        variant = self.store.variants.get(variant_id or "")
        if variant is None:
            return None, [_error(field_name, "NOT_FOUND", f"Couldn't resolve id: {variant_id}.")]
        return variant, []

    def _product_update(self, info: _Info, **args: Any) -> dict[str, Any]:
        _require(info, _PRODUCTS)
        product = self.store.products.get(args.get("id") or "")
        errors: list[dict[str, Any]] = []
        if product is None:
            errors = [_error("id", "NOT_FOUND", f"Couldn't resolve id: {args.get('id')}.")]
        changes: dict[str, Any] = {}
        data = args["input"]
        if "name" in data:
            if not str(data["name"] or "").strip():
                errors.append(_error("name", "REQUIRED", "This field cannot be blank."))
            changes["name"] = data["name"]
        if "description" in data:
            changes["description"] = _json_string(data["description"])
        if product is None or errors:
            return {"product": None, "errors": errors, "productErrors": errors}
        product.update(changes)
        self._product_changed("productUpdate", product, args)
        return {"product": self._product_view(product), "errors": [], "productErrors": []}

    def _product_variant_update(self, info: _Info, **args: Any) -> dict[str, Any]:
        variant, errors = self._mutation_variant(info, args.get("id"), args.get("sku"), "id")
        changes: dict[str, Any] = {}
        data = args["input"]
        if "name" in data:
            changes["name"] = data["name"] or ""
        if "weight" in data:
            changes["weight"] = self._weight_input(data["weight"])
            if changes["weight"] is not None and changes["weight"][0] < 0:
                errors.append(_error("weight", "INVALID", "Product can't have negative weight."))
        if variant is None or errors:
            return {"productVariant": None, "errors": errors, "productErrors": errors}
        variant.update(changes)
        self._variant_changed("productVariantUpdate", variant, args)
        view = self._variant_view(variant)
        return {"productVariant": view, "errors": [], "productErrors": []}

    def _weight_input(self, value: Any) -> tuple[Decimal, str] | None:
        """WeightScalar: `{unit, value}` with Saleor's lower-case units, or a number in the
        shop's default unit."""
        if value is None:
            return None
        try:
            if isinstance(value, Mapping):
                unit = WeightUnit(str(value["unit"]).upper())
                if str(value["unit"]) != unit.value.lower():
                    raise ValueError(value["unit"])
                return Decimal(str(value["value"])), unit.value
            return Decimal(str(value)), self.default_weight_unit
        except (KeyError, ValueError, ArithmeticError) as exc:
            raise GraphQLError(f"Unsupported value: {value}") from exc

    def _product_variant_channel_listing_update(self, info: _Info, **args: Any) -> dict[str, Any]:
        variant, errors = self._mutation_variant(info, args.get("id"), args.get("sku"), "id")
        channels_by_id = {c["id"]: c for c in self.store.channels.values()}
        product = self.store.products[variant["product"]] if variant is not None else None
        prices: dict[str, Decimal] = {}
        for item in args["input"]:
            channel = channels_by_id.get(item["channelId"])
            price = _positive_decimal(item["price"])
            if channel is None:
                message = f"Couldn't resolve id: {item['channelId']}."
                errors.append(_error("channelId", "NOT_FOUND", message))
                continue
            if channel["slug"] in prices:
                errors.append(
                    _error("channelId", "DUPLICATED_INPUT_ITEM", "Duplicated channel ID.")
                )
            if product is not None and channel["slug"] not in product["channels"]:
                errors.append(
                    _error(
                        "input",
                        "PRODUCT_NOT_ASSIGNED_TO_CHANNEL",
                        f"Product not available in channels: {channel['id']}.",
                    )
                )
            if price != price.quantize(_CENT):
                errors.append(
                    _error("price", "INVALID", "Value cannot have more than 2 decimal places.")
                )
            prices[channel["slug"]] = price
        if variant is None or errors:
            return {"variant": None, "errors": errors, "productChannelListingErrors": errors}
        variant["prices"].update(prices)
        self._variant_changed("productVariantChannelListingUpdate", variant, args)
        view = self._variant_view(variant)
        return {"variant": view, "errors": [], "productChannelListingErrors": []}

    def _product_variant_stocks_update(self, info: _Info, **args: Any) -> dict[str, Any]:
        variant, errors = self._mutation_variant(
            info, args.get("variantId"), args.get("sku"), "variantId"
        )
        quantities: dict[str, int] = {}
        for index, item in enumerate(args["stocks"]):
            warehouse = item["warehouse"]
            if warehouse in quantities:
                errors.append(
                    {
                        **_error("warehouse", "DUPLICATED_INPUT_ITEM", "Duplicated warehouse."),
                        "index": index,
                    }
                )
            elif warehouse not in self.store.warehouses:
                message = f"Couldn't resolve id: {warehouse}."
                errors.append({**_error("warehouse", "NOT_FOUND", message), "index": index})
            quantities[warehouse] = int(item["quantity"])
        if variant is None or errors:
            return {"productVariant": None, "errors": errors, "bulkStockErrors": errors}
        # Saleor creates a missing stock row (get_or_create per warehouse).
        variant["stocks"].update(quantities)
        self._variant_changed("productVariantStocksUpdate", variant, args)
        view = self._variant_view(variant)
        return {"productVariant": view, "errors": [], "bulkStockErrors": []}


def address(**overrides: Any) -> dict[str, Any]:
    """A Swiss `Address` (Anna Muster, Bahnhofstrasse 12a, 8001 Zürich); override any field."""
    return {
        "id": global_id("Address", 1),
        "firstName": "Anna",
        "lastName": "Muster",
        "companyName": "",
        "streetAddress1": "Bahnhofstrasse 12a",
        "streetAddress2": "",
        "postalCode": "8001",
        "city": "Zürich",
        "cityArea": "",
        "countryArea": "",
        "country": _country("CH"),
        "phone": "+41441234567",
        **overrides,
    }


_ZERO = Decimal(0)
_COUNTRY_NAMES = {"CH": "Switzerland", "DE": "Germany", "AT": "Austria", "FR": "France"}


def _country(code: str) -> dict[str, Any]:
    return {"code": code, "country": _COUNTRY_NAMES.get(code, code)}


def _cents(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def _money(amount: Decimal, currency: str) -> dict[str, Any]:
    return {"amount": float(_cents(amount)), "currency": currency}


def _taxed(net: Decimal, gross: Decimal, currency: str) -> dict[str, Any]:
    return {
        "net": _money(net, currency),
        "gross": _money(gross, currency),
        "tax": _money(gross - net, currency),
        "currency": currency,
    }


def _taxed_from_entered(
    amount: Decimal, rate: Decimal, entered_gross: bool, currency: str
) -> dict[str, Any]:
    """Saleor's flat-rate prices: the entered side is exact, the other is rounded to cents."""
    amount = _cents(amount)
    if entered_gross:
        return _taxed(_cents(amount / (1 + rate)), amount, currency)
    return _taxed(amount, _cents(amount * (1 + rate)), currency)


def _connection(nodes: Sequence[dict[str, Any]], args: Mapping[str, Any]) -> dict[str, Any]:
    """A Relay connection page of `nodes` as Saleor serves it (`first` up to 100)."""
    first = args.get("first")
    if first is None or not 0 < first <= _MAX_PAGE:
        raise GraphQLError(
            f"The 'first' argument must be between 1 and {_MAX_PAGE} in this double."
        )
    start = int(_decode_cursor(args["after"])) + 1 if args.get("after") else 0
    edges = [
        {"cursor": _encode_cursor(str(start + i)), "node": node}
        for i, node in enumerate(nodes[start : start + first])
    ]
    return {
        "edges": edges,
        "totalCount": len(nodes),
        "pageInfo": {
            "hasNextPage": start + first < len(nodes),
            "hasPreviousPage": start > 0,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }


def _at(value: str | datetime) -> datetime:
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _since(where: Mapping[str, Any] | None, field_name: str) -> datetime:
    """The `gte` bound of a `where: {field: {gte: ...}}` range (the only form the app sends)."""
    bound = ((where or {}).get(field_name) or {}).get("gte")
    return _at(bound) if bound else datetime.min.replace(tzinfo=UTC)


def _descending(args: Mapping[str, Any]) -> bool:
    return bool(args.get("sortBy") and args["sortBy"].get("direction") == "DESC")


def _encode_cursor(value: str) -> str:
    return base64.b64encode(value.encode()).decode("ascii")


def _decode_cursor(cursor: str) -> str:
    try:
        return base64.b64decode(cursor.encode()).decode()
    except ValueError as exc:
        raise GraphQLError("Received cursor is invalid.") from exc


def _require(info: _Info, permissions: Sequence[str]) -> AppRecord:
    caller = _caller(info)
    if caller is None or not set(permissions) & set(caller.permissions):
        raise PermissionDenied(permissions)
    return caller


def _error(field_name: str | None, code: str, message: str) -> dict[str, Any]:
    return {"field": field_name, "code": code, "message": message}


def _payload(order: Mapping[str, Any] | None, errors: list[dict[str, Any]]) -> dict[str, Any]:
    view = _order_view(order) if order is not None and not errors else None
    return {"order": view, "errors": errors, "orderErrors": errors}


def _order_view(order: Mapping[str, Any]) -> dict[str, Any]:
    """The stored order with the fields that take arguments made callable for graphql-core."""
    view = dict(order)
    view["giftCards"] = [_gift_card_view(card) for card in order["giftCards"]]
    return view


def _gift_card_view(card: Mapping[str, Any]) -> dict[str, Any]:
    stored = list(card["stored_events"])

    def events(info: _Info, filter: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        # MANAGE_ORDERS sees only the gift card's order events, as in Saleor.
        found = [e for e in stored if e["type"] in ("USED_IN_ORDER", "REFUNDED_IN_ORDER")]
        if filter and filter.get("type"):
            found = [e for e in found if e["type"] == filter["type"]]
        if filter and filter.get("orders"):
            found = [e for e in found if e["orderId"] in filter["orders"]]
        return found

    return {**card, "events": events}


# products


def _slugify(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split()) or "item"


def _pk(node_id: str) -> int:
    return int(base64.b64decode(node_id).decode().rpartition(":")[2])


def _stored_weight(weight: tuple[Decimal | str, str] | None) -> tuple[Decimal, str] | None:
    if weight is None:
        return None
    value, unit = weight
    return Decimal(value), WeightUnit(unit).value


def _guarded(value: Any, permissions: Sequence[str]) -> Any:
    """A field only callers with one of `permissions` may read, as Saleor guards stock counts."""

    def resolve(info: _Info) -> Any:
        _require(info, permissions)
        return value

    return resolve


def _json_string(value: Any) -> Any:
    """Saleor's JSONString input: a string holding JSON (an object is refused, as in Saleor)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise GraphQLError(f"JSONString cannot represent value: {value!r}")
    try:
        return json.loads(value)
    except ValueError as exc:
        raise GraphQLError("JSONString cannot represent the given value: invalid JSON.") from exc


def _positive_decimal(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value))
    except ArithmeticError as exc:
        raise GraphQLError(f"Unsupported value: {value}") from exc
    if not amount.is_finite() or amount < 0:
        raise GraphQLError(f"Value cannot be lower than 0. Unsupported value: {value}")
    return amount


def _keyset_connection(
    items: Sequence[tuple[tuple[str, int], dict[str, Any]]],
    args: Mapping[str, Any],
    view: Callable[[dict[str, Any]], dict[str, Any]],
) -> dict[str, Any]:
    """A connection page whose cursors hold the sort key, as Saleor's do: a page continues after
    the last key seen, so deleting or adding earlier objects skips and repeats nothing."""
    first = args.get("first")
    if first is None or not 0 < first <= _MAX_PAGE:
        raise GraphQLError(
            f"The 'first' argument must be between 1 and {_MAX_PAGE} in this double."
        )
    start = 0
    if args.get("after"):
        try:
            raw = json.loads(_decode_cursor(args["after"]))
            after = (str(raw[0]), int(raw[1]))
        except (ValueError, TypeError, IndexError) as exc:
            raise GraphQLError("Received cursor is invalid.") from exc
        descending = _descending(args)
        start = next(
            (i for i, (key, _) in enumerate(items) if (key < after if descending else key > after)),
            len(items),
        )
    page = items[start : start + first]
    edges = [
        {"cursor": _encode_cursor(json.dumps(list(key))), "node": view(node)} for key, node in page
    ]
    return {
        "edges": edges,
        "totalCount": len(items),
        "pageInfo": {
            "hasNextPage": start + first < len(items),
            "hasPreviousPage": start > 0,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }
