"""The web chat's rate limits in-process: the client's address (X-Forwarded-For only from a trusted proxy), all
limits or none counted, and the memory that follows the active keys (the library leaves one empty list per key)."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest
from limits import RateLimitItemPerSecond

from bot.config import Settings, SettingsError
from connectors.ratelimit import Limit, WebLimits


def limits(**overrides) -> WebLimits:
    base = Settings(data_dir=Path("var"), knowledge_dir=Path("k"), database_url="sqlite://", model_dir=Path("m"),
                    index_dir=Path("i"))  # fmt: skip
    return WebLimits(dataclasses.replace(base, **overrides))


def test_forwarded_for_counts_only_from_a_trusted_proxy():
    direct = limits()
    assert direct.client_address("198.51.100.9", "203.0.113.1") == "198.51.100.9"  # anyone can write the header
    proxied = limits(trusted_proxies=("127.0.0.1", "10.0.0.2"))
    assert proxied.client_address("127.0.0.1", "203.0.113.1") == "203.0.113.1"
    assert proxied.client_address("127.0.0.1", "1.2.3.4, 203.0.113.1, 10.0.0.2") == "203.0.113.1"  # the last hop
    assert proxied.client_address("127.0.0.1", "evil, 203.0.113.1") == "203.0.113.1"
    assert proxied.client_address("127.0.0.1", "203.0.113.1, not-an-address") == "127.0.0.1"
    assert proxied.client_address("198.51.100.9", "203.0.113.1") == "198.51.100.9"  # not a trusted peer
    assert proxied.client_address("127.0.0.1", None) == "127.0.0.1"


def test_trusted_proxies_setting_is_validated():
    assert Settings.from_env({"TROLYSO_TRUSTED_PROXIES": " 10.0.0.1, ::1 "}).trusted_proxies == ("10.0.0.1", "::1")
    assert Settings.from_env({}).trusted_proxies == ()
    with pytest.raises(SettingsError, match="TROLYSO_TRUSTED_PROXIES"):
        Settings.from_env({"TROLYSO_TRUSTED_PROXIES": "nginx"})
    with pytest.raises(SettingsError, match="TROLYSO_WEB_RATE_IP"):
        Settings.from_env({"TROLYSO_WEB_RATE_IP": "0"})


def test_a_limited_request_counts_against_no_limit():
    web = limits(web_handoffs=1)
    both = [Limit(web.per_ip, "a"), Limit(web.handoffs, "a")]
    assert web.hit(both) == 0
    assert web.hit(both) >= 1  # the hand-off cap is used up: waits, and the address's minute is not charged
    stats = web.limiter.get_window_stats(web.per_ip, "a")
    assert stats.remaining == web.per_ip.amount - 1


def test_expired_keys_leave_no_memory_behind():
    web = limits()
    second = RateLimitItemPerSecond(2, 1)
    for i in range(2000):
        web.limiter.hit(second, f"address-{i}")
    assert web.keys() >= 2000
    time.sleep(1.3)
    web.limiter.hit(second, "now")  # the library trims expired entries in the background after a hit
    time.sleep(0.3)
    web.sweep(force=True)
    assert web.keys() <= 5
