"""error log: message code and params, so the dashboard can translate the merchant message

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 00:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sync_errors") as batch:
        batch.add_column(sa.Column("message_code", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("message_params", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sync_errors") as batch:
        batch.drop_column("message_params")
        batch.drop_column("message_code")
