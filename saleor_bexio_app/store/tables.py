"""SQLAlchemy tables. Every shop-owned row carries `installation_id`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments INTEGER PRIMARY KEY, PostgreSQL gets a bigint identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out; stored naive-UTC so SQLite and PostgreSQL compare alike."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime, dict[str, Any]: JSON}


class InstallationRow(Base):
    """One Saleor shop that installed the app. At most one row per Saleor API URL.

    A reinstall gets a new app id and token from Saleor; it takes over the existing row so the
    shop's settings, links and action ledger survive (a reinstall never re-creates invoices).
    """

    __tablename__ = "installations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    saleor_api_url: Mapped[str] = mapped_column(String(500), unique=True)
    app_id: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="active")
    token_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    jwks: Mapped[dict[str, Any]] = mapped_column(JSON)
    jwks_fetched_at: Mapped[datetime]
    saleor_version: Mapped[str] = mapped_column(String(40), default="")
    shop_name: Mapped[str] = mapped_column(String(200), default="")
    installed_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    uninstalled_at: Mapped[datetime | None]
    # Set while the shop's sync is paused (too many open errors, bexio connection broken):
    # its jobs keep queuing but are not claimed; see store/error_log.py.
    sync_paused_at: Mapped[datetime | None]
    pause_reason: Mapped[str | None] = mapped_column(Text)


class JobRow(Base):
    """A unit of durable work: *what* changed (kind + key), never a stale payload to replay.

    state: queued -> running -> (deleted when done) | queued (retry) | parked.
    """

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    installation_id: Mapped[int] = mapped_column(ForeignKey("installations.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(60))
    key: Mapped[str] = mapped_column(String(300))
    state: Mapped[str] = mapped_column(String(10), default="queued")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    run_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    worker_id: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(String(20))
    user_message: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        # Coalescing: one queued job per (shop, kind, key).
        Index(
            "uq_jobs_queued",
            "installation_id",
            "kind",
            "key",
            unique=True,
            sqlite_where=text("state = 'queued'"),
            postgresql_where=text("state = 'queued'"),
        ),
        # Serialization: never two running jobs for one (shop, key), whatever their kind.
        Index(
            "uq_jobs_running",
            "installation_id",
            "key",
            unique=True,
            sqlite_where=text("state = 'running'"),
            postgresql_where=text("state = 'running'"),
        ),
        Index("ix_jobs_claim", "state", "run_at"),
    )


class ScheduleRow(Base):
    """A periodic job's next due time; advanced by compare-and-set so it fires once per period."""

    __tablename__ = "schedules"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    installation_id: Mapped[int] = mapped_column(ForeignKey("installations.id", ondelete="CASCADE"))
    next_run_at: Mapped[datetime]
    last_fired_at: Mapped[datetime | None]


