"""Rate limits and scripted faults of the bexio emulator, as an HTTP client sees them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from saleor_bexio_app.sandbox.bexio import BexioConnectionReset, BexioEmulator, Fault
from tests.net import serving

CONTACT = {"contact_type_id": 1, "name_1": "Muster AG", "user_id": 1, "owner_id": 1}
SEARCH = [{"field": "name_1", "value": "Muster", "criteria": "like"}]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_781_787_315.0  # 15 s into a minute

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def client_for(emulator: BexioEmulator, token: str | None = None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token or emulator.access_token()}"}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emulator.app),
        base_url="http://bexio.test",
        headers=headers,
    )


@pytest.fixture
def emulator(clock: FakeClock) -> BexioEmulator:
    return BexioEmulator(clock=clock, timeout_seconds=30)


@pytest.fixture
async def bexio(emulator: BexioEmulator) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(emulator) as client:
        yield client


# --- rate limits --------------------------------------------------------------------------------


async def test_every_api_answer_carries_the_rate_limit_of_its_group(
    bexio: httpx.AsyncClient,
) -> None:
    first = await bexio.get("/2.0/contact")
    second = await bexio.get("/3.0/users/me")
    search = await bexio.post("/2.0/contact/search", json=SEARCH)
    article = await bexio.get("/2.0/article")
    assert [r.headers["ratelimit-limit"] for r in (first, second, search, article)] == [
        "1000",
        "1000",
        "250",
        "400",
    ]
    assert [r.headers["ratelimit-remaining"] for r in (first, second, search, article)] == [
        "999",
        "998",
        "249",
        "399",
    ]
    assert first.headers["ratelimit-reset"] == "45"
    assert first.headers["x-ratelimit-limit-minute"] == "1000"
    assert second.headers["x-ratelimit-remaining-minute"] == "998"


async def test_without_a_configured_limit_nothing_is_refused(bexio: httpx.AsyncClient) -> None:
    answers = [await bexio.post("/2.0/contact/search", json=SEARCH) for _ in range(252)]
    assert {a.status_code for a in answers} == {200}
    assert answers[-1].headers["ratelimit-remaining"] == "0"


async def test_calls_past_the_limit_get_429_until_the_next_minute(clock: FakeClock) -> None:
    # given
    emulator = BexioEmulator(clock=clock, rate_limit_per_minute=3)
    async with client_for(emulator) as bexio:
        # when
        answers = [await bexio.get("/2.0/contact") for _ in range(3)]
        refused = await bexio.post("/2.0/kb_invoice/search", json=[])
        clock.now += 45
        later = await bexio.get("/2.0/contact")
    # then
    assert [a.headers["ratelimit-remaining"] for a in answers] == ["2", "1", "0"]
    assert refused.status_code == 429
    assert refused.json() == {"message": "API rate limit exceeded"}
    assert refused.headers["retry-after"] == refused.headers["ratelimit-reset"] == "45"
    assert refused.headers["ratelimit-remaining"] == "0"
    assert later.status_code == 200
    assert later.headers["ratelimit-remaining"] == "2"
    assert len(emulator.calls) == 5


async def test_a_missing_or_unknown_token_is_401(emulator: BexioEmulator) -> None:
    async with client_for(emulator, token="not-a-token") as bexio:
        response = await bexio.get("/2.0/contact")
    assert response.status_code == 401
    assert response.json()["error_code"] == 401
    assert "ratelimit-limit" in response.headers


# --- fail_next ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "content_type", "body_part"),
    [
        (500, "application/json", '"error_code":500'),
        (502, "text/html", "502 Server Error"),
        (503, "application/json", '"error_code":503'),
        (429, "application/json", "API rate limit exceeded"),
    ],
)
async def test_fail_next_answers_error_statuses_then_recovers(
    bexio: httpx.AsyncClient,
    emulator: BexioEmulator,
    fault: Fault,
    content_type: str,
    body_part: str,
) -> None:
    # given
    emulator.fail_next(2, fault)
    # when
    failed = [await bexio.post("/2.0/contact", json=CONTACT) for _ in range(2)]
    recovered = await bexio.get("/2.0/contact")
    # then
    assert [f.status_code for f in failed] == [fault, fault]
    assert failed[0].headers["content-type"].startswith(content_type)
    assert body_part in failed[0].text
    if fault == 429:
        assert failed[0].headers["retry-after"] == failed[0].headers["ratelimit-reset"]
    assert recovered.status_code == 200
    assert [c["name_1"] for c in recovered.json()] == ["bexio AG"]  # nothing was created
    assert emulator.calls == [("POST", "/2.0/contact")] * 2 + [("GET", "/2.0/contact")]


async def test_a_failure_after_the_work_was_done(
    bexio: httpx.AsyncClient, emulator: BexioEmulator
) -> None:
    emulator.fail_next(1, 500, processed=True)
    assert (await bexio.post("/2.0/contact", json=CONTACT)).status_code == 500
    assert [c["name_1"] for c in emulator.contacts.values()] == ["bexio AG", "Muster AG"]


async def test_oauth_calls_do_not_consume_scripted_faults(
    bexio: httpx.AsyncClient, emulator: BexioEmulator
) -> None:
    emulator.fail_next(1, 503)
    userinfo = await bexio.get("/realms/bexio/protocol/openid-connect/userinfo")
    assert userinfo.status_code == 200
    assert "ratelimit-limit" not in userinfo.headers
    assert (await bexio.get("/2.0/contact")).status_code == 503


async def test_timeout_holds_the_answer_after_bexio_did_the_work(
    bexio: httpx.AsyncClient, emulator: BexioEmulator
) -> None:
    # given
    emulator.fail_next(1, "timeout")
    # when the client gives up
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(bexio.post("/2.0/contact", json=CONTACT), timeout=0.05)
    # then the contact exists anyway, and the next call is answered at once
    assert [c["name_1"] for c in emulator.contacts.values()] == ["bexio AG", "Muster AG"]
    assert (await bexio.get("/2.0/contact")).status_code == 200


async def test_timeout_before_the_work_answers_504_when_the_wait_ends(
    bexio: httpx.AsyncClient, emulator: BexioEmulator
) -> None:
    emulator.timeout_seconds = 0.01
    emulator.fail_next(1, "timeout", processed=False)
    late = await bexio.post("/2.0/contact", json=CONTACT)
    assert late.status_code == 504
    assert list(emulator.contacts) == [1]


async def test_release_timeouts_lets_a_held_answer_go(
    bexio: httpx.AsyncClient, emulator: BexioEmulator
) -> None:
    emulator.fail_next(1, "timeout")
    pending = asyncio.ensure_future(bexio.get("/3.0/users/me"))
    while not emulator.held_answers:
        await asyncio.sleep(0)
    emulator.release_timeouts()
    response = await asyncio.wait_for(pending, timeout=1)
    assert response.status_code == 200
    assert response.json()["id"] == 1


async def test_reset_is_a_transport_error_for_an_httpx_client(
    bexio: httpx.AsyncClient, emulator: BexioEmulator
) -> None:
    emulator.fail_next(1, "reset")
    with pytest.raises(httpx.TransportError) as caught:
        await bexio.post("/2.0/contact", json=CONTACT)
    assert isinstance(caught.value, httpx.RemoteProtocolError)
    assert isinstance(caught.value, BexioConnectionReset)
    assert list(emulator.contacts) == [1]
    emulator.fail_next(1, "reset", processed=True)
    with pytest.raises(httpx.RemoteProtocolError):
        await bexio.post("/2.0/contact", json=CONTACT)
    assert len(emulator.contacts) == 2


async def test_behind_uvicorn_reset_drops_and_timeout_hangs_the_connection() -> None:
    # given the emulator on a real socket
    emulator = BexioEmulator(timeout_seconds=30)
    async with serving(emulator.app) as port:
        headers = {"Authorization": f"Bearer {emulator.access_token()}"}
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=headers) as http:
            # when
            emulator.fail_next(1, "reset")
            with pytest.raises(httpx.RemoteProtocolError):
                await http.get("/2.0/contact")
            emulator.fail_next(1, "timeout")
            with pytest.raises(httpx.ReadTimeout):
                await http.get("/2.0/contact", timeout=0.2)
            # then the server noticed the client leaving and serves the next call
            for _ in range(100):
                if not emulator.held_answers:
                    break
                await asyncio.sleep(0.01)
            assert emulator.held_answers == 0
            assert (await http.get("/2.0/contact")).status_code == 200
