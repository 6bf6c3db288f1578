"""Settings from an injected mapping (the process environment in production, a dict in tests)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./saleor-bexio.sqlite3"
DEFAULT_ALLOWED_SALEOR_URLS = r"^https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?/"
DEFAULT_BEXIO_API_URL = "https://api.bexio.com"
DEFAULT_BEXIO_AUTH_URL = "https://auth.bexio.com/realms/bexio/protocol/openid-connect"
MIN_SECRET_KEY_LENGTH = 32


class SettingsError(ValueError):
    """A missing or invalid environment variable; the message names it and says why."""

    def __init__(self, variable: str, why: str) -> None:
        super().__init__(f"{variable}: {why}")
        self.variable = variable
        self.why = why


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the app reads from its environment."""

    secret_key: str = field(repr=False)
    database_url: str = DEFAULT_DATABASE_URL
    app_url: str = "http://localhost:8000"
    allowed_saleor_urls: re.Pattern[str] = re.compile(DEFAULT_ALLOWED_SALEOR_URLS)
    bexio_client_id: str = ""
    bexio_client_secret: str = field(default="", repr=False)
    bexio_api_url: str = DEFAULT_BEXIO_API_URL
    bexio_auth_url: str = DEFAULT_BEXIO_AUTH_URL
    log_level: str = "INFO"
    embedded_worker: bool = True
    worker_concurrency: int = 4
    job_lease_seconds: float = 60.0
    job_max_attempts: int = 8
    job_backoff_base_seconds: float = 5.0
    job_backoff_max_seconds: float = 3600.0
    jwks_refetch_interval_seconds: float = 10.0

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def normalize_database_url(url: str) -> str:
    """Give plain `sqlite://` and `postgresql://` URLs the async driver the app uses."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise SettingsError(
            "DATABASE_URL", "must look like sqlite+aiosqlite:///file or postgresql://..."
        )
    base, _, driver = scheme.partition("+")
    if base == "sqlite":
        if driver not in ("", "aiosqlite"):
            raise SettingsError(
                "DATABASE_URL", f"SQLite driver {driver!r} is not async; use aiosqlite"
            )
        return f"sqlite+aiosqlite://{rest}"
    if base in ("postgresql", "postgres"):
        if driver not in ("", "asyncpg", "psycopg"):
            raise SettingsError(
                "DATABASE_URL",
                f"PostgreSQL driver {driver!r} is not supported; use asyncpg or psycopg",
            )
        return f"postgresql+{driver or 'asyncpg'}://{rest}"
    raise SettingsError(
        "DATABASE_URL", f"database {base!r} is not supported; use sqlite or postgresql"
    )


def _http_url(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name, "").strip() or default
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(name, f"must be an absolute http(s) URL, got {value!r}")
    return value.rstrip("/")


def _number(env: Mapping[str, str], name: str, default: float, *, minimum: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(name, f"must be a number, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(name, f"must be at least {minimum:g}, got {raw!r}")
    return value


def _integer(env: Mapping[str, str], name: str, default: int, *, minimum: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < minimum:
        raise SettingsError(name, f"must be a whole number of at least {minimum}, got {raw!r}")
    return int(raw)


def _boolean(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(name, f"must be true or false, got {raw!r}")


def load_settings(env: Mapping[str, str]) -> Settings:
    """Read and validate settings; raise SettingsError naming the first bad variable."""
    secret_key = env.get("SECRET_KEY", "")
    if not secret_key:
        raise SettingsError(
            "SECRET_KEY", "is required: it encrypts the shop tokens stored by the app"
        )
    if len(secret_key) < MIN_SECRET_KEY_LENGTH:
        raise SettingsError(
            "SECRET_KEY", f"must be at least {MIN_SECRET_KEY_LENGTH} characters long"
        )
    pattern = env.get("ALLOWED_SALEOR_URLS", "").strip() or DEFAULT_ALLOWED_SALEOR_URLS
    try:
        allowed = re.compile(pattern)
    except re.error as exc:
        raise SettingsError(
            "ALLOWED_SALEOR_URLS", f"is not a valid regular expression ({exc})"
        ) from None
    log_level = env.get("LOG_LEVEL", "INFO").strip().upper() or "INFO"
    if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise SettingsError("LOG_LEVEL", "must be one of DEBUG, INFO, WARNING, ERROR")
    return Settings(
        secret_key=secret_key,
        database_url=normalize_database_url(
            env.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
        ),
        app_url=_http_url(env, "APP_URL", "http://localhost:8000"),
        allowed_saleor_urls=allowed,
        bexio_client_id=env.get("BEXIO_CLIENT_ID", "").strip(),
        bexio_client_secret=env.get("BEXIO_CLIENT_SECRET", "").strip(),
        bexio_api_url=_http_url(env, "BEXIO_API_URL", DEFAULT_BEXIO_API_URL),
        bexio_auth_url=_http_url(env, "BEXIO_AUTH_URL", DEFAULT_BEXIO_AUTH_URL),
        log_level=log_level,
        embedded_worker=_boolean(env, "EMBEDDED_WORKER", True),
        worker_concurrency=_integer(env, "WORKER_CONCURRENCY", 4, minimum=1),
        job_lease_seconds=_number(env, "JOB_LEASE_SECONDS", 60.0, minimum=1),
        job_max_attempts=_integer(env, "JOB_MAX_ATTEMPTS", 8, minimum=1),
        job_backoff_base_seconds=_number(env, "JOB_BACKOFF_BASE_SECONDS", 5.0, minimum=0),
        job_backoff_max_seconds=_number(env, "JOB_BACKOFF_MAX_SECONDS", 3600.0, minimum=0),
        jwks_refetch_interval_seconds=_number(
            env, "JWKS_REFETCH_INTERVAL_SECONDS", 10.0, minimum=0
        ),
    )
