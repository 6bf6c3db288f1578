"""The schema shipped in the package is Saleor 3.24's, the same as the shared reference copy."""

from __future__ import annotations

from pathlib import Path

from saleor_bexio_app.saleor.schema import SCHEMA_PATH

SHARED_SCHEMA = Path("/work/shared/saleor/schema.graphql")


def test_packaged_schema_is_saleor_3_24() -> None:
    packaged = SCHEMA_PATH.read_text(encoding="utf-8")
    assert packaged.startswith("schema {\n  query: Query\n")
    assert "\ntype Query {" in packaged
    # Fields new in 3.24 are annotated so; nothing from a later version may be present.
    assert "Added in Saleor 3.24." in packaged
    assert "Added in Saleor 3.25." not in packaged


def test_packaged_schema_equals_the_shared_copy_where_there_is_one() -> None:
    packaged = SCHEMA_PATH.read_bytes()
    if SHARED_SCHEMA.is_file():
        assert packaged == SHARED_SCHEMA.read_bytes()
    else:
        assert (
            b"\ntype Subscription {" in packaged and b"enum WebhookEventTypeAsyncEnum" in packaged
        )
