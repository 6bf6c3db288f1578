"""An httpx transport that routes requests by host to in-process ASGI apps (fake network)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from starlette.types import ASGIApp


class FakeNetwork(httpx.AsyncBaseTransport):
    """Hosts are ASGI apps; unknown hosts and scripted failures raise httpx.ConnectError."""

    def __init__(self) -> None:
        self._hosts: dict[str, httpx.ASGITransport] = {}
        self.failing: Callable[[httpx.Request], bool] = lambda request: False
        self.requests: list[httpx.Request] = []

    def add_host(self, netloc: str, app: ASGIApp) -> None:
        self._hosts[netloc] = httpx.ASGITransport(app=app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        transport = self._hosts.get(request.url.netloc.decode("ascii"))
        if transport is None or self.failing(request):
            raise httpx.ConnectError(f"cannot reach {request.url.host}", request=request)
        return await transport.handle_async_request(request)
