"""The dashboard API's SDL is committed (api/schema.graphql) for the TypeScript client types."""

from __future__ import annotations

from pathlib import Path

import pytest

from saleor_bexio_app.api.schema import schema

SNAPSHOT = Path(__file__).parents[2] / "saleor_bexio_app" / "api" / "schema.graphql"


def test_schema_snapshot_is_up_to_date() -> None:
    """A stale snapshot is rewritten and the test fails: review the diff and commit it."""
    printed = str(schema) + "\n"
    current = SNAPSHOT.read_text() if SNAPSHOT.exists() else ""
    if current != printed:
        SNAPSHOT.write_text(printed)
        pytest.fail(f"{SNAPSHOT.name} was stale and has been rewritten: review and commit it")


def test_schema_has_the_dashboard_operations() -> None:
    query = schema.get_type_by_name("Query")
    mutation = schema.get_type_by_name("Mutation")
    assert query is not None and mutation is not None
    printed = str(schema)
    for field in ("bexioConnection", "orderActionMatrix", "vatMapping", "syncPause"):
        assert f"  {field}" in printed
    for operation in ("startBexioConnect", "saveSettings", "retryErrors", "resumeSync"):
        assert f"  {operation}" in printed
