"""Console accounts: password hashes at current guidance (an old hash still verifies and is replaced at the next
login), unknown usernames as slow as known ones, login throttling with a growing lock, disabling an account,
a new password and ending sessions, and the audit log."""

from __future__ import annotations

import hashlib
import secrets
import statistics
import time

import pytest
from sqlalchemy import select, update

from bot.labels import AUDIT_ACTION_NAMES
from bot.status import AuditAction
from bot.team.accounts import AccountError, Accounts, check_password, hash_password, needs_rehash
from bot.team.audit import AuditLog
from bot.team.throttle import Backoff, LoginThrottle

PASSWORD = "mat-khau-cua-lan"


@pytest.fixture
def accounts(store) -> Accounts:
    a = Accounts(store, 8)
    a.add_user("lan.team", "team", PASSWORD)
    return a


def stored_hash(accounts: Accounts, username: str) -> str:
    from bot.store.schema import users

    with accounts.engine.connect() as conn:
        return conn.execute(select(users.c.password_hash).where(users.c.username == username)).scalar_one()


def old_hash(password: str) -> str:
    """What release 0.1's hash_password made (scrypt n=2^14, r=8, p=1)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=2**14, r=8, p=1)
    return f"scrypt$16384$8$1${salt.hex()}${digest.hex()}"


# --- hashing ---------------------------------------------------------------------------------------------------


def test_new_hashes_use_scrypt_at_owasp_parameters_and_record_them():
    stored = hash_password(PASSWORD)
    kind, n, r, p, salt, digest = stored.split("$")
    assert (kind, n, r, p) == ("scrypt", str(2**17), "8", "1")
    assert len(bytes.fromhex(salt)) == 16 and len(bytes.fromhex(digest)) == 64
    assert check_password(PASSWORD, stored) and not check_password("sai-mat-khau", stored)
    assert not needs_rehash(stored) and needs_rehash(old_hash(PASSWORD))


def test_an_old_hash_still_verifies_and_is_replaced_at_the_next_successful_login(accounts):
    from bot.store.schema import users

    with accounts.engine.begin() as conn:
        conn.execute(update(users).where(users.c.username == "lan.team").values(password_hash=old_hash(PASSWORD)))
    assert accounts.login("lan.team", "sai-mat-khau") is None
    assert stored_hash(accounts, "lan.team").startswith("scrypt$16384$")  # a failed login changes nothing
    assert accounts.login("lan.team", PASSWORD)
    new = stored_hash(accounts, "lan.team")
    assert new.startswith(f"scrypt${2**17}$8$1$") and check_password(PASSWORD, new)
    assert accounts.login("lan.team", PASSWORD) and stored_hash(accounts, "lan.team") == new  # once only


def test_unknown_and_known_usernames_take_the_same_time(accounts):
    accounts.add_user("minh.off", "team", PASSWORD)
    accounts.set_active("minh.off", False)
    for name in ("lan.team", "khong.co.ai", "minh.off"):  # warm up (the dummy hash is made once per process)
        accounts.login(name, "sai-mat-khau")
    times: dict[str, list[float]] = {"known": [], "unknown": [], "disabled": []}
    for i in range(5):  # interleaved, so a slower moment of the machine hits each kind alike
        for kind, name in (("known", "lan.team"), ("unknown", f"khong.co.ai{i}"), ("disabled", "minh.off")):
            start = time.perf_counter()
            assert accounts.login(name, "sai-mat-khau") is None
            times[kind].append(time.perf_counter() - start)
    medians = {kind: statistics.median(t) for kind, t in times.items()}
    assert max(medians.values()) / min(medians.values()) < 1.3, medians


# --- throttling --------------------------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def attempt(b: Backoff, key: str, ok: bool = False) -> float:
    assert b.wait(key) == 0
    b.begin(key)
    return b.end(key, failed=not ok)


def test_five_failures_lock_the_key_for_a_growing_time():
    clock = Clock()
    b = Backoff(5, window=900, first_lock=60, max_lock=3600, clock=clock)
    assert [attempt(b, "lan") for _ in range(4)] == [0, 0, 0, 0]
    assert attempt(b, "lan") == 60 and b.wait("lan") == 60
    assert b.wait("someone.else") == 0
    clock.now += 59
    assert b.wait("lan") == pytest.approx(1)
    locks = []
    for _ in range(8):  # after a lock, every failure locks again, twice as long (at most an hour)
        clock.now += b.wait("lan") + 0.5
        locks.append(attempt(b, "lan"))
    assert locks == [120, 240, 480, 960, 1920, 3600, 3600, 3600]
    clock.now += b.wait("lan") + 900 + 1  # a whole window quiet after the lock: forgiven
    assert attempt(b, "lan") == 0


def test_failures_older_than_the_window_do_not_count():
    clock = Clock()
    b = Backoff(5, window=900, clock=clock)
    for _ in range(4):
        attempt(b, "lan")
    clock.now += 901
    assert [attempt(b, "lan") for _ in range(4)] == [0, 0, 0, 0]


def test_a_success_forgets_the_username_but_not_the_address():
    clock = Clock()
    t = LoginThrottle(clock=clock)  # what the console uses: 5 per username, 20 per address

    def login(user: str, address: str, ok: bool = False) -> float:
        assert t.admit(user, address) == 0
        return t.finish(user, address, ok)

    for _ in range(4):
        login("lan", "10.0.0.1")
    login("lan", "10.0.0.1", ok=True)
    assert [login("lan", "10.0.0.1") for _ in range(4)] == [0, 0, 0, 0]  # counted from the success
    # many usernames from one address: the address is locked at its 20th failure
    for i in range(12):
        login(f"user{i}", "10.0.0.1")
    assert t.admit("other", "10.0.0.1") > 0
    assert t.admit("other", "10.0.0.2") == 0


def test_attempts_under_way_count_so_a_parallel_burst_cannot_pass_the_limit():
    t = LoginThrottle(per_user=5, clock=Clock())
    assert [t.admit("lan", f"10.0.0.{i}") for i in range(5)] == [0] * 5
    assert t.admit("lan", "10.0.0.9") > 0  # five attempts under way: a sixth must wait for them
    for i in range(5):
        t.finish("lan", f"10.0.0.{i}", ok=False)
    assert t.admit("lan", "10.0.0.9") == 60


def test_the_table_of_keys_is_bounded():
    b = Backoff(5, max_keys=100, clock=Clock())
    for i in range(5000):
        attempt(b, f"user{i}")
    assert len(b) == 100


# --- lifecycle ---------------------------------------------------------------------------------------------------


def test_a_disabled_account_cannot_log_in_and_its_sessions_end_at_once(accounts):
    token = accounts.login("lan.team", PASSWORD)
    assert accounts.session(token)
    accounts.set_active("lan.team", False)
    assert accounts.session(token) is None
    assert accounts.login("lan.team", PASSWORD) is None
    accounts.set_active("lan.team", True)
    assert accounts.session(token) is None  # enabling again does not bring an old session back
    assert accounts.session(accounts.login("lan.team", PASSWORD))


def test_a_new_password_ends_every_session(accounts):
    tokens = [accounts.login("lan.team", PASSWORD) for _ in range(2)]
    assert len(accounts.open_sessions("lan.team")) == 2
    with pytest.raises(AccountError):
        accounts.set_password("lan.team", "ngan")
    accounts.set_password("lan.team", "mat-khau-moi-cua-lan")
    assert [accounts.session(t) for t in tokens] == [None, None]
    assert accounts.login("lan.team", PASSWORD) is None
    assert accounts.login("lan.team", "mat-khau-moi-cua-lan")


def test_ending_all_sessions(accounts):
    tokens = [accounts.login("lan.team", PASSWORD) for _ in range(3)]
    assert accounts.expire_all("lan.team") == 3
    assert [accounts.session(t) for t in tokens] == [None] * 3 and accounts.open_sessions("lan.team") == []
    for change in (
        lambda: accounts.expire_all("khong.co"),
        lambda: accounts.set_active("khong.co", False),
        lambda: accounts.set_password("khong.co", "mat-khau-dai-du"),
    ):
        with pytest.raises(AccountError, match="no user khong.co"):
            change()


# --- audit log ---------------------------------------------------------------------------------------------------


def test_the_audit_log_keeps_short_one_line_entries_newest_first(store):
    audit = AuditLog(store)
    audit.record("lan.team", AuditAction.LOGIN, "lan.team", "127.0.0.1")
    audit.record("x" * 100 + "\n\x1b[31m", AuditAction.LOGIN_FAILED, "a\nb", "d" * 1000)
    audit.record("minh", AuditAction.HANDOFF_TAKEN, 7)
    assert audit.count() == 3
    newest, failed, first = audit.recent(10)
    assert (newest.username, newest.action, newest.target, newest.detail) == ("minh", "handoff_taken", "7", "")
    assert failed.username == "x" * 64 and failed.target == "a b" and len(failed.detail) == 300
    assert first.action == AuditAction.LOGIN and first.at.tzinfo is not None
    assert [e.id for e in audit.recent(2, offset=1)] == [failed.id, first.id]
    with pytest.raises(ValueError):
        audit.record("lan", "not-an-action")  # type: ignore[arg-type]
    assert set(AUDIT_ACTION_NAMES) == set(AuditAction)  # the audit page names every action in Vietnamese
