"""`saleor-bexio settings|vat-map show|set` on a SQLite file database."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from saleor_bexio_app.cli import main
from saleor_bexio_app.ids import AppId, SaleorApiUrl
from saleor_bexio_app.store.db import create_engine, session_factory
from saleor_bexio_app.store.migrate import upgrade
from saleor_bexio_app.store.repos import InstallationRepo
from saleor_bexio_app.store.secrets import SecretBox
from saleor_bexio_app.store.settings_codec import default_shop_settings, shop_settings_to_json
from tests.conftest import TEST_SECRET_KEY

SHOP = "https://shop.example.com/graphql/"


async def _install(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        async with session_factory(engine).begin() as session:
            await InstallationRepo(SecretBox(TEST_SECRET_KEY)).upsert(
                session,
                api_url=SaleorApiUrl(SHOP),
                app_id=AppId("QXBwOjE="),
                token="saleor-app-token",
                jwks={"keys": []},
                now=datetime(2026, 1, 5, tzinfo=UTC),
            )
    finally:
        await engine.dispose()


@pytest.fixture(autouse=True)
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SECRET_KEY", TEST_SECRET_KEY)
    asyncio.run(_install(url))


def _show(capsys: pytest.CaptureFixture[str], command: str) -> Any:
    capsys.readouterr()
    main([command, "show", "--shop", SHOP])
    return json.loads(capsys.readouterr().out)


def _write(tmp_path: Path, document: Any) -> str:
    path = tmp_path / "document.json"
    path.write_text(json.dumps(document))
    return str(path)


def test_settings_show_prints_the_defaults_of_a_new_shop(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _show(capsys, "settings") == shop_settings_to_json(default_shop_settings())


def test_settings_set_validates_saves_and_show_prints_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = {
        "version": 1,
        "bexio_user_id": 1,
        "revenue_account_id": 3200,
        "bank_account_id": 4,
        "invoice_title": "Bestellung {number}",
        "sync_start_date": "2026-01-01",
    }

    main(["settings", "set", "--shop", SHOP, "--file", _write(tmp_path, document)])
    assert "saved" in capsys.readouterr().out

    shown = _show(capsys, "settings")
    assert {key: shown[key] for key in document} == document


def test_settings_set_refuses_invalid_settings_and_keeps_the_old_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["settings", "set", "--shop", SHOP, "--file", _write(tmp_path, {"version": 1})])

    assert raised.value.code == 1
    error = capsys.readouterr().err
    assert "bexio_user_id" in error
    assert "revenue_account_id" in error
    assert _show(capsys, "settings") == shop_settings_to_json(default_shop_settings())


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (json.dumps({"version": 1, "colour": "red"}), "'colour'"),
        ("{not json", "not valid JSON"),
        (json.dumps([1, 2]), "JSON object"),
    ],
)
def test_settings_set_names_what_is_wrong_with_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    path = tmp_path / "settings.json"
    path.write_text(content)

    with pytest.raises(SystemExit):
        main(["settings", "set", "--shop", SHOP, "--file", str(path)])

    assert message in capsys.readouterr().err


def test_vat_map_set_then_show_round_trips_the_document(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = {
        "version": 1,
        "by_class_id": {},
        "by_class_name": {"Reduced": 17},
        "by_rate": {"8.10": 16, "2.6": 17},
        "exempt_tax_id": 5,
    }

    main(["vat-map", "set", "--shop", SHOP, "--file", _write(tmp_path, document)])

    assert _show(capsys, "vat-map") == document


def test_an_unknown_shop_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["vat-map", "show", "--shop", "https://other.example.com/graphql/"])

    assert raised.value.code == 1
    assert "https://other.example.com/graphql/" in capsys.readouterr().err
