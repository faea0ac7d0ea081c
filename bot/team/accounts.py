"""Console accounts: users with a role, scrypt-hashed passwords, and expiring sessions with a CSRF token.

Roles (each includes the one before): `team` — the community digital team (unanswered questions, hand-offs,
feedback, reports); `editor` — content staff (also knowledge and news); `admin` — also accounts.
Session tokens and passwords are stored only as hashes.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import (
    delete,
    insert,
    select,
    update,
)

from bot.clock import as_utc, utcnow
from bot.status import Role
from bot.store import Store
from bot.store.schema import sessions, users

ROLES = tuple(Role)  # in order: each includes the ones before
USERNAME = re.compile(r"^[a-z0-9._-]{3,32}$")
MIN_PASSWORD = 10
SCRYPT = {"n": 2**14, "r": 8, "p": 1}


class AccountError(ValueError):
    pass


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, **SCRYPT)
    return f"scrypt${SCRYPT['n']}${SCRYPT['r']}${SCRYPT['p']}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        got = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got.hex(), digest)


def role_allows(role: str, needed: Role) -> bool:
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)


@dataclass(frozen=True)
class Session:
    username: str
    role: str
    csrf: str
    expires_at: _dt.datetime


class Accounts:
    def __init__(self, store: Store, session_hours: float = 8.0):
        self.engine = store.engine
        self.session_length = _dt.timedelta(hours=session_hours)

    def add_user(self, username: str, role: str, password: str) -> None:
        if not USERNAME.match(username):
            raise AccountError("username: 3–32 characters, lower-case letters, digits, '.', '_' or '-'")
        if role not in ROLES:
            raise AccountError(f"role must be one of {', '.join(ROLES)}")
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"password: at least {MIN_PASSWORD} characters")
        with self.engine.begin() as conn:
            if conn.execute(select(users.c.username).where(users.c.username == username)).first():
                raise AccountError(f"user {username} already exists")
            conn.execute(
                insert(users).values(
                    username=username,
                    role=role,
                    password_hash=hash_password(password),
                    active=True,
                    created_at=utcnow(),
                )
            )

    def list_users(self) -> list[dict]:
        with self.engine.connect() as conn:
            return [
                dict(r._mapping)
                for r in conn.execute(
                    select(users.c.username, users.c.role, users.c.active, users.c.created_at).order_by(
                        users.c.username
                    )
                )
            ]

    def login(self, username: str, password: str) -> str | None:
        """A new session token for the right password, else None (same work either way)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.username == username, users.c.active.is_(True))).first()
        stored = row._mapping["password_hash"] if row else hash_password(secrets.token_hex(8))
        if not check_password(password, stored) or row is None:
            return None
        token = secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            conn.execute(delete(sessions).where(sessions.c.expires_at < utcnow()))
            conn.execute(
                insert(sessions).values(
                    token_hash=hashlib.sha256(token.encode()).hexdigest(),
                    username=username,
                    csrf=secrets.token_urlsafe(24),
                    created_at=utcnow(),
                    expires_at=utcnow() + self.session_length,
                )
            )
        return token

    def session(self, token: str | None) -> Session | None:
        if not token:
            return None
        with self.engine.connect() as conn:
            row = conn.execute(
                select(sessions, users.c.role, users.c.active)
                .join(users, users.c.username == sessions.c.username)
                .where(sessions.c.token_hash == hashlib.sha256(token.encode()).hexdigest())
            ).first()
        if row is None:
            return None
        m = row._mapping
        if not m["active"] or as_utc(m["expires_at"]) < utcnow():
            return None
        return Session(m["username"], m["role"], m["csrf"], as_utc(m["expires_at"]))

    def logout(self, token: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(sessions).where(sessions.c.token_hash == hashlib.sha256(token.encode()).hexdigest()))

    def expire_all(self, username: str) -> None:
        """End every session of a user (e.g. after a password change)."""
        with self.engine.begin() as conn:
            conn.execute(update(sessions).where(sessions.c.username == username).values(expires_at=utcnow()))
