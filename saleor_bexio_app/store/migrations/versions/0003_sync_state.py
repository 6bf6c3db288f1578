"""sync state: settings, VAT map, links, action and back-sync ledgers, cursors, pause

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 20:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _installation_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["installation_id"],
        ["installations.id"],
        name=op.f(f"fk_{table}_installation_id_installations"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "shop_settings",
        sa.Column("installation_id", sa.Integer(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        _installation_fk("shop_settings"),
        sa.PrimaryKeyConstraint("installation_id", name=op.f("pk_shop_settings")),
    )
    op.create_table(
        "vat_map",
        sa.Column("installation_id", sa.Integer(), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        _installation_fk("vat_map"),
        sa.PrimaryKeyConstraint("installation_id", name=op.f("pk_vat_map")),
    )
    op.create_table(
        "links",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("installation_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("saleor_id", sa.String(length=300), nullable=False),
        sa.Column("bexio_id", sa.BigInteger(), nullable=False),
        sa.Column("fingerprint", sa.String(length=128), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        _installation_fk("links"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_links")),
        sa.UniqueConstraint(
            "installation_id",
            "kind",
            "saleor_id",
            name=op.f("uq_links_installation_id_kind_saleor_id"),
        ),
    )
    with op.batch_alter_table("links", schema=None) as batch_op:
        batch_op.create_index(
            "ix_links_bexio_id", ["installation_id", "kind", "bexio_id"], unique=False
        )
    op.create_table(
        "actions_done",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("installation_id", sa.Integer(), nullable=False),
        sa.Column("saleor_order_id", sa.String(length=300), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("bexio_id", sa.BigInteger(), nullable=True),
        sa.Column("done_at", sa.DateTime(), nullable=False),
        _installation_fk("actions_done"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_actions_done")),
        sa.UniqueConstraint(
            "installation_id",
            "saleor_order_id",
            "action",
            name=op.f("uq_actions_done_installation_id_saleor_order_id_action"),
        ),
    )
    op.create_table(
        "back_sync_events",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("installation_id", sa.Integer(), nullable=False),
        sa.Column("saleor_order_id", sa.String(length=300), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=False),
        _installation_fk("back_sync_events"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_back_sync_events")),
        sa.UniqueConstraint(
            "installation_id",
            "saleor_order_id",
            "event",
            name=op.f("uq_back_sync_events_installation_id_saleor_order_id_event"),
        ),
    )
    op.create_table(
        "sync_cursors",
        sa.Column("installation_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        _installation_fk("sync_cursors"),
        sa.PrimaryKeyConstraint("installation_id", "name", name=op.f("pk_sync_cursors")),
    )
    # Adding nullable columns never rebuilds the table on SQLite (a rebuild would cascade).
    with op.batch_alter_table("installations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sync_paused_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("pause_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN (SQLite >= 3.35): a batch rebuild of `installations`
    # would drop the table, and with foreign keys on that cascades to every shop-owned row.
    op.drop_column("installations", "pause_reason")
    op.drop_column("installations", "sync_paused_at")
    op.drop_table("sync_cursors")
    op.drop_table("back_sync_events")
    op.drop_table("actions_done")
    with op.batch_alter_table("links", schema=None) as batch_op:
        batch_op.drop_index("ix_links_bexio_id")
    op.drop_table("links")
    op.drop_table("vat_map")
    op.drop_table("shop_settings")
