"""Web-chat sessions: the server issues each web conversation a token and keeps only its hash.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("conversation_id", sa.String(length=160), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token_hash"),
        sa.UniqueConstraint("conversation_id", name="uq_web_sessions_conversation_id"),
    )
    op.create_index(op.f("ix_web_sessions_last_seen"), "web_sessions", ["last_seen"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_web_sessions_last_seen"), table_name="web_sessions")
    op.drop_table("web_sessions")
