"""The message queue that makes the gateway lose nothing: every inbound message is written here before the
platform gets its acknowledgement, and every reply is written here before it is sent.

inbox   one row per resident message (unique per channel and platform message id: a retried delivery is a
        duplicate, never a second reply). pending → done (replies queued) | held (the team has the chat).
outbox  one row per message part to send (already split and rendered for its channel).
        pending → sent | undeliverable (the platform refuses for good: outside its window, quota…).

Rows are processed oldest first per conversation, so a resident's replies go out in order; a row is
"leased" while a worker handles it, so a crashed or restarted gateway hands it to the next worker. The
tables live in the project's store (SQLite by default, PostgreSQL for scale-out).
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass, field
from typing import NamedTuple

from sqlalchemy import (
    Table,
    and_,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from bot.clock import as_utc, utcnow
from bot.status import InboxStatus, MessageKind, Origin, OutboxStatus
from bot.store import Store, inserted_id
from bot.store.schema import channel_events, inbox, outbox, shown_options
from bot.text import mask_personal_numbers, nfc
from connectors.messages import Inbound, Part


@dataclass
class Row:
    id: int
    channel: str
    conversation_id: str
    recipient: str
    text: str
    attempts: int
    buttons: list[dict] = field(default_factory=list)
    received_at: _dt.datetime | None = None
    origin: str = Origin.BOT  # outbox rows: who wrote it (bot.status.Origin)
    fresh: bool = False  # take_web_replies: handed over for the first time by this call
    kind: MessageKind = MessageKind.TEXT  # inbox rows: what was sent (a voice note, a follow…)
    media_url: str = ""  # inbox rows: the platform's link to the file, if it gave one


class Accepted(NamedTuple):
    """What storing a resident's message did: its inbox id, or (None, False) for a duplicate delivery."""

    id: int | None
    new: bool


class Backlog(NamedTuple):
    """A queue's pending rows: how many, and when the oldest arrived (None when there are none)."""

    depth: int
    oldest: _dt.datetime | None


class Ready(NamedTuple):
    """A row a worker may claim now: the oldest pending one of its conversation."""

    id: int
    conversation_id: str


def _pending(table: Table) -> str:
    return InboxStatus.PENDING if table is inbox else OutboxStatus.PENDING


