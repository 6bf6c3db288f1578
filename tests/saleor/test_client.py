"""SaleorClient turns HTTP and GraphQL failures into AppError kinds and validates every document."""

from __future__ import annotations

import json

import httpx
import pytest
from gql import gql

from saleor_bexio_app.errors import AppError, AuthError, RejectedError, TransientError
from saleor_bexio_app.ids import SaleorApiUrl
from saleor_bexio_app.saleor.client import SaleorClient

API = SaleorApiUrl("http://shop.test/graphql/")


def _client(handler: httpx.MockTransport) -> SaleorClient:
    return SaleorClient(API, "app-token", transport=handler)


def _answer(status: int, body: object) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(status, json=body))


async def test_app_id_is_read_with_the_bearer_token() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"data": {"app": {"id": "QXBwOjE="}}})

    assert await _client(httpx.MockTransport(handler)).get_app_id() == "QXBwOjE="
    assert seen[0].headers["authorization"] == "Bearer app-token"
    assert "app" in json.loads(seen[0].content)["query"]


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (500, {"errors": [{"message": "boom"}]}, TransientError),
        (502, "bad gateway", TransientError),
        (401, {"errors": [{"message": "no"}]}, AuthError),
        (
            200,
            {
                "data": None,
                "errors": [
                    {"message": "denied", "extensions": {"exception": {"code": "PermissionDenied"}}}
                ],
            },
            AuthError,
        ),
        (
            200,
            {
                "data": None,
                "errors": [{"message": "x", "extensions": {"exception": {"code": "X"}}}],
            },
            RejectedError,
        ),
        (200, {"data": {"app": None}}, AuthError),
    ],
)
async def test_failures_become_app_error_kinds(
    status: int, body: object, kind: type[AppError]
) -> None:
    with pytest.raises(kind):
        await _client(_answer(status, body)).get_app_id()


async def test_unreachable_saleor_is_transient() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(TransientError):
        await _client(httpx.MockTransport(handler)).get_shop_info()


async def test_a_document_saleor_refuses_as_invalid_is_an_app_error_not_retried() -> None:
    # Documents are checked against the real schema by the tests, not on every call; should
    # one slip through, Saleor's validation error is a clear, non-retryable failure.
    def handler(request: httpx.Request) -> httpx.Response:
        body = {
            "errors": [
                {
                    "message": 'Cannot query field "notAField" on type "App".',
                    "extensions": {"exception": {"code": "GraphQLError"}},
                }
            ]
        }
        return httpx.Response(400, json=body)

    client = _client(httpx.MockTransport(handler))
    with pytest.raises(AppError) as caught:
        await client._execute(gql("{ app { id notAField } }"))
    assert not caught.value.retryable
