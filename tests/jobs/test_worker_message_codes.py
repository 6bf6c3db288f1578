"""The worker keeps an error's message code and params on the error-log row it parks."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from saleor_bexio_app.errors import MessageCode, RejectedError, TransientError
from saleor_bexio_app.ids import InstallationId
from saleor_bexio_app.jobs.model import Job
from tests.jobs.fakes import FakeClock
from tests.jobs.test_worker import Sessions, _enqueue, _errors, _worker


async def test_a_parked_error_keeps_its_message_code_and_params(
    engine: AsyncEngine, sessions: Sessions, installation: InstallationId, clock: FakeClock
) -> None:
    async def handler(job: Job) -> None:
        raise RejectedError(
            "Several bexio articles have the article number TS-M.",
            code=MessageCode.DUPLICATE_ARTICLE_NUMBER,
            params={"number": "TS-M"},
        )

    await _enqueue(sessions, installation, clock)

    await _worker(engine, handler, clock).run_once()

    [logged] = await _errors(sessions)
    assert (logged.message_code, logged.message_params) == (
        "duplicate_article_number",
        {"number": "TS-M"},
    )


async def test_a_temporary_failure_that_gave_up_keeps_the_code_of_its_last_error(
    engine: AsyncEngine, sessions: Sessions, installation: InstallationId, clock: FakeClock
) -> None:
    async def handler(job: Job) -> None:
        raise TransientError(
            "bexio is not working right now (HTTP 503); the app will try again later.",
            code=MessageCode.BEXIO_UNAVAILABLE,
            params={"status": 503},
        )

    await _enqueue(sessions, installation, clock)
    worker = _worker(engine, handler, clock, max_attempts=2)

    for _ in range(3):
        await worker.run_once()
        clock.advance(3600)

    [logged] = await _errors(sessions)
    assert (logged.reason, logged.message_code, logged.message_params) == (
        "exceeded",
        "bexio_unavailable",
        {"status": 503},
    )


async def test_an_unexpected_exception_has_no_message_code(
    engine: AsyncEngine, sessions: Sessions, installation: InstallationId, clock: FakeClock
) -> None:
    async def handler(job: Job) -> None:
        raise KeyError("anna@example.com")

    await _enqueue(sessions, installation, clock)

    await _worker(engine, handler, clock).run_once()

    [logged] = await _errors(sessions)
    assert (logged.reason, logged.message_code, logged.message_params) == ("internal", None, None)
