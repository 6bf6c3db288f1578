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
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
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

from saleor_bexio_app.saleor.schema import saleor_schema

SALEOR_VERSION = "3.24.0-a.0"
SCHEMA_VERSION = "3.24"
USER_AGENT = f"Saleor/{SCHEMA_VERSION}"
DEFAULT_API_URL = "http://saleor.test/graphql/"
_TOKEN_ALPHABET = string.ascii_letters + string.digits
_APP_OR_STAFF = ("AUTHENTICATED_STAFF_USER", "AUTHENTICATED_APP")


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
    products: dict[str, dict[str, Any]] = field(default_factory=dict)
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
        self.executions = 0
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
        return {"app": self._resolve_app, "shop": self._resolve_shop}

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
