"""Erasure on a resident's request (Nghị định 13/2023/NĐ-CP): "xóa dữ liệu của tôi", confirmed in the conversation
(actions/privacy.py), deletes what the store keeps of that one conversation, at once.

A resident is known by the conversation id the gateway gives Rasa ("zalo-oa:<user id>", "telegram:<chat id>",
"web:<random>"): it is the key of the queue, hand-offs, subscriptions, deliveries and numbered options, and its salted
hash (bot.text.hash_user_id) is the `user_hash` of their questions.

Deleted: their `questions` with the `feedback` and `group_members` rows of those questions; their finished `inbox`
and `outbox` rows; their `handoffs` (waiting or released), `news_deliveries`, `subscriptions` (active or not) and
`shown_options`.

Kept: the conversation's newest reply row, its text replaced by ERASED (see `_mark_newest_reply`). Pending queue
rows — the message being answered right now and replies not delivered yet (among them the reply that confirms the
erasure): they are finished moments later and go with the retention purge. A hand-off a team member
has taken (the bot does not read the conversation then, so the request cannot come in). The web chat's session row
(a token hash and the conversation id, no content): the browser needs it to read the confirmation, and it expires on
its own. Question groups keep their label and size, as in the retention purge (bot/team/retention.py).

The same batched SQLAlchemy Core deletes as the retention purge, on SQLite and PostgreSQL. One audit-log entry: the
channel and the salted hash of the conversation id, and the counts; never content.
"""

from __future__ import annotations

from sqlalchemy import Column, ColumnElement, Table, func, select, update

from bot.status import AuditAction, HandoffStatus
from bot.store import Store
from bot.store.schema import handoffs, inbox, news_deliveries, outbox, questions, shown_options, subscriptions
from bot.team.audit import AuditLog
from bot.team.retention import BATCH, INBOX_FINISHED, OUTBOX_FINISHED, DeletedRows, delete_questions, delete_rows
from bot.text import hash_user_id

RESIDENT = "resident"  # the audit log's account for a resident's own request: "resident:<channel>"
ERASED = "(đã xoá theo yêu cầu của người dân)"  # what the kept newest reply row says instead (the console shows it)


def _mark_newest_reply(store: Store, conversation_id: str) -> int | None:
    """Keep the conversation's newest outbox row, its text replaced by ERASED, and return its id. SQLite gives a new row
    the highest id + 1: were the newest rows deleted, the reply confirming the erasure could get an id the web chat has
    already counted past (it asks for the replies after the last id it saw) and never be shown."""
    with store.engine.begin() as conn:
        newest = conn.execute(select(func.max(outbox.c.id)).where(outbox.c.conversation_id == conversation_id)).scalar()
        if newest is not None:
            conn.execute(
                update(outbox).where((outbox.c.id == newest) & OUTBOX_FINISHED).values(text=ERASED, buttons="[]")
            )
    return newest


def _tables(conversation_id: str, keep: int | None) -> list[tuple[str, Table, Column, ColumnElement[bool]]]:
    """The tables keyed by the conversation id: (report field, table, key column, what goes)."""
    replies = (outbox.c.conversation_id == conversation_id) & OUTBOX_FINISHED
    return [
        ("inbox", inbox, inbox.c.id, (inbox.c.conversation_id == conversation_id) & INBOX_FINISHED),
        ("outbox", outbox, outbox.c.id, replies if keep is None else replies & (outbox.c.id != keep)),
        (
            "handoffs",
            handoffs,
            handoffs.c.id,
            (handoffs.c.conversation_id == conversation_id) & (handoffs.c.status != HandoffStatus.TAKEN),
        ),
        (
            "news_deliveries",
            news_deliveries,
            news_deliveries.c.id,
            news_deliveries.c.conversation_id == conversation_id,
        ),
        (
            "subscriptions",
            subscriptions,
            subscriptions.c.conversation_id,
            subscriptions.c.conversation_id == conversation_id,
        ),
        (
            "shown_options",
            shown_options,
            shown_options.c.conversation_id,
            shown_options.c.conversation_id == conversation_id,
        ),
    ]


def erase_resident(store: Store, conversation_id: str, *, channel: str, batch: int = BATCH) -> DeletedRows:
    """Delete what the store keeps of one resident's conversation (see the module's docstring) and record it in the
    audit log as `resident:<channel>`, with the salted hash of the conversation id and the counts."""
    if not conversation_id:
        raise ValueError("no conversation id")
    user_hash = hash_user_id(conversation_id, store.user_salt)
    found = delete_questions(store, questions.c.user_hash == user_hash, batch)
    keep = _mark_newest_reply(store, conversation_id)
    for name, table, key, where in _tables(conversation_id, keep):
        found[name] = delete_rows(store, table, key, where, batch)
    report = DeletedRows(**found)
    AuditLog(store).record(f"{RESIDENT}:{channel}", AuditAction.RESIDENT_ERASED, user_hash, report.describe())
    return report
