"""BexioEmulator: a stateful bexio (API + OAuth) as one Starlette app, for tests and the sandbox.

One app serves both of bexio's hosts: the identity provider under
`/realms/bexio/protocol/openid-connect/...` (so `BEXIO_AUTH_URL = <base>/realms/bexio/protocol/
openid-connect`) and the REST API under `/2.0/...` and `/3.0/...` (`BEXIO_API_URL = <base>`).
Field names, status ids, number formats and error bodies follow the recorded live responses in
shared/bexio/recorded/ and API.md; choices where bexio's behaviour is unverified are commented.

Faults (`fail_next`) as a client sees them:
- 500/503: a JSON error body `{"error_code": N, "message": ...}`; 502: an HTML gateway page;
  429: `{"message": "API rate limit exceeded"}` with `Retry-After` and the RateLimit headers.
- "timeout": the answer is held back for `timeout_seconds` (cancel the request, or call
  `release_timeouts()`); by default bexio has already done the work, like a real timeout after
  the write. A late answer is the real one (processed) or a 504 HTML page (not processed).
- "reset": the connection drops mid-answer. Through `httpx.ASGITransport` the client call raises
  `BexioConnectionReset`, an `httpx.RemoteProtocolError` (so an `httpx.TransportError`); behind
  uvicorn the response head is sent and the connection closed, which httpx reports as
  `RemoteProtocolError` ("peer closed connection without sending complete message body").

`fail_randomly` makes a share of all API calls fail with a random fault instead (a chaos run);
scripted faults still come first. `carried_out` lists the calls bexio performed, whether or not
their answer reached the client, and `injected` counts the faults by kind.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from saleor_bexio_app.sandbox.bexio_api import BexioApi, Endpoint, rate_group
from saleor_bexio_app.sandbox.bexio_company import BexioCompany, Json
from saleor_bexio_app.sandbox.bexio_documents import BexioDocuments
from saleor_bexio_app.sandbox.bexio_forms import ApiError, forbidden
from saleor_bexio_app.sandbox.bexio_oauth import ALL_API_SCOPES, AccessGrant, OAuthServer

Fault = Literal[500, 502, 503, 429, "timeout", "reset"]
# Recorded ratelimit-limit per endpoint group (API.md correction 1).
GROUP_LIMITS = {"default": 1000, "article": 400, "search": 250}
_API_PREFIXES = ("/2.0/", "/3.0/", "/4.0/")
_GATEWAY_PAGE = (
    '<html><head><meta http-equiv="content-type" content="text/html;charset=utf-8">'
    "<title>{status} Server Error</title></head><body><h1>Error: Server Error</h1>"
    "<h2>The server encountered a temporary error and could not complete your request."
    "<p>Please try again in 30 seconds.</h2></body></html>"
)


class BexioConnectionReset(httpx.RemoteProtocolError):
    """The emulator dropped the connection (`fail_next(..., "reset")`)."""


@dataclass(frozen=True, slots=True)
class _Scripted:
    fault: Fault
    processed: bool
    retry_after: int | None = None


@dataclass(frozen=True, slots=True)
class _RandomFaults:
    rate: float
    kinds: tuple[Fault, ...]
    weights: tuple[float, ...]
    processed_share: float
    retry_after: int
    rng: random.Random

    def draw(self) -> _Scripted | None:
        if self.rng.random() >= self.rate:
            return None
        [fault] = self.rng.choices(self.kinds, self.weights)
        # A rate limit rejects the call at the gateway, before bexio does anything.
        processed = fault != 429 and self.rng.random() < self.processed_share
        return _Scripted(fault, processed, self.retry_after if fault == 429 else None)


class _HeldResponse(Response):
    """Answers only after `seconds`, a release, or never when the client went away."""

    def __init__(self, inner: Response, seconds: float, held: set[asyncio.Future[None]]) -> None:
        super().__init__()
        self._inner = inner
        self._seconds = seconds
        self._held = held

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        released: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._held.add(released)

        async def client_gone() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass

        waiters = [
            asyncio.ensure_future(asyncio.sleep(self._seconds)),
            asyncio.ensure_future(client_gone()),
            released,
        ]
        try:
            done, _ = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._held.discard(released)
            for waiter in waiters:
                waiter.cancel()
        if waiters[1] in done:
            return
        await self._inner(scope, receive, send)


class _DroppedResponse(Response):
    """Sends the response head, then drops the connection."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")],
            }
        )
        raise BexioConnectionReset("Server disconnected without sending a complete response.")


