"""`POST /graphql`: verify the dashboard token, then execute the schema for that shop.

GraphQL-over-HTTP with JSON bodies (`query`, `variables`, `operationName`). A refused token is
an HTTP 401/403 JSON answer before execution (api/context.py); a malformed body is a 400.
There is no GraphiQL: the dashboard pages are the only client.
"""

from __future__ import annotations

import json
from typing import Any

from graphql import GraphQLError, StringValueNode, Visitor, parse, visit
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from saleor_bexio_app.api.context import dashboard_context
from saleor_bexio_app.api.schema import schema
from saleor_bexio_app.web.services import services_of


def _bad_request(message: str) -> JSONResponse:
    return JSONResponse({"errors": [{"message": message}]}, status_code=400)


async def graphql(request: Request) -> Response:
    services = services_of(request)
    context = await dashboard_context(services, request)
    if isinstance(context, Response):
        return context
    try:
        body: Any = json.loads(await request.body())
    except ValueError:
        return _bad_request("The request body must be JSON.")
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        return _bad_request('The request body must be an object with a "query" string.')
    variables = body.get("variables")
    operation_name = body.get("operationName")
    if variables is not None and not isinstance(variables, dict):
        return _bad_request('"variables" must be an object.')
    if operation_name is not None and not isinstance(operation_name, str):
        return _bad_request('"operationName" must be a string.')
    if _carries_nul(body["query"], variables):
        # PostgreSQL text cannot hold NUL; refuse it here rather than crash in a resolver.
        return _bad_request("Text in a request may not contain NUL characters.")
    result = await schema.execute(
        body["query"],
        variable_values=variables,
        context_value=context,
        operation_name=operation_name,
    )
    answer: dict[str, Any] = {"data": result.data}
    if result.errors:
        answer["errors"] = [error.formatted for error in result.errors]
    return JSONResponse(answer)


def _carries_nul(query: str, variables: Any) -> bool:
    """Whether a string literal of the document or a variable's value holds a NUL character."""
    if "\x00" in json.dumps(variables, ensure_ascii=False) or "\x00" in query:
        return True
    if "\\u" not in query:
        return False  # without escapes, the literals hold no NUL
    try:
        document = parse(query)
    except GraphQLError:
        return False  # execution reports the syntax error
    found = False

    class _Strings(Visitor):
        def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
            nonlocal found
            found = found or "\x00" in node.value

    visit(document, _Strings())
    return found


def graphql_routes() -> list[BaseRoute]:
    return [Route("/graphql", graphql, methods=["POST"])]
