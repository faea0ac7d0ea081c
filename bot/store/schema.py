"""Every table of the store, in one place. The schema changes only through migrations
(bot/store/migrations/); `Store` never creates tables by itself."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from bot.status import MessageKind, Origin

metadata = MetaData()


# --- from bot/store/__init__.py ---
questions = Table(
    "questions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("asked_at", DateTime(timezone=True), nullable=False, index=True),
    Column("channel", String(32), nullable=False),
    Column("user_hash", String(64), nullable=False, index=True),
    Column("text", Text, nullable=False),  # masked
    Column("answered", Boolean, nullable=False, index=True),
    Column("reason", String(32), nullable=False),  # answered | no_match | out_of_scope | personal_data
    Column("score", Float, nullable=False),
    Column("sources", Text, nullable=False, default="[]"),  # JSON list of {title, path, section}
)

# --- from bot/store/__init__.py ---
# A resident's verdict on one knowledge answer ("Hữu ích" / "Chưa đúng"); one row per answer, the last tap wins.
feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("question_id", Integer, ForeignKey("questions.id"), nullable=False, unique=True),
    Column("given_at", DateTime(timezone=True), nullable=False, index=True),
    Column("helpful", Boolean, nullable=False, index=True),
    Column("answer", Text, nullable=False),  # the text the resident read (masked)
)

# --- from bot/store/__init__.py ---
# Conversations waiting for (or taken by) a person of the community digital team. The conversation id is the
# platform-scoped id the gateway gave Rasa (e.g. "telegram:12345"): the team's reply must reach that chat.
handoffs = Table(
    "handoffs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("requested_at", DateTime(timezone=True), nullable=False, index=True),
    Column("conversation_id", String(128), nullable=False, index=True),
    Column("channel", String(32), nullable=False),
    Column("user_hash", String(64), nullable=False),
    Column("status", String(16), nullable=False, index=True),  # waiting | taken | released
    Column("context", Text, nullable=False, default=""),  # what the resident was doing (masked)
    Column("taken_by", String(64)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# --- from bot/store/__init__.py ---
# Residents who asked for news ("đăng ký nhận tin"); unsubscribing keeps the row with active = false.
subscriptions = Table(
    "subscriptions",
    metadata,
    Column("conversation_id", String(128), primary_key=True),
    Column("channel", String(32), nullable=False),
    Column("user_hash", String(64), nullable=False),
    Column("active", Boolean, nullable=False, index=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# --- from bot/team/accounts.py ---
users = Table(
    "users",
    metadata,
    Column("username", String(32), primary_key=True),
    Column("role", String(8), nullable=False),
    Column("password_hash", String(256), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# --- from bot/team/accounts.py ---
sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("username", String(32), nullable=False, index=True),
    Column("csrf", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
)

# --- from bot/team/audit.py ---
# Who did what in the console (and through `trolyso user`): never a resident's words, only ids and short notes.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("username", String(64), nullable=False, index=True),  # the account (or the name tried at a login)
    Column("action", String(32), nullable=False),  # bot.status.AuditAction
    Column("target", String(300), nullable=False, default=""),  # group/news/hand-off id, file path, account
    Column("detail", String(300), nullable=False, default=""),  # a short note (a client address, a status)
)

# --- from bot/team/groups.py ---
question_groups = Table(
    "question_groups",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("status", String(16), nullable=False, index=True),  # open | answered | out_of_scope
    Column("label", Text, nullable=False),  # the first wording (masked)
    Column("centroid", LargeBinary, nullable=False),  # float32 sum of the members' meaning vectors
    Column("terms", Text, nullable=False, default="{}"),  # JSON: summed tf-idf weights of their words
    Column("size", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_asked", DateTime(timezone=True), nullable=False, index=True),
    Column("closed_by", String(32)),
    Column("closed_at", DateTime(timezone=True)),
    Column("faq_path", String(300)),  # knowledge/ path of the FAQ written from it
    Column("answer", Text),  # the team's answer (history)
    Column("notified", Integer, nullable=False, default=0),  # residents the answer was sent to
)

# --- from bot/team/groups.py ---
group_members = Table(
    "group_members",
    metadata,
    Column("question_id", Integer, ForeignKey("questions.id"), primary_key=True),
    Column("group_id", Integer, ForeignKey("question_groups.id"), nullable=False, index=True),
    Column("conversation_id", String(160)),  # where an answer can be sent ("telegram:123")
    Column("similarity", Float, nullable=False),
    Column("notified_at", DateTime(timezone=True)),
)

# --- from bot/team/news.py ---
news = Table(
    "news",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("kind", String(16), nullable=False),  # activity | warning
    Column("author", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("status", String(12), nullable=False, index=True),  # draft | sending | sent
    Column("sent_by", String(64)),
    Column("claimed_at", DateTime(timezone=True)),  # last sign of life of the send in progress
    Column("sent_at", DateTime(timezone=True)),
    Column("to_channel", Boolean, nullable=False, default=False),  # also post to the Telegram channel
    Column("channel_status", String(12), nullable=False, default=""),  # "" | posting | queued | skipped | off
    Column("channel_note", Text, nullable=False, default=""),  # why the channel post did not go
    Column("channel_outbox_id", Integer),
    Column("results", Text, nullable=False, default="{}"),  # JSON per channel: subscribers, queued, skipped, why
)

# --- from bot/team/news.py ---
news_deliveries = Table(
    "news_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("news_id", Integer, nullable=False, index=True),
    Column("conversation_id", String(160), nullable=False),
    Column("channel", String(32), nullable=False),
    Column("status", String(12), nullable=False),  # queued | skipped
    Column("reason", Text, nullable=False, default=""),
    Column("outbox_id", Integer),  # the last queued part (delivery status)
    Column("at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("news_id", "conversation_id", name="uq_news_delivery"),
)

# --- from connectors/queue.py ---
inbox = Table(
    "inbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel", String(16), nullable=False),
    Column("platform_id", String(128), nullable=False),  # the platform's message/update id (de-duplication)
    Column("conversation_id", String(160), nullable=False, index=True),  # "<channel>:<recipient>"
    Column("recipient", String(128), nullable=False),  # where replies go: user id / chat id
    Column("text", Text, nullable=False),  # raw until processed, then masked
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("status", String(12), nullable=False, index=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_try_at", DateTime(timezone=True), nullable=False),
    Column("lease_until", DateTime(timezone=True)),
    Column("error", Text),
    # what was sent (bot.status.MessageKind): text, a voice note, a picture… (revision 0004)
    Column("kind", String(12), nullable=False, server_default=MessageKind.TEXT.value),
    Column("media_url", Text),  # the platform's link to the file, where it gives one (for the team)
    UniqueConstraint("channel", "platform_id", name="uq_inbox_platform_id"),
)

# --- from connectors/queue.py ---
# One row per non-text message, follow or unfollow a channel delivered: counts for the reports, never who or what.
channel_events = Table(
    "channel_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel", String(16), nullable=False),
    Column("kind", String(12), nullable=False),  # bot.status.MessageKind (never text)
    Column("at", DateTime(timezone=True), nullable=False, index=True),
)

# --- from connectors/queue.py ---
outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("inbox_id", Integer),  # the message this answers (none for team/news)
    Column("channel", String(16), nullable=False),
    Column("conversation_id", String(160), nullable=False, index=True),
    Column("recipient", String(128), nullable=False),
    Column("text", Text, nullable=False),
    Column("buttons", Text, nullable=False, default="[]"),  # JSON [{title, payload}] for this part
    Column("origin", String(8), nullable=False, default=Origin.BOT),  # bot | team | news (bot.status.Origin)
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_try_at", DateTime(timezone=True), nullable=False),
    Column("lease_until", DateTime(timezone=True)),
    Column("sent_at", DateTime(timezone=True)),
    Column("error", Text),
)

# --- from connectors/queue.py ---
# The numbered options last shown to a resident on a channel without buttons (or with too many): "2" → payload.
shown_options = Table(
    "shown_options",
    metadata,
    Column("conversation_id", String(160), primary_key=True),
    Column("options", Text, nullable=False),  # JSON [{title, payload}]
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# --- from connectors/channels/zalo_oa.py ---
channel_tokens = Table(
    "channel_tokens",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("access_token", Text, nullable=False),
    Column("refresh_token", Text, nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False, default=0),
    Column("seed", String(64), nullable=False, default=""),  # hash of the env pair it started from
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# --- from connectors/web_sessions.py ---
# A web-chat conversation and the token its browser holds (cookie or X-Chat-Token header): only the token's SHA-256
# is kept, so the table never gives a conversation away. The conversation id ("web:<random>") is the server's.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("conversation_id", String(160), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=False, index=True),
    UniqueConstraint("conversation_id", name="uq_web_sessions_conversation_id"),
)
