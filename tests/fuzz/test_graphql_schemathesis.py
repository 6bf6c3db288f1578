"""Schemathesis against the dashboard API: every query and mutation, valid and invalid documents.

Schemathesis builds the cases from the schema the app serves and judges the answers with its
checks. The cases go to the app over `httpx.ASGITransport` in the test's event loop: its own
ASGI client (`schemathesis.graphql.from_asgi`, `case.call`) runs the app on a thread with another
event loop, which the app's database engine and the Saleor/bexio doubles cannot share.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import graphql
import pytest
import schemathesis
from hypothesis import given
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok

from saleor_bexio_app.api.schema import schema as api_schema
from saleor_bexio_app.ids import BexioTaxId
from saleor_bexio_app.sandbox.saleor_double import InstalledApp, SaleorDouble
from saleor_bexio_app.store.settings_codec import shop_settings_to_json, tax_mapping_to_json
from saleor_bexio_app.sync.vat import TaxMapping
from tests.builders import make_settings
from tests.fuzz.observed import JSON_VALUES, TALLY, db_state, fuzz, json_error
from tests.web.conftest import SHOP_A, SHOP_B, Harness
from tests.web.shop import ready_shop

NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")
NAMES = st.from_regex(r"\A[_A-Za-z][_0-9A-Za-z]{0,15}\Z")
SETTINGS = shop_settings_to_json(make_settings())
VAT_MAPPING = tax_mapping_to_json(TaxMapping(by_rate={Decimal("8.1"): BexioTaxId(14)}))


def _json_node(value: Any) -> graphql.ValueNode:
    """A JSON value as a GraphQL literal (the `JSON` scalar accepts any literal)."""
    if value is None:
        return graphql.NullValueNode()
    if isinstance(value, bool):
        return graphql.BooleanValueNode(value=value)
    if isinstance(value, int):
        return graphql.IntValueNode(value=str(value))
    if isinstance(value, float):
        return graphql.FloatValueNode(value=repr(value))
    if isinstance(value, str):
        return graphql.StringValueNode(value=value)
    if isinstance(value, list):
        return graphql.ListValueNode(values=tuple(_json_node(item) for item in value))
    # keys that are not GraphQL names (such as VAT rates) cannot be written as literals
    return graphql.ObjectValueNode(
        fields=tuple(
            graphql.ObjectFieldNode(name=graphql.NameNode(value=key), value=_json_node(item))
            for key, item in value.items()
            if NAME.fullmatch(key)
        )
    )


def _documents(document: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """A saved document with some keys given odd values, dropped, or left alone."""
    values = st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=20),
        lambda children: (
            st.lists(children, max_size=3) | st.dictionaries(NAMES, children, max_size=3)
        ),
        max_leaves=8,
    )
    changes = st.dictionaries(st.sampled_from(sorted(document)), values | st.just(None), max_size=3)
    return changes.map(lambda changed: {**document, **changed})


JSON_LITERALS = st.one_of(
    _documents(SETTINGS),
    _documents(VAT_MAPPING),
    st.recursive(
        st.booleans() | st.integers() | st.text(max_size=20),
        lambda children: (
            st.lists(children | st.none(), max_size=3)
            | st.dictionaries(NAMES, children | st.none(), max_size=3)
        ),
        max_leaves=8,
    ),
).map(_json_node)  # never a bare null: the JSON arguments are non-null
schemathesis.graphql.scalar("JSON", JSON_LITERALS)


def _operations(loaded: Any) -> list[Any]:
    """The schema's operations (queries and mutations), by label."""
    results = list(loaded.get_all_operations())
    assert all(isinstance(result, Ok) for result in results), results
    return sorted((result.ok() for result in results), key=lambda operation: operation.label)


API = schemathesis.graphql.from_dict(api_schema.introspect())
OPERATIONS = _operations(API)
# every mutation but "sync this order now", which MANAGE_ORDERS may ask for
CHANGES_NEED_MANAGE_APPS = {
    operation.label
    for operation in OPERATIONS
    if operation.label.startswith("Mutation.") and operation.label != "Mutation.syncOrderNow"
}
NUL_REFUSED = "Text in a request may not contain NUL characters."
TOKENS = ["valid", "valid", "valid", "read-only", "expired", "other-shop", "not-a-jwt", "none"]


