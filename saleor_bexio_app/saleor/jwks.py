"""Saleor's JWKS: fetched from the shop's own origin only, refetched at most once per interval."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from saleor_bexio_app.errors import TransientError
from saleor_bexio_app.ids import SaleorApiUrl

Jwks = Mapping[str, Any]
JwksFetcher = Callable[[SaleorApiUrl], Awaitable[Jwks]]


def jwks_url(api_url: SaleorApiUrl) -> str:
    """`<origin of the API URL>/.well-known/jwks.json`, as Saleor serves it."""
    parts = urlsplit(api_url)
    return f"{parts.scheme}://{parts.netloc}/.well-known/jwks.json"


def make_jwks_fetcher(
    transport: httpx.AsyncBaseTransport | None = None, timeout: float = 10.0
) -> JwksFetcher:
    """A fetcher over httpx; raises TransientError when the JWKS cannot be read."""

    async def fetch(api_url: SaleorApiUrl) -> Jwks:
        try:
            async with httpx.AsyncClient(transport=transport, timeout=timeout) as client:
                response = await client.get(jwks_url(api_url))
                response.raise_for_status()
                data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise TransientError(
                "Saleor's public keys could not be fetched.", detail=type(exc).__name__
            ) from exc
        if not isinstance(data, dict) or not isinstance(data.get("keys"), list) or not data["keys"]:
            raise TransientError("Saleor's public keys are missing.", detail="JWKS without keys")
        jwks: dict[str, Any] = data
        return jwks

    return fetch


class JwksRefresher:
    """Refetches in one process: one at a time per shop, at most once per interval.

    Callers that waited while another caller fetched get that result instead of fetching again,
    so a burst of deliveries signed with a rotated key costs one request to Saleor.
    """

    def __init__(
        self,
        fetch: JwksFetcher,
        *,
        min_interval: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._min_interval = min_interval
        self._monotonic = monotonic
        self._locks: dict[str, asyncio.Lock] = {}
        self._fetched: dict[str, tuple[float, Jwks]] = {}

    async def refresh(self, api_url: SaleorApiUrl, *, since: float) -> Jwks:
        """The shop's newest JWKS: fetched now, or the cached one if fetched after `since` or
        within the interval (one fetch per shop per interval, however many callers wait)."""
        lock = self._locks.setdefault(api_url, asyncio.Lock())
        async with lock:
            last = self._fetched.get(api_url)
            if last is not None and (
                last[0] >= since or self._monotonic() - last[0] < self._min_interval
            ):
                return last[1]
            jwks = await self._fetch(api_url)
            self._fetched[api_url] = (self._monotonic(), jwks)
            return jwks

    def now(self) -> float:
        return self._monotonic()
