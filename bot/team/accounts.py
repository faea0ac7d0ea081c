"""Console accounts: users with a role, scrypt-hashed passwords, and expiring sessions with a CSRF token.

Roles (each includes the one before): `team` — the community digital team (unanswered questions, hand-offs,
feedback, reports); `editor` — content staff (also knowledge and news); `admin` — also accounts.
Session tokens and passwords are stored only as hashes. A password hash records its scrypt parameters; one
made with weaker parameters than today's (release 0.1 used n=2^14) still verifies and is replaced at the next
successful login. A disabled account cannot log in, and its open sessions stop working at once.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import re
import secrets
import threading
from dataclasses import dataclass

from sqlalchemy import (
    delete,
    insert,
    select,
    update,
)

from bot.clock import as_utc, utcnow
from bot.status import AuditAction, Role
from bot.store import Store
from bot.store.schema import sessions, users

ROLES = tuple(Role)  # in order: each includes the ones before
USERNAME = re.compile(r"^[a-z0-9._-]{3,32}$")
MIN_PASSWORD = 10
SCRYPT = {"n": 2**17, "r": 8, "p": 1}  # OWASP's password storage guidance for scrypt (128 MiB per hash)
MAX_SCRYPT_N = 2**20  # a stored hash asking for more is refused, not computed
# Each hash at n=2^17 holds 128 MiB for ~0.3 s: at most two at a time, whatever the number of login requests.
_HASHING = threading.BoundedSemaphore(2)


class AccountError(ValueError):
    """An account change that cannot be made; the message says why (in English, for the CLI)."""


class UnknownAccount(AccountError):
    """No account of that name."""


class WeakPassword(AccountError):
    """A password shorter than MIN_PASSWORD."""


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    if not (1 < n <= MAX_SCRYPT_N and 0 < r <= 32 and 0 < p <= 16):
        raise ValueError("scrypt parameters out of range")
    with _HASHING:
        # hashlib's default maxmem (32 MiB) refuses n=2^17: allow what these parameters need (128·r·(n+p+2))
        return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=128 * r * (n + p + 2) + 2**20)


def hash_password(password: str) -> str:
    """`scrypt$n$r$p$salt$digest` with today's parameters."""
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, **SCRYPT)
    return f"scrypt${SCRYPT['n']}${SCRYPT['r']}${SCRYPT['p']}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        got = _scrypt(password, bytes.fromhex(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got.hex(), digest)


def needs_rehash(stored: str) -> bool:
    """Made with other parameters than today's (e.g. release 0.1's n=2^14)."""
    parts = stored.split("$")
    return len(parts) != 6 or parts[0] != "scrypt" or parts[1:4] != [str(SCRYPT[k]) for k in ("n", "r", "p")]


_dummy_lock = threading.Lock()
_dummy: list[str] = []


def dummy_hash() -> str:
    """A hash of a random password with today's parameters (made once per process): what an unknown username's
    password is checked against, so that it takes as long as a known one's."""
    with _dummy_lock:
        if not _dummy:
            _dummy.append(hash_password(secrets.token_hex(16)))
        return _dummy[0]


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
            raise WeakPassword(f"password: at least {MIN_PASSWORD} characters")
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
        """A new session token for the right password of an active account, else None. An unknown username's
        password is checked against a dummy hash and a disabled account's against its own: the same work (one
        hash) whichever it is. A hash made with older parameters is replaced after the check succeeds."""
        stored = dummy_hash()
        with self.engine.connect() as conn:
            row = conn.execute(
                select(users.c.password_hash, users.c.active).where(users.c.username == username)
            ).first()
        if row is not None:
            stored = row.password_hash
        if not check_password(password, stored) or row is None or not row.active:
            return None
        if needs_rehash(stored):
            with self.engine.begin() as conn:  # only if nobody changed it meanwhile
                conn.execute(
                    update(users)
                    .where(users.c.username == username, users.c.password_hash == stored)
                    .values(password_hash=hash_password(password))
                )
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

    def expire_all(self, username: str) -> int:
        """End every session of a user (after a password change, when disabled, or on request); how many."""
        with self.engine.begin() as conn:
            self._existing(conn, username)
            return conn.execute(delete(sessions).where(sessions.c.username == username)).rowcount

    def open_sessions(self, username: str) -> list[dict]:
        """The user's sessions that have not expired: when each began and ends."""
        with self.engine.connect() as conn:
            self._existing(conn, username)
            rows = conn.execute(
                select(sessions.c.created_at, sessions.c.expires_at)
                .where(sessions.c.username == username, sessions.c.expires_at > utcnow())
                .order_by(sessions.c.created_at)
            )
            return [{"created_at": as_utc(r.created_at), "expires_at": as_utc(r.expires_at)} for r in rows]

    def _existing(self, conn, username: str) -> None:
        if conn.execute(select(users.c.username).where(users.c.username == username)).first() is None:
            raise UnknownAccount(f"no user {username}")

    def set_active(self, username: str, active: bool) -> None:
        """Disable (its sessions end at once) or enable an account."""
        with self.engine.begin() as conn:
            self._existing(conn, username)
            conn.execute(update(users).where(users.c.username == username).values(active=active))
            if not active:
                conn.execute(delete(sessions).where(sessions.c.username == username))

    def change(self, action: AuditAction, username: str, password: str = "") -> str:
        """An administrator's change to an account, named by its audit action (disable, enable, new password, end
        sessions), as the console and `trolyso user` make it; what the audit entry's detail says."""
        if action in (AuditAction.ACCOUNT_DISABLED, AuditAction.ACCOUNT_ENABLED):
            self.set_active(username, action == AuditAction.ACCOUNT_ENABLED)
            return ""
        if action == AuditAction.PASSWORD_CHANGED:
            self.set_password(username, password)
            return ""
        if action == AuditAction.SESSIONS_ENDED:
            return f"{self.expire_all(username)} sessions"
        raise ValueError(f"not an account change: {action}")

    def set_password(self, username: str, password: str) -> None:
        """A new password; every session of the account ends."""
        if len(password) < MIN_PASSWORD:
            raise WeakPassword(f"password: at least {MIN_PASSWORD} characters")
        digest = hash_password(password)
        with self.engine.begin() as conn:
            self._existing(conn, username)
            conn.execute(update(users).where(users.c.username == username).values(password_hash=digest))
            conn.execute(delete(sessions).where(sessions.c.username == username))
