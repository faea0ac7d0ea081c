"""News ("Tin tức"): short announcements content editors send to residents who subscribed ("đăng ký nhận tin")
— a new Nghị quyết 57 activity, a scam warning — and to the commune's Telegram channel.

The core, without web code (the console page is bot/console/news.py):

news             one row per announcement: draft → sending → sent. The conditional UPDATE draft → sending is
                 the only way into a send, so a double click or a resubmitted form sends nothing twice.
news_deliveries  one row per (announcement, resident) — unique — written *before* the message is queued: a
                 send interrupted by a restart can be resumed and reaches nobody twice (at most once each).

Every send goes through the console's `Desk` (bot/team/desk.py), i.e. through each resident's own channel and
within that platform's rules: `desk.send()` refuses a conversation that can no longer be written to (Zalo
only within its 7-day window after the resident's last message) and says why; who cannot be reached is
counted as skipped with that reason. Residents who unsubscribed ("hủy nhận tin": subscriptions.active =
false) are never sent to.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import time
from dataclasses import dataclass, field
from typing import NamedTuple

from sqlalchemy import (
    and_,
    column,
    delete,
    func,
    insert,
    or_,
    select,
    table,
    update,
)
from sqlalchemy.exc import DBAPIError, IntegrityError

from bot.clock import as_utc, utcnow
from bot.status import ChannelPost, DeliveryStatus, NewsStatus, Origin, OutboxStatus
from bot.store import Store, inserted_id
from bot.store.schema import news, news_deliveries, subscriptions
from bot.team.desk import DeskError
from bot.text import nfc

log = logging.getLogger(__name__)

KINDS = {"activity": "Tin hoạt động", "warning": "Cảnh báo lừa đảo"}
HEADINGS = {"activity": "📢 {title}", "warning": "⚠️ CẢNH BÁO LỪA ĐẢO: {title}"}
MAX_TITLE = 120
MAX_BODY = 1000  # with the title and the footer, one phone screen (and one message on every channel)
FOOTER = "Để ngừng nhận tin, anh/chị nhắn: hủy nhận tin"
CHANNEL_FOOTER = "Hỏi đáp thủ tục, Nghị quyết 57, cách phòng lừa đảo: nhắn tin cho Trợ lý số của xã."
STALE_SECONDS = 180.0  # a "sending" item nobody touched for this long was interrupted: it may be resumed
HEARTBEAT_SECONDS = 15.0
CHANNEL_ORDER = ("zalo-oa", "zalo-bot", "telegram", "messenger", "web")


# The gateway's outbox (connectors/queue.py), read only for "delivered / refused by the platform" on the
# result page; a lightweight reference so the core does not depend on the connectors package.
_outbox = table("outbox", column("id"), column("status"), column("error"))


class NewsError(ValueError):
    """An announcement that cannot be saved or sent as written; the message is for the editor (Vietnamese)."""


def _number(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def clean(title: str, body: str, kind: str) -> tuple[str, str, str]:
    """Validated, NFC, trimmed (title on one line; body with at most one blank line between paragraphs)."""
    title = " ".join(nfc(title).split())
    lines = [line.rstrip() for line in nfc(body).replace("\r\n", "\n").replace("\r", "\n").strip().split("\n")]
    body_lines: list[str] = []
    for line in lines:
        if line or (body_lines and body_lines[-1]):
            body_lines.append(line)
    body = "\n".join(body_lines).strip()
    if kind not in KINDS:
        raise NewsError("Anh/chị chọn loại tin: tin hoạt động hoặc cảnh báo lừa đảo.")
    if not title:
        raise NewsError("Anh/chị chưa nhập tiêu đề.")
    if not body:
        raise NewsError("Anh/chị chưa nhập nội dung.")
    if len(title) > MAX_TITLE:
        raise NewsError(f"Tiêu đề dài {_number(len(title))} ký tự; tối đa {MAX_TITLE} ký tự. Anh/chị rút gọn giúp.")
    if len(body) > MAX_BODY:
        raise NewsError(
            f"Nội dung dài {_number(len(body))} ký tự; tối đa {_number(MAX_BODY)} ký tự để người dân "
            "đọc hết trên một màn hình điện thoại. Anh/chị rút gọn giúp (chi tiết có thể để ở đường "
            "dẫn tới trang của xã)."
        )
    return title, body, kind


def compose(title: str, body: str, kind: str, *, for_channel: bool = False) -> str:
    """The message as a resident receives it (title, body, how to stop), or as the Telegram channel shows it
    (no "hủy nhận tin" there: people leave a channel themselves)."""
    heading = HEADINGS.get(kind, "{title}").format(title=title)
    return nfc(f"{heading}\n\n{body}\n\n{CHANNEL_FOOTER if for_channel else FOOTER}")


@dataclass
class SendOutcome:
    """What one send did (also stored on the news row as `results`)."""

    channels: dict[str, dict] = field(default_factory=dict)
    channel_status: str = ChannelPost.NONE
    channel_note: str = ""

    @property
    def queued(self) -> int:
        return sum(c["queued"] for c in self.channels.values())

    @property
    def skipped(self) -> int:
        return sum(c["skipped"] for c in self.channels.values())


class Delivery(NamedTuple):
    """What became of a send's queued messages so far (read from the gateway's outbox)."""

    channels: dict[str, dict]  # per channel: {delivered, pending, refused, errors: {platform error: count}}
    post: str | None  # the OutboxStatus of the post to the Telegram channel; None when there was none


class Newsroom:
    """Drafts, sending and history of the announcements, over the shared store."""

    def __init__(self, store: Store):
        self.store = store
        self.engine = store.engine

    # --- drafts ------------------------------------------------------------------------------------
    def create(self, title: str, body: str, kind: str, author: str) -> int:
        title, body, kind = clean(title, body, kind)
        now = utcnow()
        with self.engine.begin() as conn:
            return inserted_id(
                conn.execute(
                    insert(news).values(
                        title=title,
                        body=body,
                        kind=kind,
                        author=author[:64],
                        created_at=now,
                        updated_at=now,
                        status=NewsStatus.DRAFT,
                        to_channel=False,
                        channel_status=ChannelPost.NONE,
                        channel_note="",
                        results="{}",
                    )
                )
            )

    def update_draft(self, news_id: int, title: str, body: str, kind: str) -> bool:
        """Edit a draft; False once it is being sent or was sent (a sent text is history)."""
        title, body, kind = clean(title, body, kind)
        with self.engine.begin() as conn:
            return bool(
                conn.execute(
                    update(news)
                    .where(news.c.id == news_id, news.c.status == NewsStatus.DRAFT)
                    .values(title=title, body=body, kind=kind, updated_at=utcnow())
                ).rowcount
            )

    def delete_draft(self, news_id: int) -> bool:
        with self.engine.begin() as conn:
            return bool(
                conn.execute(delete(news).where(news.c.id == news_id, news.c.status == NewsStatus.DRAFT)).rowcount
            )

    def get(self, news_id: int) -> dict | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(news).where(news.c.id == news_id)).first()
        return self._shown(row) if row is not None else None

    def listing(self, status: str | tuple[str, ...], limit: int = 50) -> list[dict]:
        statuses = (status,) if isinstance(status, str) else status
        order = news.c.sent_at.desc() if statuses == (NewsStatus.SENT,) else news.c.updated_at.desc()
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(news).where(news.c.status.in_(statuses)).order_by(order, news.c.id.desc()).limit(limit)
            ).all()
        return [self._shown(r) for r in rows]

    def audience(self) -> dict[str, int]:
        """Active subscribers per channel (who a send would try to reach)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(subscriptions.c.channel, func.count())
                .where(subscriptions.c.active.is_(True))
                .group_by(subscriptions.c.channel)
            ).all()
        return _ordered({channel: int(n) for channel, n in rows})

    @staticmethod
    def _shown(row) -> dict:
        item = dict(row._mapping)
        for key in ("created_at", "updated_at", "claimed_at", "sent_at"):
            item[key] = as_utc(item[key])
        item["results"] = _ordered(json.loads(item["results"] or "{}"))
        item["text"] = compose(item["title"], item["body"], item["kind"])
        item["channel_text"] = compose(item["title"], item["body"], item["kind"], for_channel=True)
        item["kind_name"] = KINDS.get(item["kind"], item["kind"])
        item["stale"] = (
            item["status"] == NewsStatus.SENDING
            and item["claimed_at"] is not None
            and utcnow() - item["claimed_at"] > _dt.timedelta(seconds=STALE_SECONDS)
        )
        item["queued"] = sum(c.get("queued", 0) for c in item["results"].values())
        item["skipped"] = sum(c.get("skipped", 0) for c in item["results"].values())
        return item

    # --- sending -----------------------------------------------------------------------------------
    def claim(self, news_id: int, by: str, to_channel: bool) -> bool:
        """draft → sending, in one conditional UPDATE: only one request ever wins. A send interrupted (nothing
        heard of it for STALE_SECONDS) may be claimed again to finish it; what it already did is not redone."""
        now = utcnow()
        stale = now - _dt.timedelta(seconds=STALE_SECONDS)
        with self.engine.begin() as conn:
            won = (
                conn.execute(
                    update(news)
                    .where(
                        news.c.id == news_id,
                        or_(
                            news.c.status == NewsStatus.DRAFT,
                            and_(news.c.status == NewsStatus.SENDING, news.c.claimed_at < stale),
                        ),
                    )
                    .values(status=NewsStatus.SENDING, claimed_at=now, sent_by=by[:64])
                ).rowcount
                == 1
            )
            if won:  # the channel choice is made once: a resumed send keeps the first one
                conn.execute(
                    update(news)
                    .where(news.c.id == news_id, news.c.channel_status == ChannelPost.NONE)
                    .values(to_channel=to_channel)
                )
        return won

    def send(self, news_id: int, desk, *, by: str, to_channel: bool) -> SendOutcome | None:
        """Claim the announcement and send it: to the Telegram channel (if asked), then to every active
        subscriber the platform still lets us write to. None when it was already sent or is being sent.
        Blocking (database and queue work): call it in a thread."""
        if not self.claim(news_id, by, to_channel):
            return None
        item = self.get(news_id)
        assert item is not None  # claim() just updated it
        self._post_to_channel(item, desk)
        text = item["text"]
        beat = time.monotonic()
        for sub in self._recipients():
            if time.monotonic() - beat > HEARTBEAT_SECONDS:
                self._heartbeat(news_id)
                beat = time.monotonic()
            self._deliver(news_id, sub["conversation_id"], sub["channel"], text, desk)
        return self._finish(news_id, desk)

    def _recipients(self) -> list[dict]:
        with self.engine.connect() as conn:
            return [
                dict(r._mapping)
                for r in conn.execute(
                    select(subscriptions.c.conversation_id, subscriptions.c.channel)
                    .where(subscriptions.c.active.is_(True))
                    .order_by(subscriptions.c.conversation_id)
                )
            ]

    def _still_subscribed(self, conversation_id: str) -> bool:
        """Checked right before queuing: someone who wrote "hủy nhận tin" while a long send runs is spared."""
        with self.engine.connect() as conn:
            return bool(
                conn.execute(
                    select(subscriptions.c.active).where(subscriptions.c.conversation_id == conversation_id)
                ).scalar()
            )

    def _heartbeat(self, news_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(news)
                .where(news.c.id == news_id, news.c.status == NewsStatus.SENDING)
                .values(claimed_at=utcnow())
            )

    def _record(
        self, news_id: int, conversation_id: str, channel: str, status: DeliveryStatus, reason: str = ""
    ) -> int | None:
        """The resident's row for this announcement; None if one exists already (sent by an earlier run)."""
        try:
            with self.engine.begin() as conn:
                return inserted_id(
                    conn.execute(
                        insert(news_deliveries).values(
                            news_id=news_id,
                            conversation_id=conversation_id[:160],
                            channel=channel[:32],
                            status=status,
                            reason=reason[:500],
                            at=utcnow(),
                        )
                    )
                )
        except IntegrityError:
            return None

    def _set_delivery(self, row_id: int, **values) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(news_deliveries).where(news_deliveries.c.id == row_id).values(**values))

    def _deliver(self, news_id: int, conversation_id: str, channel: str, text: str, desk) -> None:
        if not self._still_subscribed(conversation_id):
            return
        row_id = self._record(news_id, conversation_id, channel, DeliveryStatus.QUEUED)
        if row_id is None:
            return  # this resident already has it (a resumed send)
        try:  # send() refuses what the platform no longer allows, with the reason
            ids = desk.send(conversation_id, text, origin=Origin.NEWS)
        except DeskError as exc:
            reason = str(exc)[:500] or "Không gửi được qua kênh này."
            self._set_delivery(row_id, status=DeliveryStatus.SKIPPED, reason=reason)
            return
        except Exception:  # one resident's failure never stops the others
            log.exception("news %s: queuing for a %s subscriber failed", news_id, channel)
            self._set_delivery(row_id, status=DeliveryStatus.SKIPPED, reason="Lỗi hệ thống khi xếp tin vào hàng gửi.")
            return
        if ids:
            self._set_delivery(row_id, outbox_id=int(ids[-1]))

    def _post_to_channel(self, item: dict, desk) -> None:
        news_id = item["id"]
        if not item["to_channel"]:
            with self.engine.begin() as conn:
                conn.execute(
                    update(news)
                    .where(news.c.id == news_id, news.c.channel_status == ChannelPost.NONE)
                    .values(channel_status=ChannelPost.OFF)
                )
            return
        with self.engine.begin() as conn:  # at most once, even when the send is resumed
            if (
                conn.execute(
                    update(news)
                    .where(news.c.id == news_id, news.c.channel_status == ChannelPost.NONE)
                    .values(channel_status=ChannelPost.POSTING)
                ).rowcount
                != 1
            ):
                return
        values: dict = {}
        try:
            ids = desk.post_to_news_channel(item["channel_text"])
            values = {"channel_status": ChannelPost.QUEUED, "channel_outbox_id": int(ids[-1]) if ids else None}
        except DeskError as exc:
            values = {"channel_status": ChannelPost.SKIPPED, "channel_note": str(exc)[:500]}
        except Exception:
            log.exception("news %s: posting to the Telegram channel failed", news_id)
            values = {"channel_status": ChannelPost.SKIPPED, "channel_note": "Lỗi hệ thống khi xếp tin vào hàng gửi."}
        with self.engine.begin() as conn:
            conn.execute(update(news).where(news.c.id == news_id).values(**values))

    def _finish(self, news_id: int, desk) -> SendOutcome:
        channels = self.summary(news_id)
        with self.engine.begin() as conn:
            conn.execute(
                update(news)
                .where(news.c.id == news_id)
                .values(
                    status=NewsStatus.SENT,
                    sent_at=utcnow(),
                    claimed_at=utcnow(),
                    results=json.dumps(channels, ensure_ascii=False),
                )
            )
            row = conn.execute(select(news.c.channel_status, news.c.channel_note).where(news.c.id == news_id)).one()
        try:
            desk.wake()
        except Exception:  # the sender also polls the queue by itself
            log.warning("news %s: could not wake the sender", news_id)
        return SendOutcome(channels, row.channel_status, row.channel_note)

    # --- results -----------------------------------------------------------------------------------
    def summary(self, news_id: int) -> dict[str, dict]:
        """Per channel: subscribers tried, queued, skipped and why (reason → count)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(news_deliveries.c.channel, news_deliveries.c.status, news_deliveries.c.reason, func.count())
                .where(news_deliveries.c.news_id == news_id)
                .group_by(news_deliveries.c.channel, news_deliveries.c.status, news_deliveries.c.reason)
            ).all()
        out: dict[str, dict] = {}
        for channel, status, reason, n in rows:
            c = out.setdefault(channel, {"subscribers": 0, "queued": 0, "skipped": 0, "reasons": {}})
            c["subscribers"] += n
            c["queued" if status == DeliveryStatus.QUEUED else "skipped"] += n
            if status != DeliveryStatus.QUEUED:
                c["reasons"][reason] = c["reasons"].get(reason, 0) + n
        return _ordered(out)

    def delivery(self, news_id: int) -> Delivery:
        """What became of the queued messages so far, per channel: {delivered, pending, refused, errors}, and
        the Telegram channel post's status. Empty when the gateway's queue is not in this database."""
        stmt = (
            select(news_deliveries.c.channel, _outbox.c.status, _outbox.c.error, func.count())
            .select_from(news_deliveries.join(_outbox, _outbox.c.id == news_deliveries.c.outbox_id))
            .where(news_deliveries.c.news_id == news_id)
            .group_by(news_deliveries.c.channel, _outbox.c.status, _outbox.c.error)
        )
        out: dict[str, dict] = {}
        post = None
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(stmt).all()
                outbox_id = conn.execute(select(news.c.channel_outbox_id).where(news.c.id == news_id)).scalar()
                if outbox_id is not None:
                    post = conn.execute(select(_outbox.c.status).where(_outbox.c.id == outbox_id)).scalar()
        except DBAPIError:  # no outbox table: a console without the gateway
            return Delivery({}, None)
        for channel, status, error, n in rows:
            c = out.setdefault(channel, {"delivered": 0, "pending": 0, "refused": 0, "errors": {}})
            if status == OutboxStatus.SENT:
                c["delivered"] += n
            elif status == OutboxStatus.UNDELIVERABLE:
                c["refused"] += n
                c["errors"][error or ""] = c["errors"].get(error or "", 0) + n
            else:
                c["pending"] += n
        return Delivery(_ordered(out), post)


def _ordered(by_channel: dict) -> dict:
    """Channels in a fixed order (Zalo OA, Zalo Bot, Telegram, web, then anything else)."""
    rank = {c: i for i, c in enumerate(CHANNEL_ORDER)}
    return dict(sorted(by_channel.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0])))