@dataclass(frozen=True)
class Shops:
    harness: Harness
    shop: SaleorDouble
    app: InstalledApp
    other: SaleorDouble
    other_app: InstalledApp


@pytest.fixture
async def shops(harness: Harness) -> Shops:
    """Shop A connected to bexio with settings and a VAT mapping; shop B installed as well."""
    shop, app, _ = await ready_shop(harness)
    other = harness.add_saleor(SHOP_B)
    other_app = await harness.install(other)
    await harness.run_jobs()
    return Shops(harness, shop, app, other, other_app)


def _headers(shops: Shops, token: str) -> dict[str, str]:
    harness, shop, app = shops.harness, shops.shop, shops.app
    everything = ["MANAGE_ORDERS", "MANAGE_APPS"]
    makers: dict[str, Callable[[], str]] = {
        "valid": lambda: shop.dashboard_token(
            app.id, permissions=everything, user_permissions=everything, now=harness.clock()
        ),
        "read-only": lambda: shop.dashboard_token(
            app.id,
            permissions=["MANAGE_ORDERS"],
            user_permissions=["MANAGE_ORDERS"],
            now=harness.clock(),
        ),
        "expired": lambda: shop.dashboard_token(
            app.id, permissions=everything, user_permissions=everything, ttl=-60
        ),
        "other-shop": lambda: shops.other.dashboard_token(
            shops.other_app.id, permissions=everything, user_permissions=everything
        ),
        "not-a-jwt": lambda: "not-a-jwt",
        "none": lambda: "",
    }
    made = makers[token]()
    headers = {"Saleor-Api-Url": SHOP_A}
    if made:
        headers["Authorization-Bearer"] = made
    return headers


async def test_the_fuzzed_schema_is_the_one_the_app_serves(shops: Shops) -> None:
    response = await shops.harness.client.post(
        "/graphql",
        json={"query": graphql.get_introspection_query()},
        headers=_headers(shops, "valid"),
    )
    assert response.status_code == 200
    served = schemathesis.graphql.from_dict(response.json())
    assert [op.label for op in _operations(served)] == [op.label for op in OPERATIONS]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@fuzz(examples=100)
@given(data=st.data(), token=st.sampled_from(TOKENS))
async def test_generated_documents_never_get_a_5xx_and_refusals_write_nothing(
    shops: Shops, mode: GenerationMode, data: st.DataObject, token: str
) -> None:
    harness = shops.harness
    # uniform over the operations (sampled_from leans towards the first ones)
    operation = data.draw(st.randoms(), label="random").choice(OPERATIONS)
    case = data.draw(operation.as_strategy(generation_mode=mode), label="case")
    before = await db_state(harness.engine)

    response = await harness.client.post(
        "/graphql", json={"query": case.body}, headers=_headers(shops, token)
    )

    generated = case.meta.generation.mode if case.meta else mode
    TALLY.record(
        f"POST /graphql schemathesis {generated.value}", response.status_code, operation.label
    )
    answer: Any = response.json()
    if token in ("valid", "read-only"):
        # schemathesis's own checks: no server error, a well-formed GraphQL answer, and
        # (negative cases) the invalid document refused
        if response.status_code == 400:
            assert answer["errors"][0]["message"] == NUL_REFUSED
            assert await db_state(harness.engine) == before
            return
        case.validate_response(response)
        assert response.status_code == 200, response.text
        if generated == GenerationMode.NEGATIVE or answer.get("data") is None:
            assert answer["errors"], answer
            assert await db_state(harness.engine) == before
        if token == "read-only" and operation.label in CHANGES_NEED_MANAGE_APPS:
            assert await db_state(harness.engine) == before
        return
    case.validate_response(response, checks=[not_a_server_error])
    assert response.status_code == 401, response.text
    json_error(answer)
    assert "data" not in answer
    assert await db_state(harness.engine) == before


