"""`saleor-bexio`: serve | worker | migrate | settings | vat-map | resync | sandbox."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import secrets
import signal
import sys
from collections.abc import Mapping, MutableMapping
from datetime import date
from pathlib import Path
from typing import Any

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


# Libraries that log every request line, whole GraphQL bodies (customer e-mails and addresses)
# or SQL parameters; kept at WARNING even when LOG_LEVEL is DEBUG.
QUIET_LOGGERS = ("httpx", "gql.transport", "aiosqlite")


def _configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def _settings_or_exit(env: MutableMapping[str, str]) -> Settings:
    try:
        return load_settings(local_environment(env, Path.cwd()))
    except SettingsError as exc:
        print(f"saleor-bexio: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


class HideQueryStrings(logging.Filter):
    """Drops the query string from uvicorn's access lines: the OAuth callback's carries bexio's
    one-time code and state, which have no place in a log."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        return True


def _serve(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    from saleor_bexio_app.web.app import create_app

    config = uvicorn.Config(
        create_app(settings), host=host, port=port, log_level=settings.log_level.lower()
    )
    # After Config, which sets up uvicorn's loggers.
    logging.getLogger("uvicorn.access").addFilter(HideQueryStrings())
    uvicorn.Server(config).run()


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


def _sandbox(port: int, database_url: str | None) -> None:
    from saleor_bexio_app.sandbox.run import serve_sandbox

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    asyncio.run(serve_sandbox(port, database_url=database_url))


def _fail(message: str) -> SystemExit:
    print(f"saleor-bexio: {message}", file=sys.stderr)
    return SystemExit(1)


def _read_document(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise _fail(f"cannot read {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise _fail(f"{path} is not valid JSON: {exc}") from None


async def _shop_document(settings: Settings, what: str, shop_url: str, file: Path | None) -> None:
    """Print (file is None) or validate and save a shop's settings or VAT mapping document."""
    from saleor_bexio_app.errors import ConfigError
    from saleor_bexio_app.ids import SaleorApiUrl
    from saleor_bexio_app.store.db import create_engine, session_factory
    from saleor_bexio_app.store.repos import InstallationRepo
    from saleor_bexio_app.store.secrets import SecretBox
    from saleor_bexio_app.store.settings_codec import (
        shop_settings_from_json,
        shop_settings_to_json,
        tax_mapping_from_json,
        tax_mapping_to_json,
    )
    from saleor_bexio_app.store.sync_repo import SqlSyncRepo

    document = None if file is None else _read_document(file)
    engine = create_engine(settings.database_url)
    try:
        sessions = session_factory(engine)
        async with sessions() as session:
            installation = await InstallationRepo(SecretBox(settings.secret_key)).find(
                session, SaleorApiUrl(shop_url)
            )
        if installation is None:
            raise _fail(f"no shop installed the app with the Saleor API URL {shop_url}")
        repo = SqlSyncRepo(sessions)
        shop = installation.id
        shown: dict[str, Any] = {}
        try:
            if what == "settings":
                if document is None:
                    shown = shop_settings_to_json(await repo.shop_settings(shop))
                else:
                    problems = await repo.save_shop_settings(
                        shop, shop_settings_from_json(document)
                    )
                    for problem in problems:
                        print(f"warning: {problem.setting}: {problem.message}", file=sys.stderr)
            elif document is None:
                shown = tax_mapping_to_json(await repo.tax_mapping(shop))
            else:
                await repo.save_tax_mapping(shop, tax_mapping_from_json(document))
        except ConfigError as exc:
            raise _fail(exc.user_message) from None
    finally:
        await engine.dispose()
    if document is None:
        print(json.dumps(shown, indent=2, ensure_ascii=False))
    else:
        print(f"saleor-bexio: {what} saved for {shop_url}")


def _since_or_exit(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        print(f"saleor-bexio: --since must be a date like 2026-01-31: {value!r}", file=sys.stderr)
        raise SystemExit(2) from None


async def _resync(settings: Settings, shop_url: str, entity: str, since: date, wait: bool) -> None:
    """Start a backfill; with `wait`, run a worker here until it is done, printing progress."""
    from saleor_bexio_app.ids import SaleorApiUrl
    from saleor_bexio_app.jobs.backfill import (
        DONE,
        FAILED,
        BackfillEntity,
        backfill_progress,
        start_backfill,
    )
    from saleor_bexio_app.store.migrate import upgrade
    from saleor_bexio_app.web.app import make_worker
    from saleor_bexio_app.web.services import Deps, build_services

    services = build_services(settings, Deps())
    try:
        await upgrade(services.engine)
        async with services.sessions() as session:
            installation = await services.installations.find(session, SaleorApiUrl(shop_url))
        if installation is None:
            print(
                f"saleor-bexio: no shop installed the app with the Saleor API URL {shop_url}",
                file=sys.stderr,
            )
            raise SystemExit(2)
        shop = installation.id
        backfill_id = await start_backfill(
            services.sessions, shop, BackfillEntity(entity), since, now=services.clock()
        )
        if entity.startswith("products"):
            print(f"backfill {backfill_id} started: {entity}")
        else:
            print(f"backfill {backfill_id} started: {entity} created since {since.isoformat()}")
        if not wait:
            return
        worker = make_worker(services, with_schedules=False)
        while True:
            ran = await worker.run_once()
            [progress] = [
                p for p in await backfill_progress(services.sessions, shop) if p.id == backfill_id
            ]
            total = "?" if progress.total is None else str(progress.total)
            print(f"backfill {backfill_id}: {progress.status} {progress.done}/{total}")
            if progress.status == FAILED:
                raise SystemExit(1)
            if progress.status == DONE and not ran:
                if progress.report is not None:
                    print(json.dumps(progress.report, indent=2, ensure_ascii=False))
                return
            if not ran:
                pause = await services.error_log.pause_state(shop)
                if pause is not None:
                    print(f"saleor-bexio: the shop's sync is paused: {pause.reason}")
                    raise SystemExit(1)
                await asyncio.sleep(1.0)
    finally:
        await services.close()


def _add_document_commands(commands: Any, name: str, what: str) -> None:
    parser = commands.add_parser(name, help=f"show or set a shop's {what} (JSON)")
    actions = parser.add_subparsers(dest="action", required=True)
    show = actions.add_parser("show", help=f"print the shop's {what} as JSON")
    show.add_argument("--shop", required=True, help="the shop's Saleor API URL")
    put = actions.add_parser(
        "set", help=f"validate and save {what} from a JSON file (missing keys take the defaults)"
    )
    put.add_argument("--shop", required=True, help="the shop's Saleor API URL")
    put.add_argument("--file", required=True, type=Path, help="the JSON document to save")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="saleor-bexio", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the app (web + embedded worker)")
    serve.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    commands.add_parser("worker", help="run a job worker only (scale-out)")
    commands.add_parser("migrate", help="apply database migrations and exit")
    _add_document_commands(commands, "settings", "sync settings")
    resync = commands.add_parser(
        "resync",
        help="queue a sync of every order or customer created since a date, or of all products",
    )
    resync.add_argument("--shop", required=True, help="the shop's Saleor API URL")
    resync.add_argument(
        "--entity",
        required=True,
        choices=["orders", "customers", "products", "products_dry_run"],
        help="products_dry_run only reports what the product sync would change",
    )
    resync.add_argument(
        "--since", help="first creation date, YYYY-MM-DD (UTC); orders and customers only"
    )
    resync.add_argument(
        "--wait", action="store_true", help="run the sync here until the backfill is done"
    )
    _add_document_commands(commands, "vat-map", "VAT mapping")
    sandbox = commands.add_parser(
        "sandbox", help="run the app with a Saleor double, a bexio emulator and a dashboard page"
    )
    sandbox.add_argument("--port", type=int, default=8000, help="the app's port (0: any free)")
    sandbox.add_argument(
        "--database-url", default=None, help="default: SQLite in a temporary directory"
    )
    args = parser.parse_args(argv)

    if args.command == "sandbox":
        _sandbox(args.port, args.database_url)
        return

    settings = _settings_or_exit(os.environ)
    _configure_logging(settings)
    if args.command == "serve":
        _serve(settings, args.host, args.port)
    elif args.command == "worker":
        asyncio.run(_work(settings))
    elif args.command == "migrate":
        asyncio.run(_migrate(settings))
        print("saleor-bexio: database is up to date")
    elif args.command in ("settings", "vat-map"):
        file = args.file if args.action == "set" else None
        asyncio.run(_shop_document(settings, args.command, args.shop, file))
    elif args.command == "resync":
        if args.since is None and not args.entity.startswith("products"):
            print(f"saleor-bexio: --since is needed for {args.entity}", file=sys.stderr)
            raise SystemExit(2)
        since = _since_or_exit(args.since) if args.since else date.today()
        asyncio.run(_resync(settings, args.shop, args.entity, since, args.wait))


if __name__ == "__main__":
    main()
