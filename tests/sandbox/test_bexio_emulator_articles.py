"""Articles in the bexio emulator: seeding, stock bookings, paging, search and rate limits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from saleor_bexio_app.sandbox.bexio import BexioEmulator
from saleor_bexio_app.sandbox.bexio_forms import ApiError

TAKEN = "intern_code: Dieser Wert wird bereits verwendet."
INVALID = "Diese Eingabe ist nicht korrekt."


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_781_787_315.0  # 15 s into a minute

    def __call__(self) -> float:
        return self.now


def client_for(emulator: BexioEmulator) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emulator.app),
        base_url="http://bexio.test",
        headers={"Authorization": f"Bearer {emulator.access_token()}"},
    )


@pytest.fixture
def emulator() -> BexioEmulator:
    return BexioEmulator(clock=FakeClock())


@pytest.fixture
async def bexio(emulator: BexioEmulator) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(emulator) as client:
        yield client


def rows(count: int, **fields: Any) -> list[dict[str, Any]]:
    return [
        {"intern_code": f"SKU-{n:05d}", "intern_name": f"Article {n}", **fields}
        for n in range(1, count + 1)
    ]


# --- seeding -------------------------------------------------------------------------------------


async def test_seeded_articles_look_like_created_ones(
    emulator: BexioEmulator, bexio: httpx.AsyncClient
) -> None:
    body = {"intern_code": "MUG", "intern_name": "Mug", "sale_price": "12.5", "stock_nr": 3}
    created = (await bexio.post("/2.0/article", json=body)).json()

    [seeded] = emulator.add_articles([{**body, "intern_code": "MUG-2"}])

    shown = (await bexio.get(f"/2.0/article/{seeded['id']}")).json()
    first = (await bexio.get(f"/2.0/article/{created['id']}")).json()
    assert shown == {**first, "id": seeded["id"], "intern_code": "MUG-2"}
    assert seeded["id"] == created["id"] + 1


async def test_two_thousand_seeded_articles_come_back_on_one_page(
    emulator: BexioEmulator, bexio: httpx.AsyncClient
) -> None:
    seeded = emulator.add_articles(rows(2000, is_stock=True, stock_nr=4))

    page = await bexio.get("/2.0/article", params={"limit": 2000, "offset": 0})
    rest = await bexio.get("/2.0/article", params={"limit": 2000, "offset": 2000})

    assert [a["id"] for a in page.json()] == [r["id"] for r in seeded]
    assert {a["stock_nr"] for a in page.json()} == {4}
    assert rest.json() == []
    too_big = await bexio.get("/2.0/article", params={"limit": 2001})
    assert too_big.status_code == 422


def test_seeding_refuses_taken_codes_unless_told_otherwise(emulator: BexioEmulator) -> None:
    emulator.add_article(intern_code="DUP", intern_name="First")

    with pytest.raises(ApiError) as raised:
        emulator.add_articles([{"intern_code": "NEW", "intern_name": "x"}, *rows(1), *rows(1)])
    shared = emulator.add_articles(
        [{"intern_code": "DUP", "intern_name": "Second"}], unique_codes=False
    )

    assert raised.value.body["errors"] == [TAKEN]
    assert [a["intern_code"] for a in emulator.articles.values()] == [
        "DUP",
        "NEW",
        "SKU-00001",
        "DUP",
    ]
    assert shared[0]["intern_name"] == "Second"


def test_seeding_validates_like_the_api(emulator: BexioEmulator) -> None:
    with pytest.raises(ApiError) as raised:
        emulator.add_articles([{"intern_code": "X", "weight": "heavy"}])

    assert raised.value.body["errors"] == ["intern_name: Pflichtfeld", "weight: " + INVALID]
    assert emulator.articles == {}


# --- stock bookings ------------------------------------------------------------------------------


async def test_after_a_booking_only_the_current_stock_is_accepted(
    emulator: BexioEmulator, bexio: httpx.AsyncClient
) -> None:
    [article] = emulator.add_articles(rows(1, stock_nr=5))
    path = f"/2.0/article/{article['id']}"
    assert (await bexio.post(path, json={"stock_nr": 6})).status_code == 200

    booked = emulator.book_stock(article["id"], 2)

    assert (booked["is_stock"], booked["stock_nr"], booked["stock_available_nr"]) == (True, 2, 2)
    refused = await bexio.post(path, json={"stock_nr": 6, "intern_name": "Renamed"})
    assert refused.status_code == 422
    assert refused.json()["errors"] == ["stock_nr: " + INVALID]
    assert emulator.articles[article["id"]]["intern_name"] == "Article 1"
    same = await bexio.post(path, json={"stock_nr": 2, "intern_name": "Renamed"})
    assert (same.status_code, same.json()["stock_nr"], same.json()["intern_name"]) == (
        200,
        "2",
        "Renamed",
    )


def test_booking_without_a_quantity_keeps_the_stock(emulator: BexioEmulator) -> None:
    [article] = emulator.add_articles(rows(1, stock_nr=7))

    emulator.book_stock(article["id"])

    assert emulator.articles[article["id"]]["stock_nr"] == 7
    assert article["id"] in emulator.company.booked_articles
    with pytest.raises(ApiError):
        emulator.book_stock(article["id"] + 1)


# --- search --------------------------------------------------------------------------------------


async def test_intern_code_search_with_equal_ignores_case_like_bexio(
    emulator: BexioEmulator, bexio: httpx.AsyncClient
) -> None:
    emulator.add_articles([*rows(3), {"intern_code": "sku-00002", "intern_name": "lower"}])

    def body(value: str, criteria: str) -> list[dict[str, str]]:
        return [{"field": "intern_code", "value": value, "criteria": criteria}]

    equal = await bexio.post("/2.0/article/search", json=body("SKU-00002", "="))
    like = await bexio.post("/2.0/article/search", json=body("SKU-0000%", "like"))
    unknown = await bexio.post(
        "/2.0/article/search", json=[{"field": "sale_price", "value": "1", "criteria": "="}]
    )

    assert sorted(a["intern_code"] for a in equal.json()) == ["SKU-00002", "sku-00002"]
    assert len(like.json()) == 4
    assert unknown.json() == []
    assert equal.headers["ratelimit-limit"] == "250"


# --- rate limits ---------------------------------------------------------------------------------


async def test_article_calls_are_refused_with_429_once_the_budget_is_spent() -> None:
    emulator = BexioEmulator(clock=FakeClock(), rate_limit_per_minute=3)
    [article] = emulator.add_articles(rows(1))
    async with client_for(emulator) as bexio:
        answers = [
            await bexio.get("/2.0/article"),
            await bexio.post(f"/2.0/article/{article['id']}", json={"intern_name": "x"}),
            await bexio.post("/2.0/article/search", json=[]),
            await bexio.get(f"/2.0/article/{article['id']}"),
            await bexio.post("/2.0/article", json={"intern_code": "B", "intern_name": "B"}),
        ]

    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
    refused = answers[3]
    assert refused.headers["retry-after"] == refused.headers["ratelimit-reset"] == "45"
    assert refused.headers["ratelimit-remaining"] == "0"
    assert len(emulator.articles) == 1
