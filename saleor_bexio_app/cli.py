"""`saleor-bexio`: serve | worker | migrate."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import secrets
import signal
import sys
from collections.abc import Mapping, MutableMapping
from pathlib import Path

from saleor_bexio_app.settings import Settings, SettingsError, load_settings

LOCAL_SECRET_FILE = ".saleor-bexio-secret"


def local_environment(env: Mapping[str, str], cwd: Path) -> dict[str, str]:
    """The environment plus a generated SECRET_KEY for the zero-configuration local start.

    Only when no DATABASE_URL is set (the local SQLite file): the key is kept in a file beside
    that database so a restart can still read the stored tokens. Production sets SECRET_KEY.
    """
    result = dict(env)
    if result.get("SECRET_KEY") or result.get("DATABASE_URL"):
        return result
    path = cwd / LOCAL_SECRET_FILE
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    result["SECRET_KEY"] = path.read_text().strip()
    return result


def _configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)


def _settings_or_exit(env: MutableMapping[str, str]) -> Settings:
    try:
        return load_settings(local_environment(env, Path.cwd()))
    except SettingsError as exc:
        print(f"saleor-bexio: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _serve(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    from saleor_bexio_app.web.app import create_app

    uvicorn.run(create_app(settings), host=host, port=port, log_level=settings.log_level.lower())


async def _migrate(settings: Settings) -> None:
    from saleor_bexio_app.store.db import create_engine
    from saleor_bexio_app.store.migrate import upgrade

    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


async def _work(settings: Settings) -> None:
    from saleor_bexio_app.store.migrate import upgrade
    from saleor_bexio_app.web.app import make_worker
    from saleor_bexio_app.web.services import Deps, build_services

    services = build_services(settings, Deps())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await upgrade(services.engine)
        await make_worker(services).run(stop)
    finally:
        await services.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="saleor-bexio", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the app (web + embedded worker)")
    serve.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    commands.add_parser("worker", help="run a job worker only (scale-out)")
    commands.add_parser("migrate", help="apply database migrations and exit")
    args = parser.parse_args(argv)

    settings = _settings_or_exit(os.environ)
    _configure_logging(settings)
    if args.command == "serve":
        _serve(settings, args.host, args.port)
    elif args.command == "worker":
        asyncio.run(_work(settings))
    elif args.command == "migrate":
        asyncio.run(_migrate(settings))
        print("saleor-bexio: database is up to date")


if __name__ == "__main__":
    main()
