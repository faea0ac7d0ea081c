"""The audit log: who did what in the console (and through `trolyso user`), for the commune's admins.

A row holds the account, the action (bot.status.AuditAction), its target (a group, news or hand-off id, a
knowledge file's path, an account) and a short detail; never what a resident wrote.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

from sqlalchemy import func, insert, select

from bot.clock import as_utc, utcnow
from bot.status import AuditAction
from bot.store import Store
from bot.store.schema import audit_log

CLI = "cli"  # the account name recorded for `trolyso user …` (run by whoever has the server's shell)


def _short(value: object, limit: int) -> str:
    """One line, printable, at most `limit` characters (a name tried at the login is whatever was typed)."""
    text = "".join(ch if ch.isprintable() else " " for ch in str(value))
    return text.strip()[:limit]


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: _dt.datetime
    username: str
    action: str
    target: str
    detail: str


class AuditLog:
    def __init__(self, store: Store):
        self.engine = store.engine

    def record(self, username: str, action: AuditAction, target: object = "", detail: object = "") -> None:
        with self.engine.begin() as conn:
            conn.execute(
                insert(audit_log).values(
                    at=utcnow(),
                    username=_short(username, 64),
                    action=AuditAction(action),
                    target=_short(target, 300),
                    detail=_short(detail, 300),
                )
            )

    def recent(self, limit: int = 50, offset: int = 0) -> list[AuditEntry]:
        """The newest entries first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(audit_log).order_by(audit_log.c.id.desc()).limit(limit).offset(offset))
            return [AuditEntry(r.id, as_utc(r.at), r.username, r.action, r.target, r.detail) for r in rows]

    def count(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(audit_log)).scalar_one()
