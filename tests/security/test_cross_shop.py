"""A dashboard token of shop A reads and changes nothing of shop B, through every query.

The query is built from the schema itself, so a field added later is covered without editing
this file. tests/api/test_graphql.py and tests/api/test_vat_and_orders.py check single fields.
"""

from __future__ import annotations

import json
from typing import Any

import graphql
import pytest

from saleor_bexio_app.api.schema import schema as api_schema
from tests.fuzz.observed import db_state
from tests.security.world import B_MARKER, CUSTOMER_EMAIL, CUSTOMER_STREET, World, two_shops
from tests.web.conftest import SHOP_B, Harness

# Arguments for root fields that need them; B's invoiced order goes where an order id is asked.
ROOT_ARGUMENTS = {
    "orderDocuments": '(orderId: "{b_order}")',
    "errors": "(status: null, limit: 200)",
    "bexioMasterData": "(refresh: true)",
}


def _selection(kind: graphql.GraphQLOutputType, depth: int = 0) -> str:
    named = graphql.get_named_type(kind)
    if isinstance(named, graphql.GraphQLScalarType | graphql.GraphQLEnumType):
        return ""
    assert depth < 6, f"{named.name} nests too deep for the generated query"
    if isinstance(named, graphql.GraphQLUnionType):
        members = " ".join(f"... on {m.name} {_selection(m, depth + 1)}" for m in named.types)
        return "{ __typename " + members + " }"
    assert isinstance(named, graphql.GraphQLObjectType | graphql.GraphQLInterfaceType)
    fields = []
    for name, field in named.fields.items():
        required = [arg for arg, spec in field.args.items() if graphql.is_required_argument(spec)]
        assert not required, f"{named.name}.{name} needs {required}: give it a value here"
        fields.append(f"{name} {_selection(field.type, depth + 1)}")
    return "{ " + " ".join(fields) + " }"


def everything_query(b_order: str) -> str:
    """Every root query field with all it can select."""
    query_type = api_schema._schema.query_type
    assert query_type is not None
    parts = []
    for name, field in query_type.fields.items():
        arguments = ROOT_ARGUMENTS.get(name, "").format(b_order=b_order)
        missing = [arg for arg, spec in field.args.items() if graphql.is_required_argument(spec)]
        assert not missing or arguments, f"Query.{name} needs {missing}: add it to ROOT_ARGUMENTS"
        parts.append(f"{name}{arguments} {_selection(field.type)}")
    return "{ " + "\n".join(parts) + " }"


@pytest.fixture
async def world(harness: Harness) -> World:
    return await two_shops(harness)


async def _as_a(world: World, query: str, variables: dict[str, Any] | None = None) -> Any:
    harness = world.harness
    response = await harness.client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers=harness.dashboard_headers(world.a, world.app_a),
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert "errors" not in answer, answer
    return answer["data"]


async def test_every_query_of_shop_a_shows_nothing_of_shop_b(world: World) -> None:
    # given shop B with settings, VAT mapping, an invoice, an open error and a backfill
    b_side = await _as_b(
        world,
        f"{{ errors {{ id }} backfills {{ id }} "
        f'orderDocuments(orderId: "{world.b_invoiced_order}") {{ documents {{ bexioId }} }} }}',
    )
    assert b_side["errors"] and b_side["backfills"] and b_side["orderDocuments"]["documents"]
    # when shop A asks for everything, naming B's invoiced order
    data = await _as_a(world, everything_query(world.b_invoiced_order))
    # then nothing of B is in the answer
    documents = data.pop("orderDocuments")
    assert (documents["documents"], documents["actionsDone"]) == ([], [])
    text = json.dumps(data, ensure_ascii=False)
    for secret in (SHOP_B, B_MARKER, CUSTOMER_EMAIL, CUSTOMER_STREET, world.b_parked_order):
        assert secret not in text
    assert data["errors"] == []
    assert data["backfills"] == []
    assert data["syncPause"] is None
    assert data["vatMapping"]["json"]["by_rate"] == {}
    assert data["settings"]["json"]["revenue_account_id"] is None


async def test_shop_a_cannot_retry_or_dismiss_shop_bs_errors(world: World) -> None:
    b_errors = [entry["id"] for entry in (await _as_b(world, "{ errors { id } }"))["errors"]]
    before = await db_state(world.harness.engine)
    data = await _as_a(
        world,
        """mutation($ids: [Int!]!) {
          retryErrors(ids: $ids) { ... on ErrorsRetried { count } }
          dismissErrors(ids: $ids) { ... on ErrorsDismissed { count } }
        }""",
        {"ids": b_errors},
    )
    assert data == {"retryErrors": {"count": 0}, "dismissErrors": {"count": 0}}
    assert await db_state(world.harness.engine) == before


async def test_shop_as_connection_changes_leave_shop_b_connected(world: World) -> None:
    await _as_a(world, "mutation { disconnectBexio { __typename } }")
    b_side = await _as_b(world, "{ bexioConnection { status } }")
    assert b_side["bexioConnection"]["status"] == "connected"


async def _as_b(world: World, query: str) -> Any:
    harness = world.harness
    response = await harness.client.post(
        "/graphql", json={"query": query}, headers=harness.dashboard_headers(world.b, world.app_b)
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]
