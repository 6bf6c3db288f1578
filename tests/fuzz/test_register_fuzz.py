"""Random install requests at `/api/register`: a JSON 4xx with a code, nothing stored or fetched."""

from __future__ import annotations

import json
import string
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from saleor_bexio_app.sandbox.saleor_double import SaleorDouble
from tests.fuzz.observed import HEADER_TEXT, JSON_VALUES, TALLY, db_state, fuzz, mostly
from tests.web.conftest import SHOP_A, SHOP_B, Harness

DISALLOWED = "http://evil.test/graphql/"
TOKENS = st.one_of(
    st.text(string.ascii_letters + string.digits, min_size=1, max_size=40),
    st.text(max_size=40),
    st.sampled_from(["\x00", "é", "Bearer x", " ", "a" * 5000, "token\nInjected: 1"]),
    JSON_VALUES,
)
BODIES = mostly(
    st.fixed_dictionaries({"auth_token": TOKENS}).map(lambda body: json.dumps(body).encode()),
    JSON_VALUES.map(lambda value: json.dumps(value).encode()) | st.binary(max_size=100),
)
API_URLS = mostly(
    st.sampled_from([SHOP_A, SHOP_B, DISALLOWED, "http://shop-a.test/graphql", None]),
    HEADER_TEXT,
)


@dataclass(frozen=True)
class Saleors:
    harness: Harness
    doubles: list[SaleorDouble]


@pytest.fixture
async def saleors(harness: Harness) -> Saleors:
    """Two allowed Saleors and one the allow-list refuses, all reachable; none installed."""
    return Saleors(harness, [harness.add_saleor(url) for url in (SHOP_A, SHOP_B, DISALLOWED)])


@fuzz(examples=120)
@given(api_url=API_URLS, body=BODIES, content_type=st.sampled_from(["application/json", "text/x"]))
@example(api_url=SHOP_A, body=b'{"auth_token": "\\u00e9"}', content_type="application/json")
@example(api_url=SHOP_A, body=b'{"auth_token": "a\\nb"}', content_type="application/json")
async def test_random_install_requests_are_refused_with_a_code_and_store_nothing(
    saleors: Saleors, api_url: str | None, body: bytes, content_type: str
) -> None:
    harness = saleors.harness
    before = await db_state(harness.engine)
    calls_before = len(harness.network.requests)
    headers = {b"Content-Type": content_type.encode()}
    if api_url is not None:
        headers[b"Saleor-Api-Url"] = api_url.encode("latin-1")

    response = await harness.client.post("/api/register", content=body, headers=headers)

    TALLY.record("POST /api/register", response.status_code)
    assert response.status_code in (400, 401, 403), response.text
    answer: Any = response.json()
    assert answer["success"] is False
    assert answer["error"]["code"].isupper()
    assert answer["error"]["message"].strip()
    assert await db_state(harness.engine) == before
    # the only call out is `{ app { id } }` to an allowed Saleor; no JWKS is ever read
    for call in harness.network.requests[calls_before:]:
        assert (call.method, str(call.url)) in {("POST", SHOP_A), ("POST", SHOP_B)}
    assert [double.jwks_fetches for double in saleors.doubles] == [0, 0, 0]
    assert saleors.doubles[2].graphql_requests == []
