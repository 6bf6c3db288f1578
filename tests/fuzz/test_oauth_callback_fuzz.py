"""Random returns from bexio at `/bexio/oauth/callback`: a 400 page, and no connection change."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from saleor_bexio_app.ids import InstallationId
from saleor_bexio_app.web.connect import start_connect
from tests.fuzz.observed import TALLY, db_state, fuzz, mostly
from tests.web.conftest import SHOP_A, Harness

PARAM_TEXT = st.text(max_size=60)


@dataclass(frozen=True)
class Shop:
    harness: Harness
    installation_id: InstallationId


@pytest.fixture
async def shop(harness: Harness) -> Shop:
    """An installed shop, not connected to bexio yet."""
    harness.add_bexio()
    await harness.install(harness.add_saleor(SHOP_A))
    await harness.run_jobs()
    [row] = await harness.installations()
    return Shop(harness, InstallationId(row.id))


@fuzz(examples=80)
@given(
    state=mostly(st.sampled_from(["<issued>", "<used>", "<expired>"]), PARAM_TEXT),
    code=st.one_of(st.none(), PARAM_TEXT),
    error=st.one_of(st.none(), st.none(), PARAM_TEXT),
    extra=st.dictionaries(st.sampled_from(["saleorApiUrl", "installation_id", "x"]), PARAM_TEXT),
)
async def test_random_callbacks_are_a_400_page_and_connect_nothing(
    shop: Shop, state: str, code: str | None, error: str | None, extra: dict[str, str]
) -> None:
    harness = shop.harness
    fresh = state == "<issued>"
    if state.startswith("<"):
        url = await start_connect(harness.services, shop.installation_id)
        assert url is not None
        issued = parse_qs(urlsplit(url).query)["state"][0]
        if state == "<used>":
            await harness.client.get("/bexio/oauth/callback", params={"state": issued})
        if state == "<expired>":
            harness.clock.advance(10 * 60 + 1)
        state = issued
    before = await db_state(harness.engine)
    params = {"state": state, **extra}
    params.update({"code": code} if code is not None else {})
    params.update({"error": error} if error is not None else {})

    response = await harness.client.get("/bexio/oauth/callback", params=params)

    TALLY.record("GET /bexio/oauth/callback", response.status_code)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "<title>bexio connection failed" in response.text or "was not connected" in response.text
    after = await db_state(harness.engine)
    # a fresh state is used up by its first return, whatever happens next; nothing else changes
    assert {table: rows for table, rows in after.items() if table != "oauth_states"} == {
        table: rows for table, rows in before.items() if table != "oauth_states"
    }
    assert after["bexio_connections"] == []
    if not fresh:
        assert after["oauth_states"] == before["oauth_states"]
