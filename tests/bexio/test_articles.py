"""BexioArticles (the product sync's ArticlePort) with the real BexioClient.

Against the BexioEmulator over httpx.ASGITransport, and against recorded bexio answers replayed
on an httpx.MockTransport.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
import pytest

from saleor_bexio_app.bexio.articles import MAX_CODE_SEARCHES, BexioArticles
from saleor_bexio_app.bexio.client import MAX_PAGE_SIZE, BexioClient
from saleor_bexio_app.bexio.limiter import RateLimiter
from saleor_bexio_app.errors import (
    NotFoundError,
    RejectedError,
    StockRefusedError,
    TransientError,
)
from saleor_bexio_app.ids import BexioArticleId
from saleor_bexio_app.sandbox.bexio import BexioEmulator
from saleor_bexio_app.sync.products import Article, ArticleDraft
from tests.bexio.test_adapter import API, EmulatorTokens, FakeClock
from tests.bexio.test_client import FakeTokens, recorded_response

UN81, REVENUE_3200 = 14, 101


@dataclass
class Exchange:
    request: httpx.Request
    answer: Any


@dataclass
class Recording(httpx.AsyncBaseTransport):
    """Passes calls to the emulator and keeps each request with its decoded answer."""

    inner: httpx.AsyncBaseTransport
    exchanges: list[Exchange] = field(default_factory=list)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        content = await response.aread()
        self.exchanges.append(Exchange(request, json.loads(content) if content else None))
        return httpx.Response(response.status_code, headers=response.headers, content=content)

    def calls(self, method: str, path: str) -> list[Exchange]:
        return [
            e for e in self.exchanges if e.request.method == method and e.request.url.path == path
        ]


@pytest.fixture
def emulator() -> BexioEmulator:
    return BexioEmulator(clock=FakeClock())


@pytest.fixture
def wire(emulator: BexioEmulator) -> Recording:
    return Recording(httpx.ASGITransport(app=emulator.app))


@pytest.fixture
async def articles(emulator: BexioEmulator, wire: Recording) -> AsyncIterator[BexioArticles]:
    async with httpx.AsyncClient(transport=wire) as http:
        yield BexioArticles(BexioClient(http, api_url=API, tokens=EmulatorTokens(emulator)))


def seed(emulator: BexioEmulator, count: int, **fields: Any) -> list[dict[str, Any]]:
    rows = [
        {"intern_code": f"SKU-{n:05d}", "intern_name": f"Article {n}", **fields}
        for n in range(1, count + 1)
    ]
    return emulator.add_articles(rows)


def body_of(exchange: Exchange) -> Any:
    return json.loads(exchange.request.content)


# --- create, get ---------------------------------------------------------------------------------


async def test_create_sends_the_drafts_fields_and_returns_the_article_as_stored(
    articles: BexioArticles, emulator: BexioEmulator, wire: Recording
) -> None:
    draft = ArticleDraft(
        intern_code="MUG-1",
        intern_name="Mug",
        intern_description="Stoneware.",
        weight=350,
        sale_price=Decimal("12.50"),
        stock_nr=7,
        is_stock=True,
        article_type_id=1,
    )

    created = await articles.create_article(draft)

    [call] = wire.calls("POST", "/2.0/article")
    assert body_of(call) == {
        "intern_code": "MUG-1",
        "intern_name": "Mug",
        "intern_description": "Stoneware.",
        "weight": 350,
        "sale_price": "12.50",
        "stock_nr": 7,
        "is_stock": True,
        "article_type_id": 1,
    }
    # bexio's create answer carries the stock counters as strings (API.md "Corrections" 9).
    assert (call.answer["stock_nr"], call.answer["sale_price"]) == ("7", "12.5")
    assert created == Article(
        id=created.id,
        intern_code="MUG-1",
        intern_name="Mug",
        intern_description="Stoneware.",
        weight=350,
        sale_price=Decimal("12.5"),
        stock_nr=7,
        is_stock=True,
    )
    stored = emulator.articles[created.id]
    assert (stored["sale_price"], stored["stock_nr"], stored["weight"]) == ("12.500000", 7, 350)


async def test_get_reads_integer_counters_and_padded_prices(
    articles: BexioArticles, emulator: BexioEmulator, wire: Recording
) -> None:
    [row] = emulator.add_articles(
        [{"intern_code": "TEA", "intern_name": "Tea", "sale_price": "4.9", "stock_nr": 12}]
    )

    article = await articles.get_article(BexioArticleId(row["id"]))

    [call] = wire.calls("GET", f"/2.0/article/{row['id']}")
    assert (call.answer["stock_nr"], call.answer["sale_price"]) == (12, "4.900000")
    assert article is not None
    assert (article.stock_nr, article.sale_price, article.intern_code) == (
        12,
        Decimal("4.9"),
        "TEA",
    )


async def test_get_of_a_deleted_article_is_none(
    articles: BexioArticles, emulator: BexioEmulator
) -> None:
    [row] = seed(emulator, 1)
    del emulator.articles[row["id"]]

    assert await articles.get_article(BexioArticleId(row["id"])) is None


async def test_a_draft_without_number_or_name_is_rejected_before_any_call(
    articles: BexioArticles, wire: Recording
) -> None:
    with pytest.raises(RejectedError) as raised:
        await articles.create_article(ArticleDraft(intern_name="Secret name", weight=5))

    assert "intern_code" in raised.value.detail
    assert "Secret" not in raised.value.detail
    assert wire.exchanges == []


# --- edit ----------------------------------------------------------------------------------------


async def test_update_sends_only_the_drafts_fields_and_leaves_the_others(
    articles: BexioArticles, emulator: BexioEmulator, wire: Recording
) -> None:
    [row] = emulator.add_articles(
        [
            {
                "intern_code": "MUG-1",
                "intern_name": "Mug",
                "intern_description": "Stoneware.",
                "weight": 350,
                "sale_price": "12.50",
                "is_stock": True,
                "stock_nr": 7,
                "remarks": "kept",
            }
        ]
    )
    before = dict(row)

    updated = await articles.update_article(
        BexioArticleId(row["id"]), ArticleDraft(intern_name="Big mug", article_type_id=2)
    )

    [call] = wire.calls("POST", f"/2.0/article/{row['id']}")
    # article_type_id is read-only on edit (fields.json), so it is not sent.
    assert body_of(call) == {"intern_name": "Big mug"}
    after = emulator.articles[row["id"]]
    assert after == {**before, "intern_name": "Big mug"}
    assert updated == Article(
        id=BexioArticleId(row["id"]),
        intern_code="MUG-1",
        intern_name="Big mug",
        intern_description="Stoneware.",
        weight=350,
        sale_price=Decimal("12.5"),
        stock_nr=7,
        is_stock=True,
    )


async def test_update_parses_the_edit_answers_string_counters(
    articles: BexioArticles, emulator: BexioEmulator, wire: Recording
) -> None:
    [row] = seed(emulator, 1)

    updated = await articles.update_article(
        BexioArticleId(row["id"]), ArticleDraft(stock_nr=9, is_stock=True)
    )

    [call] = wire.calls("POST", f"/2.0/article/{row['id']}")
    assert call.answer["stock_nr"] == "9"
    assert (updated.stock_nr, updated.is_stock) == (9, True)


async def test_update_with_nothing_to_change_only_reads(
    articles: BexioArticles, emulator: BexioEmulator, wire: Recording
) -> None:
    [row] = seed(emulator, 1)

    article = await articles.update_article(BexioArticleId(row["id"]), ArticleDraft())

    assert article.intern_name == "Article 1"
    assert [(e.request.method, e.request.url.path) for e in wire.exchanges] == [
        ("GET", f"/2.0/article/{row['id']}")
    ]


async def test_update_of_a_deleted_article_is_not_found(
    articles: BexioArticles, emulator: BexioEmulator
) -> None:
    [row] = seed(emulator, 1)
    del emulator.articles[row["id"]]

    with pytest.raises(NotFoundError):
        await articles.update_article(BexioArticleId(row["id"]), ArticleDraft(intern_name="X"))
    with pytest.raises(NotFoundError):
        await articles.update_article(BexioArticleId(row["id"]), ArticleDraft())


async def test_a_refusal_of_other_fields_is_a_plain_rejection(
    articles: BexioArticles, emulator: BexioEmulator
) -> None:
    first, second = seed(emulator, 2)

    with pytest.raises(RejectedError) as raised:
        await articles.update_article(
            BexioArticleId(second["id"]),
            ArticleDraft(intern_code=first["intern_code"], stock_nr=3),
        )

    assert not isinstance(raised.value, StockRefusedError)
    assert "SKU (bexio article number) is already used" in raised.value.user_message
    assert "SKU-" not in raised.value.detail


async def test_client_deletes_an_article_once(emulator: BexioEmulator, wire: Recording) -> None:
    [row] = seed(emulator, 1)
    async with httpx.AsyncClient(transport=wire) as http:
        client = BexioClient(http, api_url=API, tokens=EmulatorTokens(emulator))
        await client.delete_article(BexioArticleId(row["id"]))

        assert emulator.articles == {}
        with pytest.raises(NotFoundError):
            await client.delete_article(BexioArticleId(row["id"]))


# --- stock refusals ------------------------------------------------------------------------------


async def test_stock_of_a_booked_article_is_refused_with_a_readable_message(
    articles: BexioArticles, emulator: BexioEmulator
) -> None:
    [row] = seed(emulator, 1, is_stock=True, stock_nr=5)
    emulator.book_stock(row["id"], 4)

    with pytest.raises(StockRefusedError) as raised:
        await articles.update_article(
            BexioArticleId(row["id"]), ArticleDraft(intern_name="Renamed", stock_nr=17)
        )

    error = raised.value
    assert "first stock booking" in error.user_message
    assert "stock_nr" in error.detail
    assert "17" not in error.detail and "Renamed" not in error.detail
    # bexio refuses the whole edit; the flow sends the other fields again without the stock.
    assert (
        emulator.articles[row["id"]]["intern_name"],
        emulator.articles[row["id"]]["stock_nr"],
    ) == (
        "Article 1",
        4,
    )
    renamed = await articles.update_article(
        BexioArticleId(row["id"]), ArticleDraft(intern_name="Renamed")
    )
    assert (renamed.intern_name, renamed.stock_nr) == ("Renamed", 4)


async def test_a_delivery_books_the_article_so_its_stock_is_refused_after(
    articles: BexioArticles, emulator: BexioEmulator
) -> None:
    created = await articles.create_article(
        ArticleDraft(intern_code="MUG-1", intern_name="Mug", stock_nr=10, is_stock=True)
    )
    order = emulator.documents.create_document(
        "order",
        {
            "contact_id": 1,
            "user_id": 1,
            "mwst_type": 0,
            "mwst_is_net": True,
            "positions": [
                {
                    "type": "KbPositionArticle",
                    "article_id": created.id,
                    "amount": "2",
                    "unit_price": "12.50",
                    "tax_id": UN81,
                    "account_id": REVENUE_3200,
                }
            ],
        },
    )
    # An order only reserves: the stock can still be set.
    assert (await articles.update_article(created.id, ArticleDraft(stock_nr=12))).stock_nr == 12
    delivery = emulator.documents.order_to_delivery(order["id"], None)
    emulator.documents.issue_delivery(delivery["id"])

    with pytest.raises(StockRefusedError):
        await articles.update_article(created.id, ArticleDraft(stock_nr=30))
    # The current stock (12 - 2 delivered) is no change, so bexio takes it.
    assert (await articles.update_article(created.id, ArticleDraft(stock_nr=10))).stock_nr == 10


async def test_stock_that_bexio_silently_kept_is_a_stock_refusal(
    make_recorded: Callable[[dict[tuple[str, str], str]], BexioArticles],
) -> None:
    # The recorded edit answer keeps stock_nr "0", whatever was sent.
    articles = make_recorded({("POST", "/2.0/article/12"): "POST_2.0_article_ID.json"})

    with pytest.raises(StockRefusedError) as raised:
        await articles.update_article(BexioArticleId(12), ArticleDraft(stock_nr=5))

    assert "5" not in raised.value.detail
    assert "stock_nr" in raised.value.detail


# --- listing and search --------------------------------------------------------------------------


async def test_all_articles_pages_through_2500_articles_returning_each_once(
    articles: BexioArticles, emulator: BexioEmulator, wire: Recording
) -> None:
    seed(emulator, 2500)

    found = await articles.all_articles()

    assert len(found) == 2500
    assert {a.id for a in found} == set(emulator.articles)
    assert {a.intern_code for a in found} == {f"SKU-{n:05d}" for n in range(1, 2501)}
    pages = [dict(e.request.url.params) for e in wire.calls("GET", "/2.0/article")]
    assert pages == [
        {"order_by": "id", "limit": str(MAX_PAGE_SIZE), "offset": "0"},
        {"order_by": "id", "limit": str(MAX_PAGE_SIZE), "offset": str(MAX_PAGE_SIZE)},
    ]


async def test_all_articles_reads_a_last_full_page_and_an_empty_one(
    emulator: BexioEmulator, wire: Recording
) -> None:
    seed(emulator, 6)
    async with httpx.AsyncClient(transport=wire) as http:
        client = BexioClient(http, api_url=API, tokens=EmulatorTokens(emulator))
        found = await BexioArticles(client, page_size=3).all_articles()

    assert [a.intern_code for a in found] == [f"SKU-{n:05d}" for n in range(1, 7)]
    offsets = [e.request.url.params["offset"] for e in wire.calls("GET", "/2.0/article")]
    assert offsets == ["0", "3", "6"]


async def test_codes_are_searched_one_exact_search_each(
    articles: BexioArticles, emulator: BexioEmulator, wire: Recording
) -> None:
    seed(emulator, 2500)
    emulator.add_articles([{"intern_code": "sku-00007", "intern_name": "lower case"}])

    found = await articles.articles_by_code(
        ["SKU-00007", " SKU-02500 ", "SKU-00007", "", "  ", "NOPE"]
    )

    assert sorted(a.intern_code for a in found) == ["SKU-00007", "SKU-02500"]
    searches = wire.calls("POST", "/2.0/article/search")
    assert [body_of(e) for e in searches] == [
        [{"field": "intern_code", "value": code, "criteria": "="}]
        for code in ("SKU-00007", "SKU-02500", "NOPE")
    ]
    # bexio's `=` ignores case; the lower-case article came back and was left out.
    assert len(searches[0].answer) == 2
    assert wire.calls("GET", "/2.0/article") == []


async def test_many_codes_are_found_with_one_listing_instead_of_searches(
    articles: BexioArticles, emulator: BexioEmulator, wire: Recording
) -> None:
    seed(emulator, 2500)
    codes = [f"SKU-{n:05d}" for n in range(1, 2 * MAX_CODE_SEARCHES, 2)] + ["NOPE"]

    found = await articles.articles_by_code(codes)

    assert len(codes) > MAX_CODE_SEARCHES
    assert sorted(a.intern_code for a in found) == sorted(codes[:-1])
    assert wire.calls("POST", "/2.0/article/search") == []
    assert len(wire.calls("GET", "/2.0/article")) == 2


async def test_every_article_sharing_a_code_is_returned(
    articles: BexioArticles, emulator: BexioEmulator
) -> None:
    rows = emulator.add_articles(
        [
            {"intern_code": "DUP", "intern_name": "One"},
            {"intern_code": "DUP", "intern_name": "Two"},
            {"intern_code": "OTHER", "intern_name": "Three"},
        ],
        unique_codes=False,
    )

    few = await articles.articles_by_code(["DUP"])
    many = await articles.articles_by_code(["DUP", *(f"X{n}" for n in range(MAX_CODE_SEARCHES))])

    duplicates = {rows[0]["id"], rows[1]["id"]}
    assert {a.id for a in few} == {a.id for a in many} == duplicates


async def test_a_code_too_long_for_a_search_is_looked_for_in_the_listing(
    articles: BexioArticles, emulator: BexioEmulator, wire: Recording
) -> None:
    seed(emulator, 3)
    long_code = "L" * 300

    found = await articles.articles_by_code(["SKU-00002", long_code])

    assert [a.intern_code for a in found] == ["SKU-00002"]
    assert wire.calls("POST", "/2.0/article/search") == []
    assert len(wire.calls("GET", "/2.0/article")) == 1


async def test_no_codes_make_no_calls(articles: BexioArticles, wire: Recording) -> None:
    assert await articles.articles_by_code(["", " "]) == []
    assert wire.exchanges == []


# --- rate limits ---------------------------------------------------------------------------------


def test_article_calls_count_in_the_article_group_and_searches_in_the_search_group() -> None:
    limiter = RateLimiter()

    groups = {
        (method, path): limiter.group_for(method, path)
        for method, path in [
            ("GET", "/2.0/article"),
            ("POST", "/2.0/article"),
            ("GET", "/2.0/article/12"),
            ("POST", "/2.0/article/12"),
            ("DELETE", "/2.0/article/12"),
            ("POST", "/2.0/article/search"),
        ]
    }

    assert groups == {
        ("GET", "/2.0/article"): "article",
        ("POST", "/2.0/article"): "article",
        ("GET", "/2.0/article/12"): "article",
        ("POST", "/2.0/article/12"): "article",
        ("DELETE", "/2.0/article/12"): "article",
        ("POST", "/2.0/article/search"): "search_pdf",
    }
    assert (limiter.limit("c", "article"), limiter.limit("c", "search_pdf")) == (400, 250)


async def test_a_rate_limited_article_call_is_transient_with_bexios_wait() -> None:
    clock = FakeClock()
    emulator = BexioEmulator(clock=clock, rate_limit_per_minute=2)
    seed(emulator, 1)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator.app)) as http:
        client = BexioClient(
            http, api_url=API, tokens=EmulatorTokens(emulator), max_rate_limit_retries=0
        )
        articles = BexioArticles(client)
        assert len(await articles.all_articles()) == 1
        assert await articles.articles_by_code(["SKU-00001"]) != []

        with pytest.raises(TransientError) as raised:
            await articles.get_article(BexioArticleId(1))

    # FakeClock starts on a full minute: bexio's window resets in 60 s.
    assert raised.value.retry_after == 60


# --- recorded bexio answers ----------------------------------------------------------------------


@pytest.fixture
async def make_recorded() -> AsyncIterator[Callable[[dict[tuple[str, str], str]], BexioArticles]]:
    """BexioArticles on a MockTransport answering each (method, path) with a recorded answer."""
    opened: list[httpx.AsyncClient] = []

    def build(answers: dict[tuple[str, str], str]) -> BexioArticles:
        def handler(request: httpx.Request) -> httpx.Response:
            return recorded_response(answers[(request.method, request.url.path)])

        http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        opened.append(http)
        return BexioArticles(BexioClient(http, api_url=API, tokens=FakeTokens("token-1")))

    yield build
    for http in opened:
        await http.aclose()


def recorded_article(id: int, intern_name: str, intern_code: str) -> Article:
    """The article every recorded answer shows: no price, weight or stock."""
    return Article(
        id=BexioArticleId(id),
        intern_code=intern_code,
        intern_name=intern_name,
        intern_description="",
        weight=None,
        sale_price=None,
        stock_nr=0,
        is_stock=False,
    )


async def test_recorded_answers_map_to_articles(
    make_recorded: Callable[[dict[tuple[str, str], str]], BexioArticles],
) -> None:
    articles = make_recorded(
        {
            ("GET", "/2.0/article"): "GET_2.0_article.json",
            ("GET", "/2.0/article/11"): "GET_2.0_article_ID.json",
            ("POST", "/2.0/article"): "POST_2.0_article.json",
            ("POST", "/2.0/article/12"): "POST_2.0_article_ID.json",
            ("POST", "/2.0/article/search"): "POST_2.0_article_search.json",
        }
    )

    listed = await articles.all_articles()
    fetched = await articles.get_article(BexioArticleId(11))
    created = await articles.create_article(
        ArticleDraft(intern_code="TEST-1781791060", intern_name="Test Item", article_type_id=1)
    )
    edited = await articles.update_article(
        BexioArticleId(12), ArticleDraft(intern_name="Updated Item Name")
    )
    searched = await articles.articles_by_code(["DocuWare"])

    assert listed == [recorded_article(12, "Test Item", "TEST-1781790959")]
    assert fetched == recorded_article(11, "Updated Item Name", "TEST-1781790190")
    # The create and edit answers carry "0" strings where GET has integers.
    assert created == recorded_article(13, "Test Item", "TEST-1781791060")
    assert edited == recorded_article(12, "Updated Item Name", "TEST-1781790959")
    assert searched == []