class BexioEmulator:
    """A bexio company behind bexio's OAuth and REST API, with hooks and scripted faults."""

    def __init__(
        self,
        *,
        client_id: str = "sandbox-client",
        client_secret: str = "sandbox-secret",
        access_token_ttl: int = 3600,
        rate_limit_per_minute: int | None = None,
        clock: Callable[[], float] = time.time,
        company_name: str = "Muster AG",
        timeout_seconds: float = 30.0,
        redirect_uris: Collection[str] | None = None,
        payment_bumps_updated_at: bool = True,
    ) -> None:
        self.clock = clock
        self.rate_limit_per_minute = rate_limit_per_minute
        self.timeout_seconds = timeout_seconds
        self.company = BexioCompany(clock=clock, company_name=company_name)
        self.documents = BexioDocuments(
            self.company, payment_bumps_updated_at=payment_bumps_updated_at
        )
        self.oauth = OAuthServer(
            client_id=client_id,
            client_secret=client_secret,
            access_token_ttl=access_token_ttl,
            clock=clock,
            company_name=company_name,
            redirect_uris=redirect_uris,
        )
        self.calls: list[tuple[str, str]] = []
        self.carried_out: list[tuple[str, str, int]] = []
        self.injected: Counter[str] = Counter()
        self._faults: deque[_Scripted] = deque()
        self._random: _RandomFaults | None = None
        self._windows: dict[str, tuple[int, int]] = {}
        self._held: set[asyncio.Future[None]] = set()
        api = BexioApi(self.company, self.documents)
        routes = [*self.oauth.routes(), *(self._route(ep) for ep in api.endpoints())]
        self.app = Starlette(
            routes=routes,
            exception_handlers={404: self._unknown_route, 405: self._unknown_route},
        )

    # --- state --------------------------------------------------------------------------------

    @property
    def contacts(self) -> dict[int, Json]:
        """Contacts by id, as GET /2.0/contact/{id} shows them (archived ones included)."""
        return self.company.contacts

    @property
    def articles(self) -> dict[int, Json]:
        """Articles by id, as GET /2.0/article/{id} shows them."""
        return self.company.articles

    @property
    def orders(self) -> dict[int, Json]:
        """Orders (kb_order) by id, with positions, as GET shows them."""
        return self.documents.orders

    @property
    def invoices(self) -> dict[int, Json]:
        """Invoices (kb_invoice) by id, with positions, as GET shows them."""
        return self.documents.invoices

    @property
    def deliveries(self) -> dict[int, Json]:
        """Deliveries (kb_delivery) by id, with positions, as GET shows them."""
        return self.documents.deliveries

    @property
    def payments(self) -> dict[int, Json]:
        """Invoice payments by id (each names its `kb_invoice_id`)."""
        return self.documents.payments

    @property
    def taxes(self) -> dict[int, Json]:
        """Taxes by id, as GET /3.0/taxes/{id} shows them."""
        return self.company.taxes

    @property
    def accounts(self) -> dict[int, Json]:
        """Ledger accounts by id."""
        return self.company.accounts

    @property
    def sent_emails(self) -> list[Json]:
        """Invoices sent by e-mail (POST .../send), in order."""
        return self.documents.sent_emails

    @property
    def token_requests(self) -> list[str]:
        """The grant_type of every token request, in order (failed ones included)."""
        return self.oauth.token_requests

    @property
    def issued_access_tokens(self) -> list[str]:
        """Every access token issued, in order."""
        return self.oauth.issued_access_tokens

    @property
    def issued_refresh_tokens(self) -> list[str]:
        """Every refresh token issued, in order."""
        return self.oauth.issued_refresh_tokens

    @property
    def refresh_count(self) -> int:
        """How many refresh-token grants succeeded."""
        return self.oauth.refresh_count

    # --- hooks --------------------------------------------------------------------------------

    def issue_tokens(self, scope: str = ALL_API_SCOPES) -> dict[str, Any]:
        """A token response as after the user allowed the app (skips the browser step)."""
        return self.oauth.issue_tokens(scope)

    def access_token(self, scope: str = ALL_API_SCOPES) -> str:
        """A fresh access token for API calls in tests."""
        return str(self.issue_tokens(scope)["access_token"])

    def revoke_refresh_tokens(self) -> None:
        """The user revoked the app in bexio: refresh answers 400 invalid_grant, API calls 401."""
        self.oauth.revoke_all()

    def expire_access_tokens(self) -> None:
        """Every access token issued so far is expired (the next API call answers 401)."""
        self.oauth.expire_access_tokens()

    def set_numbering(self, automatic: bool) -> None:
        """bexio's "automatic numbering" setting (kb_item_setting) for orders and invoices."""
        self.company.set_numbering(automatic)

    def add_tax(self, *, value: Decimal | str, code: str, **fields: Any) -> Json:
        """Add a tax (default: an active sales tax); returns it as /3.0/taxes shows it."""
        return self.company.add_tax(value=value, code=code, **fields)

    def set_tax_active(self, tax_id: int, active: bool) -> None:
        """Activate or deactivate a tax, as a bexio user can."""
        self.company.taxes[tax_id]["is_active"] = active

    def add_account(self, *, account_no: str, name: str, **fields: Any) -> Json:
        """Add a ledger account (default: an active earnings account)."""
        return self.company.add_account(account_no=account_no, name=name, **fields)

    def set_account_active(self, account_id: int, active: bool) -> None:
        """Activate or deactivate a ledger account."""
        self.company.accounts[account_id]["is_active"] = active

    def add_contact(self, **fields: Any) -> Json:
        """Create a contact as a bexio user would (same validation as POST /2.0/contact)."""
        body = {"contact_type_id": 1, "user_id": 1, "owner_id": 1, **fields}
        return self.company.create_contact(body)

    def add_article(self, **fields: Any) -> Json:
        """Create an article as a bexio user would (same validation as POST /2.0/article)."""
        return self.company.create_article(fields)

    def add_articles(
        self, rows: Iterable[Mapping[str, Any]], *, unique_codes: bool = True
    ) -> list[Json]:
        """Create many articles quickly (each row a POST /2.0/article body); see
        `BexioCompany.add_articles`."""
        return self.company.add_articles(rows, unique_codes=unique_codes)

    def book_stock(self, article_id: int, quantity: int | None = None) -> Json:
        """A bexio user books the article's stock (to `quantity` if given); from now on the API
        refuses another `stock_nr`, as bexio does once an article has bookings."""
        return self.company.book_stock(article_id, quantity)

    def record_payment(
        self,
        invoice_id: int,
        value: Decimal | str,
        *,
        date: str | None = None,
        bank_account_id: int = 1,
    ) -> Json:
        """A payment booked in bexio (e.g. bank reconciliation); same rules as the API."""
        body: dict[str, Any] = {"value": str(value), "bank_account_id": bank_account_id}
        if date is not None:
            body["date"] = date
        return self.documents.add_payment(invoice_id, body)

    def cancel_invoice(self, invoice_id: int) -> None:
        """The user cancels an issued invoice in bexio."""
        self.documents.cancel_invoice(invoice_id)

    def fail_next(self, count: int, fault: Fault, *, processed: bool | None = None) -> None:
        """The next `count` API calls fail with `fault` (see the module docstring).

        `processed`: whether bexio carries out the call before failing. Default: True for
        "timeout" (the answer, not the request, gets lost), False for the others.
        """
        done = fault == "timeout" if processed is None else processed
        self._faults.extend(_Scripted(fault, done) for _ in range(count))

    def fail_randomly(
        self,
        rate: float,
        kinds: Mapping[Fault, float],
        *,
        processed_share: float = 0.5,
        retry_after_seconds: int = 1,
        seed: int | None = None,
    ) -> None:
        """From now on each API call fails with probability `rate` (0 turns this off).

        The fault is drawn from `kinds` by weight. `processed_share`: the share of faults
        (other than 429) after which bexio has carried out the call anyway. A 429 asks the
        client to wait `retry_after_seconds`.
        """
        if not 0 <= rate <= 1 or not 0 <= processed_share <= 1:
            raise ValueError("rate and processed_share are shares between 0 and 1")
        if rate == 0:
            self._random = None
            return
        if not kinds or any(weight < 0 for weight in kinds.values()):
            raise ValueError("kinds needs at least one fault with a non-negative weight")
        self._random = _RandomFaults(
            rate,
            tuple(kinds),
            tuple(kinds.values()),
            processed_share,
            retry_after_seconds,
            random.Random(seed),
        )

    @property
    def held_answers(self) -> int:
        """How many answers a "timeout" fault is holding back right now."""
        return len(self._held)

    def release_timeouts(self) -> None:
        """Let every held ("timeout") answer go out now."""
        for future in list(self._held):
            if not future.done():
                future.set_result(None)

    # --- the gate around every API endpoint ---------------------------------------------------

    def _route(self, endpoint: Endpoint) -> Route:
        return Route(endpoint.path, self._gated(endpoint), methods=[endpoint.method])

    def _gated(self, endpoint: Endpoint) -> Callable[[Request], Awaitable[Response]]:
        group = rate_group(endpoint.method, endpoint.path)

        async def gate(request: Request) -> Response:
            self.calls.append((request.method, request.url.path))
            scripted = self._next_fault()
            if scripted is not None and not scripted.processed:
                return self._fault(scripted, group, None)
            response = await self._answer(request, endpoint, group)
            if response.status_code < 400:
                self.carried_out.append((request.method, request.url.path, response.status_code))
            return self._fault(scripted, group, response) if scripted else response

        return gate

    def _next_fault(self) -> _Scripted | None:
        if self._faults:
            scripted: _Scripted | None = self._faults.popleft()
        else:
            scripted = self._random.draw() if self._random is not None else None
        if scripted is not None:
            self.injected[str(scripted.fault)] += 1
        return scripted

    async def _answer(self, request: Request, endpoint: Endpoint, group: str) -> Response:
        grant = self._grant(request)
        if grant is None:
            # No recorded 401 body exists; bexio's generic shape is assumed (fields.json errors).
            body = {"error_code": 401, "message": "The access token is invalid or has expired."}
            return JSONResponse(body, 401, headers=self._rate_headers(group))
        allowed, headers = self._rate_take(group)
        if not allowed:
            return self._too_many(headers)
        request.state.user_id = grant.user_id
        try:
            if not all(_has_scope(grant, scope) for scope in endpoint.scopes):
                raise forbidden()
            response = await endpoint.handler(request)
        except ApiError as error:
            response = JSONResponse(error.body, error.status, headers=error.headers)
        response.headers.update(headers)
        return response

    def _grant(self, request: Request) -> AccessGrant | None:
        header = request.headers.get("authorization", "")
        if not header.lower().startswith("bearer "):
            return None
        return self.oauth.check_access_token(header[7:].strip())

    def _fault(self, scripted: _Scripted, group: str, response: Response | None) -> Response:
        fault = scripted.fault
        if fault == "reset":
            return _DroppedResponse()
        if fault == "timeout":
            late = response or HTMLResponse(_GATEWAY_PAGE.format(status=504), 504)
            return _HeldResponse(late, self.timeout_seconds, self._held)
        if fault == 429:
            headers = self._rate_headers(group, exhausted=True)
            if scripted.retry_after is not None:
                headers["RateLimit-Reset"] = str(scripted.retry_after)
            return self._too_many(headers)
        if fault == 502:
            return HTMLResponse(_GATEWAY_PAGE.format(status=502), 502)
        message = "Internal Server Error" if fault == 500 else "Service Unavailable"
        return JSONResponse({"error_code": fault, "message": message}, fault)

    def _too_many(self, headers: dict[str, str]) -> Response:
        # bexio's gateway is Kong (x-ratelimit-*-minute headers); this is Kong's 429 answer.
        headers = {**headers, "Retry-After": headers["RateLimit-Reset"]}
        return JSONResponse({"message": "API rate limit exceeded"}, 429, headers=headers)

    def _rate_take(self, group: str) -> tuple[bool, dict[str, str]]:
        key, limit, window, _ = self._window(group)
        start, used = self._windows.get(key, (window, 0))
        used = used if start == window else 0
        if self.rate_limit_per_minute is not None and used >= limit:
            return False, self._rate_headers(group, exhausted=True)
        self._windows[key] = (window, used + 1)
        return True, self._rate_headers(group)

    def _window(self, group: str) -> tuple[str, int, int, int]:
        now = self.clock()
        window = int(now // 60)
        reset = max(1, math.ceil((window + 1) * 60 - now))
        if self.rate_limit_per_minute is None:
            return group, GROUP_LIMITS[group], window, reset
        # One company-wide bucket when a limit is configured (DESIGN.md §2: ~250 calls/minute).
        return "company", self.rate_limit_per_minute, window, reset

    def _rate_headers(self, group: str, *, exhausted: bool = False) -> dict[str, str]:
        key, limit, window, reset = self._window(group)
        start, used = self._windows.get(key, (window, 0))
        used = used if start == window else 0
        remaining = 0 if exhausted else max(limit - used, 0)
        return {
            "RateLimit-Limit": str(limit),
            "RateLimit-Remaining": str(remaining),
            "RateLimit-Reset": str(reset),
            "X-RateLimit-Limit-Minute": str(limit),
            "X-RateLimit-Remaining-Minute": str(remaining),
        }

    async def _unknown_route(self, request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 404
        path = request.url.path
        if path.startswith(_API_PREFIXES):
            self.calls.append((request.method, path))
            scripted = self._next_fault()
            if scripted is not None:
                return self._fault(scripted, "default", None)
        # Recorded (ERR_404_GET_2.0_kb_position.json): an unknown route has another body shape
        # than an unknown id, and no rate-limit headers.
        reason = "Not Found" if status == 404 else "Method Not Allowed"
        return JSONResponse({"status": status, "error": reason, "message": reason}, status)


def _has_scope(grant: AccessGrant, scope: str) -> bool:
    # API.md §a: requesting `x_edit` also grants `x_show`.
    edit = scope.removesuffix("_show") + "_edit" if scope.endswith("_show") else scope
    return scope in grant.scope or edit in grant.scope
