"""The baseline server: a bare Starlette app that answers 200 to everything the benchmarks send.

Served by uvicorn exactly as `saleor-bexio serve` serves the app (one process, same event loop
and HTTP implementation, same log level), so the difference is the app's own work.
"""

from __future__ import annotations

import argparse

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


async def _accept(request: Request) -> Response:
    await request.body()
    return JSONResponse({"accepted": True})


def bare_app() -> Starlette:
    """POST /api/webhooks/{event} and GET /api/manifest answer 200, nothing else happens."""
    return Starlette(
        routes=[
            Route("/api/webhooks/{event}", _accept, methods=["POST"]),
            Route("/api/manifest", _accept, methods=["GET"]),
        ]
    )


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m bench.bare", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)
    uvicorn.run(bare_app(), host="127.0.0.1", port=args.port, log_level=args.log_level)


if __name__ == "__main__":
    main()
