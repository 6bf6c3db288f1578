"""The emulator's random faults (`fail_randomly`) as a client sees them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

import httpx
import pytest

from saleor_bexio_app.sandbox.bexio import BexioConnectionReset, BexioEmulator, Fault

BASE = "http://bexio.test"
CONTACT = {"contact_type_id": 2, "name_1": "Keller", "user_id": 1, "owner_id": 1}


def _client(emulator: BexioEmulator) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emulator.app),
        base_url=BASE,
        headers={"Authorization": f"Bearer {emulator.access_token()}"},
    )


async def test_a_share_of_calls_fails_with_the_kinds_asked_for() -> None:
    emulator = BexioEmulator()
    emulator.fail_randomly(0.3, {500: 1, 503: 1}, seed=7)
    async with _client(emulator) as client:
        statuses = Counter([(await client.get("/3.0/taxes")).status_code for _ in range(400)])
    assert set(statuses) == {200, 500, 503}
    assert 80 <= statuses[500] + statuses[503] <= 160
    assert sum(emulator.injected.values()) == statuses[500] + statuses[503]


async def test_the_same_seed_fails_the_same_calls() -> None:
    runs = []
    for _ in range(2):
        emulator = BexioEmulator()
        emulator.fail_randomly(0.5, {500: 1, 429: 1}, seed=3)
        async with _client(emulator) as client:
            runs.append([(await client.get("/3.0/taxes")).status_code for _ in range(50)])
    assert runs[0] == runs[1]


async def test_a_random_rate_limit_asks_for_the_configured_wait_and_does_nothing() -> None:
    emulator = BexioEmulator()
    before = len(emulator.contacts)
    emulator.fail_randomly(1.0, {429: 1}, processed_share=1.0, retry_after_seconds=2, seed=1)
    async with _client(emulator) as client:
        answer = await client.post("/2.0/contact", json=CONTACT)
    assert answer.status_code == 429
    assert answer.headers["Retry-After"] == "2"
    assert len(emulator.contacts) == before
    assert emulator.carried_out == []


async def test_a_processed_fault_carries_out_the_call_and_loses_the_answer() -> None:
    emulator = BexioEmulator()
    before = len(emulator.contacts)
    emulator.fail_randomly(1.0, {"reset": 1}, processed_share=1.0, seed=1)
    async with _client(emulator) as client:
        with pytest.raises(BexioConnectionReset):
            await client.post("/2.0/contact", json=CONTACT)
    assert len(emulator.contacts) == before + 1
    assert [(method, path) for method, path, _ in emulator.carried_out] == [
        ("POST", "/2.0/contact")
    ]


async def test_an_unprocessed_fault_changes_nothing() -> None:
    emulator = BexioEmulator()
    before = len(emulator.contacts)
    emulator.fail_randomly(1.0, {500: 1}, processed_share=0.0, seed=1)
    async with _client(emulator) as client:
        assert (await client.post("/2.0/contact", json=CONTACT)).status_code == 500
    assert len(emulator.contacts) == before
    assert emulator.carried_out == []


async def test_scripted_faults_come_before_random_ones_and_rate_zero_stops_them() -> None:
    emulator = BexioEmulator()
    emulator.fail_randomly(1.0, {500: 1}, processed_share=0.0, seed=1)
    emulator.fail_next(1, 502)
    async with _client(emulator) as client:
        assert (await client.get("/3.0/taxes")).status_code == 502
        assert (await client.get("/3.0/taxes")).status_code == 500
        emulator.fail_randomly(0, {})
        assert (await client.get("/3.0/taxes")).status_code == 200
    assert emulator.injected == Counter({"502": 1, "500": 1})


@pytest.mark.parametrize(
    ("rate", "kinds", "share"),
    [(1.5, {500: 1}, 0.5), (0.2, {}, 0.5), (0.2, {500: -1}, 0.5), (0.2, {500: 1}, 2.0)],
)
def test_nonsense_settings_are_refused(
    rate: float, kinds: Mapping[Fault, float], share: float
) -> None:
    with pytest.raises(ValueError):
        BexioEmulator().fail_randomly(rate, kinds, processed_share=share)
