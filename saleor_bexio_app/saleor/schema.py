"""Saleor 3.24's real GraphQL schema, shipped with the package and built once per process."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from graphql import GraphQLSchema, build_schema

SCHEMA_PATH = Path(__file__).with_name("schema.graphql")


@cache
def saleor_schema() -> GraphQLSchema:
    """The parsed schema; every document the app sends is validated against it."""
    return build_schema(SCHEMA_PATH.read_text(encoding="utf-8"))
