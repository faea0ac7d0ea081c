"""Baseline: the schema of release 0.1 (commit 33191b6), which created its tables with `metadata.create_all`.

A database that release made has no alembic_version table; `trolyso db upgrade` recognises it and runs this
revision on it too: its tables and rows are kept as they are, and a table it lacks is created. (Release 0.1
created a module's tables only once that module had been imported by a process that opened the store, so a
commune that, say, never started the gateway has no `inbox` table.) On an empty database it creates everything.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TABLES = (
    "questions",
    "feedback",
    "handoffs",
    "subscriptions",
    "users",
    "sessions",
    "question_groups",
    "group_members",
    "news",
    "news_deliveries",
    "inbox",
    "outbox",
    "shown_options",
    "channel_tokens",
)


def _index(table: str, *columns: str) -> None:
    for column in columns:
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    missing = [name for name in TABLES if name not in existing]
    if "questions" in missing:
        op.create_table(
            "questions",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("channel", sa.String(length=32), nullable=False),
            sa.Column("user_hash", sa.String(length=64), nullable=False),
            sa.Column("text", sa.Text(), nullable=False),
            sa.Column("answered", sa.Boolean(), nullable=False),
            sa.Column("reason", sa.String(length=32), nullable=False),
            sa.Column("score", sa.Float(), nullable=False),
            sa.Column("sources", sa.Text(), nullable=False),
            sa.PrimaryKeyConstraint("id"),
        )
        _index("questions", "asked_at", "user_hash", "answered")
    if "feedback" in missing:
        op.create_table(
            "feedback",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("question_id", sa.Integer(), nullable=False),
            sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("helpful", sa.Boolean(), nullable=False),
            sa.Column("answer", sa.Text(), nullable=False),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("question_id"),
            sa.ForeignKeyConstraint(["question_id"], ["questions.id"]),
        )
        _index("feedback", "given_at", "helpful")
    if "handoffs" in missing:
        op.create_table(
            "handoffs",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("conversation_id", sa.String(length=128), nullable=False),
            sa.Column("channel", sa.String(length=32), nullable=False),
            sa.Column("user_hash", sa.String(length=64), nullable=False),
            sa.Column("status", sa.String(length=16), nullable=False),
            sa.Column("context", sa.Text(), nullable=False),
            sa.Column("taken_by", sa.String(length=64), nullable=True),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("id"),
        )
        _index("handoffs", "requested_at", "conversation_id", "status")
    if "subscriptions" in missing:
        op.create_table(
            "subscriptions",
            sa.Column("conversation_id", sa.String(length=128), nullable=False),
            sa.Column("channel", sa.String(length=32), nullable=False),
            sa.Column("user_hash", sa.String(length=64), nullable=False),
            sa.Column("active", sa.Boolean(), nullable=False),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("conversation_id"),
        )
        _index("subscriptions", "active")
    if "users" in missing:
        op.create_table(
            "users",
            sa.Column("username", sa.String(length=32), nullable=False),
            sa.Column("role", sa.String(length=8), nullable=False),
            sa.Column("password_hash", sa.String(length=256), nullable=False),
            sa.Column("active", sa.Boolean(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("username"),
        )
    if "sessions" in missing:
        op.create_table(
            "sessions",
            sa.Column("token_hash", sa.String(length=64), nullable=False),
            sa.Column("username", sa.String(length=32), nullable=False),
            sa.Column("csrf", sa.String(length=64), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("token_hash"),
        )
        _index("sessions", "username", "expires_at")
    if "question_groups" in missing:
        op.create_table(
            "question_groups",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("status", sa.String(length=16), nullable=False),
            sa.Column("label", sa.Text(), nullable=False),
            sa.Column("centroid", sa.LargeBinary(), nullable=False),
            sa.Column("terms", sa.Text(), nullable=False),
            sa.Column("size", sa.Integer(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("last_asked", sa.DateTime(timezone=True), nullable=False),
            sa.Column("closed_by", sa.String(length=32), nullable=True),
            sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("faq_path", sa.String(length=300), nullable=True),
            sa.Column("answer", sa.Text(), nullable=True),
            sa.Column("notified", sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint("id"),
        )
        _index("question_groups", "status", "last_asked")
    if "group_members" in missing:
        op.create_table(
            "group_members",
            # a plain integer key (the question's id), not a sequence
            sa.Column("question_id", sa.Integer(), autoincrement=False, nullable=False),
            sa.Column("group_id", sa.Integer(), nullable=False),
            sa.Column("conversation_id", sa.String(length=160), nullable=True),
            sa.Column("similarity", sa.Float(), nullable=False),
            sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
            sa.PrimaryKeyConstraint("question_id"),
            sa.ForeignKeyConstraint(["question_id"], ["questions.id"]),
            sa.ForeignKeyConstraint(["group_id"], ["question_groups.id"]),
        )
        _index("group_members", "group_id")
    if "news" in missing:
        op.create_table(
            "news",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("title", sa.String(length=200), nullable=False),
            sa.Column("body", sa.Text(), nullable=False),
            sa.Column("kind", sa.String(length=16), nullable=False),
            sa.Column("author", sa.String(length=64), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("status", sa.String(length=12), nullable=False),
            sa.Column("sent_by", sa.String(length=64), nullable=True),
            sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("to_channel", sa.Boolean(), nullable=False),
            sa.Column("channel_status", sa.String(length=12), nullable=False),
            sa.Column("channel_note", sa.Text(), nullable=False),
            sa.Column("channel_outbox_id", sa.Integer(), nullable=True),
            sa.Column("results", sa.Text(), nullable=False),
            sa.PrimaryKeyConstraint("id"),
        )
        _index("news", "created_at", "status")
    if "news_deliveries" in missing:
        op.create_table(
            "news_deliveries",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("news_id", sa.Integer(), nullable=False),
            sa.Column("conversation_id", sa.String(length=160), nullable=False),
            sa.Column("channel", sa.String(length=32), nullable=False),
            sa.Column("status", sa.String(length=12), nullable=False),
            sa.Column("reason", sa.Text(), nullable=False),
            sa.Column("outbox_id", sa.Integer(), nullable=True),
            sa.Column("at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("news_id", "conversation_id", name="uq_news_delivery"),
        )
        _index("news_deliveries", "news_id")
    if "inbox" in missing:
        op.create_table(
            "inbox",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("channel", sa.String(length=16), nullable=False),
            sa.Column("platform_id", sa.String(length=128), nullable=False),
            sa.Column("conversation_id", sa.String(length=160), nullable=False),
            sa.Column("recipient", sa.String(length=128), nullable=False),
            sa.Column("text", sa.Text(), nullable=False),
            sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("status", sa.String(length=12), nullable=False),
            sa.Column("attempts", sa.Integer(), nullable=False),
            sa.Column("next_try_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
            sa.Column("error", sa.Text(), nullable=True),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("channel", "platform_id", name="uq_inbox_platform_id"),
        )
        _index("inbox", "conversation_id", "status")
    if "outbox" in missing:
        op.create_table(
            "outbox",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("inbox_id", sa.Integer(), nullable=True),
            sa.Column("channel", sa.String(length=16), nullable=False),
            sa.Column("conversation_id", sa.String(length=160), nullable=False),
            sa.Column("recipient", sa.String(length=128), nullable=False),
            sa.Column("text", sa.Text(), nullable=False),
            sa.Column("buttons", sa.Text(), nullable=False),
            sa.Column("origin", sa.String(length=8), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("status", sa.String(length=16), nullable=False),
            sa.Column("attempts", sa.Integer(), nullable=False),
            sa.Column("next_try_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
            sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("error", sa.Text(), nullable=True),
            sa.PrimaryKeyConstraint("id"),
        )
        _index("outbox", "conversation_id", "status")
    if "shown_options" in missing:
        op.create_table(
            "shown_options",
            sa.Column("conversation_id", sa.String(length=160), nullable=False),
            sa.Column("options", sa.Text(), nullable=False),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("conversation_id"),
        )
    if "channel_tokens" in missing:
        op.create_table(
            "channel_tokens",
            sa.Column("name", sa.String(length=32), nullable=False),
            sa.Column("access_token", sa.Text(), nullable=False),
            sa.Column("refresh_token", sa.Text(), nullable=False),
            sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("version", sa.Integer(), nullable=False),
            sa.Column("seed", sa.String(length=64), nullable=False),
            sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("name"),
        )


def downgrade() -> None:
    for name in reversed(TABLES):
        op.drop_table(name)
