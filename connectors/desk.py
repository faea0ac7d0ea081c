"""The console's way to residents (the `Desk` of bot/console/web.py), over the gateway's message queue: the
conversation as the resident and the bot wrote it, whether a platform still lets us write, and queuing a
team reply or news so the worker delivers it through the resident's own channel, split for that channel.
"""

from __future__ import annotations

import asyncio
import datetime as _dt

from sqlalchemy import func, select

from bot.clock import as_utc, utcnow
from bot.status import Origin
from bot.store.schema import inbox, outbox
from bot.team.desk import RESIDENT, DeskError, Reach
from bot.text import mask_personal_numbers
from connectors.channels.messenger import CHANNEL as MESSENGER
from connectors.channels.messenger import WINDOW as MESSENGER_WINDOW
from connectors.messages import Part
from connectors.queue import MessageQueue
from connectors.render import render_for

ZALO_CHANNELS = ("zalo-oa", "zalo-bot")
WINDOWED_CHANNELS = (*ZALO_CHANNELS, MESSENGER)


def split_conversation(conversation_id: str) -> tuple[str, str]:
    channel, _, recipient = conversation_id.partition(":")
    if not channel or not recipient:
        raise DeskError(f"mã cuộc trò chuyện không hợp lệ: {conversation_id!r}")
    return channel, recipient


class GatewayDesk:
    def __init__(self, gateway, loop: asyncio.AbstractEventLoop) -> None:  # a started connectors.gateway.Gateway
        self.gateway = gateway
        self.loop = loop  # the gateway's loop, where the worker waits

    @property
    def queue(self) -> MessageQueue:
        return self.gateway.queue

    def history(self, conversation_id: str, limit: int = 200) -> list[dict]:
        with self.queue.engine.connect() as conn:
            ins = conn.execute(
                select(inbox.c.received_at, inbox.c.text, inbox.c.status, inbox.c.kind, inbox.c.media_url)
                .where(inbox.c.conversation_id == conversation_id)
                .order_by(inbox.c.id.desc())
                .limit(limit)
            ).all()
            outs = conn.execute(
                select(outbox.c.created_at, outbox.c.text, outbox.c.status, outbox.c.origin)
                .where(outbox.c.conversation_id == conversation_id)
                .order_by(outbox.c.id.desc())
                .limit(limit)
            ).all()
        rows = [
            {
                "at": r.received_at,
                "who": RESIDENT,
                "text": mask_personal_numbers(r.text),
                "status": r.status,
                "kind": r.kind,
                "media_url": r.media_url or "",
            }
            for r in ins
        ]
        rows += [{"at": r.created_at, "who": r.origin, "text": r.text, "status": r.status} for r in outs]
        rows.sort(key=lambda r: (r["at"].replace(tzinfo=None), r["who"] != RESIDENT))
        return rows[-limit:]

    def reach(self, conversation_id: str) -> Reach:
        return self._judge(conversation_id, self._last_inbound([conversation_id]).get(conversation_id))

    def reachable(self, conversation_ids: list[str]) -> list[str]:
        last = self._last_inbound(conversation_ids)  # one query for the whole list
        return [c for c in conversation_ids if self._judge(c, last.get(c)).ok]

    def _last_inbound(self, conversation_ids: list[str]) -> dict[str, _dt.datetime]:
        """When each Zalo or Messenger conversation last wrote (the only channels whose window depends on it)."""
        wanted = [c for c in conversation_ids if c.partition(":")[0] in WINDOWED_CHANNELS]
        found: dict[str, _dt.datetime] = {}
        with self.queue.engine.connect() as conn:
            for i in range(0, len(wanted), 500):
                found.update(
                    conn.execute(
                        select(inbox.c.conversation_id, func.max(inbox.c.received_at))
                        .where(inbox.c.conversation_id.in_(wanted[i : i + 500]))
                        .group_by(inbox.c.conversation_id)
                    ).all()
                )
        return found

    def _judge(self, conversation_id: str, last: _dt.datetime | None) -> Reach:
        channel, _ = split_conversation(conversation_id)
        config = self.gateway.config
        if channel == "web":
            return Reach(True) if config.web_chat else Reach(False, "Kênh trò chuyện trên trang web đang tắt.")
        if channel not in self.gateway.senders:
            return Reach(False, f"Kênh {channel} chưa được cấu hình trên máy chủ này.")
        if channel in ZALO_CHANNELS:
            if last is None:
                return Reach(False, "Người dân chưa nhắn qua Zalo lần nào nên chưa thể nhắn lại.")
            days = self.gateway.settings.zalo_window_days
            window = _dt.timedelta(days=days)
            if utcnow() - as_utc(last) > window:
                return Reach(
                    False, f"Zalo chỉ cho nhắn trong {days:g} ngày kể từ lần cuối người dân nhắn; đã quá thời hạn."
                )
        if channel == MESSENGER:
            if last is None:
                return Reach(False, "Người dân chưa nhắn qua Messenger lần nào nên chưa thể nhắn lại.")
            if utcnow() - as_utc(last) > MESSENGER_WINDOW:
                return Reach(
                    False, "Messenger chỉ cho nhắn trong 24 giờ kể từ lần cuối người dân nhắn; đã quá thời hạn."
                )
        return Reach(True)

    def _parts(self, channel: str, text: str) -> list[Part]:
        sender = self.gateway.senders.get(channel)
        return render_for(sender.limits if sender else None, text)

    def send(self, conversation_id: str, text: str, origin: Origin) -> list[int]:
        reach = self.reach(conversation_id)
        if not reach.ok:
            raise DeskError(reach.reason)
        channel, recipient = split_conversation(conversation_id)
        ids = self.queue.enqueue(channel, recipient, self._parts(channel, text), origin=origin)
        self.wake()
        return ids

    def news_channel(self) -> str:
        telegram = self.gateway.config.telegram
        if telegram is None or "telegram" not in self.gateway.senders:
            return ""
        return telegram.news_chat

    def post_to_news_channel(self, text: str) -> list[int]:
        chat = self.news_channel()
        if not chat:
            raise DeskError("Chưa cấu hình kênh Telegram của xã (biến TELEGRAM_NEWS_CHAT).")
        ids = self.queue.enqueue("telegram", chat, self._parts("telegram", text), origin=Origin.NEWS)
        self.wake()
        return ids

    def wake(self) -> None:
        worker = self.gateway.worker
        if worker is not None:
            self.loop.call_soon_threadsafe(worker.wake.set)
