"""The dashboard pages (the Vite build of dashboard_extension/) and the app's static files.

- `/app/assets/...`: the build's hashed assets, cached for good (a new build has new names).
- `/app` and every other `/app/...` path: the build's `index.html` (the pages route by pathname
  in the browser), never cached, so a new deployment is picked up at the next dashboard visit.
- `/static/...`: `saleor_bexio_app/static/` as it is (the app logo the manifest points at).

A missing build is an operator's mistake, not a crash: `/app` then answers 503 saying how to
build it. The build is looked up per request, so `make dashboard` beside a running server needs
no restart.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import PathLike, StaticFiles
from starlette.types import Receive, Scope, Send

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
DASHBOARD_SUBDIR = "dashboard"
NOT_BUILT_MESSAGE = (
    "The dashboard pages are not built: run `make dashboard` "
    "(npm ci && npm run build in dashboard_extension/), then reload.\n"
)
_IMMUTABLE = "public, max-age=31536000, immutable"


def _not_built() -> Response:
    return PlainTextResponse(
        NOT_BUILT_MESSAGE, status_code=503, headers={"Cache-Control": "no-store"}
    )


class _OptionalStaticFiles(StaticFiles):
    """StaticFiles whose directory may not exist (yet): 404s instead of a RuntimeError (a 500)."""

    async def check_config(self) -> None:
        if self.directory is not None and not Path(self.directory).is_dir():
            return
        await super().check_config()


class _DashboardAssets(_OptionalStaticFiles):
    """The build's `assets/` folder: 503 while there is no build, cached for good once there is."""

    def __init__(self, dist: Path) -> None:
        super().__init__(directory=dist / "assets", check_dir=False)
        self._index = dist / "index.html"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self._index.is_file():
            await _not_built()(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    def file_response(
        self,
        full_path: PathLike,
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = _IMMUTABLE
        return response


def dashboard_routes(static_dir: Path | None = None) -> list[BaseRoute]:
    """Routes for `/app` (the dashboard pages, SPA fallback) and `/static` (the app's files)."""
    root = static_dir if static_dir is not None else STATIC_DIR
    dist = root / DASHBOARD_SUBDIR
    index = dist / "index.html"

    async def dashboard_page(request: Request) -> Response:
        if not index.is_file():
            return _not_built()
        return FileResponse(index, media_type="text/html", headers={"Cache-Control": "no-cache"})

    return [
        Mount("/app/assets", app=_DashboardAssets(dist), name="dashboard_assets"),
        Route("/app", dashboard_page, methods=["GET"], name="dashboard"),
        Route("/app/{path:path}", dashboard_page, methods=["GET"], name="dashboard_page"),
        Mount("/static", app=_OptionalStaticFiles(directory=root, check_dir=False), name="static"),
    ]