@fuzz(examples=4)
@given(data=st.data())
async def test_every_operation_is_executed_for_a_valid_token(
    shops: Shops, data: st.DataObject
) -> None:
    harness = shops.harness
    for operation in OPERATIONS:
        case = data.draw(operation.as_strategy(), label=operation.label)
        response = await harness.client.post(
            "/graphql", json={"query": case.body}, headers=_headers(shops, "valid")
        )
        TALLY.record(
            "POST /graphql schemathesis, each operation", response.status_code, operation.label
        )
        if response.status_code == 400:
            assert response.json()["errors"][0]["message"] == NUL_REFUSED
            continue
        case.validate_response(response)
        assert response.status_code == 200, response.text
        assert response.json()["data"] is not None, response.text


SAVE = {
    "saveSettings": (
        SETTINGS,
        "mutation($json: JSON!) { saveSettings(json: $json) { __typename } }",
        "SettingsSaved",
    ),
    "saveVatMapping": (
        VAT_MAPPING,
        "mutation($json: JSON!) { saveVatMapping(json: $json) { __typename } }",
        "VatMappingSaved",
    ),
}


@pytest.mark.parametrize("mutation", sorted(SAVE))
@fuzz(examples=60)
@given(data=st.data())
async def test_saving_odd_documents_is_a_typed_refusal_or_a_save_never_a_5xx(
    shops: Shops, mutation: str, data: st.DataObject
) -> None:
    harness = shops.harness
    document, query, saved = SAVE[mutation]
    sent = data.draw(st.one_of(_documents(document), JSON_VALUES), label="json")
    before = await db_state(harness.engine)

    response = await harness.client.post(
        "/graphql",
        json={"query": query, "variables": {"json": sent}},
        headers=_headers(shops, "valid"),
    )

    TALLY.record(f"POST /graphql {mutation}(json: $json)", response.status_code)
    answer: Any = response.json()
    if response.status_code == 400:
        assert "\\u0000" in json.dumps(sent), sent
        assert answer["errors"][0]["message"] == NUL_REFUSED
        assert await db_state(harness.engine) == before
        return
    assert response.status_code == 200, response.text
    if answer.get("errors"):
        # only a null document is refused by GraphQL itself, before any resolver runs
        assert sent is None and answer["data"] is None, answer
        assert await db_state(harness.engine) == before
    elif answer["data"][mutation]["__typename"] != saved:
        assert await db_state(harness.engine) == before


ODD_STRINGS = ["\\u0000", "a\\u0000b", "x" * 5000, "' OR 1=1 --", "🙂"]
ODD_PAGES = ["limit: 2147483647, offset: 2147483647", "limit: -1, offset: -1"]


@pytest.mark.parametrize(
    "query",
    [f'{{ orderDocuments(orderId: "{odd}") {{ orderId }} }}' for odd in ODD_STRINGS]
    + [f'mutation {{ syncOrderNow(orderId: "{odd}") {{ __typename }} }}' for odd in ODD_STRINGS]
    + [
        f'{{ errors(status: "{odd}", kind: "{odd}", reason: "{odd}", {page}) {{ id }} }}'
        for odd in ODD_STRINGS
        for page in ODD_PAGES
    ],
)
async def test_odd_strings_and_numbers_in_arguments_are_answered_without_a_5xx(
    shops: Shops, query: str
) -> None:
    before = await db_state(shops.harness.engine)
    response = await shops.harness.client.post(
        "/graphql", json={"query": query}, headers=_headers(shops, "valid")
    )
    TALLY.record("POST /graphql odd arguments", response.status_code)
    if "\\u0000" in query:
        # PostgreSQL cannot store or compare NUL: refused before execution, on every database
        assert response.status_code == 400, response.text
        assert response.json()["errors"][0]["message"] == NUL_REFUSED
        assert await db_state(shops.harness.engine) == before
        return
    assert response.status_code == 200, response.text
    assert "errors" not in response.json(), response.json()
