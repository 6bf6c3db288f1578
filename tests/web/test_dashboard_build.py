"""The dashboard build (dashboard_extension/ -> saleor_bexio_app/static/dashboard/) as served.

`make test` builds the dashboard before pytest runs; these tests read that real build.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from saleor_bexio_app.web.static_files import STATIC_DIR, dashboard_routes

BUILT_INDEX = STATIC_DIR / "dashboard" / "index.html"
# Smallest valid PNG: signature + IHDR (1x1 greyscale) + IDAT + IEND.
PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010800000000"
    "3a7e9b550000000a49444154789c636000000002000148afa4710000000049454e44ae426082"
)


async def _get(path: str, static_dir: Path | None = None) -> httpx.Response:
    app = Starlette(routes=dashboard_routes(static_dir))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app.test") as client:
        return await client.get(path)


@pytest.fixture(scope="module")
def built_index() -> str:
    if not BUILT_INDEX.is_file():
        pytest.fail(f"{BUILT_INDEX} is missing: run `make dashboard` (make test does it first)")
    return BUILT_INDEX.read_text()


def _asset_paths(index_html: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/app/assets/[^"]+)"', index_html)


async def test_built_index_is_served_uncached_at_app(built_index: str) -> None:
    response = await _get("/app")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"
    assert response.text == built_index
    assert '<div id="root">' in response.text


@pytest.mark.parametrize("path", ["/app/", "/app/errors", "/app/order-widget", "/app/a/b?x=1"])
async def test_any_app_page_falls_back_to_the_built_index(built_index: str, path: str) -> None:
    response = await _get(path)

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-cache"
    assert response.text == built_index


def test_built_index_loads_its_script_and_styles_from_app_assets(built_index: str) -> None:
    paths = _asset_paths(built_index)

    assert any(p.endswith(".js") for p in paths), built_index
    assert any(p.endswith(".css") for p in paths), built_index


@pytest.mark.parametrize(("suffix", "content_type"), [(".js", "javascript"), (".css", "text/css")])
async def test_built_assets_are_served_with_their_content_type_and_cached(
    built_index: str, suffix: str, content_type: str
) -> None:
    path = next(p for p in _asset_paths(built_index) if p.endswith(suffix))

    response = await _get(path)

    assert response.status_code == 200
    assert content_type in response.headers["content-type"]
    assert "immutable" in response.headers["cache-control"]
    on_disk = STATIC_DIR / "dashboard" / path.removeprefix("/app/")
    assert response.content == on_disk.read_bytes()


async def test_unknown_asset_is_404_not_the_index(built_index: str) -> None:
    response = await _get("/app/assets/no-such-file.js")

    assert response.status_code == 404
    assert response.text != built_index


@pytest.mark.parametrize("path", ["/app", "/app/errors", "/app/assets/index.js"])
async def test_missing_build_answers_503_telling_the_operator_to_build(
    tmp_path: Path, path: str
) -> None:
    response = await _get(path, tmp_path)

    assert response.status_code == 503
    assert "make dashboard" in response.text
    assert response.text.count("\n") == 1


async def test_missing_static_dir_is_404_not_500(tmp_path: Path) -> None:
    response = await _get("/static/logo.png", tmp_path / "absent")

    assert response.status_code == 404


async def test_logo_is_served_from_the_static_dir(tmp_path: Path) -> None:
    (tmp_path / "logo.png").write_bytes(PNG_1X1)

    response = await _get("/static/logo.png", tmp_path)

    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.content == PNG_1X1


def test_default_static_dir_is_the_packages_static_folder() -> None:
    assert Path(__file__).resolve().parents[2] / "saleor_bexio_app" / "static" == STATIC_DIR
