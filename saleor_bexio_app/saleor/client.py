"""SaleorClient: one typed async method per GraphQL operation the app sends (gql over httpx)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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

from saleor_bexio_app.errors import AppError, AuthError, RejectedError, TransientError
from saleor_bexio_app.ids import AppId, SaleorApiUrl
from saleor_bexio_app.saleor.schema import saleor_schema

APP_ID_QUERY = gql("query AppId { app { id } }")
SHOP_INFO_QUERY = gql("query ShopInfo { shop { name version } }")

DEFAULT_TIMEOUT = httpx.Timeout(20.0, connect=5.0)


@dataclass(frozen=True, slots=True)
class ShopInfo:
    name: str
    version: str


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
        client = Client(transport=transport, schema=saleor_schema())
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
            # Local validation against the real schema failed: a bug in the app, not in the shop.
            raise AppError("The app sent Saleor an invalid request.", detail=exc.message) from exc


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
