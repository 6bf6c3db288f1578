"""BexioClient error translation: status and body to AppError kind, waits, and no leaked data."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from saleor_bexio_app.bexio.client import BexioClient
from saleor_bexio_app.bexio.limiter import RateLimiter
from saleor_bexio_app.bexio.wire import BexioContactIn, BexioContactType
from saleor_bexio_app.errors import (
    AppError,
    AuthError,
    NotFoundError,
    RejectedError,
    TransientError,
)
from saleor_bexio_app.ids import BexioContactId, BexioInvoiceId, BexioUserId
from tests.bexio.test_client import (
    API,
    FakeTokens,
    Handler,
    Recorder,
    json_response,
    recorded_response,
)

MakeClient = Callable[..., BexioClient]


class FakeSleep:
    """An injected sleep that only records how long the client wanted to wait."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


class FakeClock:
    """A clock whose sleep moves time forward instead of waiting."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
async def make_client() -> AsyncIterator[MakeClient]:
    """BexioClients over MockTransports, with a recording sleep unless one is given."""
    opened: list[httpx.AsyncClient] = []

    def build(
        handler: Handler,
        *,
        tokens: FakeTokens | None = None,
        limiter: RateLimiter | None = None,
        **options: Any,
    ) -> BexioClient:
        http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        opened.append(http)
        options.setdefault("sleep", FakeSleep())
        return BexioClient(
            http, api_url=API, tokens=tokens or FakeTokens("token-1"), limiter=limiter, **options
        )

    yield build
    for http in opened:
        await http.aclose()


def _contact_in() -> BexioContactIn:
    return BexioContactIn(
        contact_type_id=BexioContactType.PERSON,
        name_1="Muster",
        user_id=BexioUserId(1),
        owner_id=BexioUserId(1),
        mail="anna@example.com",
    )


def _texts(error: AppError) -> str:
    return " | ".join([str(error), repr(error), error.user_message, error.detail])


# --- recorded error answers ----------------------------------------------------------------------

RECORDED_ERRORS: list[tuple[str, type[AppError], list[str]]] = [
    (
        "ERR_422_POST_2.0_contact.json",
        RejectedError,
        [
            "bexio rejected the contact:",
            "contact type is required",
            "name (last name or company) is required",
            "bexio user is required",
            "bexio owner is required",
            "the request contains a field bexio does not accept",
        ],
    ),
    (
        "ERR_422_POST_2.0_kb_offer.json",
        RejectedError,
        ["line 1: revenue account is not valid", "Check the revenue account"],
    ),
    ("ERR_422_POST_3.0_currencies.json", RejectedError, ["name is already used"]),
    (
        "ERR_422_POST_3.0_accounting_manual_entries.json",
        RejectedError,
        ["the business year is closed in bexio"],
    ),
    ("ERR_409_DELETE_3.0_taxes_ID.json", RejectedError, ["the VAT rate is still in use"]),
    ("ERR_403_DELETE_2.0_kb_invoice_ID.json", AuthError, ['"contact_edit"', "Reconnect"]),
    ("ERR_404_POST_2.0_contact_ID.json", NotFoundError, ["The contact does not exist"]),
    ("ERR_404_GET_2.0_kb_position.json", NotFoundError, ["The contact does not exist"]),
    ("ERR_410_GET_2.0_kb_item_setting.json", AuthError, ["no longer exists", "Reconnect"]),
    ("ERR_500_POST_3.0_accounting_calendar_years.json", TransientError, ["HTTP 500"]),
]


@pytest.mark.parametrize(
    ("recording", "kind", "fragments"), RECORDED_ERRORS, ids=[r for r, _, _ in RECORDED_ERRORS]
)
async def test_recorded_error_answer_becomes_its_error_kind_with_a_merchant_message(
    make_client: MakeClient, recording: str, kind: type[AppError], fragments: list[str]
) -> None:
    client = make_client(Recorder(lambda request: recorded_response(recording)))

    with pytest.raises(AppError) as caught:
        await client.create_contact(_contact_in())

    assert type(caught.value) is kind
    for fragment in fragments:
        assert fragment in caught.value.user_message


async def test_german_2_0_validation_keeps_field_names_not_texts_in_detail(
    make_client: MakeClient,
) -> None:
    client = make_client(Recorder(lambda r: recorded_response("ERR_422_POST_2.0_kb_offer.json")))

    with pytest.raises(RejectedError) as caught:
        await client.create_contact(_contact_in())

    assert caught.value.detail == (
        "HTTP 422 on POST /2.0/contact; error_code=422; fields=positions.1.account_id:invalid; "
        "message='The form could not be saved due to the following errors:'"
    )
    assert "Diese Eingabe" not in _texts(caught.value)


async def test_3_0_validation_withholds_the_value_bexio_echoes(make_client: MakeClient) -> None:
    client = make_client(Recorder(lambda r: recorded_response("ERR_422_POST_3.0_currencies.json")))

    with pytest.raises(RejectedError) as caught:
        await client.create_contact(_contact_in())

    assert "JPY" not in _texts(caught.value)
    assert "fields=name:taken" in caught.value.detail


async def test_403_names_the_missing_permission_of_the_operation(make_client: MakeClient) -> None:
    client = make_client(
        Recorder(lambda r: recorded_response("ERR_403_DELETE_2.0_kb_invoice_ID.json"))
    )

    with pytest.raises(AuthError) as caught:
        await client.cancel_invoice(BexioInvoiceId(1))

    assert '"kb_invoice_edit"' in caught.value.user_message
    assert caught.value.detail == (
        "HTTP 403 on POST /2.0/kb_invoice/1/cancel; needs kb_invoice_edit"
    )


async def test_unknown_route_and_missing_object_404s_are_told_apart(
    make_client: MakeClient,
) -> None:
    route = make_client(Recorder(lambda r: recorded_response("ERR_404_GET_2.0_kb_position.json")))
    gone = make_client(Recorder(lambda r: recorded_response("ERR_404_POST_2.0_contact_ID.json")))

    with pytest.raises(NotFoundError) as unknown_route:
        await route.get_contact(BexioContactId(6))
    with pytest.raises(NotFoundError) as no_object:
        await gone.get_contact(BexioContactId(6))

    assert unknown_route.value.detail.endswith("unknown route")
    assert no_object.value.detail.endswith("no such object")


async def test_410_keeps_bexios_fixed_text_for_operators(make_client: MakeClient) -> None:
    client = make_client(
        Recorder(lambda r: recorded_response("ERR_410_GET_2.0_kb_item_setting.json"))
    )

    with pytest.raises(AuthError) as caught:
        await client.list_item_settings()

    assert "Client does not exist on shard" in caught.value.detail


@pytest.mark.parametrize("status", [400, 422])
async def test_bad_request_and_unprocessable_are_rejections(
    make_client: MakeClient, status: int
) -> None:
    client = make_client(Recorder(lambda r: json_response(status, {"error_code": status})))

    with pytest.raises(RejectedError) as caught:
        await client.create_contact(_contact_in())

    assert caught.value.user_message == "bexio rejected the contact."


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_server_errors_are_transient_with_retry_after(
    make_client: MakeClient, status: int
) -> None:
    answer = json_response(status, {"error_code": status}, {"Retry-After": "120"})
    client = make_client(Recorder(lambda r: answer))

    with pytest.raises(TransientError) as caught:
        await client.list_units()

    assert caught.value.retry_after == 120


async def test_a_5xx_does_not_take_the_rate_limit_reset_for_a_retry_hint(
    make_client: MakeClient,
) -> None:
    client = make_client(
        Recorder(lambda r: recorded_response("ERR_500_POST_3.0_accounting_calendar_years.json"))
    )

    with pytest.raises(TransientError) as caught:
        await client.list_units()

    assert caught.value.retry_after is None


# --- 429 ---------------------------------------------------------------------------------------


def _then_ok(*first: httpx.Response) -> Handler:
    answers = list(first)

    def handler(request: httpx.Request) -> httpx.Response:
        return answers.pop(0) if answers else json_response(200, [])

    return handler


def _too_many(headers: dict[str, str]) -> httpx.Response:
    return json_response(429, {"error_code": 429, "message": "Too Many Requests"}, headers)


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"RateLimit-Limit": "250", "RateLimit-Remaining": "0", "RateLimit-Reset": "12"}, 12.0),
        (
            {
                "Date": "Thu, 18 Jun 2026 13:57:06 GMT",
                "Retry-After": "Thu, 18 Jun 2026 13:57:36 GMT",
            },
            30.0,
        ),
    ],
    ids=["retry-after-seconds", "ratelimit-reset", "retry-after-date"],
)
async def test_a_429_waits_as_bexio_says_and_retries(
    make_client: MakeClient, headers: dict[str, str], wait: float
) -> None:
    sleep = FakeSleep()
    bexio = Recorder(_then_ok(_too_many(headers)))

    units = await make_client(bexio, sleep=sleep).list_units()

    assert units == []
    assert sleep.waits == [wait]
    assert len(bexio.requests) == 2


async def test_persistent_429s_end_in_a_transient_error_after_bounded_retries(
    make_client: MakeClient,
) -> None:
    sleep = FakeSleep()
    bexio = Recorder(lambda r: _too_many({"Retry-After": "2"}))

    with pytest.raises(TransientError) as caught:
        await make_client(bexio, sleep=sleep, max_rate_limit_retries=3).list_units()

    assert len(bexio.requests) == 4
    assert sleep.waits == [2.0, 2.0, 2.0]
    assert caught.value.retry_after == 2


async def test_a_429_asking_for_a_long_wait_is_handed_to_the_job_at_once(
    make_client: MakeClient,
) -> None:
    sleep = FakeSleep()
    bexio = Recorder(lambda r: _too_many({"Retry-After": "300"}))

    with pytest.raises(TransientError) as caught:
        await make_client(bexio, sleep=sleep, max_rate_limit_wait=60).list_units()

    assert len(bexio.requests) == 1
    assert sleep.waits == []
    assert caught.value.retry_after == 300


async def test_a_429_with_a_limiter_holds_the_group_on_the_limiters_clock(
    make_client: MakeClient,
) -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    bexio = Recorder(_then_ok(_too_many({"Retry-After": "7"})))

    await make_client(bexio, limiter=limiter).list_units()

    assert clock.now == 1007.0
    assert len(bexio.requests) == 2


# --- no answer ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("timed out"),
        httpx.ConnectTimeout("timed out"),
        httpx.ConnectError("refused"),
        httpx.RemoteProtocolError("peer closed connection"),
        httpx.ReadError("reset"),
    ],
    ids=lambda exc: type(exc).__name__,
)
async def test_timeouts_and_connection_errors_are_transient(
    make_client: MakeClient, failure: httpx.HTTPError
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise failure

    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)

    with pytest.raises(TransientError) as caught:
        await make_client(handler, limiter=limiter).create_contact(_contact_in())

    assert caught.value.__cause__ is failure
    assert caught.value.retry_after is None
    assert type(failure).__name__ in caught.value.detail


async def test_a_body_that_is_not_json_is_transient_and_not_repeated(
    make_client: MakeClient,
) -> None:
    client = make_client(
        Recorder(lambda r: httpx.Response(200, content=b"<html>anna@example.com</html>"))
    )

    with pytest.raises(TransientError) as caught:
        await client.list_units()

    assert "anna@example.com" not in _texts(caught.value)


async def test_an_answer_the_models_cannot_read_names_fields_not_values(
    make_client: MakeClient,
) -> None:
    answer = {"id": "not-a-number", "contact_type_id": 2, "mail": "anna@example.com"}
    client = make_client(Recorder(lambda r: json_response(200, answer)))

    with pytest.raises(AppError) as caught:
        await client.get_contact(BexioContactId(1))

    assert type(caught.value) is AppError
    assert "id:int_parsing" in caught.value.detail
    assert "name_1:missing" in caught.value.detail
    assert "anna@example.com" not in _texts(caught.value)


# --- secrets and personal data never leak --------------------------------------------------------

TOKEN = "secret-token-abc123"
MAIL = "anna.muster@example.com"
LEAKY_2_0 = {
    "error_code": 0,
    "message": f"Contact {MAIL} exists (Bearer {TOKEN})",
    "errors": [f"mail: {MAIL} ist bereits vergeben", f"name_1: {TOKEN}"],
}
LEAKY_3_0 = {
    "error_code": 0,
    "message": f"validation failed for {MAIL}",
    "errors": {"mail": {"type": "unique_object", "message": f"{MAIL} is taken by {TOKEN}"}},
}


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 410, 422, 429, 500, 503])
@pytest.mark.parametrize("body", [LEAKY_2_0, LEAKY_3_0], ids=["2.0", "3.0"])
async def test_no_token_or_email_reaches_messages_details_or_logs(
    make_client: MakeClient,
    caplog: pytest.LogCaptureFixture,
    status: int,
    body: dict[str, Any],
) -> None:
    answer = {**body, "error_code": status}
    bexio = Recorder(lambda r: json_response(status, answer, {"Retry-After": "1"}))
    tokens = FakeTokens(TOKEN, f"{TOKEN}-refreshed")
    caplog.set_level(logging.DEBUG)

    with pytest.raises(AppError) as caught:
        await make_client(bexio, tokens=tokens).create_contact(_contact_in())

    texts = _texts(caught.value) + " | " + caplog.text
    assert TOKEN not in texts
    assert MAIL not in texts
    assert "anna@example.com" not in texts


async def test_the_mail_field_is_named_without_its_value(make_client: MakeClient) -> None:
    bexio = Recorder(lambda r: json_response(422, {**LEAKY_2_0, "error_code": 422}))

    with pytest.raises(RejectedError) as caught:
        await make_client(bexio).create_contact(_contact_in())

    assert "e-mail address was not accepted" in caught.value.user_message
    assert "fields=mail:unknown,name_1:unknown" in caught.value.detail
    assert "message withheld" in caught.value.detail


async def test_client_repr_shows_no_token() -> None:
    async with httpx.AsyncClient() as http:
        client = BexioClient(http, api_url=API, tokens=FakeTokens(TOKEN), company_key="shop-1")

    assert TOKEN not in repr(client)
    assert "shop-1" in repr(client)
