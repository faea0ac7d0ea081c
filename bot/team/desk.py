"""How the console reaches residents: the `Desk` protocol the gateway implements over its message queue
(connectors/desk.py), with its answer types. Kept apart from the web code, so the core (bot/team/news.py) and the
gateway can use it without importing the console."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.status import Origin

RESIDENT = "resident"  # `who` of a resident's message in `Desk.history` (the others' is the outbox Origin)


class DeskError(Exception):
    """A message the console cannot send (no channel configured, outside the platform's window…)."""


@dataclass
class Reach:
    """Whether a conversation can still be written to, and why not."""

    ok: bool
    reason: str = ""


class Desk(Protocol):
    """What the console needs from the gateway to talk to residents. The gateway implements it over its message
    queue (connectors/desk.py); every send goes through the resident's own channel."""

    def history(self, conversation_id: str, limit: int = 200) -> list[dict]:
        """[{at, who: resident|bot|team|news, text, status}] oldest first (resident text masked); a resident's rows
        also carry `kind` (bot.status.MessageKind) and `media_url` (the platform's link to the file, or "")."""

    def reach(self, conversation_id: str) -> Reach:
        """Can a message still go to this conversation under its platform's rules?"""

    def reachable(self, conversation_ids: list[str]) -> list[str]:
        """The ones of these conversations a message can still go to (one look-up for the whole list)."""

    def send(self, conversation_id: str, text: str, origin: Origin) -> list[int]:
        """Queue a message (origin team|news) for the conversation; raises DeskError if it cannot go."""

    def news_channel(self) -> str:
        """The commune's Telegram channel for news ("@kenh_xa"), or "" when this server has none."""

    def post_to_news_channel(self, text: str) -> list[int]:
        """Queue a post to the commune's Telegram channel; raises DeskError if none is configured."""

    def wake(self) -> None:
        """Tell the sender there is something new to deliver."""
