"""product sync: per-field fingerprints per variant, dry-run reports of backfills

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 23:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "product_prints",
        sa.Column("installation_id", sa.Integer(), nullable=False),
        sa.Column("variant_id", sa.String(length=300), nullable=False),
        sa.Column("field", sa.String(length=20), nullable=False),
        sa.Column("print", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["installation_id"],
            ["installations.id"],
            name=op.f("fk_product_prints_installation_id_installations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "installation_id", "variant_id", "field", name=op.f("pk_product_prints")
        ),
    )
    with op.batch_alter_table("backfills") as batch:
        batch.add_column(sa.Column("report", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("backfills") as batch:
        batch.drop_column("report")
    op.drop_table("product_prints")