class MessageQueue:
    def __init__(self, store: Store, lease_seconds: float = 120.0):
        self.store = store
        self.engine = store.engine
        self.lease = _dt.timedelta(seconds=lease_seconds)

    # --- inbound ---------------------------------------------------------------------------------
    def accept(self, message: Inbound) -> Accepted:
        """Store a resident's message. Returns (id, True) when new, (None, False) for a duplicate delivery.
        A new message of another kind than text (a voice note, a picture, a follow…) is also counted in
        `channel_events`, in the same transaction: the channel, the kind and the time, nothing of who or what."""
        t = utcnow()
        kind = MessageKind(message.kind)
        try:
            with self.engine.begin() as conn:
                new_id = inserted_id(
                    conn.execute(
                        insert(inbox).values(
                            channel=message.channel,
                            platform_id=str(message.platform_id)[:128],
                            conversation_id=message.conversation_id[:160],
                            recipient=str(message.recipient)[:128],
                            text=nfc(message.text)[:4000],
                            received_at=t,
                            status=InboxStatus.PENDING,
                            attempts=0,
                            next_try_at=t,
                            kind=kind,
                            media_url=message.media_url[:1000] or None,
                        )
                    )
                )
                if kind != MessageKind.TEXT:
                    conn.execute(insert(channel_events).values(channel=message.channel, kind=kind, at=t))
            return Accepted(new_id, True)
        except IntegrityError:
            return Accepted(None, False)

    def _ready(self, table: Table, limit: int) -> list[Ready]:
        """Per conversation, the oldest pending row, if it is due and not leased by another worker. Web-chat
        replies are fetched by the widget, never pushed."""
        t = utcnow()
        pending = table.c.status == _pending(table)
        if table is outbox:
            pending = and_(pending, table.c.channel != "web")
        oldest = select(func.min(table.c.id)).where(pending).group_by(table.c.conversation_id)
        stmt = (
            select(table.c.id, table.c.conversation_id)
            .where(
                table.c.id.in_(oldest),
                table.c.next_try_at <= t,
                or_(table.c.lease_until.is_(None), table.c.lease_until < t),
            )
            .order_by(table.c.id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [Ready(r.id, r.conversation_id) for r in conn.execute(stmt)]

    def _claim(self, table: Table, row_id: int) -> Row | None:
        t = utcnow()
        with self.engine.begin() as conn:
            done = conn.execute(
                update(table)
                .where(
                    table.c.id == row_id,
                    table.c.status == _pending(table),
                    or_(table.c.lease_until.is_(None), table.c.lease_until < t),
                )
                .values(lease_until=t + self.lease)
            )
            if done.rowcount != 1:
                return None
            r = conn.execute(select(table).where(table.c.id == row_id)).one()._mapping
        return Row(
            id=r["id"],
            channel=r["channel"],
            conversation_id=r["conversation_id"],
            recipient=r["recipient"],
            text=r["text"],
            attempts=r["attempts"],
            buttons=json.loads(r["buttons"]) if "buttons" in r else [],
            received_at=as_utc(r["received_at"]) if "received_at" in r else None,
            origin=r["origin"] if "origin" in r else Origin.BOT,
            kind=MessageKind(r["kind"]) if "kind" in r else MessageKind.TEXT,
            media_url=(r["media_url"] or "") if "media_url" in r else "",
        )

    def ready_inbound(self, limit: int = 64) -> list[Ready]:
        return self._ready(inbox, limit)

    def renew_inbound(self, row: Row) -> None:
        """Extend a claimed message's lease while it is being answered (Rasa can take longer than a lease)."""
        with self.engine.begin() as conn:
            conn.execute(
                update(inbox)
                .where(inbox.c.id == row.id, inbox.c.status == InboxStatus.PENDING)
                .values(lease_until=utcnow() + self.lease)
            )

    def claim_inbound(self, row_id: int) -> Row | None:
        return self._claim(inbox, row_id)

    def complete(self, row: Row, parts: list[Part], options: list[dict] | None = None) -> list[int]:
        """The message was answered: queue its reply parts and close it, in one transaction (so a crash
        either loses neither or keeps both). `options` are the numbered choices shown, for "2" → payload."""
        with self.engine.begin() as conn:
            ids = self._insert_parts(
                conn, row.channel, row.recipient, row.conversation_id, parts, Origin.BOT, inbox_id=row.id
            )
            conn.execute(
                update(inbox)
                .where(inbox.c.id == row.id)
                .values(status=InboxStatus.DONE, lease_until=None, text=mask_personal_numbers(row.text), error=None)
            )
            if options is not None:
                self._save_options(conn, row.conversation_id, options)
        return ids

    def hold(self, row: Row) -> None:
        """The community digital team has this conversation: keep the message for them, the bot stays silent."""
        with self.engine.begin() as conn:
            conn.execute(
                update(inbox)
                .where(inbox.c.id == row.id)
                .values(status=InboxStatus.HELD, lease_until=None, text=mask_personal_numbers(row.text))
            )

    def retry_inbound(self, row: Row, error: str, delay: float) -> None:
        self._retry(inbox, row, error, delay)

    def _retry(self, table: Table, row: Row, error: str, delay: float) -> None:
        """Not done this time: try again after `delay` seconds (the lease is given back)."""
        with self.engine.begin() as conn:
            conn.execute(
                update(table)
                .where(table.c.id == row.id)
                .values(
                    attempts=row.attempts + 1,
                    next_try_at=utcnow() + _dt.timedelta(seconds=delay),
                    lease_until=None,
                    error=error[:500],
                )
            )

    # --- outbound --------------------------------------------------------------------------------
    def ready_outbound(self, limit: int = 64) -> list[Ready]:
        return self._ready(outbox, limit)

    def claim_outbound(self, row_id: int) -> Row | None:
        return self._claim(outbox, row_id)

    def mark_sent(self, row: Row) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(outbox)
                .where(outbox.c.id == row.id)
                .values(
                    status=OutboxStatus.SENT, sent_at=utcnow(), lease_until=None, attempts=row.attempts + 1, error=None
                )
            )

    def mark_undeliverable(self, row: Row, reason: str) -> None:
        """The platform will never take this message (e.g. outside its reply window): record it for the team
        and move on, so the resident's later messages are not blocked behind it."""
        with self.engine.begin() as conn:
            conn.execute(
                update(outbox)
                .where(outbox.c.id == row.id)
                .values(
                    status=OutboxStatus.UNDELIVERABLE, lease_until=None, attempts=row.attempts + 1, error=reason[:500]
                )
            )

    def retry_outbound(self, row: Row, error: str, delay: float) -> None:
        self._retry(outbox, row, error, delay)

    def enqueue(
        self, channel: str, recipient: str, parts: list[Part], origin: Origin, options: list[dict] | None = None
    ) -> list[int]:
        """Queue a message that answers no inbound row: a team member's reply, or news."""
        conversation_id = f"{channel}:{recipient}"
        with self.engine.begin() as conn:
            ids = self._insert_parts(conn, channel, recipient, conversation_id, parts, origin)
            if options is not None:
                self._save_options(conn, conversation_id, options)
        return ids

    @staticmethod
    def _insert_parts(
        conn,
        channel: str,
        recipient: str,
        conversation_id: str,
        parts: list[Part],
        origin: Origin,
        inbox_id: int | None = None,
    ) -> list[int]:
        """Queue the parts of one message (origin bot|team|news), in the caller's transaction; their ids."""
        t = utcnow()
        return [
            inserted_id(
                conn.execute(
                    insert(outbox).values(
                        inbox_id=inbox_id,
                        channel=channel,
                        conversation_id=conversation_id,
                        recipient=recipient,
                        text=p.text,
                        buttons=json.dumps(p.buttons, ensure_ascii=False),
                        origin=origin,
                        created_at=t,
                        status=OutboxStatus.PENDING,
                        attempts=0,
                        next_try_at=t,
                    )
                )
            )
            for p in parts
        ]

    # --- numbered options ------------------------------------------------------------------------
    def _save_options(self, conn, conversation_id: str, options: list[dict]) -> None:
        if not options:
            return
        values = {"options": json.dumps(options, ensure_ascii=False), "updated_at": utcnow()}
        if (
            conn.execute(
                update(shown_options).where(shown_options.c.conversation_id == conversation_id).values(**values)
            ).rowcount
            == 0
        ):
            conn.execute(insert(shown_options).values(conversation_id=conversation_id, **values))

    def option_payload(self, conversation_id: str, text: str) -> str | None:
        """'2' (or '2.') after a numbered list → the payload of option 2."""
        stripped = text.strip().rstrip(".)")
        if not stripped.isdigit():
            return None
        with self.engine.connect() as conn:
            row = conn.execute(
                select(shown_options.c.options).where(shown_options.c.conversation_id == conversation_id)
            ).first()
        if row is None:
            return None
        options = json.loads(row[0])
        n = int(stripped)
        return options[n - 1]["payload"] if 1 <= n <= len(options) else None

    # --- web chat (the widget fetches its replies) -----------------------------------------------
    def take_web_replies(self, conversation_id: str, after: int = 0) -> list[Row]:
        """Replies for a web-chat resident with id > after, marked sent as they are handed over."""
        with self.engine.begin() as conn:
            rows = conn.execute(
                select(outbox)
                .where(
                    outbox.c.conversation_id == conversation_id,
                    outbox.c.id > after,
                    outbox.c.status.in_((OutboxStatus.PENDING, OutboxStatus.SENT)),
                )
                .order_by(outbox.c.id)
            ).all()
            ids = [r._mapping["id"] for r in rows if r._mapping["status"] == OutboxStatus.PENDING]
            if ids:
                conn.execute(
                    update(outbox).where(outbox.c.id.in_(ids)).values(status=OutboxStatus.SENT, sent_at=utcnow())
                )
        return [
            Row(
                id=r._mapping["id"],
                channel=r._mapping["channel"],
                conversation_id=conversation_id,
                recipient=r._mapping["recipient"],
                text=r._mapping["text"],
                attempts=r._mapping["attempts"],
                buttons=json.loads(r._mapping["buttons"]),
                origin=r._mapping["origin"],
                fresh=r._mapping["status"] == OutboxStatus.PENDING,
            )
            for r in rows
        ]

    def inbound_status(self, row_id: int) -> str | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(inbox.c.status).where(inbox.c.id == row_id)).first()
        return row[0] if row else None

    def last_reply_id(self, conversation_id: str) -> int:
        """The newest outbox id of a conversation (0 if none): replies after it are new."""
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.coalesce(func.max(outbox.c.id), 0)).where(outbox.c.conversation_id == conversation_id)
                ).scalar_one()
            )

    # --- numbers for /metrics and tests ----------------------------------------------------------
    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(inbox.c.status, func.count()).group_by(inbox.c.status)).all()
            out_rows = conn.execute(select(outbox.c.status, func.count()).group_by(outbox.c.status)).all()
        counts = {f"inbox_{s}": n for s, n in rows}
        counts.update({f"outbox_{s}": n for s, n in out_rows})
        return counts

    def backlog(self) -> dict[str, Backlog]:
        """Per queue, the rows waiting and when the oldest of them arrived: two aggregates over the pending rows
        only (the status index), cheap enough for every scrape. Web-chat replies wait for the widget to fetch
        them, not for a worker: they are not the outbox's backlog."""
        with self.engine.connect() as conn:
            n_in, oldest_in = conn.execute(
                select(func.count(), func.min(inbox.c.received_at)).where(inbox.c.status == InboxStatus.PENDING)
            ).one()
            n_out, oldest_out = conn.execute(
                select(func.count(), func.min(outbox.c.created_at)).where(
                    outbox.c.status == OutboxStatus.PENDING, outbox.c.channel != "web"
                )
            ).one()
        return {"inbox": Backlog(n_in, as_utc(oldest_in)), "outbox": Backlog(n_out, as_utc(oldest_out))}

    def sent_to(self, conversation_id: str) -> list[str]:
        with self.engine.connect() as conn:
            return [
                r[0]
                for r in conn.execute(
                    select(outbox.c.text)
                    .where(and_(outbox.c.conversation_id == conversation_id, outbox.c.status == OutboxStatus.SENT))
                    .order_by(outbox.c.id)
                )
            ]
