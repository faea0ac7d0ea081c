"""Non-text messages and followers: `inbox.kind` and `inbox.media_url`, and the `channel_events` counts.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-12
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbox") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=12), server_default="text", nullable=False))
        batch.add_column(sa.Column("media_url", sa.Text(), nullable=True))
    op.create_table(
        "channel_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_channel_events_at"), "channel_events", ["at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_channel_events_at"), table_name="channel_events")
    op.drop_table("channel_events")
    with op.batch_alter_table("inbox") as batch:
        batch.drop_column("media_url")
        batch.drop_column("kind")