class SyncErrorRow(Base):
    """The error log behind the dashboard's errors page: one open row per failing job target."""

    __tablename__ = "sync_errors"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    installation_id: Mapped[int] = mapped_column(ForeignKey("installations.id", ondelete="CASCADE"))
    job_id: Mapped[int | None] = mapped_column(BigId)
    kind: Mapped[str] = mapped_column(String(60))
    key: Mapped[str] = mapped_column(String(300))
    reason: Mapped[str] = mapped_column(String(20))
    user_message: Mapped[str] = mapped_column(Text)
    # The message's code and params (errors.py `MessageCode`) for the dashboard to translate.
    message_code: Mapped[str | None] = mapped_column(String(40))
    message_params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    detail: Mapped[str] = mapped_column(Text, default="")
    occurrences: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(12), default="open")
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]

    __table_args__ = (
        Index(
            "uq_sync_errors_open",
            "installation_id",
            "kind",
            "key",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )


class BexioConnectionRow(Base):
    """A shop's bexio connection: tokens encrypted; the row is also the refresh lock (lease)."""

    __tablename__ = "bexio_connections"

    installation_id: Mapped[int] = mapped_column(
        ForeignKey("installations.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(20))
    access_token_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    refresh_token_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    access_expires_at: Mapped[datetime | None]
    token_version: Mapped[int] = mapped_column(Integer, default=0)
    refreshing_by: Mapped[str | None] = mapped_column(String(100))
    refreshing_until: Mapped[datetime | None]
    company_id: Mapped[str] = mapped_column(String(100), default="")
    company_name: Mapped[str] = mapped_column(String(200), default="")
    user_id: Mapped[int | None] = mapped_column(Integer)
    user_name: Mapped[str] = mapped_column(String(200), default="")
    broken_reason: Mapped[str | None] = mapped_column(Text)
    connected_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class OAuthStateRow(Base):
    """A pending bexio login: single use, short-lived, the only source of the shop's identity."""

    __tablename__ = "oauth_states"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    installation_id: Mapped[int] = mapped_column(ForeignKey("installations.id", ondelete="CASCADE"))
    code_verifier_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class ShopSettingsRow(Base):
    """A shop's sync settings as versioned JSON (store/settings_codec.py)."""

    __tablename__ = "shop_settings"

    installation_id: Mapped[int] = mapped_column(
        ForeignKey("installations.id", ondelete="CASCADE"), primary_key=True
    )
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime]


class VatMapRow(Base):
    """A shop's VAT mapping as versioned JSON (store/settings_codec.py)."""

    __tablename__ = "vat_map"

    installation_id: Mapped[int] = mapped_column(
        ForeignKey("installations.id", ondelete="CASCADE"), primary_key=True
    )
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime]


class LinkRow(Base):
    """A Saleor object paired with its bexio object, per kind, with the last-sent fingerprint."""

    __tablename__ = "links"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    installation_id: Mapped[int] = mapped_column(ForeignKey("installations.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    saleor_id: Mapped[str] = mapped_column(String(300))
    bexio_id: Mapped[int] = mapped_column(BigInteger)
    fingerprint: Mapped[str | None] = mapped_column(String(128))
    updated_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("installation_id", "kind", "saleor_id"),
        Index("ix_links_bexio_id", "installation_id", "kind", "bexio_id"),
    )


class ActionDoneRow(Base):
    """The order-action ledger: each bexio action runs at most once per Saleor order."""

    __tablename__ = "actions_done"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    installation_id: Mapped[int] = mapped_column(ForeignKey("installations.id", ondelete="CASCADE"))
    saleor_order_id: Mapped[str] = mapped_column(String(300))
    action: Mapped[str] = mapped_column(String(30))
    bexio_id: Mapped[int | None] = mapped_column(BigInteger)
    done_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("installation_id", "saleor_order_id", "action"),)


class BackSyncEventRow(Base):
    """What bexio reported about an order's invoice (paid, cancelled) that the app acted on once."""

    __tablename__ = "back_sync_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    installation_id: Mapped[int] = mapped_column(ForeignKey("installations.id", ondelete="CASCADE"))
    saleor_order_id: Mapped[str] = mapped_column(String(300))
    event: Mapped[str] = mapped_column(String(40))
    done_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("installation_id", "saleor_order_id", "event"),)


class SyncCursorRow(Base):
    """A forward-only bookmark per shop and name (e.g. the bexio invoice poll)."""

    __tablename__ = "sync_cursors"

    installation_id: Mapped[int] = mapped_column(
        ForeignKey("installations.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]


class BackfillRow(Base):
    """A backfill of one entity created since a date: where it got to, for resuming and progress.

    status: running -> done | failed. `cursor` is Saleor's `endCursor` of the last listed page.
    """

    __tablename__ = "backfills"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    installation_id: Mapped[int] = mapped_column(ForeignKey("installations.id", ondelete="CASCADE"))
    entity: Mapped[str] = mapped_column(String(20))
    since: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(10), default="running")
    total: Mapped[int | None] = mapped_column(Integer)
    done: Mapped[int] = mapped_column(Integer, default=0)
    cursor: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # What a dry run found so far (counts and examples); None for other backfills.
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ProductPrintRow(Base):
    """The fingerprint of a product field's value as last synced, per Saleor variant.

    One row per field, so the push (webhooks) and the pull (periodic) can record their own
    fields at the same time without losing each other's. Besides the five product fields, the
    field `article` holds a hash of the linked article's bexio-master values as last handled,
    which lets the periodic pull skip unchanged articles without asking Saleor.
    """

    __tablename__ = "product_prints"

    installation_id: Mapped[int] = mapped_column(
        ForeignKey("installations.id", ondelete="CASCADE"), primary_key=True
    )
    variant_id: Mapped[str] = mapped_column(String(300), primary_key=True)
    field: Mapped[str] = mapped_column(String(20), primary_key=True)
    print: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime]


class ClaimRow(Base):
    """A short exclusive claim on some work of a shop (e.g. creating the bexio contact for one
    e-mail address), so two jobs that need the same new object do not both create it. A claim
    older than its time-to-live is taken over (its holder died)."""

    __tablename__ = "claims"

    installation_id: Mapped[int] = mapped_column(
        ForeignKey("installations.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(300), primary_key=True)
    claimed_at: Mapped[datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)
