"""What a fuzz run observes: the database before and after a request, and answers per endpoint."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from saleor_bexio_app.store.tables import Base

# `fuzz-ci` (default): fixed examples, the same on every run. `thorough`: random and 20x as many.
settings.register_profile(
    "fuzz-ci",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
settings.register_profile("thorough", settings.get_profile("fuzz-ci"), derandomize=False)
PROFILE = "thorough" if os.environ.get("HYPOTHESIS_PROFILE") == "thorough" else "fuzz-ci"
SCALE = 20 if PROFILE == "thorough" else 1


def fuzz(examples: int) -> settings:
    """Settings of one fuzz test: `examples` in CI, twenty times as many when thorough."""
    return settings(settings.get_profile(PROFILE), max_examples=examples * SCALE)


FINITE = st.floats(allow_nan=False, allow_infinity=False)
JSON_SCALARS = st.none() | st.booleans() | st.integers() | FINITE | st.text(max_size=20)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
# Header values as raw bytes: any Latin-1 character but line breaks.
HEADER_TEXT = st.text(st.characters(max_codepoint=255, exclude_characters="\r\n"), max_size=60)


def mostly(usual: st.SearchStrategy[Any], odd: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`usual` four times in five, so that generated requests get past the first checks."""
    return st.integers(0, 4).flatmap(lambda n: odd if n == 4 else usual)


DbState = dict[str, list[str]]


async def db_state(engine: AsyncEngine) -> DbState:
    """Every row of every table of the app, as comparable text."""
    state: DbState = {}
    async with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            rows = (await connection.execute(select(table))).all()
            state[table.name] = sorted(repr(tuple(row)) for row in rows)
    return state


@dataclass
class Tally:
    """Answers per endpoint, for the summary a fuzz run prints."""

    statuses: dict[str, Counter[int]] = field(default_factory=dict)
    operations: dict[str, set[str]] = field(default_factory=dict)

    def record(self, endpoint: str, status: int, operation: str = "") -> None:
        self.statuses.setdefault(endpoint, Counter())[status] += 1
        if operation and status == 200:
            self.operations.setdefault(endpoint, set()).add(operation)

    def lines(self) -> list[str]:
        lines = []
        for endpoint, counts in sorted(self.statuses.items()):
            server_errors = sum(n for status, n in counts.items() if status >= 500)
            spread = ", ".join(f"{status}: {n}" for status, n in sorted(counts.items()))
            reached = self.operations.get(endpoint)
            executed = f", {len(reached)} operations executed" if reached else ""
            lines.append(
                f"{endpoint}: {sum(counts.values())} requests, {server_errors} 5xx ({spread})"
                + executed
            )
        return lines


TALLY = Tally()


def json_error(body: Any) -> str:
    """The error message of a JSON rejection (`{"error": "..."}`); fails on anything else."""
    assert isinstance(body, dict), body
    message = body.get("error")
    assert isinstance(message, str), body
    assert message.strip(), body
    return message
