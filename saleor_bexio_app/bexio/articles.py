"""BexioArticles: bexio's articles through `sync.ports.ArticlePort`, on top of `BexioClient`.

Maps `ArticleDraft`s to the article wire models and bexio's answers to `sync.products.Article`;
every failure is an `errors.py` kind. bexio takes `stock_nr` only until the article's first
stock booking (API.md "Corrections" 9): a refusal naming `stock_nr`, or an answer that silently
kept another `stock_nr` than the one sent, is a `StockRefusedError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, TypeVar

from pydantic import BaseModel, ValidationError

from saleor_bexio_app.bexio.client import MAX_PAGE_SIZE, BexioClient
from saleor_bexio_app.bexio.wire import BexioArticle, BexioArticleIn, BexioArticleUpdate
from saleor_bexio_app.errors import NotFoundError, RejectedError, StockRefusedError
from saleor_bexio_app.ids import BexioArticleId
from saleor_bexio_app.sync.products import Article, ArticleDraft

_M = TypeVar("_M", bound=BaseModel)

# One `=` search per code costs a call in bexio's 250/min search bucket; a full listing costs a
# call per 2,000 articles in the 400/min article bucket. Above this many codes listing is cheaper
# for catalogues up to 100,000 articles. bexio's `in` criterion is not used: its value format is
# undocumented, and a search bexio does not understand answers [] (API.md "Corrections" 4),
# which would make existing articles look missing and get them created twice.
MAX_CODE_SEARCHES: Final = 50
# A search value holds at most 255 characters (fields.json, v2 search `value`).
_MAX_SEARCH_VALUE: Final = 255
# `article_type_id` is read-only on edit (fields.json, ItemUpdate).
_CREATE_ONLY: Final = frozenset({"article_type_id"})

STOCK_REFUSED = (
    "bexio did not accept the article's stock: bexio lets apps set an article's stock only "
    "until its first stock booking, and this article already has bookings."
)


class BexioArticles:
    """The articles of one connected bexio company; satisfies `sync.ports.ArticlePort`."""

    def __init__(self, client: BexioClient, *, page_size: int = MAX_PAGE_SIZE) -> None:
        self._client = client
        self._page_size = page_size

    def __repr__(self) -> str:
        return f"BexioArticles({self._client!r})"

    async def all_articles(self) -> list[Article]:
        """Every article, read page by page in id order.

        bexio pages by offset only: an article created meanwhile comes last (ids grow), but one
        deleted meanwhile shifts the rest, so the listing may miss an article; the next
        listing sees it.
        """
        pages = self._client.iterate_articles(page_size=self._page_size)
        return [to_article(article) async for article in pages]

    async def articles_by_code(self, codes: Sequence[str]) -> list[Article]:
        """The articles whose `intern_code` is one of `codes`, compared exactly after trimming
        (as the matching compares), in any order; duplicates in bexio are all returned.

        Up to `MAX_CODE_SEARCHES` codes: one `=` search per code (bexio's `=` ignores case, so
        the answers are filtered again). More codes: one full listing, filtered.
        """
        wanted = dict.fromkeys(code.strip() for code in codes if code.strip())
        if not wanted:
            return []
        if len(wanted) > MAX_CODE_SEARCHES or any(len(c) > _MAX_SEARCH_VALUE for c in wanted):
            return [a for a in await self.all_articles() if a.intern_code.strip() in wanted]
        found: dict[BexioArticleId, Article] = {}
        for code in wanted:
            for article in await self._client.search_articles_by_intern_code(code):
                if article.intern_code.strip() == code:
                    found.setdefault(article.id, to_article(article))
        return list(found.values())

    async def get_article(self, article_id: BexioArticleId) -> Article | None:
        """One article, or None when it was deleted."""
        try:
            return to_article(await self._client.get_article(article_id))
        except NotFoundError:
            return None

    async def create_article(self, draft: ArticleDraft) -> Article:
        """Create an article from the draft's set fields; the article as bexio stored it.

        bexio needs `intern_code` and `intern_name`; a draft without them is a RejectedError.
        """
        body = _build(BexioArticleIn, draft.as_fields())
        return to_article(await self._client.create_article(body))

    async def update_article(self, article_id: BexioArticleId, draft: ArticleDraft) -> Article:
        """Change the draft's set fields only; the article as bexio stored it.

        Raises `StockRefusedError` when bexio refuses `stock_nr` or answers with another one
        than was sent (the other fields were then saved), NotFoundError when the article is
        gone, RejectedError for other refusals. A draft with no field set only reads it.
        """
        fields = {k: v for k, v in draft.as_fields().items() if k not in _CREATE_ONLY}
        if not fields:
            return to_article(await self._client.get_article(article_id))
        body = _build(BexioArticleUpdate, fields)
        try:
            stored = await self._client.update_article(article_id, body)
        except StockRefusedError as refused:
            raise StockRefusedError(STOCK_REFUSED, detail=refused.detail) from refused
        if draft.stock_nr is not None and stored.stock_nr != draft.stock_nr:
            raise StockRefusedError(
                STOCK_REFUSED,
                detail=(
                    f"POST /2.0/article/{int(article_id)} answered 200 with another stock_nr "
                    "than was sent (bexio kept its own)"
                ),
            )
        return to_article(stored)


def to_article(article: BexioArticle) -> Article:
    """bexio's article as the product sync sees it."""
    return Article(
        id=article.id,
        intern_code=article.intern_code,
        intern_name=article.intern_name,
        intern_description=article.intern_description,
        weight=article.weight,
        sale_price=article.sale_price,
        stock_nr=article.stock_nr or 0,
        is_stock=article.is_stock,
    )


def _build(model: type[_M], fields: dict[str, str | int | bool]) -> _M:
    """A request model from draft fields; a draft bexio can't take is a RejectedError."""
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        # Locations and error types only: the values may be shop data.
        problems = sorted(
            {
                ".".join(str(part) for part in error["loc"]) + ":" + error["type"]
                for error in exc.errors(include_input=False, include_url=False)
            }
        )
        raise RejectedError(
            "The product cannot be sent to bexio as it is.",
            detail=f"{model.__name__}: {', '.join(problems[:10])}",
        ) from exc
