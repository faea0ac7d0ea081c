"""Login throttling: failures counted per username and per client address, in memory, with a growing lock.

After `limit` failures of one key within `window` seconds, that key is refused for `first_lock` seconds; every
further failure before the key is forgiven doubles the lock (at most `max_lock`). A key is forgiven by a
success (usernames only: an address shared by a commune office keeps its count) or by `window` seconds without
a failure after its lock ended. Attempts under way count too, so a burst of parallel requests cannot get past
the limit before their failures are known.

In memory, not in the store: the console is served by one gateway process; a restart forgetting the counts is
acceptable (the restart itself takes longer than a lock); failures then never write to the database (an attacker
cannot grow it); the table of keys is bounded (the least recently used key is dropped first).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class _Entry:
    failures: deque[float] = field(default_factory=deque)
    strikes: int = 0  # locks since the key was last forgiven
    until: float = 0.0  # locked until (clock seconds)
    pending: int = 0  # attempts admitted and not yet finished


class Backoff:
    def __init__(
        self,
        limit: int,
        window: float = 15 * 60,
        first_lock: float = 60,
        max_lock: float = 60 * 60,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.limit, self.window, self.first_lock, self.max_lock = limit, window, first_lock, max_lock
        self.max_keys = max_keys
        self.clock = clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def _entry(self, key: str, now: float) -> _Entry:
        e = self._entries.get(key)
        if e is None:
            e = self._entries[key] = _Entry()
            while len(self._entries) > self.max_keys:
                self._entries.popitem(last=False)
        else:
            self._entries.move_to_end(key)
        if e.strikes and now > e.until + self.window and not e.pending:
            e.strikes, e.failures = 0, deque()  # quiet for a whole window after its lock: forgiven
        while e.failures and e.failures[0] <= now - self.window:
            e.failures.popleft()
        return e

    def wait(self, key: str) -> float:
        """Seconds before `key` may try again (0: it may)."""
        now = self.clock()
        e = self._entries.get(key)
        if e is None:
            return 0.0
        e = self._entry(key, now)
        if now < e.until:
            return e.until - now
        if e.pending and (e.strikes or len(e.failures) + e.pending >= self.limit):
            return 1.0  # the attempts under way could be the ones that lock it
        return 0.0

    def begin(self, key: str) -> None:
        self._entry(key, self.clock()).pending += 1

    def end(self, key: str, failed: bool) -> float:
        """An attempt finished; the seconds of the lock it started (0: none)."""
        now = self.clock()
        e = self._entry(key, now)
        e.pending = max(0, e.pending - 1)
        if not failed:
            return 0.0
        e.failures.append(now)
        if e.strikes or len(e.failures) >= self.limit:
            lock = min(self.max_lock, self.first_lock * 2**e.strikes)
            e.strikes += 1
            e.until = now + lock
            return lock
        return 0.0

    def forget(self, key: str) -> None:
        e = self._entries.pop(key, None)
        if e is not None and e.pending:  # attempts still under way keep their count, nothing else
            self._entries[key] = _Entry(pending=e.pending)


class LoginThrottle:
    """A `Backoff` per username (5 failures in 15 minutes) and per client address (20: an office may share
    one), both checked before the password is."""

    def __init__(
        self,
        per_user: int = 5,
        per_address: int = 20,
        window: float = 15 * 60,
        first_lock: float = 60,
        max_lock: float = 60 * 60,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.users = Backoff(per_user, window, first_lock, max_lock, max_keys, clock)
        self.addresses = Backoff(per_address, window, first_lock, max_lock, max_keys, clock)
        self._lock = threading.Lock()

    def admit(self, username: str, address: str) -> float:
        """0 and the attempt is counted as under way (then call `finish`), or the seconds to wait."""
        with self._lock:
            wait = max(self.users.wait(username), self.addresses.wait(address))
            if wait:
                return wait
            self.users.begin(username)
            self.addresses.begin(address)
            return 0.0

    def finish(self, username: str, address: str, ok: bool) -> float:
        """The attempt's outcome; the seconds of a lock it started (0: none)."""
        with self._lock:
            locked = max(self.users.end(username, not ok), self.addresses.end(address, not ok))
            if ok:
                self.users.forget(username)
            return locked
