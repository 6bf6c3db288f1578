"""Settings come from an injected mapping; a bad value names its variable and says why."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from saleor_bexio_app.cli import LOCAL_SECRET_FILE, local_environment
from saleor_bexio_app.settings import SettingsError, load_settings

KEY = "k" * 40


def test_defaults_use_local_sqlite_and_localhost_pattern() -> None:
    settings = load_settings({"SECRET_KEY": KEY})
    assert settings.database_url == "sqlite+aiosqlite:///./saleor-bexio.sqlite3"
    assert settings.is_sqlite
    assert settings.allowed_saleor_urls.search("http://localhost:8000/graphql/")
    assert settings.allowed_saleor_urls.search("http://127.0.0.1:8000/graphql/")
    assert not settings.allowed_saleor_urls.search("https://shop.example.com/graphql/")
    assert settings.embedded_worker is True


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u:p@db/app", "postgresql+asyncpg://u:p@db/app"),
        ("postgres://u@db/app", "postgresql+asyncpg://u@db/app"),
        ("postgresql+asyncpg://u@db/app", "postgresql+asyncpg://u@db/app"),
        ("sqlite:///tmp/x.sqlite3", "sqlite+aiosqlite:///tmp/x.sqlite3"),
    ],
)
def test_database_url_gets_the_async_driver(url: str, expected: str) -> None:
    assert load_settings({"SECRET_KEY": KEY, "DATABASE_URL": url}).database_url == expected


@pytest.mark.parametrize(
    ("env", "variable", "why"),
    [
        ({}, "SECRET_KEY", "is required"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY", "at least 32"),
        ({"SECRET_KEY": KEY, "DATABASE_URL": "mysql://x/y"}, "DATABASE_URL", "not supported"),
        ({"SECRET_KEY": KEY, "DATABASE_URL": "nonsense"}, "DATABASE_URL", "must look like"),
        ({"SECRET_KEY": KEY, "APP_URL": "ftp://x"}, "APP_URL", "absolute http(s) URL"),
        ({"SECRET_KEY": KEY, "ALLOWED_SALEOR_URLS": "(["}, "ALLOWED_SALEOR_URLS", "regular"),
        ({"SECRET_KEY": KEY, "WORKER_CONCURRENCY": "0"}, "WORKER_CONCURRENCY", "at least 1"),
        ({"SECRET_KEY": KEY, "JOB_LEASE_SECONDS": "soon"}, "JOB_LEASE_SECONDS", "a number"),
        ({"SECRET_KEY": KEY, "EMBEDDED_WORKER": "maybe"}, "EMBEDDED_WORKER", "true or false"),
        ({"SECRET_KEY": KEY, "LOG_LEVEL": "LOUD"}, "LOG_LEVEL", "one of"),
    ],
)
def test_invalid_values_name_the_variable(env: dict[str, str], variable: str, why: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(env)
    assert caught.value.variable == variable
    assert why in str(caught.value)


def test_secret_key_is_not_in_the_settings_repr() -> None:
    assert KEY not in repr(load_settings({"SECRET_KEY": KEY}))


def test_local_start_generates_and_keeps_a_secret_key(tmp_path: Path) -> None:
    first = local_environment({}, tmp_path)["SECRET_KEY"]
    second = local_environment({}, tmp_path)["SECRET_KEY"]
    assert first == second and len(first) >= 32
    assert (tmp_path / LOCAL_SECRET_FILE).stat().st_mode & 0o077 == 0


def test_production_database_without_secret_key_is_refused(tmp_path: Path) -> None:
    env = local_environment({"DATABASE_URL": "postgresql://db/app"}, tmp_path)
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        load_settings(env)
    assert not (tmp_path / LOCAL_SECRET_FILE).exists()


def test_cli_stops_with_one_clear_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "saleor_bexio_app", "migrate"],
        env={"PATH": "/usr/bin:/bin", "SECRET_KEY": KEY, "WORKER_CONCURRENCY": "-3"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "saleor-bexio: configuration error: WORKER_CONCURRENCY: "
        "must be a whole number of at least 1, got '-3'"
    ]
